"""The follow-up tables of the store (issue 10): their migration and their record <-> row mapping.

Kept beside :mod:`annotation.store_schema` (which it extends: importing this module adds the four
tables to ``RECORD_TABLES``, ``UPSERT``, ``DELETE`` and the loaders; :mod:`annotation.store`
imports it with its migration). Tables:

* ``timepoints`` (shared): patient, timepoint id, exam date (ISO), exam pair ids (JSON array);
* ``treatment_lines`` (shared): patient, line number, name, start and end dates;
* ``followup_baselines`` (reader-owned): the baseline timepoint a reader chose for each line;
* ``lesion_followups`` (reader-owned, one per lesion of a pair): kind, organ, nodal, status, the
  series role assessed (fixed at baseline), treated, the parent's tracking UID (lineage).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from annotation import store_schema as s
from annotation.followup_records import BaselineChoice, LesionFollowup, Timepoint, TreatmentLine
from annotation.store_backend import Db


def migration_followup(db: Db) -> None:
    """Timepoints, treatment lines, baseline choices and per-lesion follow-up attributes."""
    db.script("""
        CREATE TABLE timepoints (
            patient_id TEXT NOT NULL, timepoint_id TEXT NOT NULL, exam_date TEXT NOT NULL,
            exam_pair_ids TEXT NOT NULL,  -- JSON array of exam_pair_id
            PRIMARY KEY (patient_id, timepoint_id)
        );
        CREATE TABLE treatment_lines (
            patient_id TEXT NOT NULL, line_number INTEGER NOT NULL, name TEXT NOT NULL,
            start_date TEXT NOT NULL, end_date TEXT,
            PRIMARY KEY (patient_id, line_number)
        );
        CREATE TABLE followup_baselines (
            patient_id TEXT NOT NULL, reader TEXT NOT NULL, line_number INTEGER NOT NULL,
            timepoint_id TEXT NOT NULL,
            PRIMARY KEY (patient_id, reader, line_number)
        );
        CREATE TABLE lesion_followups (
            patient_id TEXT NOT NULL, exam_pair_id TEXT NOT NULL, reader TEXT NOT NULL, lesion_id TEXT NOT NULL,
            kind TEXT NOT NULL, organ TEXT NOT NULL, nodal INTEGER NOT NULL, status TEXT NOT NULL,
            assessed_role TEXT NOT NULL, treated INTEGER NOT NULL, parent_tracking_uid TEXT NOT NULL,
            PRIMARY KEY (patient_id, exam_pair_id, reader, lesion_id)
        );
    """)
    db.reader_keyed("followup_baselines")
    db.reader_keyed("lesion_followups")


TIMEPOINTS = s.Table("timepoints", ("patient_id", "timepoint_id", "exam_date", "exam_pair_ids"),
                     ("patient_id", "timepoint_id"))
TREATMENT_LINES = s.Table("treatment_lines", ("patient_id", "line_number", "name", "start_date", "end_date"),
                          ("patient_id", "line_number"))
FOLLOWUP_BASELINES = s.Table("followup_baselines", ("patient_id", "reader", "line_number", "timepoint_id"),
                             ("patient_id", "reader", "line_number"))
LESION_FOLLOWUPS = s.Table("lesion_followups", ("patient_id", "exam_pair_id", "reader", "lesion_id", "kind", "organ",
                                                "nodal", "status", "assessed_role", "treated", "parent_tracking_uid"),
                           ("patient_id", "exam_pair_id", "reader", "lesion_id"))


def _timepoint_row(t: Timepoint) -> tuple[Any, ...]:
    return (t.patient_id, t.timepoint_id, t.exam_date.isoformat(), json.dumps(list(t.exam_pair_ids)))


def _line_row(t: TreatmentLine) -> tuple[Any, ...]:
    return (t.patient_id, t.line_number, t.name, t.start_date.isoformat(), s._iso(t.end_date))


def _baseline_row(b: BaselineChoice) -> tuple[Any, ...]:
    return (b.patient_id, b.reader, b.line_number, b.timepoint_id)


def _lesion_row(f: LesionFollowup) -> tuple[Any, ...]:
    return (*f.key, f.kind.value, f.organ, int(f.nodal), f.status.value, f.assessed_role.value, int(f.treated),
            f.parent_tracking_uid)


def _timepoint(r: tuple[Any, ...]) -> Timepoint:
    ids = json.loads(r[3])
    if not isinstance(ids, list):
        raise ValueError(f"exam_pair_ids {r[3]!r} is not a JSON array")
    return Timepoint(r[0], r[1], r[2], tuple(ids))


def _lesion_followup(r: tuple[Any, ...]) -> LesionFollowup:
    return LesionFollowup(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8], bool(r[9]), r[10])


_SPECS: dict[str, tuple[s.Table, Callable[[Any], tuple[Any, ...]], Callable[[tuple[Any, ...]], Any]]] = {
    "timepoints": (TIMEPOINTS, _timepoint_row, _timepoint),
    "treatment_lines": (TREATMENT_LINES, _line_row, lambda r: TreatmentLine(*r)),
    "followup_baselines": (FOLLOWUP_BASELINES, _baseline_row, lambda r: BaselineChoice(*r)),
    "lesion_followups": (LESION_FOLLOWUPS, _lesion_row, _lesion_followup),
}


def _loader(table: s.Table, build: Any) -> Any:
    return lambda db, key: s._rows(db, table, build, key)


for _name, (_table, _to_row, _build) in _SPECS.items():
    s.RECORD_TABLES[_name] = _table
    s.UPSERT[_name] = s._upsert(_table, _to_row)
    s.DELETE[_name] = s._delete(_name)
    s._LOADERS[_name] = _loader(_table, _build)
if "lesion_followups" not in s.READ_TABLES:
    s.READ_TABLES += ("lesion_followups",)
