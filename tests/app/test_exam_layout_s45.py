"""Session 45, a radiologist's read under Xvfb at 1600 x 1000: a CT-only follow-up exam hung in the 2 x 3 grid of a
CT + MRI pair, its one or two images 380 x 300 px (a 14 mm lesion 8 px across), four cells saying "not in this exam".
An exam of one modality now opens in the cells of its own series (CT arterial and portal side by side, a portal phase
alone in one cell); a pair opened next has its six cells back; the reader's Layout choice wins on the exam it is made
on. And the Follow-up panel's lesion table, 210 px wider than its place at 1600 px, Series and Eligibility behind a
scroll bar, now fits its columns."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from annotation.qt.cells import CellCombo
from annotation.qt.followup_lesions import CHOICE_CHARS, CHOICE_COLUMNS, LESION_HEADERS
from app.browser import PAYLOAD
from app.theme import apply_dark_theme
from app.main_window import MainWindow
from viewer.records import Role

from .conftest import press
from .test_followup_in_window import _open_exam
from .test_radread_s36 import _followup_window

SCREEN = (1600, 1000)
#: the least size of each image cell of a CT-only exam at 1600 x 1000 (the 2 x 3 grid gave 392 x 314 offscreen)
LEAST_CELL = (550, 450)


def _window(qtbot, env: Path, sample_index) -> MainWindow:  # type: ignore[no-untyped-def]
    """The sample's follow-up read of LLSYN001 at 1600 x 1000."""
    w = _followup_window(qtbot, env, sample_index)
    w.resize(*SCREEN)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def _shown(w: MainWindow) -> list[int]:
    return [c for c, _, _ in w.reading.layout.visible_cells()]


def _sizes(w: MainWindow) -> list[tuple[int, int]]:
    QApplication.processEvents()
    return [(w.grid.cells[c].width(), w.grid.cells[c].height()) for c in _shown(w)]


def _keys_with_the_active_cell(w: MainWindow) -> bool:
    QApplication.processEvents()
    return QApplication.focusWidget() is w.grid.active_widget and w.grid.active_widget.isVisible()


def test_a_ct_only_exam_fills_the_images_and_a_pair_gets_its_six_cells_back(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    w = _window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")  # CT arterial and portal
    assert w.reading.layout.grid == (1, 2) and _shown(w) == [0, 1]
    assert all(wd >= LEAST_CELL[0] and h >= LEAST_CELL[1] for wd, h in _sizes(w)), _sizes(w)
    assert w.reading.layout.active == 0 and _keys_with_the_active_cell(w)
    assert w.grid._link_text(w.reading.viewports[0]) == "linked: all"  # the two phases scroll together
    press(w, qtbot, "next_cell")  # Tab: the portal phase, the keys with it
    assert w.reading.layout.active == 1 and _keys_with_the_active_cell(w)
    press(w, qtbot, "next_cell")  # and round to the arterial: no empty cell off screen
    assert w.reading.layout.active == 0

    _open_exam(w, qtbot, "2023-10-17")  # CT portal alone: one cell, the whole image area
    assert w.reading.layout.grid == (1, 1) and _shown(w) == [1] and w.reading.layout.active == 1
    assert w.reading.hanging.cells[1].role is Role.CT_PORTAL
    (width, height), = _sizes(w)
    assert width >= 2 * LEAST_CELL[0] and height >= LEAST_CELL[1]
    assert _keys_with_the_active_cell(w)

    pair = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                and not i.data(0, PAYLOAD).is_single)
    w.browser.itemActivated.emit(pair, 0)
    qtbot.waitUntil(lambda: w.state.pair is not None and not w.state.pair.is_single)
    assert w.reading.layout.grid == (2, 3) and _shown(w) == [0, 1, 2, 3, 4, 5]
    assert w.reading.layout.active == 0 and _keys_with_the_active_cell(w)
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all() for vp in w.reading.viewports),
                    timeout=60000)
    assert w.grid._link_text(w.reading.viewports[2]).startswith("linked: ")  # MR, or all once aligned


