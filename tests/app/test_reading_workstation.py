"""The reading tools inside the workstation (issues 4 and 5 in the app), on sample_dicom and its reading.

sample_dicom is indexed once per module; every test opens a temporary copy of the sample
reading (sample_dicom/reading.lesionlab), so the tree is never written. Settings and the
per-user data folder are redirected into the test's temporary directory.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRectF, QSizeF, Qt
from PySide6.QtGui import QImage, QPainter

from annotation.qt.panels import FIXED
from annotation.records import Measurement
from annotation.store import ReadingStore
from annotation.vocab import Lobe
from app.browser import PAYLOAD
from app.main_window import MainWindow
from app.reading_settings import ReaderName, recent_stores
from viewer.geometry import StackGeometry
from viewer.model.settings import RecentStudies, RoleOverrides
from viewer.records import READING_ROLES, Role

from tests.app.conftest import READER, drag, grid_texts, make_window, open_pair, press  # noqa: F401


def test_pair_shows_the_sample_lesions_and_a_drawn_line_reaches_grid_store_undo(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                                               store_copy: Path) -> None:
    w, sel = window, window.state.selection
    assert sel.pair == ("LLSYN001", "E1")
    project = w.session.reading.project
    expected = [les.lesion_id for les in project.lesions_of("LLSYN001", "E1", READER)]
    assert expected and list(grid_texts(w)) == expected
    assert grid_texts(w)["L1"][0] == f"{project.lesions[('LLSYN001', 'E1', READER, 'L1')].observation(Role.CT_ARTERIAL).diameter_mm:.1f}"
    assert "reader: sample" in w.store_flow.store_label.text() and str(store_copy) in w.store_flow.store_label.text()
    # N: a new lesion, and the line tool is on; draw its diameter on CT arterial
    w.reading.activate(0)
    press(w, qtbot, "new_lesion")
    new = f"L{len(expected) + 1}"
    assert sel.lesion_id == new and w.state.tool.value == "line" and w.actions_by_id["tool_line"].isChecked()
    assert f"new lesion {new} (right lobe)" in w.status.text()  # the lobe it starts in, said
    vp = w.grid.viewports[0]
    drag(qtbot, vp, (200, 150), (200, 190))
    m = project_m = w.session.reading.project.lesions[("LLSYN001", "E1", READER, new)].observation(Role.CT_ARTERIAL)
    assert isinstance(m, Measurement) and m.slice_index == w.reading.viewports[0].index
    assert m.diameter_mm == pytest.approx(vp.model.geometry.distance_mm((200, 150), (200, 190)), abs=1.0)
    assert grid_texts(w)[new][0] == f"{m.diameter_mm:.1f}"
    assert f"{new} on CT arterial" in w.status.text()
    # its first line, and no right/left boundary to take the lobe from: the lobe it has is said
    assert "; in the right lobe, no R/L boundary (click it, Shift+L to move)" in w.status.text()
    # as the hint says: the lobe key alone sets the next lesions' lobe (the line is just made, not
    # picked); clicked, the line's lesion moves (a reader's check under Xvfb pressed Shift+L at once)
    press(w, qtbot, "lobe_left")
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, new)].lobe is Lobe.RIGHT
    x, y = vp.transform().image_to_widget(200, 170)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    press(w, qtbot, "lobe_left")
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, new)].lobe is Lobe.LEFT, w.status.text()
    assert f"{new} now in the left lobe" in w.status.text()
    press(w, qtbot, "lobe_right")
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, new)].lobe is Lobe.RIGHT
    for lobe in ("right", "left"):  # the two lobe edits, named with what changed, undone
        assert w.actions_by_id["undo"].text() == f"Undo edit lesion {new}: lobe {lobe}"
        w.actions_by_id["undo"].trigger()
    with ReadingStore.open(store_copy, read_only=True) as again:  # every edit is in the file already
        assert again.load().lesions[("LLSYN001", "E1", READER, new)].observation(Role.CT_ARTERIAL) == project_m
    # the line is drawn on its slice (green: the current lesion)
    img = vp.grab().toImage()
    x, y = vp.transform().image_to_widget(200, 170)
    assert img.pixelColor(round(x), round(y)).green() > 200
    # undo / redo from the Edit menu actions, which name the edit
    assert w.actions_by_id["undo"].text().startswith(f"Undo {new} on CT arterial")
    w.actions_by_id["undo"].trigger()
    assert grid_texts(w)[new][0] == ""
    w.actions_by_id["redo"].trigger()
    assert grid_texts(w)[new][0] == f"{m.diameter_mm:.1f}"
    # an end handle moves with the line tool: one more edit
    drag(qtbot, vp, m.p2, (200, 210))
    moved = w.session.reading.project.lesions[("LLSYN001", "E1", READER, new)].observation(Role.CT_ARTERIAL)
    assert moved.p1 == m.p1 and moved.diameter_mm > m.diameter_mm


def test_a_new_lesion_drawn_over_a_measured_one_is_said_and_checked(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """N, then the lesion already measured drawn again (one lesion counted twice): the status says so
    at once, while Ctrl+Z undoes it, and the Checks panel keeps saying it until it is mended."""
    w = window
    w.reading.activate(0)
    l1 = w.session.reading.project.lesions[("LLSYN001", "E1", READER, "L1")].observation(Role.CT_ARTERIAL)
    assert isinstance(l1, Measurement)
    w.reading.viewports[0].set_index(l1.slice_index)
    press(w, qtbot, "new_lesion")
    new = w.state.selection.lesion_id
    vp = w.grid.viewports[0]
    (r1, c1), (r2, c2) = l1.p1, l1.p2  # across its middle, away from its ends (a drag from an end edits L1)
    drag(qtbot, vp, (r1 + 0.3 * (r2 - r1) + 4, c1 + 0.3 * (c2 - c1)), (r2 - 0.3 * (r2 - r1) + 4, c2 - 0.3 * (c2 - c1)))
    assert f"{new} on CT arterial" in w.status.text()
    assert f"mm; L1's line ({l1.diameter_mm:.1f} mm) is here too: the same lesion twice? (Ctrl+Z undoes); " in w.status.text()
    assert "next:" not in w.status.text() and w.state.viewer.layout.active == 0  # it stays, to be undone or kept
    checks = w.docks.checks_panel
    assert checks is not None
    said = [checks.list.item(i).text() for i in range(checks.list.count())]
    assert any(f"L1 ({l1.diameter_mm:.1f} mm) and {new}" in t and "the same lesion counted twice?" in t for t in said), said
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undone: the check is silent
    assert w.session.reading.project.lesions[("LLSYN001", "E1", READER, new)].observation(Role.CT_ARTERIAL) is None
    said = [checks.list.item(i).text() for i in range(checks.list.count())]
    assert not any("the same lesion counted twice?" in t for t in said), said


def test_count_with_lobe_switch_changes_the_counts_panel(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.reading.activate(2)  # T2 FS
    panel = w.docks.counts_panel
    row = READING_ROLES.index(Role.MR_T2FS)
    right, left = int(panel.table.item(row, 0).text()), int(panel.table.item(row, 1).text())
    press(w, qtbot, "tool_count")
    assert w.state.tool.value == "count"
    vp = w.grid.viewports[2]
    x, y = vp.transform().image_to_widget(120, 200)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert int(panel.table.item(row, 0).text()) == right + 1
    press(w, qtbot, "lobe_left")
    assert w.state.selection.lobe is Lobe.LEFT and w.actions_by_id["lobe_left"].isChecked()
    x, y = vp.transform().image_to_widget(150, 60)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert int(panel.table.item(row, 1).text()) == left + 1 and int(panel.table.item(row, 2).text()) == right + left + 2
    # Delete removes the mark under the pointer; Shift+C flags the series not countable
    qtbot.mouseMove(vp, QPoint(round(x), round(y)))
    press(w, qtbot, "delete_selected")
    assert int(panel.table.item(row, 1).text()) == left
    press(w, qtbot, "uncountable")
    assert panel.table.item(row, 3).text() == "not countable"
    w.actions_by_id["undo"].trigger()
    assert panel.table.item(row, 3).text() == "counted"


def test_a_count_click_outside_the_body_is_refused_and_counts_nothing(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check under Xvfb clicked the dark below the body to make T2 FS active, then a
    corner of the image, with the count tool on: both were counted as metastases ("right 2")."""
    w = window
    panel = w.docks.counts_panel
    row = READING_ROLES.index(Role.MR_T2FS)
    before = [panel.table.item(row, i).text() for i in range(3)]
    marks = len(w.session.reading.project.count_marks)
    w.reading.activate(0)
    press(w, qtbot, "tool_count")
    vp = w.grid.viewports[2]
    geo = vp.model.geometry
    for at in ((3, 3), (geo.rows - 4, geo.columns / 2), (geo.rows / 2, geo.columns - 3)):  # corner, below, beside
        x, y = vp.transform().image_to_widget(*at)
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
        assert "not counted: that point of T2 FS is outside the body" in w.status.text()
    assert [panel.table.item(row, i).text() for i in range(3)] == before
    assert len(w.session.reading.project.count_marks) == marks
    assert w.reading.layout.active == 2  # the click made the cell active all the same
    # b800's faint slices at the liver's ends (slice 7 holds L3): their air too (a second reader's check
    # counted three marks in its corners, the slice's own border judged against the slice alone)
    dwi = w.grid.viewports[3]
    dwi.model.set_index(7)
    dgeo = dwi.model.geometry
    for at in ((3, 3), (dgeo.rows - 4, dgeo.columns / 2), (dgeo.rows / 2, dgeo.columns - 3)):
        x, y = dwi.transform().image_to_widget(*at)
        qtbot.mouseClick(dwi, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
        assert "not counted: that point of DWI b800 is outside the body" in w.status.text()
    assert len(w.session.reading.project.count_marks) == marks
    w.reading.activate(2)
    # inside the body it counts, as before
    x, y = vp.transform().image_to_widget(120, 200)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert len(w.session.reading.project.count_marks) == marks + 1 and "counted on T2 FS" in w.status.text()


def test_grid_click_jumps_to_the_measurement_and_keys_mark_statuses(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    col = READING_ROLES.index(Role.MR_T2FS)
    lid = "L2"
    m = w.session.reading.project.lesions[("LLSYN001", "E1", READER, lid)].observation(Role.MR_T2FS)
    vp = w.reading.viewports[2]
    vp.set_index(0)
    t = w.docks.lesion_panel.table
    row = list(grid_texts(w)).index(lid)
    t.cellClicked.emit(row, FIXED + col)
    assert w.reading.layout.active == 2 and vp.index == m.slice_index
    assert vp.center == pytest.approx(((m.p1[0] + m.p2[0]) / 2, (m.p1[1] + m.p2[1]) / 2))
    assert w.state.selection.lesion_id == lid
    # not a stale message; the slice named as the overlay names it (it said "slice 12" from the feet, the
    # overlay "Im 14/25" from the top)
    from viewer.qt.overlay import slice_lines
    im = slice_lines(vp)[0].replace("  ", " ")
    assert w.status.text() == f"shown: the {m.diameter_mm:.1f} mm line on T2 FS, {im}", \
        (w.status.text(), slice_lines(vp))
    # ] / [ walk the lesions and show each on every series where it is measured
    press(w, qtbot, "next_lesion")
    assert w.state.selection.lesion_id == "L3"
    m3 = w.session.reading.project.lesions[("LLSYN001", "E1", READER, "L3")].observation(Role.MR_DWI)
    assert w.reading.viewports[3].index == m3.slice_index
    # V: not visible on the active series (T2 FS); Delete clears it again
    press(w, qtbot, "not_visible")
    assert grid_texts(w)["L3"][col] == "not visible"
    press(w, qtbot, "delete_selected")
    assert grid_texts(w)["L3"][col] == ""


def test_measuring_is_refused_on_a_non_axial_stack(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    vp = w.reading.viewports[1]
    geo = vp.geometry
    coronal, _ = StackGeometry.from_slices(geo.rows, geo.columns, (1, 0, 0, 0, 0, -1),
                                           [(0, 2.0 * k, 0) for k in range(geo.n_slices)], geo.pixel_spacing_mm)
    vp.set_volume(replace(vp.volume, geometry=coronal), Role.CT_PORTAL)
    before = w.session.reading.project
    w.reading.activate(1)
    w.state.selection.set_lesion("L1")
    press(w, qtbot, "tool_line")
    drag(qtbot, w.grid.viewports[1], (100, 100), (100, 140))
    assert "coronal" in w.status.text() and "axial" in w.status.text()
    assert w.session.reading.project is before


def test_export_and_analysis_from_the_menus(window: MainWindow, qtbot, env: Path) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.exports.export_to(env / "export", pseudonymise=True)
    with open(env / "export" / "measurements.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and {r["patient_id"] for r in rows} <= {"S001", "S002", "S003"}
    assert "exported 3 patient(s)" in w.status.text()
    with qtbot.waitSignal(w.exports.analysis_done, timeout=60000):
        w.exports.run_analysis(env / "analysis")
    with open(env / "analysis" / "paired_tests.csv", newline="") as f:
        paired = list(csv.DictReader(f))
    assert paired and {"wilcoxon_p", "ttest_p"} <= set(paired[0])
    tabs = w.exports.last_dialog.tabs
    assert [tabs.tabText(i) for i in range(3)] == ["paired_tests", "detection", "sizes"]
    assert tabs.widget(0).rowCount() == len(paired)
    w.exports.last_dialog.close()
    # a failing export is one error dialog, not a crash
    shown: list[str] = []
    w.show_error = shown.append  # type: ignore[method-assign]
    (env / "file").write_text("x")
    w.run(lambda: w.exports.export_to(env / "file"))
    assert len(shown) == 1


def test_store_that_came_with_the_folder_stays_untouched_until_a_working_copy(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                              sample_index, store_copy: Path) -> None:
    digest = hashlib.sha256(store_copy.read_bytes()).hexdigest()
    w = make_window(qtbot, env)
    answers: list[str | None] = ["keep", None, "copy"]  # the folder's store offered; first edit declined; copy
    w.store_flow.ask = lambda title, text, choices: answers.pop(0)  # type: ignore[method-assign]
    assert w.store_flow.open_store(store_copy, came_with_folder=True)
    assert w.session.read_only and "read-only until you edit" in w.store_flow.store_label.text()
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")
    assert w.state.selection.pair == ("LLSYN002", "E1")
    w.reading.activate(0)
    press(w, qtbot, "new_lesion")  # declined: nothing changes
    assert w.session.read_only and "read-only" in w.status.text()
    press(w, qtbot, "new_lesion")  # a working copy in the data folder, and the edit lands there
    assert not w.session.read_only and w.session.path.parent == env / "data" / "readings"
    assert w.state.selection.lesion_id is not None
    assert hashlib.sha256(store_copy.read_bytes()).hexdigest() == digest
    assert not Path(f"{store_copy}.lock").exists() and not Path(f"{store_copy}-wal").exists()
    with ReadingStore.open(w.session.path, read_only=True) as copy:
        assert len(copy.load().lesions) == len(w.session.reading.project.lesions)
    assert w.store_flow.recent.paths[0] == str(w.session.path.resolve())


@pytest.mark.parametrize("whose", ["mine", "theirs"])
def test_an_edit_on_another_readers_read_asks_whose_read_it_is(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                               sample_index, store_copy: Path, whose: str) -> None:
    """The sample's read is READER's; another reader who opens it with the folder is shown it, and the
    first edit asks whose read it goes to (a reader check saw it recorded under READER's name unasked).
    "My own read" shows the reader's own read at once and refuses the action asked for (it was aimed at
    the other read: a count mark under the pointer was deleted from it, a review found)."""
    w = make_window(qtbot, env, reader="Dr B")
    asked: list[str] = []
    answers: list[str | None] = ["keep", None, whose, "copy"]  # the folder's store; whose read: declined, then
    w.store_flow.ask = lambda title, text, choices: asked.append(title) or answers.pop(0)  # type: ignore[method-assign]
    assert w.store_flow.open_store(store_copy, came_with_folder=True)
    assert "reader: sample" in w.store_flow.store_label.text()
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")
    before = dict(w.session.reading.project.lesions)
    rows = set(grid_texts(w))
    assert rows
    w.reading.activate(0)
    press(w, qtbot, "new_lesion")  # the question declined: nothing changes, still read-only
    assert asked[1:] == ["Whose read?"] and w.session.read_only and "whose read" in w.status.text()
    press(w, qtbot, "new_lesion")
    if whose == "mine":  # shown at once, every panel with it; the N refused, nothing written yet
        assert "now your own read as Dr B" in w.status.text() and "do it again" in w.status.text()
        assert w.session.read_only and grid_texts(w) == {} and "reader: Dr B" in w.store_flow.store_label.text()
        press(w, qtbot, "new_lesion")
    press(w, qtbot, "new_lesion")  # asked once
    assert asked[1:] == ["Whose read?", "Whose read?", "Edit the reading project?"] and not w.session.read_only
    project = w.session.reading.project
    mine = [les.lesion_id for les in project.lesions_of("LLSYN002", "E1", "Dr B")]
    if whose == "mine":
        assert mine == ["L1", "L2"] and w.session.reading.reader == "Dr B"
        assert {k: v for k, v in project.lesions.items() if k[2] == READER} == before  # theirs untouched
        assert set(grid_texts(w)) == {"L1", "L2"}  # the grid shows my read only
        assert "reader: Dr B" in w.store_flow.store_label.text()
    else:
        assert mine == [] and w.session.reading.reader == READER
        assert len(project.lesions_of("LLSYN002", "E1", READER)) == len(rows) + 2
        assert "reader: sample" in w.store_flow.store_label.text()
    # the project's log says who made each edit: a correction of the sample's read names Dr B
    said = [d for _seq, _at, d in w.session.store.edits()][-2:]
    assert all(d.endswith(" (by Dr B, in sample's read)") == (whose == "theirs") for d in said), said


def test_an_agreement_to_edit_another_readers_read_is_not_another_readers(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                            sample_index, store_copy: Path) -> None:
    """Dr B agreed to correct the sample's read; renamed Dr C and the project opened again, the first edit
    asks again (a review: Dr C's first edit went to the sample's read unasked)."""
    w = make_window(qtbot, env, reader="Dr B")
    asked: list[str] = []
    answers: list[str | None] = ["theirs", None, None]
    w.store_flow.ask = lambda title, text, choices: asked.append(title) or answers.pop(0)  # type: ignore[method-assign]
    assert w.store_flow.open_store(store_copy, came_with_folder=True)
    open_pair(w, qtbot, env / "no-store-here", sample_index, "LLSYN002")
    w.reading.activate(0)
    press(w, qtbot, "new_lesion")  # theirs; the working copy declined
    assert asked == ["Whose read?", "Edit the reading project?"] and w.session.read_only
    w.store_flow.ask_text = lambda title, label, default: "Dr C"  # type: ignore[method-assign]
    w.store_flow.ask_reader()
    assert w.store_flow.open_store(store_copy, came_with_folder=True)
    n = len(w.session.reading.project.lesions_of("LLSYN002", "E1", READER))
    answers[:] = [None]
    press(w, qtbot, "new_lesion")
    assert asked[-1] == "Whose read?" and len(w.session.reading.project.lesions_of("LLSYN002", "E1", READER)) == n


def test_the_project_open_opened_again_stays_as_it_is(window: MainWindow, qtbot, store_copy: Path) -> None:  # type: ignore[no-untyped-def]
    """File -> Recent on the project already open for writing: it hit its own lock ("open for writing in
    another lesionlab ... by this process"), opened read-only and offered a second working copy."""
    w = window
    told: list[str] = []
    w.store_flow.inform = lambda title, text: told.append(text)  # type: ignore[method-assign]
    assert not w.session.read_only
    store = w.session.store
    assert w.store_flow.open_store(store_copy)
    assert told == [] and w.session.store is store and not w.session.read_only and "is the one open" in w.status.text()


def test_a_project_lying_with_dicom_studies_opens_read_only_from_file_open(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                          store_copy: Path) -> None:
    """A reader's check: File -> Open of the sample's followup.lesionlab opened it for writing and upgraded
    its schema in place (its sha256 changed, no edit made), under the login name: an empty read, nothing
    saying the project holds sample's. Now a project lying with DICOM studies opens read-only, as the one
    found with the study folder does, showing the read it holds; a project whose only read is another's
    says so."""
    import hashlib

    folder = env / "study"
    (folder / "images").mkdir(parents=True)
    one = next(p for p in sorted((sample_dicom / "LLSYN001").rglob("*")) if p.is_file())
    shutil.copy(one, folder / "images" / "IM0001")
    project = folder / "followup.lesionlab"
    shutil.copy(sample_dicom / "followup.lesionlab", project)
    digest = hashlib.sha256(project.read_bytes()).hexdigest()
    w = make_window(qtbot, env, reader="Dr Rad")
    assert w.store_flow.open_store(project)
    assert w.session.read_only and w.session.reading.reader == "sample", w.session.reading.reader
    assert "read-only: it came with the study folder" in w.status.text()
    assert hashlib.sha256(project.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in folder.iterdir()) == ["followup.lesionlab", "images"]
    # a project of the user's own, writable, holding only another reader's read: said, not an empty grid
    assert w.store_flow.open_store(store_copy) and not w.session.read_only
    assert w.session.reading.reader == "Dr Rad" and "it holds the read of sample, none of Dr Rad's" in w.status.text()
    assert "reader: Dr Rad (also in the project: sample)" in w.store_flow.store_label.text()  # and it stays said
    # File -> New in the study folder: a new project there is the reader's own, opened for writing (a
    # review: it was opened read-only, "no such store")
    mine = folder / "my_read.lesionlab"
    assert w.store_flow.open_store(mine) and not w.session.read_only and mine.is_file()
    # "Edit this file", once chosen for a project lying with the images, holds at the next opening
    assert w.store_flow.open_store(project) and w.session.read_only
    w.store_flow.ask = lambda title, text, choices: "in_place"  # type: ignore[method-assign]
    w.session.make_writable()  # the first edit asks: this file
    assert not w.session.read_only
    assert w.store_flow.open_store(mine) and w.store_flow.open_store(project) and not w.session.read_only
    # both stay so however they are found: with their folder, and the new one when opened again (a review)
    assert w.store_flow.open_store(store_copy) and w.store_flow.open_store(project, came_with_folder=True)
    assert not w.session.read_only
    assert w.store_flow.open_store(store_copy) and w.store_flow.open_store(mine) and not w.session.read_only


def test_locked_store_one_dialog_then_read_only(qtbot, env: Path, store_copy: Path) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, env)
    told: list[str] = []
    w.store_flow.inform = lambda title, text: told.append(text)  # type: ignore[method-assign]
    with ReadingStore.open(store_copy):  # another instance holds it
        assert w.store_flow.open_store(store_copy)
        assert len(told) == 1 and "read-only" in told[0] and w.session.read_only
        assert "locked by another lesionlab" in w.store_flow.store_label.text()


def test_first_edit_without_a_store_creates_one_and_asks_the_reader_once(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                          sample_index) -> None:
    w = make_window(qtbot, env, reader=None)
    asked: list[str] = []
    w.store_flow.ask_text = lambda title, label, default: asked.append(label) or "Dr Test"  # type: ignore[method-assign]
    open_pair(w, qtbot, env / "no-store-here", sample_index, "LLSYN003")  # a folder without *.lesionlab
    assert w.session.store is None and w.state.selection.pair is None
    # asked as the exam opens, before the reader's first key (asked at the first N, the question took the keys
    # typed next as the name: a radiologist's check)
    assert len(asked) == 1 and ReaderName(env / "reader.json").name == "Dr Test"
    press(w, qtbot, "new_lesion")
    press(w, qtbot, "new_lesion")
    assert len(asked) == 1 and ReaderName(env / "reader.json").name == "Dr Test"
    assert w.session.path == env / "data" / "readings" / "reading.lesionlab"
    project = w.session.reading.project
    assert [les.lesion_id for les in project.lesions_of("LLSYN003", "E1", "Dr Test")] == ["L1", "L2"]
    assert "reader: Dr Test" in w.store_flow.store_label.text()


def test_undo_of_another_exam_pairs_edit_says_whose_it_is(window: MainWindow, qtbot, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                          sample_index) -> None:
    """The undo steps are the project's: a reader's check drew a line on LLSYN002, opened LLSYN003 and
    undid twice, removing LLSYN002's line with nothing on screen to say so. The Undo action and the
    message name the exam pair when it is not the one on screen."""
    w = window
    w.reading.activate(0)
    press(w, qtbot, "new_lesion")
    new = w.state.selection.lesion_id
    drag(qtbot, w.grid.viewports[0], (200, 150), (200, 190))
    assert w.actions_by_id["undo"].text() == f"Undo {new} on CT arterial: measured"  # this pair's: as before
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")
    # named with its studies' dates (a radiologist's check could not tell which exam "LLSYN001 F1" was)
    assert w.actions_by_id["undo"].text() == (f"Undo {new} on CT arterial: measured (on LLSYN001 E1 (CT 2023-03-14 + "
                                              "MRI 2023-04-11), not the exam pair on screen)")
    # the first press says it and changes nothing (a second reader's check: one Ctrl+Z on LLSYN001 deleted a line
    # of the patient left, said in a note only); the second takes it
    w.actions_by_id["undo"].trigger()
    assert w.status.text().startswith(f"undo would change another exam pair: {new} on CT arterial: measured (on "
                                      "LLSYN001 E1 (CT 2023-03-14 + MRI 2023-04-11), not the exam pair on screen); "
                                      "press Ctrl+Z again")
    lesion = w.session.reading.project.lesions[("LLSYN001", "E1", READER, new)]
    assert lesion.observation(Role.CT_ARTERIAL) is not None
    w.actions_by_id["undo"].trigger()
    assert w.status.text() == (f"undone: {new} on CT arterial: measured (on LLSYN001 E1 (CT 2023-03-14 + MRI "
                               "2023-04-11), not the exam pair on screen)")
    lesion = w.session.reading.project.lesions[("LLSYN001", "E1", READER, new)]
    assert lesion.observation(Role.CT_ARTERIAL) is None


class _LabelRecorder(QPainter):
    """A painter that keeps where each label image is drawn (the measurement layer draws labels as images)."""

    def __init__(self, image: QImage) -> None:
        super().__init__(image)
        self.labels: list[QRectF] = []

    def drawImage(self, at, img, *rest):  # type: ignore[no-untyped-def, override]
        self.labels.append(QRectF(at, QSizeF(img.size())))
        return super().drawImage(at, img, *rest)


def test_the_labels_of_two_lines_ending_side_by_side_do_not_cover_each_other(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Two lesions' lines drawn with real drags, their lower ends 8 screen pixels apart: each label hung
    at its line's end would lie on the other (a reader's check saw two labels as one smudge)."""
    w = window
    w.reading.activate(0)
    vp = w.grid.viewports[0]
    t = vp.transform()
    scale = t.image_to_widget(0, 1)[0] - t.image_to_widget(0, 0)[0]
    press(w, qtbot, "new_lesion")
    drag(qtbot, vp, (200, 150), (200, 190))
    press(w, qtbot, "new_lesion")
    drag(qtbot, vp, (150, 140), (200 + 8 / scale, 188))  # from far off the first line, ending just below its end
    lesions = w.session.reading.project.lesions_of("LLSYN001", "E1", READER)
    k = w.reading.viewports[0].index
    assert [les.lesion_id for les in lesions if isinstance(m := les.observation(Role.CT_ARTERIAL), Measurement)
            and m.slice_index == k][-2:] == [f"L{len(lesions) - 1}", f"L{len(lesions)}"]
    image = QImage(vp.size(), QImage.Format.Format_ARGB32_Premultiplied)
    painter = _LabelRecorder(image)
    w.reading_view.line_layers[0].paint(painter, vp.view_context())
    painter.end()
    rects = painter.labels
    assert len(rects) >= 2
    assert not [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:] if a.intersects(b)], rects
    # the lesion being read (the second) keeps its label where it hangs, drawn last (over the others)
    x, y = t.image_to_widget(200 + 8 / scale, 188)
    assert abs(rects[-1].x() - (x + 6)) < 1.0 and abs(rects[-1].y() - (y - 10)) < 1.0, (rects[-1], x, y)


def test_the_grid_takes_clicks_and_leaves_the_keys_and_the_wheel_to_the_reading(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check: after a click on a grid cell with no line the arrow keys moved the grid's row,
    not the slice; a wheel over the grid's Lobe cells turns the lobe; a lobe refused (segment VIII is
    right) stayed shown as chosen."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    w = window
    t = w.docks.lesion_panel.table
    texts = grid_texts(w)
    # a cell that does not jump to a line (the sample's read is whole: the lesion's id)
    row, col = 2, 0
    w.reading.activate(0)
    vp = w.reading.viewports[0]
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualItemRect(t.item(row, col)).center())
    assert w.state.selection.lesion_id == list(texts)[row]
    focus = QApplication.focusWidget()
    assert focus is not t and not t.isAncestorOf(focus)
    before = vp.index
    qtbot.keyClick(focus, Qt.Key.Key_Down)
    assert vp.index == before - 1 and t.currentRow() == row  # a slice down (index 0 is the bottom), the same row
    assert w.state.selection.lesion_id == list(texts)[row]

    l1 = ("LLSYN001", "E1", READER, "L1")
    lobe = w.session.reading.project.lesions[l1].lobe
    combo = t.cellWidget(0, 1)
    at = QPointF(combo.width() / 2, combo.height() / 2)
    for delta in (-120, 120, -120):
        QApplication.sendEvent(combo, QWheelEvent(at, combo.mapToGlobal(at), QPoint(0, 0), QPoint(0, delta),
                                                  Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                                  Qt.ScrollPhase.NoScrollPhase, False))
    assert w.session.reading.project.lesions[l1].lobe is lobe and t.cellWidget(0, 1).currentText() == lobe.value

    assert w.session.reading.project.lesions[l1].segment is not None  # the sample's L1: segment VIII, right lobe
    t.cellWidget(0, 1).setCurrentText(Lobe.LEFT.value)  # as a choice in its list
    assert w.session.reading.project.lesions[l1].lobe is Lobe.RIGHT
    assert "segment" in w.docks.lesion_panel.status.text()
    assert t.cellWidget(0, 1).currentText() == Lobe.RIGHT.value  # shown as it is recorded


def test_the_panels_buttons_act_on_what_is_being_read_and_leave_the_keys_to_the_images(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check under Xvfb: with L1's cell clicked and `]` on L2, the grid's Not visible button
    recorded on L1; the button then held the keys (Down moved to the next button, Space pressed it);
    the Counts table's row and the 0 key counted two different series."""
    from PySide6.QtWidgets import QAbstractButton, QApplication, QPushButton

    from annotation.records import NotVisible
    from annotation.vocab import CountStatus

    w = window
    project = lambda: w.session.reading.project  # noqa: E731
    t = w.docks.lesion_panel.table
    t2 = READING_ROLES.index(Role.MR_T2FS)
    l1, l2 = (("LLSYN001", "E1", READER, lid) for lid in ("L1", "L2"))
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualItemRect(t.item(0, FIXED + t2)).center())
    assert w.state.selection.lesion_id == "L1"
    press(w, qtbot, "next_lesion")
    assert w.state.selection.lesion_id == "L2"
    was = project().lesions[l1].observation(Role.MR_T2FS)
    button = next(b for b in w.docks.lesion_panel.findChildren(QPushButton) if b.text() == "Not visible")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert isinstance(project().lesions[l2].observation(Role.MR_T2FS), NotVisible)  # the lesion highlighted
    assert w.status.text().startswith("recorded: L2") and "T2" in w.status.text(), w.status.text()  # said
    assert project().lesions[l1].observation(Role.MR_T2FS) == was
    edits = len(w.session.store.edits())
    focus = QApplication.focusWidget()
    assert not isinstance(focus, QAbstractButton), focus
    vp = w.reading.active
    before = vp.index
    qtbot.keyClick(focus, Qt.Key.Key_Down)
    assert vp.index == before - 1 and len(w.session.store.edits()) == edits  # the slice moved, nothing recorded

    w.docks.counts_dock.raise_()
    counts = w.docks.counts_panel
    qtbot.waitUntil(lambda: counts.table.isVisible())
    art = READING_ROLES.index(Role.CT_ARTERIAL)
    qtbot.mouseClick(counts.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=counts.table.visualItemRect(counts.table.item(art, 0)).center())
    assert w.state.reading_role(w.reading.layout.active) is Role.CT_ARTERIAL  # the row's series is read now
    not_read = next(b for b in counts.findChildren(QPushButton) if b.text() == "Not read yet")
    qtbot.mouseClick(not_read, Qt.MouseButton.LeftButton)
    status = lambda role: project().count_status("LLSYN001", "E1", READER, role)  # noqa: E731
    assert status(Role.CT_ARTERIAL) is CountStatus.NOT_READ
    dwi = next(i for i in range(6) if w.state.reading_role(i) is Role.MR_DWI)
    w.reading.activate(dwi)  # as a click on its image does: the row follows
    assert counts.table.currentRow() == READING_ROLES.index(Role.MR_DWI)
    qtbot.mouseClick(next(b for b in counts.findChildren(QPushButton) if b.text().startswith("Counted")),
                     Qt.MouseButton.LeftButton)
    assert status(Role.MR_DWI) is CountStatus.COUNTED and status(Role.CT_ARTERIAL) is CountStatus.NOT_READ
    # the series' name (the row's header) picks it too (it selected the row, another series active)
    header = counts.table.verticalHeader()
    t1p = READING_ROLES.index(Role.MR_T1_PORTAL)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.width() // 2, header.sectionViewportPosition(t1p) + header.sectionSize(t1p) // 2))
    assert w.state.reading_role(w.reading.layout.active) is Role.MR_T1_PORTAL
    # the clinical record's scroll area takes no keys either (a click on a choice handed them to it)
    w.docks.clinical_dock.raise_()
    form = w.docks.clinical_form
    assert form is not None
    assert all(p.focusPolicy() == Qt.FocusPolicy.NoFocus for p in (form, form.parentWidget().parentWidget()))


def test_a_checks_warning_about_a_series_without_status_takes_the_reader_there(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check: a click on "L5 ... has no status on CT portal" in Checks did nothing visible."""
    w = window
    w.reading.activate(0)
    press(w, qtbot, "new_lesion")
    new = w.state.selection.lesion_id
    drag(qtbot, w.grid.viewports[0], (200, 150), (200, 190))  # on CT arterial only
    w.reading.activate(0)
    w.docks.checks_dock.raise_()
    checks = w.docks.checks_panel
    qtbot.waitUntil(lambda: checks.list.isVisible())
    row = next(i for i, warn in enumerate(checks.warnings) if warn.lesion_id == new and warn.role is Role.CT_PORTAL)
    item = checks.list.item(row)
    qtbot.mouseClick(checks.list.viewport(), Qt.MouseButton.LeftButton, pos=checks.list.visualItemRect(item).center())
    assert w.state.selection.lesion_id == new
    assert w.state.reading_role(w.reading.layout.active) is Role.CT_PORTAL
    assert f"{new} on 1 series" in w.status.text()


def test_a_new_lesion_that_could_not_be_saved_is_not_made_current(window: MainWindow, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A review: N on a full disk said the edit was not saved, yet the lesion it would have made stayed
    the current one (absent from the project: later keys acted on a lesion that is not there)."""
    from viewer.errors import StoreError

    w = window
    w.reading.activate(0)
    before = w.state.selection.lesion_id
    ids = set(w.session.reading.project.lesions)

    def full(change, description, by=""):  # type: ignore[no-untyped-def]
        raise StoreError("the edit was not saved: the disk is full", where="test")

    monkeypatch.setattr(w.session.store, "write", full)
    press(w, qtbot, "new_lesion")
    assert "disk is full" in w.status.text(), w.status.text()
    assert set(w.session.reading.project.lesions) == ids and w.state.selection.lesion_id == before


def _one_cell_still_loading(w, qtbot, cell: int = 4):  # type: ignore[no-untyped-def]
    """] with ``cell``'s series not arrived yet (its volume taken off); the lesion, its T2 FS line, the volume."""
    vp = w.reading.viewports[cell]
    volume, role = vp.volume, vp.role
    vp.set_volume(None)
    press(w, qtbot, "next_lesion")
    lid = w.state.selection.lesion_id
    assert "1 still loading: shown there once loaded" in w.status.text(), w.status.text()
    m = w.session.reading.project.lesions[("LLSYN001", "E1", READER, lid)].observation(Role.MR_T2FS)
    assert isinstance(m, Measurement) and w.reading.viewports[2].index == m.slice_index
    return lid, m, volume, role


def test_a_series_arriving_after_a_lesion_was_asked_for_goes_there_alone(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check: ] pressed while a series was loading left its cell off the lesion. It goes there once
    loaded, and no other cell moves (a review: every later load, of any series, yanked the reader's scrolled
    cells back to the lesion and replaced the status)."""
    w = window
    lid, m, volume, role = _one_cell_still_loading(w, qtbot)
    t2, late = w.reading.viewports[2], w.reading.viewports[4]
    t2.set_index(0)  # the reader scrolls on
    w.state.say("what the reader reads now")
    w.loads.finished.emit("some other stack")  # another load ending: nothing moves
    assert t2.index == 0 and w.status.text() == "what the reader reads now" and w.state.pending_show is not None
    late.set_volume(volume, role)
    w.loads.finished.emit(late.key)
    les = w.session.reading.project.lesions[("LLSYN001", "E1", READER, lid)]
    want = les.observation(w.reading.hanging.cells[4].role)
    if isinstance(want, Measurement):
        assert late.index == want.slice_index
    assert t2.index == 0 and w.status.text() == "what the reader reads now" and w.state.pending_show is None


def test_a_series_arriving_mid_drag_leaves_the_line_on_its_slice(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A review: a load ending while the reader dragged a line moved the cell, and the line drawn on one slice
    was recorded on another."""
    w = window
    lid, old, volume, role = _one_cell_still_loading(w, qtbot)
    t2, late = w.reading.viewports[2], w.reading.viewports[4]
    w.reading.activate(2)
    press(w, qtbot, "tool_line")
    target = old.slice_index + 2
    t2.set_index(target)
    widget = w.grid.viewports[2]
    t = widget.transform()
    pa = QPoint(*[round(v) for v in t.image_to_widget(*old.p1)])
    pb = QPoint(*[round(v) for v in t.image_to_widget(old.p2[0] + 3, old.p2[1] + 3)])
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=pa)
    qtbot.mouseMove(widget, pb)
    late.set_volume(volume, role)
    w.loads.finished.emit(late.key)  # the awaited series arrives while the button is held
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=pb)
    new = w.session.reading.project.lesions[("LLSYN001", "E1", READER, lid)].observation(Role.MR_T2FS)
    assert isinstance(new, Measurement) and new.slice_index == target


def test_a_lesion_awaited_on_one_exam_is_not_shown_on_the_next(window: MainWindow, qtbot, sample_dicom: Path) -> None:  # type: ignore[no-untyped-def]
    """A review: the awaited lesion (an id, which repeats across exams) outlived a change of patient."""
    from app.browser import PAYLOAD

    w = window
    _one_cell_still_loading(w, qtbot)
    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN002")
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: w.state.pair is not None and w.state.pair.patient_id == "LLSYN002", timeout=60000)
    assert w.state.pending_show is None


