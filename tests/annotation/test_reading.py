"""The Reading session: commands, undo/redo of every edit, observers, batches, refused edits."""

from __future__ import annotations

import pytest

from annotation.reading import EditKind, Reading
from annotation.records import Measurement, NotMeasurable, NotVisible
from annotation.vocab import Lobe
from viewer.errors import StoreError, ValidationError
from tests.annotation.conftest import PAIR
from viewer.records import Role


def test_every_command_undoes_and_redoes(reading, geometry):
    """Each command, undone, restores the exact previous project; redone, the exact next one."""
    lid = "L1"
    commands = [
        lambda: reading.add_lesion(PAIR, "right", "VI", "hypervascular"),
        lambda: reading.edit_lesion(PAIR, lid, lobe="left", segment=None),
        lambda: reading.measure(PAIR, lid, "mr_dwi", geometry, "k", "1.2", 2, (10, 10), (20, 30)),
        lambda: reading.move_endpoint(PAIR, lid, "mr_dwi", 2, (25, 30)),
        lambda: reading.set_observation(PAIR, lid, "ct_portal", NotMeasurable("coalescent")),
        lambda: reading.set_observation(PAIR, lid, "ct_portal", None),
        lambda: reading.add_count_mark(PAIR, "mr_t2fs", "right", row=4, col=5, mark_id="m1"),
        lambda: reading.move_count_mark("m1", 40, 50, slice_index=3),
        lambda: reading.set_mark_lobe("m1", "left"),
        lambda: reading.set_uncountable(PAIR, "ct_arterial", True, "massive"),
        lambda: reading.set_uncountable(PAIR, "ct_arterial", False),
        lambda: reading.edit_patient("P1", patient_name="X", sex="F", treatments={"chemotherapy"}),
        lambda: reading.edit_exam_pair(PAIR, mri_date="2024-03-01"),
        lambda: reading.delete_count_mark("m1"),
        lambda: reading.delete_lesion(PAIR, lid),
        lambda: reading.add_exam_pair("P1", "E2"),
        lambda: reading.delete_exam_pair(PAIR),
        lambda: reading.delete_patient("P1"),
    ]
    states = [reading.project]
    for command in commands:
        command()
        assert reading.project != states[-1]
        states.append(reading.project)
    for expected in reversed(states[:-1]):
        assert reading.undo()
        assert reading.project == expected
    assert reading.undo_description == "add exam pair E1"  # the fixture's own edits remain
    for expected in states[1:]:
        assert reading.redo()
        assert reading.project == expected
    assert not reading.redo()


def test_a_new_edit_clears_redo(reading):
    reading.add_lesion(PAIR, "right")
    reading.undo()
    assert reading.can_redo and reading.redo_description == "add lesion L1"
    reading.add_lesion(PAIR, "left")
    assert not reading.can_redo


def test_observers_hear_edits_undo_and_redo(reading):
    events = []
    unsubscribe = reading.subscribe(events.append)
    reading.add_count_mark(PAIR, "mr_dwi", "left")
    reading.undo()
    reading.redo()
    both = {"count_marks", "series_flags"}  # the first click also makes the series "counted"
    assert [(e.kind, e.tables) for e in events] == [(EditKind.EDIT, both), (EditKind.UNDO, both), (EditKind.REDO, both)]
    unsubscribe()
    reading.add_lesion(PAIR, "left")
    assert len(events) == 3


def test_a_failing_observer_does_not_undo_the_edit(reading):
    reading.subscribe(lambda e: 1 / 0)
    heard = []
    reading.subscribe(heard.append)
    reading.add_lesion(PAIR, "right")
    assert "L1" in {k[3] for k in reading.project.lesions} and len(heard) == 1


def test_batch_is_one_edit_and_rolls_back_on_error(reading, geometry):
    before = reading.project
    with reading.batch("new lesion measured"):
        lid = reading.add_lesion(PAIR, "right")
        reading.measure(PAIR, lid, "ct_arterial", geometry, "k", "1", 0, (0, 0), (0, 10))
    assert reading.undo_description == "new lesion measured"
    reading.undo()
    assert reading.project == before
    with pytest.raises(ValidationError):
        with reading.batch("broken"):
            reading.add_lesion(PAIR, "right")
            reading.set_observation(PAIR, "L9", "ct_arterial", None)
    assert reading.project == before


