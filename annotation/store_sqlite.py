"""The SQLite backend: one ``.lesionlab`` file per project, held by one writer.

Durability. The database runs in WAL mode with ``synchronous=FULL``. Every edit is one
``BEGIN IMMEDIATE ... COMMIT`` transaction; with WAL the database is consistent at every instant,
so a process killed at any moment loses at most the transaction in flight. ``synchronous=NORMAL``
would already give that against a killed *process* (committed frames sit in the OS page cache);
``FULL`` adds an fsync of the WAL at each commit so that an acknowledged edit also survives an OS
crash or a power cut (about a millisecond per edit at human pace; bench/bench_store.py).

Concurrency. A writable store is held by one process through an exclusive ``flock`` on the store
file itself (:mod:`annotation.store_lock`): the lock belongs to the file's identity, so a symlink
or a hard link cannot give a second writer. The kernel drops it when the process dies (even by
SIGKILL). A second writer gets :class:`~viewer.errors.StoreLockedError` naming the holder; it may
open the store read-only (WAL lets readers see the last committed state while the holder writes).

Read-only locations (:mod:`annotation.store_readonly`). A read-only open reads a store on a
read-only mount or in a folder this user may not write (where SQLite cannot create the ``-shm`` a
WAL store needs) through ``immutable`` or an in-memory snapshot, whichever is safe there; a
writable open of such a store is refused before anything is opened, naming the location.

Refusals touch nothing. Before anything writes, the file is inspected through a read-only
connection (``immutable`` when no ``-wal`` exists, so not even ``-wal``/``-shm`` appear): a
foreign SQLite file or a store of a newer schema is refused as it was found. A file this open
created is removed again when opening fails (e.g. on a full disk). Errors say what happened: a
full disk is "the disk is full" whatever SQLite's code for it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

from annotation import store_lock
from annotation.store_backend import Db, Rows, newer_store_error
from annotation.store_location import Backend, StoreLocation
from annotation.store_readonly import (ReadWay, pending_bytes, pending_refusal, read_way_of, same_file,
                                      write_refusal)
from viewer.errors import StoreError, StoreFullError

#: SQLite application_id of a lesionlab store ("LLab").
APPLICATION_ID = 0x4C4C6162
SUFFIX = ".lesionlab"

# SQLite primary result codes told apart here (https://sqlite.org/rescode.html)
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_IOERR, _SQLITE_NOTADB = 11, 13, 10, 26
#: Below this much free space, an I/O error while writing is reported as a full disk.
_NEARLY_FULL_BYTES = 1 << 20
NOT_A_STORE_ADVICE = "choose a .lesionlab file made by lesionlab"
DISK_FULL_ADVICE = "free some space on that disk (or keep the store on another one) and retry; nothing was changed"


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
        return StoreFullError(f"{doing}: the disk is full", where=str(where), advice=DISK_FULL_ADVICE)
    if primary == _SQLITE_NOTADB:
        return StoreError("not a lesionlab store (not an SQLite database)", where=str(where),
                          advice=NOT_A_STORE_ADVICE)
    if primary == _SQLITE_CORRUPT:
        return StoreError(f"the store is damaged ({exc})", where=str(where),
                          advice="restore the store from a backup copy")
    return StoreError(f"{doing} ({exc})", where=str(where))


def os_error(exc: OSError, where: Path, doing: str) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreFullError(f"{doing}: the disk is full" + (" (quota)" if exc.errno == errno.EDQUOT else ""),
                          where=str(where), advice=DISK_FULL_ADVICE)
    return StoreError(f"{doing} ({exc.strerror})", where=str(where),
                      advice="open a store in an existing folder you can write to")


def _version(con: sqlite3.Connection) -> int:
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name='schema_migrations'").fetchone():
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])


def _check_header(con: sqlite3.Connection, where: Path) -> None:
    app_id = con.execute("PRAGMA application_id").fetchone()[0]
    n_tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id != APPLICATION_ID and n_tables:
        raise StoreError("this SQLite file is not a lesionlab store", where=str(where), advice=NOT_A_STORE_ADVICE)


class SqliteDb(Db):
    """An open ``.lesionlab`` file (see the module docstring)."""

    backend = Backend.SQLITE

    def __init__(self, location: StoreLocation, real: Path, con: sqlite3.Connection, hold: store_lock.Hold | None,
                 *, read_only: bool, created: bool = False) -> None:
        self.location, self.real, self.con, self._hold = location, real, con, hold
        self.read_only, self._created = read_only, created

    @property
    def path(self) -> Path:
        assert self.location.path is not None
        return self.location.path

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, location: StoreLocation, *, read_only: bool, create: bool, schema_version: int) -> "SqliteDb":
        """Open (or create) the file; a refused file is left as it was, a created one removed on failure."""
        given = location.path
        assert given is not None
        real = Path(os.path.realpath(given))  # the -wal and -shm files go beside the real file
        if real.is_dir():
            raise StoreError("this is a folder, not a store", where=str(given), advice=NOT_A_STORE_ADVICE)
        if (read_only or not create) and not real.is_file():
            raise StoreError("no such store", where=str(given), advice="check the path, or create an empty store first: "
                             "lesionlab store create PATH")
        if read_only:
            if real.stat().st_size == 0:  # sqlite reads an empty file as an empty store: "0 patients" exported
                raise StoreError("the file is empty (0 bytes), not a reading project", where=str(given),
                                 advice="a copy cut short? open the original, or a backup of it")
            return cls._open_read_only(location, real, schema_version)
        refusal = write_refusal(real, given)  # a read-only location: say so, not "close other windows"
        if refusal is not None:
            raise refusal
        try:
            hold, created = store_lock.hold_writer(real, create=create)
        except OSError as exc:
            raise os_error(exc, given, "cannot create the store" if not real.exists() else
                           "cannot open the store") from None
        con: sqlite3.Connection | None = None
        try:
            cls._inspect(real, given, schema_version)  # refuse a foreign or newer file before anything writes
            con = cls._connect(real, given)
            if store_lock.identity(os.stat(real)) != hold.ident:
                raise StoreError("the store file was replaced while it was being opened", where=str(given))
        except BaseException:
            if con is not None:
                con.close()
            if not created:
                _remove_unused_wal(real, hold)
            hold.release()
            if created:
                _remove_created(real)
            raise
        return cls(location, real, con, hold, read_only=False, created=created)

    @staticmethod
    def _inspect(real: Path, given: Path, schema_version: int) -> int:
        """Check the header and schema version without writing anything; returns the version."""
        wal = Path(f"{real}-wal").exists()
        uri = f"{real.as_uri()}?mode=ro" + ("" if wal else "&immutable=1")
        try:
            con = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10.0)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, given, "cannot open the store") from None
        try:
            _check_header(con, given)
            version = _version(con)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, given, "cannot read the store") from None
        finally:
            con.close()
        if version > schema_version:
            raise newer_store_error(version, schema_version, str(given))
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
    def _open_read_only(cls, location: StoreLocation, real: Path, schema_version: int) -> "SqliteDb":
        given = location.path
        assert given is not None
        full: StoreFullError | None = None  # SHARED failed for want of space to grow the -shm
        for _ in range(3):  # a SNAPSHOT that saw a writer start decides again (it then reads SHARED)
            if full is not None:
                if pending_bytes(real):  # edits in the -wal: only a connection with a -shm reads them
                    raise full
                way = ReadWay.SNAPSHOT  # store_readonly's "A full disk"
            else:
                way = read_way_of(real)
                if way is not ReadWay.SHARED and _shared_works(real):
                    way = ReadWay.SHARED  # a sealed store (no WAL) reads as ever, without -shm
            if way is ReadWay.PENDING:
                raise pending_refusal(real, given)
            if way is ReadWay.SHARED:
                try:
                    cls._inspect(real, given, schema_version)
                except StoreFullError as exc:
                    full = exc
                    continue
                uri = f"{real.as_uri()}?mode=ro"
            else:
                uri = f"{real.as_uri()}?mode=ro&immutable=1"
            hold = store_lock.hold_reader(os.stat(real))
            con = None
            try:
                con = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10.0, check_same_thread=False)
                if way is ReadWay.SNAPSHOT:
                    con = _snapshot(con, real)
                    if con is None:
                        hold.release()
                        continue
                con.execute("PRAGMA query_only=1")
                _check_header(con, given)
                if way is not ReadWay.SHARED and _version(con) > schema_version:
                    raise newer_store_error(_version(con), schema_version, str(given))
            except BaseException as exc:
                if con is not None:
                    con.close()
                hold.release()
                if isinstance(exc, sqlite3.Error):
                    said = sqlite_error(exc, given, "cannot read the store")
                    if way is ReadWay.SHARED and isinstance(said, StoreFullError):
                        full = said
                        continue
                    raise said from None
                raise
            return cls(location, real, con, hold, read_only=True)
        raise StoreError("the store kept changing while it was being read", where=str(given),
                         advice="retry; or ask whoever writes it for a copy")

    # ------------------------------------------------------------------ SQL
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        return self.con.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.con.executemany(sql, rows)

    def begin(self) -> None:
        self.con.execute("BEGIN IMMEDIATE")  # the write lock now, not at the first write

    def begin_migration(self) -> None:
        self.con.execute("BEGIN IMMEDIATE")

    def rollback(self) -> None:
        if self.con.in_transaction:
            self.con.execute("ROLLBACK")

    def retryable(self, exc: BaseException) -> bool:
        return False  # one writer holds the file; SQLite's busy timeout covers readers' checkpoints

    # ------------------------------------------------------------------ catalogue
    def has_table(self, name: str) -> bool:
        return self.con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None

    def tables(self) -> list[str]:
        return [r[0] for r in self.con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def mark_as_store(self) -> None:
        self.con.execute(f"PRAGMA application_id={APPLICATION_ID}")

    def after_migration(self, version: int) -> None:
        self.con.execute(f"PRAGMA user_version={int(version)}")

    # ------------------------------------------------------------------ errors, checks, life cycle
    def error(self, exc: BaseException, doing: str) -> StoreError | None:
        if isinstance(exc, sqlite3.Error):
            return sqlite_error(exc, self.path, doing)
        if isinstance(exc, OSError):
            return os_error(exc, self.path, doing)
        return None

    def integrity_check(self) -> str:
        """``ok`` when SQLite finds the file sound."""
        return "; ".join(r[0] for r in self.con.execute("PRAGMA integrity_check"))

    def seal(self) -> None:
        """Fold the WAL into the main file and leave WAL mode, so the store is one file to ship."""
        self.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.con.execute("PRAGMA journal_mode=DELETE")

    def in_memory_copy(self) -> "SqliteDb":
        """A writable copy of this store in memory (to migrate an older store for reading only)."""
        mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            self.con.backup(mem)
        except sqlite3.Error as exc:
            mem.close()
            raise sqlite_error(exc, self.path, "cannot read the store") from None
        return SqliteDb(self.location, self.real, mem, None, read_only=False)

    def close(self) -> None:
        """Close; the ``-wal`` and ``-shm`` beside the store go with the last connection (SQLite removes them when
        a connection that may write closes last; after a read-only one, :func:`_tidy_after_reading` does). A writer
        folds its edits into the store first, so a reader still connected leaves an empty ``-wal`` to tidy."""
        try:
            if not self.read_only and self._hold is not None:
                with contextlib.suppress(sqlite3.Error):
                    self.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.con.close()
            if not self.read_only and self._hold is not None:
                _remove_unused_wal(self.real, self._hold)
        finally:
            if self._hold is not None:
                self._hold.release()
        if self.read_only and self._hold is not None:
            _tidy_after_reading(self.real)

    def abandon(self) -> None:
        """Close after a failed open; a file this open created goes again."""
        self.close()
        if self._created:
            _remove_created(self.real)


def _shared_works(real: Path) -> bool:
    """Whether SQLite's ordinary read-only open reads the store where it is (it creates nothing where
    it cannot write: a WAL store there fails with "unable to open database file")."""
    try:
        con = sqlite3.connect(f"{real.as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=10.0)
    except sqlite3.Error:
        return False
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlite3.Error:
        return False
    finally:
        con.close()


def _snapshot(src: sqlite3.Connection, real: Path) -> sqlite3.Connection | None:
    """The store copied into memory from an ``immutable`` connection, or None when a writer touched the
    file during the copy (:mod:`annotation.store_readonly`, SNAPSHOT); ``src`` is closed either way."""
    mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    shm = Path(f"{real}-shm")
    try:
        before, had_shm = _settled_stat(real), shm.exists()
        src.backup(mem)
        # a writer that started made a -shm (or found one: then its commit fills the -wal, a checkpoint the file)
        unchanged = same_file(before, os.stat(real)) and not pending_bytes(real) and (had_shm or not shm.exists())
    except BaseException:
        mem.close()
        raise
    finally:
        src.close()
    if not unchanged:
        mem.close()
        return None
    return mem


#: a file system's time stamps follow a clock of ticks: Linux's coarse clock (1-10 ms) on ext4, xfs, btrfs, tmpfs;
#: whole seconds (ext3, many NFS servers) or two (FAT) where the times have no fraction of a second
_TICK_NS = 20_000_000
_COARSE_TICK_NS = 2_000_000_000
#: how long a copy waits for the store's last change to be a tick old before it says why it cannot tell
_SETTLE_LIMIT_S = 3.0
#: how far behind this computer's clock the clock that dates the store's changes (a file server's) may be for a change
#: dated longer ago than a tick and this to be trusted as a tick old without watching the file (Kerberos, which shares
#: are often mounted with, refuses a clock five minutes off); nearer changes are watched (:func:`_settled_stat`)
_SKEW_ALLOWANCE_NS = 300_000_000_000


def _tick_of(st: os.stat_result) -> int:
    return _COARSE_TICK_NS if st.st_mtime_ns % 1_000_000_000 == 0 and st.st_ctime_ns % 1_000_000_000 == 0 \
        else _TICK_NS


def _settled_stat(real: Path) -> os.stat_result:
    """The store file's stat once its last change is more than a time stamp's tick old by the clock that dated it, so
    that a write after it changes the file's times (a write within the tick of the change before left them as they
    were, and a copy made meanwhile was trusted: sessions 42-43).

    That clock is a file server's for a store on a share, and may be seconds off this computer's (session 45): behind,
    a change made right now looked seconds old and the copy started at once, within its tick; ahead, a quiet store was
    refused as "dated ahead of this computer's clock". So the times are compared with this computer's clock only for a
    change dated longer ago than a tick and :data:`_SKEW_ALLOWANCE_NS` (a server behind by more is not told); a nearer
    one is watched instead: two stats a tick apart by this computer's monotonic clock showing the same times mean the
    dating clock, whatever its skew, has moved past the tick of the last change before the second. Waits a tick (two
    seconds where times are whole seconds); a file changed again and again for :data:`_SETTLE_LIMIT_S` (a copy still
    being made) is refused, naming that."""
    deadline = time.monotonic() + _SETTLE_LIMIT_S
    st = os.stat(real)
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _tick_of(st) + _SKEW_ALLOWANCE_NS:
        return st
    while True:
        watched = time.monotonic()
        while (left := watched + _tick_of(st) / 1e9 - time.monotonic()) > 0:
            time.sleep(left)
        again = os.stat(real)
        if same_file(st, again):
            return again
        if time.monotonic() >= deadline:
            raise StoreError(f"the store kept changing for {_SETTLE_LIMIT_S:.0f} s, so a copy of it for reading could "
                             "not be trusted", where=str(real),
                             advice="retry once whoever writes it (or copies it here) has finished")
        st = again


def _tidy_after_reading(real: Path) -> None:
    """Remove the ``-wal`` and ``-shm`` a read-only connection left beside a WAL store.

    SQLite removes both when the last connection to the store closes, but only if that connection may
    write: a read-only one (an export, ``lesionlab response STORE``, a study folder's project browsed)
    creates them and leaves them behind. So after one closes, a connection that may write is opened and
    closed at once, and SQLite removes them if it is the last one (any reader or writer still connected,
    in this process or another, keeps them). Only when the ``-wal`` is empty, so nothing is written into
    the store itself, and only while no writer holds the store. Best effort: never raises."""
    wal, shm = Path(f"{real}-wal"), Path(f"{real}-shm")
    try:
        if not (wal.exists() or shm.exists()) or (wal.exists() and wal.stat().st_size):
            return  # nothing left, or a writer's committed edits, which its next open folds in
        if not (os.access(real, os.W_OK) and os.access(real.parent, os.W_OK)):
            return
        hold, _ = store_lock.hold_writer(real, create=False)
    except (StoreError, OSError):
        return  # a writer has the store (this process or another): its close removes them
    try:
        con = sqlite3.connect(real, isolation_level=None, timeout=0.5)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        pass
    finally:
        hold.release()


#: the byte of the ``-shm`` every connection mapping it holds a shared POSIX lock on (SQLite's unix VFS: UNIX_SHM_DMS,
#: (22 + 8) * 4 + 8), and which the first connection takes exclusively to start it afresh
_SHM_DMS_BYTE = 128
#: the bytes of the store file every SQLite connection holds a shared POSIX lock on while it is open in WAL mode (and
#: takes before it opens the ``-wal``): SQLite's SHARED_FIRST (PENDING_BYTE 0x40000000 + 2) and SHARED_SIZE
_SHARED_FIRST, _SHARED_SIZE = 0x40000000 + 2, 510


def _remove_unused_wal(real: Path, hold: store_lock.Hold) -> None:
    """Remove an empty ``-wal`` and the ``-shm`` beside the store ``real`` that no connection uses, as SQLite does when
    its last connection closes; called by a writer (``hold``) that closed its connection or failed to open one.

    A write-open that failed on a nearly full disk left an empty ``-wal`` and a ``-shm`` of what was free, which SQLite
    never removed (its connection never mapped the ``-shm``), closing too: they stayed until someone opened the store
    for writing with space free (sessions 42-43). Only with the ``-wal`` empty (the main file then holds every committed
    edit) and no connection open or opening on the store, as SQLite itself removes them: every connection holds a
    shared lock on the store file's SHARED bytes while it is open and takes it before it opens the ``-wal``, so this
    takes those bytes exclusively (SQLite's EXCLUSIVE, without waiting) and removes both files while holding them; a
    connection opening meanwhile waits (its busy timeout) and then starts afresh, a reader in another process keeps
    them. Checking only the ``-shm``'s DMS byte let a reader that had opened the ``-wal`` but not yet mapped the
    ``-shm`` keep the unlinked ``-wal`` ("disk I/O error" once a writer committed: review of session 44); that byte is
    still checked. Only when no other store of this process is on the file, and none registers meanwhile (opening and
    closing a descriptor of the store or its ``-shm`` would drop this process's SQLite locks on it). Best effort: never
    raises."""
    wal, shm = Path(f"{real}-wal"), Path(f"{real}-shm")
    with store_lock.alone(hold) as sole:
        try:
            if not sole or (wal.exists() and wal.stat().st_size) or not (wal.exists() or shm.exists()):
                return
            db_fd = os.open(real, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            return
        try:
            fcntl.lockf(db_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, _SHARED_SIZE, _SHARED_FIRST)
            _remove_unmapped(wal, shm)
        except OSError:
            pass  # a connection is open (or opening) on the store: the -wal and -shm are its, and SQLite's to remove
        finally:
            os.close(db_fd)  # drops the lock


def _remove_unmapped(wal: Path, shm: Path) -> None:
    """Remove the empty ``wal`` and the ``shm`` when no connection maps the ``shm`` (the caller holds the store's
    EXCLUSIVE bytes); OSError when one does."""
    if not shm.exists():
        if not wal.exists() or wal.stat().st_size == 0:
            wal.unlink(missing_ok=True)  # an empty -wal alone: no connection (each maps the -shm)
        return
    fd = os.open(shm, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
        if not wal.exists() or wal.stat().st_size == 0:  # still empty with the bytes held: nobody can write it now
            wal.unlink(missing_ok=True)
            shm.unlink()
    finally:
        os.close(fd)  # drops the lock


def _remove_created(real: Path) -> None:
    """Remove a store file an open created (and what SQLite put beside it) after that open failed."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{real}{suffix}").unlink()
