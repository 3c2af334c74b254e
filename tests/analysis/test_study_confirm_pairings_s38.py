"""A coordinator's audit (session 37): `Study.confirm_pairings` had no command, so a study's pairs of a reader's MRI
and CT lesions could only be the proposal by position. `lesionlab study confirm-pairings` lists a reader's two
session reads of a case, the proposal and the last confirmation, records the pairs given or proposed with who
confirmed them and when, and `study reads` uses them (its pairing table says by whom)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from analysis.study_pairing import placed_stacks, propose_pairing
from analysis.study_sample import SimulatedStudy
from annotation.store import ReadingStore
from annotation.study_store import Study
from app.cli import main
from tests.analysis.test_study_sample import sim  # noqa: F401 - the simulated study, one per module
from tests.conftest import SAMPLE_DICOM


@pytest.fixture
def store(sim: SimulatedStudy, tmp_path: Path) -> Path:  # noqa: F811
    copy = tmp_path / "study.lesionlab"
    copy.write_bytes(sim.store.read_bytes())
    return copy


def confirmed(store: Path) -> dict[tuple[str, str], dict[str, str]]:
    with ReadingStore.open(store, read_only=True) as opened:
        return Study(opened).confirmed_pairings()


def test_confirm_pairings_lists_records_who_and_study_reads_uses_them(sim: SimulatedStudy, store: Path,  # noqa: F811
                                                                     tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = sim.definition.cases[0].code
    base = ["study", "confirm-pairings", str(store), "--reader", "R1", "--case", code]
    # without --pair or --proposed: the two reads listed, nothing recorded
    assert main(base) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"R1's lesions of case {code}:\n  MRI:\n    L1 (") and "\n  CT:\n    L1 (" in out, out
    assert "confirmed: nothing yet" in out and confirmed(store) == {}
    # --proposed: the pairs by registered position, as propose_pairing gives them, recorded by the adjudicator
    with ReadingStore.open(store, read_only=True) as opened:
        proposal = propose_pairing(opened.load(), sim.definition, "R1", code, placed_stacks(SAMPLE_DICOM))
    expected = {p.first_lesion: p.second_lesion for p in proposal.pairs}
    assert len(expected) >= 2
    assert main([*base, "--proposed", "--dicom", str(SAMPLE_DICOM)]) == 0
    out = capsys.readouterr().out
    assert "proposed by position: MRI " in out and "\nconfirmed by consensus at 20" in out, out
    for a, b in expected.items():
        assert f"\n  MRI {a} = CT {b}\n" in out, out
    assert confirmed(store) == {("R1", code): expected}
    # the adjudicator changes them: the latest confirmation is the one used
    first, second = sorted(expected.items())[0]
    assert main([*base, "--pair", f"{first}={second}"]) == 0
    out = capsys.readouterr().out
    assert f"confirmed by consensus at" in out and "  unpaired: MRI " in out, out
    assert confirmed(store) == {("R1", code): {first: second}}
    reads = tmp_path / "reads.lesionlab"
    assert main(["study", "reads", str(store), str(reads)]) == 0
    table = pd.read_csv(tmp_path / "reads-pairing.csv", keep_default_na=False)
    row = table[(table["reader"] == "R1") & (table["code"] == code)].iloc[0]
    assert row["paired"] == 1 and str(row["confirmed"]) == "True" and row["confirmed_by"].startswith("consensus at 20")
    assert (table[table["reader"] == "R2"]["confirmed_by"] == "").all()


def test_confirm_pairings_refuses_what_it_cannot_record(sim: SimulatedStudy, store: Path, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    code = sim.definition.cases[0].code
    base = ["study", "confirm-pairings", str(store), "--reader", "R1", "--case", code]
    for argv, said in (([*base, "--pair", "L1=L99"], "R1@CT has no lesion L99 (it has L1, "),
                       ([*base, "--pair", "L1"], "--pair 'L1': give FIRST=SECOND"),
                       ([*base, "--pair", "L1=L1", "--pair", "L2=L1"], "a lesion of R1@CT is paired twice"),
                       ([*base, "--proposed"], "it needs --dicom PATH"),
                       (["study", "confirm-pairings", str(store), "--reader", "R9", "--case", code],
                        "'R9' is not a reader of study")):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err, err
    with sqlite3.connect(store) as con:  # R1 reopened the CT read of the case: its lesions may still change
        con.execute("UPDATE study_reads SET finished_at_utc = NULL WHERE reader = 'R1' AND session = 'CT' AND code = ?",
                    (code,))
    assert main([*base, "--pair", "L1=L1"]) == 1
    assert f"case {code}: R1's read of session CT is not finished" in capsys.readouterr().err
    assert confirmed(store) == {}
