"""The case list's "Open selected" opens the case the reader selected, and none when none is (review39b).

The list takes the focus when it is shown, and Qt then makes row 0 the table's current row with nothing shown
selected: "Open selected" opened session 1's first case. Once that case is finished, going back to it is a look at
the reader's finished read, which restarts its patient's washout on PostgreSQL (migration 13): a click on a button
that names a selection, with none, delayed the reader's next session of that patient by the washout.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from PySide6.QtCore import Qt

from annotation.store import ReadingStore
from annotation.study_store import Study
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.app.conftest import make_window
from tests.app.test_study_window import study_store, study_window  # noqa: F401


def test_open_selected_with_nothing_selected_opens_no_case(qtbot, env: Path, study_store: Path,  # type: ignore[no-untyped-def]  # noqa: F811
                                                          sample_dicom: Path, sample_index) -> None:
    w, shown = study_window(qtbot, env, study_store, sample_dicom, sample_index)
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


def test_open_selected_with_nothing_selected_is_no_look_on_postgresql(qtbot, env: Path, pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The harm, on a study store's server: R1 has finished its MRI session; its case list shown, "Open selected"
    clicked with nothing selected recorded a look at its first MRI read (going back to it), which restarts that
    patient's washout before the CT session."""
    from annotation.store_location import parse_location
    from annotation.store_pg_security import add_reader
    from tests.annotation.test_study_store import Clock, definition, fill, read_case

    fill(pg_url)
    with ReadingStore.open(pg_url) as owner:
        Study.init(owner, definition())  # readers may go back
        add_reader(owner.backend_db, "R1", db_role="csl_r1")
    url = pg_cluster.url(parse_location(pg_url).database_name(), "csl_r1")
    with ReadingStore.open(url) as store:
        study = Study(store, clock=Clock())
        for _ in range(3):
            read_case(study, "R1")
    w = make_window(qtbot, env, reader="someone")
    errors: list[str] = []
    w.show_error = w.store_flow.show_error = errors.append  # type: ignore[method-assign]
    assert w.store_flow.open_store(url) and not errors, errors
    dialog = w.study_ui.dialog
    assert dialog is not None and dialog.table.item(0, 3).text() == "done"
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    assert dialog.table.currentRow() == 0 and not dialog.table.selectedItems()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute("SELECT reader, patient_id FROM read_looks").fetchall() == []
    assert w.study_ui.flow.current is None and not errors, errors
