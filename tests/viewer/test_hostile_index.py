"""The index boundary under hostile input (issue 9, DICOM in): one bad file never takes the index down.

Each case failed before the fix (traceback, OverflowError, a 2.6 GB read, NaN in the JSON, 0 stacks
from a Philips disc, a DTI b0 called T2); the memory figures of the full-size bombs are in
test_hostile_memory.py.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from pydicom.fileset import FileSet

from tests.dicomgen import axial_positions, write_series
from tests.viewer.hostile import write_deflate_bomb, write_philips_disc, write_zip_bomb
from viewer.dicomio import sources
from viewer.index import collect_files, index_path
from viewer.records import IndexResult, Role

NAN, INF = float("nan"), float("inf")
PHILIPS_DD = {0x20010010: ("LO", "Philips Imaging DD 001")}


def good_and_bad(folder: Path, n_bad: int = 1, **bad: object) -> IndexResult:
    """A good 3-slice series and a series of ``n_bad`` slices written with ``bad``; the index of both."""
    write_series(folder / "good", np.zeros((3, 8, 8), np.int16), series_number=1, series_description="good")
    bad.setdefault("positions", axial_positions(n_bad))
    write_series(folder / "bad", np.zeros((n_bad, 8, 8), np.int16), series_number=2, series_description="bad",
                 **bad)  # type: ignore[arg-type]
    return index_path(folder, workers=1)


class TestBadGeometry:
    @pytest.mark.parametrize(("bad", "words"), [
        ({"iop": (0, 0, 0, 0, 0, 0)}, "zero-length row direction"),
        ({"iop": (1, 0, 0, 0, 0, 0)}, "zero-length column direction"),
        ({"iop": (1, 0, 0, 1, 0, 0)}, "parallel"),
        ({"iop": (0, 1, 0, 0, -1, 0)}, "parallel"),
        ({"iop": (NAN, 0, 0, 0, 1, 0)}, "not a finite number"),
        ({"iop": (1, 0, 0, 0, INF, 0)}, "not a finite number"),
        ({"iop": (1, 0, 0, 0.5, 1, 0)}, "not orthogonal"),
        ({"positions": [(0, 0, 1e308)]}, "more than 1e+06 mm from the origin"),
        ({"positions": [(-1e308, 0, 0)]}, "more than 1e+06 mm from the origin"),
        ({"positions": [(0, 0, INF)]}, "not a finite number"),
        ({"positions": [(0, NAN, 0)]}, "not a finite number"),
    ])
    def test_bad_file_is_skipped_with_reason_and_the_rest_is_indexed(self, tmp_path: Path, bad: dict[str, object],
                                                                      words: str) -> None:
        r = good_and_bad(tmp_path, **bad)
        assert [(s.series_description, s.n_slices) for s in r.stacks] == [("good", 3)]
        (skipped,) = r.skipped
        assert skipped.path.endswith("IM0000.dcm") and "bad" in skipped.path
        assert skipped.reason.startswith("unusable geometry:") and words in skipped.reason

    def test_one_bad_slice_leaves_its_series_measurable(self, tmp_path: Path) -> None:
        pos = axial_positions(4, 2.0)
        write_series(tmp_path, np.zeros((4, 8, 8), np.int16), positions=pos,
                     per_slice=[{}, {"ImagePositionPatient": [0, 0, 1e308]}, {}, {}])
        r = index_path(tmp_path, workers=1)
        (stack,) = r.stacks
        assert stack.n_slices == 3 and stack.pixel_spacing_mm == (1.0, 1.0)
        assert "IM0001.dcm" in r.skipped[0].path

    def test_nan_pixel_spacing_marks_the_stack_not_measurable(self, tmp_path: Path) -> None:
        (stack,) = index_path_of(tmp_path, pixel_spacing=(NAN, 1.0)).stacks
        assert stack.pixel_spacing_mm is None
        assert any("not measurable" in w for w in stack.warnings)


def index_path_of(folder: Path, **kw: object) -> IndexResult:
    write_series(folder, np.zeros((3, 8, 8), np.int16), **kw)  # type: ignore[arg-type]
    return index_path(folder, workers=1)


class TestHeaderValues:
    def test_nan_slice_thickness_is_unknown_not_nan(self, tmp_path: Path) -> None:
        (stack,) = index_path_of(tmp_path, slice_thickness_mm=NAN).stacks
        assert stack.slice_thickness_mm is None
        json.dumps(stack.to_json(), allow_nan=False)

    @pytest.mark.parametrize("tag", ["RescaleSlope", "RescaleIntercept"])
    @pytest.mark.parametrize("value", [NAN, INF, 1e300])
    def test_unusable_rescale_skips_the_file(self, tmp_path: Path, tag: str, value: float) -> None:
        r = index_path_of(tmp_path, slope=1, intercept=0, per_slice=[{tag: value}, {}, {}])
        assert r.stacks[0].n_slices == 2
        assert r.skipped[0].reason == f"{tag} {value:g} is not a usable number: the pixel values cannot be rescaled"

    def test_a_zero_rescale_slope_is_read_as_one_and_said(self, tmp_path: Path) -> None:
        """A helper's copy with RescaleSlope 0 was measured as if nothing were wrong: it is read as 1 (a
        slope of 0 makes every pixel the intercept) and the stack says so."""
        r = index_path_of(tmp_path, slope=1, intercept=0, per_slice=[{"RescaleSlope": 0}, {}, {}])
        (stack,) = r.stacks
        assert stack.n_slices == 3 and not r.skipped
        assert any(w.startswith("RescaleSlope 0 in 1 of 3 image(s), read as 1") for w in stack.warnings), stack.warnings
        (clean,) = index_path_of(tmp_path / "clean", slope=1, intercept=0).stacks
        assert not any("RescaleSlope" in w for w in clean.warnings)

    def test_nan_b_value_is_no_b_value(self, tmp_path: Path) -> None:
        (stack,) = index_path_of(tmp_path, modality="MR", extra={"DiffusionBValue": NAN}).stacks
        assert stack.b_value is None

    def test_bits_stored_above_bits_allocated_is_skipped(self, tmp_path: Path) -> None:
        r = index_path_of(tmp_path, per_slice=[{"BitsStored": 2000}, {}, {}])
        assert r.stacks[0].n_slices == 2
        assert r.skipped[0].reason == ("BitsStored 2000 is greater than BitsAllocated 16: the pixel module"
                                       " contradicts itself")

    @pytest.mark.parametrize("frames", ["0", "-3"])
    def test_impossible_number_of_frames_is_skipped(self, tmp_path: Path, frames: str) -> None:
        r = index_path_of(tmp_path, per_slice=[{0x00280008: ("IS", frames)}, {}, {}])
        assert r.stacks[0].n_slices == 2 and r.skipped[0].reason == f"NumberOfFrames {frames}: no image to display"

    def test_non_numeric_number_of_frames_is_one_frame(self, tmp_path: Path) -> None:
        r = index_path_of(tmp_path, per_slice=[{0x00280008: ("LO", "NaN")}, {}, {}])
        assert r.stacks[0].n_slices == 3 and r.skipped == ()


class TestFoundByFuzzing:
    def test_corrupt_deflate_stream_is_skipped(self, tmp_path: Path) -> None:
        from pydicom.uid import DeflatedExplicitVRLittleEndian
        path = write_series(tmp_path, np.zeros((1, 8, 8), np.int16), transfer_syntax=DeflatedExplicitVRLittleEndian)[0]
        data = bytearray(path.read_bytes())
        start = 132 + 12 + struct.unpack_from("<L", data, 140)[0]  # after the meta group (its length at 140)
        data[start:start + 8] = b"\xff" * 8
        path.write_bytes(bytes(data))
        (skipped,) = index_path(tmp_path, workers=1).skipped
        assert skipped.reason.startswith("deflated dataset is corrupt")

    def test_functional_groups_that_are_not_a_sequence(self, tmp_path: Path) -> None:
        from tests.dicomgen import write_enhanced_mr
        path = write_enhanced_mr(tmp_path / "mf.dcm", np.zeros((2, 8, 8), np.uint16))
        data = path.read_bytes()
        tag = b"\x00\x52\x30\x92SQ"
        assert data.count(tag) == 1
        path.write_bytes(data.replace(tag, b"\x00\x52\x30\x92UT"))
        (skipped,) = index_path(tmp_path, workers=1).skipped
        assert skipped.reason.startswith("PerFrameFunctionalGroupsSequence is not a sequence (VR UT)")


class TestMedia:
    def test_empty_dicomdir_says_so(self, tmp_path: Path) -> None:
        FileSet().write(tmp_path)
        r = index_path(tmp_path / "DICOMDIR", workers=1)
        assert r.stacks == () and r.skipped == ()
        (note,) = r.warnings
        assert "lists no files (an empty file set)" in note and "index its folder instead" in note

    @pytest.mark.parametrize("ids_from_dirfile", [False, True])
    def test_philips_disc_with_nested_dirfiles(self, tmp_path: Path, ids_from_dirfile: bool) -> None:
        r = index_path(write_philips_disc(tmp_path, n_series=2, n_slices=3, ids_from_dirfile=ids_from_dirfile),
                       workers=1)
        assert [(s.series_number, s.n_slices) for s in r.stacks] == [(1, 3), (2, 3)]
        assert r.skipped == () and r.warnings == ()

    @pytest.mark.filterwarnings("ignore:Invalid value for VR CS")
    def test_dicomdir_reference_outside_the_file_set_is_refused(self, tmp_path: Path) -> None:
        disc = write_philips_disc(tmp_path / "disc", n_series=1, n_slices=2)
        import pydicom
        ds = pydicom.dcmread(disc)
        ds.DirectoryRecordSequence[0].ReferencedFileID = ["..", "ELSEWHER"]
        ds.save_as(disc, enforce_file_format=True)
        r = index_path(disc, workers=1)
        assert r.stacks == () and "outside its file set" in r.skipped[0].reason

    def test_zip_bomb_archive_is_refused_without_reading_it(self, tmp_path: Path) -> None:
        bomb = write_zip_bomb(tmp_path / "bomb.zip", inflated_bytes=400 << 20)
        (skipped,) = index_path(bomb, workers=1).skipped
        assert skipped.reason.startswith("zip archive refused") and "decompression bomb" in skipped.reason

    def test_zip_bomb_member_is_refused_and_the_others_read(self, tmp_path: Path) -> None:
        good = write_series(tmp_path / "src", np.zeros((2, 8, 8), np.int16))
        extra = {f"ok/{p.name}": p.read_bytes() for p in good} | {"ok/padding.bin": np.random.default_rng(1).bytes(2 << 20)}
        bomb = write_zip_bomb(tmp_path / "mixed.zip", inflated_bytes=64 << 20, extra_members=extra)
        r = index_path(bomb, workers=1)
        assert r.stacks[0].n_slices == 2
        refused = [s for s in r.skipped if "bomb/IM0001.dcm" in s.path]
        assert len(refused) == 1 and "more than 100 times" in refused[0].reason

    def test_zip_with_too_many_members_is_refused(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        with zipfile.ZipFile(tmp_path / "many.zip", "w") as zf:
            for k in range(5):
                zf.writestr(f"f{k}", b"x")
        monkeypatch.setattr(sources, "ZIP_MAX_MEMBERS", 4)
        (skipped,) = index_path(tmp_path / "many.zip", workers=1).skipped
        assert "lists 5 members" in skipped.reason

    def test_deflate_bomb_is_refused(self, tmp_path: Path) -> None:
        write_deflate_bomb(tmp_path / "bomb.dcm", inflated_bytes=400 << 20)
        write_series(tmp_path / "ok", np.zeros((2, 8, 8), np.int16))
        r = index_path(tmp_path, workers=1)
        assert r.stacks[0].n_slices == 2
        assert "deflated dataset inflates to more than" in r.skipped[0].reason

    def test_header_longer_than_the_cap_is_refused(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        write_series(tmp_path, np.zeros((1, 8, 8), np.int16), extra={0x00091010: ("OB", bytes(300_000)),
                                                                     0x00090010: ("LO", "BIG")})
        from viewer.dicomio import headers
        monkeypatch.setattr(headers, "MAX_HEADER_BYTES", 128 * 1024)
        (skipped,) = index_path(tmp_path, workers=1).skipped
        assert skipped.reason.startswith("header longer than")


class TestTruncatedPixelData:
    """A native file cut short in its pixel data is set apart by the index, whatever its encoding: the
    little-endian walk did it, but a big-endian file or one without the 128-byte preamble (read by pydicom,
    pixel data deferred) passed, and its whole stack then failed to load with "cannot reshape array ...
    (install pylibjpeg ...)"."""

    @pytest.mark.parametrize("encoding", ["big endian", "no preamble"])
    def test_the_cut_file_is_skipped_and_its_stack_loads(self, tmp_path: Path, encoding: str) -> None:
        from pydicom.uid import ExplicitVRBigEndian

        from viewer.loader import load_stack
        syntax = ExplicitVRBigEndian if encoding == "big endian" else "1.2.840.10008.1.2.1"
        paths = write_series(tmp_path, np.arange(3 * 64, dtype=np.int16).reshape(3, 8, 8), positions=axial_positions(3, 2.0),
                             transfer_syntax=syntax)
        if encoding == "no preamble":
            for p in paths:
                p.write_bytes(p.read_bytes()[132:])
        paths[1].write_bytes(paths[1].read_bytes()[:-20])
        r = index_path(tmp_path, workers=1)
        (skipped,) = r.skipped
        assert skipped.path == str(paths[1]) and skipped.reason.startswith("truncated file: pixel data needs 128 bytes")
        (stack,) = r.stacks
        vol = load_stack(stack, workers=1)
        assert vol.complete and vol.array[1, 0, 0] == 128 and vol.geometry.slice_projections_mm.tolist() == [0.0, 4.0]


