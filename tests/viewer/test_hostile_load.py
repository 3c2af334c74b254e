"""The load boundary under hostile input (issue 9, DICOM in): refusals are lesionlab errors that say
why, before anything is allocated; a genuine volume within the memory budget always loads.

The full-size bombs (8 GiB RLE, 17 GiB JPEG 2000, 2.6 GB zip and deflate) run in a subprocess with
their peak memory measured, in test_hostile_memory.py.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import numpy as np
import pydicom
import pytest

from tests.dicomgen import (JPEG2000Lossless, JPEGBaseline8Bit, JPEGLSLossless, RLELossless, axial_positions,
                            write_series)
from tests.viewer.hostile import patch_codestream_size, rle_frame, write_deflate_bomb, write_rle_bomb
from tests.viewer.stackhelp import stack_from_files
from viewer import budget
from viewer.errors import DicomReadError, GeometryError, MemoryBudgetError, StoreError
from viewer.index import index_path
from viewer.loader import LoadStatus, VolumeLoader, check_load, load_stack
from viewer.records import StackInfo

MIB = 1 << 20


@pytest.fixture(autouse=True)
def _own_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LESIONLAB_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv(budget.ENV_VAR, raising=False)


def one_stack(folder: Path) -> StackInfo:
    (stack,) = index_path(folder, workers=1).stacks
    return stack


class TestPixelModule:
    @pytest.mark.parametrize("bits_stored", [17, 2000, 65535])
    def test_bits_stored_above_bits_allocated_is_a_clear_error(self, tmp_path: Path, bits_stored: int) -> None:
        paths = write_series(tmp_path, np.zeros((2, 8, 8), np.int16), slope=1, intercept=-1024,
                             extra={"BitsStored": bits_stored})
        with pytest.raises(DicomReadError, match=f"BitsStored {bits_stored} is greater than BitsAllocated 16"):
            load_stack(stack_from_files(paths), workers=1)

    def test_non_finite_positions_are_a_geometry_error(self, tmp_path: Path) -> None:
        paths = write_series(tmp_path, np.zeros((2, 8, 8), np.int16), positions=[(0, 0, 0), (0, 0, float("inf"))])
        with pytest.raises(GeometryError, match="not a finite number"):
            VolumeLoader(stack_from_files(paths))


class TestRle:
    def test_rle_segments_too_short_for_the_declared_size(self, tmp_path: Path) -> None:
        write_rle_bomb(tmp_path / "IM0.dcm", rows=8192, cols=8192, segment_bytes=400)
        with pytest.raises(DicomReadError, match=r"RLE segment 1 holds 400 bytes, which decode to at most 25600;"
                                                 r" the header declares 8192 x 8192"):
            VolumeLoader(one_stack(tmp_path))

    def test_rle_segment_count_must_match_the_pixel_size(self, tmp_path: Path) -> None:
        path = write_series(tmp_path, np.zeros((1, 8, 8), np.uint16), transfer_syntax=RLELossless)[0]
        ds = pydicom.dcmread(path)
        ds.PixelData = pydicom.encaps.encapsulate([rle_frame(8, n_segments=5)])
        ds.save_as(path)
        with pytest.raises(DicomReadError, match="RLE header lists 5 segments, 1 sample"):
            VolumeLoader(one_stack(tmp_path))

    def test_a_decoder_panic_is_a_lesionlab_error(self, tmp_path: Path) -> None:
        """Found by the fuzzer: a first segment decoding past its length makes pylibjpeg-rle's Rust
        code panic, raising pyo3's PanicException (a BaseException, not an Exception)."""
        path = write_series(tmp_path, np.zeros((1, 32, 32), np.uint16), transfer_syntax=RLELossless)[0]
        seg1, seg2 = b"\x81\x00" * 9, b"\x81\x00" * 8  # 1152 bytes where 1024 fit, then 1024
        header = struct.pack("<16L", 2, 64, 64 + len(seg1), *([0] * 13))
        ds = pydicom.dcmread(path)
        ds.PixelData = pydicom.encaps.encapsulate([header + seg1 + seg2])
        ds.save_as(path)
        with pytest.raises(DicomReadError, match="PanicException"):
            load_stack(one_stack(tmp_path), workers=1)

    def test_genuine_rle_loads(self, tmp_path: Path) -> None:
        stored = np.random.default_rng(3).integers(0, 4000, (3, 16, 16)).astype(np.uint16)
        write_series(tmp_path, stored, transfer_syntax=RLELossless)
        np.testing.assert_array_equal(load_stack(one_stack(tmp_path), workers=1).array, stored)


