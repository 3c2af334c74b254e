"""The SR reader's own walk of the content tree (viewer/interop/sr_tree.py): the same reading as pydicom's items in
every encoding it takes on (explicit and implicit VR, defined and undefined lengths, a character set beyond ASCII),
pydicom's where it does not (deflated), and no pydicom dataset per item (reading 20,000 groups took 51 s)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import DeflatedExplicitVRLittleEndian, ImplicitVRLittleEndian

import viewer.interop.sr_read as sr_read
from app.cli import main
from viewer.interop.sr_tree import content_items


@pytest.fixture(scope="module")
def srs(tmp_path_factory: pytest.TempPathFactory, sample_dicom: Path) -> list[Path]:
    tmp = tmp_path_factory.mktemp("srtree")
    for name in ("reading", "followup"):
        shutil.copy(sample_dicom / f"{name}.lesionlab", tmp / f"{name}.lesionlab")
        assert main(["export", str(tmp / f"{name}.lesionlab"), "--sr", str(tmp / name), "--dicom",
                     str(sample_dicom)]) == 0
    return sorted(tmp.rglob("*.dcm"))


def _pydicoms(path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as m:
        m.setattr(sr_read, "content_items", lambda buf: None)
        return sr_read.read_sr(path)


def _undefined_lengths(ds: Dataset) -> None:
    for el in ds:
        if el.VR == "SQ":
            el.is_undefined_length = True
            for item in el.value:
                item.is_undefined_length_sequence_item = True
                _undefined_lengths(item)


def _variants(src: Path, out: Path) -> list[Path]:
    """``src`` as it is, in implicit VR, with undefined lengths, and with its observer's name in Latin-1."""
    made = [src]
    ds = pydicom.dcmread(src)
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    made.append(out / f"{src.stem}-implicit.dcm")
    ds.save_as(made[-1], enforce_file_format=True)
    for undefined, charset in ((True, None), (False, "ISO_IR 100")):
        ds = pydicom.dcmread(src)
        if undefined:
            _undefined_lengths(ds)
        if charset:
            ds.SpecificCharacterSet = charset
            observer = next(i for i in ds.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "121008")
            observer.PersonName = "Müller^Jürgen"
        made.append(out / f"{src.stem}-{'undefined' if undefined else 'latin1'}.dcm")
        ds.save_as(made[-1], enforce_file_format=True)
    return made


def test_the_walk_reads_what_pydicom_reads_in_each_encoding(srs: list[Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = [f for f in srs if f.stem in ("ct_portal", "mr_dwi", "mr_t2fs")][:6]
    assert chosen
    for src in chosen:
        for f in _variants(src, tmp_path):
            assert content_items(f.read_bytes()) is not None, f
            ours = sr_read.read_sr(f)
            assert ours == _pydicoms(f, monkeypatch), f
            assert ours.lengths or ours.statuses
    latin = sr_read.read_sr(tmp_path / f"{chosen[0].stem}-latin1.dcm")
    assert latin.observer == "Müller^Jürgen"


def test_a_deflated_sr_is_read_through_pydicom(srs: list[Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ds = pydicom.dcmread(srs[0])
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    f = tmp_path / "deflated.dcm"
    ds.save_as(f, enforce_file_format=True)
    assert content_items(f.read_bytes()) is None
    assert sr_read.read_sr(f) == _pydicoms(f, monkeypatch) and sr_read.read_sr(f).lengths


def test_no_pydicom_dataset_per_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk makes the items: reading an SR builds the same few pydicom datasets whatever its groups (pydicom's
    items cost 2.5 ms a group: 51 s for 20,000)."""
    from bench.bench_sr_import import big_sr

    made: list[int] = []
    init = Dataset.__init__

    def counted(self: Dataset, *args: object, **kwargs: object) -> None:
        made.append(1)
        init(self, *args, **kwargs)  # type: ignore[arg-type]

    path = big_sr(tmp_path, 200)
    monkeypatch.setattr(Dataset, "__init__", counted)
    parsed = sr_read.read_sr(path)
    assert len(parsed.lengths) == 200 and not parsed.not_understood and not parsed.unplaced
    assert len(made) < 20, len(made)  # pydicom's items: 28 a group


@pytest.mark.parametrize("undefined", [True, False])
def test_a_group_content_sequence_as_un_is_read_as_pydicom_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    undefined: bool) -> None:
    """A Content Sequence written as UN in an explicit VR file (a toolkit that did not know the tag; its items are in
    implicit VR, PS3.5 6.2.2): pydicom reads it as a sequence; the walk read its implicit items as explicit (undefined
    length: "malformed (Truncated...)") or gave its bytes (defined: "'int' object has no attribute 'get'"), and the
    group's line was refused."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_data_element

    from bench.bench_sr_import import big_sr

    def encoded(elem: pydicom.DataElement, implicit: bool) -> bytes:
        fp = DicomBytesIO()
        fp.is_little_endian, fp.is_implicit_VR = True, implicit
        write_data_element(fp, elem)
        return bytes(fp.getvalue())

    src = big_sr(tmp_path, 3)
    ds = pydicom.dcmread(src)
    _undefined_lengths(ds)  # the enclosing lengths stay right when the element's bytes change
    group = next(i for i in ds.ContentSequence if i.ValueType == "CONTAINER").ContentSequence[0]
    el = group["ContentSequence"]
    el.is_undefined_length = undefined
    for item in el.value:
        item.is_undefined_length_sequence_item = undefined
    f = tmp_path / "un.dcm"
    ds.save_as(f, enforce_file_format=True)
    buf, explicit = f.read_bytes(), encoded(el, False)
    assert buf.count(explicit) == 1
    implicit = encoded(el, True)
    f.write_bytes(buf.replace(explicit, implicit[:4] + b"UN\x00\x00" + implicit[4:]))
    ours, theirs = sr_read.read_sr(f), _pydicoms(f, monkeypatch)
    assert len(theirs.lengths) == 3 and not theirs.unplaced
    assert ours == theirs
