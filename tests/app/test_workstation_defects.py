"""Issue 8's defects, each reproduced through the real main window with real Qt mouse and key events.

Each test failed on the workstation before the change (the issue's numbered items say what was
seen); the window reads a copy of the sample reading on sample_dicom/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from annotation.records import Measurement
from annotation.store import ReadingStore
from annotation.vocab import CountStatus, Lobe
from app.browser import KIND, PAYLOAD
from app.last_session import LastSession
from app.main_window import MainWindow
from app.workstation import CellKind, ToolMode
from tests.app.conftest import READER, drag, make_window, open_pair, press
from viewer.records import READING_ROLES, Role


def click(qtbot, widget, image_pos) -> None:  # type: ignore[no-untyped-def]
    x, y = widget.transform().image_to_widget(*image_pos)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def test_1_a_stack_of_another_patient_is_a_read_only_comparison(window: MainWindow, qtbot, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                store_copy: Path) -> None:
    from viewer.index import index_path

    w = window
    other = index_path(sample_dicom / "LLSYN003")
    w.show_index(str(sample_dicom / "LLSYN003"), other)  # another folder, added to the browser
    foreign = next(s for s in other.stacks if s.patient_id == "LLSYN003" and w.reading.hanging.role_of(s) is Role.CT_ARTERIAL)
    before = w.session.reading.project
    w.grid.stack_dropped.emit(0, foreign.key)  # what a drop from the browser into cell 0 emits
    qtbot.waitUntil(lambda: w.reading.viewports[0].volume is not None and w.reading.viewports[0].key == foreign.key,
                    timeout=30000)
    assert w.state.cell_kind(0) is CellKind.COMPARISON
    title = w.state.cell_title(0)
    assert "LLSYN003" in title and "read-only" in title and w.grid.viewports[0].title(w.reading.viewports[0]) == title
    w.reading.activate(0)
    press(w, qtbot, "new_lesion")  # N on a comparison cell: refused, no empty lesion
    assert w.session.reading.project is before and "comparison" in w.status.text()
    w.state.selection.set_lesion("L1")
    press(w, qtbot, "tool_line")
    drag(qtbot, w.grid.viewports[0], (200, 150), (200, 190))
    assert "read-only comparison" in w.status.text() and w.session.reading.project is before
    press(w, qtbot, "tool_count")
    click(qtbot, w.grid.viewports[0], (120, 200))
    assert w.session.reading.project is before
    with ReadingStore.open(store_copy, read_only=True) as st:
        assert st.load() == before  # nothing reached the store under LLSYN001 with LLSYN003's images
    # a stack of the pair read dropped elsewhere keeps its own role in the title and stays writable
    own = next(s for s in w.state.pair.stacks if w.reading.hanging.role_of(s) is Role.CT_PORTAL)
    w.grid.stack_dropped.emit(0, own.key)
    qtbot.waitUntil(lambda: w.reading.viewports[0].key == own.key, timeout=30000)
    assert w.state.cell_kind(0) is CellKind.READING and w.state.cell_title(0) == "CT portal"


def test_2_delete_acts_on_the_mark_just_clicked_not_on_the_current_lesion(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    sel = w.state.selection
    sel.set_lesion("L1")
    m_before = w.session.reading.project.lesions[("LLSYN001", "E1", READER, "L1")].observation(Role.MR_T2FS)
    w.reading.activate(2)
    press(w, qtbot, "tool_count")
    vp = w.grid.viewports[2]
    n = len(w.session.reading.project.count_marks)
    click(qtbot, vp, (120, 200))  # count a lesion (in the body, away from any line), then Del without moving the mouse
    assert len(w.session.reading.project.count_marks) == n + 1
    press(w, qtbot, "delete_selected")
    assert len(w.session.reading.project.count_marks) == n
    assert "deleted count mark" in w.status.text() and "Ctrl+Z" in w.status.text()
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, "L1")].observation(Role.MR_T2FS) == m_before
    w.actions_by_id["undo"].trigger()
    assert len(w.session.reading.project.count_marks) == n + 1
    assert w.status.text().startswith("undone:")  # no stale message after undo
    # with nothing under the pointer and nothing picked, Delete refuses instead of guessing
    sel.pick(None)
    qtbot.mouseMove(w.docks.lesion_panel.table)
    vp.pointer = None
    press(w, qtbot, "delete_selected")
    assert "nothing to delete" in w.status.text() and len(w.session.reading.project.count_marks) == n + 1


def test_2b_deleting_a_lesion_from_the_grid_asks_once(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    panel = w.docks.lesion_panel
    asked: list[str] = []
    panel.confirm_delete = lambda lid, n: asked.append(lid) or False  # type: ignore[method-assign]
    t = panel.table  # the lesion picked by a click (the buttons act on the lesion being read)
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualItemRect(t.item(0, 0)).center())
    delete = next(b for b in panel.findChildren(QPushButton) if b.text() == "Delete lesion")
    delete.click()
    assert asked == ["L1"] and ("LLSYN001", "E1", READER, "L1") in w.session.reading.project.lesions
    panel.confirm_delete = lambda lid, n: asked.append(lid) or True  # type: ignore[method-assign]
    delete.click()
    assert asked == ["L1", "L1"] and ("LLSYN001", "E1", READER, "L1") not in w.session.reading.project.lesions


def test_3_unread_series_are_not_zero_in_the_counts_panel_and_checks(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    r = w.session.reading
    w.state.prepare()
    r.set_count_status(("LLSYN001", "E1"), Role.MR_T2FS, CountStatus.NOT_READ)
    panel = w.docks.counts_panel
    row = READING_ROLES.index(Role.MR_T2FS)
    assert panel.table.item(row, 3).text() == "not read yet"
    assert any("not counted yet on T2 FS" in w.message for w in w.docks.checks_panel.warnings)
    w.reading.activate(2)
    press(w, qtbot, "counted")  # one action: counted as marked
    assert panel.table.item(row, 3).text() == "counted"


def test_4_a_segment_chosen_in_the_grid_brings_its_lobe(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    t = w.docks.lesion_panel.table
    les = w.session.reading.project.lesions[("LLSYN001", "E1", READER, "L1")]
    other = "II" if les.lobe is Lobe.RIGHT else "VI"
    t.cellWidget(0, 2).setCurrentText(other)
    les = w.session.reading.project.lesions[("LLSYN001", "E1", READER, "L1")]
    assert les.segment.value == other and les.lobe is les.segment.lobe
    assert t.cellWidget(0, 1).currentText() == les.lobe.value
    t.cellWidget(0, 1).setCurrentText("right" if les.lobe is Lobe.LEFT else "left")  # against the segment: refused
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, "L1")].lobe is les.lobe
    assert "lies in the" in w.docks.lesion_panel.status.text()


def test_5_maximise_fills_the_grid(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.reading.activate(3)
    press(w, qtbot, "maximise")
    qtbot.waitUntil(lambda: w.grid.cells[3].width() > 0.9 * w.grid.width(), timeout=5000)
    assert w.grid.cells[3].height() > 0.9 * w.grid.height()
    press(w, qtbot, "maximise")
    qtbot.waitUntil(lambda: w.grid.cells[3].width() < 0.5 * w.grid.width(), timeout=5000)


def test_5c_tab_shows_the_next_series_in_the_maximised_cell(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A radiologist's check: in the maximised view Tab changed nothing (it walked the visible cells,
    one). It shows the next series there, Shift+Tab the one before, wrapping round the six."""
    w = window
    lay = w.reading.layout
    w.reading.activate(5)
    press(w, qtbot, "maximise")
    qtbot.waitUntil(lambda: w.grid.cells[5].width() > 0.9 * w.grid.width(), timeout=5000)
    press(w, qtbot, "next_cell")
    assert lay.active == 0 and lay.maximised == 0
    qtbot.waitUntil(lambda: w.grid.cells[0].width() > 0.9 * w.grid.width(), timeout=5000)
    press(w, qtbot, "previous_cell")
    assert lay.active == 5 and lay.maximised == 5


