"""Every architecture in trainer.model.MODELS goes through every view: the inside view's blocks and maps, the
features the nearest examples and the points map read, saliency, ONNX export, checkpoints, the Predictor; the
Train tab trains the one chosen; `trainer info` lists them all; the new ones open in the real window."""

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSpinBox

from digitpad.draw.canvas import DrawingCanvas
from digitpad.reading.predictor import Predictor
from digitpad.train.tab import TrainTab
from trainer.ablation import ChannelSwitch, zeroed
from trainer.attribution import LIVE_METHODS, attribute
from trainer.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from trainer.cli import main
from trainer.config import EpochEnd, TrainConfig
from trainer.data import load_mnist, normalize
from trainer.export import export_onnx
from trainer.features import feature_layers, last_layer, layer_features
from trainer.inspection import FeatureProbe, conv_blocks, first_filters
from trainer.model import DEFAULT_MODEL, MODELS, architecture_parameters, build_model, count_parameters
from trainer.neighbour_store import training_digits
from trainer.robustness import robustness_curves

from .drawing import drag, line
from .test_inside_view import ONE, SEVEN

HISTORY = [EpochEnd(1, 0.5, 0.9, 0.2, 0.95, 0.01, 3.0)]
NEW = [name for name in MODELS if name != DEFAULT_MODEL]


def trained_a_little(name: str) -> torch.nn.Module:
    """The model with BatchNorm statistics of real-looking input (a few forward passes in train mode), so that
    its maps and scores are not those of a fresh init's identity statistics."""
    torch.manual_seed(0)
    model = build_model(name)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(normalize(torch.from_numpy(np.stack([ONE, SEVEN] * 4))[:, None]))
    return model.eval()


def test_the_sizes_the_issue_asks_for():
    assert set(MODELS) >= {"seed", "tiny", "wide"}
    assert count_parameters(build_model("seed")) == 17_504
    assert count_parameters(build_model("tiny")) <= 5_000
    assert 90_000 <= count_parameters(build_model("wide")) <= 110_000
    # What the Train tab and `trainer info` show, counted on the meta device: the same as a built model's.
    assert all(architecture_parameters(name) == count_parameters(build_model(name)) for name in MODELS)


@pytest.mark.parametrize("name", list(MODELS))
def test_the_inside_view_and_the_features_read_each_models_own_layers(name):
    model = trained_a_little(name)
    blocks = conv_blocks(model)
    assert len(blocks) >= 3 and blocks[0].kinds[0] == "Conv2d"
    seven = FeatureProbe(model).run(SEVEN)
    assert [maps.shape for maps in seven.maps] == [block.output for block in blocks]
    with torch.no_grad():
        expected = model(normalize(torch.from_numpy(SEVEN))[None, None]).exp()[0].numpy()
    assert np.allclose(seven.probabilities, expected, atol=1e-5)
    assert first_filters(model).shape == (blocks[0].channels, 3, 3)
    # The nearest examples read the last block before the classifier: read from the model, never "features.8".
    last = last_layer(model)
    assert last == blocks[-2].name and blocks[-1].channels == 10 and last in feature_layers(model)
    pictures = torch.from_numpy(np.stack([ONE, SEVEN]))[:, None]
    features = layer_features(model, pictures)
    with torch.no_grad():  # ...which is what the classifier reads
        assert torch.allclose(features, model.features(normalize(pictures)).flatten(1), atol=1e-6)
    assert features.shape == (2, int(np.prod(blocks[-2].output)))
    assert not torch.allclose(features[0], features[1])
    # Switching channels off (the inside view's tiles, `trainer eval --ablate`) reads the same blocks: with every
    # channel of the last feature block off, the classifier (no bias) sees zeros and every digit gets 10%.
    switch = ChannelSwitch.for_model(model)
    switch.set_off(last, range(blocks[-2].channels))
    with zeroed(model, switch.hooked()), torch.no_grad():
        off = model(normalize(torch.from_numpy(SEVEN))[None, None]).exp()[0]
    assert torch.allclose(off, torch.full((10,), 0.1), atol=1e-6)
    for method in LIVE_METHODS:  # Grad-CAM's layer is the last block's, read from the model
        heat = attribute(model, SEVEN, 7, method)
        assert heat.shape == (28, 28) and np.isfinite(heat).all()
    assert attribute(model, SEVEN, 7, "saliency").max() > 0


def test_the_tiny_nets_depthwise_halves_say_so_in_the_inside_view():
    depthwise = [block for block in conv_blocks(build_model("tiny")) if "depthwise" in block.describe()]
    assert len(depthwise) == 5 and all(block.groups == block.channels for block in depthwise)
    assert not any("depthwise" in block.describe() for block in conv_blocks(build_model("seed")))


