"""Session 48: the documented SR round trip from an empty store. `lesionlab store create new.lesionlab`, then
`lesionlab import-sr new.lesionlab --dicom sample_copy SRs...` refused every file ("... is not the CT or MRI of an exam
pair of this store"), exit 1, though --dicom named the images and the README gives store create "for import-sr". The
exam (with its patient) is added from the images now, said; the round trip is exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.store import ReadingStore
from app.cli import main
from tests.app.conftest import exported_sample_srs, round_trip_worst


def test_import_sr_into_a_new_store_adds_the_exams_and_round_trips_exactly(
        tmp_path: Path, sample_dicom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(Checked: fails without sr_import._Importer._add_exam: exit 1, every file refused.)"""
    store, files = exported_sample_srs(tmp_path, sample_dicom)
    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
    new = tmp_path / "new.lesionlab"
    assert main(["store", "create", str(new)]) == 0
    capsys.readouterr()
    assert main(["import-sr", str(new), "--dicom", str(sample_dicom), *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert "refused" not in out and "not understood" not in out, out
    assert "added to the store from the images under --dicom" in out, out
    with ReadingStore.open(new, read_only=True) as st:
        after = st.load()
    before = {les.tracking_uid: les for les in project.lesions.values() if les.reader == "sample"}
    again = {les.tracking_uid: les for les in after.lesions.values() if les.reader == "sample"}
    assert set(again) == set(before) and before
    worst = round_trip_worst(before, again, pairs=(project, after))
    assert worst < 0.01, worst
    # the patients come from the images' headers; the same import again adds nothing
    assert set(after.patients) == {les.patient_id for les in before.values()}
    assert main(["import-sr", str(new), "--dicom", str(sample_dicom), *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert "added to the store" not in out and "0 new lesion(s)" in out, out


def test_an_exam_added_for_one_reader_is_not_added_again_over_it_for_another(
        tmp_path: Path, sample_dicom: Path) -> None:
    """A review of session 48: each reader's Reading was loaded at the reader's first SR of the run and kept. R1 (first
    file: LLSYN002), then R2's SR of LLSYN001's baseline (the patient and its E1 added), then R1's SR of a LLSYN001
    follow-up study: R1's Reading, loaded before, held no LLSYN001, added it again with the follow-up as "the next free"
    E1 -- over R2's, whose lesions were then under the follow-up study. An added exam now makes the other readers'
    Readings load again. (Checked: fails without it, E1 naming the follow-up's study.)"""
    from annotation.reading import Reading
    from annotation.sr_import import SrImportResult, _Images, _Importer
    from viewer.index import index_path
    from viewer.interop.sr_read import read_sr

    for src in ("reading", "followup"):
        assert main(["export", str(sample_dicom / f"{src}.lesionlab"), "--sr", str(tmp_path / src),
                     "--dicom", str(sample_dicom)]) == 0
    with ReadingStore.open(sample_dicom / "reading.lesionlab", read_only=True) as st:
        base = st.load().exam_pairs[("LLSYN001", "E1")]
    base_uids = {base.ct_study_uid, base.mri_study_uid}
    baseline = [read_sr(f) for f in sorted((tmp_path / "reading").rglob("*.dcm"))]
    later = [p for f in sorted((tmp_path / "followup").rglob("*.dcm"))
             if (p := read_sr(f)).patient_id == "LLSYN001" and p.study_instance_uid not in base_uids]
    first = next(p for p in baseline if p.patient_id == "LLSYN002")
    r2_base = next(p for p in baseline if p.patient_id == "LLSYN001")
    assert later, "no SR of a LLSYN001 follow-up study"
    new = tmp_path / "new.lesionlab"
    assert main(["store", "create", str(new)]) == 0
    index = index_path(sample_dicom)
    images = _Images(list(index.stacks))
    images.unread = tuple(index.skipped)
    result = SrImportResult()
    with ReadingStore.open(new) as st:
        importer = _Importer(lambda who: Reading(st.load(), reader=who, sink=st), images, result)
        importer.import_file(first, "R1")
        importer.import_file(r2_base, "R2")
        importer.import_file(later[0], "R1")
        after = st.load()
    assert not result.refused, result.refused
    e1 = after.exam_pairs[("LLSYN001", "E1")]
    assert {e1.ct_study_uid, e1.mri_study_uid} - {""} <= base_uids, (e1, result.notes)
    assert ("LLSYN001", "E2") in after.exam_pairs, result.notes
    r2 = [les for les in after.lesions.values() if les.reader == "R2"]
    assert r2 and all((les.patient_id, les.exam_pair_id) == ("LLSYN001", "E1") for les in r2)
