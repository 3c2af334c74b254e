"""Where DICOM bytes come from: plain files, zip members (read in memory), DICOMDIR listings.

A zip member is never extracted to disk: its bytes are read through :mod:`zipfile`, which
inflates only as far as asked. Open archives are cached per process (the indexer's workers
read many members of one archive).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from pydicom import dcmread

from viewer.records import FileRef

_ZIP_CACHE: dict[str, zipfile.ZipFile] = {}
_ZIP_CACHE_MAX = 8
ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"


def _zip(path: str) -> zipfile.ZipFile:
    zf = _ZIP_CACHE.get(path)
    if zf is None:
        if len(_ZIP_CACHE) >= _ZIP_CACHE_MAX:
            _ZIP_CACHE.pop(next(iter(_ZIP_CACHE))).close()
        zf = _ZIP_CACHE[path] = zipfile.ZipFile(path)
    return zf


def size_of(ref: FileRef) -> int:
    """Size in bytes of the file or of the (uncompressed) zip member."""
    if ref.member is None:
        return os.stat(ref.path).st_size
    return _zip(ref.path).getinfo(ref.member).file_size


def read_prefix(ref: FileRef, n: int | None) -> bytes:
    """The first ``n`` bytes (all of them when ``n`` is None) of a file or zip member."""
    if ref.member is None:
        with open(ref.path, "rb", buffering=0) as fh:
            return fh.read() if n is None else fh.read(n)
    with _zip(ref.path).open(ref.member) as fh:
        return fh.read() if n is None else fh.read(n)


def is_zip(path: str | Path) -> bool:
    """True for a zip archive (by its first bytes, whatever its name)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ZIP_MAGIC
    except OSError:
        return False


def zip_members(path: str | Path) -> list[FileRef]:
    """The file members of a zip archive, in archive order (folders left out)."""
    with zipfile.ZipFile(path) as zf:
        return [FileRef(str(path), info.filename) for info in zf.infolist() if not info.is_dir()]


def is_dicomdir(path: str | Path) -> bool:
    """True for a DICOMDIR file (Media Storage Directory SOP class in its file meta)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return head[128:132] == b"DICM" and b"1.2.840.10008.1.3.10" in head


def dicomdir_files(path: str | Path) -> tuple[list[FileRef], list[tuple[str, str]]]:
    """Files a DICOMDIR references, and (path, reason) for referenced files that are missing.

    Raises OSError or a pydicom error when the DICOMDIR itself cannot be read.
    """
    root = Path(path).parent
    ds = dcmread(str(path), force=True)
    found: list[FileRef] = []
    missing: list[tuple[str, str]] = []
    seen: set[str] = set()
    for record in ds.get("DirectoryRecordSequence", []):
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        parts = [str(p) for p in file_id] if not isinstance(file_id, str) else file_id.split("\\")
        target = root.joinpath(*parts)
        if not target.exists():  # media written on case-insensitive systems
            target = _case_insensitive(root, parts) or target
        key = str(target)
        if key in seen:
            continue
        seen.add(key)
        if target.is_file():
            found.append(FileRef(key))
        else:
            missing.append((key, f"listed in DICOMDIR {path} but missing on disk"))
    return found, missing


def _case_insensitive(root: Path, parts: list[str]) -> Path | None:
    cur = root
    for part in parts:
        try:
            match = next((c for c in cur.iterdir() if c.name.upper() == part.upper()), None)
        except OSError:
            return None
        if match is None:
            return None
        cur = match
    return cur


def clear_cache() -> None:
    """Forget open archives (a forked worker must not share its parent's file offsets)."""
    _ZIP_CACHE.clear()
