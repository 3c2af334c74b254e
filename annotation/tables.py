"""The cohort tables of a project: measurements, counts and patients as DataFrames.

These are the analysis inputs (analysis/README.md). Values are the raw values of the store;
spreadsheet-safe escaping happens only when files are written (:mod:`annotation.export`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from annotation.followup import outside_liver
from annotation.followup_records import LIVER
from annotation.project import Project
from annotation.records import Measurement, ReaderRoles, expected_roles
from annotation.vocab import CountStatus, Lobe, Treatment

MEASUREMENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "exam_pair_id", "reader", "lesion_id", "lobe", "segment", "series_role",
    "series_instance_uid", "slice_index", "diameter_mm", "status", "p1_row", "p1_col", "p2_row", "p2_col",
    "instance_number", "sop_instance_uid", "frame_number", "tracking_uid", "method", "method_params",
    "short_axis_mm", "p3_row", "p3_col", "p4_row", "p4_col", "organ",
)
#: Columns a measurements file may lack (it comes from an older lesionlab): ``organ`` (liver then).
MEASUREMENT_OPTIONAL: tuple[str, ...] = ("organ",)
COUNT_COLUMNS: tuple[str, ...] = (
    "patient_id", "exam_pair_id", "reader", "series_role", "lobe", "count", "uncountable", "count_status",
)
PATIENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "sex", "age_at_diagnosis", "primary_site", "ki67_percent", "mitotic_count", "grade",
    "grade_source", "differentiation", "liver_metastases", *(t.column for t in Treatment),
)


def _v(value: Any) -> Any:
    return None if value is None else getattr(value, "value", value)


def measurement_rows(project: Project) -> list[dict[str, Any]]:
    """One row per lesion and series that has a status (series not read yet have no row)."""
    rows = []
    # the organ the reader recorded at follow-up (a node, bone...), else liver: a researcher reading the file
    # alone took a lymph node's diameters for a liver lesion's (the analysis of a store leaves them out)
    organs = outside_liver(project)
    for pair in sorted(project.exam_pairs.values(), key=lambda p: p.key):
        for les in project.lesions_of(pair.patient_id, pair.exam_pair_id):
            for role, obs in les.observations:
                m = obs if isinstance(obs, Measurement) else None
                rows.append({
                    "patient_id": les.patient_id, "exam_pair_id": les.exam_pair_id, "reader": les.reader,
                    "lesion_id": les.lesion_id, "lobe": les.lobe.value, "segment": _v(les.segment),
                    "series_role": role.value, "series_instance_uid": m.series_instance_uid if m else None,
                    "slice_index": m.slice_index if m else None, "diameter_mm": m.diameter_mm if m else None,
                    "status": obs.status.value,
                    "p1_row": m.p1[0] if m else None, "p1_col": m.p1[1] if m else None,
                    "p2_row": m.p2[0] if m else None, "p2_col": m.p2[1] if m else None,
                    "instance_number": m.instance_number if m else None,
                    "sop_instance_uid": (m.sop_instance_uid or None) if m else None,
                    "frame_number": m.frame_number if m else None, "tracking_uid": les.tracking_uid,
                    "method": m.method.value if m else None, "method_params": (m.method_params or None) if m else None,
                    "short_axis_mm": m.short_axis_mm if m else None,
                    "p3_row": m.p3[0] if m and m.p3 else None, "p3_col": m.p3[1] if m and m.p3 else None,
                    "p4_row": m.p4[0] if m and m.p4 else None, "p4_col": m.p4[1] if m and m.p4 else None,
                    "organ": organs.get(les.key, LIVER),
                })
    return rows


def count_rows(project: Project, reader_roles: ReaderRoles | None = None) -> list[dict[str, Any]]:
    """Per exam pair, reader, series and lobe: the count and where it stands (``count_status``).

    A reader appears for a pair once they recorded anything on it (a lesion, a mark or a flag); from
    then every series of the exam has its two rows (the six of a pair; the CT or MRI ones of an exam
    imaged by one modality, a follow-up timepoint). ``count`` is the number of marks on a
    counted series (0 included), empty on a series not read yet or not countable; ``uncountable``
    stays for older readers of the format.
    """
    rows = []
    for pair in sorted(project.exam_pairs.values(), key=lambda p: p.key):
        for reader in project.readers_of(pair.patient_id, pair.exam_pair_id):
            counts = project.counts(pair.patient_id, pair.exam_pair_id, reader)
            read = project.roles_read(pair.patient_id, pair.exam_pair_id, reader)
            for role in expected_roles(pair, reader, reader_roles, read):
                status = project.count_status(pair.patient_id, pair.exam_pair_id, reader, role)
                for lobe in Lobe:
                    rows.append({"patient_id": pair.patient_id, "exam_pair_id": pair.exam_pair_id,
                                 "reader": reader, "series_role": role.value, "lobe": lobe.value,
                                 "count": counts[(role, lobe)] if status is CountStatus.COUNTED else None,
                                 "uncountable": status is CountStatus.NOT_COUNTABLE,
                                 "count_status": status.value})
    return rows


def patient_rows(project: Project) -> list[dict[str, Any]]:
    rows = []
    for pid in sorted(project.patients):
        c = project.patients[pid].clinical
        row = {"patient_id": pid, "sex": _v(c.sex), "age_at_diagnosis": c.age_at_diagnosis_years,
               "primary_site": _v(c.primary_site), "ki67_percent": c.ki67_percent,
               "mitotic_count": c.mitoses_per_10hpf, "grade": _v(c.grade), "grade_source": _v(c.grade_source),
               "differentiation": _v(c.differentiation), "liver_metastases": _v(c.liver_metastases)}
        row.update({t.column: c.treatment(t) for t in Treatment})  # None (a blank cell): not recorded
        rows.append(row)
    return rows


def project_tables(project: Project, reader_roles: ReaderRoles | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(measurements, counts, patients) with the export's exact columns and nullable dtypes; ``reader_roles``: the
    series each reader of a reader study's session reads (counts rows of the others left out). A one-click suggestion
    not kept yet is left out (no status: :meth:`Project.without_pending`)."""
    project = project.without_pending()
    m = pd.DataFrame(measurement_rows(project), columns=list(MEASUREMENT_COLUMNS))
    for col in ("slice_index", "instance_number", "frame_number"):
        m[col] = m[col].astype("Int64")
    for col in ("diameter_mm", "p1_row", "p1_col", "p2_row", "p2_col", "short_axis_mm", "p3_row", "p3_col", "p4_row",
                "p4_col"):
        m[col] = m[col].astype("Float64")
    c = pd.DataFrame(count_rows(project, reader_roles), columns=list(COUNT_COLUMNS))
    c["count"] = c["count"].astype("Int64")
    c["uncountable"] = c["uncountable"].astype(bool)
    p = pd.DataFrame(patient_rows(project), columns=list(PATIENT_COLUMNS))
    p["age_at_diagnosis"] = p["age_at_diagnosis"].astype("Int64")
    for col in ("ki67_percent", "mitotic_count"):
        p[col] = p[col].astype("Float64")
    for t in Treatment:
        p[t.column] = p[t.column].astype("boolean")
    return m, c, p
