"""Reading keys work wherever the focus is, except while the reader types into a field.

Qt offers a key to the focused widget first (a ShortcutOverride event) and fires a window
shortcut only when the widget does not claim it. Line edits claim printable keys themselves, but
a combo box (whose keyboard search picks "NET" on N) and a spin box do not: without this guard,
typing N into the Differentiation box would start a new lesion. The guard claims printable keys
without Ctrl/Alt/Meta for every field the reader types into; item views (the lesion grid, the
study browser) are not fields, so reading keys work there.

An item view's editable cell is a field too (review44b: typing a drug's name into the treatment lines' table made
lesion L5 on "n" and opened the segment menu on "S"): a printable key on a current cell that a key opens for editing
(edit trigger AnyKeyPressed, the cell editable) is the view's, which opens the cell's editor with it; the editor is a
line edit, a field above. There Esc drops the edit (Qt's delegate claims it) and Enter keeps it (the window's Enter
acts only in a reading cell). Keys with Ctrl/Alt/Meta (Ctrl+Z, Ctrl+S) still reach the window; on a selected cell
(no editor open) Esc stays the window's (but on the row of a treatment line added whose start is not typed yet, which it
drops: TypedTable.escape) and the arrows move in the table. Del and Backspace there are the table's,
which clears the cell as a spreadsheet does (annotation.qt.cells.TypedTable): the window's Del deletes the line or
mark picked on the images when the pointer is on none, and Del on a treatment line's End cell deleted the line just
drawn (session 45), wherever in the table the cell was (a Line number cell too, not edited); Ctrl+Del likewise (the
window's Clear on the active series took the current lesion's line); Shift+Del (Delete lesion, asked first) stays.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QAbstractSpinBox, QComboBox, QDockWidget, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from annotation.qt.cells import CLEAR_KEYS, TypedTable, clears_cell

FIELDS = (QComboBox, QAbstractSpinBox, QLineEdit, QTextEdit, QPlainTextEdit)
COMMAND_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier


class TypingGuard(QObject):
    """Install on the application: ``app.installEventFilter(TypingGuard(window, give_back))``. One filter sees every
    event of the application, so both of its jobs are here (two filters cost two Python calls per event):

    * printable keys typed into a field are the field's (above);
    * a click in a floating panel (the lesion grid on a second screen) made it the active window, and the reading keys
      bound to the image grid (Page Up/Down, the arrows, Enter, Tab...) went dead until an image was clicked (a
      reader's check): after a mouse release in a floating panel, ``give_back(panel)`` returns the keys to the main
      window (it leaves them where a field took the keyboard)."""

    def __init__(self, parent: QObject | None = None, give_back: Callable[[QDockWidget], None] | None = None) -> None:
        super().__init__(parent)
        self.give_back = give_back

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and isinstance(watched, QWidget) \
                and _claims(watched, event):
            event.accept()  # the field gets the key; no reading key fires
            return True
        if kind == QEvent.Type.MouseButtonRelease and self.give_back is not None and isinstance(watched, QWidget):
            panel = watched.window()
            if isinstance(panel, QDockWidget) and panel.isFloating():
                give_back = self.give_back
                QTimer.singleShot(0, lambda: give_back(panel))
        return False


def _claims(widget: QWidget, event: QKeyEvent) -> bool:
    """Whether the key is ``widget``'s (the focused widget, or a parent the key goes on to) rather than a reading
    key's."""
    if event.key() in CLEAR_KEYS and typed_into(widget):
        return clears_cell(event)  # Del / Backspace (Ctrl+Del too) on any of its cells: cleared there, nothing read
    if event.key() == Qt.Key.Key_Escape and isinstance(widget, TypedTable) and widget.escape() is not None:
        return True  # Esc on a treatment line added whose start is not typed yet: that line dropped
    return bool(event.text()) and event.text().isprintable() and not (event.modifiers() & COMMAND_MODIFIERS) \
        and takes_typing(widget)


def typed_into(widget: QWidget) -> bool:
    """Whether ``widget`` is an item view whose cells a key opens for editing (Qt: edit trigger AnyKeyPressed)."""
    return isinstance(widget, QAbstractItemView) \
        and bool(widget.editTriggers() & QAbstractItemView.EditTrigger.AnyKeyPressed)


def takes_typing(widget: QWidget) -> bool:
    """Whether ``widget`` is a field the reader types into (its keys are the field's, not the reading's): a text
    field (an open cell's editor is one), or an item view whose current cell a key opens for editing (Qt: edit
    trigger AnyKeyPressed, the cell editable)."""
    if isinstance(widget, FIELDS):
        return True
    if not isinstance(widget, QAbstractItemView) or not typed_into(widget):
        return False
    index = widget.currentIndex()
    return index.isValid() and bool(index.flags() & Qt.ItemFlag.ItemIsEditable)