def test_the_readers_layout_choice_wins_on_its_exam(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    w = _window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2023-10-17")
    press(w, qtbot, "grid_2x3")  # the empty cells to drop a series into
    assert _shown(w) == [0, 1, 2, 3, 4, 5]
    press(w, qtbot, "compare_prior")  # P: the portal phase beside its prior
    assert w.reading.layout.grid == (1, 2) and w.follow_up.active
    press(w, qtbot, "compare_prior")  # P again: the reader's 2 x 3, not the exam's one cell
    assert w.reading.layout.grid == (2, 3) and _shown(w) == [0, 1, 2, 3, 4, 5]
    assert "back to the six reading cells" in w.status.text()
    _open_exam(w, qtbot, "2024-03-12")  # another exam: its own layout
    assert w.reading.layout.grid == (1, 2) and _shown(w) == [0, 1]
    w.reading.activate(1)
    press(w, qtbot, "compare_prior")
    press(w, qtbot, "compare_prior")  # back to the exam's two phases, the current cell one of them
    assert _shown(w) == [0, 1] and w.reading.layout.active in (0, 1) and _keys_with_the_active_cell(w)
    assert "back to the exam's series" in w.status.text()


def test_the_follow_up_lesion_table_fits_its_columns_at_1600_px(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    apply_dark_theme(app)  # the window's own style: its padding widens every column
    try:
        w = _window(qtbot, env, sample_index)
        _open_exam(w, qtbot, "2024-03-12")
        qtbot.mouseClick(w.grid.viewports[1], Qt.MouseButton.LeftButton)
        press(w, qtbot, "compare_prior")  # the Follow-up dock to the front
        qtbot.waitUntil(lambda: not w.docks.followup_dock.visibleRegion().isEmpty())
        t = w.docks.followup_panel.lesions
        assert t.rowCount() == 6
        header = t.horizontalHeader()

        def fits() -> bool:
            QApplication.processEvents()
            return t.horizontalScrollBar().maximum() == 0 and all(
                0 <= header.sectionViewportPosition(c) and header.sectionViewportPosition(c) + t.columnWidth(c)
                <= t.viewport().width() for c in range(t.columnCount()))
        # the dock grown to show the six lesions (app/docks.py: fit_followup), no scroll bar beside them
        qtbot.waitUntil(lambda: not t.verticalScrollBar().isVisible() and fits(), timeout=3000)
        last = len(LESION_HEADERS) - 1
        assert t.columnWidth(last) >= header.fontMetrics().horizontalAdvance("Eligibility") + 6  # its header whole
        t.viewport().grab()  # painted: a choice elided would have its tooltip
        for c in CHOICE_COLUMNS:  # at 1600 px every choice reads whole ("non-target", "lymph node", "CT portal")
            for r in range(t.rowCount()):
                box = t.cellWidget(r, c)
                assert isinstance(box, CellCombo) and box.width() >= box.width_for() - 1 and not box.toolTip(), \
                    (LESION_HEADERS[c], box.currentText())
        w.resize(1366, 768)  # a laptop: since session 48 (the dock as wide as the window) every choice whole there too
        qtbot.waitUntil(fits, timeout=3000)
        t.viewport().grab()
        assert not any(isinstance(box := t.cellWidget(r, c), CellCombo) and box.toolTip()
                       for c in CHOICE_COLUMNS for r in range(t.rowCount()))
        # narrower: the choices elided, the whole choice in the tooltip (1560 px before session 48, when the dock stood
        # beside the study browser's column; spanning the window, it has room to spare there)
        w.resize(1100, 1000)
        qtbot.waitUntil(fits, timeout=3000)
        t.viewport().grab()
        elided = [box for c in CHOICE_COLUMNS for r in range(t.rowCount())
                  if isinstance(box := t.cellWidget(r, c), CellCombo) and box.toolTip()]
        assert elided and all(box.toolTip() == box.currentText() for box in elided)
        assert all(box.width() + 1 - box.width_for("") >= CHOICE_CHARS * box.fontMetrics().averageCharWidth()
                   for box in elided), [(b.currentText(), b.width(), b.width_for("")) for b in elided]
        # narrower still (a laptop's 1366 x 768 before session 48): no fit even so; every column whole, the table scrolls
        w.resize(1000, 768)
        qtbot.waitUntil(lambda: t.horizontalScrollBar().maximum() > 0, timeout=3000)
        t.viewport().grab()
        assert not any(isinstance(box := t.cellWidget(r, c), CellCombo) and box.toolTip()
                       for c in CHOICE_COLUMNS for r in range(t.rowCount()))
    finally:
        app.setStyleSheet(sheet)
        app.setPalette(palette)
        app.setStyle(style)
