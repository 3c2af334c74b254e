"""Session 47: the reading window's small defects session 46's reader hit under Xvfb, each through the real main window
with key and mouse events: a click on a series one-click is not offered on said a distance that read as a measurement;
"(2×) recorded" for two different edits; the browser's highlight left on the exam before; the tool reset to W/L by
another exam; texts cut at 1600 x 1000 and 1280 x 800; "P shows the prior exam" at the patient's earliest exam."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from annotation.records import Measurement
from app.main_window import MainWindow
from tests.app.conftest import press
from tests.app.conftest import shot as _shot  # pictures to look at: LESIONLAB_SHOTS=folder
from tests.app.test_reader_check_s35 import _activate
from tests.app.test_suggest_in_window import one_click
from viewer.records import READING_ROLES, Role

READER = "sample"


def _click(qtbot, w: MainWindow, cell: int, at: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    vp = w.grid.viewports[cell]
    x, y = vp.transform().image_to_widget(*at)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def _line(w: MainWindow, lesion_id: str, role: Role) -> Measurement:
    pair = w.state.selection.pair
    assert pair is not None
    m = w.session.reading.project.lesions[(*pair, READER, lesion_id)].observation(role)
    assert isinstance(m, Measurement), m
    return m


def _beside(w: MainWindow, cell: int, m: Measurement) -> tuple[float, float]:
    """A point beside line ``m``'s middle, off the line beyond the pick's reach: 16 screen pixels across it."""
    t = w.grid.viewports[cell].transform()
    (x0, _y0), (x1, _y1) = t.image_to_widget(0, 0), t.image_to_widget(0, 100)
    px = 16 * 100 / abs(x1 - x0)  # image pixels in 16 on screen
    (r1, c1), (r2, c2) = m.p1, m.p2
    n = max(1e-6, ((r2 - r1) ** 2 + (c2 - c1) ** 2) ** 0.5)
    return (m.middle[0] - px * (c2 - c1) / n, m.middle[1] + px * (r2 - r1) / n)


def _far_point(w: MainWindow, cell: int, m: Measurement) -> tuple[float, float]:
    """A point of ``cell``'s slice (the line's) well away from line ``m``: the image's corner quadrant opposite it."""
    geo = w.reading.viewports[cell].geometry
    row, col = m.middle
    return (geo.rows * (0.25 if row > geo.rows / 2 else 0.75), geo.columns * (0.25 if col > geo.columns / 2 else 0.75))


