"""A SQLite store where it cannot be written: how to read it anyway, and what to say when asked to write it.

A store lesionlab has written stays in WAL mode (only :meth:`~annotation.store.ReadingStore.seal`
leaves it). SQLite reads a WAL database through an index file beside it (``STORE-shm``), which
the first connection creates: on a read-only mount (a CD, a read-only share, a bind mount ``ro``)
or in a folder this user may not write, an ordinary read-only open (``mode=ro``) then fails with
"unable to open database file". Writing needs the ``-wal`` and ``-shm`` files beside the store
too, so a store there cannot be written at all: :func:`write_refusal` says so, naming the location
and what to do, before anything is opened (not "close other windows", which cannot help).

How a read-only open reads (:func:`read_way`, a pure decision on what the folder shows):

* ``SHARED`` (``mode=ro``, SQLite's ordinary read-only open: it follows a writer's commits) where
  it works: the folder can be written (SQLite creates the ``-shm``), or a ``-shm`` is there already
  (a writer is connected, or one died: SQLite then reads the ``-shm`` without writing it, and with it
  the edits still in the ``-wal``). The backend also tries it first wherever the decision below
  says otherwise, and keeps it when it reads: a sealed store (rollback journal, no WAL) needs no
  ``-shm`` and reads as ever.
* Otherwise no WAL connection is open on the store now (each holds the ``-shm``). If the ``-wal``
  (or a rollback ``-journal``) holds bytes, committed edits are in it that only a connection with
  a ``-shm`` can read: ``immutable`` would ignore them and show an older state, so the open is
  refused (``PENDING``) with the advice to copy the store and that file together somewhere writable.
* ``IMMUTABLE`` (``immutable=1``: no locks, no change detection, the ``-wal`` ignored) only on a
  read-only *file system*: nobody, root included, can change the file while it is open, which is
  exactly what ``immutable`` promises SQLite, and the main file holds every committed edit.
* ``SNAPSHOT`` in a folder this user may not write on a writable file system: another user who
  may write there could start writing at any moment, so ``immutable`` on the file itself would be
  a promise nobody keeps (a checkpoint rewriting pages under a long read gives wrong rows or
  "malformed"). The store is copied into memory through an ``immutable`` connection instead, and
  the copy is kept only when the file's identity, size and times are the same after the copy and
  no ``-shm`` appeared (the copy starts once the file's last change is more than a time stamp's tick
  old, so that a write during it changes the times) (a writer that started meanwhile would have created one, and a checkpoint
  changes the file's times): a consistent state of the store as it was, read without writing.
  Otherwise the decision is taken again (the new ``-shm`` now allows ``SHARED``).

A full disk. ``SHARED`` writes too: each connection maps the ``-shm`` and first grows it to 32 KiB,
which fails where less is free ("the disk is full"). A write-open that failed on a nearly full disk
left an empty ``-wal`` and a ``-shm`` of whatever was free (8-24 KiB; since session 44 it removes them
when no connection maps the ``-shm``, but one killed meanwhile or an older lesionlab leaves them), and
every read-only open (export, analyze, response, agreement) then failed until space was freed. The backend reads such a
store as a ``SNAPSHOT`` when the ``-wal`` and ``-journal`` are empty: the main file then holds every
committed edit, the ``immutable`` copy writes nothing and takes no lock (a writer is never held up),
and the copy is kept only when the file is unchanged after it and the ``-wal`` still empty (a writer
that committed or checkpointed meanwhile is seen). With edits in the ``-wal`` the open still says
the disk is full: they cannot be read without the ``-shm``.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

from viewer.errors import StoreError, StoreReadOnlyError

#: the advice of every refusal here: a copy in a writable folder is a complete store
COPY_ADVICE = ("to edit it, copy the .lesionlab file to a folder you can write and open the copy; to read it "
               "(export, analyze, view) open it read-only where it is")


class ReadWay(str, Enum):
    """How a read-only open reads a SQLite store (module docstring)."""

    SHARED = "shared"
    IMMUTABLE = "immutable"
    SNAPSHOT = "snapshot"
    PENDING = "pending"  # refused: committed edits in a -wal that cannot be read here


def read_way(*, folder_writable: bool, media_read_only: bool, shm_exists: bool, pending_bytes: int) -> ReadWay:
    """How to read a store whose folder shows this (see the module docstring for why each is safe)."""
    if (folder_writable and not media_read_only) or shm_exists:
        return ReadWay.SHARED
    if pending_bytes > 0:
        return ReadWay.PENDING
    return ReadWay.IMMUTABLE if media_read_only else ReadWay.SNAPSHOT


def media_read_only(folder: Path) -> bool:
    """True when ``folder`` lies on a file system mounted read-only (nobody can write there)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _may(path: Path, mode: int) -> bool:
    """Whether this process may access ``path`` so (effective ids, as SQLite's own open uses)."""
    try:
        if os.access in os.supports_effective_ids:
            return os.access(path, mode, effective_ids=True)
        return os.access(path, mode)
    except OSError:
        return False


