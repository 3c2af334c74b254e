"""ViewportWidget: paints one ViewportModel and turns mouse input into model changes.

Mouse (OHIF/Weasis habits; Horos' right-drag window): left = active tool (window/level by
default, see :mod:`viewer.qt.tools`), right-drag = window/level whatever the tool (or zoom, as in
OHIF: :attr:`ViewportWidget.right_drag`), right-click = context menu, middle-drag = pan,
Ctrl+right-drag = zoom, wheel = one slice per notch (down = next slice, down the patient),
Ctrl+wheel = zoom about the pointer, double-click = maximise/restore the cell (window/level tool). Keys are bound by
the main window (app.shortcuts) and act on the models; none reaches the tool.

The widget remembers where the pointer last was over it (:attr:`pointer`, widget pixels, None
once it left), so a key acting "on what is under the pointer" (Delete) decides at the moment of
the key press, from the marks and lines there at that moment.

Painting: one cached QImage per (slice, window) drawn with ``drawImage`` into the rectangle
the :class:`ViewTransform` gives (true aspect from the pixel spacing), then layers, tool,
overlays. Nothing here is state: zoom, slice, window, crosshair live in the model.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QMouseEvent, QPainter, QPaintEvent, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from viewer.model.layout import role_label
from viewer.model.view import ViewTransform
from viewer.model.viewport import ViewportModel
from viewer.qt.image_cache import SliceImageCache, blit_box
from viewer.qt.overlay import DIM, MARGIN, OverlayPainter, Hover
from viewer.model.pointer import Button, Modifier, PointerEvent, PointerKind
from viewer.qt.tools import Layer, Tool, ViewContext, WindowLevelTool, drag_window, pointer_event

BACKGROUND = QColor(0, 0, 0)
BORDER = QColor(48, 48, 52)
ACTIVE_BORDER = QColor(255, 196, 64)
HIDDEN_TEXT = QColor(255, 196, 64)
STACK_MIME = "application/x-lesionlab-stack"
#: Pixels the right button may move before a right-click becomes a window/level drag.
CLICK_SLOP_PX = 3
#: Slices rendered ahead in the scroll direction while the UI is idle (one per event-loop turn).
PREFETCH_SLICES = 2

#: an empty cell before any exam is open, no study listed yet
IDLE_NOTE = "open a study (Ctrl+O), then an exam pair"


class ViewportWidget(QWidget):
    """One cell. Signals: ``activated`` (clicked), ``maximise_requested``,
    ``context_requested(QPoint global)``, ``stack_dropped(str key)``, ``tool_changed(name)``."""

    activated = Signal()
    maximise_requested = Signal()
    context_requested = Signal(object)
    stack_dropped = Signal(str)
    tool_changed = Signal(str)  # the new tool's name (Esc back to window/level included)

    def __init__(self, model: ViewportModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.cache = SliceImageCache()
        self.overlays = OverlayPainter()
        self.layers: list[Layer] = []
        self.default_tool: Tool = WindowLevelTool()
        self.tool: Tool = self.default_tool
        self.active = False
        self.show_overlays = True
        #: whether a blinded study case is on screen (the window sets it): the overlays leave out the patient's id and
        #: the exam's date, the rest shows
        self.blinded: Callable[[], bool] = lambda: False
        #: the layers (a reading's marks, lines, boundary) painted; hidden, the cell says so
        self.show_layers = True
        self.smooth = True
        self.pair_open = False  # set by the grid: an empty cell then means "missing", else "nothing opened yet"
        #: what a missing series' cell says instead of "not in this pair: drop a stack here from the browser"
        #: (the grid's ``set_missing_note``: a blinded case has no browser, its series are the session's)
        self.missing_note = ""
        #: what the cell says before any exam is open (the grid's ``set_idle_note``: studies listed, what opens one)
        self.idle_note = IDLE_NOTE
        #: whether a stack is hung in this cell (the grid sets it from the hanging): an empty cell with one is
        #: waiting for its volume ("loading…"), not missing its series (Shift+D said "not in this pair" for a frame)
        self.stack_hung: Callable[[], bool] = lambda: False
        #: why the hung stack could not be loaded (set by the window from the loader's failure; "" while it loads)
        self.load_error = ""
        self.right_drag = "window"  # "window" (Horos, Weasis) or "zoom" (OHIF); Ctrl+right-drag zooms either way
        self.pointer: tuple[float, float] | None = None  # last pointer position over the widget
        #: The cell's title above the role (the grid sets it: role of the stack, patient when it differs).
        self.title: Callable[[ViewportModel], str] = lambda m: role_label(m.role)
        #: Text of the link state for the overlay (the grid sets it from its LinkModel).
        self.link_text: Callable[[ViewportModel], str] = lambda m: "" if m.linked else "unlinked"
        self._hover: Hover | None = None
        self._last_index = model.index
        self._drag: tuple[Qt.MouseButton, QPointF, bool] | None = None  # button, last pos, moved
        self._loading: tuple[int, int] | None = None
        self._step = 0  # direction of the last slice change (-1 down the patient, +1 up, 0 none yet)
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(0)
        self._prefetch_timer.timeout.connect(self._prefetch)
        self._cine = QTimer(self)
        self._cine.timeout.connect(model.cine_step)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        for sig in (model.slice_changed, model.window_changed, model.view_changed, model.crosshair_changed,
                    model.link_changed):
            sig.connect(self._changed)
        model.slice_changed.connect(self._slice_moved)
        model.volume_changed.connect(self._volume_changed)
        model.loading_changed.connect(self._loading_changed)
        model.cine_changed.connect(self._cine_changed)

    # ------------------------------------------------------------------ model observers
    def _changed(self, *_args: object) -> None:
        """A model change: repaint, and read the value under a pointer that has not moved again (after
        F, a pan or a zoom the pointer sits over another pixel)."""
        if self.pointer is not None:
            view = self.view_context()
            if view is not None:
                row, col = view.to_image(*self.pointer)
                self._hover = Hover(row, col) if view.transform.contains(row, col) else None
        self.update()

    def _slice_moved(self, k: int) -> None:
        last = self._last_index
        if k != last:
            self._step = 1 if k > last else -1
        self._last_index = k

    def _volume_changed(self) -> None:
        self.cache.clear()
        self._last_index, self._step = self.model.index, 0
        self._loading = None
        self.update()

    def _loading_changed(self, done: int, total: int) -> None:
        self._loading = (done, total)
        self.update()

    def _cine_changed(self, playing: bool) -> None:
        if playing:
            self._cine.start(int(1000 / max(self.model.cine_fps, 1)))
        else:
            self._cine.stop()

    # ------------------------------------------------------------------ tools and layers
    def set_tool(self, tool: Tool | None) -> None:
        """Make ``tool`` the left-button tool (None: back to window/level)."""
        self.tool = tool if tool is not None else self.default_tool
        self.setCursor(self.tool.cursor)
        self.update()
        self.tool_changed.emit(self.tool.name)

    def add_layer(self, layer: Layer) -> None:
        self.layers.append(layer)
        self.update()

    def set_active(self, active: bool) -> None:
        if active != self.active:
            self.active = active
            self.update()

    # ------------------------------------------------------------------ geometry
    def transform(self) -> ViewTransform | None:
        geo = self.model.geometry
        if geo is None:
            return None
        rs, cs = geo.pixel_spacing_mm or (1.0, 1.0)
        return ViewTransform(self.width(), self.height(), geo.rows, geo.columns, rs, cs, self.model.zoom, self.model.center)

    def view_context(self) -> ViewContext | None:
        t = self.transform()
        return ViewContext(self.model, t) if t is not None else None

    def pointer_now(self) -> PointerEvent | None:
        """A move event at the pointer's last position over this widget (None when it is elsewhere)."""
        view = self.view_context()
        if view is None or self.pointer is None:
            return None
        x, y = self.pointer
        return PointerEvent(PointerKind.MOVE, (x, y), view.to_image(x, y), Button.NONE, frozenset(), Modifier.NONE, view)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        view = self.view_context()
        if view is None:
            p.fillRect(self.rect(), BACKGROUND)
            self._paint_empty(p)
        else:
            self._paint_image(p, view)
            if self.show_layers:
                for layer in self.layers:
                    layer.paint(p, view)
            elif self.layers:
                self._paint_hidden(p)
            self.tool.paint(p, view)
            if self.show_overlays:
                OverlayPainter.paint_crosshair(p, view)
                self.overlays.paint(p, view, self._hover, active=self.active, loading=self._loading,
                                    link_text=self.link_text(self.model), title=self.title(self.model),
                                    identifying=not self.blinded())
        self._paint_border(p)
        p.end()

    def _paint_hidden(self, p: QPainter) -> None:
        """The layers hidden: said in the cell's upper middle, on the line under the top edge's orientation letter,
        so that nothing seems lost. The corners' text is three lines high, so nothing else is drawn there; in the
        lower middle the notice lay over the bottom letter (a radiologist's check read "marks and li P es hidden"),
        then over the readout of the pixel under the pointer, which runs from the bottom left corner."""
        top = MARGIN + 4 * self.overlays.line_h + 2
        p.setPen(HIDDEN_TEXT)
        p.drawText(self.rect().adjusted(0, top, 0, 0), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                   "marks and lines hidden (H)")

    def _paint_border(self, p: QPainter) -> None:
        """The cell frame as four filled strips (a stroked rectangle costs ten times more)."""
        color, t = (ACTIVE_BORDER, 2) if self.active else (BORDER, 1)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, t, color)
        p.fillRect(0, h - t, w, t, color)
        p.fillRect(0, t, t, h - 2 * t, color)
        p.fillRect(w - t, t, t, h - 2 * t, color)

    def _paint_image(self, p: QPainter, view: ViewContext) -> None:
        m = self.model
        wl = m.window
        x, y, w, h = view.transform.image_rect()
        self._fill_around(p, x, y, w, h)
        if m.is_loaded() and wl is not None:
            fits = self._fits(x, y, w, h)
            if fits and self.cache.has_scaled(m.volume, m.index, wl, m.invert, (x, y, w, h), self.smooth):  # type: ignore[arg-type]
                # the cell shows the whole image and it is rendered at the cell's scale already: a blit
                scaled = self.cache.scaled(m.volume, m.index, wl, m.invert, (x, y, w, h), self.smooth)  # type: ignore[arg-type]
                ix, iy, _, _, _, _ = blit_box((x, y, w, h))
                p.drawImage(QPointF(ix, iy), scaled)
                if self._step and not self._prefetch_timer.isActive():
                    self._prefetch_timer.start()
            else:  # drawn directly now (no dearer than before), rendered for the cache when idle
                if fits and not self._prefetch_timer.isActive():
                    self._prefetch_timer.start()
                img = self.cache.image(m.volume, m.index, wl, m.invert)  # type: ignore[arg-type]
                if self.smooth:
                    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                p.drawImage(QRectF(x, y, w, h), img)
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        else:  # the cell paints opaquely: black under the word, not the pixels left there (a radiologist saw noise)
            p.fillRect(QRectF(x, y, w, h).intersected(QRectF(self.rect())), BACKGROUND)
            p.setPen(DIM)
            p.drawText(QRectF(x, y, w, h), Qt.AlignmentFlag.AlignCenter, "loading…")

    def _fits(self, x: float, y: float, w: float, h: float) -> bool:
        eps = 1e-6
        return x >= -eps and y >= -eps and x + w <= self.width() + eps and y + h <= self.height() + eps

    def prefetch_targets(self) -> list[int]:
        """Slices to render for the cache: the one shown, then the next decoded ones in the direction the
        reader last scrolled this cell (none ahead before a first scroll: while a pair loads, the UI
        thread leaves the cores to decoding)."""
        m = self.model
        ks = [m.index] + [m.index + self._step * d for d in range(1, PREFETCH_SLICES + 1)] if self._step else [m.index]
        return [k for k in ks if 0 <= k < m.n_slices and m.is_loaded(k)]

    def _prefetch(self) -> None:
        """Render one slice ahead into the scaled cache, then come back on the next idle turn."""
        m, view = self.model, self.view_context()
        wl = m.window
        if view is None or wl is None or m.volume is None or not self.isVisible():
            return
        rect = view.transform.image_rect()
        if not self._fits(*rect):
            return
        for k in self.prefetch_targets():
            if not self.cache.has_scaled(m.volume, k, wl, m.invert, rect, self.smooth):
                self.cache.scaled(m.volume, k, wl, m.invert, rect, self.smooth)
                self._prefetch_timer.start()
                return

    def _fill_around(self, p: QPainter, x: float, y: float, w: float, h: float) -> None:
        """Black outside the image rectangle only (the image covers the rest: saves a full fill)."""
        W, H = self.width(), self.height()
        if x > 0 or y > 0 or x + w < W or y + h < H:
            top, bottom = max(0.0, y), min(float(H), y + h)
            for rect in (QRectF(0, 0, W, top), QRectF(0, bottom, W, H - bottom),
                         QRectF(0, top, max(0.0, x), bottom - top), QRectF(x + w, top, W - x - w, bottom - top)):
                if rect.width() > 0 and rect.height() > 0:
                    p.fillRect(rect.adjusted(-1, -1, 1, 1), BACKGROUND)

    def empty_text(self) -> str:
        """What the cell says while it shows no image."""
        role = role_label(self.model.role)
        if not self.pair_open:
            return f"{role}\n\n{self.idle_note}" if role else "empty"
        if self.stack_hung():
            text = f"cannot load: {self.load_error}" if self.load_error else "loading…"
            return f"{role}\n{text}" if role else text
        if self.missing_note:
            return f"{role}\n{self.missing_note}" if role else "empty"
        return f"{role}\nnot in this pair\n\ndrop a stack here from the browser" if role else "empty\n\ndrop a stack here"

    def _paint_empty(self, p: QPainter) -> None:
        p.setPen(DIM)
        f = p.font()
        f.setPointSizeF(11)
        p.setFont(f)
        text = self.empty_text()
        p.drawText(QRectF(self.rect()).adjusted(12, 12, -12, -12),
                   int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap), text)

    # ------------------------------------------------------------------ mouse
    def _event(self, kind: PointerKind, ev: QMouseEvent, view: ViewContext) -> PointerEvent:
        pos = ev.position()
        self.pointer = (pos.x(), pos.y())
        return pointer_event(kind, ev, view)

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        self.activated.emit()
        self.setFocus()
        view = self.view_context()
        if view is None:
            return
        if self.tool.press(self._event(PointerKind.PRESS, ev, view)):
            self.update()
            return
        if ev.button() in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
            self._drag = (ev.button(), ev.position(), False)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        view = self.view_context()
        if view is None:
            return
        event = self._event(PointerKind.MOVE, ev, view)
        row, col = event.image_pos
        self._hover = Hover(row, col) if view.transform.contains(row, col) else None
        if self.tool.move(event):
            self.update()
            return
        if self._drag is not None:
            button, last, moved = self._drag
            d = ev.position() - last
            if not moved and abs(d.x()) + abs(d.y()) < CLICK_SLOP_PX:
                return
            self._drag = (button, ev.position(), True)
            if button == Qt.MouseButton.MiddleButton:
                self.model.set_center(view.transform.center_after_drag(d.x(), d.y()))
            elif ev.modifiers() & Qt.KeyboardModifier.ControlModifier or self.right_drag == "zoom":
                self.model.set_zoom(self.model.zoom * (1.01 ** (-d.y())))
            else:
                drag_window(self.model, d.x(), d.y())
            return
        if self.show_overlays:
            self.update()  # the value under the cursor

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        view = self.view_context()
        if view is not None and self.tool.release(self._event(PointerKind.RELEASE, ev, view)):
            self.update()
            return
        drag, self._drag = self._drag, None
        if drag is not None and drag[0] == Qt.MouseButton.RightButton and not drag[2]:
            self.context_requested.emit(ev.globalPosition().toPoint())

    def contextMenuEvent(self, ev: QContextMenuEvent) -> None:
        if ev.reason() != QContextMenuEvent.Reason.Mouse:  # keyboard menu key; mouse is handled on release
            self.context_requested.emit(ev.globalPos())

    def mouseDoubleClickEvent(self, ev: QMouseEvent) -> None:
        # with the window/level tool only: the reading tools take clicks, and a reader's double click with
        # the line tool (one suggestion) also sent the maximised cell back to the grid
        if ev.button() == Qt.MouseButton.LeftButton and self.tool is self.default_tool:
            self.maximise_requested.emit()

    def leaveEvent(self, ev: object) -> None:
        self._hover = None
        self.pointer = None
        self.update()

    def wheelEvent(self, ev: QWheelEvent) -> None:
        self.activated.emit()
        steps = ev.angleDelta().y() / 120.0
        if not steps:
            return
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            t = self.transform()
            if t is not None:
                factor = 1.15 ** steps
                pos = ev.position()
                self.model.set_zoom(self.model.zoom * factor, t.center_after_zoom(factor, pos.x(), pos.y()))
        else:
            self.model.next_slice(-int(round(steps)) or (-1 if steps > 0 else 1))

    # ------------------------------------------------------------------ drag and drop of stacks
    def dragEnterEvent(self, ev: object) -> None:
        if ev.mimeData().hasFormat(STACK_MIME):  # type: ignore[attr-defined]
            ev.acceptProposedAction()  # type: ignore[attr-defined]

    def dropEvent(self, ev: object) -> None:
        key = bytes(ev.mimeData().data(STACK_MIME)).decode()  # type: ignore[attr-defined]
        if key:
            self.stack_dropped.emit(key)
            ev.acceptProposedAction()  # type: ignore[attr-defined]
