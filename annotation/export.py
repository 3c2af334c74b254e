"""Export a reading store: one xlsx per patient and the cohort CSV tables.

Formula injection and row splitting. Every cell of the xlsx and CSV files goes through the one
cell rule of :mod:`annotation.cells` (formula starts and their look-alikes escaped with a leading
apostrophe, RFC 4180 quoting), so ids still join across the three CSV files; the DataFrames of
:func:`cohort_tables` carry the raw values.

Pseudonymisation (``pseudonymise=True``): every table and sheet passes the declarative gate of
:mod:`annotation.pseudonymise` (study codes, no names, UIDs or calendar dates, comments only on
request); the code key goes to a separate CSV outside the export folder.

The export folder appears whole or not at all; the key file is written atomically (a temporary
file beside it, fsynced, renamed).
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from annotation.cells import csv_text, unescape_text
from annotation.files import atomic_write, replace_folder, write_error
from annotation.followup import (FOLLOWUP_ROW_COLUMNS, TREATMENT_LINE_ROW_COLUMNS, followup_export_rows, outside_liver,
                                 treatment_line_rows)
from annotation.project import Project
from annotation.pseudonymise import Gate
from annotation.store import ReadingStore
from annotation.records import ReaderRoles
from annotation.tables import project_tables
from viewer.errors import StoreError

def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV, header first, empty cell for missing, true/false, the cell rule of
    :mod:`annotation.cells` (formula starts escaped, RFC 4180 quoting), atomic."""
    data = csv_text(list(df.columns), df.astype(object).itertuples(index=False, name=None)).encode("utf-8")
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def cohort_tables(store_path: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(measurements, counts, patients) of a store, read-only (works while a viewer has it open)."""
    with ReadingStore.open(store_path, read_only=True) as store:
        return project_tables(store.load())


def liver_cohort_tables(store_path: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                                        tuple[str, ...]]:
    """:func:`cohort_tables` for the analysis: measurements of lesions recorded outside the liver
    (:func:`outside_liver`) left out, and a note saying which (a researcher's check found a lymph
    node's three diameters in the CT portal liver-lesion sizes)."""
    with ReadingStore.open(store_path, read_only=True) as store:
        project = store.load()
    return project_liver_tables(project)


def project_liver_tables(project: Project) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """:func:`liver_cohort_tables` of a project in memory (a reader study's reads joined per reader)."""
    measurements, counts, patients = project_tables(project)
    out = outside_liver(project)
    if not out or measurements.empty:
        return measurements, counts, patients, ()
    keys = list(zip(measurements["patient_id"], measurements["exam_pair_id"], measurements["reader"],
                    measurements["lesion_id"]))
    drop = [k in out for k in keys]
    if not any(drop):
        return measurements, counts, patients, ()
    kept = measurements[[not d for d in drop]].reset_index(drop=True)
    lesions = sorted({k for k, d in zip(keys, drop) if d})
    by_organ = sorted({out[k] for k in lesions})
    note = (f"left out {len(lesions)} lesion read(s) recorded outside the liver at follow-up "
            f"({', '.join(o.replace('_', ' ') for o in by_organ)}: {sum(drop)} measurement row(s)); "
            "the analysis is of liver lesions, as the counts are")
    return kept, counts, patients, (note,)


def _gated(df: pd.DataFrame, gate: Gate) -> pd.DataFrame:
    """``df`` as it may leave (every column through the pseudonymisation gate's rule)."""
    if not gate.active:
        gate.table(list(df.columns), ())  # every column has a rule, even when nothing changes
        return df
    rows = gate.table(list(df.columns), df.astype(object).itertuples(index=False, name=None))
    return pd.DataFrame(rows, columns=df.columns, dtype=object)


# ---------------------------------------------------------------------------- the export
@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    key_file: Path | None
    n_patients: int
    n_measurement_rows: int
    n_count_rows: int
    seconds: float
    #: one-click suggestions not kept yet, left out (a line on screen, dashed: the reader is told, review49c)
    n_not_kept: int = 0


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_stem(name: str, taken: set[str]) -> str:
    stem = _UNSAFE.sub("_", name).strip("._") or "patient"
    candidate, n = stem, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}"
    taken.add(candidate.lower())
    return candidate


KEY_COLUMNS = ("study_code", "patient_id", "patient_name")


def previous_key(key_file: Path) -> dict[str, str] | None:
    """The codes of the pseudonymisation key already at ``key_file`` (patient id -> study code), None when there is
    none; any other file there is refused, never replaced (an audit: ``--key-file`` replaced a TOML file, and
    given the store's own path, the store itself, by a CSV)."""
    return _codes(previous_key_rows(key_file))


def _codes(rows: list[tuple[str, str, str]] | None) -> dict[str, str] | None:
    """Patient id -> study code of a key's rows (None: no key)."""
    return None if rows is None else {pid: code for code, pid, _name in rows}


def previous_key_rows(key_file: Path) -> list[tuple[str, str, str]] | None:
    """The rows (study code, patient id, patient name) of the key already at ``key_file``, as :func:`previous_key`
    reads it."""
    if not key_file.exists() or key_file.is_dir():
        return None  # a folder is refused below, before anything is replaced
    try:
        with open(key_file, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        rows = []
    if not rows or tuple(c.lstrip("\ufeff") for c in rows[0]) != KEY_COLUMNS or any(len(r) != 3 for r in rows[1:]):
        if _resaved_key(key_file):
            raise StoreError("the pseudonymisation key there was saved again by a spreadsheet (semicolons or another "
                             "encoding): it is not read back, a spreadsheet changes ids (leading zeros, long numbers), "
                             "and it is not replaced", where=str(key_file),
                             advice="put back the key as lesionlab wrote it (a copy kept apart) to keep its codes, or "
                                    "give another --key-file path: the codes then start over")
        raise StoreError("a file that is not a pseudonymisation key of lesionlab is there: it is not replaced",
                         where=str(key_file), advice="give another --key-file path (a key is a CSV with "
                                                     f"{', '.join(KEY_COLUMNS)})")
    return [(unescape_text(r[0]), unescape_text(r[1]), unescape_text(r[2])) for r in rows[1:]]


def _resaved_key(key_file: Path) -> bool:
    """Whether ``key_file`` is a key a spreadsheet saved again: its first line names the key's columns, separated by
    semicolons or tabs, or in Windows-1252 or UTF-16 (a researcher opened the key in Excel and saved it on closing; the
    next export said "not a pseudonymisation key of lesionlab")."""
    try:
        head = key_file.read_bytes()[:4096]
    except OSError:
        return False
    for encoding in ("utf-16", "utf-8-sig", "cp1252"):
        if encoding == "utf-16" and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        text = head.decode(encoding, errors="replace")
        first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        for sep in (",", ";", "\t"):
            if tuple(c.strip().strip('"') for c in first.split(sep)) == KEY_COLUMNS:
                return True
    return False


def default_key_path(out_dir: Path) -> Path:
    """The code key lives beside, not inside, the export folder, so the folder can be shared."""
    out_dir = out_dir.resolve()
    return out_dir.parent / f"{out_dir.name}-pseudonymisation-key.csv"


#: (project, patient_id) -> the engine's response rows of that patient (one per reader and timepoint,
#: response.csv's columns plus ``reader``); given by the layer that has the engine (analysis).
ResponseRows = Callable[[Project, str], list[dict[str, Any]]]


def _followup_tables(project: Project, gate: Gate) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """followup.csv and treatment_lines.csv through the gate; pseudonymised, their dates become days
    from the patient's first exam and the columns say ``_day`` (``lesionlab response`` reads both)."""
    if not (project.lesion_followups or project.treatment_lines):
        return None
    out = []
    for rows, cols in ((followup_export_rows(project), ["reader", *FOLLOWUP_ROW_COLUMNS]),
                       (treatment_line_rows(project), list(TREATMENT_LINE_ROW_COLUMNS))):
        df = _gated(pd.DataFrame(rows, columns=cols, dtype=object), gate)
        if gate.active:
            df = df.rename(columns={c: c[: -len("_date")] + "_day" for c in df.columns if c.endswith("_date")})
            for col in [c for c in df.columns if c.endswith("_day")]:
                df[col] = df[col].astype("Int64")
        out.append(df)
    return out[0], out[1]


#: The list of the files an export wrote, kept in its folder: a folder is a previous export, replaced
#: whole, only when it holds those files and nothing else (names alone let a user's own
#: ``patients/clinical_data.xlsx`` and ``patients.csv`` pass, and be deleted: a review).
EXPORT_MANIFEST = ".lesionlab-export"
#: What operating systems and office programs leave in any folder; replaced with the export (macOS's
#: "._" AppleDouble files on USB drives and Excel's "~$" lock files by their prefix).
OS_CLUTTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
CLUTTER_PREFIXES = ("._", "~$")


def is_previous_export(folder: Path) -> bool:
    """``folder`` holds a previous export and nothing else: the files its manifest lists, the manifest
    and OS clutter (an identified export's workbooks are replaced, not left beside a pseudonymised
    one's: a researcher found LLSYN001.xlsx beside S001.xlsx in a folder meant to be shared whole). An
    export written before the manifest existed is not recognised: the export asks for another folder."""
    try:
        listed = set((folder / EXPORT_MANIFEST).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return False
    for entry in folder.rglob("*"):
        rel = entry.relative_to(folder).as_posix()
        if entry.is_symlink():
            return False
        if entry.is_dir():
            if not any(f.startswith(rel + "/") for f in listed):
                return False
        elif rel != EXPORT_MANIFEST and rel not in listed and entry.name not in OS_CLUTTER \
                and not entry.name.startswith(CLUTTER_PREFIXES):
            return False
    return True


def export_project(project: Project, out_dir: str | os.PathLike[str], *, pseudonymise: bool = False,
                   key_path: str | os.PathLike[str] | None = None, keep_comments: bool = False,
                   responses: ResponseRows | None = None, reader_roles: ReaderRoles | None = None) -> ExportResult:
    """Write ``patients/<id>.xlsx`` per patient and the cohort CSVs into ``out_dir``; ``reader_roles``: the series
    a reader study's session reads cover (:func:`annotation.study_store.session_roles`).

    With ``pseudonymise`` every table and sheet passes :class:`annotation.pseudonymise.Gate`
    (free-text comments left out unless ``keep_comments``). With a follow-up in the project, also
    ``followup.csv`` and ``treatment_lines.csv``, a *Follow-up* sheet and, when ``responses`` is
    given, a *RECIST* sheet in each workbook.

    The folder appears whole or not at all (:func:`annotation.files.replace_folder`): filled beside
    it, the key written last (a key that cannot be written leaves no pseudonymised folder without
    it), then moved into place. An existing ``out_dir`` is replaced only when empty or a previous
    export (:func:`is_previous_export`), every file of that export going with it.
    """
    from annotation.workbook import write_patient_workbook  # openpyxl only when exporting

    t0 = time.perf_counter()
    not_kept = sum(len(les.pending_roles) for les in project.lesions.values())
    project = project.without_pending()  # a suggestion not kept yet is no reader's line (the window: "not kept yet")
    out = Path(out_dir).absolute()
    key_file = (Path(key_path).absolute() if key_path else default_key_path(out)) if pseudonymise else None
    previous_rows = previous_key_rows(key_file) if key_file is not None else None
    previous = _codes(previous_rows)
    gate = Gate.for_project(project, keep_comments=keep_comments, previous=previous) if pseudonymise else Gate()
    # the previous key's rows of patients this export does not hold (deleted since, or a store of fewer patients): their
    # codes stay in the key, which an export already shared still needs (an audit: the key's S002 row went with the
    # patient, and S002 of the export shared before could not be re-identified). Only when this export kept the
    # previous codes (else they started over, and an old row would give a code twice)
    retired = [row for row in previous_rows or () if row[1] not in project.patients] \
        if previous and all(gate.patient_code(pid) == code for pid, code in previous.items()
                            if pid in project.patients) else []
    measurements, counts, patients = (_gated(df, gate) for df in project_tables(project, reader_roles))
    tables = [("measurements.csv", measurements), ("counts.csv", counts), ("patients.csv", patients)]
    followup = _followup_tables(project, gate)
    if followup is not None:
        tables += [("followup.csv", followup[0]), ("treatment_lines.csv", followup[1])]
    if key_file is not None:
        if key_file.resolve().is_relative_to(out.resolve()):
            raise StoreError("the pseudonymisation key must not be written inside the export folder",
                             where=str(key_file), advice="choose a key path outside --out")
    taken: set[str] = set()
    workbooks = [(pid, Path("patients") / f"{_file_stem(gate.patient_code(pid), taken)}.xlsx")
                 for pid in sorted(project.patients)]

    # the key is written beside its place first and renamed there only once the export is in place: a
    # failed swap kept the previous export with a key of the new codes (a wrong re-identification)
    pending = key_file.parent / f".{key_file.name}.pending-{secrets.token_hex(6)}" if key_file is not None else None

    def fill(tmp: Path) -> None:
        for name, df in tables:
            write_csv(df, tmp / name)
        for pid, rel in workbooks:
            atomic_write(tmp / rel, lambda f: write_patient_workbook(project, pid, f, gate, responses, reader_roles))  # called at once
        manifest = "".join(f"{p}\n" for p in [name for name, _ in tables] + [rel.as_posix() for _, rel in workbooks])
        atomic_write(tmp / EXPORT_MANIFEST, lambda f: f.write_text(manifest, encoding="utf-8"))
        if pending is not None:
            key = pd.DataFrame([{"study_code": gate.patient_code(pid), "patient_id": pid,
                                 "patient_name": project.patients[pid].patient_name}
                                for pid in sorted(project.patients)]
                               + [dict(zip(KEY_COLUMNS, row)) for row in retired],
                               columns=list(KEY_COLUMNS))
            write_csv(key, pending)

    if key_file is not None and key_file.is_dir():  # refused before anything is replaced
        raise StoreError("the pseudonymisation key path is a folder", where=str(key_file),
                         advice="give a file name for --key-file")
    try:
        replace_folder(out, is_previous_export, fill)
        if pending is not None and key_file is not None:
            try:
                os.replace(pending, key_file)
            except OSError as exc:
                # the new export's codes are in place: a previous key there would name the wrong patients
                # (a review: S001 = B in the key, S001 = A in the export)
                try:
                    key_file.unlink(missing_ok=True)
                    gone = "the previous key there, which no longer matches, was removed"
                except OSError:
                    gone = "a previous key there no longer matches this export: delete it"
                raise write_error(exc, key_file, advice=f"the export is written, its key is not ({gone}): "
                                                        "export again") from exc
    finally:
        if pending is not None:
            try:
                pending.unlink(missing_ok=True)
            except OSError:
                pass
    files = [out / name for name, _ in tables] + [out / rel for _, rel in workbooks]
    return ExportResult(tuple(files), key_file, len(project.patients), len(measurements), len(counts),
                        time.perf_counter() - t0, not_kept)


def export_store(store_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                 pseudonymise: bool = False, key_path: str | os.PathLike[str] | None = None,
                 keep_comments: bool = False, responses: ResponseRows | None = None) -> ExportResult:
    """Export a store (opened read-only, so a viewer may keep it open for writing meanwhile)."""
    from annotation.study_store import session_roles  # noqa: PLC0415 - a reader study's sessions, when it holds one

    with ReadingStore.open(store_path, read_only=True) as store:
        project = store.load()
        reader_roles = session_roles(store)
    return export_project(project, out_dir, pseudonymise=pseudonymise, key_path=key_path,
                          keep_comments=keep_comments, responses=responses, reader_roles=reader_roles)
