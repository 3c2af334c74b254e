"""Count marks a lesionlab older than December 2026 lost, in a reader study's case read (session 45's leftovers).

A case read is blinded: its project holds the case's exam pair (no dates) and the reader's own read only, so the
other lesion whose mark took the old id is never in it, and Checks found nothing (said nowhere in the study). The case
now opens with its lost marks found in the store (:attr:`CaseRead.lost_marks`) and tells them by series and lesion
only: never the other exam, its date, or the other read (a blinding leak: the reader must not see the dates of other
time points, nor learn of other reads).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest

from annotation.checks import CheckCode, case_lost_mark_warnings, check_pair
from annotation.lost_marks import LostMark, case_lost_marks_short, case_lost_marks_text, still_lost
from annotation.reading import Reading, old_preplaced_mark_id
from annotation.records import Measurement
from annotation.store import ReadingStore, open_reading
from annotation.study import StudyCase, StudyDefinition, StudySession
from annotation.study_store import Study
from tests.annotation.conftest import make_geometry
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from viewer.records import Role

PORTAL = Role.CT_PORTAL
UID = "2.25.46004600"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _definition() -> StudyDefinition:
    return StudyDefinition("s46", 46, ("R1", "R2"), (StudySession("CT", ("ct_arterial", "ct_portal")),),
                           (StudyCase("C1", "P1", "E1"),), True)


def _measure(r: Reading, pair: tuple[str, str], uid: str) -> str:
    lid = r.add_lesion(pair, "right", "VI", tracking_uid=uid)
    r.measure(pair, lid, PORTAL.value, make_geometry(), "k", "1.2", 2, (40, 40), (60, 60))
    return lid


def _older_store(path: Path | str, taker: tuple[str, str, str]) -> None:
    """A study store as a lesionlab older than December 2026 left it: R1's CT read of case C1 (P1 E1) measured L1 on
    CT portal, and another lesion of the same tracking UID (``taker``: its patient, exam and reader) measured there
    later took the mark's old id: R1's mark gone, the taker's under the old id."""
    st, r = open_reading(str(path), "setup")
    with r.batch("patients"):
        r.add_patient("P1", "SECRET^NAME")
        r.add_exam_pair("P1", "E1", ct_study_uid="1.2.3", mri_study_uid="1.2.4", ct_date=dt.date(2024, 1, 10),
                        mri_date=dt.date(2024, 1, 12))
        r.add_exam_pair("P1", "E2", ct_study_uid="1.2.5", mri_study_uid="1.2.6", ct_date=dt.date(2024, 6, 10))
    st.close()
    with ReadingStore.open(str(path)) as store:
        study = Study.init(store, _definition())
        read = study.open_case("R1", "CT", "C1")
        _measure(read.reading, read.pair, UID)
    st, r = open_reading(str(path), taker[2])
    try:
        _measure(r, (taker[0], taker[1]), UID)
        project = r.project
        marks = [m for m in project.count_marks.values() if m.role is PORTAL]
        later = next(m for m in marks if m.reader == taker[2])
        r.apply("as stored before December 2026", project.without_many({"count_marks": [m.mark_id for m in marks]})
                .with_record(replace(later, mark_id=old_preplaced_mark_id(UID, PORTAL))))
    finally:
        st.close()


@pytest.mark.parametrize("taker", [("P1", "E2", "DrX"), ("P1", "E1", "DrX")],
                         ids=["another exam of the patient", "another read of the case's exam"])
