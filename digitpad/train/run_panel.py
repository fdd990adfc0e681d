"""The Train tab's run panel: Start and Stop, what the run is doing, its progress and times, and its result.

It is told what happens (`starting`, `run_started`, `batch`, `epoch_ended`, `done`, `failed`) and says what the
person asks for through its buttons' signals; it runs nothing itself.
"""

from __future__ import annotations

import html
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from trainer.config import EpochEnd, RunStarted
from trainer.job import JobResult
from trainer.run_text import count_of, format_duration, weak_model_note


def reject_line(reject: dict) -> str:
    return (f"It says \"not sure\" below {reject['threshold']:.0%} confidence: that flags "
            f"{reject['digits_flagged']:.0%} of the held-out digits it reads right and "
            f"{reject['nondigits_flagged']:.0%} of non-digits it never saw.")


def as_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


class RunPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("Run", parent)
        result_scroll = self._build_widgets()
        self._lay_out(result_scroll)

        self.model_path: Path | None = None  # the checkpoint "Use in Draw tab" hands over
        self._run: RunStarted | None = None
        self._started: float | None = None        # perf_counter when Start was pressed
        self._training_since: float | None = None  # ... and when the first batch was about to start
        self._paused_at: float | None = None       # when the run paused, while it is paused
        self._fraction = 0.0                       # of the whole run, from the last batch group
        self._running = False
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_times)

    def _build_widgets(self) -> QScrollArea:
        """The buttons, bars and labels; returns the scroll area that holds the result, for _lay_out()."""
        self.start = QPushButton("Start", objectName="start")
        self.start.setDefault(True)
        self.stop = QPushButton("Stop", objectName="stop", enabled=False)
        self.status = QLabel(objectName="status")
        self.status.setWordWrap(True)
        self.status.setMinimumWidth(120)
        self.epochProgress = QProgressBar(objectName="epochProgress")
        self.epochProgress.setRange(0, 1)
        self.epochProgress.setValue(0)
        self.epochProgress.setFormat("epoch: %p%")
        self.progress = QProgressBar(objectName="progress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("overall: %p%")
        self.times = QLabel("Elapsed 0s", objectName="times")
        self.result = QLabel(objectName="result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        # Wrapped text grows downwards, never the window sideways (a long path would otherwise widen it).
        self.result.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.MinimumExpanding)
        self.result.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        # ... and scrolls past the room the panel has, rather than making the window taller than the screen.
        result_scroll = QScrollArea(self, objectName="resultScroll")
        result_scroll.setWidget(self.result)
        result_scroll.setWidgetResizable(True)
        result_scroll.setFrameShape(QFrame.NoFrame)
        result_scroll.setMinimumHeight(2 * self.result.fontMetrics().lineSpacing())
        self.result.setAutoFillBackground(False)  # the panel's own background: no empty box before a result
        result_scroll.viewport().setAutoFillBackground(False)
        self.useModel = QPushButton("Use in Draw tab", objectName="useModel", enabled=False)
        self.useModel.setToolTip("make the Draw tab read digits with the model this run produced")
        self.resetModel = QPushButton("Reset to built-in model", objectName="resetModel")
        self.resetModel.setToolTip("make the Draw tab use the model that ships with digitpad")
        return result_scroll

    def _lay_out(self, result_scroll: QScrollArea) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.start)
        buttons.addWidget(self.stop)
        buttons.addWidget(self.status, 1)
        model_buttons = QHBoxLayout()
        model_buttons.addWidget(self.useModel)
        model_buttons.addWidget(self.resetModel)
        model_buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.epochProgress)
        layout.addWidget(self.progress)
        layout.addWidget(self.times)
        layout.addWidget(result_scroll, 1)
        layout.addLayout(model_buttons)

    @property
    def training_started(self) -> bool:
        """Whether the current (or last) run got past loading MNIST."""
        return self._run is not None

    # ----- what happens -------------------------------------------------------------------------------------
    def starting(self) -> None:
        self.model_path = None  # "Use in Draw tab" offers only what this run saves
        self.result.clear()
        self.progress.setValue(0)
        self.epochProgress.setValue(0)
        self._run, self._fraction, self._training_since, self._paused_at = None, 0.0, None, None
        self._started = time.perf_counter()
        self.status.setText("Loading MNIST…")
        self.set_running(True)
        self._tick.start()

    def stopping(self) -> None:
        self.stop.setEnabled(False)
        self.status.setText("Stopping…")

    def run_started(self, event: RunStarted) -> None:
        self._run = event
        self._training_since = time.perf_counter()
        if self.stop.isEnabled():
            self.status.setText(f"Training on {count_of(event.train_images, 'image')} ({event.device}, "
                                f"{event.precision}), testing on {event.test_images:,}…")

    def batch(self, epoch: int, batch: int, running_loss: float) -> None:
        if self._run is None:
            return
        batches, epochs = self._run.batches, self._run.epochs
        self.epochProgress.setMaximum(batches)
        self.epochProgress.setValue(batch)
        self.epochProgress.setFormat(f"epoch {epoch}/{epochs}: batch {batch}/{batches}"
                                     f" · running loss {running_loss:.4f}")
        self._fraction = (epoch - 1 + batch / batches) / epochs
        self.progress.setValue(round(self._fraction * 1000))
        self._update_times()

    def set_epochs(self, epochs: int) -> None:
        """The run now has `epochs` epochs (one more was asked for while it trained)."""
        if self._run is not None:
            self._run = replace(self._run, epochs=epochs)

    def set_paused(self, paused: bool) -> None:
        """The run has paused or resumed: the time left is estimated from the time spent training."""
        now = time.perf_counter()
        if not paused and self._paused_at is not None and self._training_since is not None:
            self._training_since += now - self._paused_at
        self._paused_at = now if paused else None
        self._update_times()

    def epoch_ended(self, event: EpochEnd) -> None:
        self._fraction = event.epoch / self._run.epochs if self._run else self._fraction

    def done(self, result: JobResult, epochs: int) -> None:
        total = result.seconds + result.load_seconds
        final = result.final
        if final is None:
            self.status.setText("Stopped before the first epoch ended.")
            self.result.setText(f"Stopped after {format_duration(total)}, before the first epoch ended: "
                                f"no model was saved.")
            return
        self.model_path = result.checkpoint
        self.useModel.setToolTip(f"make the Draw tab read digits with {result.checkpoint}")
        completed = len(result.history)
        state = (f"Stopped after {completed} of {epochs} epochs" if result.stopped
                 else f"Done: {completed} epoch{'s' if completed > 1 else ''}")
        self.status.setText(f"{state} in {format_duration(total)}.")
        note = weak_model_note(final.test_accuracy, result.train_images, completed)
        self.result.setText(
            f"<span style='font-size:large'><b>Test accuracy {final.test_accuracy:.2%}</b></span> "
            f"(the saved model, after epoch {final.epoch}), trained on {count_of(result.train_images, 'image')}."
            + (f"<br><b style='color:#b45309'>{as_html(note)}</b>" if note else "")
            + (f"<br>{as_html(reject_line(result.reject))}" if result.reject else "")
            + f"<br>Saved as <code>{as_html(str(result.checkpoint))}</code>")
        self.result.setToolTip(str(result.checkpoint))

    def failed(self, message: str, during_run: bool) -> None:
        self.status.setText("The run failed." if during_run else "The run could not start.")
        self.result.setText(f"<b>{as_html(message)}</b>")

    def clear_result(self) -> None:
        """Forget what the last run said (e.g. an error about a data folder that is no longer chosen)."""
        if not self._running:
            self.result.clear()

    def finished(self) -> None:
        """The worker has ended (after `done` or `failed`)."""
        self._tick.stop()
        self.set_running(False)
        self._update_times()

    # ----- state --------------------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self._running = running
        self.start.setEnabled(not running)
        self.stop.setEnabled(running)
        self.useModel.setEnabled(not running and self.model_path is not None and self.model_path.is_file())

    def _update_times(self) -> None:
        if self._started is None:
            return
        now = time.perf_counter()
        text = f"Elapsed {format_duration(now - self._started)}"
        if self._running and self._paused_at is not None:
            text += " · paused"
        elif self._running:
            if self._training_since is not None and self._fraction > 0 and now - self._training_since > 1:
                training = now - self._training_since
                text += f" · about {format_duration(training * (1 - self._fraction) / self._fraction)} left"
            else:
                text += " · estimating time left…"
        self.times.setText(text)
