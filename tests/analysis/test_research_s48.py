"""Session 48, a clinical researcher's run of the chain (analysis/README.md): what differed from R or misled.

- paired_tests_readers.csv: differences constant within each patient (every reader's difference the same on a
  patient, the patients differing) have no within-patient variance: the REML profile grows without bound in
  lambda = var_patient / var_residual and nlme::lme stops ("system is computationally singular"). lesionlab took
  the end of its search range (lambda = e^12) as the fit and reported a residual SD of that bound's making and
  p = 2.2e-05 from two patients (a t test of the two patients' means gives p = 0.2).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.agreement_paired import _fit_row, reader_factor_table
from analysis.inputs import raw_from_frame, validate_counts, validate_measurements
from analysis.mixed import fit_random_intercept, sum_coded
from analysis.pairing import DiameterPairs, count_matrices

RSCRIPT = shutil.which("Rscript")
ROLES = ("mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal", "ct_arterial", "ct_portal")


def _pairs(diffs: dict[str, float], readers: tuple[str, ...] = ("A", "B")) -> pd.DataFrame:
    """Every reader's difference a - b on a patient is that patient's value (B reads 0.3 mm more on both series)."""
    index = pd.MultiIndex.from_tuples([(p, r) for p in diffs for r in readers], names=["patient_id", "reader"])
    a = np.array([20.0 + 0.3 * (r != readers[0]) for p in diffs for r in readers])
    b = a - np.array([diffs[p] for p in diffs for _ in readers])
    return pd.DataFrame({"a": a, "b": b}, index=index)


@pytest.mark.parametrize("diffs", [{"X1": -1.0, "X2": -2.0}, {"X1": -1.0, "X2": -2.0, "X3": -4.0}])
def test_differences_constant_within_each_patient_have_no_test(diffs: dict[str, float]) -> None:
    row = _fit_row(_pairs(diffs), "a", "b")
    assert "p" not in row and "se" not in row and "sd_residual" not in row, row
    assert "no residual variance within patients" in str(row["note"])
    assert row["mean_diff"] == pytest.approx(np.mean(list(diffs.values())))


def test_the_fit_says_when_it_stopped_at_the_end_of_its_search() -> None:
    x, _ = sum_coded(["A", "B"] * 3)
    degenerate = fit_random_intercept([-1, -1, -2, -2, -4, -4], x, ["X1", "X1", "X2", "X2", "X3", "X3"])
    assert degenerate.at_lambda_bound
    fine = fit_random_intercept([-1, -1.2, -2, -2.1, -4, -3.7], x, ["X1", "X1", "X2", "X2", "X3", "X3"])
    assert not fine.at_lambda_bound and fine.var_residual > 0.001


def test_a_count_table_of_two_patients_whose_readers_differ_by_one_everywhere() -> None:
    """The end to end case: reader B counts one more than A on every series of both patients."""
    m_rows, c_rows = [], []
    for reader, off in (("A", 0.0), ("B", 0.3)):
        for pid, vals in (("X1", (10, 11, 12, 12, 9, 9)), ("X2", (20, 22, 21, 21, 19, 19.5))):
            for role, v in zip(ROLES, vals):
                m_rows.append({"patient_id": pid, "exam_pair_id": "E1", "reader": reader, "lesion_id": "L1",
                               "lobe": "left", "series_role": role, "diameter_mm": f"{v + off:g}",
                               "status": "measured"})
                for lobe in ("right", "left"):
                    c_rows.append({"patient_id": pid, "exam_pair_id": "E1", "reader": reader, "series_role": role,
                                   "lobe": lobe, "count": str(int(v) % 4 + (reader == "B")), "uncountable": "false"})
    m = validate_measurements(raw_from_frame(pd.DataFrame(m_rows), "m.csv"))
    c = validate_counts(raw_from_frame(pd.DataFrame(c_rows), "c.csv"))
    table = reader_factor_table(DiameterPairs.from_measurements(m), count_matrices(c))
    tested = table[table["p"].notna()]
    # every comparison here has the same difference from both readers on a patient: none can be tested
    assert tested.empty, tested[["analysis", "level", "region", "series_a", "series_b", "p", "sd_residual"]]
    assert table["note"].str.contains("no residual variance|all differences equal").all()


@pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed")
def test_nlme_refuses_the_same_fit() -> None:
    script = ('suppressMessages(library(nlme)); df <- data.frame(d = c(-1, -1, -2, -2, -4, -4), '
              'patient = factor(rep(c("X1", "X2", "X3"), each = 2)), reader = factor(rep(c("A", "B"), 3))); '
              'm <- tryCatch(lme(d ~ reader, random = ~ 1 | patient, data = df, method = "REML", '
              'contrasts = list(reader = "contr.sum")), error = function(e) NULL); cat(is.null(m))')
    out = subprocess.run([str(RSCRIPT), "--vanilla", "-e", script], capture_output=True, text=True, timeout=120)
    if "there is no package called" in out.stderr:
        pytest.skip("R's nlme is not installed")
    assert out.stdout.strip() == "TRUE", out.stdout + out.stderr


# ------------------------------------------------------------------ the population table describes the analysed patients
def _export_csvs(tmp_path: Path) -> tuple[Path, Path, list[list[str]]]:
    import csv

    from app.cli import main

    repo = Path(__file__).resolve().parents[2]
    assert main(["export", str(repo / "sample_dicom" / "reading.lesionlab"), "--out", str(tmp_path / "x")]) == 0
    rows = list(csv.reader((tmp_path / "x" / "patients.csv").open(encoding="utf-8")))
    return tmp_path / "x" / "measurements.csv", tmp_path / "x" / "counts.csv", rows


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def test_a_patients_csv_row_of_a_patient_not_analysed_is_left_out_of_the_population_and_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """patients.csv with a fourth patient (a typo'd id, another study's patient): Table 1 said 4 patients, 2 M,
    of an analysis of 3, and nothing said so."""
    from app.cli import main

    m, c, rows = _export_csvs(tmp_path)
    extra = _write_rows(tmp_path / "p.csv", [*rows, ["LLSYN999", "M", *[""] * (len(rows[0]) - 2)]])
    assert main(["analyze", "--measurements", str(m), "--counts", str(c), "--patients", str(extra),
                 "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    population = pd.read_csv(tmp_path / "a" / "population.csv", keep_default_na=False)
    assert population.iloc[0]["n"] == 3, population.head(3)
    sex = population[population["characteristic"] == "Sex"].set_index("category")["n"]
    assert sex["M"] + sex["F"] + sex.get("O", 0) == 3
    assert "p.csv, line 5" in out and "LLSYN999" in out and "left out of the population table" in out
    assert "LLSYN999" in (tmp_path / "a" / "report.html").read_text(encoding="utf-8")


def test_an_analysed_patient_without_a_patients_csv_row_is_not_recorded_and_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """patients.csv without LLSYN003: Table 1 said 2 patients of an analysis of 3."""
    from app.cli import main

    m, c, rows = _export_csvs(tmp_path)
    short = _write_rows(tmp_path / "p.csv", [r for r in rows if r[0] != "LLSYN003"])
    assert main(["analyze", "--measurements", str(m), "--counts", str(c), "--patients", str(short),
                 "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    population = pd.read_csv(tmp_path / "a" / "population.csv", keep_default_na=False)
    assert population.iloc[0]["n"] == 3
    sex = population[population["characteristic"] == "Sex"].set_index("category")["n"]
    assert sex["not recorded"] == 1
    assert "LLSYN003" in out and "no row in p.csv" in out


def test_patients_csv_of_the_analysed_patients_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    m, c, rows = _export_csvs(tmp_path)
    assert main(["analyze", "--measurements", str(m), "--counts", str(c), "--patients",
                 str(_write_rows(tmp_path / "p.csv", rows)), "--out", str(tmp_path / "a")]) == 0
    assert "population table" not in capsys.readouterr().out


# ------------------------------------------------------------------ the organ column under another name
def _followup_export(tmp_path: Path) -> Path:
    from app.cli import main

    repo = Path(__file__).resolve().parents[2]
    assert main(["export", str(repo / "sample_dicom" / "followup.lesionlab"), "--out", str(tmp_path / "f")]) == 0
    return tmp_path / "f"


@pytest.mark.parametrize("header", ["Organ", "ORGAN", " Organ"])
def test_the_organ_column_written_otherwise_is_refused_not_read_as_all_liver(
        tmp_path: Path, header: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A spreadsheet's 'Organ' header was an extra column, ignored: the hilar node's three diameters were analysed as
    liver lesions (9 lesions measured instead of 6), nothing said."""
    from app.cli import main

    folder = _followup_export(tmp_path)
    text = (folder / "measurements.csv").read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    assert first.endswith(",organ") and "lymph_node" in rest
    renamed = tmp_path / "m.csv"
    renamed.write_text(first.removesuffix("organ") + (f'"{header}"' if header != header.strip() else header)
                       + "\n" + rest, encoding="utf-8")
    code = main(["analyze", "--measurements", str(renamed), "--counts", str(folder / "counts.csv"),
                 "--out", str(tmp_path / "a")])
    said = capsys.readouterr()
    assert code != 0 and not (tmp_path / "a").exists()
    assert "m.csv, line 1 (header)" in said.out + said.err and "'organ'" in said.out + said.err


