"""Session 47's radiologist read: on a coronal DWI (the Siemens phantom exam) N made L1, the drag on the coronal stack
was refused ("cannot measure on a coronal stack ..."), and the empty L1 stayed, in the grid and the export. Now N is
taken back when its lesion's first line is refused for the series' geometry and nothing was recorded of it."""

from __future__ import annotations

import annotation.gestures as gestures
from tests.app.conftest import drag, press


def test_a_lesion_whose_first_line_the_series_refuses_is_taken_back(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    w = window
    reading = w.session.reading
    w.reading.activate(0)
    vp, other = w.grid.viewports[0], w.grid.viewports[1]
    real = gestures.measurable_refusal

    def coronal_there(geo):  # type: ignore[no-untyped-def]
        """The second cell's stack stands for the coronal DWI (the sample's series are axial)."""
        if geo is other.model.geometry:
            return "cannot measure on a coronal stack: the protocol measures in the strict axial plane"
        return real(geo)

    monkeypatch.setattr(gestures, "measurable_refusal", coronal_there)
    before = set(reading.project.lesions)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    assert lid is not None and len(reading.project.lesions) == len(before) + 1
    drag(qtbot, other, (200, 150), (200, 190))
    assert "cannot measure on a coronal stack" in w.status.text() and f"{lid} taken back" in w.status.text()
    assert set(reading.project.lesions) == before and w.state.selection.lesion_id is None
    press(w, qtbot, "new_lesion")  # a lesion with a line drawn stays whatever is refused next
    drag(qtbot, vp, (200, 150), (200, 190))
    kept = w.state.selection.lesion_id
    drag(qtbot, other, (200, 150), (200, 190))
    assert (*w.state.selection.pair, reading.reader, kept) in reading.project.lesions
    assert "taken back" not in w.status.text()


def test_n_is_taken_back_only_for_the_lesion_it_just_made(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Session 47's review: N twice, the reader goes back to the first empty lesion and drags on the coronal stack: the
    step taken back was the second lesion's making, said as the first's ("L1 taken back", L1 still there). N's step now
    names its lesion, and only that lesion's making is taken back."""
    w = window
    reading = w.session.reading
    w.reading.activate(0)
    other = w.grid.viewports[1]
    real = gestures.measurable_refusal
    monkeypatch.setattr(gestures, "measurable_refusal", lambda geo: (
        "cannot measure on a coronal stack" if geo is other.model.geometry else real(geo)))
    before = set(reading.project.lesions)
    press(w, qtbot, "new_lesion")
    first = w.state.selection.lesion_id
    press(w, qtbot, "new_lesion")
    second = w.state.selection.lesion_id
    assert first and second and first != second and reading.undo_description == f"add lesion {second}"
    w.state.selection.set_lesion(first)
    drag(qtbot, other, (200, 150), (200, 190))
    assert "cannot measure on a coronal stack" in w.status.text() and "taken back" not in w.status.text()
    assert len(reading.project.lesions) == len(before) + 2
