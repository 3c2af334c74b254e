"""`lesionlab analyze` of export tables whose readers numbered their own lesions (res49: a pseudonymised export of a
three-reader study, `lesionlab study reads` then `export --pseudonymise`): its agreement section could pair no
lesion by id, every diameter and detection row n = 0. `lesionlab agreement` of the same files said why on the
terminal ("Note: the lesions of S001 E1, … were not paired: readers' lesion ids name different lesions there …");
`analyze` said nothing there (only report.html and agreement.csv's notes did), so a researcher reading the summary
took the analysis for complete. Now its summary says it too."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main as cli
from tests.analysis.test_agreement_id_conflicts import _write, line


def test_analyze_says_on_the_terminal_that_readers_lesion_ids_could_not_be_paired(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [line("P1", "R1", "L1", 100, 100, 10, 20.0), line("P1", "R2", "L1", 250, 250, 22, 31.0),  # 2 lesions
            line("P2", "R1", "L1", 150, 150, 30, 25.0), line("P2", "R2", "L1", 150, 151, 30, 26.0)]
    _write(tmp_path, rows)
    m, c = str(tmp_path / "m.csv"), str(tmp_path / "c.csv")
    assert cli(["agreement", "--measurements", m, "--counts", c, "--out", str(tmp_path / "agree")]) == 0
    said = capsys.readouterr().out
    assert "the lesions of P1 E1 were not paired: readers' lesion ids name different lesions there" in said, said
    assert cli(["analyze", "--measurements", m, "--counts", c, "--out", str(tmp_path / "out")]) == 0
    said = capsys.readouterr().out
    assert ("Agreement between readers: the lesions of P1 E1 were not paired: readers' lesion ids name different "
            "lesions there") in said, said
    # readers who share lesion ids are paired: nothing to say
    _write(tmp_path, [line("P2", "R1", "L1", 150, 150, 30, 25.0), line("P2", "R2", "L1", 150, 151, 30, 26.0)])
    assert cli(["analyze", "--measurements", m, "--counts", c, "--out", str(tmp_path / "out2")]) == 0
    assert "were not paired" not in capsys.readouterr().out
