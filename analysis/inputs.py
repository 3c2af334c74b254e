"""Reading and validating the analysis inputs: measurements.csv, counts.csv, patients.csv
(or the same three tables handed over by the annotation package from a reading store).

Every problem raises :class:`viewer.errors.InputFormatError` naming the file, the line as it is in
the file (header = line 1) and the column, before anything is computed or written. Past this
module the tables are clean: vocabularies canonical, diameters and counts numeric, booleans bool.

Files are read by :mod:`analysis.csvfile` (encoding, delimiter and decimal mark detected). Ids are
taken exactly as written: never stripped or merged; an id holding a control or invisible
character is refused, and two ids that differ only by case, Unicode form or surrounding spaces
in the same scope (patients; readers; exam pairs of a patient; lesions of an exam pair and reader),
within one file or across the files, are refused naming both lines.
"""

from __future__ import annotations

import importlib
import logging
import math
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.schema import (
    COUNT_COLUMNS,
    EXAM_PAIR_KEY,
    FALSE_WORDS,
    ID_COLUMNS,
    MAX_COUNT,
    MEASUREMENT_COLUMNS,
    MEASUREMENT_KEY,
    PATIENT_CATEGORIES,
    PATIENT_COLUMNS,
    PATIENT_NUMBERS,
    ROLE_VALUES,
    TREATMENT_COLUMNS,
    TRUE_WORDS,
    Lobe,
    Status,
)
from analysis.csvfile import Dialect, read_records, with_decimal_points
from annotation._validate import id_form
from annotation.cells import float_text
from viewer.errors import InputFormatError, LesionlabError

log = logging.getLogger("lesionlab.analysis")

_COUNT_RE = re.compile(r"^[0-9]+(\.0*)?$", re.ASCII)
_NUMBER_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$", re.ASCII)
#: Control, format (zero-width, BOM, direction marks) and line/paragraph separator characters.
_INVISIBLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
                           "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
#: An id as a spreadsheet shows and saves a long number: 1,23457E+11 (French) or 1.23457E+11.
_SHORTENED_NUMBER_RE = re.compile(r"[0-9][.,][0-9]+E\+[0-9]{2,}", re.ASCII)
#: What a decimal comma of a numeric column became when read (csvfile.with_decimal_points).
_PLAIN_DECIMAL_RE = re.compile(r"[+-]?[0-9]*\.[0-9]+", re.ASCII)
#: The numeric columns of each input, where a decimal comma may be written.
NUMERIC_COLUMNS: tuple[str, ...] = ("diameter_mm", "count", "slice_thickness_mm", *PATIENT_NUMBERS)


@dataclass(frozen=True)
class RawTable:
    """A table as text: every cell a stripped str, with where each row came from."""

    source: str
    frame: pd.DataFrame
    lines: np.ndarray  # line (file) or row (store table) number of each row
    unit: str = "line"  # "line" for a file, "row" for a table handed over in memory
    dialect: Dialect | None = None  # what the file turned out to be (files only)

    def written(self, row: int, column: str) -> str:
        """A cell as the file holds it: in a file of decimal commas, a number the reader turned into '12.5' is
        quoted '12,5' again (a refusal quoted '3.5', a value the researcher's file does not hold)."""
        text = str(self.frame[column].iloc[row]).strip()
        if self.dialect is not None and self.dialect.decimal == "," and column in NUMERIC_COLUMNS \
                and _PLAIN_DECIMAL_RE.fullmatch(text):
            return text.replace(".", ",")
        return text

    def fail(self, row: int | None, column: str | None, message: str) -> InputFormatError:
        where = self.source
        if row is not None:
            where += f", {self.unit} {int(self.lines[row])}"
        if column is not None:
            where += f", column {column!r}"
        return InputFormatError(message, where=where)


