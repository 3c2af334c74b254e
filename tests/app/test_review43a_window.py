"""review43a: the study opened while a line is being drawn on the exam read before (close_pair mid-drag): the line's
release lands on an empty cell and is recorded in neither the project nor the study (checked: the same drag without the
study opening records L6's 47.0 mm line, so the test can fail)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from tests.app.conftest import press
from tests.app.test_reader_s43 import _reading_llsyn003


def _lines(store_path: Path) -> int:
    from annotation.store import ReadingStore

    with ReadingStore.open(store_path, read_only=True) as store:
        project = store.load()
    return sum(len(les.observations) for les in project.lesions.values())


def test_a_line_being_drawn_when_the_study_opens_is_recorded_nowhere(qtbot, env: Path, store_copy: Path,  # type: ignore[no-untyped-def]
                                                                   sample_dicom: Path, sample_index) -> None:
    w, study, shown = _reading_llsyn003(qtbot, env, store_copy, sample_dicom, sample_index)
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack), timeout=60000)
    press(w, qtbot, "new_lesion")
    press(w, qtbot, "tool_line")
    before_project, before_study = _lines(store_copy), _lines(study)
    vp = w.grid.active_widget
    centre = QPoint(vp.width() // 2, vp.height() // 2)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(vp, centre + QPoint(20, 0))
    w.study_ui.open(str(study), "R1")  # from the menu while the button is down (a second screen, a shortcut)
    assert w.study_ui.dialog is not None
    w.study_ui.dialog.close()
    qtbot.mouseMove(vp, centre + QPoint(40, 0))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=centre + QPoint(40, 0))
    qtbot.wait(200)
    assert (_lines(store_copy), _lines(study)) == (before_project, before_study), (shown, w.status.text())
    assert w.state.pair is None


def test_ctrl_z_once_the_study_is_open_undoes_nothing_of_the_project_read_before(qtbot, env: Path, store_copy: Path,  # type: ignore[no-untyped-def]
                                                                                sample_dicom: Path, sample_index) -> None:
    """N on LLSYN003 in a project, then Study -> Open study as reader… as R1 (the exam closed, the status naming R1 and
    the study): Ctrl+Z said "undo would change another exam pair: add lesion (on LLSYN003 E1 …)", the patient's id in
    a blinded study, and a second Ctrl+Z removed the new lesion from the project (15 -> 14 lesions). Until a case
    opens the session still holds the project: its steps are not replayed from the study."""
    w, study, shown = _reading_llsyn003(qtbot, env, store_copy, sample_dicom, sample_index)
    press(w, qtbot, "new_lesion")
    qtbot.wait(100)
    from annotation.store import ReadingStore

    with ReadingStore.open(store_copy, read_only=True) as store:
        made = len(store.load().lesions)
    w.study_ui.open(str(study), "R1")
    assert w.study_ui.dialog is not None
    w.study_ui.dialog.close()
    undo = w.actions_by_id["undo"].shortcuts()[0][0]
    qtbot.keyClick(w.grid.active_widget, undo.key(), undo.keyboardModifiers())
    qtbot.keyClick(w.grid.active_widget, undo.key(), undo.keyboardModifiers())
    qtbot.wait(100)
    with ReadingStore.open(store_copy, read_only=True) as store:
        assert len(store.load().lesions) == made, (shown, w.status.text())
    assert "LLSYN003" not in w.status.text(), w.status.text()
    undo_action, redo_action = w.actions_by_id["undo"], w.actions_by_id["redo"]
    assert (undo_action.text(), undo_action.isEnabled(), redo_action.isEnabled()) == ("Undo", False, False)
    w._replay("undo")  # as the menu item would, were it offered
    assert "nothing to undo: no case of the study is open" in w.status.text(), w.status.text()
    with ReadingStore.open(store_copy, read_only=True) as store:
        assert len(store.load().lesions) == made
