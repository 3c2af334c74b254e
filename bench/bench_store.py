"""Reading store figures: edit latency (synchronous FULL vs NORMAL), study-scale size, load and export times.

Study scale (reading-protocol.md): 57 exam pairs, ~864 MRI + ~314 CT metastases counted on their
series, 52 lesions measured on six series.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from annotation.export import export_project
from annotation.records import Measurement
from annotation.store import ReadingStore, open_reading
from viewer.records import READING_ROLES

N_EDITS = 300


def _edit_latency_ms(path: Path, synchronous: str) -> dict[str, float]:
    store, reading = open_reading(path, "bench")
    store._con.execute(f"PRAGMA synchronous={synchronous}")
    reading.add_patient("P1")
    reading.add_exam_pair("P1", "E1")
    times = []
    for i in range(N_EDITS):
        t0 = time.perf_counter()
        reading.add_count_mark(("P1", "E1"), READING_ROLES[i % 6], "right" if i % 2 else "left", row=i, col=i)
        times.append((time.perf_counter() - t0) * 1000)
    store.close()
    times.sort()
    return {"median_ms": round(statistics.median(times), 3), "p95_ms": round(times[int(0.95 * len(times))], 3)}


def _study_scale(path: Path) -> tuple[ReadingStore, object]:
    store, reading = open_reading(path, "R1")
    with reading.batch("study"):
        for p in range(22):
            pid = f"P{p:02d}"
            reading.add_patient(pid, f"NAME^{p}")
            reading.edit_patient(pid, sex="F" if p % 2 else "M", ki67_percent=p % 25)
            for e in range(1 + (p % 3 == 0) + (p % 7 == 0)):
                pair = (pid, f"E{e + 1}")
                reading.add_exam_pair(pid, pair[1], ct_date="2024-01-10", mri_date="2024-02-01")
                for role in READING_ROLES:
                    per_series = 15 if role.value.startswith("mr") else 6
                    for k in range(per_series):
                        reading.add_count_mark(pair, role, "right" if k % 3 else "left", stack_key=f"{pid}{role}",
                                               slice_index=k, row=100 + k, col=120 + k)
                for _ in range(2):
                    lid = reading.add_lesion(pair, "right")
                    for role in READING_ROLES:
                        reading.set_observation(pair, lid, role, Measurement(
                            f"{pid}{role}", "1.2.3", 10, (100.0, 100.0), (120.5, 131.25), 0.74, 0.74))
    return store, reading


def run() -> dict:
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("FULL", "NORMAL"):
            figures[f"edit_{mode.lower()}"] = lat = _edit_latency_ms(Path(tmp) / f"{mode}.lesionlab", mode)
            print(f"one edit, synchronous={mode}: median {lat['median_ms']} ms, p95 {lat['p95_ms']} ms")
        path = Path(tmp) / "study.lesionlab"
        t0 = time.perf_counter()
        store, reading = _study_scale(path)
        build_s = time.perf_counter() - t0
        project = reading.project  # type: ignore[attr-defined]
        store._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size_kib = path.stat().st_size / 1024
        t0 = time.perf_counter()
        loaded = store.load()
        load_s = time.perf_counter() - t0
        assert loaded == project
        t0 = time.perf_counter()
        for _ in range(20):  # one edit on a study-sized project (diff + commit)
            reading.add_count_mark(("P00", "E1"), "mr_dwi", "left")  # type: ignore[attr-defined]
        edit_big_ms = (time.perf_counter() - t0) / 20 * 1000
        store.close()
        result = export_project(project, Path(tmp) / "export")
        figures.update({
            "study_pairs": len(project.exam_pairs), "study_marks": len(project.count_marks),
            "study_lesions": len(project.lesions), "study_build_s": round(build_s, 2),
            "study_store_kib": round(size_kib), "study_load_s": round(load_s, 3),
            "study_edit_ms": round(edit_big_ms, 2), "study_export_s": round(result.seconds, 2),
        })
        print(f"study scale: {len(project.exam_pairs)} pairs, {len(project.count_marks)} marks, "
              f"{len(project.lesions)} lesions: store {size_kib:.0f} KiB, load {load_s * 1000:.0f} ms, one edit "
              f"{edit_big_ms:.1f} ms, export of {result.n_patients} patients {result.seconds:.2f} s")
    return figures


if __name__ == "__main__":
    run()
