"""The vocabularies and column sets of the analysis inputs (measurements, counts, patients).

The formats are the cohort tables of the export (issue 4, documented in analysis/README.md).
Every fixed list of values is an Enum; CSV text is converted at the boundary
(:mod:`analysis.inputs`) and nothing past it sees a raw string where a vocabulary is meant.
"""

from __future__ import annotations

from enum import Enum

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


class Status(str, Enum):
    """A lesion's observation on one series."""

    MEASURED = "measured"
    NOT_VISIBLE = "not_visible"
    NOT_MEASURABLE = "not_measurable"


class Lobe(str, Enum):
    RIGHT = "right"
    LEFT = "left"


class Region(str, Enum):
    """Where counts are summed: the whole liver (right + left) or one lobe."""

    WHOLE = "whole"
    RIGHT = "right"
    LEFT = "left"


class Sex(str, Enum):
    F = "F"
    M = "M"


class PrimarySite(str, Enum):
    SMALL_BOWEL = "small_bowel"
    PANCREAS = "pancreas"
    STOMACH = "stomach"
    RECTUM = "rectum"
    OESOPHAGUS = "oesophagus"
    OTHER = "other"


class Grade(str, Enum):
    G1 = "G1"
    G2 = "G2"
    G3 = "G3"


class GradeSource(str, Enum):
    PRIMARY = "primary"
    LIVER_METASTASIS = "liver_metastasis"


class Differentiation(str, Enum):
    NET = "NET"
    NEC = "NEC"


class LiverMetastases(str, Enum):
    SYNCHRONOUS = "synchronous"
    METACHRONOUS = "metachronous"


MEASUREMENT_KEY: tuple[str, ...] = ("patient_id", "exam_pair_id", "reader", "lesion_id")
EXAM_PAIR_KEY: tuple[str, ...] = ("patient_id", "exam_pair_id", "reader")

#: Columns the analysis needs; other columns of the export (uids, slice, endpoints) are allowed.
MEASUREMENT_COLUMNS: tuple[str, ...] = (
    *MEASUREMENT_KEY, "lobe", "series_role", "diameter_mm", "status",
)
COUNT_COLUMNS: tuple[str, ...] = (*EXAM_PAIR_KEY, "series_role", "lobe", "count", "uncountable")

TREATMENT_COLUMNS: dict[str, str] = {
    "treat_primary_resection": "Primary resection",
    "treat_liver_surgery": "Liver surgery",
    "treat_chemoembolisation": "Chemo-embolisation",
    "treat_radiofrequency_ablation": "Radiofrequency ablation",
    "treat_somatostatin_analogues": "Somatostatin analogues",
    "treat_chemotherapy": "Chemotherapy",
    "treat_targeted_therapy": "Targeted therapy",
    "treat_transplant": "Liver transplant",
}

#: patients.csv categorical columns and their vocabularies (empty cell = not recorded).
PATIENT_CATEGORIES: dict[str, type[Enum]] = {
    "sex": Sex,
    "primary_site": PrimarySite,
    "grade": Grade,
    "grade_source": GradeSource,
    "differentiation": Differentiation,
    "liver_metastases": LiverMetastases,
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

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f"})
