"""The text and graphic overlays of a viewport (corner annotations as in OHIF/Horos/Weasis).

Top left: role and series description. Top right: patient, study date, link state.
Bottom left: pixel value under the cursor (HU for CT) with its patient coordinates, slice
n/N and position in mm. Bottom right: window/level and zoom. Edges: orientation labels from
the geometry (R/L/A/P/H/F). Bottom centre: a scale bar in mm. Also the reference point
(crosshair) and the loading bar. Everything here reads the model; nothing changes it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen, QStaticText

from viewer.geometry import patient_orientation_labels
from viewer.model.layout import role_label
from viewer.qt.tools import ViewContext

TEXT = QColor(225, 225, 225)
DIM = QColor(150, 150, 150)
ACCENT = QColor(255, 196, 64)
LINK = QColor(110, 190, 255)
CROSS = QColor(80, 255, 120)
#: Drawn one pixel down-right of every overlay text, so it stays legible over bright anatomy.
SHADOW = QColor(0, 0, 0, 190)
MARGIN = 6
#: Laid-out texts kept per viewport before the cache starts over.
STATIC_CACHE = 400
#: Cached text blocks per viewport before that cache starts over (small images: ~20 kB each).
BLOCK_CACHE = 256
#: The gap (px) between the top corners' texts: at 6 px the date read as the end of the series description.
TOP_GAP = 14
#: The characters a top corner's line keeps at least before the other corner's are cut ("CT ar…").
TOP_LEAST_CHARS = 6
#: A series description cut to fewer characters than this is dropped ("Ar…" says nothing).
SERIES_LEAST_CHARS = 4
#: Scale bar lengths tried, mm.
SCALE_STEPS_MM = (1, 2, 5, 10, 20, 50, 100, 200)


def shown_date(da: str) -> str:
    """A DICOM date (DA, YYYYMMDD) as everything else shows dates, ISO (2023-10-17; a reader's check read the
    cells' "20231017" beside the browser's and the dock's 2023-10-17); anything else as it is."""
    return f"{da[:4]}-{da[4:6]}-{da[6:]}" if len(da) == 8 and da.isdigit() else da


@dataclass(frozen=True)
class Hover:
    """The pointer over the image: continuous (row, col) on the current slice."""

    row: float
    col: float


def _fmt_value(value: float, units: str) -> str:
    txt = f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.2f}"
    return f"{txt} {units}" if units else txt


