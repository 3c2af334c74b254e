"""Session 41 (reader41's note): at 1920 x 1080 the Follow-up dock's responses showed every column through TGR
while the lesion table had no scroll bar; with more lesions than its height shows (> ~12) the bar took 14 px and
the TGR column sat 4 px past the table's right edge. The eligibility's text now wraps narrower (its header whole)
to keep TGR in view."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from annotation.qt.followup_responses import RESPONSE_HEADERS
from app.theme import apply_dark_theme

from .conftest import press
from .test_radread_s39 import _followup_compared


def _eighteen_lesions(qtbot, env, sample_index, size):  # type: ignore[no-untyped-def]
    """LLSYN001's follow-up at ``size`` with 12 new lesions (N): 18 rows, the lesion table's scroll bar shown."""
    w = _followup_compared(qtbot, env, sample_index, size)
    w.show_error = lambda *a, **k: None  # a modal dialog hangs offscreen
    p = w.docks.followup_panel
    for _ in range(12):
        press(w, qtbot, "new_lesion")
    qtbot.waitUntil(lambda: p.lesions.rowCount() >= 18, timeout=5000)
    qtbot.waitUntil(lambda: p.lesions.verticalScrollBar().isVisible(), timeout=3000)
    return p


def test_the_growth_rate_stays_in_view_when_the_lesion_table_scrolls(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    apply_dark_theme(app)  # the window's own style: its padding widens every column
    try:
        p = _eighteen_lesions(qtbot, env, sample_index, (1920, 1080))
        r = p.responses
        tgr = RESPONSE_HEADERS.index("TGR %/mo")

        def tgr_in_view() -> bool:
            at = r.horizontalHeader().sectionViewportPosition(tgr)
            return 0 <= at and at + r.columnWidth(tgr) <= r.viewport().width()

        qtbot.waitUntil(tgr_in_view, timeout=3000)  # 729 px of 725 before: the split fitted the lesions whole
        assert p.lesions.horizontalScrollBar().maximum() == 0  # the lesions' columns whole
        last = p.lesions.columnCount() - 1  # the eligibility's header whole
        assert p.lesions.columnWidth(last) >= p.lesions.horizontalHeader().sectionSizeFromContents(last).width()
    finally:
        app.setStyleSheet(sheet)
        app.setPalette(palette)
        app.setStyle(style)


def test_the_eligibility_is_not_narrowed_where_the_growth_rate_would_not_fit_anyway(qtbot, env,  # type: ignore[no-untyped-def]
                                                                                   sample_index) -> None:
    """At 1285 x 1000 even the eligibility at its header's width leaves too little for the responses through TGR and
    the note (they keep through New): the lesion table keeps the whole width it needs, its texts wrapped no more than
    before. (1780 x 1000 before session 48, when the dock stood beside the study browser's column.)"""
    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    apply_dark_theme(app)
    try:
        p = _eighteen_lesions(qtbot, env, sample_index, (1285, 1000))
        qtbot.waitUntil(lambda: p.lesions.width() == p.lesions_width(), timeout=3000)
        assert p.lesions.horizontalScrollBar().maximum() == 0
    finally:
        app.setStyleSheet(sheet)
        app.setPalette(palette)
        app.setStyle(style)
