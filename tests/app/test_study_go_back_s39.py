"""Going back to a finished case says what it costs before it opens (session 39).

Since migration 13 a reader's look at (PostgreSQL reader role) or edit of its own finished read starts the washout
before the patient's case of the next session again. A double-click on a "done" row of the case list opened the case
and put that patient's next-session case off by the whole washout, unsaid. Now the window asks first, naming the
date the case would open on; No leaves it closed, Yes opens it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from annotation.store import ReadingStore
from annotation.study_store import Study
from tests.app.test_study_window import loaded, make_study_store, study_window


@pytest.fixture
def go_back_store(env: Path, sample_dicom: Path) -> Path:
    return make_study_store(env, sample_dicom, may_go_back=True)


def double_click_row(qtbot, table, row: int) -> None:  # type: ignore[no-untyped-def]
    dialog = table.window()
    dialog.activateWindow()  # the case list is the reader's active window when it double-clicks a row
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    rect = table.visualRect(table.model().index(row, 2))
    # a real double-click: press and release, then the second press (Qt's QTest sends the double-click event alone,
    # which an item view ignores without the press before it)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_double_click_on_a_finished_case_asks_first_naming_the_washout(qtbot, env: Path, go_back_store: Path,  # type: ignore[no-untyped-def]
                                                                        sample_dicom: Path, sample_index) -> None:
    w, shown = study_window(qtbot, env, go_back_store, sample_dicom, sample_index)
    dialog = w.study_ui.dialog
    assert dialog is not None
    w.study_ui.next_case()
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    first = w.study_ui.flow.current.ref.code
    w.study_ui.next_case()  # the first case is not read whole (nothing counted): said, it stays open
    w.study_ui.next_case()  # again: finishes it, opens the second
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert dialog.table.item(0, 3).text() == "done"
    second_title = w.windowTitle()

    asked: list[str] = []
    answers = [False, True]
    w.study_ui.confirm = lambda text: (asked.append(text), answers.pop(0))[1]  # type: ignore[method-assign]
    double_click_row(qtbot, dialog.table, 0)
    assert len(asked) == 1, asked
    assert f"case {first} of session MRI is finished" in asked[0] and "14-day washout" in asked[0]
    assert "session CT read of the same patient" in asked[0] and "would open on" in asked[0], asked[0]
    assert "An edit in it" in asked[0]  # SQLite: no look is recorded, an edit is
    # finished today: the case opens on the same day either way, said once ("on D at the earliest, not on D" before)
    assert ", not on " not in asked[0] and re.search(r"would open on \d{4}-\d\d-\d\d at the earliest\.", asked[0])
    assert w.windowTitle() == second_title and f"case {first} of session MRI left closed" in w.status.text()
    assert not shown, shown

    double_click_row(qtbot, dialog.table, 0)  # yes: it opens
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert len(asked) == 2 and f"case {first} (MRI, 1 of 3)" in w.windowTitle(), w.windowTitle()
    assert not shown, shown


def test_an_unfinished_case_and_a_study_without_washout_open_without_a_question(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                               go_back_store: Path,
                                                                               sample_dicom: Path, sample_index) -> None:
    w, _ = study_window(qtbot, env, go_back_store, sample_dicom, sample_index)
    asked: list[str] = []
    w.study_ui.confirm = lambda text: (asked.append(text), True)[1]  # type: ignore[method-assign]
    double_click_row(qtbot, w.study_ui.dialog.table, 0)  # the next case, not finished
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert not asked and "(MRI, 1 of 3)" in w.windowTitle()
    with ReadingStore.open(go_back_store, read_only=True) as store:
        study = Study(store)
        order = study.order("R1", "MRI")
        assert study.going_back_costs("R1", "MRI", order[0]) == ""  # open, not finished
        assert study.going_back_costs("R1", "CT", order[0]) == ""  # the last session: no washout after it


def test_the_case_list_shows_every_column_whole(qtbot, env: Path, go_back_store: Path,  # type: ignore[no-untyped-def]
                                                sample_dicom: Path, sample_index) -> None:
    """A check under Xvfb: the five columns at Qt's 100 px each did not fit the 520 px list, "Reading time" read
    "Reading tin" over a horizontal scroll bar."""
    w, _ = study_window(qtbot, env, go_back_store, sample_dicom, sample_index)
    table = w.study_ui.dialog.table
    qtbot.waitExposed(w.study_ui.dialog)
    assert table.horizontalHeader().length() <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
