"""The files a DICOMDIR file set references (PS3.10 8, PS3.3 F.3), nested directories included.

Each directory record's ReferencedFileID (0004,1500) names a file by its path components below
the file-set root (the folder holding the DICOMDIR). Some media (Philips discs among them) put a
second-level directory file, often named ``DIRFILE``, below the root and reference it from the
root DICOMDIR: such a referenced file, itself of the Media Storage Directory SOP class, is read
in turn (its references resolved against its own folder, then the root), to
:data:`MAX_DEPTH` levels and at most :data:`MAX_DIRECTORIES` files, each read once. A reference
that leaves the file set (``..``, absolute) is refused; a referenced file that is missing is
reported with the directory that lists it.
"""

from __future__ import annotations

from pathlib import Path

from pydicom import dcmread

from viewer.dicomio.sopclasses import MEDIA_STORAGE_DIRECTORY
from viewer.dicomio.sources import MAX_HEADER_BYTES
from viewer.records import FileRef
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
