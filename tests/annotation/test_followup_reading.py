"""The reader's side of follow-up, Qt-free: timepoints recorded at the first follow-up edit, carry
forward keeping ids, "lines drawn -> measured", role changes and baselines offered by a new line,
non-liver lesions out of the liver counts, and the live course the Follow-up panel shows."""

from __future__ import annotations

import datetime as _dt

import pytest

from analysis.response_live import live_course
from analysis.response_records import Response
from annotation.followup import FollowupEditor, role_change, suggested_baseline, timepoint_of_pair, timepoints_of
from annotation.reading import Reading
from annotation.vocab import Lobe
from tests.annotation.test_followup import GEO, build_course
from viewer.errors import ValidationError
from viewer.records import Role


def _two_exams() -> tuple[Reading, FollowupEditor]:
    r = Reading(reader="R")
    r.add_patient("P")
    r.add_exam_pair("P", "E1", ct_date="2024-01-01", mri_date="2024-01-20")
    r.add_exam_pair("P", "E2", ct_date="2024-04-01")
    return r, FollowupEditor(r)


def _line(r: Reading, pair: tuple[str, str], lid: str, d: float, role: str = "ct_portal") -> None:
    r.measure(pair, lid, role, GEO, "k", "1.2", 3, (100.0, 100.0), (100.0, 100.0 + d))


def test_a_timepoint_is_recorded_at_the_first_follow_up_edit_in_the_same_undo_step() -> None:
    r, ed = _two_exams()
    a = r.add_lesion(("P", "E1"), "right")
    assert not r.project.timepoints
    ed.set_lesion_followup(("P", "E1"), a, "target")
    tp = timepoint_of_pair(r.project, "P", "E1")
    assert tp is not None and tp.exam_date == _dt.date(2024, 1, 1)  # the CT's date
    r.undo()
    assert not r.project.timepoints and not r.project.lesion_followups
    r.redo()
    ed.set_lesion_followup(("P", "E1"), a, "non_target", status="present")
    assert len(r.project.timepoints) == 1  # not a second one
    # another exam pair on the same date joins that timepoint
    r.add_exam_pair("P", "E3", ct_date="2024-01-01")
    b = r.add_lesion(("P", "E3"), "left")
    ed.set_lesion_followup(("P", "E3"), b, "new")
    assert timepoint_of_pair(r.project, "P", "E3") == timepoint_of_pair(r.project, "P", "E1")
    assert timepoints_of(r.project, "P")[0].exam_pair_ids == ("E1", "E3")


def test_carry_forward_keeps_the_id_and_the_attributes_and_records_the_timepoint() -> None:
    r, ed = _two_exams()
    a = r.add_lesion(("P", "E1"), "right")
    b = r.add_lesion(("P", "E1"), "left", segment="III")
    ed.set_lesion_followup(("P", "E1"), b, "target", organ="lymph_node", nodal=True, assessed_role="ct_arterial")
    with r.batch("carry"):
        ids = [ed.carry_forward(("P", "E1"), lid, ("P", "E2"), keep_id=True) for lid in (b, a)]
    assert ids == [b, a]  # L2 stays L2 though L1 is carried after it
    f = r.project.lesion_followups[("P", "E2", "R", b)]
    assert (f.kind.value, f.organ, f.nodal, f.assessed_role, f.status.value) == \
        ("target", "lymph_node", True, Role.CT_ARTERIAL, "not_assessed")
    assert ("P", "E2", "R", a) not in r.project.lesion_followups  # nothing to carry but the lesion
    assert timepoint_of_pair(r.project, "P", "E2") is not None
    assert r.project.lesions[("P", "E2", "R", b)].segment == r.project.lesions[("P", "E1", "R", b)].segment
    r.undo()  # one step
    assert not r.project.lesions_of("P", "E2") and timepoint_of_pair(r.project, "P", "E2") is None