def read_csv_table(path: str | Path) -> RawTable:
    """Read a CSV file as text, keeping each record's line number (header = line 1).

    Cells are stripped of surrounding spaces except the ids (:data:`ID_COLUMNS`), taken as written.
    """
    records = with_decimal_points(read_records(path), NUMERIC_COLUMNS)
    header = records.header
    # columns without a name are no column of the format (extra columns are ignored): Excel ends every line with
    # the separators of its used range (';;' after a column was typed in and cleared), and two empty names were
    # refused as one column given twice
    named = [i for i, c in enumerate(header) if c]
    if len(named) < len(header):
        header = [header[i] for i in named]
        records = replace(records, header=header, rows=[[row[i] for i in named] for row in records.rows])
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise InputFormatError(f"column(s) {dupes} appear more than once in the header",
                               where=f"{records.source}, line {records.header_line}")
    frame = pd.DataFrame(records.rows, columns=header, dtype=object) if records.rows else pd.DataFrame(columns=header)
    for col in header:
        if col not in ID_COLUMNS and len(frame):
            frame[col] = pd.Series(list(map(str.strip, frame[col].tolist())), index=frame.index, dtype=object)
    return RawTable(records.source, frame, np.asarray(records.lines, dtype=np.int64), dialect=records.dialect)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)  # exactly as stored: ids are never stripped


def raw_from_frame(df: pd.DataFrame, source: str, *, as_exported: bool = False) -> RawTable:
    """Wrap a table handed over in memory (a store export) so it is validated like a file; ``as_exported``: its floats
    as the export's CSV writes them (:func:`annotation.cells.float_text`, 12 significant digits)."""
    def text(value: object) -> str:
        return float_text(value) if as_exported and isinstance(value, float) and math.isfinite(value) \
            else _cell_text(value)
    frame = pd.DataFrame({str(c): [text(v) for v in df[c].tolist()] for c in df.columns}, dtype=object)
    return RawTable(source, frame, np.arange(1, len(frame) + 1, dtype=np.int64), unit="row")


# --- generic checks -------------------------------------------------------------------------

def _require_columns(raw: RawTable, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in raw.frame.columns]
    if missing:
        raise InputFormatError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, raw.frame.columns))}",
            where=f"{raw.source}, {'line 1 (header)' if raw.unit == 'line' else 'columns'}",
        )


def _first(mask: np.ndarray | pd.Series) -> int | None:
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[0]) if hits.size else None


def _require_nonempty(raw: RawTable, columns: tuple[str, ...]) -> None:
    for col in columns:
        row = _first(np.fromiter((not str(v).strip() for v in raw.frame[col]), dtype=bool, count=len(raw.frame)))
        if row is not None:
            raise raw.fail(row, col, "empty cell; a value is required")


def _visible_ids(raw: RawTable, columns: tuple[str, ...]) -> None:
    """Ids hold no control or invisible character (NUL, CR, tab, zero-width space, BOM...)."""
    for col in columns:
        hit = raw.frame[col].astype(str).str.contains(_INVISIBLE_RE)
        row = _first(hit.to_numpy())
        if row is not None:
            value = str(raw.frame[col].iloc[row])
            ch = _INVISIBLE_RE.search(value).group(0)  # type: ignore[union-attr]
            raise raw.fail(row, col, f"the id {value!r} holds an invisible or control character "
                                     f"(U+{ord(ch):04X}); ids are compared exactly, so write it without")
        # Excel shows a number of 12 digits or more in scientific notation and saves it as shown: two hospital
        # numbers 123456789012 and 123456789099 became one patient '1,23457E+11' (a researcher's check)
        hit = raw.frame[col].astype(str).str.fullmatch(_SHORTENED_NUMBER_RE)
        row = _first(hit.to_numpy())
        if row is not None:
            value = str(raw.frame[col].iloc[row])
            raise raw.fail(row, col, f"the id {value!r} is a number a spreadsheet shortened to scientific notation: "
                                     "its last digits are lost, and other ids may now read the same; set the "
                                     "column's cells to Text and copy the ids from the original file")


_DIGITS_RE = re.compile(r"[0-9]+", re.ASCII)


def _id_form(value: str) -> str:
    """The form ids are told apart by (:func:`annotation._validate.id_form`: NFKC, stripped, case-folded), an
    all-digit id also without its leading zeros: a spreadsheet opening a CSV drops them ('007' is saved as 7), so
    a patient '007' of one file and '7' of a file the researcher edited are refused as one id written two ways."""
    form = id_form(value)
    return form.lstrip("0") or "0" if _DIGITS_RE.fullmatch(form) else form


