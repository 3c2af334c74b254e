"""viewer.loader on generated stacks: order, pixels vs pydicom, dtypes, syntaxes, memory."""

from __future__ import annotations

import dataclasses
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_rescale

from viewer.errors import DicomReadError
from tests.dicomgen import (
    LOSSLESS_COMPRESSED,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    RLELossless,
    axial_positions,
    tilted_stack,
    write_enhanced_mr,
    write_series,
    zip_files,
)
from tests.viewer.stackhelp import stack_from_files
from viewer.loader import VolumeLoader, load_stack, middle_out, output_dtype
from viewer.records import FileRef

RNG = np.random.default_rng(7)
N, ROWS, COLS = 7, 32, 40


def ct_values(n: int = N, hi: int = 4096, dtype=np.uint16) -> np.ndarray:
    return RNG.integers(0, hi, (n, ROWS, COLS)).astype(dtype)


def shuffled(tmp_path: Path, stored: np.ndarray, **kw):
    """Write ``stored`` (sorted along z) in shuffled file order; return (paths, stack)."""
    n = stored.shape[0]
    pos = axial_positions(n, 2.5, origin=(-50, -60, 100))
    perm = np.random.default_rng(n).permutation(n)
    paths = write_series(tmp_path, stored[perm], positions=[pos[i] for i in perm],
                         instance_numbers=list(range(n, 0, -1)), **kw)
    return paths, stack_from_files(paths)


def pydicom_volume(paths) -> np.ndarray:
    """Reference: pydicom's decoding + rescale, sorted along z by IPP."""
    dss = sorted((pydicom.dcmread(p) for p in paths), key=lambda d: float(d.ImagePositionPatient[2]))
    return np.stack([apply_rescale(d.pixel_array, d) for d in dss])