def test_a_line_drawn_on_its_series_assesses_a_carried_lesion_and_the_rest_become_measured_in_one_edit() -> None:
    """A carried lesion's line drawn on the series it is assessed on makes it measured (a non-target present) in
    the same edit: it stayed "not assessed", every response NE, until the dock's button (a reader's check). The
    button still turns the rest (a line drawn before the lesion was carried, or its series changed) in one edit."""
    r, ed = _two_exams()
    a, b = r.add_lesion(("P", "E1"), "right"), r.add_lesion(("P", "E1"), "right")
    for lid in (a, b):
        _line(r, ("P", "E1"), lid, 20.0)
        ed.set_lesion_followup(("P", "E1"), lid, "target")
    for lid in (a, b):
        ed.carry_forward(("P", "E1"), lid, ("P", "E2"), keep_id=True)
    _line(r, ("P", "E2"), a, 12.0)
    assert r.project.lesion_followups[("P", "E2", "R", a)].status.value == "measured"
    assert r.undo_description.endswith("(follow-up: measured)")
    r.undo()  # one step takes both back
    assert r.project.lesion_followups[("P", "E2", "R", a)].status.value == "not_assessed"
    assert r.project.lesions[("P", "E2", "R", a)].observation("ct_portal") is None
    r.redo()
    r.set_observation(("P", "E2"), a, "ct_portal", None)  # its line deleted: not assessed again, in the same edit
    assert r.project.lesion_followups[("P", "E2", "R", a)].status.value == "not_assessed"
    r.undo()
    assert r.project.lesion_followups[("P", "E2", "R", a)].status.value == "measured"
    _line(r, ("P", "E2"), b, 12.0, role="ct_arterial")  # not its assessed series
    assert r.project.lesion_followups[("P", "E2", "R", b)].status.value == "not_assessed"
    ed.set_lesion_followup(("P", "E2"), b, "target", status="not_assessed", assessed_role="ct_arterial")
    assert ed.mark_measured(("P", "E2")) == [b]  # its series changed to the one its line is on
    assert r.project.lesion_followups[("P", "E2", "R", b)].status.value == "measured"
    assert ed.mark_measured(("P", "E2")) == []
    # a non-target with its line drawn is present (it stayed "not assessed": NE at every timepoint)
    c = r.add_lesion(("P", "E1"), "left")
    _line(r, ("P", "E1"), c, 8.0)
    ed.set_lesion_followup(("P", "E1"), c, "non_target", status="present")
    ed.carry_forward(("P", "E1"), c, ("P", "E2"), keep_id=True)
    assert r.project.lesion_followups[("P", "E2", "R", c)].status.value == "not_assessed"
    _line(r, ("P", "E2"), c, 9.0)
    assert r.project.lesion_followups[("P", "E2", "R", c)].status.value == "present"
    # a nodal target is measured by its short axis (RECIST sums it): its long axis alone leaves it not assessed
    node = r.add_lesion(("P", "E1"), "right")
    _line(r, ("P", "E1"), node, 26.0)
    ed.set_lesion_followup(("P", "E1"), node, "target", organ="lymph_node", nodal=True)
    ed.carry_forward(("P", "E1"), node, ("P", "E2"), keep_id=True)
    _line(r, ("P", "E2"), node, 20.0)
    assert r.project.lesion_followups[("P", "E2", "R", node)].status.value == "not_assessed"
    r.set_short_axis(("P", "E2"), node, "ct_portal", (95.0, 110.0), (105.0, 110.0))
    assert r.project.lesion_followups[("P", "E2", "R", node)].status.value == "measured"


