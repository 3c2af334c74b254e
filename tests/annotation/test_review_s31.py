"""A review of session 31: reproductions in the reading model (Qt-free)."""
from __future__ import annotations

from annotation.followup import FollowupEditor
from annotation.reading import Reading
from annotation.records import NotVisible
from annotation.vocab import Lobe
from tests.annotation.conftest import make_geometry
from viewer.records import Role

PAIR = ("P1", "E1")


def _reading() -> tuple[Reading, object]:
    r = Reading(reader="R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1", ct_study_uid="1.2.3", mri_study_uid="1.2.4")
    geo = make_geometry(pixel_spacing=(1.0, 1.0), n=20)  # 5 mm slices
    return r, geo


def _right(r: Reading) -> int:
    return r.project.counts("P1", "E1", "R1")[(Role.CT_PORTAL, Lobe.RIGHT)]


def test_moving_an_end_after_a_sphere_takeover_counts_the_lesion_once() -> None:
    """Counted on slice 5, measured on slice 6 (40 mm line, 5 mm away): the click is taken over (count 1). Then one
    end of the line is moved (or its short axis drawn): move_endpoint passes no slice positions, the adopted mark on
    slice 5 is released and a pre-placed mark is put on slice 6: counted twice."""
    r, geo = _reading()
    r.add_count_mark(PAIR, "ct_portal", "right", stack_key="k", slice_index=5, row=100.0, col=100.0)
    lid = r.add_lesion(PAIR, "right")
    r.measure(PAIR, lid, "ct_portal", geo, "k", "1.2", 6, (100.0, 80.0), (100.0, 120.0))
    assert _right(r) == 1
    r.move_endpoint(PAIR, lid, "ct_portal", 2, (100.0, 122.0))
    assert _right(r) == 1, [(m.slice_index, m.lesion_id) for m in r.project.count_marks.values()]


def test_a_short_axis_after_a_sphere_takeover_counts_the_lesion_once() -> None:
    r, geo = _reading()
    r.add_count_mark(PAIR, "ct_portal", "right", stack_key="k", slice_index=5, row=100.0, col=100.0)
    lid = r.add_lesion(PAIR, "right")
    r.measure(PAIR, lid, "ct_portal", geo, "k", "1.2", 6, (100.0, 80.0), (100.0, 120.0))
    r.set_short_axis(PAIR, lid, "ct_portal", (90.0, 100.0), (110.0, 100.0))
    assert _right(r) == 1, [(m.slice_index, m.lesion_id) for m in r.project.count_marks.values()]


def test_the_takeover_leaves_a_separate_small_lesions_mark() -> None:
    """A 40 mm lesion measured on slice 10; a separate 6 mm satellite counted (not measured) on slice 7, 15 mm above
    and 10 mm off the big one's centre (hypot 18 mm < 20 mm): the satellite's mark becomes the big lesion's, and the
    series counts one lesion for two."""
    r, geo = _reading()
    r.add_count_mark(PAIR, "ct_portal", "right", stack_key="k", slice_index=7, row=110.0, col=100.0)
    lid = r.add_lesion(PAIR, "right")
    r.measure(PAIR, lid, "ct_portal", geo, "k", "1.2", 10, (100.0, 80.0), (100.0, 120.0))
    assert _right(r) == 2, [(m.slice_index, m.lesion_id) for m in r.project.count_marks.values()]


def _carried():  # type: ignore[no-untyped-def]
    from tests.annotation.test_followup_reading import _line, _two_exams
    r, ed = _two_exams()
    t = r.add_lesion(("P", "E1"), "right")
    _line(r, ("P", "E1"), t, 14.0)
    ed.set_lesion_followup(("P", "E1"), t, "target")
    ed.carry_forward(("P", "E1"), t, ("P", "E2"), keep_id=True)
    return r, t, _line


def test_v_over_the_line_at_follow_up_says_disappeared() -> None:
    """A carried target measured at follow-up (status measured by the line), then V: the line is replaced by not
    visible, and the status stays 'measured' with no line: the response reads it NE (or worse), the dock says
    measured. By the commit's rule V says it has gone: disappeared."""
    r, t, line = _carried()
    line(r, ("P", "E2"), t, 6.0)
    assert r.project.lesion_followups[("P", "E2", "R", t)].status.value == "measured"
    r.set_observation(("P", "E2"), t, "ct_portal", NotVisible())
    assert r.project.lesion_followups[("P", "E2", "R", t)].status.value == "disappeared", r.undo_description


def test_v_cleared_after_manual_disappeared_keeps_the_status() -> None:
    """Status set to 'disappeared' by hand in the dock, then V pressed and cleared: the hand-set status was lost."""
    r, t, line = _carried()
    FollowupEditor(r).set_lesion_followup(("P", "E2"), t, "target", status="disappeared")
    r.set_observation(("P", "E2"), t, "ct_portal", NotVisible())
    r.set_observation(("P", "E2"), t, "ct_portal", None)
    assert r.project.lesion_followups[("P", "E2", "R", t)].status.value == "disappeared"


def test_a_followup_or_clinical_step_names_its_patient_so_the_window_arms_it() -> None:
    """MainWindow._replay arms only steps whose undo_pairs are another pair's; _pairs_changed reads PAIR_TABLES
    only, so a follow-up status set in the dock, or a clinical edit, of another patient is undone at the first press
    with nothing said before."""
    from tests.annotation.test_followup_reading import _two_exams
    r, ed = _two_exams()
    a = r.add_lesion(("P", "E1"), "right")
    ed.set_lesion_followup(("P", "E1"), a, "target")
    assert r.undo_pairs, r.undo_description
    r.edit_patient("P", sex="F")
    assert r.undo_pairs, r.undo_description
