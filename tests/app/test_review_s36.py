"""Session 36 review of the lead's changes: defects found, through the real main window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.app.conftest import press
from viewer.records import Role


def test_the_ct_mri_alignment_coming_first_does_not_drop_the_prior_link_pending(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """] in the follow-up compare layout before the prior's registration: the current exam's cell is to go to the
    lesion's linked level once the prior's alignment comes. The exam's own CT/MRI registration (started when the
    exam loaded) may come first: its show_pending_link found no link for the compare cell and dropped what was
    pending, so the prior's alignment moved nothing (the cells out of step, the bug 013ccd1 fixed)."""
    import app.reading_commands as cmd
    from annotation.records import Measurement
    from tests.app.test_lowfix_s36 import stepped_before_the_alignment

    w = window
    now_vp, prior_vp = stepped_before_the_alignment(w, qtbot)
    assert w.state.pending_link is not None, "nothing pending: nothing to check"
    cmd.show_pending_link(w.state)  # what MainWindow._aligned does when the exam's CT/MRI alignment comes first
    lesion = w.state.selection.lesion_id
    want = w.session.reading.project.lesions[("LLSYN001", "E1", "sample", lesion)].observation(Role.CT_PORTAL)
    assert isinstance(want, Measurement)
    before = now_vp.index
    qtbot.waitUntil(lambda: "prior exam aligned" in w.status.text(), timeout=120000)
    mapped = w.reading.link.map_point(prior_vp, now_vp, prior_vp.geometry.index_to_patient(want.slice_index, *want.middle))
    assert mapped is not None
    target = now_vp.geometry.nearest_slice(mapped)
    assert target != before, "the lesion's level is where the cell was: nothing to check"
    assert now_vp.index == target, (now_vp.index, target, before)
    press(w, qtbot, "compare_prior")


def _draw_on_active(w, qtbot, lesion: dict, role: Role) -> None:  # type: ignore[no-untyped-def,type-arg]
    """The lesion's longest diameter on the active cell (showing ``role``), scrolled to with the arrow keys."""
    from tests.app.conftest import drag

    cell = w.reading.layout.active
    vp, model = w.grid.viewports[cell], w.reading.viewports[cell]
    k, _, diameter_mm = max(lesion["series"][role.value]["diameters_by_slice"], key=lambda row: row[2])
    while model.index != k:
        up = (model.index < k) != (model.geometry.positions_mm[-1][2] < model.geometry.positions_mm[0][2])
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Up if up else Qt.Key.Key_Down)
    r, c = model.geometry.pixel_on_slice(lesion["centre_mm"]["ct" if role.value.startswith("ct") else "mr"], k)
    half = diameter_mm / 2 / model.geometry.pixel_spacing_mm[1]
    drag(qtbot, vp, (r, c - half), (r, c + half))


def test_n_goes_back_to_where_the_last_lesion_started_when_its_first_status_was_v(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """N on CT portal, V there (not visible), its first line on T2 FS: the app moved on to DWI, and the next N went
    "back on T2 FS, where the last lesion started" - the last lesion started on CT portal, where the reader starts
    every lesion. The series a lesion starts on is the one N was pressed on."""
    import json

    from tests.app.test_reader_check_s35 import SAMPLE, _activate, _fresh
    from viewer.records import READING_ROLES

    w = _fresh(qtbot, env, sample_index)
    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN001.json").read_text())
    portal, t2 = READING_ROLES.index(Role.CT_PORTAL), READING_ROLES.index(Role.MR_T2FS)
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, portal)
    press(w, qtbot, "new_lesion")
    press(w, qtbot, "not_visible")
    assert w.reading.layout.active == t2, w.status.text()
    _draw_on_active(w, qtbot, truth["lesions"][0], Role.MR_T2FS)
    assert w.reading.layout.active != t2, "the line moved the view on"
    press(w, qtbot, "new_lesion")
    assert w.reading.layout.active == portal, w.status.text()
    assert "back on CT portal" in w.status.text(), w.status.text()


