"""Session 35's reading check (a radiologist under Xvfb), its defects through the real main window with QTest
events: a portal-only follow-up CT read with P and Shift+P was asked for its arterial phase."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from annotation.checks import check_pair
from annotation.tables import count_rows
from app.main_window import MainWindow
from tests.app.conftest import drag, make_window, open_pair, press
from tests.app.test_followup_in_window import _open_exam
from viewer.records import READING_ROLES, Role

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"
READER = "Dr Check"


def _fresh(qtbot, env: Path, sample_index) -> MainWindow:  # type: ignore[no-untyped-def]
    """A window on a fresh project, LLSYN001's CT + MRI pair open."""
    w = make_window(qtbot, env, reader=READER)
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store) and not w.session.read_only
    open_pair(w, qtbot, SAMPLE, sample_index)
    return w


def _activate(w: MainWindow, qtbot, cell: int):  # type: ignore[no-untyped-def]
    """A click on the cell's air with the window/level tool (as a reader makes a cell active)."""
    vp = w.grid.viewports[cell]
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(8, vp.height() // 2))
    assert w.reading.layout.active == cell
    return vp


def _measure(w: MainWindow, qtbot, role: Role, lesion: dict) -> None:  # type: ignore[type-arg]
    """N, then the lesion's longest diameter on ``role`` dragged on its largest slice."""
    cell = READING_ROLES.index(role)
    press(w, qtbot, "tool_window")
    vp = _activate(w, qtbot, cell)
    press(w, qtbot, "new_lesion")
    entry = lesion["series"][role.value]
    k, _, diameter_mm = max(entry["diameters_by_slice"], key=lambda row: row[2])
    model = w.reading.viewports[cell]
    while model.index != k:  # the arrow keys, as a reader scrolls
        up = (model.index < k) != (model.geometry.positions_mm[-1][2] < model.geometry.positions_mm[0][2])
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Up if up else Qt.Key.Key_Down)
    r, c = model.geometry.pixel_on_slice(lesion["centre_mm"]["ct"], k)
    half = diameter_mm / 2 / model.geometry.pixel_spacing_mm[1]
    drag(qtbot, vp, (r, c - half), (r, c + half))


def test_a_portal_only_follow_up_read_with_p_is_asked_for_its_portal_phase_only(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                              sample_index) -> None:
    """The exam's first edit (Shift+P) was made with P's layout on screen, where the current series hangs in the
    CT arterial cell: its series roles were taken from the cells' roles, not from the stacks', so the CT of
    2023-10-17 (portal only) was recorded as holding CT arterial, which Checks and counts.csv then asked for."""
    w = _fresh(qtbot, env, sample_index)
    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN001.json").read_text())
    for lesion in truth["lesions"][:2]:
        _measure(w, qtbot, Role.CT_PORTAL, lesion)
    baseline = w.state.selection.pair
    assert baseline is not None and len(w.session.reading.project.lesions_of(*baseline, READER)) == 2, w.status.text()

    _open_exam(w, qtbot, "2023-10-17")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None)
    _activate(w, qtbot, portal)
    press(w, qtbot, "compare_prior")
    prior = w.reading.viewports[1]
    qtbot.waitUntil(lambda: prior.volume is not None and prior.volume.loaded.all(), timeout=60000)
    press(w, qtbot, "carry_lesions")
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_0)  # CT portal counted (no mark)

    key = w.state.selection.pair
    assert key is not None and key != baseline
    project = w.session.reading.project
    assert project.exam_pairs[key].series_roles == (Role.CT_PORTAL,)
    said = [x.message for x in check_pair(project, *key, READER)]
    assert not [m for m in said if "CT arterial" in m], said
    rows = {r["series_role"] for r in count_rows(project) if (r["patient_id"], r["exam_pair_id"]) == key}
    assert rows == {"ct_portal"}, rows


def test_a_portal_only_exam_recorded_with_ct_arterial_by_p_is_mended_at_its_next_edit(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                                    sample_index) -> None:
    """A project written before the fix holds the portal-only CT of 2023-10-17 (F2) as holding CT arterial: its next
    edit in the window takes the role its images do not hold away, since nothing is recorded on it."""
    import shutil
    import sqlite3

    store = env / "work" / "followup.lesionlab"
    store.parent.mkdir()
    shutil.copy(SAMPLE / "followup.lesionlab", store)
    con = sqlite3.connect(store, isolation_level=None)  # as the window recorded it with P's layout on screen
    con.execute("UPDATE exam_pairs SET series_roles = 'ct_arterial' WHERE exam_pair_id = 'F2'")
    con.close()
    w = make_window(qtbot, env, reader="sample")
    assert w.store_flow.open_store(store)
    w.show_index(str(SAMPLE), sample_index)
    _open_exam(w, qtbot, "2023-10-17")
    assert w.session.reading.project.exam_pairs[("LLSYN001", "F2")].series_roles == (Role.CT_ARTERIAL,)
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None)
    _activate(w, qtbot, portal)
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_0)
    assert w.state.selection.pair == ("LLSYN001", "F2")
    assert w.session.reading.project.exam_pairs[("LLSYN001", "F2")].series_roles == (Role.CT_PORTAL,)
    said = [x.message for x in check_pair(w.session.reading.project, "LLSYN001", "F2", "sample")]
    assert not [m for m in said if "CT arterial" in m], said


