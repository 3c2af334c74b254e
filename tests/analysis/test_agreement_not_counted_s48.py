"""Session 48's reader study: `lesionlab agreement` said of mr_dwi detection "no lesion seen by either reader" where
both readers had measured a lesion on DWI b800 (R1 24.9 mm, R2 31.8 mm) and neither had counted the series. Detection
compares the series both read (from a store: their count marks, analysis/agreement_store.py); the row now says the
series was not counted and that lines were measured, and keeps "no lesion seen" for series both counted."""

from __future__ import annotations

import pandas as pd

from analysis.agreement import agreement_table
from analysis.agreement_data import DETECTION_COLUMNS, DIAMETER_COLUMNS, ReaderReads

COUNT_COLUMNS = ["patient_id", "exam_pair_id", "reader", "series_role", "lobe", "count"]


def _reads(counted: dict[str, list[str]]) -> ReaderReads:
    """R1 and R2 measured one lesion each on DWI; ``counted``: the roles each reader counted (0 on both lobes)."""
    diameters = pd.DataFrame([("P1", "E1", "mr_dwi", "s1", "R1", 24.9), ("P1", "E1", "mr_dwi", "s2", "R2", 31.8)],
                             columns=list(DIAMETER_COLUMNS))
    counts = pd.DataFrame([("P1", "E1", r, role, lobe, 0.0) for r, roles in counted.items() for role in roles
                           for lobe in ("right", "left")], columns=COUNT_COLUMNS)
    return ReaderReads(diameters, pd.DataFrame(columns=list(DETECTION_COLUMNS)), counts, ("R1", "R2"), "position")


def _note(reads: ReaderReads, role: str) -> str:
    t = agreement_table(reads)
    return str(t[(t["analysis"] == "detection") & (t["series_role"] == role)]["note"].iloc[0])


def test_a_series_measured_but_counted_by_neither_is_not_said_to_have_no_lesion() -> None:
    """(Checked: fails without analysis/agreement.py's _no_detection.)"""
    reads = _reads({"R1": ["mr_t2fs"], "R2": ["mr_t2fs"]})
    dwi = _note(reads, "mr_dwi")
    assert "no lesion seen" not in dwi, dwi
    assert dwi.startswith("not counted by either reader (2 lines measured: detection compares the count marks)"), dwi
    assert _note(reads, "mr_t2fs").startswith("no lesion seen by either reader")  # both counted 0: true
    assert _note(reads, "ct_portal").startswith("not counted by either reader;"), _note(reads, "ct_portal")


def test_a_series_counted_by_one_reader_only_says_who_did_not() -> None:
    reads = _reads({"R1": ["mr_dwi"], "R2": []})
    assert _note(reads, "mr_dwi").startswith("not counted by R2 (2 lines measured"), _note(reads, "mr_dwi")
