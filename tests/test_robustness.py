"""The robustness curves' trainer side: each damage does what its name says, the curves are the app's own verdicts
on exactly the same damaged images for every model, and `trainer eval --robustness` prints them."""

import json
import threading

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from digitpad import builtin_checkpoint_path
from trainer import robustness
from trainer.damage import DAMAGES
from trainer.data import load_test_split
from trainer.evaluation import Stopped, evaluate, log_probabilities
from trainer.robustness import robustness_curves, steps
from trainer.verdicts import DEFAULT_THRESHOLD, NOT_A_DIGIT, SURE, model_threshold, verdict, verdicts

from .commands import run_trainer

BY_KEY = {damage.key: damage for damage in DAMAGES}


def dot(row: int, col: int) -> torch.Tensor:
    image = torch.zeros(1, 1, 28, 28)
    image[0, 0, row, col] = 1.0
    return image


def centroid(image: torch.Tensor) -> np.ndarray:
    grey = image[0, 0].numpy().astype(np.float64)
    rows, cols = np.indices(grey.shape)
    return np.array([(rows * grey).sum(), (cols * grey).sum()]) / grey.sum()


@pytest.fixture(scope="module")
def fake_test(fake_mnist):
    return load_test_split(fake_mnist(16, 300, seed=5), download=False)


def test_every_kind_leaves_level_0_untouched_stays_in_range_and_repeats_with_its_seed():
    images = torch.rand(20, 1, 28, 28)
    for damage in DAMAGES:
        assert damage(images, damage.levels[0], torch.Generator()) is images
        assert len(damage.levels) >= 6, damage.key
        for level in damage.levels[1:]:
            once = damage(images, level, torch.Generator().manual_seed(7))
            again = damage(images, level, torch.Generator().manual_seed(7))
            assert once.shape == images.shape and once.dtype == torch.float32
            assert float(once.min()) >= 0 and float(once.max()) <= 1, (damage.key, level)
            assert torch.equal(once, again), (damage.key, level)


def test_more_damage_changes_real_digits_more(mnist):
    digits = mnist[1].images[:500]  # the fake set's stripes, two pixels apart, move onto each other: not digits
    for damage in DAMAGES:
        changes = [float((damage(digits, level, torch.Generator().manual_seed(1)) - digits).abs().sum())
                   for level in damage.levels]
        assert changes[0] == 0 and all(a < b for a, b in zip(changes, changes[1:])), (damage.key, changes)


def test_a_shift_moves_the_ink_by_that_many_pixels_and_a_rotation_turns_it_about_the_centre():
    moved = BY_KEY["shift"](dot(14, 14), 3, torch.Generator().manual_seed(0))
    assert np.linalg.norm(centroid(moved) - [14, 14]) == pytest.approx(3, abs=0.05)
    # 28 x 28 pixels turn about the point between the middle four: (13.5, 13.5) in pixel indices.
    turned = BY_KEY["rotation"](dot(13, 3), 90, torch.Generator().manual_seed(0))
    assert np.round(centroid(turned), 1).tolist() in ([3.0, 14.0], [24.0, 13.0])


def test_strokes_grow_and_shrink_by_whole_and_part_pixels():
    square = torch.zeros(1, 1, 28, 28)
    square[0, 0, 10:16, 10:16] = 1.0  # 6 x 6 pixels of ink
    assert float(BY_KEY["thicker"](square, 1, None).sum()) == 8 * 8
    assert float(BY_KEY["thinner"](square, 1, None).sum()) == 4 * 4
    assert float(BY_KEY["thinner"](square, 0.5, None).sum()) == pytest.approx((36 + 16) / 2)
    assert float(BY_KEY["thicker"](square, 3, None).sum()) < 12 * 12  # an octagon, not a square, by the third


def test_blur_is_a_gaussian_blur_and_low_resolution_is_blocks():
    images = torch.rand(3, 1, 28, 28)
    for sigma in (0.5, 1.5, 3):
        expected = np.stack([gaussian_filter(image[0].numpy(), sigma, mode="constant", truncate=10) for image in images])
        blurred = BY_KEY["blur"](images, sigma, None)[:, 0].numpy()
        assert np.abs(blurred - expected).max() < 1e-5
    blocks = BY_KEY["resolution"](images, 14, None)[0, 0]
    assert torch.equal(blocks[::2, ::2], blocks[1::2, 1::2]) and torch.equal(blocks[::2, ::2], blocks[1::2, ::2])
    assert float(blocks[0, 0]) == pytest.approx(float(images[0, 0, :2, :2].mean()))


def test_the_batch_verdicts_are_the_verdict_of_each_row():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.full(10, 0.3), size=2000)
    probabilities[:5] = [np.eye(10)[3], np.full(10, 0.1), [0.5, 0.25] + [0.03125] * 8, [0.9] + [0.1 / 9] * 9,
                         [0.375, 0.375] + [0.03125] * 8]
    batch = verdicts(probabilities, 0.9)
    assert batch.tolist() == [verdict(p, 0.9) for p in probabilities]
    assert {SURE, NOT_A_DIGIT} <= set(batch.tolist())


