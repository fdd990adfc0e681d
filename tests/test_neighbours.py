"""The nearest training digits (trainer.neighbours) and their index kept per model (trainer.neighbour_store)."""

import threading

import numpy as np
import pytest
import torch

from trainer import neighbour_store
from trainer.data import DataError
from trainer.evaluation import Stopped
from trainer.model import build_model
from trainer.neighbour_store import training_digits
from trainer.neighbours import NeighbourIndex, build_index, principal_components

from .fake_mnist import write_fake_mnist


def low_rank_features(n=600, d=64, rank=6, seed=0):
    """Features that vary along a few directions, as a net's do: the first pass in a few principal components
    then finds the nearest ones."""
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(n, rank, generator=generator) @ torch.randn(rank, d, generator=generator)
            + 0.01 * torch.randn(n, d, generator=generator))


def test_the_nearest_are_the_exact_nearest_at_their_exact_distances():
    features = low_rank_features()
    labels = torch.arange(len(features)) % 10
    mean, basis = principal_components(features, 8)  # the first pass in 8 of 64 dimensions
    index = NeighbourIndex(features, labels, "x", mean, basis)
    queries = low_rank_features(20, seed=1)
    exact = torch.cdist(queries, features.half().float())
    for row, found in enumerate(index.nearest(queries, 8)):
        expected = exact[row].topk(8, largest=False)
        assert [n.index for n in found] == expected.indices.tolist()
        assert [n.label for n in found] == [int(labels[i]) for i in expected.indices]
        assert np.allclose([n.distance for n in found], expected.values.tolist(), rtol=1e-4)
    # more than there are: all of them, nearest first
    assert len(index.nearest(queries[:1], 5000)[0]) == len(features)


def test_a_training_digit_left_out_of_its_own_nearest():
    features = low_rank_features(200).half().float()  # as stored: the same point is then at 0
    index = NeighbourIndex(features, torch.zeros(200), "x", *principal_components(features))
    own = index.nearest(features[:5], 1)
    assert [row[0].index for row in own] == [0, 1, 2, 3, 4] and all(row[0].distance < 1e-3 for row in own)
    others = index.nearest(features[:5], 1, exclude=torch.arange(5))
    assert all(row[0].index != i and row[0].distance > 0 for i, row in enumerate(others))


