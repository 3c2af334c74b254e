"""The reading project open in the workstation: which store, writable or not, which reader, which pair.

Qt-free logic (3D Slicer's Logic half); :mod:`app.reading_controller` is the thin Qt side that
asks the questions. How a store comes to be open (docs in app/README.md, "Reading projects"):

* a store the reader **chose** (``--store``, File -> New / Open / Recent, the last one used at
  start-up) opens for writing; when another lesionlab holds it, it opens read-only instead;
* a store that merely **came with the study folder** (``PATH/*.lesionlab``, e.g. the sample
  reading of ``make run``) opens read-only: browsing it never touches the file (nor a git tree);
* a read-only store turns writable at the reader's **first edit**, by :attr:`promote` (the
  controller asks once: a working copy in the per-user data folder, or this very file);
* with **no store** at all, the first edit creates one in the per-user data folder
  (:func:`default_store_path`) without a dialog: nothing is lost and the status bar shows where.

The :class:`Reading` never changes while one store stays open, so undo spans a promotion:
its sink is the session (:meth:`write`), which writes to whichever store is current.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path
from typing import Callable, Iterable

from annotation.clinical import ClinicalRecord, name_from_images
from annotation.vocab import Sex
from annotation.project import Diff, Project, diff
from annotation.reading import Reading, Sink
from annotation.records import ExamPair as PairRecord
from annotation.records import PairKey
from annotation.selection import Selection
from annotation.store import SUFFIX, ReadingStore
from annotation.store_location import is_url, parse_location
from viewer.errors import StoreError, StoreFullError, StoreLockedError, StoreReadOnlyError, StoreUnreachableError
from viewer.model.events import Signal
from viewer.records import READING_ROLES, Role, StackInfo
from viewer.studies import ExamPair as ViewerPair

#: The promotion callback: (session) -> a writable store holding the current project, or None (cancelled).
Promote = Callable[["ReadingSession"], "ReadingStore | None"]


def data_dir() -> Path:
    """Per-user data folder: ``$LESIONLAB_DATA_DIR``, else ``$XDG_DATA_HOME/lesionlab``, else ~/.local/share/lesionlab."""
    env = os.environ.get("LESIONLAB_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lesionlab"


def readings_dir() -> Path:
    return data_dir() / "readings"


def _free(path: Path) -> Path:
    """``path``, or ``name-2``, ``name-3``... when taken (with its -wal / .lock companions)."""
    stem, n, p = path.stem, 2, path
    while p.exists() or Path(f"{p}-wal").exists():
        p = path.with_name(f"{stem}-{n}{SUFFIX}")
        n += 1
    return p


def default_store_path() -> Path:
    """Where a store is created when the reader edits with none open: ``<data>/readings/reading.lesionlab``."""
    return _free(readings_dir() / f"reading{SUFFIX}")


def working_copy_path(source: Path | str) -> Path:
    """``<data>/readings/<folder>-<stem>-<hash>.lesionlab`` for a copy of ``source`` (one per source file);
    ``<database>-<hash>.lesionlab`` for a copy of a database store."""
    if isinstance(source, str) and is_url(source):
        loc = parse_location(source)
        tag = hashlib.sha1(loc.saved().encode()).hexdigest()[:6]
        return _free(readings_dir() / f"{loc.database_name() or 'database'}-{tag}{SUFFIX}")
    source = Path(source).resolve()
    tag = hashlib.sha1(str(source).encode()).hexdigest()[:6]
    return _free(readings_dir() / f"{source.parent.name}-{source.stem}-{tag}{SUFFIX}")


def stores_in(path: str | Path) -> list[Path]:
    """Reading stores lying at the top of a study folder (not in sub-folders): ``reading.lesionlab``
    first (the folder's main reading; the sample also ships ``followup.lesionlab``), then by name."""
    p = Path(path)
    found = [q for q in p.glob(f"*{SUFFIX}") if q.is_file()] if p.is_dir() else []
    return sorted(found, key=lambda q: (q.name != f"reading{SUFFIX}", q.name))


def in_study_folder(path: str | Path, *, budget: int = 200) -> bool:
    """An existing project file lying in a folder of DICOM studies, outside the data folder: it came
    with the images, like the sample's ``reading.lesionlab`` and ``followup.lesionlab``, and opens
    read-only however it is opened (File -> Open upgraded the sample's follow-up project in place, with
    no edit made). A DICOMDIR or a DICOM file (the ``DICM`` preamble) in the project's own folder or
    up to three levels below (patient / study / series, as the sample and PACS exports lay them out),
    files before subfolders, regular files only (a FIFO blocked the window), at most ``budget``
    entries looked at (a huge folder or a network share costs no more than that)."""
    if is_url(str(path)):
        return False
    project = Path(path)
    if not project.is_file():
        return False  # a new project (File -> New, --store NEW): nothing there yet to protect
    folder = project.resolve().parent
    if folder.is_relative_to(data_dir().resolve()):
        return False
    seen = 0

    def dicom_in(where: Path, depth: int) -> bool:
        nonlocal seen
        subfolders = []
        try:
            entries = os.scandir(where)
        except OSError:
            return False
        with entries:
            for entry in entries:
                seen += 1
                if seen > budget:
                    return False
                try:
                    if entry.is_dir(follow_symlinks=False):
                        subfolders.append(Path(entry.path))
                        continue
                    if not entry.is_file(follow_symlinks=False) or entry.name.endswith(
                            (SUFFIX, f"{SUFFIX}-wal", f"{SUFFIX}-shm", ".lock")):
                        continue
                    if entry.name.upper() == "DICOMDIR":
                        return True
                    with open(entry.path, "rb") as fh:
                        if fh.read(132)[128:132] == b"DICM":
                            return True
                except OSError:
                    continue
        return depth > 0 and any(dicom_in(sub, depth - 1) for sub in sorted(subfolders))

    return dicom_in(folder, 3)


def copy_store(store: ReadingStore, project: Project, target: Path, description: str) -> ReadingStore:
    """A writable copy of ``store`` at ``target`` holding exactly ``project`` (edit log kept).

    SQLite's backup API copies a consistent snapshot, WAL included (a database store is copied
    table by table, :mod:`annotation.store_copy`); when the source moved on since it was loaded
    (another instance writing), the copy is brought back to what the reader saw, as one logged edit.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if store.path is None:
        from annotation.store_copy import copy_store as copy_between

        copy_between(store.location, target)
        return _bring_to(ReadingStore.open(target), project, description)
    try:
        src = sqlite3.connect(f"{store.path.resolve().as_uri()}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise StoreError(f"cannot copy the store ({exc})", where=str(target)) from None
    return _bring_to(ReadingStore.open(target), project, description)


def _bring_to(copy: ReadingStore, project: Project, description: str) -> ReadingStore:
    """``copy`` holding exactly ``project`` (one logged edit when it differs); closed when that fails."""
    try:
        change = diff(copy.load(), project)
        if change:
            copy.write(change, description)
    except BaseException:
        copy.close()
        raise
    return copy


class ReadingSession:
    """One open store (or none) and the Reading and Selection on it.

    Signals: ``changed()`` when the store, its mode or the reader changes; ``replaced()`` when
    a new Reading replaces the old one (panels and layers rebind).
    """

    def __init__(self, reader: str, promote: Promote | None = None,
                 create_default: Callable[[], Path] = default_store_path) -> None:
        self.me = reader
        self.promote = promote
        self.create_default = create_default
        self.store: ReadingStore | None = None
        self.came_with_folder = False  # read-only because it came with the study folder (vs locked)
        #: read-only because it lies where it cannot be written (a disc, a read-only share): why, else None
        self.unwritable: str | None = None
        self.locked_by: str | None = None
        self.changed = Signal()
        self.replaced = Signal()
        #: ``unreachable(message)`` when an edit meets a database server that does not answer or a full disk, once
        #: per outage (every edit meanwhile is refused in the status bar; the store label says so until one is saved),
        #: and when closing the store could not settle an edit refused so (:meth:`close`)
        self.unreachable = Signal()
        #: what keeps every edit from being saved now ("the disk is full"), else None
        self.offline: str | None = None
        self._pending_context: tuple[StackInfo, ...] = ()
        self._bind(Project(), reader)

    # ------------------------------------------------------------------ state
    def _bind(self, project: Project, reader: str) -> None:
        self.reading = Reading(project, reader=reader, sink=self)
        self.selection = Selection(self.reading)
        self.replaced.emit()
        self.changed.emit()

    @property
    def path(self) -> Path | None:
        """The open store's file (None without a store, or for a database store)."""
        return self.store.path if self.store is not None else None

    @property
    def location(self) -> str | None:
        """The open store as it may be shown and saved: a path, or a URL without password."""
        return self.store.where if self.store is not None else None

    @property
    def read_only(self) -> bool:
        return self.store is not None and self.store.read_only

    def describe(self) -> str:
        """The status-bar text: reader (and whose other reads the project holds: a reader's check saw an
        empty grid after a restart, the message saying so long gone from the status bar), store and mode."""
        return "".join(self.describe_parts())

    def describe_parts(self) -> tuple[str, str]:
        """:meth:`describe` as (the reader's part, never cut in the status bar; the store's part)."""
        who = f"reader: {self.reading.reader}"
        project = self.reading.project
        others = sorted(project.readers() - {self.reading.reader})
        if others:
            more = f" and {len(others) - 2} more" if len(others) > 2 else ""
            who += f" (also in the project: {', '.join(others[:2])}{more})"
        if self.store is None:
            return who, f" · no reading project (the first edit creates one in {readings_dir()})"
        if self.offline is not None:  # first, never cut (the end of a long path + reason was: "…answer: edits …")
            who = f"⚠ edits not saved ({self.offline}) · {who}"
        mode = ""
        if self.read_only:
            mode = (" (read-only: locked by another lesionlab)" if self.locked_by else
                    " (read-only: cannot be written where it lies; editing works on a copy)" if self.unwritable else
                    " (read-only until you edit)")
        return who, f" · {self.store.where}{mode}"

    # ------------------------------------------------------------------ opening
    def open(self, path: str | Path, *, read_only: bool = False, came_with_folder: bool = False) -> None:
        """Open a store, a ``.lesionlab`` path or a ``postgresql://`` URL (writable unless ``read_only``);
        a lock held elsewhere raises StoreLockedError after opening it read-only, so the caller can say
        so once. On a database, a reader role's reads are recorded under the reader it is bound to."""
        locked: StoreLockedError | None = None
        unwritable: str | None = None
        if read_only:
            store = ReadingStore.open(path, read_only=True)
        else:
            try:
                store = ReadingStore.open(path)
            except StoreLockedError as exc:
                locked = exc
                store = ReadingStore.open(path, read_only=True)
            except StoreReadOnlyError as exc:
                # on a disc or a read-only share: read where it is, the first edit asks where to keep a copy (as a
                # store that came with a study folder; it was refused with "copy it somewhere writable")
                store = ReadingStore.open(path, read_only=True)
                came_with_folder, unwritable = True, exc.message
        try:
            project = store.load()
        except BaseException:
            store.close()  # a store that cannot be read is not kept open (nor locked) by this session
            raise
        self.close()
        self.store = store
        self.came_with_folder = came_with_folder and locked is None
        self.unwritable = unwritable
        self.locked_by = locked.message if locked is not None else None
        self._bind(project, self._reader_for(project, store.read_only))
        if locked is not None:
            raise locked

    def _reader_for(self, project: Project, read_only: bool) -> str:
        """Whose read to show: the reader a database role is bound to; else mine; on a read-only store
        read by exactly one other reader, theirs."""
        if self.store is not None and self.store.role_reader:
            return self.store.role_reader
        readers = project.readers()
        if read_only and self.me not in readers and len(readers) == 1:
            return readers.pop()
        return self.me

    def close(self) -> None:
        """Close the store; an edit in doubt it could not settle (the reader was told it was not saved, the server may
        have committed it) is said through :attr:`unreachable` (review38: only the log had it, the window said
        nothing when another project was opened or the window closed)."""
        self.offline = None
        if self.store is not None:
            store = self.store
            store.close()
            self.store = None
            self.locked_by, self.unwritable = None, None
            self._bind(Project(), self.me)
            if store.unsettled is not None:
                self.unreachable.emit(store.unsettled)

    def use(self, store: ReadingStore, reading: Reading) -> None:
        """Show a Reading made elsewhere on ``store``, which this session then owns (a study's case
        read: its own sink checks what it may write, so edits do not pass through :meth:`write`)."""
        if self.store is not store:
            self.close()
            self.store = store
        self.came_with_folder, self.locked_by, self.unwritable = False, None, None
        if reading.sink is not None and not isinstance(reading.sink, _Watched):  # its outages are the session's (watched)
            reading.sink = _Watched(self, reading.sink)
        self.reading = reading
        self.selection = Selection(reading)
        self.replaced.emit()
        self.changed.emit()

    def set_reader(self, name: str) -> None:
        """Another reader name: the reading restarts on the same project (undo history starts over)."""
        self.me = name.strip() or self.me
        self._bind(self.reading.project, self.me)

    # ------------------------------------------------------------------ the sink of the Reading
    def make_writable(self) -> None:
        """Make sure the next edit can be saved: create the default store when none is open, or
        promote a read-only one (:attr:`promote`); raises StoreError when the reader declined."""
        if self.store is None:
            path = self.create_default()
            path.parent.mkdir(parents=True, exist_ok=True)
            self.store = ReadingStore.open(path)
            self.changed.emit()
        elif self.store.read_only:
            copy = self.promote(self) if self.promote is not None else None
            if copy is None:
                raise StoreError("the reading project is open read-only; nothing was changed",
                                 where=self.store.where, advice="edit again to choose a working copy, "
                                 "or File -> Open reading project")
            old, self.store = self.store, copy
            old.close()
            self.came_with_folder, self.locked_by, self.unwritable = False, None, None
            self.changed.emit()

    def write(self, change: Diff, description: str) -> int:
        """The Reading's sink: every edit lands in the current store, made writable first."""
        self.make_writable()
        assert self.store is not None
        if self.reading.reader != self.me and not self.store.role_reader:
            # a correction of another reader's read (asked first, app/store_flow.py): the project's log
            # says who made it, the read stays the other reader's
            description = f"{description} (by {self.me}, in {self.reading.reader}'s read)"
        store = self.store
        seq = self.watched(lambda: store.write(change, description, by=self.me))
        self._record_context()
        return seq

    def watched(self, write: Callable[[], int]) -> int:
        """``write()`` (an edit on its way to the store) with the outage kept: a database server not answering or a
        full disk is said once (:attr:`unreachable`) and shown in the store label (:attr:`offline`) until an edit
        is saved again. Every edit the session shows passes here, a study case's through its own sink too (a case
        read's edits had met an outage with the status bar's line only)."""
        try:
            seq = write()
        except (StoreUnreachableError, StoreFullError) as exc:
            first, self.offline = self.offline is None, _outage(exc)
            self.changed.emit()
            if first:
                self.unreachable.emit(str(exc))
            raise
        if self.offline is not None:
            self.offline = None
            self.changed.emit()
        return seq

    # ------------------------------------------------------------------ DICOM context (SR export)
    def note_stacks(self, stacks: Iterable[StackInfo]) -> None:
        """Keep the patient/study/series context of an opened study in the store (what an SR export
        needs): now when the store is writable, else at the first edit, which makes it so."""
        self._pending_context = tuple(stacks)
        self._record_context()

    def _record_context(self) -> None:
        if not self._pending_context or self.store is None or self.store.read_only:
            return
        if self.store.blinded:  # a blinded reader role may not write identities (dicom_context); the coordinator does
            self._pending_context = ()
            return
        from annotation.dicom_context import record_stacks

        try:
            record_stacks(self.store, self._pending_context)
        except StoreError:
            return  # the reading goes on; the next edit tries again (and export --dicom can fill it)
        self._pending_context = ()

    def working_copy(self, target: Path | None = None) -> ReadingStore:
        """A writable copy of the open read-only store (what :attr:`promote` usually returns)."""
        assert self.store is not None
        target = target or working_copy_path(self.store.path or self.store.where)
        return copy_store(self.store, self.reading.project, target, f"working copy of {self.store.where}")

    def reopen_writable(self) -> ReadingStore:
        """The same file, now for writing (raises StoreLockedError when another instance holds it)."""
        assert self.store is not None
        store = ReadingStore.open(self.store.location)
        try:
            same = store.load() == self.reading.project
        except BaseException:
            store.close()
            raise
        if not same:
            store.close()
            raise StoreError("the store changed since it was opened", where=self.store.where,
                             advice="reopen it (File -> Open reading project) or work on a copy")
        return store

    # ------------------------------------------------------------------ exam pairs
    def find_pair(self, pair: ViewerPair) -> PairKey | None:
        """The project's exam pair for a viewer pair (same patient, CT and MRI studies), if any."""
        for key, rec in self.reading.project.exam_pairs.items():
            if (rec.patient_id == pair.patient_id and rec.ct_study_uid == pair.ct_uid[:64]
                    and rec.mri_study_uid == pair.mr_uid[:64]):
                return key
        return None

    def ensure_pair(self, pair: ViewerPair, held: tuple[Role, ...] | None = None) -> PairKey:
        """The project's exam pair for ``pair``, created (with its patient) as one edit when missing, and
        this window made the one writer of the reader's read of it (on a database another window
        reading the same pair as the same reader gets StoreLockedError before the first edit)."""
        key = self._ensure_pair(pair, held_roles(pair) if held is None else held)
        if self.store is not None and not self.store.read_only:
            self.store.claim(self.reading.reader, *key)
        return key

    def _ensure_pair(self, pair: ViewerPair, held: tuple[Role, ...]) -> PairKey:
        """``held``: the reading roles the exam's stacks are hung in (the reader's role corrections included)."""
        found = self.find_pair(pair)
        if found is not None:
            rec, project = self.reading.project.exam_pairs[found], self.reading.project
            if held and (not rec.ct_study_uid or not rec.mri_study_uid):
                # a one-modality exam recorded before its series were (a store of before session 33, a follow-up
                # imported by hand), or a series of it found since (pulled later, its role corrected): added, so
                # that the exam is asked for every series it holds and only those. A role its stacks do not hold
                # goes only when no reader recorded anything on it (a role taken from the cell P hung the
                # compared series in, before session 35: a portal-only CT asked for CT arterial)
                recorded_on = {role for r in project.readers_of(*found) for role in project.roles_read(*found, r)}
                roles = {r for r in rec.series_roles if r in held or r in recorded_on} | set(held)
                if roles != set(rec.series_roles):
                    self.reading.edit_exam_pair(found, series_roles=tuple(roles))
            return found
        project, pid = self.reading.project, pair.patient_id
        used = {rec.exam_pair_id for rec in project.pairs_of(pid)}
        n = 1
        while f"E{n}" in used:
            n += 1
        record = PairRecord(pid, f"E{n}", pair.ct_uid[:64], pair.mr_uid[:64],
                            pair.ct.study_date if pair.ct else None, pair.mr.study_date if pair.mr else None)
        with self.reading.batch(f"read exam pair {record.exam_pair_id} of {pid}"):
            if pid not in project.patients:  # sex prefilled from the images' headers (the reader may change it)
                sex = pair.patient_sex
                self.reading.add_patient(pid, name_from_images(pair.studies[0].patient_name),
                                        ClinicalRecord(sex=Sex.parse(sex)) if sex else None)
            self.reading.add_exam_pair(pid, record.exam_pair_id, series_roles=held, **{
                k: getattr(record, k) for k in ("ct_study_uid", "mri_study_uid", "ct_date", "mri_date")})
        return record.key


class _Watched:
    """A Reading's own sink (a study case's, which checks what a study read may write) seen by the session."""

    def __init__(self, session: ReadingSession, sink: Sink) -> None:
        self.session, self.sink = session, sink

    def write(self, change: Diff, description: str) -> int:
        return self.session.watched(lambda: self.sink.write(change, description))


def _outage(exc: StoreError) -> str:
    """What the store label says while edits cannot be saved."""
    if isinstance(exc, StoreFullError):
        return "disk full" if "server" not in exc.message else "database server's disk full"
    return "database server not answering"


def held_roles(pair: ViewerPair, role_of: Callable[[StackInfo], Role] = lambda s: s.role) -> tuple[Role, ...]:
    """The reading roles an exam's studies hold, as ``role_of`` sees their stacks (the indexer's roles, or the
    hanging's with the reader's corrections), in the protocol's order."""
    found = {role_of(stack) for stack in pair.stacks}
    return tuple(r for r in READING_ROLES if r in found)
