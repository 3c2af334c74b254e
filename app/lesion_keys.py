"""The keys for a whole lesion: its Couinaud segment (``S``), Clear on the active series (``Ctrl+Del``) and
Delete lesion (``Shift+Del``). The lesion grid's combo box and buttons did these by mouse only (a radiologist's read,
session 43: every other reading step has its key).

The segment key opens a small menu where the pointer is (over the images, else on the active cell), each segment under
its digit, as Horos and Weasis offer a choice from the keyboard: ``S`` then ``4``. Delete lesion asks first, with No
the default button: ``Enter`` is the reader's go-on key, and a whole lesion on six series is more than one step to lose
by a slip (Ctrl+Z brings it back too)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu, QMessageBox

from annotation.vocab import CouinaudSegment
from app import reading_commands as cmd

#: the digit under which each segment is chosen (0: none)
SEGMENT_KEYS: tuple[tuple[str, CouinaudSegment | None], ...] = (
    *((str(i), s) for i, s in enumerate(CouinaudSegment, start=1)), ("0", None))


class LesionKeys:
    """Handlers of the whole-lesion keys for the main window (``window``: its state, grid and lesion panel)."""

    def __init__(self, window: Any) -> None:
        self.window = window

    def handlers(self) -> dict[str, Any]:
        return {"segment": self.ask_segment, "delete_lesion": self.delete_lesion,
                "clear_status": lambda: cmd.clear_status(self.window.state)}

    # ------------------------------------------------------------------ segment
    def segment_menu(self, lesion_id: str, current: CouinaudSegment | None) -> QMenu:
        menu = QMenu(f"Segment of {lesion_id}", self.window)
        menu.setObjectName("segment_menu")
        title = menu.addAction(f"Segment of {lesion_id}")
        title.setEnabled(False)
        for key, seg in SEGMENT_KEYS:
            act = menu.addAction(f"&{key}   {seg.value + ' (' + seg.lobe.value + ')' if seg else 'none'}")
            act.setCheckable(True)
            act.setChecked(seg == current)
            act.setData(key)
        return menu

    def _where(self) -> QPoint:
        """The pointer when it is over the window, else the middle of the active cell."""
        w = self.window
        pos = QCursor.pos()
        if QRect(w.mapToGlobal(QPoint(0, 0)), w.size()).contains(pos):
            return pos
        cell = w.grid.active_widget
        return QPoint(cell.mapToGlobal(cell.rect().center()) if cell is not None else w.mapToGlobal(w.rect().center()))

    def ask_segment(self) -> None:
        state = self.window.state
        les = cmd.current_lesion(state)
        chosen = self.segment_menu(les.lesion_id, les.segment).exec(self._where())
        if chosen is None or chosen.data() is None:
            state.say(f"{les.lesion_id}'s segment left as it is")
            return
        cmd.set_segment(state, les.lesion_id, dict(SEGMENT_KEYS)[chosen.data()])

    # ------------------------------------------------------------------ delete
    def confirm_delete(self, lesion_id: str, n_series: int) -> bool:
        """The reader's yes to deleting a whole lesion; No is the default (Enter)."""
        answer = QMessageBox.question(self.window, "Delete lesion",
                                      f"Delete lesion {lesion_id} (recorded on {n_series} series)? "
                                      "(Ctrl+Z brings it back)",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def delete_lesion(self) -> None:
        state = self.window.state
        les = cmd.current_lesion(state)
        if not self.confirm_delete(les.lesion_id, len(les.observations)):
            state.say(f"lesion {les.lesion_id} kept")
            return
        cmd.delete_lesion(state, les.lesion_id)
