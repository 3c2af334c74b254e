"""Speed where the reader waits (issue 8): opening an exam pair, and scrolling its six linked cells.

The sample as shipped (sample_dicom/LLSYN002, JPEG 2000 lossless): its CT + MRI pair is hung in
the six cells of a ReadingGrid (1800x1000, offscreen) wired to VolumeLoads exactly as the main
window wires it (``connect_loading``), and the Qt event loop runs until every volume is complete.
Per open:

* ``first_image_s``: until the *last* of the six cells has painted a real image (a decoded slice
  with its window) — the moment measured in ``ViewportWidget._paint_image``;
* ``all_loaded_s``: until the last of the six stacks has reported ``finished``;
* ``longest_ui_gap_ms``: the longest the UI thread waited between two event-loop turns meanwhile
  (a decoder holding the GIL shows here);
* ``cpu_s``: CPU time of the open, this process and its decoder processes together (unlike wall
  times, other engineers' load does not change it much), ``ui_cpu_s`` the UI thread's share.

Scrolling (``scroll_*``): the pair loaded, 20 measurement lines per slice drawn by the reading's
own layers in every cell, CT and MRI linked at the slices shown (L); the active CT cell steps one
slice at a time from top to bottom and back, the five others follow, and the grid is repainted
(synchronously). ``first_pass`` is the first sweep, steps back to back (each slice rendered for
the first time), ``cached`` a later sweep, ``paced`` a first sweep at a fast reader's pace (one step
every 25 ms, the event loop running in between, as it does between two wheel notches). Each step's wall time and the UI thread's CPU time are recorded: on a
shared machine the CPU time is the figure that other engineers' load does not change.

"cold" opens start with no decoder worker running (the first pair opened in a session); "warm"
ones reuse them. Figures are medians (and p95 where there are enough) of repeated opens; the
machine's load (1-minute load average) is printed beside them. ``bench/baseline_speed.json``
holds the figures recorded before the issue-8 work, printed as "before".
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_dicom" / "LLSYN002"
BASELINE = Path(__file__).resolve().parent / "baseline_speed.json"
COLD, WARM = 3, 7
#: Time between two slice steps of the paced sweep: a reader scrolling fast (40 slices/s).
PACE_S = 0.025


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def _pair() -> Any:
    from viewer.index import index_path
    from viewer.studies import group_studies, propose_pairs

    result = index_path(SAMPLE, workers=1)
    return propose_pairs(group_studies(result.stacks)[0])[0]


def workstation() -> tuple[Any, Any, Any]:
    """A reading model, its loads and its grid (1800 x 1000, shown), wired as the main window wires them."""
    from viewer.model.reading import ReadingModel
    from viewer.qt.grid import ReadingGrid
    from viewer.qt.loading import VolumeLoads, connect_loading

    reading = ReadingModel()
    loads = VolumeLoads()
    connect_loading(reading, loads)
    grid = ReadingGrid(reading)
    grid.resize(1800, 1000)
    grid.show()
    return reading, loads, grid


def open_once(app: Any, pair: Any) -> dict[str, float]:
    """One open of ``pair`` in a fresh grid; the figures of that open."""
    reading, loads, grid = workstation()
    for _ in range(20):
        app.processEvents()
    first: dict[int, float] = {}
    finished: dict[str, float] = {}
    failed: list[str] = []
    t0 = 0.0

    for i, w in enumerate(grid.viewports):
        original = w._paint_image

        def paint(p: Any, view: Any, i: int = i, w: Any = w, original: Any = original) -> None:
            original(p, view)
            if i not in first and w.model.is_loaded() and w.model.window is not None:
                first[i] = time.perf_counter() - t0
        w._paint_image = paint  # type: ignore[method-assign]
    loads.finished.connect(lambda key: finished.setdefault(key, time.perf_counter() - t0))
    loads.failed.connect(lambda key, msg: failed.append(f"{key}: {msg}"))
    hung = 0
    c0, u0 = _cpu_s(), time.thread_time()
    t0 = time.perf_counter()
    reading.open_stacks(pair.stacks)
    hung = sum(1 for c in reading.hanging.cells if c.stack is not None)
    gap, last = 0.0, time.perf_counter()
    while (len(finished) < hung or len(first) < hung) and not failed:
        app.processEvents()
        now = time.perf_counter()
        gap, last = max(gap, now - last), now
        if now - t0 > 60:
            raise RuntimeError("the pair did not load within 60 s")
        time.sleep(0.0005)
    if failed:
        raise RuntimeError(f"loading failed: {failed}")
    loads.wait()
    cpu, ui_cpu = _cpu_s() - c0, time.thread_time() - u0
    grid.close()
    grid.deleteLater()
    app.processEvents()
    return {"first_image_s": max(first.values()), "all_loaded_s": max(finished.values()),
            "longest_ui_gap_ms": gap * 1e3, "cpu_s": cpu, "ui_cpu_s": ui_cpu}


def scroll(app: Any, pair: Any) -> dict[str, float]:
    """Sweeps of linked slice changes over the loaded pair (see module doc)."""
    from bench.bench_viewer import add_reading_layers, bench_reading

    reading, loads, grid = workstation()
    reading.open_stacks(pair.stacks)
    end = time.perf_counter() + 60
    while loads.busy() or any(c.stack is not None and (vp.volume is None or not vp.volume.loaded.all())
                              for c, vp in zip(reading.hanging.cells, reading.viewports)):
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() > end:
            raise RuntimeError("the pair did not load within 60 s")
    app.processEvents()
    keys_roles = [(vp.key, vp.role) for vp in reading.viewports if vp.volume is not None]
    n = max(vp.n_slices for vp in reading.viewports)
    selection = bench_reading(keys_roles, n, seed=2)
    for w in grid.viewports:
        add_reading_layers(w, selection)
    src = reading.viewports[0]
    src.first()
    reading.link_all()
    for _ in range(20):
        app.processEvents()
    sweep = list(range(src.n_slices - 1, -1, -1)) + list(range(1, src.n_slices))
    out: dict[str, float] = {}
    for name, passes, pace_s in (("first_pass", 1, 0.0), ("cached", 3, 0.0), ("paced", 1, PACE_S)):
        for w in grid.viewports:
            w.cache.clear()
        wall: list[float] = []
        cpu: list[float] = []
        seen: set[int] = set()
        follower = reading.viewports[-1]
        for p in range(passes):
            for k in sweep:
                t0, c0 = time.perf_counter(), time.thread_time()
                src.set_index(k)
                grid.repaint()
                seen.add(follower.index)
                if p == passes - 1:
                    wall.append(time.perf_counter() - t0)
                    cpu.append(time.thread_time() - c0)
                while time.perf_counter() - t0 < pace_s:  # the reader's next wheel notch: idle meanwhile
                    app.processEvents()
                    time.sleep(0.001)
            app.processEvents()
        assert len(seen) > src.n_slices // 2, "the MRI cells did not follow the CT cell"
        for label, xs in (("wall", wall), ("cpu", cpu)):
            summ = _summary([x * 1e3 for x in xs])
            out[f"scroll_{name}_{label}_ms_median"] = summ["median"]
            out[f"scroll_{name}_{label}_ms_p95"] = summ["p95"]
    out["scroll_steps_per_sweep"] = len(sweep)
    grid.close()
    grid.deleteLater()
    app.processEvents()
    return out


def _cpu_s() -> float:
    """CPU seconds of this process and of its decoder processes so far (from /proc)."""
    total = time.process_time()
    try:
        from viewer.dicomio import pixels
        for pid in list(getattr(pixels._POOL, "_processes", {}) or {}):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ImportError):
        pass
    return total


def _summary(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"median": round(statistics.median(s), 3), "p95": round(s[int(0.95 * (len(s) - 1) + 0.5)], 3)}


def _stop_workers() -> None:
    from viewer.dicomio import pixels

    pixels.shutdown_pool()
    stop = getattr(pixels, "shutdown_decoders", None)
    if stop is not None:
        stop()


def run() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    pair = _pair()
    figures: dict[str, Any] = {"load_average_1min_start": load_average(), "cpu_count": os.cpu_count()}
    runs: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    parts = os.environ.get("BENCH_SPEED_PARTS", "open,scroll")
    for _ in range(COLD if "open" in parts else 0):
        _stop_workers()
        runs["cold"].append(open_once(app, pair))
    for _ in range(WARM if "open" in parts else 0):
        runs["warm"].append(open_once(app, pair))
    if "scroll" in parts:
        figures.update(scroll(app, pair))
    _stop_workers()
    for kind, rs in runs.items():
        if not rs:
            continue
        for name in ("first_image_s", "all_loaded_s", "longest_ui_gap_ms", "cpu_s", "ui_cpu_s"):
            summ = _summary([r[name] for r in rs])
            figures[f"{kind}_{name}_median"] = summ["median"]
            figures[f"{kind}_{name}_p95"] = summ["p95"]
    figures["load_average_1min_end"] = load_average()
    figures["targets"] = "first image in every cell <= 0.3 s; whole pair <= 1 s; scroll p95 < 16 ms"
    before = json.loads(BASELINE.read_text()).get("open", {}) if BASELINE.exists() else {}
    print(f"{'':>34} {'before':>10} {'now':>10}")
    for k, v in figures.items():
        print(f"{k:>34} {str(before.get(k, '-')):>10} {str(v):>10}")
    return figures


if __name__ == "__main__":
    run()
