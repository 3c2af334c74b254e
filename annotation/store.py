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

Concurrency. A writable store is held by one process through an exclusive ``flock`` on the store
file itself (:mod:`annotation.store_lock`): the lock belongs to the file's identity, so a symlink
or a hard link to the store cannot give a second writer. The kernel drops the lock when the
process dies (even by SIGKILL), so there are no stale locks to clean. A second writer gets
:class:`~viewer.errors.StoreLockedError` naming the holder; it may open the store read-only instead
(WAL lets readers see the last committed state while the holder writes). SQLite's own locking
still guards the file underneath, so even a process that ignores the lock cannot corrupt it.

Refusals touch nothing. Before anything writes, the file is inspected through a read-only
connection (``immutable`` when no ``-wal`` exists, so not even ``-wal``/``-shm`` appear): a
foreign SQLite file or a store of a newer schema is refused as it was found. A store that this
call created is removed again when opening fails (e.g. on a full disk). Errors say what happened:
a full disk is "the disk is full", a bad row names the store, the table and the row's key.

Schema. ``schema_migrations`` lists the migrations applied; ``MIGRATIONS`` are applied in order,
each in its own transaction, when a store is opened for writing. A store made by a newer
lesionlab (unknown migration) is refused rather than guessed at.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import os
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from annotation import store_lock
from annotation.project import TABLES, Diff, Project, diff
from annotation.reading import Reading
from annotation.store_schema import DELETE, UPSERT, BadRow, load_records, migration_1
from viewer.errors import StoreError

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
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


# SQLite primary result codes this module tells apart (https://sqlite.org/rescode.html)
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_IOERR, _SQLITE_NOTADB = 11, 13, 10, 26
#: Below this much free space, an I/O error while writing is reported as a full disk.
_NEARLY_FULL_BYTES = 1 << 20
_NOT_A_STORE_ADVICE = "choose a .lesionlab file made by lesionlab"
_DISK_FULL_ADVICE = "free some space on that disk (or keep the store on another one) and retry; nothing was changed"


def disk_nearly_full(folder: Path) -> bool:
    """True when the file system holding ``folder`` has (almost) no space left for this user."""
    try:
        vfs = os.statvfs(folder)
    except OSError:
        return False
    free_blocks = vfs.f_bfree if os.geteuid() == 0 else vfs.f_bavail
    return free_blocks * vfs.f_frsize < _NEARLY_FULL_BYTES


def sqlite_error(exc: sqlite3.Error, where: Path, doing: str) -> StoreError:
    """A StoreError that says what an SQLite failure means for the reader (full disk, not a store...)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL or (primary == _SQLITE_IOERR and disk_nearly_full(where.parent)):
        return StoreError(f"{doing}: the disk is full", where=str(where), advice=_DISK_FULL_ADVICE)
    if primary == _SQLITE_NOTADB:
        return StoreError("not a lesionlab store (not an SQLite database)", where=str(where),
                          advice=_NOT_A_STORE_ADVICE)
    if primary == _SQLITE_CORRUPT:
        return StoreError(f"the store is damaged ({exc})", where=str(where),
                          advice="restore the store from a backup copy")
    return StoreError(f"{doing} ({exc})", where=str(where))


def os_error(exc: OSError, where: Path, doing: str) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreError(f"{doing}: the disk is full" + (" (quota)" if exc.errno == errno.EDQUOT else ""),
                          where=str(where), advice=_DISK_FULL_ADVICE)
    return StoreError(f"{doing} ({exc.strerror})", where=str(where),
                      advice="open a store in an existing folder you can write to")


def _remove_created(real: Path) -> None:
    """Remove a store file this call created (and what SQLite put beside it) after a failed open."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{real}{suffix}").unlink()


