"""Schema of the reading store: the SQL of each migration and the record <-> row mapping.

Kept apart from :mod:`annotation.store` (transactions, migration machinery) and the backends so
that a new migration touches this file and its tests only. Every function here takes a
:class:`~annotation.store_backend.Db` and writes SQL once for SQLite and PostgreSQL alike:
``?`` placeholders, ``INSERT ... ON CONFLICT (key) DO UPDATE`` upserts, DDL through
``db.script`` (which spells ``REAL`` as ``DOUBLE PRECISION`` on PostgreSQL). Adding a migration:
annotation/README.md, "Adding a migration".
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from annotation._validate import new_uid
from annotation.clinical import ClinicalRecord, Patient
from annotation.lobes import LobeBoundary
from annotation.project import Diff, Project
from annotation.records import (Alignment, CountMark, ExamPair, Lesion, Measurement, NotMeasurable, NotVisible,
                                Observation, SeriesFlag, reading_role)
from annotation.store_backend import Db
from annotation.store_location import Backend
from annotation.vocab import MeasurementMethod, ObservationStatus, Treatment
from viewer.errors import ValidationError
from viewer.records import READING_ROLES, Role


def migration_1(db: Db) -> None:
    db.script("""
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


def migration_2(db: Db) -> None:
    """Provenance of measurements (image, method, short axis), lesion tracking UIDs, three-state
    series counts, count marks pre-placed from lesions, alignments between frames of reference.

    Counts: schema 1 had no "counted" state, so a series with no mark read as "0 lesions" whether the
    reader had counted it or not. The migration keeps every not-countable flag, marks a series as
    counted where the reader placed marks on it, and leaves the others "not read": a 0 that was never
    said explicitly is not carried over (the checks then ask for it).
    """
    db.script("""
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
    keys = db.execute("SELECT patient_id, exam_pair_id, reader, lesion_id FROM lesions").fetchall()
    for key in keys:
        db.execute("UPDATE lesions SET tracking_uid=? WHERE patient_id=? AND exam_pair_id=? AND reader=?"
                    " AND lesion_id=?", (new_uid(), *key))


def migration_3(db: Db) -> None:
    """The right/left liver boundary each reader draws per exam pair and frame of reference."""
    db.script("""
        CREATE TABLE lobe_boundaries (
            patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL, reader TEXT NOT NULL,
            frame_of_reference_uid TEXT NOT NULL,
            lines TEXT NOT NULL,  -- JSON [[x1, y1, x2, y2, z], ...], patient mm (LPS), axial segments
            PRIMARY KEY (patient_id, exam_pair_id, reader, frame_of_reference_uid)
        );
    """)


def migration_edit_attribution(db: Db) -> None:
    """The edit log names the reader and exam pair of each edit (reading time per case, blinding)."""
    db.script("""
        ALTER TABLE edits ADD COLUMN reader TEXT NOT NULL DEFAULT '';
        ALTER TABLE edits ADD COLUMN patient_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE edits ADD COLUMN exam_pair_id TEXT NOT NULL DEFAULT '';
        CREATE INDEX edits_by_read ON edits (reader, patient_id, exam_pair_id);
    """)


#: Tables whose rows belong to one reader (row-level security on PostgreSQL). A later migration
#: that adds such a table calls ``db.reader_keyed(name)`` itself.
READER_KEYED_TABLES = ("lesions", "observations", "count_marks", "series_flags", "lobe_boundaries", "edits")


def migration_reader_security(db: Db) -> None:
    """Database roles bound to readers, and each reader's rows visible to that reader only (PostgreSQL)."""
    db.script("""
        CREATE TABLE store_roles (
            db_role TEXT PRIMARY KEY, reader TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('reader', 'adjudicator', 'coordinator'))
        );
    """)
    db.prepare_reader_security()
    for table in READER_KEYED_TABLES:
        db.reader_keyed(table)


#: Reader-study tables (annotation/study_store.py); the reader-keyed ones hold one reader's rows.
STUDY_READER_TABLES = ("study_order", "study_reads", "study_pairings")


def migration_reader_studies(db: Db) -> None:
    """Reader studies: the definition, cases behind study codes, each reader's seeded order, and
    when each reader opened and finished each case per session. A reader's rows include the
    session reads stored under ``READER@SESSION`` (the policies are declared again for that)."""
    db.script("""
        CREATE TABLE studies (study_id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at_utc TEXT NOT NULL);
        CREATE TABLE study_cases (
            study_id TEXT NOT NULL, code TEXT NOT NULL, patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL,
            PRIMARY KEY (study_id, code)
        );
        CREATE TABLE study_order (
            study_id TEXT NOT NULL, reader TEXT NOT NULL, session TEXT NOT NULL, position INTEGER NOT NULL,
            code TEXT NOT NULL,
            PRIMARY KEY (study_id, reader, session, position)
        );
        CREATE TABLE study_reads (
            study_id TEXT NOT NULL, reader TEXT NOT NULL, session TEXT NOT NULL, code TEXT NOT NULL,
            opened_at_utc TEXT NOT NULL, finished_at_utc TEXT,
            PRIMARY KEY (study_id, reader, session, code)
        );
        -- the adjudicator (reader) confirms which lesion of paired_reader's first session read of a
        -- case is which of the second session's
        CREATE TABLE study_pairings (
            study_id TEXT NOT NULL, reader TEXT NOT NULL, paired_reader TEXT NOT NULL, code TEXT NOT NULL,
            first_lesion TEXT NOT NULL, second_lesion TEXT NOT NULL, at_utc TEXT NOT NULL,
            PRIMARY KEY (study_id, reader, paired_reader, code, first_lesion)
        );
    """)
    protected = list(READER_KEYED_TABLES)
    if db.backend is Backend.POSTGRESQL:  # every reader-keyed table so far, those of other migrations too
        from annotation.store_pg_security import protected_tables

        protected = protected_tables(db)
    for table in (*protected, *STUDY_READER_TABLES):
        db.reader_keyed(table)


def migration_dicom_context(db: Db) -> None:
    """What a DICOM SR of a measurement needs from its images, per series: the patient and study
    modules, the series, its frame of reference (annotation/dicom_context.py fills it when a study
    is opened, or from ``--dicom PATH``). Shared by all readers; holds identifiers, so nothing of it
    goes into a pseudonymised export."""
    db.script("""
        CREATE TABLE dicom_context (
            series_instance_uid TEXT PRIMARY KEY,
            patient_id TEXT NOT NULL, patient_name TEXT NOT NULL, patient_birth_date TEXT NOT NULL,
            patient_sex TEXT NOT NULL, study_instance_uid TEXT NOT NULL, study_date TEXT NOT NULL,
            study_time TEXT NOT NULL, study_id TEXT NOT NULL, accession_number TEXT NOT NULL,
            referring_physician_name TEXT NOT NULL, study_description TEXT NOT NULL,
            series_number INTEGER, series_description TEXT NOT NULL, modality TEXT NOT NULL,
            manufacturer TEXT NOT NULL, frame_of_reference_uid TEXT NOT NULL,
            roles TEXT NOT NULL,  -- space-separated reading roles of the series' stacks
            reference_sop_class_uid TEXT NOT NULL, reference_sop_instance_uid TEXT NOT NULL,
            recorded_at_utc TEXT NOT NULL
        );
        CREATE INDEX dicom_context_by_study ON dicom_context (patient_id, study_instance_uid);
    """)


def migration_series_roles(db: Db) -> None:
    """The reading roles an exam's studies hold (``exam_pairs.series_roles``, space-separated; '' not recorded):
    a one-modality exam (a follow-up CT of the portal phase only) is asked for those only. Filled, for the
    exams of one modality, from the DICOM context of their study's series where the store has it."""
    db.script("ALTER TABLE exam_pairs ADD COLUMN series_roles TEXT NOT NULL DEFAULT '';")
    if not db.has_table("dicom_context"):
        return
    pairs = db.execute("SELECT patient_id, exam_pair_id, ct_study_uid, mri_study_uid FROM exam_pairs").fetchall()
    for patient_id, exam_pair_id, ct_uid, mri_uid in pairs:
        if bool(ct_uid) == bool(mri_uid):
            continue  # a CT + MRI pair keeps its six
        rows = db.execute("SELECT roles FROM dicom_context WHERE patient_id = ? AND study_instance_uid = ?",
                          (patient_id, ct_uid or mri_uid)).fetchall()
        held = {role for (roles,) in rows for role in str(roles).split()}
        recorded = " ".join(r.value for r in READING_ROLES if r.value in held)
        if recorded:
            db.execute("UPDATE exam_pairs SET series_roles = ? WHERE patient_id = ? AND exam_pair_id = ?",
                       (recorded, patient_id, exam_pair_id))


def migration_blinded_readers(db: Db) -> None:
    """Blinding by the database in a study store (PostgreSQL; nothing on SQLite): a reader's earlier
    session reads of a patient close once they open that patient in a later session (the policies of
    every reader-keyed table are declared again with it), and reader and adjudicator roles lose the
    patients' names, clinical data and exam dates (the privileges follow after the migrations:
    :func:`annotation.store_pg_security.grant_roles`, which runs again whenever they may change).
    Declaring again drops and creates the same policies, so running it twice changes nothing."""
    if db.backend is Backend.POSTGRESQL:
        db.prepare_session_blinding()


def migration_session_barrier(db: Db) -> None:
    """The database keeps a study's session barrier itself (PostgreSQL; nothing on SQLite, a one-user file): a
    reader role writes a session read only of a case it has opened in that session (and not finished, unless the
    study lets readers go back), opens a case only after the washout on the server's clock, and the times of
    its session record and edit log are the server's (:mod:`annotation.store_pg_barrier`); the policy functions
    are bound at creation. Replaces functions, triggers and policies by the same ones: running it twice changes
    nothing."""
    if db.backend is Backend.POSTGRESQL:
        db.prepare_session_barrier()


def migration_access_functions(db: Db) -> None:
    """PostgreSQL (nothing on SQLite, a one-reader file): count marks are keyed by their read,
    ``(patient_id, exam_pair_id, reader, mark_id)``, so a reader cannot learn from a unique violation that another
    read holds a guessed mark id; every reader-keyed table gets the SECURITY DEFINER functions a study store's
    reader and adjudicator roles read and write it through, with no privilege on the table itself
    (annotation/store_pg_access.py; the grants follow after the migrations)."""
    if db.backend is Backend.POSTGRESQL:
        db.prepare_access_functions()


def migration_read_looks(db: Db) -> None:
    """When a reader last read or wrote the lesion, measurement or count rows of a finished read of its own
    (``read_looks``: the read ``READER@SESSION`` of a patient's exam pair, the server's time): a look at the first
    session's read restarts the patient's washout before the next session (the reader may still go back to it). On
    PostgreSQL a study store's reader role's access-function calls record it (annotation/store_pg_barrier.py) and
    the server's washout counts from it; the application reads it for the washout it shows. Nothing writes it on
    SQLite (one reader's file, no roles)."""
    db.script("""
        CREATE TABLE read_looks (
            patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL, reader TEXT NOT NULL, at_utc TEXT NOT NULL,
            PRIMARY KEY (patient_id, exam_pair_id, reader)
        );
    """)
    db.reader_keyed("read_looks")
    db.prepare_read_looks()


def migration_looks_per_patient(db: Db) -> None:
    """A reader's look times kept per patient (PostgreSQL: one look sequence per reader and patient, migration 13 had
    one per reader): a look whose transaction rolled back, or that another session of the same reader committed after
    this transaction began, had counted for every patient of the reader (its case not known), restarting all their
    washouts. Nothing on SQLite (no looks there)."""
    db.prepare_looks_per_patient()


def migration_treatments_no(db: Db) -> None:
    """Each treatment given, not given or not recorded (``treatments_no``: the ones recorded as not given; a treatment
    in neither column is not recorded). The record had checkboxes, and an unchecked box meant "no" or "nobody said"
    alike (a radiologist's read: patients.csv said false to all eight treatments of a patient nobody filled in).
    What an old unchecked box becomes: a patient whose record holds nothing but the sex (which the images' header
    fills in when the patient is added) and no treatment was never filled in, and its treatments become not recorded;
    in any other record the box keeps its value, "no", with ``treatments_unconfirmed`` set (Checks ask the reader to
    confirm them)."""
    db.script("""
        ALTER TABLE patients ADD COLUMN treatments_no TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN treatments_unconfirmed INTEGER NOT NULL DEFAULT 0;
    """)
    every = {t.value for t in Treatment}
    rows = db.execute("SELECT patient_id, age_at_diagnosis_years, primary_site, ki67_percent, mitoses_per_10hpf,"
                      " grade_entered, grade_source, differentiation, liver_metastases, treatments FROM patients"
                      ).fetchall()
    for pid, *fields, given in rows:
        if all(f is None for f in fields) and not (given or "").split():
            continue
        no = " ".join(sorted(every - set((given or "").split())))
        if no:
            db.execute("UPDATE patients SET treatments_no = ?, treatments_unconfirmed = 1 WHERE patient_id = ?",
                       (no, pid))


def migration_mark_images(db: Db) -> None:
    """Each count mark names the image it was placed on by SOP Instance UID (``sop_instance_uid``; NULL in a mark
    recorded before, which keeps its ``slice_index``): a folder with a file missing shifts every index above the gap,
    so a mark was shown a slice off, as a line was before its UID placed it (annotation/placement.py). On PostgreSQL
    the count marks' access functions are made again with the column (they name the table's columns)."""
    db.script("""
        ALTER TABLE count_marks ADD COLUMN sop_instance_uid TEXT;
    """)
    db.reader_keyed("count_marks")


def migration_mark_frames(db: Db) -> None:
    """Each count mark names the frame of its image too (``frame_number``, 1-based, as a line's; NULL for a
    single-frame file and in a mark recorded before): a mark on frame k > 1 of an enhanced multi-frame file was told
    apart by its stored index only, which counts the images of the load it was placed on, so with an earlier file
    missing it fell back to frame 1. On PostgreSQL the count marks' access functions are made again with the column,
    as in migration 16."""
    db.script("""
        ALTER TABLE count_marks ADD COLUMN frame_number INTEGER;
    """)
    db.reader_keyed("count_marks")


# ---------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Table:
    """A table's columns (in row order) and primary key, and the SQL built from them."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]

    def select(self, db: Db, where: dict[str, Any] | None = None) -> tuple[str, tuple[Any, ...]]:
        """The table's columns, read from what ``db`` reads the table from (:meth:`Db.source`), and its parameters."""
        source, params = db.source(self.name, where)
        return f"SELECT {', '.join(self.columns)} FROM {source}", params

    def where(self, columns: tuple[str, ...] | None = None) -> str:
        return " AND ".join(f"{c} = ?" for c in (columns or self.key))

    @property
    def upsert(self) -> str:
        """Insert a whole row or replace the one with its key (portable ON CONFLICT upsert)."""
        rest = [c for c in self.columns if c not in self.key]
        return (f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({', '.join('?' * len(self.columns))}) "
                f"ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in rest))


_READ = ("patient_id", "exam_pair_id", "reader")
PATIENTS = Table("patients", ("patient_id", "patient_name", "sex", "age_at_diagnosis_years", "primary_site",
                              "ki67_percent", "mitoses_per_10hpf", "grade_entered", "grade_source", "differentiation",
                              "liver_metastases", "treatments", "treatments_no", "treatments_unconfirmed"),
                 ("patient_id",))
EXAM_PAIRS = Table("exam_pairs", ("patient_id", "exam_pair_id", "ct_study_uid", "mri_study_uid", "ct_date", "mri_date",
                                    "series_roles"),
                   ("patient_id", "exam_pair_id"))
LESIONS = Table("lesions", (*_READ, "lesion_id", "lobe", "segment", "comment", "tracking_uid"), (*_READ, "lesion_id"))
OBSERVATIONS = Table("observations", (*_READ, "lesion_id", "series_role", "status", "comment", "stack_key",
                                      "series_instance_uid", "slice_index", "p1_row", "p1_col", "p2_row", "p2_col",
                                      "row_spacing_mm", "column_spacing_mm", "diameter_mm", "sop_instance_uid",
                                      "sop_class_uid", "instance_number", "frame_number", "method", "method_params",
                                      "p3_row", "p3_col", "p4_row", "p4_col", "short_axis_mm"),
                     (*_READ, "lesion_id", "series_role"))
COUNT_MARKS = Table("count_marks", ("mark_id", *_READ, "series_role", "lobe", "stack_key", "slice_index", "row", "col",
                                    "lesion_id", "sop_instance_uid", "frame_number"), ("mark_id",))
SERIES_FLAGS = Table("series_flags", (*_READ, "series_role", "status", "reason", "uncountable"), (*_READ, "series_role"))
ALIGNMENTS = Table("alignments", ("patient_id", "fixed_frame_uid", "moving_frame_uid", "matrix", "source", "reader",
                                  "note"), ("patient_id", "fixed_frame_uid", "moving_frame_uid"))
LOBE_BOUNDARIES = Table("lobe_boundaries", (*_READ, "frame_of_reference_uid", "lines"),
                        (*_READ, "frame_of_reference_uid"))
#: The record tables (Project's TABLES) by name; observations belong to their lesion.
RECORD_TABLES: dict[str, Table] = {t.name: t for t in (PATIENTS, EXAM_PAIRS, LESIONS, COUNT_MARKS, SERIES_FLAGS,
                                                        ALIGNMENTS, LOBE_BOUNDARIES)}
#: Tables whose records carry (patient_id, exam_pair_id, reader): one reader's read of a pair.
READ_TABLES: tuple[str, ...] = ("lesions", "count_marks", "series_flags", "lobe_boundaries")


def key_values(table: str, key: Any) -> tuple[Any, ...]:
    """A Project key as the SQL values of the table's primary key."""
    if table == "series_flags":
        return (*key[:3], Role.parse(key[3]).value)
    return tuple(key) if isinstance(key, tuple) else (key,)


def record_key(key: Any) -> str:
    """A key as the messages write it: ``P1`` or ``(P1, E1, R1, L3)``."""
    if not isinstance(key, tuple):
        return str(key)
    return "(" + ", ".join(str(getattr(k, "value", k)) for k in key) + ")"


# ---------------------------------------------------------------------------- records -> rows
def _opt(value: Any) -> Any:
    return None if value is None else getattr(value, "value", value)


def _iso(d: _dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _patient_row(p: Patient) -> tuple[Any, ...]:
    c = p.clinical
    return (p.patient_id, p.patient_name, _opt(c.sex), c.age_at_diagnosis_years, _opt(c.primary_site),
            c.ki67_percent, c.mitoses_per_10hpf, _opt(c.grade_entered), _opt(c.grade_source),
            _opt(c.differentiation), _opt(c.liver_metastases), " ".join(sorted(t.value for t in c.treatments)),
            " ".join(sorted(t.value for t in c.treatments_no)), int(c.treatments_unconfirmed))


def _pair_row(e: ExamPair) -> tuple[Any, ...]:
    return (e.patient_id, e.exam_pair_id, e.ct_study_uid, e.mri_study_uid, _iso(e.ct_date), _iso(e.mri_date),
            " ".join(r.value for r in e.series_roles))


def _observation_row(key: tuple[str, ...], role: Role, obs: Observation) -> tuple[Any, ...]:
    row: tuple[Any, ...]
    if isinstance(obs, Measurement):
        p3, p4 = obs.p3 or (None, None), obs.p4 or (None, None)
        row = ("", obs.stack_key, obs.series_instance_uid, obs.slice_index, *obs.p1, *obs.p2,
               obs.row_spacing_mm, obs.column_spacing_mm, obs.diameter_mm, obs.sop_instance_uid,
               obs.sop_class_uid, obs.instance_number, obs.frame_number, obs.method.value, obs.method_params,
               *p3, *p4, obs.short_axis_mm)
    else:
        row = (obs.comment, *(None,) * 21)
    return (*key, role.value, obs.status.value, *row)


def _mark_row(m: CountMark) -> tuple[Any, ...]:
    return (m.mark_id, m.patient_id, m.exam_pair_id, m.reader, m.role.value, m.lobe.value, m.stack_key,
            m.slice_index, m.row, m.col, m.lesion_id, m.sop_instance_uid or None, m.frame_number)


def _flag_row(f: SeriesFlag) -> tuple[Any, ...]:
    return (f.patient_id, f.exam_pair_id, f.reader, f.role.value, f.status.value, f.reason, int(f.uncountable))


def _alignment_row(a: Alignment) -> tuple[Any, ...]:
    return (*a.key, json.dumps(list(a.matrix)), a.source.value, a.reader, a.note)


def _boundary_row(b: LobeBoundary) -> tuple[Any, ...]:
    return (*b.key, json.dumps([list(line) for line in b.lines]))


def put_rows(db: Db, table: Table, rows: list[tuple[Any, ...]]) -> None:
    """Insert or replace whole rows (by the key, or :attr:`Table.conflict`), through the table's access function
    where ``db`` writes so (:meth:`Db.through_functions`)."""
    if db.through_functions(table.name):
        if rows:
            db.write_through(table.name, "upsert", [dict(zip(table.columns, row)) for row in rows])
        return
    for row in rows:
        db.execute(table.upsert, row)


def insert_rows(db: Db, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Insert new rows; through the access function the rows written come back (else [])."""
    if db.through_functions(table):
        return db.write_through(table, "insert", [dict(zip(columns, row)) for row in rows]) if rows else []
    db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
    return []


def update_rows(db: Db, table: str, values: dict[str, Any], where: dict[str, Any]) -> None:
    """Set ``values`` in the rows whose columns equal ``where``."""
    if db.through_functions(table):
        db.write_through(table, "update", values, where)
        return
    db.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in values)} WHERE {' AND '.join(f'{c} = ?' for c in where)}",
               (*values.values(), *where.values()))


def delete_rows(db: Db, table: str, where: dict[str, Any]) -> None:
    """Delete the rows whose columns equal ``where``."""
    if db.through_functions(table):
        db.write_through(table, "delete", None, where)
        return
    db.execute(f"DELETE FROM {table} WHERE {' AND '.join(f'{c} = ?' for c in where)}", tuple(where.values()))


def _up_lesion(db: Db, les: Lesion) -> None:
    put_rows(db, LESIONS, [(*les.key, les.lobe.value, _opt(les.segment), les.comment, les.tracking_uid)])
    delete_rows(db, "observations", dict(zip(LESIONS.key, les.key)))
    insert_rows(db, "observations", OBSERVATIONS.columns,
                [_observation_row(les.key, role, obs) for role, obs in les.observations])


def _up_mark(db: Db, m: CountMark) -> None:
    """A mark replaces the one with its id: on PostgreSQL the key is the mark in its read (migration 12), so
    ``ON CONFLICT (mark_id)`` has no constraint to name there; SQLite keeps ``mark_id`` as the key."""
    if db.through_functions("count_marks"):
        put_rows(db, COUNT_MARKS, [_mark_row(m)])
        return
    db.execute("DELETE FROM count_marks WHERE mark_id = ?", (m.mark_id,))
    insert_rows(db, "count_marks", COUNT_MARKS.columns, [_mark_row(m)])


def _upsert(table: Table, to_row: Callable[[Any], tuple[Any, ...]]) -> Callable[[Db, Any], None]:
    def upsert(db: Db, rec: Any) -> None:
        put_rows(db, table, [to_row(rec)])
    return upsert


def _delete(table: str) -> Callable[[Db, Any], None]:
    spec = RECORD_TABLES[table]
    children = [OBSERVATIONS] if table == "lesions" else []

    def delete(db: Db, key: Any) -> None:
        where = dict(zip(spec.key, key_values(table, key)))
        for child in children:
            delete_rows(db, child.name, where)
        delete_rows(db, spec.name, where)
    return delete


UPSERT: dict[str, Callable[[Db, Any], None]] = {
    "patients": _upsert(PATIENTS, _patient_row), "exam_pairs": _upsert(EXAM_PAIRS, _pair_row),
    "lesions": _up_lesion, "count_marks": _up_mark,
    "series_flags": _upsert(SERIES_FLAGS, _flag_row), "alignments": _upsert(ALIGNMENTS, _alignment_row),
    "lobe_boundaries": _upsert(LOBE_BOUNDARIES, _boundary_row),
}
DELETE: dict[str, Callable[[Db, Any], None]] = {t: _delete(t) for t in RECORD_TABLES}


# ---------------------------------------------------------------------------- rows -> records
class BadRow(Exception):
    """A row that does not make a valid record: names the table and the row's key."""

    def __init__(self, table: str, key: tuple[Any, ...], problem: Exception) -> None:
        self.where = f"table {table}, row ({', '.join(str(k) for k in key)})"
        self.message = str(problem) or type(problem).__name__
        super().__init__(f"{self.where}: {self.message}")


#: What building a record from a bad row can raise (records validate; odd SQL types fail earlier).
_ROW_PROBLEMS = (ValidationError, TypeError, ValueError, AttributeError, IndexError)


def _rows(db: Db, table: Table, build: Callable[[Any], Any], key: tuple[Any, ...] = (),
          key_columns: tuple[str, ...] | None = None) -> Iterator[Any]:
    """``build(row)`` for the table's rows (those matching ``key``); a bad row raises BadRow."""
    sql, params = table.select(db, dict(zip(key_columns or table.key, key)))
    if key:
        sql += f" WHERE {table.where(key_columns)}"
    for r in db.execute(sql, (*params, *key)):
        try:
            yield build(r)
        except _ROW_PROBLEMS as exc:
            raise BadRow(table.name, tuple(r[:len(table.key)]), exc) from None


def _point(row: Any, col: Any) -> tuple[float, float] | None:
    return None if row is None else (row, col)


def _observation(r: tuple[Any, ...]) -> tuple[tuple[str, ...], tuple[Role, Observation]]:
    role = reading_role(r[4], "series_role")
    status = ObservationStatus.parse(r[5], "status")
    obs: Observation
    if status is ObservationStatus.MEASURED:
        obs = Measurement(r[7], r[8], r[9], (r[10], r[11]), (r[12], r[13]), r[14], r[15],
                          sop_instance_uid=r[17] or "", sop_class_uid=r[18] or "", instance_number=r[19],
                          frame_number=r[20], method=MeasurementMethod.parse(r[21] or "manual", "method"),
                          method_params=r[22] or "", p3=_point(r[23], r[24]), p4=_point(r[25], r[26]))
    else:
        obs = (NotVisible if status is ObservationStatus.NOT_VISIBLE else NotMeasurable)(r[6])
    return tuple(r[:4]), (role, obs)


def _patient(r: tuple[Any, ...]) -> Patient:
    given, not_given = ([Treatment.parse(t, name) for t in (value or "").split()]
                        for value, name in ((r[11], "treatments"), (r[12], "treatments_no")))
    return Patient(r[0], r[1], ClinicalRecord(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                                              frozenset(given), frozenset(not_given), bool(r[13])))


def _lesions(db: Db, key: tuple[Any, ...] = (), key_columns: tuple[str, ...] | None = None) -> Iterator[Lesion]:
    obs: dict[tuple[str, ...], list[tuple[Role, Observation]]] = {}
    for lesion_key, item in _rows(db, OBSERVATIONS, _observation, key, key_columns or LESIONS.key):
        obs.setdefault(lesion_key, []).append(item)
    yield from _rows(db, LESIONS, lambda r: Lesion(r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                                                    tuple(obs.get(tuple(r[:4]), ())), r[7]), key, key_columns)


def _alignment(r: tuple[Any, ...]) -> Alignment:
    return Alignment(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6])


def _boundary(r: tuple[Any, ...]) -> LobeBoundary:
    return LobeBoundary(r[0], r[1], r[2], r[3], tuple(tuple(line) for line in json.loads(r[4])))


_LOADERS: dict[str, Callable[[Db, tuple[Any, ...]], Iterator[Any]]] = {
    "patients": lambda db, key: _rows(db, PATIENTS, _patient, key),
    "exam_pairs": lambda db, key: _rows(db, EXAM_PAIRS, lambda r: ExamPair(*r), key),
    "lesions": _lesions,
    "count_marks": lambda db, key: _rows(db, COUNT_MARKS, lambda r: CountMark(*r), key),
    "series_flags": lambda db, key: _rows(db, SERIES_FLAGS, lambda r: SeriesFlag(*r[:6]), key),
    "alignments": lambda db, key: _rows(db, ALIGNMENTS, _alignment, key),
    "lobe_boundaries": lambda db, key: _rows(db, LOBE_BOUNDARIES, _boundary, key),
}


def load_records(db: Db) -> Iterator[Any]:
    """Every record of the store; raises :class:`BadRow` on the first row that is not a valid record."""
    for table in RECORD_TABLES:
        yield from _LOADERS[table](db, ())


#: The columns of ``exam_pairs`` a case read needs (a blinded role may read these only: no exam dates).
CASE_PAIR = Table("exam_pairs", (*EXAM_PAIRS.columns[:4], "series_roles"), EXAM_PAIRS.key)  # no dates
_PAIR = ("patient_id", "exam_pair_id")


def load_pair_records(db: Db, pair: tuple[str, str]) -> Iterator[Any]:
    """The records of one exam pair a case read needs, and nothing else: the pair (ids and study UIDs,
    no dates), every read of it this connection may see, and its patient's alignments. No patient
    record, no clinical or follow-up table: what a blinded reader role may SELECT."""
    yield from _rows(db, CASE_PAIR, lambda r: ExamPair(r[0], r[1], r[2], r[3], series_roles=r[4]), pair, _PAIR)
    yield from _lesions(db, pair, _PAIR)
    yield from _rows(db, COUNT_MARKS, lambda r: CountMark(*r), pair, _PAIR)
    yield from _rows(db, SERIES_FLAGS, lambda r: SeriesFlag(*r[:6]), pair, _PAIR)
    yield from _rows(db, LOBE_BOUNDARIES, _boundary, pair, _PAIR)
    yield from _rows(db, ALIGNMENTS, _alignment, pair[:1], _PAIR[:1])


def fetch_record(db: Db, table: str, key: Any, like: Any = None) -> Any:
    """The record of ``table`` with ``key`` as the store holds it now, or None. ``like``: the record as this store
    saw it, else the one written: a blinded role's count mark, keyed by its id alone, is then looked up in that
    exam pair only (its key there: annotation/store_pg_access.py), so the lookup reads that case's rows, not every
    read of the reader (a reader role's read of a finished read's rows restarts its washout,
    annotation/store_pg_barrier.py)."""
    if table == "count_marks" and like is not None and db.through_functions(table):
        found = list(_rows(db, COUNT_MARKS, lambda r: CountMark(*r), (*key_values(table, key), like.patient_id,
                                                                        like.exam_pair_id),
                           ("mark_id", "patient_id", "exam_pair_id")))
    else:
        found = list(_LOADERS[table](db, key_values(table, key)))
    return found[0] if found else None


def reads_of(change: Diff, base: Project | None) -> set[tuple[str, str, str]]:
    """(reader, patient_id, exam_pair_id) of every read an edit touches (records written or deleted)."""
    reads = set()
    for table in READ_TABLES:
        records: Iterable[Any] = change.upserts.get(table, ())
        if base is not None:
            seen = getattr(base, table)
            records = [*records, *(seen[k] for k in change.deletes.get(table, ()) if k in seen)]
        for rec in records:
            reads.add((rec.reader, rec.patient_id, rec.exam_pair_id))
    return reads
