"""The lesion grid draws only the rows that changed (session 39's row cache): after every kind of change the grid
must show, it shows what a grid drawn anew shows (review39, question 1: a cell whose text depends on something not
in the cache's key would keep its old text)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from annotation.followup import FollowupEditor
from annotation.qt.panels import LesionPanel
from annotation.reading import Reading
from annotation.records import Measurement, NotVisible
from annotation.selection import Selection
from annotation.vocab import FollowupKind, FollowupStatus
from viewer.records import Role

ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole,
         Qt.ItemDataRole.FontRole)


def _value(data: object) -> object:
    if isinstance(data, QBrush):
        return (data.color().name(QColor.NameFormat.HexArgb), data.style())
    if isinstance(data, QFont):
        return data.toString()
    return data


def _shown(panel: LesionPanel) -> list[tuple[object, ...]]:
    t = panel.table
    out: list[tuple[object, ...]] = []
    for r in range(t.rowCount()):
        for c in range(t.columnCount()):
            box = t.cellWidget(r, c)
            item = t.item(r, c)
            out.append((r, c, box.currentText() if box is not None else None,
                        *((_value(item.data(role)) if item is not None else None) for role in ROLES)))
    return out


def test_the_grid_drawn_row_by_row_shows_what_a_grid_drawn_anew_shows(qtbot) -> None:  # type: ignore[no-untyped-def]
    reading = Reading(reader="R1")
    for patient in ("P1", "P2"):
        reading.add_patient(patient)
        reading.add_exam_pair(patient, "E1", ct_date=dt.date(2024, 1, 1), mri_date=dt.date(2024, 1, 2))
        reading.add_exam_pair(patient, "E2", ct_date=dt.date(2024, 6, 1))  # CT only: MRI cells say "—"
    sel = Selection(reading, ("P1", "E1"))
    panel = LesionPanel(sel)
    qtbot.addWidget(panel)
    checked = 0

    def same() -> None:
        nonlocal checked
        fresh = LesionPanel(sel)
        qtbot.addWidget(fresh)
        fresh.imaged_roles = panel.imaged_roles  # what the window says its exam shows
        fresh.refresh()
        assert _shown(panel) == _shown(fresh), f"step {checked}"
        fresh.deleteLater()
        checked += 1

    m = Measurement("k", "1.2", 3, (0.0, 0.0), (0.0, 10.0), 0.7, 0.7)
    for patient in ("P1", "P2"):  # the same lesion ids on both patients, different records
        for pair_id in ("E1", "E2"):
            pair = (patient, pair_id)
            for lobe in ("right", "left"):
                lid = reading.add_lesion(pair, lobe)
                reading.set_observation(pair, lid, Role.CT_PORTAL, m if patient == "P1" else NotVisible())
    same()
    sel.set_pair(("P2", "E1"))  # another patient, L1 and L2 again
    same()
    sel.set_lesion("L2")
    same()
    panel.table.cellWidget(0, 2).setCurrentText("VIII")  # right lobe: taken
    same()
    panel.table.cellWidget(1, 2).setCurrentText("III")  # left lobe, segment III: taken
    same()
    panel.table.cellWidget(0, 1).setCurrentText("left")  # segment VIII in the left lobe: refused, put back
    assert panel.table.cellWidget(0, 1).currentText() == "right"
    same()
    ed = FollowupEditor(reading)
    sel.set_pair(("P1", "E2"))
    ed.set_lesion_followup(("P1", "E2"), "L1", FollowupKind.NON_TARGET, status=FollowupStatus.PRESENT,
                           assessed_role=Role.CT_ARTERIAL)  # its CT arterial cell says "present"
    assert "present" in [text for _, _, _, text, *_ in _shown(panel)]
    same()
    ed.set_lesion_followup(("P1", "E2"), "L1", FollowupKind.NON_TARGET, status=FollowupStatus.ABSENT,
                           assessed_role=Role.CT_ARTERIAL)
    same()
    reading.edit_exam_pair(("P1", "E2"), mri_study_uid="1.2.3")  # now a pair of both modalities: no "—"
    same()
    reading.undo()
    same()
    reading.undo()  # the follow-up status back to present
    same()
    reading.redo()
    same()
    panel.imaged_roles = lambda: frozenset({Role.CT_PORTAL})  # the window's exam shows one series
    sel.set_lesion("L1")
    same()
    sel.set_pair(("P2", "E2"))
    same()
    sel.set_pair(None)
    same()
    sel.set_pair(("P1", "E1"))  # rows again after none
    same()
    assert checked == 16
