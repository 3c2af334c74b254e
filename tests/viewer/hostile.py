"""Hostile DICOM inputs for tests and benchmarks: memory bombs, bad geometry, odd media.

* :func:`write_rle_bomb`: a few KB of RLE Lossless declaring 65535 x 65535 16-bit pixels (8 GiB).
* :func:`write_zip_bomb`: a ~2.6 MB zip whose one member, a DICOM file with a private element of
  zeros, inflates to ~2.6 GB (written by hand: the deflate stream of zeros is repeated after a
  full flush, and the CRC is computed without materialising the zeros).
* :func:`write_philips_disc`: a disc whose root DICOMDIR references nested ``DIRFILE`` directory
  files that list the images (the Philips layout).
* :func:`run_measured`: run Python code in a fresh subprocess and return its output and peak RSS.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.fileset import FileSet
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, RLELossless, generate_uid

from tests.dicomgen import uid, write_series

ROOT = Path(__file__).resolve().parents[2]


def _ct(rows: int, cols: int, syntax: str, seed: str) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = uid(f"{seed}/sop")
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientID, ds.PatientName = "CT", "HOSTILE", "HOSTILE^FILE"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = uid(f"{seed}/study"), uid(f"{seed}/series")
    ds.FrameOfReferenceUID, ds.SeriesNumber, ds.InstanceNumber = uid(f"{seed}/for"), 1, 1
    ds.SeriesDescription = "hostile"
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [0, 0, 0]
    ds.PixelSpacing = [1, 1]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    return ds


def rle_frame(segment_bytes: int, n_segments: int = 2) -> bytes:
    """An RLE frame of ``n_segments`` segments of replicate runs (128 zeros per 2 bytes)."""
    seg = b"\x81\x00" * (segment_bytes // 2)
    offsets = [64 + k * len(seg) for k in range(n_segments)]
    header = struct.pack("<16L", n_segments, *offsets, *([0] * (15 - n_segments)))
    return header + seg * n_segments


def write_rle_bomb(path: Path, rows: int = 65535, cols: int = 65535, segment_bytes: int = 3400) -> Path:
    """A small RLE file whose header declares ``rows x cols`` 16-bit pixels."""
    ds = _ct(rows, cols, RLELossless, "rle-bomb")
    ds.PixelData = encapsulate([rle_frame(segment_bytes)])
    ds["PixelData"].VR = "OB"
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def _apply(mat: list[int], vec: int) -> int:
    out, k = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[k]
        vec >>= 1
        k += 1
    return out


def crc32_after_zeros(value: int, n: int) -> int:
    """``zlib.crc32(bytes(n), value)`` without the bytes: the zero-byte step is linear (GF(2))."""
    op = [0xEDB88320] + [1 << k for k in range(31)]  # one zero bit on the reflected register
    for _ in range(3):
        op = [_apply(op, op[k]) for k in range(32)]  # 2, 4, 8 bits: one zero byte
    reg = ~value & 0xFFFFFFFF
    while n:
        if n & 1:
            reg = _apply(op, reg)
        n >>= 1
        if n:
            op = [_apply(op, op[k]) for k in range(32)]
    return ~reg & 0xFFFFFFFF


def _dicom_with_zeros_prefix(zeros: int) -> bytes:
    """A DICOM file's bytes up to a private OB element whose value is ``zeros`` zero bytes (not included)."""
    import io
    ds = _ct(8, 8, ExplicitVRLittleEndian, "zip-bomb")
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    creator = struct.pack("<HH2sH", 0x0009, 0x0010, b"LO", 8) + b"HOSTILE "
    blob = struct.pack("<HH2sHL", 0x0009, 0x1010, b"OB", 0, zeros)
    return buf.getvalue() + creator + blob


