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
from typing import Any, Callable, Sequence

from viewer.errors import DicomReadError
from viewer.dicomio import HeaderResult, ZipRefused, dicomdir_files, is_dicomdir, is_zip, read_headers, zip_members
from viewer.dicomio.dicomdir import unlisted_files
from viewer.dicomio.digest import decoded_digest, pixel_digest
from viewer.dicomio.sources import clear_cache
from viewer.records import FileRef, ImageHeader, IndexResult, NonImageObject, PixelFormat, SkippedFile, StackInfo
from viewer.roles import classify_study
from viewer.stacks import build_stacks, stack_sort_key
from viewer.studies_identity import check_identities
from viewer.walk import (UNFINISHED_FILE as UNFINISHED_FILE, UNFINISHED_FOLDER as UNFINISHED_FOLDER,
                         UNFINISHED_RETRIEVE as UNFINISHED_RETRIEVE, folder_files)

#: progress(done, total) is called as files are read.
Progress = Callable[[int, int], None]
#: Below this many files a worker process costs more than it saves (bench/bench_index.py: starting
#: one and shipping its headers back costs ~40 ms + ~75 us/file against ~250 us/file to read).
PARALLEL_MIN_FILES = 500
#: The words of the warning naming files that share a SOP Instance UID and are not one image (shown in a dialog).
UID_CONFLICT = "files that are not copies of one image"
#: Why a file beside a DICOMDIR's files is not read when the DICOMDIR is indexed.
UNLISTED = ("not listed in the DICOMDIR (the file set is what it lists): not read; index the disc's folder to read"
            " every file")


def _free_cores() -> int:
    """Cores not already busy with other processes (1-minute load average), at least 1."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return cores
    return max(1, int(cores - load + 0.5))


def collect_files(path: str | Path) -> tuple[list[FileRef], list[SkippedFile], list[str]]:
    """Files to read under ``path`` (folder, DICOMDIR, zip or one file), files passed over, notes.

    A folder's symbolic links are followed, each file read once (:mod:`viewer.walk`); the notes say
    which links were followed and what was not read again.

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
                listed, missing = dicomdir_files(root)
            except Exception as exc:
                raise DicomReadError(f"DICOMDIR cannot be read ({exc})", where=str(root),
                                     advice="scan the folder that holds it instead") from exc
            skipped.extend(SkippedFile(p, r) for p, r in missing)
            if missing:
                notes.append(f"{len(missing)} file(s) listed in the DICOMDIR cannot be read (missing or outside"
                             " the file set)")
            unlisted = unlisted_files(root, listed, missing)
            skipped.extend(SkippedFile(p, UNLISTED) for p in unlisted)
            if unlisted:
                notes.append(f"{len(unlisted)} file(s) lie among the DICOMDIR's files but it does not list them: not"
                             f" read; index the folder {root.parent} to read every file")
            if not listed and not missing:
                notes.append(f"the DICOMDIR {root} lists no files (an empty file set): nothing to index; if the"
                             " medium holds images, index its folder instead")
            return listed, skipped, notes
        return [FileRef(str(root))], skipped, notes
    if not root.is_dir():
        raise DicomReadError("not a file or a folder (a pipe, socket or device)", where=str(path),
                             advice="give a folder, a DICOM file, a DICOMDIR or a zip")
    found = folder_files(root)
    skipped.extend(found.skipped)
    refs: list[FileRef] = []
    for full in found.paths:
        name = full.rpartition(os.sep)[2]
        if name.lower().endswith(".zip") and is_zip(full):
            refs.extend(_zip_refs(Path(full), skipped))
        elif name.upper() == "DICOMDIR" and is_dicomdir(full):
            skipped.append(SkippedFile(full, "DICOMDIR (directory of a DICOM file set): the folder's"
                                             " files are read directly"))
        else:
            refs.append(FileRef(full))
    return refs, skipped, [*notes, *found.notes]


def _zip_refs(path: Path, skipped: list[SkippedFile]) -> list[FileRef]:
    try:
        refs, refused = zip_members(path)
    except ZipRefused as exc:
        skipped.append(SkippedFile(str(path), f"zip archive refused: {exc}"))
        return []
    except Exception as exc:  # a broken archive is one bad file
        skipped.append(SkippedFile(str(path), f"zip archive cannot be read ({exc})"))
        return []
    skipped.extend(SkippedFile(where, reason) for where, reason in refused)
    return refs