def _mm(value: float) -> str:
    """A length for the overlay: two decimals at most, no trailing zeros (1.28616 -> 1.29, 5.0 -> 5)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def zoom_shown(px_per_mm: float, column_spacing_mm: float | None) -> str:
    """The zoom as the overlay gives it: screen pixels per image pixel ("0.45x"), also what Z says."""
    return f"{px_per_mm * (column_spacing_mm or 1):.2f}x"


def slice_lines(m: Any) -> tuple[str, str]:
    """The bottom-left slice lines: "Im 12/40  (#29)" (position counted from the top, then the image's
    InstanceNumber as PACS viewers show it) and "Pos -112.5 mm  thk 1.29 mm"."""
    vol = m.volume
    images = getattr(vol, "images", ())
    number = images[m.index].instance_number if len(images) == m.n_slices else None
    inst = f"  (#{number})" if number is not None else ""
    # the shown slice's own thickness: a stack of mixed thicknesses (the GE tilt CT's #15-#28 are 7 mm) said "thk 4 mm",
    # its first image's, on every slice (a radiologist-engineer's check, session 48)
    own = images[m.index].slice_thickness_mm if len(images) == m.n_slices else None
    thickness = own or vol.geometry.slice_thickness_mm
    thick = f"  thk {_mm(thickness)} mm" if thickness else ""
    return f"Im {m.slice_number}/{m.n_slices}{inst}", f"Pos {m.position_mm():.1f} mm{thick}"


def scale_bar_mm(px_per_mm: float, max_px: float) -> int | None:
    """Longest round length (mm) whose bar fits in ``max_px`` pixels."""
    fitting = [mm for mm in SCALE_STEPS_MM if mm * px_per_mm <= max_px]
    return fitting[-1] if fitting else None


class OverlayPainter:
    """Paints the corner annotations; fonts and metrics made once."""

    def __init__(self, point_size: float = 9.0) -> None:
        self.font = QFont()
        self.font.setPointSizeF(point_size)
        self.bold = QFont(self.font)
        self.bold.setBold(True)
        self.metrics = QFontMetrics(self.font)
        self.line_h = self.metrics.height()
        self._labels_for: object = None
        self._labels: tuple[str, str, str, str] = ("", "", "", "")
        self._static: dict[tuple[str, bool], tuple[QStaticText, float]] = {}
        self._blocks: dict[tuple[object, ...], QImage] = {}
        self._hover_key: tuple[object, ...] = ()
        self._hover_volume: weakref.ref[Any] | None = None
        self._placed_for: tuple[object, ...] = ()
        self._placed: list[tuple[QPointF, QImage, str]] = []
        self._hover_text = ""
        #: the widest the bottom-left corner's slice lines get: the bottom edge label stays on the bottom line
        #: only where it clears them (the same width whatever the slice, so the label does not jump on a scroll)
        self._corner_w = self.metrics.horizontalAdvance("Pos -888.8 mm  thk 8.88 mm")
        #: the widest the readout under the pointer gets (CT at a table position of -1300 mm): the bottom label stands
        #: on its line only where it clears it, whatever the pointer's place (a wider readout moves the label up)
        self._hover_w = self.metrics.horizontalAdvance("-1024 HU  (-188.8, -188.8, -1888.8) mm")
        #: what the last paint put where, (text or its lines, top left, its image, columns of shadow on the right):
        #: :attr:`boxes` for a test (kept as drawn: measuring boxes at each paint cost 5 us of its 50)
        self._drawn: list[tuple[object, QPointF, QImage, int]] = []
        self._hover_at: QPointF | None = None
        self._top_for: tuple[object, ...] = ()
        self._top: tuple[str, str, str, str, str, str, str] = ("", "", "", "", "", "", "")

    @property
    def boxes(self) -> list[tuple[str, QRectF]]:
        """Each text the last paint drew (a block's lines joined by newlines) with its box in the widget: the
        overlay's texts do not overlap one another (tests check it)."""
        boxes = [(what if isinstance(what, str) else "\n".join(t for t, _, _ in what),  # type: ignore[attr-defined]
                  QRectF(at.x(), at.y(), img.width() - trim, img.height() - 1)) for what, at, img, trim in self._drawn]
        hover = self._hover_text
        if self._hover_at is not None and hover:  # the readout, drawn as text
            boxes.append((hover, QRectF(self._hover_at.x(), self._hover_at.y(), self._static_text(hover, False)[1],
                                        self.line_h)))
        return boxes

    def _static_text(self, text: str, bold: bool) -> tuple[QStaticText, float]:
        """Laid-out text and its width, cached: drawing a QStaticText costs half a drawText."""
        hit = self._static.get((text, bold))
        if hit is None:
            if len(self._static) > STATIC_CACHE:
                self._static.clear()
            st = QStaticText(text)
            st.setTextFormat(Qt.TextFormat.PlainText)
            st.prepare(font=self.bold if bold else self.font)
            hit = self._static[(text, bold)] = (st, st.size().width())
        return hit

    def text(self, p: QPainter, x: float, y: float, text: str, color: QColor, *, bold: bool = False,
             align: str = "left") -> None:
        """``text`` with its top at ``y``; ``x`` is its left, right or centre edge per ``align``."""
        st, w = self._static_text(text, bold)
        tx = x - w if align == "right" else x - w / 2 if align == "center" else x
        if bold:
            p.setFont(self.bold)
        p.setPen(SHADOW)
        p.drawStaticText(QPointF(tx + 1, y + 1), st)
        p.setPen(color)
        p.drawStaticText(QPointF(tx, y), st)
        if bold:
            p.setFont(self.font)

    def hover_text(self, view: ViewContext, hover: Hover | None) -> str:
        """"value units  (x, y, z) mm" under the pointer, recomputed only when pointer or slice moved."""
        m = view.model
        key = (m.index, hover, m.is_loaded())
        # the volume by a weak reference, not id(): a volume freed (another pair opened) gives its id to a later one
        # (the value under a pointer that had not moved was the previous patient's); nor a strong one (kept alive)
        shown = self._hover_volume() if self._hover_volume is not None else None
        if key != self._hover_key or shown is not m.volume:
            self._hover_key, self._hover_text = key, ""
            self._hover_volume = weakref.ref(m.volume) if m.volume is not None else None
            value = m.value_at(hover.row, hover.col) if hover is not None else None
            xyz = m.patient_point(hover.row, hover.col) if hover is not None else None
            if value is not None and xyz is not None and m.volume is not None:
                self._hover_text = f"{_fmt_value(value, m.volume.units)}  ({xyz[0]:.1f}, {xyz[1]:.1f}, {xyz[2]:.1f}) mm"
        return self._hover_text

    def _block_image(self, lines: tuple[tuple[str, QColor, bool], ...], align_right: bool) -> QImage:
        """Lines drawn once into an image (text and shadow), cached by content."""
        key = (tuple((t, c.rgba(), b) for t, c, b in lines), align_right)
        img = self._blocks.get(key)
        if img is None:
            if len(self._blocks) > BLOCK_CACHE:
                self._blocks.clear()
            width = max((self._static_text(t, b)[1] for t, _, b in lines if t), default=0.0)
            img = QImage(max(1, int(width) + 3), max(1, self.line_h * len(lines) + 1), QImage.Format.Format_ARGB32_Premultiplied)
            img.fill(0)
            bp = QPainter(img)
            bp.setFont(self.font)
            for i, (text, color, bold) in enumerate(lines):
                if text:
                    self.text(bp, img.width() - 2 if align_right else 0, i * self.line_h, text, color, bold=bold,
                              align="right" if align_right else "left")
            bp.end()
            self._blocks[key] = img
        return img

    def _block(self, p: QPainter, x: float, y: float, lines: tuple[tuple[str, QColor, bool], ...], align_right: bool,
               from_bottom: bool) -> float:
        """Lines that rarely change (series, patient, window), drawn as one cached image; the widest line's width."""
        img = self._block_image(lines, align_right)
        # from the bottom: its last text line ends at ``y`` (the image's one more row is the shadow's)
        at = QPointF(x - img.width() if align_right else x, y - img.height() + 1 if from_bottom else y)
        p.drawImage(at, img)
        self._drawn.append((lines, at, img, 2))
        return img.width() - 3

    def _lines(self, p: QPainter, x: float, y: float, lines: list[tuple[str, QColor]], align_right: bool,
               from_bottom: bool, bold: bool = False) -> None:
        order = list(reversed(lines)) if from_bottom else lines
        for i, (text, color) in enumerate(order):
            if text:
                ty = y - (i + 1) * self.line_h if from_bottom else y + i * self.line_h
                self.text(p, x, ty, text, color, bold=bold, align="right" if align_right else "left")

    def paint(self, p: QPainter, view: ViewContext, hover: Hover | None, *, active: bool, loading: tuple[int, int] | None,
              link_text: str = "", title: str = "", identifying: bool = True) -> None:
        """The corners' texts. ``identifying=False`` (a blinded study case) leaves out what names the patient or the
        exam (the patient's id, the study date): series, image number, position, window and zoom stay (a reader in
        a blinded study saw no overlay at all, not even the series title or "Im x/y": a radiologist-engineer's read)."""
        m = view.model
        vol = m.volume
        if vol is None:
            return
        w, h = view.transform.width_px, view.transform.height_px
        stack = vol.stack
        p.setFont(self.font)
        self._drawn.clear()
        # top corners: role and series (left), patient, date and link (right; the link alone in a blinded case), side
        # by side with a gap: in a small cell the least needed go first (_fit_top)
        split = f"  [{stack.split_label}]" if stack.split_label else ""
        title_text, tail, series, se, patient, date, link = self._fit_top(
            w - 2 * MARGIN - TOP_GAP, title or role_label(m.role) or stack.modality, stack.series_description, split,
            f"Se {stack.series_number or '-'}", stack.modality, stack.patient_id if identifying else "",
            shown_date(stack.study_date) if identifying else "", link_text)
        # the link alone in a blinded case (on the corner's first line)
        who = ((patient, TEXT, False), (date, DIM, False)) if identifying else ()
        right = (*who, (link, LINK if m.linked else DIM, False))
        self._block(p, w - MARGIN, MARGIN, right, True, False)
        head = ((title_text, ACCENT if active else TEXT, True),) + (((tail, DIM, True),) if tail else ())
        self._block(p, MARGIN, MARGIN, (*head, (series, TEXT, False), (se, DIM, False)), False, False)
        # bottom left: value under cursor, slice, position
        # (slice and position as a cached block: scrolling back and forth over a stack reuses them)
        first, second = slice_lines(m)
        # bottom right: window and zoom
        wl = m.window
        zoom = f"Zoom {zoom_shown(view.transform.px_per_mm, vol.geometry.column_spacing_mm)}" + ("  inv" if m.invert else "")
        wl_text = wl.label() if wl is not None else "W -  L -"
        first, second, wl_text, zoom = self._fit_corners(w - 2 * MARGIN - 8, first, second, wl_text, zoom,
                                                         "inv" if m.invert else "")
        left_w = self._block(p, MARGIN, h - MARGIN, ((first, TEXT, False), (second, DIM, False)), False, True)
        hover_line = self.hover_text(view, hover)
        self._lines(p, MARGIN, h - MARGIN - 2 * self.line_h, [(hover_line, ACCENT)], False, True)
        self._hover_at = QPointF(MARGIN, h - MARGIN - 3 * self.line_h) if hover_line else None
        right_w = self._block(p, w - MARGIN, h - MARGIN, ((wl_text, TEXT, False), (zoom, DIM, False)), True, True)
        # the widest of the bottom corners' lines (the bottom label sits midway between them)
        self._orientation(p, view, max(left_w, right_w), self._static_text(hover_line, False)[1] if hover_line else 0.0)
        self._scale_bar(p, view)
        if loading is not None and loading[0] < loading[1]:
            p.fillRect(QRectF(0, 0, w * loading[0] / max(loading[1], 1), 3), LINK)

    def _fit_corners(self, room: float, first: str, second: str, wl: str, zoom: str,
                     inverted: str) -> tuple[str, str, str, str]:
        """The bottom corners' lines ("Im 18/35  (#18)", "Pos -693.4 mm  thk 5 mm" left; "W 400  L 40", "Zoom 0.25x"
        right) side by side in ``room`` px: in a small cell the least needed go first (the InstanceNumber, the
        thickness, the zoom but "inv"), then the position and the window are cut with "…". At 900 x 560 the 2 x 3
        grid's cells printed them over each other (session 47's reader)."""
        def width(*texts: str) -> float:
            return max((self._static_text(t, False)[1] for t in texts if t), default=0.0)

        def fits() -> bool:
            return width(first, second) + width(wl, zoom) <= room

        if not fits():
            first = first.split("  (#")[0]
        if not fits():
            second = second.split("  thk")[0]
        if not fits():
            zoom = inverted
        if not fits():
            second = self._elided(second, room - width(wl, zoom), False)
        if not fits():
            half = room / 2
            first, wl = self._elided(first, half, False), self._elided(wl, half, False)
            second, zoom = self._elided(second, half, False), self._elided(zoom, half, False)
        return first, second, wl, zoom

    def _fit_top(self, room: float, title: str, description: str, split: str, se: str, modality: str, patient: str,
                 date: str, link: str) -> tuple[str, str, str, str, str, str, str]:
        """The top corners' lines -- the title (bold), the series description with its split's label, "Se 3  CT" left;
        the patient ID, the study date and the link right -- side by side in ``room`` px (their gap left out):
        (title, series, series number, patient, date, link). In a small cell the least needed goes first, each only
        where it makes the corners narrower, in this order: the modality after the series number (the title names it),
        the link's group ("linked: all" -> "linked"; "unlinked" stays whole), the description cut with "…" to what the
        right corner leaves (the split's label kept; the description dropped where fewer than
        :data:`SERIES_LEAST_CHARS` characters would show), the study date (the status bar and the browser give the
        exam's dates, a comparison cell's title its own), then the left lines cut to what the right leaves, down to
        :data:`TOP_LEAST_CHARS` characters, and last the right's to what the left leaves: never over each other. At
        900 x 560 the 2 x 3 grid's cells printed the date against the series description and "linked: all" against
        "Se 7  MR" (session 48). A comparison cell's title ("T1 portal · 2023-10-17 (comparison, read-only)") puts its
        bracket on a line of its own under it before the left is cut, and a cut title keeps what follows its " · "
        (the comparison's date) whole, its role cut: it read "T1 portal · 2023-10-1…", "(comparison, read-only)"
        gone, at 220-380 px (review48). (title, its bracket's line or "", series, series number, patient, date,
        link.) Kept per width and texts: it runs at each paint."""
        key = (room, title, description, split, se, modality, patient, date, link)
        if self._top_for == key:
            return self._top

        def width(*texts: str) -> float:
            return max((self._static_text(t, False)[1] for t in texts if t), default=0.0)

        def series_line(room_px: float) -> str:
            """The description cut to ``room_px`` before the split's label, dropped where it would show fewer than
            SERIES_LEAST_CHARS characters (the label alone then, itself cut where it must be)."""
            cut = self._elided(description, room_px - width(split), False)
            if cut != description:  # "Arteriel…", not "Arteriel  …"; nothing where "Ar…" would show
                cut = cut[:-1].rstrip() + "…" if len(cut) > SERIES_LEAST_CHARS else ""
            return self._elided((cut + split).strip(), room_px, False)

        t = {"title": title, "tail": "", "series": series_line(room), "se": f"{se}  {modality}" if modality else se,
             "patient": patient, "date": date, "link": link}
        head, bracket, rest = title.partition(" (")
        tail = f"({rest}" if bracket and rest.endswith(")") and head else ""

        def bold(text: str) -> float:
            return self._static_text(text, True)[1] if text else 0.0

        def left() -> float:
            return max(bold(t["title"]), bold(t["tail"]), width(t["series"], t["se"]))

        def cut_title(text: str, room_px: float) -> str:
            """``text`` cut to ``room_px``, what follows its " · " (a comparison's date) kept whole, its role cut."""
            role, dot, after = text.partition(" · ")
            if dot and bold(text) > room_px and bold(dot + after) < room_px:
                return self._elided(role, room_px - bold(dot + after), True) + dot + after
            return self._elided(text, room_px, True)

        def right() -> float:
            return width(t["patient"], t["date"], t["link"])

        least = self.metrics.averageCharWidth() * TOP_LEAST_CHARS

        def cut_left() -> None:
            room_px = max(least, room - right())
            t.update(title=cut_title(head if t["tail"] else title, room_px), series=series_line(room_px),
                     se=self._elided(t["se"], room_px, False))
            if t["tail"]:  # whole while the cell leaves the right corner a few characters (cut there instead)
                t.update(tail=self._elided(tail, max(room_px, min(bold(tail), room - least)), True))

        steps: tuple[Callable[[], None], ...] = (
            lambda: t.update(se=se),
            lambda: t.update(link="linked") if link.startswith("linked") else None,
            lambda: t.update(series=series_line(max(room - right(), self._static_text(t["title"], True)[1],
                                                    width(t["se"])))),
            lambda: t.update(date=""),
            lambda: t.update(title=head, tail=tail) if tail else None,
            cut_left)
        while left() + right() > room:
            for step in steps:  # the least needed first, again after each (one may help only once another has)
                before, total = dict(t), left() + right()
                step()
                if left() + right() < total:
                    break
                t.update(before)
            else:  # the right's lines, cut to what the left leaves
                room_px = max(0.0, room - left())
                cut_link = "linked" if link.startswith("linked") and width(t["link"]) > room_px else t["link"]
                t.update(patient=self._elided(patient, room_px, False), date=self._elided(t["date"], room_px, False),
                         link=self._elided(cut_link, room_px, False))  # "linked", not "linked: …"
                break
        self._top_for = key
        self._top = (t["title"], t["tail"], t["series"], t["se"], t["patient"], t["date"], t["link"])
        return self._top

    def _orientation_labels(self, geo: object) -> tuple[str, str, str, str]:
        """(left, right, top, bottom) edge labels: where each screen direction points in the patient."""
        if self._labels_for is not geo:
            r, c = np.asarray(geo.row_direction), np.asarray(geo.column_direction)  # type: ignore[attr-defined]
            self._labels = tuple(patient_orientation_labels(d) for d in (-r, r, -c, c))  # type: ignore[assignment]
            self._labels_for = geo
        return self._labels

    def _elided(self, text: str, room: float, bold: bool) -> str:
        """``text`` as it is when it fits in ``room`` pixels, else cut with "…" to fit."""
        if self._static_text(text, bold)[1] <= room:
            return text
        return QFontMetrics(self.bold if bold else self.font).elidedText(text, Qt.TextElideMode.ElideRight,
                                                                          max(0, int(room)))

    def _bottom_line(self, w: float, label_w: float, corner_w: float, hover_w: float) -> int:
        """The line, counted from the bottom edge, the bottom label stands on: the lowest whose texts it clears.
        Lines 1 and 2 hold the corners' slice and position (left) and window and zoom (right), line 3 the readout
        under the pointer (from the left), line 4 nothing. In a narrow cell (313 px at 1366x768) the position line
        ran into it (a radiologist), then, a line up, a zoomed CT cell's readout ("-1300.0)Pmm")."""
        free = w / 2 - label_w / 2 - MARGIN - 8  # from a side edge's margin to the label, less a gap
        if free >= max(self._corner_w, corner_w):
            return 1
        return 3 if free >= max(self._hover_w, hover_w) else 4

    def _orientation(self, p: QPainter, view: ViewContext, corner_w: float, hover_w: float) -> None:
        """The four edge labels, placed once per (geometry, widget size, corner or readout wider than foreseen): a
        repaint is four drawImage calls."""
        geo, w, h = view.geometry, view.transform.width_px, view.transform.height_px
        key = (id(geo), w, h, corner_w > self._corner_w, hover_w > self._hover_w)
        if self._placed_for != key or self._labels_for is not geo:
            left, right, top, bottom = self._orientation_labels(geo)
            mid = h / 2 - self.line_h / 2
            line = self._bottom_line(w, self.metrics.horizontalAdvance(bottom), corner_w, hover_w)
            placed = []
            top_y, bottom_y = MARGIN + 3 * self.line_h, h - MARGIN - line * self.line_h
            if top_y + self.line_h > bottom_y:  # a cell too short for both (900 x 560: "A" on "P"): neither shown
                top = bottom = ""
            for x, y, text, align in ((MARGIN, mid, left, "left"), (w - MARGIN, mid, right, "right"),
                                      (w / 2, top_y, top, "center"), (w / 2, bottom_y, bottom, "center")):
                img = self._block_image(((text, DIM, True),), False)
                lw = img.width() - 3
                placed.append((QPointF(x - lw if align == "right" else x - lw / 2 if align == "center" else x, y), img,
                               text))
            self._placed, self._placed_for = placed, key
        for at, img, text in self._placed:
            if text:  # an edge label dropped in a short cell: nothing drawn
                p.drawImage(at, img)
                self._drawn.append((text, at, img, 2))

    def _scale_bar(self, p: QPainter, view: ViewContext) -> None:
        """A vertical bar on the right edge, below the orientation label (OHIF's place)."""
        if view.geometry is None or not view.geometry.measurable:
            return
        w, h = view.transform.width_px, view.transform.height_px
        ppm = view.px_per_mm
        top = h / 2 + self.line_h + 6  # below the right-edge orientation label (drawn at mid height)
        # above the bottom corners' lines and the readout's (which reaches the right edge in a narrow cell)
        room = h - MARGIN - 3 * self.line_h - 3 - top
        mm = scale_bar_mm(ppm, min(h / 4, room))
        if mm is None:
            return
        length = mm * ppm
        img = self._bar_image(mm, int(round(length)))
        at = QPointF(w - MARGIN - img.width(), round(top))
        p.drawImage(at, img)
        self._drawn.append((f"{mm} mm", at, img, 1))

    def _bar_image(self, mm: int, length: int) -> QImage:
        """The bar, its ticks and its label with their shadow, cached per (mm, length in pixels)."""
        key = ("bar", mm, length)
        img = self._blocks.get(key)
        if img is None:
            label, lw = f"{mm} mm", self._static_text(f"{mm} mm", False)[1]
            img = QImage(int(lw) + 12, length + 3, QImage.Format.Format_ARGB32_Premultiplied)
            img.fill(0)
            bp = QPainter(img)
            x = img.width() - 3
            for color, d in ((SHADOW, 1), (DIM, 0)):
                bp.setPen(QPen(color, 1))
                bp.drawLines([QPointF(x + d, 1 + d), QPointF(x + d, 1 + length + d), QPointF(x - 5 + d, 1 + d),
                              QPointF(x + d, 1 + d), QPointF(x - 5 + d, 1 + length + d), QPointF(x + d, 1 + length + d)])
            bp.setFont(self.font)
            self.text(bp, x - 8, 1 + length / 2 - self.line_h / 2, label, DIM, align="right")
            bp.end()
            self._blocks[key] = img
        return img

    @staticmethod
    def paint_crosshair(p: QPainter, view: ViewContext) -> None:
        idx = view.model.crosshair_index()
        if idx is None:
            return
        k, row, col = (float(v) for v in idx)
        spacing = (view.geometry.slice_spacing_mm if view.geometry is not None else None) or 1.0
        on_slice = abs(k - view.slice_index) * spacing <= spacing / 2 + 1e-6
        pt = view.to_widget(row, col)
        color = QColor(CROSS) if on_slice else QColor(CROSS.red(), CROSS.green(), CROSS.blue(), 110)
        pen = QPen(color, 1, Qt.PenStyle.SolidLine if on_slice else Qt.PenStyle.DashLine)
        p.setPen(pen)
        gap, arm = 5.0, 14.0
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            p.drawLine(QPointF(pt.x() + dx * gap, pt.y() + dy * gap), QPointF(pt.x() + dx * (gap + arm), pt.y() + dy * (gap + arm)))
        if not on_slice:  # how far the point is from the slice shown
            p.drawText(QPointF(pt.x() + gap + 2, pt.y() - gap - 2), f"{(k - view.slice_index) * spacing:+.0f} mm")
