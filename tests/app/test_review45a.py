"""review45a: what the review of session 45's reader45 and privacy45 branches found, each through the real window."""

from __future__ import annotations

from pathlib import Path

from tests.app.conftest import READER, make_window, press


def test_one_click_comes_back_when_a_project_opens_before_any_case_of_the_study(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_dicom: Path, sample_index, store_copy: Path) -> None:
    """A study that keeps one-click off opened, then, before any of its cases, the reader's own project opened in its
    place: one-click stayed off (StudyFlow.in_force counted the study in force while no case of it had been on
    screen, whatever project the session held)."""
    from tests.app.test_reader_s44 import _back
    from tests.app.test_study_window import make_study_store, study_window

    study = make_study_store(env, sample_dicom)
    w0 = make_window(qtbot, env, reader=READER)
    w0.show_error = lambda m: None  # type: ignore[method-assign]
    _back(w0, qtbot)
    press(w0, qtbot, "toggle_one_click")
    assert w0.view_settings.one_click
    w0.close()

    w, _shown = study_window(qtbot, env, study, sample_dicom, sample_index)
    assert not w.view_settings.one_click and w.state.suggest is None
    w.study_ui.dialog.close()
    assert w.store_flow.open_store(store_copy)  # no case of the study opened
    assert w.view_settings.one_click and w.state.suggest is not None and w.one_click_action.isChecked(), \
        (w.state.blinded, w.study_ui.flow.in_force(), w.status.text())
    w.close()
