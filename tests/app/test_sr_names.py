"""`lesionlab export --sr` with readers' and patients' names beyond ASCII: one folder per name however
alike their safe forms, and the names themselves written exactly (UTF-8), read back by pydicom and by
`import-sr`, with no dciodvfy error. The studies are a few sample slices re-encoded per test."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pydicom
import pytest

from annotation.sr_export import folder_names
from annotation.store import ReadingStore
from app.cli import main
from tests.app.srstudy import reading_store, tiny_study
from tests.app.test_sr_export import assert_pixelmed_clean, need


def _observer(ds: pydicom.Dataset) -> str:
    return next(str(i.PersonName) for i in ds.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "121008")


def _dciodvfy_errors(path: Path) -> list[str]:
    out = subprocess.run([need("dciodvfy"), str(path)], capture_output=True, text=True, timeout=60)
    return [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")]


class TestFolderNames:
    def test_safe_names_stay_as_they_are(self) -> None:
        names = ["LLSYN001", "E1", "sample", "reader-2", "F1.b"]
        assert folder_names(names) == {n: n for n in names}

    def test_names_alike_once_made_safe_get_distinct_stable_folders(self) -> None:
        tricky = ["Dr Müller", "Dr Möller", "Dr_M_ller", "Иванов^Иван", "王^小明", "..", ".", "", "CON", "nul.txt",
                  "a/b", "a\\b", "reader", "READER", "x" * 120, "x" * 121, "Dr_M_ller_d86836b0"]
        got = folder_names(tricky)
        assert len({v.casefold() for v in got.values()}) == len(tricky)  # one folder each, on any file system
        assert got == folder_names(reversed(tricky))  # the same in every export
        assert got["Dr_M_ller"] == "Dr_M_ller"  # a safe name is itself ...
        assert got["Dr Müller"].startswith("Dr_M_ller_") and got["Dr Möller"].startswith("Dr_M_ller_")
        assert got["Dr_M_ller_d86836b0"] != "Dr_M_ller_d86836b0"  # ... unless it looks like one with a digest
        for name, folder in got.items():
            assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*|_[A-Za-z0-9._-]*", folder), (name, folder)
            assert len(folder) <= 58 and folder.split(".")[0].upper() not in ("CON", "NUL")


def test_readers_and_patients_alike_once_made_safe_each_get_their_sr(tmp_path: Path, sample_dicom: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """An audit: "Dr Müller" and "Dr Möller" were both Dr_M_ller; the export said 30 SRs written, 24
    were on disk and Dr Möller's were gone. The same for patient ids."""
    pids = ["LL Ä1", "LL Ö1"]  # both LL_1 once made safe
    stacks = {pid: tiny_study(sample_dicom, tmp_path / "img" / str(k), pid) for k, pid in enumerate(pids)}
    readers = ["Dr Müller", "Dr Möller", "reader", "READER"]
    store = tmp_path / "s.lesionlab"
    reading_store(store, stacks, readers, lesions=2)
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(tmp_path / "img")]) == 0
    said = int(re.search(r"wrote (\d+) DICOM SR", capsys.readouterr().out).group(1))  # type: ignore[union-attr]
    files = sorted((tmp_path / "sr").rglob("*.dcm"))
    assert said == len(files) == len(pids) * len(readers)
    owners = set()
    for f in files:
        ds = pydicom.dcmread(f)
        owners.add((ds.PatientID, _observer(ds).rstrip("^")))
        assert len(list(_lengths(ds))) == 2
    assert owners == {(p, r) for p in pids for r in readers}
    # and every one comes back as its reader's
    target = tmp_path / "again.lesionlab"
    _pairs_only(target, stacks)
    assert main(["import-sr", str(target), "--dicom", str(tmp_path / "img"), *map(str, files)]) == 0
    with ReadingStore.open(target, read_only=True) as st:
        back = st.load()
    assert {(les.patient_id, les.reader) for les in back.lesions.values()} == owners
    assert len(back.lesions) == 2 * len(owners)


