"""The reading's panels take clicks and leave the keys and the wheel to the images.

A reader scrolls and pages the images with the arrow keys, Space and the wheel for hours. Qt's widgets
take them whenever they hold the keyboard focus (a button or a table after a click: Down moved the
focus to the next button, Space pressed it; a table's row moved instead of the slice) or lie under the
pointer (a combo box turns with the wheel): each recorded an edit the reader never meant (a reader's
check under Xvfb: "not measurable" on the lesion next to the one read; the primary site turned from
pancreas to rectum by two presses of Down). Here a panel's buttons, tables, lists and combo boxes take
no keyboard focus (every action they offer has its key or its click); text fields still do, for typing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QComboBox, QWidget


class StillCombo(QComboBox):
    """A combo box changed by a click and a choice only: no keyboard focus, and the wheel goes to the
    panel under it (which scrolls) instead of turning it."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        event.ignore()  # to the panel, which scrolls


def leave_keys_to_images(root: QWidget) -> None:
    """No keyboard focus for ``root``'s buttons (check boxes included), tables, lists and combo boxes, nor
    for ``root`` itself: a click acts, the keys stay where the reader's images have them."""
    root.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    for kind in (QAbstractButton, QAbstractItemView, QComboBox):
        for w in root.findChildren(kind):
            if not in_a_combo(w):  # a combo's open list keeps the keys while it is open
                w.setFocusPolicy(Qt.FocusPolicy.NoFocus)


def in_a_combo(w: QWidget) -> bool:
    """Whether ``w`` is part of a combo box (its pop-up list)."""
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parentWidget()
    return False