def test_the_organ_header_with_spaces_round_it_is_the_organ_column(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    folder = _followup_export(tmp_path)
    text = (folder / "measurements.csv").read_text(encoding="utf-8")
    (tmp_path / "m.csv").write_text(text.replace(",organ\n", ",\" organ \"\n", 1), encoding="utf-8")
    assert main(["analyze", "--measurements", str(tmp_path / "m.csv"), "--counts", str(folder / "counts.csv"),
                 "--out", str(tmp_path / "a")]) == 0
    assert "left out 3 lesion read(s) recorded outside the liver" in capsys.readouterr().out


def test_short_axes_without_an_organ_column_are_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A measurements.csv whose organ column was deleted, its node's short axes kept: every row is read as liver (the
    README's rule for a file without the column), said."""
    from app.cli import main

    folder = _followup_export(tmp_path)
    m = pd.read_csv(folder / "measurements.csv", dtype=str, keep_default_na=False)
    assert (m["short_axis_mm"] != "").any()
    m.drop(columns=["organ"]).to_csv(tmp_path / "m.csv", index=False)
    assert main(["analyze", "--measurements", str(tmp_path / "m.csv"), "--counts", str(folder / "counts.csv"),
                 "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "no 'organ' column" in out and "short axis" in out


def test_count_status_written_otherwise_is_refused_naming_the_header(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """'Count_status' was ignored: its not_read rows were refused as 'empty count on a series counted', the header not
    named (and a file whose not_read rows kept a count would have had them analysed as counted)."""
    from app.cli import main

    folder = _followup_export(tmp_path)
    text = (folder / "counts.csv").read_text(encoding="utf-8")
    (tmp_path / "c.csv").write_text(text.replace(",count_status\n", ",Count_status\n", 1), encoding="utf-8")
    assert main(["analyze", "--measurements", str(folder / "measurements.csv"), "--counts", str(tmp_path / "c.csv"),
                 "--out", str(tmp_path / "a")]) != 0
    said = capsys.readouterr()
    assert "c.csv, line 1 (header)" in said.out + said.err and "'Count_status'" in said.out + said.err


# ------------------------------------------------------------------ long reader names
def test_long_reader_names_give_plot_file_names_a_file_system_takes(tmp_path: Path) -> None:
    """Two readers named in 150 characters (a store keeps names up to 200): the Bland-Altman figure's name
    was 331 bytes, `agreement` and `analyze` stopped with "File name too long ... choose an output folder you can
    write to", nothing written."""
    import csv

    from app.cli import main
    from tests.conftest import SHARED

    a, b = "Dr " + "Aaaaaaaaaa" * 15, "Dr " + "Aaaaaaaaaa" * 14 + "Bbbbbbbbbb"  # alike for their first 143 characters
    for name in ("measurements", "counts"):
        rows = list(csv.reader((SHARED / "reference" / "agreement" / f"{name}.csv").open(encoding="utf-8")))
        for row in rows[1:]:
            row[2] = {"R1": a, "R2": b}[row[2]]
        _write_rows(tmp_path / f"{name}.csv", rows)
    assert main(["agreement", "--measurements", str(tmp_path / "measurements.csv"),
                 "--counts", str(tmp_path / "counts.csv"), "--out", str(tmp_path / "out")]) == 0
    figures = sorted(p.name for p in (tmp_path / "out").glob("agreement_bland_altman_*.png"))
    assert len(figures) == 1 and len(figures[0].encode()) <= 200, figures
    from analysis.agreement_plots import file_part

    assert file_part(a) != file_part(b) and len(file_part(a)) <= 80
    assert file_part("Dr Müller") == "Dr_M_ller"  # short names as before


def test_a_p_value_just_below_alpha_is_not_printed_as_alpha() -> None:
    """report.html showed p = 0.04996 as "0.050" in red (a researcher's read, session 48): the red says below 0.05, the
    figure says 0.05. The decimals grow until the figure reads below; other values keep three."""
    from analysis.report import fmt_p

    assert fmt_p(0.04996, mark=True) == '<span class="sig">0.04996</span>'
    assert fmt_p(0.0499996) == "0.0499996"
    assert fmt_p(0.05) == "0.050" and fmt_p(0.0504, mark=True) == "0.050"
    assert fmt_p(0.0449) == "0.045" and fmt_p(0.012) == "0.012"
