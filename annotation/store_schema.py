"""Schema of the reading store: the SQL of each migration and the record <-> row mapping.

Kept apart from :mod:`annotation.store` (connection, lock, transactions, migration machinery)
so that a new migration touches this file and its tests only.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from typing import Any, Callable, Iterator

from annotation.clinical import ClinicalRecord, Patient
from annotation.records import (CountMark, ExamPair, Lesion, Measurement, NotMeasurable, NotVisible, Observation,
                                SeriesFlag, reading_role)
from annotation.vocab import ObservationStatus
from viewer.errors import StoreError, ValidationError
from viewer.records import Role


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


def migration_1(con: sqlite3.Connection) -> None:
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
        row: tuple[Any, ...]
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


UPSERT: dict[str, Callable[[sqlite3.Connection, Any], None]] = {
    "patients": _up_patient, "exam_pairs": _up_pair, "lesions": _up_lesion,
    "count_marks": _up_mark, "series_flags": _up_flag,
}
DELETE: dict[str, Callable[[sqlite3.Connection, Any], object]] = {
    "patients": lambda con, k: con.execute("DELETE FROM patients WHERE patient_id=?", (k,)),
    "exam_pairs": lambda con, k: con.execute("DELETE FROM exam_pairs WHERE patient_id=? AND exam_pair_id=?", k),
    "lesions": _del_lesion,
    "count_marks": lambda con, k: con.execute("DELETE FROM count_marks WHERE mark_id=?", (k,)),
    "series_flags": lambda con, k: con.execute(
        "DELETE FROM series_flags WHERE patient_id=? AND exam_pair_id=? AND reader=? AND series_role=?",
        (*k[:3], Role.parse(k[3]).value)),
}


class BadRow(Exception):
    """A row that does not make a valid record: names the table and the row's key."""

    def __init__(self, table: str, key: tuple[Any, ...], problem: Exception) -> None:
        self.where = f"table {table}, row ({', '.join(str(k) for k in key)})"
        self.message = str(problem) or type(problem).__name__
        super().__init__(f"{self.where}: {self.message}")


#: What building a record from a bad row can raise (records validate; odd SQL types fail earlier).
_ROW_PROBLEMS = (ValidationError, TypeError, ValueError, AttributeError, IndexError)


def _rows(con: sqlite3.Connection, table: str, key_len: int, build: Callable[[Any], Any]) -> Iterator[Any]:
    """``build(row)`` for every row of ``table``; a row that fails raises BadRow with its key."""
    for r in con.execute(f"SELECT * FROM {table}"):
        try:
            yield build(r)
        except _ROW_PROBLEMS as exc:
            raise BadRow(table, tuple(r[:key_len]), exc) from None


def _observation(r: sqlite3.Row | tuple[Any, ...]) -> tuple[Role, Observation]:
    role = reading_role(r[4], "series_role")
    status = ObservationStatus.parse(r[5], "status")
    if status is ObservationStatus.MEASURED:
        return role, Measurement(r[7], r[8], r[9], (r[10], r[11]), (r[12], r[13]), r[14], r[15])
    return role, (NotVisible if status is ObservationStatus.NOT_VISIBLE else NotMeasurable)(r[6])


def _patient(r: tuple[Any, ...]) -> Patient:
    treatments = frozenset(r[11].split()) if r[11] else frozenset()
    return Patient(r[0], r[1], ClinicalRecord(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], treatments))


def load_records(con: sqlite3.Connection) -> Iterator[Any]:
    """Every record of the store; raises :class:`BadRow` on the first row that is not a valid record."""
    yield from _rows(con, "patients", 1, _patient)
    yield from _rows(con, "exam_pairs", 2, lambda r: ExamPair(*r))
    obs: dict[tuple[str, ...], list[tuple[Role, Observation]]] = {}
    for key, item in _rows(con, "observations", 5, lambda r: (tuple(r[:4]), _observation(r))):
        obs.setdefault(key, []).append(item)
    yield from _rows(con, "lesions", 4, lambda r: Lesion(r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                                                          tuple(obs.get(tuple(r[:4]), ()))))
    yield from _rows(con, "count_marks", 1, lambda r: CountMark(*r))
    yield from _rows(con, "series_flags", 4, lambda r: SeriesFlag(r[0], r[1], r[2], r[3], bool(r[4]), r[5]))
