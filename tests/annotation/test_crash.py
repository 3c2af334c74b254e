"""SIGKILL at random moments while a separate process edits a store: nothing acknowledged is lost.

The editor (crash_editor.py) prints each edit after its commit returned. After every kill the store
must open for writing (the dead holder's lock is gone), pass its integrity check and hold every
acknowledged edit; at most the one edit in flight may have landed unacknowledged. Both backends:
on PostgreSQL the server ends the killed client's session (its transaction rolled back, its
advisory lock released) and the next editor claims the same read.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from annotation.records import Measurement
from annotation.store import ReadingStore
from annotation.store_location import parse_location
from tests.annotation.pg import backend, location, new_location, pg_cluster  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
KILLS = {"sqlite": 30, "postgresql": 12}


def run_and_kill(path: str, run: int, rng: random.Random) -> list[tuple[int, str, str, int]]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.annotation.crash_editor", str(path), str(run)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # the editor is up and editing
    assert first.startswith("ack"), proc.stderr.read()
    time.sleep(rng.uniform(0.0, 0.15))
    os.kill(proc.pid, signal.SIGKILL)
    rest = proc.stdout.read()  # not communicate(): it reads the raw pipe and would skip what readline() buffered
    proc.stderr.read()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    acks = []
    for line in (first + rest).splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] == "ack":  # a line cut by the kill is not an acknowledgement
            acks.append((int(parts[1]), parts[2], parts[3], int(parts[4])))
    return acks


def test_sigkill_never_loses_an_acknowledged_edit(location, backend, request):
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    path = location
    acked_total = 0
    marks: dict[str, int] = {}
    lesions: dict[str, int] = {}
    age: int | None = None
    t0 = time.perf_counter()
    for run in range(KILLS[backend]):
        acks = run_and_kill(path, run, rng)
        assert acks, f"run {run}: no edit acknowledged"
        if backend == "postgresql":  # the server notices the dead client and ends its session
            request.getfixturevalue("pg_cluster").wait_for_backends(parse_location(path).database_name(), at_most=0)
        acked_total += len(acks)
        with ReadingStore.open(path) as st:  # writable: the killed holder's lock is released
            assert st.integrity_check() == "ok"
            project = st.load()
            seqs = {s for s, _, _ in st.edits()}
        last_seq = max(seqs)
        top_ack = max(a[0] for a in acks)
        assert {a[0] for a in acks} <= seqs
        assert top_ack <= last_seq <= top_ack + 1, "more than the edit in flight landed unacknowledged"
        for seq, kind, key, value in acks:
            if kind == "mark":
                marks[key] = value
            elif kind == "lesion":
                lesions[key] = value
            else:
                age = value
        for key, value in marks.items():
            assert project.count_marks[key].row == value
        for key, value in lesions.items():
            m = project.lesions[("P1", "E1", "crash", key)].observation("mr_dwi")
            assert isinstance(m, Measurement) and m.p2 == (value, 3)
        stored_age = project.patients["P1"].clinical.age_at_diagnosis_years
        if age is not None:  # an overwrite keeps the last acknowledged value (or the one in flight)
            in_flight = last_seq == top_ack + 1
            assert stored_age == age or in_flight
        age = stored_age  # an unacknowledged edit that landed is the value the next run must keep
    elapsed = time.perf_counter() - t0
    print(f"{backend}: {KILLS[backend]} kills, {acked_total} acknowledged edits verified, {elapsed:.1f} s")
