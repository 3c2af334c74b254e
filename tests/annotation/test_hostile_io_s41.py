"""Session 41's adversarial pass on input and output paths: what it found, on real files, the real CLI and store.

* `import-sr` writes one edit per SR file. A disk that filled after the first file stopped the import with the store's
  own "the edit was not saved: the disk is full (...; nothing was changed)" and no summary: the file imported before
  stayed in the store while the message said nothing had changed. It now names the files kept and those not imported,
  and the same import run again (space freed) completes the read without adding anything twice.
* `export --sr DIR` into a folder an earlier export wrote said "wrote 12 DICOM SR file(s) in DIR" while DIR held 18:
  the SRs of an exam pair deleted from the reading since stayed beside the new ones, and a push of the folder would
  send the deleted measurements to PACS. The files it did not write are named now, and the export exits 1.
* A treatment line's name, typed by the reader in the Follow-up dock, left a pseudonymised export as typed: "PRRT at
  <hospital> for <patient's name>, 12/03/2024, MRN <id>" went to treatment_lines.csv whole. It passes the gate's
  replacement of ids, names, dates and UIDs now, as lesionlab's own sentences do.
* A pseudonymised export to the same place after a patient was deleted wrote a key without that patient's row: S002
  of the export shared before could no longer be re-identified, the key being the only one. The previous key's rows
  of patients not in the export are kept (when the export kept the previous codes).
* The key saved again by a spreadsheet (semicolons) was refused as "not a pseudonymisation key of lesionlab"; it is
  named as what it is, and why it is not read back.
* `store copy SRC LINK`, LINK a symbolic link to SRC, was told "the destination already holds data" and `store copy
  SRC SRC` advised "close other lesionlab windows using it and retry": both are the same store, said so, with advice
  that helps.
* A PatientName of 705 characters in the images stopped `study init --dicom` with "patient_name: is 705 characters
  long (at most 500)", naming neither patient nor file (and the workstation's first edit of that patient failed so):
  a name from the images is kept to 500 characters.
* A header's ReferringPhysicianName (or StudyDescription) beyond 200 characters refused the series' DICOM context:
  `export --sr --dicom` stopped for every patient naming no file, and `record_stacks`, which the workstation runs after
  each edit of a reading whose series it opened, raised. Such text is cut to 200 characters in the context.
"""

from __future__ import annotations

import csv
import errno
import json
import shutil
import sqlite3
import warnings
from pathlib import Path

import pydicom
import pytest

from analysis.study_sample import DEFINITION
from annotation.sr_export import export_sr
from annotation.dicom_context import load_contexts, record_stacks
from annotation.followup import FollowupEditor
from annotation.reading import Reading
from annotation.sr_import import _Importer
from annotation.store import ReadingStore
from app.cli import main
from tests.conftest import SAMPLE_DICOM
from tests.tmpfs import small_tmpfs
from viewer.index import index_path

SAMPLE_STORE = SAMPLE_DICOM / "reading.lesionlab"


@pytest.fixture(scope="module")
def sample_srs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The sample reading's SRs of LLSYN001 (six series), as `export --sr --dicom` writes them."""
    out = tmp_path_factory.mktemp("srs")
    store = out / "r.lesionlab"
    shutil.copyfile(SAMPLE_STORE, store)
    export_sr(store, out / "sr", dicom=SAMPLE_DICOM, keep_context=False)
    files = sorted((out / "sr" / "LLSYN001").rglob("*.dcm"))
    assert len(files) == 6
    return files


