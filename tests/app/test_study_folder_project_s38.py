"""What a study folder's own reading project does while a reader study is open (session 38: README said it is
"not opened", which holds for the folder opened, not for the project opened by hand)."""

from __future__ import annotations

from pathlib import Path

from tests.app.conftest import make_window
from tests.app.test_study_window import loaded, study_store  # noqa: F401


def test_a_folders_project_is_named_not_opened_but_file_open_replaces_the_study(  # type: ignore[no-untyped-def]
        qtbot, env: Path, study_store: Path, sample_dicom: Path, sample_index, monkeypatch) -> None:  # noqa: F811
    w, errors = make_window(qtbot, env, reader="R1"), []
    monkeypatch.setattr(w, "show_error", errors.append)
    w.study_ui.open(str(study_store), "R1")
    w.show_index(str(sample_dicom), sample_index)  # the folder, with its reading.lesionlab (the sample's read)
    assert "reading.lesionlab: not opened while a reader study is open" in w.status.text(), w.status.text()
    w.actions_by_id["study_next"].trigger()  # a case on screen
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert w.session.path == study_store and not errors, errors
    assert not w.questions
    assert w.store_flow.open_store(sample_dicom / "reading.lesionlab")  # File -> Open reading project: opened
    # the study's case closed with its store: the window no longer blinded, the browser back (it stayed blinded for
    # every project opened after: review48, tests/app/test_fix48b.py)
    assert w.session.path == sample_dicom / "reading.lesionlab" and not w.state.blinded and w.dock.isVisible()
    w.actions_by_id["study_next"].trigger()
    assert any("the study's store was closed (another reading project was opened)" in e for e in errors), errors
