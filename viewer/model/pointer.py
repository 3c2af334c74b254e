"""Pointer events without Qt: what a viewport tool receives, so gestures are tested without a widget.

A :class:`PointerEvent` carries the pointer in both coordinate systems of a viewport (widget
pixels and continuous image (row, col), (0, 0) = centre of the top-left pixel,
:mod:`viewer.geometry`), the button that changed, the buttons held and the modifiers, and the
:class:`View` it happened in (the viewport model and its widget <-> image transform). The Qt
viewport (:mod:`viewer.qt.viewport`) makes them from mouse events; tests make them directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum, Flag, auto

from viewer.geometry import StackGeometry
from viewer.model.view import ViewTransform
from viewer.model.viewport import ViewportModel


class Button(Enum):
    NONE = "none"
    LEFT = "left"
    RIGHT = "right"
    MIDDLE = "middle"


class Modifier(Flag):
    NONE = 0
    SHIFT = auto()
    CTRL = auto()
    ALT = auto()


class PointerKind(Enum):
    PRESS = "press"
    MOVE = "move"
    RELEASE = "release"
    CLICK = "click"  # a press and release without a drag (the tool gets press and release too)


@dataclass(frozen=True)
class View:
    """A viewport at one moment: its model and the widget <-> image transform."""

    model: ViewportModel
    transform: ViewTransform

    @property
    def geometry(self) -> StackGeometry | None:
        return self.model.geometry

    @property
    def slice_index(self) -> int:
        return self.model.index

    @property
    def px_per_mm(self) -> float:
        return self.transform.px_per_mm

    def to_widget_xy(self, row: float, col: float) -> tuple[float, float]:
        return self.transform.image_to_widget(row, col)

    def to_image(self, x: float, y: float) -> tuple[float, float]:
        return self.transform.widget_to_image(x, y)

    def widget_distance(self, widget_pos: tuple[float, float], point: tuple[float, float]) -> float:
        """Screen distance (widget pixels) from ``widget_pos`` to the image ``point`` (row, col)."""
        x, y = self.to_widget_xy(*point)
        return math.hypot(widget_pos[0] - x, widget_pos[1] - y)


@dataclass(frozen=True)
class PointerEvent:
    kind: PointerKind
    widget_pos: tuple[float, float]  # (x, y) widget pixels
    image_pos: tuple[float, float]  # continuous (row, col)
    button: Button  # the button that changed (NONE for moves)
    buttons: frozenset[Button]  # buttons held
    modifiers: Modifier
    view: View

    @property
    def inside(self) -> bool:
        """True when the pointer is over the image."""
        return self.view.transform.contains(*self.image_pos)

    @property
    def left_held(self) -> bool:
        return Button.LEFT in self.buttons

    def distance_px(self, point: tuple[float, float]) -> float:
        """Screen distance to an image point, in widget pixels (grab tolerances are in pixels)."""
        return self.view.widget_distance(self.widget_pos, point)

    @classmethod
    def at(cls, view: View, kind: PointerKind, row: float, col: float, button: Button = Button.LEFT,
           buttons: frozenset[Button] | None = None, modifiers: Modifier = Modifier.NONE) -> "PointerEvent":
        """An event at image (row, col) of ``view`` (tests and scripted gestures)."""
        if buttons is None:
            held = kind in (PointerKind.PRESS, PointerKind.MOVE) and button is not Button.NONE
            buttons = frozenset({button}) if held else frozenset()
        return cls(kind, view.to_widget_xy(row, col), (row, col), button, buttons, modifiers, view)


def segment_distance_px(view: View, widget_pos: tuple[float, float], a: tuple[float, float],
                        b: tuple[float, float]) -> float:
    """Screen distance (widget pixels) from a widget point to the segment between image points a and b."""
    ax, ay = view.to_widget_xy(*a)
    bx, by = view.to_widget_xy(*b)
    px, py = widget_pos
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))
