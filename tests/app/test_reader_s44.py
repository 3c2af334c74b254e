"""Session 44: the reading decisions left open, each through the real main window with key and mouse events: keys for
a lesion's Couinaud segment (S), Clear on the active series (Ctrl+Del), Delete lesion (Shift+Del, asked, No the
default), Open study (Ctrl+Shift+T) and Case list (Ctrl+T); the study's reader question proposes no name; one-click
diameters as the study definition says; Shift+P no longer puts back a follow-up kind the reader cleared."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from annotation.records import Measurement
from annotation.vocab import CouinaudSegment, Lobe
from tests.app.conftest import CLICK_OK, READER, make_window, press, typed_text_questions

PAIR = ("LLSYN001", "E1")


def _current(w):  # type: ignore[no-untyped-def]
    pair = w.state.selection.pair
    return w.session.reading.project.lesions.get((*pair, w.session.reading.reader, w.state.selection.lesion_id))


def _answer_popup(qtbot, key: Qt.Key, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Once a popup menu is up, the reader's key typed into it (its title and items kept in ``seen``)."""
    def answer() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, answer)
            return
        seen.extend(a.text() for a in menu.actions())
        qtbot.keyClick(menu, key)
    QTimer.singleShot(0, answer)


def _answer_question(qtbot, button: QMessageBox.StandardButton, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Once a question box is up, its text and whether No is its default (what Enter presses) kept in ``seen``, and
    ``button`` clicked."""
    def answer() -> None:
        box = next((x for x in QApplication.topLevelWidgets() if isinstance(x, QMessageBox) and x.isVisible()), None)
        if box is None:
            QTimer.singleShot(20, answer)
            return
        no_default = box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        seen.append(f"{box.text()} | No default: {no_default}")
        qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)
    QTimer.singleShot(0, answer)


def _back(w, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The window active again after a popup or question (the window manager's part: offscreen leaves none active)."""
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)


