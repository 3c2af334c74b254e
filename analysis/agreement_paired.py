"""Series comparisons when several readers read the same patients, and the unit of every n.

With two readers the pooled paired tests (paired_tests.csv) count each patient once per reader:
"150 patients" are 75 patients read twice, and those reads are not independent. Two remedies:

- :func:`units_table`: what ``n`` counts in each family of paired_tests.csv (lesion-reads,
  patient-reads, exam-pair-reads) beside the numbers of lesions, patients, exam pairs and readers,
  shown under each table of the report.
- :func:`reader_factor_table` (paired_tests_readers.csv): each comparison of two series as a
  linear mixed model of the paired differences, reader as a fixed factor (sum-to-zero: the mean
  difference is the unweighted mean over readers), the patient as a random intercept (REML,
  :mod:`analysis.mixed`); Wald 95 % CI and p, Holm within each family as in paired_tests.csv,
  and the joint Wald test that the readers' mean differences are equal (``p_reader``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from analysis.mixed import fit_random_intercept, sum_coded
from analysis.paired_tests import holm
from analysis.pairing import CountMatrix, DiameterPairs
from analysis.schema import Region
from analysis.tables import FAMILY, role_pairs

READER_TEST_COLUMNS: tuple[str, ...] = (
    "analysis", "level", "region", "series_a", "series_b", "unit", "n_patients", "n_exam_pairs",
    "n_observations", "n_readers", "mean_diff", "se", "ci_low", "ci_high", "z", "p", "p_holm",
    "p_reader", "sd_patient", "sd_residual", "note",
)
#: What one observation (one n) is in each family of paired_tests.csv.
UNITS: dict[tuple[str, str], str] = {
    ("diameters", "lesion"): "lesion-read",
    ("diameters", "patient"): "patient-read",
    ("counts", "exam_pair"): "exam-pair-read",
}
MIN_OBSERVATIONS = 3


def _families(diameters: DiameterPairs, counts: dict[Region, CountMatrix]
              ) -> list[tuple[tuple[str, str, str], str, str, pd.DataFrame]]:
    """(family, a, b, pairs indexed by a key holding patient_id and reader) of every comparison."""
    out = []
    for a, b in role_pairs():
        out.append((("diameters", "lesion", "whole"), a, b, diameters.lesion_pairs(a, b)))
        out.append((("diameters", "patient", "whole"), a, b, diameters.patient_pairs(a, b)))
        for region in (Region.WHOLE, Region.RIGHT, Region.LEFT):
            out.append((("counts", "exam_pair", region.value), a, b, counts[region].pairs(a, b)[0]))
    return out


def _level(pairs: pd.DataFrame, name: str) -> np.ndarray:
    return np.asarray(pairs.index.get_level_values(name).to_numpy(), dtype=str)


def _fit_row(pairs: pd.DataFrame, a: str, b: str) -> dict[str, object]:
    diff = (pairs[a] - pairs[b]).to_numpy(dtype=float)
    patients, readers = _level(pairs, "patient_id"), _level(pairs, "reader")
    keys = pairs.index.to_frame(index=False)
    exam = (len(keys[["patient_id", "exam_pair_id"]].drop_duplicates())
            if "exam_pair_id" in keys.columns else math.nan)
    n_patients, n_readers = np.unique(patients).size, np.unique(readers).size
    row: dict[str, object] = {"n_patients": n_patients, "n_exam_pairs": exam,
                              "n_observations": diff.size, "n_readers": n_readers}
    if diff.size < MIN_OBSERVATIONS or n_patients < 2:
        return {**row, "note": f"fewer than {MIN_OBSERVATIONS} observations or 2 patients"}
    if n_readers < 2:
        return {**row, "note": "one reader on this comparison: no reader factor"}
    if np.ptp(diff) == 0:
        return {**row, "mean_diff": float(diff[0]), "note": "all differences equal: no variance to test against"}
    x, _ = sum_coded(readers)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fit = fit_random_intercept(diff, x, patients)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {**row, "note": f"model not estimable ({exc})"}
    if fit.var_residual <= 1e-12 * float(np.var(diff)):
        return {**row, "mean_diff": float(fit.params[0]),
                "note": "differences constant within each reader: no residual variance to test against"}
    if fit.at_lambda_bound:  # every reader's difference the same on a patient: the fit is the search range's end
        return {**row, "mean_diff": float(fit.params[0]),
                "note": "differences the same for every reader of a patient: no residual variance within patients "
                        "to test against (nlme::lme stops: singular)"}
    est, se, low, high, p = fit.wald(0)
    _, _, p_reader = fit.wald_joint(list(range(1, x.shape[1])))
    note = "patient variance estimated 0 (boundary)" if fit.var_group == 0 else ""
    return {**row, "mean_diff": est, "se": se, "ci_low": low, "ci_high": high,
            "z": est / se if se > 0 else math.nan, "p": p, "p_reader": p_reader,
            "sd_patient": math.sqrt(fit.var_group), "sd_residual": math.sqrt(fit.var_residual), "note": note}


def reader_factor_table(diameters: DiameterPairs, counts: dict[Region, CountMatrix]) -> pd.DataFrame:
    """paired_tests_readers.csv: every series comparison with reader as a factor."""
    rows = []
    for (analysis, level, region), a, b, pairs in _families(diameters, counts):
        rows.append({"analysis": analysis, "level": level, "region": region, "series_a": a, "series_b": b,
                     "unit": UNITS[(analysis, level)], **_fit_row(pairs, a, b)})
    table = pd.DataFrame(rows).reindex(columns=list(READER_TEST_COLUMNS))
    table["p_holm"] = np.nan
    for _, idx in table.groupby(list(FAMILY), sort=False).groups.items():
        ps = [None if pd.isna(p) else float(p) for p in table.loc[idx, "p"]]
        table.loc[idx, "p_holm"] = [np.nan if p is None else p for p in holm(ps)]
    for col in READER_TEST_COLUMNS[10:-1]:
        table[col] = table[col].astype(float)
    table["note"] = table["note"].fillna("").astype(str)
    return table


def _statement(unit: str, keys: pd.Index, name: str = "n") -> tuple[str, int, int, int]:
    readers = len(set(keys.get_level_values("reader")))
    patients = len(set(keys.get_level_values("patient_id")))
    what = unit.removesuffix("-read").replace("-", " ")
    if readers > 1:
        text = (f"{name} counts {unit}s (one per {what} and reader): {len(keys)} {unit}s of {patients} "
                f"patients by {readers} readers. The reads of one patient are not independent: "
                f"see the comparisons with reader as a factor.")
    else:
        text = f"{name} counts {what}s: {len(keys)} {what}s of {patients} patients, one reader."
    return text, len(keys), patients, readers


def units_table(diameters: DiameterPairs, counts: dict[Region, CountMatrix]) -> pd.DataFrame:
    """What n counts in each family of paired_tests.csv (analysis, level, region), in the
    detection table ("detection", "exam_pair", "") and the sizes table ("sizes", level, "")."""
    lesions = diameters.wide.dropna(how="all").index
    patients = lesions.droplevel(["exam_pair_id", "lesion_id"]).unique()
    exams = counts[Region.WHOLE].values.index  # every exam pair and reader with count rows
    plan: list[tuple[str, str, str, str, pd.Index, str]] = [
        ("diameters", "lesion", "whole", "lesion-read", lesions, "n"),
        ("diameters", "patient", "whole", "patient-read", patients, "n"),
        *(("counts", "exam_pair", r.value, "exam-pair-read", counts[r].values.dropna(how="all").index, "n")
          for r in (Region.WHOLE, Region.RIGHT, Region.LEFT)),
        ("detection", "exam_pair", "", "exam-pair-read", exams, "Exam pairs"),
        ("sizes", "patient", "", "patient-read", patients, "n per patient"),
        ("sizes", "lesion", "", "lesion-read", lesions, "n per lesion"),
    ]
    rows = []
    for analysis, level, region, unit, keys, name in plan:
        text, n_reads, n_patients, n_readers = _statement(unit, keys, name)
        rows.append({"analysis": analysis, "level": level, "region": region, "unit": unit, "n_reads": n_reads,
                     "n_patients": n_patients, "n_readers": n_readers, "statement": text})
    return pd.DataFrame(rows)
