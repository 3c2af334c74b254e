"""A radiologist's check under Xvfb (session 30): each defect it found, through the real main window with
real Qt mouse events, on a copy of the sample reading of LLSYN001 (reader "sample")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from annotation.records import Measurement
from annotation.vocab import Lobe
from app.main_window import MainWindow
from app.workstation import CellKind
from tests.app.conftest import READER, press
from viewer.records import READING_ROLES, Role

PAIR = ("LLSYN001", "E1")


def click(qtbot, vp, at) -> None:  # type: ignore[no-untyped-def]
    x, y = vp.transform().image_to_widget(*at)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def _line(w: MainWindow, lesion_id: str, role: Role) -> Measurement:
    m = w.session.reading.project.lesions[(*PAIR, READER, lesion_id)].observation(role)
    assert isinstance(m, Measurement)
    return m


def _show(w: MainWindow, role: Role, m: Measurement):  # type: ignore[no-untyped-def]
    cell = READING_ROLES.index(role)
    w.reading.activate(cell)
    w.reading.viewports[cell].set_index(m.slice_index)
    return w.grid.viewports[cell]


def test_a_lobe_key_after_a_count_click_on_a_measured_lesion_leaves_its_mark_in_the_lesion_s_lobe(
        window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Counting the right liver, the reader clicks L1 (measured, its mark placed from its line: "picked: not
    counted again"), then Shift+L to count the left liver: L1's mark went to the left lobe (right 0, left 2
    after one left click), while L1 stayed right, so counts.csv and measurements.csv disagreed."""
    w = window
    m = _line(w, "L1", Role.MR_T2FS)
    vp = _show(w, Role.MR_T2FS, m)
    press(w, qtbot, "tool_count")
    marks = dict(w.session.reading.project.count_marks)
    click(qtbot, vp, m.middle)
    assert w.session.reading.project.count_marks == marks and "picked: not counted again" in w.status.text()
    press(w, qtbot, "lobe_left")
    mark = next(k for k in w.session.reading.project.count_marks.values()
                if k.lesion_id == "L1" and k.role is Role.MR_T2FS and (k.patient_id, k.exam_pair_id) == PAIR)
    assert mark.lobe is Lobe.RIGHT and w.state.selection.lobe is Lobe.LEFT, w.status.text()
    assert w.status.text().startswith("new marks and lesions go to the left lobe; L1's count mark stays with L1 (right "
                                      "lobe"), w.status.text()
    # an ordinary counted mark clicked again and moved by the lobe key says so, and how to take it back
    import numpy as np
    along = np.subtract(m.p2, m.p1) / np.hypot(*np.subtract(m.p2, m.p1))
    beside = (m.middle[0] + 12.0 * along[1], m.middle[1] - 12.0 * along[0])  # 12 pixels off L1's line, in L1
    click(qtbot, vp, beside)
    assert w.status.text().startswith("counted on T2 FS"), w.status.text()
    press(w, qtbot, "lobe_right")  # the mark just placed is not moved: the key is for the next clicks
    placed = [k for k in w.session.reading.project.count_marks.values() if k.mark_id not in marks]
    assert len(placed) == 1 and placed[0].lobe is Lobe.LEFT, w.status.text()
    press(w, qtbot, "lobe_left")
    click(qtbot, vp, (placed[0].row, placed[0].col))  # picked again
    press(w, qtbot, "lobe_right")
    assert w.session.reading.project.count_marks[placed[0].mark_id].lobe is Lobe.RIGHT
    assert "moved to the right lobe" in w.status.text() and "Ctrl+Z puts it back" in w.status.text(), w.status.text()


