"""Peak memory on hostile inputs (issue 9), each case indexed and loaded in its own fresh process.

Cases (tests/viewer/hostile.py): a 7.8 KB RLE file declaring 65535 x 65535 pixels; a 32 x 32
JPEG 2000 file whose codestream declares 65535 x 65535; a 2.6 MB zip whose member inflates to
2.6 GB; a 2.6 MB deflated file inflating to 2.6 GB; and a genuine 10 MiB CT series (20 slices of
512 x 512), against the baseline of a process that only imports the modules. The RLE and JPEG 2000
cases also run with a memory budget larger than the bomb, to show the bytes-present and
codestream checks refuse it themselves. The child's address space is capped at 4 GiB.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

MIB = 1 << 20


def run() -> dict[str, object]:
    from tests.viewer.hostile import baseline_rss, measure, memory_cases

    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cases = memory_cases(Path(tmp))
        base = baseline_rss()
        figures["baseline_rss_mib"] = round(base / MIB, 1)
        print(f"{'case':<34} {'peak RSS':>10} {'over baseline':>14} {'time':>7}  outcome")
        runs = [(name, path, None) for name, path in cases.items()]
        runs += [(f"{name} (budget 10 TB)", cases[name], {"LESIONLAB_MEMORY_BUDGET_MB": "10000000"})
                 for name in ("rle_bomb_65535x65535", "j2k_siz_65535x65535")]
        for name, path, env in runs:
            (out,), peak = measure(path, env=env)
            outcome = (out["loads"][0][0] + ": " + out["loads"][0][1] if out["loads"]
                       else "skipped: " + (out["skipped"][0] if out["skipped"] else ""))
            figures[name] = {"peak_rss_mib": round(peak / MIB, 1), "over_baseline_mib": round((peak - base) / MIB, 1),
                             "seconds": round(out["seconds"], 2), "outcome": outcome[:160]}
            print(f"{name:<34} {peak / MIB:>7.0f} MiB {(peak - base) / MIB:>10.0f} MiB {out['seconds']:>6.2f}s  "
                  f"{outcome[:90]}")
    print(f"baseline (imports only): {base / MIB:.0f} MiB")
    return figures


if __name__ == "__main__":
    run()
