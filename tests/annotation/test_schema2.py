"""Store schema 2: measurement provenance, tracking UIDs, three-state counts, pre-placed count marks,
lobe implied by segment, alignments; and the migration of a schema-1 store."""

from __future__ import annotations

import json
import sqlite3

import pytest

from annotation import store as store_module
from annotation.checks import CheckCode, check_pair
from annotation.records import Alignment, Lesion, Measurement, NotMeasurable, NotVisible
from annotation.store import ReadingStore, open_reading
from annotation.tables import project_tables
from annotation.vocab import AlignmentSource, CountStatus, Lobe, MeasurementMethod
from viewer.errors import ValidationError
from viewer.records import Role
from tests.annotation.conftest import PAIR

IDENTITY = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0)


# ------------------------------------------------------------------ records
def test_measurement_provenance_and_short_axis(geometry):
    m = Measurement.from_geometry(geometry, "k", "1.2.9", 3, (10, 10), (10, 40), sop_instance_uid="1.2.9.3",
                                  instance_number=4, method="suggested", method_params='{"sigma": 1}',
                                  p3=(5, 25), p4=(15, 25))
    assert m.method is MeasurementMethod.SUGGESTED
    assert m.diameter_mm == pytest.approx(30 * 1.3) and m.short_axis_mm == pytest.approx(10 * 0.7)
    edited = m.with_endpoint(2, (10, 45))
    assert edited.method is MeasurementMethod.SUGGESTED_EDITED and edited.diameter_mm == pytest.approx(35 * 1.3)
    assert edited.with_endpoint(3, (4, 25)).short_axis_mm == pytest.approx(11 * 0.7)
    with pytest.raises(ValidationError, match="both endpoints"):
        Measurement.from_geometry(geometry, "k", "1", 3, (1, 1), (2, 2), p3=(1, 1))
    with pytest.raises(ValidationError, match="JSON object"):
        Measurement.from_geometry(geometry, "k", "1", 3, (1, 1), (2, 2), method_params="[1]")
    with pytest.raises(ValidationError, match="method"):
        Measurement.from_geometry(geometry, "k", "1", 3, (1, 1), (2, 2), method="guessed")
    with pytest.raises(ValidationError, match="UID"):
        Measurement.from_geometry(geometry, "k", "1", 3, (1, 1), (2, 2), sop_instance_uid="1.2 3")
    with pytest.raises(ValidationError, match="outside"):
        Measurement.from_geometry(geometry, "k", "1", 3, (1, 1), (2, 2), p3=(1, 1), p4=(1, 500))


def test_every_lesion_gets_its_own_tracking_uid_which_survives_edits():
    a = Lesion("P1", "E1", "R1", "L1", "right")
    b = Lesion("P1", "E1", "R1", "L2", "right")
    assert a.tracking_uid.startswith("2.25.") and a.tracking_uid != b.tracking_uid
    assert a.with_changes(comment="x").tracking_uid == a.tracking_uid
    assert Lesion("P1", "E1", "R1", "L1", "right", tracking_uid="1.2.3").tracking_uid == "1.2.3"


def test_alignment_is_rigid_and_applies():
    a = Alignment("P1", "1.1", "1.2", (0, -1, 0, 5, 1, 0, 0, 6, 0, 0, 1, 7), "confirmed")
    assert a.apply((1, 2, 3)) == (3.0, 7.0, 10.0) and a.translation_mm == (5.0, 6.0, 7.0)
    with pytest.raises(ValidationError, match="rotation"):
        Alignment("P1", "1.1", "1.2", (2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0))
    with pytest.raises(ValidationError, match="12 numbers"):
        Alignment("P1", "1.1", "1.2", (1, 0, 0))


