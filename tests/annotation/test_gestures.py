"""The reading gestures without Qt: Qt-free pointer events on a viewport model (annotation/gestures.py)."""

from __future__ import annotations

import pytest

from annotation.gestures import BoundaryGesture, CountGesture, LineGesture, ReadingContext, Suggestion, hit
from annotation.lobes import LobeBoundary, side_of
from annotation.reading import Reading
from annotation.records import Measurement
from annotation.selection import Picked, Selection
from annotation.vocab import Lobe, MeasurementMethod
from viewer.errors import ValidationError
from viewer.model.pointer import Button, PointerEvent, PointerKind, View
from viewer.model.view import ViewTransform
from viewer.model.viewport import ViewportModel
from viewer.records import Role
from viewer.testing import make_stack, make_volume

PAIR = ("P1", "E1")


@pytest.fixture
def view():
    stack = make_stack("ct", Role.CT_PORTAL, rows=64, columns=80, pixel_spacing_mm=(0.8, 0.8))
    model = ViewportModel(role=Role.CT_PORTAL)
    model.set_volume(make_volume(stack), Role.CT_PORTAL)
    return View(model, ViewTransform(640, 512, 64, 80, 0.8, 0.8))


@pytest.fixture
def ctx():
    reading = Reading(reader="R1")
    reading.add_patient("P1")
    reading.add_exam_pair("P1", "E1")
    messages: list[str] = []
    c = ReadingContext(Selection(reading, PAIR), say=messages.append)
    c.messages = messages  # type: ignore[attr-defined]
    return c


def gesture(g, view, points, button=Button.LEFT):
    """Press at the first point, move through the others, release at the last (image (row, col))."""
    g.press(PointerEvent.at(view, PointerKind.PRESS, *points[0], button))
    for p in points[1:]:
        g.move(PointerEvent.at(view, PointerKind.MOVE, *p, Button.NONE, frozenset({button})))
    g.release(PointerEvent.at(view, PointerKind.RELEASE, *points[-1], button, frozenset()))


def test_a_drag_records_the_current_lesion_with_its_image_and_a_click_picks_a_line(ctx, view):
    line = LineGesture(ctx)
    gesture(line, view, [(10, 10), (10, 30)])
    assert "no current lesion" in ctx.messages[-1]
    lid = ctx.selection.new_lesion()
    measured: list[View] = []
    ctx.measured = measured.append
    gesture(line, view, [(10, 10), (10, 20), (10, 30)])
    m = ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    assert isinstance(m, Measurement) and m.diameter_mm == pytest.approx(20 * 0.8)
    assert m.method is MeasurementMethod.MANUAL and m.sop_instance_uid and m.instance_number is not None
    assert measured == [view]  # the workstation is told, to move on to the next series
    ctx.selection.pick(None)
    gesture(line, view, [(10, 20)])  # a click on the line picks it
    assert ctx.selection.picked == Picked(lesion_id=lid, role=Role.CT_PORTAL)
    gesture(line, view, [(10, 30)])  # a click on an end picks it too, and says so (it was silent)
    assert ctx.messages[-1] == f"{lid} on CT portal picked (Delete removes it, drag an end to edit)"
    gesture(line, view, [(10, 30), (10, 40)])  # an end handle of any line moves
    m2 = ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    assert m2.p2 == pytest.approx((10, 40)) and m2.p1 == m.p1


def test_a_click_asks_the_suggester_and_records_how_the_line_was_made(ctx, view):
    lid = ctx.selection.new_lesion()
    ctx.suggest = lambda v, pos: Suggestion(v.slice_index, (pos[0], pos[1] - 5), (pos[0], pos[1] + 5), {"algo": "x"})
    line = LineGesture(ctx)
    gesture(line, view, [(30, 40)])
    m = ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    assert m.method is MeasurementMethod.SUGGESTED and '"algo"' in m.method_params
    gesture(line, view, [(30, 45), (30, 47)])  # editing it by hand says so
    m = ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    assert m.method is MeasurementMethod.SUGGESTED_EDITED
    ctx.suggest = lambda v, pos: Suggestion(0, (0, 0), (0, 0), {}, refusal="no contrast")
    gesture(line, view, [(32, 41)])
    assert "no suggestion, draw it by hand: no contrast" in ctx.messages[-1]


