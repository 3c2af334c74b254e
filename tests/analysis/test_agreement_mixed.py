"""analysis.mixed (random-intercept REML) against statsmodels' MixedLM, and the series comparisons
with reader as a factor (analysis.agreement_paired). nlme::lme is compared in
test_agreement_rscript.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.agreement_paired import READER_TEST_COLUMNS, reader_factor_table, units_table
from analysis.inputs import raw_from_frame, validate_counts, validate_measurements
from analysis.mixed import fit_random_intercept, sum_coded
from analysis.pairing import DiameterPairs, count_matrices
from analysis.schema import Region
from analysis.testing import synthetic_cohort


def _data(seed: int, patients: int = 30, readers: tuple[str, ...] = ("A", "B", "C")) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(patients), len(readers) * 2)
    reader = np.tile(np.repeat(readers, 2), patients)
    y = 1.0 + rng.normal(0, 1.5, patients)[groups] + rng.normal(0, 1.0, groups.size) + 0.4 * (reader == "B")
    return y, reader, groups


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equals_statsmodels_mixedlm(seed: int) -> None:
    import statsmodels.api as sm

    y, reader, groups = _data(seed)
    x, levels = sum_coded(reader)
    assert levels == ["A", "B", "C"]
    ours = fit_random_intercept(y, x, groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sm.MixedLM(y, x, groups=groups).fit(reml=True)
    np.testing.assert_allclose(ours.params, theirs.fe_params, rtol=1e-5)
    assert ours.var_group == pytest.approx(float(np.asarray(theirs.cov_re)[0, 0]), rel=1e-4)
    assert ours.var_residual == pytest.approx(theirs.scale, rel=1e-4)
    assert ours.bse[0] == pytest.approx(theirs.bse_fe[0], rel=1e-3)  # MixedLM: observed information


def test_no_patient_variance_is_ordinary_least_squares() -> None:
    spread = np.random.default_rng(4).normal(0, 1, 20)
    groups = np.repeat(np.arange(20), 2)
    y = 1.0 + np.column_stack([spread, -spread]).ravel()  # every patient's mean is 1: no patient variance
    fit = fit_random_intercept(y, np.ones((40, 1)), groups)
    assert fit.var_group == 0
    assert fit.params[0] == pytest.approx(1.0)
    assert fit.var_residual == pytest.approx(y.var(ddof=1))


def test_sum_coded_intercept_is_the_mean_of_the_reader_means() -> None:
    y, reader, groups = _data(8)
    fit = fit_random_intercept(y, sum_coded(reader)[0], groups)
    means = pd.Series(y).groupby(reader).mean()
    assert fit.params[0] == pytest.approx(means.mean())  # balanced: every patient read by all


def test_rank_deficient_design_is_refused() -> None:
    with pytest.raises(ValueError):
        fit_random_intercept([1.0, 2.0, 3.0], np.ones((3, 2)), [0, 0, 1])


def _two_reader_cohort(n: int, seed: int) -> tuple[DiameterPairs, dict]:  # type: ignore[type-arg]
    m1, c1, _ = synthetic_cohort(n, seed=seed)
    m2, c2 = m1.copy(), c1.copy()
    m2["reader"], c2["reader"] = "R2", "R2"
    rng = np.random.default_rng(seed)
    measured = m2["status"] == "measured"
    m2.loc[measured, "diameter_mm"] = (pd.to_numeric(m2.loc[measured, "diameter_mm"])
                                       + rng.normal(0, 1.0, measured.sum())).round(1).clip(5)
    m = validate_measurements(raw_from_frame(pd.concat([m1, m2]), "m"))
    c = validate_counts(raw_from_frame(pd.concat([c1, c2]), "c"))
    return DiameterPairs.from_measurements(m), count_matrices(c)


def test_reader_factor_table_counts_patients_once() -> None:
    diameters, counts = _two_reader_cohort(12, seed=3)
    table = reader_factor_table(diameters, counts)
    assert list(table.columns) == list(READER_TEST_COLUMNS) and len(table) == 75
    pat = table[(table["level"] == "patient")].iloc[0]
    assert pat["n_readers"] == 2 and pat["n_observations"] == 2 * pat["n_patients"]
    assert table["p"].notna().all() and (table["p_holm"] >= table["p"] - 1e-15).all()
    counts_rows = table[table["analysis"] == "counts"]
    assert (counts_rows["n_exam_pairs"] < counts_rows["n_observations"]).all()
    inside = (table["ci_low"] <= table["mean_diff"]) & (table["mean_diff"] <= table["ci_high"])
    assert inside.all()


def test_units_say_what_n_counts() -> None:
    diameters, counts = _two_reader_cohort(5, seed=2)
    units = units_table(diameters, counts).set_index(["analysis", "level", "region"])
    patient = units.loc[("diameters", "patient", "whole")]
    assert patient["unit"] == "patient-read" and patient["n_reads"] == 2 * patient["n_patients"] == 10
    assert "2 readers" in patient["statement"] and "not independent" in patient["statement"]
    one = units_table(DiameterPairs(diameters.wide[diameters.wide.index.get_level_values("reader") == "R1"]),
                      counts).set_index(["analysis", "level", "region"])
    assert one.loc[("diameters", "lesion", "whole"), "statement"].startswith("n counts lesions")
    detection = units.loc[("detection", "exam_pair", "")]
    assert detection["n_reads"] == 2 * len(set(counts[Region.WHOLE].values.index.get_level_values("exam_pair_id")))


def test_differences_constant_within_each_reader_say_so() -> None:
    """A perfect fit (no residual variance) has no test: mean difference given, the rest empty."""
    from analysis.agreement_paired import _fit_row

    index = pd.MultiIndex.from_tuples([(f"P{i}", r) for i in range(4) for r in ("R1", "R2")],
                                      names=["patient_id", "reader"])
    pairs = pd.DataFrame({"a": [10.0 + i for i in range(8)]}, index=index)
    pairs["b"] = pairs["a"] - np.where(index.get_level_values("reader") == "R1", 1.0, 2.0)
    row = _fit_row(pairs, "a", "b")
    assert row["mean_diff"] == pytest.approx(1.5) and "p" not in row
    assert "no residual variance" in str(row["note"])
