"""A part of a tab that can go to a window of its own and come back: the points map beside the pad, so that a
class sees the drawing's point move as it is drawn (the Draw tab and the Evaluate tab are never on screen at once).

`OwnWindow(body, home)` keeps `body` in the `home` widget's layout; `open()` moves it into its own top-level window
and shows a line in its place, closing that window (or `close()`) puts it back where it was.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

TITLE = "digitpad: map of the test digits"


class _Frame(QWidget):
    closing = Signal()

    def closeEvent(self, event) -> None:
        self.closing.emit()
        super().closeEvent(event)


class OwnWindow(QObject):
    toggled = Signal(bool)  # True: the body is in its own window

    def __init__(self, body: QWidget, home: QWidget):
        super().__init__(home)
        self.body, self.home = body, home
        self.frame: _Frame | None = None
        self.placeholder = QLabel("The map is in its own window; close that window to bring it back here.",
                                  objectName="mapElsewhere")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.hide()
        home.layout().addWidget(self.placeholder)

    @property
    def is_open(self) -> bool:
        return self.frame is not None

    def open(self) -> None:
        if self.frame is not None:
            return
        self.frame = _Frame()
        self.frame.setObjectName("mapWindow")
        self.frame.setWindowTitle(TITLE)
        layout = QVBoxLayout(self.frame)
        layout.addWidget(self.body)  # takes it out of the tab's layout
        self.frame.resize(max(560, self.body.width()), max(620, self.body.height()))
        self.frame.closing.connect(self.close)
        self.placeholder.show()
        self.frame.show()
        self.toggled.emit(True)

    def close(self) -> None:
        frame, self.frame = self.frame, None
        if frame is None:
            return
        self.home.layout().insertWidget(0, self.body, 1)
        self.body.show()
        self.placeholder.hide()
        frame.closing.disconnect(self.close)
        frame.close()
        frame.deleteLater()
        self.toggled.emit(False)