def _how_ids_differ(a: str, b: str) -> str:
    if id_form(a) == id_form(b):
        return "only by case, Unicode form or surrounding spaces"
    return ("only by leading zeros (a spreadsheet drops them when it opens a CSV: a patient '007' is saved as 7; "
            "set the column's cells to Text, or edit the file as text)")


#: Where two ids must not differ only in form: the id column and the columns that scope it.
ID_SCOPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("patient_id", ()), ("reader", ()), ("exam_pair_id", ("patient_id",)),
    ("lesion_id", ("patient_id", "exam_pair_id", "reader")),
)


def check_id_forms(tables: list[RawTable]) -> None:
    """Refuse two ids that differ only by case, Unicode form, surrounding spaces or (all digits) leading zeros in
    one scope (within a file or across files), naming both lines: lesionlab never merges them silently,
    and never keeps them apart silently either."""
    for col, scope in ID_SCOPES:
        parts = []
        for t, raw in enumerate(tables):
            if col in raw.frame.columns and all(c in raw.frame.columns for c in scope):
                part = raw.frame[[*scope, col]].astype(str).copy()
                part["_table"], part["_row"] = t, np.arange(len(part))
                parts.append(part)
        if not parts:
            continue
        ids = pd.concat(parts, ignore_index=True).drop_duplicates([*scope, col])
        ids["_form"] = ids[col].map(_id_form)
        clash = ids.duplicated([*scope, "_form"], keep="first").to_numpy()
        hit = _first(clash)
        if hit is None:
            continue
        second = ids.iloc[hit]
        same = np.array(ids["_form"] == second["_form"], dtype=bool)
        for c in scope:
            same &= (ids[c] == second[c]).to_numpy()
        first = ids.iloc[_first(same)]
        where_first = tables[int(first["_table"])]
        within = f" (within {', '.join(f'{c} {second[c]!r}' for c in scope)})" if scope else ""
        raise tables[int(second["_table"])].fail(
            int(second["_row"]), col,
            f"{second[col]!r} differs from {first[col]!r} ({where_first.source}, {where_first.unit} "
            f"{int(where_first.lines[int(first['_row'])])}) {_how_ids_differ(str(second[col]), str(first[col]))}"
            f"{within}; ids are compared exactly, so write them the same way (or make them really different)")


def _vocab(raw: RawTable, col: str, allowed: tuple[str, ...], *, allow_empty: bool = False) -> pd.Series:
    """Canonical spelling of a vocabulary column (case-insensitive match)."""
    canon = {a.lower(): a for a in allowed}
    values = raw.frame[col].astype(str)
    mapped = values.str.lower().map(canon)
    bad = mapped.isna().to_numpy().copy()
    if allow_empty:
        bad &= values.to_numpy() != ""
        mapped = mapped.fillna("")
    row = _first(bad)
    if row is not None:
        raise raw.fail(row, col, f"unknown value {values.iloc[row]!r}; expected one of {', '.join(allowed)}")
    return mapped


def _booleans(raw: RawTable, col: str, *, allow_empty: bool) -> pd.Series:
    values = raw.frame[col].astype(str).str.lower()
    is_true = values.isin(TRUE_WORDS).to_numpy()
    is_false = values.isin(FALSE_WORDS).to_numpy()
    empty = values.to_numpy() == ""
    bad = ~(is_true | is_false | (empty if allow_empty else False))
    row = _first(bad)
    if row is not None:
        raise raw.fail(row, col, f"{raw.frame[col].iloc[row]!r} is not a boolean; write true or false")
    if not allow_empty:
        return pd.Series(is_true, index=raw.frame.index, dtype=bool)
    cells: list[bool | None] = [True if t else False if f else None for t, f in zip(is_true, is_false)]
    return pd.Series(cells, index=raw.frame.index, dtype=object)


