"""The top of the "My handwriting" tab: where the set is, how many samples of each digit it holds, how well the
model in use reads them, and which files could not be read. It shows what it is told; "Open folder" and
"Reload" are signals."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from trainer.text import printable, short_path


class SetSummary(QWidget):
    openFolder = Signal()
    reload = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="setSummary")
        self.title = QLabel(objectName="setTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.counts = QLabel(objectName="digitCounts")
        self.accuracy = QLabel(objectName="setAccuracy")
        self.accuracy.setWordWrap(True)
        self.warnings = QLabel(objectName="setWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b45309;")
        self.warnings.hide()
        open_folder = QPushButton("Open folder", objectName="openPersonalFolder")
        open_folder.setToolTip("Show the set's folder: one folder per digit, one PNG per sample. Scans of your "
                               "handwriting can be dropped in too.")
        open_folder.clicked.connect(self.openFolder)
        reload = QPushButton("Reload", objectName="reloadSet")
        reload.setToolTip("Read the folder again (after adding or removing files outside digitpad)")
        reload.clicked.connect(self.reload)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(open_folder)
        top.addWidget(reload)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.counts)
        layout.addWidget(self.accuracy)
        layout.addWidget(self.warnings)

    def show_set(self, folder: Path, counts: list[int], skipped: list[tuple[Path, str]]) -> None:
        """The set in `folder`: readable samples per digit, and the files skipped, with why."""
        total = sum(counts)
        self.title.setText(f"<span style='font-size:16px'><b>{total} sample{'s' if total != 1 else ''}</b></span>"
                           f" in <code>{html.escape(short_path(folder))}</code>")
        self.title.setToolTip(printable(folder))
        cells = "".join(f"<td align='center' style='padding: 0 9px'><b>{digit}</b><br>{count}</td>"
                        for digit, count in enumerate(counts))
        self.counts.setText(f"<table><tr><td style='padding-right: 6px'>per digit</td>{cells}</tr></table>")
        def name(path: Path) -> str:
            return printable(path.relative_to(folder) if path.is_relative_to(folder) else path)

        shown = [f"{html.escape(name(path))} ({html.escape(why.rstrip('.'))})" for path, why in skipped[:3]]
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        self.warnings.setText(f"Left out, as they could not be read: {', '.join(shown)}{more}.")
        self.warnings.setToolTip("\n".join(f"{printable(path)}: {why}" for path, why in skipped))
        self.warnings.setVisible(bool(skipped))

    def show_accuracy(self, text: str) -> None:
        self.accuracy.setText(text)
