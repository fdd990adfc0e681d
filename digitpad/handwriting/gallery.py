"""The personal set's samples as thumbnails, a row per digit; the model's mistakes outlined in red.

Told what to show (`show_samples`); says what the person asks for through `deleteRequested(list of Sample)`
(the Delete key, the context menu, or the Delete button of the tab). Knows nothing of models or files beyond the
thumbnails it loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QImage, QImageReader, QKeySequence, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from trainer.personal_set import Sample
from trainer.safe_names import printable

THUMB = 48
MISTAKE_COLOR = QColor("#dc2626")


@dataclass(frozen=True)
class Shown:
    """One sample as the gallery shows it: what the model in use read in it, if known."""
    sample: Sample
    reading: int | None = None
    confidence: float | None = None

    @property
    def wrong(self) -> bool:
        return self.reading is not None and self.reading != self.sample.digit


def read_scaled(path: Path) -> QImage:
    """The picture in the file, scaled to fit a thumbnail; a null image when it can't be read.

    Read at thumbnail size where the format allows (a dropped-in scan or photo can be large), and never past
    Qt's allocation limit: an image too large to decode shows as an empty tile.
    """
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid():
        reader.setScaledSize(size.scaled(THUMB - 6, THUMB - 6, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return image if image.isNull() else image.scaled(THUMB - 6, THUMB - 6, Qt.AspectRatioMode.KeepAspectRatio,
                                                     Qt.TransformationMode.SmoothTransformation)


def thumbnail(shown: Shown, scaled: QImage) -> QPixmap:
    """The sample's picture (as read_scaled gives it) on white; a mistake gets a red frame and, in the corner,
    what was read."""
    pixmap = QPixmap(THUMB, THUMB)
    pixmap.fill(Qt.GlobalColor.white)
    painter = QPainter(pixmap)
    if not scaled.isNull():
        painter.drawImage((THUMB - scaled.width()) // 2, (THUMB - scaled.height()) // 2, scaled)
    if shown.wrong:
        painter.setPen(QPen(MISTAKE_COLOR, 3))
        painter.drawRect(1, 1, THUMB - 3, THUMB - 3)
        painter.fillRect(THUMB - 17, THUMB - 17, 15, 15, MISTAKE_COLOR)
        font = QFont(painter.font())
        font.setPixelSize(12)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(THUMB - 17, THUMB - 17, 15, 15, Qt.AlignmentFlag.AlignCenter, str(shown.reading))
    painter.end()
    return pixmap


def tooltip(shown: Shown) -> str:
    text = printable(shown.sample.path.name)
    if shown.reading is not None:
        sure = f" ({shown.confidence:.0%} sure)" if shown.confidence is not None else ""
        text += (f"\nread as {shown.reading}{sure}: a mistake" if shown.wrong
                 else f"\nread right{sure}")
    return text


class SampleGallery(QScrollArea):
    deleteRequested = Signal(list)  # the Samples to delete

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="gallery")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.delete_action = QAction("Delete", self, objectName="deleteSamples")
        self.delete_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete),
                                         QKeySequence(Qt.Key.Key_Backspace)])
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self._delete_selected)
        self.addAction(self.delete_action)

        content = QWidget()
        rows = QVBoxLayout(content)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(4)
        self.headers: list[QLabel] = []
        self.lists: list[QListWidget] = []
        self.hints: list[QLabel] = []
        for digit in range(10):
            header = QLabel(objectName=f"digitHeader{digit}")
            header.setFixedWidth(84)
            header.setAlignment(Qt.AlignmentFlag.AlignCenter)
            samples = QListWidget(objectName=f"samples{digit}")
            samples.setViewMode(QListView.ViewMode.IconMode)
            samples.setFlow(QListView.Flow.LeftToRight)
            samples.setWrapping(False)
            samples.setMovement(QListView.Movement.Static)
            samples.setIconSize(QSize(THUMB, THUMB))
            samples.setSpacing(2)
            samples.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
            samples.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            samples.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            samples.setFixedHeight(THUMB + 22)
            samples.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            samples.addAction(self.delete_action)
            samples.itemSelectionChanged.connect(self._selection_changed)
            hint = QLabel(f"No samples yet: draw a {digit} in the Draw tab and type {digit}.",
                          objectName=f"hint{digit}")
            hint.setStyleSheet("color: palette(placeholder-text);")
            hint.setFixedHeight(THUMB + 22)
            row = QHBoxLayout()
            row.addWidget(header)
            row.addWidget(samples, 1)
            row.addWidget(hint, 1)
            rows.addLayout(row)
            self.headers.append(header)
            self.lists.append(samples)
            self.hints.append(hint)
        rows.addStretch(1)
        self.setWidget(content)
        # Each shown file's picture, read and scaled once, by path, while the file stays the same (modification
        # time and size): a set is shown again after every sample saved or deleted, and reading 1,000 files on
        # the GUI thread takes a quarter of a second.
        self._pictures: dict[Path, tuple[tuple[int, int], QImage]] = {}
        self.show_samples([])

    def show_samples(self, shown: list[Shown]) -> None:
        """Show these samples (all of them: the rows are rebuilt)."""
        by_digit: list[list[Shown]] = [[] for _ in range(10)]
        for item in shown:
            by_digit[item.sample.digit].append(item)
        pictures = {item.sample.path: self._picture(item.sample.path) for item in shown}
        self._pictures = {path: entry for path, entry in pictures.items() if entry[0] is not None}
        for digit, items in enumerate(by_digit):
            samples = self.lists[digit]
            samples.clear()
            for item in items:
                entry = QListWidgetItem(QIcon(thumbnail(item, pictures[item.sample.path][1])), "")
                entry.setData(Qt.ItemDataRole.UserRole, item)
                entry.setToolTip(tooltip(item))
                entry.setSizeHint(QSize(THUMB + 6, THUMB + 6))
                samples.addItem(entry)
            wrong = sum(item.wrong for item in items)
            mistakes = f"<br><span style='color:{MISTAKE_COLOR.name()}'>{wrong} misread</span>" if wrong else ""
            self.headers[digit].setText(f"<span style='font-size:18px'><b>{digit}</b></span><br>"
                                        f"{len(items)} sample{'s' if len(items) != 1 else ''}{mistakes}")
            samples.setVisible(bool(items))
            self.hints[digit].setVisible(not items)
        self.delete_action.setEnabled(False)

    def _picture(self, path: Path) -> tuple[tuple[int, int] | None, QImage]:
        """(the file's modification time and size, or None when it can't be read; its picture, read_scaled)."""
        try:
            status = path.stat()
        except OSError:
            return None, QImage()
        key = (status.st_mtime_ns, status.st_size)
        cached = self._pictures.get(path)
        return (key, cached[1]) if cached is not None and cached[0] == key else (key, read_scaled(path))

    def shown(self, digit: int | None = None) -> list[Shown]:
        lists = self.lists if digit is None else [self.lists[digit]]
        return [samples.item(i).data(Qt.ItemDataRole.UserRole) for samples in lists for i in range(samples.count())]

    def selected(self) -> list[Sample]:
        return [item.data(Qt.ItemDataRole.UserRole).sample for samples in self.lists
                for item in samples.selectedItems()]

    def _selection_changed(self) -> None:
        self.delete_action.setEnabled(bool(self.selected()))

    def _delete_selected(self) -> None:
        chosen = self.selected()
        if chosen:
            self.deleteRequested.emit(chosen)
