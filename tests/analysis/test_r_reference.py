"""paired_tests.csv against R 4.2.2's results for the reference cohort (../shared/reference).

Every row and every column of expected_paired_tests.csv is checked: numbers to a relative 1e-6,
NA cells must be empty on our side too. Needs no R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.inputs import load_csv_inputs
from analysis.pairing import DiameterPairs, count_matrices
from analysis.tables import PAIRED_TEST_COLUMNS, paired_tests_table

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared/reference/paired_tests"
KEY = ["analysis", "level", "region", "series_a", "series_b"]
RTOL = 1e-6


@pytest.fixture(scope="module")
def reference() -> Path:
    if not (REFERENCE / "expected_paired_tests.csv").is_file():
        pytest.skip("../shared/reference/paired_tests is not beside this clone")
    return REFERENCE


@pytest.fixture(scope="module")
def ours(reference: Path) -> pd.DataFrame:
    cohort = load_csv_inputs(reference / "measurements.csv", reference / "counts.csv")
    return paired_tests_table(DiameterPairs.from_measurements(cohort.measurements),
                              count_matrices(cohort.counts))


@pytest.fixture(scope="module")
def expected(reference: Path) -> pd.DataFrame:
    return pd.read_csv(reference / "expected_paired_tests.csv")


def test_columns_are_the_issue_s(ours: pd.DataFrame) -> None:
    assert list(ours.columns) == list(PAIRED_TEST_COLUMNS)


def test_same_comparisons_in_the_same_order(ours: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(expected) > 0
    keys_ours = [tuple(r) for r in ours[KEY].itertuples(index=False)]
    keys_expected = [tuple(r) for r in expected[KEY].itertuples(index=False)]
    assert keys_ours == keys_expected


def test_every_value_matches_r(ours: pd.DataFrame, expected: pd.DataFrame) -> None:
    merged = expected.merge(ours, on=KEY, how="left", suffixes=("_r", ""), validate="one_to_one")
    value_columns = [c for c in expected.columns if c not in KEY]
    assert value_columns, "reference has no value columns"
    failures = []
    for col in value_columns:
        assert col in ours.columns, f"column {col} missing from paired_tests"
        r = merged[f"{col}_r"].to_numpy(dtype=float)
        us = merged[col].to_numpy(dtype=float)
        for i in range(len(merged)):
            where = f"{'/'.join(merged.loc[i, KEY])} {col}"
            if np.isnan(r[i]):
                if not np.isnan(us[i]):
                    failures.append(f"{where}: R gives NA, we give {us[i]!r}")
            elif np.isnan(us[i]):
                failures.append(f"{where}: R gives {r[i]!r}, we give nothing")
            elif not np.isclose(us[i], r[i], rtol=RTOL, atol=1e-12):
                failures.append(f"{where}: R {r[i]!r} vs ours {us[i]!r}")
    assert not failures, "\n".join(failures)


def test_holm_columns_follow_r_p_adjust(ours: pd.DataFrame) -> None:
    """Holm within each (analysis, level, region): recompute by the textbook definition."""
    for _, fam in ours.groupby(["analysis", "level", "region"]):
        for raw, adj in (("wilcoxon_p", "p_holm_wilcoxon"), ("ttest_p", "p_holm_ttest")):
            p = fam[raw].to_numpy(dtype=float)
            m = int((~np.isnan(p)).sum())
            order = np.argsort(p)
            expected = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * p[order][:m]))
            got = fam[adj].to_numpy(dtype=float)[order][:m]
            np.testing.assert_allclose(got, expected, rtol=1e-12)
