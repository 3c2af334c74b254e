"""Session 47: the follow-up leftovers of session 46, through the real main window with key and mouse events: a
treatment line added with a start before the others was numbered after them; the Counts panel said "not read yet" at
a follow-up for the series it is not read on (the lesion grid left them blank); a date typed 12.05.2024 or
12 May 2024 was refused, and 12/05/2024's refusal did not say which forms are taken."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from annotation.followup import lines_of, treatment_line_rows
from annotation.qt.followup_lines import BASELINE, NAME, START
from annotation.qt.followup_panel import NOTE_STYLE, REFUSAL_STYLE
from annotation.qt.panels import CountsPanel
from annotation.store import ReadingStore
from app.main_window import MainWindow
from tests.app.conftest import add_treatment_line
from tests.app.test_followup_in_window import _open_exam
from tests.app.test_workstation_s46 import READER, _followup_window, _shot
from viewer.records import READING_ROLES, Role


def _rows(w: MainWindow) -> list[tuple[str, str, str]]:
    """The treatment lines' table: (number shown, name, start) of each row after the row before any line."""
    t = w.docks.followup_panel.lines
    return [(t.item(r, 0).text(), t.item(r, NAME).text(), t.item(r, START).text()) for r in range(1, t.rowCount())]


def _responses(w: MainWindow) -> list[list[str]]:
    t = w.docks.followup_panel.responses
    return [[t.item(r, c).text() if t.item(r, c) else "" for c in range(t.columnCount())] for r in range(t.rowCount())]


def _type_in(w: MainWindow, qtbot, row: int, column: int, text: str) -> None:  # type: ignore[no-untyped-def]
    """A click on the cell, its text typed over (the editor opens at the first key), Enter."""
    from PySide6.QtWidgets import QApplication

    t = w.docks.followup_panel.lines
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(row, column)).center())
    qtbot.keyClick(t, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    editor.selectAll()
    for ch in text:
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)