def test_a_case_read_tells_its_lost_mark_without_the_other_exam_date_or_read(tmp_path: Path,
                                                                            taker: tuple[str, str, str]) -> None:
    path = tmp_path / "study.lesionlab"
    _older_store(path, taker)
    with ReadingStore.open(str(path)) as store:
        read = Study(store).open_case("R1", "CT", "C1")
        assert read.lost_marks == (LostMark("P1", "E1", "R1@CT", "L1", PORTAL, (taker[0], taker[1], taker[2], "L1")),)
        project = read.reading.project
        # the blinded project cannot find it (nor name anything of the other exam): what Checks gave before
        checks = check_pair(project, "P1", "E1", "R1@CT", {"R1@CT": (Role.CT_ARTERIAL, PORTAL)})
        assert not [c for c in checks if c.code is CheckCode.LOST_MARK], checks
        (said,) = case_lost_mark_warnings(project, read.lost_marks)
        assert (said.code, said.lesion_id, said.role) == (CheckCode.LOST_MARK, "L1", PORTAL)
        told = [said.message, case_lost_marks_text(list(read.lost_marks), "C1"),
                case_lost_marks_short(list(read.lost_marks))]
        assert case_lost_marks_short(list(read.lost_marks)) == \
            "1 count mark lost in an older lesionlab (CT portal: L1): count them again (C)"
        assert "case C1" in told[1] and "CT portal: L1" in told[1] and "press C" in told[1]
        for text in told + [c.message for c in checks]:
            assert not DATE.search(text) and "E2" not in text and "DrX" not in text and "P1" not in text \
                and "SECRET" not in text, text

        # counted again (C, a click inside its line): no longer said
        line = project.lesions[("P1", "E1", "R1@CT", "L1")].observation(PORTAL)
        assert isinstance(line, Measurement)
        read.reading.add_count_mark(read.pair, PORTAL, "right", stack_key=line.stack_key,
                                    slice_index=line.slice_index, row=line.middle[0], col=line.middle[1])
        assert still_lost(read.reading.project, read.lost_marks) == []
        assert case_lost_mark_warnings(read.reading.project, read.lost_marks) == []
    with ReadingStore.open(str(path)) as store:  # and the next opening finds none
        assert Study(store).open_case("R1", "CT", "C1").lost_marks == ()


def test_a_case_read_of_a_current_store_has_no_lost_marks(tmp_path: Path) -> None:
    """The marks of a lesion measured on two exams are their own since session 44: nothing to tell."""
    path = tmp_path / "study.lesionlab"
    st, r = open_reading(str(path), "setup")
    r.add_patient("P1", "SECRET^NAME")
    r.add_exam_pair("P1", "E1", ct_study_uid="1.2.3", mri_study_uid="1.2.4")
    r.add_exam_pair("P1", "E2", ct_study_uid="1.2.5", mri_study_uid="1.2.6")
    _measure(r, ("P1", "E2"), UID)
    st.close()
    with ReadingStore.open(str(path)) as store:
        read = Study.init(store, _definition()).open_case("R1", "CT", "C1")
        _measure(read.reading, read.pair, UID)
    with ReadingStore.open(str(path)) as store:
        assert Study(store).open_case("R1", "CT", "C1").lost_marks == ()


@pytest.mark.parametrize("taker", [("P1", "E2", "DrX"), ("P1", "E1", "DrX")],
                         ids=["another exam of the patient", "another read of the case's exam"])
def test_a_blinded_reader_role_looks_no_further_than_its_case(pg_cluster, pg_url, taker) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """On PostgreSQL a reader role sees its own rows only: the other read's mark is not visible, and no other case's
    rows are asked for by id (a look at a finished read restarts its washout): the case opens, nothing is found, nothing
    is named; the store's owner finds it (`lesionlab export` says it)."""
    from annotation.lost_marks import lost_count_marks
    from annotation.store_location import parse_location
    from annotation.store_pg_security import add_reader

    _older_store(pg_url, taker)
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "R1", kind="reader", db_role="r1")
        assert [(x.reader, x.taken_by) for x in lost_count_marks(owner.load())] == [("R1@CT", (*taker, "L1"))]
    url = pg_cluster.url(parse_location(pg_url).database_name(), "r1")
    with ReadingStore.open(url) as store:
        assert store.blinded
        read = Study(store).open_case("R1", "CT", "C1")
        assert read.lost_marks == () and case_lost_mark_warnings(read.reading.project, read.lost_marks) == []
        for c in check_pair(read.reading.project, "P1", "E1", "R1@CT"):
            assert not DATE.search(c.message) and "E2" not in c.message, c.message
