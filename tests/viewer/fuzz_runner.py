"""Run lesionlab's header reader, indexer and loader on DICOM mutants, each bounded in time and memory.

:func:`run_fuzz` starts a child process (``python -m tests.viewer.fuzz_runner``) that mutates seed
files (:mod:`tests.viewer.fuzz_mutator`), runs each mutant through ``read_headers`` ->
``index_headers`` (strict JSON) -> ``VolumeLoader(...).load`` and prints one JSON line per
mutant. The parent reads the lines with a per-mutant time limit: a mutant that takes longer is a
hang, the child is killed and a new one resumes after it; a child that dies is a crash. The child
runs under an address-space limit and a small memory budget, and reports its peak RSS.

Outcomes (``kind:detail``): ``loaded``, ``refused:<LesionlabError subclass>`` (the loader said
why), ``skipped`` (the header reader said why), ``unparsed:<exception>`` (pydicom could not parse
the header: a skip with the parser's reason), ``non_image``, ``index_skipped`` (the indexer left
the image out, with a reason), and the failures ``bug:<exception>`` (anything else escaping
lesionlab), ``hang`` and ``crash``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import select
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAILURES = ("bug", "hang", "crash")


@dataclass
class FuzzReport:
    """What happened to every mutant, and the child's peak memory."""

    mutants: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    failures: list[dict[str, object]] = field(default_factory=list)
    peak_rss_bytes: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of the child processes (user + system): what one core spends

    def add(self, row: dict[str, object]) -> None:
        self.mutants += 1
        outcome = str(row["outcome"])
        self.outcomes[outcome] += 1
        self.by_kind.setdefault(str(row["kind"]), Counter())[outcome.split(":")[0]] += 1
        if outcome.split(":")[0] in FAILURES:
            self.failures.append(row)

    def summary(self) -> dict[str, object]:
        return {"mutants": self.mutants, "seconds": round(self.seconds, 1), "cpu_seconds": round(self.cpu_seconds, 1),
                "peak_rss_mib": round(self.peak_rss_bytes / 2 ** 20, 1),
                "outcomes": dict(sorted(self.outcomes.items())),
                "by_kind": {k: dict(sorted(v.items())) for k, v in sorted(self.by_kind.items())},
                "failures": len(self.failures)}


# ------------------------------------------------------------------------------------------ child
def try_file(path: Path) -> tuple[str, str]:
    """Outcome and detail of one file through read_headers, index_headers and the loader."""
    from viewer.dicomio import headers
    from viewer.errors import LesionlabError
    from viewer.index import index_headers
    from viewer.loader import VolumeLoader
    from viewer.records import FileRef, NonImageObject, SkippedFile

    try:
        result = headers._read(FileRef(str(path)))  # the walk without read_headers' last-resort catch
    except Exception as exc:  # what the catch-all would have hidden: classified below
        return _escaped(exc)
    if isinstance(result, SkippedFile):
        m = re.match(r"unreadable header \((\w+):", result.reason)
        return (f"unparsed:{m.group(1)}" if m else "skipped"), result.reason[:200]
    if isinstance(result, NonImageObject):
        return "non_image", result.kind.value
    try:
        index = index_headers([result])
        json.dumps([_scalars(s) for s in index.stacks], allow_nan=False)  # no NaN reaches an index entry
    except Exception as exc:
        return f"bug:{type(exc).__name__}", _where(exc)
    if not index.stacks:
        return "index_skipped", index.skipped[0].reason[:200] if index.skipped else ""
    outcome, detail = "loaded", ""
    for stack in index.stacks:
        try:
            VolumeLoader(stack).load(order="ascending", workers=1)
        except LesionlabError as exc:
            outcome, detail = f"refused:{type(exc).__name__}", str(exc)[:200]
        except Exception as exc:
            return f"bug:{type(exc).__name__}", _where(exc)
    return outcome, detail


def _scalars(stack: object) -> dict[str, object]:
    """A stack's fields but its images (StackInfo.to_json's asdict copies every header first)."""
    import dataclasses
    return {f.name: getattr(stack, f.name) for f in dataclasses.fields(stack) if f.name != "images"}  # type: ignore[arg-type]


#: Exceptions pydicom raises on headers it cannot parse; escaping the walk they become a skip
#: "unreadable header (...)" by read_headers' own catch. Any other type, or any exception
#: raised in lesionlab's code, is a bug.
PARSER_ERRORS = ("InvalidDicomError", "ValueError", "EOFError", "OSError", "struct.error", "error", "KeyError",
                 "TypeError", "NotImplementedError", "UnicodeDecodeError", "LookupError", "OverflowError",
                 "IndexError", "AttributeError", "BytesLengthException")


def _escaped(exc: BaseException) -> tuple[str, str]:
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    inside_pydicom = last is not None and "/pydicom/" in last.filename
    name = type(exc).__name__
    if inside_pydicom and name in PARSER_ERRORS:
        return f"unparsed:{name}", _where(exc)
    return f"bug:{name}", _where(exc)


def _where(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/lesionlab" in f.filename or
              "/viewer/" in f.filename or "/pydicom/" in f.filename]
    here = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames[-4:]))
    return f"{type(exc).__name__}: {str(exc)[:160]} at {here}"


