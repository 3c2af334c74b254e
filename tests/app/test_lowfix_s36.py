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


def test_a_lesion_stepped_to_before_the_alignment_brings_the_current_exam_once_aligned(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """] right after P and Shift+P, before the registration: only the prior's cell went to the lesion (the
    current exam's had no link yet), and stayed out of step once the alignment came (a radiologist's check).
    Now the current exam's cell goes to the lesion's linked level when the alignment comes."""
    from annotation.records import Measurement
    from tests.app.test_followup_in_window import _open_exam

    w = window
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
