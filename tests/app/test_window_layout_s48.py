"""Session 48's layout defects, in the real main window's geometry: the cells' top corners at 900 x 560 (the date
against the series description, "linked: all" against "Se 7  MR"), the Follow-up panel's responses past "New" behind a
drag of the dock's handle at 1600 x 1000, and the lesion table's Kind and Organ choices painted cut ("non-targ",
"lymph noc") at 1600 x 1000. Each at the window's own dark theme and without it (the tests' screenshots)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionComboBox

from annotation.qt.cells import CellCombo
from annotation.qt.followup_lesions import LESION_HEADERS
from annotation.qt.followup_responses import RESPONSE_HEADERS
from app.main_window import MainWindow
from tests.app.conftest import shot
from viewer.qt.overlay import MARGIN

#: the least gap (px) between the top corners' texts (viewer.qt.overlay.TOP_GAP is 14; 5 read as touching)
GAP = 10


@contextmanager
def _theme(dark: bool) -> Iterator[None]:
    """The window's own style (app/theme.py: its padding widens every column), put back afterwards."""
    from app.theme import apply_dark_theme

    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    if dark:
        apply_dark_theme(app)
    try:
        yield
    finally:
        app.setStyleSheet(sheet)
        app.setPalette(palette)
        app.setStyle(style)


def _top_corners(v) -> tuple:  # type: ignore[no-untyped-def]
    """The top corners' boxes as painted: (left text, its box), (right text, its box)."""
    v.grab()
    top = [(t, r) for t, r in v.overlays.boxes if round(r.top()) == MARGIN]
    assert len(top) == 2, top
    return tuple(sorted(top, key=lambda b: b[1].left()))


