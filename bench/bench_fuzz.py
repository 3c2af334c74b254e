"""A larger fuzzing campaign than the suite's (issue 9): mutants of files of every transfer syntax
and of ../shared/realdicom through the header reader, indexer and loader (tests/viewer/fuzz_runner.py).

Prints the outcomes overall and by mutation kind, the failures (bugs, hangs, crashes: expected
none), the wall and CPU time and the child's peak RSS. Two seeds of 10,000 mutants each.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

MUTANTS = 10_000
SEEDS = (1, 2)


def run() -> dict[str, object]:
    from tests.conftest import REALDICOM
    from tests.viewer.fuzz_runner import run_fuzz, scratch_dir, write_seeds

    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seeds = write_seeds(Path(tmp), REALDICOM if REALDICOM.is_dir() else None)
        figures["seed_files"] = len(seeds)
        for seed in SEEDS:
            work = scratch_dir()
            try:
                report = run_fuzz(seeds, MUTANTS, seed, work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            summary = report.summary()
            summary["failure_rows"] = report.failures[:20]
            figures[f"seed_{seed}"] = summary
            print(json.dumps(summary, indent=1))
    return figures


if __name__ == "__main__":
    run()
