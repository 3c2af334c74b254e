"""Session 47's radiologist read: the Clinical record's treatments were checkboxes, which could not say "not recorded".
Now each is a choice of yes / no / not recorded, set here with real mouse and key events in the main window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotation.vocab import Treatment


def _choose(qtbot, box, typed: str) -> None:  # type: ignore[no-untyped-def]
    """Click the choice open, type into its list, Return (the form's choices take no keyboard focus of their own)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.view().isVisible())
    qtbot.keyClicks(box.view(), typed)
    qtbot.keyClick(box.view(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.view().isVisible())
    qtbot.wait(450)  # past QApplication.keyboardInputInterval: the next letters start a new search


def test_a_treatment_is_set_yes_no_or_not_recorded_by_mouse_and_keys(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.docks.clinical_dock.raise_()
    form = w.docks.clinical_form
    pid = form.patient_id
    record = lambda: w.session.reading.project.patients[pid].clinical  # noqa: E731
    box = form.treatments[Treatment.TARGETED_THERAPY]
    assert box.currentText() == "not recorded" and record().treatment(Treatment.TARGETED_THERAPY) is None
    _choose(qtbot, box, "n")
    assert record().treatment(Treatment.TARGETED_THERAPY) is False and box.currentText() == "no"
    _choose(qtbot, box, "y")
    assert record().treatment(Treatment.TARGETED_THERAPY) is True
    _choose(qtbot, box, "nn")
    assert record().treatment(Treatment.TARGETED_THERAPY) is None and box.currentText() == "not recorded"
    w.session.reading.undo()
    assert box.currentText() == "yes"


def test_no_carried_from_an_old_store_is_shown_and_confirmed_by_a_click(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.docks.clinical_dock.raise_()
    form = w.docks.clinical_form
    pid = form.patient_id
    reading = w.session.reading
    reading.edit_patient(pid, treatments_no={"transplant"}, treatments_unconfirmed=True)
    qtbot.waitUntil(lambda: form.confirm.isVisible())
    assert "could not tell no from not recorded" in form.unconfirmed.text()
    qtbot.mouseClick(form.confirm, Qt.MouseButton.LeftButton)
    assert not reading.project.patients[pid].clinical.treatments_unconfirmed
    assert reading.project.patients[pid].clinical.treatment(Treatment.TRANSPLANT) is False
    assert not form.confirm.isVisible()
