"""N on a follow-up exam (new lesion, not assessed), its first read, undo/redo, Checks.

(A review of session 32 wrote them.)
Uses the shipped sample (sample_dicom/followup.lesionlab, LLSYN001: F1 baseline, F2, F3)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.response_live import live_course
from analysis.response_records import Response
from annotation.checks import check_pair
from annotation.followup import FollowupEditor
from annotation.reading import Reading
from annotation.records import Measurement, NotMeasurable, NotVisible
from annotation.store import ReadingStore
from annotation.vocab import FollowupKind, FollowupStatus, Lobe
from viewer.records import Role

PAIR = ("LLSYN001", "F2")


@pytest.fixture()
def reading(tmp_path: Path):  # type: ignore[no-untyped-def]
    dst = tmp_path / "followup.lesionlab"
    shutil.copy(Path(__file__).parents[2] / "sample_dicom" / "followup.lesionlab", dst)
    store = ReadingStore.open(dst)
    with store:
        yield Reading(store.load(), reader="sample", sink=store)


def _n(reading: Reading, role: Role = Role.CT_PORTAL) -> str:
    """What app.reading_commands.new_lesion does on a follow-up exam (one batch, one undo step)."""
    with reading.batch("add lesion"):
        lid = reading.add_lesion(PAIR, Lobe.RIGHT)
        FollowupEditor(reading).set_lesion_followup(PAIR, lid, FollowupKind.NEW, status=FollowupStatus.NOT_ASSESSED,
                                                    assessed_role=role)
    return lid


def _line(reading: Reading) -> Measurement:
    other = next(les for les in reading.project.lesions_of(*PAIR, "sample") if les.measurements())
    return other.measurements()[Role.CT_PORTAL]


def _f(reading: Reading, lid: str):  # type: ignore[no-untyped-def]
    return reading.project.lesion_followups[(*PAIR, "sample", lid)]


def _named(reading: Reading, lid: str) -> list[str]:
    return [w.message for w in check_pair(reading.project, *PAIR, "sample") if w.lesion_id == lid]


def test_first_read_on_another_series_is_one_undo_step_and_redo_gives_it_back(reading: Reading) -> None:
    """Checked right: role moved and status measured in one edit; undo restores both; redo both."""
    lid = _n(reading)
    reading.set_observation(PAIR, lid, Role.CT_ARTERIAL, _line(reading))
    assert (_f(reading, lid).assessed_role, _f(reading, lid).status) == (Role.CT_ARTERIAL, FollowupStatus.MEASURED)
    assert reading.undo()
    f = _f(reading, lid)
    assert (f.assessed_role, f.status) == (Role.CT_PORTAL, FollowupStatus.NOT_ASSESSED)
    assert not reading.project.lesions[(*PAIR, "sample", lid)].observations
    assert reading.redo()
    assert (_f(reading, lid).assessed_role, _f(reading, lid).status) == (Role.CT_ARTERIAL, FollowupStatus.MEASURED)
    assert reading.undo() and reading.undo()  # the line, then N (lesion and its follow-up together)
    assert (*PAIR, "sample", lid) not in reading.project.lesions
    assert (*PAIR, "sample", lid) not in reading.project.lesion_followups


def test_a_new_lesion_set_to_a_node_before_its_line_is_named_by_checks(reading: Reading) -> None:
    """N, then the dock's organ 'lymph node' (nodal) before drawing: still not assessed, out of the response,
    and Checks drop it with every non-liver lesion, so nothing names it (the change promised Checks would)."""
    lid = _n(reading)
    FollowupEditor(reading).set_lesion_followup(PAIR, lid, FollowupKind.NEW, status=FollowupStatus.NOT_ASSESSED,
                                                organ="lymph_node", nodal=True, assessed_role=Role.CT_PORTAL)
    assert _f(reading, lid).status is FollowupStatus.NOT_ASSESSED
    assert _named(reading, lid), "a new node with nothing recorded: not in the response, and Checks silent"


def test_a_new_node_drawn_without_short_axis_is_assessed_or_named(reading: Reading) -> None:
    """Its line drawn (long axis only): _with_followup_assessed asks a short axis of any nodal lesion but a
    non-target, so a NEW node stays not assessed (the exam not PD) and, being a node, Checks say nothing."""
    lid = _n(reading)
    FollowupEditor(reading).set_lesion_followup(PAIR, lid, FollowupKind.NEW, status=FollowupStatus.NOT_ASSESSED,
                                                organ="lymph_node", nodal=True, assessed_role=Role.CT_PORTAL)
    reading.set_observation(PAIR, lid, Role.CT_PORTAL, _line(reading))
    row = live_course(reading.project, "sample", "LLSYN001").responses[1]
    assert _f(reading, lid).status is not FollowupStatus.NOT_ASSESSED or _named(reading, lid), (
        _f(reading, lid).status, row.overall_response)


def test_v_on_a_new_lesion_not_assessed(reading: Reading) -> None:
    """N then V (not visible there): the lesion stays new / not assessed with an observation, so the new Checks
    warning (only for a lesion with no observation) is silent; nothing says it is out of the response."""
    lid = _n(reading)
    reading.set_observation(PAIR, lid, Role.CT_PORTAL, NotVisible())
    f = _f(reading, lid)
    assert f.status is not FollowupStatus.NOT_ASSESSED or _named(reading, lid), f.status


def test_a_carried_new_lesion_is_not_told_to_be_deleted(reading: Reading) -> None:
    """Shift+P carries a new lesion of F2 to F3 'not assessed' (as every carried lesion): Checks now tell the
    reader to delete it, which checks.py itself says a carried lesion is not (only carried NEW ones get it)."""
    lid = _n(reading)
    reading.set_observation(PAIR, lid, Role.CT_PORTAL, _line(reading))
    carried = FollowupEditor(reading).carry_forward(PAIR, lid, ("LLSYN001", "F3"))
    said = [w.message for w in check_pair(reading.project, "LLSYN001", "F3", "sample") if w.lesion_id == carried]
    assert not any("delete it" in m for m in said), said


def test_not_measurable_then_line_on_a_new_lesion(reading: Reading) -> None:
    """Checked right: not measurable -> present (PD), its line later keeps it present (new: counted either way)."""
    lid = _n(reading)
    reading.set_observation(PAIR, lid, Role.CT_PORTAL, NotMeasurable())
    assert _f(reading, lid).status is FollowupStatus.PRESENT
    assert live_course(reading.project, "sample", "LLSYN001").responses[1].overall_response is Response.PD
    assert reading.undo()
    assert _f(reading, lid).status is FollowupStatus.NOT_ASSESSED
    assert live_course(reading.project, "sample", "LLSYN001").responses[1].overall_response is Response.PR


def test_n_on_an_exam_without_timepoint_leaves_nothing_after_one_undo(reading: Reading) -> None:
    """Checked right: N on a later exam with no timepoint yet makes lesion, follow-up and timepoint in one step;
    one undo takes all three, redo gives them back."""
    import datetime as dt

    from annotation.followup import followed_before

    reading.add_exam_pair("LLSYN001", "F4", ct_date=dt.date(2024, 9, 1))
    pair = ("LLSYN001", "F4")
    assert followed_before(reading.project, "sample", pair)
    before = dict(reading.project.timepoints)
    with reading.batch("add lesion"):
        lid = reading.add_lesion(pair, Lobe.RIGHT)
        FollowupEditor(reading).set_lesion_followup(pair, lid, FollowupKind.NEW, status=FollowupStatus.NOT_ASSESSED,
                                                    assessed_role=Role.CT_PORTAL)
    assert len(reading.project.timepoints) == len(before) + 1
    assert reading.undo()
    assert dict(reading.project.timepoints) == before
    assert (*pair, "sample", lid) not in reading.project.lesions
    assert (*pair, "sample", lid) not in reading.project.lesion_followups
    assert reading.redo() and reading.project.lesion_followups[(*pair, "sample", lid)].status is FollowupStatus.NOT_ASSESSED


def test_checks_and_counts_agree_on_what_is_outside_the_liver(reading: Reading) -> None:
    """annotation.followup.outside_liver (the counts, the analysis) knows a lesion by its tracking UID on any exam;
    the new Checks filter only by the record on this exam: the hilar node whose F2 follow-up record is cleared
    (or a lesion linked to it without one) is a node for the counts and a liver lesion for Checks."""
    from annotation.followup import outside_liver

    f2 = next(f for f in reading.project.lesion_followups.values() if f.exam_pair_id == "F2" and f.organ == "lymph_node")
    FollowupEditor(reading).clear_lesion_followup(PAIR, f2.lesion_id)
    key = (*PAIR, "sample", f2.lesion_id)
    assert key in outside_liver(reading.project)  # the counts: a node
    assert not _named(reading, f2.lesion_id), _named(reading, f2.lesion_id)  # Checks: should agree