def test_v_on_its_series_says_a_carried_target_disappeared_and_a_non_target_absent() -> None:
    """V (not visible) on the series a carried lesion is assessed on: a target has disappeared (0 mm, towards a
    CR), a non-target is absent, in the same edit; the response then counts them (it read NE with a note, the
    dock's status to be set by hand: a reader's check). A nodal target is left to its short axis (RECIST
    records a node's, never 0); a line drawn after V makes it measured; V cleared leaves the status."""
    from annotation.records import NotVisible

    r, ed = _two_exams()
    t, n, node = (r.add_lesion(("P", "E1"), "right") for _ in range(3))
    for lid, kind in ((t, "target"), (n, "non_target"), (node, "target")):
        _line(r, ("P", "E1"), lid, 14.0)
        extra = {"organ": "lymph_node", "nodal": True} if lid == node else {"status": "present"} if lid == n else {}
        ed.set_lesion_followup(("P", "E1"), lid, kind, **extra)
        ed.carry_forward(("P", "E1"), lid, ("P", "E2"), keep_id=True)

    def status(lid: str) -> str:
        return r.project.lesion_followups[("P", "E2", "R", lid)].status.value

    r.set_observation(("P", "E2"), t, "ct_portal", NotVisible())
    assert status(t) == "disappeared" and r.undo_description.endswith("(follow-up: disappeared)")
    r.set_observation(("P", "E2"), n, "ct_portal", NotVisible())
    assert status(n) == "absent"
    r.set_observation(("P", "E2"), node, "ct_portal", NotVisible())
    assert status(node) == "not_assessed"
    r.undo()
    r.undo()
    assert status(n) == "not_assessed" and status(t) == "disappeared"
    r.set_observation(("P", "E2"), t, "ct_portal", None)  # V cleared: the status stays (the dock may have set it)
    assert status(t) == "disappeared"
    r.set_observation(("P", "E2"), t, "ct_portal", NotVisible())
    _line(r, ("P", "E2"), t, 6.0)  # seen after all
    assert status(t) == "measured"
    ed.set_lesion_followup(("P", "E2"), n, "non_target", status="absent")  # set in the dock: V changes nothing
    r.set_observation(("P", "E2"), n, "ct_portal", NotVisible())
    assert status(n) == "absent"


def test_a_role_or_modality_change_is_flagged() -> None:
    r, ed = _two_exams()
    a = r.add_lesion(("P", "E1"), "right")
    ed.set_lesion_followup(("P", "E1"), a, "target")
    ed.carry_forward(("P", "E1"), a, ("P", "E2"), keep_id=True)
    here = r.project.lesions[("P", "E2", "R", a)]
    assert role_change(r.project, here) == ""
    ed.set_lesion_followup(("P", "E2"), a, "target", assessed_role="mr_t1_portal", status="not_assessed")
    assert role_change(r.project, here) == "assessed on T1 portal, on CT portal at baseline (another modality)"
    ed.set_lesion_followup(("P", "E2"), a, "target", assessed_role="ct_arterial", status="not_assessed")
    assert "another modality" not in role_change(r.project, here)


def test_a_new_line_offers_the_latest_timepoint_before_it_as_baseline() -> None:
    r = Reading(reader="sample")
    ed = build_course(r)  # timepoints 2023-03-14, 2023-10-17, 2024-03-12; lines 1 and 2
    assert suggested_baseline(r.project, "LLSYN001", 1).exam_date == _dt.date(2023, 3, 14)  # type: ignore[union-attr]
    assert suggested_baseline(r.project, "LLSYN001", 2).exam_date == _dt.date(2024, 3, 12)  # type: ignore[union-attr]
    line = ed.add_treatment_line("LLSYN001", "capecitabine-temozolomide", "2022-01-01")
    assert line.line_number == 3 and suggested_baseline(r.project, "LLSYN001", 3) is None  # before every exam
    ed.clear_baseline("LLSYN001", 1)
    assert not r.project.followup_baselines
    r.undo()
    assert len(r.project.followup_baselines) == 1


def test_a_node_or_bone_lesion_places_no_count_mark_and_leaves_the_liver_counts() -> None:
    r, ed = _two_exams()
    pair = ("P", "E1")
    liver, node = r.add_lesion(pair, "right"), r.add_lesion(pair, "right")
    _line(r, pair, liver, 20.0)
    _line(r, pair, node, 18.0)
    assert r.project.counts(*pair, "R")[(Role.CT_PORTAL, Lobe.RIGHT)] == 2  # both placed a mark
    ed.set_lesion_followup(pair, node, "target", organ="lymph_node", nodal=True)
    assert r.project.counts(*pair, "R")[(Role.CT_PORTAL, Lobe.RIGHT)] == 1  # its mark went with the edit
    assert [m.lesion_id for m in r.project.marks_of(*pair, "R")] == [liver]
    _line(r, pair, node, 22.0)  # measuring it again places none
    assert [m.lesion_id for m in r.project.marks_of(*pair, "R")] == [liver]
    bone = r.add_lesion(pair, "left")
    ed.set_lesion_followup(pair, bone, "non_target", organ="bone", status="present")
    _line(r, pair, bone, 30.0)
    assert r.project.counts(*pair, "R")[(Role.CT_PORTAL, Lobe.LEFT)] == 0
    # a mark the reader clicked and a lesion took over does not count either once the lesion is a node
    r.add_count_mark(pair, "ct_arterial", Lobe.RIGHT, stack_key="k", slice_index=3, row=100.0, col=105.0)
    _line(r, pair, liver, 20.0, role="ct_arterial")
    assert any(m.lesion_id == liver and m.role is Role.CT_ARTERIAL for m in r.project.marks_of(*pair, "R"))
    ed.set_lesion_followup(pair, liver, "target", organ="bone")
    assert r.project.counts(*pair, "R")[(Role.CT_ARTERIAL, Lobe.RIGHT)] == 0  # the click stays tied, not counted
    assert any(m.lesion_id == liver and m.role is Role.CT_ARTERIAL for m in r.project.marks_of(*pair, "R"))
    ed.set_lesion_followup(pair, liver, "target", organ="liver")  # back in the liver: its marks again
    assert r.project.counts(*pair, "R")[(Role.CT_PORTAL, Lobe.RIGHT)] == 1
    assert r.project.counts(*pair, "R")[(Role.CT_ARTERIAL, Lobe.RIGHT)] == 1


