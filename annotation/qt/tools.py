"""Line (measurement) and count tools, on the viewport tool protocol of viewer.qt.tools.

Both are thin: they read the viewport (stack, slice, geometry, role) from the ViewContext and
turn a finished gesture into one Reading command, so each gesture is one undo step. Why an
action is refused goes to ``on_message`` (the main window shows it in its status bar).
"""

from __future__ import annotations

import math
from typing import Any, Callable

from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QKeyEvent, QPainter, QPen

from annotation.records import CountMark, Measurement
from annotation.selection import Selection
from annotation.vocab import Lobe
from app.errors import LesionlabError
from viewer.qt.tools import BaseTool, ToolEvent, ViewContext
from viewer.records import READING_ROLES, Role

#: How close (widget pixels) a press must be to an endpoint or a mark to grab it.
GRAB_PX = 8.0
LOBE_COLOURS = {Lobe.RIGHT: QColor(255, 170, 0), Lobe.LEFT: QColor(0, 200, 255)}
LINE_COLOUR = QColor(255, 255, 0)
CURRENT_COLOUR = QColor(0, 255, 120)


def _near(view: ViewContext, event: ToolEvent, point: tuple[float, float]) -> float:
    p = view.to_widget(*point)
    return math.hypot(p.x() - event.widget_pos.x(), p.y() - event.widget_pos.y())


def measurements_on(selection: Selection, view: ViewContext) -> list[tuple[str, Measurement]]:
    """(lesion id, measurement) of the current pair and reader on the viewport's stack and slice."""
    role = getattr(view.model, "role", None)
    if selection.pair is None or role not in READING_ROLES:
        return []
    reading = selection.reading
    out = []
    for les in reading.project.lesions_of(selection.pair[0], selection.pair[1], reading.reader):
        m = les.observation(role)
        if isinstance(m, Measurement) and m.stack_key == view.model.key and m.slice_index == view.slice_index:
            out.append((les.lesion_id, m))
    return out


def marks_on(selection: Selection, view: ViewContext) -> list[CountMark]:
    """Count marks of the current pair and reader on the viewport's stack and slice."""
    role = getattr(view.model, "role", None)
    if selection.pair is None or role not in READING_ROLES:
        return []
    reading = selection.reading
    return [m for m in reading.project.marks_of(selection.pair[0], selection.pair[1], reading.reader)
            if m.role is role and m.stack_key == view.model.key and m.slice_index == view.slice_index]


SHADOW = QColor(0, 0, 0, 170)


def draw_line(painter: QPainter, view: ViewContext, a: tuple[float, float], b: tuple[float, float],
              label: str, colour: QColor) -> None:
    """One diameter: the line, its two end handles, its label (with a shadow for bright anatomy)."""
    pa, pb = view.to_widget(*a), view.to_widget(*b)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(colour, 1.5))
    painter.drawLine(QLineF(pa, pb))
    for p in (pa, pb):
        painter.drawEllipse(p, 3.0, 3.0)
    at = QPointF(max(pa.x(), pb.x()) + 6, max(pa.y(), pb.y()) + 4)
    painter.setPen(SHADOW)
    painter.drawText(at + QPointF(1, 1), label.strip())
    painter.setPen(colour)
    painter.drawText(at, label.strip())


class _SliceIndex:
    """The current pair's measurements by (stack key, slice), rebuilt only when the project,
    pair, reader or role changes: a repaint is then one dict lookup, whatever the cohort size.
    Beside each slice's (lesion id, measurement) list it keeps what the layer draws of them, in
    plain values made once per reading: (lesion id, row1, col1, row2, col2, label text)."""

    def __init__(self) -> None:
        self._key: tuple = ()
        self._by_slice: dict[tuple[str, int], list[tuple[str, Measurement]]] = {}
        self._drawn: dict[tuple[str, int], list[tuple[str, float, float, float, float, str]]] = {}

    def _refresh(self, selection: Selection, role: Role) -> None:
        reading = selection.reading
        key = (id(reading.project), selection.pair, reading.reader, role)
        if key != self._key:
            self._key, self._by_slice, self._drawn = key, {}, {}
            pair = selection.pair
            if pair is not None:
                for les in reading.project.lesions_of(pair[0], pair[1], reading.reader):
                    m = les.observation(role)
                    if isinstance(m, Measurement):
                        self._by_slice.setdefault((m.stack_key, m.slice_index), []).append((les.lesion_id, m))

    def get(self, selection: Selection, role: Role, stack_key: str, slice_index: int) -> list[tuple[str, Measurement]]:
        self._refresh(selection, role)
        return self._by_slice.get((stack_key, slice_index), [])

    def drawn(self, selection: Selection, role: Role, stack_key: str,
              slice_index: int) -> list[tuple[str, float, float, float, float, str]]:
        """The slice's measurements as (lesion id, row1, col1, row2, col2, label), made on first use."""
        self._refresh(selection, role)
        where = (stack_key, slice_index)
        out = self._drawn.get(where)
        if out is None:
            out = self._drawn[where] = [
                (lid, float(m.p1[0]), float(m.p1[1]), float(m.p2[0]), float(m.p2[1]), f"{lid} {m.diameter_mm:.1f} mm")
                for lid, m in self._by_slice.get(where, [])]
        return out