def _fill(folder: Path) -> None:
    """Write zeros into ``folder`` until its file system is full."""
    try:
        with open(folder / "fill", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC


def _newr(store: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        lesions = db.execute("SELECT patient_id, exam_pair_id, lesion_id, lobe, tracking_uid FROM lesions "
                             "WHERE reader = 'NEWR' ORDER BY 1, 2, 3").fetchall()
        obs = db.execute("SELECT patient_id, lesion_id, series_role, status, p1_row, p1_col, p2_row, p2_col FROM observations "
                         "WHERE reader = 'NEWR' ORDER BY 1, 2, 3").fetchall()
    return lesions, obs


def test_a_disk_filling_mid_import_sr_names_what_was_kept_and_the_same_import_completes_it(
        sample_srs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    whole = tmp_path / "whole.lesionlab"  # the same import with room: what the read must end as
    shutil.copyfile(SAMPLE_STORE, whole)
    args = ["--dicom", str(SAMPLE_DICOM), "--reader", "NEWR", *map(str, sample_srs)]
    assert main(["import-sr", str(whole), *args]) == 0
    capsys.readouterr()
    with small_tmpfs("2m", "lesionlab-import-") as mount:
        store = mount / "r.lesionlab"
        shutil.copyfile(SAMPLE_STORE, store)
        original = _Importer.import_file

        def then_the_disk_fills(self: _Importer, parsed, reader):  # type: ignore[no-untyped-def]
            original(self, parsed, reader)
            if self.result.files == 1:
                _fill(mount)

        monkeypatch.setattr(_Importer, "import_file", then_the_disk_fills)
        assert main(["import-sr", str(store), *args]) == 1
        err = capsys.readouterr().err
        first, second = sample_srs[0].name, sample_srs[1].name
        assert "the disk is full" in err and "nothing was changed" not in err, err
        assert f"the 1 SR file(s) imported before it are kept ({first})" in err, err
        assert f"importing {second}" in err and f"{second} and the 4 after it not imported" in err, err
        assert "the same import again adds what is missing, and nothing twice" in err, err
        kept_lesions, kept_obs = _newr(store)
        assert kept_lesions and kept_obs  # the first file's edit is in the store
        monkeypatch.setattr(_Importer, "import_file", original)
        (mount / "fill").unlink()
        assert main(["import-sr", str(store), *args]) == 0
        assert _newr(store) == _newr(whole)


def _without_llsyn003(tmp_path: Path) -> Path:
    """A copy of the sample store whose exam pair LLSYN003 E1 was deleted (an earlier export wrote its SRs)."""
    store = tmp_path / "r.lesionlab"
    shutil.copyfile(SAMPLE_STORE, store)
    with ReadingStore.open(store) as st:
        Reading(st.load(), reader="sample", sink=st).delete_exam_pair(("LLSYN003", "E1"))
    return store


def test_an_sr_export_into_a_folder_holding_an_earlier_exports_srs_names_those_it_did_not_write(
        sample_srs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sr"
    shutil.copytree(sample_srs[0].parents[3], out)  # the earlier export: every sample patient
    earlier = sorted(out.rglob("*.dcm"))
    store = _without_llsyn003(tmp_path)
    assert main(["export", str(store), "--sr", str(out), "--dicom", str(SAMPLE_DICOM)]) == 1
    said = capsys.readouterr().out
    stale = sorted((out / "LLSYN003").rglob("*.dcm"))
    assert len(stale) == 6 and len(earlier) == 18
    assert "wrote 12 DICOM SR file(s)" in said, said
    assert (f"not from this export: 6 other .dcm file(s) in {out} were not written by this export (first: "
            f"{stale[0].relative_to(out)}): an earlier export's SRs of what the reading no longer has?") in said, said
    # exported again into a folder of its own SRs only: nothing to say
    for f in stale:
        f.unlink()
    assert main(["export", str(store), "--sr", str(out), "--dicom", str(SAMPLE_DICOM)]) == 0
    assert "not from this export" not in capsys.readouterr().out


def test_an_sr_export_beside_the_images_names_no_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """review41: SRs exported into the study folder, beside the images (to open them together in a viewer): its 1022
    images were said to be "an earlier export's SRs of what the reading no longer has?" and the export exited 1. Only
    SR files are named, an earlier export's among them still."""
    folder = tmp_path / "study"
    shutil.copytree(SAMPLE_DICOM / "LLSYN001", folder / "LLSYN001")
    store = _without_llsyn003(tmp_path)
    assert main(["export", str(store), "--sr", str(folder), "--dicom", str(SAMPLE_DICOM)]) == 0
    said = capsys.readouterr().out
    assert "wrote 12 DICOM SR file(s)" in said and "not from this export" not in said, said
    stale = folder / "LLSYN003" / "E1" / "sample" / "ct_portal.dcm"  # an earlier export's, of an exam deleted since
    stale.parent.mkdir(parents=True)
    shutil.copyfile(folder / "LLSYN001" / "E1" / "sample" / "ct_portal.dcm", stale)
    assert main(["export", str(store), "--sr", str(folder), "--dicom", str(SAMPLE_DICOM)]) == 1
    said = capsys.readouterr().out
    assert (f"not from this export: 1 other .dcm file(s) in {folder} were not written by this export (first: "
            "LLSYN003/E1/sample/ct_portal.dcm)") in said, said


def test_a_treatment_line_name_leaves_a_pseudonymised_export_without_the_patients_ids_names_and_dates(
        tmp_path: Path) -> None:
    store = tmp_path / "f.lesionlab"
    shutil.copyfile(SAMPLE_DICOM / "followup.lesionlab", store)
    typed = "PRRT at Alpha clinic for SYNTHETIC Alpha, 12/03/2024 then 2024-05-02, MRN LLSYN001"
    with ReadingStore.open(store) as st:
        project = st.load()
        assert project.patients["LLSYN001"].patient_name == "SYNTHETIC^ALPHA"
        FollowupEditor(Reading(project, reader="sample", sink=st)).add_treatment_line("LLSYN001", typed, "2024-03-12")
    out = tmp_path / "out"
    assert main(["export", str(store), "--out", str(out), "--pseudonymise"]) == 0
    text = (out / "treatment_lines.csv").read_text(encoding="utf-8")
    for leak in ("LLSYN001", "ALPHA", "Alpha", "SYNTHETIC", "12/03/2024", "2024-05-02"):
        assert leak not in text, (leak, text)
    assert '"PRRT at [name] clinic for [name], [date] then day ' in text and ', MRN S001",' in text, text
    assert "177Lu-DOTATATE (PRRT), 4 cycles" in text  # the sample's own names, as they were
    # not pseudonymised: as typed
    assert main(["export", str(store), "--out", str(tmp_path / "plain")]) == 0
    assert typed in (tmp_path / "plain" / "treatment_lines.csv").read_text(encoding="utf-8")


def _key(path: Path) -> list[tuple[str, str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return [tuple(r) for r in list(csv.reader(f))[1:]]  # type: ignore[misc]


def test_a_patient_deleted_keeps_its_row_in_the_key_of_the_export_to_the_same_place(tmp_path: Path) -> None:
    store = tmp_path / "r.lesionlab"
    shutil.copyfile(SAMPLE_STORE, store)
    out, key = tmp_path / "share", tmp_path / "share-pseudonymisation-key.csv"
    assert main(["export", str(store), "--out", str(out), "--pseudonymise"]) == 0
    first = _key(key)
    assert [(code, pid) for code, pid, _name in first] == [("S001", "LLSYN001"), ("S002", "LLSYN002"),
                                                           ("S003", "LLSYN003")]
    with ReadingStore.open(store) as st:
        Reading(st.load(), reader="sample", sink=st).delete_patient("LLSYN002")
    assert main(["export", str(store), "--out", str(out), "--pseudonymise"]) == 0
    assert sorted(_key(key)) == sorted(first)  # S002's row stays: the export shared before still names S002
    assert sorted(p.name for p in (out / "patients").iterdir()) == ["S001.xlsx", "S003.xlsx"]


def test_a_key_saved_again_by_a_spreadsheet_is_named_as_such(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "key.csv"
    key.write_bytes("study_code;patient_id;patient_name\r\nS001;LLSYN001;SYNTHETIC^ALPHA\r\n".encode("cp1252"))
    assert main(["export", str(SAMPLE_STORE), "--out", str(tmp_path / "share"), "--pseudonymise", "--key-file",
                 str(key)]) == 1
    err = capsys.readouterr().err
    assert f"{key}: the pseudonymisation key there was saved again by a spreadsheet (semicolons or another " in err
    assert not (tmp_path / "share").exists() and key.read_bytes().startswith(b"study_code;")


def test_a_copy_onto_the_store_itself_or_a_link_to_it_is_said_to_be_the_same_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "r.lesionlab"
    shutil.copyfile(SAMPLE_STORE, store)
    link = tmp_path / "link.lesionlab"
    link.symlink_to(store)
    before = store.read_bytes()
    for destination in (store, link):
        assert main(["store", "copy", str(store), str(destination)]) == 1
        err = capsys.readouterr().err
        assert err.strip() == (f"lesionlab store: {destination}: source and destination are the same store (the store "
                               "is unchanged; copy into a new file or an empty database)"), err
    assert store.read_bytes() == before


def test_a_patient_name_beyond_what_a_project_keeps_is_cut_not_a_refusal(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    images = tmp_path / "images"
    for study in ("20230314_CT", "20230411_MR"):
        for f in (SAMPLE_DICOM / "LLSYN001" / study).rglob("*"):
            if f.is_file():
                ds = pydicom.dcmread(f)
                with warnings.catch_warnings():  # pydicom says the component is beyond 64 characters: the point
                    warnings.simplefilter("ignore")
                    ds.PatientName = "LONG^" + "X" * 700
                out = images / f.relative_to(SAMPLE_DICOM)
                out.parent.mkdir(parents=True, exist_ok=True)
                ds.save_as(out)
    definition = tmp_path / "study.json"  # the sample study's, of LLSYN001 alone
    definition.write_text(json.dumps({**DEFINITION, "seed": 7, "cases": [{"patient_id": "LLSYN001",
                                                                          "exam_pair_id": "E1"}]}), encoding="utf-8")
    store = tmp_path / "study.lesionlab"
    assert main(["study", "init", str(store), str(definition), "--dicom", str(images)]) == 0, capsys.readouterr().err
    with ReadingStore.open(store, read_only=True) as st:
        name = st.load().patients["LLSYN001"].patient_name
    assert len(name) == 500 and name.startswith("LONG^XXX") and name.endswith("X\u2026")


def test_header_text_beyond_what_the_dicom_context_holds_is_cut_not_a_refusal_of_the_sr_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images = tmp_path / "images"
    for study in ("20230314_CT", "20230411_MR"):
        for f in (SAMPLE_DICOM / "LLSYN001" / study).rglob("*"):
            if f.is_file():
                ds = pydicom.dcmread(f)
                with warnings.catch_warnings():  # beyond the VR's length: the point
                    warnings.simplefilter("ignore")
                    ds.ReferringPhysicianName = "R^" + "r" * 300
                    ds.StudyDescription = "D" * 1000
                out = images / f.relative_to(SAMPLE_DICOM)
                out.parent.mkdir(parents=True, exist_ok=True)
                ds.save_as(out)
    store = tmp_path / "r.lesionlab"
    shutil.copyfile(SAMPLE_STORE, store)
    with ReadingStore.open(store) as st:  # what the workstation does after each edit of the pair it opened
        assert record_stacks(st, index_path(images, workers=1).stacks) == 8
        context = next(iter(load_contexts(st).values()))
    assert context.referring_physician_name == ("R^" + "r" * 300)[:200] and context.study_description == "D" * 200
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(images)]) == 1  # LLSYN002, 003
    said = capsys.readouterr().out
    assert "wrote 6 DICOM SR file(s)" in said, said


def test_a_treatment_line_naming_a_nuclide_keeps_it_for_a_patient_of_that_name() -> None:
    """review41: the typed treatment line of a patient named LU^ANNA, "Lu-177 DOTATATE (PRRT)", left the pseudonymised
    export as "[name]-177 DOTATATE (PRRT)" (HO's "Ho-166 SIRT" the same): a two-letter part before a mass number is a
    nuclide. The name elsewhere in the text still goes."""
    import datetime as _dt

    from annotation.pseudonymise import Gate

    gate = Gate(True, patient_codes={"P9": "S001"}, first_exam={"P9": _dt.date(2023, 3, 14)},
                patient_names={"P9": "LU^HO^ANNA"})
    assert gate.value("name", "Lu-177 DOTATATE (PRRT), Ho-166 SIRT, Tc-99m", "P9") == \
        "Lu-177 DOTATATE (PRRT), Ho-166 SIRT, Tc-99m"
    assert gate.value("name", "PRRT for Lu Anna (P9) 2023-04-25", "P9") == "PRRT for [name] [name] (S001) day 42"
