"""Viewer speed: slice change -> finished repaint, against the bare-paint floor; app start time.

* ``one``: a 512x512 CT stack (int16, HU) in an 800x800 ViewportWidget with its overlays,
  the pointer over the image (value readout) and 20 measurements with labels on every slice,
  drawn by the reading's own layers (annotation.qt.layers.MeasurementLayer and CountLayer, as
  the workstation installs them) from a Reading of 20 lesions x 64 slices (1,280 lesions). Each step moves to another slice *and empties the QImage cache*, so
  every step pays for the lookup (the worst case; the cached case is reported apart).
* ``floor``: a bare QWidget whose paintEvent does the same slice's numpy lookup, QImage and
  QPainter.drawImage into the same rectangle, with the same smoothing: no application code.
  The two are measured in alternating blocks of 20 steps; ``one_over_floor`` is the median of
  the block-by-block ratios, so machine noise and drift hit both alike.
* ``six``: six linked viewports (same frame of reference) in the reading grid at 1800x1000;
  one step = a slice change in one, propagated to the five others, and the grid repainted.
* ``start``: ``lesionlab view sample_dicom`` in a subprocess until the window is shown and the
  study is listed (the app prints the moment and quits).

All timings use ``QWidget.repaint()`` (synchronous).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen, QStaticText  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from viewer.model.reading import ReadingModel  # noqa: E402
from viewer.testing import make_stack, make_volume  # noqa: E402
from viewer.model.viewport import ViewportModel  # noqa: E402
from viewer.qt.grid import ReadingGrid  # noqa: E402
from viewer.qt.tools import ViewContext  # noqa: E402
from viewer.qt.viewport import ViewportWidget  # noqa: E402
from viewer.records import READING_ROLES, Role  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STEPS = 400
N_SLICES = 64


def bench_reading(keys_roles: list[tuple[str, Role]], n_slices: int, per_slice: int = 20, seed: int = 0):  # type: ignore[no-untyped-def]
    """A Selection on a Reading whose exam pair has ``per_slice`` lesions measured on every slice of
    every (stack key, role) given: what the layers draw is then 20 lines on whatever slice is shown."""
    from annotation.clinical import Patient
    from annotation.project import Project
    from annotation.reading import Reading
    from annotation.records import ExamPair, Lesion, Measurement
    from annotation.selection import Selection

    rng = np.random.default_rng(seed)
    lesions, n = [], 0
    for k in range(n_slices):
        for _ in range(per_slice):
            n += 1
            les = Lesion("P1", "E1", "bench", f"L{n}", "right")
            for key, role in keys_roles:
                a, b = rng.uniform(60, 450, size=(2, 2)).tolist()
                les = les.with_observation(role, Measurement(key, "1.2.3", k, tuple(a), tuple(b), 0.7, 0.7))
            lesions.append(les)
    project = Project(patients=[Patient("P1")], exam_pairs=[ExamPair("P1", "E1")], lesions=lesions)
    return Selection(Reading(project, reader="bench"), ("P1", "E1"))


def add_reading_layers(widget: ViewportWidget, selection) -> None:  # type: ignore[no-untyped-def]
    from annotation.qt.layers import CountLayer, MeasurementLayer

    widget.add_layer(MeasurementLayer(selection))
    widget.add_layer(CountLayer(selection))


class Floor(QWidget):
    """The bare paint: lookup, QImage, drawImage."""

    def __init__(self, array: np.ndarray, table: np.ndarray, rect: QRectF) -> None:
        super().__init__()
        self.array, self.table, self.rect_f, self.k = array, table, rect, 0
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def paintEvent(self, ev: object) -> None:
        px = np.take(self.table, self.array[self.k].view(np.uint16))
        img = QImage(px.data, px.shape[1], px.shape[0], px.strides[0], QImage.Format.Format_RGB32)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(self.rect_f, img)
        p.end()


def _exposed(app: QApplication, *widgets: QWidget) -> None:
    for w in widgets:
        w.show()
    for _ in range(50):
        app.processEvents()
        if all(w.windowHandle() is not None and w.windowHandle().isExposed() for w in widgets):
            break
        time.sleep(0.01)
    app.processEvents()


def _stats(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1e3 for s in samples)
    return round(statistics.median(ms), 3), round(ms[int(0.95 * (len(ms) - 1))], 3)


def bench_one(app: QApplication) -> dict[str, float]:
    vol = make_volume(make_stack("bench", n_slices=N_SLICES, rows=512, columns=512, pixel_spacing_mm=(0.7, 0.7)))
    model = ViewportModel(role=Role.CT_ARTERIAL)
    model.set_volume(vol)
    w = ViewportWidget(model)
    w.resize(800, 800)
    add_reading_layers(w, bench_reading([("bench", Role.CT_ARTERIAL)], N_SLICES))
    _exposed(app, w)
    move = QMouseEvent(QEvent.Type.MouseMove, QPointF(400, 380), QPointF(400, 380), Qt.MouseButton.NoButton,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    app.sendEvent(w, move)  # the value readout under the pointer is part of the overlays
    view = w.view_context()
    assert view is not None
    table = w.cache.luts.get(model.window, vol.array.dtype, False).table_rgb32  # type: ignore[arg-type]
    floor = Floor(vol.array, table, QRectF(*view.transform.image_rect()))
    floor.resize(800, 800)
    _exposed(app, floor)
    app_t, floor_t, cached_t, ratios = [], [], [], []
    per_block = 20
    for block in range(STEPS // per_block):  # alternating blocks: machine noise and drift hit both alike
        a, f = [], []
        for i in range(per_block):
            k = (block * 31 + i * 7) % N_SLICES
            w.cache.clear()
            t0 = time.perf_counter()
            model.set_index(k if k != model.index else (k + 1) % N_SLICES)
            w.repaint()
            a.append(time.perf_counter() - t0)
        for i in range(per_block):
            floor.k = (block * 31 + i * 7) % N_SLICES
            t0 = time.perf_counter()
            floor.repaint()
            f.append(time.perf_counter() - t0)
        app_t += a
        floor_t += f
        ratios.append(statistics.median(a) / statistics.median(f))
    for i in range(STEPS):  # every slice now cached: the repaint cost alone
        t0 = time.perf_counter()
        model.set_index(i % 2)
        w.repaint()
        cached_t.append(time.perf_counter() - t0)
    (med, p95), (fmed, fp95), (cmed, cp95) = _stats(app_t), _stats(floor_t), _stats(cached_t)
    w.close()
    floor.close()
    return {"one_median_ms": med, "one_p95_ms": p95, "floor_median_ms": fmed, "floor_p95_ms": fp95,
            "one_over_floor": round(statistics.median(ratios), 2), "one_cached_median_ms": cmed, "one_cached_p95_ms": cp95}


def bench_six(app: QApplication) -> dict[str, float]:
    reading = ReadingModel()
    grid = ReadingGrid(reading)
    grid.resize(1800, 1000)
    for i, vp in enumerate(reading.viewports):
        stack = make_stack(f"six{i}", n_slices=N_SLICES, rows=512, columns=512, pixel_spacing_mm=(0.7, 0.7))
        vp.set_volume(make_volume(stack, seed=i))
    selection = bench_reading([(f"six{i}", role) for i, role in enumerate(READING_ROLES)], N_SLICES, seed=1)
    for w in grid.viewports:
        add_reading_layers(w, selection)
    _exposed(app, grid)
    src = reading.viewports[0]
    times = []
    for i in range(STEPS // 2):
        for w in grid.viewports:
            w.cache.clear()
        t0 = time.perf_counter()
        src.set_index((i * 5) % N_SLICES if (i * 5) % N_SLICES != src.index else 1)
        grid.repaint()
        times.append(time.perf_counter() - t0)
    assert all(vp.index == src.index for vp in reading.viewports), "linked viewports did not follow"
    med, p95 = _stats(times)
    grid.close()
    return {"six_linked_median_ms": med, "six_linked_p95_ms": p95}


def bench_start() -> dict[str, float | str]:
    sample = ROOT / "sample_dicom"
    if not any(sample.rglob("*")) if sample.exists() else True:
        return {"start_s": "skipped: sample_dicom is empty"}
    config = tempfile.mkdtemp(prefix="lesionlab-bench-")  # keep the reader's recent studies untouched
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), LESIONLAB_CONFIG_DIR=config)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "app", "view", str(sample), "--quit-when-listed"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"start_s": f"failed: {proc.stderr.strip()[-300:]}"}
        runs.append(wall)
    shutil.rmtree(config, ignore_errors=True)
    return {"start_s": round(statistics.median(runs), 3), "start_max_s": round(max(runs), 3)}


def run() -> dict:
    app = QApplication.instance() or QApplication([])
    figures: dict = {}
    figures.update(bench_one(app))
    figures.update(bench_six(app))
    figures.update(bench_start())
    figures["targets"] = "one <= 4 ms median and <= 1.5x floor; six <= 16 ms; start < 2 s"
    for k, v in figures.items():
        print(f"{k:>24}: {v}")
    return figures


if __name__ == "__main__":
    run()
