"""Session 38's laptop read of one-click diameters (issue 13) in the real main window at 1366 x 768: a suggested line
is drawn dashed and labelled "suggested" until Enter keeps it (it looked like a line drawn by hand); a short line's end
handles show only with the pointer near it (at 0.4 x zoom they covered a lesion under 10 mm); a refusal on a vessel
says so plainly, and what to do first."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from annotation.qt.layers import SHORT_LINE_PX
from annotation.records import Measurement
from annotation.vocab import MeasurementMethod
from app.main_window import MainWindow
from tests.app.conftest import READER, drag, press
from tests.app.test_suggest_in_window import (DWI_CELL, PATIENT, _click, _new_lesion_clicked_at_its_centre,  # noqa: F401
                                             one_click, window)
from viewer.records import READING_ROLES, Role

JARGON = ("rays", "SD", "ellipse", "compactness", "%", "pixels", "threshold", "boundary")


def _painted(w: MainWindow, cell: int):  # type: ignore[no-untyped-def]
    """The cell repainted now; its line layer (what it drew: labels, handles)."""
    w.grid.viewports[cell].repaint()
    return w.reading_view.line_layers[cell]


def test_a_suggested_line_is_dashed_and_said_so_until_kept(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                           sample_dicom: Path) -> None:
    w = window
    w.resize(1366, 768)
    qtbot.wait(50)
    lid = _new_lesion_clicked_at_its_centre(w, qtbot, sample_dicom, Role.MR_DWI)
    model = w.reading.viewports[DWI_CELL]
    vp = w.grid.viewports[DWI_CELL]
    at = vp.pointer  # where it clicked
    m = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI)
    assert isinstance(m, Measurement) and m.method is MeasurementMethod.SUGGESTED, w.status.text()
    k = json.loads(m.method_params)["clicked_slice"]
    label = f"{lid} {m.diameter_mm:.1f} mm"
    layer = _painted(w, DWI_CELL)
    assert f"{label} suggested" in layer.labels_drawn, layer.labels_drawn  # dashed, and said
    # 14 mm on b800 in a 1366 x 768 window's 2 x 3 grid: a few pixels on screen, its handles not drawn over it ...
    t = vp.transform()
    (x1, y1), (x2, y2) = t.image_to_widget(*m.p1), t.image_to_widget(*m.p2)
    assert ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 < SHORT_LINE_PX
    away = QPoint(round(x1) + 60, round(y1) + 40)
    qtbot.mouseMove(vp, away)
    assert _painted(w, DWI_CELL).handles_drawn == []
    # ... until the pointer comes near an end, where a press grabs it
    qtbot.mouseMove(vp, QPoint(round(x2) + 3, round(y2)))
    assert len(_painted(w, DWI_CELL).handles_drawn) == 2
    qtbot.mouseMove(vp, away)
    # the line panned to 20 px from the cell's right edge: its label hangs left of it, whole ("suggested" was cut)
    x_right, centre = max(x1, x2), model.center
    model.set_center(vp.transform().center_after_drag(vp.width() - 20 - x_right, 0.0))
    layer = _painted(w, DWI_CELL)
    assert f"{label} suggested" in layer.labels_drawn
    assert all(0 <= x and x + bw <= vp.width() for x, _y, bw, _h in layer.label_boxes), (layer.label_boxes, vp.width())
    model.set_center(centre)  # back
    qtbot.mouseMove(vp, away)
    # Enter keeps it: drawn as any other line from now on, its record "suggested", no longer "not kept yet"
    assert m.pending
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Return)
    assert "kept" in w.status.text(), w.status.text()
    layer = _painted(w, DWI_CELL)
    assert label in layer.labels_drawn and f"{label} suggested" not in layer.labels_drawn, layer.labels_drawn
    assert w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI) == m.kept()
    # a suggestion edited by its end is the reader's line at once
    press(w, qtbot, "undo")
    assert w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI) is None
    w.reading.activate(DWI_CELL)
    model.set_index(k)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(at[0]), round(at[1])))
    m = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI)
    assert f"{lid} {m.diameter_mm:.1f} mm suggested" in _painted(w, DWI_CELL).labels_drawn
    drag(qtbot, vp, m.p2, (m.p2[0], m.p2[1] + 4.0))
    edited = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI)
    assert edited.method is MeasurementMethod.SUGGESTED_EDITED, w.status.text()
    assert not any(text.endswith("suggested") for text in _painted(w, DWI_CELL).labels_drawn)


def test_a_click_on_a_vessel_is_refused_in_plain_words(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """T1 arterial, LLSYN002: a click on a vessel running through the slices said "what is found runs through the
    slices like a vessel (a vessel, a bone?): 24.3 mm here, 70% of that or more over 60 mm (...); a lesion is about as
    deep as it is long"; on T2 FS a flow void "what was found is darker than the liver (103 against 193); ..."."""
    w = window
    w.resize(1366, 768)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    for role, k, mm, said in (
            (Role.MR_T1_ARTERIAL, 11, (-33.4, 34.3, -106.5), "this looks like a vessel, not a lesion: it runs on "
                                                             "through the slices"),
            (Role.MR_T2FS, 8, (-27.6, 38.3, -108.0), "what is under the click is darker than the liver, and a lesion on "
                                                     "this series is brighter: a vessel?")):
        cell = READING_ROLES.index(role)
        model = w.reading.viewports[cell]
        w.reading.activate(cell)
        model.set_index(k)
        _click(qtbot, w.grid.viewports[cell], model.geometry.pixel_on_slice(mm, k))
        text = w.status.text()
        assert text == f"no suggestion, draw it by hand: {said}", text
        assert not any(word in text for word in JARGON), text
        assert w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(role) is None
