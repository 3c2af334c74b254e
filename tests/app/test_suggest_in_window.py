"""The one-click diameter in the real main window (issue 13): a click with the line tool inside a
lesion on DWI b800 shows the suggested line on the lesion's largest slice, recorded as
``suggested`` with its parameters (store and measurements.csv); dragging an end makes it
``suggested_edited``; a click on plain liver is refused and records nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from annotation.export import export_store
from annotation.records import Measurement
from annotation.store import ReadingStore
from annotation.vocab import MeasurementMethod
from app.main_window import MainWindow
from app.suggester import OFFERED_ROLES
from viewer.records import READING_ROLES, Role
from viewer.segment import METHOD_NAME

from tests.app.conftest import READER, drag, make_window, open_pair, press, shown_whole

DWI_CELL = READING_ROLES.index(Role.MR_DWI)
PATIENT = "LLSYN002"
LESION = "L06"  # 14 mm, not measured in the sample reading (its five largest are), visible on DWI


@pytest.fixture
def window(qtbot, env: Path, store_copy: Path, sample_dicom: Path, sample_index) -> MainWindow:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, env)
    assert w.store_flow.open_store(store_copy) and not w.session.read_only
    open_pair(w, qtbot, sample_dicom, sample_index, PATIENT)
    assert w.state.suggest is None  # off by default: it biases DWI against T2 FS on the sample
    assert one_click(w).isCheckable() and not one_click(w).isChecked()
    # the registration's news, when it lands within 5 s of the message, is joined to it (and may cut it): done first
    qtbot.waitUntil(lambda: w.state.alignment is not None, timeout=60000)
    one_click(w).trigger()  # Read -> One-click diameters, as the reader turns them on
    assert w.state.suggest is not None and w.view_settings.one_click
    assert one_click(w).isChecked()  # the menu shows it is on (remembered between sessions)
    # what it adds to DWI - T2 FS on the sample, rim lesions included, seen whole at 1,500 px (it was cut)
    assert "with a rim" in w.status.text() and shown_whole(w), w.status.shown_text()
    return w


def one_click(w: MainWindow):  # type: ignore[no-untyped-def]
    menu = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "Read")
    return next(a for a in menu.actions() if a.text().startswith("One-click diameters"))


def _click(qtbot, vp, at: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    x, y = vp.transform().image_to_widget(*at)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def test_a_click_suggests_the_line_and_an_edit_is_recorded_as_such(window: MainWindow, qtbot, store_copy: Path,  # type: ignore[no-untyped-def]
                                                                   sample_dicom: Path, env: Path) -> None:
    w = window
    truth = json.loads((sample_dicom / "ground_truth" / f"{PATIENT}.json").read_text())
    lesion = next(les for les in truth["lesions"] if les["id"] == LESION)
    entry = lesion["series"]["mr_dwi"]
    model = w.reading.viewports[DWI_CELL]
    assert model.role is Role.MR_DWI and model.volume.stack.b_value == 800
    w.reading.activate(DWI_CELL)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    assert w.state.tool.value == "line"
    assert w.status.text().endswith("click inside it on DWI b800 for a suggested diameter, or drag its longest axial "
                                    "diameter"), w.status.text()
    # click on a slice next to the largest one, near (not at) the lesion's centre
    k = entry["slice_index"] + 1
    model.set_index(k)
    row, col = model.geometry.pixel_on_slice(lesion["centre_mm"]["mr"], k)
    vp = w.grid.viewports[DWI_CELL]
    _click(qtbot, vp, (row + 1.0, col - 0.5))
    m = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI)
    assert isinstance(m, Measurement), w.status.text()
    assert m.method is MeasurementMethod.SUGGESTED and "suggested" in w.status.text()
    params = json.loads(m.method_params)
    assert params["method"] == METHOD_NAME and params["clicked_slice"] == k and 0 < params["confidence"] <= 1
    assert abs(m.diameter_mm - entry["axial_diameter_on_slice_mm"]) <= 3.0
    assert m.slice_index == model.index  # the viewport shows the slice the line is on
    if m.slice_index != k:  # the view moved to the slice of the line: the status says so
        assert f"on its longest slice ({abs(m.slice_index - k)} from the click)" in w.status.text()
    # shown where it was put: the reading stays on DWI until Enter keeps the line and goes on
    assert w.reading.layout.active == DWI_CELL and "; Enter keeps it" in w.status.text(), w.status.text()
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Return)
    assert w.reading.layout.active != DWI_CELL, w.status.text()
    assert w.status.text().startswith(f"{lid} on DWI b800: {m.diameter_mm:.1f} mm kept; next: {lid} on "), \
        w.status.text()
    # where one-click is not offered, the next series' status says to drag there (a reader's check clicked on
    # T1 portal and was refused)
    nxt = w.reading.layout.active
    if READING_ROLES[nxt] not in OFFERED_ROLES:
        assert w.status.text().endswith("(one-click diameters are not offered there: drag the diameter)")
    press(w, qtbot, "undo")  # Undo names what it takes back as a suggestion, redo puts it back
    assert w.status.text() == f"undone: {lid} on DWI b800: suggested", w.status.text()
    press(w, qtbot, "redo")  # kept by Enter: back as kept (no more "not kept yet": annotation.records.Measurement.pending)
    assert w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI) == m.kept()
    # the lesion grid tells a suggested value from a drawn one: italic, and its tooltip says so
    table = w.docks.lesion_panel.table
    row_of = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == lid)
    cell = table.item(row_of, 3 + READING_ROLES.index(Role.MR_DWI))
    assert cell.text() == f"{m.diameter_mm:.1f}" and cell.font().italic()
    assert cell.toolTip() == f"{m.diameter_mm:.1f} mm, suggested by one click, on image #{m.instance_number}"
    # the line is an ordinary one: an end dragged outwards edits it
    w.reading.activate(DWI_CELL)
    away = (m.p2[0], m.p2[1] + 3.0)
    drag(qtbot, vp, m.p2, away)
    edited = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI)
    assert edited.method is MeasurementMethod.SUGGESTED_EDITED, w.status.text()
    assert edited.method_params == m.kept().method_params  # kept (Enter), its parameters the same
    assert edited.p1 == m.p1 and edited.p2 != m.p2
    # the grid shows it upright now, the reader's line, its tooltip saying it was edited (session 47: still italic)
    cell = table.item(row_of, 3 + READING_ROLES.index(Role.MR_DWI))
    assert not cell.font().italic() and "then edited by hand" in cell.toolTip(), cell.toolTip()
    with ReadingStore.open(store_copy, read_only=True) as again:
        assert again.load().lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI) == edited
    export_store(store_copy, env / "export")
    rows = [r for r in csv.DictReader((env / "export" / "measurements.csv").open())
            if r["lesion_id"] == lid and r["series_role"] == "mr_dwi"]
    assert len(rows) == 1 and rows[0]["method"] == "suggested_edited"
    assert json.loads(rows[0]["method_params"])["method"] == METHOD_NAME
    # the line as suggested stays in the record after the edit (a reader's check found it lost)
    assert json.loads(rows[0]["method_params"])["suggested_diameter_mm"] == pytest.approx(m.diameter_mm, abs=1e-3)
    # the patient's workbook says how the line was made too (a reader's check found it silent)
    import openpyxl

    from annotation.records import shown_mm

    wb = openpyxl.load_workbook(env / "export" / "patients" / f"{PATIENT}.xlsx")
    lines = [r for r in wb["Measurements"].iter_rows(min_row=2, values_only=True)
             if r[1] == READER and r[2] == lid and r[3] == "mr_dwi"]
    assert len(lines) == 1 and lines[0][6] == "suggested_edited", lines
    assert lines[0][4] == shown_mm(edited.diameter_mm) and lines[0][7] == shown_mm(m.diameter_mm)  # as the grid
    header = [c.value for c in wb["Lesions"][1]]
    row = next(r for r in wb["Lesions"].iter_rows(min_row=2) if r[1].value == READER and r[2].value == lid)
    assert not row[header.index("mr_dwi (mm)")].font.italic  # edited: upright, as the grid shows it


def test_a_click_on_plain_liver_is_refused_and_leaves_the_reader_to_draw(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                                         sample_dicom: Path) -> None:
    w = window
    truth = json.loads((sample_dicom / "ground_truth" / f"{PATIENT}.json").read_text())
    liver = next(e for e in truth["exams"] if e["exam_id"] == "mr")["liver_reference_mm"]
    model = w.reading.viewports[DWI_CELL]
    w.reading.activate(DWI_CELL)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    k = model.geometry.nearest_slice(liver)
    model.set_index(k)
    _click(qtbot, w.grid.viewports[DWI_CELL], model.geometry.pixel_on_slice(liver, k))
    # what to do first: a long reason is cut at the window's edge, the whole of it on hover
    assert w.status.text().startswith("no suggestion, draw it by hand: nothing under the click stands "
                                      "out from the liver"), w.status.text()
    assert w.status.toolTip() == w.status.text()
    les = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)]
    assert les.observation(Role.MR_DWI) is None
    with pytest.raises(StopIteration):
        next(iter(les.observations))
    # clicked again, refused alike: the bar shows the click was heard (a reader's check saw nothing change)
    said = w.status.text()
    assert not w.status.shown_text().startswith("(")
    _click(qtbot, w.grid.viewports[DWI_CELL], model.geometry.pixel_on_slice(liver, k))
    assert w.status.text() == said and w.status.shown_text().startswith("(2×) no suggestion")
    # a click on the air beside the body is refused as such, not as the liver without contrast (a reader's
    # check on b800)
    _click(qtbot, w.grid.viewports[DWI_CELL], (3.0, 3.0))
    assert "that point is outside the body" in w.status.text() and "liver" not in w.status.text(), w.status.text()
    assert w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI) is None


def _new_lesion_clicked_at_its_centre(w: MainWindow, qtbot, sample_dicom: Path, role: Role) -> str:  # type: ignore[no-untyped-def]
    """N on ``role``'s cell, then a click at LESION's centre on its nearest slice; the new lesion's id."""
    truth = json.loads((sample_dicom / "ground_truth" / f"{PATIENT}.json").read_text())
    centre = next(les for les in truth["lesions"] if les["id"] == LESION)["centre_mm"]["ct" if role.value.startswith("ct") else "mr"]
    cell = READING_ROLES.index(role)
    model = w.reading.viewports[cell]
    w.reading.activate(cell)
    press(w, qtbot, "new_lesion")
    k = model.geometry.nearest_slice(centre)
    model.set_index(k)
    _click(qtbot, w.grid.viewports[cell], model.geometry.pixel_on_slice(centre, k))
    return w.state.selection.lesion_id



