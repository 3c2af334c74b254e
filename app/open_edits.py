"""Text typed and not yet kept (no Enter, the keys not gone elsewhere) is kept before the window lets go of what it was
typed for: as the window closes (Ctrl+Q), another exam or patient opens, the exam closes or another reading project
opens.

A cell's editor (the treatment lines' Name, Start, End) hands its text to the table only on Enter or when the keys
leave it; the clinical record's number fields likewise (editingFinished). Ctrl+Q closed the project first, and
"XELOX" typed in a line's Name cell was lost without a word, the store keeping CAPTEM (session 47's reader). Kept here
as Enter keeps it: the edit is recorded (undoable), or refused and said where it was typed, as Enter's would be; a
refusal as the window closes is asked about (go back to it, or close without it).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QAbstractItemView, QApplication, QLineEdit, QWidget


def _editor_of(view: QAbstractItemView) -> QWidget | None:
    """The editor open in ``view`` (its state is EditingState): the viewport's shown child over a cell that is not
    the cell's own widget (a cell's combo box is a child of the viewport too, and a persistent editor to Qt)."""
    viewport = view.viewport()
    for child in viewport.findChildren(QWidget):
        if child.parentWidget() is not viewport or not child.isVisible():
            continue
        index = view.indexAt(child.geometry().center())
        if index.isValid() and view.indexWidget(index) is child and not view.isPersistentEditorOpen(index):
            return child
    return None


def commit_open_edits(root: QWidget) -> list[str]:
    """Keep what is typed in any cell editor or field under ``root`` (its floating panels too); the texts of cells
    whose edit was refused (a Start that is no date), the cell showing its record's text again: ``"'soon' in Start"``.
    """
    refused: list[str] = []
    for view in root.findChildren(QAbstractItemView):
        if view.state() != QAbstractItemView.State.EditingState:
            continue
        editor = _editor_of(view)
        if editor is None:
            continue
        index = view.currentIndex()
        typed = editor.text().strip() if isinstance(editor, QLineEdit) else None
        model, row, column = view.model(), index.row(), index.column()
        old = str(index.data() or "").strip()
        delegate = view.itemDelegateForIndex(index) or view.itemDelegate()
        delegate.commitData.emit(editor)  # the table's itemChanged: recorded or refused, as on Enter
        delegate.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        now = str(model.index(row, column).data() or "").strip() if model is not None and row >= 0 else old
        # refused: the cell shows its record's text again (a date kept is written as the record writes it)
        if typed is not None and typed != old and now == old:
            header = model.headerData(column, Qt.Orientation.Horizontal) if model is not None else None
            refused.append(f"{typed!r}" + (f" in {header}" if header else ""))
    focus = QApplication.focusWidget() or root.focusWidget()
    if isinstance(focus, QLineEdit) and focus.isModified() and root.isAncestorOf(focus):
        inside_view = focus.parentWidget()
        while inside_view is not None and not isinstance(inside_view, QAbstractItemView):
            inside_view = inside_view.parentWidget()
        if inside_view is None:  # a field's editingFinished keeps it (the clinical record's numbers)
            focus.editingFinished.emit()
            focus.setModified(False)
    return refused


__all__ = ["commit_open_edits"]
