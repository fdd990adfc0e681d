"""Learning a person's handwriting in the window: digit keys on the canvas save samples (Undo takes a save back,
Ctrl+Z stays "undo stroke"), the "My handwriting" tab lists them with the model's mistakes, deletes and restores
them, and fine-tunes in a worker thread, after which one click hot-swaps the Draw tab's model and one more brings
the built-in one back."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton

from digitpad import builtin_checkpoint_path
from digitpad.draw.canvas import DrawingCanvas
from trainer.checkpoint import load_checkpoint
from trainer.finetune import PhaseStarted
from trainer.paths import models_dir
from trainer.personal_set import PersonalSet

from .drawing import ONE, SEVEN, drag, line
from .personal_samples import write_personal_set


@pytest.fixture
def personal_dir(tmp_path, monkeypatch):
    folder = tmp_path / "personal"
    monkeypatch.setenv("DIGITPAD_PERSONAL", str(folder))
    return folder


@pytest.fixture
def window(personal_dir, window):  # the shared window, made once $DIGITPAD_PERSONAL names this test's set
    assert window.personal_set.folder == personal_dir
    return window


def files(folder, digit):
    return sorted((folder / str(digit)).glob("*.png"))


def test_a_digit_key_saves_the_drawing_as_a_sample_and_clears_the_canvas(window, personal_dir, qtbot):
    canvas = window.findChild(DrawingCanvas, "canvas")
    for stroke in SEVEN:
        drag(canvas, stroke)
    QTest.keyClick(canvas, Qt.Key.Key_7)
    saved = files(personal_dir, 7)
    assert len(saved) == 1 and canvas.is_empty()
    message = window.findChild(QLabel, "saveMessage")
    assert message.isVisible() and message.text().startswith("saved as a 7")
    qtbot.waitUntil(lambda: message.text() == "saved as a 7 — 1 sample of 7")  # counted in a thread
    assert PersonalSet(personal_dir).load().images.shape == (1, 28, 28)

    for stroke in SEVEN:
        drag(canvas, stroke)
    drawn = canvas.strokes()
    QTest.keyClick(canvas, Qt.Key.Key_7)
    qtbot.waitUntil(lambda: message.text() == "saved as a 7 — 2 samples of 7")
    undo = window.findChild(QPushButton, "undoSave")
    assert undo.isVisible()
    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)
    assert len(files(personal_dir, 7)) == 1
    qtbot.waitUntil(lambda: message.text() == "took back the 7 — 1 sample of 7")
    assert canvas.strokes() == drawn  # the drawing is back, as strokes: typing the right digit saves it again
    QTest.keyClick(canvas, Qt.Key.Key_1)
    assert len(files(personal_dir, 1)) == 1 and len(files(personal_dir, 7)) == 1


@pytest.mark.parametrize("strokes", [SEVEN, ONE], ids=["seven", "one"])
def test_a_saved_drawing_reads_back_as_the_live_pad_read_it(window, personal_dir, strokes):
    """The sample is the picture the pad read, not another rendering of the drawing: fine-tuning learns, and the
    My handwriting tab measures, what the live pad really reads."""
    canvas = window.findChild(DrawingCanvas, "canvas")
    canvas.pen_width = 0.06  # a bolder pen than the default: the canvas's own raster differs more from the redraw
    for stroke in strokes:
        drag(canvas, stroke)
    window.draw_tab.predict_now()
    live = window.draw_tab.reading.digits
    assert len(live) == 1
    QTest.keyClick(canvas, Qt.Key.Key_3)
    saved = PersonalSet(personal_dir).load()
    assert len(saved) == 1 and saved.paths[0].parent.name == "3"
    assert np.abs(saved.images[0] - live[0].image).max() < 1e-4
    read_back = window.predictor.probabilities(saved.images)[0]
    assert np.abs(read_back - np.array(live[0].probabilities)).max() < 1e-3


def test_a_drawing_the_pad_reads_as_two_pieces_is_saved_as_one_digit_redrawn_as_the_pad_redraws(window,
                                                                                               personal_dir):
    from trainer.ink.redraw import drawing_field

    canvas = window.findChild(DrawingCanvas, "canvas")
    for stroke in [line((0.1, 0.5), (0.3, 0.5)), line((0.55, 0.25), (0.6, 0.85))]:  # a dash, then a 1
        drag(canvas, stroke)
    window.draw_tab.predict_now()
    assert len(window.draw_tab.reading.digits) == 2
    expected = drawing_field(canvas.strokes(), canvas.pen_width)
    QTest.keyClick(canvas, Qt.Key.Key_4)
    saved = PersonalSet(personal_dir).load()
    assert len(saved) == 1 and np.abs(saved.images[0] - expected).max() < 1e-4
    # all of the ink, not one of the pieces: the dash's columns are in the picture too
    assert saved.images[0][:, :8].max() > 0.5 or saved.images[0][:, -8:].max() > 0.5


def test_samples_saved_before_are_still_read_through_preprocess(personal_dir):
    from trainer.ink.preprocess import preprocess

    grey = np.zeros((200, 200), np.float32)
    grey[40:160, 95:105] = 1  # a 1, light on dark, as the canvas used to save it
    sample = PersonalSet(personal_dir).add(1, grey)
    saved = PersonalSet(personal_dir).load()
    assert saved.paths == [sample.path]
    assert np.abs(saved.images[0] - preprocess(1 - grey)).max() < 1e-2


def test_with_an_empty_canvas_digit_keys_do_nothing_and_ctrl_z_still_undoes_a_stroke(window, personal_dir):
    canvas = window.findChild(DrawingCanvas, "canvas")
    QTest.keyClick(canvas, Qt.Key.Key_3)
    assert not personal_dir.exists() and not window.findChild(QLabel, "saveMessage").isVisible()
    drag(canvas, ONE[0])
    drag(canvas, line((0.3, 0.3), (0.6, 0.3)))
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert canvas.stroke_count() == 1 and not personal_dir.exists()
    QTest.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.KeypadModifier)  # the keypad's digits too
    assert len(files(personal_dir, 1)) == 1


def test_digit_keys_typed_in_another_tab_stay_there(window, personal_dir, qtbot):
    canvas = window.findChild(DrawingCanvas, "canvas")
    drag(canvas, ONE[0])
    window.tabs.setCurrentWidget(window.train_tab)
    epochs = window.train_tab.settings.epochs
    epochs.setFocus()
    epochs.selectAll()
    QTest.keyClick(epochs, Qt.Key.Key_5)
    assert epochs.value() == 5
    start = window.train_tab.findChild(QPushButton, "start")  # a widget that takes no text
    start.setFocus()
    QTest.keyClick(start, Qt.Key.Key_5)
    assert not personal_dir.exists() and not canvas.is_empty()


def test_the_tab_lists_the_samples_with_the_models_mistakes_and_deletes_with_undo(window, personal_dir, qtbot):
    canvas = window.findChild(DrawingCanvas, "canvas")
    for digit in (7, 7, 3):  # a "3" that is really a 7: the model's reading disagrees with the label
        for stroke in SEVEN:
            drag(canvas, stroke)
        QTest.keyClick(canvas, Qt.Key(Qt.Key.Key_0 + digit))
    (personal_dir / "3" / "scan.png").write_bytes(b"not a picture")
    tab = window.handwriting_tab
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
    sevens, threes = tab.findChild(QListWidget, "samples7"), tab.findChild(QListWidget, "samples3")
    assert sevens.count() == 2 and threes.count() == 1
    assert tab.findChild(QListWidget, "samples0").isHidden()  # no samples: a hint instead
    shown = tab.gallery.shown()
    assert [item.wrong for item in tab.gallery.shown(3)] == [True] and sum(item.wrong for item in shown) == 1
    assert "reads <b>2 of 3</b>" in tab.findChild(QLabel, "setAccuracy").text()
    warning = tab.findChild(QLabel, "setWarnings")
    assert warning.isVisible() and "3/scan.png" in warning.text()  # the unreadable file, named and left out

    threes.item(0).setSelected(True)
    with qtbot.waitSignal(tab.setShown):
        qtbot.mouseClick(tab.findChild(QPushButton, "deleteSelected"), Qt.MouseButton.LeftButton)
    assert files(personal_dir, 3) == [personal_dir / "3" / "scan.png"]
    assert threes.isHidden() and "reads <b>2 of 2</b>" in tab.findChild(QLabel, "setAccuracy").text()
    with qtbot.waitSignal(tab.setShown):
        qtbot.mouseClick(tab.findChild(QPushButton, "undoDelete"), Qt.MouseButton.LeftButton)
    assert threes.count() == 1 and len(files(personal_dir, 3)) == 2

    window.tabs.setCurrentWidget(window.draw_tab)  # a sample saved while the tab is hidden shows up later
    for stroke in SEVEN:
        drag(canvas, stroke)
    QTest.keyClick(canvas, Qt.Key.Key_7)
    assert sevens.count() == 2  # hidden: not read again until shown
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
    assert sevens.count() == 3


def test_fine_tuning_runs_in_the_worker_and_the_new_model_is_one_click_away(window, personal_dir, qtbot, fake_dir):
    write_personal_set(personal_dir, per_digit=3, digits=[1, 4, 7])
    tab = window.handwriting_tab
    tab.settings.epochs, tab.settings.mnist_images, tab.settings.data_dir = 1, 128, fake_dir
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
    start = tab.findChild(QPushButton, "finetune")
    assert start.isEnabled() and not tab.findChild(QPushButton, "useFinetuned").isEnabled()
    with qtbot.waitSignal(tab.finetuneFinished, timeout=120_000):
        qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
        assert tab.worker is not None and tab.worker.isRunning() and not start.isEnabled()
    assert tab.last_error is None and not tab.last_result.stopped
    saved = list(models_dir().glob("seed-personal-*.pt"))
    assert saved == [tab.last_result.checkpoint]
    meta = load_checkpoint(saved[0]).meta
    result = tab.findChild(QLabel, "finetuneResult").text()
    assert f"{meta['personal_accuracy_after']:.1%}" in result and f"{meta['mnist_accuracy']:.2%}" in result
    assert tab.findChild(QLabel, "finetuneStatus").text().startswith("Done in")

    with qtbot.waitSignal(tab.setShown):  # the new model reads the set again
        qtbot.mouseClick(tab.findChild(QPushButton, "useFinetuned"), Qt.MouseButton.LeftButton)
    assert window.predictor.path == saved[0]
    assert saved[0].name in window.findChild(QLabel, "modelLabel").text()
    assert "It was fine-tuned on this set" in tab.findChild(QLabel, "setAccuracy").text()
    qtbot.mouseClick(tab.findChild(QPushButton, "useBuiltin"), Qt.MouseButton.LeftButton)
    assert window.predictor.path == builtin_checkpoint_path()


def test_a_set_too_small_to_fine_tune_says_how_many_more_and_missing_mnist_is_explained(window, personal_dir,
                                                                                       qtbot, tmp_path):
    write_personal_set(personal_dir, per_digit=1, digits=[2])
    tab = window.handwriting_tab
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
    assert not tab.findChild(QPushButton, "finetune").isEnabled()
    assert "1 more needed: 2 (1 more)" in tab.findChild(QLabel, "finetuneHint").text()

    write_personal_set(personal_dir, per_digit=1, digits=[2], seed=1)
    with qtbot.waitSignal(tab.setShown):
        tab.refresh()
    tab.settings.data_dir = str(tmp_path / "no-mnist")
    with qtbot.waitSignal(tab.finetuneFinished, timeout=60_000):
        assert tab.start_finetune()
    assert "MNIST is not in" in tab.last_error and "Train tab can download it" in tab.last_error
    assert "Train tab can download it" in tab.findChild(QLabel, "finetuneResult").text()
    assert not models_dir().exists() or not list(models_dir().glob("*.pt"))  # nothing saved


def test_closing_the_window_mid_fine_tune_stops_and_joins_the_worker(window, personal_dir, qtbot, fake_dir):
    write_personal_set(personal_dir, per_digit=2, digits=[0, 5])
    tab = window.handwriting_tab
    tab.settings.epochs, tab.settings.data_dir = 500, fake_dir
    window.tabs.setCurrentWidget(tab)
    assert tab.start_finetune()
    worker = tab.worker
    # Waited for on the tab's WorkerSlot, which repeats the worker's events on the GUI thread. Not on the
    # Worker's own signal: pytest-qt's plain-callable connection to a signal sent from another thread is
    # queued, and progress still queued when it disconnects was delivered after the test to a receiver PySide
    # had freed (a segfault in CI).
    with qtbot.waitSignal(tab.job.progress, timeout=60_000,
                          check_params_cb=lambda event: isinstance(event, PhaseStarted)):
        pass
    assert window.close()
    assert worker.isFinished()  # joined in closeEvent, not left running behind a closed window
    assert not models_dir().exists() or not list(models_dir().iterdir())  # nothing saved, no temporary file


def test_the_set_is_read_off_the_gui_thread_and_a_failed_read_is_said(window, personal_dir, qtbot, monkeypatch):
    import threading

    write_personal_set(personal_dir, per_digit=2, digits=[3, 8])
    tab = window.handwriting_tab
    threads, load = [], PersonalSet.load

    def recording_load(self):
        threads.append(threading.current_thread())
        return load(self)

    monkeypatch.setattr(PersonalSet, "load", recording_load)
    accuracy = tab.findChild(QLabel, "setAccuracy")
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
        assert accuracy.text().startswith("Reading the samples in")  # until the first read arrives
    assert " of 4</b> samples right" in accuracy.text()  # then replaced by what the model read
    assert threads and threading.main_thread() not in threads
    assert tab.findChild(QListWidget, "samples8").count() == 2

    def broken_load(self):
        raise OSError("the disk went away")

    monkeypatch.setattr(PersonalSet, "load", broken_load)
    with qtbot.waitSignal(tab.setShown):
        tab.refresh()
    text = tab.findChild(QLabel, "setAccuracy").text()
    assert "Could not read the set" in text and "the disk went away" in text


def test_a_change_while_the_set_is_being_read_reads_it_once_more_afterwards(window, personal_dir, qtbot,
                                                                            monkeypatch):
    # Saving samples while a slow first read runs: one reader at a time, and one more read after it, which sees
    # the change. (A reader dropped mid-read would run beside a new one, and be destroyed while running.)
    import threading

    write_personal_set(personal_dir, per_digit=2, digits=[3, 8])
    tab = window.handwriting_tab
    release, lock, load = threading.Event(), threading.Lock(), PersonalSet.load
    running, most, reads = [0], [0], []

    def slow_load(self):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            if not reads:
                release.wait(10)
            reads.append(1)
            return load(self)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(PersonalSet, "load", slow_load)
    window.tabs.setCurrentWidget(tab)  # the first read starts, and waits
    qtbot.waitUntil(lambda: running[0] == 1)
    tab.set_changed()
    tab.set_changed()
    release.set()
    qtbot.waitUntil(lambda: len(reads) == 2 and not tab._reader.busy, timeout=10000)
    assert most[0] == 1 and len(reads) == 2


def test_the_gallery_reads_a_file_again_only_when_it_changed(tmp_path, qtbot, monkeypatch):
    # The set is shown again after every save and delete: 1,000 files read each time froze the window.
    from PIL import Image

    from digitpad.handwriting import gallery as gallery_module

    personal = write_personal_set(tmp_path / "set", per_digit=2, digits=(3, 5))
    view = gallery_module.SampleGallery()
    qtbot.addWidget(view)
    reads = []
    read_scaled = gallery_module.read_scaled
    monkeypatch.setattr(gallery_module, "read_scaled", lambda path: reads.append(path) or read_scaled(path))

    def show():
        view.show_samples([gallery_module.Shown(sample) for sample in personal.samples()])
        return {item.sample.path: view.lists[item.sample.digit].item(i).icon().pixmap(48).toImage()
                for digit in (3, 5) for i, item in enumerate(view.shown(digit))}

    first = show()
    assert sorted(reads) == sorted(first) and len(first) == 4
    reads.clear()
    assert show() == first and reads == []
    changed = sorted(first)[0]
    Image.fromarray(np.full((280, 280), 255, np.uint8)).save(changed)  # all ink: another picture, another size
    again = show()
    assert reads == [changed]
    assert again[changed] != first[changed] and all(again[p] == first[p] for p in first if p != changed)


def test_the_status_bar_and_the_tab_count_the_same_samples_and_say_what_could_not_be_read(window, personal_dir,
                                                                                          qtbot):
    write_personal_set(personal_dir, per_digit=3, digits=[3])
    (personal_dir / "3" / "scan.png").write_bytes(b"not a picture")
    canvas = window.findChild(DrawingCanvas, "canvas")
    for stroke in SEVEN:
        drag(canvas, stroke)
    QTest.keyClick(canvas, Qt.Key.Key_3)
    message = window.findChild(QLabel, "saveMessage")
    qtbot.waitUntil(lambda: message.text() == "saved as a 3 — 4 samples of 3; 1 file in 3/ could not be read")
    assert "3/scan.png" in message.toolTip()
    tab = window.handwriting_tab
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
    assert "<b>3</b><br>4</td>" in tab.findChild(QLabel, "digitCounts").text()
    assert tab.findChild(QListWidget, "samples3").count() == 4
    warning = tab.findChild(QLabel, "setWarnings")
    assert warning.isVisible() and warning.text().startswith("1 file left out, as it could not be read: 3/scan.png")

    qtbot.mouseClick(window.findChild(QPushButton, "undoSave"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: message.text() == "took back the 3 — 3 samples of 3; 1 file in 3/ could not be read")


def test_a_file_named_as_the_set_is_said_in_the_tab_and_a_save_keeps_the_drawing(window, personal_dir, qtbot):
    from PySide6.QtWidgets import QMessageBox

    personal_dir.write_text("not a folder")  # $DIGITPAD_PERSONAL names this file
    tab = window.handwriting_tab
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
    said = f"$DIGITPAD_PERSONAL names {personal_dir}, which is a file"
    shown = tab.findChild(QLabel, "setAccuracy").text()
    assert said in shown and "unset it" in shown and "empty" not in shown
    assert "0 samples" not in tab.findChild(QLabel, "setTitle").text()
    assert not tab.findChild(QPushButton, "finetune").isEnabled()
    assert "empty" not in tab.findChild(QLabel, "finetuneHint").text()
    qtbot.mouseClick(tab.findChild(QPushButton, "openPersonalFolder"), Qt.MouseButton.LeftButton)  # no crash

    window.tabs.setCurrentWidget(window.draw_tab)
    canvas = window.findChild(DrawingCanvas, "canvas")
    for stroke in SEVEN:
        drag(canvas, stroke)
    QTest.keyClick(canvas, Qt.Key.Key_7)
    [box] = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    assert box.text() == "Could not save the sample"
    assert said in box.informativeText() and "Not a directory" not in box.informativeText()
    assert "still on the pad" in box.informativeText()
    assert not canvas.is_empty() and personal_dir.read_text() == "not a folder"  # nothing lost
    box.close()

    evaluate = window.evaluate_tab  # the Evaluate tab's "my handwriting" says it the same way
    with qtbot.waitSignal(evaluate.evaluationDone, timeout=10_000):
        qtbot.mouseClick(evaluate.findChild(QPushButton, "runPersonal"), Qt.MouseButton.LeftButton)
    assert evaluate.message.text().startswith(said)


def test_folders_that_are_not_digits_are_named_in_the_tab(window, personal_dir, qtbot):
    write_personal_set(personal_dir, per_digit=2, digits=[7])
    for folder in ("x", "10", "7/nested"):
        (personal_dir / folder).mkdir()
    tab = window.handwriting_tab
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
    warning = tab.findChild(QLabel, "setWarnings")
    assert warning.isVisible()
    assert warning.text().count("10/") == warning.text().count("7/nested/") == warning.text().count("x/") == 1
    assert "0/ to 9/" in warning.text()
    with qtbot.waitSignal(tab.setShown):  # read again: the same line, not one more
        tab.refresh()
    assert warning.text().count("10/") == 1


def test_the_count_after_a_save_is_read_off_the_gui_thread_and_never_shown_with_a_later_message(
        window, personal_dir, qtbot, monkeypatch):
    # Counting reads the digit's files not read before: 0.4 s for 200 samples, too long for the GUI thread.
    import threading

    write_personal_set(personal_dir, per_digit=2, digits=[3])
    threads, release, load = [], threading.Event(), PersonalSet.load

    def slow_load(self, *args, **kwargs):
        threads.append(threading.current_thread())
        if len(threads) == 1:
            release.wait(10)
        return load(self, *args, **kwargs)

    monkeypatch.setattr(PersonalSet, "load", slow_load)
    shown, amend = [], getattr(window.save_notice, "amend", None)
    monkeypatch.setattr(window.save_notice, "amend", lambda text, tip: shown.append(text) or amend(text, tip),
                        raising=False)
    canvas = window.findChild(DrawingCanvas, "canvas")
    message = window.findChild(QLabel, "saveMessage")
    for digit in (3, 7):
        for stroke in SEVEN:
            drag(canvas, stroke)
        QTest.keyClick(canvas, Qt.Key(Qt.Key.Key_0 + digit))
        assert message.text() == f"saved as a {digit}"  # at once; the count follows
    release.set()
    qtbot.waitUntil(lambda: message.text() == "saved as a 7 — 1 sample of 7")
    qtbot.waitUntil(lambda: not window.collector._counter.busy)
    assert shown == ["saved as a 7 — 1 sample of 7"]  # the 3's count, come late, was not shown with the 7
    assert threads and threading.main_thread() not in threads


def test_the_fine_tune_progress_bar_shows_only_with_something_to_say(window, personal_dir, qtbot):
    from PySide6.QtWidgets import QProgressBar

    tab = window.handwriting_tab
    with qtbot.waitSignal(tab.setShown):
        window.tabs.setCurrentWidget(tab)
    bar = tab.findChild(QProgressBar, "finetuneProgress")

    def idle_bar_is_quiet() -> bool:  # an empty bar with no text looks like a text box to type in
        return not bar.isVisible() or bool(bar.text())
    assert idle_bar_is_quiet()
    tab.panel.starting("the built-in model")
    assert bar.isVisible()
    tab.panel.failed("MNIST is missing")
    tab.panel.finished()
    assert idle_bar_is_quiet()
