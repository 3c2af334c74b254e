"""A compressed file cut short (encapsulated pixel data whose fragments run past the end of the file) is
set aside by the index with its reason, as a cut native file is, and the rest of its stack loads.

Before, the index passed it and the whole stack failed at load ("an item of ... bytes runs past the end
of the file"). The files are three slices of the sample CT portal series (JPEG 2000), decoded by pydicom
and written again by dcmtk as JPEG lossless, RLE and JPEG-LS, then cut.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import RLELossless

from tests.dicomgen import write_enhanced_mr
from viewer.index import index_path
from viewer.loader import load_stack

SAMPLE_SERIES = Path(__file__).resolve().parents[2] / "sample_dicom" / "LLSYN001" / "20230314_CT" / "004_Portale_5_0_B30f"
SLICES = ("IM0010.dcm", "IM0011.dcm", "IM0012.dcm")
#: The syntaxes and the dcmtk tool writing each from the native files (None: the sample's own JPEG 2000).
TOOLS = {"jpeg2000": None, "jpeg": "dcmcjpeg", "rle": "dcmcrle", "jpegls": "dcmcjpls"}
DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


@pytest.fixture(scope="module")
def compressed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A folder of the three slices per syntax."""
    root = tmp_path_factory.mktemp("compressed")
    native = root / "native"
    native.mkdir()
    for name in SLICES:
        ds = pydicom.dcmread(SAMPLE_SERIES / name)
        ds.decompress()
        ds.save_as(native / name, enforce_file_format=True)
    out = {}
    for kind, tool in TOOLS.items():
        folder = out[kind] = root / kind
        folder.mkdir()
        for name in SLICES:
            if tool is None:
                shutil.copy(SAMPLE_SERIES / name, folder / name)
                continue
            if shutil.which(tool) is None:
                pytest.skip(f"{tool} is not installed (apt-get install dcmtk)")
            subprocess.run([tool, str(native / name), str(folder / name)], check=True, capture_output=True, timeout=60)
    return out


def _copy(compressed: dict[str, Path], kind: str, to: Path, *, preamble: bool = True) -> list[Path]:
    paths = []
    for name in SLICES:
        data = (compressed[kind] / name).read_bytes()
        assert data.endswith(DELIMITER)  # one fragment per frame, the sequence delimiter last
        (to / name).write_bytes(data if preamble else data[132:])
        paths.append(to / name)
    return paths


def _fragment_header(data: bytes) -> int:
    """Offset of the (only) fragment item's header: after the pixel data element and the offset table item."""
    pixel = data.rindex(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff")
    table = pixel + 12
    assert data[table:table + 4] == b"\xfe\xff\x00\xe0"
    return table + 8 + struct.unpack_from("<L", data, table + 4)[0]


#: Where the middle file is cut: bytes kept, from its bytes.
CUTS = {
    "half": lambda d: len(d) // 2,  # within the header's first read (32 KiB)
    "the fragment's last byte": lambda d: len(d) - 9,  # past it: the end of the item is read from the file
    "inside the fragment's item header": lambda d: _fragment_header(d) + 4,
    # Exactly at the item header: whole items, no fragment for the frame (the index passed it, the load failed
    # "encapsulated pixel data holds no fragment"); and just after it (header whole, none of its value).
    "before the fragment's item header": _fragment_header,
    "after the fragment's item header": lambda d: _fragment_header(d) + 8,
}


@pytest.mark.parametrize("cut", list(CUTS))
@pytest.mark.parametrize("kind", list(TOOLS))
def test_the_cut_file_is_set_aside_and_its_stack_loads(compressed: dict[str, Path], tmp_path: Path, kind: str,
                                                        cut: str) -> None:
    paths = _copy(compressed, kind, tmp_path)
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[:CUTS[cut](data)])
    r = index_path(tmp_path, workers=1)
    (skipped,) = r.skipped
    assert skipped.path == str(paths[1])
    assert skipped.reason.startswith("truncated file: ") and "encapsulated pixel data" in skipped.reason
    (stack,) = r.stacks
    assert stack.n_slices == 2
    vol = load_stack(stack, workers=1)
    assert vol.complete and vol.array.shape == (2, 512, 512)


@pytest.mark.filterwarnings("ignore:End of file reached before delimiter")  # pydicom's, on the cut file
@pytest.mark.parametrize("kind", list(TOOLS))
def test_without_the_preamble_too(compressed: dict[str, Path], tmp_path: Path, kind: str) -> None:
    """A file without the 128-byte preamble is read by pydicom: its cut pixel data is caught there."""
    paths = _copy(compressed, kind, tmp_path, preamble=False)
    paths[1].write_bytes(paths[1].read_bytes()[:-100])
    r = index_path(tmp_path, workers=1)
    (skipped,) = r.skipped
    assert skipped.path == str(paths[1]) and skipped.reason.startswith("truncated file: ")
    assert [s.n_slices for s in r.stacks] == [2]