def test_v_on_a_measured_series_says_the_line_it_replaces(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """V on CT arterial where L1 is measured took its 44.9 mm line and said only "not visible" (a redrawn line
    says "(replaces 44.9 mm)"); the grid's button said nothing of it either."""
    w = window
    m = _line(w, "L1", Role.CT_ARTERIAL)
    _show(w, Role.CT_ARTERIAL, m)
    w.state.selection.set_lesion("L1")
    press(w, qtbot, "not_visible")
    assert w.status.text().startswith(f"L1 on CT arterial: not visible (replaces {m.diameter_mm:.1f} mm: Ctrl+Z puts it "
                                      "back)"), w.status.text()
    assert w.actions_by_id["undo"].text() == f"Undo L1 on CT arterial: not visible (replaces its {m.diameter_mm:.1f} mm line)"
    press(w, qtbot, "undo")
    assert _line(w, "L1", Role.CT_ARTERIAL) == m


def test_delete_with_the_pointer_on_another_series_does_not_delete_the_line_picked_there(
        window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """L1 drawn on DWI (its cell moves on), the reader makes CT portal active and presses Del with the pointer on
    its image, no line under it: "deleted L1 on DWI b800 (43.9 mm)", a line two cells away. Del with the pointer
    on an image falls back on the picked item only on that image's series and slice."""
    w = window
    m = _line(w, "L2", Role.MR_DWI)
    vp = _show(w, Role.MR_DWI, m)
    w.state.selection.set_lesion("L2")
    press(w, qtbot, "tool_line")
    click(qtbot, vp, m.p1)  # an end clicked: L2's line picked
    assert w.state.selection.picked is not None and w.state.selection.picked.role is Role.MR_DWI, w.status.text()
    portal = READING_ROLES.index(Role.CT_PORTAL)
    w.reading.activate(portal)
    other = w.grid.viewports[portal]
    qtbot.mouseMove(other, QPoint(other.width() // 2, other.height() // 2))
    press(w, qtbot, "delete_selected")
    assert _line(w, "L2", Role.MR_DWI) == m
    assert "nothing to delete under the pointer on CT portal (L2 on DWI b800 is picked" in w.status.text(), w.status.text()
    # on its own cell but scrolled away from its slice: not deleted either
    w.reading.activate(READING_ROLES.index(Role.MR_DWI))
    w.reading.viewports[READING_ROLES.index(Role.MR_DWI)].set_index(m.slice_index + 2)
    qtbot.mouseMove(vp, QPoint(vp.width() // 2, vp.height() // 2))
    press(w, qtbot, "delete_selected")
    assert _line(w, "L2", Role.MR_DWI) == m and "on another slice" in w.status.text(), w.status.text()
    # on the DWI cell showing the ADC map (D), which records nothing: not deleted either (a review's case)
    w.reading.activate(READING_ROLES.index(Role.MR_DWI))
    w.reading.viewports[READING_ROLES.index(Role.MR_DWI)].set_index(m.slice_index)
    press(w, qtbot, "swap_adc")
    dwi = w.reading.viewports[READING_ROLES.index(Role.MR_DWI)]
    qtbot.waitUntil(lambda: dwi.volume is not None and dwi.volume.loaded.all(), timeout=30000)
    qtbot.mouseMove(vp, QPoint(vp.width() // 2 + 7, vp.height() // 2 + 5))  # a move: the pointer is on the ADC
    assert dwi.role is Role.MR_ADC and w.reading_view.pointer_now() is not None
    press(w, qtbot, "delete_selected")
    assert _line(w, "L2", Role.MR_DWI) == m and "nothing to delete under the pointer (L2 on DWI b800 is picked" in \
        w.status.text(), w.status.text()
    press(w, qtbot, "swap_adc")
    # on its slice, the pointer off it: the picked line goes, as before
    w.reading.viewports[READING_ROLES.index(Role.MR_DWI)].set_index(m.slice_index)
    qtbot.mouseMove(vp, QPoint(5, 5))
    press(w, qtbot, "delete_selected")
    assert w.session.reading.project.lesions[(*PAIR, READER, "L2")].observation(Role.MR_DWI) is None, w.status.text()


def test_after_n_a_drag_begun_at_another_lesion_s_end_draws_the_new_lesion(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """After N, a drag begun a pixel from L1's end edited L1 (43.9 -> 2.7 mm) and left the new lesion empty."""
    from tests.app.conftest import drag

    w = window
    m = _line(w, "L1", Role.MR_T2FS)
    vp = _show(w, Role.MR_T2FS, m)
    press(w, qtbot, "new_lesion")
    new = w.state.selection.lesion_id
    start = (m.p2[0] + 1.0, m.p2[1])
    drag(qtbot, vp, start, (start[0] + 12.0, start[1] + 5.0))
    assert _line(w, "L1", Role.MR_T2FS) == m, w.status.text()
    drawn = _line(w, new, Role.MR_T2FS)
    assert abs(drawn.p1[0] - start[0]) < 0.6 and abs(drawn.p1[1] - start[1]) < 0.6, w.status.text()
    assert "(begun at L1's end: L1 unchanged; to edit it, click its line first)" in w.status.text(), w.status.text()
    # to edit L1 the reader clicks its line (L1 becomes current), then drags its end
    _show(w, Role.MR_T2FS, m)
    click(qtbot, vp, m.middle)
    assert w.state.selection.lesion_id == "L1", w.status.text()
    drag(qtbot, vp, m.p1, (m.p1[0], m.p1[1] - 3.0))
    assert _line(w, "L1", Role.MR_T2FS).p1 != m.p1 and _line(w, new, Role.MR_T2FS) == drawn, w.status.text()
    m = _line(w, "L1", Role.MR_T2FS)
    w.state.selection.set_lesion(new)
    # with its line drawn, an end of L1's is grabbed again: the edit of a line is a drag of its end
    _show(w, Role.MR_T2FS, m)
    drag(qtbot, vp, m.p2, (m.p2[0], m.p2[1] + 3.0))
    assert _line(w, "L1", Role.MR_T2FS).p2 != m.p2 and _line(w, new, Role.MR_T2FS) == drawn, w.status.text()


def test_a_restart_after_the_follow_up_comparison_makes_the_series_read_active_again(  # type: ignore[no-untyped-def]
        qtbot, env, store_copy, sample_dicom, sample_index) -> None:
    """Closed in the follow-up comparison (P: 1 x 2, the exam's CT portal in cell 0), reopened in the 2 x 3 grid
    with cell 0 active: the empty CT arterial cell, where N said "the active cell is empty"."""
    from PySide6.QtWidgets import QApplication

    from app.browser import PAYLOAD
    from app.cmd_view import restore_position
    from app.last_session import LastSession
    from tests.app.conftest import make_window

    last = LastSession(env / "last.json")
    w = make_window(qtbot, env, last=last)
    assert w.store_flow.open_store(store_copy)
    w.show_index(str(sample_dicom), sample_index)
    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                and i.data(0, PAYLOAD).is_single and i.data(0, PAYLOAD).study_date.isoformat() == "2023-10-17")
    w.browser.itemActivated.emit(item, 0)
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    qtbot.waitUntil(lambda: w.reading.viewports[portal].volume is not None, timeout=30000)
    w.reading.activate(portal)
    press(w, qtbot, "compare_prior")
    qtbot.waitUntil(lambda: w.reading.hanging.cells[0].stack is not None, timeout=30000)
    active = w.reading.layout.active
    read = w.reading.hanging.cells[active].stack
    assert active == 0 and read is not None and read.study_date == "20231017", "P hangs the exam's CT portal in cell 0"
    w._save_last()
    saved = last.load()
    w2 = make_window(qtbot, env, last=last)
    w2.show_index(str(sample_dicom), sample_index)
    assert restore_position(w2, saved, QApplication.instance())
    cell = w2.reading.layout.active
    assert cell == portal and w2.reading.hanging.cells[cell].stack.key == read.key  # not cell 0, empty in the grid


def test_a_boundary_drawn_on_ct_is_drawn_on_the_mri_cells_where_it_gives_the_lobes(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """B on CT portal, the Cantlie line on three slices, then counting on T2 FS: the marks took their lobe from the
    CT line through the alignment, but the line was drawn on the CT cells only."""
    from tests.app.conftest import drag

    w = window
    qtbot.waitUntil(lambda: w.state.alignment is not None, timeout=60000)
    portal = READING_ROLES.index(Role.CT_PORTAL)
    ct = w.reading.viewports[portal]
    w.reading.activate(portal)
    press(w, qtbot, "tool_boundary")
    rows, cols = ct.volume.array.shape[1:]
    middle = ct.volume.array.shape[0] // 2
    for k in (middle - 3, middle, middle + 3):
        ct.set_index(k)
        drag(qtbot, w.grid.viewports[portal], (0.25 * rows, 0.47 * cols), (0.7 * rows, 0.43 * cols))
    t2 = READING_ROLES.index(Role.MR_T2FS)
    mr = w.reading.viewports[t2]
    mr.set_index(mr.volume.array.shape[0] // 2)
    view = w.grid.viewports[t2].view_context()
    found = w.reading_view.boundary_layers[t2].line_on(view)
    assert found is not None, "the CT boundary is not drawn on T2 FS"
    a, b, drawn = found
    assert not drawn  # dashed: drawn on the other exam
    # the line drawn is where the lobe of a count mark changes: two pixels either side of its middle
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    length = ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5
    normal = (-(b[1] - a[1]) / length, (b[0] - a[0]) / length)
    sides = {w.state.lobe_at(view, (mid[0] + s * 2.0 * normal[0], mid[1] + s * 2.0 * normal[1]))[0] for s in (-1, 1)}
    assert sides == {Lobe.RIGHT, Lobe.LEFT}, sides
    # a comparison cell (another exam aligned to this one) shows none: it would read as that exam's own line
    layer = w.reading_view.boundary_layers[t2]
    assert layer.reading() and w.state.cell_kind(t2) is CellKind.READING
    w.state.cell_kind = lambda cell: CellKind.COMPARISON  # type: ignore[method-assign]
    assert layer.path_on(view) is None


def test_undo_of_an_end_moved_names_the_edit(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Undoing an end-point edit said "undone: L1 on DWI b800: measured", the words of a line drawn."""
    from tests.app.conftest import drag

    w = window
    m = _line(w, "L1", Role.MR_T2FS)
    vp = _show(w, Role.MR_T2FS, m)
    press(w, qtbot, "tool_line")
    drag(qtbot, vp, m.p2, (m.p2[0], m.p2[1] + 4.0))
    moved = _line(w, "L1", Role.MR_T2FS)
    assert moved.p2 != m.p2
    press(w, qtbot, "undo")
    assert w.status.text() == (f"undone: L1 on T2 FS: end moved, {m.diameter_mm:.1f} -> {moved.diameter_mm:.1f} mm"), \
        w.status.text()
    assert _line(w, "L1", Role.MR_T2FS) == m


def test_a_first_suggestion_s_message_keeps_its_lobe_reminder_whole(qtbot, env, store_copy, sample_dicom,  # type: ignore[no-untyped-def]
                                                                    sample_index) -> None:
    """A new lesion's first line, suggested, no R/L boundary: the message ended "…; L1 in the left lobe, n…" at
    1,500 px, the reminder meant to catch a forgotten Shift+L cut off (the tooltip alone held it)."""
    import json

    from tests.app.conftest import make_window, open_pair, shown_whole
    from tests.app.test_suggest_in_window import one_click

    w = make_window(qtbot, env)
    assert w.store_flow.open_store(store_copy)
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")
    one_click(w).trigger()
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN002.json").read_text())
    les = next(x for x in truth["lesions"] if x["id"] == "L06")  # not measured in the sample reading
    entry = les["series"]["mr_t2fs"]
    cell = READING_ROLES.index(Role.MR_T2FS)
    model = w.reading.viewports[cell]
    w.reading.activate(cell)
    press(w, qtbot, "new_lesion")
    k = entry["slice_index"] + 1
    model.set_index(k)
    row, col = model.geometry.pixel_on_slice(les["centre_mm"]["mr"], k)
    click(qtbot, w.grid.viewports[cell], (row, col))
    text = w.status.text().split(" · ")[0]  # the reader's own message (background news may join it: on hover)
    assert "suggested" in text and "lobe, no R/L boundary (click it, Shift+" in text, text
    assert shown_whole(w, text), text


def test_an_edit_of_the_clinical_record_is_logged_with_its_reader(window: MainWindow, qtbot, store_copy) -> None:  # type: ignore[no-untyped-def]
    """An edit of shared rows (the patient's clinical record) was logged with no reader: an audit could not tell
    who changed a grade."""
    from annotation.store import ReadingStore

    w = window
    form = w.docks.clinical_form
    assert form is not None
    box = form.combos["sex"]
    box.setCurrentIndex(1 if box.currentIndex() != 1 else 2)
    with ReadingStore.open(store_copy, read_only=True) as st:
        last = st.edit_log()[-1]
    assert last.patient_id == "" and last.reader == READER, last


def test_the_click_that_makes_a_cell_active_suggests_nothing(qtbot, env, store_copy, sample_dicom,  # type: ignore[no-untyped-def]
                                                             sample_index) -> None:
    """With one-click on, a click on another cell to look at it recorded a suggested line there for the current
    lesion (a reader's check). The click that makes a cell active only chooses it; the next one suggests."""
    import json

    from tests.app.conftest import make_window, open_pair
    from tests.app.test_suggest_in_window import one_click

    w = make_window(qtbot, env)
    assert w.store_flow.open_store(store_copy)
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")
    one_click(w).trigger()
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN002.json").read_text())
    les = next(x for x in truth["lesions"] if x["id"] == "L06")
    cell = READING_ROLES.index(Role.MR_T2FS)
    model = w.reading.viewports[cell]
    w.reading.activate(READING_ROLES.index(Role.CT_PORTAL))
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    k = les["series"]["mr_t2fs"]["slice_index"] + 1
    model.set_index(k)
    at = model.geometry.pixel_on_slice(les["centre_mm"]["mr"], k)
    click(qtbot, w.grid.viewports[cell], at)
    assert w.reading.layout.active == cell
    assert w.session.reading.project.lesions[("LLSYN002", "E1", READER, lid)].observation(Role.MR_T2FS) is None
    # session 46: said as what it is, not as a refusal ("no suggestion, draw it by hand: that click made ...")
    assert w.status.text() == "T2 FS is the active cell now: click inside the lesion again for its suggestion", \
        w.status.text()
    click(qtbot, w.grid.viewports[cell], at)
    m = w.session.reading.project.lesions[("LLSYN002", "E1", READER, lid)].observation(Role.MR_T2FS)
    assert isinstance(m, Measurement) and "suggested" in w.status.text(), w.status.text()


def test_n_before_shift_p_leaves_the_carried_lesions_their_ids(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """On a follow-up exam, N (a new lesion, L1) before Shift+P: every carried lesion was renumbered (baseline L1 here
    L2 ...) and the notes, which name lesions by their baseline ids, named the wrong ones. The carried keep their
    ids; the new lesion moves on, and the message says so."""
    from tests.app.test_followup_in_window import _open_exam

    w = window
    _open_exam(w, qtbot, "2023-10-17")
    # a CT follow-up's MRI series are not "missing" (a reader's check read it as a fault)
    assert w.status.text().startswith("reading ") and "missing" not in w.status.text() \
        and "T2 FS" not in w.status.text(), w.status.text()
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    w.reading.activate(portal)
    press(w, qtbot, "new_lesion")
    key = w.state.selection.pair
    new = w.state.selection.lesion_id
    assert new == "L1"
    uid = w.session.reading.project.lesions[(*key, READER, new)].tracking_uid
    press(w, qtbot, "compare_prior")
    qtbot.waitUntil(lambda: w.reading.viewports[1].volume is not None and w.reading.viewports[1].volume.loaded.all(),
                    timeout=60000)
    press(w, qtbot, "carry_lesions")
    project = w.session.reading.project
    baseline = {les.tracking_uid: les.lesion_id for les in project.lesions_of("LLSYN001", "E1", READER)}
    here = {les.tracking_uid: les.lesion_id for les in project.lesions_of(*key, READER)}
    assert all(here.get(t) == lid for t, lid in baseline.items()), (baseline, here, w.status.text())  # ids kept
    assert here[uid] == f"L{len(baseline) + 1}" and f"L1 (new here) is now L{len(baseline) + 1}" in w.status.text()
    press(w, qtbot, "undo")  # the carry, then the renumbering
    press(w, qtbot, "undo")
    assert [(les.lesion_id, les.tracking_uid) for les in w.session.reading.project.lesions_of(*key, READER)] == \
        [("L1", uid)]