# ------------------------------------------------------------------ reading
def test_count_has_three_states_and_a_click_starts_counting(reading):
    p = reading.project
    assert p.count_status("P1", "E1", "R1", Role.CT_PORTAL) is CountStatus.NOT_READ
    reading.add_count_mark(PAIR, "ct_portal", "left")
    assert reading.project.count_status("P1", "E1", "R1", Role.CT_PORTAL) is CountStatus.COUNTED
    reading.set_count_status(PAIR, "mr_t2fs", "counted")  # "0 lesions" is one action
    assert reading.project.count_status("P1", "E1", "R1", Role.MR_T2FS) is CountStatus.COUNTED
    assert reading.undo_description == "T2 FS counted (0 lesions)"
    reading.set_count_status(PAIR, "mr_t2fs", "not_countable")
    assert reading.project.uncountable("P1", "E1", "R1", Role.MR_T2FS)
    reading.set_count_status(PAIR, "mr_t2fs", "not_read")
    assert reading.project.count_status("P1", "E1", "R1", Role.MR_T2FS) is CountStatus.NOT_READ
    _, counts, _ = project_tables(reading.project)
    rows = {(r.series_role, r.lobe): (r.count, r.count_status) for r in counts.itertuples()}
    assert rows[("ct_portal", "left")] == (1, "counted") and rows[("ct_portal", "right")] == (0, "counted")
    assert rows[("mr_t2fs", "left")][1] == "not_read" and rows[("mr_t2fs", "left")][0] is pd_na()


def pd_na():
    import pandas as pd
    return pd.NA


def test_a_measured_lesion_is_preplaced_as_a_count_mark_but_the_series_stays_unread(reading, geometry):
    lid = reading.add_lesion(PAIR, "right")
    reading.measure(PAIR, lid, "ct_portal", geometry, "k", "1.2", 3, (10, 10), (30, 10))
    marks = reading.project.marks_of("P1", "E1", "R1")
    assert [(m.role, m.lobe, m.lesion_id, m.slice_index, m.row, m.col) for m in marks] == [
        (Role.CT_PORTAL, Lobe.RIGHT, "L1", 3, 20.0, 10.0)]
    assert reading.project.count_status("P1", "E1", "R1", Role.CT_PORTAL) is CountStatus.NOT_READ
    assert reading.undo_description == "L1 on CT portal: measured"  # one edit, one undo step
    reading.move_endpoint(PAIR, lid, "ct_portal", 2, (40, 10))  # same slice: the mark stays where it is
    assert reading.project.marks_of("P1", "E1", "R1")[0].row == 20.0
    reading.edit_lesion(PAIR, lid, segment="III")  # segment brings its lobe; the mark follows
    assert reading.project.marks_of("P1", "E1", "R1")[0].lobe is Lobe.LEFT
    reading.set_observation(PAIR, lid, "ct_portal", NotVisible())
    assert reading.project.marks_of("P1", "E1", "R1") == []
    reading.undo()
    assert len(reading.project.marks_of("P1", "E1", "R1")) == 1
    # not measurable (seen, ill-defined) stays counted: Shift+V took the mark, the count fell by one and
    # detection agreement called the lesion missed (a researcher's check)
    reading.set_observation(PAIR, lid, "ct_portal", NotMeasurable("ill-defined"))
    assert [m.lesion_id for m in reading.project.marks_of("P1", "E1", "R1")] == ["L1"]
    reading.delete_lesion(PAIR, lid)
    assert reading.project.marks_of("P1", "E1", "R1") == []


def test_lobe_and_segment_cannot_contradict(reading):
    with pytest.raises(ValidationError, match="segment II lies in the left liver"):
        reading.add_lesion(PAIR, "right", "II")
    lid = reading.add_lesion(PAIR, None, "VII")
    assert reading.project.lesions[("P1", "E1", "R1", lid)].lobe is Lobe.RIGHT
    with pytest.raises(ValidationError, match="segment VII lies in the right liver"):
        reading.edit_lesion(PAIR, lid, lobe="left")
    reading.edit_lesion(PAIR, lid, lobe="left", segment=None)
    reading.edit_lesion(PAIR, lid, segment="IV")  # IV is left of the Cantlie line
    assert reading.project.lesions[("P1", "E1", "R1", lid)].lobe is Lobe.LEFT
    lid2 = reading.add_lesion(PAIR, None, "I")  # caudate: counted with the left liver (documented)
    assert reading.project.lesions[("P1", "E1", "R1", lid2)].lobe is Lobe.LEFT


