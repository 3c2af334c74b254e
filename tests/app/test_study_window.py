"""Study mode in the real window: open a study as a reader, the case list, Ctrl+N for the next case,
the case on screen blinded (only the session's modality hangs, no browser, overlays without the patient, the title
names the study code), a lesion drawn with real events saved as the session read, washout said."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from annotation.store import ReadingStore
from annotation.study import definition_from_mapping
from annotation.study_store import Study
from app.main_window import MainWindow
from tests.app.conftest import drag, make_window, press

DEFINITION = {
    "study_id": "window", "seed": 3, "may_go_back": False, "readers": ["R1", "R2"],
    "sessions": [{"name": "MRI", "roles": ["mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal"]},
                 {"name": "CT", "roles": ["ct_arterial", "ct_portal"], "washout_days": 14}],
}


def make_study_store(env: Path, sample_dicom: Path, **changed: object) -> Path:
    """The sample reading's store with a study of its exam pairs (:data:`DEFINITION`, ``changed`` over it)."""
    path = env / "study.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", path)
    with ReadingStore.open(path) as store:
        cases = [{"patient_id": p, "exam_pair_id": e} for p, e in sorted(store.load().exam_pairs)]
        Study.init(store, definition_from_mapping({**DEFINITION, **changed, "cases": cases}))
    return path


@pytest.fixture
def study_store(env: Path, sample_dicom: Path) -> Path:
    return make_study_store(env, sample_dicom)


def study_window(qtbot, env: Path, store: Path, sample_dicom: Path, sample_index,  # type: ignore[no-untyped-def]
                 reader: str = "R1") -> tuple[MainWindow, list[str]]:
    """The main window with the sample's images, the study of ``store`` open as ``reader``, and the errors it showed."""
    w = make_window(qtbot, env, reader=reader)
    shown: list[str] = []
    w.show_error = shown.append  # type: ignore[method-assign]
    w.show_index(str(sample_dicom), sample_index)
    w.study_ui.open(str(store), reader)
    return w, shown


def loaded(w: MainWindow) -> bool:
    return all(vp.volume is not None and vp.volume.loaded.all()
               for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack)


def test_a_reader_works_through_the_study_with_one_key(qtbot, env: Path, study_store: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                      sample_index) -> None:
    w, shown = study_window(qtbot, env, study_store, sample_dicom, sample_index)
    dialog = w.study_ui.dialog
    assert dialog is not None and dialog.isVisible() and dialog.table.rowCount() == 6
    with ReadingStore.open(study_store, read_only=True) as store:
        order = Study(store).order("R1", "MRI")
    assert [dialog.table.item(i, 2).text() for i in range(3)] == list(order)
    assert dialog.table.item(0, 3).text() == "next" and dialog.table.item(3, 3).text() == "waiting"

    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    qtbot.keyClick(dialog.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # the key in the case list
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert not shown, shown
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    assert w.session.reading.reader == "R1@MRI" and f"case {order[0]} (MRI, 1 of 3)" in w.windowTitle()
    assert not w.dock.isVisible() and w.state.overlays  # without the patient's id and dates (test_reader_s48c)
    # the reader cannot bring back what shows who the patient is: Ctrl+B refuses, saying why; O hides and shows
    press(w, qtbot, "toggle_browser")
    press(w, qtbot, "toggle_overlays")
    assert not w.dock.isVisible() and not w.state.overlays
    press(w, qtbot, "toggle_overlays")
    assert w.state.overlays
    assert any("lists patients by name" in m for m in shown) and not any("patient's id" in m for m in shown)
    shown.clear()
    hung = [c.stack for c in w.reading.hanging.cells if c.stack is not None]
    assert hung and all(s.modality == "MR" for s in hung)  # the MRI session shows no CT
    project = w.session.reading.project
    (patient,) = project.patients.values()
    assert patient.patient_name == order[0] and not project.lesions  # the sample's read is not shown

    # a lesion with real events: N, then drag its diameter on the active MRI cell
    w.reading.activate(next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None))
    qtbot.waitUntil(lambda: w.reading.active.geometry is not None)
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.active_widget, (100.0, 100.0), (100.0, 140.0))
    lesions = list(w.session.reading.project.lesions.values())
    assert len(lesions) == 1 and lesions[0].reader == "R1@MRI" and lesions[0].measurements()
    assert dialog.table.item(0, 3).text() in ("next", "open")

    press(w, qtbot, "study_next")  # not read whole (nothing counted, L1 on one series): said, the case stays open
    assert f"case {order[0]} is not read whole" in w.status.text() and "Ctrl+N again" in w.status.text()
    assert f"case {order[0]} (MRI, 1 of 3)" in w.windowTitle()
    press(w, qtbot, "study_next")  # again: finishes the case, opens the next in the order
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert f"case {order[1]} (MRI, 2 of 3)" in w.windowTitle() and not w.session.reading.project.lesions
    assert [dialog.table.item(i, 3).text() for i in range(2)] == ["done", "open"]
    with ReadingStore.open(study_store, read_only=True) as store:
        saved = [les for les in store.load().lesions.values() if les.reader == "R1@MRI"]
        assert len(saved) == 1 and saved[0].measurements()
        assert Study(store).session_reads()[("R1", "MRI", order[0])].finished

    press(w, qtbot, "study_next")
    press(w, qtbot, "study_next")  # nothing read: said first, then finished
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    press(w, qtbot, "study_next")
    press(w, qtbot, "study_next")  # the MRI session is done; the CT session waits for the washout
    assert shown and "washout" in shown[-1] and "14 days" in shown[-1]
    assert [dialog.table.item(i, 3).text() for i in range(3)] == ["done"] * 3