def test_the_counts_button_label_leaves_the_laptop_images_their_width(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """'Counted as marked (key 0)' (7aaf8b2) widened the Counts panel's narrowest width from 384 to 454 px
    (Xvfb, the DejaVu font): at 1366 x 768 with Counts shown, the six cells could not get wider than 906 px
    (976 before; 972 with 'Counted (key 0)'). The key stays named as a key, the label about as long as before."""
    from PySide6.QtWidgets import QPushButton

    from tests.app.test_reader_check_s35 import _fresh

    w = _fresh(qtbot, env, sample_index)
    button = next(b for b in w.docks.counts_panel.findChildren(QPushButton) if b.text().startswith("Counted"))
    assert "key 0" in button.text()
    before = QPushButton("Counted (0)").sizeHint().width()
    assert button.sizeHint().width() - before <= 30, (button.text(), button.sizeHint().width(), before)


def test_undo_does_not_say_shown_on_a_series_off_screen(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """With one cell maximised (M, as on a laptop) on T2 FS, Ctrl+Z of a CT portal line said "— shown on CT portal,
    Im 14/35": the CT portal cell had moved, off screen, and the reader saw nothing change. It said where the line
    is and that its cell is not on screen; since session 47 (a reader undid another series' line there and saw
    nothing) the maximised cell shows the step's series, as Tab would, and says so truly."""
    import json

    from tests.app.test_reader_check_s35 import READER, SAMPLE, _activate, _fresh, _measure
    from viewer.records import READING_ROLES

    w = _fresh(qtbot, env, sample_index)
    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN001.json").read_text())
    _measure(w, qtbot, Role.CT_PORTAL, truth["lesions"][0])
    portal, t2 = READING_ROLES.index(Role.CT_PORTAL), READING_ROLES.index(Role.MR_T2FS)
    model = w.reading.viewports[portal]
    drawn = model.index
    _activate(w, qtbot, portal)
    for _ in range(6):
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Down)
    assert model.index != drawn
    _activate(w, qtbot, t2)
    press(w, qtbot, "maximise")
    assert w.reading.layout.maximised == t2
    press(w, qtbot, "undo")
    les = w.session.reading.project.lesions_of(*w.state.selection.pair, READER)
    assert all(not x.measurements() for x in les), "the line is undone"
    assert w.reading.layout.maximised == portal, "the step's series is shown in the maximised cell"
    assert model.index == drawn and "shown on CT portal" in w.status.text(), w.status.text()
    assert "not on screen" not in w.status.text(), w.status.text()


def test_redo_of_a_lesion_grid_lobe_choice_leaves_the_next_lesions_lobe(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """N (L1, right lobe), L1's lobe set to left in the Lesions grid (the next lesions' lobe stays right: the
    toolbar says right), Ctrl+Z, Ctrl+Y: the redo set the next lesions' lobe to left, which the edit itself never
    did; the next N went to the left lobe. Only the lobe key after N moves the next lesions' lobe."""
    from annotation.vocab import Lobe
    from tests.app.test_reader_check_s35 import _activate, _fresh
    from viewer.records import READING_ROLES

    w = _fresh(qtbot, env, sample_index)
    _activate(w, qtbot, READING_ROLES.index(Role.CT_PORTAL))
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    assert lid is not None and w.state.selection.lobe is Lobe.RIGHT
    w.docks.lesion_panel._edit(lid, lobe="left")  # the grid's lobe combo box
    assert w.state.selection.lobe is Lobe.RIGHT, "the grid's choice is the lesion's alone"
    press(w, qtbot, "undo")
    press(w, qtbot, "redo")
    assert w.state.selection.lobe is Lobe.RIGHT and w.actions_by_id["lobe_right"].isChecked()


def test_n_goes_back_after_a_lesion_started_with_a_kept_suggested_line(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A one-click reader: N on T2 FS, the suggested line kept with Enter (a suggested line moves nothing on: the
    gestures do not report it as drawn), the app on to the next series. The lesion's start on T2 FS was not noted,
    so the next N stayed where the app had moved (or went back to an older lesion's series)."""
    from annotation.records import Measurement
    from annotation.vocab import MeasurementMethod
    from tests.app.test_reader_check_s35 import _activate, _fresh
    from viewer.records import READING_ROLES

    w = _fresh(qtbot, env, sample_index)
    t2 = READING_ROLES.index(Role.MR_T2FS)
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, t2)
    press(w, qtbot, "new_lesion")
    pair, lid, model = w.state.selection.pair, w.state.selection.lesion_id, w.reading.viewports[t2]
    m = Measurement.from_geometry(model.geometry, model.key, model.volume.stack.series_instance_uid, model.index,
                                  (100.0, 100.0), (100.0, 120.0), method=MeasurementMethod.SUGGESTED)
    w.session.reading.set_observation(pair, lid, Role.MR_T2FS, m)  # what a kept one-click suggestion records
    press(w, qtbot, "go_on")  # Enter keeps it and goes on
    assert w.reading.layout.active != t2, w.status.text()
    press(w, qtbot, "new_lesion")
    assert w.reading.layout.active == t2, w.status.text()
    assert "back on T2 FS" in w.status.text(), w.status.text()
