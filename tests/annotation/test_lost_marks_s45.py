"""annotation.lost_marks: the count marks a store written before session 44 lost to another lesion's mark of the same
old id (tracking UID and series), found without Qt; a mark the reader deleted, or one counted again since, is not
listed."""

from __future__ import annotations

from dataclasses import replace

from annotation.lost_marks import LostMark, lost_count_marks, lost_marks_short, lost_marks_text
from annotation.reading import Reading, old_preplaced_mark_id
from tests.annotation.conftest import make_geometry
from viewer.records import Role

PORTAL = Role.CT_PORTAL


def _measured(r: Reading, pair: tuple[str, str], tracking_uid: str) -> str:
    lid = r.add_lesion(pair, "right", "VI", tracking_uid=tracking_uid)
    r.measure(pair, lid, PORTAL.value, make_geometry(), "k", "1.2", 2, (40, 40), (60, 60))
    return lid


def _as_stored_before_44(r: Reading, pairs: list[tuple[str, str]], tracking_uid: str) -> None:
    """The lesions' CT portal marks of ``pairs`` as a pre-session-44 store left them: one id, the last pair's."""
    marks = [m for p in pairs for m in r.project.marks_of(*p, r.reader) if m.role is PORTAL]
    kept = replace(marks[-1], mark_id=old_preplaced_mark_id(tracking_uid, PORTAL))
    r.apply("old store", r.project.without_many({"count_marks": [m.mark_id for m in marks]}).with_record(kept))


def _reading() -> Reading:
    r = Reading(reader="R1")
    for patient in ("P1", "P2"):
        r.add_patient(patient, f"Doe^{patient}")
    r.add_exam_pair("P1", "E1", ct_study_uid="1.2.3", mri_study_uid="1.2.4", ct_date="2024-01-10")
    r.add_exam_pair("P1", "E2", ct_study_uid="1.2.5", mri_study_uid="1.2.6", ct_date="2024-06-10")
    r.add_exam_pair("P2", "E1", ct_study_uid="1.2.7", mri_study_uid="1.2.8", ct_date="2024-02-10")
    return r


def test_a_carried_lesions_mark_lost_to_the_later_exam_is_found_and_named() -> None:
    r = _reading()
    uid = "2.25.1001"
    _measured(r, ("P1", "E1"), uid)
    _measured(r, ("P1", "E2"), uid)
    assert lost_count_marks(r.project) == []  # marks of their own since session 44
    _as_stored_before_44(r, [("P1", "E1"), ("P1", "E2")], uid)
    lost = lost_count_marks(r.project)
    assert lost == [LostMark("P1", "E1", "R1", "L1", PORTAL, ("P1", "E2", "R1", "L1"))]
    assert "• P1 E1 (2024-01-10), CT portal: L1 — its mark went to E2 (2024-06-10)" in lost_marks_text(lost, r.project)
    assert lost_marks_short(lost) == "1 count mark lost in an older lesionlab (P1 E1 CT portal): count them again (C)"

    # counted again by the reader (a count click inside its line): no longer listed
    line = r.project.lesions[("P1", "E1", "R1", "L1")].observation(PORTAL)
    r.add_count_mark(("P1", "E1"), PORTAL, "right", stack_key=line.stack_key, slice_index=line.slice_index,
                     row=line.middle[0], col=line.middle[1])
    assert lost_count_marks(r.project) == []


def test_two_patients_of_one_tracking_uid_name_the_other_patient() -> None:
    r = _reading()
    uid = "2.25.2002"  # an SR imported for two patients, say
    _measured(r, ("P2", "E1"), uid)
    _measured(r, ("P1", "E1"), uid)
    _as_stored_before_44(r, [("P2", "E1"), ("P1", "E1")], uid)
    lost = lost_count_marks(r.project)
    assert [(x.patient_id, x.taken_by[0]) for x in lost] == [("P2", "P1")]
    assert "• P2 E1 (2024-02-10), CT portal: L1 — its mark went to P1 E1 (2024-01-10)" in lost_marks_text(lost, r.project), lost_marks_text(lost)


def test_a_mark_deleted_by_the_reader_with_no_other_holding_its_id_is_not_listed() -> None:
    r = _reading()
    lid = _measured(r, ("P1", "E1"), "2.25.3003")
    (mark,) = r.project.marks_of_lesion("P1", "E1", "R1", lid)
    r.delete_count_mark(mark.mark_id)
    assert lost_count_marks(r.project) == []