class TestSymlinkedFolders:
    """A disc or share laid out with symlinked series folders was indexed as if they were empty, nothing
    said (os.walk does not follow links to folders; links to files were followed). Links are followed now,
    each file is read once by its resolved path (a loop or a second way to one folder is not walked
    again), and the warnings say what was followed and what was not."""

    @staticmethod
    def _series(folder: Path, number: int) -> list[Path]:
        return write_series(folder, np.zeros((3, 8, 8), np.int16), series_number=number,
                            series_description=f"s{number}", positions=axial_positions(3))

    def test_linked_series_folders_are_indexed_and_said(self, tmp_path: Path) -> None:
        store, disc = tmp_path / "store", tmp_path / "disc"
        self._series(store / "a", 1)
        self._series(store / "b" / "deeper", 2)
        disc.mkdir()
        (disc / "S1").symlink_to(store / "a", target_is_directory=True)
        (disc / "S2").symlink_to(Path("..") / "store" / "b", target_is_directory=True)  # relative, as on a disc
        r = index_path(disc, workers=1)
        assert [(s.series_number, s.n_slices) for s in r.stacks] == [(1, 3), (2, 3)]
        assert r.skipped == ()
        files = sorted(str(img.file) for s in r.stacks for img in s.images)
        assert files == [str(disc / "S1" / f"IM{k:04d}.dcm") for k in range(3)] + [
            str(disc / "S2" / "deeper" / f"IM{k:04d}.dcm") for k in range(3)]  # the paths under the folder given
        (said,) = r.warnings
        assert said.startswith("2 symbolic link(s) to folders followed")
        assert f"{disc / 'S1'} -> {store / 'a'}" in said and f"{disc / 'S2'} -> {store / 'b'}" in said

    def test_links_to_an_ancestor_are_not_followed_and_each_file_is_read_once(self, tmp_path: Path) -> None:
        disc = tmp_path / "disc"
        self._series(disc / "ser", 1)
        (disc / "ser" / "up").symlink_to("..", target_is_directory=True)
        (disc / "self").symlink_to(".", target_is_directory=True)
        (disc / "top").symlink_to(tmp_path, target_is_directory=True)  # holds the disc itself
        (disc / "slash").symlink_to("/", target_is_directory=True)  # would read the whole machine
        refs, skipped, notes = collect_files(disc)
        assert sorted(r.path for r in refs) == [str(disc / "ser" / f"IM{k:04d}.dcm") for k in range(3)]
        assert skipped == []
        assert notes == ["4 symbolic link(s) to folders not followed, each to a folder that holds it (a loop): "
                         f"{disc / 'self'} -> {disc}; {disc / 'slash'} -> /; {disc / 'top'} -> {tmp_path};"
                         f" {disc / 'ser' / 'up'} -> {disc}"]
        r = index_path(disc, workers=1)
        assert [s.n_slices for s in r.stacks] == [3] and r.skipped == () and list(r.warnings) == notes

    def test_two_links_to_one_folder_read_it_once(self, tmp_path: Path) -> None:
        store, disc = tmp_path / "store", tmp_path / "disc"
        self._series(store / "ser", 1)
        disc.mkdir()
        for name in ("a", "b"):
            (disc / name).symlink_to(store / "ser", target_is_directory=True)
        refs, _skipped, notes = collect_files(disc)
        assert sorted(r.path for r in refs) == [str(disc / "a" / f"IM{k:04d}.dcm") for k in range(3)]
        assert notes[1] == (f"1 folder(s) not read again (each file is read once): {disc / 'b'}"
                            f" (the folder {store / 'ser'}, already read as {disc / 'a'})")

    def test_a_real_folder_wins_over_a_link_to_it(self, tmp_path: Path) -> None:
        """Real folders are walked before any link, so a file is named by its own path whatever the names."""
        disc = tmp_path / "disc"
        self._series(disc / "real", 1)
        (disc / "0alias").symlink_to("real", target_is_directory=True)
        (disc / "IM_link.dcm").symlink_to(Path("real") / "IM0001.dcm")  # a link to a file read anyway
        refs, skipped, notes = collect_files(disc)
        assert sorted(r.path for r in refs) == [str(disc / "real" / f"IM{k:04d}.dcm") for k in range(3)]
        assert skipped == []
        assert notes == [f"1 folder(s) not read again (each file is read once): {disc / '0alias'} (the folder"
                         f" {disc / 'real'}, already read)",
                         f"1 file(s) not read again (each file is read once): {disc / 'IM_link.dcm'} (the file"
                         f" {disc / 'real' / 'IM0001.dcm'}, already read)"]

    def test_two_hard_links_to_one_file_read_it_once(self, tmp_path: Path) -> None:
        """A disc copied with hard links (``cp -al``, a backup tool's snapshot): the file was read under both
        names and taken for a duplicate instance ("... is a copy of ...; counted once"), read twice."""
        disc = tmp_path / "disc"
        self._series(disc / "ser", 1)
        (disc / "again").mkdir()
        os.link(disc / "ser" / "IM0001.dcm", disc / "again" / "X.dcm")  # walked first: "again" < "ser"
        os.link(disc / "ser" / "IM0001.dcm", disc / "ser" / "Y.dcm")
        (disc / "Z_link.dcm").symlink_to(Path("ser") / "Y.dcm")  # a symbolic link to a third name
        refs, skipped, notes = collect_files(disc)
        assert sorted(r.path for r in refs) == [str(disc / "again" / "X.dcm")] + [
            str(disc / "ser" / f"IM{k:04d}.dcm") for k in (0, 2)]
        assert skipped == []
        assert notes == ["3 hard link(s) not read again, each the same file as a path read (each file is read once): "
                         f"{disc / 'ser' / 'IM0001.dcm'} (the same file as {disc / 'again' / 'X.dcm'}: hard links);"
                         f" {disc / 'ser' / 'Y.dcm'} (the same file as {disc / 'again' / 'X.dcm'}: hard links);"
                         f" {disc / 'Z_link.dcm'} (the same file as {disc / 'again' / 'X.dcm'}: hard links)"]
        r = index_path(disc, workers=1)
        assert [s.n_slices for s in r.stacks] == [3] and r.skipped == () and list(r.warnings) == notes

    def test_a_dangling_folder_link_is_skipped_with_its_reason(self, tmp_path: Path) -> None:
        self._series(tmp_path / "ser", 1)
        (tmp_path / "gone").symlink_to(tmp_path / "absent", target_is_directory=True)
        r = index_path(tmp_path, workers=1)
        assert [s.n_slices for s in r.stacks] == [3]
        assert [(s.path, s.reason) for s in r.skipped] == [
            (str(tmp_path / "gone"), "cannot be read (No such file or directory)")]