class TestOrderAndValues:
    def test_sorted_by_position_not_instance_or_file(self, tmp_path: Path) -> None:
        stored = ct_values()
        paths, stack = shuffled(tmp_path, stored, intercept=-1024, slope=1, bits_stored=12)
        vol = load_stack(stack)
        np.testing.assert_array_equal(vol.array, stored.astype(np.int32) - 1024)
        np.testing.assert_array_equal(vol.array, pydicom_volume(paths))
        assert vol.array.dtype == np.int16 and vol.units == "HU" and vol.complete
        assert [p[2] for p in vol.geometry.positions_mm] == pytest.approx([100 + 2.5 * k for k in range(N)])

    def test_middle_out_calls_back_middle_first(self, tmp_path: Path) -> None:
        _, stack = shuffled(tmp_path, ct_values())
        seen: list[int] = []
        loader = VolumeLoader(stack)
        assert not loader.volume.loaded.any() and loader.volume.array.shape == (N, ROWS, COLS)
        loader.load(on_slice=seen.append)
        assert seen == middle_out(N) == [3, 4, 2, 5, 1, 6, 0]

    def test_cancel_stops_early(self, tmp_path: Path) -> None:
        _, stack = shuffled(tmp_path, ct_values())
        cancel = threading.Event()
        loader = VolumeLoader(stack)
        vol = loader.load(on_slice=lambda k: cancel.set(), cancel=cancel)
        assert vol.loaded.sum() == 1 and vol.loaded[N // 2]
        vol = loader.load()  # resumes with the rest
        assert vol.complete


class TestSyntaxes:
    @pytest.mark.parametrize("syntax, workers", [
        *[(s, 1) for s in (ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian,
                           *LOSSLESS_COMPRESSED)],
        *[(s, 2) for s in LOSSLESS_COMPRESSED],  # decoded on worker processes
    ])
    def test_round_trip_identical(self, tmp_path: Path, syntax, workers) -> None:
        stored = ct_values(hi=2000, dtype=np.int16) - 1000
        paths, stack = shuffled(tmp_path, stored, transfer_syntax=syntax, slope=1, intercept=0)
        vol = load_stack(stack, workers=workers)
        np.testing.assert_array_equal(vol.array, stored)
        np.testing.assert_array_equal(vol.array, pydicom_volume(paths))

    def test_jpeg_baseline_equals_pydicom(self, tmp_path: Path) -> None:
        stored = ct_values(hi=256, dtype=np.uint8)
        paths, stack = shuffled(tmp_path, stored, transfer_syntax=JPEGBaseline8Bit, modality="MR")
        vol = load_stack(stack, workers=1)
        np.testing.assert_array_equal(vol.array, pydicom_volume(paths))  # lossy: compare to pydicom

    def test_without_offset_falls_back_to_pydicom(self, tmp_path: Path) -> None:
        stored = ct_values()
        paths, _ = shuffled(tmp_path, stored, intercept=-1024, bits_stored=12)
        vol = load_stack(stack_from_files(paths, with_offset=False))
        np.testing.assert_array_equal(vol.array, stored.astype(np.int32) - 1024)

    def test_zip_members(self, tmp_path: Path) -> None:
        stored = ct_values()
        paths, stack = shuffled(tmp_path / "d", stored, intercept=-1024, bits_stored=12)
        zp = zip_files(paths, tmp_path / "s.zip")
        images = tuple(dataclasses.replace(h, file=FileRef(str(zp), Path(h.file.path).name)) for h in stack.images)
        vol = load_stack(dataclasses.replace(stack, images=images))
        np.testing.assert_array_equal(vol.array, stored.astype(np.int32) - 1024)

    def test_truncated_file_names_the_file(self, tmp_path: Path) -> None:
        paths, stack = shuffled(tmp_path, ct_values())
        paths[2].write_bytes(paths[2].read_bytes()[:-100])
        with pytest.raises(DicomReadError, match=paths[2].name):
            load_stack(stack)


class TestEnhancedMultiFrame:
    @pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, RLELossless])
    def test_frames_sorted_by_per_frame_position(self, tmp_path: Path, syntax) -> None:
        stored = ct_values(n=5)
        pos = axial_positions(5, 4.0)
        perm = [2, 4, 0, 3, 1]
        p = write_enhanced_mr(tmp_path / "mf.dcm", stored[perm], positions=[pos[i] for i in perm],
                              pixel_spacing=(0.9, 1.1), transfer_syntax=syntax)
        vol = load_stack(stack_from_files([p]), workers=1)
        np.testing.assert_array_equal(vol.array, stored)
        assert vol.geometry.slice_spacing_mm == pytest.approx(4.0)
        assert vol.geometry.pixel_spacing_mm == (0.9, 1.1) and vol.units == ""


