"""Peak memory of the analysis on a 10 MB input (issue 9), each case in its own fresh process.

The input is the synthetic cohort (analysis/testing.py) grown until measurements.csv + counts.csv
reach 10 MB, once as lesionlab writes it and once as a French Excel saves it (semicolons, decimal
commas, cp1252, a ``sep=;`` line), so the detecting reader (analysis/csvfile.py) is measured too.
Cases: imports only (baseline); read + validate; read + validate + analyse (every table and plot,
in memory). Peak RSS is the child's ru_maxrss.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

MIB = 1 << 20
TARGET_BYTES = 10_000_000
ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from analysis.inputs import load_csv_inputs
from analysis.pipeline import analyse
mode, m, c = sys.argv[1:4]
t0 = time.perf_counter()
if mode != "baseline":
    cohort = load_csv_inputs(m, c)
    if mode == "analyse":
        analyse(cohort)
print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "seconds": time.perf_counter() - t0}))
"""


def _write_inputs(folder: Path) -> dict[str, tuple[Path, Path]]:
    import pandas as pd  # noqa: PLC0415

    from analysis.testing import synthetic_cohort  # noqa: PLC0415

    n = 2000
    while True:
        m, c, _ = synthetic_cohort(n, seed=11)
        plain = (m.to_csv(index=False, lineterminator="\n"), c.to_csv(index=False, lineterminator="\n"))
        size = sum(len(t.encode()) for t in plain)
        if size >= TARGET_BYTES:
            break
        n = int(n * TARGET_BYTES / size) + 50
    out: dict[str, tuple[Path, Path]] = {}
    paths = (folder / "measurements.csv", folder / "counts.csv")
    for path, text in zip(paths, plain):
        path.write_text(text, encoding="utf-8")
    out["lesionlab CSV"] = paths
    m = m.assign(diameter_mm=pd.to_numeric(m["diameter_mm"].replace("", None)).astype(float),
                 reader="H\u00e9l\u00e8ne")
    c = c.assign(reader="H\u00e9l\u00e8ne").replace({"true": "VRAI", "false": "FAUX"})
    fr = (folder / "m_fr.csv", folder / "c_fr.csv")
    for path, df in zip(fr, (m, c)):
        text = "sep=;\r\n" + df.to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
        path.write_bytes(text.encode("cp1252"))
    out["French Excel CSV"] = fr
    print(f"input: {n} patients, {size / 1e6:.1f} MB ({len(m)} measurement rows, {len(c)} count rows)")
    return out


def _child(mode: str, m: Path, c: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(m), str(c)], cwd=ROOT, capture_output=True,
                          text=True, check=True, env={"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"peak_mib": data["peak_kib"] / 1024, "seconds": data["seconds"]}


def run() -> dict[str, object]:
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = _write_inputs(Path(tmp))
        base = _child("baseline", *inputs["lesionlab CSV"])
        figures["baseline_peak_mib"] = round(base["peak_mib"], 1)
        print(f"{'case':<44} {'peak RSS':>10} {'over baseline':>14} {'time':>8}")
        for name, (m, c) in inputs.items():
            for mode in ("read", "analyse"):
                r = _child(mode, m, c)
                key = f"{name}, {'read + validate' if mode == 'read' else 'read + validate + analyse'}"
                figures[key] = {"peak_mib": round(r["peak_mib"], 1),
                                "over_baseline_mib": round(r["peak_mib"] - base["peak_mib"], 1),
                                "seconds": round(r["seconds"], 2)}
                print(f"{key:<44} {r['peak_mib']:>6.0f} MiB {r['peak_mib'] - base['peak_mib']:>10.0f} MiB "
                      f"{r['seconds']:>7.1f}s")
    print(f"baseline (imports only): {base['peak_mib']:.0f} MiB")
    return figures


if __name__ == "__main__":
    run()
