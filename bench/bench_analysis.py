"""`lesionlab analyze` on a synthetic cohort of 1,000 patients (1-3 exam pairs each, up to 5
lesions per exam pair on six series, counts per lobe): seconds from the CSV files to a finished
output folder (validation, 75 paired comparisons, tables, plots, xlsx, report). Target < 10 s.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

N_PATIENTS = 1000
TARGET_S = 10.0


def run() -> dict:
    from analysis.inputs import load_csv_inputs  # noqa: PLC0415
    from analysis.pipeline import analyse, write_outputs  # noqa: PLC0415
    from analysis.testing import write_synthetic_csvs  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = write_synthetic_csvs(Path(tmp) / "cohort", N_PATIENTS, seed=2026)
        generate_s = time.perf_counter() - t0
        rows = {name: sum(1 for _ in path.open()) - 1 for name, path in paths.items()}

        t0 = time.perf_counter()
        cohort = load_csv_inputs(paths["measurements"], paths["counts"], paths["patients"])
        t1 = time.perf_counter()
        result = analyse(cohort, [("mr_dwi", "ct_arterial")])
        t2 = time.perf_counter()
        write_outputs(result, Path(tmp) / "out")
        t3 = time.perf_counter()
    figures = {
        "patients": N_PATIENTS,
        "measurement_rows": rows["measurements"],
        "count_rows": rows["counts"],
        "generate_s": round(generate_s, 2),
        "read_validate_s": round(t1 - t0, 2),
        "analyse_and_plot_s": round(t2 - t1, 2),
        "write_xlsx_report_s": round(t3 - t2, 2),
        "end_to_end_s": round(t3 - t0, 2),
        "target_s": TARGET_S,
    }
    print(f"analysis of {N_PATIENTS} patients ({rows['measurements']} measurement rows, "
          f"{rows['counts']} count rows): {figures['end_to_end_s']:.2f} s end to end "
          f"(read+validate {figures['read_validate_s']:.2f} s, analyse+plots "
          f"{figures['analyse_and_plot_s']:.2f} s, write {figures['write_xlsx_report_s']:.2f} s; "
          f"target < {TARGET_S:.0f} s)")
    return figures


if __name__ == "__main__":
    run()
