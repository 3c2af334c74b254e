"""`lesionlab import-sr` of SRs a hostile-but-fair interop engineer brings: lesionlab's own SRs broken in the ways
other tools' files are (values missing or not numbers, a truncated file, lengths in cm, a Length its line does not
measure, control characters and direction overrides in text). Each is one clear line naming the file, never a
traceback; the other files of the run still come in; nothing in the store is lost or half made."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pydicom
import pydicom.config
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from annotation.records import Lesion
from annotation.store import ReadingStore
from app.cli import main

PATIENT = "LLSYN002"
#: the Length (SCT 410668003), the tracking identifier and UID (DCM 112039, 112040), the observer (DCM 121008)
LENGTH, IDENTIFIER, OBSERVER = "410668003", "112039", "121008"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, sample_dicom: Path) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("srh")
    store = tmp / "reading.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", store)
    assert main(["export", str(store), "--sr", str(tmp / "sr"), "--dicom", str(sample_dicom / PATIENT)]) == 1
    folder = tmp / "sr" / PATIENT / "E1" / "sample"
    return store, folder / "mr_t2fs.dcm", folder / "ct_portal.dcm"


def _groups(ds: Dataset) -> list[Dataset]:
    return next(list(c.ContentSequence) for c in ds.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "126010")


def _items(group: Dataset, code: str) -> list[Dataset]:
    return [i for i in group.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == code]


def _scoords(group: Dataset) -> list[Dataset]:
    return [i for i in group.ContentSequence if i.ValueType == "SCOORD"]


def _bad_value(item: Dataset, tag: int, vr: str, raw: bytes) -> None:
    """``raw`` as the element's bytes, unchecked: a value pydicom would refuse to set (``"abc"`` as a DS)."""
    item[tag] = RawDataElement(Tag(tag), vr, len(raw), raw, 0, False, True)


def _save(ds: Dataset, path: Path) -> Path:
    with pydicom.config.disable_value_validation():
        ds.save_as(path, enforce_file_format=False)
    return path


def _import(store: Path, tmp_path: Path, sample_dicom: Path, *files: Path, reader: str | None = "imp"
            ) -> tuple[int, dict[tuple[str, str, str, str], Lesion]]:
    """Import ``files`` into a copy of ``store``; (exit code, the lesions of readers other than the sample's)."""
    target = tmp_path / "copy.lesionlab"
    shutil.copy(store, target)
    args = ["import-sr", str(target), "--dicom", str(sample_dicom / PATIENT), *map(str, files)]
    code = main(args[:4] + (["--reader", reader] if reader else []) + args[4:])
    with ReadingStore.open(target, read_only=True) as st:
        lesions = {k: les for k, les in st.load().lesions.items() if k[2] != "sample"}
    return code, lesions


def _lengths(path: Path) -> int:
    return sum(1 for g in _groups(pydicom.dcmread(path)) if _items(g, LENGTH))


MALFORMED = {
    "no NumericValue": lambda g: delattr(_items(g, LENGTH)[0].MeasuredValueSequence[0], "NumericValue"),
    "NumericValue abc": lambda g: _bad_value(_items(g, LENGTH)[0].MeasuredValueSequence[0], 0x0040A30A, "DS", b"abc "),
    "frame number abc": lambda g: _bad_value(_scoords(g)[0].ContentSequence[0].ReferencedSOPSequence[0], 0x00081160,
                                             "IS", b"abc "),
    "no SOP class": lambda g: delattr(_scoords(g)[0].ContentSequence[0].ReferencedSOPSequence[0],
                                      "ReferencedSOPClassUID"),
}


