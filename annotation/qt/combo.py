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

from PySide6.QtCore import QElapsedTimer, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QApplication, QComboBox, QListView, QWidget


def typed_choice(labels: list[str], typed: str) -> int | None:
    """The row a reader means by typing ``typed`` into a list of ``labels``: the first label that starts with it,
    else the first with a word that does ("n" -> "lymph node"); the same letter typed again (``"ll"``) steps to
    the next label starting with it. None: no label fits.

    Qt's own search steps from the current row: on "liver" (the default organ) "l" gave "lung", and a reader
    typing "l" for liver recorded a lung lesion (a radiologist's read). Here the typed letters name a choice
    whatever the current one is."""
    text = typed.casefold()
    if not text:
        return None
    names = [label.casefold() for label in labels]
    for fits in (lambda name: name.startswith(text),
                 lambda name: any(word.startswith(text) for word in name.replace("-", " ").split())):
        rows = [i for i, name in enumerate(names) if fits(name)]
        if rows:
            return rows[0]
    if len(text) > 1 and text == text[0] * len(text):  # "ll": the second label starting with "l"
        rows = [i for i, name in enumerate(names) if name.startswith(text[0])]
        if rows:
            return rows[(len(text) - 1) % len(rows)]
    return None


class TypedListView(QListView):
    """A combo box's list whose keyboard search picks by :func:`typed_choice` (open, or closed with the keys:
    QComboBox searches through its view either way)."""

    def __init__(self) -> None:
        super().__init__()
        self._typed = ""
        self._since = QElapsedTimer()

    def keyboardSearch(self, search: str) -> None:  # noqa: N802 - Qt's name
        model = self.model()
        if model is None or not search:
            return
        if not self._since.isValid() or self._since.elapsed() > QApplication.keyboardInputInterval():
            self._typed = ""
        self._since.start()
        labels = [str(model.index(r, self.modelColumn()).data() or "") for r in range(model.rowCount())]
        row = typed_choice(labels, self._typed + search)
        if row is None:  # nothing fits the letters so far: a new word
            row = typed_choice(labels, search)
            self._typed = search if row is not None else self._typed
        else:
            self._typed += search
        if row is not None:
            self.setCurrentIndex(model.index(row, self.modelColumn()))


class StillCombo(QComboBox):
    """A combo box changed by a click and a choice only: no keyboard focus, and the wheel goes to the
    panel under it (which scrolls) instead of turning it. Letters typed into its open list pick the first
    choice they begin (:func:`typed_choice`)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setView(TypedListView())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        event.ignore()  # to the panel, which scrolls


def leave_keys_to_images(root: QWidget) -> None:
    """No keyboard focus for ``root``'s buttons (check boxes included), tables, lists and combo boxes, nor
    for ``root`` itself: a click acts, the keys stay where the reader's images have them.

    A table whose cells are edited by typing (the treatment lines') takes the focus by a click, not by Tab: the keys
    typed on its selected cell are the cell's (app/typing_guard.py keeps the reading keys off them); without the focus,
    a drug's name typed there went to the images as reading keys (review44b: N made a lesion, S opened a menu)."""
    root.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    for kind in (QAbstractButton, QAbstractItemView, QComboBox):
        for w in root.findChildren(kind):
            if not in_a_combo(w):  # a combo's open list keeps the keys while it is open
                typed_into = isinstance(w, QAbstractItemView) \
                    and bool(w.editTriggers() & QAbstractItemView.EditTrigger.AnyKeyPressed)
                w.setFocusPolicy(Qt.FocusPolicy.ClickFocus if typed_into else Qt.FocusPolicy.NoFocus)


def in_a_combo(w: QWidget) -> bool:
    """Whether ``w`` is part of a combo box (its pop-up list)."""
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parentWidget()
    return False