def deflate_with_zeros(head: bytes, n_chunks: int, chunk: int = 1 << 20) -> bytes:
    """Raw deflate of ``head`` + ``n_chunks * chunk`` zero bytes, made without materialising the zeros:
    after a full flush the compressed form of a chunk of zeros is always the same bytes."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(bytes(chunk)) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(bytes(chunk)) + comp.flush(zlib.Z_FULL_FLUSH)
    assert block == again, "a full flush must make the deflate output of each chunk identical"
    return first + block * n_chunks + b"\x03\x00"  # final empty fixed-Huffman block


def write_zip_bomb(path: Path, inflated_bytes: int = 2_600_000_000, member: str = "bomb/IM0001.dcm",
                   extra_members: dict[str, bytes] | None = None) -> Path:
    """A zip archive of ~inflated/1000 bytes whose member ``member`` inflates to ``inflated_bytes``
    (``extra_members`` are stored uncompressed after it)."""
    chunk = 1 << 20
    n_chunks = inflated_bytes // chunk
    zeros = n_chunks * chunk
    head = _dicom_with_zeros_prefix(zeros)
    data = deflate_with_zeros(head, n_chunks, chunk)
    crc = crc32_after_zeros(zlib.crc32(head), zeros)
    size = len(head) + zeros
    name = member.encode()
    local = struct.pack("<4sHHHHHLLLHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(name), 0)
    central = struct.pack("<4sHHHHHHLLLHHHHHLL", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                          len(name), 0, 0, 0, 0, 0, 0)
    cd_offset = len(local) + len(name) + len(data)
    end = struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), cd_offset, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(local + name + data + central + name + end)
    if extra_members:
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as zf:
            for arcname, payload in extra_members.items():
                zf.writestr(arcname, payload)
    return path


def write_deflate_bomb(path: Path, inflated_bytes: int = 2_600_000_000) -> Path:
    """A Deflated Explicit VR Little Endian file (PS3.5 A.5) of a few MB whose dataset, a private
    element of zeros, inflates to ``inflated_bytes``."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset, write_file_meta_info
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    chunk = 1 << 20
    n_chunks = inflated_bytes // chunk
    ds = _ct(8, 8, DeflatedExplicitVRLittleEndian, "deflate-bomb")
    body = DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    write_dataset(body, ds)
    creator = struct.pack("<HH2sH", 0x0009, 0x0010, b"LO", 8) + b"HOSTILE "
    blob = struct.pack("<HH2sHL", 0x0009, 0x1010, b"OB", 0, n_chunks * chunk)
    meta = DicomBytesIO()
    meta.is_little_endian, meta.is_implicit_VR = True, False
    write_file_meta_info(meta, ds.file_meta, enforce_standard=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * 128 + b"DICM" + meta.getvalue()
                     + deflate_with_zeros(body.getvalue() + creator + blob, n_chunks, chunk))
    return path


def write_philips_disc(root: Path, n_series: int = 2, n_slices: int = 3, ids_from_dirfile: bool = False) -> Path:
    """A disc whose root DICOMDIR references a nested ``DIRFILE`` in the study folder; the images are
    listed only in the DIRFILE, their IDs relative to the file-set root (or, with ``ids_from_dirfile``,
    to the DIRFILE's folder). Returns the root DICOMDIR."""
    study = root / "DICOM" / "ST000000"
    nested = FileSet()
    for s in range(n_series):
        for p in write_series(study / f"SE{s:06d}", np.full((n_slices, 8, 8), s, np.int16),
                              series_number=s + 1, series_description=f"series {s + 1}",
                              file_names=[f"IM{k:06d}" for k in range(n_slices)], seed="philips",
                              extra={"StudyID": "1"}):
            nested.add(pydicom.dcmread(p))
    staging = root / "_staging"
    nested.write(staging)
    dirfile = study / "DIRFILE"
    ds = pydicom.dcmread(staging / "DICOMDIR")
    # FileSet wrote the images again under staging/PT000000/...: point the records at the originals
    originals = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID: p
                 for p in study.rglob("IM*")}
    for record in ds.DirectoryRecordSequence:
        if "ReferencedSOPInstanceUIDInFile" in record:
            rel = originals[record.ReferencedSOPInstanceUIDInFile].relative_to(study if ids_from_dirfile else root)
            record.ReferencedFileID = list(rel.parts)
    ds.save_as(dirfile, enforce_file_format=True)
    _rmtree(staging)
    top = FileSet()
    top.write(root)  # an empty root DICOMDIR ...
    top_ds = pydicom.dcmread(root / "DICOMDIR")
    record = Dataset()  # ... given one private record pointing at the nested directory file
    record.OffsetOfTheNextDirectoryRecord = 0
    record.RecordInUseFlag = 0xFFFF
    record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    record.DirectoryRecordType = "PRIVATE"
    record.PrivateRecordUID = generate_uid(entropy_srcs=["philips-dirfile"])
    record.ReferencedFileID = ["DICOM", "ST000000", "DIRFILE"]
    top_ds.DirectoryRecordSequence = [record]
    top_ds.save_as(root / "DICOMDIR", enforce_file_format=True)
    return root / "DICOMDIR"


def _rmtree(path: Path) -> None:
    import shutil
    shutil.rmtree(path, ignore_errors=True)


