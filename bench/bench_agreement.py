"""`lesionlab agreement` on a two-reader synthetic cohort of 1,000 patients (the second reader is
the first with ~1.2 mm diameter noise and ±1 count differences): seconds from the CSV files to a
finished output folder, by stage. And the random-intercept REML of analysis.mixed against
statsmodels' MixedLM on the same 300 observations (median of 5 fits each, same process).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

N_PATIENTS = 1000


def _two_readers(folder: Path) -> tuple[Path, Path]:
    from analysis.testing import synthetic_cohort  # noqa: PLC0415

    m1, c1, _ = synthetic_cohort(N_PATIENTS, seed=2026)
    rng = np.random.default_rng(7)
    m2, c2 = m1.copy(), c1.copy()
    m2["reader"], c2["reader"] = "R2", "R2"
    measured = m2["status"] == "measured"
    m2.loc[measured, "diameter_mm"] = [round(max(5.0, float(v) + rng.normal(0, 1.2)), 1)
                                       for v in m2.loc[measured, "diameter_mm"]]
    counted = c2["count"] != ""
    c2.loc[counted, "count"] = [max(0, int(v) + int(rng.integers(-1, 2))) for v in c2.loc[counted, "count"]]
    folder.mkdir(parents=True)
    pd.concat([m1, m2]).to_csv(folder / "m.csv", index=False)
    pd.concat([c1, c2]).to_csv(folder / "c.csv", index=False)
    return folder / "m.csv", folder / "c.csv"


def _mixed_speed() -> dict[str, float]:
    import statsmodels.api as sm  # noqa: PLC0415

    from analysis.mixed import fit_random_intercept, sum_coded  # noqa: PLC0415

    rng = np.random.default_rng(0)
    n = 300
    groups = np.repeat(np.arange(n // 2), 2)
    readers = np.tile(["R1", "R2"], n // 2)
    y = 0.5 + rng.normal(0, 1, n // 2)[groups] + rng.normal(0, 1, n) + 0.3 * (readers == "R2")
    x, _ = sum_coded(readers)
    ours, theirs = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        fit_random_intercept(y, x, groups)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sm.MixedLM(y, x, groups=groups).fit(reml=True)
        theirs.append(time.perf_counter() - t0)
    return {"reml_fit_ms": round(1000 * statistics.median(ours), 1),
            "statsmodels_mixedlm_fit_ms": round(1000 * statistics.median(theirs), 1)}


def run() -> dict:
    from analysis.agreement_data import from_cohort  # noqa: PLC0415
    from analysis.agreement_report import analyse_agreement, write_agreement_outputs  # noqa: PLC0415
    from analysis.inputs import load_csv_inputs  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        m, c = _two_readers(Path(tmp) / "cohort")
        t0 = time.perf_counter()
        cohort = load_csv_inputs(m, c)
        reads = from_cohort(cohort)
        t1 = time.perf_counter()
        result = analyse_agreement(reads, cohort)
        t2 = time.perf_counter()
        write_agreement_outputs(result, Path(tmp) / "out")
        t3 = time.perf_counter()
    figures = {
        "patients": N_PATIENTS,
        "diameter_subjects_mr_dwi": int(result.table.loc[(result.table["analysis"] == "diameters")
                                                         & (result.table["series_role"] == "mr_dwi"),
                                                         "n_subjects"].iloc[0]),
        "read_validate_s": round(t1 - t0, 2),
        "agreement_tests_plots_s": round(t2 - t1, 2),
        "write_s": round(t3 - t2, 2),
        "total_s": round(t3 - t0, 2),
        **_mixed_speed(),
    }
    for k, v in figures.items():
        print(f"{k:>30}: {v}")
    return figures
