"""counts.csv count_status: a series not read is left out (and counted as left out), never a 0."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.inputs import raw_from_frame, validate_counts
from analysis.pairing import count_matrices
from analysis.schema import ROLE_VALUES, Region
from analysis.tables import detection_table, paired_tests_table
from analysis.pairing import DiameterPairs
from analysis.inputs import validate_measurements
from viewer.errors import InputFormatError

COLS = ["patient_id", "exam_pair_id", "reader", "series_role", "lobe", "count", "uncountable", "count_status"]


def table(statuses: dict[str, str], n_pairs: int = 3) -> pd.DataFrame:
    rows = []
    for p in range(n_pairs):
        for role in ROLE_VALUES:
            status = statuses.get(role, "counted")
            for lobe in ("right", "left"):
                count = {"counted": 13 if role == "mr_dwi" else 2 + p}.get(status, "")
                rows.append([f"P{p}", "E1", "R1", role, lobe, count, status == "not_countable", status])
    return pd.DataFrame(rows, columns=COLS).astype({"count": object})


def test_the_reported_defect_t2fs_never_read_is_not_tested_as_zero():
    counts = validate_counts(raw_from_frame(table({"mr_t2fs": "not_read"}), "counts"))
    tests = paired_tests_table(DiameterPairs.from_measurements(validate_measurements(raw_from_frame(
        pd.DataFrame(columns=["patient_id", "exam_pair_id", "reader", "lesion_id", "lobe", "series_role",
                              "diameter_mm", "status"]), "m"))), count_matrices(counts))
    row = tests[(tests.analysis == "counts") & (tests.region == "whole") & (tests.series_a == "mr_t2fs")
                & (tests.series_b == "mr_dwi")].iloc[0]
    assert row.n == 0 and "3 read(s) of an exam pair left out as not read on mr_t2fs or mr_dwi" in row.note
    det = detection_table(count_matrices(counts)).set_index(["series_role", "region"])
    assert det.loc[("mr_t2fs", "whole"), "n_not_read"] == 3 and det.loc[("mr_t2fs", "whole"), "n_exam_pairs"] == 0
    assert det.loc[("mr_dwi", "whole"), "n_not_read"] == 0 and det.loc[("mr_dwi", "whole"), "total"] == 78


def test_a_file_without_count_status_means_counted():
    old = table({"ct_portal": "not_countable"}).drop(columns="count_status")
    counts = validate_counts(raw_from_frame(old, "counts"))
    assert set(counts.count_status) == {"counted", "not_countable"}
    m = count_matrices(counts)[Region.WHOLE]
    assert m.values["ct_portal"].isna().all() and not m.not_read.any().any()


@pytest.mark.parametrize("bad, message", [
    ({"count": "3", "count_status": "not_read"}, "whose count_status is not_read"),
    ({"count": "", "count_status": "counted"}, "empty count"),
    ({"count_status": "not_countable"}, "disagrees with uncountable"),
    ({"count_status": "zero"}, "unknown value"),
])
def test_inconsistent_rows_are_refused_naming_the_row(bad, message):
    df = table({}).astype(str)
    for col, value in bad.items():
        df.loc[4, col] = value
    with pytest.raises(InputFormatError, match=message) as err:
        validate_counts(raw_from_frame(df, "counts"))
    assert "row 5" in str(err.value)
