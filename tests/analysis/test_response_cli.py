"""`lesionlab response --followup FOLLOWUP.csv --out DIR`: formats, errors, the output folder."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analysis.response_io import FOLLOWUP_COLUMNS, read_followup_csv
from analysis.response_records import RESPONSE_COLUMNS
from app.cli import main
from viewer.errors import InputFormatError

HEADER = ",".join(FOLLOWUP_COLUMNS)
GOOD = [
    "P1,2024-01-10,L1,target,liver,false,measured,40",
    "P1,2024-01-10,N1,target,lymph_node,true,measured,20",
    "P1,2024-01-10,L3,non_target,liver,false,present,",
    "P1,2024-04-10,L1,target,liver,false,measured,20",
    "P1,2024-04-10,N1,target,lymph_node,true,measured,8",
    "P1,2024-04-10,L3,non_target,liver,false,present,",
]


def _write(tmp_path: Path, lines: list[str], header: str = HEADER, name: str = "followup.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return p


def test_writes_the_issue_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["response", "--followup", str(_write(tmp_path, GOOD)), "--out", str(out)]) == 0
    with open(out / "response.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == RESPONSE_COLUMNS
    assert RESPONSE_COLUMNS == ("patient_id", "timepoint_date", "baseline_date", "days_from_baseline", "sum_mm",
                                "baseline_sum_mm", "nadir_sum_mm", "change_from_baseline_pct",
                                "change_from_nadir_pct", "target_response", "non_target_response", "new_lesions",
                                "overall_response", "best_overall_response", "nen_slow_progression",
                                "tgr_pct_per_month", "note")
    follow = dict(zip(rows[0], rows[2]))
    assert follow["sum_mm"] == "28" and follow["change_from_baseline_pct"] == "-53.3333"
    assert follow["target_response"] == "PR" and follow["overall_response"] == "PR"
    assert follow["new_lesions"] == "false" and follow["days_from_baseline"] == "91"
    assert {p.name for p in out.iterdir()} >= {"response.csv", "report.html", "spider.png", "waterfall.png",
                                                "swimmer.png"}
    assert "1 patients" in capsys.readouterr().out


def test_rows_in_any_order_and_optional_columns(tmp_path: Path) -> None:
    header = HEADER + ",baseline,series_role,slice_thickness_mm,parent_lesion_id,treated"
    lines = [f"{row},{'true' if '2024-04-10' in row else ''},ct_portal,5,,false" for row in reversed(GOOD)]
    (course,) = read_followup_csv(_write(tmp_path, lines, header))
    assert [str(d) for d in course.baseline_dates] == ["2024-04-10"]


@pytest.mark.parametrize(("line", "where", "what"), [
    ("P1,2024-04-10,L9,target,liver,false,gone,", "line 8, column 'status'", "not a FollowupStatus"),
    ("P1,2024-13-10,L9,target,liver,false,measured,3", "line 8, column 'timepoint_date'", "not a date"),
    ("P1,2024-04-10,L9,target,liver,maybe,measured,3", "line 8, column 'nodal'", "not true or false"),
    ("P1,2024-04-10,L9,target,liver,false,measured,", "line 8, column 'diameter_mm'", "needs a diameter"),
    ("P1,2024-04-10,L9,target,liver,false,too_small,4", "line 8, column 'diameter_mm'", "only when measured"),
    ("P1,2024-04-10,L9,non_target,liver,false,measured,4", "line 8, column 'status'", "non_target"),
    ("P1,2024-04-10,L1,target,liver,false,measured,3", "line 8, column 'lesion_id'", "first on line 5"),
    ("P1,2024-04-10,,target,liver,false,measured,3", "line 8, column 'lesion_id'", "must not be empty"),
])
def test_errors_name_file_line_and_column(tmp_path: Path, line: str, where: str, what: str) -> None:
    path = _write(tmp_path, [*GOOD, line])
    with pytest.raises(InputFormatError) as err:
        read_followup_csv(path)
    assert f"{path}, {where}" in str(err.value) and what in str(err.value)


def test_missing_column_named(tmp_path: Path) -> None:
    path = _write(tmp_path, [r.rsplit(",", 1)[0] for r in GOOD], HEADER.rsplit(",", 1)[0])
    with pytest.raises(InputFormatError, match="missing column.*diameter_mm"):
        read_followup_csv(path)


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["response", "--out", str(tmp_path / "o")]) == 1
    assert "--followup is required" in capsys.readouterr().err
    assert main(["response", "--followup", str(_write(tmp_path, GOOD)), "--reader", "x",
                 "--out", str(tmp_path / "o")]) == 1
    assert "has no reader column for --reader" in capsys.readouterr().err


def test_refuses_a_folder_holding_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    assert main(["response", "--followup", str(_write(tmp_path, GOOD)), "--out", str(out)]) == 1
    assert "holds other files" in capsys.readouterr().err and (out / "thesis.docx").read_text() == "precious"
    assert main(["response", "--followup", str(_write(tmp_path, GOOD)), "--out", str(tmp_path / "new")]) == 0
    assert main(["response", "--followup", str(_write(tmp_path, GOOD)), "--out", str(tmp_path / "new")]) == 0


def test_treatment_lines_file(tmp_path: Path) -> None:
    lines = _write(tmp_path, ["P1,octreotide LAR,2024-01-20,", "P1,PRRT,2024-05-01,2024-09-01"],
                   "patient_id,name,start_date,end_date", "lines.csv")
    (course,) = read_followup_csv(_write(tmp_path, GOOD), lines)
    assert [line.name for line in course.treatment_lines] == ["octreotide LAR", "PRRT"]
    bad = _write(tmp_path, ["P1,PRRT,2024-05-01,2024-04-01"], "patient_id,name,start_date,end_date", "bad.csv")
    with pytest.raises(InputFormatError, match="line 2, column 'end_date'"):
        read_followup_csv(_write(tmp_path, GOOD), bad)
