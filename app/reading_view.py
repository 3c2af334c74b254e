"""The reading drawn in the six viewports and the tools in them, following the workstation state.

It observes :class:`app.workstation.WorkstationState` only: the tool mode gives each viewport
its tool (line, count, boundary, reference point, window/level), the reading and selection give
the layers what to draw, the cell kinds give each cell its title. Nothing here decides anything.
"""

from __future__ import annotations

from typing import Any, Callable

from annotation.qt.layers import BoundaryLayer, CountLayer, MeasurementLayer
from annotation.qt.tools import BoundaryTool, CountTool, LineTool, ShortAxisTool
from annotation.reading import ReadingEvent
from app.workstation import CellKind, ToolMode, WorkstationState
from viewer.model.pointer import PointerEvent
from viewer.qt.grid import ReadingGrid
from viewer.qt.tools import CrosshairTool, Tool

#: what Esc says it dropped, by the tool whose gesture was in progress (the line went unsaid: a radiologist's check)
DROPPED = {"line": "line dropped (Esc)", "short_axis": "short axis dropped (Esc)",
           "boundary": "boundary line dropped (Esc)", "count": "mark left where it was (Esc)"}


def _pointer_of(widget: Any) -> Callable[[], tuple[float, float] | None]:
    return lambda: widget.pointer


def _labels_of(layer: MeasurementLayer) -> Callable[[], list[tuple[float, float, float, float]]]:
    return lambda: layer.label_boxes


class ReadingView:
    """Layers and tools of the grid's viewports, kept in step with the state."""

    def __init__(self, state: WorkstationState, grid: ReadingGrid) -> None:
        self.state, self.grid = state, grid
        self.viewports = grid.viewports
        sel = state.selection
        # a short line's end handles show with the pointer near it (annotation.qt.layers.SHORT_LINE_PX)
        # a reading cell draws only the exam pair's lines (a study shared by two exams drew both: MeasurementLayer)
        self.line_layers = [MeasurementLayer(sel, self._patient, pointer=_pointer_of(w), reads=self._reads(i))
                            for i, w in enumerate(self.viewports)]
        # each viewport's lobe letters keep off the mm labels its line layer painted just before
        self.count_layers = [CountLayer(sel, avoid=_labels_of(line)) for line in self.line_layers]
        # and the mm labels keep off the marks' ticks (a lesion counted beside a measured one)
        for line, count in zip(self.line_layers, self.count_layers):
            line.keep_off = count.tick_boxes
        # the boundary drawn on the other exam shows where it gives the lobes, through the alignment
        self.boundary_layers = [BoundaryLayer(sel, self._alignments, self._reads(i)) for i in range(len(self.viewports))]
        for i, (w, line, count, boundary) in enumerate(zip(self.viewports, self.line_layers, self.count_layers,
                                                         self.boundary_layers)):
            w.add_layer(boundary)
            w.add_layer(line)
            w.add_layer(count)
            w.title = self._title_of(i)
            w.blinded = self._blinded
        self._unsubscribe: Callable[[], None] = lambda: None
        state.changed.connect(self._changed)
        self._bind()

    def _reads(self, cell: int) -> Callable[[], bool]:
        return lambda: self.state.cell_kind(cell) is CellKind.READING

    def _alignments(self) -> list[object]:
        return [self.state.alignment] if self.state.alignment is not None else []

    def _patient(self) -> str | None:
        return self.state.pair.patient_id if self.state.pair is not None else None

    def _blinded(self) -> bool:
        return self.state.blinded

    def _title_of(self, cell: int) -> Callable[[object], str]:
        return lambda _model: self.state.cell_title(cell)

    # ------------------------------------------------------------------ following the state
    def _changed(self, aspect: str) -> None:
        if aspect == "reading":
            self._bind()
        elif aspect == "tool":
            self._install_tools()
        elif aspect == "overlays":
            for w in self.viewports:
                w.show_overlays = self.state.overlays
        elif aspect == "annotations":
            for w in self.viewports:
                w.show_layers = self.state.annotations
        if aspect != "status":
            self.repaint()

    def _bind(self) -> None:
        """Another Reading (another project or reader): layers and tools follow it."""
        self._unsubscribe()
        sel = self.state.selection
        for line in self.line_layers:
            line.selection = sel
        for count in self.count_layers:
            count.selection = sel
        for boundary in self.boundary_layers:
            boundary.selection = sel
        self._unsubscribe = self.state.reading.subscribe(self._edited)
        self._install_tools()

    def _edited(self, event: ReadingEvent) -> None:
        # an edit is made on what the reader sees: hidden marks and lines (H) come back with it (a count click on a
        # hidden mark picks it, a second count of a lesion would go unseen)
        self.state.set_annotations(True)
        self.repaint()

    def repaint(self) -> None:
        for w in self.viewports:
            w.update()

    def _install_tools(self) -> None:
        mode, ctx = self.state.tool, self.state.context
        for w, line, count in zip(self.viewports, self.line_layers, self.count_layers):
            tool: Tool | None
            if mode is ToolMode.LINE:
                tool = LineTool(ctx, line)
            elif mode is ToolMode.SHORT_AXIS:
                tool = ShortAxisTool(ctx)
            elif mode is ToolMode.COUNT:
                tool = CountTool(ctx, count)
            elif mode is ToolMode.BOUNDARY:
                tool = BoundaryTool(ctx)
            elif mode is ToolMode.CROSSHAIR:
                tool = CrosshairTool(self.state.viewer.link.set_reference_point)
            else:
                tool = None
            line.hidden, count.moving, count.hover = None, None, None
            w.set_tool(tool)
        if mode is not ToolMode.CROSSHAIR:
            self.state.viewer.link.clear_reference_point()

    # ------------------------------------------------------------------ for commands
    def cancel_gesture(self) -> str | None:
        """Esc: drop a gesture in progress in any cell; what was dropped, as the status says it, or None."""
        dropped = None
        for w in self.viewports:
            # an end of a recorded line being moved: the line stays as it was ("line dropped (Esc)" read as the line
            # gone, a radiologist-engineer's check, session 48)
            grab = getattr(getattr(w.tool, "gesture", None), "grab", None)
            if w.tool.cancel():
                dropped = (f"{grab[0]}'s line left as it was (Esc)" if grab else
                           DROPPED.get(w.tool.name, "drawing dropped (Esc)"))
        self.repaint()
        return dropped

    def pointer_now(self) -> PointerEvent | None:
        """The pointer over a viewport at this moment, as an event (None when it is over none)."""
        for w in self.viewports:
            if w.isVisible():
                event = w.pointer_now()
                if event is not None:
                    return event
        return None
