"""Session 36's reading check (a radiologist on a 1366 x 768 laptop screen), its defects through the real main
window: the follow-up response hidden off the panel's edge, a lymph node exported in the workbook as a liver
lesion, and the window opening larger than the screen."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QScreen

from annotation.qt.followup_responses import RESPONSE_HEADERS
from app.main_window import MainWindow
from tests.app.conftest import make_window, press
from tests.app.test_followup_in_window import _open_exam

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"
LAPTOP = (1366, 768)


def _followup_window(qtbot, env: Path, sample_index) -> MainWindow:  # type: ignore[no-untyped-def]
    """The sample's follow-up read of LLSYN001 (reader "sample") in a window the size of a laptop's screen."""
    store = env / "work" / "followup.lesionlab"
    store.parent.mkdir(exist_ok=True)
    shutil.copy(SAMPLE / "followup.lesionlab", store)
    w = make_window(qtbot, env, reader="sample")
    assert w.store_flow.open_store(store)
    w.resize(*LAPTOP)
    w.show_index(str(SAMPLE), sample_index)
    return w


def test_the_overall_response_of_the_open_exam_is_in_view_on_a_laptop_screen(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                             sample_index) -> None:
    """At 1366 x 768 the Follow-up panel's response table showed Date, Sum, the changes, Target "PR", Non-target
    and half of New: the 2024-03-12 exam's Overall "PD" (a new lesion) lay beyond the right edge, so the row
    read PR. The overall response (and the best) come right after the date, in view without scrolling."""
    w = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is not None
                  and c.role.value == "ct_portal")
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    press(w, qtbot, "compare_prior")  # as a follow-up is read: the Follow-up dock comes to the front
    qtbot.waitUntil(lambda: not w.docks.followup_dock.visibleRegion().isEmpty())
    t = w.docks.followup_panel.responses
    overall = RESPONSE_HEADERS.index("Overall")
    row = next(r for r in range(t.rowCount()) if t.item(r, 0).text().startswith("2024-03-12"))
    assert t.item(row, overall).text() == "PD"
    qtbot.waitUntil(lambda: t.viewport().rect().contains(t.visualItemRect(t.item(row, overall))), timeout=3000)
    assert t.horizontalScrollBar().value() == 0  # in view as the panel opens, not scrolled to
    for name in ("Overall", "Best", "Target"):
        assert t.viewport().rect().contains(t.visualItemRect(t.item(row, RESPONSE_HEADERS.index(name)))), name


def test_a_lymph_node_is_named_so_in_the_patients_workbook(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """The node N01, recorded at follow-up as a lymph node (organ "node"), came out in the workbook's Lesions and
    Measurements sheets as lesion L5 of the left liver, 25.6 mm on CT portal, nothing saying it is no liver
    metastasis (measurements.csv has the organ). Both sheets say the organ, liver for the others."""
    from openpyxl import load_workbook

    w = _followup_window(qtbot, env, sample_index)
    out = env / "export"
    w.exports.export_to(out)
    wb = load_workbook(out / "patients" / "LLSYN001.xlsx")
    for sheet in ("Lesions", "Measurements"):
        rows = list(wb[sheet].iter_rows(values_only=True))
        header = list(rows[0])
        assert "organ" in header, (sheet, header)
        organ = {(r[header.index("exam_pair_id")], r[header.index("lesion_id")]): r[header.index("organ")]
                 for r in rows[1:]}
        assert organ[("F1", "L5")] == "lymph_node" and organ[("F1", "L1")] == "liver", (sheet, organ)
    # the columns that were there keep their places (scripts read them by position too)
    lesions = [c.value for c in wb["Lesions"][1]]
    assert lesions[:7] == ["exam_pair_id", "reader", "lesion_id", "lobe", "segment", "comment", "ct_arterial (mm)"]
    measurements = [c.value for c in wb["Measurements"][1]]
    assert measurements[:10] == ["exam_pair_id", "reader", "lesion_id", "series_role", "diameter_mm", "short_axis_mm",
                                 "method", "suggested_mm", "slice_index", "instance_number"]


def test_the_first_window_fits_a_laptop_screen(qtbot, env: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A first start (no size kept from a last session) opened the window at 1600 x 1000 whatever the screen: on a
    1366 x 768 laptop its bottom (the status bar, the lesion grid's buttons) lay off the screen. It now fits the
    screen's free area."""
    free = QRect(0, 0, LAPTOP[0], LAPTOP[1] - 40)  # a task bar
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: free)
    from app.last_session import LastSession
    from app.reading_settings import ReaderName, recent_stores
    from app.window_layout import WindowLayout
    from viewer.model.settings import RecentStudies, RoleOverrides

    w = MainWindow(overrides=RoleOverrides(env / "roles.json"), recent=RecentStudies(env / "recent.json"),
                   reader=ReaderName(env / "reader.json"), stores=recent_stores(env / "stores.json"),
                   last=LastSession(env / "last_session.json"), layout=WindowLayout(env / "layout.json"))
    qtbot.addWidget(w)
    assert w.width() <= free.width() and w.height() <= free.height(), w.size()
    assert w.width() >= w.minimumSizeHint().width() and w.fitted_to_screen  # lesionlab view then shows it maximised
    roomy = QRect(0, 0, 1920, 1160)
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: roomy)
    w2 = MainWindow(overrides=RoleOverrides(env / "roles.json"), recent=RecentStudies(env / "recent.json"),
                    reader=ReaderName(env / "reader.json"), stores=recent_stores(env / "stores.json"),
                    last=LastSession(env / "last_session.json"), layout=WindowLayout(env / "layout.json"))
    qtbot.addWidget(w2)
    assert (w2.width(), w2.height()) == (1600, 1000) and not w2.fitted_to_screen  # a large screen: as before


