"""Review 49a of ws49b (UIDs over 64 characters, count marks' frames, migration 17).

1. import-sr of lesionlab's own SR on a folder where two images' SOP Instance UIDs agree on their first 64 characters
   (non-conformant, the case the stack's warnings name): the SR carries the cut UID, and import-sr takes the first
   image of that cut (``_Images.by_uid.setdefault``), so a line measured on the second is recorded on the first, a
   slice away, unsaid. Fixed: such a line is refused, said (which image the SR means is not known).
2. Migration 16 -> 17 of a study store on PostgreSQL: each reader role still reads and writes its own count marks
   only, and the marks keep their UIDs (the access functions are made again by migration 17).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from annotation.placement import slice_of
from annotation.records import Measurement
from annotation.store import SCHEMA_VERSION, ReadingStore
from tests.annotation.old_lesionlab import old_lesionlab
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401

#: 70 characters each: the two twins agree on their first 64 (a generator appending a counter past DICOM's limit)
ROOT = "1.2.826.0.1.3680043.10.999." + "7" * 37
UIDS = ["1.2.826.0.1.3680043.10.999.1" + "1" * 42, ROOT + "000001", ROOT + "000002", "1.2.826.0.1.3680043.10.999.4"
        + "1" * 42]


@pytest.fixture
def twin_folder(tmp_path: Path) -> Path:
    """A CT portal series of 4 single-frame files 10 mm apart; images 1 and 2 share their UID's first 64 characters."""
    from tests.dicomgen import write_series

    assert len(ROOT) == 64 and UIDS[1][:64] == UIDS[2][:64] and len({u[:64] for u in UIDS}) == 3
    folder = tmp_path / "dicom"
    with pytest.warns(UserWarning, match="exceeds the maximum length of 64"):
        write_series(folder / "ct", np.full((4, 32, 32), 1064, np.int16), series_description="Portal venous 5.0",
                     slope=1, intercept=-1024, slice_thickness_mm=5.0,
                     positions=[(0.0, 0.0, 10.0 * k) for k in range(4)], per_slice=[{"SOPInstanceUID": u} for u in UIDS])
    return folder


def test_import_sr_of_a_line_on_the_second_of_two_images_sharing_a_64_character_prefix_does_not_land_on_the_first(
        twin_folder: Path, tmp_path: Path) -> None:
    from annotation.gestures import image_provenance
    from annotation.sr_export import export_sr
    from annotation.sr_import import import_srs
    from annotation.store import open_reading
    from viewer.index import index_path
    from viewer.loader import VolumeLoader
    from viewer.records import Role

    (stack,) = index_path(twin_folder).stacks
    assert any("agree on their first 64 characters" in w for w in stack.warnings), stack.warnings
    volume = VolumeLoader(stack).volume
    k = next(i for i, img in enumerate(volume.images) if img.sop_instance_uid == UIDS[2])
    view = SimpleNamespace(model=SimpleNamespace(volume=volume, key=stack.key), slice_index=k)
    store = tmp_path / "reading.lesionlab"
    st, r = open_reading(store, "R1")
    r.add_patient("PAT1")
    r.add_exam_pair("PAT1", "E1", ct_study_uid=stack.study_instance_uid)
    lid = r.add_lesion(("PAT1", "E1"), "right")
    r.measure(("PAT1", "E1"), lid, Role.CT_PORTAL, volume.geometry, stack.key, stack.series_instance_uid, k,
              (10.0, 10.0), (10.0, 22.0), **image_provenance(view))  # type: ignore[arg-type]
    st.close()
    export_sr(store, tmp_path / "sr", dicom=twin_folder)
    files = sorted((tmp_path / "sr").rglob("*.dcm"))
    assert files
    # R2 takes R1's SR in (a second reader given the first's SR, or R1's line sent to a PACS and read back)
    imported = import_srs(store, twin_folder, files, reader="R2")
    with ReadingStore.open(store, read_only=True) as ro:
        lesions = [les for les in ro.load().lesions.values() if les.reader == "R2"]
    lines = [les.observation(Role.CT_PORTAL) for les in lesions]
    on = [slice_of(m, volume.images) for m in lines if isinstance(m, Measurement)]
    # refused and said, never on its twin (before: recorded on index k - 1, the first image of the cut UID, unsaid)
    assert on == [] and len(imported.refused) == 1, (on, k, imported.refused)
    assert f"image {UIDS[2][:64]} names 2 images of the folder" in imported.refused[0], imported.refused


def test_a_study_store_migrated_from_schema_16_keeps_each_readers_count_marks_their_own(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url) -> None:
    """Migration 17 declares count_marks reader-keyed again (policies and access functions made again with the frame
    column): R1's role sees none of R2's marks and cannot rewrite one; R2's marks keep their UIDs; the coordinator
    sees both readers' marks."""
    import psycopg
    from psycopg.types.json import Jsonb

    from annotation.study_store import Study
    from tests.annotation.test_blinding_limits_pg import _r2_reads_a_case
    from tests.annotation.test_study_blinding_pg import study_with_roles
    from tests.annotation.test_study_store import Clock

    clock = Clock()
    with old_lesionlab(16):
        urls = study_with_roles(pg_cluster, pg_url, "rv49", clock=clock)
        pid, eid, theirs = _r2_reads_a_case(urls["R2"], clock)
        with ReadingStore.open(urls["R2"]) as store:  # R2 counts one more, on an image named by its UID
            study = Study(store, clock=clock)
            nxt = study.next_case("R2").case
            assert nxt is not None
            case = study.open_case("R2", nxt.session, nxt.code)
            named = case.reading.add_count_mark(case.pair, "mr_dwi", "left", stack_key="s", slice_index=3,
                                                sop_instance_uid="1.2.826.0.1.3")
    with ReadingStore.open(pg_url) as owner:
        assert owner.schema_version == SCHEMA_VERSION == 17
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        nxt = study.next_case("R1").case
        assert nxt is not None
        case = study.open_case("R1", nxt.session, nxt.code)
        mine = case.reading.add_count_mark(case.pair, "mr_dwi", "right", stack_key="s", slice_index=2,
                                           sop_instance_uid="1.2.826.0.1.9", frame_number=2)
        assert set(case.reading.project.count_marks) == {mine}
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        seen = {r[0]["mark_id"] if isinstance(r[0], dict) else r[0]
                for r in con.execute("SELECT * FROM lesionlab_rows_count_marks()").fetchall()}
        assert mine in seen and theirs not in seen and named not in seen, seen
        forged = {"mark_id": named, "patient_id": pid, "exam_pair_id": eid, "reader": "R2@MRI",
                  "series_role": "mr_dwi", "lobe": "left", "stack_key": "s", "slice_index": 9, "row": 1.0,
                  "col": 1.0, "lesion_id": "", "sop_instance_uid": "1.2.9", "frame_number": 7}
        with pytest.raises(psycopg.Error):
            con.execute("SELECT * FROM lesionlab_write_count_marks('upsert', %s)", (Jsonb([forged]),))
    with ReadingStore.open(urls["Coord"], read_only=True) as store:
        marks = store.load().count_marks
    assert {theirs, named, mine} <= set(marks)
    assert (marks[named].sop_instance_uid, marks[named].slice_index, marks[named].frame_number) == ("1.2.826.0.1.3", 3,
                                                                                                    None)
    assert (marks[mine].sop_instance_uid, marks[mine].frame_number) == ("1.2.826.0.1.9", 2)