def folder_writable(folder: Path) -> bool:
    """True when this process may create files in ``folder`` (False on a read-only file system)."""
    return _may(folder, os.W_OK | os.X_OK)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def pending_bytes(real: Path) -> int:
    """The bytes of the ``-wal`` and ``-journal`` beside the store ``real``: committed edits not yet in the main file
    (0 when there are none or neither file exists)."""
    return _size(Path(f"{real}-wal")) + _size(Path(f"{real}-journal"))


def read_way_of(real: Path) -> ReadWay:
    """:func:`read_way` for the store file ``real`` as its folder is now."""
    folder = real.parent
    return read_way(folder_writable=folder_writable(folder), media_read_only=media_read_only(folder),
                    shm_exists=Path(f"{real}-shm").exists(), pending_bytes=pending_bytes(real))


def _where_kind(folder: Path) -> str:
    if media_read_only(folder):
        return f"a read-only file system ({folder})"
    return f"a folder you may not write ({folder})"


def pending_refusal(real: Path, given: Path) -> StoreError:
    """The refusal of a read-only open that would miss the edits still in the ``-wal``."""
    left = next((f"{real.name}{s}" for s in ("-wal", "-journal") if _size(Path(f"{real}{s}"))), f"{real.name}-wal")
    return StoreError(f"the store's last edits are still in {left} beside it, which SQLite cannot read on "
                      f"{_where_kind(real.parent)}", where=str(given),
                      advice=f"copy the .lesionlab file together with {left} into a folder you can write and "
                             "open the copy there (it then holds every edit)")


def write_refusal(real: Path, given: Path) -> StoreError | None:
    """Why the store ``real`` (existing or to be created) cannot be written where it is; None when it can.

    Writing needs the folder (SQLite keeps ``-wal`` and ``-shm`` beside the store) and, for an
    existing store, the file. Root passes the permission checks (not a read-only mount), as SQLite does.
    """
    folder = real.parent
    exists = real.exists()
    if not folder.is_dir():
        return None  # no such folder: the open says so (os_error)
    if folder_writable(folder) and (not exists or _may(real, os.R_OK | os.W_OK)):
        return None
    if not exists:
        return StoreError(f"cannot create the store: it would lie on {_where_kind(folder)}", where=str(given),
                          advice="choose a folder you can write")
    if not folder_writable(folder):
        what = (f"the store lies on {_where_kind(folder)}; lesionlab writes a store only where it may also "
                "keep the store's -wal and -shm files beside it")
    else:
        what = "the store file is read-only for you (its permissions)"
    return StoreReadOnlyError(f"cannot open the store for writing: {what}", where=str(given), advice=COPY_ADVICE)


def same_file(before: os.stat_result, after: os.stat_result) -> bool:
    """True when nothing wrote the file between the two stats (a SNAPSHOT's check)."""
    fields = ("st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns")
    return all(getattr(before, f) == getattr(after, f) for f in fields)
