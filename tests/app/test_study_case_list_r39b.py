"""The case list's "Open selected" opens the case the reader selected, and none when none is (review39b).

The list takes the focus when it is shown, and Qt then makes row 0 the table's current row with nothing shown
selected: "Open selected" opened session 1's first case. Once that case is finished, going back to it is a look at
the reader's finished read, which restarts its patient's washout on PostgreSQL (migration 13): a click on a button
that names a selection, with none, delayed the reader's next session of that patient by the washout.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from tests.app.test_study_window import opened_as_r1, study_store  # noqa: F401


def test_open_selected_with_nothing_selected_opens_no_case(qtbot, env: Path, study_store: Path,  # type: ignore[no-untyped-def]  # noqa: F811
                                                          sample_dicom: Path, sample_index) -> None:
    w, shown = opened_as_r1(qtbot, env, study_store, sample_dicom, sample_index)
    dialog = w.study_ui.dialog
    assert dialog is not None
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    assert dialog.focusWidget() is dialog.table and dialog.table.currentRow() == 0  # what Qt does
    assert not dialog.table.selectedItems()
    said: list[str] = []
    w.state.say = said.append  # type: ignore[method-assign]
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert w.study_ui.flow.current is None and "case C" not in w.windowTitle(), w.windowTitle()
    assert said and "select a case" in said[-1] and not shown
    # the row the reader clicks (its next case), then the button: that case opens
    first = dialog.table.item(0, 2).text()
    rect = dialog.table.visualItemRect(dialog.table.item(0, 2))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert [i.row() for i in dialog.table.selectionModel().selectedRows()] == [0]
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert w.study_ui.flow.current is not None and w.study_ui.flow.current.ref.code == first, (w.windowTitle(), shown)
