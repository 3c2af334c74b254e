"""Text typed and not yet kept (no Enter, the keys not gone elsewhere) is kept before the window lets go of what it was
typed for: as the window closes (Ctrl+Q), another exam or patient opens, the exam closes, another reading project
or a reader study opens, or a study case is left (Ctrl+N, another case, Finish this case: app/study_dialog.py).

A cell's editor (the treatment lines' Name, Start, End) hands its text to the table only on Enter or when the keys
leave it; the clinical record's number fields likewise (editingFinished). Ctrl+Q closed the project first, and
"XELOX" typed in a line's Name cell was lost without a word, the store keeping CAPTEM (session 47's reader). Kept here
as Enter keeps it: the edit is recorded (undoable), or refused and said where it was typed, as Enter's would be; a
refusal as the window closes, or another exam or project opens, is asked about (go back to it, or go on without it).

What cannot be kept is given back as :class:`Unkept`: a refused cell's text, and a treatment line added whose start
date is not typed (a line needs one: Ctrl+Q dropped "XELOX" typed in its Name without a word, session 47's review).
"Go back to it" (:meth:`Unkept.go_back`) reopens the cell's editor holding what was typed, selected, to be corrected:
it reopened on the record's old text, what was typed gone (session 47's review).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractItemDelegate, QAbstractItemView, QApplication, QLineEdit, QWidget

from annotation.qt.cells import editor_of, reopen_cell
from annotation.qt.followup_lines import TreatmentLines


@dataclass(frozen=True)
class Unkept:
    """Something typed the window could not keep: ``said`` names it (``"'soon' in Start"``), ``go_back`` shows where
    it was typed, ready to be corrected."""

    said: str
    go_back: Callable[[], None]

    def __str__(self) -> str:
        return self.said


def _go_back_later(view: QAbstractItemView, row: int, column: int, typed: str) -> Callable[[], None]:
    """Reopen the cell once the events of its refusal have run (a line added waits for its start: its Start cell
    opened again, empty, on the next turn of the event loop)."""
    return lambda: QTimer.singleShot(0, view, lambda: reopen_cell(view, row, column, typed))


def commit_open_edits(root: QWidget, staying_patient: str | None = None) -> list[Unkept]:
    """Keep what is typed in any cell editor or field under ``root`` (its floating panels too); what could not be
    kept: the texts of cells whose edit was refused (a Start that is no date), the cell showing its record's text
    again, and the treatment lines' :meth:`~annotation.qt.followup_lines.TreatmentLines.unkept` (a text refused there
    before, by Enter or a click elsewhere; a line added with something typed but no start date, but for
    ``staying_patient``'s: it waits for its start while another exam of its patient is open)."""
    refused: list[Unkept] = []
    lines = root.findChildren(TreatmentLines)
    remembering = {id(x.table) for x in lines}  # their tables' refusals are theirs to say (TreatmentLines.unkept)
    for view in root.findChildren(QAbstractItemView):
        if view.state() != QAbstractItemView.State.EditingState:
            continue
        editor = editor_of(view)
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
        if typed is not None and typed != old and now == old and id(view) not in remembering:
            header = model.headerData(column, Qt.Orientation.Horizontal) if model is not None else None
            refused.append(Unkept(f"{typed!r}" + (f" in {header}" if header else "") + ": refused",
                                  _go_back_later(view, row, column, typed)))
    refused += [Unkept(said, back) for x in lines for said, back in x.unkept(staying_patient)]
    focus = QApplication.focusWidget() or root.focusWidget()
    if isinstance(focus, QLineEdit) and focus.isModified() and root.isAncestorOf(focus):
        inside_view = focus.parentWidget()
        while inside_view is not None and not isinstance(inside_view, QAbstractItemView):
            inside_view = inside_view.parentWidget()
        if inside_view is None:  # a field's editingFinished keeps it (the clinical record's numbers)
            focus.editingFinished.emit()
            focus.setModified(False)
    return refused


def keep_or_ask(root: QWidget, ask: Callable[[str, str, dict[str, str]], str | None], title: str,
                leave: tuple[str, str], *, staying_patient: str | None = None) -> bool:
    """What is typed kept (:func:`commit_open_edits`); what cannot be is asked about: "Go back to it" (False: the
    window stays, the first thing not kept shown to be corrected) or ``leave`` (its key and label: True). What was
    said is let go (:func:`let_go`) once the other exam or project has opened, by the caller: a chooser cancelled
    (Ctrl+P, File -> Open) or a project that failed to open kept the exam open, and the line added waiting for its
    start had gone all the same (review48).

    Asked as the window closes, and as another exam or project opens: an exam change only said a refusal in its
    panel, out of sight once the next exam's images took the reader's eye (session 47's review)."""
    unkept = commit_open_edits(root, staying_patient)
    if unkept:
        said = "\n".join(f"• {u}" for u in unkept)
        if ask(title, f"Typed and not recorded:\n{said}\n\n(the panel where it was typed says why)",
               {"back": "Go back to it", leave[0]: leave[1]}) != leave[0]:
            unkept[0].go_back()
            return False
    return True


def let_go(root: QWidget, staying_patient: str | None = None, leaving_project: bool = False) -> None:
    """What :func:`keep_or_ask` said, let go once the other exam (of ``staying_patient``) or project
    (``leaving_project``: a line added waiting for its start is dropped, it belonged to the project left) has opened:
    asked again only if typed again."""
    for lines in root.findChildren(TreatmentLines):
        lines.let_go(staying_patient, leaving_project)


__all__ = ["Unkept", "commit_open_edits", "keep_or_ask", "let_go"]