def _numbers(raw: RawTable, col: str, low: float, high: float, *, low_open: bool = False) -> pd.Series:
    """Parse a numeric column; empty cells become NaN; anything else must lie in range."""
    text = raw.frame[col].astype(str).str.strip()
    given = text.to_numpy() != ""
    ascii_number = text.str.match(_NUMBER_RE).to_numpy()
    nums = pd.to_numeric(text.where(given & ascii_number, None), errors="coerce").astype(float)
    vals = nums.to_numpy()
    bad_number = given & ~np.isfinite(vals)
    row = _first(bad_number)
    if row is not None:
        raise raw.fail(row, col, f"{raw.written(row, col)!r} is not a number")
    with np.errstate(invalid="ignore"):
        out_of_range = given & ((vals <= low) if low_open else (vals < low)) | (given & (vals > high))
    row = _first(out_of_range)
    if row is not None:
        lo = f"> {low:g}" if low_open else f">= {low:g}"
        raise raw.fail(row, col, f"{raw.written(row, col)} is out of range (expected {lo} and <= {high:g})")
    return nums


def _no_duplicates(raw: RawTable, key: tuple[str, ...], what: str) -> None:
    dup = raw.frame.duplicated(list(key), keep="first").to_numpy()
    row = _first(dup)
    if row is not None:
        key_values = tuple(raw.frame.iloc[row][list(key)])
        same = (raw.frame[list(key)] == pd.Series(key_values, index=list(key))).all(axis=1).to_numpy()
        original = _first(same)
        raise raw.fail(
            row, ", ".join(key),
            f"duplicate {what} {'/'.join(key_values)} (first given on {raw.unit} {int(raw.lines[original])})",
        )


# --- the three tables -----------------------------------------------------------------------

def validate_measurements(raw: RawTable) -> pd.DataFrame:
    """measurements.csv -> one row per lesion and series, diameter_mm NaN unless measured."""
    _require_columns(raw, MEASUREMENT_COLUMNS)
    _require_nonempty(raw, (*MEASUREMENT_KEY, "series_role", "status"))
    _visible_ids(raw, MEASUREMENT_KEY)
    role = _vocab(raw, "series_role", ROLE_VALUES)
    status = _vocab(raw, "status", tuple(s.value for s in Status))
    lobe = _vocab(raw, "lobe", tuple(lo.value for lo in Lobe), allow_empty=True)
    diameter = _numbers(raw, "diameter_mm", 0.0, 1000.0, low_open=True)
    measured = (status == Status.MEASURED.value).to_numpy()
    row = _first(measured & diameter.isna().to_numpy())
    if row is not None:
        raise raw.fail(row, "diameter_mm", "status is measured but the diameter is empty")
    _no_duplicates(raw, (*MEASUREMENT_KEY, "series_role"), "lesion/series")
    out = raw.frame[list(MEASUREMENT_KEY)].astype(str).copy()
    out["lobe"] = lobe.to_numpy()
    out["series_role"] = role.to_numpy()
    out["status"] = status.to_numpy()
    out["diameter_mm"] = np.where(measured, diameter.to_numpy(), np.nan)
    # where each line lies, when the file says (lesionlab's export does): agreement from CSVs checks by it that
    # one lesion id names one lesion for every reader (analysis.agreement_data.id_conflicts); not required, and
    # a value no number is left empty here (nothing else reads these columns)
    for col in LINE_PLACE_COLUMNS:
        if col in raw.frame.columns:
            values = raw.frame[col].astype(str).str.strip()
            out[col] = values.to_numpy() if col == "series_instance_uid" else \
                pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce").to_numpy()
    out["line"] = raw.lines
    return out.reset_index(drop=True)


#: Optional measurements.csv columns kept for the agreement's id check: where each line lies.
LINE_PLACE_COLUMNS: tuple[str, ...] = ("series_instance_uid", "slice_index", "p1_row", "p1_col", "p2_row", "p2_col")
COUNT_STATUSES: tuple[str, ...] = ("counted", "not_read", "not_countable")


