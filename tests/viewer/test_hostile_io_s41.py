"""Session 41's adversarial pass on DICOM input, on the real scanner files of ../shared/realdicom.

A file whose Pixel Data contradicts its transfer syntax (a compressed syntax declared over plain pixel bytes, as a
tool that rewrote the file meta without re-encoding leaves it; or RLE fragments under Explicit VR Little Endian) was
indexed into its stack: the whole stack then failed at load, naming that file ("the loader would fail the stack"), so
one bad file of a series of 35 cost the reader the series. It is skipped at indexing with the reason now, as a
truncated file is, and the rest of its stack loads.

A series UID carried by images of two PatientIDs (or two studies) made one stack of both patients' slices under the
first file's patient, without a word: the images of the patient (study) most of them name are kept, the others
skipped naming both; on a tie none is kept.

A zip holding two members of one name (a file added to it again) was read by name: the last member twice, the first
never, said as "01.dcm is a copy of 01.dcm; counted once". Both are refused now, naming why.

A PatientName or description holding a right-to-left override reversed what the browser showed after it (the patient
id too), and ESC, BEL or NUL went on into the SR: control characters and bidirectional overrides are left out of the
names and descriptions a header gives (tabs and line breaks a space), Arabic or Hebrew text keeping its direction.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pydicom
import pytest
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import JPEG2000Lossless, ExplicitVRLittleEndian, RLELossless, UID

from viewer.index import index_path
from viewer.loader import LoadStatus, check_load
from viewer.studies import group_studies


def _with_transfer_syntax(path: Path, declared: UID, *, rle: bool = False) -> None:
    """Rewrite ``path`` with its body as it is (or RLE-compressed) and ``declared`` in its file meta."""
    ds = pydicom.dcmread(path)
    if rle:
        ds.compress(RLELossless)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    data = out.getvalue()
    group_length = struct.unpack("<I", data[140:144])[0]
    body = data[144 + group_length:]
    ds.file_meta.TransferSyntaxUID = declared
    head = io.BytesIO()
    head.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(head, ds.file_meta, enforce_standard=True)
    path.write_bytes(head.getvalue() + body)


@pytest.mark.parametrize("declared, rle, said", [
    (JPEG2000Lossless, False, "transfer syntax 1.2.840.10008.1.2.4.90 needs encapsulated pixel data, the file holds "
                              "it unencapsulated"),
    (ExplicitVRLittleEndian, True, "pixel data encapsulated (compressed) under the native transfer syntax "
                                   "1.2.840.10008.1.2.1"),
])
def test_a_file_contradicting_its_transfer_syntax_is_skipped_and_the_rest_of_its_stack_loads(
        realdicom: Path, tmp_path: Path, declared: UID, rle: bool, said: str) -> None:
    files = sorted((realdicom / "ge_ct_gantry_tilt").glob("*.dcm"))[:6]
    for f in files:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    bad = tmp_path / files[2].name
    _with_transfer_syntax(bad, declared, rle=rle)
    result = index_path(tmp_path, workers=1)
    assert [(Path(s.path), s.reason) for s in result.skipped] == [(bad, f"{said}: the file contradicts its transfer "
                                                                        "syntax")]
    assert [s.n_slices for s in result.stacks] == [5]
    check = check_load(result.stacks[0], workers=1)
    assert check.status is LoadStatus.OK, check.reason


def _copy_with(realdicom: Path, folder: Path, owners: list[tuple[str, str | None]]) -> list[Path]:
    """The first real CT files, file i given PatientID and StudyInstanceUID ``owners[i]`` (None: its own study)."""
    files = sorted((realdicom / "ge_ct_gantry_tilt").glob("*.dcm"))[:len(owners)]
    out = []
    for f, (patient_id, study) in zip(files, owners):
        ds = pydicom.dcmread(f)
        ds.PatientID = patient_id
        if study is not None:
            ds.StudyInstanceUID = study
        ds.save_as(folder / f.name)
        out.append(folder / f.name)
    return out


def test_a_series_uid_shared_by_two_patients_keeps_the_patient_most_images_name_and_skips_the_others(
        realdicom: Path, tmp_path: Path) -> None:
    files = _copy_with(realdicom, tmp_path, [("PAT-A", None)] * 7 + [("PAT-B", None)] * 3)
    result = index_path(tmp_path, workers=1)
    assert [(s.patient_id, s.n_slices) for s in result.stacks] == [("PAT-A", 7)]
    assert sorted(Path(s.path) for s in result.skipped) == files[7:]
    reason = result.skipped[0].reason
    assert "holds the images of more than one patient (7 of PatientID 'PAT-A', 3 of PatientID 'PAT-B')" in reason
    assert reason.endswith("this one, of PatientID 'PAT-B', is left out; the series' images of PatientID 'PAT-A' "
                           "are kept")
    assert check_load(result.stacks[0], workers=1).status is LoadStatus.OK


def test_a_series_uid_shared_half_and_half_keeps_neither(realdicom: Path, tmp_path: Path) -> None:
    _copy_with(realdicom, tmp_path, [("PAT-A", None)] * 3 + [("PAT-B", None)] * 3)
    result = index_path(tmp_path, workers=1)
    assert not result.stacks and len(result.skipped) == 6
    assert all(s.reason.endswith("none has most of them, so none is kept") for s in result.skipped)


def test_a_series_uid_in_two_studies_of_one_patient_is_said_by_study(realdicom: Path, tmp_path: Path) -> None:
    _copy_with(realdicom, tmp_path, [("PAT-A", "1.2.3.4.1")] * 4 + [("PAT-A", "1.2.3.4.2")])
    result = index_path(tmp_path, workers=1)
    assert [(s.study_instance_uid, s.n_slices) for s in result.stacks] == [("1.2.3.4.1", 4)]
    assert "(4 of study 1.2.3.4.1, 1 of study 1.2.3.4.2): this one, of study 1.2.3.4.2, is left out" \
        in result.skipped[0].reason


def test_a_zip_holding_two_members_of_one_name_refuses_both_naming_why(realdicom: Path, tmp_path: Path) -> None:
    files = sorted((realdicom / "ge_ct_gantry_tilt").glob("*.dcm"))[:3]
    archive = tmp_path / "added.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(files[0], "a/01.dcm")
        zf.write(files[2], "a/03.dcm")
    with zipfile.ZipFile(archive, "a") as zf:  # 02.dcm added under 01.dcm's name
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.write(files[1], "a/01.dcm")
    result = index_path(archive, workers=1)
    assert [s.n_slices for s in result.stacks] == [1]  # 03.dcm
    assert [(s.path, s.reason) for s in result.skipped] == [
        (f"{archive}::a/01.dcm", "the archive holds 2 members named 'a/01.dcm' (a file added to it again): read by "
                                 "name, only the last would be, twice; none of them is read: extract the archive "
                                 "keeping each and scan the folder")] * 2
    assert not [w for w in result.warnings if "is a copy of" in w]


def test_names_and_descriptions_lose_control_characters_and_direction_overrides(realdicom: Path,
                                                                                tmp_path: Path) -> None:
    src = sorted((realdicom / "ge_ct_gantry_tilt").glob("*.dcm"))[:2]
    for f in src:
        ds = pydicom.dcmread(f)
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = "DOE^\u202eNHOJ\u202c\x1b[2J"
        ds.SeriesDescription = "Portal\x00 phase\n\u2067 \u05e9\u05dc\u05d5\u05dd\u2069\x07"
        ds.StudyDescription = "CT\tabdomen \u200cok"
        ds.save_as(tmp_path / f.name)
    (stack,) = index_path(tmp_path, workers=1).stacks
    assert stack.patient_name == "DOE^NHOJ[2J"
    assert stack.series_description == "Portal phase  \u05e9\u05dc\u05d5\u05dd"  # Hebrew kept, isolate marks out
    assert stack.images[0].study_description == "CT abdomen \u200cok"  # a ZWNJ (Persian, Indic names) stays
    (patient,) = group_studies([stack])
    assert patient.label == f"DOE NHOJ[2J ({stack.patient_id})"