class MeasurementLayer:
    """Stored diameters on the shown slice, with their lesion id and length (current lesion in green).

    It repaints on every slice change of six viewports, so bench/bench_viewer.py holds it to the
    bare-paint floor: lines and square end handles in two batched calls without antialiasing, and
    each label drawn as a cached image that already holds its shadow (a third of the cost of
    laying the text out twice on every repaint).
    """

    LABEL_CACHE = 4096

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.hidden: str | None = None  # a lesion whose line a tool is redrawing
        self._index = _SliceIndex()
        self._labels: dict[tuple[str, int], QImage] = {}
        self._pens = {c.rgba(): QPen(c, 1.5) for c in (LINE_COLOUR, CURRENT_COLOUR)}
        self._handles = {c.rgba(): _handle_pen(c) for c in (LINE_COLOUR, CURRENT_COLOUR)}
        self._metrics: QFontMetrics | None = None

    def on_slice(self, view: ViewContext) -> list[tuple[str, Measurement]]:
        role = getattr(view.model, "role", None)
        if self.selection.pair is None or role not in READING_ROLES:
            return []
        return self._index.get(self.selection, role, view.model.key, view.slice_index)

    def _label(self, painter: QPainter, text: str, colour: QColor) -> QImage:
        key = (text, colour.rgba())
        img = self._labels.get(key)
        if img is None:
            if len(self._labels) > self.LABEL_CACHE:
                self._labels.clear()
            fm = self._metrics = self._metrics or QFontMetrics(painter.font())
            img = QImage(fm.horizontalAdvance(text) + 2, fm.height() + 1, QImage.Format.Format_ARGB32_Premultiplied)
            img.fill(0)
            p = QPainter(img)
            p.setFont(painter.font())
            p.setPen(SHADOW)
            p.drawText(1, fm.ascent() + 1, text)
            p.setPen(colour)
            p.drawText(0, fm.ascent(), text)
            p.end()
            self._labels[key] = img
        return img

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        role = getattr(view.model, "role", None)
        if self.selection.pair is None or role not in READING_ROLES:
            return
        drawn = self._index.drawn(self.selection, role, view.model.key, view.slice_index)  # type: ignore[arg-type]
        if not drawn:
            return
        hidden, current = self.hidden, self.selection.lesion_id
        x0, y0, sx, sy = view.transform.affine()
        # plain floats and one QPointF per end: a numpy round trip costs more for 40 points
        lines: list[QPointF] = []
        labels: list[tuple[float, float, str]] = []
        cur_lines: list[QPointF] = []
        cur_labels: list[tuple[float, float, str]] = []
        for lid, r1, c1, r2, c2, text in drawn:
            if lid == hidden:
                continue
            x1, y1, x2, y2 = x0 + c1 * sx, y0 + r1 * sy, x0 + c2 * sx, y0 + r2 * sy
            if lid == current:
                cur_lines += (QPointF(x1, y1), QPointF(x2, y2))
                cur_labels.append((x1 if x1 > x2 else x2, y1 if y1 > y2 else y2, text))
            else:
                lines += (QPointF(x1, y1), QPointF(x2, y2))
                labels.append((x1 if x1 > x2 else x2, y1 if y1 > y2 else y2, text))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for colour, ends, texts in ((LINE_COLOUR, lines, labels), (CURRENT_COLOUR, cur_lines, cur_labels)):
            if not ends:
                continue
            rgba = colour.rgba()
            painter.setPen(self._pens[rgba])
            painter.drawLines(ends)
            painter.setPen(self._handles[rgba])
            painter.drawPoints(ends)
            images = self._labels
            for x, y, text in texts:
                img = images.get((text, rgba))
                if img is None:
                    img = self._label(painter, text, colour)
                painter.drawImage(QPointF(x + 6, y - 10), img)


def _handle_pen(colour: QColor) -> QPen:
    """Square end handles, as Horos draws them."""
    pen = QPen(colour, 5.0)
    pen.setCapStyle(Qt.PenCapStyle.SquareCap)
    return pen


class CountLayer:
    """Count marks on the shown slice, coloured and lettered by lobe."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.moving: tuple[str, tuple[float, float]] | None = None  # mark being dragged, where to
        self.hover: str | None = None
        self._key: tuple = ()
        self._by_slice: dict[tuple[Role, str, int], list[CountMark]] = {}

    def on_slice(self, view: ViewContext) -> list[CountMark]:
        """:func:`marks_on`, from an index rebuilt only when the project, pair or reader changes."""
        sel = self.selection
        role = getattr(view.model, "role", None)
        if sel.pair is None or role not in READING_ROLES:
            return []
        reading = sel.reading
        key = (id(reading.project), sel.pair, reading.reader)
        if key != self._key:
            self._key, self._by_slice = key, {}
            for m in reading.project.marks_of(sel.pair[0], sel.pair[1], reading.reader):
                self._by_slice.setdefault((m.role, m.stack_key, m.slice_index), []).append(m)
        return self._by_slice.get((role, view.model.key, view.slice_index), [])

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        marks = self.on_slice(view)
        if not marks:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for m in marks:
            pos = self.moving[1] if (self.moving and self.moving[0] == m.mark_id) else (m.row, m.col)
            p = view.to_widget(*pos)
            letter = "R" if m.lobe is Lobe.RIGHT else "L"
            painter.setPen(QPen(SHADOW, 3.5))
            painter.drawLine(QLineF(p.x() - 5, p.y(), p.x() + 5, p.y()))
            painter.drawLine(QLineF(p.x(), p.y() - 5, p.x(), p.y() + 5))
            painter.drawText(QPointF(p.x() + 7, p.y() - 5), letter)
            painter.setPen(QPen(LOBE_COLOURS[m.lobe], 3.0 if m.mark_id == self.hover else 1.5))
            painter.drawLine(QLineF(p.x() - 5, p.y(), p.x() + 5, p.y()))
            painter.drawLine(QLineF(p.x(), p.y() - 5, p.x(), p.y() + 5))
            painter.drawText(QPointF(p.x() + 6, p.y() - 6), letter)


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
