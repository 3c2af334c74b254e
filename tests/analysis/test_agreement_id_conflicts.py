"""A review of session 31: id_conflicts on thin-slice CT, and what one conflict costs."""
from __future__ import annotations

from pathlib import Path

from analysis.agreement import agreement_table
from analysis.agreement_data import from_cohort, id_conflicts
from analysis.inputs import load_csv_inputs

HEAD = ("patient_id,exam_pair_id,reader,lesion_id,lobe,segment,series_role,series_instance_uid,slice_index,"
        "diameter_mm,status,p1_row,p1_col,p2_row,p2_col")


def line(patient: str, reader: str, lid: str, row: float, col: float, slice_index: int, d: float) -> str:
    # 0.7 mm pixels, a horizontal line centred at (row, col)
    half = d / 0.7 / 2
    return (f"{patient},E1,{reader},{lid},right,,ct_portal,1.2.{patient},{slice_index},{d},measured,"
            f"{row},{col - half},{row},{col + half}")


def _write(tmp: Path, rows: list[str]) -> None:
    (tmp / "m.csv").write_text("\n".join([HEAD, *rows]) + "\n")
    (tmp / "c.csv").write_text("patient_id,exam_pair_id,reader,series_role,lobe,count,uncountable,count_status\n"
                               + "".join(f"{p},E1,{r},ct_portal,{lobe},1,false,counted\n"
                                         for p in ("P1", "P2", "P3") for r in ("R1", "R2") for lobe in ("right", "left")))


def test_one_lesion_on_0625mm_ct_six_slices_apart_is_no_conflict(tmp_path: Path) -> None:
    """A 32 mm lesion on 0.625 mm CT: R1 measures it on slice 120, R2 on slice 126 (3.75 mm higher), middles 1.4 mm
    apart in-plane, diameters 32 and 31 mm. The same lesion, well within its craniocaudal extent; id_conflicts calls
    it two lesions (slices > 5, a count of slices, not mm)."""
    _write(tmp_path, [line("P1", "R1", "L1", 200, 200, 120, 32.0), line("P1", "R2", "L1", 202, 200, 126, 31.0)])
    m = load_csv_inputs(tmp_path / "m.csv", tmp_path / "c.csv").measurements
    assert id_conflicts(m) == []


def test_three_slices_apart_small_lesion_is_no_conflict(tmp_path: Path) -> None:
    """A 12 mm lesion on 0.625 mm CT, lines 3 slices (1.9 mm) apart and 5.5 mm apart in-plane... more than a
    quarter of 12 + 2 = 5 mm: conflict. Both lines lie inside the same 12 mm lesion."""
    _write(tmp_path, [line("P1", "R1", "L1", 200, 200, 120, 12.0), line("P1", "R2", "L1", 200 + 5.5 / 0.7, 200, 123, 11.0)])
    m = load_csv_inputs(tmp_path / "m.csv", tmp_path / "c.csv").measurements
    assert id_conflicts(m) == []


def test_one_conflict_leaves_out_its_exam_pair_only(tmp_path: Path) -> None:
    """Three patients with well-matched lesions, one thin-slice pair flagged: diameters for the whole cohort go."""
    rows = [line("P2", r, "L1", 100, 100, 10, 20.0 + i) for i, r in enumerate(("R1", "R2"))]
    rows += [line("P3", r, "L1", 150, 150, 30, 25.0 + i) for i, r in enumerate(("R1", "R2"))]
    rows += [line("P1", "R1", "L1", 200, 200, 120, 32.0), line("P1", "R2", "L1", 202, 200, 126, 31.0)]
    _write(tmp_path, rows)
    cohort = load_csv_inputs(tmp_path / "m.csv", tmp_path / "c.csv")
    table = agreement_table(from_cohort(cohort)).set_index(["analysis", "series_role", "region", "reader_a"])
    row = table.loc[("diameters", "ct_portal", "whole", "R1")]
    assert row["n_subjects"] >= 2, row["note"]