def test_s_gives_the_current_lesion_its_segment_from_the_keyboard(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A lesion's Couinaud segment was the lesion grid's combo box alone. S opens a menu of the segments under their
    digits: S, 8 records segment VIII (the right lobe with it, said); S, 0 no segment; Esc leaves it; Ctrl+Z undoes."""
    w = window
    w.show_error = lambda m: (_ for _ in ()).throw(AssertionError(m))  # type: ignore[method-assign]
    press(w, qtbot, "next_lesion")
    les = _current(w)
    assert les is not None
    target, digit = (CouinaudSegment.III, Qt.Key.Key_3) if les.lobe is Lobe.RIGHT else \
        (CouinaudSegment.VIII, Qt.Key.Key_8)
    seen: list[str] = []
    _answer_popup(qtbot, digit, seen)
    press(w, qtbot, "segment")
    _back(w, qtbot)
    now = _current(w)
    assert now.segment is target and now.lobe is target.lobe, (w.status.text(), seen)
    assert seen[0] == f"Segment of {les.lesion_id}" and any(t.startswith("&8") and "VIII" in t for t in seen), seen
    assert f"{les.lesion_id}: segment {target.value}, now in the {target.lobe.value} lobe" in w.status.text()
    esc: list[str] = []
    _answer_popup(qtbot, Qt.Key.Key_Escape, esc)
    press(w, qtbot, "segment")
    _back(w, qtbot)
    assert _current(w).segment is target and "left as it is" in w.status.text(), (esc, w.status.text())
    _answer_popup(qtbot, Qt.Key.Key_0, [])
    press(w, qtbot, "segment")
    _back(w, qtbot)
    assert _current(w).segment is None and _current(w).lobe is target.lobe, w.status.text()
    press(w, qtbot, "undo")
    press(w, qtbot, "undo")
    assert _current(w).segment == les.segment and _current(w).lobe is les.lobe, w.status.text()


def test_shift_del_asks_with_no_the_default_and_ctrl_z_brings_the_lesion_back(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Delete lesion was a button only. Shift+Del asks first, No the default: the Enter a reader presses to go on
    keeps the lesion; Yes deletes it on every series, and Ctrl+Z brings it back, current."""
    w = window
    w.show_error = lambda m: (_ for _ in ()).throw(AssertionError(m))  # type: ignore[method-assign]
    press(w, qtbot, "next_lesion")
    les = _current(w)
    assert les is not None and les.observations
    seen: list[str] = []
    _answer_question(qtbot, QMessageBox.StandardButton.No, seen)
    press(w, qtbot, "delete_lesion")
    _back(w, qtbot)
    assert _current(w) == les and f"lesion {les.lesion_id} kept" in w.status.text(), w.status.text()
    assert seen and les.lesion_id in seen[0] and seen[0].endswith("No default: True"), seen
    _answer_question(qtbot, QMessageBox.StandardButton.Yes, seen)
    press(w, qtbot, "delete_lesion")
    _back(w, qtbot)
    key = (*PAIR, READER, les.lesion_id)
    assert key not in w.session.reading.project.lesions, w.status.text()
    assert f"deleted lesion {les.lesion_id}" in w.status.text() and "Ctrl+Z brings it back" in w.status.text()
    press(w, qtbot, "undo")
    assert w.session.reading.project.lesions.get(key) == les and w.state.selection.lesion_id == les.lesion_id


def test_ctrl_del_clears_the_current_lesion_on_the_active_series(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The grid's Clear, from the keyboard: the current lesion's line on the active series goes (said, with its
    length), the series is not read for it again; a second press says there is nothing to clear; Ctrl+Z puts it back."""
    from tests.app.test_reader_check_s35 import _activate
    from viewer.records import READING_ROLES

    w = window
    w.show_error = lambda m: (_ for _ in ()).throw(AssertionError(m))  # type: ignore[method-assign]
    press(w, qtbot, "next_lesion")
    les = _current(w)
    role, obs = next((r, o) for r, o in les.observations if isinstance(o, Measurement))
    _activate(w, qtbot, READING_ROLES.index(role))
    press(w, qtbot, "clear_status")
    assert _current(w).observation(role) is None, w.status.text()
    assert f"cleared {les.lesion_id}" in w.status.text() and f"{obs.diameter_mm:.1f} mm" in w.status.text()
    press(w, qtbot, "clear_status")
    assert "no status on" in w.status.text() and _current(w).observation(role) is None
    press(w, qtbot, "undo")
    assert _current(w).observation(role) == obs


def test_the_study_keys_and_a_reader_question_that_proposes_no_name(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                     sample_index, monkeypatch) -> None:
    """Open study as reader and Case list were menu items only: Ctrl+Shift+T and Ctrl+T. The reader question proposed
    the app's reader name ("sample" here; on a shared workstation the last reader's): Enter opened the study as that
    reader. It proposes nothing now; the reader types their code."""
    from tests.app.test_study_window import make_study_store

    study = make_study_store(env, sample_dicom)
    w = make_window(qtbot, env, reader=READER)
    shown: list[str] = []
    w.show_error = shown.append  # type: ignore[method-assign]
    w.show_index(str(sample_dicom), sample_index)
    _back(w, qtbot)
    press(w, qtbot, "case_list")
    # said in the status bar with the key that opens a study, no box (session 45: a modal box said it without the key,
    # and had to be closed before anything else)
    assert not shown and not [x for x in QApplication.topLevelWidgets() if isinstance(x, QMessageBox) and x.isVisible()]
    assert "no study is open" in w.status.text() and "Ctrl+Shift+T" in w.status.text(), w.status.text()
    assert w.study_ui.dialog is None or not w.study_ui.dialog.isVisible()
    asked = typed_text_questions(monkeypatch, qtbot, [[str(study), CLICK_OK], ["R1", CLICK_OK]])
    press(w, qtbot, "open_study")
    assert len(asked) == 2 and "reader code" in asked[1][0], asked
    assert asked[1][1] == "", asked  # the app's reader name is not proposed
    assert w.study_ui.flow.study is not None and w.study_ui.flow.reader == "R1", (shown, w.status.text())
    assert w.study_ui.dialog is not None and w.study_ui.dialog.isVisible()
    w.study_ui.dialog.close()
    _back(w, qtbot)
    press(w, qtbot, "case_list")
    assert w.study_ui.dialog.isVisible() and not shown, shown


def test_one_click_diameters_follow_the_study_definition(qtbot, env: Path, sample_dicom: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """One-click stayed on in a blinded study: a reader's lines were partly the method's, which the study did not say.
    A study's definition says it (``one_click``, default false): on opening such a study one-click goes off and
    Shift+E refuses, saying why; a study with ``one_click = true`` lets the reader turn it on; `analyze` says which."""
    from tests.app.test_study_window import make_study_store, study_window

    store = make_study_store(env, sample_dicom)
    w0 = make_window(qtbot, env, reader=READER)
    w0.show_error = lambda m: None  # type: ignore[method-assign]
    _back(w0, qtbot)
    press(w0, qtbot, "toggle_one_click")  # on before the study, kept in the settings
    assert w0.view_settings.one_click
    w0.close()
    w, shown = study_window(qtbot, env, store, sample_dicom, sample_index)
    assert not w.view_settings.one_click and w.state.suggest is None and not w.one_click_action.isChecked()
    w.study_ui.dialog.close()
    _back(w, qtbot)
    press(w, qtbot, "toggle_one_click")
    assert w.state.suggest is None and "one-click diameters are off in study window" in w.status.text(), \
        w.status.text()

    (env / "b").mkdir()
    allowed = make_study_store(env / "b", sample_dicom, study_id="window-b", one_click=True)
    w2, _ = study_window(qtbot, env, allowed, sample_dicom, sample_index)
    w2.study_ui.dialog.close()
    _back(w2, qtbot)
    # the reader's own setting (on, from w0) in force: the first study's off was for its time only, not saved as the
    # reader's (session 45: test_reader_s45)
    assert w2.state.suggest is not None and w2.view_settings.one_click
    press(w2, qtbot, "toggle_one_click")
    assert w2.state.suggest is None and not w2.view_settings.one_click, w2.status.text()
    press(w2, qtbot, "toggle_one_click")
    assert w2.state.suggest is not None and w2.view_settings.one_click, w2.status.text()


def test_shift_p_again_leaves_a_follow_up_kind_the_reader_cleared(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """L1 and L2 targets at the baseline, carried to 2023-10-17 with their kinds; the reader clears L2's kind there
    (Follow-up, the empty choice). Shift+P again (pressed to carry a lesion added to the prior since, or to check)
    gave L2 the prior's kind back, in a step of its own, unasked. It stays cleared now, and the status says so."""
    from annotation.vocab import FollowupKind
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_followup_panel_in_window import KIND, _combo, choose_targets

    w = window
    w.show_error = lambda m: (_ for _ in ()).throw(AssertionError(m))  # type: ignore[method-assign]
    panel = choose_targets(w, qtbot, 2)
    follow = w.session.reading.project.lesion_followups
    assert follow[(*PAIR, READER, "L1")].kind is FollowupKind.TARGET, panel.messages.text()
    _open_exam(w, qtbot, "2023-10-17")
    _back(w, qtbot)
    press(w, qtbot, "carry_lesions")
    later = w.state.selection.pair
    assert later != PAIR and (*later, READER, "L2") in w.session.reading.project.lesion_followups, w.status.text()
    box = _combo(panel, 1, KIND)
    assert box.currentText() == "target" and box.itemText(0) == "—", [box.itemText(i) for i in range(box.count())]
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Home)  # the empty choice: no follow-up kind
    qtbot.wait(10)
    assert (*later, READER, "L2") not in w.session.reading.project.lesion_followups, panel.messages.text()
    _back(w, qtbot)
    press(w, qtbot, "carry_lesions")
    follow = w.session.reading.project.lesion_followups
    assert (*later, READER, "L2") not in follow, w.status.text()
    assert follow[(*later, READER, "L1")].kind is FollowupKind.TARGET
    assert "L2 left without a follow-up kind here" in w.status.text(), w.status.text()


