"""The top of the "My handwriting" tab: where the set is, how many samples of each digit it holds, how well the
model in use reads them, which files could not be read, and what in the folder is not read at all (x/, 10/,
7/nested/). It shows what it is told; "Open folder" and "Reload" are signals."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from trainer.personal_set import ignored_name
from trainer.safe_names import printable, short_path


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

    def show_set(self, folder: Path, counts: list[int], skipped: list[tuple[Path, str]],
                 ignored: list[Path] = ()) -> None:
        """The set in `folder`: readable samples per digit, the files skipped, with why, and what is ignored."""
        total = sum(counts)
        self.title.setText(f"<span style='font-size:16px'><b>{total} sample{'s' if total != 1 else ''}</b></span>"
                           f" in <code>{html.escape(short_path(folder))}</code>")
        self.title.setToolTip(printable(folder))
        cells = "".join(f"<td align='center' style='padding: 0 9px'><b>{digit}</b><br>{count}</td>"
                        for digit, count in enumerate(counts))
        self.counts.setText(f"<table><tr><td style='padding-right: 6px'>per digit</td>{cells}</tr></table>")
        def name(path: Path) -> str:
            return printable(path.relative_to(folder) if path.is_relative_to(folder) else path)

        lines, tips = [], []
        if skipped:
            shown = [f"{html.escape(name(path))} ({html.escape(why.rstrip('.'))})" for path, why in skipped[:3]]
            more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
            files = f"{len(skipped)} file{' left out, as it' if len(skipped) == 1 else 's left out, as they'}"
            lines.append(f"{files} could not be read: {', '.join(shown)}{more}.")
            tips += [f"{printable(path)}: {why}" for path, why in skipped]
        if ignored:
            # All of them in one line, once per read: the folder's state, not a message per folder.
            names = ", ".join(html.escape(ignored_name(path, folder)) for path in ignored)
            lines.append(f"Not read, as only the folders 0/ to 9/ hold samples (an image file each, no folders "
                         f"inside): {names}. Move the images into the folder of their digit.")
            tips += [f"ignored: {printable(path)}" for path in ignored]
        self.warnings.setText("<br>".join(lines))
        self.warnings.setToolTip("\n".join(tips))
        self.warnings.setVisible(bool(lines))

    def show_unreadable(self, folder: Path, message: str) -> None:
        """The set in `folder` could not be read, and why: no counts, rather than a set that looks empty."""
        self.title.setText(f"<span style='font-size:16px'><b>No samples read</b></span>"
                           f" from <code>{html.escape(short_path(folder))}</code>")
        self.title.setToolTip(printable(folder))
        self.counts.clear()
        self.warnings.hide()
        self.accuracy.setText(f"<span style='color: #b45309'>{html.escape(message)}</span>")

    def show_accuracy(self, text: str) -> None:
        self.accuracy.setText(text)