def validate_counts(raw: RawTable) -> pd.DataFrame:
    """counts.csv -> one row per exam pair, series and lobe, with where its count stands.

    ``count_status`` (counted | not_read | not_countable) is the last column since schema 2 of the
    store; a file without it comes from an older lesionlab and means "counted" unless flagged
    uncountable. A counted row needs a count; a not-read or not-countable row has none.
    """
    _require_columns(raw, COUNT_COLUMNS)
    _require_nonempty(raw, (*EXAM_PAIR_KEY, "series_role", "lobe"))
    _visible_ids(raw, EXAM_PAIR_KEY)
    role = _vocab(raw, "series_role", ROLE_VALUES)
    lobe = _vocab(raw, "lobe", tuple(lo.value for lo in Lobe))
    uncountable = _booleans(raw, "uncountable", allow_empty=False)
    _optional_column_exactly(raw, "count_status", "every row not flagged uncountable would be read as counted")
    if "count_status" in raw.frame.columns:
        status = _vocab(raw, "count_status", COUNT_STATUSES).to_numpy()
        row = _first((status == "not_countable") != uncountable.to_numpy())
        if row is not None:
            raise raw.fail(row, "count_status", f"{status[row]!r} disagrees with uncountable="
                           f"{raw.frame['uncountable'].iloc[row]!r}")
    else:
        status = np.where(uncountable.to_numpy(), "not_countable", "counted")
    text = raw.frame["count"].astype(str).str.strip()
    given = (text != "").to_numpy()
    row = _first(given & ~text.str.match(_COUNT_RE).to_numpy())
    if row is not None:
        raise raw.fail(row, "count", f"{raw.written(row, 'count')!r} is not a whole number of lesions written with the "
                                     f"digits 0-9 (0 to {MAX_COUNT})")
    too_many = pd.to_numeric(text.where(given, None), errors="coerce").astype(float).to_numpy() > MAX_COUNT
    row = _first(too_many)
    if row is not None:
        raise raw.fail(row, "count", f"{raw.written(row, 'count')} is out of range (0 to {MAX_COUNT} lesions)")
    counted = status == "counted"
    row = _first(~given & counted)
    if row is not None:
        raise raw.fail(row, "count", "empty count on a series counted (count_status counted, or not flagged"
                                     " uncountable in a file without count_status)")
    row = _first(given & (status == "not_read"))
    if row is not None:
        raise raw.fail(row, "count",
                       f"a count ({raw.written(row, 'count')}) on a series whose count_status is not_read")
    _no_duplicates(raw, (*EXAM_PAIR_KEY, "series_role", "lobe"), "exam pair/series/lobe")
    out = raw.frame[list(EXAM_PAIR_KEY)].astype(str).copy()
    out["series_role"] = role.to_numpy()
    out["lobe"] = lobe.to_numpy()
    out["count"] = pd.to_numeric(text.where(given & counted, None), errors="coerce").astype(float).to_numpy()
    out["uncountable"] = uncountable.to_numpy()
    out["count_status"] = status
    out["line"] = raw.lines
    return out.reset_index(drop=True)


def validate_patients(raw: RawTable) -> pd.DataFrame:
    """patients.csv -> one row per patient; empty cells mean 'not recorded' (None / NaN)."""
    _require_columns(raw, PATIENT_COLUMNS)
    _require_nonempty(raw, ("patient_id",))
    _visible_ids(raw, ("patient_id",))
    _no_duplicates(raw, ("patient_id",), "patient")
    out = pd.DataFrame({"patient_id": raw.frame["patient_id"].astype(str).to_numpy()})
    for col, enum in PATIENT_CATEGORIES.items():
        out[col] = _vocab(raw, col, tuple(str(e.value) for e in enum), allow_empty=True).to_numpy()
    for col, (low, high) in PATIENT_NUMBERS.items():
        out[col] = _numbers(raw, col, low, high).to_numpy()
    for col in TREATMENT_COLUMNS:
        out[col] = _booleans(raw, col, allow_empty=True).to_numpy()
    out["line"] = raw.lines
    return out


