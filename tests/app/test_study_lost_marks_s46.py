"""A reader study's case read that lost a count mark in a lesionlab older than December 2026, opened through the study
flow in the real window (session 45's leftovers): told as a project's are (a box once, the status bar, Checks until
counted again), by series and lesion only. The other lesion that took the mark's id is another read's, at another
exam of the patient dated 2024-09-02: neither that read, nor that exam, nor any date shows (a blinding leak)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

from annotation.checks import CheckCode
from annotation.reading import old_preplaced_mark_id
from annotation.records import Measurement
from annotation.store import ReadingStore, open_reading
from annotation.study_store import Study
from tests.app.conftest import press
from tests.app.test_reader_s44 import _back
from tests.app.test_study_window import loaded, make_study_store, study_window
from viewer.records import Role

T2 = Role.MR_T2FS
UID = "2.25.46114611"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _older_study_store(env: Path, sample_dicom: Path) -> tuple[Path, str, str]:
    """The window's study store as an older lesionlab left it: R1's MRI read of their first case measured L1 on T2 FS
    (the sample reader's L1 line there), and the sample reader's lesion of the same tracking UID at the patient's
    later exam E2, measured on T2 FS after it, took the mark's old id. Its path, the case's code and patient."""
    path = make_study_store(env, sample_dicom)
    with ReadingStore.open(path, read_only=True) as store:
        study = Study(store)
        code = study.order("R1", "MRI")[0]
        patient, exam = study.definition.case(code).pair
    st, r = open_reading(path, "R1@MRI")
    try:
        line = r.project.lesions[(patient, exam, "sample", "L1")].observation(T2)
        assert isinstance(line, Measurement)
        lid = r.add_lesion((patient, exam), "right", tracking_uid=UID)
        r.set_observation((patient, exam), lid, T2, line)
    finally:
        st.close()
    st, r = open_reading(path, "sample")
    try:
        r.add_exam_pair(patient, "E2", ct_study_uid="2.25.46114612", mri_study_uid="2.25.46114613",
                        ct_date=dt.date(2024, 9, 2), mri_date=dt.date(2024, 9, 2))
        lid = r.add_lesion((patient, "E2"), "right", tracking_uid=UID)
        r.set_observation((patient, "E2"), lid, T2, line)
        project = r.project
        marks = [m for m in project.count_marks.values()
                 if m.role is T2 and (m.reader, m.exam_pair_id) in {("R1@MRI", exam), ("sample", "E2")}]
        later = next(m for m in marks if m.reader == "sample")
        r.apply("as stored before December 2026", project.without_many({"count_marks": [m.mark_id for m in marks]})
                .with_record(replace(later, mark_id=old_preplaced_mark_id(UID, T2))))
    finally:
        st.close()
    return path, code, patient


def test_a_case_reads_lost_mark_is_told_blinded_once_and_in_checks(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                  sample_index) -> None:
    path, code, patient = _older_study_store(env, sample_dicom)
    w, shown = study_window(qtbot, env, path, sample_dicom, sample_index)
    told: list[tuple[str, str]] = []
    w.store_flow.inform = lambda title, text: told.append((title, text))  # type: ignore[method-assign]
    said: list[str] = []
    w.state.changed.connect(lambda aspect: said.append(w.state.status) if aspect == "status" else None)
    w.study_ui.dialog.close()
    _back(w, qtbot)
    press(w, qtbot, "study_next")
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert not shown, shown
    assert w.session.reading.reader == "R1@MRI" and f"case {code}" in w.windowTitle()

    assert len(told) == 1 and f"Your read of case {code}" in told[0][1] and "T2 FS: L1" in told[0][1], told
    assert any("⚠ 1 count mark lost in an older lesionlab (T2 FS: L1): count them again (C)" in s for s in said), said
    checks = w.docks.checks_panel
    checks.refresh()
    lost = [c for c in checks.warnings if c.code is CheckCode.LOST_MARK]
    assert [(c.lesion_id, c.role) for c in lost] == [("L1", T2)], checks.warnings
    # nothing the reader is shown names the other exam, its date, the other read or the patient
    for text in [told[0][1], *said, *(c.message for c in checks.warnings), *(checks.list.item(i).text()
                                                                             for i in range(checks.list.count()))]:
        assert not DATE.search(text) and "E2" not in text and "sample" not in text and patient not in text, text

    # counted again (a count click inside its line): Checks no longer lists it
    pair = w.state.selection.pair
    line = w.session.reading.project.lesions[(*pair, "R1@MRI", "L1")].observation(T2)
    assert isinstance(line, Measurement)
    w.session.reading.add_count_mark(pair, T2, "right", stack_key=line.stack_key, slice_index=line.slice_index,
                                     row=line.middle[0], col=line.middle[1])
    checks.refresh()
    assert not [c for c in checks.warnings if c.code is CheckCode.LOST_MARK], checks.warnings
    assert len(told) == 1


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
