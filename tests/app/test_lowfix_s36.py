"""Session 36: low findings of the last radiologist's check and review, through the real main window."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from tests.app.conftest import press
from tests.app.test_reader_check_s35 import SAMPLE, READER, _activate, _fresh, _measure
from viewer.records import READING_ROLES, Role


def test_undo_shows_the_slice_of_the_line_it_takes_away(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A line undone on a series scrolled elsewhere changed nothing the reader could see: the cell of its
    series now shows its slice, and the message says where."""
    w = _fresh(qtbot, env, sample_index)
    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN001.json").read_text())
    _measure(w, qtbot, Role.CT_PORTAL, truth["lesions"][0])
    cell = READING_ROLES.index(Role.CT_PORTAL)
    model = w.reading.viewports[cell]
    drawn = model.index
    _activate(w, qtbot, cell)
    for _ in range(6):
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Down)
    assert model.index != drawn
    press(w, qtbot, "undo")
    pair = w.state.selection.pair
    assert pair is not None
    les = w.session.reading.project.lesions_of(*pair, READER)
    assert all(not x.measurements() for x in les), "the line is undone"
    assert model.index == drawn, (model.index, drawn)
    assert "shown on CT portal" in w.status.text(), w.status.text()

    for _ in range(4):  # elsewhere again, then the line redone: shown where it comes back
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Up)
    assert model.index != drawn
    press(w, qtbot, "redo")
    assert model.index == drawn
    assert "redone" in w.status.text() and "shown on CT portal" in w.status.text(), w.status.text()

    press(w, qtbot, "undo")  # already on its slice: the cell stays, the message is the undo's alone
    assert model.index == drawn and "shown on" not in w.status.text(), w.status.text()


def stepped_before_the_alignment(w, qtbot):  # type: ignore[no-untyped-def]
    """LLSYN001's 2024-03-12 CT portal beside its prior (P), its lesions carried (Shift+P) and ] pressed once the
    prior has loaded, before the registration comes: (current exam's viewport, prior's)."""
    from tests.app.test_followup_in_window import _open_exam

    _open_exam(w, qtbot, "2024-03-12")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    press(w, qtbot, "compare_prior")
    now_vp, prior_vp = w.reading.viewports[0], w.reading.viewports[1]
    qtbot.waitUntil(lambda: prior_vp.volume is not None and prior_vp.volume.loaded.all(), timeout=60000)
    assert "aligned" not in w.status.text(), "the registration came before ]: nothing to check"
    press(w, qtbot, "carry_lesions")
    w.state.selection.set_lesion(None)
    press(w, qtbot, "next_lesion")
    return now_vp, prior_vp


def test_a_lesion_stepped_to_before_the_alignment_brings_the_current_exam_once_aligned(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """] right after P and Shift+P, before the registration: only the prior's cell went to the lesion (the
    current exam's had no link yet), and stayed out of step once the alignment came (a radiologist's check).
    Now the current exam's cell goes to the lesion's linked level when the alignment comes."""
    from annotation.records import Measurement

    w = window
    now_vp, prior_vp = stepped_before_the_alignment(w, qtbot)
    lesion = w.state.selection.lesion_id
    baseline = w.session.reading.project.lesions[("LLSYN001", "E1", "sample", lesion)]
    want = baseline.observation(Role.CT_PORTAL)
    assert isinstance(want, Measurement) and prior_vp.index == want.slice_index
    before = now_vp.index
    qtbot.waitUntil(lambda: "prior exam aligned" in w.status.text(), timeout=120000)
    middle = prior_vp.geometry.index_to_patient(want.slice_index, *want.middle)
    mapped = w.reading.link.map_point(prior_vp, now_vp, middle)
    assert mapped is not None
    target = now_vp.geometry.nearest_slice(mapped)
    assert target != before, "the lesion's level is where the cell was: nothing to check"
    assert now_vp.index == target, (now_vp.index, target, before)
    assert prior_vp.index == want.slice_index  # the prior stays on its line
    press(w, qtbot, "compare_prior")  # back to the six cells for the next test of the module


def test_undoing_the_lobe_key_after_n_puts_the_next_lesions_lobe_back(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A review: N, Shift+L (the lesion just started and the next ones go left), Ctrl+Z: the lesion came back to the
    right lobe but the next lesions still went to the left. The lobe for new lesions follows the undo and the redo."""
    from annotation.vocab import Lobe

    w = _fresh(qtbot, env, sample_index)
    _activate(w, qtbot, READING_ROLES.index(Role.CT_PORTAL))
    press(w, qtbot, "new_lesion")
    pair, lid = w.state.selection.pair, w.state.selection.lesion_id
    assert pair is not None and lid is not None and w.state.selection.lobe is Lobe.RIGHT
    press(w, qtbot, "lobe_left")
    assert w.session.reading.project.lesions[(*pair, READER, lid)].lobe is Lobe.LEFT
    press(w, qtbot, "undo")
    assert w.session.reading.project.lesions[(*pair, READER, lid)].lobe is Lobe.RIGHT
    assert w.state.selection.lobe is Lobe.RIGHT and w.actions_by_id["lobe_right"].isChecked()
    press(w, qtbot, "redo")
    assert w.state.selection.lobe is Lobe.LEFT and w.actions_by_id["lobe_left"].isChecked()
    press(w, qtbot, "undo")
    press(w, qtbot, "new_lesion")  # the next lesion, in the lobe the toolbar says
    assert "(right lobe)" in w.status.text(), w.status.text()


def test_two_lines_far_apart_are_both_shown_from_checks(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A review: with a lesion's two lines far apart (which is the lesion's is not known), the Checks entry went to
    the first series of the two only. A click on it now shows the lesion on every series: both lines."""
    from annotation.checks import CheckCode
    from tests.app.conftest import drag

    w = _fresh(qtbot, env, sample_index)
    art, portal = READING_ROLES.index(Role.CT_ARTERIAL), READING_ROLES.index(Role.CT_PORTAL)
    _activate(w, qtbot, art)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    drag(qtbot, w.grid.viewports[art], (200.0, 150.0), (200.0, 190.0))
    _activate(w, qtbot, portal)
    for _ in range(8):  # another level (the CT cells are linked: both move)
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Up)
    drag(qtbot, w.grid.viewports[portal], (200.0, 350.0), (200.0, 390.0))
    panel = w.docks.checks_panel
    found = [i for i, x in enumerate(panel.warnings) if x.code is CheckCode.LINES_APART]
    assert len(found) == 1 and panel.warnings[found[0]].lesion_id == lid, [str(x) for x in panel.warnings]
    les = w.session.reading.project.lesions[(*w.state.selection.pair, READER, lid)]
    lines = les.measurements()
    for cell in (art, portal):  # both cells scrolled away from the lines
        _activate(w, qtbot, cell)
        for _ in range(5):
            qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Down)
    assert w.reading.viewports[art].index != lines[Role.CT_ARTERIAL].slice_index
    w.docks.checks_dock.show()
    w.docks.checks_dock.raise_()
    item = panel.list.item(found[0])
    rect = panel.list.visualItemRect(item)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.reading.viewports[art].index == lines[Role.CT_ARTERIAL].slice_index
    assert w.reading.viewports[portal].index == lines[Role.CT_PORTAL].slice_index


