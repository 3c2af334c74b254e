"""A reader's long session in one process: what each edit keeps, what an undo costs as an exam fills, and whether
anything piles up from one patient to the next.

The real main window, offscreen, on a copy of the sample reading (reader "sample"), the sample study indexed. A
*cycle* opens one patient's CT + MRI pair (LLSYN001, LLSYN002, LLSYN003, then the three again: ``ROUNDS``), waits
for every cell's images, then makes ``EDITS`` edits through real Qt events (each lesion a new lesion N and a line
dragged on CT portal, on one of twenty slices, then count clicks on T2 FS), undoes a third and redoes them, then deletes every lesion and
count mark it added (one edit each): the read ends each cycle as it began, its undo history longer, as hours of
reading leave it. Reported:

- ``memory_per_edit_kib``: Python memory (tracemalloc) the session keeps per edit: from the end of a patient's cycle
  to the end of the same patient's cycle a round later, over the edits made in between (the reads as they were,
  the undo history longer), median over the second round's cycles;
- ``undo_ms_at_20/40/60``: Ctrl+Z (the action, the panels redrawn) with 20, 40 and 60 lesions added to one exam
  (LLSYN002), each lesion a line, median of five undo + redo;
- per cycle: Qt widgets, QObjects (every child of the application and its top-level widgets), timers, Python
  threads, open file descriptors and image volumes alive. These must stay flat: the second round's counts are the
  first round's (``flat`` says whether they are, ``growth`` what grew).

``bench/baseline_session.json`` holds the figures before undo kept only what an edit changed (printed as
"before"); ``LESIONLAB_BENCH_BASELINE=1 python -m bench.bench_session`` writes it.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
BASELINE = Path(__file__).resolve().parent / "baseline_session.json"
PATIENTS = ("LLSYN001", "LLSYN002", "LLSYN003")
ROUNDS = 2
EDITS = 60
#: threads of one job that end by themselves (app/alignment_job.py, app/main_window.py's IndexJob, viewer/qt/loading.py)
TRANSIENT = frozenset({"align", "index", "warm up loading", "analysis"})
#: edits of :func:`history_per_edit` (a long day's: the undo history keeps up to 10,000)
HISTORY_EDITS = 1500
COUNTED = ("widgets", "qobjects", "timers", "threads", "open_fds", "volumes")


def counts() -> dict[str, int]:
    """What one cycle may leave behind, counted after a garbage collection."""
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from viewer.loader import Volume

    app = QApplication.instance()
    end = time.monotonic() + 60
    while any(t.name in TRANSIENT for t in threading.enumerate()) and time.monotonic() < end:
        app.processEvents()  # a job of the pair just opened (its alignment proposal) finishes on its own
        time.sleep(0.01)
    app.processEvents()
    # the widgets let go with deleteLater(): the running event loop deletes them on its next turn; a script that runs
    # none (processEvents() alone) never does
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    roots = [app, *QApplication.topLevelWidgets()]
    qobjects = {id(o) for r in roots for o in r.findChildren(QObject)} | {id(r) for r in roots}
    timers = {id(t) for r in roots for t in r.findChildren(QTimer)}
    return {"widgets": len(QApplication.allWidgets()), "qobjects": len(qobjects), "timers": len(timers),
            "threads": threading.active_count(), "open_fds": len(os.listdir("/proc/self/fd")),
            "volumes": sum(1 for o in gc.get_objects() if isinstance(o, Volume))}


class Session:
    """The main window on a copy of the sample reading in ``folder``, driven as a reader drives it."""

    def __init__(self, folder: Path, loader_factory: Any = None) -> None:
        from PySide6.QtWidgets import QApplication

        from app.last_session import LastSession
        from app.main_window import MainWindow
        from app.reading_settings import ReaderName, recent_stores
        from viewer.index import index_path
        from viewer.model.settings import RecentStudies, RoleOverrides

        self.app = QApplication.instance() or QApplication([])
        self.sample = ROOT / "sample_dicom"
        store = folder / "work" / "reading.lesionlab"
        store.parent.mkdir(parents=True)
        shutil.copy(self.sample / "reading.lesionlab", store)
        name = ReaderName(folder / "reader.json")
        name.set("sample")
        extra = {"loader_factory": loader_factory} if loader_factory is not None else {}
        self.w = w = MainWindow(overrides=RoleOverrides(folder / "roles.json"), recent=RecentStudies(folder / "recent.json"),
                                reader=name, stores=recent_stores(folder / "stores.json"),
                                last=LastSession(folder / "last.json"), **extra)
        w.store_flow.ask = lambda title, text, choices: "keep"  # type: ignore[method-assign]
        w.show_error = lambda *a, **k: None  # type: ignore[method-assign]  # a modal dialog hangs offscreen
        w.resize(1500, 1000)
        w.show()
        self.app.processEvents()
        if not w.store_flow.open_store(store):
            raise RuntimeError(f"cannot open {store}")
        w.show_index(str(self.sample), index_path(self.sample))

    def open(self, patient: str, timeout_s: float = 120.0) -> None:
        """Open the patient's CT + MRI pair from the browser and wait for every cell's images."""
        from app.browser import PAYLOAD

        w = self.w
        item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == patient)
        w.browser.itemActivated.emit(item, 0)
        end = time.monotonic() + timeout_s
        while not all(vp.volume is not None and vp.volume.loaded.all()
                      for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack):
            if time.monotonic() > end:
                raise TimeoutError(f"the pair of {patient} did not load in {timeout_s:.0f} s")
            self.app.processEvents()
            time.sleep(0.01)
        self.app.processEvents()

    def _trigger(self, action: str) -> None:
        self.w.actions_by_id[action].trigger()
        self.app.processEvents()

    def _tool_on(self, role: str, tool: str) -> Any:
        """The cell of series ``role`` made active with ``tool``; returns its viewport widget."""
        from viewer.records import READING_ROLES, Role

        cell = READING_ROLES.index(Role(role))
        self.w.reading.activate(cell)
        self._trigger(tool)
        return self.w.grid.viewports[cell]

    def lesion_with_line(self, i: int) -> None:
        """N, then a line dragged on CT portal (two edits): lesion ``i`` of a cycle, placed apart from the others."""
        from PySide6.QtCore import QPoint, Qt
        from PySide6.QtTest import QTest

        vp = self._tool_on("ct_portal", "tool_line")
        model = vp.model
        model.set_index(model.n_slices // 2 + i % 20 - 10)  # each on its largest slice: twenty slices, three a slice
        self._trigger("new_lesion")
        tr = vp.transform()
        row, col = 150.0 + 9 * (i % 10), 150.0 + 9 * (i // 10 % 10)
        a, b = (QPoint(round(x), round(y)) for x, y in (tr.image_to_widget(row, col),
                                                         tr.image_to_widget(row + 6.0, col + 4.0)))
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
        QTest.mouseMove(vp, b)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
        self.app.processEvents()

    def count_click(self, i: int) -> None:
        """A click of the count tool on T2 FS (one edit)."""
        from PySide6.QtCore import QPoint, Qt
        from PySide6.QtTest import QTest

        vp = self._tool_on("mr_t2fs", "tool_count")
        x, y = vp.transform().image_to_widget(90.0 + 14 * (i % 8), 70.0 + 14 * (i // 8 % 8))
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(x), round(y)))
        self.app.processEvents()

    def edits(self) -> int:
        return len(self.w.session.reading._undo) if self.w.session.reading is not None else 0

    def edit(self, n: int) -> int:
        """``n`` edits: two thirds lesions with a line, the rest count clicks; returns the edits made."""
        start = self.edits()
        lines = n * 2 // 3 // 2
        for i in range(lines):
            self.lesion_with_line(i)
        for i in range(n - 2 * lines):
            self.count_click(i)
        return self.edits() - start

    def undo(self, n: int) -> None:
        for _ in range(n):
            self._trigger("undo")

    def redo(self, n: int) -> None:
        for _ in range(n):
            self._trigger("redo")

    def close(self) -> None:
        self.w.close()
        self.w.deleteLater()
        self.app.processEvents()


def cycle(session: Session, patient: str, edits: int) -> int:
    """One patient: opened, ``edits`` edits, a third of them undone and redone, then every lesion and count mark
    they added deleted again (one edit each), so that the read is as it was and the undo history holds them all, as
    hours of reading leave it. Returns the edits the history gained."""
    session.open(patient)
    reading = session.w.session.reading
    start = session.edits()
    before = reading.project
    session.edit(edits)
    made = session.edits() - start
    session.undo(made // 3)
    session.redo(made // 3)
    after = reading.project
    for key in sorted(set(after.lesions) - set(before.lesions)):
        reading.delete_lesion(key[:2], key[3])
        session.app.processEvents()
    for mark_id in sorted(set(reading.project.count_marks) - set(before.count_marks)):
        reading.delete_count_mark(mark_id)
        session.app.processEvents()
    return session.edits() - start


def flatness(per_cycle: list[dict[str, int]], per_round: int) -> dict[str, int]:
    """What grew from one round of patients to the next: each count of the last round minus the same patient's in
    the round before (a positive number grew); empty when every count stayed."""
    growth: dict[str, int] = {}
    last = per_cycle[-per_round:]
    prev = per_cycle[-2 * per_round:-per_round]
    for a, b in zip(prev, last):
        for name in COUNTED:
            if b[name] != a[name]:
                growth[name] = max(growth.get(name, 0), b[name] - a[name], key=abs)
    return growth


def undo_latency(session: Session, patient: str, marks: tuple[int, ...] = (20, 40, 60)) -> dict[int, float]:
    """Lesions with a line added to one exam; at each mark, the median of five Ctrl+Z (each redone after)."""
    session.open(patient)
    out: dict[int, float] = {}
    added = 0
    for mark in marks:
        while added < mark:
            session.lesion_with_line(added)
            added += 1
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            session.undo(1)
            times.append(1e3 * (time.perf_counter() - t0))
            session.redo(1)
        out[mark] = round(statistics.median(times), 1)
    return out


def history_per_edit(edits: int = HISTORY_EDITS) -> float:
    """KiB of Python memory each edit keeps on the sample reading (all three patients, no window): ``edits`` edits on
    LLSYN002's pair, a third each of new lesions, lines and count marks, the project and its undo history kept."""
    from annotation.reading import Reading
    from annotation.records import Measurement
    from annotation.store import ReadingStore
    from viewer.records import Role

    with ReadingStore.open(ROOT / "sample_dicom" / "reading.lesionlab", read_only=True) as store:
        reading = Reading(store.load(), reader="sample")
    pair = next(k for k in sorted(reading.project.exam_pairs) if k[0] == "LLSYN002")
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        lesion = ""
        for i in range(edits):
            if i % 3 == 0:
                lesion = reading.add_lesion(pair, "right")
            elif i % 3 == 1:
                reading.set_observation(pair, lesion, Role.CT_PORTAL, Measurement(
                    "ct", "1.2.3", i % 90, (100.0 + i % 200, 100.0), (110.0 + i % 200, 104.0), 0.7, 0.7))
            else:
                reading.add_count_mark(pair, Role.MR_T2FS, "left", stack_key="t2", slice_index=i % 40, row=float(i),
                                       col=5.0)
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - start) / edits / 1024
    finally:
        tracemalloc.stop()


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    history = round(history_per_edit(), 2)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        os.environ["LESIONLAB_DATA_DIR"] = str(t / "data")
        os.environ["LESIONLAB_CONFIG_DIR"] = str(t / "config")
        session = Session(t / "session")
        per_cycle: list[dict[str, Any]] = []
        kept_per_edit: list[float] = []
        tracemalloc.start()
        try:
            for _ in range(ROUNDS):
                for patient in PATIENTS:
                    made = cycle(session, patient, EDITS)
                    now = counts()  # (collects garbage first)
                    traced = tracemalloc.get_traced_memory()[0]
                    if len(per_cycle) >= len(PATIENTS):  # against the same patient's cycle a round before (its images
                        # are traced too); the first round also pays for what is made once (indexes, caches, dialogs)
                        since = per_cycle[-len(PATIENTS):]
                        edits = sum(c["edits"] for c in since[1:]) + made
                        kept_per_edit.append((traced - since[0]["traced"]) / max(edits, 1) / 1024)
                    per_cycle.append({"patient": patient, "edits": made, "traced": traced, **now})
                    print(f"cycle {len(per_cycle)} {patient}: {made} edits, "
                          f"{kept_per_edit[-1] if kept_per_edit else float('nan'):.2f} KiB kept per edit, "
                          + ", ".join(f"{k} {now[k]}" for k in COUNTED), flush=True)
        finally:
            tracemalloc.stop()
        latency = undo_latency(session, "LLSYN002")
        session.close()
    growth = flatness(per_cycle, len(PATIENTS))
    figures = {"cycles": per_cycle, "edits_per_cycle": EDITS,
               "history_memory_per_edit_kib": history,
               "memory_per_edit_kib": round(statistics.median(kept_per_edit), 2),
               **{f"undo_ms_at_{k}": v for k, v in latency.items()},
               "flat": not growth, "growth": growth, "load_average_1min": round(os.getloadavg()[0], 2)}
    before = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    was = {k: f" (before {before[k]})" if k in before else "" for k in figures}
    print(f"the sample reading, {HISTORY_EDITS} edits: {history} KiB kept per edit{was['history_memory_per_edit_kib']}; "
          f"{len(per_cycle)} cycles of {EDITS} edits in the window: {figures['memory_per_edit_kib']} KiB kept per edit"
          f"{was['memory_per_edit_kib']} (the whole process: noisy); Ctrl+Z with 20/40/60 lesions added to one exam "
          + " / ".join(f"{figures[f'undo_ms_at_{k}']}{was[f'undo_ms_at_{k}']}" for k in (20, 40, 60))
          + f" ms; counts {'flat' if not growth else 'GREW: ' + json.dumps(growth)} from one round of patients to the "
          f"next (load average {figures['load_average_1min']} on {os.cpu_count()} cores)")
    return figures


if __name__ == "__main__":
    out = run()
    if os.environ.get("LESIONLAB_BENCH_BASELINE"):
        BASELINE.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