def test_the_top_corners_keep_apart_at_900_by_560_and_1600_by_1000(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """At 900 x 560 the 2 x 3 grid's top corners ran into each other ("Arteriel  …2023-03-14", "Se 7  MR" against
    "linked: all"): their painted texts keep a gap now, the least needed gone first (_fit_top); at 1600 x 1000 every
    line whole. (Checked: fails without the fix, a gap of 5 px.)"""
    w = window
    # "linked: all" once CT and MRI are aligned (in the background: under load the first check came before it, "linked: CT")
    qtbot.waitUntil(lambda: w.state.alignment is not None, timeout=120000)
    for dark in (False, True):
        with _theme(dark):
            for size in ((900, 560), (1600, 1000)):
                w.resize(*size)
                qtbot.wait(200)
                cells = [v for v in w.grid.viewports if v.model.volume is not None and v.isVisible()]
                assert len(cells) == 6
                for v in cells:
                    (left, lr), (right, rr) = _top_corners(v)
                    assert rr.left() - lr.right() >= GAP, (size, dark, v.width(), left, right, lr, rr)
                    title, series, _se = left.split("\n")
                    patient = right.split("\n")[0]
                    assert patient == "LLSYN001" and len(title.rstrip("…")) >= 5, (size, left, right)
                    if size == (1600, 1000):  # nothing dropped or cut
                        stack = v.model.volume.stack
                        assert "…" not in left + right and right.split("\n")[2] == "linked: all", (left, right)
                        assert series.startswith(stack.series_description) and f"Se {stack.series_number}  " in left
                shot(w, f"s48_top_corners_{size[0]}x{size[1]}{'_dark' if dark else ''}")


def _followup(qtbot, env: Path, sample_index) -> MainWindow:  # type: ignore[no-untyped-def]
    """Session 46's follow-up window at 1600 x 1000, LLSYN001's 2024-03-12 exam open, the Follow-up panel in front."""
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_workstation_s46 import _followup_window

    env.mkdir(parents=True, exist_ok=True)
    w = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    w.docks.followup_dock.raise_()
    panel = w.docks.followup_panel
    panel.course.setCurrentIndex(0)
    qtbot.waitUntil(lambda: panel.responses.rowCount() == 3 and panel.lesions.rowCount() == 6, timeout=5000)
    qtbot.wait(300)  # the split fitted once laid out
    QApplication.processEvents()
    return w


def test_the_responses_through_the_note_are_in_view_at_1600_by_1000(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Session 47: at 1600 x 1000 the response table's last columns (Slow PD, TGR, Note) lay past the panel's edge, to
    be read by dragging the handle. They are in view (the Note at its header's width at least), with no drag and no
    scroll bar across; the image cells keep their size. (Checked: fails without the fix, Slow PD from 548 px on in a
    548 px wide view.)"""
    for dark in (False, True):
        with _theme(dark):
            w = _followup(qtbot, env / ("dark" if dark else "plain"), sample_index)
            r = w.docks.followup_panel.responses
            header = r.horizontalHeader()
            for c, name in enumerate(RESPONSE_HEADERS):
                least = header.sectionSizeFromContents(c).width() if name == "Note" else r.columnWidth(c)
                right = header.sectionViewportPosition(c) + least
                assert header.sectionViewportPosition(c) >= 0 and right <= r.viewport().width(), \
                    (dark, name, right, r.viewport().width(), [r.columnWidth(i) for i in range(r.columnCount())])
            assert r.horizontalScrollBar().maximum() == 0
            cells = [v for v in w.grid.viewports if v.isVisible()]
            # the exam's two CT phases side by side: 590 x 642 px each without the theme, 580 x 624 with it before
            assert len(cells) == 2 and all(v.width() >= 575 and v.height() >= 620 for v in cells), \
                [v.size() for v in cells]
            shot(w, f"s48_followup_responses{'_dark' if dark else ''}")
            w.close()


def _ink_right(box: CellCombo) -> int:
    """How far right of its edit field's left edge the painted choice's ink reaches (px)."""
    opt = QStyleOptionComboBox()
    box.initStyleOption(opt)
    field = box.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField,
                                       box)
    img = box.grab().toImage()
    ground = img.pixelColor(field.left() + 1, field.top() + 1).lightness()
    ink = [x for x in range(field.left(), field.right() + 1)
           if any(abs(img.pixelColor(x, y).lightness() - ground) > 60 for y in range(field.top() + 2, field.bottom() - 1))]
    return max(ink) - field.left() if ink else 0


def test_kind_and_organ_are_painted_whole_at_1600_by_1000(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Session 47's screenshots: the lesion table's Kind and Organ read "non-targ" and "lymph noc" at 1600 x 1000,
    their columns wide enough: the style drew the label in a narrower field than the one measured. Each choice's ink
    reaches its text's whole width, and none is elided. (Checked: fails without the fix, 10 px short.)"""
    for dark in (False, True):
        with _theme(dark):
            w = _followup(qtbot, env / ("dark" if dark else "plain"), sample_index)
            t = w.docks.followup_panel.lesions
            t.viewport().grab()
            seen = set()
            for c in (LESION_HEADERS.index("Kind"), LESION_HEADERS.index("Organ")):
                for row in range(t.rowCount()):
                    box = t.cellWidget(row, c)
                    assert isinstance(box, CellCombo) and not box.toolTip(), (dark, box.currentText())  # not elided
                    text = box.currentText()
                    seen.add(text)
                    assert _ink_right(box) >= box.fontMetrics().horizontalAdvance(text) - 2, \
                        (dark, text, _ink_right(box), box.fontMetrics().horizontalAdvance(text), box.width())
            assert {"non-target", "lymph node"} <= seen, seen
            shot(t, f"s48_followup_lesions{'_dark' if dark else ''}")
            w.close()


def test_a_layout_kept_before_session_48_gets_the_window_wide_panels(qtbot, env: Path) -> None:  # type: ignore[no-untyped-def]
    """Qt keeps the corners in a saved layout: one kept before session 48 (the study browser's column down to the
    window's foot) would have brought the narrow Follow-up dock back. Restored, the panels under the images span the
    window again. (Checked: fails without setting the corners after the restore.)"""
    from PySide6.QtCore import Qt

    from app.window_layout import LAYOUT_VERSION
    from tests.app.conftest import make_window

    w = make_window(qtbot, env)
    bottom_left = Qt.Corner.BottomLeftCorner
    assert w.corner(bottom_left) is Qt.DockWidgetArea.BottomDockWidgetArea
    w.setCorner(bottom_left, Qt.DockWidgetArea.LeftDockWidgetArea)  # as every layout kept before
    old = w.saveState(LAYOUT_VERSION)
    w.restore_layout(old)
    assert w.corner(bottom_left) is Qt.DockWidgetArea.BottomDockWidgetArea
    qtbot.wait(100)
    assert w.docks.lesions_dock.width() == w.width(), (w.docks.lesions_dock.width(), w.width())
