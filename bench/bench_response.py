"""The response engine on 1,000 synthetic patients x 10 timepoints (target < 2 s): the engine alone
(median of 3 runs), reading the same course from FOLLOWUP.csv, and `lesionlab response` end to end
(CSV -> response.csv, plots, report)."""

from __future__ import annotations

import csv
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

N_PATIENTS, N_TIMEPOINTS = 1000, 10
TARGET_S = 2.0


def synthetic_rows(n_patients: int = N_PATIENTS, n_timepoints: int = N_TIMEPOINTS, seed: int = 2026) -> list[dict]:
    """FOLLOWUP.csv rows: 1-5 targets (some nodal), 0-3 non-targets, random growth or shrinkage,
    too-small, disappeared and not-assessed targets, new lesions now and then."""
    rnd = random.Random(seed)
    rows = []
    for p in range(n_patients):
        pid = f"P{p:04d}"
        n_t, n_nt = rnd.randint(1, 5), rnd.randint(0, 3)
        sizes = [rnd.uniform(15, 60) for _ in range(n_t)]
        nodal = [k == 0 and rnd.random() < 0.3 for k in range(n_t)]
        trend = rnd.uniform(-0.08, 0.08)
        day = dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randint(0, 900))
        for t in range(n_timepoints):
            for k in range(n_t):
                status, d = "measured", sizes[k]
                if t:
                    sizes[k] = max(0.0, sizes[k] * (1 + trend + rnd.gauss(0, 0.05)))
                    d = sizes[k]
                    u = rnd.random()
                    status = ("not_assessed" if u < 0.02 else "disappeared" if d < 3 else
                              "too_small" if d < 5 else "measured")
                rows.append({"patient_id": pid, "timepoint_date": day.isoformat(), "lesion_id": f"T{k}",
                             "kind": "target", "organ": "lymph_node" if nodal[k] else f"organ{k // 2}",
                             "nodal": "true" if nodal[k] else "false", "status": status,
                             "diameter_mm": f"{d:.1f}" if status == "measured" else ""})
            for k in range(n_nt):
                status = "present" if not t or rnd.random() > 0.05 else rnd.choice(["absent", "unequivocal_progression"])
                rows.append({"patient_id": pid, "timepoint_date": day.isoformat(), "lesion_id": f"N{k}",
                             "kind": "non_target", "organ": "liver", "nodal": "false", "status": status,
                             "diameter_mm": ""})
            if t and rnd.random() < 0.04:
                rows.append({"patient_id": pid, "timepoint_date": day.isoformat(), "lesion_id": f"X{t}",
                             "kind": "new", "organ": "liver", "nodal": "false", "status": "present",
                             "diameter_mm": ""})
            day += dt.timedelta(days=rnd.randint(60, 180))
    return rows


def run() -> dict:
    from analysis.response import assess_courses  # noqa: PLC0415
    from analysis.response_io import read_followup_csv  # noqa: PLC0415
    from app.cli import main  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "followup.csv"
        rows = synthetic_rows()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        t0 = time.perf_counter()
        courses = read_followup_csv(path)
        read_s = time.perf_counter() - t0
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            out = assess_courses(courses)
            runs.append(time.perf_counter() - t0)
        engine_s = statistics.median(runs)
        t0 = time.perf_counter()
        assert main(["response", "--followup", str(path), "--out", str(Path(tmp) / "out")]) == 0
        cli_s = time.perf_counter() - t0
    figures = {"patients": N_PATIENTS, "timepoints": len(out), "observation_rows": len(rows),
               "engine_s": round(engine_s, 3), "read_csv_s": round(read_s, 3), "cli_end_to_end_s": round(cli_s, 2),
               "target_s": TARGET_S, "engine_within_target": engine_s < TARGET_S}
    print(f"response engine: {N_PATIENTS} patients x {N_TIMEPOINTS} timepoints ({len(rows)} lesion rows) in "
          f"{engine_s:.3f} s (median of 3; target < {TARGET_S:g} s); FOLLOWUP.csv read and validated in "
          f"{read_s:.2f} s; lesionlab response end to end {cli_s:.1f} s")
    return figures


if __name__ == "__main__":
    run()