def suggested_on_dwi(qtbot, env: Path, store: Path, sample_dicom: Path, sample_index) -> tuple[MainWindow, str]:  # type: ignore[no-untyped-def]
    """A window on ``store`` (writable), LLSYN002's exam open and aligned, one-click on, N and a click at a lesion's
    centre on DWI b800: (the window, the new lesion's id), its suggestion shown and not kept yet."""
    w = make_window(qtbot, env)
    assert w.store_flow.open_store(store) and not w.session.read_only
    open_pair(w, qtbot, sample_dicom, sample_index, PATIENT)
    qtbot.waitUntil(lambda: w.state.alignment is not None, timeout=60000)
    one_click(w).trigger()
    return w, _new_lesion_clicked_at_its_centre(w, qtbot, sample_dicom, Role.MR_DWI)

def test_on_a_series_where_the_method_misses_its_goal_a_click_is_refused_with_the_figure(  # type: ignore[no-untyped-def]
        window: MainWindow, qtbot, sample_dicom: Path) -> None:
    """CT portal: 1.6 mm mean error on the sample phantoms against a 0.5 mm goal (worst -15.8 mm over
    every click): no line is suggested there; the status names the series and its figures."""
    from app.suggester import SAMPLE_ERROR_MM

    w = window
    lid = _new_lesion_clicked_at_its_centre(w, qtbot, sample_dicom, Role.CT_PORTAL)
    mae, _, worst = SAMPLE_ERROR_MM[Role.CT_PORTAL]
    assert "offered on" in w.status.text() and "CT portal" in w.status.text()
    # in a reader's words (session 47: "error 0.5 mm on the phantoms (goal 0.5), worst -3.6 (±3)" was the bench's)
    said = (f"a suggestion came out {abs(worst):.1f} mm too {'long' if worst > 0 else 'short'} (3 mm allowed)"
            if abs(worst) > 3 else f"suggestions were {mae:.1f} mm off on average")
    assert said in w.status.text() and "drag to draw L6" in w.status.text() and shown_whole(w), w.status.text()
    assert "phantoms" not in w.status.text() and "±3" not in w.status.text()
    assert w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.CT_PORTAL) is None
    press(w, qtbot, "new_lesion")  # N on such a series says so before any click
    assert w.status.text().endswith("drag its longest axial diameter on CT portal (one-click diameters are not "
                                    "offered there)"), w.status.text()