_HEADER_FIELDS = tuple(f.name for f in dataclasses.fields(ImageHeader) if f.name not in ("file", "frame", "pixel"))
_PIXEL_FIELDS = tuple(f.name for f in dataclasses.fields(PixelFormat))


def _pack(h: ImageHeader) -> tuple[Any, ...]:
    """An ImageHeader as a flat tuple: half the cost of pickling the dataclass itself."""
    return (h.file.path, h.file.member, h.frame, *[getattr(h, f) for f in _HEADER_FIELDS],
            *[getattr(h.pixel, f) for f in _PIXEL_FIELDS])


def _unpack(t: tuple[Any, ...]) -> ImageHeader:
    n = len(_HEADER_FIELDS) + 3
    return ImageHeader(file=FileRef(t[0], t[1]), frame=t[2], pixel=PixelFormat(*t[n:]),
                       **dict(zip(_HEADER_FIELDS, t[3:n])))


def _read_chunk(refs: Sequence[FileRef]) -> list[HeaderResult]:
    return [read_headers(r) for r in refs]


def _read_chunk_packed(refs: Sequence[FileRef]) -> list[object]:
    """Worker side: results with headers packed as tuples."""
    out: list[object] = []
    for r in _read_chunk(refs):
        out.append([_pack(h) for h in r] if isinstance(r, list) else r)
    return out


def _unpack_chunk(packed: list[object]) -> list[HeaderResult]:
    return [[_unpack(t) for t in r] if isinstance(r, list) else r for r in packed]  # type: ignore[misc]