def test_two_series_of_one_role_in_a_pair_are_two_files(tmp_path: Path, sample_dicom: Path) -> None:
    """A reader's lesions measured on two portal series of one study (a repeated series) were both
    ``ct_portal.dcm``, the second over the first."""
    from annotation.reading import Reading
    from tests.app.srstudy import measure

    a = tiny_study(sample_dicom, tmp_path / "img" / "a", "P1")
    b = tiny_study(sample_dicom, tmp_path / "img" / "b", "P1", study_uid=a.study_instance_uid)
    store = tmp_path / "s.lesionlab"
    with ReadingStore.open(store) as st:
        reading = Reading(st.load(), reader="r", sink=st)
        reading.add_patient("P1")
        reading.add_exam_pair("P1", "E1", ct_study_uid=a.study_instance_uid)
        for stack in (a, b):
            measure(reading, ("P1", "E1"), stack, reading.add_lesion(("P1", "E1"), "right"))
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(tmp_path / "img")]) == 0
    files = sorted((tmp_path / "sr" / "P1" / "E1" / "r").glob("*.dcm"))
    assert len(files) == 2 and all(re.fullmatch(r"ct_portal_[0-9a-f]{8}", f.stem) for f in files)
    measured = [s.images[len(s.images) // 2].sop_instance_uid.encode() for s in (a, b)]
    assert sorted([uid in f.read_bytes() for uid in measured] for f in files) == [[False, True], [True, False]]


def _lengths(ds: pydicom.Dataset):  # type: ignore[no-untyped-def]
    for container in ds.ContentSequence:
        if container.ConceptNameCodeSequence[0].CodeValue == "126010":
            for g in container.ContentSequence:
                if any(i.ConceptNameCodeSequence[0].CodeValue == "410668003" for i in g.ContentSequence):
                    yield g


def _pairs_only(store: Path, stacks: dict) -> None:  # type: ignore[type-arg]
    """The patients and exam pairs of ``stacks`` in an empty store (an import needs the pair)."""
    from annotation.reading import Reading

    with ReadingStore.open(store) as st:
        reading = Reading(st.load(), reader="nobody", sink=st)
        for pid, stack in stacks.items():
            if pid not in reading.project.patients:
                reading.add_patient(pid)
                reading.add_exam_pair(pid, "E1", ct_study_uid=stack.study_instance_uid)


#: (the images' character set, patient name, referring physician, study description, reader)
NAMES = {
    "cyrillic": ("ISO_IR 144", "Иванов^Иван", "Петров^Пётр", "КТ печени", "Смирнова^Ольга"),
    "greek": ("ISO_IR 126", "Παπαδόπουλος^Νίκος", "Γεωργίου^Μαρία", "ΑΞΟΝΙΚΗ ΗΠΑΤΟΣ", "Δρ Κωνσταντίνου"),
    "czech-polish": ("ISO_IR 101", "Dvořák^Łucja", "Żółkiewski^Jerzy", "CT jater", "Dr Świętosław Čapek"),
    "chinese": ("GB18030", "王^小明", "李^医生", "肝脏 CT", "张^伟"),
    "japanese": ("ISO_IR 192", "山田^太郎", "佐藤^一郎", "肝臓 CT", "やまだ^はなこ"),
    "german": ("ISO_IR 100", "Müller^Jürgen", "Weiß^Käthe", "CT Leber", "Dr Müller"),
    "long": ("ISO_IR 192", "Щ^Ж", "", "", "Żółkiewski-Brzęczyszczykiewicz Świętosław"),  # a series description over 64 bytes
}


@pytest.mark.parametrize("case", NAMES)
def test_names_in_any_language_are_written_in_utf8_and_come_back_exactly(case: str, tmp_path: Path,
                                                                          sample_dicom: Path) -> None:
    """An audit: the SR had no Specific Character Set, so pydicom wrote Latin-1 and everything else as
    "?" (Иванов^Иван -> ??????^????, 王^小明 -> ?^??); dciodvfy: "Character invalid for character
    repertoire". Now ISO_IR 192 (UTF-8): the patient's, physician's, study's and reader's names exact in
    the file, through pydicom, and through `import-sr`, which files the lines under the SR's observer."""
    charset, patient, physician, description, reader = NAMES[case]
    stack = tiny_study(sample_dicom, tmp_path / "img", "CS1", patient, charset=charset, referring=physician,
                       description=description)
    assert stack.images[0].patient_name == patient  # the indexer read the images' own character set
    store = tmp_path / "s.lesionlab"
    reading_store(store, {"CS1": stack}, [reader])
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(tmp_path / "img")]) == 0
    (sr,) = sorted((tmp_path / "sr").rglob("*.dcm"))
    ds = pydicom.dcmread(sr)
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert (str(ds.PatientName), str(ds.ReferringPhysicianName), _observer(ds)) == (
        patient, physician, reader if "^" in reader else f"{reader}^")
    if description:
        assert ds.StudyDescription == description
    assert len(ds.SeriesDescription.encode("utf-8")) <= 64 and ds.SeriesDescription.startswith("lesionlab ct_portal")
    raw = pydicom.dcmread(sr).get_item("PatientName").value  # the bytes as written
    assert raw.rstrip(b" ").decode("utf-8") == patient
    assert _dciodvfy_errors(sr) == []
    target = tmp_path / "again.lesionlab"
    _pairs_only(target, {"CS1": stack})
    assert main(["import-sr", str(target), "--dicom", str(tmp_path / "img"), str(sr)]) == 0
    with ReadingStore.open(target, read_only=True) as st:
        (les,) = st.load().lesions.values()
    assert les.reader == reader.rstrip("^") and les.lesion_id == "L1"