class TestDtypeAndBits:
    def test_identity_keeps_stored_dtype(self, tmp_path: Path) -> None:
        _, stack = shuffled(tmp_path, ct_values(), modality="MR")
        assert load_stack(stack).array.dtype == np.uint16

    def test_full_16_bit_range_with_intercept_needs_int32(self, tmp_path: Path) -> None:
        stored = ct_values(hi=65536)
        paths, stack = shuffled(tmp_path, stored, intercept=-1024)
        vol = load_stack(stack)
        assert vol.array.dtype == np.int32
        np.testing.assert_array_equal(vol.array, pydicom_volume(paths))

    def test_non_integer_slope_gives_float32(self, tmp_path: Path) -> None:
        paths, stack = shuffled(tmp_path, ct_values(), slope=0.5, intercept=-10.25, modality="MR")
        vol = load_stack(stack)
        assert vol.array.dtype == np.float32
        np.testing.assert_allclose(vol.array, pydicom_volume(paths), rtol=1e-6)

    def test_per_slice_rescale(self, tmp_path: Path) -> None:
        stored = ct_values()
        per = [{"RescaleIntercept": -1024 - 10 * k, "RescaleSlope": 1 + k % 2} for k in range(N)]
        paths = write_series(tmp_path, stored, bits_stored=12, slope=1, intercept=0, per_slice=per)
        vol = load_stack(stack_from_files(paths))
        assert vol.array.dtype == np.int16
        np.testing.assert_array_equal(vol.array, pydicom_volume(paths))

    @pytest.mark.parametrize("dtype", [np.uint16, np.int16])
    def test_bits_stored_masks_like_pydicom(self, tmp_path: Path, dtype) -> None:
        raw = RNG.integers(0, 65536, (N, ROWS, COLS)).astype(np.uint16).view(dtype)  # junk high bits
        paths = write_series(tmp_path, raw, bits_stored=12, modality="MR")
        vol = load_stack(stack_from_files(paths))
        ref = pydicom_volume(paths)
        np.testing.assert_array_equal(vol.array, ref)
        assert ref.min() >= (-2048 if dtype == np.int16 else 0) and ref.max() <= (2047 if dtype == np.int16 else 4095)

    def test_monochrome1_is_flagged_not_inverted(self, tmp_path: Path) -> None:
        stored = ct_values()
        _, stack = shuffled(tmp_path, stored, photometric="MONOCHROME1", modality="MR")
        vol = load_stack(stack)
        assert vol.monochrome1
        np.testing.assert_array_equal(vol.array, stored)

    def test_output_dtype_rules(self, tmp_path: Path) -> None:
        paths = write_series(tmp_path, ct_values(hi=256, dtype=np.uint8), intercept=-1024)
        assert output_dtype(stack_from_files(paths).images) == np.int16


class TestGeometryWarnings:
    def test_imager_pixel_spacing_fallback(self, tmp_path: Path) -> None:
        _, stack = shuffled(tmp_path, ct_values(), pixel_spacing=None, imager_pixel_spacing=(0.4, 0.4))
        vol = load_stack(stack)
        assert vol.geometry.measurable and vol.geometry.pixel_spacing_mm == (0.4, 0.4)
        assert any("ImagerPixelSpacing" in w for w in vol.warnings)

    def test_no_spacing_not_measurable(self, tmp_path: Path) -> None:
        _, stack = shuffled(tmp_path, ct_values(), pixel_spacing=None)
        vol = VolumeLoader(stack).volume
        assert not vol.geometry.measurable and vol.geometry.not_measurable_reason

    def test_no_positions_orders_by_instance_number(self, tmp_path: Path) -> None:
        stored = ct_values(n=4)
        paths = write_series(tmp_path, stored, positions=[None] * 4, instance_numbers=[3, 1, 4, 2])
        vol = load_stack(stack_from_files(paths))
        np.testing.assert_array_equal(vol.array, stored[[1, 3, 0, 2]])
        assert not vol.geometry.measurable and any("InstanceNumber" in w for w in vol.warnings)

    def test_tilt_gap_duplicate_warnings(self, tmp_path: Path) -> None:
        iop, pos = tilted_stack(8, 18.5, 3.0)
        pos = pos[:3] + pos[4:] + [pos[5]]  # a gap after slice 3 and a duplicate position
        paths = write_series(tmp_path, ct_values(n=8), iop=iop, positions=pos,
                             extra={"GantryDetectorTilt": 18.5})
        w = " | ".join(load_stack(stack_from_files(paths)).warnings)
        assert "gantry tilt" in w and "gap" in w and "duplicate" in w


def test_peak_memory_within_1_3x_volume(tmp_path: Path) -> None:
    stored = RNG.integers(0, 4096, (40, 256, 256)).astype(np.uint16)
    paths = write_series(tmp_path, stored, intercept=-1024, bits_stored=12,
                         positions=axial_positions(40, 1.0)[::-1])
    stack = stack_from_files(paths)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        vol = load_stack(stack)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert vol.complete and vol.array.nbytes == stored.nbytes
    print(f"loader peak {peak / vol.array.nbytes:.3f}x the volume")
    assert peak <= 1.3 * vol.array.nbytes, f"peak {peak / vol.array.nbytes:.2f}x the volume"
