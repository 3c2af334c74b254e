"""Session 41: plots label patients (ids from the images) and readers (names as typed); matplotlib read such text as
mathtext, so a patient id "$\\x$" (or "$$") stopped `lesionlab response`, and a reader named so `lesionlab agreement`,
with a ParseException traceback and nothing written. Text is drawn as written now."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import SHARED

HOSTILE = "$\\x$ $$"
FOLLOWUP = f"""patient_id,timepoint_date,lesion_id,kind,organ,nodal,status,diameter_mm,baseline
{HOSTILE},2024-01-10,L1,target,liver,false,measured,30,true
{HOSTILE},2024-04-10,L1,target,liver,false,measured,18,
"""


def test_a_patient_id_mathtext_would_refuse_is_drawn_as_written(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    followup = tmp_path / "followup.csv"
    followup.write_text(FOLLOWUP, encoding="utf-8")
    lines = tmp_path / "lines.csv"
    lines.write_text(f"patient_id,name,start_date,end_date\n{HOSTILE},PRRT,2024-01-20,2024-03-01\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["response", "--followup", str(followup), "--treatment-lines", str(lines), "--out", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert all((out / name).stat().st_size > 1000 for name in ("spider.png", "waterfall.png", "swimmer.png"))


def test_a_reader_name_mathtext_would_refuse_is_drawn_as_written(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    reference = SHARED / "reference" / "agreement"
    if not reference.is_dir():
        pytest.skip("../shared/reference/agreement is not beside this clone")
    for name in ("measurements.csv", "counts.csv"):
        text = (reference / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(",R1,", f",{HOSTILE},"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["agreement", "--measurements", str(tmp_path / "measurements.csv"), "--counts",
                 str(tmp_path / "counts.csv"), "--out", str(out)]) == 0
    assert f"2 reader(s) ({HOSTILE}, R2)" in capsys.readouterr().out
    assert len(list(out.glob("*.png"))) == 2
