"""viewer.dicomio.headers: one ImageHeader per image, exact pixel offsets, b-values, skip reasons."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian, JPEG2000Lossless, generate_uid)

from tests.dicomgen import axial_positions, write_enhanced_mr, write_series
from viewer.dicomio import read_headers
from viewer.dicomio.bvalues import csa_element
from viewer.dicomio.headers import _read_with_pydicom
from viewer.records import FileRef, ImageHeader, NonImageKind, NonImageObject, SkippedFile

DWI = "siemens_dwi_b50_400_800"
T1_DYN = "siemens_t1_dynamic"
GE_ADC = "ge_adc_map"
GE_CT = "ge_ct_gantry_tilt"


def real_files(root: Path, folder: str) -> list[Path]:
    return sorted(p for p in (root / folder).rglob("*") if p.is_file())


def one(path: Path | str, member: str | None = None) -> ImageHeader:
    result = read_headers(FileRef(str(path), member))
    assert isinstance(result, list) and len(result) == 1, result
    return result[0]


def small(n: int = 3) -> np.ndarray:
    return np.arange(n * 6 * 5, dtype=np.int16).reshape(n, 6, 5)


class TestRealFiles:
    def test_every_real_image_reads_the_same_through_pydicom(self, realdicom: Path) -> None:
        """The fast header walk and pydicom's reader give identical records on all 148 files."""
        files = [p for f in (DWI, T1_DYN, GE_ADC, GE_CT) for p in real_files(realdicom, f)]
        assert len(files) == 148
        for path in files:
            fast = read_headers(FileRef(str(path)))
            slow = _read_with_pydicom(FileRef(str(path)), path.stat().st_size, force=False)
            assert isinstance(fast, list) and fast == slow, path

    @pytest.mark.parametrize("folder", [DWI, T1_DYN, GE_ADC, GE_CT])
    def test_pixel_offset_points_at_the_first_pixel_byte(self, realdicom: Path, folder: str) -> None:
        for path in real_files(realdicom, folder)[:6]:
            h = one(path)
            ds = pydicom.dcmread(path)
            assert h.pixel.pixel_data_offset is not None
            raw = path.read_bytes()
            start = h.pixel.pixel_data_offset
            assert raw[start:start + len(ds.PixelData)] == ds.PixelData
            assert start + len(ds.PixelData) <= len(raw)

    def test_siemens_dwi_b_values_follow_instance_numbers(self, realdicom: Path) -> None:
        for path in real_files(realdicom, DWI):
            h = one(path)
            expected = (50.0, 400.0, 800.0)[(h.instance_number - 1) // 30]  # type: ignore[operator]
            assert h.b_value == expected
            assert h.b_value_source == "Siemens B_value (0019,100C)"
            assert h.image_type == ("DERIVED", "PRIMARY", "DIFFUSION", "TRACEW", "DIS2D", "DFC")
            assert (h.pixel.rows, h.pixel.columns) == (384, 312)
            assert h.pixel_spacing_mm == pytest.approx((0.98958331346512, 0.98958331346512))
            assert h.pixel.transfer_syntax_uid == ExplicitVRLittleEndian

    def test_siemens_csa_header_and_sequence_name_agree(self, realdicom: Path) -> None:
        for path in real_files(realdicom, DWI)[::17]:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            b = int(ds[0x0019100C].value)
            assert csa_element(ds[0x00291010].value, "B_value") == str(b)
            assert ds.SequenceName == f"*ep_b{b}t"

    def test_csa_and_sequence_name_are_fallbacks(self, realdicom: Path, tmp_path: Path) -> None:
        src = real_files(realdicom, DWI)[75]
        ds = pydicom.dcmread(src)
        del ds[0x0019100C]
        ds.save_as(tmp_path / "no_0019.dcm")
        h = one(tmp_path / "no_0019.dcm")
        assert (h.b_value, h.b_value_source) == (800.0, "Siemens CSA header B_value (0029,1010)")
        del ds[0x00291010]
        ds.save_as(tmp_path / "no_csa.dcm")
        h = one(tmp_path / "no_csa.dcm")
        assert (h.b_value, h.b_value_source) == (800.0, "Siemens SequenceName *ep_b800t")

    def test_t1_dynamic_is_implicit_vr_with_three_acquisitions(self, realdicom: Path) -> None:
        heads = [one(p) for p in real_files(realdicom, T1_DYN)]
        assert {h.pixel.transfer_syntax_uid for h in heads} == {ImplicitVRLittleEndian}
        assert sorted(h.acquisition_number for h in heads) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
        assert all(h.b_value is None and h.contrast_agent is None for h in heads)
        assert {h.acquisition_time[:8] for h in heads} == {"143531.6", "143534.6", "143537.6"}

    def test_ge_b_value_read_by_tag_number_from_un(self, realdicom: Path) -> None:
        h = one(realdicom / GE_ADC / "pm-example-slice.dcm")
        assert (h.b_value, h.b_value_source) == (500.0, "GE private (0043,1039) first value")
        assert h.contrast_agent == ""  # present but empty, not absent
        assert h.protocol_name == "PRO DCE W_T1 MAPPING AN/"
        assert h.patient_position == "FFS"

    def test_ge_ct_tilt_headers(self, realdicom: Path) -> None:
        heads = [one(p) for p in real_files(realdicom, GE_CT)]
        assert {h.gantry_tilt_deg for h in heads} == {18.5}
        assert {h.slice_thickness_mm for h in heads} == {4.0, 7.0}
        assert {h.image_type for h in heads} == {("ORIGINAL", "PRIMARY", "AXIAL", "ADD"), ("ORIGINAL", "PRIMARY", "AXIAL")}
        assert all(h.study_date == "" and h.b_value is None for h in heads)


class TestPixelOffset:
    @pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    def test_native_offset_is_exact(self, tmp_path: Path, syntax: str) -> None:
        (path,) = write_series(tmp_path, small(1), transfer_syntax=syntax)
        h = one(path)
        data = pydicom.dcmread(path).PixelData
        assert path.read_bytes()[h.pixel.pixel_data_offset:][:len(data)] == data

    @pytest.mark.parametrize("syntax", [ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian, JPEG2000Lossless])
    def test_other_syntaxes_have_no_offset(self, tmp_path: Path, syntax: str) -> None:
        (path,) = write_series(tmp_path, np.zeros((1, 32, 32), np.uint16), transfer_syntax=syntax)
        h = one(path)
        assert h.pixel.pixel_data_offset is None
        assert h.pixel.transfer_syntax_uid == syntax
        assert h.position_mm == (0.0, 0.0, 0.0)

    def test_long_header_is_read_past_the_first_chunk(self, tmp_path: Path) -> None:
        extra = {0x00090010: ("LO", "LESIONLAB TEST"), 0x00091001: ("OB", b"\0" * 60_000)}
        (path,) = write_series(tmp_path, small(1), extra=extra)
        h = one(path)
        assert h.pixel.pixel_data_offset > 60_000  # type: ignore[operator]
        data = pydicom.dcmread(path).PixelData
        assert path.read_bytes()[h.pixel.pixel_data_offset:][:len(data)] == data


class TestBValues:
    def test_standard_tag_and_b0(self, tmp_path: Path) -> None:
        paths = write_series(tmp_path, small(2), modality="MR",
                             per_slice=[{"DiffusionBValue": 0.4}, {"DiffusionBValue": 800.0}])
        assert [one(p).b_value for p in paths] == [0.0, 800.0]
        assert one(paths[0]).b_value_source == "DiffusionBValue (0018,9087)"

    def test_philips_private_b_value(self, tmp_path: Path) -> None:
        extra = {"Manufacturer": "Philips Medical Systems", "SeriesDescription": "DWI b800",
                 0x20010010: ("LO", "Philips Imaging DD 001"), 0x20011003: ("FL", 800.0)}
        (path,) = write_series(tmp_path, small(1), modality="MR", extra=extra)
        assert (one(path).b_value, one(path).b_value_source) == (800.0, "Philips private (2001,1003)")

    def test_vendor_zero_on_a_non_diffusion_image_is_no_b_value(self, tmp_path: Path) -> None:
        extra = {"Manufacturer": "Philips Medical Systems", "SeriesDescription": "T2 TSE",
                 0x20010010: ("LO", "Philips Imaging DD 001"), 0x20011003: ("FL", 0.0)}
        (path,) = write_series(tmp_path, small(1), modality="MR", extra=extra)
        assert one(path).b_value is None

    def test_ge_with_creator_and_1e9_offset(self, tmp_path: Path) -> None:
        extra = {"Manufacturer": "GE MEDICAL SYSTEMS", "SeriesDescription": "Ax DWI",
                 0x00430010: ("LO", "GEMS_PARM_01"), 0x00431039: ("IS", ["1000000800", "8", "0", "0"])}
        (path,) = write_series(tmp_path, small(1), modality="MR", extra=extra)
        assert one(path).b_value == 800.0

    def test_ct_never_gets_a_vendor_b_value(self, tmp_path: Path) -> None:
        (path,) = write_series(tmp_path, small(1), extra={0x00431039: ("IS", ["500", "8", "0", "0"])})
        assert one(path).b_value is None


class TestEnhancedMultiFrame:
    def test_one_header_per_frame_with_functional_groups(self, tmp_path: Path) -> None:
        pos = axial_positions(4, spacing_mm=2.5, origin=(-10, -20, 30))
        path = write_enhanced_mr(tmp_path / "mf.dcm", small(4), positions=pos, pixel_spacing=(0.8, 0.9),
                                 b_values=[0, 0, 800, 800], slope=2.0, intercept=-5.0)
        heads = read_headers(FileRef(str(path)))
        assert isinstance(heads, list) and [h.frame for h in heads] == [0, 1, 2, 3]
        assert [h.position_mm for h in heads] == [tuple(p) for p in pos]
        assert [h.b_value for h in heads] == [0.0, 0.0, 800.0, 800.0]
        assert {h.pixel_spacing_mm for h in heads} == {(0.8, 0.9)}
        assert {h.orientation for h in heads} == {(1.0, 0.0, 0.0, 0.0, 1.0, 0.0)}
        assert {(h.rescale_slope, h.rescale_intercept) for h in heads} == {(2.0, -5.0)}
        assert heads[0].pixel.number_of_frames == 4
        data = pydicom.dcmread(path).PixelData
        assert path.read_bytes()[heads[0].pixel.pixel_data_offset:][:len(data)] == data

    def test_multiframe_without_positions_is_skipped(self, tmp_path: Path) -> None:
        (path,) = write_series(tmp_path, small(1), extra={"NumberOfFrames": 1})
        ds = pydicom.dcmread(path)
        ds.NumberOfFrames = 3
        ds.PixelData = ds.PixelData * 3
        ds.save_as(path)
        r = read_headers(FileRef(str(path)))
        assert isinstance(r, SkippedFile) and "multi-frame" in r.reason


def _non_image(tmp_path: Path, sop_class: str, name: str, pixels: bool = False) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.PatientID, ds.Modality, ds.SeriesDescription = "P1", "SR", name
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    path = tmp_path / f"{name}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


class TestSkipReasons:
    def reason(self, path: Path) -> str:
        r = read_headers(FileRef(str(path)))
        assert isinstance(r, SkippedFile), r
        assert r.path == str(path)
        return r.reason

    def test_text_empty_gzip_missing(self, tmp_path: Path) -> None:
        (tmp_path / "notes.txt").write_text("hello\nworld\n")
        (tmp_path / "empty.dcm").write_bytes(b"")
        (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 4)
        assert "text file" in self.reason(tmp_path / "notes.txt")
        assert "empty" in self.reason(tmp_path / "empty.dcm")
        assert "not DICOM" in self.reason(tmp_path / "junk.bin")
        assert "cannot be opened" in self.reason(tmp_path / "absent.dcm")
        (path,) = write_series(tmp_path / "g", small(1))
        (tmp_path / "image.dcm.gz").write_bytes(gzip.compress(path.read_bytes()))
        assert "gzip" in self.reason(tmp_path / "image.dcm.gz")

    def test_truncated_header_and_truncated_pixels(self, tmp_path: Path) -> None:
        (path,) = write_series(tmp_path / "s", np.zeros((1, 64, 64), np.int16))
        raw = path.read_bytes()
        offset = one(path).pixel.pixel_data_offset
        (tmp_path / "cut_header.dcm").write_bytes(raw[:300])
        (tmp_path / "cut_pixels.dcm").write_bytes(raw[:offset + 100])  # type: ignore[operator]
        assert "truncated" in self.reason(tmp_path / "cut_header.dcm")
        assert "truncated" in self.reason(tmp_path / "cut_pixels.dcm")

    def test_no_pixel_data(self, tmp_path: Path) -> None:
        (path,) = write_series(tmp_path, small(1))
        ds = pydicom.dcmread(path)
        del ds.PixelData
        ds.save_as(tmp_path / "nopix.dcm")
        assert "no pixel data" in self.reason(tmp_path / "nopix.dcm")

    @pytest.mark.parametrize(("sop_class", "kind"), [
        ("1.2.840.10008.5.1.4.1.1.88.22", NonImageKind.STRUCTURED_REPORT),
        ("1.2.840.10008.5.1.4.1.1.66.4", NonImageKind.SEGMENTATION),
        ("1.2.840.10008.5.1.4.1.1.11.1", NonImageKind.PRESENTATION_STATE),
        ("1.2.840.10008.5.1.4.1.1.7", NonImageKind.SECONDARY_CAPTURE),
        ("1.2.840.10008.5.1.4.1.1.104.1", NonImageKind.OTHER),
    ])
    def test_non_images_are_listed_apart(self, tmp_path: Path, sop_class: str, kind: NonImageKind) -> None:
        r = read_headers(FileRef(str(_non_image(tmp_path, sop_class, "obj"))))
        assert isinstance(r, NonImageObject) and r.kind is kind and r.patient_id == "P1"

    def test_dataset_without_preamble_is_read(self, tmp_path: Path) -> None:
        (path,) = write_series(tmp_path, small(1), transfer_syntax=ImplicitVRLittleEndian)
        ds = pydicom.dcmread(path)
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=False, implicit_vr=True, little_endian=True)
        raw_path = tmp_path / "raw.dcm"
        raw_path.write_bytes(buf.getvalue()[buf.getvalue().index(b"\x08\x00"):])
        h = one(raw_path)
        assert h.sop_instance_uid == ds.SOPInstanceUID
        data = ds.PixelData
        assert raw_path.read_bytes()[h.pixel.pixel_data_offset:][:len(data)] == data


class TestZipMembers:
    @pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
    def test_member_read_in_memory(self, tmp_path: Path, compression: int) -> None:
        paths = write_series(tmp_path / "src", small(2), modality="MR")
        zpath = tmp_path / "study.zip"
        with zipfile.ZipFile(zpath, "w", compression=compression) as zf:
            for p in paths:
                zf.write(p, f"dir/{p.name}")
        before = sorted(tmp_path.rglob("*"))
        h = one(zpath, "dir/IM0001.dcm")
        assert h.file == FileRef(str(zpath), "dir/IM0001.dcm") and h.instance_number == 2
        assert sorted(tmp_path.rglob("*")) == before  # nothing extracted
        with zipfile.ZipFile(zpath) as zf:
            member = zf.read("dir/IM0001.dcm")
        data = pydicom.dcmread(paths[1]).PixelData
        assert member[h.pixel.pixel_data_offset:][:len(data)] == data  # offset within the member