def test_checks_flag_unread_series_measured_lesions_not_counted_and_old_contradictions(reading, geometry):
    lid = reading.add_lesion(PAIR, "right")
    reading.measure(PAIR, lid, "ct_portal", geometry, "k", "1.2", 3, (10, 10), (30, 10))
    codes = [w.code for w in check_pair(reading.project, "P1", "E1", "R1")]
    # a series not counted yet is said once, not again for each lesion measured on it (a reader's check: 25 lines)
    assert CheckCode.NOT_COUNTED in codes and CheckCode.MEASURED_NOT_COUNTED not in codes
    for role in Role:
        if role.value in ("ct_arterial", "ct_portal", "mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal"):
            reading.set_count_status(PAIR, role, "counted")
    codes = [w.code for w in check_pair(reading.project, "P1", "E1", "R1")]
    assert CheckCode.NOT_COUNTED not in codes and CheckCode.MEASURED_NOT_COUNTED not in codes
    placed = next(m.mark_id for m in reading.project.count_marks.values() if m.lesion_id == lid)
    reading.delete_count_mark(placed)  # counted, its lobe now 0 with a lesion measured in it
    found = [w for w in check_pair(reading.project, "P1", "E1", "R1") if w.code is CheckCode.MEASURED_NOT_COUNTED]
    assert [w.message for w in found] == [f"{lid} is measured on CT portal but that series' right lobe is counted 0"]
    empty = reading.add_lesion(PAIR, "left")  # started and never read: said (it was silent everywhere)
    found = [w for w in check_pair(reading.project, "P1", "E1", "R1") if w.code is CheckCode.EMPTY_LESION]
    assert [w.lesion_id for w in found] == [empty]
    from annotation.followup import FollowupEditor

    # carried to a follow-up (its follow-up record says "not assessed"): the dock's, not one to delete
    FollowupEditor(reading).set_lesion_followup(PAIR, empty, "non_target", status="not_assessed")
    assert CheckCode.EMPTY_LESION not in [w.code for w in check_pair(reading.project, "P1", "E1", "R1")]
    old = reading.project.lesions[("P1", "E1", "R1", lid)]
    project = reading.project.with_record(old.with_changes(segment="II"))  # as an older store may hold it
    assert CheckCode.LOBE_SEGMENT in [w.code for w in check_pair(project, "P1", "E1", "R1")]


def test_alignment_round_trips_through_the_store(tmp_path):
    st, r = open_reading(tmp_path / "a.lesionlab", "R1")
    r.add_patient("P1")
    r.set_alignment(Alignment("P1", "1.2.3", "1.2.4", IDENTITY[:3] + (12.5,) + IDENTITY[4:], "proposed"))
    r.set_alignment(Alignment("P1", "1.2.3", "1.2.4", IDENTITY, AlignmentSource.CONFIRMED, "R1"))
    st.close()
    with ReadingStore.open(tmp_path / "a.lesionlab", read_only=True) as ro:
        a = ro.load().alignment("P1", "1.2.3", "1.2.4")
    assert a is not None and a.source is AlignmentSource.CONFIRMED and a.matrix == IDENTITY


# ------------------------------------------------------------------ migration 1 -> 2
def _schema_1_store(path):
    with pytest.MonkeyPatch.context() as mp:  # a store made by a lesionlab that knew migration 1 only
        mp.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
        mp.setattr(store_module, "SCHEMA_VERSION", 1)
        ReadingStore.open(path).close()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("INSERT INTO patients VALUES ('P1', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '')")
    con.execute("INSERT INTO exam_pairs VALUES ('P1', 'E1', '1.2.3', '1.2.4', NULL, NULL)")
    for lid in ("L1", "L2"):
        con.execute("INSERT INTO lesions VALUES ('P1', 'E1', 'R1', ?, 'right', NULL, '')", (lid,))
    con.execute("INSERT INTO observations VALUES ('P1','E1','R1','L1','ct_portal','measured','', 'k', '1.2.9', 3,"
                " 10, 10, 30, 10, 0.7, 0.7, 14.0)")
    con.execute("INSERT INTO count_marks VALUES ('m1','P1','E1','R1','ct_portal','right','k',3,20,10)")
    con.execute("INSERT INTO series_flags VALUES ('P1','E1','R1','mr_dwi',1,'massive')")
    con.execute("INSERT INTO series_flags VALUES ('P1','E1','R1','mr_t2fs',0,'checked twice')")
    con.close()


