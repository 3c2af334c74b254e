"""Session 48's radiologist-engineer (follow-ups and a reader study under Xvfb), through the real main window with
key and mouse events."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt

from tests.app.conftest import press
from tests.app.test_study_window import loaded, study_store, study_window  # noqa: F401

_DATE = re.compile(r"\b(19|20)\d\d-?\d\d-?\d\d\b")


def _painted(vp) -> list[str]:  # type: ignore[no-untyped-def]
    vp.grab()  # a paint: the overlay's boxes are what it drew
    return [t for t, _ in vp.overlays.boxes]


def test_a_blinded_case_shows_the_series_and_image_not_the_patient(  # type: ignore[no-untyped-def]
        qtbot, env: Path, study_store: Path, sample_dicom: Path, sample_index) -> None:  # noqa: F811
    """A blinded study case hid every overlay (no "T2 FS", no "Im x/y", no W/L) and O said they would show the
    patient's id and dates. Only what identifies goes: the cells paint series, image, position, W/L and zoom, and
    neither the DICOM patient id nor a date. (Checked: fails without this change: no overlay painted.)"""
    w, shown = study_window(qtbot, env, study_store, sample_dicom, sample_index)
    dialog = w.study_ui.dialog
    assert dialog is not None
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    qtbot.keyClick(dialog.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # the case list's key
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert not shown, shown
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    cells = [(vp, c.stack) for vp, c in zip(w.grid.viewports, w.reading.hanging.cells) if c.stack is not None]
    assert cells
    for vp, stack in cells:
        texts = _painted(vp)
        joined = "\n".join(texts)
        assert stack.series_description and stack.series_description in joined, texts
        assert "Im " in joined and "W " in joined and "Zoom" in joined, texts
        assert stack.patient_id not in joined, texts
        assert not _DATE.search(joined), texts
    press(w, qtbot, "toggle_overlays")  # O hides them and shows them again, saying nothing of the patient
    assert not w.state.overlays and not shown, shown
    press(w, qtbot, "toggle_overlays")
    assert w.state.overlays and not shown, shown
