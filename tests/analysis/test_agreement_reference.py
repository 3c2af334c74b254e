"""agreement.csv of `lesionlab agreement --measurements M --counts C` against R's figures for the
reference two-reader cohort (../shared/reference/agreement, psych 2.2.9 on R 4.2.2).

Every cell of expected_agreement.csv is checked (numbers to a relative 1e-6, which psych::ICC's
CIs must meet); the file's columns are exactly the format's, in order. Needs no R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.agreement import AGREEMENT_COLUMNS
from app.cli import main
from tests.conftest import SHARED

REFERENCE = SHARED / "reference/agreement"
KEY = ["analysis", "series_role", "region"]
FORMAT = (
    "analysis, series_role, region, reader_a, reader_b, n_subjects, n_readers, icc_a1, icc_a1_ci_low, "
    "icc_a1_ci_high, icc_ak, icc_ak_ci_low, icc_ak_ci_high, bias, loa_low, loa_high, loa_low_ci_low, "
    "loa_low_ci_high, loa_high_ci_low, loa_high_ci_high, bias_pct, loa_low_pct, loa_high_pct, loa_rm_low, "
    "loa_rm_high, kappa_quadratic, kappa_ci_low, kappa_ci_high, positive_agreement, unit, note"
)  # issue 11, word for word


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REFERENCE / "expected_agreement.csv").is_file():
        pytest.skip("../shared/reference/agreement is not beside this clone")
    folder = tmp_path_factory.mktemp("agreement") / "out"
    assert main(["agreement", "--measurements", str(REFERENCE / "measurements.csv"),
                 "--counts", str(REFERENCE / "counts.csv"), "--out", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def ours(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "agreement.csv", keep_default_na=False, na_values=[""])


def test_columns_are_the_format_exactly(out: Path) -> None:
    header = (out / "agreement.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == FORMAT.split(", ") == list(AGREEMENT_COLUMNS)


def test_every_reference_cell(ours: pd.DataFrame) -> None:
    expected = pd.read_csv(REFERENCE / "expected_agreement.csv")
    merged = expected.merge(ours, on=KEY, how="left", suffixes=("_r", ""), validate="one_to_one")
    assert len(merged) == len(expected) == 24
    for col in expected.columns:
        if col in KEY:
            continue
        r, us = merged[f"{col}_r"], merged[col]
        if not pd.api.types.is_numeric_dtype(r):
            assert (r == us).all(), col
            continue
        assert (r.isna() == us.isna()).all(), f"{col}: NA pattern differs"
        np.testing.assert_allclose(us[r.notna()].astype(float), r[r.notna()], rtol=1e-6, atol=1e-12, err_msg=col)


def test_two_readers_named_in_order_and_units(ours: pd.DataFrame) -> None:
    assert set(ours["reader_a"]) == {"R1"} and set(ours["reader_b"]) == {"R2"}
    assert (ours["n_readers"] == 2).all()
    unit = {"diameters": "lesion", "counts": "exam_pair", "detection": "lesion"}
    assert (ours["unit"] == ours["analysis"].map(unit)).all()
    assert list(ours.groupby("analysis", sort=False).size().items()) == [
        ("diameters", 6), ("counts", 18), ("detection", 6)]


def test_cells_each_analysis_fills(ours: pd.DataFrame) -> None:
    """Diameters: no kappa, no detection; counts: no %; detection: only positive agreement."""
    d, c, t = (ours[ours["analysis"] == a] for a in ("diameters", "counts", "detection"))
    assert d[["kappa_quadratic", "positive_agreement"]].isna().all().all()
    assert d[["bias_pct", "loa_low_pct", "loa_high_pct", "loa_rm_low", "loa_low_ci_low"]].notna().all().all()
    assert c[["bias_pct", "loa_low_pct", "positive_agreement"]].isna().all().all()
    assert c[["kappa_quadratic", "kappa_ci_low", "kappa_ci_high", "loa_rm_high"]].notna().all().all()
    stats = [col for col in AGREEMENT_COLUMNS[7:-2] if col != "positive_agreement"]
    assert t[stats].isna().all().all() and t["positive_agreement"].between(0, 1).all()


def test_limit_cis_bracket_the_limits_and_widen_the_rm_limits(ours: pd.DataFrame) -> None:
    rows = ours[ours["analysis"] != "detection"]
    assert (rows["loa_low_ci_low"] < rows["loa_low"]).all() and (rows["loa_low"] < rows["loa_low_ci_high"]).all()
    assert (rows["loa_high_ci_low"] < rows["loa_high"]).all() and (rows["loa_high"] < rows["loa_high_ci_high"]).all()
    # several lesions per patient: the corrected limits are never narrower here (between-patient variance >= 0)
    assert (rows["loa_rm_high"] - rows["loa_rm_low"] >= rows["loa_high"] - rows["loa_low"] - 1e-9).all()