class TestCodestreamSize:
    @pytest.mark.parametrize("syntax", [JPEGBaseline8Bit, JPEGLSLossless, JPEG2000Lossless])
    def test_codestream_larger_than_the_header_is_refused_before_decoding(self, tmp_path: Path, syntax: str) -> None:
        dtype = np.uint8 if syntax == JPEGBaseline8Bit else np.uint16
        path = write_series(tmp_path, np.full((1, 32, 32), 7, dtype), transfer_syntax=syntax)[0]
        stack = one_stack(tmp_path)
        patch_codestream_size(path, 6000, 5000)
        with pytest.raises(DicomReadError, match=r"codestream is 5000 x 6000 pixels with 1 component\(s\);"
                                                 r" the DICOM header says 32 x 32"):
            VolumeLoader(stack)

    @pytest.mark.parametrize("syntax", [JPEGBaseline8Bit, JPEGLSLossless, JPEG2000Lossless])
    def test_header_larger_than_the_codestream_is_refused(self, tmp_path: Path, syntax: str) -> None:
        dtype = np.uint8 if syntax == JPEGBaseline8Bit else np.uint16
        write_series(tmp_path, np.full((1, 32, 32), 7, dtype), transfer_syntax=syntax)
        stack = one_stack(tmp_path)
        big = dataclasses.replace(stack, images=tuple(
            dataclasses.replace(h, pixel=dataclasses.replace(h.pixel, rows=20000, columns=20000)) for h in stack.images))
        with pytest.raises(DicomReadError, match="codestream is 32 x 32 pixels"):
            VolumeLoader(big)


@pytest.fixture(scope="module")
def volume_24mib(tmp_path_factory: pytest.TempPathFactory) -> StackInfo:
    """A genuine 24 MiB volume: 12 slices of 1024 x 1024 int16."""
    folder = tmp_path_factory.mktemp("big")
    write_series(folder, np.zeros((12, 1024, 1024), np.int16), positions=axial_positions(12))
    return one_stack(folder)


class TestMemoryBudget:
    def test_a_volume_over_the_budget_is_refused_naming_the_setting(self, volume_24mib: StackInfo,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
        stack = volume_24mib
        monkeypatch.setenv(budget.ENV_VAR, "20")
        with pytest.raises(MemoryBudgetError) as err:
            VolumeLoader(stack)
        assert "needs 24.0 MiB, more than the memory budget of 20.0 MiB (LESIONLAB_MEMORY_BUDGET_MB=20)" in str(err.value)
        assert "LESIONLAB_MEMORY_BUDGET_MB" in err.value.advice and "settings.json" in err.value.advice

    def test_a_volume_within_the_budget_loads(self, volume_24mib: StackInfo, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(budget.ENV_VAR, "32")
        assert load_stack(volume_24mib, workers=1).complete

    def test_the_settings_file_sets_the_budget(self, tmp_path: Path, volume_24mib: StackInfo) -> None:
        stack = volume_24mib
        settings = tmp_path / "config" / "settings.json"
        settings.parent.mkdir()
        settings.write_text(json.dumps({"schema_version": 1, "memory_budget_mb": 16}))
        with pytest.raises(MemoryBudgetError, match=f"memory_budget_mb in {settings}"):
            VolumeLoader(stack)

    def test_default_is_half_the_ram(self) -> None:
        ram = budget.physical_memory_bytes()
        assert ram and budget.memory_budget().limit_bytes == ram // 2
        assert "half of this machine" in budget.memory_budget().source

    @pytest.mark.parametrize("value", ["lots", "-5", "nan", "inf", "3"])
    def test_a_bad_setting_is_refused_naming_it(self, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
        monkeypatch.setenv(budget.ENV_VAR, value)
        with pytest.raises(StoreError, match=budget.ENV_VAR):
            budget.memory_budget()


class TestDeflate:
    def test_a_deflate_bomb_is_refused_before_decoding(self, tmp_path: Path) -> None:
        """The index refuses it (test_hostile_index); a stack pointing at it is refused by the loader too."""
        path = write_deflate_bomb(tmp_path / "b" / "IM0.dcm", inflated_bytes=200 * MIB)
        good = write_series(tmp_path / "g", np.zeros((1, 8, 8), np.int16),
                            transfer_syntax=pydicom.uid.DeflatedExplicitVRLittleEndian)
        stack = stack_from_files(good, with_offset=False)
        bomb = dataclasses.replace(stack, images=tuple(dataclasses.replace(h, file=dataclasses.replace(
            h.file, path=str(path))) for h in stack.images))
        with pytest.raises(MemoryBudgetError, match="inflating a deflated dataset"):
            VolumeLoader(bomb)


class TestCheckLoad:
    def test_reports_ok_and_failed_with_reason(self, tmp_path: Path) -> None:
        write_series(tmp_path / "good", np.zeros((2, 8, 8), np.int16))
        write_rle_bomb(tmp_path / "bomb" / "IM0.dcm", rows=4096, cols=4096, segment_bytes=100)
        result = index_path(tmp_path, workers=1)
        checks = {s.series_description: check_load(s, workers=1) for s in result.stacks}
        assert checks["test series"].status is LoadStatus.OK and checks["test series"].reason == ""
        assert checks["hostile"].status is LoadStatus.FAILED and "RLE segment 1" in checks["hostile"].reason
