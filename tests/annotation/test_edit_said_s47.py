"""Session 47: each follow-up edit says what it recorded (its undo step's description, which the window's status bar
says as "recorded: ..."): two edits of one treatment line or of one lesion's follow-up read alike, and the status bar
counted them as one message said twice ("(2×) recorded: treatment line 1 of P", session 46's reader)."""

from __future__ import annotations

from annotation.followup import FollowupEditor
from annotation.reading import Reading


def _reading() -> tuple[Reading, FollowupEditor]:
    r = Reading(reader="R")
    r.add_patient("P")
    r.add_exam_pair("P", "E1", ct_date="2024-01-01")
    return r, FollowupEditor(r)


def test_a_treatment_line_edit_says_what_changed() -> None:
    r, ed = _reading()
    ed.add_treatment_line("P", "FOLFOX", "2024-01-10")
    assert r.undo_description == "treatment line 1 of P: FOLFOX, start 2024-01-10"
    ed.set_treatment_line("P", 1, "FOLFIRI", "2024-01-10")
    assert r.undo_description == "treatment line 1 of P: name FOLFIRI"
    ed.set_treatment_line("P", 1, "FOLFIRI", "2024-01-11")
    assert r.undo_description == "treatment line 1 of P: start 2024-01-11"
    ed.set_treatment_line("P", 1, "FOLFIRI", "2024-01-11", "2024-06-01")
    assert r.undo_description == "treatment line 1 of P: end 2024-06-01"
    ed.set_treatment_line("P", 1, "FOLFIRI", "2024-01-11")
    assert r.undo_description == "treatment line 1 of P: no end date"


def test_a_lesion_follow_up_edit_says_what_changed() -> None:
    r, ed = _reading()
    lid = r.add_lesion(("P", "E1"), "right")
    ed.set_lesion_followup(("P", "E1"), lid, "target")
    first = r.undo_description
    assert first == f"follow-up of {lid}: target, measured", first
    ed.set_lesion_followup(("P", "E1"), lid, "target", treated=True)
    assert r.undo_description == f"follow-up of {lid}: treated"  # before: "follow-up of L1: target, measured" again
    ed.set_lesion_followup(("P", "E1"), lid, "target", treated=True, assessed_role="mr_t2fs")
    assert r.undo_description == f"follow-up of {lid}: read on T2 FS"
    ed.set_lesion_followup(("P", "E1"), lid, "target", treated=True, assessed_role="mr_t2fs", organ="lymph_node",
                           nodal=True)
    said = r.undo_description
    assert said.startswith(f"follow-up of {lid}: organ lymph node") and "nodal" in said, said


def test_a_comment_edit_says_the_comment() -> None:
    r, _ed = _reading()
    lid = r.add_lesion(("P", "E1"), "right")
    r.edit_lesion(("P", "E1"), lid, comment="rim enhancing")
    assert r.undo_description == f"edit lesion {lid}: comment 'rim enhancing'"
    r.edit_lesion(("P", "E1"), lid, comment="")
    assert r.undo_description == f"edit lesion {lid}: no comment"
