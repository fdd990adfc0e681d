"""The inside view: blocks read from any model, feature maps that follow the input, saliency per digit (Captum),
tiles that enlarge; and the confidence bars' click that will pick the digit to explain."""

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton, QWidget
from torch import nn

from digitpad import builtin_checkpoint_path
from digitpad.draw.confidence import ROW_HEIGHT, ConfidenceBars
from digitpad.inside.view import InsideView
from trainer.attribution import LIVE_METHODS, METHODS, attribute
from trainer.checkpoint import load_checkpoint
from trainer.cli.info import print_layers
from trainer.data import normalize
from trainer.inspection import FeatureProbe, conv_blocks, first_filters, take_snapshot
from trainer.model import build_model, layer_table


def stroke_picture(*segments) -> np.ndarray:
    """A 28x28 [0, 1] picture with thick straight strokes between (row, column) points, like MNIST's digits."""
    image = np.zeros((28, 28), np.float32)
    for (r0, c0), (r1, c1) in segments:
        for t in np.linspace(0, 1, 60):
            r, c = round(r0 + (r1 - r0) * t), round(c0 + (c1 - c0) * t)
            image[max(0, r - 1):r + 2, max(0, c - 1):c + 2] = 1.0
    return image


ONE = stroke_picture(((5, 14), (22, 14)))
SEVEN = stroke_picture(((6, 8), (6, 20)), ((6, 20), (22, 11)))


