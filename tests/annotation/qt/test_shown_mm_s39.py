"""A diameter reads the same in the lesion grid and in the patient's workbook (session 39).

A radiologist's check: a line of 14.049 mm read 14.0 in the grid (one decimal) and 14.05 in the xlsx (the record
rounded to two). Both now show :func:`annotation.records.shown_mm`, a tenth of a mm: the grid's text, and the
workbook's value written with as many decimals (14.0 reads "14.0", not "14"), on the Lesions, Measurements and
Follow-up sheets; the record keeps its 0.001 mm.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook

from annotation.qt.panels import FIXED, LesionPanel, measurement_tip
from annotation.reading import Reading
from annotation.records import Measurement, shown_mm
from annotation.selection import Selection
from annotation.workbook import write_patient_workbook
from viewer.records import READING_ROLES, Role

PAIR = ("P1", "E1")
#: diameters where one and two decimals part (14.049: 14.0 / 14.05), a binary tie (14.25), a carry (9.96 -> 10.0)
DIAMETERS = (14.049, 14.25, 9.96, 14.05, 30.0, 7.349)


def excel_text(value: object, number_format: str) -> str:
    """What Excel shows of a number cell: its format's decimals, or (General) the number's shortest form."""
    assert isinstance(value, (int, float)), value  # openpyxl reads 14.0 back as 14
    value = float(value)
    found = re.fullmatch(r"0\.(0+)", number_format)
    if found is None:
        assert number_format == "General", number_format
        return f"{value:g}"
    return f"{value:.{len(found.group(1))}f}"


def test_the_grid_and_the_workbook_show_one_figure_of_a_diameter(qtbot, tmp_path: Path) -> None:
    reading = Reading(reader="R1")
    reading.add_patient("P1")
    reading.add_exam_pair("P1", "E1")
    selection = Selection(reading, PAIR)
    panel = LesionPanel(selection)
    qtbot.addWidget(panel)
    panel.show()
    ids = []
    for d in DIAMETERS:  # one lesion a diameter, drawn along a column at 1 mm spacing
        lid = selection.new_lesion()
        reading.set_observation(PAIR, lid, Role.MR_DWI, Measurement("dwi", "1.2", 3, (0.0, 0.0), (0.0, d), 1.0, 1.0))
        ids.append(lid)
    column = FIXED + READING_ROLES.index(Role.MR_DWI)
    t = panel.table
    grid = {t.item(r, 0).text(): t.item(r, column).text() for r in range(t.rowCount())}
    assert set(grid) == set(ids)

    path = tmp_path / "P1.xlsx"
    write_patient_workbook(reading.project, "P1", path)
    book = load_workbook(path)
    lesions = book["Lesions"]
    header = [c.value for c in lesions[1]]
    at = header.index("mr_dwi (mm)")
    sheet = {row[header.index("lesion_id")].value: excel_text(row[at].value, row[at].number_format)
             for row in lesions.iter_rows(min_row=2)}
    measurements = book["Measurements"]
    header = [c.value for c in measurements[1]]
    at = header.index("diameter_mm")
    lines = {row[header.index("lesion_id")].value: excel_text(row[at].value, row[at].number_format)
             for row in measurements.iter_rows(min_row=2)}
    for lid, d in zip(ids, DIAMETERS):
        les = reading.project.lesions[(*PAIR, "R1", lid)]
        m = les.observation(Role.MR_DWI)
        assert isinstance(m, Measurement) and abs(m.diameter_mm - d) < 1e-9  # the record keeps its value
        assert grid[lid] == sheet[lid] == lines[lid], (d, grid[lid], sheet[lid], lines[lid])
        assert grid[lid] == f"{shown_mm(d):.1f}"
        assert measurement_tip(m).startswith(f"{grid[lid]} mm, ")  # the cell's tooltip says the same figure
    assert grid[ids[0]] == "14.0" and grid[ids[2]] == "10.0" and grid[ids[4]] == "30.0"