def test_a_click_where_one_click_is_not_offered_says_it_recorded_nothing(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Session 46's reader clicked CT portal (one-click not offered there) to leave a table, and read "L1 is measured
    on CT portal 77 mm from this click" -- a distance said like a measurement. On a series one-click is not offered on
    a click says that it recorded nothing and to drag; the click that makes such a cell active says that, not "click
    again for its suggestion" (none comes). On an offered series the activating click far from the lesion's line says
    it chose the cell, and a click far from the line says the click's distance as the click's."""
    w = window
    one_click(w).trigger()
    project = w.session.reading.project
    portal, t2 = READING_ROLES.index(Role.CT_PORTAL), READING_ROLES.index(Role.MR_T2FS)
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, portal)
    press(w, qtbot, "next_lesion")  # ]: L1, shown on its slice
    assert w.state.selection.lesion_id == "L1"
    m = _line(w, "L1", Role.CT_PORTAL)
    assert w.reading.viewports[portal].index == m.slice_index
    press(w, qtbot, "tool_line")
    before = dict(project.lesions)

    # the cell active already: a click far from L1's line on CT portal
    _click(qtbot, w, portal, _far_point(w, portal, m))
    said = w.status.text()
    assert said.startswith("that click recorded nothing: drag to draw L1's diameter (one-click is not offered on CT "
                           "portal: tried on synthetic test livers"), said
    # what the click did and what to do are in view, whatever the status bar cuts of the figures after them
    assert w.status.shown_text().startswith("that click recorded nothing: drag to draw L1's diameter"), \
        w.status.shown_text()
    assert w.session.reading.project.lesions == before
    # the click that makes CT portal active (T2 FS active before): it chose the cell, and no click there suggests
    press(w, qtbot, "next_cell")
    assert w.reading.layout.active != portal
    _click(qtbot, w, portal, _far_point(w, portal, m))
    assert w.reading.layout.active == portal
    said = w.status.text()
    assert said.startswith("CT portal is the active cell now: drag a diameter there (one-click is not offered on "
                           "CT portal: "), said
    # beside the line, in its lesion: the same, never a suggestion
    _click(qtbot, w, portal, _beside(w, portal, m))
    assert w.status.text().startswith("that click recorded nothing: drag to draw L1's diameter (one-click is not "
                                      "offered on CT portal"), w.status.text()
    assert w.session.reading.project.lesions == before

    # T2 FS, offered: the activating click far from L1's line says it chose the cell (it said "no suggestion: L1 is
    # measured on T2 FS ... from this click")
    m2 = _line(w, "L1", Role.MR_T2FS)
    w.reading.viewports[t2].set_index(m2.slice_index)
    _click(qtbot, w, t2, _far_point(w, t2, m2))
    assert w.reading.layout.active == t2
    said = w.status.text()
    assert said == "T2 FS is the active cell now: click inside the lesion again for its suggestion", said
    # and again, the cell active: the click's distance from the line, as the click's, and what to do
    _click(qtbot, w, t2, _far_point(w, t2, m2))
    said = w.status.text()
    assert said.startswith("no suggestion: this click is ") and f"mm from L1's line on T2 FS ({m2.diameter_mm:.1f} mm): " \
        "another lesion? N for a new lesion, or drag to redraw L1 here" in said, said
    assert "measured on" not in said
    assert w.session.reading.project.lesions == before
    _shot(w, "s47_click_far_on_t2")


def _loaded(w: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack), timeout=60000)


def _double_click(w: MainWindow, qtbot, item) -> None:  # type: ignore[no-untyped-def]
    """A double-click on a browser item, as the reader opens an exam."""
    b = w.browser
    b.scrollToItem(item)
    at = b.visualItemRect(item).center()
    qtbot.mouseClick(b.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.mouseDClick(b.viewport(), Qt.MouseButton.LeftButton, pos=at)


def _ctrl_p(w: MainWindow, qtbot, ct: str, mr: str, shot: str = "") -> list[int]:  # type: ignore[no-untyped-def]
    """Ctrl+P, the row of CT ``ct`` and MRI ``mr`` (their cells' beginnings: "—" for none) clicked, then Open (no such
    row: Cancel). Returns the range of the dialog's scroll bar across."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QPushButton

    across: list[int] = []

    def answer() -> None:
        d = QApplication.activeModalWidget()
        if d is None or not hasattr(d, "table"):
            QTimer.singleShot(20, answer)
            return
        t = d.table
        row = next((r for r in range(t.rowCount()) if t.item(r, 0).text().startswith(ct)
                    and t.item(r, 1).text().startswith(mr)), None)
        QApplication.processEvents()
        across.append(t.horizontalScrollBar().maximum())
        if shot:
            _shot(d, shot)
        if row is None:
            d.reject()
            return
        qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(row, 0)).center())
        ok = next(b for b in d.findChildren(QPushButton) if b.text().replace("&", "") == "Open")
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    QTimer.singleShot(0, answer)
    press(w, qtbot, "choose_pair")
    return across


def _highlighted(w: MainWindow) -> list[str]:
    return [i.text(0) for i in w.browser.selectedItems()]


def test_the_browser_highlights_the_exam_open_and_the_tool_stays(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Session 46's reader: the browser kept the pair double-clicked highlighted after Ctrl+P opened LLSYN001's CT of
    2023-03-14 alone ("CT only"), and opening another exam put the tool back to W/L. The highlight follows the exam
    open (a study read alone: its study's row, which the browser lists in the pair); the line tool stays on."""
    from app.browser import PAYLOAD
    from app.workstation import ToolMode

    w = window
    pair_item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                     and not i.data(0, PAYLOAD).is_single and i.data(0, PAYLOAD).ct.study_date.isoformat() == "2023-03-14")
    press(w, qtbot, "tool_line")
    _double_click(w, qtbot, pair_item)
    _loaded(w, qtbot)
    assert _highlighted(w) == [pair_item.text(0)]
    assert w.state.tool is ToolMode.LINE and w.actions_by_id["tool_line"].isChecked()

    _ctrl_p(w, qtbot, "2023-03-14", "—")
    qtbot.waitUntil(lambda: w.state.pair is not None and w.state.pair.is_single, timeout=10000)
    _loaded(w, qtbot)
    assert w.state.pair.label == "CT 2023-03-14 only"
    said = _highlighted(w)
    assert pair_item.text(0) not in said, said  # before: the pair stayed highlighted
    assert said and said[0].startswith("2023-03-14") and "CT" in said[0], said  # the study's own row
    assert w.state.tool is ToolMode.LINE and w.actions_by_id["tool_line"].isChecked(), w.state.tool
    _shot(w, "s47_browser_ct_only")

    # another exam from the browser: its row, the line tool still on, every cell drawing with it
    follow = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                  and i.data(0, PAYLOAD).is_single and i.data(0, PAYLOAD).study_date.isoformat() == "2023-10-17")
    _double_click(w, qtbot, follow)
    qtbot.waitUntil(lambda: w.state.pair is not None and w.state.pair.label == "CT 2023-10-17 only", timeout=10000)
    _loaded(w, qtbot)
    assert _highlighted(w) == [follow.text(0)]
    assert w.state.tool is ToolMode.LINE and all(vp.tool.name == "line" for vp in w.grid.viewports), w.state.tool


