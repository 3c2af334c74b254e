"""Count marks placed by SOP Instance UID (store schema 16): a folder with a file missing shifts every index above
the gap, and a mark was shown, picked and compared one slice off (its stored index counted the images of the load it
was placed on), as a line was before session 48. Migration 16 adds ``count_marks.sop_instance_uid`` (NULL for an
older mark, which keeps its index); on PostgreSQL the count marks' access functions are made again with it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from annotation.checks import marks_counted_twice
from annotation.placement import missing_text, same_image, slice_of
from annotation.records import CountMark, Measurement
from annotation.store import SCHEMA_VERSION, ReadingStore
from tests.annotation.old_lesionlab import old_lesionlab
from tests.annotation.pg import backend, location, new_location, pg_cluster, pg_url  # noqa: F401

PAIR = ("P1", "E1")


def _images(uids: list[str]) -> tuple[Any, ...]:
    """A stack as loaded: what slice_of reads of each image (its UID; single-frame)."""
    return tuple(SimpleNamespace(sop_instance_uid=u, frame=0, pixel=SimpleNamespace(number_of_frames=1)) for u in uids)


FULL = [f"1.2.3.{i}" for i in range(10)]
GAPPED = tuple(u for u in FULL if u != "1.2.3.4")  # image 4 not read: 5.. sit one index lower


def _mark(uid: str, k: int, mark_id: str = "m1", row: float = 50.0) -> CountMark:
    return CountMark(mark_id, *PAIR, "R1", "ct_portal", "right", "s", k, row, 60.0, sop_instance_uid=uid)


def test_a_mark_is_on_the_image_of_its_uid_and_on_none_when_that_image_is_missing() -> None:
    gapped = _images(list(GAPPED))
    assert slice_of(_mark("1.2.3.7", 7), gapped) == 6  # before: 7, another image
    assert slice_of(_mark("1.2.3.2", 2), gapped) == 2
    assert slice_of(_mark("1.2.3.4", 4), gapped) is None  # missing: shown nowhere
    assert slice_of(_mark("", 7), gapped) == 7  # an older store's mark keeps its index
    said = missing_text(_mark("1.2.3.4", 4), series="CT portal")
    assert "missing from this folder" in said and "still counts" in said, said
    line = Measurement("s", "1.2", 7, (50.0, 50.0), (50.0, 70.0), 0.7, 0.7, sop_instance_uid="1.2.3.7")
    assert same_image(_mark("1.2.3.7", 6), line) and not same_image(_mark("1.2.3.6", 7), line)


def test_two_count_clicks_on_one_image_of_a_gapped_folder_are_compared_on_it() -> None:
    """Checks' "the same lesion counted twice?" compares marks where they are (their UIDs), not at stored indices of
    two loads: a mark placed on the complete folder (index 7) and one on the folder missing image 4 (index 6) are on
    one image, 1 mm apart."""
    from viewer.geometry import StackGeometry

    geo, _ = StackGeometry.from_slices(100, 100, (1, 0, 0, 0, 1, 0), [(0.0, 0.0, 10.0 * k) for k in range(9)],
                                       (0.7, 0.7))
    a, b = _mark("1.2.3.7", 7, "a"), _mark("1.2.3.7", 6, "b", row=51.0)
    found = marks_counted_twice([a, b], geo, _images(list(GAPPED)))
    assert [(x.mark_id, y.mark_id, round(along, 1)) for x, y, _, along in found] == [("a", "b", 0.0)], found


def test_a_store_of_schema_15_gains_the_column_and_its_old_marks_keep_their_index(location) -> None:  # type: ignore[no-untyped-def]
    """SQLite and PostgreSQL (``location``): a mark recorded by a lesionlab of schema 15 has no UID and stays where its
    index puts it; one placed or moved now records the image's UID, kept through the store."""
    from annotation.store import open_reading

    with old_lesionlab(15):
        st, r = open_reading(location, "R1")
        assert st.schema_version == 15
        r.add_patient("P1")
        r.add_exam_pair(*PAIR)
        old = r.add_count_mark(PAIR, "ct_portal", "right", stack_key="s", slice_index=7, row=50.0, col=60.0)
        st.close()
    st, r = open_reading(location, "R1")
    assert st.schema_version == SCHEMA_VERSION == 17
    m = r.project.count_marks[old]
    assert m.sop_instance_uid == "" and slice_of(m, _images(list(GAPPED))) == 7
    new = r.add_count_mark(PAIR, "ct_portal", "left", stack_key="s", slice_index=6, row=5.0, col=6.0,
                           sop_instance_uid="1.2.3.7")
    r.move_count_mark(old, 51.0, 61.0, slice_index=2, sop_instance_uid="1.2.3.2")
    kept = r.project
    st.close()
    with ReadingStore.open(location, read_only=True) as ro:
        loaded = ro.load()
    assert loaded.count_marks == kept.count_marks
    assert (loaded.count_marks[new].sop_instance_uid, loaded.count_marks[old].sop_instance_uid) == ("1.2.3.7", "1.2.3.2")
    assert slice_of(loaded.count_marks[new], _images(list(GAPPED))) == 6


