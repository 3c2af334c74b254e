"""Session 41's window defects (a radiologist's read under Xvfb at 1920 x 1080 and 1366 x 768, and session 40's
closing note), in the real main window with Qt events: the MRI cells of an aligned pair said "linked: all
-1213.9 mm" (the other scanner's table origin); the Follow-up dock's TGR column lay off the right of the responses
at 1920 x 1080."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from annotation.qt.followup_responses import RESPONSE_HEADERS
from app.theme import apply_dark_theme
from viewer.records import Role

from .conftest import drag, open_pair, press
from .test_radread_s39 import _followup_compared


def _cell(w, role: Role) -> int:  # type: ignore[no-untyped-def]
    return next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is role)


def test_the_cells_of_an_aligned_pair_say_linked_without_the_scanners_table_offset(window, qtbot, sample_dicom,  # type: ignore[no-untyped-def]
                                                                                  sample_index) -> None:
    """LLSYN002 opens and is aligned from the images: its MRI cells said "linked: all -1213.9 mm", the shift of the
    MRI's frame into the CT's (where the synthetic CT put its table's origin), a figure the reader can neither read
    off the images nor act on. Every cell now says what scrolls with it, "linked: all"; the landmark link (L) keeps
    it so."""
    w = window
    w.show_error = lambda *a, **k: None  # type: ignore[method-assign]  # a modal dialog hangs offscreen
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")
    qtbot.waitUntil(lambda: w.state.alignment is not None, timeout=120000)
    cells = [i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None]
    assert abs(w.reading.link.offset_mm(w.reading.viewports[_cell(w, Role.MR_T2FS)]) or 0) > 1000  # the table origin
    said = {w.state.cell_title(i): w.grid.viewports[i].link_text(w.grid.viewports[i].model) for i in cells}
    assert set(said.values()) == {"linked: all"}, said
    w.grid.viewports[_cell(w, Role.MR_T2FS)].model.next_slice(2)  # a landmark on the MRI, then L
    w.reading.activate(_cell(w, Role.MR_T2FS))
    press(w, qtbot, "link_all")
    assert "confirmed" in w.status.text()
    assert {w.grid.viewports[i].link_text(w.grid.viewports[i].model) for i in cells} == {"linked: all"}


def test_the_follow_up_responses_show_the_growth_rate_on_a_1920_by_1080_screen(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """At 1920 x 1080, in the window's dark style, the responses table showed "TG" of its TGR column, the rest behind
    a scroll bar: the baseline row's "2023-03-14 baseline" made the date column 131 px wide, and the lesion table
    kept the 14 px of a scroll bar it had while the dock was short (the dock grown to show its rows hid the bar
    after the last fit). "baseline" now stands in the Overall cell (a baseline has no response) and the split is
    fitted again when the bar comes or goes: every column through TGR is in view, the lesions' Eligibility whole."""
    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    apply_dark_theme(app)  # the window's own style: its padding widens every column
    try:
        w = _followup_compared(qtbot, env, sample_index, (1920, 1080))
        p = w.docks.followup_panel
        r = p.responses
        tgr = RESPONSE_HEADERS.index("TGR %/mo")

        def tgr_in_view() -> bool:
            return 0 <= r.horizontalHeader().sectionViewportPosition(tgr) \
                and r.horizontalHeader().sectionViewportPosition(tgr) + r.columnWidth(tgr) <= r.viewport().width()

        qtbot.waitUntil(lambda: not p.lesions.verticalScrollBar().isVisible(), timeout=3000)  # the dock grown
        qtbot.waitUntil(tgr_in_view, timeout=3000)
        assert [r.item(i, tgr).text() for i in range(r.rowCount())] == ["", "-19.81", "+4.50"]
        overall = RESPONSE_HEADERS.index("Overall")
        assert (r.item(0, 0).text(), r.item(0, overall).text()) == ("2023-03-14", "baseline")
        assert p.lesions.horizontalScrollBar().maximum() == 0  # the lesions whole as session 40 left them
    finally:
        app.setStyleSheet(sheet)
        app.setPalette(palette)
        app.setStyle(style)


def _portal_maximised(w, qtbot):  # type: ignore[no-untyped-def]
    """LLSYN001's CT portal cell made active (a click on the air in its corner) and maximised (M)."""
    from PySide6.QtCore import QPoint, Qt

    w.show_error = lambda *a, **k: None  # a modal dialog hangs offscreen
    portal = _cell(w, Role.CT_PORTAL)
    vp = w.grid.viewports[portal]
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    press(w, qtbot, "maximise")
    qtbot.waitUntil(lambda: vp.width() > 900)
    return w, portal, vp


def _overlap(a, b) -> bool:  # type: ignore[no-untyped-def]
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_a_lesion_counted_under_a_line_label_moves_the_label_off_its_mark(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """CT portal maximised (M), LLSYN001's L1 on its slice: a lesion counted where L1's "33.9 mm" label hangs drew the
    mark's cross over the figures (the lobe letter kept off the label, the ticks did not: "L1 4⁝.1 mm" under Xvfb at
    1366 x 768). The label now hangs beside the mark; the mark stays where it was clicked."""
    from PySide6.QtCore import QPoint, Qt

    w, portal, vp = _portal_maximised(window, qtbot)
    key = w.state.selection.pair
    lesion = w.session.reading.project.lesions[(*key, w.session.reading.reader, "L1")]
    line = dict(lesion.observations)[Role.CT_PORTAL]
    vp.model.set_index(line.slice_index)
    layer, count = w.reading_view.line_layers[portal], w.reading_view.count_layers[portal]
    vp.grab()
    label = next(box for box, text in zip(layer.label_boxes, layer.labels_drawn) if text.startswith("L1"))
    press(w, qtbot, "tool_count")
    before = set(w.session.reading.project.count_marks)
    marks = len(before)
    at = QPoint(round(label[0] + label[2] / 2), round(label[1] + label[3] / 2))  # on the label's figures
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=at)
    assert len(w.session.reading.project.count_marks) == marks + 1, w.status.text()
    mark = max(w.session.reading.project.count_marks.values(), key=lambda m: m.mark_id not in before)
    p = vp.view_context().to_widget(mark.row, mark.col)
    assert abs(p.x() - at.x()) < 1.5 and abs(p.y() - at.y()) < 1.5  # the mark where it was clicked
    vp.grab()
    ticks = (p.x() - 10, p.y() - 10, 20.0, 20.0)  # its cross: four ticks reaching 9 px from its point
    moved = next(box for box, text in zip(layer.label_boxes, layer.labels_drawn) if text.startswith("L1"))
    assert not _overlap(moved, ticks), (moved, ticks)
    assert [m.lesion_id for m in count.on_slice(vp.view_context()) if m.mark_id == mark.mark_id] == [""]


def test_a_lesion_counted_off_its_line_slice_keeps_its_cross_there(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A lesion counted (C, a click) and then measured a slice away (N, its line): the mark becomes the lesion's, and
    on the slice where it was counted it was drawn as a lone "R", no cross, nothing showing what was counted where
    (a radiologist's read under Xvfb). It keeps its cross there; beside its line, on the line's slice, a letter only."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QColor

    from annotation.qt.layers import LOBE_COLOURS
    from annotation.vocab import Lobe

    w, portal, vp = _portal_maximised(window, qtbot)
    k = 8
    vp.model.set_index(k)
    press(w, qtbot, "tool_count")
    before = set(w.session.reading.project.count_marks)
    x, y = vp.transform().image_to_widget(250.0, 150.0)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    added = set(w.session.reading.project.count_marks) - before
    assert len(added) == 1, w.status.text()
    mark_id = added.pop()
    vp.model.set_index(k + 1)
    press(w, qtbot, "new_lesion")
    drag(qtbot, vp, (250.0, 140.0), (250.0, 160.0))
    mark = w.session.reading.project.count_marks[mark_id]
    lesion = w.state.selection.lesion_id
    assert mark.lesion_id == lesion and mark.slice_index == k, (mark, w.status.text())

    def lobe_pixels(at: tuple[float, float]) -> int:
        img = vp.grab().toImage()
        colour = QColor(LOBE_COLOURS[Lobe.RIGHT])
        cx, cy = round(at[0]), round(at[1])
        # the left and lower ticks (4-9 px from the point), away from the lobe letter (up and right)
        spots = [(cx - d, cy) for d in range(4, 10)] + [(cx, cy + d) for d in range(4, 10)]
        return sum(1 for px, py in spots
                   if max(abs(img.pixelColor(px, py).red() - colour.red()), abs(img.pixelColor(px, py).green()
                          - colour.green()), abs(img.pixelColor(px, py).blue() - colour.blue())) < 60)

    press(w, qtbot, "tool_window")  # no hover ring or drag of the count tool
    vp.model.set_index(k)
    assert lobe_pixels(vp.transform().image_to_widget(mark.row, mark.col)) >= 8  # its cross, where it was counted
