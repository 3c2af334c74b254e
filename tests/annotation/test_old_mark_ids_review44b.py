"""Count marks a store holds from before session 44, whose id is the tracking UID and series alone (review44b).

Session 44 put the patient, exam and reader into the id a measured lesion's count mark gets
(``Reading.preplaced_mark_id``): a lesion carried to a follow-up and measured there took the baseline's mark. Marks a
store already holds keep the old id; ``Reading._placed_ids`` still takes them for the lesion's own. Nothing tested that:
without it, an old mark stays when its line is cleared or its lesion deleted (a count for a lesion no longer there,
said nowhere), and a line moved to another slice adds a second mark (the lesion counted twice). Each case here goes
through a real store on both backends and is read back after reopening it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, Callable

import pytest

from annotation.followup import FollowupEditor
from annotation.reading import Reading
from annotation.records import CountMark
from annotation.store import open_reading
from annotation.vocab import Lobe
from tests.annotation.conftest import make_geometry
from tests.annotation.pg import backend, location, new_location, pg_cluster  # noqa: F401
from viewer.records import Role

BASE, LATER = ("P1", "E1"), ("P1", "E2")
PORTAL = Role.CT_PORTAL


def _old_id(reading: Reading, pair: tuple[str, str], lesion_id: str) -> str:
    les = reading.project.lesions[(*pair, reading.reader, lesion_id)]
    return uuid.uuid5(uuid.NAMESPACE_OID, f"{les.tracking_uid}/{PORTAL.value}").hex


def _portal_marks(reading: Reading, pair: tuple[str, str]) -> list[CountMark]:
    return [m for m in reading.project.marks_of(*pair, reading.reader) if m.role is PORTAL]


def _old_store(location: str) -> None:
    """L1 measured on CT portal at E1, its mark stored under the id marks had before session 44; E2 a later exam."""
    store, r = open_reading(location, "R1")
    try:
        r.add_patient("P1", "Doe^Jane")
        r.add_exam_pair("P1", "E1", ct_study_uid="1.2.3", mri_study_uid="1.2.4", ct_date="2024-01-10",
                        mri_date="2024-01-12")
        r.add_exam_pair("P1", "E2", ct_study_uid="1.2.5", mri_study_uid="1.2.6", ct_date="2024-06-10",
                        mri_date="2024-06-12")
        r.add_lesion(BASE, "right", "VI")
        r.measure(BASE, "L1", PORTAL.value, make_geometry(), "k", "1.2", 2, (40, 40), (60, 60))
        placed, = _portal_marks(r, BASE)
        assert placed.mark_id == Reading.preplaced_mark_id(r.project.lesions[(*BASE, "R1", "L1")], PORTAL)
        old = replace(placed, mark_id=_old_id(r, BASE, "L1"))
        r.apply("a mark as stored before session 44", r.project.without("count_marks", placed.mark_id).with_record(old))
    finally:
        store.close()


def _reopened(location: str, edit: Callable[[Reading], Any]) -> Reading:
    """The old store opened again, ``edit`` made and saved, then the store read back from scratch."""
    store, r = open_reading(location, "R1")
    try:
        assert [m.mark_id for m in _portal_marks(r, BASE)] == [_old_id(r, BASE, "L1")]
        edit(r)
    finally:
        store.close()
    store, again = open_reading(location, "R1")
    store.close()
    assert again.project == r.project  # what the session held is what the store holds
    return again


def test_an_old_mark_goes_with_its_line_cleared(location: str) -> None:
    _old_store(location)
    r = _reopened(location, lambda r: r.set_observation(BASE, "L1", PORTAL.value, None))
    assert _portal_marks(r, BASE) == [], _portal_marks(r, BASE)
    assert r.project.counts(*BASE, "R1")[(PORTAL, Lobe.RIGHT)] == 0


def test_an_old_mark_goes_with_its_lesion_deleted(location: str) -> None:
    _old_store(location)
    r = _reopened(location, lambda r: r.delete_lesion(BASE, "L1"))
    assert _portal_marks(r, BASE) == [], _portal_marks(r, BASE)


def test_a_line_moved_to_another_slice_keeps_one_mark(location: str) -> None:
    _old_store(location)
    r = _reopened(location, lambda r: r.measure(BASE, "L1", PORTAL.value, make_geometry(), "k", "1.2", 5,
                                                (40, 40), (60, 60)))
    marks = _portal_marks(r, BASE)
    assert [(m.lesion_id, m.slice_index) for m in marks] == [("L1", 5)], marks
    assert r.project.counts(*BASE, "R1")[(PORTAL, Lobe.RIGHT)] == 1


def test_the_carried_lesion_measured_at_follow_up_leaves_the_old_baseline_mark(location: str) -> None:
    _old_store(location)

    def carry_and_measure(r: Reading) -> None:
        lid = FollowupEditor(r).carry_forward(BASE, "L1", LATER, keep_id=True)
        r.measure(LATER, lid, PORTAL.value, make_geometry(), "k2", "1.3", 3, (40, 40), (60, 60))
    r = _reopened(location, carry_and_measure)
    assert [m.mark_id for m in _portal_marks(r, BASE)] == [_old_id(r, BASE, "L1")]
    later, = _portal_marks(r, LATER)
    assert later.lesion_id == "L1" and later.mark_id == Reading.preplaced_mark_id(
        r.project.lesions[(*LATER, "R1", "L1")], PORTAL)
    assert r.project.counts(*BASE, "R1")[(PORTAL, Lobe.RIGHT)] == 1
    assert r.project.counts(*LATER, "R1")[(PORTAL, Lobe.RIGHT)] == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_undo_and_redo_of_a_clear_bring_the_old_mark_back_and_take_it_again(location: str) -> None:
    _old_store(location)
    store, r = open_reading(location, "R1")
    try:
        before = r.project
        r.set_observation(BASE, "L1", PORTAL.value, None)
        cleared = r.project
        assert r.undo() and r.project == before and len(_portal_marks(r, BASE)) == 1
        assert r.redo() and r.project == cleared and _portal_marks(r, BASE) == []
    finally:
        store.close()