def test_live_course_is_the_engine_on_the_reading_and_tolerates_work_in_progress() -> None:
    r = Reading(reader="sample")
    ed = build_course(r)
    live = live_course(r.project, "sample", "LLSYN001")
    assert [x.overall_response for x in live.responses] == [None, Response.PR, Response.PD]
    assert live.responses[0].sum_mm == pytest.approx(34 + 17 + 18)
    assert live.baseline_date == _dt.date(2023, 3, 14) and live.flags == ()
    # eligibility keyed by tracking UID: L2 (17 mm) eligible; make it too small and treated
    base = ("LLSYN001", "E1")
    l2 = r.project.lesions[(*base, "sample", "L2")]
    r.measure(base, "L2", "ct_portal", GEO, "k", "1.2", 3, (100.0, 100.0), (100.0, 108.0))
    ed.set_lesion_followup(base, "L2", "target", treated=True)
    why = live_course(r.project, "sample", "LLSYN001").eligibility[l2.tracking_uid]
    assert any("8.0 mm < 10 mm" in w for w in why) and any("treated" in w for w in why)
    # its line deleted: not assessed again (in the same edit); marked measured without its line (as an older store
    # may hold it): counted not assessed, with a note, not an error
    r.set_observation(("LLSYN001", "E2"), "L1", "ct_portal", None)
    key = ("LLSYN001", "E2", "sample", "L1")
    assert r.project.lesion_followups[key].status.value == "not_assessed"
    from dataclasses import replace as _replace

    from annotation.vocab import FollowupStatus as _Status

    r.apply("as an older store held it", r.project.with_record(
        _replace(r.project.lesion_followups[key], status=_Status.MEASURED)))
    live = live_course(r.project, "sample", "LLSYN001")
    assert live.responses[1].target_response is Response.NE
    assert any("L1 on 2023-10-17: measured but no line on CT portal" in n for n in live.notes)
    # three targets in one organ at the baseline: flagged
    ed.set_lesion_followup(base, "L3", "target", organ="liver", nodal=False)
    assert any("3 targets in liver" in f for f in live_course(r.project, "sample", "LLSYN001").flags)
    # the eligibility follows the baseline in force on the open exam's date
    ed.choose_baseline("LLSYN001", "T2", 2)
    on_t3 = live_course(r.project, "sample", "LLSYN001", on_date=_dt.date(2024, 3, 12))
    assert on_t3.baseline_date == _dt.date(2023, 10, 17)
    assert live_course(r.project, "sample", "nobody").responses == ()


def test_a_pair_without_date_gets_no_timepoint() -> None:
    r = Reading(reader="R")
    r.add_patient("P")
    r.add_exam_pair("P", "E1")
    a = r.add_lesion(("P", "E1"), "right")
    ed = FollowupEditor(r)
    ed.set_lesion_followup(("P", "E1"), a, "target")  # recorded; the reader places it (set_timepoint)
    assert not r.project.timepoints
    with pytest.raises(ValidationError, match="no exam date"):
        ed.ensure_timepoint(("P", "E1"))
