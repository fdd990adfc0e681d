"""The drawings "not sure" is calibrated on come from the per-user cache after the first run, and the
calibration a run records is the same whether they were drawn afresh or read back, and whether the held-out
digits' probabilities were computed again or taken from the run's last test pass."""

import torch

from trainer import calibration_drawings as drawings_module
from trainer.calibration_drawings import calibration_drawings, draw
from trainer.data import LabelledImages
from trainer.evaluation import evaluate, log_probabilities
from trainer.model import build_model
from trainer.paths import calibration_drawings_file
from trainer.reject import SYNTHETIC, calibrate


def a_model_and_held_out_digits():
    torch.manual_seed(3)
    model = build_model().eval()
    generator = torch.Generator().manual_seed(4)
    images = torch.rand(300, 1, 28, 28, generator=generator) ** 4  # sparse ink, more or less
    return model, LabelledImages(images, torch.arange(300) % 10)


def test_the_calibration_is_the_same_from_the_cache_as_drawn_afresh(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = calibration_drawings_file(drawings_module.DRAWINGS_VERSION, SYNTHETIC, 1)
    model, held_out = a_model_and_held_out_digits()
    assert not cache.exists()
    afresh = calibrate(model, held_out)  # draws, and keeps them
    assert cache.is_file()
    monkeypatch.setattr(drawings_module, "draw", drawn_again)
    from_cache = calibrate(model, held_out)
    assert from_cache == afresh
    # The held-out digits' probabilities as the engine's last test pass hands them over: the same figures.
    passed_on = evaluate(model, held_out).log_probs
    assert calibrate(model, held_out, validation_log_probs=passed_on) == afresh
    assert calibrate(model, None) == calibrate(model, LabelledImages(torch.empty(0, 1, 28, 28),
                                                                      torch.empty(0, dtype=torch.long)))


def drawn_again(count, seed):
    raise AssertionError("the drawings were drawn again, not read from the cache")


def test_the_cached_drawings_are_the_drawn_ones_to_the_bit(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    kept = calibration_drawings(40, 7)
    drawn = draw(40, 7)
    read_back = calibration_drawings(40, 7)
    for kind in ("digits", "others"):
        assert torch.equal(kept[kind], drawn[kind]) and torch.equal(read_back[kind], drawn[kind])
        assert kept[kind].shape == (40, 1, 28, 28) and kept[kind].dtype == torch.float32


def test_drawings_made_by_other_code_or_damaged_are_drawn_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = calibration_drawings_file(drawings_module.DRAWINGS_VERSION, 20, 5)
    right = calibration_drawings(20, 5)
    stale = dict(torch.load(path, weights_only=True), digits=torch.zeros(20, 1, 28, 28), made_by="older code")
    torch.save(stale, path)
    assert torch.equal(calibration_drawings(20, 5)["digits"], right["digits"])
    assert torch.load(path, weights_only=True)["made_by"] == drawings_module.drawing_code_digest()
    path.write_bytes(b"not a tensor file")
    assert torch.equal(calibration_drawings(20, 5)["others"], right["others"])


def test_the_cache_is_named_for_the_code_that_draws(monkeypatch, tmp_path):
    before = drawings_module.drawing_code_digest()
    (tmp_path / "ink").mkdir()
    (tmp_path / "synth").mkdir()
    (tmp_path / "ink" / "redraw.py").write_text("pen = 1\n")
    monkeypatch.setattr(drawings_module, "__file__", str(tmp_path / "calibration_drawings.py"))
    one = drawings_module.drawing_code_digest()
    (tmp_path / "ink" / "redraw.py").write_text("pen = 2\n")
    assert drawings_module.drawing_code_digest() not in (one, before)


def test_the_engine_hands_over_the_held_out_digits_probabilities_as_a_new_pass_gives_them(fake_mnist):
    from trainer.config import TrainConfig
    from trainer.data import load_mnist, split_validation
    from trainer.engine import train

    train_split, test_split = load_mnist(fake_mnist(600, 50), download=False)
    train_split, validation = split_validation(train_split, 100)
    config = TrainConfig(epochs=1, batch_size=64, outlier_batch=0).check()
    result = train(config, train_split, test_split, validation_split=validation)
    assert result.validation_log_probs is not None
    assert torch.equal(result.validation_log_probs, log_probabilities(result.model, validation.images))
