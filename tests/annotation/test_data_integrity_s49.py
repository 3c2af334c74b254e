"""Data-integrity leftovers of session 48 (session 49).

1. A SOP Instance UID longer than DICOM's 64 characters (a hostile or broken file, read all the same): a line recorded
   the UID cut to 64 while :func:`annotation.placement.slice_of` matched the full one, so the line read as missing from
   its own folder, and a count click there was refused (the mark's UID failed its 64-character check). Now every
   record names such an image by the UID's first 64 characters (``recorded_uid``), placement matches on the same, the
   SR carries it and import-sr finds the image by it; the stack's warnings say so.
2. Count marks name their frame (store migration 17, ``count_marks.frame_number``): a mark on frame k > 1 of an enhanced
   multi-frame file fell back to frame 1 once an earlier file was missing (its stored index no longer named its frame).
3. (tests/analysis/test_pairing_by_uid_s49.py) the analysis places lines and marks by UID too.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from annotation.placement import image_shown, recorded_uid, same_image, slice_of
from annotation.records import CountMark, Measurement
from annotation.store import SCHEMA_VERSION, ReadingStore
from tests.annotation.old_lesionlab import old_lesionlab
from tests.annotation.pg import backend, location, new_location, pg_cluster, pg_url  # noqa: F401

PAIR = ("P1", "E1")
#: 70 characters each, distinct in their first 64
LONG = [f"1.2.826.0.1.3680043.10.999.{i + 1}" + "1" * 42 for i in range(6)]


def _images(keys: list[tuple[str, int]]) -> tuple[Any, ...]:
    """A stack as loaded: what slice_of reads of each image, (UID, frame index); a frame index > 0 or a UID repeated
    makes a multi-frame file of 4 frames."""
    multi = {u for u, f in keys if f > 0} | {u for u in {u for u, _ in keys} if sum(k[0] == u for k in keys) > 1}
    return tuple(SimpleNamespace(sop_instance_uid=u, frame=f,
                                 pixel=SimpleNamespace(number_of_frames=4 if u in multi else 1)) for u, f in keys)


# ---------------------------------------------------------------------------- 1. UIDs longer than 64 characters
def test_a_record_names_an_image_of_a_uid_longer_than_64_characters_by_its_first_64_and_is_placed_on_it() -> None:
    assert all(len(u) == 70 for u in LONG)
    stack = _images([(u, 0) for u in LONG])
    line = Measurement("s", "1.2", 3, (5.0, 5.0), (5.0, 15.0), 0.7, 0.7, sop_instance_uid=recorded_uid(LONG[3]))
    assert len(line.sop_instance_uid) == 64
    assert slice_of(line, stack) == 3  # before: None, the line read as missing from its own folder
    gapped = tuple(img for k, img in enumerate(stack) if k != 1)
    assert slice_of(line, gapped) == 2  # still by UID, not by index
    model = SimpleNamespace(volume=SimpleNamespace(images=stack))
    mark = CountMark("m1", *PAIR, "R1", "ct_portal", "right", "s", 4, 5.0, 6.0, **image_shown(model, 4))
    assert mark.sop_instance_uid == LONG[4][:64] and slice_of(mark, gapped) == 3


def test_two_images_whose_uids_agree_on_their_first_64_characters_are_told_apart_by_the_stored_index() -> None:
    twins = ["1.2.3." + "4" * 58 + "01", "1.2.3." + "4" * 58 + "02"]
    stack = _images([("1.2.3.1", 0), (twins[0], 0), (twins[1], 0)])
    second = Measurement("s", "1.2", 2, (5.0, 5.0), (5.0, 15.0), 0.7, 0.7, sop_instance_uid=recorded_uid(twins[1]))
    assert slice_of(second, stack) == 2  # before the fix: the first of the two (index 1)
    from viewer.stacks import long_uid_warnings

    said = long_uid_warnings(stack)  # type: ignore[arg-type]
    assert len(said) == 2 and "2 image(s) whose SOP Instance UIDs agree on their first 64 characters" in said[1], said


@pytest.fixture
def long_uid_folder(tmp_path: Path) -> Path:
    """A CT portal series of 6 single-frame files whose SOP Instance UIDs are 70 characters long."""
    from tests.dicomgen import write_series

    folder = tmp_path / "dicom"
    with pytest.warns(UserWarning, match="exceeds the maximum length of 64"):
        write_series(folder / "ct", np.full((6, 32, 32), 1064, np.int16), series_description="Portal venous 5.0",
                     slope=1, intercept=-1024, slice_thickness_mm=5.0, positions=[(0.0, 0.0, 5.0 * k) for k in range(6)],
                     per_slice=[{"SOPInstanceUID": u} for u in LONG])
    return folder


def test_generated_files_with_70_character_uids_keep_their_line_and_mark_through_the_store_the_sr_and_import_sr(
        long_uid_folder: Path, tmp_path: Path) -> None:
    """The reader's view on the loaded stack records a line (:func:`annotation.gestures.image_provenance`) and a count
    click (:func:`annotation.placement.image_shown`; before, refused); both are on their own image after a reload;
    the SR export references the image by the 64 characters and import-sr of that SR finds it and keeps the line
    unchanged (before: "not in the read" refused, the line's image not found)."""
    from annotation.gestures import image_provenance
    from annotation.sr_export import export_sr
    from annotation.sr_import import import_srs
    from annotation.store import open_reading
    from viewer.index import index_path
    from viewer.interop.sr_read import read_sr
    from viewer.loader import VolumeLoader
    from viewer.records import Role

    (stack,) = index_path(long_uid_folder).stacks
    assert stack.role is Role.CT_PORTAL
    assert any("SOP Instance UID longer than 64 characters" in w and "first 64 characters" in w
               for w in stack.warnings), stack.warnings
    volume = VolumeLoader(stack).volume
    view = SimpleNamespace(model=SimpleNamespace(volume=volume, key=stack.key), slice_index=3)
    store = tmp_path / "reading.lesionlab"
    st, r = open_reading(store, "R1")
    r.add_patient("PAT1")
    r.add_exam_pair("PAT1", "E1", ct_study_uid=stack.study_instance_uid)
    pair = ("PAT1", "E1")
    lid = r.add_lesion(pair, "right")
    r.measure(pair, lid, Role.CT_PORTAL, volume.geometry, stack.key, stack.series_instance_uid, 3, (10.0, 10.0),
              (10.0, 22.0), **image_provenance(view))  # type: ignore[arg-type]
    mark = r.add_count_mark(pair, Role.CT_PORTAL, "right", stack_key=stack.key, slice_index=4, row=20.0, col=20.0,
                            **image_shown(view.model, 4))
    st.close()
    with ReadingStore.open(store, read_only=True) as ro:
        project = ro.load()
    line = project.lesions[("PAT1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    assert isinstance(line, Measurement) and line.sop_instance_uid == LONG[3][:64]
    assert slice_of(line, volume.images) == 3 and slice_of(project.count_marks[mark], volume.images) == 4
    assert same_image(line, replace_uid(project.count_marks[mark], line.sop_instance_uid, 3))
    result = export_sr(store, tmp_path / "sr", dicom=long_uid_folder)
    files = sorted((tmp_path / "sr").rglob("*.dcm"))
    assert files, result
    refs = {g.image.sop_instance_uid for g in read_sr(files[0]).lengths if g.image is not None}
    assert refs == {LONG[3][:64]}, refs
    imported = import_srs(store, long_uid_folder, files, reader="R1")
    assert imported.refused == [] and imported.measurements == 1, (imported.refused, imported.notes)
    with ReadingStore.open(store, read_only=True) as ro:
        assert ro.load().lesions[("PAT1", "E1", "R1", lid)].observation(Role.CT_PORTAL) == line


def replace_uid(mark: CountMark, uid: str, k: int) -> CountMark:
    from dataclasses import replace

    return replace(mark, sop_instance_uid=uid, slice_index=k)


# ---------------------------------------------------------------------------- 2. a count mark's frame
#: single-frame files 1.1 and 1.2, then an enhanced multi-frame file 9.9 of 4 frames
FULL = [("1.1", 0), ("1.2", 0), ("9.9", 0), ("9.9", 1), ("9.9", 2), ("9.9", 3)]
GAPPED = [k for k in FULL if k[0] != "1.1"]  # the first file not read: every index one lower


def _mark(k: int, frame: int | None, uid: str = "9.9", mark_id: str = "m1") -> CountMark:
    return CountMark(mark_id, *PAIR, "R1", "mr_t1_portal", "right", "s", k, 50.0, 60.0, sop_instance_uid=uid,
                     frame_number=frame)


def test_a_mark_on_frame_3_of_a_multi_frame_file_stays_on_frame_3_with_an_earlier_file_missing() -> None:
    gapped = _images(GAPPED)
    on_frame_3 = _mark(4, 3)  # placed on the complete folder: index 4 is frame 3 of 9.9
    assert slice_of(on_frame_3, _images(FULL)) == 4
    assert slice_of(on_frame_3, gapped) == 3  # frame 3 here (before: no frame stored, frame 1 at index 1)
    # a mark of a store before schema 17 keeps its stored index while that shows its file (the frame it cannot tell)
    assert slice_of(_mark(4, None), gapped) == 4 and slice_of(_mark(5, None), gapped) == 1
    model = SimpleNamespace(volume=SimpleNamespace(images=gapped))
    assert image_shown(model, 3) == {"sop_instance_uid": "9.9", "frame_number": 3}
    line = Measurement("s", "1.2", 3, (50.0, 50.0), (50.0, 70.0), 0.7, 0.7, sop_instance_uid="9.9", frame_number=3)
    assert same_image(on_frame_3, line) and not same_image(_mark(3, 2), line)  # the same frame, whatever the index


def test_a_count_mark_moved_onto_a_frame_records_it_and_one_moved_without_an_image_keeps_it(reading) -> None:  # type: ignore[no-untyped-def]
    gapped = SimpleNamespace(volume=SimpleNamespace(images=_images(GAPPED)))
    m = reading.add_count_mark(PAIR, "mr_t1_portal", "right", stack_key="s", slice_index=2, row=5.0, col=6.0,
                               **image_shown(gapped, 2))
    assert reading.project.count_marks[m].frame_number == 2
    reading.move_count_mark(m, 7.0, 8.0, slice_index=4, **image_shown(gapped, 4))
    assert (reading.project.count_marks[m].frame_number, reading.project.count_marks[m].slice_index) == (4, 4)
    reading.move_count_mark(m, 9.0, 9.0)  # in plane: the same image, its frame kept
    assert reading.project.count_marks[m].frame_number == 4


def test_a_store_of_schema_16_gains_the_frame_column_and_keeps_a_marks_frame(location) -> None:  # type: ignore[no-untyped-def]
    """SQLite and PostgreSQL (``location``): a mark of a lesionlab of schema 16 names no frame; one placed now on a
    frame keeps it through the store."""
    from annotation.store import open_reading

    with old_lesionlab(16):
        st, r = open_reading(location, "R1")
        assert st.schema_version == 16
        r.add_patient("P1")
        r.add_exam_pair(*PAIR)
        old = r.add_count_mark(PAIR, "mr_t1_portal", "right", stack_key="s", slice_index=4, row=50.0, col=60.0,
                               sop_instance_uid="9.9")
        st.close()
    st, r = open_reading(location, "R1")
    assert st.schema_version == SCHEMA_VERSION == 17
    assert r.project.count_marks[old].frame_number is None
    new = r.add_count_mark(PAIR, "mr_t1_portal", "left", stack_key="s", slice_index=4, row=5.0, col=6.0,
                           sop_instance_uid="9.9", frame_number=3)
    kept = r.project
    st.close()
    with ReadingStore.open(location, read_only=True) as ro:
        loaded = ro.load()
    assert loaded.count_marks == kept.count_marks and loaded.count_marks[new].frame_number == 3
    assert slice_of(loaded.count_marks[new], _images(GAPPED)) == 3


# a study store of schema 16: its access functions made again with the frame (tests/annotation/test_mark_images_s48.py,
# test_a_study_store_of_an_older_schema_makes_the_count_marks_access_functions_again)


def test_a_pseudonymised_export_keeps_a_marks_frame_as_a_lines() -> None:
    """A frame number names no patient: kept, as a line's is (the UID that names the image is dropped)."""
    from annotation.pseudonymise import RULES, Rule

    assert RULES["frame_number"] is Rule.KEEP and RULES["sop_instance_uid"] is Rule.DROP
