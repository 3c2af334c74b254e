"""FOLLOWUP.csv (and the same table from a store) -> the engine's courses; response rows -> response.csv.

FOLLOWUP.csv, one row per lesion per timepoint (issue 10): ``patient_id, timepoint_date
(YYYY-MM-DD), lesion_id, kind, organ, nodal, status, diameter_mm``, optional ``baseline, series_role,
slice_thickness_mm, parent_lesion_id, treated``. TREATMENT_LINES.csv (optional): ``patient_id,
name, start_date, end_date``. Errors name the file, the line (header = line 1) and the column,
before anything is computed (:class:`viewer.errors.InputFormatError`). The CSV reader is
:func:`analysis.inputs.read_csv_table` (UTF-8, BOM, blank lines, stripped cells).
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from analysis.inputs import RawTable, raw_from_frame, read_csv_table
from analysis.response_records import (RESPONSE_COLUMNS, LesionObservation, PatientCourse, Timepoint,
                                       TimepointResponse, TreatmentLine)
from analysis.schema import FALSE_WORDS, TRUE_WORDS
from viewer.errors import InputFormatError, ValidationError

FOLLOWUP_COLUMNS: tuple[str, ...] = ("patient_id", "timepoint_date", "lesion_id", "kind", "organ", "nodal", "status",
                                     "diameter_mm")
FOLLOWUP_OPTIONAL: tuple[str, ...] = ("baseline", "series_role", "slice_thickness_mm", "parent_lesion_id", "treated",
                                       "measured_mm")
TREATMENT_LINE_COLUMNS: tuple[str, ...] = ("patient_id", "name", "start_date", "end_date")


def _require(raw: RawTable, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in raw.frame.columns]
    if missing:
        where = f"{raw.source}, {'line 1 (header)' if raw.unit == 'line' else 'columns'}"
        raise InputFormatError(f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, raw.frame.columns))}",
                               where=where)


def _bool(raw: RawTable, i: int, col: str, text: str, default: bool) -> bool:
    t = text.lower()
    if t == "":
        return default
    if t in TRUE_WORDS:
        return True
    if t in FALSE_WORDS:
        return False
    raise raw.fail(i, col, f"{text!r} is not true or false")


def _float(raw: RawTable, i: int, col: str, text: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError:
        raise raw.fail(i, col, f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise raw.fail(i, col, f"{text!r} is not a finite number")
    return value


def _date(raw: RawTable, i: int, col: str, text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise raw.fail(i, col, f"{text!r} is not a date (YYYY-MM-DD)") from None


#: Day 0 of a pseudonymised follow-up (``timepoint_day`` = days from the patient's first exam): the
#: engine needs dates, and only their differences matter.
DAY_ZERO = _dt.date(2000, 1, 1)


def _day_numbers(raw: RawTable) -> bool:
    """True for a pseudonymised export's table (``timepoint_day`` instead of ``timepoint_date``)."""
    return "timepoint_date" not in raw.frame.columns and "timepoint_day" in raw.frame.columns


def _as_dates(raw: RawTable, columns: dict[str, str]) -> RawTable:
    """Day numbers (text) -> ISO dates from DAY_ZERO, renamed ``<x>_day`` -> ``<x>_date``; errors name the day column."""
    frame = raw.frame.copy()
    for day_col, date_col in columns.items():
        if day_col not in frame.columns:
            continue
        values = []
        for i, text in enumerate(frame[day_col]):
            if text == "":
                values.append("")
                continue
            try:
                values.append((DAY_ZERO + _dt.timedelta(days=int(text))).isoformat())
            except (ValueError, OverflowError):
                raise raw.fail(i, day_col, f"{text!r} is not a whole number of days") from None
        frame[date_col] = values
        frame = frame.drop(columns=[day_col])
    return RawTable(raw.source, frame, raw.lines, raw.unit)


def _one_reader(raw: RawTable, reader: str | None) -> RawTable:
    """The rows of one reader when the table has a ``reader`` column (an export's followup.csv)."""
    if "reader" not in raw.frame.columns:
        if reader is not None:
            raise InputFormatError("has no reader column for --reader", where=raw.source)
        return raw
    readers = sorted(set(raw.frame["reader"]) - {""})
    if reader is None:
        if len(readers) <= 1:
            return raw
        raise InputFormatError(f"holds the follow-up of several readers ({', '.join(readers)})", where=raw.source,
                               advice="choose one with --reader NAME")
    if reader not in readers:
        raise InputFormatError(f"no rows of reader {reader!r} (readers: {', '.join(readers)})", where=raw.source)
    keep = (raw.frame["reader"] == reader).to_numpy()
    return RawTable(raw.source, raw.frame[keep].reset_index(drop=True), raw.lines[keep], raw.unit)


