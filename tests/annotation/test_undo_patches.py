"""Undo and redo keep only the records an edit changed (Project.patched), with the results of keeping whole
Projects: random edits, undos and redos land on exactly the states a stack of whole Projects gives, the queries
of a patched Project (its carried indexes) answer as a Project built afresh, and a step costs what it changed,
not a copy of the tables it touched."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotation.project import TABLES, Project
from annotation.reading import Reading
from annotation.records import CountMark, Measurement, NotMeasurable, NotVisible
from annotation.vocab import CountStatus, Lobe
from viewer.errors import ValidationError
from viewer.records import READING_ROLES

PAIRS = [("P1", "E1"), ("P1", "E2"), ("P2", "E1")]
COORD = st.floats(0, 500, allow_nan=False)


def _start() -> Reading:
    r = Reading(reader="R1")
    with r.batch("setup"):
        for pid in ("P1", "P2"):
            r.add_patient(pid)
        for pair in PAIRS:
            r.add_exam_pair(*pair)
        r.add_lesion(PAIRS[0], "right")
        r.add_count_mark(PAIRS[0], READING_ROLES[0], "left", row=1.0, col=2.0)
    return Reading(r.project, reader="R1")  # the setup is not undoable


def _queries(p: Project) -> tuple[object, ...]:
    """What the indexed queries answer, for every read of the project."""
    out: list[object] = []
    for pid, eid in sorted(p.exam_pairs):
        out.append(p.lesions_of(pid, eid, "R1"))
        out.append(sorted(p.marks_of_lesion(pid, eid, "R1", ""), key=lambda m: m.mark_id))
        for les in p.lesions_of(pid, eid, "R1"):
            out.append(p.lesion_tracked(pid, eid, "R1", les.tracking_uid))
            out.append(sorted(p.marks_of_lesion(pid, eid, "R1", les.lesion_id), key=lambda m: m.mark_id))
    return tuple(out)


def _edit(r: Reading, data: st.DataObject) -> None:
    """One random command of a reader (some refused: nothing changes then)."""
    p = r.project
    lesions = sorted(k for k in p.lesions if k[2] == "R1")
    marks = sorted(k for k, m in p.count_marks.items() if m.reader == "R1")
    kind = data.draw(st.sampled_from(["add", "observe", "lobe", "delete", "mark", "move", "unmark", "status",
                                      "patient", "batch", "drop_pair"]))
    try:
        if kind == "add":
            r.add_lesion(data.draw(st.sampled_from(PAIRS)), data.draw(st.sampled_from(["right", "left"])))
        elif kind in ("observe", "lobe", "delete") and lesions:
            key = data.draw(st.sampled_from(lesions))
            if kind == "observe":
                p1, p2 = data.draw(st.tuples(COORD, COORD)), data.draw(st.tuples(COORD, COORD))
                obs = data.draw(st.sampled_from([Measurement("k", "1.2", 3, p1, p2, 0.7, 1.3), NotVisible(),
                                                 NotMeasurable("x"), None]))
                r.set_observation(key[:2], key[3], data.draw(st.sampled_from(READING_ROLES)), obs)
            elif kind == "lobe":
                r.edit_lesion(key[:2], key[3], lobe=data.draw(st.sampled_from(Lobe)))
            else:
                r.delete_lesion(key[:2], key[3])
        elif kind == "mark":
            r.add_count_mark(data.draw(st.sampled_from(PAIRS)), data.draw(st.sampled_from(READING_ROLES)), "left",
                             row=data.draw(COORD), col=1.0)
        elif kind in ("move", "unmark") and marks:
            mark = data.draw(st.sampled_from(marks))
            if kind == "move":
                r.move_count_mark(mark, data.draw(COORD), 2.0, slice_index=data.draw(st.integers(0, 5)))
            else:
                r.delete_count_mark(mark)
        elif kind == "status":
            r.set_count_status(data.draw(st.sampled_from(PAIRS)), data.draw(st.sampled_from(READING_ROLES)),
                               data.draw(st.sampled_from(CountStatus)))
        elif kind == "patient":
            r.edit_patient(data.draw(st.sampled_from(["P1", "P2"])), patient_name=data.draw(st.sampled_from("ab")))
        elif kind == "batch":
            with r.batch("several"):
                pair = data.draw(st.sampled_from(PAIRS))
                lid = r.add_lesion(pair, "left")
                r.set_observation(pair, lid, READING_ROLES[1], NotVisible())
                r.add_count_mark(pair, READING_ROLES[2], "right", row=3.0, col=4.0)
        elif kind == "drop_pair" and data.draw(st.integers(0, 4)) == 0:
            r.delete_exam_pair(data.draw(st.sampled_from(sorted(p.exam_pairs))))
    except ValidationError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_edits_undos_and_redos_land_where_whole_projects_did(data: st.DataObject) -> None:
    r = _start()
    done: list[Project] = [r.project]  # the old undo stack: every state, whole
    undone: list[Project] = []
    for _ in range(data.draw(st.integers(1, 40))):
        what = data.draw(st.sampled_from(["edit", "edit", "edit", "undo", "redo"]))
        if what == "edit":
            before = r.project
            _edit(r, data)
            if r.project is not before:
                done.append(r.project)
                undone.clear()
        elif what == "undo":
            assert r.undo() is (len(done) > 1)
            if len(done) > 1:
                undone.append(done.pop())
        else:
            assert r.redo() is bool(undone)
            if undone:
                done.append(undone.pop())
        assert r.project == done[-1]
        assert _queries(r.project) == _queries(Project.from_records(
            [rec for t in TABLES for rec in getattr(r.project, t).values()]))
    furthest = undone[0] if undone else done[-1]  # where the last edit left it
    while r.undo():  # undo all: the original
        pass
    assert r.project == done[0] and not r.can_undo
    while r.redo():  # redo all: the last edit's state
        pass
    assert r.project == furthest and not r.can_redo


def test_undo_and_redo_put_back_deleted_and_added_records_with_their_indexes() -> None:
    r = _start()
    pair = PAIRS[0]
    r.set_observation(pair, "L1", READING_ROLES[0], Measurement("k", "1.2", 3, (10.0, 10.0), (20.0, 20.0), 1.0, 1.0))
    with_line = r.project
    assert r.project.marks_of_lesion(*pair, "R1", "L1")  # the mark the line placed
    r.delete_lesion(pair, "L1")
    assert r.project.lesions_of(*pair, "R1") == [] and not r.project.marks_of_lesion(*pair, "R1", "L1")
    r.undo()
    assert r.project == with_line
    assert [les.lesion_id for les in r.project.lesions_of(*pair, "R1")] == ["L1"]
    assert r.project.marks_of_lesion(*pair, "R1", "L1") == with_line.marks_of_lesion(*pair, "R1", "L1")
    r.redo()
    assert r.project.lesions_of(*pair, "R1") == [] and r.project.next_lesion_id(*pair, "R1") == "L1"


def test_an_undo_of_many_records_builds_the_indexes_again() -> None:
    """A patch of more keys than the indexes are carried for (a batch of 100 lesions): they are built afresh."""
    r = _start()
    pair = PAIRS[1]
    r.project.lesions_of(*pair, "R1")  # the index built before the batch
    with r.batch("many"):
        for _ in range(100):
            r.add_lesion(pair, "left")
    assert len(r.project.lesions_of(*pair, "R1")) == 100
    r.undo()
    assert r.project.lesions_of(*pair, "R1") == [] and r.project.next_lesion_id(*pair, "R1") == "L1"
    r.redo()
    assert [les.number for les in r.project.lesions_of(*pair, "R1")] == list(range(1, 101))


def test_an_undo_step_costs_the_records_it_changed_not_the_tables_it_touched() -> None:
    """3,000 count marks in the project (a cohort read by several readers): each edit's undo step held its own copy
    of the count-mark table (a dict of 3,000: about 150 KiB a step)."""
    r = Reading(reader="R1")
    with r.batch("setup"):
        r.add_patient("P1")
        r.add_exam_pair("P1", "E1")
    marks = [CountMark(f"m{i}", "P1", "E1", f"R{i % 5}", READING_ROLES[i % 6], Lobe.RIGHT, "k", i % 80, 1.0, 2.0)
             for i in range(3000)]
    project = r.project
    for m in marks:
        project = project.with_record(m)
    r = Reading(project, reader="R1")
    for i in range(5):  # warm: indexes built, interned strings made
        r.add_count_mark(("P1", "E1"), READING_ROLES[0], "left", row=float(i), col=1.0, mark_id=f"w{i}")
    edits = 40
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for i in range(edits):
            r.add_count_mark(("P1", "E1"), READING_ROLES[1], "left", row=float(i), col=1.0, mark_id=f"n{i:03d}")
        gc.collect()
        per_edit = (tracemalloc.get_traced_memory()[0] - start) / edits
    finally:
        tracemalloc.stop()
    assert per_edit < 8 * 1024, f"{per_edit / 1024:.1f} KiB per edit"
    for _ in range(edits):
        r.undo()
    assert r.project.count_marks.keys() == {*project.count_marks, *(f"w{i}" for i in range(5))}


@pytest.mark.parametrize("bad", [{"lesion": {("a",): None}}])
def test_a_patch_names_only_project_tables(bad: dict) -> None:
    with pytest.raises(ValidationError, match="no project table"):
        Project().patched(bad)