@dataclass(frozen=True)
class Cohort:
    """The validated inputs of one analysis run."""

    measurements: pd.DataFrame
    counts: pd.DataFrame
    patients: pd.DataFrame | None
    sources: dict[str, str] = field(default_factory=dict)
    #: What was detected in files that are not plain lesionlab CSV ("counts.csv: semicolon-separated, ...").
    input_notes: tuple[str, ...] = ()
    #: Of a reader study's store: each study reader's case read, its status and whether it was analysed
    #: (``study_reads.csv``), and the sentence the report's methods and the summary give of it.
    study_reads: pd.DataFrame | None = None
    study_reads_said: str = ""
    #: Of a reader study's store analysed with images: the study's cases and those whose CT or MRI the images do not
    #: hold (the window asks for a folder again after one that lacks some, without indexing it itself)
    study_cases: tuple[str, ...] = ()
    cases_without_images: tuple[str, ...] = ()


def _validated(raws: dict[str, RawTable]) -> dict[str, pd.DataFrame]:
    out = {"measurements": validate_measurements(raws["measurements"]), "counts": validate_counts(raws["counts"])}
    if "patients" in raws:
        out["patients"] = validate_patients(raws["patients"])
    check_id_forms(list(raws.values()))
    return out


def _optional_column_exactly(raw: RawTable, name: str, without: str) -> None:
    """Refuse a header that is an optional column's name written otherwise ('Organ', 'Count_Status'): read as an extra
    column it would be ignored, and the file read as one without the column (``without`` says what that means)."""
    if name in raw.frame.columns:
        return
    near = [c for c in map(str, raw.frame.columns) if c.strip().casefold() == name]
    if near:
        raise InputFormatError(
            f"column {near[0]!r} is not the column {name!r} (column names are exact): without {name!r} {without}",
            where=f"{raw.source}, {'line 1 (header)' if raw.unit == 'line' else 'columns'}",
            advice=f"rename the column {near[0]!r} to {name!r}")


def liver_rows(raw: RawTable) -> tuple[RawTable, tuple[str, ...]]:
    """The measurements of liver lesions: rows whose ``organ`` (the export's last column since session 30;
    a file without it is all liver) names another organ (a lymph node, bone... recorded at follow-up) are
    left out, with a note saying how many, as the analysis of a store does (a lymph node's diameters were
    read as a liver lesion's)."""
    if "organ" not in raw.frame.columns:
        # a spreadsheet's 'Organ': an extra column, ignored, and a node's diameters analysed as the liver's
        _optional_column_exactly(raw, "organ", "every row, a lymph node's or bone lesion's too, would be read as a "
                                               "liver lesion")
        if "short_axis_mm" in raw.frame.columns and (raw.frame["short_axis_mm"].astype(str).str.strip() != "").any():
            lines = raw.lines[(raw.frame["short_axis_mm"].astype(str).str.strip() != "").to_numpy()]
            return raw, (f"{raw.source}: no 'organ' column: every row is read as a liver lesion, also the "
                         f"{len(lines)} row(s) with a short axis (a lymph node's, line {lines[0]}); lesionlab export "
                         "writes the column: leave out the rows of lesions outside the liver, or give it",)
        return raw, ()
    organ = raw.frame["organ"].astype(str).str.strip().str.lower()
    other = ~organ.isin(("", "liver", "nan", "none"))
    if not other.any():
        return raw, ()
    lesions = raw.frame.loc[other, list(MEASUREMENT_KEY)].drop_duplicates()
    by_organ = sorted(set(organ[other]))
    keep = (~other).to_numpy()
    kept = RawTable(raw.source, raw.frame[keep].reset_index(drop=True), raw.lines[keep], raw.unit, raw.dialect)
    return kept, (f"{raw.source}: left out {len(lesions)} lesion read(s) recorded outside the liver at follow-up "
                  f"({', '.join(o.replace('_', ' ') for o in by_organ)}: {int(other.sum())} row(s)); the analysis is "
                  "of liver lesions, as the counts are",)


NOTHING_TO_ANALYSE_ADVICE = ("give the measurements.csv and counts.csv that lesionlab export wrote from a store "
                             "holding reads; nothing was written")


