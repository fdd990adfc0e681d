"""The "Fine-tune on my handwriting" panel: the button, Stop, a progress bar, and before/after at the end, with
one click to read with the new model (and one back to the built-in one).

It is told what happens (`starting`, `phase`, `fraction`, `done`, `failed`, `finished`) and says what the person
asks for through its buttons; it runs nothing itself.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout

from trainer.finetune import FinetuneResult, PhaseStarted
from trainer.run_text import format_duration
from trainer.safe_names import short_path


def _change(before: float | None, after: float | None, digits: int) -> str:
    if before is None or after is None:
        return ""
    points = round((after - before) * 100, digits)
    colour = "#15803d" if points > 0 else "#b91c1c" if points < 0 else "palette(text)"
    return f"<span style='color:{colour}'>{points:+.{digits}f} points</span>" if points else "no change"


def figure_block(title: str, note: str, before: float | None, after: float | None, digits: int) -> str:
    """One measure as rich text: its name, "before → after" in large type, the change, and a note."""
    def percent(value: float | None) -> str:
        return "–" if value is None else f"{value:.{digits}%}"

    return (f"<p style='margin-bottom: 0'><b>{title}</b></p>"
            f"<p style='margin: 2px 0 0 0'><span style='font-size: 18px'>{percent(before)} → "
            f"<b>{percent(after)}</b></span>&nbsp;&nbsp;{_change(before, after, digits)}</p>"
            f"<p style='margin-top: 0; color: palette(placeholder-text)'>{note}</p>")


class FinetunePanel(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Fine-tune", parent)
        self.start = QPushButton("Fine-tune on my handwriting", objectName="finetune")
        self.start.setToolTip("Teach the model in use your samples (about a minute), mixed with MNIST so it "
                              "keeps reading everyone else's digits")
        self.stop = QPushButton("Stop", objectName="stopFinetune", enabled=False)
        self.progress = QProgressBar(objectName="finetuneProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.progress.hide()  # shown while a fine-tune runs: an empty bar looked like a text box to type in
        self.hint = QLabel(objectName="finetuneHint")
        self.hint.setWordWrap(True)
        self.status = QLabel(objectName="finetuneStatus")
        self.status.setWordWrap(True)
        self.result = QLabel(objectName="finetuneResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.MinimumExpanding)
        self.result.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.useModel = QPushButton("Use in Draw tab", objectName="useFinetuned", enabled=False)
        self.useModel.setToolTip("read your digits with the fine-tuned model")
        self.resetModel = QPushButton("Use the built-in model", objectName="useBuiltin")
        self.resetModel.setToolTip("go back to the model that ships with digitpad")

        buttons = QHBoxLayout()
        buttons.addWidget(self.start, 1)
        buttons.addWidget(self.stop)
        model_buttons = QHBoxLayout()
        model_buttons.addWidget(self.useModel)
        model_buttons.addWidget(self.resetModel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.result, 1)
        layout.addLayout(model_buttons)
        self.model_path: Path | None = None  # what "Use in Draw tab" hands over
        self._running = False
        self._can_start = False

    def ready(self, text: str, can_start: bool) -> None:
        """Say what a fine-tune would do (or why it can't run yet); while one runs, for after it."""
        self.hint.setText(text)
        self._can_start = can_start
        self._set_buttons()

    def starting(self, base: str) -> None:
        self._running = True
        self.model_path = None
        self.result.clear()
        self.progress.setRange(0, 0)  # busy until the first phase: reading the set and MNIST
        self.progress.show()
        self.status.setText(f"Reading your samples and MNIST… (starting from {base})")
        self._set_buttons()

    def phase(self, event: PhaseStarted) -> None:
        self.progress.setRange(0, 1000)
        self.status.setText(f"Fine-tune {event.phase} of {event.phases}: {event.description}…")

    def fraction(self, done: float) -> None:
        self.progress.setValue(round(done * 1000))

    def stopping(self) -> None:
        self.stop.setEnabled(False)
        self.status.setText("Stopping…")

    def done(self, result: FinetuneResult) -> None:
        self.progress.setRange(0, 1000)
        if result.stopped:
            self.progress.setValue(0)
            self.progress.hide()
            self.status.setText(f"Stopped after {format_duration(result.seconds)}; nothing was saved.")
            return
        self.progress.setValue(1000)
        self.model_path = result.checkpoint
        self.status.setText(f"Done in {format_duration(result.seconds)}: learnt {result.samples} samples.")
        self.result.setText(
            figure_block("Your held-out samples", f"{result.held_out} of your samples, which the fine-tune did not "
                         f"train on", result.personal_accuracy_before, result.personal_accuracy_after, 1)
            + figure_block("MNIST test set", "so that it still reads everyone else's digits",
                           result.mnist_accuracy_before, result.mnist_accuracy, 2)
            + f"<p>Saved as <code>{html.escape(short_path(result.checkpoint))}</code></p>"
            + f"<p style='color: palette(placeholder-text)'>How: a third of each digit's samples was held out, and a "
              f"model fine-tuned on the others was measured on them. The saved model then learnt all "
              f"{result.samples}. Both mix your samples (repeated, a little turned, moved and scaled each "
              f"time) with MNIST's digits, so that the net keeps reading everyone's.</p>")
        self.result.setToolTip(str(result.checkpoint))
        self.useModel.setToolTip(f"read your digits with {result.checkpoint}")

    def failed(self, message: str) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.hide()
        self.status.setText("The fine-tune did not run to the end; nothing was saved.")
        self.result.setText(f"<b>{html.escape(message)}</b>")

    def finished(self) -> None:
        self._running = False
        self._set_buttons()

    def set_builtin_in_use(self, in_use: bool) -> None:
        """Whether the built-in model answers now: then "Use the built-in model" has nothing to do."""
        self.resetModel.setEnabled(not in_use)

    @property
    def running(self) -> bool:
        return self._running

    def _set_buttons(self) -> None:
        self.start.setEnabled(not self._running and self._can_start)
        self.stop.setEnabled(self._running)
        self.useModel.setEnabled(not self._running and self.model_path is not None and self.model_path.is_file())
