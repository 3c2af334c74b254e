"""review45a: Checks' lost_mark names no development session (the box and the status bar say 'an older lesionlab'
since d13a14c; Checks and the xlsx's Checks still said 'a project written before session 44')."""
from __future__ import annotations

from annotation.checks import CheckCode, check_pair
from tests.annotation.test_lost_marks_s45 import _as_stored_before_44, _measured, _reading


def test_the_checks_lost_mark_names_no_session() -> None:
    r = _reading()
    uid = "2.25.4004"
    _measured(r, ("P1", "E1"), uid)
    _measured(r, ("P1", "E2"), uid)
    _as_stored_before_44(r, [("P1", "E1"), ("P1", "E2")], uid)
    (said,) = [c for c in check_pair(r.project, "P1", "E1", "R1") if c.code is CheckCode.LOST_MARK]
    assert "session" not in said.message and "older than December 2026" in said.message, said.message