@pytest.mark.parametrize("kept", [0, 4])
def test_a_cut_in_the_sequence_delimiter_loses_no_pixel_and_is_read(compressed: dict[str, Path], tmp_path: Path,
                                                                    kept: int) -> None:
    """Only the fragments are checked: a file ending in or before its delimiter holds every pixel, and loads."""
    paths = _copy(compressed, "jpeg2000", tmp_path)
    paths[1].write_bytes(paths[1].read_bytes()[:-8 + kept])
    r = index_path(tmp_path, workers=1)
    assert r.skipped == ()
    (stack,) = r.stacks
    assert load_stack(stack, workers=1).complete and stack.n_slices == 3


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_in_a_zip_too(compressed: dict[str, Path], tmp_path: Path, compression: int) -> None:
    paths = _copy(compressed, "jpegls", tmp_path)
    paths[1].write_bytes(paths[1].read_bytes()[:-9])
    with zipfile.ZipFile(tmp_path / "disc.zip", "w", compression=compression) as zf:
        for p in paths:
            zf.write(p, f"series/{p.name}")
    r = index_path(tmp_path / "disc.zip", workers=1)
    (skipped,) = r.skipped
    assert skipped.path == f"{tmp_path / 'disc.zip'}::series/IM0011.dcm" and skipped.reason.startswith("truncated file: ")
    (stack,) = r.stacks
    assert load_stack(stack, workers=1).complete and stack.n_slices == 2


@pytest.mark.parametrize("source", ["folder", "deflated zip"])
def test_an_enhanced_file_cut_in_its_last_frame_is_set_aside(tmp_path: Path, source: str) -> None:
    """Multi-frame RLE, one fragment per frame (~30 KB each: the item headers past the header's first read
    are read from the file, or from the zip member)."""
    frames = np.random.default_rng(3).integers(0, 4096, (4, 128, 128), dtype=np.uint16)
    good = write_enhanced_mr(tmp_path / "good.dcm", frames, transfer_syntax=RLELossless)
    assert good.stat().st_size > 4 * 32 * 1024
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(good.read_bytes()[:-20])
    where = tmp_path
    if source == "deflated zip":
        with zipfile.ZipFile(tmp_path / "mf.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(good, "good.dcm")
            zf.write(cut, "cut.dcm")
        good.unlink()
        cut.unlink()
        where = tmp_path / "mf.zip"
    r = index_path(where, workers=1)
    (skipped,) = r.skipped
    assert skipped.path.endswith("cut.dcm") and skipped.reason.startswith("truncated file: ")
    assert "fragment 4 of the encapsulated pixel data" in skipped.reason
    (stack,) = r.stacks
    assert stack.n_slices == 4


@pytest.mark.parametrize("at", [0, 8])
def test_an_enhanced_file_cut_at_an_item_header_is_set_aside(tmp_path: Path, at: int) -> None:
    """Cut exactly at (0) or just after (8) the last frame's item header: the items left are whole, but three
    fragments cannot hold four frames. Past the header's first read: the index took the file's last 8 bytes
    for the delimiter unread, or saw whole items and no delimiter, and the stack failed at load."""
    frames = np.random.default_rng(4).integers(0, 4096, (4, 128, 128), dtype=np.uint16)
    good = write_enhanced_mr(tmp_path / "good.dcm", frames, transfer_syntax=RLELossless)
    data = good.read_bytes()
    last = _item_starts(data)[-1]
    assert last > 32 * 1024
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:last + at])
    r = index_path(tmp_path, workers=1)
    (skipped,) = r.skipped
    assert skipped.path == str(cut)
    assert skipped.reason == ("truncated file: it ends before the item of fragment 4 of the encapsulated pixel data:"
                              " 3 fragments for 4 frames" if at == 0 else
                              "truncated file: fragment 4 of the encapsulated pixel data needs"
                              f" {struct.unpack_from('<L', data, last + 4)[0]} bytes, the file ends 0 bytes after its start")
    (stack,) = r.stacks
    assert stack.n_slices == 4 and load_stack(stack, workers=1).complete


def test_the_offset_table_says_a_frame_is_missing(tmp_path: Path) -> None:
    """Two fragments per frame: a file cut at the last frame's first item holds more fragments than frames, but
    the Basic Offset Table starts the last frame where the file ends."""
    frames = np.random.default_rng(5).integers(0, 4096, (4, 128, 128), dtype=np.uint16)
    good = write_enhanced_mr(tmp_path / "good.dcm", frames, transfer_syntax=RLELossless)
    ds = pydicom.dcmread(good)
    ds.PixelData = encapsulate(list(generate_frames(ds.PixelData, number_of_frames=4)), fragments_per_frame=2)
    ds.save_as(good)
    data = good.read_bytes()
    starts = _item_starts(data)
    assert len(starts) == 1 + 8
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:starts[-2]])
    r = index_path(tmp_path, workers=1)
    (skipped,) = r.skipped
    assert skipped.path == str(cut) and skipped.reason.startswith(
        "truncated file: it ends before the item of the last frame's first fragment of the encapsulated pixel data")
    (stack,) = r.stacks
    assert stack.n_slices == 4 and load_stack(stack, workers=1).complete


def _item_starts(data: bytes) -> list[int]:
    """Offsets of the encapsulated pixel data's items (the offset table's first)."""
    pos = data.rindex(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff") + 12
    out = []
    while data[pos:pos + 4] == b"\xfe\xff\x00\xe0":
        out.append(pos)
        pos += 8 + struct.unpack_from("<L", data, pos + 4)[0]
    return out


def test_the_reason_says_what_is_missing(compressed: dict[str, Path], tmp_path: Path) -> None:
    paths = _copy(compressed, "rle", tmp_path)
    data = paths[1].read_bytes()
    start = _fragment_header(data) + 8
    length = struct.unpack_from("<L", data, start - 4)[0]
    paths[1].write_bytes(data[:start + 1000])
    (skipped,) = index_path(tmp_path, workers=1).skipped
    assert skipped.reason == (f"truncated file: fragment 1 of the encapsulated pixel data needs {length} bytes,"
                              " the file ends 1000 bytes after its start")
