"""The window on a database server that hangs without closing the connection (session 37: every postgres process
SIGSTOPped), and an outage met in a reader study's case. The store's side: tests/annotation/test_hang_s37.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtCore import QTimer

from annotation import store_pg_connection
from annotation.store import ReadingStore
from annotation.store_copy import copy_store
from app.main_window import MainWindow
from tests.annotation.pg import Cluster, pg_cluster  # noqa: F401
from tests.app.conftest import READER, drag, make_window, open_pair, press

#: the bounds the tests run with (shipped: 10 s and 3 s; libpq's connect timeout is 2 s at least)
ANSWER_S, RECONNECT_S = 1.0, 2
BANNER = "⚠ edits not saved (database server not answering)"


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(store_pg_connection, "ANSWER_TIMEOUT_S", ANSWER_S)
    monkeypatch.setattr(store_pg_connection, "RECONNECT_TIMEOUT_S", RECONNECT_S)
    from PySide6.QtWidgets import QMessageBox

    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: told.append(text))
    return told


@pytest.fixture
def ticks(qtbot) -> Iterator[list[float]]:  # type: ignore[no-untyped-def]
    """When a 20 ms QTimer of the window's thread fired: a gap is the time the window did not answer."""
    out: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: out.append(time.monotonic()))
    timer.start(20)
    yield out
    timer.stop()


def _longest_gap(ticks: list[float], since: float) -> float:
    seen = [since, *(t for t in ticks if t >= since)]
    return max(b - a for a, b in zip(seen, seen[1:]))


def _stored(url: str) -> tuple[Any, list[Any]]:
    with ReadingStore.open(url, read_only=True) as st:
        return st.load(), st.edit_log()


def test_the_window_goes_on_while_the_server_hangs_and_the_edit_is_saved_once_when_it_answers(  # type: ignore[no-untyped-def]
        qtbot, env: Path, pg_cluster: Cluster, sample_dicom: Path, sample_index, short_bounds, ticks) -> None:
    """Every postgres process stopped while the reader draws: the window froze in recv until the server went on
    (here the guard's SIGCONT after 15 s, in a clinic for ever). Now a line waits the answer bound and one reconnect,
    is refused with the one dialog and the banner, the window runs on meanwhile (its timer ticks), later edits wait
    the reconnect only; once the server goes on, the line drawn again is saved once."""
    told = short_bounds
    url = pg_cluster.create_database("hang")
    copy_store(sample_dicom / "reading.lesionlab", url)
    w = make_window(qtbot, env)
    assert w.store_flow.open_store(url) and not w.session.read_only
    open_pair(w, qtbot, sample_dicom, sample_index)
    w.reading.activate(0)
    vp = w.grid.viewports[0]
    press(w, qtbot, "new_lesion")
    drag(qtbot, vp, (200, 150), (200, 190))
    lid = w.state.selection.lesion_id
    before, n_log = w.session.reading.project, len(_stored(url)[1])
    with pg_cluster.stopped(at_most_s=15):
        t0 = time.monotonic()
        drag(qtbot, vp, (210, 140), (210, 200))  # the line again, longer: refused
        first = time.monotonic() - t0
        assert "the edit was not saved: the database server does not answer" in w.status.text(), w.status.text()
        qtbot.wait(200)
        t1 = time.monotonic()
        press(w, qtbot, "new_lesion")  # refused too, without a second dialog
        second = time.monotonic() - t1
        qtbot.wait(400)  # the server still stopped: the window runs
        assert first < ANSWER_S + RECONNECT_S + 1.5 and second < RECONNECT_S + 1.0, (first, second)
        assert _longest_gap(ticks, t0) < ANSWER_S + RECONNECT_S + 1.5
        assert len([t for t in ticks if t > t1 + second]) >= 8
        assert len(told) == 1 and "not saved" in told[0], told
        assert w.store_flow.store_label.shown_text().startswith(BANNER)
        assert w.session.reading.project == before and w.state.selection.lesion_id == lid
    drag(qtbot, vp, (210, 140), (210, 200))  # drawn again once the server answers: saved
    assert "not saved" not in w.status.text() and not w.store_flow.store_label.shown_text().startswith("⚠")
    stored, log = _stored(url)
    assert stored == w.session.reading.project != before and len(told) == 1
    assert len(log) == n_log + 1 and (log[-1].reader, log[-1].exam_pair_id) == (READER, "E1")


# ------------------------------------------------------------------ an outage in a reader study's case
DEFINITION = {
    "study_id": "hang", "seed": 3, "may_go_back": False, "readers": ["R1", "R2"],
    "sessions": [{"name": "MRI", "roles": ["mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal"]}],
}


def _loaded(w: MainWindow) -> bool:
    return all(vp.volume is not None and vp.volume.loaded.all()
               for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack)


def test_an_outage_in_a_study_case_is_told_once_and_shown_like_in_a_plain_store(  # type: ignore[no-untyped-def]
        qtbot, env: Path, pg_cluster: Cluster, sample_dicom: Path, sample_index, short_bounds) -> None:
    """A case read's edits go to the store through the study's checks (StudySink), not through the window's
    session: a line refused on a stopped server said so in the status bar only, no dialog and no banner, so the
    reader drew on believing the case saved. Now as in a plain store: one dialog, the banner while it lasts, gone
    with the first line saved once the server answers."""
    from annotation.study import definition_from_mapping
    from annotation.study_store import Study

    told = short_bounds
    url = pg_cluster.create_database("hangstudy")
    copy_store(sample_dicom / "reading.lesionlab", url)
    with ReadingStore.open(url) as store:
        cases = [{"patient_id": p, "exam_pair_id": e} for p, e in sorted(store.load().exam_pairs)]
        Study.init(store, definition_from_mapping({**DEFINITION, "cases": cases}))
    w = make_window(qtbot, env, reader="R1")
    w.show_index(str(sample_dicom), sample_index)
    w.study_ui.open(url, "R1")
    w.study_ui.next_case()
    qtbot.waitUntil(lambda: _loaded(w), timeout=60000)
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    w.reading.activate(next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None))
    qtbot.waitUntil(lambda: w.reading.active.geometry is not None)
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.active_widget, (100.0, 100.0), (100.0, 140.0))
    before = w.session.reading.project
    assert len(before.lesions) == 1 and not told, w.status.text()
    with pg_cluster.stopped(at_most_s=15):
        drag(qtbot, w.grid.active_widget, (110.0, 100.0), (110.0, 150.0))
        press(w, qtbot, "new_lesion")
        qtbot.wait(50)
        assert len(told) == 1 and "the database server does not answer" in told[0], told
        assert w.store_flow.store_label.shown_text().startswith(BANNER), w.store_flow.store_label.shown_text()
        assert w.session.reading.project == before
    drag(qtbot, w.grid.active_widget, (110.0, 100.0), (110.0, 150.0))
    assert not w.store_flow.store_label.shown_text().startswith("⚠") and len(told) == 1
    with ReadingStore.open(url, read_only=True) as store:
        saved = {k: v for k, v in store.load().lesions.items() if v.reader == "R1@MRI"}
    assert saved == dict(w.session.reading.project.lesions) != dict(before.lesions)