def test_a_click_far_from_the_current_lesions_line_is_not_taken_for_it(ctx, view):
    """The current lesion has its line on this series: a click beyond that line's length (and
    10 mm) from its middle is another lesion clicked without N, refused before asking the
    suggester (a reader's check replaced a 13.4 mm line with a 24.4 mm one on a vessel); a click
    near it suggests again and says the line it replaces; a drag still redraws anywhere."""
    lid = ctx.selection.new_lesion()
    asked: list[tuple[float, float]] = []

    def suggest(v, pos):  # type: ignore[no-untyped-def]
        asked.append(pos)
        return Suggestion(v.slice_index, (pos[0], pos[1] - 6), (pos[0], pos[1] + 6), {"algo": "x"})

    ctx.suggest = suggest
    line = LineGesture(ctx)
    gesture(line, view, [(30, 40)])  # 12 px = 9.6 mm
    first = ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    gesture(line, view, [(30, 55)])  # 15 px = 12 mm from its middle: beyond 10 mm
    assert len(asked) == 1 and ctx.messages[-1] == (
        f"no suggestion: this click is 12 mm from {lid}'s line on CT portal (9.6 mm): another lesion? N for a new "
        f"lesion, or drag to redraw {lid} here")
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL) == first
    gesture(line, view, [(36, 40)])  # near it, on the lesion: suggested again, the line it replaces said
    assert len(asked) == 2 and ctx.messages[-1].endswith(
        "9.6 mm suggested (replaces 9.6 mm); Enter keeps it, drag an end to edit"), ctx.messages[-1]
    gesture(line, view, [(50, 10), (50, 30)])  # a drag redraws it anywhere
    assert ctx.messages[-1].startswith(f"{lid} on CT portal: 16.0 mm (replaces 9.6 mm)"), ctx.messages[-1]


def test_a_suggestion_is_shown_where_it_was_put_and_the_reading_does_not_move_on(ctx, view):
    """A drawn line moves the reading on to the next series; a suggested one stays in view (the
    reader has not seen it yet: a reader's check clicked a kidney, and the reading moved on while the
    53.9 mm line lay five slices away), and the message says Enter keeps it and goes on."""
    measured: list[View] = []
    ctx.measured = measured.append
    ctx.selection.new_lesion()
    ctx.suggest = lambda v, pos: Suggestion(v.slice_index, (pos[0], pos[1] - 6), (pos[0], pos[1] + 6), {"algo": "x"})
    line = LineGesture(ctx)
    gesture(line, view, [(30, 40)])
    assert measured == [] and "; Enter keeps it" in ctx.messages[-1]
    ctx.selection.new_lesion()
    gesture(line, view, [(60, 10), (60, 30)])
    assert measured == [view]


def test_a_suggestion_off_the_current_lesions_line_is_another_lesion_and_refused(ctx, view):
    """The current lesion has a long line on this series; a click within that length of its middle
    passes the click's check, but what is suggested lies further from the line than half the longer
    of the two: another lesion (a reader's check replaced a 43.5 mm line with a 14.7 mm lesion four
    slices away). Refused, the line kept; a suggestion over the line itself is no other lesion: it would replace the
    line, but this one was drawn by hand, and a click keeps a line drawn or edited by hand (session 37's check: a click
    to pick an edited line threw the edit away), saying so."""
    lid = ctx.selection.new_lesion()
    line = LineGesture(ctx)
    gesture(line, view, [(20, 10), (20, 60)])  # 50 px = 40 mm
    first = ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    ctx.suggest = lambda v, pos: Suggestion(v.slice_index, (pos[0], pos[1] - 6), (pos[0], pos[1] + 6), {"algo": "x"})
    gesture(line, view, [(50, 50)])  # 30 px rows, 15 px cols from the middle: 26.8 mm, within 40
    assert ctx.messages[-1] == (f"no suggestion: what is found here (9.6 mm) lies 27 mm from {lid}'s line on CT portal "
                                f"(40.0 mm): another lesion? N for a new lesion, or drag to redraw {lid} here"), \
        ctx.messages[-1]
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL) == first
    ctx.suggest = lambda v, pos: Suggestion(v.slice_index, (20, 12), (20, 58), {"algo": "x"})
    gesture(line, view, [(24, 30)])
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL) == first
    assert ctx.messages[-1] == (f"{lid} on CT portal: its line was drawn by hand (40.0 mm): a click keeps it (Delete, "
                                "then a click, for a suggestion; drag an end to edit)"), ctx.messages[-1]
    assert ctx.selection.picked == Picked(lesion_id=lid, role=Role.CT_PORTAL)


