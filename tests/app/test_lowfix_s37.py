"""Session 37: low findings left by session 36's review and radiologist, through the real main window."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from tests.app.conftest import press
from tests.app.test_reader_check_s35 import SAMPLE, _fresh, _measure
from viewer.records import READING_ROLES, Role


def test_n_stays_where_the_reader_scrolled_after_the_app_moved_on(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A review: N went back to the series the last lesion started on even when the reader had scrolled the cell
    the app moved to -- looking there for the next lesion. Scrolled, the cell is the reader's choice: N stays."""
    w = _fresh(qtbot, env, sample_index)
    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN001.json").read_text())
    portal = READING_ROLES.index(Role.CT_PORTAL)
    _measure(w, qtbot, Role.CT_PORTAL, truth["lesions"][0])
    moved = w.reading.layout.active
    assert moved != portal, "the line moved the view on"
    for _ in range(3):
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Down)
    press(w, qtbot, "new_lesion")
    assert w.reading.layout.active == moved and "back on" not in w.status.text(), w.status.text()


def test_an_empty_lesion_shown_says_what_to_do_not_on_0_series(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A review: a click on an empty lesion's Checks entry said "L1 on 0 series"."""
    from tests.app.test_reader_check_s35 import _activate

    w = _fresh(qtbot, env, sample_index)
    _activate(w, qtbot, READING_ROLES.index(Role.CT_PORTAL))
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    press(w, qtbot, "new_lesion")  # the current lesion's own emptiness is not a warning yet
    panel = w.docks.checks_panel
    found = [i for i, x in enumerate(panel.warnings) if x.lesion_id == lid]
    assert found, [str(x) for x in panel.warnings]
    w.docks.checks_dock.show()
    w.docks.checks_dock.raise_()
    rect = panel.list.visualItemRect(panel.list.item(found[0]))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.status.text().startswith(f"{lid} has nothing recorded yet: draw its diameter"), w.status.text()


def test_a_cell_waiting_for_its_stack_says_loading_and_a_failed_one_says_why(qtbot, env: Path, sample_index,
                                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A radiologist's check: Shift+D (DWI b800 and ADC side by side) showed the ADC cell "not in this pair: drop a
    stack here" until its map had loaded. A cell with a stack hung says "loading…", and a stack that cannot be
    loaded says so there (it said "not in this pair" for good)."""
    w = _fresh(qtbot, env, sample_index)
    said: list[str] = []
    for i, vp in enumerate(w.reading.viewports):
        vp.volume_changed.connect(lambda i=i: said.append(w.grid.viewports[i].empty_text())
                                  if w.reading.viewports[i].volume is None else None)
    press(w, qtbot, "dwi_adc_side_by_side")
    hung = [i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None]
    assert hung and not any("not in this pair" in t for t in said), said
    cell = hung[-1]
    widget, key = w.grid.viewports[cell], w.reading.hanging.cells[cell].stack.key
    assert widget.stack_hung()
    assert widget.empty_text().endswith("loading…")
    errors: list[str] = []
    monkeypatch.setattr(w, "show_error", errors.append)  # its dialog, modal
    w.loads.failed.emit(key, "IM0003: cannot decode")  # what the loader says of a broken stack
    assert errors and "IM0003" in errors[0]
    assert widget.empty_text().endswith("cannot load: IM0003: cannot decode"), widget.empty_text()
    press(w, qtbot, "dwi_adc_side_by_side")  # back to the six cells: another hanging, nothing failed there
    assert not any(v.load_error for v in w.grid.viewports if not v.stack_hung())


def test_the_bottom_orientation_label_clears_the_bottom_corners(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A radiologist at 1366x768: the bottom edge's "P" touched the position line in the narrow cells. There it now
    stands above the bottom corners' two lines (slice, position)."""
    from viewer.qt.overlay import MARGIN

    w = _fresh(qtbot, env, sample_index)
    w.resize(1366, 768)
    qtbot.wait(50)
    shown = [v for v in w.grid.viewports if v.model.volume is not None and v.isVisible()]
    assert shown
    for v in shown:
        v.grab()  # paints: the labels are placed
        painter = v.overlays
        at, img, _ = painter._placed[3]  # left, right, top, bottom (each with its text)
        h = v.height()
        assert at.y() + img.height() <= h - MARGIN - 2 * painter.line_h + 1, (at.y(), img.height(), h)
