"""Reading store figures: edit latency (SQLite synchronous FULL vs NORMAL; PostgreSQL over a local
socket vs SQLite), study-scale size, load and export times.

Study scale (reading-protocol.md): 57 exam pairs, ~864 MRI + ~314 CT metastases counted on their
series, 52 lesions measured on six series.

PostgreSQL: a throwaway cluster (tests/annotation/pg.py) with the server's durable defaults
(fsync on, synchronous_commit on), reached over its unix socket; one edit = one count mark added
through a Reading (conflict check, advisory lock already held, upsert, edit log, commit). SQLite
(WAL, synchronous=FULL) and PostgreSQL run in alternating rounds in this one process so that the
machine's load falls on both alike.
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
ROUNDS = 3  # alternating SQLite / PostgreSQL rounds of N_EDITS // ROUNDS edits each


def _summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"median_ms": round(statistics.median(times), 3), "p95_ms": round(times[int(0.95 * len(times))], 3)}


def _edit_times_ms(location: str | Path, n: int, synchronous: str | None = None, reader: str = "bench") -> list[float]:
    store, reading = open_reading(location, reader)
    if synchronous:
        store.backend_db.execute(f"PRAGMA synchronous={synchronous}")
    if "P1" not in reading.project.patients:
        reading.add_patient("P1")
        reading.add_exam_pair("P1", "E1")
    reading.add_count_mark(("P1", "E1"), "mr_dwi", "left")  # the read's lock taken before timing
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        reading.add_count_mark(("P1", "E1"), READING_ROLES[i % 6], "right" if i % 2 else "left", row=i, col=i)
        times.append((time.perf_counter() - t0) * 1000)
    store.close()
    return times


def _edit_latency_ms(path: Path, synchronous: str) -> dict[str, float]:
    return _summary(_edit_times_ms(path, N_EDITS, synchronous))


def _study_reader_times_ms(url: str, n: int) -> list[float]:
    """One edit of a blinded reader role in a study store (a count mark in its open case): migration 12 writes
    and reads its rows through the tables' access functions, the rows of one read under row-level security
    before."""
    from annotation.study_store import Study

    study = Study(ReadingStore.open(url))
    case = study.open_case("bench", "MRI", "C1")
    reading = case.reading
    reading.add_count_mark(case.pair, "mr_dwi", "left")  # the read's lock taken before timing
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        reading.add_count_mark(case.pair, READING_ROLES[2 + i % 4], "right" if i % 2 else "left", row=i, col=i)
        times.append((time.perf_counter() - t0) * 1000)
    study.store.close()
    return times


def _study_store(cluster: object) -> str:
    """A study store on the cluster with one case and reader "bench" (role bench_study_reader); its URL."""
    from annotation.store_pg_security import add_reader
    from annotation.study import StudyCase, StudyDefinition, StudySession
    from annotation.study_store import Study

    url = getattr(cluster, "create_database")("benchstudy")
    store, reading = open_reading(url, "setup")
    reading.add_patient("P1")
    reading.add_exam_pair("P1", "E1")
    store.close()
    with ReadingStore.open(url) as owner:
        Study.init(owner, StudyDefinition("s1", 1, ("bench",), (StudySession("MRI", tuple(READING_ROLES[2:])),),
                                          (StudyCase("C1", "P1", "E1"),)))
        add_reader(owner.backend_db, "bench", db_role="bench_study_reader")
    return str(getattr(cluster, "url")(url.split("/")[3].split("?")[0], "bench_study_reader"))


def _postgresql_vs_sqlite(tmp: Path) -> dict[str, object]:
    """One edit on PostgreSQL (local socket, durable) and on SQLite (FULL), in alternating rounds."""
    try:
        from tests.annotation.pg import Cluster
    except ImportError as exc:  # the bench runs from a source tree; say why when it cannot
        return {"skipped": f"tests/annotation/pg.py not importable ({exc})"}
    why = Cluster.available()
    if why:
        print(f"PostgreSQL edit latency skipped: {why}")
        return {"skipped": why}
    from annotation.store import ReadingStore
    from annotation.store_pg_security import add_reader

    cluster = Cluster.start(durable=True)
    try:
        url = cluster.create_database("bench")
        with ReadingStore.open(url) as owner:
            add_reader(owner.backend_db, "bench", db_role="bench_reader")
        reader_url = cluster.url(url.split("/")[3].split("?")[0], "bench_reader")
        study_url = _study_store(cluster)
        times: dict[str, list[float]] = {"sqlite": [], "postgresql": [], "postgresql_reader_role": [],
                                         "postgresql_study_reader_role": []}
        per_round = N_EDITS // ROUNDS
        for _ in range(ROUNDS):
            times["sqlite"] += _edit_times_ms(tmp / "vs.lesionlab", per_round)
            times["postgresql"] += _edit_times_ms(url, per_round)
            times["postgresql_reader_role"] += _edit_times_ms(reader_url, per_round)  # row-level security on
            times["postgresql_study_reader_role"] += _study_reader_times_ms(study_url, per_round)  # blinded
    finally:
        cluster.stop()
    figures: dict[str, object] = {name: _summary(t) for name, t in times.items()}
    for name, lat in figures.items():
        print(f"one edit, {name}: median {lat['median_ms']} ms, p95 {lat['p95_ms']} ms")
    return figures


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
        figures["edit_postgresql_vs_sqlite"] = _postgresql_vs_sqlite(Path(tmp))
        path = Path(tmp) / "study.lesionlab"
        t0 = time.perf_counter()
        store, reading = _study_scale(path)
        build_s = time.perf_counter() - t0
        project = reading.project
        store.backend_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size_kib = path.stat().st_size / 1024
        t0 = time.perf_counter()
        loaded = store.load()
        load_s = time.perf_counter() - t0
        assert loaded == project
        t0 = time.perf_counter()
        for _ in range(20):  # one edit on a study-sized project (diff + commit)
            reading.add_count_mark(("P00", "E1"), "mr_dwi", "left")
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