def test_a_reading_key_typed_into_the_reader_name_question_is_not_taken_as_the_name(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                                     monkeypatch, sample_index) -> None:
    """The name is asked as the first exam opens; a reader who pressed N (new lesion) then Enter replaced the login
    name proposed with "n" and confirmed it: every edit went under "n". A one-letter name is refused, said, and
    asked again (with the login name proposed again)."""
    from app.reading_settings import ReaderName
    from tests.app.conftest import typed_text_questions

    # what the reader types, per question
    asked = typed_text_questions(monkeypatch, qtbot, [[Qt.Key.Key_N, Qt.Key.Key_Return], ["Dr Q", Qt.Key.Key_Return]])

    w = make_window(qtbot, env, reader=None)
    open_pair(w, qtbot, env / "no-store-here", sample_index, "LLSYN003")  # the question as the exam opens
    labels, defaults = [a for a, _ in asked], [d for _, d in asked]
    assert len(labels) == 2, labels
    assert "\u201cn\u201d is not taken as a reader's name" in labels[1] and "two letters or more" in labels[1]
    assert defaults[1] == defaults[0] == ReaderName.guess()  # the login name proposed again, not "n"
    assert ReaderName(env / "reader.json").name == "Dr Q" and w.session.reading.reader == "Dr Q"
    w.activateWindow()  # the window manager's part (the offscreen platform leaves the closed dialog active)
    qtbot.waitUntil(w.isActiveWindow)
    press(w, qtbot, "new_lesion")
    assert [les.reader for les in w.session.reading.project.lesions.values()] == ["Dr Q"], w.status.text()


def test_a_reader_name_of_one_letter_is_refused() -> None:
    from app.reading_settings import reader_name_problem

    assert reader_name_problem("n") and reader_name_problem(" 7 ") and reader_name_problem("")
    assert not reader_name_problem("JD") and not reader_name_problem("Dr Q") and not reader_name_problem("R2@MRI")


def test_redo_makes_the_lesion_it_brings_back_current(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """N and a line, Ctrl+Z twice (the line, then the lesion), Ctrl+Y twice: everything came back, but the next key
    said "no current lesion"; the lesion a redo brings back (or edits) is the current one."""
    w = window
    vp = w.grid.active_widget
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    assert lid is not None
    geo = vp.model.geometry
    drag(qtbot, vp, (geo.rows / 2 - 10, geo.columns / 2), (geo.rows / 2 + 10, geo.columns / 2))
    key = (*w.state.selection.pair, w.session.reading.reader, lid)
    drawn = w.session.reading.project.lesions[key]
    for _ in range(2):
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert key not in w.session.reading.project.lesions and w.state.selection.lesion_id is None
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert w.state.selection.lesion_id == lid  # the lesion back, current
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert w.session.reading.project.lesions[key] == drawn and w.state.selection.lesion_id == lid
    press(w, qtbot, "not_visible")
    assert "no current lesion" not in w.status.text(), w.status.text()
    assert w.session.reading.project.lesions[key].observations != drawn.observations, w.status.text()


def _pixels(widget):  # type: ignore[no-untyped-def]
    import numpy as np

    img = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB32)
    return np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)[:, :img.width(), :3].copy()


def test_the_hidden_marks_notice_overlaps_none_of_the_cells_text(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """H hides marks and lines and says so in the cell; the notice was drawn over the readout of the pixel under the
    pointer (its value and position in mm, bottom left). Told apart by rendering: the notice's pixels (with and
    without it) and the overlays' (O on and off) share no part of the notice's box."""
    import numpy as np

    from viewer.qt.viewport import ViewportWidget

    w = window
    vp = w.grid.active_widget
    press(w, qtbot, "toggle_annotations")
    assert not vp.show_layers
    geo = vp.model.geometry
    x, y = vp.transform().image_to_widget(geo.rows * 0.55, geo.columns * 0.5)  # in the body: a value and mm read out
    qtbot.mouseMove(vp, QPoint(round(x), round(y)))
    qtbot.waitUntil(lambda: vp.overlays.hover_text(vp.view_context(), vp._hover) != "")
    painted = ViewportWidget._paint_hidden
    monkeypatch.setattr(ViewportWidget, "_paint_hidden", lambda self, p: None)
    overlays_on = _pixels(vp)
    vp.show_overlays = False
    bare = _pixels(vp)
    monkeypatch.setattr(ViewportWidget, "_paint_hidden", painted)
    notice_only = _pixels(vp)
    vp.show_overlays = True

    notice = np.argwhere((notice_only != bare).any(axis=2))
    assert len(notice), "the notice is drawn"
    (top, left), (bottom, right) = notice.min(axis=0) - 2, notice.max(axis=0) + 3
    overlay = (overlays_on != bare).any(axis=2)
    assert overlay.any(), "the overlays are drawn"
    hit = np.argwhere(overlay[max(top, 0):bottom, max(left, 0):right])
    assert not len(hit), f"the notice's box {(top, left, bottom, right)} holds overlay text at {hit[:5].tolist()}"


def test_esc_in_the_middle_of_a_line_drag_says_the_line_is_dropped(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Esc pressed while a line is dragged drops it, as it did, and now says so (it said nothing: a radiologist's
    check took the silence for a line kept)."""
    w = window
    vp = w.grid.active_widget
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    before = w.session.reading.project
    geo = vp.model.geometry
    t = vp.transform()
    a, b = t.image_to_widget(geo.rows / 2 - 10, geo.columns / 2), t.image_to_widget(geo.rows / 2 + 10, geo.columns / 2)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(a[0]), round(a[1])))
    qtbot.mouseMove(vp, QPoint(round(b[0]), round(b[1])))
    qtbot.keyClick(vp, Qt.Key.Key_Escape)
    assert w.status.text() == "line dropped (Esc)"
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(b[0]), round(b[1])))
    assert w.session.reading.project == before and w.state.selection.lesion_id == lid
    assert w.status.text() == "line dropped (Esc)"
