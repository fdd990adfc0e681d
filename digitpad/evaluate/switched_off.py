"""The Evaluate tab's note that channels are switched off (in the inside view), so the evaluation runs without
them: said plainly above the results, with how to bring them back. Hidden while every channel is on."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


class SwitchedOffNote(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evalSwitchedOff")
        self.setWordWrap(True)
        self.setStyleSheet("#evalSwitchedOff { background: #fff0f0; border: 1px solid #c92a2a; padding: 4px; }")
        self.off: tuple[dict, str] = ({}, "")  # what the evaluation worker takes: by hooked module, and in words
        self.hide()

    def set_switched_off(self, off: dict, description: str) -> None:
        """These channels (by hooked module, as ChannelSwitch.hooked() gives them; `description` in words) are
        off from now on; none when `off` is empty."""
        self.off = (dict(off), description if off else "")
        self.setText(f"<b>Channels switched off:</b> {description}. Evaluate runs the model without them, as the "
                     f"Draw tab reads now (the Robustness page and the map's features use the whole model). "
                     f"<i>Restore all</i> in the Draw tab's inside view switches them back on.")
        self.setVisible(bool(off))
