"""A combo box that only a deliberate choice changes (the reading's grids and forms)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox


class StillCombo(QComboBox):
    """Qt's combo box turns with the wheel whenever the pointer is over it: scrolling through the lesion
    grid or the clinical form changed the lobe, segment or primary site of whatever the pointer crossed.
    This one leaves the wheel to the panel (which scrolls) unless it holds the keyboard focus, which a
    click or Tab gives it. ``keys=False`` (a cell of a grid): it never takes the focus, so the arrow keys
    after a choice stay with the images instead of turning it again."""

    def __init__(self, *, keys: bool = True) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if keys else Qt.FocusPolicy.NoFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # to the panel, which scrolls