def test_a_new_lesion_measured_on_another_lesions_line_says_so_at_once(ctx, view):
    """N pressed, then the lesion already measured clicked again: the line is recorded (the reader
    may mean it) and the message says the other lesion's line is there too while Ctrl+Z undoes it,
    and the view stays (no move on to the next series);
    a line beside it says nothing of the kind."""
    ctx.suggest = lambda v, pos: Suggestion(v.slice_index, (pos[0], pos[1] - 6), (pos[0], pos[1] + 6), {"algo": "x"})
    line = LineGesture(ctx)
    first = ctx.selection.new_lesion()
    gesture(line, view, [(30, 40)])  # 12 px = 9.6 mm
    assert "same lesion twice" not in ctx.messages[-1]
    second = ctx.selection.new_lesion()
    gesture(line, view, [(35, 41)])  # inside the lesion, off its line (a click on a line picks it)
    assert ctx.messages[-1].startswith(
        f"{second} on CT portal: 9.6 mm suggested; {first}'s line (9.6 mm) is here too: the same lesion twice? "
        "(Ctrl+Z undoes)"), ctx.messages[-1]
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", second)].observation(Role.CT_PORTAL) is not None
    third = ctx.selection.new_lesion()
    gesture(line, view, [(30, 60)])  # 20 px = 16 mm away: another lesion
    assert ctx.messages[-1].startswith(f"{third} on CT portal: 9.6 mm") and "same lesion" not in ctx.messages[-1]


def test_a_line_drawn_exactly_on_anothers_is_the_one_under_the_pointer(ctx, view):
    """Two lesions' lines on top of each other (a lesion counted twice): what is under the pointer
    (Delete, a pick) is the current lesion's, the one just drawn -- a reader's check pressed Delete
    on the duplicate and lost the first lesion's line."""
    ctx.suggest = lambda v, pos: Suggestion(v.slice_index, (30, 30), (30, 50), {"algo": "x"})
    line = LineGesture(ctx)
    first = ctx.selection.new_lesion()
    gesture(line, view, [(30, 30), (30, 50)])
    second = ctx.selection.new_lesion()
    gesture(line, view, [(34, 40)])  # a click inside the lesion: the same line suggested again
    assert "the same lesion twice?" in ctx.messages[-1], ctx.messages[-1]
    picked = hit(ctx, PointerEvent.at(view, PointerKind.MOVE, 30.0, 40.0), prefer="line")
    assert picked is not None and picked.lesion_id == second, picked
    ctx.selection.set_lesion(first)
    assert hit(ctx, PointerEvent.at(view, PointerKind.MOVE, 30.0, 40.0), prefer="line").lesion_id == first


def test_a_comparison_cell_refuses_every_gesture(ctx, view):
    ctx.cell_refusal = lambda v: "read-only comparison"
    ctx.selection.new_lesion()
    for g in (LineGesture(ctx), CountGesture(ctx), BoundaryGesture(ctx)):
        before = ctx.selection.reading.project
        gesture(g, view, [(10, 10), (10, 30)])
        assert ctx.messages[-1] == "read-only comparison" and ctx.selection.reading.project is before


def test_counting_takes_the_lobe_from_the_boundary_and_a_click_on_a_mark_picks_it(ctx, view):
    count = CountGesture(ctx)
    ctx.lobe_at = lambda v, pos: (Lobe.LEFT if pos[1] > 40 else Lobe.RIGHT, "from the boundary")
    gesture(count, view, [(20, 10)])
    gesture(count, view, [(20, 60)])
    counts = ctx.selection.reading.project.counts("P1", "E1", "R1")
    assert counts[(Role.CT_PORTAL, Lobe.RIGHT)] == 1 and counts[(Role.CT_PORTAL, Lobe.LEFT)] == 1
    assert ctx.selection.picked is not None and ctx.selection.picked.fresh  # the last click: Delete removes it
    assert hit(ctx, PointerEvent.at(view, PointerKind.MOVE, 20.3, 60.2)).mark_id == ctx.selection.picked.mark_id
    gesture(count, view, [(20, 60)])  # on a mark: picked on purpose, not counted again
    assert not ctx.selection.picked.fresh and len(ctx.selection.reading.project.count_marks) == 2
    # and said (it was silent: the last "counted …" read as a second count)
    assert ctx.messages[-1].startswith("count mark on CT portal, left lobe, picked: not counted again"), ctx.messages[-1]