def test_the_shortcuts_and_report_dialogs_fit_a_laptop_screen(qtbot, env: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                                               tmp_path: Path) -> None:
    """F1's table of every shortcut opened 820 x 760 (the report shown in the application 1000 x 800, the
    analysis' results 1100 x 760): on a 1366 x 768 screen, a task bar and the title bar taken, its Close button lay
    under the screen's edge. Each fits the free area now, title bar included."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.export_analysis import ReportView

    free = QRect(0, 0, LAPTOP[0], LAPTOP[1] - 40)
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: free)
    w = make_window(qtbot, env)
    w.resize(*LAPTOP)
    seen: list[tuple[int, int]] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, look)
            return
        seen.append((dialog.width(), dialog.height()))
        dialog.reject()
    QTimer.singleShot(0, look)
    w.actions_by_id["shortcuts"].trigger()  # F1 (Help -> Every shortcut)
    assert seen and seen[0][1] + 30 <= free.height() and seen[0][0] <= free.width(), seen  # a title bar of 30 px
    report = tmp_path / "report.html"
    report.write_text("<p>report</p>", encoding="utf-8")
    view = ReportView(report, w)
    qtbot.addWidget(view)
    assert view.height() + 30 <= free.height(), view.size()


def test_checks_does_not_say_no_exam_is_open_beside_the_exam_just_opened(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A first read: LLSYN003's pair opened on a new project, the six images on screen, the Counts panel listing its
    series "not read yet", and Checks said "no exam pair open". It says nothing is recorded on the exam yet."""
    from tests.app.conftest import open_pair

    w = make_window(qtbot, env, reader="Dr Rad")
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store)
    w.resize(*LAPTOP)
    open_pair(w, qtbot, SAMPLE, sample_index, "LLSYN003")
    checks = w.docks.checks_panel.list
    said = [checks.item(i).text() for i in range(checks.count())]
    assert said == ["nothing recorded on this exam yet"], said


def test_a_cell_whose_slice_is_still_loading_shows_no_leftover_pixels(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Shift+D on LLSYN003's DWI b800 hung the ADC beside it: until the slice on screen had loaded, its cell said
    "loading…" over whatever its pixels held before (coloured noise under Xvfb; a previous image elsewhere): the
    cell paints opaquely and drew nothing under the text. The image's place is black until the slice comes."""
    from PySide6.QtGui import QColor, QPixmap

    from tests.app.conftest import open_pair

    w = make_window(qtbot, env, reader="Dr Rad")
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store)
    w.resize(*LAPTOP)
    open_pair(w, qtbot, SAMPLE, sample_index, "LLSYN003")
    vp, model = w.grid.viewports[3], w.reading.viewports[3]
    model.volume.loaded[model.index] = False  # the slice on screen not decoded yet, as while the ADC loads
    try:
        canvas = QPixmap(vp.size())
        canvas.fill(QColor(255, 0, 255))  # what the cell's pixels held before
        vp.render(canvas)
        x, y, width, height = vp.transform().image_rect()
        probe = canvas.toImage().pixelColor(round(x + width / 4), round(y + height / 4))
        assert probe != QColor(255, 0, 255), probe.name()
    finally:
        model.volume.loaded[model.index] = True


def test_images_only_on_a_laptop_screen(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """At 1366 x 768 the six cells were 313 x 199 pixels (CT at 0.39x: a 6 mm lesion 3 screen pixels), the panels
    taking more than half the window; Ctrl+B hid the study browser's tab but Counts, Checks and the clinical record
    kept its column, so the images gained nothing. Ctrl+Shift+B hides every docked panel (the status bar stays),
    again puts them back as they were."""
    from tests.app.conftest import open_pair

    w = make_window(qtbot, env, reader="Dr Rad")
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store)
    w.resize(*LAPTOP)
    open_pair(w, qtbot, SAMPLE, sample_index, "LLSYN003")
    qtbot.wait(50)
    cell = w.grid.viewports[0]
    before = cell.size()
    shown = [d for d in w.all_docks if d.isVisible()]
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: cell.width() > 1.3 * before.width() and cell.height() > 1.5 * before.height(), timeout=3000)
    assert not [d.windowTitle() for d in w.all_docks if d.isVisible()]
    assert w.statusBar().isVisible() and "Ctrl+Shift+B" in w.status.text(), w.status.text()
    i = w.reading.viewports[0].index
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Down)  # the keys still go to the images
    assert w.reading.viewports[0].index != i
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: cell.size() == before, timeout=3000)
    assert [d for d in w.all_docks if d.isVisible()] == shown
    assert not w.docks.lesions_dock.visibleRegion().isEmpty()  # the Lesions tab in front again, not Follow-up
