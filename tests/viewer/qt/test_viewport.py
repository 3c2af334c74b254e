"""ViewportWidget with pytest-qt, offscreen: painting, scrolling, window/level, zoom, tools."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter, QWheelEvent

from viewer.display import WindowLevel
from viewer.testing import make_stack, make_volume
from viewer.model.viewport import ViewportModel
from viewer.model.pointer import Button, PointerEvent
from viewer.qt.tools import BaseTool, ViewContext
from viewer.qt.viewport import ViewportWidget
from viewer.records import Role


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    model = ViewportModel(role=Role.CT_PORTAL)
    model.set_volume(make_volume(make_stack("ct", n_slices=20, rows=64, columns=64, pixel_spacing_mm=(1.6, 0.8))),
                     Role.CT_PORTAL)
    w = ViewportWidget(model)
    qtbot.addWidget(w)
    w.resize(400, 400)
    w.show()
    qtbot.waitExposed(w)
    return w


def grab(w: ViewportWidget) -> np.ndarray:
    img = w.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width()].copy()


def test_qt_binding_does_not_eat_none() -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call and crashes."""
    img = QImage(8, 8, QImage.Format.Format_RGB32)
    p = QPainter(img)
    before = sys.getrefcount(None)
    for _ in range(200):
        p.setPen(QColor(1, 2, 3))
    p.end()
    assert sys.getrefcount(None) >= before - 20, "broken PySide6 build: install another version (pyproject.toml)"


def test_paints_with_true_aspect_ratio(view: ViewportWidget) -> None:
    # 64 x 64 pixels of 1.6 x 0.8 mm: twice as high as wide on screen. Inverted, the air
    # around the body is white, so the bright bounding box is the image rectangle.
    view.show_overlays = False
    view.model.toggle_invert()
    arr = grab(view)[2:-2, 2:-2]  # without the cell border
    rows = np.flatnonzero((arr > 200).any(axis=1))
    cols = np.flatnonzero((arr > 200).any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert height == pytest.approx(396, abs=3) and width == pytest.approx(198, abs=3)


def test_wheel_and_keys_scroll(view: ViewportWidget, qtbot) -> None:  # type: ignore[no-untyped-def]
    m = view.model
    start = m.index
    ev = QWheelEvent(QPointF(200, 200), QPointF(200, 200), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    view.wheelEvent(ev)
    assert m.index == start - 1  # wheel down: next slice, down the patient
    before = grab(view)
    m.set_index(2)
    assert not np.array_equal(before, grab(view))


def test_right_drag_changes_window_and_right_click_asks_for_menu(view: ViewportWidget, qtbot) -> None:  # type: ignore[no-untyped-def]
    m = view.model
    assert m.window == WindowLevel(400, 40)
    asked: list = []
    view.context_requested.connect(asked.append)
    qtbot.mousePress(view, Qt.MouseButton.RightButton, pos=QPoint(100, 100))
    qtbot.mouseMove(view, QPoint(150, 80))
    qtbot.mouseRelease(view, Qt.MouseButton.RightButton, pos=QPoint(150, 80))
    wl = m.window
    assert wl.width > 400 and wl.center < 40 and not asked
    qtbot.mouseClick(view, Qt.MouseButton.RightButton, pos=QPoint(100, 100))
    assert len(asked) == 1


def test_left_drag_is_the_default_window_tool_and_ctrl_wheel_zooms(view: ViewportWidget, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(view, QPoint(60, 100))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(60, 100))
    assert view.model.window.width < 400
    ev = QWheelEvent(QPointF(120, 200), QPointF(120, 200), QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    t0 = view.transform()
    under = t0.widget_to_image(120, 200)
    view.wheelEvent(ev)
    assert view.model.zoom == pytest.approx(1.15 ** 2)
    assert view.transform().widget_to_image(120, 200) == pytest.approx(under)


class Recorder(BaseTool):
    """A tool that records its events and draws a marker at the last press (image coordinates)."""

    name = "recorder"

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[float, float], bool]] = []
        self.painted = 0

    def press(self, event: PointerEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        self.events.append(("press", event.image_pos, event.inside))
        return True

    def release(self, event: PointerEvent) -> bool:
        self.events.append(("release", event.image_pos, event.inside))
        return event.button is Button.LEFT

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        self.painted += 1
        if self.events:
            painter.fillRect(view.to_widget(*self.events[0][1]).x() - 3, view.to_widget(*self.events[0][1]).y() - 3,
                             6, 6, QColor(255, 0, 0))


def test_tool_gets_image_coordinates_and_paints(view: ViewportWidget, qtbot) -> None:  # type: ignore[no-untyped-def]
    tool = Recorder()
    view.set_tool(tool)
    t = view.transform()
    x, y = t.image_to_widget(10, 20)  # centre of pixel (row 10, col 20)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    kind, (row, col), inside = tool.events[0]
    assert kind == "press" and inside
    assert row == pytest.approx(10, abs=0.2) and col == pytest.approx(20, abs=0.2)
    assert view.model.window == WindowLevel(400, 40)  # the tool consumed the left button
    img = view.grab().toImage()
    assert img.pixelColor(round(x), round(y)).red() == 255 and tool.painted > 0
    view.keyPressEvent(QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier))
    assert view.tool is tool  # keys never reach tools: the application's shortcut table decides (Esc included)
    view.set_tool(None)
    assert view.tool is view.default_tool


def test_empty_cell_names_the_missing_role(qtbot) -> None:  # type: ignore[no-untyped-def]
    w = ViewportWidget(ViewportModel(role=Role.MR_T1_PORTAL))
    qtbot.addWidget(w)
    w.resize(300, 300)
    arr = grab(w)
    assert (arr > 100).sum() > 50  # the text: "T1 portal", open a study


def test_overlays_show_text_in_the_corners(view: ViewportWidget) -> None:
    view.model.set_index(0)
    arr = grab(view)
    corners = [arr[:40, :90], arr[:40, -90:], arr[-40:, :90], arr[-40:, -90:]]
    assert all((c > 120).sum() > 20 for c in corners)
    view.show_overlays = False
    arr2 = grab(view)
    assert (arr2[-40:, -90:] > 120).sum() < (arr[-40:, -90:] > 120).sum()


def test_slider_follows_and_drives_the_slice(qtbot) -> None:  # type: ignore[no-untyped-def]
    from viewer.qt.cell import ViewportCell

    model = ViewportModel()
    model.set_volume(make_volume(make_stack("ct", n_slices=20)))
    cell = ViewportCell(model)
    qtbot.addWidget(cell)
    assert cell.slider.maximum() == 19 and cell.slider.value() == model.slice_number - 1
    cell.slider.setValue(0)  # top of the slider: the top slice
    assert model.slice_number == 1 and model.index == 19
    model.last()
    assert cell.slider.value() == 19
