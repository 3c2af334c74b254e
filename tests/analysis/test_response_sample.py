"""The engine reproduces the sample's follow-up ground truth (LLSYN001, sample_dicom/README.md):
from FOLLOWUP.csv through the CLI, and from the truth JSON's lesions, with and without confirmation."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from analysis.response import assess_course
from analysis.response_io import read_followup_csv
from analysis.response_records import LesionObservation, PatientCourse, Settings, Timepoint, TreatmentLine
from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
GT = ROOT / "sample_dicom" / "ground_truth"
sys.path.insert(0, str(ROOT / "tools"))
from sample.followup import followup_csv_rows, treatment_line_csv_rows  # noqa: E402

FU = json.loads((GT / "LLSYN001.json").read_text("utf-8"))["followup"]
S = FU["settings"]
SETTINGS = {confirm: Settings(confirm, S["confirmation_min_days"], S["sd_min_days"],
                              S["slow_progression_window_days"], S["slow_progression_max_pct"])
            for confirm in (False, True)}
FIELDS = ("baseline_date", "days_from_baseline", "sum_mm", "baseline_sum_mm", "nadir_sum_mm",
          "change_from_baseline_pct", "change_from_nadir_pct", "target_response", "non_target_response",
          "new_lesions", "overall_response", "nen_slow_progression", "tgr_pct_per_month")


def _course_from_json(field: str) -> PatientCourse:
    """The truth's lesions; ``field`` picks the true diameter or the one on the nearest slice."""
    tps = []
    for tp in FU["timepoints"]:
        rows = [LesionObservation(les["id"], les["kind"], les["organ"], les["nodal"], les["status"],
                                  les[field] if les["kind"] == "target" else None, series_role=FU["recist_role"])
                for les in tp["lesions"]]
        tps.append(Timepoint(dt.date.fromisoformat(tp["timepoint_date"]), tuple(rows)))
    lines = tuple(TreatmentLine(x["name"], x["start_date"], x["end_date"]) for x in FU["treatment_lines"])
    base = FU["timepoints"][FU["baseline_timepoint"] - 1]["timepoint_date"]
    return PatientCourse("LLSYN001", tuple(tps), (dt.date.fromisoformat(base),), lines)


NUMBERS = ("sum_mm", "baseline_sum_mm", "nadir_sum_mm", "change_from_baseline_pct", "change_from_nadir_pct")


def _check(rows: list[dict], suffix: str = "") -> None:
    """Every truth field (with ``suffix``: the on-slice numbers, whose growth rate the truth does not give)."""
    for got, want in zip(rows, FU["timepoints"]):
        for f in FIELDS:
            if suffix and f == "tgr_pct_per_month":
                continue
            key = f.replace("_mm", f"{suffix}_mm").replace("_pct", f"{suffix}_pct") if f in NUMBERS else f
            expected = want.get(key)
            if f in NUMBERS or f == "tgr_pct_per_month":
                assert got[f] == pytest.approx(expected, abs=0.006), (want["timepoint"], f)
            else:
                assert got[f] == expected, (want["timepoint"], f)


def test_the_sample_csvs_are_the_truth() -> None:
    truth = json.loads((GT / "LLSYN001.json").read_text("utf-8"))
    for name, rows in (("followup", followup_csv_rows(truth)), ("treatment_lines", treatment_line_csv_rows(truth))):
        with open(GT / f"LLSYN001_{name}.csv", encoding="utf-8", newline="") as fh:
            assert list(csv.DictReader(fh)) == rows


@pytest.mark.parametrize("confirm", [False, True])
def test_engine_reproduces_the_truth_from_the_csv(confirm: bool) -> None:
    (course,) = read_followup_csv(GT / "LLSYN001_followup.csv", GT / "LLSYN001_treatment_lines.csv")
    rows = [r.row() for r in assess_course(course, SETTINGS[confirm])]
    _check(rows)
    key = "best_overall_response_confirmed" if confirm else "best_overall_response"
    assert [r["best_overall_response"] for r in rows] == [tp.get(key) for tp in FU["timepoints"]]


def test_engine_reproduces_the_truth_on_slice_diameters() -> None:
    """What a careful reader measures (the diameter on the nearest slice) gives the same categories."""
    rows = [r.row() for r in assess_course(_course_from_json("diameter_on_slice_mm"), SETTINGS[False])]
    _check(rows, "_on_slice")
    rows_true = [r.row() for r in assess_course(_course_from_json("diameter_mm"), SETTINGS[True])]
    assert [r["best_overall_response"] for r in rows_true] == [tp.get("best_overall_response_confirmed")
                                                                for tp in FU["timepoints"]]


def test_cli_on_the_sample(tmp_path: Path) -> None:
    out = tmp_path / "response"
    assert main(["response", "--followup", str(GT / "LLSYN001_followup.csv"), "--treatment-lines",
                 str(GT / "LLSYN001_treatment_lines.csv"), "--confirm", "--out", str(out)]) == 0
    with open(out / "response.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["overall_response"], r["best_overall_response"]) for r in rows] == [("", ""), ("PR", "SD"),
                                                                                   ("PD", "SD")]
    assert rows[2]["tgr_pct_per_month"] == "4.4842" and rows[1]["tgr_pct_per_month"] == "-19.6709"
