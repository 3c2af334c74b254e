"""`lesionlab analyze STORE` and `lesionlab analyze` of the same store's export analyse the same numbers (review39).

Since session 39 the export writes floats to 12 significant digits (annotation.cells.csv_cell): a line of 6 x 8 pixels at
0.7 mm is 6.999999999999999 mm in the store and 7.0 in measurements.csv. The store route read the store's full value,
so two series' lines of the same 7 mm (one at 0.7 mm a pixel, one at 0.5) differed by 8.9e-16 mm read from the store
and by nothing read from the export: R's wilcox.test drops a zero difference and ranks ties on the exact values, so the
paired tests of the store and of its export (and R run on that export) counted different n and gave different V and p.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.inputs import load_csv_inputs, load_store
from analysis.pairing import DiameterPairs, count_matrices
from analysis.tables import paired_tests_table
from annotation.export import export_store
from annotation.records import Measurement
from annotation.store import open_reading


def _line(rows: int, cols: int, spacing: float) -> Measurement:
    return Measurement("k", "1.2", 3, (0.0, 0.0), (float(rows), float(cols)), spacing, spacing)


def test_store_and_its_export_give_the_same_paired_tests(tmp_path: Path) -> None:
    store_path = tmp_path / "s.lesionlab"
    store, reading = open_reading(store_path, "R1")
    with reading.batch("cohort"):
        for i in range(1, 9):
            pair = (f"P{i}", "E1")
            reading.add_patient(pair[0])
            reading.add_exam_pair(*pair)
            same = reading.add_lesion(pair, "right")  # 7 mm on both series, computed two ways
            reading.set_observation(pair, same, "ct_portal", _line(6, 8, 0.7))  # 6.999999999999999
            reading.set_observation(pair, same, "mr_dwi", _line(0, 14, 0.5))  # 7.0
            other = reading.add_lesion(pair, "left")  # a real difference, so the test has pairs to rank
            reading.set_observation(pair, other, "ct_portal", _line(0, 20 + i, 0.5))
            reading.set_observation(pair, other, "mr_dwi", _line(0, 20, 0.5))
    store.close()
    export_store(store_path, tmp_path / "export")

    def tests(cohort) -> pd.DataFrame:  # type: ignore[no-untyped-def]
        table = paired_tests_table(DiameterPairs.from_measurements(cohort.measurements), count_matrices(cohort.counts))
        return table[(table["series_a"] == "mr_dwi") & (table["series_b"] == "ct_portal")
                     & (table["level"] == "lesion")].reset_index(drop=True)

    from_store = tests(load_store(store_path))
    from_export = tests(load_csv_inputs(tmp_path / "export" / "measurements.csv", tmp_path / "export" / "counts.csv"))
    assert len(from_store) == len(from_export) == 1
    for col in ("n", "wilcoxon_v", "wilcoxon_p", "ttest_p", "mean_diff"):
        a, b = from_store[col].iloc[0], from_export[col].iloc[0]
        assert (pd.isna(a) and pd.isna(b)) or np.float64(a) == np.float64(b), (col, a, b)
