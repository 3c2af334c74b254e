"""Session 38's reading check (a radiologist reading LLSYN002 with many undos and redos), its defects through the real
main window."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from tests.app.conftest import drag, grid_texts, make_window, open_pair, press
from viewer.records import READING_ROLES, Role

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"


def test_a_redo_of_the_exams_first_edit_shows_the_read_again(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """N, a line, then Ctrl+Z three times (the line, the lesion, the exam pair's record made by the first edit) and
    Ctrl+Y three times: the lesion and its line were back in the project (on the images, in measurements.csv), but
    the lesion grid stayed empty and Checks said "nothing recorded on this exam yet": the undo had dropped the pair
    from the panels and the redo never brought it back. The grid, Counts and Checks show the exam's read again."""
    w = make_window(qtbot, env, reader="Dr Rad")
    store = env / "work" / "read.lesionlab"
    store.parent.mkdir()
    assert w.store_flow.open_store(store)
    open_pair(w, qtbot, SAMPLE, sample_index, "LLSYN002")
    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN002.json").read_text())
    lesion = next(les for les in truth["lesions"] if les["id"] == "L05")
    cell = READING_ROLES.index(Role.CT_PORTAL)
    model = w.reading.viewports[cell]
    k = lesion["series"]["ct_portal"]["slice_index"]
    w.reading.activate(cell)
    model.set_index(k)
    row, col = model.geometry.pixel_on_slice(lesion["centre_mm"]["ct"], k)
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.viewports[cell], (row, col - 10), (row, col + 10))
    measured = grid_texts(w)
    assert list(measured) == ["L1"] and measured["L1"][cell], measured
    for _ in range(3):
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.status.text() == "undone: read exam pair E1 of LLSYN002", w.status.text()
    assert grid_texts(w) == {}
    for _ in range(3):
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert w.status.text().startswith("redone: L1 on CT portal"), w.status.text()
    assert grid_texts(w) == measured  # it stayed empty
    counts = w.docks.counts_panel.table
    assert counts.item(cell, 2).text() == "1"  # the line's count mark, pre-placed
    checks = w.docks.checks_panel.list
    said = [checks.item(i).text() for i in range(checks.count())]
    assert "nothing recorded on this exam yet" not in said, said
    press(w, qtbot, "tool_line")  # and the next edit goes on the same read: the lesion is the current one
    assert w.state.selection.lesion_id == "L1"
