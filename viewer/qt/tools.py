"""The tool protocol of the viewport: how measurement, counting and other tools plug in.

A **tool** is the active left-button behaviour of a viewport (window/level by default, then the
reading tools: line, count, lobe boundary, reference point). A **layer** is anything painted over
the image every repaint (stored measurements, count marks). Both work in *image coordinates*
(continuous ``(row, col)``, (0, 0) = centre of the top-left pixel, :mod:`viewer.geometry`); the
viewport converts to and from widget pixels through :class:`ViewContext`, so tools never deal
with zoom, pan or non-square pixels, and millimetres come from ``view.geometry``.

Event routing (``viewer.qt.viewport``):

1. Every mouse press/move/release (move also without a button: hover) goes to the active tool
   first as a Qt-free :class:`viewer.model.pointer.PointerEvent`; the gesture logic therefore
   runs and is tested without Qt. Returning True consumes it and repaints the viewport.
2. Unconsumed events fall to navigation: right-drag window/level (or zoom, a setting), middle-drag
   pan, Ctrl+right-drag zoom, wheel scroll, Ctrl+wheel zoom, right-click context menu. Tools
   should therefore consume left-button events only.
3. Keys never reach tools: one place decides what a key does, the application's shortcut table
   (app.shortcuts), whose actions call the tools (cancel a gesture, delete what is selected).
4. ``paint`` is called after the image and the layers, with the painter in widget pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent, QPainter

from viewer.model.pointer import Button, Modifier, PointerEvent, PointerKind, View
from viewer.model.viewport import ViewportModel

_BUTTONS = ((Qt.MouseButton.LeftButton, Button.LEFT), (Qt.MouseButton.RightButton, Button.RIGHT),
            (Qt.MouseButton.MiddleButton, Button.MIDDLE))
_MODIFIERS = ((Qt.KeyboardModifier.ShiftModifier, Modifier.SHIFT), (Qt.KeyboardModifier.ControlModifier, Modifier.CTRL),
              (Qt.KeyboardModifier.AltModifier, Modifier.ALT))


@dataclass(frozen=True)
class ViewContext(View):
    """The Qt-free :class:`View` with QPointF conversions for painting."""

    def to_widget(self, row: float, col: float) -> QPointF:
        x, y = self.transform.image_to_widget(row, col)
        return QPointF(x, y)


def pointer_event(kind: PointerKind, ev: QMouseEvent, view: ViewContext) -> PointerEvent:
    """A Qt mouse event as a Qt-free pointer event."""
    pos = ev.position()
    button = next((b for q, b in _BUTTONS if ev.button() == q), Button.NONE)
    held = frozenset(b for q, b in _BUTTONS if ev.buttons() & q)
    mods = Modifier.NONE
    for q, m in _MODIFIERS:
        if ev.modifiers() & q:
            mods |= m
    return PointerEvent(kind, (pos.x(), pos.y()), view.to_image(pos.x(), pos.y()), button, held, mods, view)


@runtime_checkable
class Layer(Protocol):
    """Something painted over the image on every repaint (e.g. the stored measurements)."""

    def paint(self, painter: QPainter, view: ViewContext) -> None: ...


@runtime_checkable
class Tool(Layer, Protocol):
    """The active left-button behaviour of a viewport. Handlers return True to consume."""

    name: str
    cursor: Qt.CursorShape

    def press(self, event: PointerEvent) -> bool: ...
    def move(self, event: PointerEvent) -> bool: ...
    def release(self, event: PointerEvent) -> bool: ...
    def cancel(self) -> bool: ...


class BaseTool:
    """No-op implementation of :class:`Tool` to inherit from."""

    name = "none"
    cursor = Qt.CursorShape.ArrowCursor

    def press(self, event: PointerEvent) -> bool:
        return False

    def move(self, event: PointerEvent) -> bool:
        return False

    def release(self, event: PointerEvent) -> bool:
        return False

    def cancel(self) -> bool:
        """Drop a gesture in progress (Esc); False when there was none."""
        return False

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        return None


class DragTool(BaseTool):
    """Left-drag tools that turn the drag delta (widget pixels) into a model change."""

    def __init__(self) -> None:
        self._last: tuple[float, float] | None = None

    def press(self, event: PointerEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        self._last = event.widget_pos
        return True

    def move(self, event: PointerEvent) -> bool:
        if self._last is None or not event.left_held:
            return False
        dx, dy = event.widget_pos[0] - self._last[0], event.widget_pos[1] - self._last[1]
        self._last = event.widget_pos
        self.drag(event.view, dx, dy)
        return True

    def release(self, event: PointerEvent) -> bool:
        if self._last is None or event.button is not Button.LEFT:
            return False
        self._last = None
        return True

    def drag(self, view: View, dx: float, dy: float) -> None:
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

    def drag(self, view: View, dx: float, dy: float) -> None:
        drag_window(view.model, dx, dy)


class CrosshairTool(BaseTool):
    """Left click (or drag) places the reference point; ``place(model, point_mm)`` propagates it
    (the reading grid passes :meth:`LinkModel.set_reference_point`)."""

    name = "crosshair"
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, place) -> None:  # type: ignore[no-untyped-def]
        self._place = place
        self._down = False

    def _put(self, event: PointerEvent) -> bool:
        geo = event.view.geometry
        if geo is None or not event.inside:
            return False
        self._place(event.view.model, geo.index_to_patient(event.view.slice_index, *event.image_pos))
        return True

    def press(self, event: PointerEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        self._down = True
        return self._put(event)

    def move(self, event: PointerEvent) -> bool:
        return self._down and event.left_held and self._put(event)

    def release(self, event: PointerEvent) -> bool:
        was, self._down = self._down, False
        return was and event.button is Button.LEFT