def empty_inputs(raws: dict[str, RawTable], outside_liver: bool = False) -> tuple[str, ...]:
    """Refuse a cohort whose measurements and counts hold no rows (an analysis of nothing succeeded with
    "0 patients" and a report of empty tables), naming the inputs; when only one of them is empty, the note
    that says so (the other is analysed)."""
    m, c = raws["measurements"], raws["counts"]
    what = {"line": "holds no rows, only a header", "row": "holds no rows"}
    if len(m.frame) == 0 and len(c.frame) == 0:
        m_says = "holds only lesions outside the liver" if outside_liver else what[m.unit]
        raise InputFormatError(f"{m_says}, and neither does {c.source}: nothing to analyse", where=m.source,
                               advice=NOTHING_TO_ANALYSE_ADVICE)
    if len(m.frame) == 0:
        return (f"{m.source}: {'holds only lesions outside the liver' if outside_liver else what[m.unit]}: "
                "no diameters to compare (the counts are analysed)",)
    if len(c.frame) == 0:
        return (f"{c.source}: {what[c.unit]}: no counts (the diameters are analysed)",)
    return ()


def load_csv_inputs(measurements: str | Path, counts: str | Path,
                    patients: str | Path | None = None) -> Cohort:
    """Read and validate the cohort CSV files of the export (or a spreadsheet's CSVs of them); measurements and
    counts that both hold no rows are refused (:func:`empty_inputs`)."""
    paths = {"measurements": measurements, "counts": counts, **({"patients": patients} if patients is not None else {})}
    raws = {name: read_csv_table(p) for name, p in paths.items()}
    notes = tuple(f"{raw.source}: read as {raw.dialect.describe()}" for raw in raws.values()
                  if raw.dialect is not None and not raw.dialect.plain)
    had_rows = len(raws["measurements"].frame) > 0
    raws["measurements"], outside = liver_rows(raws["measurements"])
    notes += outside
    notes += empty_inputs(raws, outside_liver=had_rows)
    for note in notes:
        log.info(note)
    tables = _validated(raws)
    return Cohort(measurements=tables["measurements"], counts=tables["counts"], patients=tables.get("patients"),
                  sources={name: str(p) for name, p in paths.items()}, input_notes=notes)


STORE_NEEDS_ANNOTATION = (
    "reading a store needs the annotation package's exporter "
    "(annotation.export.liver_cohort_tables), which this installation does not provide"
)


def load_store(store: str | Path) -> Cohort:
    """Read the three cohort tables straight from a reading store via the annotation exporter."""
    return _store_cohort(store, _exporter(store).liver_cohort_tables(store))


def _exporter(store: str | Path) -> Any:
    """The annotation package's exporter module, or the refusal saying what to do without it."""
    try:
        exporter = importlib.import_module("annotation.export")  # optional, owned by annotation
    except ImportError as exc:
        raise LesionlabError(
            f"{STORE_NEEDS_ANNOTATION} ({exc})", where=str(store),
            advice="export the store first (lesionlab export STORE --out DIR) and run "
                   "lesionlab analyze --measurements DIR/measurements.csv --counts DIR/counts.csv",
        ) from None
    return exporter


def _store_cohort(store: str | Path, found: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, tuple[str, ...]],
                  said: tuple[str, ...] = (), seen_by: str | None = None) -> Cohort:
    """A store's cohort from its exporter's tables and notes of lesions outside the liver (:func:`load_store`);
    ``said``: notes put first; ``seen_by``: the reader whose reads alone the connected database role sees."""
    from annotation.store_location import parse_location  # noqa: PLC0415 - a file path or a postgresql:// URL

    location = parse_location(store)
    measurements_df, counts_df, patients_df, outside = found
    name = location.path.name if location.path is not None else location.saved()
    # the floats as measurements.csv holds them: a line of 6 x 8 pixels at 0.7 mm, 6.999999999999999 in the store, is
    # 7.0 there, and the paired tests of the store and of its export (and R's of that export) differed (Wilcoxon V 36
    # and 0: a zero difference to another series' 7.0 dropped in one, ranked in the other; review39)
    raws = {"measurements": raw_from_frame(measurements_df, f"{name} (measurements)", as_exported=True),
            "counts": raw_from_frame(counts_df, f"{name} (counts)", as_exported=True)}
    if patients_df is not None and len(patients_df.columns):
        raws["patients"] = raw_from_frame(patients_df, f"{name} (patients)", as_exported=True)
    if seen_by is not None:
        # a reader's role: row-level security hides the other readers' reads, so "holds no reads" or an analysis of
        # one reader read as all the store holds
        said = (f"this database role is reader {seen_by}'s: it sees {seen_by}'s reads only, the other readers' reads "
                "are not visible to it (hidden, not absent); the store's owner or a coordinator's role analyses "
                "every reader's", *said)
    if measurements_df.empty and counts_df.empty:  # an analysis of nothing said "0 patients" and wrote empty tables
        held = f"holds no reads of {seen_by}, the only reads this database role sees" if seen_by else "holds no reads"
        raise InputFormatError(f"{held} (no lesion measured, no series counted): nothing to analyse",
                               where=location.saved(), advice="read exams into it first, or give the store that "
                                                              "holds the reads; nothing was written")
    notes = (*said, *outside, *empty_inputs(raws, outside_liver=bool(outside)))
    tables = _validated(raws)
    return Cohort(measurements=tables["measurements"], counts=tables["counts"], patients=tables.get("patients"),
                  sources={"store": location.saved()}, input_notes=notes)