def test_nothing_of_the_study_store_leaves_a_blinded_case_nor_reopens_it(qtbot, env: Path, study_store: Path,  # type: ignore[no-untyped-def]
                                                                          sample_dicom: Path, sample_index) -> None:
    """A researcher's check: in a blinded case the Clinical record dock was titled with the patient's id and the
    Follow-up dock's header named it with the exam's date; Ctrl+E exported every reader's reads with the
    patients' ids and names (the analysis and the SR actions likewise); and closing lesionlab saved the case as
    the position to reopen, so the next start showed the study store as an ordinary project: title, browser,
    overlays and the other readers' reads one menu away."""
    import json

    from viewer.errors import LesionlabError

    w = make_window(qtbot, env, reader="R2")
    shown: list[str] = []
    w.show_error = shown.append  # type: ignore[method-assign]
    w.show_index(str(sample_dicom), sample_index)
    w.study_ui.open(str(study_store), "R2")
    w.study_ui.next_case()
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert w.state.blinded
    # the cells of the other session's series said "drop a stack here from the browser", a browser a case hides
    empty = [vp for vp in w.grid.viewports if vp.model.volume is None and vp.model.role is not None]
    assert empty and all(vp.missing_note == "not read in session MRI" for vp in empty
                         if vp.model.role.value.startswith("ct_"))
    assert all(vp.missing_note == "" for vp in w.grid.viewports if not vp.model.role.value.startswith("ct_"))
    (patient,) = w.session.reading.project.patients.values()
    code, pid = patient.patient_name, patient.patient_id
    docks = w.docks
    assert pid not in docks.clinical_dock.windowTitle() and "blinded" in docks.clinical_dock.widget().text()
    docks.checks_panel.refresh()  # a case of the MRI session: its Checks ask nothing of the CT it does not hang
    assert docks.checks_panel.warnings and not [x for x in docks.checks_panel.warnings
                                                if x.role is not None and x.role.value.startswith("ct")]
    docks.followup_dock.raise_()  # the panel is drawn when its tab is in view (a hidden one waits)
    header = docks.followup_panel.header.text()
    assert pid not in header and code in header and "20" not in header.split("·")[1], header
    assert w.state.prepare() is None  # the case's exam recorded (its first edit): still no exam id, timepoint or date
    docks.followup_panel.refresh()
    header = docks.followup_panel.header.text()
    assert w.state.selection.pair is not None and w.state.selection.pair[1] not in header, header
    assert header.endswith("exam on screen") and "timepoint" not in header and "baseline" not in header, header
    for act in (lambda: w.exports.export_to(env / "out"), lambda: w.exports.run_analysis(env / "analysis"),
                lambda: w.sr_actions.export_sr_to(env / "sr")):
        with pytest.raises(LesionlabError, match="blinded study case"):
            act()
    assert not (env / "out").exists() and not (env / "sr").exists()
    w.close()
    saved = json.loads((env / "last_session.json").read_text())
    assert saved["store"] is None and saved["patient_id"] is None and saved["ct_study_uid"] is None, saved
    assert saved["lesion_id"] is None and saved["slices"] == {} and saved["paths"] == []


def test_no_panel_menu_nor_ctrl_p_shows_the_patients_in_a_blinded_case(qtbot, env: Path, study_store: Path,  # type: ignore[no-untyped-def]
                                                                  sample_dicom: Path, sample_index) -> None:
    """A reader's check: View -> Reset panel layout showed the Studies dock, every patient by name, over a blinded
    case (Ctrl+B refused it). Neither the reset, nor View -> Panels, nor the panels' right-click menu shows it."""
    from app.pair_dialog import PairChooser

    w = make_window(qtbot, env, reader="R1")
    w.show_index(str(sample_dicom), sample_index)
    w.study_ui.open(str(study_store), "R1")
    w.study_ui.next_case()
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert w.state.blinded and not w.dock.isVisible()
    w.reset_layout()
    assert not w.dock.isVisible() and w.docks.lesions_dock.isVisible()
    w.restore_layout()
    assert not w.dock.isVisible()
    panels = w.panels_menu()
    panels.aboutToShow.emit()
    browser = w.dock.toggleViewAction()
    assert browser in panels.actions() and not browser.isEnabled()
    popup = w.createPopupMenu()
    assert popup is not None and browser in popup.actions() and not browser.isEnabled()
    browser.trigger()  # a disabled action does nothing
    assert not w.dock.isVisible()
    # nor Ctrl+P, which listed "Exam pairs of SYNTHETIC ALPHA (LLSYN001)" with the dates (a review), nor a pair
    # chosen in the (hidden) browser
    shown: list[str] = []
    w.show_error = shown.append  # type: ignore[method-assign]
    title = w.windowTitle()
    w.actions_by_id["choose_pair"].trigger()
    assert shown and "blinded study case" in shown[-1] and not w.findChildren(PairChooser)
    w.browser.pair_chosen.emit(w.state.pair)
    assert len(shown) == 2 and w.windowTitle() == title
    # P hung the patient's earlier exam beside the case with both dates, or named the patient's id when there was
    # none; File -> Reader name took "R2@MRI" and wrote into R2's read (a check of a blinded case)
    pid = w.state.pair.patient_id
    w.actions_by_id["compare_prior"].trigger()
    assert len(shown) == 3 and "blinded study case" in shown[-1] and pid not in shown[-1]
    assert not w.follow_up.active and pid not in w.status.text()
    asked: list[str] = []
    w.store_flow.ask_text = lambda *a: asked.append("asked") or "R2@MRI"  # type: ignore[method-assign]
    next(a for a in w.menuBar().actions()[0].menu().actions() if a.text() == "Reader name…").trigger()
    assert not asked and len(shown) == 4 and w.session.reading.reader == "R1@MRI"