def test_each_model_is_judged_at_the_threshold_its_checkpoint_holds():
    assert model_threshold({"reject": {"threshold": 0.93}}) == 0.93
    assert model_threshold({}) == model_threshold({"reject": "odd"}) == DEFAULT_THRESHOLD  # older checkpoints


@pytest.fixture
def float32(monkeypatch):
    """Run the curves in float32, as `evaluate` does, so that their undamaged point must equal it exactly."""
    monkeypatch.setattr(robustness, "_precision", lambda: ("fp32", None))


def test_the_undamaged_point_is_the_evaluation_and_the_app_s_verdicts(seed, fake_test, float32):
    threshold = 0.97
    curves = robustness_curves([seed], [threshold], fake_test.images, fake_test.labels)
    result = evaluate(seed, fake_test)
    judged = [verdict(p, threshold) for p in log_probabilities(seed, fake_test.images).exp().numpy()]
    for damage in DAMAGES:
        clean = curves.curve(0, damage.key)[0]
        assert clean.accuracy == pytest.approx(result.accuracy)
        assert clean.not_sure == pytest.approx(np.mean([v != SURE for v in judged]))
        assert clean.not_a_digit == pytest.approx(np.mean([v == NOT_A_DIGIT for v in judged]))
        assert [p.level for p in curves.curve(0, damage.key)] == list(map(float, damage.levels))
    assert curves.precision == "fp32" and curves.images == len(fake_test)


def test_two_models_read_exactly_the_same_damaged_digits_and_a_rerun_gives_the_same_curves(seed, fake_test):
    events = []
    both = robustness_curves([seed, seed], [0.9, 0.9], fake_test.images, fake_test.labels,
                             progress=lambda point, done, total: events.append((point, done, total)))
    again = robustness_curves([seed], [0.9], fake_test.images, fake_test.labels)
    for damage in DAMAGES:
        first, second = both.curve(0, damage.key), both.curve(1, damage.key)
        assert [p.as_json() for p in first] == [p.as_json() for p in second] == \
               [p.as_json() for p in again.curve(0, damage.key)]
        assert all(np.array_equal(a.example, b.example) for a, b in zip(first, second))
    total = steps(2)
    assert total == 2 * (1 + sum(len(d.levels) - 1 for d in DAMAGES))
    assert len(events) == len(both.points) == 2 * sum(len(d.levels) for d in DAMAGES)
    assert [done for _, done, _ in events] == sorted(done for _, done, _ in events)
    assert events[-1][1:] == (total, total) and all(t == total for _, _, t in events)


def test_on_real_digits_the_worst_damage_of_each_kind_reads_fewer_and_flags_more(seed, mnist):
    test = mnist[1]
    curves = robustness_curves([seed], [0.9], test.images[:1000], test.labels[:1000])
    for damage in DAMAGES:
        curve = curves.curve(0, damage.key)
        assert curve[0].accuracy > 0.98 and curve[0].not_sure < 0.1
        # A shift of 6 pixels costs the seed Net only 4 points (it trained on shifted digits); the rest far more.
        assert curve[-1].accuracy < curve[0].accuracy - 0.02, damage.key
        assert curve[-1].not_sure > curve[0].not_sure + 0.2, damage.key


def test_a_stop_ends_the_run_within_a_step(seed, fake_test):
    stop, seen = threading.Event(), []

    def progress(point, done, total):
        seen.append(done)
        if done == 3:
            stop.set()

    with pytest.raises(Stopped):
        robustness_curves([seed], [0.9], fake_test.images, fake_test.labels, stop=stop, progress=progress)
    assert max(seen) == 3


def test_no_images_is_said_plainly(seed):
    with pytest.raises(ValueError, match="no images"):
        robustness_curves([seed], [0.9], torch.empty(0, 1, 28, 28), torch.empty(0, dtype=torch.long))


@pytest.mark.slow
def test_trainer_eval_robustness_json(fake_test, fake_mnist):
    data = str(fake_mnist(16, 300, seed=5))
    result = run_trainer("eval", str(builtin_checkpoint_path()), "--robustness", "--json", "--data-dir", data,
                         "--no-download")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["images"] == 300 and report["set"] == "MNIST test" and 0 < report["threshold"] < 1
    assert report["precision"] in ("bf16", "fp32") and report["seconds"] > 0
    assert [kind["kind"] for kind in report["robustness"]] == [d.key for d in DAMAGES]
    for kind in report["robustness"]:
        assert len(kind["levels"]) == len(BY_KEY[kind["kind"]].levels)
        assert all(0 <= level[key] <= 1 for level in kind["levels"]
                   for key in ("accuracy", "not_sure", "not_a_digit"))
    text = run_trainer("eval", str(builtin_checkpoint_path()), "--robustness", "--data-dir", data, "--no-download")
    assert text.returncode == 0, text.stderr
    assert "Rotation: turned (degrees)" in text.stdout and "not sure" in text.stdout and "90°" in text.stdout


@pytest.mark.slow
def test_robustness_with_a_personal_set_is_refused_saying_why(tmp_path):
    result = run_trainer("eval", str(builtin_checkpoint_path()), "--robustness", "--personal", str(tmp_path))
    assert result.returncode == 1 and "cannot be combined with --personal" in result.stderr
