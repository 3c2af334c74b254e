"""The tool protocol of the viewport: how measurement, counting and other tools plug in.

A **tool** is the active left-button behaviour of a viewport (window/level by default, then
ruler, lesion counter...). A **layer** is anything painted over the image every repaint
(stored measurements, lesion marks). Both work in *image coordinates* (continuous
``(row, col)``, (0, 0) = centre of the top-left pixel, :mod:`viewer.geometry`); the viewport
converts to and from widget pixels through :class:`ViewContext`, so tools never deal with
zoom, pan or non-square pixels, and millimetres come from ``view.geometry``.

Event routing (``viewer.qt.viewport``):

1. Every mouse press/move/release (move also without a button: hover) goes to the active
   tool first as a :class:`ToolEvent`. Returning True consumes it and repaints the viewport.
2. Unconsumed events fall to navigation: right-drag window/level, middle-drag pan,
   Ctrl+right-drag zoom, wheel scroll, Ctrl+wheel zoom, right-click context menu.
   Tools should therefore consume left-button events only.
3. Keys reach ``tool.key`` when no application shortcut (app.shortcuts) claims them:
   Esc, Delete, Backspace, Enter are left free for tools. Esc not consumed by the tool
   returns to the default tool.
4. ``paint`` is called after the image and the layers, with the painter in widget pixels.

A minimal tool::

    class Ruler(BaseTool):
        name = "ruler"
        def press(self, ev):
            if ev.button != Qt.LeftButton: return False
            self.a = self.b = ev.image_pos; return True
        def move(self, ev):
            if self.a is None or not ev.buttons & Qt.LeftButton: return False
            self.b = ev.image_pos; return True
        def paint(self, painter, view):
            if self.a: painter.drawLine(view.to_widget(*self.a), view.to_widget(*self.b))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent, QPainter

from viewer.geometry import StackGeometry
from viewer.model.view import ViewTransform
from viewer.model.viewport import ViewportModel


@dataclass(frozen=True)
class ViewContext:
    """The viewport at one moment: its model and the widget <-> image transform."""

    model: ViewportModel
    transform: ViewTransform

    @property
    def geometry(self) -> StackGeometry | None:
        return self.model.geometry

    @property
    def slice_index(self) -> int:
        return self.model.index

    def to_widget(self, row: float, col: float) -> QPointF:
        x, y = self.transform.image_to_widget(row, col)
        return QPointF(x, y)

    def to_image(self, pos: QPointF) -> tuple[float, float]:
        return self.transform.widget_to_image(pos.x(), pos.y())

    @property
    def px_per_mm(self) -> float:
        return self.transform.px_per_mm


@dataclass(frozen=True)
class ToolEvent:
    """A mouse event in both coordinate systems."""

    widget_pos: QPointF
    image_pos: tuple[float, float]  # continuous (row, col)
    button: Qt.MouseButton  # the button that changed (NoButton for moves)
    buttons: Qt.MouseButton  # buttons held
    modifiers: Qt.KeyboardModifier
    view: ViewContext

    @property
    def inside(self) -> bool:
        """True when the pointer is over the image."""
        return self.view.transform.contains(*self.image_pos)


@runtime_checkable
class Layer(Protocol):
    """Something painted over the image on every repaint (e.g. the stored measurements)."""

    def paint(self, painter: QPainter, view: ViewContext) -> None: ...


@runtime_checkable
class Tool(Layer, Protocol):
    """The active left-button behaviour of a viewport. Handlers return True to consume."""

    name: str
    cursor: Qt.CursorShape

    def press(self, event: ToolEvent) -> bool: ...
    def move(self, event: ToolEvent) -> bool: ...
    def release(self, event: ToolEvent) -> bool: ...
    def key(self, event: QKeyEvent, view: ViewContext) -> bool: ...


class BaseTool:
    """No-op implementation of :class:`Tool` to inherit from."""

    name = "none"
    cursor = Qt.CursorShape.ArrowCursor

    def press(self, event: ToolEvent) -> bool:
        return False

    def move(self, event: ToolEvent) -> bool:
        return False

    def release(self, event: ToolEvent) -> bool:
        return False

    def key(self, event: QKeyEvent, view: ViewContext) -> bool:
        return False

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        return None


class DragTool(BaseTool):
    """Left-drag tools that turn the drag delta (widget pixels) into a model change."""

    def __init__(self) -> None:
        self._last: QPointF | None = None

    def press(self, event: ToolEvent) -> bool:
        if event.button != Qt.MouseButton.LeftButton:
            return False
        self._last = event.widget_pos
        return True

    def move(self, event: ToolEvent) -> bool:
        if self._last is None or not (event.buttons & Qt.MouseButton.LeftButton):
            return False
        d = event.widget_pos - self._last
        self._last = event.widget_pos
        self.drag(event.view, d.x(), d.y())
        return True

    def release(self, event: ToolEvent) -> bool:
        if self._last is None or event.button != Qt.MouseButton.LeftButton:
            return False
        self._last = None
        return True

    def drag(self, view: ViewContext, dx: float, dy: float) -> None:
        raise NotImplementedError


#: Window/level change per widget pixel dragged, as a fraction of the current width
#: (so a drag feels the same on a W150 liver window and a W2000 bone window).
WL_SENSITIVITY = 0.004


def drag_window(model: ViewportModel, dx: float, dy: float) -> None:
    """Horos/Weasis convention: right = wider, left = narrower; down = higher level (darker), up = lower."""
    wl = model.window
    if wl is None:
        return
    step = max(wl.width, 20.0) * WL_SENSITIVITY
    model.set_window(wl.adjusted(dx * step, dy * step))


class WindowLevelTool(DragTool):
    """The default tool: left-drag changes window/level, as in OHIF, Horos and Weasis."""

    name = "window_level"
    cursor = Qt.CursorShape.SizeAllCursor

    def drag(self, view: ViewContext, dx: float, dy: float) -> None:
        drag_window(view.model, dx, dy)


class PanTool(DragTool):
    name = "pan"
    cursor = Qt.CursorShape.OpenHandCursor

    def drag(self, view: ViewContext, dx: float, dy: float) -> None:
        view.model.set_center(view.transform.center_after_drag(dx, dy))


class ZoomTool(DragTool):
    """Drag up to zoom in, down to zoom out (about the viewport centre)."""

    name = "zoom"
    cursor = Qt.CursorShape.SizeVerCursor

    def drag(self, view: ViewContext, dx: float, dy: float) -> None:
        view.model.set_zoom(view.model.zoom * (1.01 ** (-dy)))


class CrosshairTool(BaseTool):
    """Left click (or drag) places the reference point; ``place(model, point_mm)`` propagates it
    (the reading grid passes :meth:`LinkModel.set_reference_point`)."""

    name = "crosshair"
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, place) -> None:  # type: ignore[no-untyped-def]
        self._place = place
        self._down = False

    def _put(self, event: ToolEvent) -> bool:
        geo = event.view.geometry
        if geo is None or not event.inside:
            return False
        self._place(event.view.model, geo.index_to_patient(event.view.slice_index, *event.image_pos))
        return True

    def press(self, event: ToolEvent) -> bool:
        if event.button != Qt.MouseButton.LeftButton:
            return False
        self._down = True
        return self._put(event)

    def move(self, event: ToolEvent) -> bool:
        return self._down and bool(event.buttons & Qt.MouseButton.LeftButton) and self._put(event)

    def release(self, event: ToolEvent) -> bool:
        was, self._down = self._down, False
        return was and event.button == Qt.MouseButton.LeftButton