def test_a_line_started_before_the_others_is_line_1(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """LLSYN001's lines are PRRT from 2023-04-25 (line 1, its baseline 2023-03-14 chosen) and everolimus from
    2024-03-28 (line 2). A somatostatin analogue started 2023-01-10, added now, was "line 3", listed after them. Lines
    are numbered by start date, as a clinician numbers them: it is line 1, PRRT line 2 with its baseline, everolimus
    line 3; the store keeps each line's id (the new line is id 3), the exports list the lines by date with no number,
    the responses are unchanged; Ctrl+Z and Ctrl+Y take it back and put it again, the numbers with it."""
    w = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    panel = w.docks.followup_panel
    w.docks.followup_dock.raise_()  # the responses are drawn while shown
    panel.course.setCurrentIndex(0)
    qtbot.waitUntil(lambda: bool(_responses(w)), timeout=10000)
    before = _responses(w)
    panel.course.setCurrentIndex(1)
    prrt, everolimus = "177Lu-DOTATATE (PRRT), 4 cycles", "everolimus 10 mg/d"
    assert _rows(w) == [("1", prrt, "2023-04-25"), ("2", everolimus, "2024-03-28")], _rows(w)

    _, line = add_treatment_line(w, qtbot, "2023-01-10")
    assert (line.line_number, line.start_date.isoformat()) == (3, "2023-01-10")
    # before: [("1", prrt, ...), ("2", everolimus, ...), ("3", "treatment line 3", "2023-01-10")]
    # no name typed: its name empty, shown as "no name given" (it was "treatment line": session 48)
    assert _rows(w) == [("1", "", "2023-01-10"), ("2", prrt, "2023-04-25"),
                        ("3", everolimus, "2024-03-28")], _rows(w)
    assert panel.status.text().startswith("line 1 added, from 2023-01-10 (the lines after it renumbered); no name "
                                          "given: type it in its Name cell"), panel.status.text()
    t = panel.lines
    assert t.cellWidget(2, BASELINE).currentText() == "2023-03-14"  # PRRT's baseline stayed with PRRT
    assert t.cellWidget(1, BASELINE).currentText().startswith("—")
    _shot(w, "s47_line_1_added")
    # the store, the exports and the responses agree: ids kept, lines by date, the same responses
    project = w.session.reading.project
    assert [(x.line_number, x.start_date.isoformat()) for x in lines_of(project, "LLSYN001")] == \
        [(3, "2023-01-10"), (1, "2023-04-25"), (2, "2024-03-28")]
    assert [r["start_date"] for r in treatment_line_rows(project)] == ["2023-01-10", "2023-04-25", "2024-03-28"]
    assert set(treatment_line_rows(project)[0]) == {"patient_id", "name", "start_date", "end_date"}
    panel.course.setCurrentIndex(0)
    assert _responses(w) == before
    panel.course.setCurrentIndex(1)

    undo, redo = (w.actions_by_id[a].shortcuts()[0][0] for a in ("undo", "redo"))
    qtbot.keyClick(t, undo.key(), undo.keyboardModifiers())
    qtbot.waitUntil(lambda: len(_rows(w)) == 2, timeout=5000)
    assert _rows(w) == [("1", prrt, "2023-04-25"), ("2", everolimus, "2024-03-28")], _rows(w)
    qtbot.keyClick(t, redo.key(), redo.keyboardModifiers())
    qtbot.waitUntil(lambda: len(_rows(w)) == 3, timeout=5000)
    assert [r[0] for r in _rows(w)] == ["1", "2", "3"] and _rows(w)[0][2] == "2023-01-10", _rows(w)

    # everolimus's start typed before PRRT's: it moves up to line 2, said
    _type_in(w, qtbot, 3, START, "2023-02-01")
    assert _rows(w) == [("1", "", "2023-01-10"), ("2", everolimus, "2023-02-01"),
                        ("3", prrt, "2023-04-25")], _rows(w)
    assert panel.status.text() == "line 3 is line 2 now, by its start date", panel.status.text()
    path = w.session.path
    assert path is not None
    with ReadingStore.open(path, read_only=True) as store:  # what the store holds: each line under its id
        stored = store.load()
    assert {k[1]: v.start_date.isoformat() for k, v in stored.treatment_lines.items()} == \
        {1: "2023-04-25", 2: "2023-02-01", 3: "2023-01-10"}
    assert {k[2] for k in stored.followup_baselines if k[1] == READER} == {1}


def test_a_date_typed_as_a_european_reader_types_it(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A Start or End typed 12/05/2024 was refused as "not a date (YYYY-MM-DD or YYYYMMDD)", and 12.05.2024 or
    12 May 2024 alike. The slashed form stays refused (12 May, or 5 December?), the refusal saying both and the forms
    taken; the dotted day-first form and a month's name are taken, the cell showing the date as recorded (ISO)."""
    w = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    panel = w.docks.followup_panel
    w.docks.followup_dock.raise_()
    panel.course.setCurrentIndex(1)
    t = panel.lines
    assert t.item(2, START).text() == "2024-03-28"
    _type_in(w, qtbot, 2, START, "12/05/2024")
    assert panel.status.styleSheet() == REFUSAL_STYLE
    said = panel.status.text()
    # before: "Start: '12/05/2024' is not a date (YYYY-MM-DD or YYYYMMDD)"
    assert said == ("Start: '12/05/2024' is ambiguous: type 12 May as 2024-05-12 or 12.05.2024, 5 December as "
                    "2024-12-05 or 05.12.2024; the forms taken: YYYY-MM-DD, DD.MM.YYYY (day first), 28 May 2024 or "
                    "YYYYMMDD"), said
    label = panel.status  # said whole under the tables (a longer wording was cut at its third line)
    qtbot.waitUntil(lambda: label.heightForWidth(label.width()) <= label.height(), timeout=3000)
    assert t.item(2, START).text() == "2024-03-28"  # the record's, the refused text gone
    _shot(w, "s47_date_refused")

    for typed, recorded in (("12.05.2024", "2024-05-12"), ("5 Dec 2024", "2024-12-05")):
        _type_in(w, qtbot, 2, START, typed)
        assert panel.status.styleSheet() == NOTE_STYLE, panel.status.text()
        assert panel.status.text() == f"line 2: Start recorded as {recorded}", panel.status.text()
        assert t.item(2, START).text() == recorded
        line = w.session.reading.project.treatment_lines[("LLSYN001", 2)]
        assert line.start_date.isoformat() == recorded
    _type_in(w, qtbot, 2, 3, "31.12.2024")  # its End
    assert t.item(2, 3).text() == "2024-12-31" and panel.status.text() == "line 2: End recorded as 2024-12-31"
    _shot(w, "s47_date_taken")


def test_the_counts_panel_at_a_follow_up_says_what_is_not_needed(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """At LLSYN001's follow-up CT of 2024-03-12, read on CT portal, the lesion grid leaves CT arterial blank ("not
    needed at this follow-up") while the Counts panel said CT arterial "not read yet", and the four MRI series the
    exam has not "not read yet" too (the grid: "—"). The Counts panel says what the grid says: CT arterial not needed
    at follow-up, the MRI series no such series; CT portal's count as ever. At the baseline every series is read."""
    w = _followup_window(qtbot, env, sample_index)
    w.docks.lesions_dock.raise_()
    _open_exam(w, qtbot, "2024-03-12")
    assert w.state.selection.pair == ("LLSYN001", "F3")
    counts: CountsPanel = w.docks.counts_panel
    w.docks.counts_dock.raise_()
    said = {role: counts.table.item(r, 3).text() for r, role in enumerate(READING_ROLES)}
    # before: every series "not read yet" but CT portal
    assert said[Role.CT_ARTERIAL] == "not needed at follow-up", said
    assert all(said[r] == "no such series" for r in READING_ROLES if r.value.startswith("mr_")), said
    t2 = READING_ROLES.index(Role.MR_T2FS)
    assert [counts.table.item(t2, c).text() for c in range(3)] == ["–"] * 3  # no 0 counted where nothing is imaged
    assert said[Role.CT_PORTAL] in {"not read yet", "counted", "not countable"}, said
    assert "read on CT portal" in counts.table.item(READING_ROLES.index(Role.CT_ARTERIAL), 3).toolTip()
    # the grid agrees: CT arterial blank beside each lesion, not asked for
    grid = w.docks.lesion_panel.table
    arterial = 3 + READING_ROLES.index(Role.CT_ARTERIAL)
    assert all(grid.item(r, arterial).text() == "" and "not needed" in grid.item(r, arterial).toolTip()
               for r in range(grid.rowCount()) if not grid.item(r, arterial).text()), grid.rowCount()
    _shot(w, "s47_counts_follow_up")

    # the baseline CT (2023-03-14): nothing said not needed (every series of the exam read)
    from viewer.studies import ExamPair

    project = w.session.reading.project
    patient = next(p for p in w.patients if p.patient_id == "LLSYN001")
    uid = project.exam_pairs[("LLSYN001", "F1")].ct_study_uid
    ct = next(st for st in patient.studies if st.study_instance_uid == uid)
    w.open_pair(ExamPair.single(ct))
    qtbot.waitUntil(lambda: w.state.selection.pair == ("LLSYN001", "F1"), timeout=60000)
    said = {role: counts.table.item(r, 3).text() for r, role in enumerate(READING_ROLES)}
    assert "not needed at follow-up" not in said.values(), said