@pytest.mark.slow  # the robustness curves: 1-4 s
@pytest.mark.parametrize("name", list(MODELS))
def test_nearest_examples_and_robustness_work_on_each_model(name, fake_mnist):
    model = trained_a_little(name)
    folder = fake_mnist(64, 32)
    train, test = load_mnist(folder, download=False)
    index = training_digits(model, folder)
    blocks = conv_blocks(model)
    assert index.layer == last_layer(model) and index.dimensions == int(np.prod(blocks[-2].output))
    nearest = index.nearest_to_pictures(model, train.images[5:6, 0].numpy(), 3)[0]
    assert nearest[0].index == 5 and nearest[0].distance < 1e-2 * nearest[1].distance + 1e-3  # itself, first
    curves = robustness_curves([model], [0.9], test.images[:16], test.labels[:16])
    assert curves.points and all(0 <= point.accuracy <= 1 for point in curves.points)


@pytest.mark.parametrize("name", list(MODELS))
def test_each_model_saves_loads_and_reads_a_drawn_digit_through_the_predictor(name, tmp_path):
    model = trained_a_little(name)
    path = save_checkpoint(tmp_path / f"{name}.pt", model, TrainConfig(model=name), HISTORY)
    checkpoint = load_checkpoint(path)
    assert checkpoint.meta["model"] == name and type(checkpoint.model) is MODELS[name]
    for key, tensor in model.state_dict().items():
        assert torch.equal(checkpoint.model.state_dict()[key], tensor), key
    predictor = Predictor.load(path)
    assert f"({name})" in predictor.description() and f"{count_parameters(model):,} parameters" in \
        predictor.description()
    seven = [[(0.25, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.45, 0.85)]]  # a 7 as the pad's strokes
    reading = predictor.read_strokes(seven, 0.05)
    assert len(reading.digits) == 1
    digit = reading.digits[0]
    with torch.no_grad():  # the reading is the model's own answer for the picture it read
        expected = model(normalize(torch.from_numpy(digit.image.astype(np.float32)))[None, None]).exp()[0]
    assert np.allclose(digit.probabilities, expected.double().numpy(), atol=1e-5)
    assert digit.image.max() > 0.5


@pytest.mark.slow  # the export traces the model: 2-10 s
@pytest.mark.parametrize("name", list(MODELS))
def test_each_model_exports_to_onnx_and_onnx_runtime_agrees(name, tmp_path):
    import onnxruntime  # a base dependency: never skipped

    model = trained_a_little(name)
    images = torch.from_numpy(np.stack([ONE, SEVEN, ONE.T.copy()]))[:, None]
    result = export_onnx(model, tmp_path / f"{name}.onnx", images, {"model": name})
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    ours = session.run(None, {session.get_inputs()[0].name: normalize(images).numpy()})[0]
    with torch.no_grad():
        theirs = model(normalize(images)).numpy()
    assert ours.shape == (3, 10) and np.abs(ours - theirs).max() <= 1e-4


def test_a_checkpoint_of_a_model_this_version_does_not_know_is_refused_by_name(tmp_path):
    path = save_checkpoint(tmp_path / "tiny.pt", build_model("tiny"), TrainConfig(model="tiny"), HISTORY)
    payload = torch.load(path, weights_only=True)
    payload["meta"]["model"] = "tinier"
    del payload["meta_sha256"]  # as a file from another version would be: the name is checked first anyway
    torch.save(payload, tmp_path / "tinier.pt")
    with pytest.raises(CheckpointError, match=r"model named 'tinier'.*does not know.*seed, tiny, wide"):
        load_checkpoint(tmp_path / "tinier.pt")


def test_trainer_info_lists_every_model_and_shows_one_s_layers(capsys):
    assert main(["info"]) == 0
    listing = capsys.readouterr().out
    for name in MODELS:
        assert f"{count_parameters(build_model(name)):,} parameters" in listing
        assert f"  {name}" in listing
    assert "total trainable parameters: 17,504" in listing  # then the default's table, as before
    assert main(["info", "--model", "tiny"]) == 0
    table = capsys.readouterr().out
    assert f"total trainable parameters: {count_parameters(build_model('tiny')):,}" in table
    assert "features.6.0" in table and "26x5x5" in table and "17,504" not in table


@pytest.mark.slow  # a run of 1 epoch
def test_trainer_train_trains_the_model_named(tmp_path, fake_dir):
    out = tmp_path / "tiny.pt"
    assert main(["train", "--model", "tiny", "--epochs", "1", "--outlier-batch", "0", "--data-dir", fake_dir,
                 "--no-download", "--out", str(out)]) == 0
    checkpoint = load_checkpoint(out)
    assert checkpoint.meta["model"] == "tiny" and count_parameters(checkpoint.model) == 4_896
    settings = checkpoint.meta["settings"]  # the tiny net's own recipe (trainer.config.MODEL_RECIPES)
    assert settings["weight_decay"] == 5e-5 and settings["plain_final_epochs"] == 0  # a 1-epoch try augments


