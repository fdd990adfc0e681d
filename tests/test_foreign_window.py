"""File > Open model with models made elsewhere, in the real window: pytorch/examples' MNIST Net as ONNX and
TorchScript, its input convention asked once (the dialog patched, as other window tests patch file dialogs) and
remembered, the pad reading with it, the inside view showing its maps or saying plainly what it cannot, the
Evaluate tab measuring it; a bad file leaves the model in use."""

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QMessageBox, QPushButton

import digitpad.window as window_module
from digitpad import open_model
from trainer.conventions import Convention, file_sha256, remembered

from .drawing import SEVEN
from .test_draw_tab import draw, error_boxes, shown
from .test_foreign_models import EXAMPLES, bad_files

TIMEOUT_MS = 120_000


@pytest.fixture
def answers(monkeypatch):
    """Patches the file dialog and the convention question; `answers.files` and `answers.conventions` are what
    they return in turn, `answers.asked` the files asked about."""
    class Answers:
        files, conventions, asked = [], [], []
    monkeypatch.setattr(window_module.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(Answers.files.pop(0)), "")))

    def ask(parent, name, fmt):
        Answers.asked.append(name)
        return Answers.conventions.pop(0)
    monkeypatch.setattr(open_model, "ask_convention", ask)
    return Answers


def open_via_menu(window, answers, path, convention=None):
    answers.files.append(path)
    if convention is not None:
        answers.conventions.append(convention)
    window.open_model_action.trigger()


def test_an_onnx_model_opens_from_the_menu_reads_the_pad_and_the_view_says_what_it_cannot_show(
        window, examples_models, answers, qtbot):
    path = examples_models["onnx"]
    open_via_menu(window, answers, path, EXAMPLES)
    assert answers.asked == [path.name] and window.predictor.is_foreign
    assert remembered(file_sha256(path)) == EXAMPLES
    label = window.findChild(QLabel, "modelLabel").text()
    assert "examples-net.onnx (ONNX)" in label and "MNIST-normalised" in label
    draw(window, SEVEN)
    assert shown(window)[0] == "7"
    inside = window.draw_tab.inside
    assert [row.title for row in inside.maps.blocks[1:]] == ["conv2d", "relu", "conv2d_1", "relu_1", "max_pool2d"]
    assert all(len(row.images) == row.channels for row in inside.maps.blocks[1:])
    note = inside.findChild(QLabel, "insideNote")
    assert note.isVisibleTo(inside) and "ONNX Runtime computes no gradients" in note.text()
    assert "Channels cannot be switched off" in note.text() and inside.switch is None
    assert not inside.ablation.isVisibleTo(inside)  # no "click a tile to switch it off" beside that note
    inside.toggle_channel(1, 0)  # a click on a tile: kept enlarged, nothing switched off, the reading the same
    assert not inside.maps.off and shown(window)[0] == "7"
    assert "no live map" in inside.findChild(QLabel, "saliencyCaption").text()
    assert not inside.findChild(QPushButton, "integratedGradients").isEnabled()
    assert inside.findChild(QPushButton, "occlusion").isEnabled()
    assert not window.export_action.isEnabled() and window.convention_action.isEnabled()
    qtbot.waitUntil(lambda: "not shown" in window.findChild(QLabel, "exampleMessage").text(), timeout=5000)

    open_via_menu(window, answers, path)  # opened again: remembered, not asked
    assert answers.asked == [path.name] and window.predictor.is_foreign
    assert window.reset_model() and inside.ablation.isVisibleTo(inside)  # a digitpad net: switching again


def test_a_torchscript_model_shows_its_convolutions_maps_and_live_saliency(window, examples_models, answers):
    open_via_menu(window, answers, examples_models["torchscript"], EXAMPLES)
    draw(window, SEVEN)
    assert shown(window)[0] == "7"
    inside = window.draw_tab.inside
    assert [(row.title, row.channels) for row in inside.maps.blocks[1:]] == [("conv1", 32), ("conv2", 64)]
    assert inside.activations.maps[1].shape == (64, 24, 24) and inside.activations.digit == 7
    saliency = inside.saliency
    assert saliency.method == "saliency" and saliency.attribution is not None and saliency.attribution.max() > 0
    methods = inside.findChild(QComboBox, "saliencyMethod")
    assert not methods.model().item(methods.findData("gradcam")).isEnabled()
    assert "Grad-CAM does not" in inside.findChild(QLabel, "insideNote").text()


