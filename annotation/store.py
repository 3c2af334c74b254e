"""The reading store: one SQLite file (``*.lesionlab``) per project, written edit by edit.

Durability. The database runs in WAL mode with ``synchronous=FULL``. Every edit is one
``BEGIN IMMEDIATE ... COMMIT`` transaction that also appends a row to ``edits``; the Reading
treats an edit as done only when ``write`` has returned, i.e. after the commit. With WAL, a
commit appends frames to the -wal file and the database is consistent at every instant, so a
process killed at any moment loses at most the transaction in flight (SQLite rolls back an
uncommitted WAL tail on the next open). ``synchronous=NORMAL`` would already give that against a
killed *process* (the committed frames sit in the OS page cache, which outlives the process);
``FULL`` adds an fsync of the WAL at each commit so that an acknowledged edit also survives an
OS crash or a power cut on the reading workstation. Edits come at human pace (a few per second
at most) and the fsync costs about a millisecond, so we pay it (figures in the issue report and
bench/bench_store.py).

Concurrency. A writable store is held by one process through an exclusive ``flock`` on a
sidecar file ``<store>.lock`` holding the holder's pid and host. The kernel drops the lock when
the process dies (even by SIGKILL), so there are no stale locks to clean. A second writer gets
:class:`~viewer.errors.StoreLockedError` naming the holder; it may open the store read-only instead
(WAL lets readers see the last committed state while the holder writes). SQLite's own locking
still guards the file underneath, so even a process that ignores the sidecar cannot corrupt it.

Schema. ``schema_migrations`` lists the migrations applied; ``MIGRATIONS`` are applied in order,
each in its own transaction, when a store is opened for writing. A store made by a newer
lesionlab (unknown migration) is refused rather than guessed at.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from annotation.project import TABLES, Diff, Project, diff
from annotation.reading import Reading
from annotation.store_schema import DELETE, UPSERT, load_records, migration_1, migration_2
from viewer.errors import StoreError, StoreLockedError

#: SQLite application_id of a lesionlab store ("LLab").
APPLICATION_ID = 0x4C4C6162
SUFFIX = ".lesionlab"


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "patients, exam pairs, lesions, observations, count marks, series flags, edit log", migration_1),
    Migration(2, "measurement provenance and short axis, lesion tracking UIDs, three-state series counts,"
                 " count marks from lesions, alignments", migration_2),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


class _Lock:
    """Exclusive flock on ``<store>.lock``; released by the kernel when the process dies."""

    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the store's lock file ({exc.strerror})", where=str(self.path),
                             advice="open a store in an existing folder you can write to") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise StoreLockedError(f"the store is open for writing by {holder}", where=str(self.path)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {_now()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class ReadingStore:
    """An open ``.lesionlab`` store. Use :meth:`open`; it is also a context manager."""

    def __init__(self, path: Path, con: sqlite3.Connection, lock: _Lock | None) -> None:
        self.path = path
        self._con = con
        self._lock = lock

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False, create: bool = True) -> "ReadingStore":
        """Open (or create) a store; ``read_only`` never writes and needs no lock."""
        p = Path(path)
        if read_only or not create:
            if not p.is_file():
                raise StoreError("no such store", where=str(p), advice="check the path or create the store first")
        if read_only:
            return cls._open_read_only(p)
        lock = _Lock(p)
        lock.acquire()
        try:
            con = cls._connect(p)
            cls._check_header(con, p)
            cls._migrate(con, p)
        except BaseException:
            lock.release()
            raise
        return cls(p, con, lock)

    @staticmethod
    def _connect(p: Path) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(p, isolation_level=None, timeout=10.0, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            return con
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a lesionlab store ({exc})", where=str(p),
                             advice="choose a .lesionlab file made by lesionlab") from None

    @classmethod
    def _open_read_only(cls, p: Path) -> "ReadingStore":
        try:
            con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                  timeout=10.0, check_same_thread=False)
            con.execute("PRAGMA query_only=1")
            cls._check_header(con, p)
            version = cls._version(con)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read the store ({exc})", where=str(p)) from None
        if version > SCHEMA_VERSION:
            raise StoreError(f"store schema {version} is newer than this lesionlab ({SCHEMA_VERSION})",
                             where=str(p), advice="update lesionlab")
        if version < SCHEMA_VERSION:
            raise StoreError(f"store schema {version} needs migrating to {SCHEMA_VERSION}", where=str(p),
                             advice="open it once for writing to migrate it")
        return cls(p, con, None)

    @staticmethod
    def _check_header(con: sqlite3.Connection, p: Path) -> None:
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            n_tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a lesionlab store ({exc})", where=str(p),
                             advice="choose a .lesionlab file made by lesionlab") from None
        if app_id != APPLICATION_ID and n_tables:
            raise StoreError("this SQLite file is not a lesionlab store", where=str(p),
                             advice="choose a .lesionlab file made by lesionlab")

    @staticmethod
    def _version(con: sqlite3.Connection) -> int:
        has = con.execute("SELECT 1 FROM sqlite_master WHERE name='schema_migrations'").fetchone()
        if not has:
            return 0
        return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])

    @classmethod
    def _migrate(cls, con: sqlite3.Connection, p: Path) -> None:
        version = cls._version(con)
        if version > SCHEMA_VERSION:
            raise StoreError(f"store schema {version} is newer than this lesionlab ({SCHEMA_VERSION})",
                             where=str(p), advice="update lesionlab")
        for m in MIGRATIONS:
            if m.version <= version:
                continue
            con.execute("BEGIN IMMEDIATE")
            try:
                if m.version == 1:
                    con.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                                " description TEXT NOT NULL, applied_at_utc TEXT NOT NULL)")
                m.apply(con)
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (m.version, m.description, _now()))
                con.execute(f"PRAGMA user_version={m.version}")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ life cycle
    @property
    def read_only(self) -> bool:
        return self._lock is None

    def close(self) -> None:
        try:
            self._con.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> "ReadingStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._version(self._con)

    def integrity_check(self) -> str:
        """``ok`` when SQLite finds the file sound."""
        return "; ".join(r[0] for r in self._con.execute("PRAGMA integrity_check"))

    def seal(self) -> None:
        """Fold the WAL into the main file and leave WAL mode, so the store is one file to ship.

        Opening it for writing again turns WAL back on.
        """
        self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._con.execute("PRAGMA journal_mode=DELETE")

    def edits(self) -> list[tuple[int, str, str]]:
        """The edit log: (edit_seq, at_utc, description), oldest first."""
        return [tuple(r) for r in self._con.execute("SELECT edit_seq, at_utc, description FROM edits ORDER BY edit_seq")]

    # ------------------------------------------------------------------ writing
    def write(self, change: Diff, description: str) -> int:
        """Commit one edit (a Project diff) in one transaction; returns its edit number."""
        if self._lock is None:
            raise StoreError("the store is open read-only", where=str(self.path),
                             advice="close the other lesionlab window and reopen the store for writing")
        con = self._con
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                for table in reversed(TABLES):
                    for key in change.deletes.get(table, ()):
                        DELETE[table](con, key)
                for table in TABLES:
                    for rec in change.upserts.get(table, ()):
                        UPSERT[table](con, rec)
                cur = con.execute("INSERT INTO edits (at_utc, description, pid, host) VALUES (?, ?, ?, ?)",
                                  (_now(), description, os.getpid(), socket.gethostname()))
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"the edit was not saved ({exc})", where=str(self.path)) from None
        if cur.lastrowid is None:  # sqlite3 sets it after every INSERT
            raise StoreError("the edit log gave no row id", where=str(self.path))
        return cur.lastrowid

    def save_project(self, project: Project, description: str = "import") -> int:
        """Write a whole project into an empty store as one edit."""
        return self.write(diff(self.load(), project), description)

    # ------------------------------------------------------------------ reading
    def load(self) -> Project:
        """Everything in the store, exactly as it was written."""
        con = self._con
        try:
            return Project.from_records(list(load_records(con)))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the store ({exc})", where=str(self.path)) from None


def open_reading(path: str | os.PathLike[str], reader: str) -> tuple[ReadingStore, Reading]:
    """Open a store for writing and a :class:`~annotation.reading.Reading` on it that autosaves."""
    store = ReadingStore.open(path)
    return store, Reading(store.load(), reader=reader, sink=store)
