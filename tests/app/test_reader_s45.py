"""Session 45: the workstation's leftovers from session 44, each through the real main window with key and mouse events:
Del and Backspace on a treatment line's selected cell, Ctrl+T outside a reader study, the reader's own one-click
setting through a study, count marks an older store lost."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from annotation.records import Measurement
from tests.app.conftest import READER, add_treatment_line, drag, make_window, press
from viewer.records import READING_ROLES, Role


def _lines_tab(w, qtbot):  # type: ignore[no-untyped-def]
    """The Follow-up panel's treatment lines, one line added (Add line clicked, its start typed)."""
    panel, line = add_treatment_line(w, qtbot)
    assert list(w.session.reading.project.treatment_lines.values()) == [line]
    return panel, line


def _line_drawn_on_ct_portal(w, qtbot):  # type: ignore[no-untyped-def]
    """A new lesion's line drawn by hand on CT portal, picked on the images: its lesion id and measurement."""
    from tests.app.test_reader_check_s35 import _activate

    press(w, qtbot, "tool_window")
    _activate(w, qtbot, READING_ROLES.index(Role.CT_PORTAL))
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.active_widget, (200.0, 150.0), (200.0, 190.0))
    lid = w.state.selection.lesion_id
    drawn = w.session.reading.project.lesions[(*w.state.selection.pair, READER, lid)].observation(Role.CT_PORTAL)
    assert isinstance(drawn, Measurement) and w.state.selection.picked is not None, w.status.text()
    return lid, drawn


def _click_cell(qtbot, t, row: int, column: int) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(row, column)).center())
    assert t.currentRow() == row and t.currentColumn() == column and QApplication.focusWidget() is t