def test_boundary_lines_make_a_lobe_for_every_point_between_them(ctx, view):
    g = BoundaryGesture(ctx)
    gesture(g, view, [(5, 40), (60, 40)])  # a front-to-back line through the middle column
    frame = view.model.volume.stack.frame_of_reference_uid
    b = ctx.selection.reading.project.lobe_boundaries[("P1", "E1", "R1", frame)]
    geo = view.geometry
    left_pt = geo.index_to_patient(view.slice_index, 30, 70)  # image right = patient left (LPS +x)
    right_pt = geo.index_to_patient(view.slice_index, 30, 10)
    assert b.lobe_at(tuple(left_pt)) is Lobe.LEFT and b.lobe_at(tuple(right_pt)) is Lobe.RIGHT


def test_boundary_interpolates_between_slices_and_refuses_transverse_lines():
    b = LobeBoundary("P1", "E1", "R1", "1.2", ((0, -50, 0, 50, 0.0), (20, -50, 20, 50, 100.0)))
    assert b.line_at(50.0)[:4] == pytest.approx((10, -50, 10, 50))
    assert b.lobe_at((5, 0, 50)) is Lobe.RIGHT and b.lobe_at((15, 0, 50)) is Lobe.LEFT
    assert b.lobe_at((-1, 0, -300)) is Lobe.RIGHT  # below the lowest line: the lowest line
    assert side_of((0, 50, 0, -50, 0), (-5, 0, 0)) is Lobe.RIGHT  # drawn back to front: same answer
    with pytest.raises(ValidationError, match="left-right"):
        LobeBoundary("P1", "E1", "R1", "1.2", ((-50, 0, 50, 5, 0.0),))
    with pytest.raises(ValidationError, match="one line per slice"):
        LobeBoundary("P1", "E1", "R1", "1.2", ((0, -50, 0, 50, 0.0), (1, -50, 1, 50, 0.2)))
    assert len(b.with_line((3, -40, 3, 40, 0.1)).lines) == 2  # replaces the line on that slice


def test_a_lesions_first_line_says_its_lobe_when_no_boundary_gives_it(ctx, view):
    """Without a right/left boundary the lesion keeps the lobe it was started in (the current lobe,
    right unless the reader pressed Shift+L): its first line says so; a boundary's lobe is said
    as before, and a second line says nothing of the lobe."""
    line = LineGesture(ctx)
    lid = ctx.selection.new_lesion()
    gesture(line, view, [(10, 10), (10, 30)])
    assert "mm; in the right lobe, no R/L boundary (click it, Shift+L to move)" in ctx.messages[-1]
    gesture(line, view, [(20, 10), (20, 30)])
    assert "lobe" not in ctx.messages[-1]
    ctx.lobe_at = lambda view, pos: (Lobe.LEFT, "from the right/left boundary")
    other = ctx.selection.new_lesion()
    gesture(line, view, [(30, 10), (30, 30)])
    assert ctx.messages[-1].endswith(f"{other} set to the left lobe from the right/left boundary"), ctx.messages[-1]
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", other)].lobe is Lobe.LEFT


def test_a_drag_released_off_the_image_records_nothing(ctx, view):
    """A reader's check started a line, moved over the study browser and released there: a 156 mm
    line clamped to the image's edge was recorded. Off the image a release records (or moves) nothing."""
    line = LineGesture(ctx)
    lid = ctx.selection.new_lesion()
    gesture(line, view, [(10, 10), (10, 60), (10, 200)])  # the image is 80 columns wide
    assert ctx.messages[-1] == "the drag ended off the image: nothing recorded (release it on the image)"
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL) is None
    gesture(line, view, [(10, 10), (10, 30)])
    m = ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    gesture(line, view, [(10, 30), (10, 50), (-40, 50)])  # an end dragged off the image: it stays
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL) == m