@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_a_malformed_value_is_that_group_s_line_not_a_traceback(exported, sample_dicom: Path, tmp_path: Path,
                                                                what: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each crashed the whole run (AttributeError / ValueError from the reader), so a good SR given with it in the
    same command was not imported either."""
    store, t2fs, portal = exported
    ds = pydicom.dcmread(t2fs)
    MALFORMED[what](_groups(ds)[0])
    bad = _save(ds, tmp_path / "bad.dcm")
    code, lesions = _import(store, tmp_path, sample_dicom, bad, portal)
    out = capsys.readouterr().out
    assert code in (0, 1) and "Traceback" not in out
    assert "imported 2 of 2 SR file(s)" in out, out
    assert "bad.dcm: measurement group 1" in out, out
    n = sum(1 for les in lesions.values() for _ in les.measurements())
    assert n == _lengths(t2fs) - 1 + _lengths(portal), out


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9, 0.99])
def test_a_truncated_sr_is_refused_whole_and_said(exported, sample_dicom: Path, tmp_path: Path, fraction: float,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """pydicom reads a cut file without a word: its first groups came in, the rest were 'not understood' or simply
    missing, and the run said 'imported 1 of 1' (exit 0 for a file cut at 30 %)."""
    store, t2fs, portal = exported
    data = t2fs.read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: int(len(data) * fraction)])
    code, lesions = _import(store, tmp_path, sample_dicom, cut, portal)
    out = capsys.readouterr().out
    assert code == 1 and "imported 1 of 2 SR file(s)" in out, out
    assert "refused: cut.dcm: the file is truncated" in out, out
    assert sum(1 for les in lesions.values() for _ in les.measurements()) == _lengths(portal)


def test_a_length_its_line_does_not_measure_is_refused_and_makes_no_lesion(
        exported, sample_dicom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The SR's Length NUM was never looked at: a group saying 99 mm whose line measures 33 mm on the image it names
    (a wrong image reference, another pixel spacing) came in as 33 mm, nothing said."""
    store, t2fs, _ = exported
    ds = pydicom.dcmread(t2fs)
    group = _groups(ds)[0]
    said = float(_items(group, LENGTH)[0].MeasuredValueSequence[0].NumericValue)
    _items(group, LENGTH)[0].MeasuredValueSequence[0].NumericValue = "99.0"
    code, lesions = _import(store, tmp_path, sample_dicom, _save(ds, tmp_path / "wrong.dcm"))
    out = capsys.readouterr().out
    assert code == 1
    assert f"the SR's Length is 99.00 mm but its line measures {said:.2f} mm on image" in out, out
    label = _items(group, IDENTIFIER)[0].TextValue.rsplit(":", 1)[1]
    assert ("LLSYN002", "E1", "imp", label) not in lesions, "no lesion is left without its line"


def test_lengths_in_cm_are_read_as_mm_and_a_bad_point_leaves_no_empty_lesion(
        exported, sample_dicom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Length in UCUM cm was 'not understood' yet imported from its points; a line refused by the record (a point
    off the image) left its new lesion behind with no observation at all."""
    store, t2fs, _ = exported
    ds = pydicom.dcmread(t2fs)
    groups = _groups(ds)
    for g in groups:
        for num in _items(g, LENGTH):
            value = num.MeasuredValueSequence[0]
            value.NumericValue = f"{float(value.NumericValue) / 10:.6f}"
            value.MeasurementUnitsCodeSequence[0].CodeValue = value.MeasurementUnitsCodeSequence[0].CodeMeaning = "cm"
    _scoords(groups[1])[0].GraphicData = [-50.0, -50.0, 2.0, 3.0]
    code, lesions = _import(store, tmp_path, sample_dicom, _save(ds, tmp_path / "cm.dcm"))
    out = capsys.readouterr().out
    assert "length in cm" not in out and "not understood" not in out, out
    assert "refused: cm.dcm Cornerstone3DTools@^0.1.0:Length:L2" in out and code == 1
    assert all(les.observations for les in lesions.values()), [k for k, les in lesions.items() if not les.observations]
    assert sum(1 for les in lesions.values() for _ in les.measurements()) == _lengths(t2fs) - 1


def test_control_characters_and_direction_overrides_from_an_sr(exported, sample_dicom: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A tracking identifier with U+202E, BEL and an ANSI escape went into the lesion's comment as it was (and from
    there into the workbooks and onto the terminal); an observer name with U+202E ended the whole run with one
    line that named no file, the other SRs not imported."""
    store, t2fs, portal = exported
    ds = pydicom.dcmread(t2fs)
    _items(_groups(ds)[0], IDENTIFIER)[0].TextValue = "Cornerstone3DTools@^0.1.0:Length:\u202eevil\x07\x1b[31m:L7"
    next(i for i in ds.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == OBSERVER).PersonName = "Dr Import"
    text = _save(ds, tmp_path / "text.dcm")
    ds = pydicom.dcmread(portal)
    next(i for i in ds.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == OBSERVER).PersonName = "Dr\u202eevil"
    observer = _save(ds, tmp_path / "observer.dcm")
    code, lesions = _import(store, tmp_path, sample_dicom, observer, text, reader=None)
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 1 and "imported 1 of 2 SR file(s)" in out, out
    assert "refused: observer.dcm: the SR's observer 'Dr\\u202eevil' cannot be a reader's name" in out, out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    comments = [les.comment for les in lesions.values()]
    assert any("\\u202eevil\\u0007\\u001b[31m:L7" in c for c in comments), comments
    assert not any(ch in c for c in comments for ch in "\u202e\x07\x1b")


def test_a_second_group_for_the_same_lesion_and_series_is_refused_not_the_last_one_winning(
        exported, sample_dicom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An interop audit: two groups of one SR with the same tracking UID on one series, the last won, unsaid."""
    import copy

    store, t2fs, _ = exported
    ds = pydicom.dcmread(t2fs)
    container = next(c for c in ds.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "126010")
    first = container.ContentSequence[0]
    second = copy.deepcopy(first)
    points = [float(v) for v in _scoords(second)[0].GraphicData]
    _scoords(second)[0].GraphicData = [v + 2.0 if i % 2 == 0 else v for i, v in enumerate(points)]  # 2 columns over
    container.ContentSequence.append(second)
    code, lesions = _import(store, tmp_path, sample_dicom, _save(ds, tmp_path / "twice.dcm"))
    out = capsys.readouterr().out
    assert code == 1 and "a second measurement of the same lesion on mr_t2fs in this SR (the first, twice.dcm" in out, out
    label = _items(first, IDENTIFIER)[0].TextValue.rsplit(":", 1)[1]
    line = lesions[("LLSYN002", "E1", "imp", label)].measurements()
    kept = next(iter(line.values()))
    assert abs(kept.p1[1] + 0.5 - points[0]) < 1e-3, (kept.p1, points)  # the first group's line, not the second's


def test_a_deflated_sr_is_not_taken_for_a_truncated_one(exported, sample_dicom: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Deflated Explicit VR Little Endian is a transfer syntax an SR may be sent in: its elements' offsets are in the
    inflated stream, beyond the (smaller) file's end, and the truncation check refused a whole, valid file."""
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    store, t2fs, _ = exported
    ds = pydicom.dcmread(t2fs)
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    deflated = tmp_path / "deflated.dcm"
    ds.save_as(deflated, enforce_file_format=True)
    assert deflated.stat().st_size < t2fs.stat().st_size
    code, lesions = _import(store, tmp_path, sample_dicom, deflated)
    out = capsys.readouterr().out
    assert "truncated" not in out and "imported 1 of 1 SR file(s)" in out, out
    assert sum(1 for les in lesions.values() for _ in les.measurements()) == _lengths(t2fs)


def _ellipse_group(like: Dataset) -> Dataset:
    """Another template's group (an elliptic ROI's area, as OHIF writes for its EllipticalROI): no length, no line."""
    group = copy.deepcopy(like)
    group.ContentSequence = pydicom.Sequence([i for i in group.ContentSequence if i.ValueType != "SCOORD"])
    area = _items(group, LENGTH)[0]
    area.ConceptNameCodeSequence[0].CodeValue, area.ConceptNameCodeSequence[0].CodeMeaning = "42798000", "Area"
    area.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue = "mm2"
    if "ContentSequence" in area:
        del area.ContentSequence
    ellipse = copy.deepcopy(_scoords(like)[0])
    ellipse.GraphicType, ellipse.GraphicData = "ELLIPSE", [10.0, 20.0, 30.0, 20.0, 20.0, 15.0, 20.0, 25.0]
    area.ContentSequence = pydicom.Sequence([ellipse])
    ellipse.RelationshipType = "INFERRED FROM"
    return group


@pytest.mark.parametrize("which", ["a lesion's group", "another template's group"])
def test_a_lesions_group_that_cannot_be_placed_fails_the_import_another_template_does_not(
        exported, sample_dicom: Path, tmp_path: Path, which: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A lesionlab group whose line lost the image it was drawn on was listed 'not understood' and the run exited 0,
    as for another template's group (an area): a script took the import for a success with a lesion missing. A
    lesion's length or status that cannot be placed is refused now (exit 1); other templates stay information."""
    store, t2fs, _ = exported
    ds = pydicom.dcmread(t2fs)
    groups = _groups(ds)
    if which == "a lesion's group":
        line = _scoords(groups[0])[0]
        del line.ContentSequence  # its IMAGE (SELECTED FROM): the slice it was drawn on
    else:
        container = next(c for c in ds.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "126010")
        container.ContentSequence.append(_ellipse_group(groups[0]))
    n = len(groups) + (which != "a lesion's group")
    code, lesions = _import(store, tmp_path, sample_dicom, _save(ds, tmp_path / "bad.dcm"))
    out = capsys.readouterr().out
    measured = sum(1 for les in lesions.values() for _ in les.measurements())
    if which == "a lesion's group":
        assert code == 1, out
        assert "refused: bad.dcm: measurement group 1 / SCOORD" in out and "without the image it was drawn on" in out, out
        assert "refused: bad.dcm: measurement group 1 (Cornerstone3DTools@^0.1.0:Length:L" in out, out
        assert "not understood" not in out, out
        assert measured == _lengths(t2fs) - 1
    else:
        assert code == 0, out
        assert f"not understood: bad.dcm: measurement group {n} (" in out and "refused" not in out, out
        assert measured == _lengths(t2fs)
