"""The per-patient xlsx workbook: patient record, exam pairs, lesions x series, each line and how it was
made, counts, checks.

Every sheet passes the pseudonymisation gate (:class:`annotation.pseudonymise.Gate`, a no-op
unless pseudonymising) and every cell :func:`annotation.cells.xlsx_value`, so nothing that came
from DICOM or from the reader becomes a formula.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any, Callable, Iterable

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from annotation.cells import xlsx_value
from annotation.checks import check_pair, check_patient
from annotation.followup import followup_export_rows, outside_liver
from annotation.followup_records import LIVER
from annotation.project import Project
from annotation.pseudonymise import Gate
from annotation.records import SHOWN_MM_DECIMALS, Measurement, ReaderRoles, expected_roles, shown_mm
from annotation.vocab import CountStatus, Lobe, MeasurementMethod, Treatment
from viewer.records import READING_ROLES

BOLD = Font(bold=True)
ITALIC = Font(italic=True)
MISSING = PatternFill("solid", fgColor="FFF2CC")  # a series not read yet
STATUS_TEXT = {"not_visible": "not visible", "not_measurable": "not measurable"}
#: a diameter cell's Excel format: the decimals the window shows (annotation.records.SHOWN_MM_DECIMALS)
MM_FORMAT = "0." + "0" * SHOWN_MM_DECIMALS


def _sheet(wb: Workbook, title: str, header: list[str], rows: Iterable[list[Any]], gate: Gate,
           patient_id: str) -> Any:
    ws = wb.create_sheet(title)
    ws.append(header)
    for c in ws[1]:
        c.font = BOLD
    for row in gate.table(header, rows, patient_id):
        ws.append([xlsx_value(v) for v in row])
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(name) + 2))
    ws.freeze_panes = "A2"
    return ws


def _shown_as_mm(ws: Any, columns: set[str]) -> None:
    """The diameters of the named columns written as the window writes them: 14.0 reads "14.0", not "14" (the
    value is already :func:`annotation.records.shown_mm`'s)."""
    picked = [i for i, c in enumerate(ws[1]) if c.value in columns]
    for row in ws.iter_rows(min_row=2):
        for i in picked:
            if isinstance(row[i].value, float):
                row[i].number_format = MM_FORMAT


def _suggested_mm(m: Measurement) -> float | None:
    """The length the one-click diameter suggested (kept in its parameters when the reader edits it)."""
    if m.method is MeasurementMethod.SUGGESTED:
        # kept as suggested: the line's own length, rounded as the diameter beside it is (the record's 0.001 mm
        # value rounded again read 14.53 beside 14.52: a reader's check)
        return shown_mm(m.diameter_mm)
    value = m.params.get("suggested_diameter_mm") if m.method is not MeasurementMethod.MANUAL else None
    return shown_mm(float(value)) if isinstance(value, (int, float)) else None


def write_patient_workbook(project: Project, patient_id: str, path: Path, gate: Gate | None = None,
                           responses: Callable[[Project, str], list[dict[str, Any]]] | None = None,
                           reader_roles: ReaderRoles | None = None) -> None:
    """Write one patient's workbook to ``path``, every sheet through ``gate`` (pseudonymisation);
    ``responses`` gives the RECIST sheet's rows, see :data:`annotation.export.ResponseRows`; ``reader_roles`` the
    series a reader study's session reads cover (:func:`annotation.records.expected_roles`)."""
    gate = gate or Gate()
    project = project.without_pending()  # a suggestion not kept yet: no status (annotation.export)
    patient = project.patients[patient_id]
    c = patient.clinical
    wb = Workbook()
    wb.remove(wb.active)

    record: list[list[Any]] = [
        ["patient_id", patient_id],
        ["patient_name", patient.patient_name],
        ["sex", c.sex], ["age_at_diagnosis", c.age_at_diagnosis_years], ["primary_site", c.primary_site],
        ["ki67_percent", c.ki67_percent], ["mitotic_count", c.mitoses_per_10hpf],
        ["grade_entered", c.grade_entered], ["grade_who2019", c.grade_derived], ["grade", c.grade],
        ["grade_flag", c.grade_disagreement or ""], ["grade_source", c.grade_source],
        ["differentiation", c.differentiation], ["liver_metastases", c.liver_metastases],
        *[[t.column, {True: "yes", False: "no", None: "not recorded"}[c.treatment(t)]] for t in Treatment],
    ]
    _sheet(wb, "Patient", ["field", "value"], record, gate, patient_id).column_dimensions["B"].width = 60

    pairs = project.pairs_of(patient_id)
    _sheet(wb, "Exam pairs",
           ["exam_pair_id", "ct_study_uid", "ct_date", "mri_study_uid", "mri_date", "interval_days", "readers"],
           [[p.exam_pair_id, p.ct_study_uid, p.ct_date, p.mri_study_uid, p.mri_date, p.interval_days,
             ", ".join(project.readers_of(patient_id, p.exam_pair_id))] for p in pairs], gate, patient_id)

    # the organ last (the columns before keep their places): a node recorded at follow-up came out as a lesion of
    # the left liver, nothing saying so (a radiologist's check; measurements.csv already had it)
    header = ["exam_pair_id", "reader", "lesion_id", "lobe", "segment", "comment",
              *[f"{r.value} (mm)" for r in READING_ROLES], "organ"]
    first_series = header.index(f"{READING_ROLES[0].value} (mm)") + 1  # its 1-based column
    organs = outside_liver(project)
    rows: list[list[Any]] = []
    blanks: list[tuple[int, int]] = []
    suggested: list[tuple[int, int]] = []
    lines: list[list[Any]] = []
    for p in pairs:
        for les in project.lesions_of(patient_id, p.exam_pair_id):
            row: list[Any] = [p.exam_pair_id, les.reader, les.lesion_id, les.lobe, les.segment, les.comment]
            for j, role in enumerate(READING_ROLES):
                obs = les.observation(role)
                if isinstance(obs, Measurement):
                    row.append(shown_mm(obs.diameter_mm))
                    if obs.method is MeasurementMethod.SUGGESTED:
                        suggested.append((len(rows) + 2, first_series + j))
                    lines.append([p.exam_pair_id, les.reader, les.lesion_id, role.value, shown_mm(obs.diameter_mm),
                                  None if obs.short_axis_mm is None else shown_mm(obs.short_axis_mm),
                                  obs.method.value, _suggested_mm(obs), obs.slice_index, obs.instance_number,
                                  organs.get(les.key, LIVER)])
                elif obs is None:
                    row.append(None)
                    blanks.append((len(rows) + 2, first_series + j))
                else:
                    row.append(STATUS_TEXT[obs.status.value])
            rows.append([*row, organs.get(les.key, LIVER)])
    ws = _sheet(wb, "Lesions", header, rows, gate, patient_id)
    _shown_as_mm(ws, {f"{r.value} (mm)" for r in READING_ROLES})
    for r, col in blanks:
        ws.cell(r, col).fill = MISSING
    for r, col in suggested:  # as the lesion grid shows them: a suggested value in italics, upright once edited
        ws.cell(r, col).font = ITALIC
    # how each line was made (a reader's check found the workbook silent on it: the analysis compares
    # suggested and drawn lines); the line as suggested when the reader edited it
    _shown_as_mm(_sheet(wb, "Measurements", ["exam_pair_id", "reader", "lesion_id", "series_role", "diameter_mm",
                                             "short_axis_mm", "method", "suggested_mm", "slice_index",
                                             "instance_number", "organ"], lines, gate, patient_id),
                 {"diameter_mm", "short_axis_mm", "suggested_mm"})

    count_rows = []
    for p in pairs:
        for reader in project.readers_of(patient_id, p.exam_pair_id):
            counts = project.counts(patient_id, p.exam_pair_id, reader)
            read = project.roles_read(patient_id, p.exam_pair_id, reader)
            for role in expected_roles(p, reader, reader_roles, read):  # a follow-up CT: its series, as counts.csv
                status = project.count_status(patient_id, p.exam_pair_id, reader, role)
                right, left = counts[(role, Lobe.RIGHT)], counts[(role, Lobe.LEFT)]
                if status is CountStatus.COUNTED:
                    count_rows.append([p.exam_pair_id, reader, role, right, left, right + left, status.value])
                else:  # no number where the reader gave none: an empty cell, never a 0
                    count_rows.append([p.exam_pair_id, reader, role, None, None, None, status.value])
    _sheet(wb, "Counts", ["exam_pair_id", "reader", "series_role", "right", "left", "whole_liver", "count_status"],
           count_rows, gate, patient_id)

    checks = [["patient", "", w.in_files] for w in check_patient(project, patient_id)]
    for p in pairs:
        for reader in project.readers_of(patient_id, p.exam_pair_id):
            checks += [[p.exam_pair_id, reader, w.in_files]
                       for w in check_pair(project, patient_id, p.exam_pair_id, reader, reader_roles)]
    _sheet(wb, "Checks", ["exam_pair_id", "reader", "warning"], checks, gate, patient_id).column_dimensions["C"].width = 100
    _followup_sheets(wb, project, patient_id, gate, responses)
    wb.save(path)


def _followup_sheets(wb: Workbook, project: Project, patient_id: str, gate: Gate,
                     responses: Callable[[Project, str], list[dict[str, Any]]] | None) -> None:
    """*Follow-up* (what each reader recorded per timepoint) and *RECIST* (the engine's responses),
    through the gate: pseudonymised, dates become days from the patient's first exam (the columns
    then say ``_day``)."""
    rows = [r for r in followup_export_rows(project) if r["patient_id"] == patient_id]
    if not rows and not any(t.patient_id == patient_id for t in project.treatment_lines.values()):
        return
    cols = ["reader", "timepoint_date", "lesion_id", "kind", "organ", "nodal", "status", "diameter_mm", "baseline",
            "series_role", "parent_lesion_id", "treated"]
    measured = [[shown_mm(r[c]) if c == "diameter_mm" and isinstance(r[c], float) else r[c] for c in cols]
                for r in rows]  # the reader's line, rounded as the Lesions and Measurements sheets give it
    ws = _dated(_sheet(wb, "Follow-up", cols, measured, gate, patient_id))
    _shown_as_mm(ws, {"diameter_mm"})
    _day_header(ws, gate)
    if responses is None:
        return
    found = responses(project, patient_id)
    cols = list(found[0]) if found else ["reader", "timepoint_date"]
    ws = _dated(_sheet(wb, "RECIST", cols, [[r[c] for c in cols] for r in found], gate, patient_id))
    for row in ws.iter_rows(min_row=2):  # the engine's sums and changes kept whole, shown to 2-4 decimals
        for c in row:
            if isinstance(c.value, float):
                c.number_format = "0.00##"
    _day_header(ws, gate)


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dated(ws: Any) -> Any:
    """A ``*_date`` column's ISO text as a date, as the Exam pairs sheet gives it (a radiologist's check: the
    Follow-up and RECIST sheets held text dates beside real ones; pseudonymised they are day numbers already)."""
    dated = [i for i, c in enumerate(ws[1]) if isinstance(c.value, str) and c.value.endswith("_date")]
    for row in ws.iter_rows(min_row=2):
        for i in dated:
            c = row[i]
            if isinstance(c.value, str) and ISO_DAY.fullmatch(c.value):
                c.value = _dt.date.fromisoformat(c.value)
                c.number_format = "yyyy-mm-dd"
    return ws


def _day_header(ws: Any, gate: Gate) -> None:
    """Pseudonymised, a date column holds days from the first exam: its header says so."""
    if gate.active:
        for c in ws[1]:
            if isinstance(c.value, str) and c.value.endswith("_date"):
                c.value = c.value[: -len("_date")] + "_day"