def test_the_typical_distance_is_that_of_a_training_digit_to_its_nearest_other():
    # pairs of points 1 apart, every pair far from the others: each point's nearest other is at exactly 1, except
    # the 3s, whose pairs are 2 apart
    centres = torch.zeros(50, 8)
    for i in range(50):  # on a grid 10 apart, in whole numbers that float16 holds exactly
        centres[i, 1:4] = torch.tensor([i // 16, i // 4 % 4, i % 4]) * 10.0
    labels = torch.arange(50) % 10
    step = torch.where(labels == 3, 2.0, 1.0)[:, None] * torch.eye(8)[0]
    features = torch.cat([centres, centres + step])
    index = build_index(features, torch.cat([labels, labels]), "x", typical_sample=100)
    typical = index.typical
    assert typical.sample == 100 and typical.median == pytest.approx(1.0, abs=1e-3)
    assert typical.high == pytest.approx(2.0, abs=1e-3)
    assert typical.per_label[3] == pytest.approx(2.0, abs=1e-3) and typical.per_label[4] == pytest.approx(1.0, abs=1e-3)


@pytest.fixture
def small_mnist(tmp_path, monkeypatch):
    """A fake MNIST of 300 training digits, and a cache folder of this test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return write_fake_mnist(tmp_path / "mnist", n_train=300, n_test=10)


def counting_features(monkeypatch):
    calls = []
    real = neighbour_store.layer_features

    def counted(*args, **kwargs):
        calls.append(len(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(neighbour_store, "layer_features", counted)
    return calls


def test_an_index_is_made_once_per_model_and_then_read_from_the_cache(small_mnist, monkeypatch):
    calls = counting_features(monkeypatch)
    torch.manual_seed(0)
    model = build_model()
    progress = []
    index = training_digits(model, small_mnist, report=progress.append)
    assert len(index) == 300 and index.dimensions == 800 and index.layer == "features.8"
    assert sum(calls) == 300 and progress[-1].done == progress[-1].total == 300
    again = training_digits(model, small_mnist)  # from the cache: no features taken
    assert sum(calls) == 300
    assert torch.equal(again.features, index.features) and again.typical == index.typical
    queries = index.features[:3].float()
    assert [[n.index for n in row] for row in again.nearest(queries, 8)] == \
        [[n.index for n in row] for row in index.nearest(queries, 8)]
    # other weights: another index
    with torch.no_grad():
        next(model.parameters()).add_(0.1)
    training_digits(model, small_mnist)
    assert sum(calls) == 600


def test_a_damaged_cached_index_is_made_again(small_mnist, monkeypatch):
    model = build_model()
    training_digits(model, small_mnist)
    [stored] = (neighbour_store.cache_folder() / "neighbours").glob("*.pt")
    stored.write_bytes(b"broken")
    calls = counting_features(monkeypatch)
    index = training_digits(model, small_mnist)
    assert sum(calls) == 300 and len(index) == 300


def test_only_the_indexes_used_last_are_kept(small_mnist, monkeypatch):
    monkeypatch.setattr(neighbour_store, "KEEP", 2)
    models = [build_model() for _ in range(3)]
    for model in models:
        training_digits(model, small_mnist)
    kept = set((neighbour_store.cache_folder() / "neighbours").glob("*.pt"))
    source = neighbour_store.images_file(small_mnist)
    assert kept == {neighbour_store.index_path(model, "features.8", source) for model in models[1:]}


def test_a_training_digit_is_read_from_mnist_s_file(small_mnist):
    from trainer.data import read_split

    index = training_digits(build_model(), small_mnist)
    train = read_split(small_mnist, train=True)
    assert np.array_equal(index.picture(17), train.images[17, 0].numpy())
    assert index.picture(300) is None and index.picture(-1) is None
    assert int(index.labels[17]) == int(train.labels[17])


def test_without_mnist_a_clear_error_and_a_stop_ends_the_work(tmp_path, small_mnist):
    with pytest.raises(DataError, match="MNIST is not in"):
        training_digits(build_model(), tmp_path / "nowhere")
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        training_digits(build_model(), small_mnist, stop=stop)


# ----- digitpad predict --neighbours ----------------------------------------------------------------------------
def number_picture(path):
    """A white page with a 4 and a 7 written on it, as `digitpad predict` reads files."""
    from PIL import Image

    from trainer.ink.render import render
    from trainer.synth.digits import random_digit

    rng = np.random.default_rng(5)
    strokes = random_digit(4, rng, size=0.4, centre=(0.3, 0.5)) + random_digit(7, rng, size=0.4, centre=(0.7, 0.5))
    Image.fromarray((255 - render(strokes, 240, 0.04) * 255).astype(np.uint8)).save(path)
    return str(path)


def test_predict_lists_each_digits_nearest_training_digits(small_mnist, tmp_path, monkeypatch, capsys):
    import json

    from digitpad import builtin_checkpoint_path
    from digitpad.app import main
    from digitpad.reading.predictor import Predictor
    from trainer.data import read_split
    from trainer.ink.images import load_image
    from trainer.features import layer_features

    monkeypatch.setenv("DIGITPAD_DATA", str(small_mnist))
    picture = number_picture(tmp_path / "47.png")
    assert main(["predict", "--json", "--neighbours", "5", picture]) == 0
    captured = capsys.readouterr()
    assert "once" in captured.err
    [result] = json.loads(captured.out)
    assert result["number"] == "47" and result["neighbours"] == result["digits"][0]["neighbours"]
    predictor = Predictor.load(builtin_checkpoint_path())
    reading = predictor.read_picture(load_image(picture))
    train = read_split(small_mnist, train=True)
    features = layer_features(predictor.model, train.images).half().float()
    for digit, entry in zip(reading.digits, result["digits"]):
        near = entry["neighbours"]
        assert len(near) == 5 and set(near[0]) == {"index", "label", "distance"}
        exact = torch.cdist(layer_features(predictor.model, torch.from_numpy(digit.image)[None, None]), features)[0]
        assert [n["distance"] for n in near] == pytest.approx(exact.sort().values[:5].tolist(), rel=1e-3)
        assert all(n["label"] == int(train.labels[n["index"]]) for n in near)
        assert [n["distance"] for n in near] == pytest.approx([float(exact[n["index"]]) for n in near], rel=1e-3)
    # the second time, from the cache, without a word
    assert main(["predict", "--json", "--neighbours", "5", picture]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and json.loads(captured.out) == [result]


def test_predict_neighbours_needs_json_a_count_and_mnist(tmp_path, monkeypatch, capsys):
    from digitpad.app import main

    picture = number_picture(tmp_path / "47.png")
    for arguments, complaint in [(["--neighbours", "5"], "--neighbours goes with --json"),
                                 (["--json", "--neighbours", "0"], "'0' is not a count of training digits"),
                                 (["--json", "--neighbours", "many"], "'many' is not a count")]:
        with pytest.raises(SystemExit) as exit_:
            main(["predict", *arguments, picture])
        assert exit_.value.code == 2 and complaint in capsys.readouterr().err
    monkeypatch.setenv("DIGITPAD_DATA", str(tmp_path / "nowhere"))
    assert main(["predict", "--json", "--neighbours", "5", picture]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "--neighbours needs MNIST's training digits" in captured.err
    assert str(tmp_path / "nowhere") in captured.err and "DIGITPAD_DATA" in captured.err
