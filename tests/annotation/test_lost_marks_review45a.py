"""review45a: Checks' lost_mark names no development session (the box and the status bar say 'an older lesionlab'
since d13a14c; Checks and the xlsx's Checks still said 'a project written before session 44')."""
from __future__ import annotations

from annotation.checks import CheckCode, check_pair
from annotation.lost_marks import lost_count_marks, lost_marks_text
from tests.annotation.test_lost_marks_s45 import _as_stored_before_44, _measured, _reading


def test_the_checks_lost_mark_names_no_session() -> None:
    r = _reading()
    uid = "2.25.4004"
    _measured(r, ("P1", "E1"), uid)
    _measured(r, ("P1", "E2"), uid)
    _as_stored_before_44(r, [("P1", "E1"), ("P1", "E2")], uid)
    (said,) = [c for c in check_pair(r.project, "P1", "E1", "R1") if c.code is CheckCode.LOST_MARK]
    assert "session" not in said.message and "older than December 2026" in said.message, said.message


def test_a_mark_the_reader_deleted_before_the_later_exam_took_its_id_is_told_as_possibly_deliberate() -> None:
    """In an older store the reader deleted E1's placed mark (the lesion counted by a click of theirs on another slice,
    beyond the takeover's reach: counted twice), then measured the lesion carried to E2, whose mark took the old id:
    E1 is listed as lost. The box told to count it again (C and a click): counted twice again. It says now that a mark
    deleted on purpose is listed too, and to leave that one."""
    r = _reading()
    uid = "2.25.5005"
    lid = _measured(r, ("P1", "E1"), uid)
    (placed,) = r.project.marks_of_lesion("P1", "E1", "R1", lid)
    r.delete_count_mark(placed.mark_id)  # deliberately: counted by the reader's own click elsewhere
    _measured(r, ("P1", "E2"), uid)
    _as_stored_before_44(r, [("P1", "E2")], uid)
    lost = lost_count_marks(r.project)
    assert [(x.exam_pair_id, x.taken_by[1]) for x in lost] == [("E1", "E2")]  # cannot be told from a loss
    assert "deleted yourself" in lost_marks_text(lost, r.project)
