"""The status bar's message: one line, cut at the window's width with "…" (the whole on hover).

A long refusal ends with its figures ("… worst +12.6 mm (goal 3 mm)"); cut without a mark it read
"worst +12", a figure of its own. ``text()`` stays the whole message (the tooltip shows it).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """A one-line label that ends a text too long for it with "…"; its tooltip is the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight, max_width: int | None = None) -> None:
        super().__init__(text, parent)
        self._mode = mode
        if max_width is None:
            # a long message is cut at the window's width, not widening it
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        else:
            # as wide as its text up to ``max_width``, then cut (the store's path beside the message: it
            # took 710 of a 1,500 px bar, and the message's advice was cut)
            self.setMaximumWidth(max_width)

    #: how many times in a row the same message was said (:meth:`say`); shown as "(2×) " before it
    repeats = 1
    #: the text's beginning never cut (the reader's name before the store's path: "reader: sa…e" was left of
    #: "reader: sample · /a/long/path/followup.lesionlab", a reader's check); the rest is cut as the mode says
    keep_prefix = ""

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self.repeats = 1
        super().setText(text)
        self.setToolTip(text)

    def say(self, text: str) -> None:
        """A message said to the reader: the same one said again is counted, so the bar shows that the
        second click was heard (a reader's check clicked twice, was refused twice alike, and saw nothing
        change). ``text()`` stays the message."""
        again = text == self.text() and bool(text)
        repeats = self.repeats + 1 if again else 1
        self.setText(text)
        self.repeats = repeats
        self.update()

    def needed_width(self) -> int:
        """The width that shows the whole text (with its repeat count), margins included."""
        text = f"({self.repeats}×) {self.text()}" if self.repeats > 1 else self.text()
        m = self.contentsMargins()
        return self.fontMetrics().horizontalAdvance(text) + m.left() + m.right() + 2 * self.margin() + 2

    def prefix_width(self) -> int:
        """The width that shows :attr:`keep_prefix` and "…" (the least this label is given beside a long message)."""
        m = self.contentsMargins()
        return self.fontMetrics().horizontalAdvance(self.keep_prefix + "……") + m.left() + m.right() + 2

    def shown_text(self) -> str:
        """What fits: the text, or its beginning and "…" (after the repeat count, when said again)."""
        text = f"({self.repeats}×) {self.text()}" if self.repeats > 1 else self.text()
        width, metrics = self.contentsRect().width(), self.fontMetrics()
        head = self.keep_prefix
        if head and text.startswith(head) and metrics.horizontalAdvance(text) > width:
            room = width - metrics.horizontalAdvance(head)
            if room > metrics.horizontalAdvance("……"):
                return head + metrics.elidedText(text[len(head):], self._mode, room)
        return metrics.elidedText(text, self._mode, width)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()), self.palette(), self.isEnabled(),
                                  self.shown_text(), self.foregroundRole())


class StatusProgress(QProgressBar):
    """The status bar's progress bar, saying when it appears or goes (the texts beside it share the room left)."""

    shown_or_hidden = Signal()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.shown_or_hidden.emit()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        super().hideEvent(event)
        self.shown_or_hidden.emit()