def child(seeds: list[Path], seed: int, start: int, stop: int, work: Path) -> None:
    from tests.viewer.fuzz_mutator import mutant, seed_choice

    import warnings
    warnings.simplefilter("ignore")  # pydicom warns on every invalid value a mutant holds
    work.mkdir(parents=True, exist_ok=True)
    cache: dict[Path, bytes] = {}
    out = sys.stdout
    for i in range(start, stop):
        src = seed_choice(seeds, seed, i)
        data = cache.get(src) or cache.setdefault(src, src.read_bytes())
        kind, detail, mutated = mutant(data, seed, i)
        path = work / f"mutant{os.getpid()}.dcm"
        path.write_bytes(mutated)
        out.write(json.dumps({"begin": i}) + "\n")
        out.flush()
        outcome, why = try_file(path)
        out.write(json.dumps({"i": i, "seed_file": src.name, "kind": kind, "detail": detail, "outcome": outcome,
                              "why": why}) + "\n")
        out.flush()
    from tests.viewer.hostile import peak_rss_bytes
    out.write(json.dumps({"done": True, "peak_rss": peak_rss_bytes()}) + "\n")
    out.flush()


def write_seeds(folder: Path, real: Path | None = None) -> list[Path]:
    """Seed files: a CT slice in every transfer syntax tests/dicomgen.py writes, enhanced multi-frame
    MR (native, RLE, JPEG 2000, JPEG-LS), a DWI slice with a b-value, and one file of each folder of
    ``real`` (../shared/realdicom) when given."""
    import numpy as np

    from tests.dicomgen import WRITABLE_SYNTAXES, JPEGBaseline8Bit, write_enhanced_mr, write_series

    rng = np.random.default_rng(9)
    paths: list[Path] = []
    for k, ts in enumerate(WRITABLE_SYNTAXES):
        dtype = np.uint8 if ts == JPEGBaseline8Bit else np.int16
        stored = rng.integers(0, 200, (1, 32, 32)).astype(dtype)
        extra = {} if ts == JPEGBaseline8Bit else {"RescaleSlope": 1, "RescaleIntercept": -1024}
        paths += write_series(folder / f"ct{k}", stored, transfer_syntax=ts, slice_thickness_mm=2.5,
                              extra={**extra, "WindowCenter": 40, "WindowWidth": 400}, seed=f"fuzz{k}")
    for k, ts in enumerate(("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.90",
                            "1.2.840.10008.1.2.4.80")):
        stored = rng.integers(0, 900, (3, 32, 32)).astype(np.uint16)
        paths.append(write_enhanced_mr(folder / f"mf{k}.dcm", stored, b_values=[0, 800, 800],
                                       transfer_syntax=ts, seed=f"fuzzmf{k}"))
    paths += write_series(folder / "dwi", rng.integers(0, 900, (1, 32, 32)).astype(np.uint16), modality="MR",
                          series_description="ep2d_diff_b800", extra={"DiffusionBValue": 800.0, "EchoTime": 70},
                          seed="fuzzdwi")
    if real is not None and real.is_dir():
        for sub in sorted(d for d in real.iterdir() if d.is_dir() and d.name != "LICENSES"):
            first = next((f for f in sorted(sub.rglob("*")) if f.is_file()), None)
            if first is not None:
                paths.append(first)
    return paths


# ------------------------------------------------------------------------------------------ parent
def scratch_dir() -> Path:
    """Where mutants are written: memory (/dev/shm) when the system has it, else the temp folder."""
    import tempfile
    shm = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix="lesionlab-fuzz-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))


def run_fuzz(seeds: list[Path], n: int, seed: int, work: Path, per_mutant_s: float = 10.0,
             budget_mb: int = 1024, address_space_bytes: int = 4 << 30, start: int = 0) -> FuzzReport:
    """Mutants ``start`` .. ``start + n - 1`` of ``seeds`` under ``seed``, each within ``per_mutant_s``."""
    report = FuzzReport()
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    i, stop = start, start + n
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LESIONLAB_MEMORY_BUDGET_MB": str(budget_mb),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    while i < stop:
        cmd = [sys.executable, "-m", "tests.viewer.fuzz_runner", "--seed", str(seed), "--start", str(i),
               "--stop", str(stop), "--work", str(work), "--address-space", str(address_space_bytes),
               *map(str, seeds)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        current: int | None = None
        deadline = time.monotonic() + 120  # the child's start-up
        finished = False
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:  # hang: the mutant (or the start-up) took too long
                proc.kill()
                proc.wait()
                if current is not None:
                    report.add({"i": current, "kind": "?", "outcome": "hang", "why": f"> {per_mutant_s} s"})
                    i = current + 1
                break
            line = proc.stdout.readline()
            if not line:  # the child died
                proc.wait()
                if current is not None:
                    report.add({"i": current, "kind": "?", "outcome": "crash", "why": f"exit {proc.returncode}"})
                    i = current + 1
                else:
                    raise RuntimeError(f"the fuzz child failed to start (exit {proc.returncode})")
                break
            row = json.loads(line)
            if "begin" in row:
                current = int(row["begin"])
                deadline = time.monotonic() + per_mutant_s
            elif row.get("done"):
                report.peak_rss_bytes = max(report.peak_rss_bytes, int(row["peak_rss"]))
                proc.wait()
                finished = True
                break
            else:
                report.add(row)
                current = None
                i = int(row["i"]) + 1
        if finished:
            break
    report.seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="+", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--stop", type=int, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--address-space", type=int, default=4 << 30)
    args = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_AS, (args.address_space, args.address_space))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    child(args.seeds, args.seed, args.start, args.stop, args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
