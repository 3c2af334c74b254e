"""Caches of what a Project holds are keyed by the Project's serial, not id(project): a freed Project's id is
given to a later one (CPython reuses the memory), and since undo keeps no whole Projects one is freed at nearly
every edit, so a cache keyed by id() answered for the Project before."""

from __future__ import annotations

from annotation.on_slice import SliceContent
from annotation.project import Project
from annotation.reading import Reading
from annotation.records import Measurement
from annotation.selection import Selection
from viewer.records import Role

PAIR = ("P1", "E1")


def _reading() -> Reading:
    r = Reading(reader="R1")
    r.add_patient("P1")
    r.add_exam_pair(*PAIR)
    r.add_lesion(PAIR, "right")
    return Reading(r.project, reader="R1")


def _line(k: int) -> Measurement:
    return Measurement("stack", "1.2.3", k % 7, (10.0, 10.0), (10.0, 20.0 + k), 1.0, 1.0)


def test_every_project_has_its_own_serial() -> None:
    a = Project()
    b = a.with_record(_reading().project.patients["P1"])
    assert a.serial != b.serial and b.patched({}).serial == b.serial
    serials = set()
    for _ in range(100):  # made and freed: their ids come round again, their serials never
        serials.add(Project().serial)
    assert len(serials) == 100


def _truth(r: Reading, s: int) -> list[Measurement]:
    return [m for les in r.project.lesions_of(*PAIR, "R1") for role, m in les.observations
            if role is Role.CT_PORTAL and isinstance(m, Measurement) and m.slice_index == s]


def test_the_lines_on_a_slice_are_the_current_projects_after_edits_unseen() -> None:
    """A line drawn and looked at, then Ctrl+Z, Ctrl+Y, Ctrl+Z before the next look (a cell repaints when shown):
    the last undo's Project took the memory of the one the index was built from, and the line undone was drawn."""
    from annotation.qt.layers import _SliceIndex  # the measurement layer's index (Qt-free itself)

    r = _reading()
    selection = Selection(r, PAIR)
    content, drawn = SliceContent(selection), _SliceIndex()
    stale = []
    for k in range(1500):
        r.set_observation(PAIR, "L1", Role.CT_PORTAL, _line(k))
        for s in range(7):
            content.measurements(Role.CT_PORTAL, "stack", s)
            drawn.get(selection, "P1", "stack", s)
        r.undo()
        r.redo()
        r.undo()
        for s in range(7):
            if [m for _, m in content.measurements(Role.CT_PORTAL, "stack", s)] != _truth(r, s):
                stale.append(("slice content", k, s))
            if [m for _, m in drawn.get(selection, "P1", "stack", s)] != _truth(r, s):
                stale.append(("measurement layer", k, s))
        r.redo()
    assert not stale, f"{len(stale)} stale answers, the first at (round, slice) {stale[:3]}"
