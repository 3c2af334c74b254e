"""The rule of every output column and record field (:data:`RULES`), and the study codes that replace patient ids."""

from __future__ import annotations

import re
from enum import Enum
from typing import Mapping, Sequence

from viewer.errors import LesionlabError
from viewer.records import READING_ROLES


class Rule(Enum):
    """What pseudonymisation does to one column or record field."""

    KEEP = "keep"  # not identifying: vocabularies, measurements, lesion numbers, reader names
    PATIENT_CODE = "patient code"  # the study code
    EXAM_CODE = "exam code"  # E1, E2... per patient
    NEW_UID = "new uid"  # a fresh UID, the same for the same input within one export
    DROP = "drop"  # left out (an empty cell)
    DAYS = "days"  # a date -> days since the patient's first exam
    COMMENT = "comment"  # reader's free text: left out unless keep_comments
    GENERATED_TEXT = "generated text"  # lesionlab's own sentences: ids, dates, names and UIDs replaced
    TYPED_LABEL = "typed label"  # a reader's text of a structured field: kept, replaced as generated text is
    NESTED = "nested"  # a record inside a record: its own fields have rules


_ROLE_COLUMNS = {f"{r.value} (mm)": Rule.KEEP for r in READING_ROLES}

#: Every column of every pseudonymised output and every field of every record, with its rule.
RULES: dict[str, Rule] = {
    # identifiers
    "patient_id": Rule.PATIENT_CODE, "exam_pair_id": Rule.EXAM_CODE, "tracking_uid": Rule.NEW_UID,
    "patient_name": Rule.DROP, "ct_study_uid": Rule.DROP, "mri_study_uid": Rule.DROP,
    "series_instance_uid": Rule.DROP, "sop_instance_uid": Rule.DROP, "stack_key": Rule.DROP,
    "fixed_frame_uid": Rule.DROP, "moving_frame_uid": Rule.DROP, "frame_of_reference_uid": Rule.DROP,
    "mark_id": Rule.DROP,
    # dates
    "ct_date": Rule.DAYS, "mri_date": Rule.DAYS,
    # follow-up (issue 10): dates of timepoints, treatment lines and responses; a timepoint's id and
    # exam pairs are keys of the store (the exported rows carry the date, as days)
    "exam_date": Rule.DAYS, "timepoint_date": Rule.DAYS, "baseline_date": Rule.DAYS,
    "start_date": Rule.DAYS, "end_date": Rule.DAYS,
    "timepoint_id": Rule.DROP, "exam_pair_ids": Rule.DROP, "parent_tracking_uid": Rule.NEW_UID,
    # free text: a reader's is left out; lesionlab's own (check warnings, the response engine's notes, an alignment's
    # summary) is kept with its dates, ids, names and UIDs replaced
    "comment": Rule.COMMENT, "reason": Rule.COMMENT,
    "warning": Rule.GENERATED_TEXT, "grade_flag": Rule.GENERATED_TEXT, "note": Rule.GENERATED_TEXT,
    # a treatment line's name is a structured field (the swimmer plot's label), not a comment, but the reader types it:
    # "PRRT at <hospital>, 12/03/2024" left with its date, and the patient's name or id, when it was kept as it was
    "name": Rule.TYPED_LABEL,
    # records inside records
    "observations": Rule.NESTED, "clinical": Rule.NESTED,
    # the reading: not identifying
    **{name: Rule.KEEP for name in (
        "reader", "readers", "lesion_id", "lobe", "segment", "series_role", "role", "status", "count_status",
        "slice_index", "diameter_mm", "p1", "p2", "p3", "p4", "p1_row", "p1_col", "p2_row", "p2_col", "p3_row",
        "p3_col", "p4_row", "p4_col", "row", "col", "row_spacing_mm", "column_spacing_mm", "short_axis_mm",
        "measured_mm", "instance_number", "frame_number", "sop_class_uid", "method", "method_params", "suggested_mm",
        "series_roles",
        "count",
        "uncountable",
        "right", "left", "whole_liver", "interval_days", "matrix", "source", "lines",
        # clinical record
        "sex", "age_at_diagnosis", "age_at_diagnosis_years", "primary_site", "ki67_percent", "mitotic_count",
        "mitoses_per_10hpf", "grade", "grade_entered", "grade_who2019", "grade_source", "differentiation",
        "liver_metastases", "treatments", "treatments_no", "treatments_unconfirmed", "treat_primary_resection", "treat_liver_surgery",
        "treat_chemoembolisation", "treat_radiofrequency_ablation", "treat_somatostatin_analogues",
        "treat_chemotherapy", "treat_targeted_therapy", "treat_transplant",
        # follow-up: what each lesion is and the responses (vocabularies and numbers)
        "kind", "organ", "nodal", "assessed_role", "treated", "baseline", "parent_lesion_id", "line_number",
        "days_from_baseline", "sum_mm", "baseline_sum_mm", "nadir_sum_mm", "change_from_baseline_pct",
        "change_from_nadir_pct", "target_response", "non_target_response", "new_lesions", "overall_response",
        "best_overall_response", "nen_slow_progression", "tgr_pct_per_month",
        # the per-patient workbook's Patient sheet is (field, value): the rule of the row's field applies
        "field", "value")},
    **_ROLE_COLUMNS,
}

#: Study code prefixes, the first that no patient id could be mistaken for is used.
CODE_PREFIXES = ("S", "SUBJ", "PSEUDO-")


class PseudonymisationError(LesionlabError):
    """An output column or record field has no pseudonymisation rule: nothing is written."""


def rule_of(name: str) -> Rule:
    try:
        return RULES[name]
    except KeyError:
        raise PseudonymisationError(f"column or field {name!r} has no pseudonymisation rule",
                                    where="annotation.pseudonymise.RULES",
                                    advice="add a rule for it before it can be exported pseudonymised") from None


def _codes_kept(ids: Sequence[str], previous: Mapping[str, str]) -> dict[str, str] | None:
    """Codes for ``ids`` keeping ``previous``'s (patient id -> code) and numbering the new patients after them in
    the same form (``S003``); None when that cannot be done safely (a kept code is another patient's id now, or
    the codes are not of the form prefix + number), and the codes start over."""
    kept = {pid: code for pid, code in previous.items() if pid in set(ids)}
    used = set(kept.values())
    if used & set(ids) or len(used) != len(kept):
        return None
    forms = [re.fullmatch(r"(\D+)(\d+)", code) for code in previous.values()]
    if not forms or any(f is None for f in forms) or len({f.group(1) for f in forms if f}) != 1:
        return None
    prefix = next(f.group(1) for f in forms if f)
    width = max(len(f.group(2)) for f in forms if f)
    n = max(int(f.group(2)) for f in forms if f)
    taken = used | set(ids) | set(previous.values())
    out = dict(kept)
    for pid in ids:
        if pid in out:
            continue
        n += 1
        while f"{prefix}{n:0{width}d}" in taken:
            n += 1
        out[pid] = f"{prefix}{n:0{width}d}"
        taken.add(out[pid])
    return out


def _codes(ids: Sequence[str], width: int) -> dict[str, str]:
    taken = set(ids)
    for prefix in CODE_PREFIXES:
        codes = {pid: f"{prefix}{i:0{width}d}" for i, pid in enumerate(ids, start=1)}
        if not taken & set(codes.values()):
            return codes
    n = 0
    while True:  # every prefix taken by some id: add a suffix until none collides
        n += 1
        codes = {pid: f"S{n}-{i:0{width}d}" for i, pid in enumerate(ids, start=1)}
        if not taken & set(codes.values()):
            return codes