def _followup_window(qtbot, env: Path, sample_index, size: tuple[int, int]) -> MainWindow:  # type: ignore[no-untyped-def]
    from tests.app.test_workstation_s46 import _followup_window as s46_window

    env.mkdir(parents=True, exist_ok=True)
    w = s46_window(qtbot, env, sample_index)
    w.resize(*size)
    return w


def _drag_handle(qtbot, handle, start: QPoint, left: int) -> None:  # type: ignore[no-untyped-def]
    to = QPoint(start.x() - max(0, left), start.y())
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(handle, to)
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=to)


def _no_scroll(table) -> bool:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    return table.horizontalScrollBar().maximum() == 0


def test_texts_whole_at_1600_and_1280(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Session 46's reader at 1600 x 1000: Ctrl+P's last column (Note) and the Follow-up panel's response Note column
    behind a horizontal scroll bar; a treatment line's name cut (whole only in its tooltip); after N the new lesion's
    row half-scrolled into the lesion grid. At 1600 x 1000 and 1280 x 800: no scroll bar across, the name whole (its
    row as high as it needs), the note ended with "…" and whole in its tooltip, the new row wholly in view."""
    from PySide6.QtWidgets import QApplication

    from annotation.qt.followup_lines import NAME
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_workstation_s46 import _active

    for size in ((1600, 1000), (1280, 800)):
        w = _followup_window(qtbot, env / f"{size[0]}", sample_index, size)
        tag = f"{size[0]}x{size[1]}"
        _open_exam(w, qtbot, "2024-03-12")
        dock = w.docks.followup_dock
        dock.raise_()
        panel = w.docks.followup_panel
        panel.course.setCurrentIndex(0)
        qtbot.waitUntil(lambda: panel.responses.rowCount() > 0, timeout=5000)
        QApplication.processEvents()
        _shot(w, f"s47_responses_{tag}")
        r = panel.responses
        # the note takes only the room the other columns leave (those through "New" are kept in view, the rest may
        # lie past the edge where the panel is narrow: FollowupPanel._fit_split)
        last = r.columnCount() - 1
        room = r.viewport().width() - sum(r.columnWidth(c) for c in range(last))
        assert r.columnWidth(last) <= max(room, r.horizontalHeader().defaultSectionSize()) + 10, \
            (size, r.columnWidth(last), room)
        # the handle between the lesions and the responses dragged left (the reader's way to read the course): the
        # columns through TGR in view, the note in what is left, with no scroll bar across (at 1600 px: at 1280 the
        # lesion table keeps its least width, and the columns past "New" lie past the edge, as they are meant to; at
        # 1600 they are in view without the drag since session 48: test_window_layout_s48)
        split = panel.split
        handle = split.handle(1)
        start = handle.rect().center()
        through = sum(r.columnWidth(c) for c in range(last)) + 2 * r.frameWidth() + 40
        if size[0] == 1600:
            _drag_handle(qtbot, handle, start, through - r.width())
            qtbot.waitUntil(lambda: r.width() >= through - 5, timeout=5000)
            _shot(w, f"s47_responses_dragged_{tag}")
            assert _no_scroll(r), (size, r.horizontalScrollBar().maximum(), [r.columnWidth(c) for c in range(last + 1)])
        notes = [r.item(i, r.columnCount() - 1) for i in range(r.rowCount())]
        assert all(n.toolTip() == n.text() for n in notes if n is not None and n.text())
        panel.course.setCurrentIndex(1)
        t = panel.lines
        QApplication.processEvents()
        _shot(w, f"s47_lines_{tag}")
        assert _no_scroll(t), (size, t.horizontalScrollBar().maximum())
        for row in range(1, t.rowCount()):
            item = t.item(row, NAME)
            rect = t.visualItemRect(item)
            needed = t.fontMetrics().boundingRect(rect.adjusted(3, 0, -3, 0), int(Qt.TextFlag.TextWordWrap), item.text())
            assert needed.height() <= rect.height() and needed.width() <= rect.width() - 2, \
                (size, item.text(), needed, rect)
        assert _ctrl_p(w, qtbot, "no such", "row", shot=f"s47_ctrl_p_{tag}") == [0]  # the Note column in view
        _active(w, qtbot)

        # N twice past the grid's last row in view: each new lesion's row wholly in view
        w.docks.lesions_dock.raise_()
        grid = w.docks.lesion_panel.table
        portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
        press(w, qtbot, "tool_window")
        _activate(w, qtbot, portal)
        for _ in range(6):
            n = grid.rowCount()
            press(w, qtbot, "new_lesion")
            assert grid.rowCount() == n + 1, w.status.text()
            QApplication.processEvents()
            row = grid.rowCount() - 1
            rect = grid.visualItemRect(grid.item(row, 0))
            assert rect.top() >= 0 and rect.bottom() <= grid.viewport().height(), (size, row, rect, grid.viewport().height())
        _shot(w, f"s47_grid_new_{tag}")
        # N with the Follow-up tab in front (the grid's tab behind it), the grid raised after: the new row in view
        w.docks.followup_dock.raise_()
        for _ in range(4):
            n = grid.rowCount()
            press(w, qtbot, "new_lesion")
            assert grid.rowCount() == n + 1, w.status.text()
        w.docks.lesions_dock.raise_()
        qtbot.wait(100)
        row = grid.rowCount() - 1
        rect = grid.visualItemRect(grid.item(row, 0))
        _shot(w, f"s47_grid_new_behind_{tag}")
        assert rect.top() >= 0 and rect.bottom() <= grid.viewport().height(), (size, row, rect, grid.viewport().height())
        w.close()


def test_two_edits_of_a_treatment_line_each_say_what_they_recorded(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Session 46's reader typed a treatment line's name and then its start date and read "(2×) recorded: treatment
    line 1 of LLSYN001": two edits said alike, counted as one message said twice. Each says what it recorded, and the
    count stays for a message said again."""
    from PySide6.QtWidgets import QApplication

    from annotation.qt.followup_lines import NAME, START
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_workstation_s46 import _active

    w = _followup_window(qtbot, env, sample_index, (1600, 1000))
    _open_exam(w, qtbot, "2024-03-12")
    _active(w, qtbot)
    w.docks.followup_dock.raise_()
    panel = w.docks.followup_panel
    panel.course.setCurrentIndex(1)
    t = panel.lines
    line = w.session.reading.project.treatment_lines[("LLSYN001", 1)]
    start = (line.start_date.replace(day=1) if line.start_date.day > 1 else line.start_date.replace(day=2)).isoformat()

    def type_in(column: int, text: str) -> None:
        qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, column)).center())
        for ch in text:
            qtbot.keyClick(QApplication.focusWidget(), ch)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)

    type_in(NAME, "FOLFOX")
    first = w.status.text()
    assert first == "recorded: treatment line 1 of LLSYN001: name FOLFOX", first
    type_in(START, start)
    second = w.status.text()
    assert second == f"recorded: treatment line 1 of LLSYN001: start {start}", second
    assert not w.status.shown_text().startswith("("), w.status.shown_text()  # before: "(2×) recorded: ..."
    _shot(w, "s47_two_edits")
    # a refusal said twice alike is still counted (the second click was heard)
    type_in(START, "soon")
    type_in(START, "soon")
    assert w.status.shown_text().startswith("(2×) not recorded: Start"), w.status.shown_text()


