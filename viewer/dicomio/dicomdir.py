"""The files a DICOMDIR file set references (PS3.10 8, PS3.3 F.3), nested directories included.

Each directory record's ReferencedFileID (0004,1500) names a file by its path components below
the file-set root (the folder holding the DICOMDIR). Some media (Philips discs among them) put a
second-level directory file, often named ``DIRFILE``, below the root and reference it from the
root DICOMDIR: such a referenced file, itself of the Media Storage Directory SOP class, is read
in turn (its references resolved against its own folder, then the root), to
:data:`MAX_DEPTH` levels and at most :data:`MAX_DIRECTORIES` files, each read once. A reference
that leaves the file set (``..``, absolute) is refused; a referenced file that is missing is
reported with the directory that lists it. Names are matched as the medium has them: in any case, and with
the ISO 9660 version suffix (``;1``) a disc read without name mapping shows.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydicom import dcmread

from viewer.dicomio.sopclasses import MEDIA_STORAGE_DIRECTORY
from viewer.dicomio.sources import MAX_HEADER_BYTES
from viewer.records import FileRef
from viewer.tempfiles import is_temporary

#: Nested directory files are followed this deep below the root DICOMDIR.
MAX_DEPTH = 8
#: At most this many directory files are read for one file set.
MAX_DIRECTORIES = 10_000


def is_dicomdir(path: str | Path) -> bool:
    """True for a DICOMDIR file (Media Storage Directory SOP class in its file meta)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return head[128:132] == b"DICM" and MEDIA_STORAGE_DIRECTORY.encode() in head


def _components(file_id: object) -> list[str]:
    if isinstance(file_id, str):
        return [p for p in file_id.split("\\") if p]
    return [str(p) for p in file_id]  # type: ignore[attr-defined]


_VERSION = re.compile(r"\.?(;\d+)?$")


def iso9660_name(name: str) -> str:
    """A name as a DICOMDIR's ReferencedFileID gives it: upper case, without the ISO 9660 version (``IM000001;1``)
    nor the dot of an empty extension (``IM000001.``, ``IM000001.;1``) that a disc read without the Linux iso9660
    driver's name mapping (``mount -o map=off``, a copy by some burning tools) shows."""
    return _VERSION.sub("", name).upper()


def _case_insensitive(root: Path, parts: list[str]) -> Path | None:
    cur = root
    for part in parts:
        try:
            match = next((c for c in cur.iterdir() if c.name.upper() == part.upper()), None)
            if match is None:  # the disc's own names: IM000001;1 for IM000001
                match = next((c for c in cur.iterdir() if iso9660_name(c.name) == iso9660_name(part)), None)
        except OSError:
            return None
        if match is None:
            return None
        cur = match
    return cur


def _resolve(parts: list[str], bases: list[Path]) -> Path:
    """The referenced file under the first base that has it (case-insensitive media too)."""
    for base in bases:
        target = base.joinpath(*parts)
        if target.exists():
            return target
    for base in bases:
        found = _case_insensitive(base, parts)
        if found is not None:
            return found
    return bases[0].joinpath(*parts)


def dicomdir_files(path: str | Path) -> tuple[list[FileRef], list[tuple[str, str]]]:
    """Files a DICOMDIR references (through nested directory files too), and (path, reason) for
    references that cannot be followed (missing, outside the file set, unreadable nested directory).

    Raises OSError or a pydicom error when the DICOMDIR itself cannot be read.
    """
    top = Path(path)
    root = top.parent
    found: list[FileRef] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    pending: list[tuple[Path, int]] = [(top, 0)]
    done_dirs = {str(top.resolve())}
    while pending:
        directory, depth = pending.pop(0)
        try:
            if directory.stat().st_size > MAX_HEADER_BYTES:
                raise ValueError(f"directory file larger than {MAX_HEADER_BYTES >> 20} MiB: not read")
            ds = dcmread(str(directory), force=True)
        except Exception as exc:
            if depth == 0:
                raise
            problems.append((str(directory), f"nested DICOMDIR cannot be read ({type(exc).__name__}: {exc})"))
            continue
        bases = [directory.parent] if directory.parent == root else [directory.parent, root]
        for record in ds.get("DirectoryRecordSequence", []):
            file_id = record.get("ReferencedFileID")
            if not file_id:
                continue
            parts = _components(file_id)
            if not parts or any(p in ("..", ".") or "/" in p or Path(p).is_absolute() for p in parts):
                problems.append(("\\".join(parts), f"listed in DICOMDIR {directory} but outside its file set:"
                                                   " not read"))
                continue
            target = _resolve(parts, bases)
            key = str(target)
            if key in seen:
                continue
            seen.add(key)
            if not target.is_file():
                problems.append((key, f"listed in DICOMDIR {directory} but missing on disk"))
            elif is_dicomdir(target):
                real = str(target.resolve())
                if real in done_dirs:
                    continue
                if depth + 1 > MAX_DEPTH or len(done_dirs) >= MAX_DIRECTORIES:
                    problems.append((key, f"nested DICOMDIR deeper than {MAX_DEPTH} levels or beyond"
                                          f" {MAX_DIRECTORIES} directories: not followed"))
                    continue
                done_dirs.add(real)
                pending.append((target, depth + 1))
            else:
                found.append(FileRef(key))
    return found, problems


#: At most this many files are named as not listed by a DICOMDIR (the note gives the count of those named).
MAX_UNLISTED = 1_000


def unlisted_files(top: str | Path, listed: list[FileRef], problems: list[tuple[str, str]]) -> list[str]:
    """Files lying in the folders of a DICOMDIR's listed files (and of its missing ones) that no directory record
    lists: a disc burnt with a slice the DICOMDIR lost, or files copied onto it afterwards. They are not read (the
    file set is what the DICOMDIR lists), and named, so that the reader knows to open the disc's folder instead.
    The DICOMDIR's own folder is looked at only when it holds listed files (a disc's root holds its viewer)."""
    known = {str(Path(r.path)) for r in listed} | {p for p, _ in problems}
    folders = sorted({str(Path(p).parent) for p in known})
    out: list[str] = []
    for folder in folders:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if len(out) >= MAX_UNLISTED:
                return out
            try:
                if not entry.is_file(follow_symlinks=True) or entry.path in known or is_temporary(entry.name):
                    continue
            except OSError:
                continue
            if iso9660_name(entry.name) == "DICOMDIR" or is_dicomdir(entry.path):
                continue
            out.append(entry.path)
    return out