def test_z_says_the_zoom_the_cells_overlay_shows(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A radiologist's check: Z said "zoom 1.15 on 2 CT cells" while the cells' overlay said "Zoom 0.45x"."""
    w = _fresh(qtbot, env, sample_index)
    cell = READING_ROLES.index(Role.CT_PORTAL)
    _activate(w, qtbot, cell)
    model = w.reading.viewports[cell]
    model.set_zoom(model.zoom * 1.3)
    press(w, qtbot, "zoom_modality")
    t = w.grid.viewports[cell].transform()
    assert t is not None
    shown = f"{t.px_per_mm * model.geometry.column_spacing_mm:.2f}x"
    assert w.status.text().startswith(f"zoom {shown} on 2 CT cells"), (w.status.text(), shown)


def test_n_goes_back_to_the_series_the_last_lesion_started_on(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A radiologist reading CT portal alone: each line moved the view on to T2 FS, and every next lesion needed
    Shift+Tab or a click back. N now goes back to the series the last lesion's first line was drawn on when the app
    moved the view (not when the reader chose another cell)."""
    w = _fresh(qtbot, env, sample_index)
    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN001.json").read_text())
    portal, t1 = READING_ROLES.index(Role.CT_PORTAL), READING_ROLES.index(Role.MR_T1_ARTERIAL)
    _measure(w, qtbot, Role.CT_PORTAL, truth["lesions"][0])
    assert w.reading.layout.active != portal, "the line moved the view on"
    press(w, qtbot, "new_lesion")
    assert w.reading.layout.active == portal, w.status.text()
    assert "back on CT portal" in w.status.text(), w.status.text()
    # the reader's own choice of cell stays
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, t1)
    press(w, qtbot, "new_lesion")
    assert w.reading.layout.active == t1 and "back on" not in w.status.text(), w.status.text()


def test_an_unconfirmed_best_response_says_so(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A radiologist's check: Best read "PR" for the sample's course (PR on 2023-10-17, then PD), though no later exam
    confirms that PR (the live course asks for no confirmation): it now reads "PR*", the cell and header say why."""
    from annotation.qt.followup_responses import RESPONSE_HEADERS
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_radread_s36 import _followup_window

    w = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    w.docks.followup_dock.raise_()  # the panel is drawn when its tab is in view (a hidden one waits)
    t = w.docks.followup_panel.responses
    best = RESPONSE_HEADERS.index("Best")
    rows = {t.item(r, 0).text()[:10]: t.item(r, best) for r in range(t.rowCount())}
    live = {x.timepoint_date.isoformat(): x for x in w.docks.followup_panel.live.responses}
    assert live["2023-10-17"].best_overall_response is not None
    assert live["2023-10-17"].best_overall_response != live["2023-10-17"].best_overall_response_confirmed
    assert rows["2023-10-17"].text() == "PR*", rows["2023-10-17"].text()
    assert "PR unconfirmed" in rows["2023-10-17"].toolTip()
    assert "unconfirmed" in t.horizontalHeaderItem(best).toolTip()