def test_5b_a_maximised_cell_follows_the_reading_to_the_next_series(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check under Xvfb: M on DWI b800, a line there, the reading moved on to T1 arterial
    off screen, and V recorded "not visible" on T1 arterial while DWI was the cell shown. The
    maximised cell now follows the series the reading moves to, and V applies to the cell on screen."""
    w = window
    w.reading.activate(3)
    qtbot.keyClick(w.grid.cells[3], Qt.Key.Key_N)  # a new current lesion
    lid = w.state.selection.lesion_id
    press(w, qtbot, "maximise")
    qtbot.waitUntil(lambda: w.grid.cells[3].width() > 0.9 * w.grid.width(), timeout=5000)
    press(w, qtbot, "not_visible")  # on DWI b800, the cell shown; the reading moves on
    lay = w.reading.layout
    les = w.session.reading.project.lesions[("LLSYN001", "E1", READER, lid)]
    assert les.observation(Role.MR_DWI) is not None and lay.active != 3
    assert lay.maximised == lay.active, (lay.maximised, lay.active)
    nxt = lay.active
    qtbot.waitUntil(lambda: w.grid.cells[nxt].width() > 0.9 * w.grid.width(), timeout=5000)
    assert not w.grid.cells[3].isVisible()
    press(w, qtbot, "not_visible")  # on the series now shown
    les = w.session.reading.project.lesions[("LLSYN001", "E1", READER, lid)]
    assert les.observation(READING_ROLES[nxt]) is not None


def test_6_reading_keys_work_whatever_has_focus_except_typing(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.reading.activate(0)
    lesions = lambda: len(w.session.reading.project.lesions_of("LLSYN001", "E1", READER))  # noqa: E731
    n = lesions()
    for focus in (w.docks.lesion_panel.table, w.browser,
                  next(b for b in w.docks.lesion_panel.findChildren(QPushButton))):
        focus.setFocus()
        qtbot.keyClick(focus, Qt.Key.Key_L, Qt.KeyboardModifier.ShiftModifier)
        assert w.state.lobe is Lobe.LEFT
        qtbot.keyClick(focus, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
        assert w.state.lobe is Lobe.RIGHT
        qtbot.keyClick(focus, Qt.Key.Key_E)
        assert w.state.tool.value == "line"
        qtbot.keyClick(focus, Qt.Key.Key_W)
        assert w.state.tool.value == "window_level"
    w.docks.lesion_panel.table.setFocus()
    qtbot.keyClick(w.docks.lesion_panel.table, Qt.Key.Key_N)
    assert lesions() == n + 1
    qtbot.keyClick(w.browser, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert w.reading.layout.grid == (1, 1)
    # typing in a text field keeps its keys
    w.docks.clinical_dock.show()
    edit = w.docks.clinical_form.numbers["age_at_diagnosis_years"]
    edit.setFocus()
    qtbot.keyClicks(edit, "NV")
    assert edit.text() == "NV" and lesions() == n + 1
    # arrows in the browser move in the browser, not the image
    ct = w.reading.viewports[0]
    start = ct.index
    w.browser.setFocus()
    qtbot.keyClick(w.browser, Qt.Key.Key_Down)
    assert ct.index == start


def test_8_a_restart_after_an_unclean_exit_reopens_where_the_reader_left(qtbot, env: Path, store_copy: Path,  # type: ignore[no-untyped-def]
                                                                          sample_dicom: Path, sample_index) -> None:
    from app.cmd_view import recovery_message, restore_position

    last = LastSession(env / "last.json")
    w = make_window(qtbot, env, last=last)
    assert w.store_flow.open_store(store_copy)
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")
    w.state.selection.set_lesion("L2")
    w.reading.activate(3)
    w.reading.viewports[3].set_linked(False)
    w.reading.viewports[3].set_index(5)
    w.state.prepare()
    w.session.reading.add_lesion(("LLSYN002", "E1"), "left")  # an edit, then the process dies (no closeEvent)
    w._save_last()
    w.session.store.close()  # what the kernel does to a killed process's files
    saved = last.load()
    assert saved is not None and not saved.clean and saved.store == str(store_copy)

    w2 = make_window(qtbot, env, last=last)
    assert w2.store_flow.open_store(saved.store)
    w2.show_index(str(sample_dicom), sample_index)
    assert restore_position(w2, saved, QApplication.instance())
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w2.reading.viewports, w2.reading.hanging.cells) if c.stack), timeout=60000)
    qtbot.waitUntil(lambda: w2.reading.viewports[3].index == 5, timeout=5000)
    assert w2.state.pair.patient_id == "LLSYN002" and w2.state.selection.lesion_id == "L2"
    assert w2.reading.layout.active == 3
    # mid-lesion, the line tool (session 31's reader check: the window tool came back, a click changed the window)
    assert w2.state.tool is ToolMode.LINE
    message = recovery_message(w2, saved)
    assert "did not close cleanly" in message and str(store_copy) in message and "add lesion" in message
    # under another reader name the read shown is empty: said, as an ordinary open says it (a reader's check:
    # after a kill the work looked lost)
    w2.session.store.close()
    w3 = make_window(qtbot, env, last=last, reader="someone else")
    assert w3.store_flow.open_store(saved.store)
    assert "none of someone else's: File -> Reader name shows another's read" in recovery_message(w3, saved)


def test_9_overlay_shows_the_instance_number_and_exports_name_the_image(window: MainWindow) -> None:
    from viewer.qt.overlay import slice_lines

    vp = window.reading.viewports[0]
    lines = slice_lines(vp)
    assert f"(#{vp.volume.images[vp.index].instance_number})" in lines[0]
    thickness = lines[1].split("thk ")[1].split()[0]
    assert len(thickness.split(".")[-1]) <= 2 if "." in thickness else thickness.isdigit()


def test_11_folders_add_up_and_double_click_shows_a_stack_in_the_active_cell(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                                            sample_dicom: Path) -> None:
    from viewer.index import index_path

    w = window
    before = {p.patient_id for p in w.patients}
    w.show_index(str(sample_dicom / "LLSYN003"), index_path(sample_dicom / "LLSYN003"))
    assert {p.patient_id for p in w.patients} == before  # added, not replaced (and not listed twice)
    item = next(i for i in w.browser._iter() if i.data(0, KIND) == "stack"
                and i.data(0, PAYLOAD).patient_id == "LLSYN001" and w.reading.hanging.role_of(i.data(0, PAYLOAD)) is Role.MR_T1_PRE)
    w.reading.activate(4)
    w.browser.itemActivated.emit(item, 0)
    assert w.reading.hanging.cells[4].stack.key == item.data(0, PAYLOAD).key
    assert w.state.cell_title(4) == "T1 pre" and w.state.reading_role(4) is None  # shown, not recorded on


def test_menus_are_short_and_keep_the_whole_description_as_their_status_tip(window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """The Read menu was 885 px wide (each item a sentence): on a narrow screen its shortcut column was cut."""
    from app.menus import TOOLBAR
    from app.shortcuts import SHORTCUTS

    on_toolbar = {entry[0] for entry in TOOLBAR if entry is not None}
    for sc in SHORTCUTS:
        act = window.actions_by_id[sc.action]
        if sc.action not in ("undo", "redo"):  # these two say what they undo
            assert len(act.text()) <= 45, act.text()
        assert act.statusTip() == sc.label
        if sc.action in on_toolbar:  # the toolbar's tooltip keeps the whole description and the key
            assert sc.label in act.toolTip(), act.toolTip()
    read = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Read")
    assert read.sizeHint().width() < 600


def test_the_folders_listed_at_start_let_the_last_exam_reopen(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A reader's check: after a restart the last exam did not reopen although last_session.json named
    it. Its folders were counted as spelled: a last folder since removed, or PATH given relative where
    the last session saved it absolute, kept the count short of what was listed."""
    from app.cmd_view import folders_to_list, same_folder

    study, gone = tmp_path / "study", tmp_path / "gone"
    study.mkdir()
    monkeypatch.chdir(tmp_path)
    to_list, wanted = folders_to_list([str(study), str(gone)], "study")
    assert to_list == ["study"] and wanted == {same_folder(str(study))}
    to_list, wanted = folders_to_list([str(study), str(gone)], None)
    assert to_list == [str(study)] and wanted == {str(study.resolve())}
    other = tmp_path / "other"
    other.mkdir()
    to_list, wanted = folders_to_list([str(other), str(study) + "/"], str(study))
    assert to_list == [str(other), str(study)] and len(wanted) == 2


def test_a_restart_reopens_a_follow_up_exam_of_one_modality(qtbot, env: Path, store_copy: Path,  # type: ignore[no-untyped-def]
                                                           sample_dicom: Path, sample_index, monkeypatch) -> None:
    """A reader's check: quit on LLSYN001's follow-up CT, restart: nothing reopened (the saved position
    needed a CT and an MRI study UID). Its folder is saved absolute too (a relative "s" named another
    folder from another working directory)."""
    from app.browser import PAYLOAD
    from app.cmd_view import restore_position

    monkeypatch.chdir(sample_dicom.parent)
    last = LastSession(env / "last.json")
    w = make_window(qtbot, env, last=last)
    assert w.store_flow.open_store(store_copy)
    w.show_index(sample_dicom.name, sample_index)  # listed as given: relative
    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                and i.data(0, PAYLOAD).is_single and i.data(0, PAYLOAD).study_date.isoformat() == "2023-10-17")
    w.browser.itemActivated.emit(item, 0)
    w._save_last()
    saved = last.load()
    assert saved is not None and saved.has_pair and not saved.mri_study_uid
    assert saved.paths == (str(sample_dicom.resolve()),) or saved.paths == (str(sample_dicom.absolute()),)
    w2 = make_window(qtbot, env, last=last)
    w2.show_index(str(sample_dicom), sample_index)
    assert restore_position(w2, saved, QApplication.instance())
    assert w2.state.pair is not None and w2.state.pair.is_single and w2.state.pair.study_date.isoformat() == "2023-10-17"
    # the keys reach the active cell without a click (a radiologist's check: the first V and M did nothing)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w2.grid.active_widget, timeout=5000)


