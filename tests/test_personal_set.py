"""The personal set on disk: where it lives, what a saved sample looks like, atomic writes, undo, and reading it
back with unreadable files skipped and named."""

import numpy as np
import pytest
import torch
from PIL import Image

from trainer import personal_set as personal_module
from trainer.data import LabelledImages
from trainer.finetune_data import hold_out, mix, personal_splits
from trainer.ink.preprocess import preprocess
from trainer.personal_set import (
    PersonalSet,
    PersonalSetError,
    readiness_problem,
    resolve_personal_dir,
    sample_picture,
)

from .personal_samples import drawn_digit, write_personal_set


def test_the_set_lives_in_the_per_user_data_folder_unless_told_otherwise(isolated_user_folders, monkeypatch,
                                                                        tmp_path):
    monkeypatch.delenv("DIGITPAD_PERSONAL", raising=False)
    assert resolve_personal_dir() == isolated_user_folders / "data" / "digitpad" / "personal"  # XDG_DATA_HOME
    monkeypatch.setenv("DIGITPAD_PERSONAL", str(tmp_path / "env"))
    assert resolve_personal_dir() == tmp_path / "env"
    assert PersonalSet(tmp_path / "given").folder == tmp_path / "given"  # --personal DIR wins over both


def test_a_sample_is_the_ink_dark_on_light_cropped_with_a_margin_and_reads_as_the_canvas_does(tmp_path):
    canvas = drawn_digit(2, np.random.default_rng(1))  # light ink on a dark 280 x 280 square
    sample = PersonalSet(tmp_path).add(2, canvas)
    assert sample.path.parent == tmp_path / "2" and sample.path.suffix == ".png"
    saved = np.asarray(Image.open(sample.path))
    assert saved.ndim == 2 and saved.dtype == np.uint8
    rows, columns = np.flatnonzero((saved < 128).any(axis=1)), np.flatnonzero((saved < 128).any(axis=0))
    ink_height = rows[-1] - rows[0] + 1
    assert saved.shape[0] < 280 and saved.shape[1] < 280          # cropped...
    assert rows[0] >= 4 and saved.shape[0] - 1 - rows[-1] >= 4    # ...with a margin on every side
    assert columns[0] >= 4 and saved.shape[1] - 1 - columns[-1] >= 4
    assert ink_height == 140                                      # the ink as drawn, not rescaled
    assert saved[0, 0] == 255 and saved[rows[0] + 5, columns[0] + 2] == 0  # dark on light
    assert np.abs(preprocess(saved) - preprocess(canvas)).max() < 1e-6


def test_a_dark_on_light_scan_keeps_its_own_paper_in_the_margin():
    scan = np.full((100, 100), 0.8, np.float32)
    scan[2:40, 30:36] = 0.1  # ink touching the top edge: the margin goes past the picture
    sample = sample_picture(scan)
    assert sample[0, 0] == round(0.8 * 255) and sample.min() == round(0.1 * 255)
    assert sample_picture(np.zeros((50, 50))) is None  # no ink, no sample


def test_add_delete_restore_and_counts(tmp_path):
    personal = write_personal_set(tmp_path, per_digit=2, digits=[3, 7])
    assert personal.counts() == [0, 0, 0, 2, 0, 0, 0, 2, 0, 0]
    sample = personal.samples(7)[0]
    removed = personal.delete(sample)
    assert not sample.path.exists() and personal.counts()[7] == 1
    assert personal.delete(sample) is None  # already gone: nothing to undo, no error
    assert personal.restore(removed) == sample and sample.path.read_bytes() == removed.data
    assert personal.counts()[7] == 2
    assert personal.add(7, np.zeros((280, 280), np.uint8)) is None  # an empty canvas saves nothing
    with pytest.raises(ValueError):
        personal.add(10, drawn_digit(1, np.random.default_rng(0)))


def test_a_save_that_fails_half_way_leaves_no_file_behind(tmp_path, monkeypatch):
    personal = PersonalSet(tmp_path)
    personal.add(1, drawn_digit(1, np.random.default_rng(0)))

    def crash(self, file, *args, **kwargs):
        file.write(b"\x89PNG half")
        raise OSError("disk full")
    monkeypatch.setattr(Image.Image, "save", crash)
    with pytest.raises(OSError):
        personal.add(1, drawn_digit(1, np.random.default_rng(1)))
    assert [path.name.startswith(".") for path in (tmp_path / "1").iterdir()] == [False]
    assert len(personal.load()) == 1 and not personal.load().skipped


def test_unreadable_files_are_skipped_with_a_warning_naming_them(tmp_path):
    personal = write_personal_set(tmp_path, per_digit=2, digits=[4])
    (tmp_path / "4" / "corrupt.png").write_bytes(personal.samples(4)[0].path.read_bytes()[:60])
    (tmp_path / "4" / "notes.txt").write_text("my fours")
    (tmp_path / "4" / "empty.png").write_bytes(b"")
    Image.new("L", (40, 40), 255).save(tmp_path / "4" / "blank.png")
    (tmp_path / "4" / ".half-written.png.tmp").write_bytes(b"\x89PNG")  # a save in progress: not a sample
    data = personal.load()
    assert len(data) == 2 and data.labels.tolist() == [4, 4] and data.images.shape == (2, 28, 28)
    skipped = {path.name: why for path, why in data.skipped}
    assert set(skipped) == {"corrupt.png", "notes.txt", "empty.png", "blank.png"}
    assert "empty" in skipped["empty.png"] and "no ink" in skipped["blank.png"]
    assert "not an image" in skipped["notes.txt"]
    warnings = data.warnings()
    assert any(str(tmp_path / "4" / "corrupt.png") in warning for warning in warnings)