def test_a_carried_lesion_measured_at_follow_up_leaves_the_baseline_count_mark(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                               sample_index) -> None:
    """L1 drawn on CT portal at the baseline places a count mark there. Carried to 2023-10-17 (Shift+P) and drawn
    on CT portal there, its mark took the baseline's mark id (the tracking UID and series alone): the baseline's mark
    moved to the follow-up, and the baseline's CT portal count fell by one, unsaid (a radiologist's read under Xvfb:
    Counts said CT portal 0 with L1 measured there). Each exam keeps its mark now."""
    from tests.app.conftest import drag, open_pair
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_reader_check_s35 import _activate
    from viewer.records import READING_ROLES, Role

    w = make_window(qtbot, env, reader=READER)
    w.show_error = lambda m: (_ for _ in ()).throw(AssertionError(m))  # type: ignore[method-assign]
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store) and not w.session.read_only
    open_pair(w, qtbot, sample_dicom, sample_index)
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, READING_ROLES.index(Role.CT_PORTAL))
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.active_widget, (200.0, 150.0), (200.0, 190.0))
    baseline = w.state.selection.pair

    def portal_marks(pair):  # type: ignore[no-untyped-def]
        return {m.mark_id: m for m in w.session.reading.project.marks_of(pair[0], pair[1], READER)
                if m.role is Role.CT_PORTAL}

    before = portal_marks(baseline)
    assert [m.lesion_id for m in before.values()] == ["L1"], w.status.text()
    counts = w.session.reading.project.counts(*baseline, READER)
    _open_exam(w, qtbot, "2023-10-17")
    _back(w, qtbot)
    press(w, qtbot, "carry_lesions")
    later = w.state.selection.pair
    assert later != baseline and w.state.selection.lesion_id == "L1", w.status.text()
    assert w.status.text().startswith("1 lesion carried from the prior exam (L1)"), w.status.text()
    assert w.state.reading_role(w.reading.layout.active) is Role.CT_PORTAL
    press(w, qtbot, "tool_line")
    drag(qtbot, w.grid.active_widget, (200.0, 150.0), (200.0, 190.0))
    les = w.session.reading.project.lesions[(*later, READER, "L1")]
    assert isinstance(les.observation(Role.CT_PORTAL), Measurement), w.status.text()
    assert portal_marks(baseline) == before, w.status.text()  # the baseline's mark as it was
    assert [m.lesion_id for m in portal_marks(later).values()] == ["L1"]
    assert w.session.reading.project.counts(*baseline, READER) == counts
