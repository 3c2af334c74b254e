"""Reading keys work wherever the focus is, except while the reader types into a field.

Qt offers a key to the focused widget first (a ShortcutOverride event) and fires a window
shortcut only when the widget does not claim it. Line edits claim printable keys themselves, but
a combo box (whose keyboard search picks "NET" on N) and a spin box do not: without this guard,
typing N into the Differentiation box would start a new lesion. The guard claims printable keys
without Ctrl/Alt/Meta for every field the reader types into; item views (the lesion grid, the
study browser) are not fields, so reading keys work there.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

FIELDS = (QComboBox, QAbstractSpinBox, QLineEdit, QTextEdit, QPlainTextEdit)
COMMAND_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier


class TypingGuard(QObject):
    """Install on the application: ``app.installEventFilter(TypingGuard(window))``."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and isinstance(watched, QWidget) and isinstance(watched, FIELDS) \
                and event.text() and event.text().isprintable() and not (event.modifiers() & COMMAND_MODIFIERS):
            event.accept()  # the field gets the key; no reading key fires
            return True
        return False
