"""`make bench`: run every bench/bench_*.py in this one process and collect their figures.

Each module has ``run() -> dict`` returning named figures (already printed by the module as it
goes). All of them are written to bench/results.json. Run one with ``python -m bench NAME``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    failed = []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        try:
            figures = importlib.import_module(f"bench.{name}").run()
        except Exception as exc:  # one broken benchmark must not hide the others
            print(f"{name} FAILED: {exc!r}")
            failed.append(name)
            continue
        figures["_seconds"] = round(time.perf_counter() - t0, 2)
        results[name.removeprefix("bench_")] = figures
    results_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"\nfigures written to {results_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
