"""Test and benchmark fixtures: a synthetic reader-study cohort in the export format.

Scales follow reading-protocol.md: 1-3 exam pairs per patient, up to 5 measured lesions per exam
pair (10-60 mm), counts per lobe on six series with DWI finding the most, a few series flagged
uncountable, and lesions not visible on some series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.schema import PATIENT_COLUMNS, ROLE_VALUES, TREATMENT_COLUMNS
from annotation.clinical import derive_grade

#: Relative detection rate of each series (DWI most sensitive, CT portal least).
_DETECTION = {"mr_t2fs": 0.6, "mr_dwi": 1.0, "mr_t1_arterial": 0.55, "mr_t1_portal": 0.3,
              "ct_arterial": 0.37, "ct_portal": 0.24}
#: Systematic size offset per series in mm (DWI measures a little larger).
_BIAS_MM = {"mr_t2fs": 0.0, "mr_dwi": 0.8, "mr_t1_arterial": 0.3, "mr_t1_portal": 0.4,
            "ct_arterial": 0.9, "ct_portal": 0.4}


def synthetic_cohort(n_patients: int, seed: int = 0, uncountable_rate: float = 0.02
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(measurements, counts, patients) DataFrames with the export's columns."""
    rng = np.random.default_rng(seed)
    meas_rows: list[tuple[object, ...]] = []
    count_rows: list[tuple[object, ...]] = []
    for p in range(1, n_patients + 1):
        pid = f"P{p:04d}"
        for e in range(1, int(rng.integers(1, 4)) + 1):
            eid = f"{pid}-E{e}"
            burden = rng.gamma(2.0, 8.0)
            for role in ROLE_VALUES:
                uncountable = rng.random() < uncountable_rate
                for lobe, share in (("right", 0.58), ("left", 0.42)):
                    count = int(rng.poisson(burden * share * _DETECTION[role]))
                    count_rows.append((pid, eid, "R1", role, lobe, "" if uncountable else count,
                                       "true" if uncountable else "false"))
            for k in range(1, int(rng.integers(0, 6)) + 1):
                true_mm = float(np.clip(rng.lognormal(np.log(28), 0.4), 5, 120))
                lobe = "right" if rng.random() < 0.58 else "left"
                for role in ROLE_VALUES:
                    if rng.random() < 0.12:
                        meas_rows.append((pid, eid, "R1", f"L{k}", lobe, "", role, "", "", "",
                                          "not_visible", "", "", "", ""))
                        continue
                    d = round(true_mm + _BIAS_MM[role] + rng.normal(0, 1.2), 1)
                    meas_rows.append((pid, eid, "R1", f"L{k}", lobe, "", role, "", "", max(d, 5.0),
                                      "measured", "", "", "", ""))
    measurements = pd.DataFrame(meas_rows, columns=[
        "patient_id", "exam_pair_id", "reader", "lesion_id", "lobe", "segment", "series_role",
        "series_instance_uid", "slice_index", "diameter_mm", "status", "p1_row", "p1_col",
        "p2_row", "p2_col"])
    counts = pd.DataFrame(count_rows, columns=[
        "patient_id", "exam_pair_id", "reader", "series_role", "lobe", "count", "uncountable"])
    patients = _patients(rng, n_patients)
    return measurements, counts, patients


def _patients(rng: np.random.Generator, n: int) -> pd.DataFrame:
    ki67 = np.round(rng.lognormal(np.log(5), 0.9, n), 1).clip(0.5, 90)
    mitoses = rng.poisson(np.maximum(ki67 / 3, 0.5))
    grades = [derive_grade(float(k), float(m)) for k, m in zip(ki67, mitoses)]
    grade = np.array([g.value if g is not None else "" for g in grades])
    data: dict[str, object] = {
        "patient_id": [f"P{i:04d}" for i in range(1, n + 1)],
        "sex": rng.choice(["F", "M"], n),
        "age_at_diagnosis": np.round(rng.normal(60, 11, n)).clip(18, 95).astype(int),
        "primary_site": rng.choice(["small_bowel", "pancreas", "stomach", "rectum", "oesophagus", "other"],
                                   n, p=[0.53, 0.39, 0.03, 0.03, 0.01, 0.01]),
        "ki67_percent": ki67,
        "mitotic_count": mitoses,
        "grade": grade,
        "grade_source": rng.choice(["primary", "liver_metastasis"], n, p=[0.6, 0.4]),
        "differentiation": np.where((grade == "G3") & (rng.random(n) < 0.4), "NEC", "NET"),
        "liver_metastases": rng.choice(["synchronous", "metachronous"], n, p=[0.7, 0.3]),
    }
    rates = (0.6, 0.2, 0.3, 0.1, 0.8, 0.4, 0.2, 0.02)
    for col, rate in zip(TREATMENT_COLUMNS, rates):
        data[col] = np.where(rng.random(n) < rate, "true", "false")
    return pd.DataFrame(data, columns=list(PATIENT_COLUMNS))


def write_synthetic_csvs(folder: str | Path, n_patients: int, seed: int = 0) -> dict[str, Path]:
    """Write measurements.csv, counts.csv and patients.csv into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in zip(("measurements", "counts", "patients"), synthetic_cohort(n_patients, seed)):
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False, lineterminator="\n")
    return paths