class ReadingStore:
    """An open ``.lesionlab`` store. Use :meth:`open`; it is also a context manager."""

    def __init__(self, path: Path, con: sqlite3.Connection, hold: store_lock.Hold, *, read_only: bool) -> None:
        self.path = path
        self._con = con
        self._hold = hold
        self._read_only = read_only

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False, create: bool = True) -> "ReadingStore":
        """Open (or create) a store; ``read_only`` never writes and needs no lock.

        A refused file (foreign, newer schema, locked) is left exactly as it was; a file this call
        created is removed again when opening fails.
        """
        given = Path(path)
        real = Path(os.path.realpath(given))  # the -wal and -shm files go beside the real file
        if real.is_dir():
            raise StoreError("this is a folder, not a store", where=str(given), advice=_NOT_A_STORE_ADVICE)
        if (read_only or not create) and not real.is_file():
            raise StoreError("no such store", where=str(given), advice="check the path or create the store first")
        if read_only:
            return cls._open_read_only(given, real)
        try:
            hold, created = store_lock.hold_writer(real, create=create)
        except OSError as exc:
            raise os_error(exc, given, "cannot create the store" if not real.exists() else "cannot open the store") from None
        con: sqlite3.Connection | None = None
        try:
            cls._inspect(real, given)  # refuse a foreign or newer file before anything writes
            con = cls._connect(real, given)
            if store_lock.identity(os.stat(real)) != hold.ident:
                raise StoreError("the store file was replaced while it was being opened", where=str(given))
            try:
                cls._migrate(con, given)
            except sqlite3.Error as exc:
                raise sqlite_error(exc, given, "cannot prepare the store") from None
        except BaseException:
            if con is not None:
                con.close()
            hold.release()
            if created:
                _remove_created(real)
            raise
        return cls(given, con, hold, read_only=False)

    @classmethod
    def _inspect(cls, real: Path, given: Path) -> int:
        """Check the header and schema version without writing anything; returns the version."""
        wal = Path(f"{real}-wal").exists()
        uri = f"{real.as_uri()}?mode=ro" + ("" if wal else "&immutable=1")
        try:
            con = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10.0)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, given, "cannot open the store") from None
        try:
            cls._check_header(con, given)
            version = cls._version(con)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, given, "cannot read the store") from None
        finally:
            con.close()
        if version > SCHEMA_VERSION:
            raise StoreError(f"store schema {version} is newer than this lesionlab ({SCHEMA_VERSION})",
                             where=str(given), advice="update lesionlab")
        return version

    @staticmethod
    def _connect(real: Path, given: Path) -> sqlite3.Connection:
        con = None
        try:
            con = sqlite3.connect(real, isolation_level=None, timeout=10.0, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            return con
        except sqlite3.Error as exc:
            if con is not None:
                con.close()
            raise sqlite_error(exc, given, "cannot open the store for writing") from None

    @classmethod
    def _open_read_only(cls, given: Path, real: Path) -> "ReadingStore":
        version = cls._inspect(real, given)
        if version < SCHEMA_VERSION:
            raise StoreError(f"store schema {version} needs migrating to {SCHEMA_VERSION}", where=str(given),
                             advice="open it once for writing to migrate it")
        hold = store_lock.hold_reader(os.stat(real))
        con = None
        try:
            con = sqlite3.connect(f"{real.as_uri()}?mode=ro", uri=True, isolation_level=None,
                                  timeout=10.0, check_same_thread=False)
            con.execute("PRAGMA query_only=1")
            cls._check_header(con, given)
        except BaseException as exc:
            if con is not None:
                con.close()
            hold.release()
            if isinstance(exc, sqlite3.Error):
                raise sqlite_error(exc, given, "cannot read the store") from None
            raise
        return cls(given, con, hold, read_only=True)

    @staticmethod
    def _check_header(con: sqlite3.Connection, p: Path) -> None:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        n_tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID and n_tables:
            raise StoreError("this SQLite file is not a lesionlab store", where=str(p), advice=_NOT_A_STORE_ADVICE)

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
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ life cycle
    @property
    def read_only(self) -> bool:
        return self._read_only

    def close(self) -> None:
        """Close the connection, then let go of the lock (closing twice does nothing)."""
        try:
            self._con.close()
        finally:
            self._hold.release()

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
        if self._read_only:
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
            raise sqlite_error(exc, self.path, "the edit was not saved") from None
        if cur.lastrowid is None:  # sqlite3 sets it after every INSERT
            raise StoreError("the edit log gave no row id", where=str(self.path))
        return cur.lastrowid

    def save_project(self, project: Project, description: str = "import") -> int:
        """Write a whole project into an empty store as one edit."""
        return self.write(diff(self.load(), project), description)

    # ------------------------------------------------------------------ reading
    def load(self) -> Project:
        """Everything in the store, exactly as it was written."""
        try:
            return Project.from_records(list(load_records(self._con)))
        except BadRow as bad:
            raise StoreError(bad.message, where=f"{self.path}, {bad.where}",
                             advice="the row was changed outside lesionlab: correct it with an SQLite tool "
                                    "or restore the store from a backup copy") from None
        except sqlite3.Error as exc:
            raise sqlite_error(exc, self.path, "cannot read the store") from None


def open_reading(path: str | os.PathLike[str], reader: str) -> tuple[ReadingStore, Reading]:
    """Open a store for writing and a :class:`~annotation.reading.Reading` on it that autosaves.

    When the store cannot be read (a bad row), it is closed again: nothing stays locked.
    """
    store = ReadingStore.open(path)
    try:
        return store, Reading(store.load(), reader=reader, sink=store)
    except BaseException:
        store.close()
        raise
