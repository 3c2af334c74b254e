"""`lesionlab agreement --measurements M --counts C --out DIR`: readers, degenerate cases, the files
and the refusals; the counted/not-counted rule of counts."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.agreement import AGREEMENT_COLUMNS, agreement_table
from analysis.agreement_data import counted_mask, from_cohort
from analysis.inputs import Cohort, load_csv_inputs
from app.cli import main
from tests.conftest import SHARED

REFERENCE = SHARED / "reference/agreement"


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    if not (REFERENCE / "measurements.csv").is_file():
        pytest.skip("../shared/reference/agreement is not beside this clone")
    return (pd.read_csv(REFERENCE / "measurements.csv", dtype=str, keep_default_na=False),
            pd.read_csv(REFERENCE / "counts.csv", dtype=str, keep_default_na=False))


def _write(folder: Path, m: pd.DataFrame, c: pd.DataFrame) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    m.to_csv(folder / "m.csv", index=False)
    c.to_csv(folder / "c.csv", index=False)
    return folder / "m.csv", folder / "c.csv"


def _third_reader(m: pd.DataFrame, c: pd.DataFrame, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    m3, c3 = m[m["reader"] == "R1"].copy(), c[c["reader"] == "R1"].copy()
    m3["reader"], c3["reader"] = "R3", "R3"
    measured = m3["status"] == "measured"
    m3.loc[measured, "diameter_mm"] = [f"{max(5.0, float(v) + rng.normal(0, 1.5)):.1f}"
                                       for v in m3.loc[measured, "diameter_mm"]]
    c3["count"] = [str(max(0, int(v) + int(rng.integers(-1, 2)))) for v in c3["count"]]
    return pd.concat([m, m3]), pd.concat([c, c3])


def _read(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "agreement.csv", keep_default_na=False, na_values=[""])


def test_three_readers_all_reader_rows_then_pairs(tmp_path: Path, reference: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    m, c = _third_reader(*reference)
    mp, cp = _write(tmp_path, m, c)
    out = tmp_path / "out"
    assert main(["agreement", "--measurements", str(mp), "--counts", str(cp), "--out", str(out)]) == 0
    t = _read(out)
    d = t[(t["analysis"] == "diameters") & (t["series_role"] == "mr_dwi")]
    assert d[["reader_a", "reader_b"]].fillna("").values.tolist() == [["", ""], ["R1", "R2"], ["R1", "R3"], ["R2", "R3"]]
    everyone, pairs = d.iloc[0], d.iloc[1:]
    assert everyone["n_readers"] == 3 and (pairs["n_readers"] == 2).all()
    assert pd.notna(everyone["icc_a1"]) and pd.notna(everyone["icc_ak_ci_high"])
    assert everyone[list(AGREEMENT_COLUMNS[13:29])].isna().all()  # Bland-Altman, kappa: pairs only
    assert everyone["n_subjects"] <= pairs["n_subjects"].min()
    assert pairs["bias"].notna().all()
    k = t[(t["analysis"] == "counts") & (t["reader_a"].isna())]
    assert len(k) == 18 and k["kappa_quadratic"].isna().all() and k["icc_a1"].notna().all()
    det = t[t["analysis"] == "detection"]
    assert len(det) == 18 and det["reader_a"].notna().all()
    assert {"agreement_bland_altman_R1_vs_R3.png", "agreement_icc_forest.png", "agreement_report.html",
            "paired_tests_readers.csv", "agreement.xlsx"} <= {p.name for p in out.iterdir()}
    readers = pd.read_csv(out / "paired_tests_readers.csv")
    assert (readers["n_readers"] == 3).all()


def test_one_reader_gives_empty_rows_with_a_reason(tmp_path: Path, reference: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    m, c = reference
    mp, cp = _write(tmp_path, m[m["reader"] == "R2"], c[c["reader"] == "R2"])
    out = tmp_path / "out"
    assert main(["agreement", "--measurements", str(mp), "--counts", str(cp), "--out", str(out)]) == 0
    t = _read(out)
    assert len(t) == 30 and (t["n_readers"] == 1).all()
    assert t[list(AGREEMENT_COLUMNS[7:29])].isna().all().all()
    assert t["note"].str.contains("one reader (R2)", regex=False).all()
    assert not (out / "paired_tests_readers.csv").exists()


def test_degenerate_cells_are_empty_in_the_file_with_a_note(tmp_path: Path,
                                                             reference: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    m, c = reference
    keep = m["patient_id"] == "P001"
    m = m[keep & ((m["series_role"] != "mr_t2fs") | (m["lesion_id"] == "L1"))]  # one lesion on T2 FS
    c = c[c["patient_id"].isin(["P001", "P002", "P003"])].copy()
    c.loc[c["series_role"] == "ct_portal", "count"] = "4"  # constant counts on CT portal
    mp, cp = _write(tmp_path, m, c)
    out = tmp_path / "out"
    assert main(["agreement", "--measurements", str(mp), "--counts", str(cp), "--out", str(out)]) == 0
    with (out / "agreement.csv").open(newline="") as fh:
        rows = {(r["analysis"], r["series_role"], r["region"]): r for r in csv.DictReader(fh)}
    one = rows[("diameters", "mr_t2fs", "whole")]
    assert one["n_subjects"] == "1" and one["icc_a1"] == one["bias"] == one["loa_rm_low"] == ""
    assert "fewer than 3 subjects (n = 1)" in one["note"]
    flat = rows[("counts", "ct_portal", "whole")]
    assert flat["icc_a1"] == flat["kappa_quadratic"] == "" and flat["bias"] == "0.0"
    assert "all values equal" in flat["note"] and "one value only" in flat["note"]


def test_not_counted_series_are_not_subjects(reference: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path) -> None:
    m, c = reference
    mp, cp = _write(tmp_path, m, c)
    cohort = load_csv_inputs(mp, cp)
    counts = cohort.counts.copy()
    counts["count_status"] = "counted"
    target = (counts["exam_pair_id"] == "P001-E1") & (counts["series_role"] == "mr_dwi")
    counts.loc[target & (counts["reader"] == "R2") & (counts["lobe"] == "left"), ["count", "count_status"]] = \
        [np.nan, "not_read"]
    counts.loc[target & (counts["reader"] == "R1") & (counts["lobe"] == "right"), "count_status"] = "not_countable"
    assert (~counted_mask(counts)).sum() == 2
    table = agreement_table(from_cohort(Cohort(cohort.measurements, counts, None))).set_index(
        ["analysis", "series_role", "region"])
    before = agreement_table(from_cohort(cohort)).set_index(["analysis", "series_role", "region"])
    n = table["n_subjects"] - before["n_subjects"]
    assert n[("counts", "mr_dwi", "whole")] == -1 and n[("counts", "mr_dwi", "left")] == -1
    assert n[("counts", "mr_dwi", "right")] == -1 and n[("counts", "mr_t2fs", "whole")] == 0


@pytest.mark.parametrize("argv, message", [
    (["agreement", "x.lesionlab", "--measurements", "m.csv", "--out", "o"], "not both"),
    (["agreement", "--measurements", "m.csv", "--out", "o"], "required without a STORE"),
    (["agreement", "--measurements", "m.csv", "--counts", "c.csv", "--dicom", "d", "--out", "o"], "--dicom goes with"),
])
def test_bad_command_lines_say_why(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_an_out_folder_with_other_files_is_not_replaced(tmp_path: Path, reference: tuple[pd.DataFrame, pd.DataFrame],
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import analysis.agreement_report as report

    monkeypatch.setattr(report, "agreement_figures", lambda reads, table: {})  # folders, not plots, here
    m, c = reference
    keep = m["patient_id"].isin(["P001", "P002", "P003", "P004"])
    mp, cp = _write(tmp_path, m[keep], c[c["patient_id"].isin(["P001", "P002", "P003", "P004"])])
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_text("mine")
    assert main(["agreement", "--measurements", str(mp), "--counts", str(cp), "--out", str(out)]) == 1
    assert "holds other files" in capsys.readouterr().err and (out / "thesis.docx").read_text() == "mine"
    out2 = tmp_path / "out2"
    for _ in range(2):  # a previous agreement output is replaced
        assert main(["agreement", "--measurements", str(mp), "--counts", str(cp), "--out", str(out2)]) == 0
    assert (out2 / "agreement.csv").is_file()


def test_ids_naming_different_lesions_for_different_readers_are_not_paired(tmp_path: Path) -> None:
    """Readers number their own lesions: after R2 misses one, R2's L2 is R1's L3. From CSVs lesions are paired by
    id, and a researcher's check got CT portal's bias -0.18 mm for -0.90 (176 cells) unsaid. Where the readers'
    lines for one id lie apart on the same series, no lesion is paired: diameters and detections are left out with
    the reason, the counts (which pair no lesion) stay; lines of one lesion near each other are paired as before."""
    from analysis.agreement_data import id_conflicts

    head = ("patient_id,exam_pair_id,reader,lesion_id,lobe,segment,series_role,series_instance_uid,slice_index,"
            "diameter_mm,status,p1_row,p1_col,p2_row,p2_col")

    def line(reader: str, lid: str, row: float, slice_index: int, d: float) -> str:
        # 0.7 mm pixels: the line's length in pixels gives its diameter
        return f"P1,E1,{reader},{lid},right,,ct_portal,1.2.3,{slice_index},{d},measured,{row},100,{row},{100 + d / 0.7}"

    def run(rows: list[str]) -> pd.DataFrame:
        (tmp_path / "m.csv").write_text("\n".join([head, *rows]) + "\n")
        (tmp_path / "c.csv").write_text("patient_id,exam_pair_id,reader,series_role,lobe,count,uncountable,count_status\n"
                                        + "".join(f"P1,E1,{r},ct_portal,{lobe},2,false,counted\n"
                                                  for r in ("R1", "R2") for lobe in ("right", "left")))
        cohort = load_csv_inputs(tmp_path / "m.csv", tmp_path / "c.csv")
        return agreement_table(from_cohort(cohort)).set_index(["analysis", "series_role", "region", "reader_a"])

    same = [line("R1", "L1", 100, 10, 20.0), line("R2", "L1", 103, 11, 21.0),
            line("R1", "L2", 200, 20, 15.0), line("R2", "L2", 201, 20, 14.0)]
    table = run(same)
    assert table.loc[("diameters", "ct_portal", "whole", "R1"), "n_subjects"] == 2
    shifted = [line("R1", "L1", 100, 10, 20.0), line("R2", "L1", 200, 20, 14.0)]  # R2's L1 is R1's L2
    (tmp_path / "m.csv").write_text("\n".join([head, *shifted]) + "\n")
    assert id_conflicts(load_csv_inputs(tmp_path / "m.csv", tmp_path / "c.csv").measurements) == [
        ("P1", "E1", "R1 L1 and R2 L1 lie 70 mm apart in-plane, 10 slices apart on ct_portal (P1 E1)")]
    table = run(shifted)
    row = table.loc[("diameters", "ct_portal", "whole", "R1")]
    assert row["n_subjects"] == 0 and "the lesions of P1 E1 were not paired" in row["note"] and "--dicom" in row["note"]
    assert table.loc[("counts", "ct_portal", "whole", "R1"), "n_subjects"] == 1  # the counts stay


def test_reader_names_alike_once_made_safe_keep_their_own_figure() -> None:
    """"Zoé" and "Zoë" both became "Zo" in the Bland–Altman file name: one pair's figure was written over the
    other's while the run said both were written (a researcher's check)."""
    from analysis.agreement_plots import agreement_figures

    reads = from_cohort(Cohort(pd.DataFrame(columns=["patient_id", "exam_pair_id", "reader", "lesion_id", "series_role",
                                                     "status", "diameter_mm"]),
                               pd.DataFrame(columns=["patient_id", "exam_pair_id", "reader", "series_role", "lobe",
                                                     "count", "uncountable", "count_status"]), None))
    table = pd.DataFrame({"analysis": ["diameters"] * 2, "series_role": ["mr_t2fs"] * 2, "region": ["whole"] * 2,
                          "reader_a": ["R1", "R1"], "reader_b": ["Zoé", "Zoë"], "icc_a1": [0.9, 0.8],
                          "icc_a1_ci_low": [0.8, 0.7], "icc_a1_ci_high": [0.95, 0.9], "n_subjects": [5, 5]})
    names = [n for n in agreement_figures(reads, table) if n.startswith("agreement_bland_altman")]
    assert len(names) == 2 and len(set(names)) == 2, names