def test_no_prior_exam_is_offered_at_the_patients_earliest_exam(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Session 46's reader opened LLSYN001's earliest exam (CT 2023-03-14 with the MRI of 2023-04-11, not recorded in
    the follow-up project) and the Follow-up panel said "P shows the prior exam, Shift+P carries its lesions": there
    is none (P then refuses). Nothing of P is offered there; at a later exam it still is."""
    from app.browser import PAYLOAD
    from tests.app.test_workstation_s46 import _active

    w = _followup_window(qtbot, env, sample_index, (1600, 1000))
    first = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                 and not i.data(0, PAYLOAD).is_single and i.data(0, PAYLOAD).ct.study_date.isoformat() == "2023-03-14")
    _double_click(w, qtbot, first)
    _loaded(w, qtbot)
    _active(w, qtbot)
    assert w.state.selection.pair is None  # not recorded in this project: the panel's "nothing recorded" header
    w.docks.followup_dock.raise_()
    header = w.docks.followup_panel.header.text()
    assert "nothing recorded on it yet" in header and "prior exam" not in header and "Shift+P" not in header, header
    _shot(w, "s47_earliest_exam")
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    press(w, qtbot, "compare_prior")
    assert "no earlier exam of LLSYN001" in " ".join(errors) + w.status.text(), (errors, w.status.text())
    # the browser's follow-up exams: each has an earlier exam, P offered
    later = [i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001" and i.data(0, PAYLOAD).is_single]
    assert later and all("P shows the prior exam" in i.toolTip(0) for i in later)
