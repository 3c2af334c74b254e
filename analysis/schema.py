"""The vocabularies and column sets of the analysis inputs (measurements, counts, patients).

The formats are the cohort tables of the export (issue 4, documented in analysis/README.md).
Every fixed list of values is an Enum, shared with the reading model (:mod:`annotation.vocab`,
one source of truth for what the export writes); CSV text is converted at the boundary
(:mod:`analysis.inputs`) and nothing past it sees a raw string where a vocabulary is meant.
"""

from __future__ import annotations

from enum import Enum

from annotation.vocab import (
    Differentiation,
    Grade,
    GradeSource,
    LiverMetastasesTiming,
    Lobe,
    PrimarySite,
    Sex,
    Treatment,
)
from annotation.vocab import ObservationStatus as Status
from viewer.records import Role

#: The six series read in the protocol, in the order the analysis compares and reports them.
ANALYSIS_ROLES: tuple[Role, ...] = (
    Role.MR_T2FS,
    Role.MR_DWI,
    Role.MR_T1_ARTERIAL,
    Role.MR_T1_PORTAL,
    Role.CT_ARTERIAL,
    Role.CT_PORTAL,
)
ROLE_VALUES: tuple[str, ...] = tuple(r.value for r in ANALYSIS_ROLES)

#: Human labels for tables, plots and the report.
ROLE_LABELS: dict[str, str] = {
    "mr_t2fs": "MRI T2 FS",
    "mr_dwi": "MRI DWI",
    "mr_t1_arterial": "MRI T1 arterial",
    "mr_t1_portal": "MRI T1 portal",
    "ct_arterial": "CT arterial",
    "ct_portal": "CT portal",
}


class Region(str, Enum):
    """Where counts are summed: the whole liver (right + left) or one lobe."""

    WHOLE = "whole"
    RIGHT = "right"
    LEFT = "left"


MEASUREMENT_KEY: tuple[str, ...] = ("patient_id", "exam_pair_id", "reader", "lesion_id")
EXAM_PAIR_KEY: tuple[str, ...] = ("patient_id", "exam_pair_id", "reader")

#: Columns the analysis needs; other columns of the export (uids, slice, endpoints) are allowed.
MEASUREMENT_COLUMNS: tuple[str, ...] = (
    *MEASUREMENT_KEY, "lobe", "series_role", "diameter_mm", "status",
)
COUNT_COLUMNS: tuple[str, ...] = (*EXAM_PAIR_KEY, "series_role", "lobe", "count", "uncountable")

_TREATMENT_LABELS: dict[Treatment, str] = {
    Treatment.PRIMARY_RESECTION: "Primary resection",
    Treatment.LIVER_SURGERY: "Liver surgery",
    Treatment.CHEMOEMBOLISATION: "Chemo-embolisation",
    Treatment.RADIOFREQUENCY_ABLATION: "Radiofrequency ablation",
    Treatment.SOMATOSTATIN_ANALOGUES: "Somatostatin analogues",
    Treatment.CHEMOTHERAPY: "Chemotherapy",
    Treatment.TARGETED_THERAPY: "Targeted therapy",
    Treatment.TRANSPLANT: "Liver transplant",
}
#: patients.csv treatment columns (treat_<treatment>) and their labels, in the model's order.
TREATMENT_COLUMNS: dict[str, str] = {t.column: _TREATMENT_LABELS.get(t, t.value) for t in Treatment}

#: patients.csv categorical columns and their vocabularies (empty cell = not recorded).
PATIENT_CATEGORIES: dict[str, type[Enum]] = {
    "sex": Sex,
    "primary_site": PrimarySite,
    "grade": Grade,
    "grade_source": GradeSource,
    "differentiation": Differentiation,
    "liver_metastases": LiverMetastasesTiming,
}
#: patients.csv numeric columns and their allowed closed ranges.
PATIENT_NUMBERS: dict[str, tuple[float, float]] = {
    "age_at_diagnosis": (0.0, 120.0),
    "ki67_percent": (0.0, 100.0),
    "mitotic_count": (0.0, 10_000.0),
}
PATIENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "sex", "age_at_diagnosis", "primary_site", "ki67_percent", "mitotic_count",
    "grade", "grade_source", "differentiation", "liver_metastases", *TREATMENT_COLUMNS,
)

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t", "vrai", "oui"})  # VRAI/FAUX: a French Excel
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f", "faux", "non"})
#: The largest count of metastases accepted in one lobe of one series (a typo above it, not a liver).
MAX_COUNT = 10_000
#: Identifier columns: taken exactly as written (never stripped or case-folded).
ID_COLUMNS: tuple[str, ...] = ("patient_id", "exam_pair_id", "reader", "lesion_id")
