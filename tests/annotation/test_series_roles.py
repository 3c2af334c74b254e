"""An exam records the reading roles its studies hold (``ExamPair.series_roles``, migration 9): a follow-up CT
of the portal phase only is not asked, by the Checks (panel and xlsx) nor by counts.csv, for its arterial phase;
a CT + MRI pair keeps its six (a series missing there is one to find and hang)."""

from __future__ import annotations

import sqlite3

import pytest

import annotation.store as store_module
from annotation.checks import CheckCode, check_pair
from annotation.reading import Reading
from annotation.records import ExamPair
from annotation.store import ReadingStore
from annotation.tables import count_rows
from viewer.errors import ValidationError
from viewer.records import READING_ROLES, Role

CT_UID, MR_UID = "1.2.826.0.1.3680043.8.498.1", "1.2.826.0.1.3680043.8.498.2"


def test_a_one_modality_exam_expects_the_roles_it_holds() -> None:
    portal_only = ExamPair("P1", "F2", ct_study_uid=CT_UID, series_roles=("ct_portal",))
    assert portal_only.roles == (Role.CT_PORTAL,)
    unknown = ExamPair("P1", "F2", ct_study_uid=CT_UID)
    assert unknown.roles == (Role.CT_ARTERIAL, Role.CT_PORTAL)  # not recorded: both CT phases, as before
    mri_only = ExamPair("P1", "M1", mri_study_uid=MR_UID, series_roles="mr_dwi mr_t2fs")
    assert mri_only.roles == (Role.MR_T2FS, Role.MR_DWI)  # the protocol's order, from the store's text
    # roles of the other modality only (a CT exam whose recorded series are MRI's): the modality's own
    assert ExamPair("P1", "F3", ct_study_uid=CT_UID, series_roles=("mr_t2fs",)).roles == (Role.CT_ARTERIAL, Role.CT_PORTAL)


def test_a_ct_and_mri_pair_keeps_its_six() -> None:
    pair = ExamPair("P1", "E1", CT_UID, MR_UID, series_roles=("ct_portal", "mr_t2fs"))
    assert pair.roles == READING_ROLES


@pytest.mark.parametrize("bad", ["ct_portal nonsense", ("ct_unenhanced",), 3, ("ct_portal", None)])
def test_series_roles_are_reading_roles(bad: object) -> None:
    with pytest.raises(ValidationError) as e:
        ExamPair("P1", "F1", ct_study_uid=CT_UID, series_roles=bad)  # type: ignore[arg-type]
    assert e.value.where == "series_roles"


def test_checks_and_counts_of_a_portal_only_follow_up() -> None:
    recorded = Reading(reader="R1")
    recorded.add_patient("P1")
    recorded.add_exam_pair("P1", "F2", ct_study_uid=CT_UID, series_roles=("ct_portal",))
    before = Reading(reader="R1")
    before.add_patient("P1")
    before.add_exam_pair("P1", "F2", ct_study_uid=CT_UID)
    for r in (recorded, before):
        r.set_count_status(("P1", "F2"), Role.CT_PORTAL, "counted")
    said = {w.code: w.message for w in check_pair(recorded.project, "P1", "F2", "R1")}
    assert CheckCode.NOT_COUNTED not in said
    said_before = {w.code: w.message for w in check_pair(before.project, "P1", "F2", "R1")}
    assert "CT arterial" in said_before[CheckCode.NOT_COUNTED]  # what it said before the roles were recorded
    rows = count_rows(recorded.project)
    assert {row["series_role"] for row in rows} == {"ct_portal"}


def test_the_store_keeps_them_and_migration_9_fills_them_from_the_dicom_context(tmp_path) -> None:
    path = tmp_path / "old.lesionlab"
    with pytest.MonkeyPatch.context() as mp:  # a store made by a lesionlab that knew migrations 1-8
        mp.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:8])
        mp.setattr(store_module, "SCHEMA_VERSION", 8)
        ReadingStore.open(path).close()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("INSERT INTO patients VALUES ('P1', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '')")
    for pair, ct, mr in (("E1", CT_UID, MR_UID), ("F2", "1.2.3.4", ""), ("F3", "1.2.3.5", "")):
        con.execute("INSERT INTO exam_pairs VALUES ('P1', ?, ?, ?, NULL, NULL)", (pair, ct, mr))
    context = ("P1", "", "", "", "{study}", "", "", "", "", "", "", 1, "", "CT", "", "1.2.9", "{roles}", "", "", "")
    for series, study, roles in (("1.2.3.4.1", "1.2.3.4", "ct_portal"), ("1.2.3.4.2", "1.2.3.4", "ct_unenhanced"),
                                 ("9.1", CT_UID, "ct_portal"), ("9.2", MR_UID, "mr_t2fs")):
        values = tuple(v.format(study=study, roles=roles) if isinstance(v, str) else v for v in context)
        con.execute(f"INSERT INTO dicom_context VALUES (?, {', '.join('?' * len(values))})", (series, *values))
    con.close()
    with ReadingStore.open(path) as st:
        pairs = st.load().exam_pairs
        assert st.schema_version >= 9
    assert pairs[("P1", "F2")].series_roles == (Role.CT_PORTAL,)  # the unenhanced phase is no reading role
    assert pairs[("P1", "F2")].roles == (Role.CT_PORTAL,)
    assert pairs[("P1", "F3")].series_roles == ()  # no context: not recorded, both phases asked
    assert pairs[("P1", "E1")].series_roles == ()  # a pair keeps its six; nothing filled
    with ReadingStore.open(path) as st:  # written and read back through the store
        reading = Reading(st.load(), reader="R1")
        reading.edit_exam_pair(("P1", "F3"), series_roles=("ct_arterial", "ct_portal"))
        st.save_project(reading.project)
    with ReadingStore.open(path, read_only=True) as st:
        assert st.load().exam_pairs[("P1", "F3")].series_roles == (Role.CT_ARTERIAL, Role.CT_PORTAL)


def test_a_series_read_but_not_recorded_as_held_keeps_its_counts_and_checks() -> None:
    """A review: an exam recorded with CT portal only whose reader counted three lesions on CT arterial (a series
    pulled later, or hung by the reader's role correction) lost those counts from counts.csv, and Checks said
    nothing of arterial, while measurements.csv kept its lines. What a read recorded on a series keeps it asked."""
    r = Reading(reader="R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "F2", ct_study_uid=CT_UID, series_roles=("ct_portal",))
    for i in range(3):
        r.add_count_mark(("P1", "F2"), Role.CT_ARTERIAL, "right", stack_key="k", slice_index=3 + i, row=10.0, col=10.0)
    rows = count_rows(r.project)
    assert {row["series_role"] for row in rows} == {"ct_arterial", "ct_portal"}
    arterial = [row for row in rows if row["series_role"] == "ct_arterial" and row["lobe"] == "right"]
    assert [row["count"] for row in arterial] == [3]
    said = " ".join(w.message for w in check_pair(r.project, "P1", "F2", "R1"))
    assert "CT portal" in said and "CT arterial" not in said  # arterial counted (3); portal not counted yet
    assert r.project.roles_read("P1", "F2", "R1") == {Role.CT_ARTERIAL}