def load_analysis_store(store: str | Path, *, dicom: str | Path | None = None, study_id: str | None = None,
                        include_unfinished: bool = False) -> Cohort:
    """What ``lesionlab analyze STORE`` analyses: :func:`load_store`'s cohort; of a reader study's store, the study's
    reads as one read per study reader, each reader's sessions joined as ``lesionlab study reads`` joins them
    (:func:`analysis.study_pairing.joined_reads`; ``dicom``, the images, pairs lesions across sessions), with a note
    saying what was joined and left out. A study's session reads analysed as readers of their own paired no series
    of one session with one of another (an audit: n = 7, all of them the sample reader's). Through a reader's
    database role, a note says the other readers' reads are hidden. ``dicom`` and ``study_id`` are kept in
    :attr:`Cohort.sources` for the agreement section. A study's case reads not finished are left out, as
    ``lesionlab agreement`` leaves them out (the agreement section of the same report too), unless
    ``include_unfinished`` (as ``study reads`` takes them); :attr:`Cohort.study_reads` lists every case read."""
    exporter = _exporter(store)
    from analysis.study_pairing import joined_reads, placed_stacks  # noqa: PLC0415 - it imports this module
    from annotation.store import ReadingStore  # noqa: PLC0415 - as the exporter (optional)
    from annotation.store_pg_security import is_study_store  # noqa: PLC0415

    with ReadingStore.open(store, read_only=True) as opened:
        # a blinded role (a reader study's reader or adjudicator) is refused what load() refuses it, before the
        # study's images are indexed (minutes on a real study) and then refused (review39)
        opened.refuse_blinded("the whole reading project cannot be loaded")
        seen_by = opened.own_rows_only
        study = study_id is not None or is_study_store(opened.backend_db)
    joined = None
    if study:
        stacks = placed_stacks(dicom) if dicom is not None else None  # the images indexed with the store closed
        with ReadingStore.open(store, read_only=True) as opened:
            joined = joined_reads(opened, dicom=dicom, stacks=stacks, study_id=study_id, unfinished=include_unfinished)
    if joined is None:
        cohort = _store_cohort(store, exporter.liver_cohort_tables(store), seen_by=seen_by)
        if include_unfinished:  # said, not taken silently: the option changes nothing here (a researcher's check)
            cohort = replace(cohort, input_notes=(*cohort.input_notes, "--include-unfinished: the store holds no reader "
                                                  "study, so no case read is finished or not: every read is analysed"))
    else:
        cohort = _store_cohort(store, exporter.project_liver_tables(joined.project), (joined.note(),), seen_by)
    extra = {"dicom": str(dicom)} if dicom is not None else {}
    if joined is not None:
        extra["study"] = joined.study_id
        cohort = replace(cohort, study_reads=joined.reads_table(),
                         study_reads_said=f"{joined.reads_said()} {joined.images_said(dicom)}",
                         study_cases=joined.cases, cases_without_images=joined.cases_without_images)
    return replace(cohort, sources={**cohort.sources, **extra}) if extra else cohort