def test_one_click_diameters_are_off_until_the_reader_turns_them_on(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                                     sample_dicom: Path) -> None:
    w = window
    one_click(w).trigger()  # off again
    assert w.state.suggest is None and "off" in w.status.text() and not one_click(w).isChecked()
    truth = json.loads((sample_dicom / "ground_truth" / f"{PATIENT}.json").read_text())
    lesion = next(les for les in truth["lesions"] if les["id"] == LESION)
    model = w.reading.viewports[DWI_CELL]
    w.reading.activate(DWI_CELL)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    k = lesion["series"]["mr_dwi"]["slice_index"]
    model.set_index(k)
    _click(qtbot, w.grid.viewports[DWI_CELL], model.geometry.pixel_on_slice(lesion["centre_mm"]["mr"], k))
    assert "drag to draw" in w.status.text()
    assert w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI) is None


def test_a_low_b_stack_dropped_on_the_dwi_cell_is_read_on_nothing(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                                  sample_dicom: Path) -> None:
    """The protocol reads diffusion on b800 (and the DWI figures are b800's): the series' b0 stack,
    dropped on the DWI cell, is titled by its b-value and neither a click nor a drag records
    anything there -- a reader's check drew a line on b0 that was stored and exported as the
    lesion's b800 diameter; back on b800 a click suggests."""
    w = window
    model = w.reading.viewports[DWI_CELL]
    b800 = model.volume.stack
    b0 = next(s for s in w.all_stacks() if s.series_instance_uid == b800.series_instance_uid and s.b_value == 0)
    w.reading.activate(DWI_CELL)
    press(w, qtbot, "new_lesion")  # on b800
    lid = w.state.selection.lesion_id
    w._stack_dropped(DWI_CELL, b0.key)  # as a drop from the series browser does
    qtbot.waitUntil(lambda: model.volume is not None and model.volume.stack.key == b0.key and model.volume.loaded.all(),
                    timeout=60000)
    assert model.role is Role.MR_DWI
    truth = json.loads((sample_dicom / "ground_truth" / f"{PATIENT}.json").read_text())
    lesion = next(les for les in truth["lesions"] if les["id"] == LESION)
    k = lesion["series"]["mr_dwi"]["slice_index"]
    model.set_index(k)
    at = model.geometry.pixel_on_slice(lesion["centre_mm"]["mr"], k)
    assert w.state.cell_title(DWI_CELL) == "DWI b0"
    from PySide6.QtWidgets import QTreeWidgetItemIterator

    from app.browser import PAYLOAD
    listed = {}
    it = QTreeWidgetItemIterator(w.browser)
    while it.value():
        payload = it.value().data(0, PAYLOAD)
        if getattr(payload, "key", None) in (b0.key, b800.key):
            listed[payload.key] = it.value().text(1)
        it += 1
    assert listed == {b0.key: "DWI b0", b800.key: "DWI b800"}, listed  # the browser names the stack too
    refusal = ("this cell shows DWI b0: the protocol reads diffusion on b800 (double-click the series' b800 stack "
               "in the browser to read it here)")
    _click(qtbot, w.grid.viewports[DWI_CELL], at)
    assert w.status.text() == refusal, w.status.text()
    drag(qtbot, w.grid.viewports[DWI_CELL], (at[0] - 4, at[1]), (at[0] + 4, at[1]))
    assert w.status.text() == refusal, w.status.text()
    assert w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI) is None
    press(w, qtbot, "new_lesion")  # N and the status keys say why too
    assert w.status.text().endswith(refusal) and w.state.selection.lesion_id == lid, w.status.text()
    w._stack_dropped(DWI_CELL, b800.key)
    qtbot.waitUntil(lambda: model.volume is not None and model.volume.stack.key == b800.key and model.volume.loaded.all(),
                    timeout=60000)
    model.set_index(k)
    _click(qtbot, w.grid.viewports[DWI_CELL], at)
    assert isinstance(w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI), Measurement)


