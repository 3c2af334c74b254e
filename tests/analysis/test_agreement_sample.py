"""A two-reader study of the sample data, end to end: the sample reading plus a second reader
simulated through the Reading API (analysis.agreement_sample), then `lesionlab agreement STORE
--dicom sample_dicom`. What the analysis must find follows from what was simulated; ICC and kappa
of the sample study are compared with R (psych) when Rscript is installed."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.agreement import AGREEMENT_COLUMNS, count_wide
from analysis.agreement_sample import TwoReaderSummary, build_two_reader_store
from analysis.agreement_stats import icc_two_way, weighted_kappa
from analysis.agreement_data import ReaderReads
from analysis.agreement_store import load_store_reads
from analysis.schema import ROLE_VALUES, Region
from app.cli import main
from tests.conftest import SAMPLE_DICOM


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TwoReaderSummary]:
    if not (SAMPLE_DICOM / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom/reading.lesionlab is missing (make sample)")
    store = tmp_path_factory.mktemp("study") / "two_readers.lesionlab"
    summary = build_two_reader_store(SAMPLE_DICOM, SAMPLE_DICOM / "reading.lesionlab", store, seed=11)
    return store, summary


@pytest.fixture(scope="module")
def paired(study: tuple[Path, TwoReaderSummary], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("agreement") / "out"
    assert main(["agreement", str(study[0]), "--dicom", str(SAMPLE_DICOM), "--out", str(out)]) == 0
    return out, pd.read_csv(out / "agreement.csv", keep_default_na=False, na_values=[""])


def _rows(table: pd.DataFrame, analysis: str, region: str = "whole") -> pd.DataFrame:
    return table[(table["analysis"] == analysis) & (table["region"] == region)].set_index("series_role")


def test_the_simulation_made_differences(study: tuple[Path, TwoReaderSummary]) -> None:
    _, s = study
    assert (s.first_reader, s.second_reader) == ("sample", "second")
    assert len(s.missed_lesions) == 2 and sum(s.marks_first_only.values()) > 0
    assert sum(s.marks_second_only.values()) > 0 and sum(s.measured_by_both.values()) > 20


def test_diameters_pair_every_lesion_both_measured(paired: tuple[Path, pd.DataFrame],
                                                   study: tuple[Path, TwoReaderSummary]) -> None:
    out, table = paired
    assert (out / "agreement.csv").read_text().splitlines()[0].split(",") == list(AGREEMENT_COLUMNS)
    d = _rows(table, "diameters")
    for role in ROLE_VALUES:
        assert d.loc[role, "n_subjects"] == study[1].measured_by_both.get(role, 0), role
        assert (d.loc[role, "reader_a"], d.loc[role, "reader_b"]) == ("sample", "second")
        if d.loc[role, "n_subjects"] >= 3:  # reader noise of ~1.2 mm on lesions of 5-60 mm
            assert d.loc[role, "icc_a1"] > 0.9 and abs(d.loc[role, "bias"]) < 2.0
            assert d.loc[role, "loa_low_ci_low"] < d.loc[role, "loa_low"] < d.loc[role, "loa_high"]


def test_detection_counts_what_was_dropped_and_added(paired: tuple[Path, pd.DataFrame],
                                                     study: tuple[Path, TwoReaderSummary]) -> None:
    s = study[1]
    det = _rows(paired[1], "detection")
    for role in ROLE_VALUES:
        a, b, c = s.marks_both.get(role, 0), s.marks_first_only.get(role, 0), s.marks_second_only.get(role, 0)
        assert det.loc[role, "n_subjects"] == a + b + c, role
        assert det.loc[role, "positive_agreement"] == pytest.approx(2 * a / (2 * a + b + c)), role
        assert f"{a} seen by both, {b} by sample only, {c} by second only" in det.loc[role, "note"]


def test_counts_bias_is_what_was_dropped_minus_added(paired: tuple[Path, pd.DataFrame],
                                                     study: tuple[Path, TwoReaderSummary]) -> None:
    s = study[1]
    counts = _rows(paired[1], "counts")
    for role in ROLE_VALUES:
        assert counts.loc[role, "n_subjects"] == 3 and counts.loc[role, "unit"] == "exam_pair"
        expected = (s.marks_first_only.get(role, 0) - s.marks_second_only.get(role, 0)) / 3
        assert counts.loc[role, "bias"] == pytest.approx(expected), role


def test_report_and_plots(paired: tuple[Path, pd.DataFrame]) -> None:
    out = paired[0]
    html = (out / "agreement_report.html").read_text(encoding="utf-8")
    assert "Inter-reader agreement" in html and "Carkeet 2015" in html and "position in patient mm" in html
    assert len(re.findall(r"<img ", html)) == 2
    assert (out / "agreement_bland_altman_sample_vs_second.png").stat().st_size > 10_000


def test_without_the_images_counts_stay_and_lesions_say_why(
        study: tuple[Path, TwoReaderSummary], paired: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["agreement", str(study[0]), "--out", str(out)]) == 0
    table = pd.read_csv(out / "agreement.csv", keep_default_na=False, na_values=[""])
    d = _rows(table, "diameters")
    assert (d["n_subjects"] == 0).all() and d["note"].str.contains("--dicom").all()
    counts = table[table["analysis"] == "counts"].reset_index(drop=True)
    before = paired[1][paired[1]["analysis"] == "counts"].reset_index(drop=True)
    pd.testing.assert_frame_equal(counts, before)


def test_analyze_store_shows_the_agreement_section(study: tuple[Path, TwoReaderSummary], tmp_path: Path) -> None:
    out = tmp_path / "analysis"
    assert main(["analyze", str(study[0]), "--out", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Inter-reader agreement" in html and "patient-reads of 3 patients by 2 readers" in html
    assert "Exam pairs counts exam-pair-reads (one per exam pair and reader): 6 exam-pair-reads" in html
    assert "n per lesion counts lesion-reads" in html
    assert (out / "agreement.csv").is_file() and (out / "paired_tests_readers.csv").is_file()


def test_sample_icc_and_kappa_equal_r(study: tuple[Path, TwoReaderSummary]) -> None:
    """The Must-show check: the sample study's ICC and kappa as R's psych computes them."""
    check_icc_and_kappa_equal_r(load_store_reads(study[0], SAMPLE_DICOM))


def check_icc_and_kappa_equal_r(reads: ReaderReads, minimum: int = 20) -> None:
    """ICC of every role's diameters and counts, kappa of its counts, equal to R's psych (1e-6)."""
    from tests.analysis.test_agreement_rscript import RSession, _r_has_psych, same

    if not _r_has_psych():
        pytest.skip("Rscript with psych is not installed")
    session = RSession()
    try:
        checked = 0
        for role in ROLE_VALUES:
            d = reads.diameters[reads.diameters["series_role"] == role]
            wide = d.pivot(index=["patient_id", "exam_pair_id", "subject"], columns="reader",
                           values="diameter_mm").dropna()
            matrices = [wide.to_numpy()] + [count_wide(reads, role, r).dropna().to_numpy() for r in Region]
            for x in matrices:
                if len(x) < 3:
                    continue
                icc, r = icc_two_way(x), session.icc(x)
                for ours, theirs in zip((icc.icc_a1, icc.icc_a1_ci_low, icc.icc_a1_ci_high, icc.icc_ak), r):
                    same(ours, theirs, f"ICC {role}")
                checked += 1
            for r_ in Region:
                x = count_wide(reads, role, r_).dropna().to_numpy()
                if len(set(x.ravel())) > 1:
                    k, rk = weighted_kappa(x[:, 0], x[:, 1]), session.kappa(x[:, 0], x[:, 1])
                    for ours, theirs in zip((k.kappa, k.ci_low, k.ci_high), rk):
                        same(ours, theirs, f"kappa {role} {r_.value}")
        assert checked >= minimum
    finally:
        session.close()
