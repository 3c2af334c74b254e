"""What the reading draws on a viewport: measurement lines with mm labels, count marks, and the
right/left liver boundary.

Layers are painted by the viewport on every repaint (viewer.qt.tools protocol); they read the
current pair and reader from a Selection and keep per-slice data ready so that a slice change
costs little (bench/bench_viewer.py draws 20 measurements per slice through them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPen, QPolygonF

from annotation.lobes import boundary_path_in
from annotation.on_slice import SliceContent
from annotation.placement import images_of, slice_of
from annotation.records import CountMark, Measurement, mm_text
from annotation.selection import Selection
from annotation.vocab import Lobe
from viewer.qt.tools import ViewContext
from viewer.records import READING_ROLES, ImageHeader

LOBE_COLOURS = {Lobe.RIGHT: QColor(255, 170, 0), Lobe.LEFT: QColor(0, 200, 255)}
LINE_COLOUR = QColor(255, 255, 0)
CURRENT_COLOUR = QColor(0, 255, 120)
PICKED_COLOUR = QColor(255, 255, 255)
BOUNDARY_COLOUR = QColor(255, 110, 200)


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
        self._key: tuple[object, ...] = ()
        # per slice: the current pair's measurements, and every exam's of the patient
        # per stack: the current pair's measurements, and every exam's of the patient
        self._own: dict[str, list[tuple[str, Measurement]]] = {}
        self._all: dict[str, list[tuple[str, Measurement]]] = {}
        # per (stack, own): the stack as loaded they were placed on (by SOP Instance UID) and them by slice
        self._placed: dict[tuple[str, bool], tuple[Sequence[ImageHeader], dict[int, list[tuple[str, Measurement]]]]] = {}
        self._drawn: dict[tuple[str, int, bool], list[tuple[str, float, float, float, float, str]]] = {}

    def _refresh(self, selection: Selection, patient_id: str | None) -> None:
        """Every exam of the patient read is indexed (by stack): a comparison cell showing the prior
        exam draws the prior's lines; a reading cell draws only the current pair's (``own``: two exams may share a
        study, the pair CT + MRI and the CT alone as a RECIST baseline)."""
        reading = selection.reading
        key = (reading.project.serial, selection.pair, reading.reader, patient_id)  # not id(): reused once freed
        if key != self._key:
            self._key, self._own, self._all, self._placed, self._drawn = key, {}, {}, {}, {}
            if patient_id is not None:
                for rec in reading.project.pairs_of(patient_id):
                    mine = selection.pair == (patient_id, rec.exam_pair_id)
                    for les in reading.project.lesions_of(patient_id, rec.exam_pair_id, reading.reader):
                        for _role, m in les.observations:
                            if isinstance(m, Measurement):
                                self._all.setdefault(m.stack_key, []).append((les.lesion_id, m))
                                if mine:
                                    self._own.setdefault(m.stack_key, []).append((les.lesion_id, m))

    def _on(self, stack_key: str, slice_index: int, own: bool,
            images: Sequence[ImageHeader]) -> list[tuple[str, Measurement]]:
        """The stack's lines on ``slice_index`` of it as loaded (``images``): each on its own image, found by
        :func:`annotation.placement.slice_of`; a line whose image is missing from the stack is on none."""
        placed = self._placed.get((stack_key, own))
        if placed is None or placed[0] is not images:
            by_slice: dict[int, list[tuple[str, Measurement]]] = {}
            for lid, m in (self._own if own else self._all).get(stack_key, []):
                k = slice_of(m, images)
                if k is not None:
                    by_slice.setdefault(k, []).append((lid, m))
            placed = self._placed[(stack_key, own)] = (images, by_slice)
            self._drawn = {w: d for w, d in self._drawn.items() if w[0] != stack_key or w[2] != own}
        return placed[1].get(slice_index, [])

    def get(self, selection: Selection, patient_id: str | None, stack_key: str,
            slice_index: int, own: bool = False, images: Sequence[ImageHeader] = ()) -> list[tuple[str, Measurement]]:
        self._refresh(selection, patient_id)
        return self._on(stack_key, slice_index, own, images)

    def drawn(self, selection: Selection, patient_id: str | None, stack_key: str,
              slice_index: int, own: bool = False,
              images: Sequence[ImageHeader] = ()) -> list[tuple[str, float, float, float, float, str]]:
        """The slice's measurements as (lesion id, row1, col1, row2, col2, label), made on first use; a
        bidirectional measurement adds its short axis p3-p4 with an empty label (and "d × s mm" on the long one)."""
        self._refresh(selection, patient_id)
        where = (stack_key, slice_index)
        lines = self._on(stack_key, slice_index, own, images)
        out = self._drawn.get((*where, own))
        if out is None:
            out = self._drawn[(*where, own)] = []
            for lid, m in lines:
                short = m.short_axis_mm
                size = (f"{mm_text(m.diameter_mm)} × {mm_text(short)} mm" if short is not None
                        else f"{mm_text(m.diameter_mm)} mm")
                out.append((lid, float(m.p1[0]), float(m.p1[1]), float(m.p2[0]), float(m.p2[1]), f"{lid} {size}"))
                if m.p3 is not None and m.p4 is not None:  # the short axis: a line of its own, no label
                    out.append((lid, float(m.p3[0]), float(m.p3[1]), float(m.p4[0]), float(m.p4[1]), ""))
        return out


class MeasurementLayer:
    """Stored diameters on the shown slice, with their lesion id and length (current lesion in green).

    It repaints on every slice change of six viewports, so bench/bench_viewer.py holds it to the
    bare-paint floor: lines and square end handles in two batched calls without antialiasing, and
    each label drawn as a cached image that already holds its shadow (a third of the cost of
    laying the text out twice on every repaint).
    """

    LABEL_CACHE = 4096

    def __init__(self, selection: Selection, patient: Callable[[], str | None] | None = None,
                 pointer: Callable[[], tuple[float, float] | None] | None = None,
                 keep_off: Callable[[ViewContext], list[tuple[float, float, float, float]]] | None = None,
                 reads: Callable[[], bool] | None = None) -> None:
        """``patient()``: the patient whose exams are drawn (default: the selection's pair's); ``reads()``: whether
        the viewport shows a stack of the exam pair read, where only that pair's lines are drawn (default: every exam
        of the patient, as a comparison cell showing a prior exam draws the prior's). A reader's check (session 46):
        the CT of 2023-03-14 was both the exam pair's and the RECIST baseline's ("CT 2023-03-14 only"), and each
        exam's lines were drawn on the other's CT cells, labelled and coloured as the current lesion's ("L1 33.9 mm"
        beside the grid's "not read yet"); a drag from such a line's end drew a new line over the baseline target.
        ``pointer()``: where
        the pointer is over the viewport (widget pixels, None: elsewhere), which shows a short line's end handles;
        ``keep_off(view)``: boxes (x, y, width, height) the labels are not hung on (the count marks' ticks: a
        lesion counted beside a measured one drew its cross over "L1 41.1 mm", a radiologist's read at 1366 x 768)."""
        self.selection = selection
        self.keep_off: Callable[[ViewContext], list[tuple[float, float, float, float]]] = keep_off or (lambda _v: [])
        self.patient: Callable[[], str | None] = patient or (
            lambda: self.selection.pair[0] if self.selection.pair is not None else None)
        self.pointer: Callable[[], tuple[float, float] | None] = pointer or (lambda: None)
        self.reads: Callable[[], bool] = reads or (lambda: False)
        self.hidden: str | None = None  # a lesion whose line a tool is redrawing
        self._index = _SliceIndex()
        self._labels: dict[tuple[str, int], QImage] = {}
        self._pens = {c.rgba(): QPen(c, 1.5) for c in (LINE_COLOUR, CURRENT_COLOUR)}
        self._dashed = QPen(CURRENT_COLOUR, 1.5, Qt.PenStyle.DashLine)
        self._handles = {c.rgba(): _handle_pen(c) for c in (LINE_COLOUR, CURRENT_COLOUR)}
        self._metrics: QFontMetrics | None = None
        # the boxes (x, y, width, height) of the labels drawn by the last paint: the count layer keeps
        # its lobe letters off them
        self.label_boxes: list[tuple[float, float, float, float]] = []
        #: the line ends the last paint gave a handle
        self.handles_drawn: list[QPointF] = []
        self._texts: list[tuple[float, float, str, float]] = []

    @property
    def labels_drawn(self) -> list[str]:
        """The texts of the labels the last paint drew."""
        return [text for _x, _y, text, _left in self._texts]

    def _suggested_here(self, view: ViewContext, role: object) -> str | None:
        """The lesion whose line one click suggested on this viewport's series, shown and not kept yet, or None."""
        p = self.selection.picked
        pair = self.selection.pair
        if p is None or not p.suggested or p.role is not role or pair is None:
            return None
        les = self.selection.reading.project.lesions.get((*pair, self.selection.reading.reader, p.lesion_id))
        m = les.observation(p.role) if les is not None and p.role is not None else None
        # the comparison cell of the prior exam draws the prior's line of the same id on another stack
        return p.lesion_id if isinstance(m, Measurement) and m.stack_key == view.model.key else None

    def on_slice(self, view: ViewContext) -> list[tuple[str, Measurement]]:
        role = getattr(view.model, "role", None)
        patient = self.patient()
        if patient is None or role not in READING_ROLES:
            return []
        return self._index.get(self.selection, patient, view.model.key, view.slice_index,
                               own=self.reads(), images=images_of(view.model))

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
        self.label_boxes, self._texts, self.handles_drawn = [], [], []
        role = getattr(view.model, "role", None)
        patient = self.patient()
        if patient is None or role not in READING_ROLES:
            return
        drawn = self._index.drawn(self.selection, patient, view.model.key, view.slice_index,
                                  own=self.reads(), images=images_of(view.model))
        if not drawn:
            return
        hidden, current = self.hidden, self.selection.lesion_id
        suggested = self._suggested_here(view, role)
        pointer = self.pointer()
        x0, y0, sx, sy = view.transform.affine()
        # plain floats and one QPointF per end: a numpy round trip costs more for 40 points
        lines: list[QPointF] = []
        labels: list[tuple[float, float, str, float]] = []  # anchor (the line's lower end), text, its left end's x
        cur_lines: list[QPointF] = []
        cur_labels: list[tuple[float, float, str, float]] = []
        dashed: list[QPointF] = []
        marks: list[QPointF] = []  # the ends given a handle
        cur_marks: list[QPointF] = []
        short = SHORT_LINE_PX * SHORT_LINE_PX
        for lid, r1, c1, r2, c2, text in drawn:
            if lid == hidden:
                continue
            x1, y1, x2, y2 = x0 + c1 * sx, y0 + r1 * sy, x0 + c2 * sx, y0 + r2 * sy
            ends, texts, ticks = (cur_lines, cur_labels, cur_marks) if lid == current else (lines, labels, marks)
            a, b = QPointF(x1, y1), QPointF(x2, y2)
            if lid == suggested:  # shown dashed and said "suggested" until kept (Enter) or edited
                dashed += (a, b)
                text = f"{text} suggested" if text else text
            else:
                ends += (a, b)
            if (x2 - x1) ** 2 + (y2 - y1) ** 2 >= short or (pointer is not None and _near(x1, y1, x2, y2, pointer)):
                ticks += (a, b)
            if text:
                texts.append((x1 if x1 > x2 else x2, y1 if y1 > y2 else y2, text, x1 if x1 < x2 else x2))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        # the current lesion's label placed first, where it belongs, the others round it (none over
        # another); drawn last, its line and label over the others'
        images = [self._labels.get((text, colour.rgba())) or self._label(painter, text, colour)
                  for colour, texts in ((CURRENT_COLOUR, cur_labels), (LINE_COLOUR, labels)) for _x, _y, text, _l in texts]
        # a label that would run past the cell's right edge hangs left of its line instead (a radiologist's read at
        # 1366 x 768: "L3 18.6 mm sug" cut at the edge of a 304 px cell, the word that tells a suggestion lost)
        edge = view.transform.width_px
        texts_drawn = self._texts = cur_labels + labels
        sizes = [(float(img.width()), float(img.height())) for img in images]
        where = place_labels([(x if x + 6.0 + w <= edge else left - 12.0 - w, y, w, h)
                              for (x, y, _text, left), (w, h) in zip(texts_drawn, sizes)], self.keep_off(view))
        n_cur = len(cur_labels)
        self.label_boxes = [(x, y, w, h) for (x, y), (w, h) in zip(where, sizes)]
        self.handles_drawn = marks + cur_marks
        for colour, ends, ticks, drawn_labels in ((LINE_COLOUR, lines, marks, range(n_cur, len(images))),
                                                  (CURRENT_COLOUR, cur_lines, cur_marks, range(n_cur))):
            rgba = colour.rgba()
            if ends:
                painter.setPen(self._pens[rgba])
                painter.drawLines(ends)
            if dashed and ticks is cur_marks:
                painter.setPen(self._dashed)
                painter.drawLines(dashed)
            if ticks:
                painter.setPen(self._handles[rgba])
                painter.drawPoints(ticks)
            for i in drawn_labels:
                painter.drawImage(QPointF(*where[i]), images[i])


#: A line shorter than this on screen (widget pixels: six handles' widths) has its end handles drawn only while the
#: pointer is near it: at 1366 x 768 in the 2 x 3 grid (0.4 x zoom) a lesion under 10 mm is 4-6 px across, and the
#: two 5 px squares covered it (a radiologist's read)
SHORT_LINE_PX = 30.0
#: How near (widget pixels) the pointer shows a short line's handles: a little beyond the 8 px in which a press grabs
#: an end (annotation.gestures.GRAB_PX), so that they show before the press
NEAR_PX = 12.0


def _near(x1: float, y1: float, x2: float, y2: float, pointer: tuple[float, float]) -> bool:
    """Whether the pointer is near one of a line's ends (within :data:`NEAR_PX`)."""
    px, py = pointer
    return min((px - x1) ** 2 + (py - y1) ** 2, (px - x2) ** 2 + (py - y2) ** 2) <= NEAR_PX * NEAR_PX


def place_labels(anchors: list[tuple[float, float, float, float]],
                 taken: list[tuple[float, float, float, float]] | tuple[()] = ()) -> list[tuple[float, float]]:
    """Top-left corners (x, y) for labels ``(x, y, width, height)`` hung from their anchors (a line's
    lower end) so that no two overlap (two lines that cross or lie side by side had their labels on one
    another), and off the boxes of ``taken`` (count marks) where a place beside the anchor is free of them:
    each 6 px right of and 10 px above its anchor unless a label placed before it (or a box taken) is there,
    then the first free of just below that, just above it, the same three left of the anchor. Where marks
    take all six, the marks are given up and the labels alone are kept apart: the first of those six free of
    the labels placed before, else further down in steps of its height (one is free when the labels are as
    tall: each blocks two steps at most; else below them all). Stepping down past marks hung a label up to
    350 px from its line on a slice of 60 counted lesions (70 px for one in twenty of ten marks and three
    lines in 200 px; review41): a tick under a label reads better than a label no line owns. A label's own
    place is tried first and alone: labels apart cost a check each (20 on a slice, a repaint of six
    viewports)."""
    placed: list[tuple[float, float, float, float]] = []
    marks = list(taken)
    out: list[tuple[float, float]] = []

    def free(left: float, top: float, w: float, h: float,
             boxes: list[tuple[float, float, float, float]]) -> bool:
        return not any(left < px + pw and px < left + w and top < py + ph and py < top + h for px, py, pw, ph in boxes)

    for x, y, w, h in anchors:
        right, top = x + 6.0, y - 10.0
        at = (right, top)
        if not (free(right, top, w, h, placed) and free(right, top, w, h, marks)):
            left = x - 6.0 - w
            near = [(right, top + h), (right, top - h), (left, top), (left, top + h), (left, top - h)]
            off_marks = next((c for c in near if free(c[0], c[1], w, h, placed) and free(c[0], c[1], w, h, marks)),
                             None)
            if off_marks is not None:
                at = off_marks
            elif not free(right, top, w, h, placed):
                tries = near + [(right, top + k * h) for k in range(2, 2 * len(placed) + 3)]
                below_all = (right, max(py + ph for _px, py, _pw, ph in placed))
                at = next((c for c in tries if free(c[0], c[1], w, h, placed)), below_all)
        placed.append((at[0], at[1], w, h))
        out.append(at)
    return out


def _handle_pen(colour: QColor) -> QPen:
    """Square end handles, as Horos draws them."""
    pen = QPen(colour, 5.0)
    pen.setCapStyle(Qt.PenCapStyle.SquareCap)
    return pen


class CountLayer:
    """Count marks on the shown slice, coloured and lettered by lobe; the picked one ringed.

    ``avoid()``: boxes (x, y, width, height) the lobe letters keep off, the mm labels the line layer
    painted just before on the same viewport (a reader's check saw an R on another lesion's label)."""

    LETTER = (9.0, 12.0)  # the box of a lobe letter (about 8 x 10 px) drawn from its baseline's left end

    def __init__(self, selection: Selection,
                 avoid: Callable[[], list[tuple[float, float, float, float]]] | None = None) -> None:
        self.selection = selection
        self.content = SliceContent(selection)
        self.moving: tuple[str, tuple[float, float]] | None = None  # mark being dragged, where to
        self.hover: str | None = None
        self.avoid: Callable[[], list[tuple[float, float, float, float]]] = avoid or (lambda: [])

    def on_slice(self, view: ViewContext) -> list[CountMark]:
        self.content.selection = self.selection
        return self.content.marks(getattr(view.model, "role", None), view.model.key, view.slice_index,
                                  images_of(view.model))

    #: half the side of the box a count mark's ticks take (they reach 9 px from its point, 1.5 px wide)
    TICKS = 10.0

    def tick_boxes(self, view: ViewContext) -> list[tuple[float, float, float, float]]:
        """The boxes (x, y, width, height) the ticks of the marks on the slice take (a measured lesion's mark beside
        its line has no ticks, only its letter, which keeps off the labels itself): the mm labels keep off them."""
        side = 2 * self.TICKS
        return [(p.x() - self.TICKS, p.y() - self.TICKS, side, side)
                for p in (view.to_widget(m.row, m.col) for m in self.on_slice(view) if self._line_of(m, view) is None)]

    def _line_of(self, m: CountMark, view: ViewContext) -> Measurement | None:
        """The line of the mark's lesion on the slice shown (None: a mark of no lesion, or one counted on another
        slice of the lesion than its line's, up to two slices away)."""
        if not m.lesion_id:
            return None
        return next((meas for lid, meas in self.content.measurements(m.role, view.model.key, view.slice_index,
                                                                    images_of(view.model))
                     if lid == m.lesion_id), None)

    def _free(self, at: QPointF, taken: list[tuple[float, float, float, float]]) -> bool:
        w, h = self.LETTER
        left, top = at.x(), at.y() - 10.0
        return not any(left < x + bw and x < left + w and top < y + bh and y < top + h for x, y, bw, bh in taken)

    def _beside_line(self, m: CountMark, view: ViewContext, p: QPointF) -> QPointF:
        """Where a lobe letter goes (the left end of its baseline). A measured lesion's: beside its
        diameter line, across it from the middle, on the upper side (its mm label hangs from the lower
        end), half the line's length and 6 px off (at least 12 px): outside the lesion (no wider across
        its longest diameter than that), so that it covers neither the lesion, nor the line, nor an end
        handle (a reader's check under Xvfb saw it on a small lesion at 12 px). Off its line's slice, or
        a mark without a lesion: up and right. Where a mm label lies there, the first free place of: the
        other side, then each side 12 and 24 px further out (down-right, up-left, down-left for a mark)."""
        line = self._line_of(m, view)
        if line is None:
            offsets = [(8.0, -8.0), (8.0, 20.0), (-17.0, -8.0), (-17.0, 20.0)]
        else:
            a, b = view.to_widget(*line.p1), view.to_widget(*line.p2)
            dx, dy = b.x() - a.x(), b.y() - a.y()
            length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
            nx, ny = -dy / length, dx / length
            if ny > 0 or (ny == 0 and nx > 0):  # the upper side (widget y grows downwards), else the left
                nx, ny = -nx, -ny
            off = max(12.0, length / 2 + 6)
            # drawText takes the baseline's left end: the letter (about 8 x 10 px) centred on the point
            offsets = [((off + k) * nx * side - 4, (off + k) * ny * side + 5) for k in (0.0, 12.0, 24.0) for side in (1, -1)]
        # the first place unless a label lies there (a repaint of six viewports: nothing more made then)
        first = QPointF(p.x() + offsets[0][0], p.y() + offsets[0][1])
        taken = self.avoid()
        if not taken or self._free(first, taken):
            return first
        return next((at for at in (QPointF(p.x() + ox, p.y() + oy) for ox, oy in offsets[1:]) if self._free(at, taken)),
                    first)

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        marks = self.on_slice(view)
        if not marks:
            return
        picked = self.selection.picked.mark_id if self.selection.picked is not None else ""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for m in marks:
            pos = self.moving[1] if (self.moving and self.moving[0] == m.mark_id) else (m.row, m.col)
            p = view.to_widget(*pos)
            letter = "R" if m.lobe is Lobe.RIGHT else "L"
            # four ticks around an open centre, so that a small lesion under the mark stays visible; a mark
            # that stands for a measured lesion is only lettered beside its line (the line shows it); counted on
            # another slice of the lesion than its line's, it keeps its cross (a lone letter there showed nothing
            # counted: a radiologist's read)
            ticks = [] if self._line_of(m, view) is not None else [
                QLineF(p.x() - 9, p.y(), p.x() - 4, p.y()), QLineF(p.x() + 4, p.y(), p.x() + 9, p.y()),
                QLineF(p.x(), p.y() - 9, p.x(), p.y() - 4), QLineF(p.x(), p.y() + 4, p.x(), p.y() + 9)]
            at = self._beside_line(m, view, p)
            painter.setPen(QPen(SHADOW, 3.5))
            for t in ticks:
                painter.drawLine(t)
            painter.drawText(at + QPointF(1, 1), letter)
            painter.setPen(QPen(LOBE_COLOURS[m.lobe], 3.0 if m.mark_id in (self.hover, picked) else 1.5))
            for t in ticks:
                painter.drawLine(t)
            painter.drawText(at, letter)
            if m.mark_id == picked:
                painter.setPen(QPen(PICKED_COLOUR, 1.0, Qt.PenStyle.DotLine))
                painter.drawEllipse(p, 11.0, 11.0)


class BoundaryLayer:
    """The reader's right/left liver boundary on the shown slice: solid where drawn, dashed where
    interpolated, with R and L on its two sides."""

    def __init__(self, selection: Selection, alignments: Callable[[], list[Any]] = lambda: [],
                 reading: Callable[[], bool] = lambda: True) -> None:
        self.selection = selection
        #: alignments beyond the store's (the one proposed in this session), as the lobes of marks read them
        self.alignments = alignments
        #: whether the cell shows a series of the pair read (not a comparison: a prior exam aligned to this one
        #: would show this exam's boundary as if its own -- a review)
        self.reading = reading

    def path_on(self, view: ViewContext) -> tuple[list[tuple[float, float]], bool] | None:
        """(points, drawn here) in image (row, col) on the shown slice, None without a boundary: the boundary
        drawn in this series' frame (its two ends), else the other exam's through the alignment (dashed, points
        along where the lobes switch)."""
        sel, vol, geo = self.selection, view.model.volume, view.geometry
        if sel.pair is None or vol is None or geo is None or getattr(view.model, "role", None) not in READING_ROLES \
                or not self.reading():
            return None
        frame = vol.stack.frame_of_reference_uid
        if not frame or geo.orientation.value != "axial":
            return None
        centre = view.model.center_point_mm()
        if centre is None:
            return None
        z = float(centre[2])
        found = boundary_path_in(sel.reading.project, sel.pair, sel.reading.reader, frame,
                                 (float(centre[0]), float(centre[1]), z), self.alignments())
        if found is None:
            return None
        points, aligned = found
        boundary = sel.reading.project.lobe_boundaries.get((*sel.pair, sel.reading.reader, frame))
        drawn = not aligned and boundary is not None and \
            any(abs(ln[4] - z) < 0.5 * (geo.slice_spacing_mm or 1.0) for ln in boundary.lines)
        on_slice = [geo.pixel_on_slice((x, y, z), view.slice_index) for x, y in points]
        return [(float(p[0]), float(p[1])) for p in on_slice], drawn

    def line_on(self, view: ViewContext) -> tuple[tuple[float, float], tuple[float, float], bool] | None:
        """(first point, last point, drawn here) of :meth:`path_on`."""
        found = self.path_on(view)
        return None if found is None else (found[0][0], found[0][-1], found[1])

    def paint(self, painter: QPainter, view: ViewContext) -> None:
        found = self.path_on(view)
        if found is None:
            return
        points, drawn = found
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(BOUNDARY_COLOUR, 1.5 if drawn else 1.0, Qt.PenStyle.SolidLine if drawn else Qt.PenStyle.DashLine))
        painter.drawPolyline(QPolygonF([view.to_widget(*p) for p in points]))