def test_pixelmed_validates_a_utf8_sr(tmp_path: Path, sample_dicom: Path) -> None:
    stack = tiny_study(sample_dicom, tmp_path / "img", "CS1", "王^小明", charset="GB18030", referring="Петров^Пётр")
    store = tmp_path / "s.lesionlab"
    reading_store(store, {"CS1": stack}, ["Dvořák Łucja"])
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(tmp_path / "img")]) == 0
    (sr,) = sorted((tmp_path / "sr").rglob("*.dcm"))
    assert_pixelmed_clean(sr)


def test_import_sr_into_a_store_that_does_not_exist_makes_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An audit mistyped the store path: every SR was refused and an empty 204 KB store was left behind."""
    from app.cli import main

    typo = tmp_path / "typo.lesionlab"
    assert main(["import-sr", str(typo), "--dicom", str(tmp_path), str(tmp_path / "x.dcm")]) == 1
    assert not typo.exists()


def _overlong_study(sample_dicom: Path, out: Path, patient_id: str):  # type: ignore[no-untyped-def]
    """A study whose headers carry, for every attribute the SR copies, more than its VR allows."""
    stack = tiny_study(sample_dicom, out, patient_id, "Ш" * 70 + "^" + "Ж" * 70 + "^" + "x" * 50,
                       referring="Петров" * 25, description="Д" * 150)
    for f in out.glob("*.dcm"):
        ds = pydicom.dcmread(f)
        ds.StudyID, ds.AccessionNumber, ds.PatientSex = "S" * 150, "A" * 150, "M" * 150
        ds.PatientBirthDate, ds.StudyDate, ds.StudyTime = "1" * 150, "2" * 150, "3" * 150
        ds.save_as(f, enforce_file_format=True)
    from viewer.index import index_path
    from viewer.records import Role

    (stack,) = [s for s in index_path(out).stacks if s.role is Role.CT_PORTAL]
    assert len(stack.images[0].study_description) == 150 and len(stack.images[0].study_date) == 150
    return stack


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns of the overlong values the test writes
def test_header_values_longer_than_their_vr_fit_it_in_the_sr_and_come_back(tmp_path: Path, sample_dicom: Path) -> None:
    """The SR copied the images' patient and study values cut at 200 characters only: dciodvfy gave 8 errors, "Length
    invalid for this VR" for 7 values (Patient ID, Patient's and Referring Physician's Names, Study Description, Study
    ID, Accession Number, the reader's name) and its summary, and a 150-character PatientSex or StudyDate made
    highdicom refuse the report (exit 1, no SR). Each value now fits its VR: text cut on a character's end to its bytes (a PN per component
    group, its family name's caret kept), a code or date that is none left out, a UID as it was; `import-sr` finds
    the pair by the cut Patient ID and files the line under the reader's whole name (its Login Name item)."""
    from tests.app.test_sr_export import assert_pixelmed_clean

    pid, reader = "P" + "1" * 149, "Dr " + "Żółkiewski" * 9
    stack = _overlong_study(sample_dicom, tmp_path / "img", pid)
    store = tmp_path / "s.lesionlab"
    reading_store(store, {pid: stack}, [reader])
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(tmp_path / "img")]) == 0
    (sr,) = sorted((tmp_path / "sr").rglob("*.dcm"))
    out = subprocess.run([need("dciodvfy"), str(sr)], capture_output=True, text=True, timeout=60)
    assert "Error" not in out.stdout + out.stderr and "Length invalid" not in out.stdout + out.stderr, out.stdout
    ds = pydicom.dcmread(sr)
    assert ds.PatientID == pid[:64] and ds.StudyID == "S" * 16 and ds.AccessionNumber == "A" * 16
    assert ds.StudyDescription == "Д" * 32  # 64 bytes of UTF-8
    assert str(ds.PatientName) == "Ш" * 31 + "^" and str(ds.ReferringPhysicianName) == ("Петров" * 6)[:32]
    assert (ds.PatientSex, ds.PatientBirthDate, ds.StudyDate, ds.StudyTime) == ("", "", "", "")
    assert ds.StudyInstanceUID == stack.study_instance_uid
    assert len(_observer(ds).encode("utf-8")) <= 64 and reader.startswith(_observer(ds).rstrip("^"))
    assert_pixelmed_clean(sr)
    target = tmp_path / "again.lesionlab"
    _pairs_only(target, {pid: stack})
    assert main(["import-sr", str(target), "--dicom", str(tmp_path / "img"), str(sr)]) == 0
    with ReadingStore.open(target, read_only=True) as st:
        (les,) = st.load().lesions.values()
    assert (les.patient_id, les.reader, les.lesion_id) == (pid, reader, "L1")


