"""Registration benchmark: the proposed alignment of every sample exam pair, against the ground truth.

For each pair (CT and MRI of LLSYN001-003; LLSYN001's baseline CT against each follow-up CT),
each lesion's ground-truth centre in the moving exam (``centre_mm[<exam_id>]``) is mapped by the
proposal and compared in 3D with its centre in the fixed exam: mean and max distance, before
(the frames' table offsets only: what a reader gets from a perfect landmark on the body) and
after. Timing: the median over repeats of the wall clock and of the process's CPU time (ITK's
pool threads included), volumes already loaded, as the workstation calls it. The machine is
shared, so the CPU time is the figure to hold against the 500 ms goal.

Also measured: the choice of volumes (every MRI series against CT portal and CT arterial), the
whole-body focus against the liver focus (LLSYN003: the liver moves 15 mm against the body),
the main thread's longest wait for the GIL while a proposal runs in a worker, and unrelated
volumes (noise), which must be refused.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_dicom"
REPEATS = 5


@dataclass(frozen=True)
class Loaded:
    array: np.ndarray
    geometry: Any
    units: str


def _truth(patient: str) -> dict[str, Any]:
    truth: dict[str, Any] = json.loads((SAMPLE / "ground_truth" / f"{patient}.json").read_text())
    return truth


def _load(patient: str, exam_id: str, role: str, b_value: float | None = None) -> Loaded:
    """One series of one exam, loaded as the workstation loads it (index + loader)."""
    from viewer.index import index_path
    from viewer.loader import load_stack

    exam = next(e for e in _truth(patient)["exams"] if e["exam_id"] == exam_id)
    entry = next(s for s in exam["series"] if s["role"] == role)
    stacks = [s for s in index_path(SAMPLE / entry["folder"], workers=1).stacks
              if b_value is None or s.b_value == b_value]
    vol = load_stack(stacks[0])
    return Loaded(vol.array, vol.geometry, vol.units)


def lesion_distances(patient: str, fixed_exam: str, moving_exam: str, apply: Any) -> np.ndarray:
    """3D distance per lesion between its fixed-exam centre and its moving-exam centre mapped by ``apply``."""
    out = []
    for les in _truth(patient)["lesions"]:
        c = les["centre_mm"]
        if fixed_exam in c and moving_exam in c:
            out.append(float(np.linalg.norm(np.asarray(apply(c[moving_exam])) - np.asarray(c[fixed_exam]))))
    return np.asarray(out)


def table_offset_only(patient: str, fixed_exam: str, moving_exam: str) -> Any:
    """The translation between the frames (body-fixed): what aligns the table, not the breathing liver."""
    exams = {e["exam_id"]: e for e in _truth(patient)["exams"]}
    t = np.asarray(exams[fixed_exam]["offset_from_body_mm"]) - np.asarray(exams[moving_exam]["offset_from_body_mm"])
    return lambda p: np.asarray(p) + t


def _timed(fixed: Loaded, moving: Loaded, repeats: int, **kw: Any) -> tuple[Any, float, float]:
    """The proposal, the median wall time and the median CPU time of the whole process (ITK's
    pool threads included; nothing else runs in this process meanwhile)."""
    from viewer.registration import propose_alignment

    walls, cpus = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        prop = propose_alignment(fixed, moving, **kw)
        cpus.append((time.process_time() - c0) * 1000)
        assert prop is not None
        walls.append(prop.elapsed_ms)
    return prop, statistics.median(walls), statistics.median(cpus)


def _row(label: str, patient: str, fixed_exam: str, moving_exam: str, prop: Any, wall: float, cpu: float,
         before: np.ndarray | None = None) -> dict[str, Any]:
    after = lesion_distances(patient, fixed_exam, moving_exam, prop.apply)
    row = {"pair": label, "lesions": int(after.size), "after_mean_mm": round(float(after.mean()), 2),
           "after_max_mm": round(float(after.max()), 2), "outcome": prop.outcome.value, "focus": prop.focus.value,
           "wall_ms_median": round(wall), "cpu_ms_median": round(cpu), "iterations": prop.iterations,
           "rotation_deg": round(prop.rotation_deg, 2)}
    if before is not None:
        row["before_mean_mm"], row["before_max_mm"] = round(float(before.mean()), 2), round(float(before.max()), 2)
    extra = f" ({prop.reason})" if prop.reason else ""
    head = f"before {row['before_mean_mm']:5.2f}/{row['before_max_mm']:5.2f} mm, " if before is not None else ""
    print(f"  {label:42s} {row['lesions']:2d} lesions: {head}after {row['after_mean_mm']:4.2f}/"
          f"{row['after_max_mm']:4.2f} mm (mean/max); {row['outcome']} ({row['focus']}), "
          f"{row['wall_ms_median']} ms wall, {row['cpu_ms_median']} ms CPU, {prop.iterations} it{extra}", flush=True)
    return row


PAIRS = [("LLSYN001", "ct", "mr"), ("LLSYN002", "ct", "mr"), ("LLSYN003", "ct", "mr")]
FOLLOW_UP = [("LLSYN001", "ct_tp2", "ct"), ("LLSYN001", "ct_tp3", "ct")]
MR_CHOICES = [("mr_t1_portal", None), ("mr_t1_arterial", None), ("mr_t1_pre", None), ("mr_t2fs", None),
              ("mr_dwi", 0.0), ("mr_dwi", 800.0), ("mr_adc", None)]


def _gil_wait_ms(fixed: Loaded, moving: Loaded) -> tuple[float, float]:
    """Longest gap of a 2 ms sleep loop in this thread, idle and while a worker registers."""
    from viewer.registration import propose_alignment

    def gaps(work: Any) -> float:
        done = threading.Event()

        def run_then_signal() -> None:
            work()
            done.set()

        worker = threading.Thread(target=run_then_signal)
        last, worst = time.perf_counter(), 0.0
        worker.start()
        while not done.is_set():
            time.sleep(0.002)
            now = time.perf_counter()
            worst, last = max(worst, now - last), now
        worker.join()
        return worst * 1000

    return gaps(lambda: time.sleep(1.0)), gaps(lambda: propose_alignment(fixed, moving))


def run() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from viewer.registration import propose_alignment

    figures: dict[str, Any] = {"repeats": REPEATS}
    print(f"proposed alignment per sample pair (fixed <- moving), median of {REPEATS} runs:")
    cache: dict[tuple[str, str, str, float | None], Loaded] = {}

    def vol(patient: str, exam: str, role: str, b: float | None = None) -> Loaded:
        key = (patient, exam, role, b)
        if key not in cache:
            cache[key] = _load(patient, exam, role, b)
        return cache[key]

    rows = []
    for patient, fe, me in PAIRS + FOLLOW_UP:
        moving_role = "mr_t1_portal" if me == "mr" else "ct_portal"
        prop, wall, cpu = _timed(vol(patient, fe, "ct_portal"), vol(patient, me, moving_role), REPEATS)
        before = lesion_distances(patient, fe, me, table_offset_only(patient, fe, me))
        rows.append(_row(f"{patient} {fe} ct_portal <- {me} {moving_role}", patient, fe, me, prop, wall, cpu,
                         before))
    figures["pairs"] = rows
    figures["goal_met"] = all(r["after_max_mm"] < 5 for r in rows) and all(r["cpu_ms_median"] < 500 for r in rows)
    figures["cpu_ms_median_max"] = max(r["cpu_ms_median"] for r in rows)
    figures["wall_ms_median_max"] = max(r["wall_ms_median"] for r in rows)

    print("whole body against liver focus (LLSYN003: the liver moves 15 mm against the body):")
    focus_rows = []
    for patient, fe, me in PAIRS:
        for focus in ("body", "liver"):
            prop, wall, cpu = _timed(vol(patient, fe, "ct_portal"), vol(patient, me, "mr_t1_portal"), 1, focus=focus)
            focus_rows.append(_row(f"{patient} {focus}", patient, fe, me, prop, wall, cpu))
    figures["focus"] = focus_rows

    print("which volumes: every MRI series against CT portal and CT arterial (liver focus):")
    choice: dict[str, list[float]] = {}
    for ct_role in ("ct_portal", "ct_arterial"):
        for role, b in MR_CHOICES:
            name = f"{ct_role} <- {role}{'' if b is None else f' b{b:g}'}"
            means, maxes = [], []
            for patient, fe, me in PAIRS:
                prop = propose_alignment(vol(patient, fe, ct_role), vol(patient, me, role, b))
                assert prop is not None
                d = lesion_distances(patient, fe, me, prop.apply)
                means.append(float(d.mean()))
                maxes.append(float(d.max()))
            choice[name] = [round(float(np.mean(means)), 2), round(max(maxes), 2)]
            print(f"  {name:36s} mean {choice[name][0]:4.2f} mm, max {choice[name][1]:4.2f} mm over the 3 pairs",
                  flush=True)
    figures["choice_mean_max_mm"] = choice

    rng = np.random.default_rng(0)
    like = vol("LLSYN003", "mr", "mr_t1_portal")
    noise = Loaded(rng.normal(200, 60, like.array.shape).clip(0).astype(np.uint16), like.geometry, "")
    refused = propose_alignment(vol("LLSYN003", "ct", "ct_portal"), noise)
    assert refused is not None
    figures["noise_outcome"] = refused.outcome.value
    print(f"noise as the MRI: {refused.outcome.value} ({refused.reason})")

    # The same machine load for both: loading the pair's two stacks (as the workstation does, JPEG
    # 2000 decoded on every core) against proposing their alignment.
    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        _load("LLSYN003", "ct", "ct_portal"), _load("LLSYN003", "mr", "mr_t1_portal")
        loads.append((time.perf_counter() - t0) * 1000)
    load_ms = statistics.median(loads)
    llsyn003 = next(r for r in rows if r["pair"].startswith("LLSYN003"))
    figures["llsyn003_load_ms_median"] = round(load_ms)
    figures["proposal_over_load"] = round(llsyn003["wall_ms_median"] / load_ms, 2)
    print(f"LLSYN003: loading the two stacks {load_ms:.0f} ms wall (median of 3), the proposal "
          f"{llsyn003['wall_ms_median']} ms: {figures['proposal_over_load']:.2f} x the load")

    idle, busy = _gil_wait_ms(vol("LLSYN003", "ct", "ct_portal"), vol("LLSYN003", "mr", "mr_t1_portal"))
    figures["main_thread_max_wait_ms"] = {"idle": round(idle, 1), "while_registering": round(busy, 1)}
    print(f"main thread's longest wait (2 ms sleep loop): {idle:.0f} ms idle, {busy:.0f} ms while a worker registers")
    print(f"goal (every lesion < 5 mm, CPU < 500 ms per pair): {'met' if figures['goal_met'] else 'NOT met'}; "
          f"slowest pair {figures['cpu_ms_median_max']} ms CPU, {figures['wall_ms_median_max']} ms wall")
    return figures


if __name__ == "__main__":
    run()