def test_a_models_recipe_is_its_defaults_and_what_is_given_still_wins():
    from trainer.cli import build_parser
    from trainer.cli.train import config_from

    def config(*words):
        return config_from(build_parser().parse_args(["train", *words]))

    assert (config().weight_decay, config().plain_final_epochs) == (1e-4, 0)  # the seed Net: the defaults
    assert (config("--model", "wide").weight_decay, config("--model", "wide").plain_final_epochs) == (1e-4, 0)
    tiny = config("--model", "tiny")
    assert (tiny.weight_decay, tiny.plain_final_epochs) == (5e-5, 3)
    given = config("--model", "tiny", "--weight-decay", "0.001", "--plain-final-epochs", "0")
    assert (given.weight_decay, given.plain_final_epochs) == (0.001, 0)
    # Its plain epochs are a 20-epoch run's: one for every five epochs of a shorter run, so a short try augments.
    assert [TrainConfig.for_model("tiny", epochs=n).plain_final_epochs for n in (1, 4, 5, 12, 20, 40)] == [
        0, 0, 1, 2, 3, 3]
    assert TrainConfig.for_model("tiny", epochs=2) == TrainConfig(model="tiny", epochs=2, weight_decay=5e-5)
    assert config("--model", "tiny", "--epochs", "3").plain_final_epochs == 0


# ----- in the window ---------------------------------------------------------------------------------------------
@pytest.mark.slow  # a run of 1 epoch
def test_the_train_tab_trains_the_model_chosen(qtbot, fake_dir_512):
    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.resize(1200, 820)
    tab.show()
    choice = tab.findChild(QComboBox, "modelChoice")
    assert [choice.itemData(i) for i in range(choice.count())] == list(MODELS)
    assert choice.currentData() == DEFAULT_MODEL and "17,504 parameters" in tab.run_panel.status.text()
    choice.setCurrentIndex(choice.findData("tiny"))
    assert "tiny net (4,896 parameters)" in tab.run_panel.status.text()
    tab.findChild(QSpinBox, "epochs").setValue(1)
    tab.settings.dataDir.setText(fake_dir_512)
    try:
        with qtbot.waitSignal(tab.runFinished, timeout=90_000):
            qtbot.mouseClick(tab.findChild(QPushButton, "start"), Qt.LeftButton)
        assert tab.last_error is None
        checkpoint = load_checkpoint(tab.last_result.checkpoint)
        assert checkpoint.meta["model"] == "tiny" and type(checkpoint.model) is MODELS["tiny"]
        assert checkpoint.meta["settings"]["weight_decay"] == 5e-5  # its own recipe, as `trainer train` gives it
        snapshot = tab.filters.snapshots[-1]  # the filter view shows the tiny net's first filters: 16 of them
        assert snapshot.filters.shape == (16, 3, 3)
        assert np.array_equal(snapshot.filters, checkpoint.model.features[0][0].weight.detach()[:, 0].numpy())
    finally:
        tab.shutdown()


@pytest.mark.slow  # an evaluation in the window: 2 s
@pytest.mark.parametrize("name", NEW)
def test_a_new_model_opens_in_the_window_with_its_inside_view_and_evaluation(name, window, qtbot, tmp_path,
                                                                             fake_mnist):
    from .test_evaluate_tab import run

    model = trained_a_little(name)
    path = save_checkpoint(tmp_path / f"{name}.pt", model, TrainConfig(model=name), HISTORY)
    assert window.use_model(path)
    assert f"({name})" in window.findChild(QLabel, "modelLabel").text()
    canvas = window.findChild(DrawingCanvas, "canvas")
    drag(canvas, line((0.5, 0.15), (0.5, 0.85)))
    inside = window.draw_tab.inside
    qtbot.waitUntil(lambda: inside.activations is not None, timeout=5000)
    blocks = conv_blocks(model)
    assert inside.block_count() == len(blocks)
    assert [maps.shape for maps in inside.activations.maps] == [block.output for block in blocks]
    assert [len(row.images) for row in inside.maps.blocks[1:]] == [block.channels for block in blocks]
    inside.grab().save(f"/tmp/inside-{name}.png")

    tab = window.evaluate_tab
    window.train_tab.settings.dataDir.setText(str(fake_mnist(16, 300, seed=3)))
    window.tabs.setCurrentWidget(tab)
    run(tab, qtbot)
    assert tab.report is not None and len(tab.report.split.images) == 300
    layers = tab.findChild(QComboBox, "mapLayer")
    offered = [layers.itemData(i) for i in range(layers.count())]
    assert offered == feature_layers(model)
    assert f"({last_layer(model)}), the last" in layers.itemText(offered.index(last_layer(model)))