def test_a_schema_1_store_migrates_without_inventing_zeros(tmp_path):
    path = tmp_path / "old.lesionlab"
    _schema_1_store(path)
    with ReadingStore.open(path) as st:
        assert st.schema_version == store_module.SCHEMA_VERSION
        p = st.load()
    l1, l2 = p.lesions[("P1", "E1", "R1", "L1")], p.lesions[("P1", "E1", "R1", "L2")]
    assert l1.tracking_uid.startswith("2.25.") and l1.tracking_uid != l2.tracking_uid
    m = l1.observation("ct_portal")
    assert isinstance(m, Measurement) and m.method is MeasurementMethod.MANUAL and m.sop_instance_uid == ""
    status = {role: p.count_status("P1", "E1", "R1", role) for role in
              (Role.CT_PORTAL, Role.MR_DWI, Role.MR_T2FS, Role.CT_ARTERIAL)}
    assert status == {Role.CT_PORTAL: CountStatus.COUNTED, Role.MR_DWI: CountStatus.NOT_COUNTABLE,
                      Role.MR_T2FS: CountStatus.NOT_READ, Role.CT_ARTERIAL: CountStatus.NOT_READ}
    with ReadingStore.open(path) as st:  # opening again changes nothing
        assert st.load() == p


def test_sql_readers_see_json_matrices_and_statuses(tmp_path):
    path = tmp_path / "s.lesionlab"
    st, r = open_reading(path, "R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1")
    r.set_count_status(("P1", "E1"), "mr_dwi", "not_countable", "coalescent")
    r.set_alignment(Alignment("P1", "1.2.3", "1.2.4", IDENTITY))
    st.close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT status, uncountable FROM series_flags").fetchall() == [("not_countable", 1)]
    assert json.loads(con.execute("SELECT matrix FROM alignments").fetchone()[0]) == list(IDENTITY)
    con.close()


def test_a_lesion_counted_before_it_is_measured_is_not_counted_twice(reading, geometry):
    clicked = reading.add_count_mark(PAIR, "ct_portal", "right", stack_key="k", slice_index=3, row=21, col=11)
    elsewhere = reading.add_count_mark(PAIR, "ct_portal", "right", stack_key="k", slice_index=3, row=90, col=90)
    lid = reading.add_lesion(PAIR, "right")
    reading.measure(PAIR, lid, "ct_portal", geometry, "k", "1.2", 3, (10, 10), (30, 10))
    marks = {m.mark_id: m for m in reading.project.marks_of("P1", "E1", "R1")}
    assert set(marks) == {clicked, elsewhere}  # adopted, not duplicated
    assert marks[clicked].lesion_id == lid and marks[elsewhere].lesion_id == ""
    reading.delete_lesion(PAIR, lid)  # the reader's own click stays, unlinked
    marks = {m.mark_id: m for m in reading.project.marks_of("P1", "E1", "R1")}
    assert set(marks) == {clicked, elsewhere} and marks[clicked].lesion_id == ""


def test_a_lesion_counted_on_another_of_its_slices_before_it_is_measured_is_not_counted_twice(reading, geometry):
    """A radiologist's check: a lesion counted while scrolling, a slice from its largest section, then measured there
    (one click puts the line on its largest slice): counted twice. The click within the sphere of the line's length
    round its middle, on any slice of the stack (5 mm apart here), becomes its mark; one beyond stays a count."""
    near = reading.add_count_mark(PAIR, "ct_portal", "right", stack_key="k", slice_index=4, row=21, col=11)
    beyond = reading.add_count_mark(PAIR, "ct_portal", "right", stack_key="k", slice_index=5, row=20, col=10)
    lid = reading.add_lesion(PAIR, "right")
    reading.measure(PAIR, lid, "ct_portal", geometry, "k", "1.2", 3, (10, 10), (30, 10))  # 14 mm: 7 mm round it
    marks = {m.mark_id: m for m in reading.project.marks_of("P1", "E1", "R1")}
    assert set(marks) == {near, beyond} and marks[near].lesion_id == lid and marks[beyond].lesion_id == ""
    assert reading.project.counts("P1", "E1", "R1")[(Role.CT_PORTAL, Lobe.RIGHT)] == 2