def test_a_drag_released_off_the_cell_records_nothing_when_zoomed_in(ctx):
    """Zoomed in, the image goes on past the cell: a release over another panel still lands on the
    image (a review found it). Off the cell, nothing is recorded."""
    stack = make_stack("ct", Role.CT_PORTAL, rows=256, columns=256, pixel_spacing_mm=(0.8, 0.8))
    model = ViewportModel(role=Role.CT_PORTAL)
    model.set_volume(make_volume(stack), Role.CT_PORTAL)
    zoomed = View(model, ViewTransform(400, 400, 256, 256, 0.8, 0.8, zoom=3.0))
    line = LineGesture(ctx)
    lid = ctx.selection.new_lesion()
    start = (128.0, 128.0)
    off = PointerEvent.at(zoomed, PointerKind.RELEASE, 128.0, 40.0, Button.LEFT, frozenset())
    assert off.inside and not 0 <= off.widget_pos[0] < 400  # on the image, off the cell
    gesture(line, zoomed, [start, (128.0, 60.0), (128.0, 40.0)])
    assert ctx.messages[-1].startswith("the drag ended off the image"), ctx.messages[-1]
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL) is None


def test_a_suggestion_on_another_measured_lesion_names_it_and_leaves_the_view(ctx, view):
    """A review: clicking L5, measured already, with L1 current was refused as "another lesion? N for a
    new lesion" (N would measure it twice), and the view had moved to the suggestion's slice anyway. The
    refusal names the lesion whose line it is, and the view stays on the slice clicked."""
    line = LineGesture(ctx)
    second = ctx.selection.new_lesion()
    gesture(line, view, [(50, 40), (50, 52)])  # 12 px = 9.6 mm
    first = ctx.selection.new_lesion()
    gesture(line, view, [(20, 10), (20, 60)])  # 40 mm
    ctx.suggest = lambda v, pos: Suggestion(v.slice_index + 1, (50, 40), (50, 52), {"algo": "x"})
    before = view.slice_index
    gesture(line, view, [(53, 46)])  # inside the other lesion, off its line, within 40 mm of the current line
    assert ctx.messages[-1] == (f"no suggestion: what is found here is {second}'s line (9.6 mm) on CT portal: "
                                "click it to pick its lesion"), ctx.messages[-1]
    assert view.slice_index == before
    assert ctx.selection.reading.project.lesions[("P1", "E1", "R1", first)].observation(Role.CT_PORTAL).diameter_mm \
        == pytest.approx(40.0)
    ctx.selection.set_lesion(second)  # its own lesion, its line drawn by hand: kept (session 37), the view stays
    gesture(line, view, [(53, 46)])
    assert ctx.messages[-1].startswith(f"{second} on CT portal: its line was drawn by hand (9.6 mm): a click keeps it")
    assert view.slice_index == before
    ctx.selection.reading.set_observation(PAIR, second, Role.CT_PORTAL, None)  # its line deleted: recorded, and the
    gesture(line, view, [(53, 46)])  # view goes to the line's slice
    assert view.slice_index == before + 1, ctx.messages[-1]


def test_a_click_far_from_the_current_line_inside_a_measured_lesion_names_that_lesion(ctx, view):
    """A radiologist's check: with L2 current, a click on L1's lesion (47 mm from L2's line) was told "N
    for a new lesion"; doing so measured L1 twice. The refusal names the lesion the click is inside."""
    line = LineGesture(ctx)
    first = ctx.selection.new_lesion()
    gesture(line, view, [(50, 40), (50, 60)])  # 16 mm
    ctx.selection.new_lesion()
    gesture(line, view, [(10, 10), (10, 20)])  # 8 mm, about 46 mm away
    ctx.suggest = lambda v, pos: Suggestion(v.slice_index, (50, 40), (50, 60), {"algo": "x"})
    gesture(line, view, [(53, 50)])
    assert ctx.messages[-1] == (f"no suggestion: this is {first}'s lesion, measured on CT portal (16.0 mm): click its "
                                "line to pick it (] / [ to go through the lesions)"), ctx.messages[-1]
    gesture(line, view, [(30, 70)])  # plain liver far from both: the message as before
    assert "N for a new lesion" in ctx.messages[-1]


