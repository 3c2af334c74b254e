"""Session 41's overlay check (docs/suggest_ct_arterial.png): in a zoomed CT cell the readout under the pointer,
"125 HU  (-90.5, -20.2, -1300.0) mm", ran under the bottom edge's "P" ("-1300.0)Pmm"). The overlay texts of a cell
(corners, edge letters, scale bar) must not overlap one another at 1366 x 768 and 1920 x 1080, in the 2 x 3 and
3 x 3 grids and maximised, through the real main window with the pointer over each cell."""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from viewer.records import Role

from .conftest import open_pair, press


def _overlaps(vp) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    boxes = vp.overlays.boxes
    return [(a, b) for i, (a, ra) in enumerate(boxes) for b, rb in boxes[i + 1:] if ra.intersects(rb)]


def _hover_and_check(w, qtbot, vp) -> str:  # type: ignore[no-untyped-def]
    """The pointer moved onto the cell's middle (a pixel of the image): the readout shown, no texts overlapping."""
    mid = QPoint(vp.width() // 2, vp.height() // 2)
    qtbot.mouseMove(vp, mid + QPoint(5, 5))
    qtbot.mouseMove(vp, mid)
    vp.grab()
    shown = [t for t, _ in vp.overlays.boxes]
    readout = next((t for t in shown if t.endswith(") mm")), "")
    assert readout, shown
    assert not _overlaps(vp), (vp.width(), vp.height(), _overlaps(vp))
    return readout


def test_no_overlay_text_of_a_cell_overlaps_another(window, qtbot, sample_dicom, sample_index) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.show_error = lambda *a, **k: None  # type: ignore[method-assign]  # a modal dialog hangs offscreen
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")  # its CT at table position -1300 mm
    ct = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_ARTERIAL)
    vp = w.grid.viewports[ct]
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))  # active
    mid = QPointF(vp.width() / 2, vp.height() / 2)
    for _ in range(7):  # Ctrl+wheel: zoomed in as on the screenshot (2.5x)
        QApplication.sendEvent(vp, QWheelEvent(mid, vp.mapToGlobal(mid), QPoint(0, 0), QPoint(0, 120),
                                               Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                                               Qt.ScrollPhase.NoScrollPhase, False))
    readouts = []
    for size in ((1366, 768), (1920, 1080)):
        w.resize(*size)
        qtbot.wait(100)
        cells = [v for v in w.grid.viewports if v.model.volume is not None and v.isVisible()]
        assert len(cells) == 6
        for v in cells:
            readouts.append(_hover_and_check(w, qtbot, v))
        press(w, qtbot, "grid_3x3")  # the shortest cells
        qtbot.wait(100)
        short = [v for v in w.grid.viewports if v.model.volume is not None and v.isVisible()]
        assert len(short) == 6 and all(v.height() < size[1] / 4 for v in short), [v.size() for v in short]
        for v in short:
            readouts.append(_hover_and_check(w, qtbot, v))
        press(w, qtbot, "grid_2x3")
        qtbot.wait(100)
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
        press(w, qtbot, "maximise")
        qtbot.waitUntil(lambda: vp.width() > size[0] // 2)
        readouts.append(_hover_and_check(w, qtbot, vp))
        press(w, qtbot, "maximise")
        qtbot.waitUntil(lambda: vp.width() < size[0] // 2)
    assert any(re.search(r" HU  \(.*, -1\d{3}\.\d\) mm", r) for r in readouts), readouts  # the widest: z -1290