@pytest.mark.parametrize("old", [15, 16])
def test_a_study_store_of_an_older_schema_makes_the_count_marks_access_functions_again(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, old: int) -> None:
    """A blinded reader role writes its marks through ``lesionlab_write_count_marks``, which names the table's columns
    when made: after migration 16 the UID a reader records reaches the table, after migration 17 its frame (session
    49) too (the coordinator reads them back)."""
    import psycopg

    from annotation.study_store import Study
    from tests.annotation.test_blinding_limits_pg import _r2_reads_a_case
    from tests.annotation.test_study_blinding_pg import study_with_roles
    from tests.annotation.test_study_store import Clock

    clock = Clock()
    with old_lesionlab(old):
        urls = study_with_roles(pg_cluster, pg_url, f"cm{old}", clock=clock)
        _, _, before = _r2_reads_a_case(urls["R2"], clock)
    with ReadingStore.open(pg_url) as owner:
        assert owner.schema_version == SCHEMA_VERSION == 17
    with psycopg.connect(pg_url, autocommit=True) as con:
        source = con.execute("SELECT pg_get_functiondef('lesionlab_write_count_marks'::regproc)").fetchone()[0]
    assert "sop_instance_uid" in source and "frame_number" in source
    with ReadingStore.open(urls["R2"]) as store:
        study = Study(store, clock=clock)
        nxt = study.next_case("R2").case
        assert nxt is not None
        case = study.open_case("R2", nxt.session, nxt.code)
        new = case.reading.add_count_mark(case.pair, "mr_dwi", "left", stack_key="s", slice_index=3,
                                          sop_instance_uid="1.2.826.0.1.3", frame_number=2)
        case.reading.move_count_mark(new, 5.0, 6.0, slice_index=4, sop_instance_uid="1.2.826.0.1.4", frame_number=3)
    with ReadingStore.open(urls["Coord"], read_only=True) as store:
        marks = store.load().count_marks
    assert marks[before].sop_instance_uid == "" and marks[before].frame_number is None
    assert (marks[new].sop_instance_uid, marks[new].frame_number) == ("1.2.826.0.1.4", 3), marks[new]


def test_a_count_click_on_the_image_of_a_line_measured_on_another_load_becomes_its_mark(reading) -> None:  # type: ignore[no-untyped-def]
    """The takeover (a count click inside the lesion then measured is its mark) finds the click on the line's image
    by UID: clicked on the complete folder at index 7, measured on the folder missing image 4, where that image is 6.
    Compared by index (7 against 6, 5 mm apart through the slices, a 3.5 mm radius) the lesion was counted twice."""
    from tests.annotation.conftest import make_geometry

    geo = make_geometry(pixel_spacing=(0.7, 0.7), n=9)
    pair = ("P1", "E1")
    click = reading.add_count_mark(pair, "ct_portal", "right", stack_key="s", slice_index=7, row=50.0, col=60.0,
                                   sop_instance_uid="1.2.3.7")
    lid = reading.add_lesion(pair, "right")
    reading.measure(pair, lid, "ct_portal", geo, "s", "1.2", 6, (45.0, 60.0), (55.0, 60.0), sop_instance_uid="1.2.3.7",
                    images=_images(list(GAPPED)))
    marks = reading.project.marks_of(*pair, "R1")
    assert [(m.mark_id, m.lesion_id) for m in marks] == [(click, lid)], marks


def test_a_pseudonymised_export_drops_a_marks_uid_as_a_lines(reading) -> None:  # type: ignore[no-untyped-def]
    """A UID names an image (and so the patient's study): the gate drops a count mark's as it drops a line's."""
    from annotation.pseudonymise import RULES, Gate, Rule

    reading.add_count_mark(("P1", "E1"), "ct_portal", "right", stack_key="s", slice_index=2, sop_instance_uid="1.2.3.2")
    assert RULES["sop_instance_uid"] is Rule.DROP
    assert Gate.for_project(reading.project).value("sop_instance_uid", "1.2.3.2", "P1") is None