def test_a_count_or_line_on_the_adc_map_says_to_read_b800(ctx):
    """A reader's check: the refusal on the ADC map did not say where lesions are read (b800, D)."""
    stack = make_stack("adc", Role.MR_ADC, rows=32, columns=32, pixel_spacing_mm=(2.0, 2.0))
    model = ViewportModel(role=Role.MR_ADC)
    model.set_volume(make_volume(stack), Role.MR_ADC)
    adc = View(model, ViewTransform(320, 320, 32, 32, 2.0, 2.0))
    for g in (CountGesture(ctx), LineGesture(ctx)):
        gesture(g, adc, [(16, 16)])
        assert ctx.messages[-1] == "this series is the ADC map: lesions are counted and measured on DWI b800"
    assert not ctx.selection.reading.project.count_marks


def test_a_count_click_on_a_measured_lesions_line_picks_its_mark_not_a_second_count(ctx, view):
    """A reader's check: with the count tool, a click on a measured lesion's line counted the lesion a second
    time (in the current lobe, not the lesion's). It picks the mark its measurement placed; a lesion measured
    here that places no mark (not in the liver) is refused."""
    lid = ctx.selection.new_lesion()
    gesture(LineGesture(ctx), view, [(30, 20), (30, 30), (30, 40)])
    project = ctx.selection.reading.project
    assert len(project.count_marks) == 1  # placed from the line, at its middle (30, 30)
    count = CountGesture(ctx)
    ctx.selection.set_lobe(Lobe.LEFT)
    gesture(count, view, [(30, 23)])  # on the line, 7 pixels (70 on screen) from its middle
    assert ctx.selection.reading.project.count_marks == project.count_marks
    assert ctx.messages[-1].startswith(f"count mark on CT portal, right lobe (placed from {lid}), picked"), ctx.messages
    # moved or given another lobe by the reader, it is still the lesion's (a review: it was untied, and the
    # line's click then gave a false "not in the liver")
    reading = ctx.selection.reading
    mark_id = next(iter(reading.project.count_marks))
    reading.move_count_mark(mark_id, 30.0, 33.0)
    # its lobe is its lesion's: not moved alone (a lobe key meant for the next clicks moved it, and counts.csv
    # disagreed with measurements.csv); the lesion's lobe moves both
    with pytest.raises(ValidationError, match=f"stands for {lid}"):
        reading.set_mark_lobe(mark_id, "left")
    reading.edit_lesion(ctx.selection.pair, lid, lobe="left")
    assert reading.project.count_marks[mark_id].lesion_id == lid and reading.project.count_marks[mark_id].lobe is Lobe.LEFT
    # a mark that disagrees with its lesion (as a store written before may hold it) goes back to the lesion's lobe
    from dataclasses import replace as _replace

    reading.apply("as an older store held it", reading.project.with_record(
        _replace(reading.project.count_marks[mark_id], lobe=Lobe.RIGHT)))
    reading.set_mark_lobe(mark_id, "left")
    assert reading.project.count_marks[mark_id].lobe is Lobe.LEFT
    gesture(count, view, [(30, 23)])
    assert len(reading.project.count_marks) == 1 and "picked: not counted again" in ctx.messages[-1]
    # deleted by the reader: a click on the line counts it again, as a click anywhere would
    reading.delete_count_mark(mark_id)
    gesture(count, view, [(30, 23)])
    assert len(reading.project.count_marks) == 1 and ctx.messages[-1].startswith("counted on CT portal")
    reading.undo()
    reading.undo()
    project = reading.project
    # the lesion out of the liver: its mark goes, and a click on its line is not a liver count either
    from annotation.followup import FollowupEditor
    FollowupEditor(ctx.selection.reading).set_lesion_followup(PAIR, lid, "non_target", status="present", organ="lymph_node", nodal=True)
    assert not ctx.selection.reading.project.count_marks
    gesture(count, view, [(30, 23)])
    assert not ctx.selection.reading.project.count_marks and ctx.messages[-1].startswith(f"not counted: that is {lid}'s line")
