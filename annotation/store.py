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
:class:`~app.errors.StoreLockedError` naming the holder; it may open the store read-only instead
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
from typing import Any, Callable, Iterator

from annotation.clinical import ClinicalRecord, Patient
from annotation.project import TABLES, Diff, Project, diff
from annotation.reading import Reading
from annotation.records import (CountMark, ExamPair, Lesion, Measurement, NotMeasurable, NotVisible, Observation,
                                SeriesFlag)
from annotation.vocab import ObservationStatus
from app.errors import StoreError, StoreLockedError
from viewer.records import Role

#: SQLite application_id of a lesionlab store ("LLab").
APPLICATION_ID = 0x4C4C6162
SUFFIX = ".lesionlab"


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def _run_script(con: sqlite3.Connection, script: str) -> None:
    """Execute statements one by one inside the caller's transaction (executescript would commit)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            con.execute(statement)
            statement = ""
    if statement.strip():
        raise StoreError(f"incomplete SQL in a migration: {statement.strip()[:80]}")


def _migration_1(con: sqlite3.Connection) -> None:
    _run_script(con, """
        CREATE TABLE project_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE patients (
            patient_id TEXT PRIMARY KEY, patient_name TEXT NOT NULL,
            sex TEXT, age_at_diagnosis_years INTEGER, primary_site TEXT,
            ki67_percent REAL, mitoses_per_10hpf REAL, grade_entered TEXT, grade_source TEXT,
            differentiation TEXT, liver_metastases TEXT,
            treatments TEXT NOT NULL  -- space-separated Treatment values, sorted
        );
        CREATE TABLE exam_pairs (
            patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL,
            ct_study_uid TEXT NOT NULL, mri_study_uid TEXT NOT NULL,
            ct_date TEXT, mri_date TEXT,  -- ISO dates
            PRIMARY KEY (patient_id, exam_pair_id)
        );
        -- reader is part of the key: several readers may read the same pair; a follow-up
        -- migration can add a link from a lesion to its earlier self by this key.
        CREATE TABLE lesions (
            patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL, reader TEXT NOT NULL,
            lesion_id TEXT NOT NULL, lobe TEXT NOT NULL, segment TEXT, comment TEXT NOT NULL,
            PRIMARY KEY (patient_id, exam_pair_id, reader, lesion_id)
        );
        CREATE TABLE observations (
            patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL, reader TEXT NOT NULL,
            lesion_id TEXT NOT NULL, series_role TEXT NOT NULL, status TEXT NOT NULL,
            comment TEXT NOT NULL DEFAULT '',
            stack_key TEXT, series_instance_uid TEXT, slice_index INTEGER,
            p1_row REAL, p1_col REAL, p2_row REAL, p2_col REAL,
            row_spacing_mm REAL, column_spacing_mm REAL,
            diameter_mm REAL,  -- for SQL readers only: recomputed from points and spacing on load
            PRIMARY KEY (patient_id, exam_pair_id, reader, lesion_id, series_role)
        );
        CREATE TABLE count_marks (
            mark_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL,
            reader TEXT NOT NULL, series_role TEXT NOT NULL, lobe TEXT NOT NULL,
            stack_key TEXT NOT NULL, slice_index INTEGER NOT NULL, row REAL NOT NULL, col REAL NOT NULL
        );
        CREATE INDEX count_marks_by_read ON count_marks (patient_id, exam_pair_id, reader, series_role);
        CREATE TABLE series_flags (
            patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL, reader TEXT NOT NULL,
            series_role TEXT NOT NULL, uncountable INTEGER NOT NULL, reason TEXT NOT NULL,
            PRIMARY KEY (patient_id, exam_pair_id, reader, series_role)
        );
        CREATE TABLE edits (
            edit_seq INTEGER PRIMARY KEY AUTOINCREMENT, at_utc TEXT NOT NULL,
            description TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL
        );
    """)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "patients, exam pairs, lesions, observations, count marks, series flags, edit log", _migration_1),
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
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
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
                        _DELETE[table](con, key)
                for table in TABLES:
                    for rec in change.upserts.get(table, ()):
                        _UPSERT[table](con, rec)
                cur = con.execute("INSERT INTO edits (at_utc, description, pid, host) VALUES (?, ?, ?, ?)",
                                  (_now(), description, os.getpid(), socket.gethostname()))
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"the edit was not saved ({exc})", where=str(self.path)) from None
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def save_project(self, project: Project, description: str = "import") -> int:
        """Write a whole project into an empty store as one edit."""
        return self.write(diff(self.load(), project), description)

    # ------------------------------------------------------------------ reading
    def load(self) -> Project:
        """Everything in the store, exactly as it was written."""
        con = self._con
        try:
            return Project.from_records(list(_load_records(con)))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the store ({exc})", where=str(self.path)) from None


# ---------------------------------------------------------------------------- row mapping
def _opt(value: Any) -> Any:
    return None if value is None else getattr(value, "value", value)


def _iso(d: _dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _up_patient(con: sqlite3.Connection, p: Patient) -> None:
    c = p.clinical
    con.execute("INSERT OR REPLACE INTO patients VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (p.patient_id, p.patient_name, _opt(c.sex), c.age_at_diagnosis_years, _opt(c.primary_site),
                 c.ki67_percent, c.mitoses_per_10hpf, _opt(c.grade_entered), _opt(c.grade_source),
                 _opt(c.differentiation), _opt(c.liver_metastases),
                 " ".join(sorted(t.value for t in c.treatments))))


def _up_pair(con: sqlite3.Connection, e: ExamPair) -> None:
    con.execute("INSERT OR REPLACE INTO exam_pairs VALUES (?,?,?,?,?,?)",
                (e.patient_id, e.exam_pair_id, e.ct_study_uid, e.mri_study_uid, _iso(e.ct_date), _iso(e.mri_date)))


def _up_lesion(con: sqlite3.Connection, les: Lesion) -> None:
    con.execute("INSERT OR REPLACE INTO lesions VALUES (?,?,?,?,?,?,?)",
                (*les.key, les.lobe.value, _opt(les.segment), les.comment))
    con.execute("DELETE FROM observations WHERE patient_id=? AND exam_pair_id=? AND reader=? AND lesion_id=?",
                les.key)
    for role, obs in les.observations:
        if isinstance(obs, Measurement):
            row = (obs.stack_key, obs.series_instance_uid, obs.slice_index, *obs.p1, *obs.p2,
                   obs.row_spacing_mm, obs.column_spacing_mm, obs.diameter_mm)
            comment = ""
        else:
            row = (None,) * 10
            comment = obs.comment
        con.execute("INSERT INTO observations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*les.key, role.value, obs.status.value, comment, *row))


def _up_mark(con: sqlite3.Connection, m: CountMark) -> None:
    con.execute("INSERT OR REPLACE INTO count_marks VALUES (?,?,?,?,?,?,?,?,?,?)",
                (m.mark_id, m.patient_id, m.exam_pair_id, m.reader, m.role.value, m.lobe.value, m.stack_key,
                 m.slice_index, m.row, m.col))


def _up_flag(con: sqlite3.Connection, f: SeriesFlag) -> None:
    con.execute("INSERT OR REPLACE INTO series_flags VALUES (?,?,?,?,?,?)",
                (f.patient_id, f.exam_pair_id, f.reader, f.role.value, int(f.uncountable), f.reason))


def _del_lesion(con: sqlite3.Connection, key: tuple[str, ...]) -> None:
    where = "patient_id=? AND exam_pair_id=? AND reader=? AND lesion_id=?"
    con.execute(f"DELETE FROM observations WHERE {where}", key)
    con.execute(f"DELETE FROM lesions WHERE {where}", key)


_UPSERT: dict[str, Callable[[sqlite3.Connection, Any], None]] = {
    "patients": _up_patient, "exam_pairs": _up_pair, "lesions": _up_lesion,
    "count_marks": _up_mark, "series_flags": _up_flag,
}
_DELETE: dict[str, Callable[[sqlite3.Connection, Any], None]] = {
    "patients": lambda con, k: con.execute("DELETE FROM patients WHERE patient_id=?", (k,)),
    "exam_pairs": lambda con, k: con.execute("DELETE FROM exam_pairs WHERE patient_id=? AND exam_pair_id=?", k),
    "lesions": _del_lesion,
    "count_marks": lambda con, k: con.execute("DELETE FROM count_marks WHERE mark_id=?", (k,)),
    "series_flags": lambda con, k: con.execute(
        "DELETE FROM series_flags WHERE patient_id=? AND exam_pair_id=? AND reader=? AND series_role=?",
        (*k[:3], Role.parse(k[3]).value)),
}


def _observation(r: sqlite3.Row | tuple[Any, ...]) -> Observation:
    status = ObservationStatus.parse(r[5], "status")
    if status is ObservationStatus.MEASURED:
        return Measurement(r[7], r[8], r[9], (r[10], r[11]), (r[12], r[13]), r[14], r[15])
    return (NotVisible if status is ObservationStatus.NOT_VISIBLE else NotMeasurable)(r[6])


def _load_records(con: sqlite3.Connection) -> Iterator[Any]:
    for r in con.execute("SELECT * FROM patients"):
        treatments = frozenset(r[11].split()) if r[11] else frozenset()
        yield Patient(r[0], r[1], ClinicalRecord(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], treatments))
    for r in con.execute("SELECT * FROM exam_pairs"):
        yield ExamPair(*r)
    obs: dict[tuple[str, ...], list[tuple[str, Observation]]] = {}
    for r in con.execute("SELECT * FROM observations"):
        obs.setdefault(tuple(r[:4]), []).append((r[4], _observation(r)))
    for r in con.execute("SELECT * FROM lesions"):
        yield Lesion(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(obs.get(tuple(r[:4]), ())))
    for r in con.execute("SELECT * FROM count_marks"):
        yield CountMark(*r)
    for r in con.execute("SELECT * FROM series_flags"):
        yield SeriesFlag(r[0], r[1], r[2], r[3], bool(r[4]), r[5])


def open_reading(path: str | os.PathLike[str], reader: str) -> tuple[ReadingStore, Reading]:
    """Open a store for writing and a :class:`~annotation.reading.Reading` on it that autosaves."""
    store = ReadingStore.open(path)
    return store, Reading(store.load(), reader=reader, sink=store)
