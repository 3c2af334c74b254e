"""The study's tables, as DataFrames: population, detection, sizes and paired comparisons.

A *table* for the Holm adjustment is one (analysis, level, region) family, e.g. all 15
comparisons of counts / exam_pair / right; Wilcoxon and t p-values are adjusted separately.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.paired_tests import PairedComparison, compare_paired, holm
from analysis.pairing import CountMatrix, DiameterPairs
from analysis.schema import (
    PATIENT_CATEGORIES,
    PATIENT_NUMBERS,
    ROLE_LABELS,
    ROLE_VALUES,
    TREATMENT_COLUMNS,
    Region,
)

PAIRED_TEST_COLUMNS: tuple[str, ...] = (
    "analysis", "level", "region", "series_a", "series_b", "n", "mean_a", "mean_b", "mean_diff",
    "ci_low", "ci_high", "median_diff", "wilcoxon_v", "wilcoxon_p", "ttest_t", "ttest_df",
    "ttest_p", "p_holm_wilcoxon", "p_holm_ttest", "note",
)
FAMILY: tuple[str, str, str] = ("analysis", "level", "region")


def role_pairs() -> list[tuple[str, str]]:
    """Every pair of the six roles, in the protocol order (a before b)."""
    return list(itertools.combinations(ROLE_VALUES, 2))


def _row(analysis: str, level: str, region: str, a: str, b: str, c: PairedComparison,
         extra_note: str = "") -> dict[str, object]:
    note = "; ".join(s for s in (c.note, extra_note) if s)
    return {
        "analysis": analysis, "level": level, "region": region, "series_a": a, "series_b": b,
        "n": c.n, "mean_a": c.mean_a, "mean_b": c.mean_b, "mean_diff": c.mean_diff,
        "ci_low": c.ci_low, "ci_high": c.ci_high, "median_diff": c.median_diff,
        "wilcoxon_v": c.wilcoxon.v, "wilcoxon_p": c.wilcoxon.p,
        "ttest_t": c.ttest.t, "ttest_df": c.ttest.df, "ttest_p": c.ttest.p, "note": note,
    }


def paired_tests_table(diameters: DiameterPairs, counts: dict[Region, CountMatrix]) -> pd.DataFrame:
    """paired_tests.csv: for each pair of roles, lesion and patient diameters, then counts."""
    rows: list[dict[str, object]] = []
    for a, b in role_pairs():
        les = diameters.lesion_pairs(a, b)
        rows.append(_row("diameters", "lesion", "whole", a, b, compare_paired(les[a], les[b])))
        pat = diameters.patient_pairs(a, b)
        rows.append(_row("diameters", "patient", "whole", a, b, compare_paired(pat[a], pat[b])))
        for region in (Region.WHOLE, Region.RIGHT, Region.LEFT):
            both, excluded, unread = counts[region].pairs(a, b)
            extra = "; ".join(s for s in (
                # reads of an exam pair (exam pair x reader: a researcher's check read "11 exam pair(s)" of 3)
                f"{excluded} read(s) of an exam pair left out as uncountable on {a} or {b}" if excluded else "",
                f"{unread} read(s) of an exam pair left out as not read on {a} or {b}" if unread else "") if s)
            rows.append(_row("counts", "exam_pair", region.value, a, b,
                             compare_paired(both[a], both[b]), extra))
    table = pd.DataFrame(rows)
    table["p_holm_wilcoxon"] = np.nan
    table["p_holm_ttest"] = np.nan
    for _, idx in table.groupby(list(FAMILY), sort=False).groups.items():
        for src, dst in (("wilcoxon_p", "p_holm_wilcoxon"), ("ttest_p", "p_holm_ttest")):
            ps = [None if pd.isna(p) else float(p) for p in table.loc[idx, src]]
            table.loc[idx, dst] = [np.nan if p is None else p for p in holm(ps)]
    table = table.reindex(columns=list(PAIRED_TEST_COLUMNS))
    for col in PAIRED_TEST_COLUMNS[6:-1]:
        table[col] = table[col].astype(float)
    return table


def _describe(values: Iterable[float]) -> dict[str, float]:
    v = np.asarray(list(values), dtype=float)
    if v.size == 0:
        return {"mean": np.nan, "sd": np.nan, "median": np.nan, "min": np.nan, "max": np.nan}
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
            "median": float(np.median(v)), "min": float(v.min()), "max": float(v.max())}


def detection_table(counts: dict[Region, CountMatrix]) -> pd.DataFrame:
    """Per series and region: exam pairs counted and left out, total and mean per exam pair."""
    rows = []
    for role in ROLE_VALUES:
        for region in (Region.WHOLE, Region.RIGHT, Region.LEFT):
            m = counts[region]
            vals = m.values[role].dropna()
            d = _describe(vals)
            rows.append({
                "series_role": role, "series": ROLE_LABELS[role], "region": region.value,
                "n_exam_pairs": int(vals.size), "n_uncountable": int(m.uncountable[role].sum()),
                "n_not_read": int((m.not_read[role] & ~m.uncountable[role]).sum()),
                "total": float(vals.sum()) if vals.size else np.nan,
                "mean_per_exam_pair": d["mean"], "sd": d["sd"], "median": d["median"],
                "min": d["min"], "max": d["max"],
            })
    return pd.DataFrame(rows)


def sizes_table(diameters: DiameterPairs) -> pd.DataFrame:
    """Per series: diameters per patient (patient's mean) and per lesion, with n."""
    rows = []
    for role in ROLE_VALUES:
        for level, values in (("patient", diameters.per_patient(role)),
                              ("lesion", diameters.per_lesion(role))):
            d = _describe(values)
            rows.append({"series_role": role, "series": ROLE_LABELS[role], "level": level,
                         "n": int(values.size), "mean_mm": d["mean"], "sd_mm": d["sd"],
                         "median_mm": d["median"], "min_mm": d["min"], "max_mm": d["max"]})
    return pd.DataFrame(rows)


_CHARACTERISTICS: dict[str, str] = {
    "sex": "Sex", "primary_site": "Primary site", "grade": "Grade (WHO 2019)",
    "grade_source": "Grade assessed on", "differentiation": "Differentiation",
    "liver_metastases": "Liver metastases",
}
_NUMBER_LABELS: dict[str, str] = {
    "age_at_diagnosis": "Age at diagnosis (years)", "ki67_percent": "Ki-67 (%)",
    "mitotic_count": "Mitotic count (/10 HPF)",
}


def population_table(patients: pd.DataFrame) -> pd.DataFrame:
    """Counts and percentages (of patients with the item recorded), and numeric summaries."""
    total = len(patients)
    rows: list[dict[str, object]] = [
        {"characteristic": "Patients", "category": "", "n": total, "percent": np.nan, "summary": ""}]

    def categorical(label: str, series: pd.Series, categories: list[str]) -> None:
        recorded = series[series != ""]
        for cat in categories:
            k = int((recorded == cat).sum())
            rows.append({"characteristic": label, "category": cat, "n": k,
                         "percent": 100.0 * k / len(recorded) if len(recorded) else np.nan,
                         "summary": ""})
        if len(recorded) < total:
            rows.append({"characteristic": label, "category": "not recorded",
                         "n": total - len(recorded), "percent": np.nan, "summary": ""})

    for col in ("sex",):
        categorical(_CHARACTERISTICS[col], patients[col], [str(e.value) for e in PATIENT_CATEGORIES[col]])
    for col in PATIENT_NUMBERS:
        v = patients[col].dropna().to_numpy(dtype=float)
        d = _describe(v)
        sd = f"SD {d['sd']:.1f}" if v.size > 1 else "no SD: one value"
        summary = (f"mean {d['mean']:.1f} ({sd}), median {d['median']:.1f}, "
                   f"range {d['min']:.1f}-{d['max']:.1f}" if v.size else "not recorded")
        rows.append({"characteristic": _NUMBER_LABELS[col], "category": "", "n": int(v.size),
                     "percent": np.nan, "summary": summary})
    for col in ("primary_site", "grade", "grade_source", "differentiation", "liver_metastases"):
        categorical(_CHARACTERISTICS[col], patients[col], [str(e.value) for e in PATIENT_CATEGORIES[col]])
    graded = patients[(patients["grade"] != "") & (patients["grade_source"] != "")]
    combined = graded["grade"] + " on " + graded["grade_source"].str.replace("_", " ")
    categorical("Grade by source", combined.reindex(patients.index, fill_value=""),
                sorted(combined.unique()))
    for col, label in TREATMENT_COLUMNS.items():  # given, of those recorded; not recorded on a row of its own
        recorded = patients[col].dropna()
        k = int(sum(bool(x) for x in recorded))
        rows.append({"characteristic": "Treatments", "category": label, "n": k,
                     "percent": 100.0 * k / len(recorded) if len(recorded) else np.nan,
                     "summary": "" if len(recorded) == total else f"recorded for {len(recorded)}"})
        if len(recorded) < total:
            rows.append({"characteristic": "Treatments", "category": f"{label}: not recorded",
                         "n": total - len(recorded), "percent": np.nan, "summary": ""})
    return pd.DataFrame(rows)
