"""Schema of the reading store: the SQL of each migration and the record <-> row mapping.

Kept apart from :mod:`annotation.store` (connection, lock, transactions, migration machinery)
so that a new migration touches this file and its tests only.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from typing import Any, Callable, Iterator

from annotation._validate import new_uid
from annotation.clinical import ClinicalRecord, Patient
from annotation.records import (Alignment, CountMark, ExamPair, Lesion, Measurement, NotMeasurable, NotVisible,
                                Observation, SeriesFlag, reading_role)
from annotation.vocab import MeasurementMethod, ObservationStatus
from viewer.errors import StoreError
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


def migration_2(con: sqlite3.Connection) -> None:
    """Provenance of measurements (image, method, short axis), lesion tracking UIDs, three-state
    series counts, count marks pre-placed from lesions, alignments between frames of reference.

    Counts: schema 1 had no "counted" state, so a series with no mark read as "0 lesions" whether the
    reader had counted it or not. The migration keeps every not-countable flag, marks a series as
    counted where the reader placed marks on it, and leaves the others "not read": a 0 that was never
    said explicitly is not carried over (the checks then ask for it).
    """
    _run_script(con, """
        ALTER TABLE observations ADD COLUMN sop_instance_uid TEXT;
        ALTER TABLE observations ADD COLUMN sop_class_uid TEXT;
        ALTER TABLE observations ADD COLUMN instance_number INTEGER;
        ALTER TABLE observations ADD COLUMN frame_number INTEGER;
        ALTER TABLE observations ADD COLUMN method TEXT;
        ALTER TABLE observations ADD COLUMN method_params TEXT;
        ALTER TABLE observations ADD COLUMN p3_row REAL;
        ALTER TABLE observations ADD COLUMN p3_col REAL;
        ALTER TABLE observations ADD COLUMN p4_row REAL;
        ALTER TABLE observations ADD COLUMN p4_col REAL;
        ALTER TABLE observations ADD COLUMN short_axis_mm REAL;  -- for SQL readers only, like diameter_mm
        UPDATE observations SET method = 'manual', method_params = '' WHERE status = 'measured';
        ALTER TABLE lesions ADD COLUMN tracking_uid TEXT;
        CREATE UNIQUE INDEX lesions_by_tracking_uid ON lesions (patient_id, exam_pair_id, reader, tracking_uid);
        ALTER TABLE count_marks ADD COLUMN lesion_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE series_flags ADD COLUMN status TEXT;
        UPDATE series_flags SET status = 'not_countable' WHERE uncountable = 1;
        DELETE FROM series_flags WHERE uncountable = 0 AND NOT EXISTS (
            SELECT 1 FROM count_marks m WHERE m.patient_id = series_flags.patient_id
            AND m.exam_pair_id = series_flags.exam_pair_id AND m.reader = series_flags.reader
            AND m.series_role = series_flags.series_role);
        UPDATE series_flags SET status = 'counted' WHERE status IS NULL;
        INSERT INTO series_flags (patient_id, exam_pair_id, reader, series_role, uncountable, reason, status)
            SELECT DISTINCT patient_id, exam_pair_id, reader, series_role, 0, '', 'counted' FROM count_marks m
            WHERE NOT EXISTS (SELECT 1 FROM series_flags f WHERE f.patient_id = m.patient_id
                AND f.exam_pair_id = m.exam_pair_id AND f.reader = m.reader AND f.series_role = m.series_role);
        CREATE TABLE alignments (
            patient_id TEXT NOT NULL, fixed_frame_uid TEXT NOT NULL, moving_frame_uid TEXT NOT NULL,
            matrix TEXT NOT NULL,  -- JSON array of 12 numbers, 3x4 row-major, mm
            source TEXT NOT NULL, reader TEXT NOT NULL, note TEXT NOT NULL,
            PRIMARY KEY (patient_id, fixed_frame_uid, moving_frame_uid)
        );
    """)
    keys = con.execute("SELECT patient_id, exam_pair_id, reader, lesion_id FROM lesions").fetchall()
    for key in keys:
        con.execute("UPDATE lesions SET tracking_uid=? WHERE patient_id=? AND exam_pair_id=? AND reader=?"
                    " AND lesion_id=?", (new_uid(), *key))


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


_LESION_COLUMNS = "patient_id, exam_pair_id, reader, lesion_id, lobe, segment, comment, tracking_uid"
_OBS_COLUMNS = ("patient_id, exam_pair_id, reader, lesion_id, series_role, status, comment, stack_key,"
                " series_instance_uid, slice_index, p1_row, p1_col, p2_row, p2_col, row_spacing_mm,"
                " column_spacing_mm, diameter_mm, sop_instance_uid, sop_class_uid, instance_number, frame_number,"
                " method, method_params, p3_row, p3_col, p4_row, p4_col, short_axis_mm")
_MARK_COLUMNS = "mark_id, patient_id, exam_pair_id, reader, series_role, lobe, stack_key, slice_index, row, col, lesion_id"
_FLAG_COLUMNS = "patient_id, exam_pair_id, reader, series_role, status, reason, uncountable"
_ALIGN_COLUMNS = "patient_id, fixed_frame_uid, moving_frame_uid, matrix, source, reader, note"


def _marks(columns: str) -> str:
    return ",".join("?" * (columns.count(",") + 1))


def _up_lesion(con: sqlite3.Connection, les: Lesion) -> None:
    con.execute(f"INSERT OR REPLACE INTO lesions ({_LESION_COLUMNS}) VALUES ({_marks(_LESION_COLUMNS)})",
                (*les.key, les.lobe.value, _opt(les.segment), les.comment, les.tracking_uid))
    con.execute("DELETE FROM observations WHERE patient_id=? AND exam_pair_id=? AND reader=? AND lesion_id=?",
                les.key)
    for role, obs in les.observations:
        row: tuple[Any, ...]
        if isinstance(obs, Measurement):
            p3, p4 = obs.p3 or (None, None), obs.p4 or (None, None)
            row = ("", obs.stack_key, obs.series_instance_uid, obs.slice_index, *obs.p1, *obs.p2,
                   obs.row_spacing_mm, obs.column_spacing_mm, obs.diameter_mm, obs.sop_instance_uid,
                   obs.sop_class_uid, obs.instance_number, obs.frame_number, obs.method.value, obs.method_params,
                   *p3, *p4, obs.short_axis_mm)
        else:
            row = (obs.comment,) + (None,) * 21
        con.execute(f"INSERT INTO observations ({_OBS_COLUMNS}) VALUES ({_marks(_OBS_COLUMNS)})",
                    (*les.key, role.value, obs.status.value, *row))


def _up_mark(con: sqlite3.Connection, m: CountMark) -> None:
    con.execute(f"INSERT OR REPLACE INTO count_marks ({_MARK_COLUMNS}) VALUES ({_marks(_MARK_COLUMNS)})",
                (m.mark_id, m.patient_id, m.exam_pair_id, m.reader, m.role.value, m.lobe.value, m.stack_key,
                 m.slice_index, m.row, m.col, m.lesion_id))


def _up_flag(con: sqlite3.Connection, f: SeriesFlag) -> None:
    con.execute(f"INSERT OR REPLACE INTO series_flags ({_FLAG_COLUMNS}) VALUES ({_marks(_FLAG_COLUMNS)})",
                (f.patient_id, f.exam_pair_id, f.reader, f.role.value, f.status.value, f.reason, int(f.uncountable)))


def _up_alignment(con: sqlite3.Connection, a: Alignment) -> None:
    con.execute(f"INSERT OR REPLACE INTO alignments ({_ALIGN_COLUMNS}) VALUES ({_marks(_ALIGN_COLUMNS)})",
                (*a.key, json.dumps(list(a.matrix)), a.source.value, a.reader, a.note))


def _del_lesion(con: sqlite3.Connection, key: tuple[str, ...]) -> None:
    where = "patient_id=? AND exam_pair_id=? AND reader=? AND lesion_id=?"
    con.execute(f"DELETE FROM observations WHERE {where}", key)
    con.execute(f"DELETE FROM lesions WHERE {where}", key)


UPSERT: dict[str, Callable[[sqlite3.Connection, Any], None]] = {
    "patients": _up_patient, "exam_pairs": _up_pair, "lesions": _up_lesion,
    "count_marks": _up_mark, "series_flags": _up_flag, "alignments": _up_alignment,
}
DELETE: dict[str, Callable[[sqlite3.Connection, Any], object]] = {
    "patients": lambda con, k: con.execute("DELETE FROM patients WHERE patient_id=?", (k,)),
    "exam_pairs": lambda con, k: con.execute("DELETE FROM exam_pairs WHERE patient_id=? AND exam_pair_id=?", k),
    "lesions": _del_lesion,
    "count_marks": lambda con, k: con.execute("DELETE FROM count_marks WHERE mark_id=?", (k,)),
    "series_flags": lambda con, k: con.execute(
        "DELETE FROM series_flags WHERE patient_id=? AND exam_pair_id=? AND reader=? AND series_role=?",
        (*k[:3], Role.parse(k[3]).value)),
    "alignments": lambda con, k: con.execute(
        "DELETE FROM alignments WHERE patient_id=? AND fixed_frame_uid=? AND moving_frame_uid=?", k),
}


def _point(row: Any, col: Any) -> tuple[float, float] | None:
    return None if row is None else (row, col)


def _observation(r: sqlite3.Row | tuple[Any, ...]) -> Observation:
    """An observation from a row selected with _OBS_COLUMNS."""
    status = ObservationStatus.parse(r[5], "status")
    if status is ObservationStatus.MEASURED:
        return Measurement(r[7], r[8], r[9], (r[10], r[11]), (r[12], r[13]), r[14], r[15],
                           sop_instance_uid=r[17] or "", sop_class_uid=r[18] or "", instance_number=r[19],
                           frame_number=r[20], method=MeasurementMethod.parse(r[21] or "manual", "method"),
                           method_params=r[22] or "",
                           p3=_point(r[23], r[24]), p4=_point(r[25], r[26]))
    return (NotVisible if status is ObservationStatus.NOT_VISIBLE else NotMeasurable)(r[6])


def load_records(con: sqlite3.Connection) -> Iterator[Any]:
    for r in con.execute("SELECT * FROM patients"):
        treatments = frozenset(r[11].split()) if r[11] else frozenset()
        yield Patient(r[0], r[1], ClinicalRecord(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], treatments))
    for r in con.execute("SELECT * FROM exam_pairs"):
        yield ExamPair(*r)
    obs: dict[tuple[str, ...], list[tuple[Role, Observation]]] = {}
    for r in con.execute(f"SELECT {_OBS_COLUMNS} FROM observations"):
        obs.setdefault(tuple(r[:4]), []).append((reading_role(r[4], "series_role"), _observation(r)))
    for r in con.execute(f"SELECT {_LESION_COLUMNS} FROM lesions"):
        yield Lesion(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(obs.get(tuple(r[:4]), ())), r[7])
    for r in con.execute(f"SELECT {_MARK_COLUMNS} FROM count_marks"):
        yield CountMark(*r)
    for r in con.execute(f"SELECT {_FLAG_COLUMNS} FROM series_flags"):
        yield SeriesFlag(r[0], r[1], r[2], r[3], r[4], r[5])
    for r in con.execute(f"SELECT {_ALIGN_COLUMNS} FROM alignments"):
        yield Alignment(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6])