def test_an_empty_set_or_too_few_samples_say_how_many_more_are_needed(tmp_path):
    assert "does not exist yet" in readiness_problem([0] * 10, tmp_path / "nowhere")
    (tmp_path / "here").mkdir()
    assert "is empty" in readiness_problem([0] * 10, tmp_path / "here")
    message = readiness_problem([0, 1, 5, 0, 0, 0, 0, 1, 0, 0])
    assert "2 more needed: 1 (1 more), 7 (1 more)" in message
    assert readiness_problem([0, 2, 5, 0, 0, 0, 0, 3, 0, 0]) is None  # absent digits are fine
    assert personal_module.MIN_PER_DIGIT == 2


def test_each_digit_holds_out_a_share_and_keeps_some_to_learn_from():
    labels = np.array([0] * 10 + [1] * 2 + [2] * 1 + [3] * 30)
    learn, held = hold_out(labels, 1 / 3, seed=0)
    assert sorted(learn.tolist() + held.tolist()) == list(range(len(labels)))
    held_counts = np.bincount(labels[held], minlength=4).tolist()
    assert held_counts == [3, 1, 0, 10]
    assert hold_out(labels, 1 / 3, seed=0)[1].tolist() == held.tolist()  # seeded: the same split again


def test_the_mix_oversamples_the_personal_samples_to_their_share(tmp_path):
    data = write_personal_set(tmp_path, per_digit=3, digits=[1, 2]).load()
    splits = personal_splits(data, 1 / 3, seed=0)
    assert len(splits.learn) == 4 and len(splits.held_out) == 2 and len(splits.held_out_paths) == 2
    mnist = LabelledImages(torch.zeros(1000, 1, 28, 28), torch.full((1000,), 9))
    mixed = mix(splits.learn, mnist, mnist_images=300, personal_share=0.25, seed=0)
    personal_count = int((mixed.labels != 9).sum())
    assert len(mixed) - personal_count == 300 and personal_count == 100  # 4 samples x 25 = a quarter


def test_reading_again_rereads_only_changed_files_but_sees_every_change(tmp_path):
    personal = write_personal_set(tmp_path, per_digit=2, digits=[6])
    first = personal.load()
    assert len(first) == 2
    changed = personal.samples(6)[1].path
    changed.write_bytes(b"overwritten by something else")
    again = personal.load()
    assert len(again) == 1 and [path for path, _ in again.skipped] == [changed]
    personal.add(6, drawn_digit(6, np.random.default_rng(5)))
    assert len(personal.load()) == 2 and np.array_equal(personal.load().images[0], first.images[0])


def test_counts_are_of_readable_samples_and_say_how_many_files_were_left_out(tmp_path):
    # One count for "samples of d", the one fine-tuning and the tab use: a file that cannot be read is no sample.
    personal = write_personal_set(tmp_path, per_digit=4, digits=[3, 5])
    (tmp_path / "3" / "scan.png").write_bytes(b"not a picture")
    assert personal.counts() == [0, 0, 0, 4, 0, 4, 0, 0, 0, 0]
    threes = personal.load(digits=[3])
    assert threes.counts()[3] == 4 and threes.skipped_counts()[3] == 1 and threes.counts()[5] == 0
    assert personal.load().skipped_counts() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_reading_one_digit_keeps_what_was_read_of_the_others(tmp_path, monkeypatch):
    personal = write_personal_set(tmp_path, per_digit=2, digits=[1, 2])
    personal.load()
    reads = []
    read = personal_module.read_sample
    monkeypatch.setattr(personal_module, "read_sample", lambda path, key: reads.append(path) or read(path, key))
    personal.add(1, drawn_digit(1, np.random.default_rng(9)))
    assert personal.load(digits=[1]).counts()[1] == 3 and len(reads) == 1  # only the new file
    assert len(personal.load()) == 5 and len(reads) == 1                    # the 2s were not read again


def test_a_file_where_the_set_should_be_is_refused_naming_it_and_what_named_it(tmp_path, monkeypatch):
    # $DIGITPAD_PERSONAL pointing at a file: not "an empty set", not "Not a directory", and the file is untouched.
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("mine")
    monkeypatch.setenv("DIGITPAD_PERSONAL", str(not_a_folder))
    personal = PersonalSet()
    assert personal.folder == not_a_folder
    problem = personal.folder_problem()
    assert f"$DIGITPAD_PERSONAL names {not_a_folder}" in problem and "is a file" in problem
    assert "0/ to 9/" in problem and "unset it" in problem
    with pytest.raises(PersonalSetError) as raised:
        personal.load()
    assert str(raised.value) == problem
    with pytest.raises(PersonalSetError) as raised:
        personal.add(3, drawn_digit(3, np.random.default_rng(0)))
    assert str(raised.value) == problem and not_a_folder.read_text() == "mine"
    assert "--personal" in PersonalSet(not_a_folder, option="--personal").folder_problem()
    assert PersonalSet(tmp_path / "not yet").folder_problem() is None  # made by the first save


def test_folders_that_are_not_digits_are_named_in_one_warning(tmp_path):
    personal = write_personal_set(tmp_path, per_digit=2, digits=[7])
    for folder in ("x", "10", "7/nested", ".git"):  # a hidden folder is no one's samples: not named
        (tmp_path / folder).mkdir(parents=True)
        Image.new("L", (40, 40), 0).save(tmp_path / folder / "scan.png")
    data = personal.load()
    assert len(data) == 2 and not data.skipped
    assert [path.relative_to(tmp_path).as_posix() for path in data.ignored] == ["10", "7/nested", "x"]
    named = [warning for warning in data.warnings() if "10/" in warning]
    assert len(named) == 1 and "7/nested/" in named[0] and "x/" in named[0] and "0/ to 9/" in named[0]
    assert not any(".git" in warning for warning in data.warnings())
