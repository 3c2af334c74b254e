"""Session 34's reading checks through the real main window (QTest events): a lesion counted twice while scrolling
through it (no line drawn yet) is said at once and listed in Checks, whose click picks the mark and shows its slice
for Del; undoing the exam on screen's own record and its patient's is never "another exam pair"."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from annotation.checks import CheckCode
from tests.app.conftest import press
from tests.app.test_reader_check_s31 import (_activate, _centre, _click, _count_at_centre, _l07, _right, _to_slice,
                                             _window)
from viewer.records import Role


def test_a_lesion_counted_on_the_next_slice_again_is_said_listed_and_deleted(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                             sample_index) -> None:
    w = _window(qtbot, env, sample_index)
    les = _l07()  # 38 mm: on many slices
    vp = _count_at_centre(w, qtbot, les, 14)
    assert "counted twice" not in w.status.text()
    _to_slice(w, qtbot, 15)
    r, c = _centre(w, Role.CT_ARTERIAL, les)
    _click(qtbot, vp, (r + 3, c - 2))  # a few pixels off the first click's point, the next slice
    assert _right(w, Role.CT_ARTERIAL) == 2  # counted: two lesions may lie there; the reader decides
    status = w.status.text()
    assert "a count mark " in status and "mm from here on Im" in status and "the same lesion counted twice?" in status

    panel = w.docks.checks_panel
    assert panel is not None
    twice = [i for i, x in enumerate(panel.warnings) if x.code is CheckCode.COUNTED_TWICE]
    assert len(twice) == 1, [x.message for x in panel.warnings]
    assert "on CT arterial, two count marks" in panel.warnings[twice[0]].message
    _to_slice(w, qtbot, 10)  # the reader has scrolled on
    w.docks.checks_dock.show()
    w.docks.checks_dock.raise_()
    qtbot.waitUntil(lambda: panel.list.isVisible())
    item = panel.list.item(twice[0])
    rect = panel.list.visualItemRect(item)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    target = next(m for m in w.session.reading.project.count_marks.values() if m.mark_id == panel.warnings[twice[0]].mark_id)
    assert w.state.selection.picked is not None and w.state.selection.picked.mark_id == target.mark_id
    assert w.reading.active.index == target.slice_index == 14  # the lower slice's mark, shown
    assert "shown: the count mark on CT arterial" in w.status.text()
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Delete)
    assert _right(w, Role.CT_ARTERIAL) == 1
    assert not [x for x in panel.warnings if x.code is CheckCode.COUNTED_TWICE]


def test_undoing_the_exam_on_screen_and_its_patients_record_never_says_another_exam_pair(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                                        sample_index) -> None:
    """A radiologist's check: a click in the air with the line tool records the exam (its first edit), Ki-67 typed in
    the clinical record; Ctrl+Z said "undone: read exam pair E1 … (on LLSYN001 E1, not the exam pair on screen)" with
    E1 on screen, then asked twice for the patient's own Ki-67 as "another exam pair"."""
    from tests.app.test_reader_check_s31 import _window as fresh

    w = fresh(qtbot, env, sample_index)
    w.state.prepare()  # what a press with a reading tool does first: the exam's record, one undo step
    key = w.state.selection.pair
    assert key is not None
    w.session.reading.edit_patient(key[0], ki67_percent=12.0)
    press(w, qtbot, "undo")
    assert w.status.text() == f"undone: edit patient {key[0]}: Ki-67", w.status.text()
    press(w, qtbot, "undo")
    assert w.status.text() == f"undone: read exam pair {key[1]} of {key[0]}", w.status.text()
    assert key not in w.session.reading.project.exam_pairs
    press(w, qtbot, "redo")
    assert w.status.text() == f"redone: read exam pair {key[1]} of {key[0]}", w.status.text()


def test_v_on_a_series_where_the_lesion_took_over_a_count_click_says_the_click_stays_counted(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                                             sample_index) -> None:
    """A radiologist's check: L1 counted, then measured (the count click became its mark), then V there: the series'
    count stayed, unsaid, with the lesion not visible. The click is the reader's and stays counted; V says so."""
    from tests.app.conftest import drag
    from tests.app.test_reader_check_s31 import _truth_line

    w = _window(qtbot, env, sample_index)
    les = _l07()
    vp = _count_at_centre(w, qtbot, les, 15)
    press(w, qtbot, "new_lesion")
    drag(qtbot, vp, *_truth_line(w, Role.CT_ARTERIAL, les, 15))
    assert _right(w, Role.CT_ARTERIAL) == 1
    _activate(w, qtbot, Role.CT_ARTERIAL)
    press(w, qtbot, "not_visible")
    assert _right(w, Role.CT_ARTERIAL) == 1
    n = w.reading.viewports[0].n_slices
    assert f"the count click made on it (Im {n - 15}) stays counted in the right lobe: Del it there" in w.status.text(), \
        w.status.text()