class TinyNet(nn.Module):
    """Another architecture than the seed Net: 5x5 then strided 3x3 convolutions and a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU())
        self.down = nn.Conv2d(4, 6, 3, stride=2)
        self.head = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 10),
                                  nn.LogSoftmax(dim=1))

    def forward(self, x):
        return self.head(self.down(self.stem(x)))


@pytest.fixture
def view(qtbot, seed):
    view = InsideView()
    qtbot.addWidget(view)
    view.resize(440, 900)
    view.show()
    view.set_model(seed)
    return view


def tile_bytes(view: InsideView, block: int, channel: int) -> bytes:
    image = view.maps.blocks[block].images[channel]
    return bytes(image.constBits())


# ----- the pure part: trainer.inspection and trainer.attribution ----------------------------------------------
def test_blocks_are_read_from_the_model_with_the_layer_tables_shapes_and_receptive_fields(seed):
    blocks = conv_blocks(seed)
    table = {row["name"]: row for row in layer_table(seed)}
    # Each named by the module whose output its maps are: the 1x1 convolution's block ends in the pooling.
    assert [b.name for b in blocks] == ["features.0", "features.1", "features.2", "features.5", "features.6",
                                        "features.7", "features.8", "classifier.0"]
    for block in blocks:
        last = table[block.layers[-1]]
        assert block.output == last["output"] and block.receptive_field == last["receptive_field"]
        assert table[block.layers[0]]["layer"] == "Conv2d"
    assert blocks[3].kinds == ("Conv2d", "ReLU", "MaxPool2d") and blocks[3].output == (16, 11, 11)

    tiny = conv_blocks(TinyNet())
    assert [(b.name, b.output, b.receptive_field) for b in tiny] == [("stem", (4, 24, 24), 5),
                                                                     ("head.0", (6, 11, 11), 7)]


@pytest.mark.parametrize("model", [build_model(dropout=0.0), build_model(dropout=0.1), TinyNet()],
                         ids=["seed", "seed with dropout", "another architecture"])
def test_every_block_is_named_as_trainer_info_names_the_module_of_that_shape(model, capsys):
    print_layers(model)
    table = {}
    for line in capsys.readouterr().out.splitlines()[1:-1]:
        name, _kind, shape = line.split()[:3]
        table[name] = shape
    blocks = conv_blocks(model.eval())
    assert blocks
    for block in blocks:
        assert table[block.name] == "x".join(map(str, block.output)), block.name
    snapshot = take_snapshot(model, 0, SEVEN)  # the Train tab's caption names the first block the same way
    assert snapshot.block.startswith(f"{blocks[0].name} ({table[blocks[0].name]},")


def test_the_probe_returns_each_blocks_maps_and_the_models_own_probabilities(seed):
    probe = FeatureProbe(seed)
    one, seven = probe.run(ONE), probe.run(SEVEN)
    assert [m.shape for m in one.maps] == [b.output for b in probe.blocks]
    with torch.no_grad():
        expected = seed(normalize(torch.from_numpy(SEVEN))[None, None]).exp()[0].numpy()
    assert np.allclose(seven.probabilities, expected, atol=1e-5) and seven.digit == 7
    assert not np.allclose(one.maps[0], seven.maps[0])
    assert not seed.features[0][0]._forward_hooks  # the hooks are gone after the pass


def test_snapshots_hold_the_first_filters_and_the_first_blocks_maps(seed):
    snapshot = take_snapshot(seed, 3, SEVEN)
    assert snapshot.epoch == 3 and snapshot.filters.shape == (16, 3, 3) and snapshot.maps.shape == (16, 26, 26)
    assert np.array_equal(snapshot.filters, seed.features[0][0].weight.detach()[:, 0].numpy())
    assert np.array_equal(first_filters(TinyNet().eval()).shape, (4, 5, 5))


def test_attributions_differ_between_digits_and_every_method_gives_a_28x28_map(seed):
    assert set(LIVE_METHODS) == {"saliency", "gradcam"}
    for method in METHODS:
        for_seven, for_one = attribute(seed, SEVEN, 7, method), attribute(seed, SEVEN, 1, method)
        assert for_seven.shape == (28, 28) and np.isfinite(for_seven).all(), method
        assert not np.allclose(for_seven, for_one), method
    with pytest.raises(ValueError, match="unknown attribution method"):
        attribute(seed, SEVEN, 7, "lime")


def test_saliency_of_a_sure_answer_is_not_washed_out_by_the_softmax(seed):
    # The net is sure of this 7; the gradient of its log-probability would be ~0 everywhere. Scores are explained.
    saliency = attribute(seed, SEVEN, 7, "saliency")
    assert saliency.max() > 1e-2 and saliency[SEVEN > 0].mean() > saliency[SEVEN == 0].mean()


# ----- the widget -----------------------------------------------------------------------------------------------
def test_tiles_per_block_match_the_models_channels_for_any_model(view, seed, qtbot):
    assert view.objectName() == "insideView"
    rows = view.maps.blocks
    assert [row.channels for row in rows] == [1] + [b.output[0] for b in conv_blocks(seed)]
    assert rows[1].title == "features.0" and "16 × 26×26" in rows[1].detail and "RF 3×3" in rows[1].detail
    assert rows[-1].tile_labels == [str(d) for d in range(10)]  # the class maps: one per digit
    view.set_model(TinyNet().eval())
    assert [row.channels for row in view.maps.blocks] == [1, 4, 6]
    assert view.block_count() == 2 and view.maps.blocks[2].tile_labels is None


def test_the_view_changes_when_the_input_changes(view, qtbot):
    with qtbot.waitSignal(view.updated, timeout=1000):
        view.show_input(ONE)
    first = [tile_bytes(view, 2, c) for c in range(16)]
    first_saliency = view.saliency.attribution.copy()
    assert view.activations.digit == 1
    view.show_input(SEVEN)
    assert view.activations.digit == 7
    assert [tile_bytes(view, 2, c) for c in range(16)] != first
    assert not np.allclose(view.saliency.attribution, first_saliency)
    view.show_input(None)
    assert view.saliency.attribution is None and all(not row.images for row in view.maps.blocks)


def test_the_caller_s_model_is_never_hooked_or_changed(seed, qtbot):
    model = load_checkpoint(builtin_checkpoint_path()).model
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    view = InsideView()
    qtbot.addWidget(view)
    view.set_model(model)
    view.show_input(SEVEN)
    assert view.model is not model
    assert all(not module._forward_hooks for module in model.modules())
    assert all(torch.equal(before[name], tensor) for name, tensor in model.state_dict().items())


def test_saliency_differs_for_another_digit_and_says_which_method_and_digit(view, qtbot):
    saliency = view.findChild(QWidget, "saliency")
    assert saliency is view.saliency
    view.show_input(SEVEN)
    assert saliency.method == "saliency" and saliency.shown_target == 7
    assert "Gradient saliency" in saliency.caption.text() and "7, the net's answer" in saliency.caption.text()
    for_seven = saliency.attribution.copy()
    view.set_target(3)
    assert saliency.shown_target == 3 and "3 (picked; the answer is 7)" in saliency.caption.text()
    assert not np.allclose(saliency.attribution, for_seven)
    view.show_input(ONE)  # the picked digit stays picked while the drawing changes
    assert saliency.shown_target == 3
    view.set_target(None)
    assert saliency.shown_target == 1
    saliency.set_live_method("gradcam")
    assert saliency.method == "gradcam" and "Grad-CAM" in saliency.caption.text()


def test_slower_methods_run_on_request_and_give_way_to_the_live_one_on_new_input(view, qtbot):
    view.show_input(SEVEN)
    button = view.findChild(QPushButton, "integratedGradients")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert "computing" in view.saliency.caption.text()
    qtbot.waitUntil(lambda: view.saliency.method == "integrated_gradients", timeout=10_000)
    assert "Integrated Gradients" in view.saliency.caption.text() and "on request" in view.saliency.caption.text()
    assert np.allclose(view.saliency.attribution, attribute(view.model, SEVEN, 7, "integrated_gradients"), atol=1e-5)
    with qtbot.waitSignal(view.saliency._relay.finished, timeout=10_000):  # Occlusion's result comes back...
        qtbot.mouseClick(view.findChild(QPushButton, "occlusion"), Qt.MouseButton.LeftButton)
        view.show_input(ONE)  # ...after the drawing changed: it belongs to the old drawing and is dropped
    assert view.saliency.method == "saliency" and view.saliency.shown_target == 1


def test_the_enlarged_tiles_box_says_what_it_is_for_before_any_tile_is_hovered(view, qtbot):
    bare = InsideView()  # no model yet, nothing drawn
    qtbot.addWidget(bare)
    for shown in (bare, view):
        assert "tile" in shown.enlarged.title.text(), shown.enlarged.title.text()
    view.show_input(SEVEN)
    view.show_input(None)  # the canvas cleared
    assert "tile" in view.enlarged.title.text()


def test_hovering_a_tile_enlarges_it_with_its_channel_and_range_and_a_right_click_keeps_it(view, qtbot):
    view.show_input(SEVEN)
    rect = view.maps.tile_rect(3, 5)
    qtbot.mouseMove(view.maps, rect.center())
    qtbot.waitUntil(lambda: "channel 5 of 32" in view.enlarged.title.text())
    values = view.activations.maps[2][5]
    assert f"{values.min():.3g} to {values.max():.3g}" in view.enlarged.range.text()
    # A right click: a left click switches the channel off (test_ablation_window.py).
    qtbot.mouseClick(view.maps, Qt.MouseButton.RightButton, pos=view.maps.tile_rect(8, 7).center())
    assert view.maps.selected == (8, 7) and "classifier.0, channel 7 of 10 (digit 7)" in view.enlarged.title.text()
    assert not view.switch.active
    qtbot.mouseMove(view.maps, QPoint(1, view.maps.height() - 1))  # away from the tiles: the kept one returns
    assert "classifier.0, channel 7" in view.enlarged.title.text()
    view.show_input(ONE)  # the kept tile follows the input
    values = view.activations.maps[7][7]
    assert f"{values.min():.3g} to {values.max():.3g}" in view.enlarged.range.text()


# ----- the confidence bars ------------------------------------------------------------------------------------
def test_clicking_a_confidence_row_signals_its_digit(qtbot):
    bars = ConfidenceBars()
    qtbot.addWidget(bars)
    bars.resize(260, ROW_HEIGHT * 10)
    bars.show()
    for digit in (0, 3, 9):
        with qtbot.waitSignal(bars.digitClicked, timeout=1000) as signal:
            qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=QPoint(100, digit * ROW_HEIGHT + ROW_HEIGHT // 2))
        assert signal.args == [digit]
    with qtbot.assertNotEmitted(bars.digitClicked):
        qtbot.mouseClick(bars, Qt.MouseButton.RightButton, pos=QPoint(100, 5))
