"""Line and count tools in a real ViewportWidget (real mouse events): draw, edit endpoints, undo, count,
move, refusals. The gestures themselves are tested without Qt in tests/annotation/test_gestures.py."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from annotation.gestures import ReadingContext
from annotation.qt.tools import CountTool, LineTool, attach
from annotation.reading import Reading
from annotation.records import Measurement
from annotation.selection import Selection
from annotation.vocab import Lobe
from viewer.geometry import StackGeometry
from viewer.testing import make_stack, make_volume
from viewer.model.viewport import ViewportModel
from viewer.qt.viewport import ViewportWidget
from viewer.records import Role

PAIR = ("P1", "E1")
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.MouseButton.NoButton


def send_mouse(widget, kind, pos, button, buttons):
    ev = QMouseEvent(kind, QPointF(*pos), widget.mapToGlobal(QPointF(*pos)), button, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def drag(widget, a_img, b_img):
    """Left press at image point a, move through the middle to b, release (image (row, col))."""
    view = widget.view_context()
    a, b = view.to_widget(*a_img), view.to_widget(*b_img)
    mid = ((a.x() + b.x()) / 2, (a.y() + b.y()) / 2)
    send_mouse(widget, QEvent.Type.MouseButtonPress, (a.x(), a.y()), LEFT, LEFT)
    send_mouse(widget, QEvent.Type.MouseMove, mid, NONE, LEFT)
    send_mouse(widget, QEvent.Type.MouseMove, (b.x(), b.y()), NONE, LEFT)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, (b.x(), b.y()), LEFT, NONE)


def viewport(qtbot):
    """A reading of one patient and pair, and a DWI viewport showing a 64 x 80 stack."""
    reading = Reading(reader="R1")
    reading.add_patient("P1")
    reading.add_exam_pair("P1", "E1")
    selection = Selection(reading, PAIR)
    stack = make_stack("dwi", Role.MR_DWI, rows=64, columns=80, pixel_spacing_mm=(1.5, 2.5))
    model = ViewportModel(role=Role.MR_DWI)
    model.set_volume(make_volume(stack), Role.MR_DWI)
    widget = ViewportWidget(model)
    widget.resize(500, 400)
    qtbot.addWidget(widget)
    return reading, selection, model, widget


@pytest.fixture
def setup(qtbot):
    reading, selection, model, widget = viewport(qtbot)
    widget.show()
    messages: list[str] = []
    ctx = ReadingContext(selection, say=messages.append)
    attach(widget, ctx)
    return reading, ctx, model, widget, messages


def only_measurement(reading, lesion_id="L1", role=Role.MR_DWI):
    return reading.project.lesions[("P1", "E1", "R1", lesion_id)].observation(role)


def test_draw_edit_endpoint_and_undo(setup):
    reading, ctx, model, widget, messages = setup
    selection = ctx.selection
    tool = LineTool(ctx)
    widget.set_tool(tool)
    drag(widget, (10, 10), (20, 30))
    assert "no current lesion" in messages[-1] and not reading.project.lesions
    selection.set_lobe(Lobe.LEFT)
    selection.new_lesion()
    assert selection.lesion_id == "L1" and reading.project.lesions[("P1", "E1", "R1", "L1")].lobe is Lobe.LEFT
    drag(widget, (10, 10), (20, 30))
    m = only_measurement(reading)
    assert isinstance(m, Measurement)
    assert (m.stack_key, m.slice_index, m.series_instance_uid) == ("dwi", model.index, "dwi.series")
    assert m.p1 == pytest.approx((10, 10), abs=0.05) and m.p2 == pytest.approx((20, 30), abs=0.05)
    assert m.diameter_mm == pytest.approx(model.geometry.distance_mm(m.p1, m.p2))
    # its first line, no right/left boundary: the lobe it was started in is said
    assert messages[-1] == (f"L1 on DWI b800: {m.diameter_mm:.1f} mm; in the left lobe, no R/L boundary "
                            "(click it, Shift+R to move)")
    assert selection.picked is not None and selection.picked.lesion_id == "L1" and selection.picked.fresh
    # grab endpoint 2 and move it: one more edit, diameter follows
    drag(widget, m.p2, (20, 50))
    moved = only_measurement(reading)
    assert moved.p1 == m.p1 and moved.p2 == pytest.approx((20, 50), abs=0.05)
    assert moved.diameter_mm > m.diameter_mm
    reading.undo()
    assert only_measurement(reading) == m
    reading.undo()
    assert only_measurement(reading) is None
    widget.grab()  # paints the layer and the tool without error


def test_refused_on_non_axial_and_unmeasurable_stacks(setup):
    reading, ctx, model, widget, messages = setup
    tool = LineTool(ctx)
    widget.set_tool(tool)
    ctx.selection.new_lesion()
    vol = model.volume
    coronal, _ = StackGeometry.from_slices(64, 80, (1, 0, 0, 0, 0, -1), [(0, 5.0 * k, 0) for k in range(20)],
                                           (1.5, 2.5))
    model.set_volume(replace(vol, geometry=coronal), Role.MR_DWI)
    drag(widget, (10, 10), (20, 30))
    # N's lesion, refused its first line for the stack's geometry, is taken back (session 47: the empty L1 stayed)
    assert "coronal" in messages[-1] and "L1 taken back" in messages[-1] and not reading.project.lesions
    ctx.selection.new_lesion()
    flat, _ = StackGeometry.from_slices(64, 80, (1, 0, 0, 0, 1, 0), [(0, 0, 5.0 * k) for k in range(20)], None)
    model.set_volume(replace(vol, geometry=flat), Role.MR_DWI)
    drag(widget, (10, 10), (20, 30))
    assert "cannot measure" in messages[-1] and not reading.project.lesions
    ctx.selection.new_lesion()
    model.set_volume(vol, Role.MR_ADC)
    model.role = Role.MR_ADC
    drag(widget, (10, 10), (20, 30))
    assert "ADC map" in messages[-1] and "DWI b800" in messages[-1] and only_measurement(reading) is None


def test_count_place_lobe_switch_move_pick_undo(setup):
    reading, ctx, model, widget, messages = setup
    tool = CountTool(ctx)
    widget.set_tool(tool)
    view = widget.view_context()

    def click(row, col):
        p = view.to_widget(row, col)
        send_mouse(widget, QEvent.Type.MouseButtonPress, (p.x(), p.y()), LEFT, LEFT)
        send_mouse(widget, QEvent.Type.MouseButtonRelease, (p.x(), p.y()), LEFT, NONE)

    click(25, 30)  # inside the phantom's body (a click outside it is refused: below)
    click(30, 40)
    ctx.selection.set_lobe(Lobe.LEFT)
    click(50, 60)
    counts = reading.project.counts("P1", "E1", "R1")
    assert counts[(Role.MR_DWI, Lobe.RIGHT)] == 2 and counts[(Role.MR_DWI, Lobe.LEFT)] == 1
    # drag the first mark elsewhere: moved, not a new mark
    drag(widget, (25, 30), (27, 40))
    marks = reading.project.marks_of("P1", "E1", "R1")
    assert len(marks) == 3 and any((m.row, m.col) == pytest.approx((27, 40), abs=0.05) for m in marks)
    # hovering a mark highlights it; the widget remembers the pointer for the Delete key of the app
    p = view.to_widget(50, 60)
    send_mouse(widget, QEvent.Type.MouseMove, (p.x(), p.y()), NONE, NONE)
    left = next(m for m in marks if m.lobe is Lobe.LEFT)
    assert tool.layer.hover == left.mark_id
    assert widget.pointer_now().image_pos == pytest.approx((50, 60), abs=0.05)
    reading.undo()  # the move
    assert any((m.row, m.col) == pytest.approx((25, 30), abs=0.05) for m in reading.project.marks_of("P1", "E1", "R1"))
    # marks belong to their slice: on the next slice the same spot places a new mark
    model.set_index(model.index + 1)
    click(27, 40)
    marks = reading.project.marks_of("P1", "E1", "R1")
    assert len(marks) == 4 and sorted(m.slice_index for m in marks)[-1] == model.index
    # the air round the body: refused, nothing counted
    click(2, 2)
    assert len(reading.project.marks_of("P1", "E1", "R1")) == 4 and "outside the body" in messages[-1]
    widget.grab()


def test_jump_to_a_measurement(setup):
    from annotation.qt.tools import jump_to

    _, _, model, _, _ = setup
    other = ViewportModel(role=Role.CT_PORTAL)
    target = max(0, model.index - 3)
    m = Measurement("dwi", "dwi.series", target, (1, 1), (2, 2), 1.0, 1.0)
    assert jump_to([other, model], m) is model and model.index == target
    assert jump_to([other], m) is None


@pytest.mark.parametrize("end", [(20, 30), (20, 5), (10, 40), (30, 10), (40, 20)])
def test_a_measured_lesions_lobe_letter_stands_beside_its_line(qtbot, end):
    """The lobe letter of a measured lesion's count mark was drawn 8 px up-right of the line's
    middle: on the line or its end handle when the line runs that way (a reader's check under
    Xvfb); then 12 px across it, on a small lesion (a second check). It stands across the line,
    half its length and 6 px off (at least 12 px): outside the lesion."""
    reading, selection, model, widget = viewport(qtbot)
    _, count_layer = attach(widget, ReadingContext(selection))
    selection.new_lesion()
    start = (20, 20)
    reading.measure(PAIR, "L1", Role.MR_DWI, model.geometry, "dwi", "dwi.series", model.index, start, end)
    view = widget.view_context()
    (mark,) = count_layer.on_slice(view)
    p = view.to_widget(mark.row, mark.col)
    at = count_layer._beside_line(mark, view, p)
    centre = QPointF(at.x() + 4, at.y() - 5)  # the letter's middle (drawText takes its baseline)
    a, b = view.to_widget(*start), view.to_widget(*end)
    dx, dy = b.x() - a.x(), b.y() - a.y()
    across = abs((centre.x() - a.x()) * dy - (centre.y() - a.y()) * dx) / (dx * dx + dy * dy) ** 0.5
    half = 0.5 * (dx * dx + dy * dy) ** 0.5
    assert across == pytest.approx(max(12.0, half + 6), abs=0.5) and centre.y() <= p.y() + 1e-6
    widget.grab()  # paints it


def test_a_lobe_letter_keeps_off_another_lesions_mm_label(qtbot):
    """A reader's check under Xvfb saw a lesion's lobe letter drawn on another lesion's mm label. A
    second lesion's line is placed so that its label covers where the first one's letter stands: the
    letter goes to the first free place (the other side of its line), touching no label painted."""
    reading, selection, model, widget = viewport(qtbot)
    line_layer, count_layer = attach(widget, ReadingContext(selection))
    selection.new_lesion()
    reading.measure(PAIR, "L1", Role.MR_DWI, model.geometry, "dwi", "dwi.series", model.index, (30, 20), (30, 34))
    view = widget.view_context()
    (mark,) = count_layer.on_slice(view)
    p = view.to_widget(mark.row, mark.col)
    natural = count_layer._beside_line(mark, view, p)  # nothing painted yet: its own place
    # L2's lower end such that its label (6 px right of the end, 10 px up) covers that place
    end = view.transform.widget_to_image(natural.x() - 14, natural.y() - 2)
    start = view.transform.widget_to_image(natural.x() - 44, natural.y() - 22)
    selection.new_lesion()
    reading.measure(PAIR, "L2", Role.MR_DWI, model.geometry, "dwi", "dwi.series", model.index, start, end)
    widget.grab()  # the line layer paints the labels, then the count layer the letters
    assert line_layer.label_boxes and not count_layer._free(natural, line_layer.label_boxes)
    for m in count_layer.on_slice(view):
        at = count_layer._beside_line(m, view, view.to_widget(m.row, m.col))
        assert count_layer._free(at, line_layer.label_boxes), (m.lesion_id, at, line_layer.label_boxes)
    l1 = next(m for m in count_layer.on_slice(view) if m.lesion_id == "L1")
    moved = count_layer._beside_line(l1, view, view.to_widget(l1.row, l1.col))
    assert moved.y() > p.y()  # below its line: the other side, as near


def test_a_double_click_maximises_with_the_window_tool_only(setup, qtbot):
    """A reader's double click with the line tool (one suggestion, or a pick) also sent the maximised cell
    back to the grid: with a reading tool a double click is two clicks; with window/level it maximises."""
    _, ctx, _, widget, _ = setup
    asked: list[bool] = []
    widget.maximise_requested.connect(lambda: asked.append(True))
    widget.set_tool(LineTool(ctx))
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(250, 200))
    assert asked == []
    widget.set_tool(None)  # back to the default tool, window/level
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(250, 200))
    assert asked == [True]