def test_h_hides_the_marks_and_lines_to_look_under_them_and_an_edit_shows_them(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                               sample_index) -> None:
    """A radiologist's check: a count mark's cross and letter sat on a small lesion while it was measured, and O (the
    overlays) did not hide them. H hides marks, lines and boundary in every cell, said there; the next edit (a count
    click on a mark no one sees would pick it) shows them again."""
    w = _window(qtbot, env, sample_index)
    les = _l07()
    press(w, qtbot, "tool_count")
    vp = _activate(w, qtbot, Role.CT_ARTERIAL)
    _to_slice(w, qtbot, 14)
    at = _centre(w, Role.CT_ARTERIAL, les)
    _click(qtbot, vp, at)
    shown = vp.grab().toImage()
    press(w, qtbot, "toggle_annotations")
    assert "hidden: H shows them" in w.status.text()
    assert all(not v.show_layers for v in w.grid.viewports)
    hidden = vp.grab().toImage()
    x, y = (round(v) for v in vp.transform().image_to_widget(*at))
    # the mark's ticks, 4-9 px left of the point, drawn; not with H
    assert any(shown.pixelColor(x - dx, y) != hidden.pixelColor(x - dx, y) for dx in range(4, 10))
    press(w, qtbot, "toggle_annotations")
    assert all(v.show_layers for v in w.grid.viewports) and "shown" in w.status.text()
    press(w, qtbot, "toggle_annotations")
    _to_slice(w, qtbot, 30)
    _click(qtbot, vp, (at[0] + 60, at[1] + 60))  # an edit: they come back with it
    assert all(v.show_layers for v in w.grid.viewports)


def test_redo_of_another_exams_record_is_said_to_be_elsewhere(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A review: E1 read on LLSYN001's pair, then another exam of LLSYN001 on screen (no record of its own); E1's two
    steps undone (each asked twice: another exam pair), then one Ctrl+Y redid E1's record at once, unasked: any exam
    of the patient missing from the project was taken for the screen's."""
    from app.browser import PAYLOAD
    from tests.app.conftest import make_window, open_pair
    from tests.app.test_reader_check_s31 import SAMPLE

    w = make_window(qtbot, env, reader="rv")
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store)
    open_pair(w, qtbot, SAMPLE, sample_index, "LLSYN001")
    first = w.state.pair
    assert w.state.prepare() is None
    key = w.state.selection.pair
    w.session.reading.add_lesion(key, "right")
    other = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                 and i.data(0, PAYLOAD) != first)
    w.browser.itemActivated.emit(other, 0)
    qtbot.waitUntil(lambda: w.state.pair is not None and w.state.pair != first, timeout=60000)
    assert w.state.selection.pair is None
    for _ in range(4):  # two steps, each asked first
        press(w, qtbot, "undo")
    assert key not in w.session.reading.project.exam_pairs
    press(w, qtbot, "redo")
    assert key not in w.session.reading.project.exam_pairs, w.status.text()
    assert "redo would change another exam pair" in w.status.text(), w.status.text()
    press(w, qtbot, "redo")
    assert key in w.session.reading.project.exam_pairs


def test_keeping_the_current_project_over_a_folders_is_not_asked_at_every_start(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                                sample_dicom: Path, sample_index) -> None:
    """A radiologist's check: "sample_dicom holds reading.lesionlab: open it instead?" came back at every start after
    "Keep the current one". Kept once, it is said, not asked, the next times."""
    import shutil

    from tests.app.conftest import make_window, open_pair

    store = env / "work" / "mine.lesionlab"
    store.parent.mkdir(exist_ok=True)
    shutil.copy(sample_dicom / "reading.lesionlab", store)
    for start in range(2):
        w = make_window(qtbot, env)
        assert w.store_flow.open_store(store)
        open_pair(w, qtbot, sample_dicom, sample_index)
        assert w.session.path == store
        assert len(w.questions) == (1 if start == 0 else 0), w.questions
        w.close()
    assert str((sample_dicom / "reading.lesionlab").resolve()) in w.store_flow.not_offered.paths
