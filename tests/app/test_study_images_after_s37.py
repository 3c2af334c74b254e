"""A reader opens the study first and the images after (`lesionlab view --store URL` as a reader role goes straight
to the study; the README then says: Ctrl+O on the study folder). A coordinator's audit found two leaks there:
the study browser stayed shown, listing every patient by name with the exam dates, until the first case opened;
and a study folder holding a reading project (the sample's `reading.lesionlab`) opened that project in place of
the study: the reader saw another reader's whole read with the patients' names, and Ctrl+N did nothing."""

from __future__ import annotations

from pathlib import Path

from tests.app.conftest import make_window
from tests.app.test_study_window import loaded, study_store  # noqa: F401


def test_images_opened_after_the_study_show_no_patient_and_not_the_folders_project(  # type: ignore[no-untyped-def]
        qtbot, env: Path, study_store: Path, sample_dicom: Path, sample_index) -> None:  # noqa: F811
    w = make_window(qtbot, env, reader="R1")
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    w.study_ui.open(str(study_store), "R1")
    assert not w.dock.isVisible() and w.state.blinded  # the overlays without the patient (test_reader_s48c)
    w.show_index(str(sample_dicom), sample_index)  # the folder holds reading.lesionlab: the sample's read, names
    assert not w.dock.isVisible()
    assert w.session.path is None or w.session.path.name != "reading.lesionlab", w.session.path
    assert not w.questions and not errors, (w.questions, errors)
    assert "reading.lesionlab" in w.status.text()  # said, not opened
    w.actions_by_id["study_next"].trigger()
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert not errors, errors
    assert "case" in w.windowTitle() and w.session.reading.reader == "R1@MRI"
    assert not w.dock.isVisible()


def test_the_adjudicator_opening_the_study_in_the_window_is_told_what_to_do(  # type: ignore[no-untyped-def]
        qtbot, env: Path, study_store: Path) -> None:  # noqa: F811
    """The adjudicator's database role opened in the window said "'consensus' is not a reader of study …" and
    nothing else: no word of where adjudication is done."""
    import pytest

    from viewer.errors import StudyError

    w = make_window(qtbot, env, reader="consensus")
    with pytest.raises(StudyError) as caught:
        w.study_ui.flow.open(str(study_store), "consensus")
    text = str(caught.value) + " " + caught.value.advice
    assert "adjudicator" in text and "study disagreements" in text and "open_adjudication" in text, text