def test_lesion_ids_follow_on_per_pair_and_reader(reading):
    assert [reading.add_lesion(PAIR, "right") for _ in range(3)] == ["L1", "L2", "L3"]
    other = Reading(reading.project, reader="R2")
    assert other.add_lesion(PAIR, "left") == "L1"
    assert reading.project.next_lesion_id("P1", "E1", "R2") == "L1"  # each session has its own value
    assert other.project.next_lesion_id("P1", "E1", "R1") == "L4"


def test_counts_per_series_and_lobe(reading):
    for lobe in ("right", "right", "left"):
        reading.add_count_mark(PAIR, "mr_dwi", lobe)
    mark = reading.add_count_mark(PAIR, "ct_portal", "left")
    counts = reading.project.counts("P1", "E1", "R1")
    assert counts[(Role.MR_DWI, Lobe.RIGHT)] == 2 and counts[(Role.MR_DWI, Lobe.LEFT)] == 1
    assert counts[(Role.CT_PORTAL, Lobe.LEFT)] == 1 and counts[(Role.MR_T2FS, Lobe.LEFT)] == 0
    reading.set_mark_lobe(mark, "right")
    assert reading.project.counts("P1", "E1", "R1")[(Role.CT_PORTAL, Lobe.RIGHT)] == 1


def test_commands_name_what_is_missing(reading):
    with pytest.raises(ValidationError) as err:
        reading.add_lesion(("P1", "E9"), "right")
    assert err.value.where == "pair"
    with pytest.raises(ValidationError) as err:
        reading.move_endpoint(PAIR, "L1", "mr_dwi", 1, (0, 0))
    assert err.value.where == "lesion_id"
    with pytest.raises(ValidationError):
        reading.add_patient("P1")


class RefusingSink:
    def write(self, change, description):
        raise StoreError("disk full")


def test_an_edit_the_store_refuses_changes_nothing(reading):
    r = Reading(reading.project, reader="R1", sink=RefusingSink())
    heard = []
    r.subscribe(heard.append)
    before = r.project
    with pytest.raises(StoreError):
        r.add_lesion(PAIR, "right")
    assert r.project == before and not r.can_undo and heard == []


def test_each_undo_step_knows_the_exam_pairs_it_changed(reading):
    """The window names the exam pair of an undo that is not the pair on screen: each step keeps the
    pairs whose own record, lesions, count marks, series statuses or boundaries it wrote or deleted."""
    reading.add_exam_pair("P1", "E2")
    assert reading.undo_pairs == {("P1", "E2")}  # the exam pair added
    reading.add_lesion(PAIR, "right")
    assert reading.undo_pairs == {PAIR}
    reading.add_count_mark(("P1", "E2"), "mr_dwi", "left", mark_id="m9")
    assert reading.undo_pairs == {("P1", "E2")}
    reading.delete_count_mark("m9")  # a deletion names the pair of what it deleted
    assert reading.undo_pairs == {("P1", "E2")}
    reading.undo()
    assert reading.redo_pairs == {("P1", "E2")}


def test_undo_names_a_deleted_line_as_deleted_and_a_cleared_status_as_cleared(reading, geometry):
    """Del said "deleted L1 on T2 FS (14.0 mm)" and Undo then said "cleared" (a reader's check)."""
    lid = reading.add_lesion(PAIR, "right")
    reading.set_observation(PAIR, lid, Role.MR_T2FS, Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (20, 0)))
    reading.set_observation(PAIR, lid, Role.MR_T2FS, None)
    assert reading.undo_description == f"{lid} on T2 FS: 14.0 mm line deleted"
    reading.set_observation(PAIR, lid, Role.MR_DWI, NotVisible())
    reading.set_observation(PAIR, lid, Role.MR_DWI, None)
    assert reading.undo_description == f"{lid} on DWI b800: status cleared"


def test_another_readers_count_mark_is_never_edited_from_this_read() -> None:
    """A mark is looked up under this read's reader, as a lesion is: a click on the other read's mark
    (picked while it was shown) never moves, relabels or deletes it from mine (a review)."""
    theirs = Reading(reader="A")
    theirs.add_patient("P1")
    theirs.add_exam_pair("P1", "E1")
    theirs.add_count_mark(("P1", "E1"), "mr_dwi", "left", mark_id="m1")
    mine = Reading(theirs.project, reader="B")
    for edit in (lambda: mine.delete_count_mark("m1"), lambda: mine.move_count_mark("m1", 3.0, 4.0),
                 lambda: mine.set_mark_lobe("m1", "right")):
        with pytest.raises(ValidationError, match="no count mark 'm1' of reader 'B'"):
            edit()
    assert mine.project.count_marks["m1"] == theirs.project.count_marks["m1"]
