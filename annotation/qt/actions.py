"""Undo / Redo actions (Ctrl+Z, Ctrl+Shift+Z) bound to a Reading, named after the edit they revert."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from annotation.reading import Reading


def undo_redo_actions(reading: Reading, parent: QWidget) -> tuple[QAction, QAction]:
    """Two actions to put in the Edit menu (and on the window: they carry the shortcuts)."""
    undo = QAction("Undo", parent)
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = QAction("Redo", parent)
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)])
    undo.triggered.connect(lambda: reading.undo())
    redo.triggered.connect(lambda: reading.redo())

    def refresh(*_: object) -> None:
        undo.setEnabled(reading.can_undo)
        undo.setText(f"Undo {reading.undo_description}" if reading.can_undo else "Undo")
        redo.setEnabled(reading.can_redo)
        redo.setText(f"Redo {reading.redo_description}" if reading.can_redo else "Redo")

    unsubscribe = reading.subscribe(refresh)
    parent.destroyed.connect(lambda *_: unsubscribe())
    refresh()
    return undo, redo