def test_the_reader_name_declined_at_opening_is_asked_at_the_first_edit(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                        sample_index) -> None:
    w = make_window(qtbot, env, reader=None)
    answers = [None, "Dr Later"]
    asked: list[str] = []
    w.store_flow.ask_text = lambda title, label, default: asked.append(label) or answers.pop(0)  # type: ignore[method-assign]
    open_pair(w, qtbot, env / "no-store-here", sample_index, "LLSYN003")
    assert len(asked) == 1 and not ReaderName(env / "reader.json").asked
    press(w, qtbot, "new_lesion")
    assert len(asked) == 2 and ReaderName(env / "reader.json").name == "Dr Later"
    open_pair(w, qtbot, env / "no-store-here", sample_index, "LLSYN002")  # given: never asked again
    assert len(asked) == 2


def test_the_reader_name_declined_is_not_asked_at_every_exam_opened(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A review: declined as the first exam opened, the question came back, modal, at every exam opened after."""
    w = make_window(qtbot, env, reader=None)
    asked: list[str] = []
    w.store_flow.ask_text = lambda title, label, default: asked.append(label) or None  # type: ignore[method-assign]
    for patient in ("LLSYN003", "LLSYN002", "LLSYN001"):
        open_pair(w, qtbot, env / "no-store-here", sample_index, patient)
    assert len(asked) == 1
