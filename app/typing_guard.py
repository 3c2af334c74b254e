"""Reading keys work wherever the focus is, except while the reader types into a field.

Qt offers a key to the focused widget first (a ShortcutOverride event) and fires a window
shortcut only when the widget does not claim it. Line edits claim printable keys themselves, but
a combo box (whose keyboard search picks "NET" on N) and a spin box do not: without this guard,
typing N into the Differentiation box would start a new lesion. The guard claims printable keys
without Ctrl/Alt/Meta for every field the reader types into; item views (the lesion grid, the
study browser) are not fields, so reading keys work there.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDockWidget, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

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
        if kind == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and isinstance(watched, QWidget) and isinstance(watched, FIELDS) \
                and event.text() and event.text().isprintable() and not (event.modifiers() & COMMAND_MODIFIERS):
            event.accept()  # the field gets the key; no reading key fires
            return True
        if kind == QEvent.Type.MouseButtonRelease and self.give_back is not None and isinstance(watched, QWidget):
            panel = watched.window()
            if isinstance(panel, QDockWidget) and panel.isFloating():
                give_back = self.give_back
                QTimer.singleShot(0, lambda: give_back(panel))
        return False


def takes_typing(widget: QWidget) -> bool:
    """Whether ``widget`` is a field the reader types into (its keys are the field's, not the reading's)."""
    return isinstance(widget, FIELDS)