def test_t1_arterial_is_offered_since_its_small_lesion_rules(  # type: ignore[no-untyped-def]
        window: MainWindow, qtbot, sample_dicom: Path) -> None:
    """T1 arterial was kept off for a 6.0 mm lesion of a validation realisation measured 12.4 mm on every
    click (app.suggester.SMALL_LESIONS_OFF); since its small-lesion rules (8.5 pixels on fewer than three
    slices, 6 SDs: app.suggester.SMALL_LESION_PX, FEW_SLICES_SD) it is offered: a click at a 14 mm lesion's
    centre records the suggested line, within 3 mm of the truth."""
    from app.suggester import SAMPLE_ERROR_MM, SMALL_LESIONS_OFF, offered_series

    mae, goal, worst = SAMPLE_ERROR_MM[Role.MR_T1_ARTERIAL]
    assert Role.MR_T1_ARTERIAL in OFFERED_ROLES and Role.MR_T1_ARTERIAL not in SMALL_LESIONS_OFF
    assert mae <= goal and abs(worst) <= 3.0 and "T1 arterial" in offered_series()
    w = window
    lid = _new_lesion_clicked_at_its_centre(w, qtbot, sample_dicom, Role.MR_T1_ARTERIAL)
    m = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_T1_ARTERIAL)
    assert isinstance(m, Measurement) and m.method is MeasurementMethod.SUGGESTED, w.status.text()
    truth = json.loads((sample_dicom / "ground_truth" / f"{PATIENT}.json").read_text())
    entry = next(les for les in truth["lesions"] if les["id"] == LESION)["series"]["mr_t1_arterial"]
    assert abs(m.diameter_mm - entry["axial_diameter_on_slice_mm"]) <= 3.0, (m.diameter_mm, entry)