def _context() -> multiprocessing.context.BaseContext:
    """fork when this process runs one thread (cheap, safe); else forkserver/spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def read_all(refs: Sequence[FileRef], *, workers: int | None = None,
             progress: Progress | None = None) -> list[HeaderResult]:
    """read_headers of every ref, in the refs' order; shared with worker processes when worth it.

    With ``workers`` = N (default: the cores no other process keeps busy), N - 1 processes take
    chunks from the end of the list while this process reads from the start and takes over
    every chunk no worker has begun: both cores work, one process start is saved, and a busy
    machine degrades to a serial read. Fewer than PARALLEL_MIN_FILES files are read here only,
    unless ``workers`` is given.
    """
    n = len(refs)
    explicit = workers
    workers = max(1, workers if workers is not None else _free_cores())
    if progress:
        progress(0, n)
    if workers == 1 or n < (PARALLEL_MIN_FILES if explicit is None else 2 * workers):
        out: list[HeaderResult] = []
        step = max(1, n // 100)
        for i, ref in enumerate(refs, 1):
            out.append(read_headers(ref))
            if progress and (i % step == 0 or i == n):
                progress(i, n)
        return out
    size = max(8, min(128, n // (workers * 8)))
    chunks = [list(refs[i:i + size]) for i in range(0, n, size)]
    out = []
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=_context(), initializer=clear_cache) as pool:
        futures = {i: pool.submit(_read_chunk_packed, chunks[i]) for i in reversed(range(len(chunks)))}
        for i, chunk in enumerate(chunks):
            future = futures.pop(i)
            out.extend(_read_chunk(chunk) if future.cancel() else _unpack_chunk(future.result()))
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


def _content(h: ImageHeader) -> dict[str, object]:
    """What two files of one SOP Instance UID must share to be copies of one image (pixels aside)."""
    return {"PatientID": h.patient_id, "StudyInstanceUID": h.study_instance_uid,
            "SeriesInstanceUID": h.series_instance_uid, "ImagePositionPatient": h.position_mm,
            "ImageOrientationPatient": h.orientation, "Rows x Columns": (h.pixel.rows, h.pixel.columns)}


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) + ")"
    return str(value) if value not in ("", None) else "(none)"


def _pixels_of(group: Sequence[ImageHeader], cache: dict[tuple[FileRef, int], str | None]) -> list[str | None]:
    """A digest per image: of the raw pixel data when all are in one transfer syntax, else decoded."""
    raw = len({h.pixel.transfer_syntax_uid for h in group}) == 1
    out = []
    for h in group:
        key = (h.file, -1 if raw else h.frame)
        if key not in cache:
            cache[key] = pixel_digest(h.file) if raw else decoded_digest(h.file, h.frame, h.pixel)
        out.append(cache[key])
    return out


def set_apart_uid_conflicts(headers: Sequence[ImageHeader]) -> tuple[list[ImageHeader], list[SkippedFile], list[str]]:
    """Images whose SOP Instance UID (and frame) another file also carries with other content.

    A true copy (same patient, study, series, position, orientation, size and pixel data) stays, to
    be counted once by :func:`viewer.stacks.deduplicate`. Files that disagree are all left out, each
    with a reason naming the others, and one warning per UID names them and what differs: which
    one is the image cannot be told, and keeping the first by file name would put an image of
    another patient, or of another place, into a stack.
    """
    groups: dict[tuple[str, int], list[ImageHeader]] = defaultdict(list)
    for h in headers:
        if h.sop_instance_uid:
            groups[(h.sop_instance_uid, h.frame)].append(h)
    digests: dict[tuple[FileRef, int], str | None] = {}
    out_files: dict[FileRef, str] = {}
    warnings: list[str] = []
    for (uid, _frame), group in groups.items():
        files = list(dict.fromkeys(h.file for h in group))
        if len(group) < 2 or len(files) < 2 or all(f in out_files for f in files):
            continue
        contents = [_content(h) for h in group]
        differ = [f"{k} {' / '.join(dict.fromkeys(_shown(c[k]) for c in contents))}"
                  for k in contents[0] if len({repr(c[k]) for c in contents}) > 1]
        if not differ:
            pixels = _pixels_of(group, digests)
            if None in pixels or len(set(pixels)) > 1:
                differ.append("pixel data" + (" (unreadable in one)" if None in pixels else ""))
        if not differ:
            continue
        names = ", ".join(str(f) for f in files)
        warnings.append(f"SOP Instance UID {uid} is carried by {len(files)} {UID_CONFLICT}"
                        f" ({'; '.join(differ)}): {names}. All are left out, since which one is the image"
                        " cannot be told: remove the wrong file or ask the PACS to correct the UID")
        for f in files:
            others = ", ".join(str(o) for o in files if o != f)
            out_files.setdefault(f, f"SOP Instance UID {uid} is also carried by {others} with other content"
                                    f" ({'; '.join(differ)}): {'both' if len(files) == 2 else 'all'} left out, not"
                                    " one chosen by file name")
    if not out_files:
        return list(headers), [], []
    kept = [h for h in headers if h.file not in out_files]
    return kept, [SkippedFile(str(f), reason) for f, reason in out_files.items()], warnings


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
    headers, conflicting, conflicts = set_apart_uid_conflicts(headers)
    skip.extend(conflicting)
    stacks, localizers, bad_geometry, warnings = build_stacks(headers)
    warnings = [*conflicts, *warnings]
    stacks = sorted(assign_roles(stacks), key=stack_sort_key)
    people = check_identities(stacks)  # another person's study under a patient's id is left out, said
    left_out = {img.file: people.reasons[s.key] for s in people.left_out for img in s.images}
    skip.extend(SkippedFile(str(f), reason) for f, reason in left_out.items())
    non_images.extend(localizers)
    skip.extend(bad_geometry)
    return IndexResult(
        stacks=people.kept,
        skipped=tuple(sorted(skip, key=lambda s: s.path)),
        non_images=tuple(sorted(non_images, key=lambda n: (n.patient_id, n.study_instance_uid, n.path))),
        warnings=tuple([*notes, *warnings, *people.warnings]),
    )


def index_path(path: str | Path, *, workers: int | None = None, progress: Progress | None = None) -> IndexResult:
    """Scan a folder (recursively), a DICOMDIR or a .zip and index what it holds.

    ``workers`` processes read headers (default: all cores); ``progress(done, total)`` is called
    as files are read. Bad files are listed in ``skipped`` with a reason; they never stop the scan.
    """
    refs, skipped, notes = collect_files(path)
    results = read_all(refs, workers=workers, progress=progress)
    return index_headers(results, skipped, notes)
