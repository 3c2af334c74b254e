"""Export a reading store: one xlsx per patient and the cohort CSV tables.

Formula injection. Text that came from DICOM or from the reader (ids, names, UIDs, comments)
never becomes a spreadsheet formula: a text value starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return gets a leading apostrophe, in the xlsx files *and* in the CSV files (the
OWASP rule; spreadsheet programs open CSV files too). Only text cells are touched: numbers
(diameters, coordinates, counts) are written as numbers, and the vocabulary columns never start
with those characters. The same rule applies to the three CSV files, so ids still join; the
DataFrames of :func:`cohort_tables` carry the raw values.

Pseudonymisation (``pseudonymise=True``) replaces each patient id by a study code (S001, S002,
... in patient-id order), drops names, study and series UIDs and exam dates (the CT-MRI interval
stays), and writes the code key to a separate CSV outside the export folder.

Every file is written atomically: to a temporary file in the same folder, fsynced, then renamed.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from annotation.cells import escape_text
from annotation.followup import (FOLLOWUP_ROW_COLUMNS, TREATMENT_LINE_ROW_COLUMNS, first_exam_date,
                                 followup_export_rows, pseudonymise_dates, treatment_line_rows)
from annotation.project import Project
from annotation.store import ReadingStore
from annotation.tables import project_tables
from viewer.errors import LesionlabError, StoreError

def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, fsync it, then rename it over ``path``.

    A folder that cannot be made or written (a file in the way, no permission, disk full) raises
    :class:`LesionlabError` naming the file; ``path`` is then unchanged.
    """
    try:
        _atomic_write(path, write)
    except OSError as exc:
        raise LesionlabError(f"cannot be written ({exc.strerror or exc})", where=str(path),
                             advice="choose an output folder you can write to, not an existing file") from exc


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _csv_cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(escape_text(value)) if isinstance(value, str) else str(value)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV, header first, empty cell for missing, true/false, escaped text, atomic."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(df.columns)
    for row in df.astype(object).itertuples(index=False, name=None):
        writer.writerow([_csv_cell(v) for v in row])
    data = buf.getvalue().encode("utf-8")
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def cohort_tables(store_path: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(measurements, counts, patients) of a store, read-only (works while a viewer has it open)."""
    with ReadingStore.open(store_path, read_only=True) as store:
        return project_tables(store.load())


# ---------------------------------------------------------------------------- pseudonyms
@dataclass(frozen=True)
class Pseudonyms:
    """patient_id -> study code; identity when not pseudonymising."""

    codes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_project(cls, project: Project) -> "Pseudonyms":
        ids = sorted(project.patients)
        width = max(3, len(str(len(ids))))
        return cls({pid: f"S{i:0{width}d}" for i, pid in enumerate(ids, start=1)})

    @property
    def active(self) -> bool:
        return bool(self.codes)

    def __call__(self, patient_id: str) -> str:
        return self.codes.get(patient_id, patient_id) if self.active else patient_id


def _pseudonymise_tables(tables: tuple[pd.DataFrame, ...], codes: Pseudonyms) -> tuple[pd.DataFrame, ...]:
    out = []
    for df in tables:
        df = df.copy()
        df["patient_id"] = df["patient_id"].map(codes)
        for uid in ("series_instance_uid", "sop_instance_uid"):  # DICOM UIDs identify the study
            if uid in df:
                df[uid] = None
        out.append(df)
    return tuple(out)


# ---------------------------------------------------------------------------- the export
@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    key_file: Path | None
    n_patients: int
    n_measurement_rows: int
    n_count_rows: int
    seconds: float


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_stem(name: str, taken: set[str]) -> str:
    stem = _UNSAFE.sub("_", name).strip("._") or "patient"
    candidate, n = stem, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}"
    taken.add(candidate.lower())
    return candidate


def default_key_path(out_dir: Path) -> Path:
    """The code key lives beside, not inside, the export folder, so the folder can be shared."""
    out_dir = out_dir.resolve()
    return out_dir.parent / f"{out_dir.name}-pseudonymisation-key.csv"


#: (project, patient_id) -> the engine's response rows of that patient (one per reader and timepoint,
#: response.csv's columns plus ``reader``); given by the layer that has the engine (analysis).
ResponseRows = Callable[[Project, str], list[dict[str, Any]]]


def _followup_tables(project: Project, codes: "Pseudonyms") -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """followup.csv and treatment_lines.csv; pseudonymised: study codes, dates as days from the first exam."""
    if not (project.lesion_followups or project.treatment_lines):
        return None
    fu, lines = followup_export_rows(project), treatment_line_rows(project)
    fu_cols, line_cols = ["reader", *FOLLOWUP_ROW_COLUMNS], list(TREATMENT_LINE_ROW_COLUMNS)
    if codes.active:
        day0 = {pid: first_exam_date(project, pid) for pid in project.patients}
        fu = pseudonymise_dates(fu, day0, ("timepoint_date",))
        lines = pseudonymise_dates(lines, day0, ("start_date", "end_date"))
        fu_cols = [c.replace("timepoint_date", "timepoint_day") for c in fu_cols]
        line_cols = [c.replace("_date", "_day") for c in line_cols]
        for row in [*fu, *lines]:
            row["patient_id"] = codes(row["patient_id"])
    fu_df, lines_df = pd.DataFrame(fu, columns=fu_cols), pd.DataFrame(lines, columns=line_cols)
    for df in (fu_df, lines_df):
        for col in [c for c in df.columns if c.endswith("_day")]:
            df[col] = df[col].astype("Int64")
    return fu_df, lines_df


def export_project(project: Project, out_dir: str | os.PathLike[str], *, pseudonymise: bool = False,
                   key_path: str | os.PathLike[str] | None = None,
                   responses: ResponseRows | None = None) -> ExportResult:
    """Write ``patients/<id>.xlsx`` per patient and the cohort CSVs into ``out_dir``.

    With a follow-up in the project, also ``followup.csv`` and ``treatment_lines.csv``, a
    *Follow-up* sheet and, when ``responses`` is given, a *RECIST* sheet in each workbook.
    """
    from annotation.workbook import write_patient_workbook  # openpyxl only when exporting

    t0 = time.perf_counter()
    out = Path(out_dir)
    codes = Pseudonyms.for_project(project) if pseudonymise else Pseudonyms()
    measurements, counts, patients = project_tables(project)
    if codes.active:
        measurements, counts, patients = _pseudonymise_tables((measurements, counts, patients), codes)
    files = []
    tables = [("measurements.csv", measurements), ("counts.csv", counts), ("patients.csv", patients)]
    followup = _followup_tables(project, codes)
    if followup is not None:
        tables += [("followup.csv", followup[0]), ("treatment_lines.csv", followup[1])]
    for name, df in tables:
        write_csv(df, out / name)
        files.append(out / name)
    taken: set[str] = set()
    for pid in sorted(project.patients):
        path = out / "patients" / f"{_file_stem(codes(pid), taken)}.xlsx"
        atomic_write(path, lambda tmp: write_patient_workbook(project, pid, tmp, codes, responses))  # called at once
        files.append(path)
    key_file = None
    if codes.active:
        key_file = Path(key_path) if key_path else default_key_path(out)
        if key_file.resolve().is_relative_to(out.resolve()):
            raise StoreError("the pseudonymisation key must not be written inside the export folder",
                             where=str(key_file), advice="choose a key path outside --out")
        key = pd.DataFrame([{"study_code": codes(pid), "patient_id": pid,
                             "patient_name": project.patients[pid].patient_name} for pid in sorted(project.patients)],
                           columns=["study_code", "patient_id", "patient_name"])
        write_csv(key, key_file)
    return ExportResult(tuple(files), key_file, len(project.patients), len(measurements), len(counts),
                        time.perf_counter() - t0)


def export_store(store_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                 pseudonymise: bool = False, key_path: str | os.PathLike[str] | None = None,
                 responses: ResponseRows | None = None) -> ExportResult:
    """Export a store (opened read-only, so a viewer may keep it open for writing meanwhile)."""
    with ReadingStore.open(store_path, read_only=True) as store:
        project = store.load()
    return export_project(project, out_dir, pseudonymise=pseudonymise, key_path=key_path, responses=responses)
