"""Index a folder, a DICOMDIR or a zip: patients -> studies -> series -> stacks, with roles.

Headers only (no pixel decoding). Files are read in a process pool across the machine's cores
when there are enough of them; the output order never depends on the pool (results are
collected in file order, stacks sorted by patient, study date, series number, split).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

from app.errors import DicomReadError
from viewer.dicomio import HeaderResult, dicomdir_files, is_dicomdir, is_zip, read_headers, zip_members
from viewer.dicomio.sources import clear_cache
from viewer.records import FileRef, ImageHeader, IndexResult, NonImageObject, SkippedFile, StackInfo
from viewer.roles import classify_study
from viewer.stacks import build_stacks, stack_sort_key

#: progress(done, total) is called as files are read.
Progress = Callable[[int, int], None]
#: Below this many files a pool costs more than it saves.
PARALLEL_MIN_FILES = 96


def collect_files(path: str | Path) -> tuple[list[FileRef], list[SkippedFile], list[str]]:
    """Files to read under ``path`` (folder, DICOMDIR, zip or one file), files passed over, notes.

    Raises DicomReadError when ``path`` does not exist or a DICOMDIR given as the path is unreadable.
    """
    root = Path(path)
    skipped: list[SkippedFile] = []
    notes: list[str] = []
    if not root.exists():
        raise DicomReadError("no such file or folder", where=str(path), advice="check the path and try again")
    if root.is_file():
        if is_zip(root):
            return _zip_refs(root, skipped), skipped, notes
        if is_dicomdir(root):
            try:
                refs, missing = dicomdir_files(root)
            except Exception as exc:
                raise DicomReadError(f"DICOMDIR cannot be read ({exc})", where=str(root),
                                     advice="scan the folder that holds it instead") from exc
            skipped.extend(SkippedFile(p, r) for p, r in missing)
            if missing:
                notes.append(f"{len(missing)} file(s) listed in the DICOMDIR are missing")
            return refs, skipped, notes
        return [FileRef(str(root))], skipped, notes
    refs: list[FileRef] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if name.lower().endswith(".zip") and is_zip(full):
                refs.extend(_zip_refs(Path(full), skipped))
            elif name.upper() == "DICOMDIR" and is_dicomdir(full):
                skipped.append(SkippedFile(full, "DICOMDIR (directory of a DICOM file set): the folder's"
                                                 " files are read directly"))
            else:
                refs.append(FileRef(full))
    return refs, skipped, notes


def _zip_refs(path: Path, skipped: list[SkippedFile]) -> list[FileRef]:
    try:
        return zip_members(path)
    except Exception as exc:  # a broken archive is one bad file
        skipped.append(SkippedFile(str(path), f"zip archive cannot be read ({exc})"))
        return []


def _read_chunk(refs: Sequence[FileRef]) -> list[HeaderResult]:
    return [read_headers(r) for r in refs]


def _context() -> multiprocessing.context.BaseContext:
    """fork when this process runs one thread (cheap, safe); else forkserver/spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def read_all(refs: Sequence[FileRef], *, workers: int | None = None,
             progress: Progress | None = None) -> list[HeaderResult]:
    """read_headers of every ref, in the refs' order; in a process pool when worth it."""
    n = len(refs)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if progress:
        progress(0, n)
    if workers == 1 or n < PARALLEL_MIN_FILES:
        out: list[HeaderResult] = []
        step = max(1, n // 100)
        for i, ref in enumerate(refs, 1):
            out.append(read_headers(ref))
            if progress and (i % step == 0 or i == n):
                progress(i, n)
        return out
    size = max(16, min(256, n // (workers * 4)))
    chunks = [list(refs[i:i + size]) for i in range(0, n, size)]
    out = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=clear_cache) as pool:
        for chunk_result in pool.map(_read_chunk, chunks):
            out.extend(chunk_result)
            if progress:
                progress(len(out), n)
    return out


def assign_roles(stacks: Sequence[StackInfo]) -> list[StackInfo]:
    """Each stack with the role its study's context gives it."""
    by_study: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(stacks):
        by_study[s.study_instance_uid].append(i)
    out = list(stacks)
    for members in by_study.values():
        study = [stacks[i] for i in members]
        for i, guess in zip(members, classify_study(study)):
            out[i] = dataclasses.replace(stacks[i], role=guess.role, role_confidence=guess.confidence,
                                         role_reason=guess.reason)
    return out


def index_headers(results: Sequence[HeaderResult], skipped: Sequence[SkippedFile] = (),
                  notes: Sequence[str] = ()) -> IndexResult:
    """Group read results into an IndexResult (deterministic order)."""
    headers: list[ImageHeader] = []
    skip = list(skipped)
    non_images: list[NonImageObject] = []
    for r in results:
        if isinstance(r, SkippedFile):
            skip.append(r)
        elif isinstance(r, NonImageObject):
            non_images.append(r)
        else:
            headers.extend(r)
    headers.sort(key=lambda h: (str(h.file), h.frame))
    stacks, localizers, bad_geometry, warnings = build_stacks(headers)
    stacks = sorted(assign_roles(stacks), key=stack_sort_key)
    non_images.extend(localizers)
    skip.extend(bad_geometry)
    return IndexResult(
        stacks=tuple(stacks),
        skipped=tuple(sorted(skip, key=lambda s: s.path)),
        non_images=tuple(sorted(non_images, key=lambda n: (n.patient_id, n.study_instance_uid, n.path))),
        warnings=tuple([*notes, *warnings]),
    )


def index_path(path: str | Path, *, workers: int | None = None, progress: Progress | None = None) -> IndexResult:
    """Scan a folder (recursively), a DICOMDIR or a .zip and index what it holds.

    ``workers`` processes read headers (default: all cores); ``progress(done, total)`` is called
    as files are read. Bad files are listed in ``skipped`` with a reason; they never stop the scan.
    """
    refs, skipped, notes = collect_files(path)
    results = read_all(refs, workers=workers, progress=progress)
    return index_headers(results, skipped, notes)