def peak_rss_bytes() -> int:
    """This process's peak resident memory: VmHWM of /proc/self/status (the high-water mark of this
    program's own memory map), else ru_maxrss. ru_maxrss is not used first because Linux carries
    over the parent's RSS at fork+exec, which would credit the child with the parent's memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_measured(code: str, env: dict[str, str] | None = None, timeout: float = 120,
                 address_space_bytes: int | None = None) -> tuple[Any, int]:
    """Run ``code`` (which prints one JSON object last) in a fresh Python; return (that object, peak RSS bytes).

    ``address_space_bytes`` caps the child's virtual memory (RLIMIT_AS) so that a regression fails
    with MemoryError instead of taking the shared machine's memory.
    """
    wrapper = (
        "import resource, json, sys\n"
        + (f"resource.setrlimit(resource.RLIMIT_AS, ({address_space_bytes}, {address_space_bytes}))\n"
           if address_space_bytes else "")
        + code
        + "\nfrom tests.viewer.hostile import peak_rss_bytes\nprint('PEAK_RSS', peak_rss_bytes())\n"
    )
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run([sys.executable, "-c", wrapper], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    if proc.returncode != 0:
        raise AssertionError(f"child failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    lines = proc.stdout.strip().splitlines()
    peak = int(lines[-1].split()[1])
    return json.loads(lines[-2]), peak


def patch_codestream_size(path: Path, rows: int, cols: int) -> Path:
    """Rewrite the image size inside the (first) JPEG SOFn / JPEG-LS SOF55 / JPEG 2000 SIZ of a
    single-frame file, leaving the DICOM header alone: the codestream now lies about its size."""
    data = bytearray(path.read_bytes())
    j2k = data.find(b"\xff\x4f\xff\x51")
    if j2k >= 0:  # Xsiz, Ysiz, then (after XOsiz, YOsiz) XTsiz, YTsiz: one tile of the new size
        struct.pack_into(">LL", data, j2k + 8, cols, rows)
        struct.pack_into(">LL", data, j2k + 24, cols, rows)
    else:
        soi = data.find(b"\xff\xd8\xff")
        pos = soi + 2
        while data[pos] == 0xFF and data[pos + 1] not in (0xC0, 0xC1, 0xC2, 0xC3, 0xF7):
            pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
        struct.pack_into(">HH", data, pos + 5, rows, cols)
    path.write_bytes(bytes(data))
    return path


#: The child's code: index each path, load every stack, print what happened as JSON.
_INDEX_AND_LOAD = '''
import json, time
from viewer.index import index_path
from viewer.loader import check_load
out = []
for path in {paths!r}:
    t = time.perf_counter()
    result = index_path(path, workers=1)
    loads = [check_load(s, workers=1) for s in result.stacks]
    out.append({{"stacks": len(result.stacks), "skipped": [s.reason for s in result.skipped],
                "loads": [[c.status.value, c.reason] for c in loads], "seconds": time.perf_counter() - t}})
print(json.dumps(out))
'''
_IMPORTS_ONLY = '''
import json
import viewer.index, viewer.loader, viewer.dicomio.pixels, pydicom.pixels
print(json.dumps({}))
'''


def write_j2k_lie(folder: Path, rows: int = 65535, cols: int = 65535) -> Path:
    """A 32 x 32 JPEG 2000 file whose codestream SIZ declares ``cols x rows``."""
    from tests.dicomgen import JPEG2000Lossless
    path = write_series(folder, np.full((1, 32, 32), 7, np.uint16), transfer_syntax=JPEG2000Lossless)[0]
    return patch_codestream_size(path, rows, cols)


def write_10mb_series(folder: Path) -> Path:
    """A genuine 10 MiB CT series: 20 slices of 512 x 512 int16."""
    stored = (np.arange(20 * 512 * 512) % 2000).astype(np.int16).reshape(20, 512, 512)
    write_series(folder, stored, slope=1, intercept=-1024)
    return folder


def memory_cases(tmp: Path) -> dict[str, Path]:
    """The hostile inputs of issue 9 and a genuine 10 MiB input, written under ``tmp``."""
    return {
        "rle_bomb_65535x65535": write_rle_bomb(tmp / "rle" / "IM0.dcm").parent,
        "j2k_siz_65535x65535": write_j2k_lie(tmp / "j2k").parent,
        "zip_bomb_2.6GB": write_zip_bomb(tmp / "bomb.zip"),
        "deflate_bomb_2.6GB": write_deflate_bomb(tmp / "deflate" / "IM0.dcm").parent,
        "genuine_10MiB": write_10mb_series(tmp / "ten"),
    }


def measure(*paths: Path, env: dict[str, str] | None = None,
            address_space_bytes: int | None = 4 << 30) -> tuple[list[dict[str, Any]], int]:
    """Index and load each of ``paths`` in one fresh process: (what happened to each, peak RSS in bytes)."""
    out, peak = run_measured(_INDEX_AND_LOAD.format(paths=[str(p) for p in paths]), env=env,
                             address_space_bytes=address_space_bytes)
    return out, peak  # type: ignore[return-value]


def baseline_rss() -> int:
    """Peak RSS of a fresh process that only imports the index and loader modules (bytes)."""
    return run_measured(_IMPORTS_ONLY)[1]