def test_the_evaluate_tab_measures_a_foreign_model(window, examples_models, answers, mnist, qtbot):
    open_via_menu(window, answers, examples_models["onnx"], EXAMPLES)
    tab = window.evaluate_tab
    _, test = mnist
    with qtbot.waitSignal(tab.evaluationDone, timeout=TIMEOUT_MS):
        assert tab.evaluate_set(test.images[:2000], test.labels[:2000], "2,000 MNIST test digits")
    accuracy = float(tab.findChild(QLabel, "evalAccuracy").text().rstrip("%"))
    assert accuracy > 90
    assert "examples-net.onnx" in tab.findChild(QLabel, "evalModel").text()
    assert "No map of the digits" in tab.points_map.note.text()


def test_bad_files_and_a_cancelled_question_leave_the_model_in_use(window, examples_models, answers, tmp_path):
    draw(window, SEVEN)
    before, label = window.predictor, window.findChild(QLabel, "modelLabel").text()
    for path, words in bad_files(tmp_path):
        open_via_menu(window, answers, path, EXAMPLES)
        [box] = error_boxes(window)
        assert box.text() == "Could not open the model" and words in box.informativeText()
        box.accept()
        assert window.predictor is before and window.draw_tab.predictor is before
    answers.conventions[:] = [None]  # the question cancelled
    open_via_menu(window, answers, examples_models["export"])
    assert window.predictor is before and not error_boxes(window)
    assert window.findChild(QLabel, "modelLabel").text() == label and shown(window)[0] == "7"
    assert not (tmp_path / "pwned").exists()


def test_the_convention_can_be_asked_again_from_the_menu(window, examples_models, answers):
    path = examples_models["torchscript"]
    open_via_menu(window, answers, path, EXAMPLES)
    draw(window, SEVEN)
    answers.conventions.append(Convention("mnist", "dark"))
    window.convention_action.trigger()
    assert window.predictor.model.convention == Convention("mnist", "dark")
    assert remembered(file_sha256(path)) == Convention("mnist", "dark") and len(answers.asked) == 2
    assert shown(window)[0] != "7"  # read as dark ink on a bright page, the drawing is no longer a 7


def test_the_convention_dialog_offers_the_ranges_and_inks(qtbot, window):
    chosen = []

    def answer():
        dialog = window.findChild(QDialog, "conventionDialog")
        dialog.findChild(QComboBox, "inputRange").setCurrentIndex(2)
        dialog.findChild(QComboBox, "inkChoice").setCurrentIndex(1)
        buttons = dialog.findChild(QDialogButtonBox, "conventionButtons")
        qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    QTimer.singleShot(100, answer)
    chosen.append(open_model.ask_convention(window, "model.onnx", "onnx"))
    assert chosen == [Convention("symmetric", "dark")]
    QTimer.singleShot(100, lambda: window.findChild(QDialog, "conventionDialog").reject())
    assert open_model.ask_convention(window, "model.onnx", "onnx") is None


def test_a_missing_onnx_runtime_is_named_before_anything_is_asked(window, examples_models, answers, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    before = window.predictor
    open_via_menu(window, answers, examples_models["onnx"])
    [box] = error_boxes(window)
    assert "pip install onnxruntime" in box.informativeText() and answers.asked == []
    assert window.predictor is before
    assert isinstance(box, QMessageBox)


@pytest.fixture
def ready_set(tmp_path, monkeypatch):
    """A handwriting set with enough samples to fine-tune on, named before the window is made."""
    from .personal_samples import write_personal_set

    folder = tmp_path / "personal"
    monkeypatch.setenv("DIGITPAD_PERSONAL", str(folder))
    return write_personal_set(folder, per_digit=2)


def test_a_foreign_model_reads_the_handwriting_set_but_is_not_fine_tuned(ready_set, window, examples_models,
                                                                          answers, qtbot):
    open_via_menu(window, answers, examples_models["torchscript"], EXAMPLES)
    tab = window.handwriting_tab
    with qtbot.waitSignal(tab.setShown, timeout=TIMEOUT_MS):
        window.tabs.setCurrentWidget(tab)
    assert "examples-net.pt" in tab.findChild(QLabel, "setAccuracy").text()
    assert not tab.findChild(QPushButton, "finetune").isEnabled()
    assert "cannot be fine-tuned" in tab.findChild(QLabel, "finetuneHint").text()