def courses_from_raw(raw: RawTable, lines: RawTable | None = None, reader: str | None = None) -> list[PatientCourse]:
    """Validate a follow-up table (text cells) and group it into one course per patient.

    A ``reader`` column (an export's followup.csv) needs ``reader`` when it names several; day
    numbers (``timepoint_day``, ``start_day``, ``end_day`` of a pseudonymised export) count from
    :data:`DAY_ZERO`.
    """
    several_readers = "reader" in raw.frame.columns  # lines then may name patients another reader read
    raw = _one_reader(raw, reader)
    if _day_numbers(raw):
        raw = _as_dates(raw, {"timepoint_day": "timepoint_date"})
        if lines is not None:
            lines = _as_dates(lines, {"start_day": "start_date", "end_day": "end_date"})
    _require(raw, FOLLOWUP_COLUMNS)
    cols = [c for c in (*FOLLOWUP_COLUMNS, *FOLLOWUP_OPTIONAL) if c in raw.frame.columns]
    tps: dict[str, dict[_dt.date, list[LesionObservation]]] = defaultdict(lambda: defaultdict(list))
    baselines: dict[str, set[_dt.date]] = defaultdict(set)
    first_line: dict[tuple[str, _dt.date, str], int] = {}
    for i, values in enumerate(raw.frame[cols].itertuples(index=False, name=None)):
        cell = dict(zip(cols, values))
        for col in ("patient_id", "timepoint_date", "lesion_id", "kind", "organ", "status"):
            if cell[col] == "":
                raise raw.fail(i, col, "must not be empty")
        pid, lid = cell["patient_id"], cell["lesion_id"]
        date = _date(raw, i, "timepoint_date", cell["timepoint_date"])
        key = (pid, date, lid)
        if key in first_line:
            raise raw.fail(i, "lesion_id", f"lesion {lid} of {pid} on {date} given twice "
                                           f"(first on {raw.unit} {first_line[key]})")
        first_line[key] = int(raw.lines[i])
        try:
            o = LesionObservation(
                lid, cell["kind"], cell["organ"], _bool(raw, i, "nodal", cell["nodal"], False), cell["status"],
                _float(raw, i, "diameter_mm", cell["diameter_mm"]), series_role=cell.get("series_role", ""),
                slice_thickness_mm=_float(raw, i, "slice_thickness_mm", cell.get("slice_thickness_mm", "")),
                parent_lesion_id=cell.get("parent_lesion_id", ""),
                treated=_bool(raw, i, "treated", cell.get("treated", ""), False),
                measured_mm=_float(raw, i, "measured_mm", cell.get("measured_mm", "")))
        except ValidationError as exc:
            raise raw.fail(i, exc.where, exc.message) from None
        tps[pid][date].append(o)
        if _bool(raw, i, "baseline", cell.get("baseline", ""), False):
            baselines[pid].add(date)
    treatment = treatment_lines_from_raw(lines) if lines is not None else {}
    out = []
    for pid in sorted(tps):
        try:
            out.append(PatientCourse(pid, tuple(Timepoint(d, tuple(obs)) for d, obs in tps[pid].items()),
                                     tuple(baselines[pid]), treatment.get(pid, ())))
        except ValidationError as exc:
            raise InputFormatError(f"patient {pid}: {exc.message}", where=raw.source) from None
    unknown = sorted(set(treatment) - set(tps))
    if unknown and lines is not None and not several_readers:
        raise InputFormatError(f"treatment lines of patient(s) without follow-up rows: {', '.join(unknown)}",
                               where=lines.source)
    return out


def treatment_lines_from_raw(raw: RawTable) -> dict[str, tuple[TreatmentLine, ...]]:
    _require(raw, TREATMENT_LINE_COLUMNS)
    out: dict[str, list[TreatmentLine]] = defaultdict(list)
    for i, (pid, name, start, end) in enumerate(raw.frame[list(TREATMENT_LINE_COLUMNS)].itertuples(
            index=False, name=None)):
        if pid == "":
            raise raw.fail(i, "patient_id", "must not be empty")
        try:
            out[pid].append(TreatmentLine(name, _date(raw, i, "start_date", start),
                                          _date(raw, i, "end_date", end) if end else None))
        except ValidationError as exc:
            raise raw.fail(i, exc.where, exc.message) from None
    return {k: tuple(v) for k, v in out.items()}


def read_followup_csv(path: str | Path, treatment_lines: str | Path | None = None,
                      reader: str | None = None) -> list[PatientCourse]:
    """FOLLOWUP.csv (and optionally TREATMENT_LINES.csv) -> courses."""
    return courses_from_raw(read_csv_table(path), read_csv_table(treatment_lines) if treatment_lines else None,
                            reader)


def followup_csv_uses_days(path: str | Path) -> bool:
    """A pseudonymised export's followup.csv: response.csv then gives days, not dates."""
    return _day_numbers(read_csv_table(path))


def courses_from_frames(followup: pd.DataFrame, lines: pd.DataFrame | None, source: str) -> list[PatientCourse]:
    """The same tables handed over in memory (a store): validated like the files, "row N" for "line N"."""
    return courses_from_raw(raw_from_frame(followup, f"{source}, follow-up"),
                            raw_from_frame(lines, f"{source}, treatment lines") if lines is not None else None)


def response_table(responses: Iterable[TimepointResponse], day_numbers: bool = False) -> pd.DataFrame:
    """response.csv as a DataFrame with the issue's exact columns; with ``day_numbers`` (a
    pseudonymised input) ``timepoint_day`` and ``baseline_day`` (from DAY_ZERO) replace the dates."""
    frame = pd.DataFrame([r.row() for r in responses], columns=list(RESPONSE_COLUMNS))
    if day_numbers:
        for col in ("timepoint_date", "baseline_date"):
            frame[col] = [None if d is None else (_dt.date.fromisoformat(d) - DAY_ZERO).days for d in frame[col]]
            frame[col] = frame[col].astype("Int64")
        frame = frame.rename(columns={"timepoint_date": "timepoint_day", "baseline_date": "baseline_day"})
    frame["days_from_baseline"] = frame["days_from_baseline"].astype("Int64")
    for col in ("sum_mm", "baseline_sum_mm", "nadir_sum_mm", "change_from_baseline_pct", "change_from_nadir_pct",
                "tgr_pct_per_month"):
        frame[col] = frame[col].astype("Float64")
    return frame


def csv_cell(value: Any) -> str:
    """response.csv cells: empty for missing, true/false, floats rounded to 4 decimals (0.0001 mm or %)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return str(value)
