"""Line, short-axis, count and boundary tools: the Qt side of the Qt-free gestures (annotation/gestures.py).

A tool forwards the viewport's pointer events to its gesture and paints what the gesture is
drawing; every decision (what is grabbed, what is recorded, what is refused) is the gesture's.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QPainter, QPen

from annotation.gestures import (BoundaryGesture, CountGesture, LineGesture, ReadingContext, ReadingGesture,
                                 ShortAxisGesture)
from annotation.qt.layers import BOUNDARY_COLOUR, CURRENT_COLOUR, CountLayer, MeasurementLayer, draw_line
from annotation.placement import images_of, slice_of
from annotation.records import Measurement
from viewer.model.pointer import PointerEvent
from viewer.qt.tools import BaseTool, ViewContext

__all__ = ["BoundaryTool", "CountTool", "LineTool", "ShortAxisTool", "attach", "jump_to"]


class _GestureTool(BaseTool):
    gesture: ReadingGesture

    @property
    def last_message(self) -> str:
        return self.gesture.last_message

    def press(self, event: PointerEvent) -> bool:
        return self.gesture.press(event)  # type: ignore[attr-defined, no-any-return]

    def move(self, event: PointerEvent) -> bool:
        return self.gesture.move(event)  # type: ignore[attr-defined, no-any-return]

    def release(self, event: PointerEvent) -> bool:
        return self.gesture.release(event)  # type: ignore[attr-defined, no-any-return]

    def cancel(self) -> bool:
        return self.gesture.cancel()


class LineTool(_GestureTool):
    """Draw or edit diameters (LineGesture); the stored line being edited is hidden meanwhile."""

    name = "line"
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, ctx: ReadingContext, layer: MeasurementLayer | None = None) -> None:
        self.gesture = self.line = LineGesture(ctx)
        self.layer = layer or MeasurementLayer(ctx.selection)

    def press(self, event: PointerEvent) -> bool:
        done = super().press(event)
        self.layer.hidden = self.line.hidden
        return done

    def release(self, event: PointerEvent) -> bool:
        done = super().release(event)
        self.layer.hidden = None
        return done

    def cancel(self) -> bool:
        self.layer.hidden = None
        return super().cancel()

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        preview = self.line.preview(view)
        if preview is not None:
            draw_line(painter, view, preview[0], preview[1], preview[2], CURRENT_COLOUR)


class ShortAxisTool(_GestureTool):
    """The bidirectional tool's short axis (ShortAxisGesture), drawn perpendicular as it is dragged."""

    name = "short_axis"
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, ctx: ReadingContext) -> None:
        self.gesture = self.short = ShortAxisGesture(ctx)

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        preview = self.short.preview(view)
        if preview is not None:
            draw_line(painter, view, preview[0], preview[1], preview[2], CURRENT_COLOUR)


class CountTool(_GestureTool):
    """Count marks (CountGesture); the layer shows the mark being dragged and the one hovered."""

    name = "count"
    cursor = Qt.CursorShape.PointingHandCursor

    def __init__(self, ctx: ReadingContext, layer: CountLayer | None = None) -> None:
        self.gesture = self.count = CountGesture(ctx)
        self.layer = layer or CountLayer(ctx.selection)

    def _sync(self, done: bool) -> bool:
        self.layer.moving, self.layer.hover = self.count.moving, self.count.hover
        return done

    def press(self, event: PointerEvent) -> bool:
        return self._sync(super().press(event))

    def move(self, event: PointerEvent) -> bool:
        return self._sync(super().move(event))

    def release(self, event: PointerEvent) -> bool:
        return self._sync(super().release(event))


class BoundaryTool(_GestureTool):
    """Draw the right/left liver boundary on a slice (BoundaryGesture)."""

    name = "boundary"
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, ctx: ReadingContext) -> None:
        self.gesture = self.boundary = BoundaryGesture(ctx)

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        preview = self.boundary.preview()
        if preview is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(BOUNDARY_COLOUR, 2.0))
            painter.drawLine(QLineF(view.to_widget(*preview[0]), view.to_widget(*preview[1])))


def attach(viewport: Any, ctx: ReadingContext) -> tuple[MeasurementLayer, CountLayer]:
    """Show the reading's lines and marks on a viewport and repaint it after every edit/undo/redo."""
    line_layer = MeasurementLayer(ctx.selection)
    count_layer = CountLayer(ctx.selection, avoid=lambda: line_layer.label_boxes)
    line_layer.keep_off = count_layer.tick_boxes
    viewport.add_layer(line_layer)
    viewport.add_layer(count_layer)
    ctx.selection.reading.subscribe(lambda event: viewport.update())
    ctx.selection.changed.connect(viewport.update)
    return line_layer, count_layer


def jump_to(models: Any, measurement: Measurement) -> Any:
    """Show a measurement's slice on the viewport model displaying its stack (from a lesion-grid click).

    ``models`` is an iterable of ViewportModel; returns the one that moved, or None when no
    viewport shows that stack (the caller may then load it).
    """
    for model in models:
        if model.key == measurement.stack_key:
            k = slice_of(measurement, images_of(model))
            if k is None:  # its image is missing from the stack as loaded: shown on no other image
                return None
            model.set_index(k)
            return model
    return None