class TestDiffusionRoles:
    """Philips DTI (issue 9): b0 volumes with b1000 volumes in one series, TE 69 ms."""

    def _dti(self, folder: Path, description: str) -> IndexResult:
        pos = axial_positions(3, 4.0)
        per = [{0x20011003: ("FL", b), "AcquisitionNumber": a}
               for a, b in ((1, 0.0), (2, 0.0), (3, 1000.0), (4, 1000.0)) for _ in range(3)]
        write_series(folder, np.zeros((12, 8, 8), np.int16), modality="MR", positions=pos * 4, per_slice=per,
                     series_description=description,
                     extra={**PHILIPS_DD, "Manufacturer": "Philips Medical Systems", "EchoTime": 69,
                            "RepetitionTime": 5000, "ScanningSequence": "SE"})
        return index_path(folder, workers=1)

    def test_dti_b0_volumes_are_dwi_with_their_b_value(self, tmp_path: Path) -> None:
        r = self._dti(tmp_path, "DTI_high_iso")
        assert [(s.role, s.b_value) for s in r.stacks] == [(Role.MR_DWI, 0.0)] * 2 + [(Role.MR_DWI, 1000.0)] * 2
        assert "b0 (the low-b image" in r.stacks[0].role_reason

    def test_silent_description_b0_beside_b1000_is_dwi(self, tmp_path: Path) -> None:
        r = self._dti(tmp_path, "WIP sequence 7")
        assert [s.role for s in r.stacks] == [Role.MR_DWI] * 4
        assert "its series also holds b1000" in r.stacks[0].role_reason
        assert r.stacks[0].role_confidence <= 0.7

    def test_a_t2_series_alone_stays_t2(self, tmp_path: Path) -> None:
        write_series(tmp_path, np.zeros((3, 8, 8), np.int16), modality="MR", series_description="WIP sequence 7",
                     extra={"EchoTime": 69, "RepetitionTime": 5000, "ScanningSequence": "SE"})
        assert index_path(tmp_path, workers=1).stacks[0].role is Role.MR_T2


def test_strict_json_of_everything(tmp_path: Path) -> None:
    """Every float of the index JSON is finite (NaN thickness, NaN spacing, bad geometry together)."""
    write_series(tmp_path / "a", np.zeros((2, 8, 8), np.int16), slice_thickness_mm=NAN, pixel_spacing=(NAN, INF))
    write_series(tmp_path / "b", np.zeros((1, 8, 8), np.int16), iop=(NAN,) * 6, series_number=2)
    out = json.loads(json.dumps(index_path(tmp_path, workers=1).to_json(), allow_nan=False))

    def floats(v: object) -> list[float]:
        if isinstance(v, float):
            return [v]
        if isinstance(v, dict):
            return [f for x in v.values() for f in floats(x)]
        if isinstance(v, list):
            return [f for x in v for f in floats(x)]
        return []
    assert all(math.isfinite(f) for f in floats(out))
