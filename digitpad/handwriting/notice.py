"""A short message with an action button, for the status bar: "saved as a 7 — 14 samples of 7  [Undo]".

It shows one message at a time and hides itself after a while; the button calls what the message offers.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

SHOWN_MS = 8000


class SaveNotice(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="saveNotice")
        self.message = QLabel(objectName="saveMessage")
        self.action = QPushButton("Undo", objectName="undoSave")
        self.action.setFlat(True)
        self.action.setStyleSheet("QPushButton { color: palette(link); text-decoration: underline; padding: 0 6px; }")
        self.action.clicked.connect(self._act)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.message)
        layout.addWidget(self.action)
        self._callback: Callable[[], None] | None = None
        self._timer = QTimer(self, singleShot=True, interval=SHOWN_MS)
        self._timer.timeout.connect(self.dismiss)
        self.hide()

    def show_message(self, text: str, action: str | None = None, callback: Callable[[], None] | None = None,
                     tooltip: str = "") -> None:
        """Show `text`, with a button labelled `action` calling `callback` (none when either is None)."""
        self.message.setText(text)
        self.message.setToolTip(tooltip)
        self._callback = callback if action else None
        self.action.setText(action or "")
        self.action.setVisible(self._callback is not None)
        self.show()
        self._timer.start()

    def amend(self, text: str, tooltip: str) -> None:
        """Change the text of the message shown (its action stays); nothing when it has gone."""
        if self.isVisible():
            self.message.setText(text)
            self.message.setToolTip(tooltip)

    def dismiss(self) -> None:
        self._timer.stop()
        self._callback = None
        self.hide()

    def _act(self) -> None:
        callback, self._callback = self._callback, None
        self.action.hide()
        if callback is not None:
            callback()
