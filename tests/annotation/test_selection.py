"""The reader's selection follows the reading (no Qt): a redo that brings a lesion back, or edits one, makes it
current, as an undo that removes it drops it."""

from __future__ import annotations

from annotation.reading import Reading
from annotation.records import NotVisible
from annotation.selection import Selection
from viewer.records import Role

PAIR = ("P1", "E1")


def _selection() -> Selection:
    reading = Reading(reader="R1")
    reading.add_patient("P1")
    reading.add_exam_pair("P1", "E1")
    return Selection(reading, PAIR)


class TestRedo:
    def test_a_lesion_brought_back_by_redo_is_current(self) -> None:
        sel = _selection()
        lid = sel.new_lesion()
        sel.reading.set_observation(PAIR, lid, Role.CT_PORTAL, NotVisible())
        sel.reading.undo()
        sel.reading.undo()
        assert sel.lesion_id is None
        sel.reading.redo()
        assert sel.lesion_id == lid
        sel.set_lesion(None)
        sel.reading.redo()  # an edit of the lesion redone
        assert sel.lesion_id == lid

    def test_a_redo_of_another_lesions_edit_makes_that_one_current(self) -> None:
        sel = _selection()
        first = sel.new_lesion()
        second = sel.new_lesion()
        sel.reading.set_observation(PAIR, first, Role.CT_PORTAL, NotVisible())
        sel.reading.undo()
        sel.set_lesion(second)
        sel.reading.redo()
        assert sel.lesion_id == first

    def test_an_undo_leaves_the_current_lesion_as_it_is(self) -> None:
        sel = _selection()
        first = sel.new_lesion()
        second = sel.new_lesion()
        sel.reading.set_observation(PAIR, first, Role.CT_PORTAL, NotVisible())
        sel.set_lesion(second)
        sel.reading.undo()
        assert sel.lesion_id == second