def test_5d_the_lobe_key_after_editing_a_line_and_n_sets_the_new_lesions_lobe(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A radiologist's check: L3's end dragged to edit it, then N, then Shift+L for the new lesion's lobe:
    "L3 now in the left lobe" -- the edited line had stayed picked, and the right-lobe lesion moved,
    the per-lobe counts with it. An end dragged is not a pick to act on; a new current lesion drops a pick
    of another's; Esc drops it too. The key moves the new lesion, which has no line yet."""
    w = window
    cell = READING_ROLES.index(Role.MR_T2FS)
    w.reading.activate(cell)
    vp = w.grid.viewports[cell]
    press(w, qtbot, "lobe_right")
    press(w, qtbot, "new_lesion")
    first = w.state.selection.lesion_id
    press(w, qtbot, "tool_line")
    drag(qtbot, vp, (100.0, 100.0), (100.0, 120.0))
    w.reading.activate(cell)
    line = w.session.reading.project.lesions[("LLSYN001", "E1", READER, first)].observation(Role.MR_T2FS)
    assert isinstance(line, Measurement), w.status.text()
    drag(qtbot, vp, line.p2, (line.p2[0], line.p2[1] + 4.0))  # its end edited
    w.reading.activate(cell)
    press(w, qtbot, "new_lesion")
    second = w.state.selection.lesion_id
    press(w, qtbot, "lobe_left")
    lesions = w.session.reading.project.lesions
    assert lesions[("LLSYN001", "E1", READER, first)].lobe is Lobe.RIGHT, w.status.text()
    # ... and the key was for the lesion just started, with no line yet: it moves, not only the next ones
    # (a later radiologist's check: the new lesion stayed in the right lobe and was drawn there)
    assert lesions[("LLSYN001", "E1", READER, second)].lobe is Lobe.LEFT, w.status.text()
    assert w.status.text().startswith(f"{second} (no line yet) now in the left lobe"), w.status.text()
    assert second != first and w.state.selection.lobe is Lobe.LEFT
    assert w.actions_by_id["undo"].text() == f"Undo edit lesion {second}: lobe left"
    drag(qtbot, vp, (60.0, 100.0), (60.0, 116.0))  # its first line keeps the lobe it was moved to
    assert lesions is not w.session.reading.project.lesions
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, second)].lobe is Lobe.LEFT
    # with the count tool the key is for the marks: a lesion started and left empty stays where it is
    w.reading.activate(cell)
    press(w, qtbot, "new_lesion")
    third = w.state.selection.lesion_id
    press(w, qtbot, "tool_count")
    press(w, qtbot, "lobe_right")
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, third)].lobe is Lobe.LEFT, w.status.text()
    assert w.status.text().startswith("new marks and lesions go to the right lobe"), w.status.text()
    press(w, qtbot, "tool_line")
    # a click on the line picks it to move it: the lobe key moves that lesion; Esc drops the pick
    w.state.selection.set_lesion(first)
    click(qtbot, vp, (line.p1[0], line.p1[1] + 8.0))
    assert w.state.selection.picked is not None and not w.state.selection.picked.fresh, w.status.text()
    press(w, qtbot, "cancel")
    assert w.state.selection.picked is None
    press(w, qtbot, "lobe_left")
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, first)].lobe is Lobe.RIGHT


