"""Switching channels off: the hooks (trainer.ablation), the channel specs and their errors, what it costs, and
`trainer eval --ablate`."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from digitpad import builtin_checkpoint_path
from trainer.ablation import AblationError, ChannelSwitch, measure_cost, parse_spec, resolve, zeroed
from trainer.cli import main
from trainer.data import load_test_split
from trainer.evaluation import Stopped, evaluate
from trainer.inspection import FeatureProbe

from .commands import run_trainer
from .test_inside_view import ONE, SEVEN, TinyNet


def log_probs(model: nn.Module, image: np.ndarray) -> torch.Tensor:
    return FeatureProbe(model).run(image).probabilities


# ----- the hooks ----------------------------------------------------------------------------------------------
def test_a_switched_off_channel_reads_zero_downstream_changes_and_restoring_gives_the_exact_output_back(seed):
    switch = ChannelSwitch.for_model(seed)
    before = FeatureProbe(seed).run(SEVEN)
    hooks = switch.attach(seed)
    try:
        same = FeatureProbe(seed).run(SEVEN)  # attached, nothing off: untouched
        np.testing.assert_array_equal(same.probabilities, before.probabilities)
        switch.set_off("features.2", [5, 7])  # live: no re-attaching
        after = FeatureProbe(seed).run(SEVEN)
        # The block's maps (what its tiles show) are zero in those channels and no other.
        assert not after.maps[2][[5, 7]].any() and before.maps[2][[5, 7]].any()
        np.testing.assert_array_equal(after.maps[2][[0, 1, 2]], before.maps[2][[0, 1, 2]])
        np.testing.assert_array_equal(after.maps[1], before.maps[1])  # blocks before it are untouched
        assert np.abs(after.maps[3] - before.maps[3]).max() > 1e-3   # and the ones after it change
        assert np.abs(after.probabilities - before.probabilities).max() > 1e-4
        assert switch.toggle("features.2", 5) is False and switch.off("features.2") == (7,)
        switch.clear()
        np.testing.assert_array_equal(FeatureProbe(seed).run(SEVEN).probabilities, before.probabilities)
    finally:
        hooks.remove()
    switch.set_off("features.2", [5, 7])  # hooks removed: the switch no longer reaches the model
    np.testing.assert_array_equal(FeatureProbe(seed).run(SEVEN).probabilities, before.probabilities)


def test_zeroed_holds_its_hooks_for_the_with_block_only_and_gradients_still_pass(seed):
    whole = log_probs(seed, ONE)
    switch = resolve(["features.0:0-15"], seed)  # every channel of the first block: the net reads a blank
    with zeroed(seed, switch.hooked()):
        blind = log_probs(seed, ONE)
        blank = log_probs(seed, np.zeros((28, 28), np.float32))
        pixels = torch.as_tensor(ONE).reshape(1, 1, 28, 28).requires_grad_()
        seed(pixels)[0, 1].backward()
        assert pixels.grad is not None and not pixels.grad.any()  # nothing of the input gets through
    np.testing.assert_allclose(blind, blank, atol=1e-6)
    np.testing.assert_array_equal(log_probs(seed, ONE), whole)


def test_any_architecture_is_read_from_the_model():
    model = TinyNet().eval()
    switch = ChannelSwitch.for_model(model)
    blocks = [t.name for t in switch.targets.values() if t.block]
    assert blocks == ["stem", "head.0"] and switch.targets["stem"].channels == 4
    assert switch.targets["stem"].module == "stem.1"  # hooked at its last layer, the output its tiles show
    assert switch.targets["down"].channels == 6  # any layer with a map output can be named too
    torch.manual_seed(0)
    image = torch.rand(28, 28).numpy()
    before = FeatureProbe(model).run(image)
    with resolve(["stem:0-3"], model).attach(model):
        after = FeatureProbe(model).run(image)
    assert not after.maps[0].any() and before.maps[0].any()
    # With every map of the stem zero, the rest sees a constant input: each class's score is the bias path only.
    assert np.abs(after.probabilities - before.probabilities).max() > 1e-4


# ----- specs --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("features.2:5,7", ("features.2", [5, 7])),
    (" features.2 : 0-3, 9 ", ("features.2", [0, 1, 2, 3, 9])),
    ("stem:4", ("stem", [4])),
])
def test_specs_name_a_module_and_channels_or_ranges(text, expected):
    assert parse_spec(text) == expected


@pytest.mark.parametrize("text, said", [
    ("features.2", "cannot read"), ("features.2:", "cannot read"), (":5", "cannot read"),
    ("features.2:five", "'five' in 'features.2:five' is not a channel number"), ("features.2:7-5", "runs backwards"),
    ("features.2:0-99999999999", "no layer has a channel 99999999999"),  # refused before the range is listed
])
def test_a_malformed_spec_says_what_was_wrong_and_shows_the_form(text, said):
    with pytest.raises(AblationError) as error:
        parse_spec(text)
    assert said in str(error.value) and "e.g. features.2:5,7" in str(error.value)


def test_a_module_or_channel_the_model_lacks_is_refused_listing_the_valid_ones(seed):
    with pytest.raises(AblationError) as error:
        resolve(["feature.2:5"], seed)
    message = str(error.value)
    assert "no module 'feature.2'" in message
    for valid in ("features.0 (channels 0-15)", "features.2 (channels 0-31)", "classifier.0 (channels 0-9)"):
        assert valid in message
    with pytest.raises(AblationError, match=r"features.2 has 32 channels, numbered 0 to 31: no channel 32, 40"):
        resolve(["features.2:5,32,40"], seed)
    # Repeated for several modules (and twice for one: merged).
    switch = resolve(["features.6:1", "features.2:7", "features.2:5"], seed)
    assert switch.switched_off() == {"features.2": [5, 7], "features.6": [1]}  # in the model's order
    assert switch.describe() == "features.2: 5, 7; features.6: 1" and switch.count == 3


# ----- what it costs ------------------------------------------------------------------------------------------
def test_what_it_costs_is_the_accuracy_with_and_without_the_channels(seed, fake_dir):
    split = load_test_split(fake_dir, download=False)
    off = resolve(["features.5:0-15"], seed).hooked()  # the whole transition block: the net is lost
    cost = measure_cost(seed, split, off)
    assert cost.images == len(split) and cost.accuracy_all == evaluate(seed, split).accuracy
    with zeroed(seed, off):
        assert cost.accuracy_off == evaluate(seed, split).accuracy
    # (Fake digits: the seed reads them near chance, so only that the two passes differ, not which is higher.)
    assert cost.accuracy_off != cost.accuracy_all
    assert cost.points == pytest.approx(100 * (cost.accuracy_all - cost.accuracy_off))
    assert measure_cost(seed, split, off, accuracy_all=0.5).accuracy_all == 0.5  # known: not measured again
    stop = __import__("threading").Event()
    stop.set()
    with pytest.raises(Stopped):
        measure_cost(seed, split, off, stop=stop)
    assert not any(module._forward_hooks for module in seed.modules())  # a stop leaves no hook behind


# ----- trainer eval --ablate ----------------------------------------------------------------------------------
def test_eval_ablate_reports_both_accuracies_in_json(fake_dir, seed, capsys):
    status = main(["eval", str(builtin_checkpoint_path()), "--data-dir", fake_dir, "--no-download",
                   "--ablate", "features.2:5,7", "--ablate", "features.6:0-2", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    split = load_test_split(fake_dir, download=False)
    switch = resolve(["features.2:5,7", "features.6:0-2"], seed)
    with zeroed(seed, switch.hooked()):
        ablated = evaluate(seed, split)
    assert report["ablation"] == {"switched_off": {"features.2": [5, 7], "features.6": [0, 1, 2]},
                                  "accuracy_switched_off": pytest.approx(ablated.accuracy),
                                  "accuracy_all_on": pytest.approx(evaluate(seed, split).accuracy),
                                  "loss_all_on": pytest.approx(evaluate(seed, split).loss, rel=1e-5)}
    assert report["accuracy"] == pytest.approx(ablated.accuracy)  # every figure is the ablated net's
    assert report["confusion_matrix"] == ablated.confusion_matrix().tolist()


@pytest.mark.parametrize("args, said", [
    (["--ablate", "feature.2:5"], "valid: features.0 (channels 0-15)"),
    (["--ablate", "features.2:99"], "no channel 99"),
    (["--ablate", "features.2"], "cannot read 'features.2'"),
    (["--ablate", "features.2:1", "--robustness"], "not with --robustness"),
])
def test_eval_ablate_refuses_bad_specs_in_one_line(fake_dir, capsys, args, said):
    status = main(["eval", str(builtin_checkpoint_path()), "--data-dir", fake_dir, "--no-download", *args])
    err = capsys.readouterr().err
    assert status == 1 and err.startswith("trainer: error: ") and said in err and err.count("\n") == 1


@pytest.mark.slow
def test_eval_ablate_prints_both_accuracies_as_a_command(fake_dir):
    result = run_trainer("eval", str(builtin_checkpoint_path()), "--data-dir", fake_dir, "--no-download",
                         "--ablate", "features.5:0-15")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "switched off: features.5: 0, 1" in lines[1] and "(16 channels)" in lines[1]
    assert lines[2].startswith("test accuracy with them off ") and lines[3].startswith("with none off ")
    assert ("costs" in lines[3] or "gains" in lines[3]) and lines[3].endswith(" points")  # fake digits: near chance