def test_fit_cuts_text_on_characters_and_never_a_uid_or_a_code() -> None:
    from viewer.interop.vr_fit import fit

    assert fit("StudyDescription", "é" * 40) == "é" * 32 and fit("StudyID", "ab") == "ab"
    assert fit("PatientName", "A" * 70 + "^B=" + "山" * 30 + "^C") == "A" * 63 + "^=" + "山" * 21 + "^"
    assert fit("StudyInstanceUID", "1." * 40) == "1." * 40
    assert (fit("PatientSex", "MALE" * 5), fit("PatientSex", "F"), fit("StudyDate", "2023031400")) == ("", "F", "")
    assert (fit("StudyDate", "20230314"), fit("StudyTime", "101500.25")) == ("20230314", "101500.25")


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns of the overlong values the test writes
def test_a_patient_id_cut_at_a_space_still_finds_its_pair(tmp_path: Path, sample_dicom: Path) -> None:
    """A Patient ID over LO's 64 bytes whose cut ends in a space: the SR held "P1…1 ", its reader read "P1…1" (a
    trailing space is padding), the cut of the store's id kept the space, and `import-sr` found no pair (review42).
    A cut value now ends without the space, as it is read."""
    from viewer.interop.vr_fit import fit

    assert fit("StudyDescription", "d" * 63 + " x") == "d" * 63 and fit("StudyID", "ab ") == "ab "  # uncut: as given
    pid, reader = "P" + "1" * 62 + " " + "2" * 10, "Dr" + " Ab" * 30
    stack = tiny_study(sample_dicom, tmp_path / "img", pid)
    store = tmp_path / "s.lesionlab"
    reading_store(store, {pid: stack}, [reader])
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(tmp_path / "img")]) == 0
    (sr,) = sorted((tmp_path / "sr").rglob("*.dcm"))
    target = tmp_path / "again.lesionlab"
    _pairs_only(target, {pid: stack})
    assert main(["import-sr", str(target), "--dicom", str(tmp_path / "img"), str(sr)]) == 0
    with ReadingStore.open(target, read_only=True) as st:
        (les,) = st.load().lesions.values()
    assert (les.patient_id, les.reader) == (pid, reader)
