"""Line (measurement) and count tools, on the viewport tool protocol of viewer.qt.tools.

Both are thin: they read the viewport (stack, slice, geometry, role) from the ViewContext and
turn a finished gesture into one Reading command, so each gesture is one undo step. Why an
action is refused goes to ``on_message`` (the main window shows it in its status bar).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QPainter

from annotation.qt.layers import CURRENT_COLOUR, GRAB_PX, CountLayer, MeasurementLayer, _near, draw_line
from annotation.records import Measurement
from annotation.selection import Selection
from annotation.vocab import Lobe
from viewer.errors import LesionlabError
from viewer.qt.tools import BaseTool, ToolEvent, ViewContext
from viewer.records import READING_ROLES, Role

__all__ = ["CountTool", "LineTool", "attach", "jump_to"]


class _ReadingTool(BaseTool):
    def __init__(self, selection: Selection, on_message: Callable[[str], None] | None = None,
                 prepare: Callable[[], str | None] | None = None) -> None:
        self.selection = selection
        self.on_message = on_message or (lambda text: None)
        #: Called before a gesture that records something: makes the pair and a writable store ready
        #: (the workstation's reading controller); returns why not, or None when ready.
        self.prepare = prepare or (lambda: None)
        self.last_message = ""

    @property
    def reading(self):  # type: ignore[no-untyped-def]
        return self.selection.reading

    def _say(self, text: str) -> bool:
        self.last_message = text
        self.on_message(text)
        return True  # the press was ours, even if refused

    def _edit(self, command: Callable[[], object]) -> None:
        """Run one Reading command; a refusal (read-only store, bad value) becomes the message."""
        try:
            command()
        except LesionlabError as exc:
            self._say(str(exc))

    def _role(self, view: ViewContext) -> Role | None:
        role = getattr(view.model, "role", None)
        return role if role in READING_ROLES else None

    def _refusal(self, view: ViewContext) -> str | None:
        """Why nothing can be recorded on this viewport now, or None (after :attr:`prepare`)."""
        if view.geometry is None:
            return "no series in this viewport"
        role = getattr(view.model, "role", None)
        if role not in READING_ROLES:
            name = role.value if isinstance(role, Role) else "unknown"
            return f"this series is {name}; the reading records only the six protocol series"
        reason = self._series_refusal(view)
        if reason:
            return reason
        reason = self.prepare()
        if reason:
            return reason
        if self.selection.pair is None:
            return "choose an exam pair first"
        return None

    def _series_refusal(self, view: ViewContext) -> str | None:
        return None

    def key(self, event: QKeyEvent, view: ViewContext) -> bool:
        k = event.key()
        if k == Qt.Key.Key_R:
            self.selection.set_lobe(Lobe.RIGHT)
            return True
        if k == Qt.Key.Key_L:
            self.selection.set_lobe(Lobe.LEFT)
            return True
        return False


class LineTool(_ReadingTool):
    """Press-drag-release draws the current lesion's diameter on this series; endpoints stay editable.

    Pressing near an endpoint of a stored line moves that endpoint. ``N`` starts a new lesion (in
    the current lobe), ``R``/``L`` switch the lobe, ``Esc`` drops a line being drawn.
    """

    name = "line"
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, selection: Selection, layer: MeasurementLayer | None = None,
                 on_message: Callable[[str], None] | None = None, prepare: Callable[[], str | None] | None = None) -> None:
        super().__init__(selection, on_message, prepare)
        self.layer = layer or MeasurementLayer(selection)
        self._a: tuple[float, float] | None = None
        self._b: tuple[float, float] | None = None
        self._grab: tuple[str, int] | None = None  # (lesion id, endpoint) being moved

    def _series_refusal(self, view: ViewContext) -> str | None:
        geo = view.geometry
        assert geo is not None
        if not geo.measurable:
            return f"cannot measure: {geo.not_measurable_reason}"
        if geo.orientation.value != "axial":
            return (f"cannot measure on a {geo.orientation.value} stack: the protocol measures in the strict"
                    " axial plane")
        return None

    def _reset(self) -> None:
        self._a = self._b = self._grab = None
        self.layer.hidden = None

    def press(self, event: ToolEvent) -> bool:
        if event.button != Qt.MouseButton.LeftButton:
            return False
        view = event.view
        reason = self._refusal(view)
        if reason:
            return self._say(reason)
        for lesion_id, m in self.layer.on_slice(view):
            for which, p in ((1, m.p1), (2, m.p2)):
                if _near(view, event, p) <= GRAB_PX:
                    self._grab = (lesion_id, which)
                    self.layer.hidden = lesion_id
                    self.selection.set_lesion(lesion_id)
                    self._a, self._b = (m.p2, p) if which == 1 else (m.p1, p)
                    return True
        if not event.inside:
            return False
        if self.selection.lesion_id is None:
            return self._say("no current lesion: press N for a new lesion, or pick one in the lesion panel")
        self._a = self._b = event.image_pos
        return True

    def move(self, event: ToolEvent) -> bool:
        if self._a is None or not (event.buttons & Qt.MouseButton.LeftButton):
            return False
        geo = event.view.geometry
        assert geo is not None
        row, col = event.image_pos
        self._b = (min(max(row, -0.5), geo.rows - 0.5), min(max(col, -0.5), geo.columns - 0.5))
        return True

    def release(self, event: ToolEvent) -> bool:
        if self._a is None or event.button != Qt.MouseButton.LeftButton:
            return False
        a, b, grab = self._a, self._b, self._grab
        self._reset()
        view, sel = event.view, self.selection
        role = self._role(view)
        assert a is not None and b is not None and role is not None and sel.pair is not None
        try:
            if grab is not None:
                d = self.reading.move_endpoint(sel.pair, grab[0], role, grab[1], b)
                self._say(f"{grab[0]} on {role.value}: {d:.1f} mm")
            elif a != b:
                uid = view.model.volume.stack.series_instance_uid
                d = self.reading.measure(sel.pair, sel.lesion_id, role, view.geometry, view.model.key,  # type: ignore[arg-type]
                                         uid, view.slice_index, a, b)
                self._say(f"{sel.lesion_id} on {role.value}: {d:.1f} mm")
        except LesionlabError as exc:
            self._say(str(exc))
        return True

    def key(self, event: QKeyEvent, view: ViewContext) -> bool:
        if event.key() == Qt.Key.Key_N:
            lesion_id = self.selection.new_lesion()
            return self._say(f"new lesion {lesion_id} ({self.selection.lobe.value} lobe)" if lesion_id
                             else "choose an exam pair first")
        if event.key() == Qt.Key.Key_Escape and self._a is not None:
            self._reset()
            return True
        return super().key(event, view)

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        geo = view.geometry
        if self._a is not None and self._b is not None and geo is not None and geo.measurable:
            label = self._grab[0] if self._grab else (self.selection.lesion_id or "")
            draw_line(painter, view, self._a, self._b, f"{label} {geo.distance_mm(self._a, self._b):.1f} mm",
                      CURRENT_COLOUR)


class CountTool(_ReadingTool):
    """A click places a count mark in the current lobe (``R``/``L``); dragging a mark moves it;
    Delete or Backspace removes the mark under the pointer."""

    name = "count"
    cursor = Qt.CursorShape.PointingHandCursor

    def __init__(self, selection: Selection, layer: CountLayer | None = None,
                 on_message: Callable[[str], None] | None = None, prepare: Callable[[], str | None] | None = None) -> None:
        super().__init__(selection, on_message, prepare)
        self.layer = layer or CountLayer(selection)
        self._moving: str | None = None

    def _hit(self, event: ToolEvent) -> str | None:
        near = [(_near(event.view, event, (m.row, m.col)), m.mark_id) for m in self.layer.on_slice(event.view)]
        best = min(near, default=None)
        return best[1] if best is not None and best[0] <= GRAB_PX else None

    def press(self, event: ToolEvent) -> bool:
        if event.button != Qt.MouseButton.LeftButton:
            return False
        view = event.view
        reason = self._refusal(view)
        if reason:
            return self._say(reason)
        hit = self._hit(event)
        if hit is not None:
            self._moving = hit
            return True
        if not event.inside:
            return False
        self._edit(lambda: self.reading.add_count_mark(
            self.selection.pair, self._role(view), self.selection.lobe,  # type: ignore[arg-type]
            stack_key=view.model.key, slice_index=view.slice_index, row=event.image_pos[0], col=event.image_pos[1]))
        return True

    def move(self, event: ToolEvent) -> bool:
        if self._moving is None:
            hover = self._hit(event) if event.view.geometry is not None else None
            changed, self.layer.hover = hover != self.layer.hover, hover
            return changed
        if event.buttons & Qt.MouseButton.LeftButton and event.inside:
            self.layer.moving = (self._moving, event.image_pos)
            return True
        return False

    def release(self, event: ToolEvent) -> bool:
        if self._moving is None or event.button != Qt.MouseButton.LeftButton:
            return False
        moved, self._moving, self.layer.moving = self.layer.moving, None, None
        if moved is not None:
            self._edit(lambda: self.reading.move_count_mark(moved[0], *moved[1]))
        return True

    def key(self, event: QKeyEvent, view: ViewContext) -> bool:
        hover = self.layer.hover
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and hover is not None:
            if hover in self.reading.project.count_marks:
                self._edit(lambda: self.reading.delete_count_mark(hover))
            self.layer.hover = None
            return True
        return super().key(event, view)


def attach(viewport: Any, selection: Selection) -> tuple[MeasurementLayer, CountLayer]:
    """Show the reading's lines and marks on a viewport and repaint it after every edit/undo/redo."""
    line_layer, count_layer = MeasurementLayer(selection), CountLayer(selection)
    viewport.add_layer(line_layer)
    viewport.add_layer(count_layer)
    selection.reading.subscribe(lambda event: viewport.update())
    selection.changed.connect(viewport.update)
    return line_layer, count_layer


def jump_to(models: Any, measurement: Measurement) -> Any:
    """Show a measurement's slice on the viewport model displaying its stack (from a lesion-grid click).

    ``models`` is an iterable of ViewportModel; returns the one that moved, or None when no
    viewport shows that stack (the caller may then load it).
    """
    for model in models:
        if model.key == measurement.stack_key:
            model.set_index(measurement.slice_index)
            return model
    return None