def test_del_on_a_treatment_cell_clears_the_cell_not_the_line_picked(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A line just drawn (picked), then a click on a treatment line's End cell and Del, as in a spreadsheet: the
    window's Del deleted the line picked on the images (the pointer on no image: "the picked one"), unseen; the
    date stayed. Del and Backspace on a selected cell (no editor open) are the table's now: the End date is cleared
    (undoable, saved); on the Name or Start (which a line needs) the cell's editor opens empty, Esc keeps the old
    text; on the Line number or a row not edited, the status says how a line goes; the line drawn stays."""
    w = window
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    reading = w.session.reading
    pair = w.state.selection.pair
    lid, drawn = _line_drawn_on_ct_portal(w, qtbot)

    panel, line = _lines_tab(w, qtbot)
    t = panel.lines
    key = (line.patient_id, line.line_number)
    # an end date typed into the End cell
    _click_cell(qtbot, t, 1, 3)
    for ch in "2024-03-01":
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: reading.project.treatment_lines[key].end_date is not None, timeout=5000)
    qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)
    assert QApplication.focusWidget() is t

    def line_drawn() -> object:
        return reading.project.lesions[(*pair, READER, lid)].observation(Role.CT_PORTAL)

    for key_pressed in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
        _click_cell(qtbot, t, 1, 3)
        qtbot.keyClick(t, key_pressed)
        assert line_drawn() == drawn, f"{key_pressed}: {w.status.text()}"
        qtbot.waitUntil(lambda: reading.project.treatment_lines[key].end_date is None, timeout=5000)
        assert t.item(1, 3).text() == "" and not errors, errors
        press_undo = w.actions_by_id["undo"].shortcuts()[0][0]
        qtbot.keyClick(t, press_undo.key(), press_undo.keyboardModifiers())  # Ctrl+Z puts the date back
        qtbot.waitUntil(lambda: reading.project.treatment_lines[key].end_date is not None, timeout=5000)
        assert t.item(1, 3).text() == "2024-03-01" and line_drawn() == drawn

    # Ctrl+Del (the window's Clear on the active series: the current lesion's line, unasked) clears the cell too
    lesion_now = reading.project.lesions[(*pair, READER, w.state.selection.lesion_id)]
    _click_cell(qtbot, t, 1, 3)
    qtbot.keyClick(t, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: reading.project.treatment_lines[key].end_date is None, timeout=5000)
    assert reading.project.lesions[lesion_now.key] == lesion_now and line_drawn() == drawn, w.status.text()

    # the Name (a line needs one): its editor opens empty; Esc keeps the name
    _click_cell(qtbot, t, 1, 1)
    qtbot.keyClick(t, Qt.Key.Key_Delete)
    editor = QApplication.focusWidget()
    assert t.state() == t.State.EditingState and editor is not t and editor.text() == "", w.status.text()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)
    assert reading.project.treatment_lines[key].name == line.name and t.item(1, 1).text() == line.name

    # the line's number, the baseline's row: nothing of the reading goes; the status says how a line goes
    for row, column in ((1, 0), (0, 1)):
        _click_cell(qtbot, t, row, column)
        qtbot.keyClick(t, Qt.Key.Key_Delete)
        assert "Remove line" in panel.status.text() or "Remove line" in w.status.text(), (panel.status.text(),
                                                                                          w.status.text())
        assert key in reading.project.treatment_lines and line_drawn() == drawn, w.status.text()
    assert not errors, errors


def test_the_readers_own_one_click_comes_back_after_a_study_that_keeps_it_off(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                              sample_index, store_copy: Path) -> None:
    """One-click on (the reader's setting, Shift+E), then a reader study whose definition keeps it off: off for the
    study. The study's false was saved as the reader's own setting: after the study (the window quit, or a reading
    project opened in its place) one-click stayed off. It comes back now, and the study never writes it."""
    import json

    from tests.app.conftest import open_pair
    from tests.app.test_reader_s44 import _back
    from tests.app.test_study_window import make_study_store, study_window

    view_json = env / "config" / "view.json"
    study = make_study_store(env, sample_dicom)
    w0 = make_window(qtbot, env, reader=READER)
    w0.show_error = lambda m: None  # type: ignore[method-assign]
    _back(w0, qtbot)
    press(w0, qtbot, "toggle_one_click")
    assert w0.view_settings.one_click and json.loads(view_json.read_text())["one_click"] is True
    w0.close()

    w, shown = study_window(qtbot, env, study, sample_dicom, sample_index)
    assert not w.view_settings.one_click and w.state.suggest is None and not w.one_click_action.isChecked()
    assert json.loads(view_json.read_text())["one_click"] is True  # the reader's own, not the study's
    w.study_ui.dialog.close()
    _back(w, qtbot)
    press(w, qtbot, "next_case" if "next_case" in w.actions_by_id else "study_next")  # a case on screen
    qtbot.waitUntil(lambda: w.state.selection.pair is not None or w.reading.hanging.cells[0].stack is not None,
                    timeout=60000)
    assert w.state.suggest is None, (w.study_ui.flow.study, w.state.blinded, w.view_settings.one_click, shown, w.status.text())
    # a preset remembered during the study writes the settings again: the reader's own one-click with them
    w.view_settings.set_right_drag("zoom")
    assert json.loads(view_json.read_text())["one_click"] is True
    # the reader's project opened in the study's place: the study is over, the reader's one-click back
    assert w.store_flow.open_store(store_copy)
    assert w.view_settings.one_click and w.state.suggest is not None and w.one_click_action.isChecked()
    w.close()
    assert not shown or all("no study" not in s for s in shown), shown

    w2 = make_window(qtbot, env, reader=READER)  # the next start: the reader's setting
    assert w2.view_settings.one_click and w2.state.suggest is not None and w2.one_click_action.isChecked()
    open_pair(w2, qtbot, sample_dicom, sample_index)


def _old_followup_store(sample_dicom: Path, dst: Path) -> None:
    """The shipped follow-up project as a store written before session 44 held it: L1 measured on CT portal at the
    baseline (2023-03-14) and at 2024-03-12, its two count marks of one id (tracking UID and series), the later
    measurement's replacing the baseline's."""
    import shutil
    from dataclasses import replace

    from annotation.reading import old_preplaced_mark_id
    from annotation.store import open_reading

    shutil.copy(sample_dicom / "followup.lesionlab", dst)
    store, r = open_reading(dst, READER)
    try:
        project = r.project
        first, later = ([m for m in project.marks_of_lesion("LLSYN001", exam, READER, "L1") if m.role is Role.CT_PORTAL]
                        for exam in ("F1", "F3"))
        (a,), (b,) = first, later
        tracking = project.lesions[("LLSYN001", "F3", READER, "L1")].tracking_uid
        old = replace(b, mark_id=old_preplaced_mark_id(tracking, Role.CT_PORTAL))
        r.apply("as stored before session 44", project.without_many({"count_marks": [a.mark_id, b.mark_id]})
                .with_record(old))
    finally:
        store.close()


def test_count_marks_an_older_project_lost_are_told_once(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                        sample_index, store_copy: Path) -> None:
    """A project written before session 44 lost the baseline's count mark of a lesion carried and measured again on
    the same series (one mark id for both): the baseline's CT portal count one lesion short, said nowhere. Opening it
    tells the reader once, in a box naming the exam, series and lesion (and in the status bar at each opening); the
    lost mark is not made up (where it was is not kept): a count click on the lesion (C) counts it again, and then
    nothing is said."""
    from tests.app.test_reader_check_s35 import _activate
    from viewer.studies import ExamPair

    old = env / "work" / "old.lesionlab"
    old.parent.mkdir(exist_ok=True)
    _old_followup_store(sample_dicom, old)
    w = make_window(qtbot, env, reader=READER)
    told: list[tuple[str, str]] = []
    w.store_flow.inform = lambda title, text: told.append((title, text))  # type: ignore[method-assign]
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    assert w.store_flow.open_store(old)
    assert len(told) == 1 and "LLSYN001 F1 (2023-03-14), CT portal: L1 — its mark went to F3 (2024-03-12)" in told[0][1], told
    assert "lost 1 count mark" in told[0][1] and "press C" in told[0][1]
    assert "1 count mark lost in an older lesionlab (LLSYN001 F1 (2023-03-14) CT portal)" in w.status.text(), w.status.text()
    project = w.session.reading.project
    # Checks lists it on that exam until it is counted again (the box is said once)
    from annotation.checks import CheckCode, check_pair
    lost_said = [c for c in check_pair(w.session.reading.project, "LLSYN001", "F1", READER)
                 if c.code is CheckCode.LOST_MARK]
    assert [(c.lesion_id, c.role) for c in lost_said] == [("L1", Role.CT_PORTAL)], lost_said
    assert "lost its count mark to F3 (2024-03-12)" in lost_said[0].message
    # the later exam's mark is its own, as it was; nothing else moved
    assert [m.lesion_id for m in project.marks_of_lesion("LLSYN001", "F3", READER, "L1")] == ["L1"]

    # opened again (after another project): said in the status bar, not asked again; nor at the next start
    assert w.store_flow.open_store(store_copy) and w.store_flow.open_store(old)
    assert len(told) == 1 and "count mark lost" in w.status.text(), (told, w.status.text())
    w.close()
    w = make_window(qtbot, env, reader=READER)
    w.store_flow.inform = lambda title, text: told.append((title, text))  # type: ignore[method-assign]
    w.show_error = errors.append  # type: ignore[method-assign]
    assert w.store_flow.open_store(old) and len(told) == 1, told

    # the reader counts L1 again on the baseline's CT portal: C, a click on the lesion
    w.show_index(str(sample_dicom), sample_index)
    # the baseline CT alone, as Ctrl+P lists it (the browser lists it in its CT + MRI pair)
    patient = next(p for p in w.patients if p.patient_id == "LLSYN001")
    uid = w.session.reading.project.exam_pairs[("LLSYN001", "F1")].ct_study_uid
    ct = next(st for st in patient.studies if st.study_instance_uid == uid)
    w.open_pair(ExamPair.single(ct))
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack), timeout=60000)
    assert w.state.selection.pair == ("LLSYN001", "F1"), w.state.selection.pair
    lesion = w.session.reading.project.lesions[("LLSYN001", "F1", READER, "L1")]
    line = lesion.observation(Role.CT_PORTAL)
    assert isinstance(line, Measurement)
    before = w.session.reading.project.counts("LLSYN001", "F1", READER)[(Role.CT_PORTAL, lesion.lobe)]
    press(w, qtbot, "tool_window")
    cell = next(i for i, c in enumerate(w.reading.hanging.cells)
                if c.stack is not None and w.state.reading_role(i) is Role.CT_PORTAL)
    vp = _activate(w, qtbot, cell)
    model = w.reading.viewports[cell]
    while model.index != line.slice_index:  # the arrow keys, as a reader scrolls
        up = (model.index < line.slice_index) != (model.geometry.positions_mm[-1][2] < model.geometry.positions_mm[0][2])
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Up if up else Qt.Key.Key_Down)
    press(w, qtbot, "tool_count")
    x, y = vp.transform().image_to_widget(*line.middle)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    after = w.session.reading.project.counts("LLSYN001", "F1", READER)[(Role.CT_PORTAL, lesion.lobe)]
    assert after == before + 1, w.status.text()
    from annotation.lost_marks import lost_count_marks
    assert lost_count_marks(w.session.reading.project) == [], w.status.text()
    assert not [c for c in check_pair(w.session.reading.project, "LLSYN001", "F1", READER)
                if c.code is CheckCode.LOST_MARK]
    assert not errors, errors


def test_what_a_follow_up_read_under_xvfb_showed_amiss(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Reading LLSYN001's follow-up under Xvfb (session 45): the CT of 2023-10-17 (portal only) said "not in this
    pair" in its CT arterial cell beside "not in this exam (CT only)" in the MRI cells; "line 3 added: name it…" was
    written in a refusal's red; a long treatment name was cut with no way to read it whole; the End cell clicked stayed
    lit once a click on an image had taken the keys back, as if Del would act there."""
    from annotation.qt.followup_panel import NOTE_STYLE, REFUSAL_STYLE
    from tests.app.test_followup_in_window import _open_exam

    w = window
    w.show_error = lambda m: None  # type: ignore[method-assign]
    _open_exam(w, qtbot, "2023-10-17")
    arterial = w.grid.viewports[READING_ROLES.index(Role.CT_ARTERIAL)]
    assert arterial.model.volume is None
    assert "not in this exam" in arterial.empty_text() and "pair" not in arterial.empty_text(), arterial.empty_text()
    t2 = w.grid.viewports[READING_ROLES.index(Role.MR_T2FS)]
    assert "not in this exam (CT only)" in t2.empty_text()

    panel, line = _lines_tab(w, qtbot)
    assert panel.status.text().startswith("line 1 added") and panel.status.styleSheet() == NOTE_STYLE, \
        (panel.status.text(), panel.status.styleSheet())
    t = panel.lines
    name = "177Lu-DOTATATE (PRRT), 4 cycles of 7.4 GBq every 8 weeks"
    _click_cell(qtbot, t, 1, 1)
    for ch in name:
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: t.item(1, 1) is not None and t.item(1, 1).text() == name, timeout=5000)
    assert t.item(1, 1).toolTip() == name

    # a start date refused (not a date): said in red
    _click_cell(qtbot, t, 1, 2)
    for ch in "soon":
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.status.styleSheet() == REFUSAL_STYLE and panel.status.text() != "", timeout=5000)

    _click_cell(qtbot, t, 1, 3)
    assert t.selectedIndexes()
    vp = w.grid.active_widget
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(8, vp.height() // 2))  # the keys to the images
    assert QApplication.focusWidget() is not t and not t.selectedIndexes(), QApplication.focusWidget()
    assert t.currentRow() == 1  # Remove line still knows the line


def test_the_empty_cells_say_how_to_open_an_exam_once_studies_are_listed(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                         sample_index) -> None:
    """Under Xvfb (session 45) the six cells said "open a study (Ctrl+O), then an exam pair" beside a browser that
    listed the sample's three patients: they say how to open an exam now."""
    w = make_window(qtbot, env, reader=READER)
    assert "open a study (Ctrl+O)" in w.grid.viewports[0].empty_text()
    w.show_index(str(sample_dicom), sample_index)
    texts = [vp.empty_text() for vp in w.grid.viewports]
    assert all("double-click an exam in the browser" in t and "Ctrl+O" not in t for t in texts), texts


def test_del_on_a_line_number_in_the_floating_follow_up_deletes_nothing_read(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The Follow-up panel floating (a second screen): a click on a treatment line's number handed the keys back to
    the images (a click in a floating panel does, unless a field took them, and the number is not edited), and Del
    then deleted the line just drawn on the images. The table keeps the keys, as docked: Del says how a line goes."""
    w = window
    reading = w.session.reading
    pair = w.state.selection.pair
    lid, drawn = _line_drawn_on_ct_portal(w, qtbot)
    dock = w.docks.followup_dock
    dock.show()
    dock.setFloating(True)
    dock.setGeometry(100, 100, 900, 400)
    panel, line = _lines_tab(w, qtbot)
    qtbot.wait(50)
    dock.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dock, timeout=3000)
    t = panel.lines
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, 0)).center())
    qtbot.wait(50)  # the give-back runs queued after the release
    assert QApplication.focusWidget() is t, QApplication.focusWidget()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)
    assert reading.project.lesions[(*pair, READER, lid)].observation(Role.CT_PORTAL) == drawn, w.status.text()
    assert "Remove line deletes treatment line 1" in w.status.text(), w.status.text()
