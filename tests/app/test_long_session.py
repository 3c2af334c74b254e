"""A reader's long session in one window (bench/bench_session.py, a few cycles of it): patient after patient
opened, read, edited, undone and redone, the read left as it was each time; nothing piles up from one round of
patients to the next: Qt widgets, QObjects, timers, threads, open files, image volumes."""

from __future__ import annotations

from pathlib import Path

from bench.bench_session import COUNTED, Session, counts, cycle, flatness


def test_counts_stay_flat_from_one_round_of_patients_to_the_next(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    session = Session(env / "session")
    qtbot.addWidget(session.w)
    patients = ("LLSYN001", "LLSYN002")
    per_cycle = []
    try:
        for _ in range(2):
            for patient in patients:
                made = cycle(session, patient, 9)  # 3 lesions with a line, 3 count clicks; then deleted again
                assert made >= 15, made  # the 9 edits (a third undone and redone) and the deletions
                per_cycle.append(counts())
    finally:
        session.close()
    growth = flatness(per_cycle, len(patients))
    assert not growth, f"grew from one round to the next: {growth}; per cycle " + "; ".join(
        ", ".join(f"{k} {c[k]}" for k in COUNTED) for c in per_cycle)