def test_8_the_recovery_message_is_said_again_once_every_folder_is_listed(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                          sample_dicom: Path, sample_index) -> None:
    """After an unclean exit the restart says so, then lists the last folders: a second check saw the
    index's result replace the recovery message at every restart. Once every folder wanted is listed it
    is said again, once; not before."""
    from app.cmd_view import after_listing, same_folder

    w = make_window(qtbot, env)
    recovery = "lesionlab did not close cleanly last time (2026-12-02 10:00:00 UTC); no reading project was open"
    w.state.say(recovery)
    done: dict[str, bool] = {}
    wanted = {same_folder(str(sample_dicom)), same_folder(str(env / "elsewhere"))}
    w.show_index(str(sample_dicom), sample_index)
    after_listing(w, None, QApplication.instance(), wanted, recovery, done)
    assert w.status.text() != recovery and "patient(s)" in w.status.text()  # a folder still to list
    wanted = {same_folder(str(sample_dicom))}
    after_listing(w, None, QApplication.instance(), wanted, recovery, done)
    assert w.status.text() == recovery
    w.state.say("the reader's next action")
    after_listing(w, None, QApplication.instance(), wanted, recovery, done)
    assert w.status.text() == "the reader's next action"


def test_the_store_label_leaves_the_status_bar_to_the_message(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check at 1,500 px: the reader and project path took 710 px of the bar, and the
    one-click refusals lost their advice ("… draw it"). The label is cut in the middle at 460 px,
    the project's file name kept, the whole text on hover."""
    w = window
    w.resize(1500, 900)
    w.show()
    qtbot.waitExposed(w)
    label = w.store_flow.store_label
    label.setText(f"reader: sample · /{'very-long-folder-name/' * 12}reading.lesionlab")
    QApplication.processEvents()
    assert label.width() <= 460 and w.status.width() >= 900
    shown = label.shown_text()
    assert "…" in shown and shown.startswith("reader: sample") and shown.endswith("reading.lesionlab")
    assert label.toolTip() == label.text() and label.text().endswith("reading.lesionlab")


def test_tool_maximise_and_swap_keys_say_what_they_did(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check: after E, M, Tab or D the status bar still showed the last refusal (about
    another lesion and series), which read as if it were about the one just chosen."""
    w = window
    w.state.say("L10 on DWI b800: refused (an old message)")
    w.reading.activate(0)
    press(w, qtbot, "tool_line")
    assert w.status.text() == "Line tool: drag the current lesion's longest axial diameter"
    press(w, qtbot, "tool_count")
    assert w.status.text() == "Count tool: click a metastasis to count it in the current lobe"
    press(w, qtbot, "tool_short_axis")
    assert w.status.text().startswith("Short-axis tool") and w.state.tool.value == "short_axis"
    press(w, qtbot, "tool_window")
    assert w.status.text() == "Window/level tool" and w.state.tool.value == "window_level"
    press(w, qtbot, "tool_count")
    press(w, qtbot, "maximise")
    assert w.reading.layout.maximised == 0 and "maximised: Tab for the next series, M for the grid" in w.status.text()
    press(w, qtbot, "next_cell")
    assert w.reading.layout.active == 1 and w.status.text() == f"active: {w.state.cell_title(1)}"
    press(w, qtbot, "maximise")
    assert w.reading.layout.maximised is None and w.status.text() == "back to the grid"
    press(w, qtbot, "swap_adc")
    assert w.status.text() == "the DWI cell shows the ADC map (D: b800 again)"
    # N there points to b800 and D (it said "not one of the six reading series", a reader's check)
    w.reading.activate(next(i for i, c in enumerate(w.reading.hanging.cells) if c.role is Role.MR_ADC))
    press(w, qtbot, "new_lesion")
    assert "this series is the ADC map: lesions are counted and measured on DWI b800 (D shows b800 here)" \
        in w.status.text(), w.status.text()
    # the ADC dropped on the T2 FS cell too: there D would swap the DWI cell, so no D advice
    adc = next(st for st in w.all_stacks() if w.reading.hanging.role_of(st) is Role.MR_ADC)
    w.reading.drop_stack(2, adc)
    w.reading.activate(2)
    press(w, qtbot, "new_lesion")
    assert w.status.text().endswith("this series is the ADC map: lesions are counted and measured on DWI b800"), \
        w.status.text()
    press(w, qtbot, "swap_adc")  # said as what it shows now (D twice said "swapped" twice)
    assert w.status.text() == "the DWI cell shows b800 again (D: the ADC map)"


def test_a_grid_click_on_a_dwi_line_after_swapping_in_the_adc_shows_it(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A review: after D (ADC in the DWI cell) a lesion-grid click on a DWI measurement raised "no
    cell shows DWI b800"; the cell shows the b800 measured again, at the line's slice."""
    w = window
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    m = w.session.reading.project.lesions[("LLSYN001", "E1", READER, "L1")].observation(Role.MR_DWI)
    assert isinstance(m, Measurement)
    w.reading.activate(3)
    press(w, qtbot, "swap_adc")
    t = w.docks.lesion_panel.table
    from annotation.qt.panels import FIXED
    from tests.app.conftest import grid_texts
    t.cellClicked.emit(list(grid_texts(w)).index("L1"), FIXED + READING_ROLES.index(Role.MR_DWI))
    vp = w.reading.viewports[3]
    qtbot.waitUntil(lambda: vp.key == m.stack_key and vp.index == m.slice_index, timeout=30000)
    assert not errors and w.status.text().startswith(f"shown: the {m.diameter_mm:.1f} mm line on DWI b800")


def test_the_progress_bar_goes_when_the_last_load_has_ended(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check saw "3%" standing in the status bar after the pair had loaded: a load's last
    progress came while it still counted as running (or a cancelled load sent none), and nothing
    hid the bar after. The end of a load hides it once no load or index is running."""
    w = window
    assert w.loads.wait(30.0) and not w.loads.busy()
    w.loads.progress.emit("a stack cancelled half-way", 1, 35)  # its last progress: 3%
    assert w.progress.isVisible() and w.progress.value() == 1
    w.loads.finished.emit("another stack")  # the next load to end, with nothing running after it
    assert not w.progress.isVisible()


def test_the_cells_show_the_study_date_as_iso() -> None:
    """A reader's check read "20231017" in the cells beside 2023-10-17 everywhere else."""
    from viewer.qt.overlay import shown_date

    assert shown_date("20231017") == "2023-10-17" and shown_date("") == "" and shown_date("2023") == "2023"


def test_a_store_where_it_cannot_be_written_opens_read_only(qtbot, env: Path, store_copy: Path,  # type: ignore[no-untyped-def]
                                                            monkeypatch) -> None:
    """A store on a disc or a read-only share: File -> Open refused it ("copy it somewhere writable", an audit);
    it opens read-only there, says so, and the first edit asks where to keep a copy, as a study folder's store."""
    import annotation.store_readonly as ro

    real = store_copy.resolve().parent
    monkeypatch.setattr(ro, "folder_writable", lambda folder: Path(folder).resolve() != real)
    w = make_window(qtbot, env)
    asked: list[object] = []
    w.session.promote = lambda session: asked.append(session)  # type: ignore[assignment,return-value]
    assert w.store_flow.open_store(store_copy)
    assert w.session.read_only and "it lies where it cannot be written" in w.status.text(), w.status.text()
    with pytest.raises(Exception, match="open read-only"):
        w.session.make_writable()
    assert asked  # the first edit asked where


def test_files_of_another_person_under_the_id_are_said_in_a_dialog(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                  sample_index) -> None:
    """The index leaves out a study of another person under the patient's id (an audit: IMPOSTER^BOB's CT under
    LLSYN001 became its prior exam); the workstation said only "N file(s) skipped". It now says why, at once."""
    from dataclasses import replace

    from viewer.index import UID_CONFLICT
    from viewer.studies_identity import IDENTITY_CONFLICT

    w = make_window(qtbot, env)
    shown: list[str] = []
    w.show_error = shown.append  # type: ignore[method-assign]
    w.show_index(str(sample_dicom), sample_index)
    assert not shown  # nothing of the kind in the sample
    said = f"PatientID LLSYN001 {IDENTITY_CONFLICT}: kept 4 studies of SYNTHETIC^ALPHA; left out 1 of someone else"
    twin = f"SOP Instance UID 1.2.3 is carried by 2 {UID_CONFLICT} (PatientID): a.dcm, b.dcm"
    w.show_index(str(sample_dicom), replace(sample_index, warnings=(*sample_index.warnings, said, twin)))
    assert len(shown) == 1 and said in shown[0] and twin in shown[0] and "another patient's" in shown[0]
    # listed again (the folder re-indexed, its patients' warnings kept by the browser's grouping): said once
    w.show_index(str(sample_dicom), replace(sample_index, warnings=(*sample_index.warnings, said, twin)))
    assert len(shown) == 1


def test_a_start_on_another_project_does_not_reopen_the_last_projects_exam(tmp_path: Path) -> None:
    """A radiologist's check started with --store naming another project: the last project's LLSYN003 was hung with an
    empty lesion grid. The position (exam, lesion, slices) is the last project's only, and so are its folders since
    session 48 (they came back beside another project: fix48c), and an unclean exit names the project that was open,
    not the new one's edits."""
    from types import SimpleNamespace

    from app.cmd_view import position_in_this_project, recovery_message
    from app.last_session import Where

    last = Where(store=str(tmp_path / "a.lesionlab"), paths=("/x",), patient_id="LLSYN003", ct_study_uid="1.2",
                 mri_study_uid="1.3", lesion_id="L2", slices={"k": 4}, active_key="k", clean=False,
                 saved_at_utc="2026-12-03T10:00:00")
    assert position_in_this_project(last, tmp_path / "a.lesionlab") is last
    assert position_in_this_project(last, tmp_path / "sub" / ".." / "a.lesionlab") is last
    moved = position_in_this_project(last, tmp_path / "b.lesionlab")
    assert not moved.has_pair and moved.lesion_id is None and moved.slices == {} and moved.paths == ()
    assert position_in_this_project(last, None) is last  # nothing opened: the exam is shown, nothing edited
    window = SimpleNamespace(session=SimpleNamespace(store=SimpleNamespace(path=tmp_path / "b.lesionlab")))
    said = recovery_message(window, last)
    assert f"with {tmp_path / 'a.lesionlab'} open: every edit saved there is kept" in said, said
