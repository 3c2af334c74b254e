"""viewer.index / viewer.stacks: grouping, split rules, duplicates, localizers, sources, order."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.fileset import FileSet
from pydicom.uid import RLELossless

from tests.dicomgen import CORONAL_IOP, axial_positions, write_enhanced_mr, write_series, zip_files
from viewer.index import index_path
from viewer.loader import load_stack
from viewer.records import IndexResult, NonImageKind, Role, StackInfo

MANIFEST_FOLDERS = ("siemens_dwi_b50_400_800", "siemens_t1_dynamic", "ge_adc_map", "ge_ct_gantry_tilt")


def img(n: int, rows: int = 6, cols: int = 5) -> np.ndarray:
    return np.zeros((n, rows, cols), np.int16)


def by_series(result: IndexResult, number: int) -> list[StackInfo]:
    return [s for s in result.stacks if s.series_number == number]


@pytest.fixture(scope="module")
def real(realdicom: Path) -> IndexResult:
    return index_path(realdicom, workers=2)


class TestRealDicom:
    def test_stacks_of_every_folder(self, real: IndexResult) -> None:
        assert [(s.series_number, s.split_label, s.n_slices) for s in real.stacks] == [
            (7, "b50", 30), (7, "b400", 30), (7, "b800", 30),
            (14, "acq1", 3), (14, "acq2", 3), (14, "acq3", 3),
            (701, "", 20), (2, "", 28)]
        assert [s.path.rsplit("/", 1)[-1] for s in real.skipped] == [
            "dcm_qa_ct.txt", "dcmqi.txt", "imagedata.txt", "MANIFEST.md", "SHA256SUMS"]
        assert all(s.reason for s in real.skipped) and real.non_images == ()

    def test_siemens_folders_are_one_patient_one_study_two_series(self, real: IndexResult) -> None:
        siemens = [s for s in real.stacks if s.series_number in (7, 14)]
        assert len({s.patient_id for s in siemens}) == 1
        assert len({s.study_instance_uid for s in siemens}) == 1
        assert len({s.series_instance_uid for s in siemens}) == 2

    def test_dwi_b_value_stacks(self, real: IndexResult) -> None:
        for stack, b, first in zip(by_series(real, 7), (50, 400, 800), (1, 31, 61)):
            assert stack.b_value == b
            assert sorted(h.instance_number for h in stack.images) == list(range(first, first + 30))
            assert (stack.rows, stack.columns) == (384, 312)
            assert stack.pixel_spacing_mm == pytest.approx((0.98958331346512,) * 2)
            assert stack.slice_spacing_mm == pytest.approx(6.0, abs=1e-6)
            assert stack.slice_thickness_mm == 5.0
            assert stack.orientation == "coronal"  # though the name says "tra"
            assert stack.warnings == ()
            assert stack.role is Role.MR_DWI
        first_positions = [h.position_mm for h in by_series(real, 7)[0].images]
        assert all([h.position_mm for h in s.images] == first_positions for s in by_series(real, 7))

    def test_t1_dynamic_time_points(self, real: IndexResult) -> None:
        stacks = by_series(real, 14)
        assert [sorted(h.instance_number for h in s.images) for s in stacks] == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
        for s in stacks:
            assert (s.rows, s.columns, s.orientation) == (192, 152, "coronal")
            assert s.pixel_spacing_mm == pytest.approx((2.0833332538605,) * 2)
            assert s.slice_spacing_mm == pytest.approx(3.0, abs=1e-6)
            assert s.b_value is None
            assert s.role not in (Role.MR_T1_ARTERIAL, Role.MR_T1_PORTAL, Role.MR_T1_PRE)
        assert [s.acquisition_time[:8] for s in stacks] == ["143531.6", "143534.6", "143537.6"]

    def test_ge_adc_duplicate_counts_once(self, real: IndexResult) -> None:
        (stack,) = by_series(real, 701)
        assert stack.n_slices == 20 and len({h.sop_instance_uid for h in stack.images}) == 20
        assert any("counted once" in w for w in stack.warnings)
        assert any("pm-example-slice.dcm" in w for w in real.warnings)
        assert (stack.rows, stack.columns, stack.orientation) == (256, 256, "axial")
        assert stack.pixel_spacing_mm == pytest.approx((0.7031, 0.7031))
        assert stack.slice_spacing_mm == pytest.approx(3.0, abs=2e-4)
        assert stack.b_value == 500 and stack.role is Role.MR_ADC

    def test_ge_tilted_ct_is_one_irregular_sheared_stack(self, real: IndexResult) -> None:
        (stack,) = by_series(real, 2)
        assert stack.n_slices == 28 and stack.split_label == ""
        assert [h.instance_number for h in stack.images] == list(range(1, 29))  # sorted along the normal
        assert stack.pixel_spacing_mm == pytest.approx((0.4882812, 0.4882812))
        assert stack.slice_spacing_mm == pytest.approx(4.002, abs=1e-3)
        assert stack.orientation == "axial"
        text = " ".join(stack.warnings)
        assert "gantry tilt" in text and "18.5" in text and "irregular" in text
        assert stack.role is Role.CT_OTHER

    def test_parallel_and_serial_give_identical_json(self, realdicom: Path, real: IndexResult) -> None:
        assert index_path(realdicom, workers=1).to_json() == real.to_json()


class TestSplitting:
    def test_mixed_b_values_in_one_series(self, tmp_path: Path) -> None:
        pos = axial_positions(3, 5.0)
        per = [{"DiffusionBValue": b} for b in (0.0,) * 3 + (800.0,) * 3]
        write_series(tmp_path, img(6), modality="MR", positions=pos + pos, per_slice=per,
                     series_description="ep2d_diff_b0_800")
        r = index_path(tmp_path, workers=1)
        assert [(s.split_label, s.b_value, s.n_slices) for s in r.stacks] == [("b0", 0.0, 3), ("b800", 800.0, 3)]
        assert all(s.role is Role.MR_DWI for s in r.stacks)

    def test_trace_and_adc_in_one_series(self, tmp_path: Path) -> None:
        pos = axial_positions(2, 5.0)
        types = [["DERIVED", "PRIMARY", "DIFFUSION", "TRACEW"]] * 2 + [["DERIVED", "PRIMARY", "DIFFUSION", "ADC"]] * 2
        write_series(tmp_path, img(4), modality="MR", positions=pos + pos, series_description="diff",
                     per_slice=[{"ImageType": t} for t in types])
        r = index_path(tmp_path, workers=1)
        assert [(s.split_label, s.role) for s in r.stacks] == [("ADC", Role.MR_ADC), ("TRACEW", Role.MR_DWI)]

    def test_gantry_tilt_style_acquisition_numbers_and_add_do_not_split(self, tmp_path: Path) -> None:
        per = [{"AcquisitionNumber": a, "ImageType": ["ORIGINAL", "PRIMARY", "AXIAL"] + (["ADD"] if a < 3 else [])}
               for a in (1, 2, 3, 3, 4, 4)]
        write_series(tmp_path, img(6), positions=axial_positions(6, 4.0), per_slice=per)
        (stack,) = index_path(tmp_path, workers=1).stacks
        assert stack.n_slices == 6

    def test_acquisition_time_per_slice_does_not_split(self, tmp_path: Path) -> None:
        per = [{"AcquisitionTime": f"1200{i:02d}"} for i in range(5)]
        write_series(tmp_path, img(5), modality="MR", per_slice=per)
        assert [s.n_slices for s in index_path(tmp_path, workers=1).stacks] == [5]

    def test_repeated_positions_split_by_temporal_position_then_acquisition(self, tmp_path: Path) -> None:
        pos = axial_positions(3, 3.0)
        per = [{"TemporalPositionIdentifier": t, "AcquisitionNumber": 1} for t in (1, 1, 1, 2, 2, 2)]
        write_series(tmp_path / "a", img(6), modality="MR", positions=pos + pos, per_slice=per, series_number=1)
        per = [{"AcquisitionNumber": a} for a in (5, 6, 5, 6, 5, 6)]
        write_series(tmp_path / "b", img(6), modality="MR", positions=[p for p in pos for _ in (0, 1)],
                     per_slice=per, series_number=2)
        r = index_path(tmp_path, workers=1)
        assert [(s.series_number, s.split_label, s.n_slices) for s in r.stacks] == [
            (1, "t1", 3), (1, "t2", 3), (2, "acq5", 3), (2, "acq6", 3)]

    def test_repeats_nothing_separates_split_by_order_with_warning(self, tmp_path: Path) -> None:
        pos = axial_positions(2, 3.0)
        write_series(tmp_path, img(4), modality="MR", positions=pos + pos)
        r = index_path(tmp_path, workers=1)
        assert [(s.split_label, s.n_slices) for s in r.stacks] == [("#1", 2), ("#2", 2)]
        assert all("order of acquisition" in " ".join(s.warnings) for s in r.stacks)

    def test_orientation_and_size_split(self, tmp_path: Path) -> None:
        def own_uids(tag: str) -> list[dict]:
            return [{"SOPInstanceUID": f"1.2.3.4.{tag}.{k}"} for k in range(3)]

        write_series(tmp_path / "ax", img(3), modality="MR", series_uid="1.2.3.4", per_slice=own_uids("1"))
        write_series(tmp_path / "cor", img(3), modality="MR", series_uid="1.2.3.4", iop=CORONAL_IOP,
                     positions=[(0.0, float(k), 0.0) for k in range(3)], per_slice=own_uids("2"))
        write_series(tmp_path / "big", img(3, 8, 8), modality="MR", series_uid="1.2.3.4",
                     positions=axial_positions(3, origin=(0, 0, 50)), per_slice=own_uids("3"))
        r = index_path(tmp_path, workers=1)
        assert sorted((s.split_label, s.orientation, s.n_slices) for s in r.stacks) == [
            ("axial1 6x5", "axial", 3), ("axial1 8x8", "axial", 3), ("coronal2 6x5", "coronal", 3)]
        assert len({s.key for s in r.stacks}) == 3

    @pytest.mark.parametrize("degrees", [0.08, 0.3])
    def test_slices_a_fraction_of_a_degree_apart_are_split_and_each_stack_loads(self, tmp_path: Path,
                                                                                degrees: float) -> None:
        """The index grouped IOPs within 0.01 and the loader refused anything beyond 0.001: a series whose
        second half was turned 0.08-0.3 degree was one stack that never loaded ("slices of one stack have
        different orientations ... the indexer does this")."""
        a = math.radians(degrees)
        turned = (1.0, 0.0, 0.0, 0.0, math.cos(a), math.sin(a))
        write_series(tmp_path, img(6), modality="MR", positions=axial_positions(6, 5.0),
                     per_slice=[{}] * 3 + [{"ImageOrientationPatient": list(turned)}] * 3)
        stacks = index_path(tmp_path, workers=1).stacks
        assert [s.n_slices for s in stacks] == [3, 3]
        for s in stacks:
            vol = load_stack(s, workers=1)
            assert vol.complete
            assert all(np.allclose(vol.geometry.column_direction, h.orientation[3:], atol=1e-9) for h in s.images)

    def test_a_slice_with_another_pixel_spacing_is_its_own_stack(self, tmp_path: Path) -> None:
        """One slice written with 1.5 mm pixels in a series of 1 mm pixels was measured with the first
        slice's spacing (a warning only): 50 % long there. Each spacing is now its own stack."""
        write_series(tmp_path, img(5), modality="MR", positions=axial_positions(5, 5.0),
                     per_slice=[{}, {}, {"PixelSpacing": [1.5, 1.5]}, {}, {}])
        stacks = index_path(tmp_path, workers=1).stacks
        assert sorted((s.n_slices, s.pixel_spacing_mm) for s in stacks) == [(1, (1.5, 1.5)), (4, (1.0, 1.0))]
        for s in stacks:
            g = load_stack(s, workers=1).geometry
            assert all(h.pixel_spacing_mm == g.pixel_spacing_mm for h in s.images)
            assert g.distance_mm((0, 0), (0, 4)) == pytest.approx(4 * s.images[0].pixel_spacing_mm[1])

    def test_enhanced_multiframe_b_values_make_stacks(self, tmp_path: Path) -> None:
        pos = axial_positions(3, 4.0)
        write_enhanced_mr(tmp_path / "mf.dcm", img(6), positions=pos + pos, b_values=[0] * 3 + [1000] * 3,
                          series_description="DWI")
        r = index_path(tmp_path, workers=1)
        assert [(s.b_value, s.n_slices, s.n_slices) for s in r.stacks] == [(0.0, 3, 3), (1000.0, 3, 3)]
        assert [h.frame for h in r.stacks[1].images] == [3, 4, 5]
        assert r.stacks[0].to_json()["n_files"] == 1


class TestListedApart:
    def test_localizers(self, tmp_path: Path) -> None:
        write_series(tmp_path / "l1", img(1), series_number=1, series_description="Topogram",
                     extra={"ImageType": ["ORIGINAL", "PRIMARY", "LOCALIZER"]})
        write_series(tmp_path / "l2", img(3), modality="MR", series_number=2, series_description="localizer",
                     iop=CORONAL_IOP, positions=[(0.0, float(k), 0.0) for k in range(3)])
        write_series(tmp_path / "s", img(4), series_number=3, series_description="PORTAL")
        r = index_path(tmp_path, workers=1)
        assert [s.series_number for s in r.stacks] == [3]
        assert [n.kind for n in r.non_images] == [NonImageKind.LOCALIZER] * 4

    def test_duplicate_copies_anywhere(self, tmp_path: Path) -> None:
        paths = write_series(tmp_path / "a", img(3))
        (tmp_path / "b").mkdir()
        shutil.copy(paths[1], tmp_path / "b" / "copy.dcm")
        r = index_path(tmp_path, workers=1)
        assert [s.n_slices for s in r.stacks] == [3] and len(r.warnings) == 1

    def test_no_geometry_is_skipped_with_reason(self, tmp_path: Path) -> None:
        write_series(tmp_path, img(2), modality="CR", iop=None, positions=[None, None])  # type: ignore[list-item]
        r = index_path(tmp_path, workers=1)
        assert r.stacks == () and all("ImagePositionPatient" in s.reason for s in r.skipped)


class TestSources:
    def test_zip_dicomdir_and_folder_agree(self, tmp_path: Path) -> None:
        paths = write_series(tmp_path / "src", img(4), series_description="ART", extra={"StudyID": "1"})
        zpath = zip_files(paths, tmp_path / "study.zip")
        fs = FileSet()
        for p in paths:
            fs.add(str(p))
        fs.write(tmp_path / "media")
        folder = index_path(tmp_path / "src", workers=1)
        zipped = index_path(zpath, workers=1)
        media = index_path(tmp_path / "media" / "DICOMDIR", workers=1)
        media_folder = index_path(tmp_path / "media", workers=1)
        for r in (zipped, media, media_folder):
            assert [(s.n_slices, s.role) for s in r.stacks] == [(4, Role.CT_ARTERIAL)]
            assert [h.sop_instance_uid for h in r.stacks[0].images] == \
                [h.sop_instance_uid for h in folder.stacks[0].images]
        assert all(h.file.member for h in zipped.stacks[0].images)
        assert [s.reason[:8] for s in media_folder.skipped] == ["DICOMDIR"]

    def test_junk_never_stops_the_scan(self, tmp_path: Path) -> None:
        write_series(tmp_path, img(3))
        (tmp_path / "readme.txt").write_text("not an image")
        (tmp_path / "empty").write_bytes(b"")
        (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
        r = index_path(tmp_path, workers=1)
        assert [s.n_slices for s in r.stacks] == [3]
        assert sorted(Path(s.path).name for s in r.skipped) == ["broken.zip", "empty", "readme.txt"]

    def test_missing_path_is_an_error(self, tmp_path: Path) -> None:
        from viewer.errors import DicomReadError

        with pytest.raises(DicomReadError, match="no such file"):
            index_path(tmp_path / "nope")

    def test_pool_matches_serial_and_reports_progress(self, tmp_path: Path) -> None:
        write_series(tmp_path / "a", img(60), series_number=1, series_description="ART")
        write_series(tmp_path / "b", img(60), modality="MR", series_number=2, series_description="t2 fs",
                     positions=axial_positions(60, 2.0)[::-1])
        calls: list[tuple[int, int]] = []
        pooled = index_path(tmp_path, workers=2, progress=lambda d, t: calls.append((d, t)))
        assert pooled.to_json() == index_path(tmp_path, workers=1).to_json()
        assert calls[0] == (0, 120) and calls[-1] == (120, 120)
        assert [s.n_slices for s in pooled.stacks] == [60, 60]


def test_an_unreadable_folder_is_listed_as_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.walk skips a folder it cannot list without a word; the index says so (root ignores modes,
    so the failure is simulated)."""
    import os

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.dcm").write_bytes(b"x")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    result = index_path(tmp_path, workers=1)
    assert [(s.path, s.reason) for s in result.skipped] == [
        (str(tmp_path / "locked"), "folder cannot be read (Permission denied)")]


class TestOnePersonPerPatientId:
    """Another person's study under a patient's id (viewer.studies_identity) is left out of the index, said."""

    def _study(self, folder: Path, seed: str, name: str, born: str, sex: str, date: str) -> list[Path]:
        return write_series(folder, img(3), patient_id="LLSYN001", patient_name=name, seed=seed,
                            extra={"PatientBirthDate": born, "PatientSex": sex, "StudyDate": date})

    def test_the_other_persons_files_are_skipped_with_the_reason(self, tmp_path: Path) -> None:
        self._study(tmp_path / "ct1", "ct1", "SYNTHETIC^ALPHA", "19580312", "F", "20230314")
        self._study(tmp_path / "ct2", "ct2", "Synthetic^Alpha^^", "", "F", "20231017")
        bob = self._study(tmp_path / "bob", "bob", "IMPOSTER^BOB", "19800101", "M", "20231102")
        r = index_path(tmp_path, workers=1)
        assert {s.study_date for s in r.stacks} == {"20230314", "20231017"}
        assert sorted(s.path for s in r.skipped) == sorted(str(p) for p in bob)
        assert all("patient identity conflict: PatientID LLSYN001 here is IMPOSTER^BOB (born 1980-01-01, M)" in s.reason
                   for s in r.skipped)
        (warning,) = r.warnings
        assert "SYNTHETIC^ALPHA (born 1958-03-12, F)" in warning and f"2023-11-02 CT in {tmp_path / 'bob'}" in warning

    def test_one_person_written_differently_is_not_split(self, tmp_path: Path) -> None:
        self._study(tmp_path / "ct1", "ct1", "SYNTHETIC^ALPHA", "19580312", "F", "20230314")
        self._study(tmp_path / "ct2", "ct2", "synthetic ^ alpha", "", "", "20231017")
        r = index_path(tmp_path, workers=1)
        assert len(r.stacks) == 2 and r.skipped == () and r.warnings == ()


class TestSameUidOtherContent:
    """viewer.index.set_apart_uid_conflicts: two files of one SOP Instance UID are a copy only when they show one image."""

    STUDY, SERIES = "1.2.826.0.1.3680043.8.498.1", "1.2.826.0.1.3680043.8.498.2"

    def _series(self, folder: Path, pixels: np.ndarray | None = None, **kw: object) -> list[Path]:
        arr = np.arange(3 * 6 * 5, dtype=np.int16).reshape(3, 6, 5) if pixels is None else pixels
        return write_series(folder, arr, study_uid=self.STUDY, series_uid=self.SERIES, **kw)  # type: ignore[arg-type]

    def test_a_copy_rewritten_by_another_tool_is_still_a_copy(self, tmp_path: Path) -> None:
        paths = self._series(tmp_path / "a")
        ds = pydicom.dcmread(paths[1])
        ds.file_meta.ImplementationVersionName = "OTHER_TOOL_1"
        ds.add_new(0x00091010, "LO", "PRIVATE CREATOR")
        ds.InstitutionName = "Another site"
        (tmp_path / "b").mkdir()
        ds.save_as(tmp_path / "b" / "AA_copy.dcm", enforce_file_format=True)
        r = index_path(tmp_path, workers=1)
        assert r.skipped == () and [s.n_slices for s in r.stacks] == [3]
        assert len(r.warnings) == 1 and "is a copy of" in r.warnings[0]

    def test_a_copy_in_another_transfer_syntax_is_compared_decoded(self, tmp_path: Path) -> None:
        self._series(tmp_path / "a")
        self._series(tmp_path / "b", transfer_syntax=RLELossless)
        r = index_path(tmp_path, workers=1)
        assert r.skipped == () and [s.n_slices for s in r.stacks] == [3] and len(r.warnings) == 3

    @pytest.mark.parametrize("name", ["AA_other.dcm", "ZZ_other.dcm"])
    def test_another_patients_file_with_the_uid_leaves_both_out_whatever_its_name(self, tmp_path: Path,
                                                                                  name: str) -> None:
        paths = self._series(tmp_path, patient_id="LLVINC")
        other = self._series(tmp_path / "tmp", patient_id="OTHER")[1]
        other.rename(tmp_path / name)
        shutil.rmtree(tmp_path / "tmp")
        r = index_path(tmp_path, workers=1)
        assert sorted(s.path for s in r.skipped) == sorted([str(paths[1]), str(tmp_path / name)])
        assert all("PatientID LLVINC / OTHER" in s.reason or "PatientID OTHER / LLVINC" in s.reason for s in r.skipped)
        assert all("both left out" in s.reason for s in r.skipped)
        (warning,) = r.warnings
        assert str(paths[1]) in warning and name in warning and "is a copy" not in warning
        assert [s.patient_id for s in r.stacks] == ["LLVINC"] and r.stacks[0].n_slices == 2

    def test_another_position_or_other_pixels_is_a_conflict(self, tmp_path: Path) -> None:
        a = self._series(tmp_path / "a")
        self._series(tmp_path / "b", positions=[(0.0, 0.0, 0.0), (0.0, 0.0, 7.0), (0.0, 0.0, 2.0)])
        (tmp_path / "b" / "IM0000.dcm").unlink()
        (tmp_path / "b" / "IM0002.dcm").unlink()
        pixels = np.arange(3 * 6 * 5, dtype=np.int16).reshape(3, 6, 5)
        pixels[2, 0, 0] += 1
        self._series(tmp_path / "c", pixels=pixels)
        (tmp_path / "c" / "IM0000.dcm").unlink()
        (tmp_path / "c" / "IM0001.dcm").unlink()
        r = index_path(tmp_path, workers=1)
        reasons = {Path(s.path).relative_to(tmp_path).as_posix(): s.reason for s in r.skipped}
        assert sorted(reasons) == ["a/IM0001.dcm", "a/IM0002.dcm", "b/IM0001.dcm", "c/IM0002.dcm"]
        assert "ImagePositionPatient (0, 0, 1) / (0, 0, 7)" in reasons["a/IM0001.dcm"]
        assert "pixel data" in reasons["c/IM0002.dcm"] and str(a[2]) in reasons["c/IM0002.dcm"]
        assert [s.n_slices for s in r.stacks] == [1]


def test_a_named_pipe_in_the_folder_is_skipped_not_waited_on(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An audit's `lesionlab index` of a folder holding a FIFO never ended (opening it waits for a writer)."""
    import os

    from viewer.index import index_path

    os.mkfifo(tmp_path / "fifo")
    result = index_path(tmp_path, workers=1)
    assert [s.reason for s in result.skipped] == ["not a regular file (a pipe, socket or device)"]
