"""The banner shown when MNIST is not where the settings point: why, and two ways out (download it, or choose
the folder that holds it). The download runs in a daemon thread: it cannot be interrupted, and a window closed
meanwhile must neither wait for it nor keep the process alive.
"""

from __future__ import annotations

import html
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from trainer.data import RAW_FILES, DataError, ensure_data, missing_files, raw_folder, resolve_data_dir


def as_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


class Download(QObject):
    """Fetches MNIST into a folder (torchvision's mirrors) in a daemon thread; signals are queued to the GUI."""

    ended = Signal(str, str)  # the MNIST root, and an error message ('' when the download worked)

    def __init__(self, folder: str | None):
        super().__init__()
        self.folder = folder
        self.thread = threading.Thread(target=self._run, name="digitpad-mnist-download", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:  # the download thread
        root, error = str(resolve_data_dir(self.folder)), ""
        try:
            ensure_data(self.folder, download=True)
        except DataError as failure:
            error = str(failure)
        except Exception as failure:
            error = f"Download failed: {type(failure).__name__}: {failure}"
        self.ended.emit(root, error)


class DataBanner(QFrame):
    """Call `check(folder)` whenever the folder changes; it shows or hides itself. Signals `chooseFolder()` when
    the person asks to pick another folder, `busy(bool)` when a download starts and ends, and
    `downloaded(root)` when MNIST arrived."""

    chooseFolder = Signal()
    busy = Signal(bool)
    downloaded = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataMessage")
        self.setFrameShape(QFrame.StyledPanel)
        self.setStyleSheet("#dataMessage { background: #fff4e5; border: 1px solid #f0a030; }")
        self.text = QLabel(objectName="dataMessageText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.download = QPushButton("Download MNIST (about 12 MB)", objectName="download")
        self.download.clicked.connect(self.start_download)
        self.chooseData = QPushButton("Choose the folder that holds MNIST…", objectName="chooseData")
        self.chooseData.clicked.connect(self.chooseFolder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download)
        buttons.addWidget(self.chooseData)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.folder: str | None = None
        self._download: Download | None = None
        self.hide()

    @property
    def downloading(self) -> bool:
        return self._download is not None

    def check(self, folder: str | None) -> bool:
        """Show why MNIST can't be read from `folder` (or hide); True when all four files are there."""
        self.folder = folder
        if self.downloading:
            return False
        root = resolve_data_dir(folder)
        missing = missing_files(root)
        if not missing:
            self.hide()
            return True
        # The whole message is replaced: nothing said about an earlier folder or download stays up.
        self.text.setText(
            f"<b>MNIST is not in {as_html(str(raw_folder(root)))}</b> (missing: {', '.join(missing)}).<br>"
            f"Download it there (about 12 MB), or choose the folder that holds the MNIST files "
            f"(the folder with MNIST/raw/ in it, or MNIST/raw/ itself, holding {', '.join(RAW_FILES)}).")
        self.download.setEnabled(True)
        self.show()
        return False

    def set_enabled(self, enabled: bool) -> None:
        self.download.setEnabled(enabled and not self.downloading)
        self.chooseData.setEnabled(enabled)

    @Slot()
    def start_download(self) -> None:
        if self.downloading:
            return
        self._download = Download(self.folder)
        self._download.ended.connect(self._on_download_ended)
        self.download.setEnabled(False)
        self.text.setText(f"Downloading MNIST into {as_html(str(raw_folder(resolve_data_dir(self.folder))))}…")
        self.busy.emit(True)
        self._download.start()

    @Slot(str, str)
    def _on_download_ended(self, root: str, error: str) -> None:
        self._download = None
        self.busy.emit(False)
        there = self.check(self.folder)
        if resolve_data_dir(self.folder) != Path(root):
            return  # the folder was changed meanwhile: what is shown is about that folder now
        if there:
            self.downloaded.emit(root)
        elif error:
            self.text.setText(f"<b>The download failed.</b><br>{as_html(error)}<br>"
                              f"Try again, or choose the folder that holds the MNIST files.")
