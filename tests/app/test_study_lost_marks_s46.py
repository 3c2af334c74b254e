"""A reader study's case opened in the real window shows no date of its exams (session 46's blinding checks)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.app.conftest import press
from tests.app.test_reader_s44 import _back
from tests.app.test_study_window import loaded, make_study_store, study_window

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_opening_a_case_says_and_titles_no_date_nor_patient(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                           sample_index) -> None:
    """The window's opening of a pair said "reading CT 2024-02-05 + MR 2024-03-25  (49 d); missing: …" (the case's
    exam dates, which the blinded case's project never holds) and titled the window with the patient's id, before the
    study's words replaced both in the same step: every observer of the status had them, and the window manager the
    title. A case opens under the study's words only."""
    w, shown = study_window(qtbot, env, make_study_store(env, sample_dicom), sample_dicom, sample_index)
    said: list[str] = []
    w.state.changed.connect(lambda aspect: said.append(w.state.status) if aspect == "status" else None)
    titles: list[str] = []
    w.windowTitleChanged.connect(titles.append)
    w.study_ui.dialog.close()
    _back(w, qtbot)
    press(w, qtbot, "study_next")
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert not shown and w.session.reading.reader == "R1@MRI", shown
    assert titles and said, (titles, said)
    patients = {p.patient_id for p in w.patients}
    for text in said + titles:
        assert not DATE.search(text) and " d)" not in text and not any(p in text for p in patients), text
