"""`lesionlab analyze` end to end, atomic output, the STORE form, degenerate cohorts, xlsx safety."""

from __future__ import annotations

import errno

import base64
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import analysis.pipeline
from analysis.inputs import load_csv_inputs
from analysis.pipeline import analyse
from analysis.testing import synthetic_cohort, write_synthetic_csvs
from analysis.tables import PAIRED_TEST_COLUMNS
from analysis.writers import write_xlsx
from annotation.store import ReadingStore
from app.cli import main


@pytest.fixture(scope="module")
def cohort_csvs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_synthetic_csvs(tmp_path_factory.mktemp("cohort"), n_patients=20, seed=3)


def _argv(paths: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return ["analyze", "--measurements", str(paths["measurements"]), "--counts", str(paths["counts"]),
            "--patients", str(paths["patients"]), "--out", str(out), *extra]


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_end_to_end(cohort_csvs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    assert main(_argv(cohort_csvs, out, "--pair", "mr_dwi:ct_arterial")) == 0
    assert "report.html" in capsys.readouterr().out
    pngs = {"detection.png"} | {f"{kind}_{a}_vs_{b}.png" for kind in ("histogram", "bland_altman")
                                for a, b in (("mr_t2fs", "mr_dwi"), ("ct_arterial", "ct_portal"),
                                             ("mr_dwi", "ct_arterial"))}
    csvs = {"paired_tests.csv", "population.csv", "detection.csv", "sizes.csv"}
    assert {p.name for p in out.iterdir()} == pngs | csvs | {"analysis.xlsx", "report.html"}
    assert _leftovers(tmp_path) == []

    paired = pd.read_csv(out / "paired_tests.csv")
    assert list(paired.columns) == list(PAIRED_TEST_COLUMNS)
    assert len(paired) == 15 * 5
    assert paired["wilcoxon_p"].notna().all() and paired["p_holm_ttest"].notna().all()

    html = (out / "report.html").read_text(encoding="utf-8")
    for name in pngs:
        png = (out / name).read_bytes()
        assert png.startswith(b"\x89PNG")
        assert base64.b64encode(png).decode() in html, f"{name} not embedded"
    assert "<script" not in html.lower() and 'src="http' not in html
    for word in ("Methods", "Holm", "scipy", "pandas", "numpy", "python", "lesionlab", "Population"):
        assert word in html

    wb = load_workbook(out / "analysis.xlsx", read_only=True)
    assert wb.sheetnames == ["paired_tests", "population", "detection", "sizes"]
    rows = list(wb["paired_tests"].iter_rows(values_only=True))
    assert list(rows[0]) == list(PAIRED_TEST_COLUMNS) and len(rows) == 76


def test_without_patients_there_is_no_population(cohort_csvs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r"
    argv = _argv(cohort_csvs, out)
    i = argv.index("--patients")
    assert main(argv[:i] + argv[i + 2:]) == 0
    assert not (out / "population.csv").exists() and (out / "report.html").exists()


def test_malformed_input_writes_nothing(cohort_csvs: dict[str, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "counts.csv"
    lines = cohort_csvs["counts"].read_text().splitlines()
    lines[6] = lines[6].replace("mr_", "mri_", 1) if "mr_" in lines[6] else lines[6].replace("ct_", "cat_", 1)
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "results"
    assert main(_argv({**cohort_csvs, "counts": bad}, out)) == 1
    err = capsys.readouterr().err
    assert f"{bad}, line 7, column 'series_role'" in err
    assert not out.exists() and _leftovers(tmp_path) == []


def _header_only(source: Path, target: Path) -> Path:
    target.write_text(source.read_text().splitlines()[0] + "\n")
    return target


def test_header_only_csvs_are_refused_naming_them(cohort_csvs: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Measurements and counts that hold only their header gave "0 patients" and a report of empty tables, exit 0:
    refused now, naming both files, before anything is written (a previous output stays as it was)."""
    m = _header_only(cohort_csvs["measurements"], tmp_path / "measurements.csv")
    c = _header_only(cohort_csvs["counts"], tmp_path / "counts.csv")
    out = tmp_path / "results"
    assert main(_argv({**cohort_csvs, "measurements": m, "counts": c}, out)) == 1
    err = capsys.readouterr().err
    assert f"{m}: holds no rows, only a header, and neither does {c}: nothing to analyse" in err
    assert "Traceback" not in err and not out.exists() and _leftovers(tmp_path) == []
    assert main(_argv(cohort_csvs, out)) == 0  # a previous analysis there is kept, not replaced by nothing
    before = sorted(p.name for p in out.iterdir())
    assert main(_argv({**cohort_csvs, "measurements": m, "counts": c}, out)) == 1
    assert sorted(p.name for p in out.iterdir()) == before and _leftovers(tmp_path) == []
    assert main(["agreement", "--measurements", str(m), "--counts", str(c), "--out", str(tmp_path / "ag")]) == 1
    assert "nothing to analyse" in capsys.readouterr().err and not (tmp_path / "ag").exists()


def test_one_empty_csv_is_said_and_the_other_analysed(cohort_csvs: dict[str, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    m = _header_only(cohort_csvs["measurements"], tmp_path / "measurements.csv")
    assert main(_argv({**cohort_csvs, "measurements": m}, tmp_path / "results")) == 0
    assert f"{m}: holds no rows, only a header: no diameters to compare (the counts are analysed)" in \
        capsys.readouterr().out


def test_an_empty_store_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from annotation.store import ReadingStore

    store = tmp_path / "empty.lesionlab"
    ReadingStore.open(store).close()
    assert main(["analyze", str(store), "--out", str(tmp_path / "o")]) == 1
    assert "holds no reads (no lesion measured, no series counted): nothing to analyse" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_bad_pair_argument(cohort_csvs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(cohort_csvs, tmp_path / "o", "--pair", "mr_dwi:mr_dwi")) == 1
    assert "--pair" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_failure_while_writing_leaves_nothing(cohort_csvs: dict[str, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "input/output error")

    monkeypatch.setattr(analysis.pipeline, "write_xlsx", boom)
    out = tmp_path / "results"
    assert main(_argv(cohort_csvs, out)) == 1
    assert "cannot be written (input/output error)" in capsys.readouterr().err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_replaces_previous_output_but_not_foreign_folder(cohort_csvs: dict[str, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    assert main(_argv(cohort_csvs, out)) == 0
    (out / "stale.png").write_bytes(b"old")
    assert main(_argv(cohort_csvs, out)) == 0
    assert not (out / "stale.png").exists() and _leftovers(tmp_path) == []
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"precious")
    assert main(_argv(cohort_csvs, foreign)) == 1
    assert "other files" in capsys.readouterr().err
    assert (foreign / "thesis.docx").read_bytes() == b"precious"


def test_store_without_annotation_exporter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "annotation.export", None)  # import fails
    assert main(["analyze", str(tmp_path / "study.lesionlab"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "annotation" in err and "cohort_tables" in err and "lesionlab export" in err


def test_store_through_the_exporter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m, c, p = synthetic_cohort(8, seed=5)
    m["diameter_mm"] = pd.to_numeric(m["diameter_mm"])  # as a store would hand them: typed
    c["uncountable"] = c["uncountable"] == "true"
    fake = types.ModuleType("annotation.export")
    fake.liver_cohort_tables = lambda store: (m, c, p, ())  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "annotation.export", fake)
    out = tmp_path / "o"
    ReadingStore.open(tmp_path / "study.lesionlab").close()  # analyze asks it whether it holds a reader study
    assert main(["analyze", str(tmp_path / "study.lesionlab"), "--out", str(out)]) == 0
    assert (out / "report.html").exists() and (out / "population.csv").exists()


def test_degenerate_comparisons_are_empty_with_a_reason(tmp_path: Path) -> None:
    m, c, _ = synthetic_cohort(6, seed=1, uncountable_rate=0.0)
    m = m[m["series_role"] != "ct_portal"]  # never measured on CT portal
    c = c.astype({"count": object})
    c.loc[(c["series_role"] == "mr_dwi") & (c["lobe"] == "left"), ["count", "uncountable"]] = ["", "true"]
    same = c["series_role"].isin(["mr_t1_arterial", "mr_t1_portal"])
    c.loc[c["series_role"] == "mr_t1_portal", "count"] = c.loc[
        c["series_role"] == "mr_t1_arterial", "count"].to_numpy()  # identical counts: all diffs 0
    assert same.any()
    m.to_csv(tmp_path / "m.csv", index=False)
    c.to_csv(tmp_path / "c.csv", index=False)
    result = analyse(load_csv_inputs(tmp_path / "m.csv", tmp_path / "c.csv"))
    t = result.tables["paired_tests"]

    portal = t[(t["analysis"] == "diameters") & (t["series_b"] == "ct_portal")]
    assert (portal["n"] == 0).all() and portal["wilcoxon_p"].isna().all() and portal["mean_diff"].isna().all()
    assert (portal["note"] == "no pairs").all()

    dwi_left = t[(t["analysis"] == "counts") & (t["region"].isin(["left", "whole"]))
                 & ((t["series_a"] == "mr_dwi") | (t["series_b"] == "mr_dwi"))]
    assert (dwi_left["n"] == 0).all() and dwi_left["note"].str.contains("left out as uncountable").all()

    zero = t[(t["analysis"] == "counts") & (t["series_a"] == "mr_t1_arterial") & (t["series_b"] == "mr_t1_portal")]
    assert zero["wilcoxon_p"].isna().all() and zero["ttest_p"].isna().all()
    assert zero["note"].str.contains("all differences are zero").all()
    assert (zero["mean_diff"] == 0).all()

    det = result.tables["detection"]
    row = det[(det["series_role"] == "mr_dwi") & (det["region"] == "left")].iloc[0]
    assert row["n_exam_pairs"] == 0 and row["n_uncountable"] > 0 and np.isnan(row["total"])
    # and the whole thing still writes
    analysis.pipeline.write_outputs(result, tmp_path / "out")
    assert (tmp_path / "out" / "report.html").exists()


def test_xlsx_text_never_becomes_a_formula(tmp_path: Path) -> None:
    table = pd.DataFrame({"text": ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "ok"],
                          "number": [-1.5, 2.0, np.nan, 0.0, 1.0]})
    write_xlsx({"t": table}, tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["t"]
    texts = [ws.cell(row=i, column=1) for i in range(2, 7)]
    assert all(cell.data_type == "s" for cell in texts)
    assert [cell.value for cell in texts] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "ok"]
    assert ws.cell(row=2, column=2).value == -1.5 and ws.cell(row=4, column=2).value is None


def test_xlsx_control_characters_are_replaced_not_fatal(tmp_path: Path) -> None:
    """A control character from a reader's text cannot abort the analysis workbook (same rule as
    the per-patient workbooks: annotation.cells.xlsx_value)."""
    table = pd.DataFrame({"text": ["a\x01b", "=x\x1f"], "n": [np.int64(3), np.float64(0.5)]})
    write_xlsx({"t": table}, tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["t"]
    assert [ws.cell(row=i, column=1).value for i in (2, 3)] == ["a\ufffdb", "'=x\ufffd"]
    assert [ws.cell(row=i, column=2).value for i in (2, 3)] == [3, 0.5]


def test_output_under_a_file_is_a_lesionlab_error(tmp_path: Path) -> None:
    from analysis.pipeline import write_outputs
    from viewer.errors import LesionlabError

    blocker = tmp_path / "taken"
    blocker.write_text("x")
    paths = write_synthetic_csvs(tmp_path / "in", 8, seed=1)
    result = analysis.pipeline.analyse(load_csv_inputs(paths["measurements"], paths["counts"], paths["patients"]))
    with pytest.raises(LesionlabError) as err:
        write_outputs(result, blocker / "out")
    assert err.value.where == str(blocker / "out") and err.value.advice
