"""Random edit / undo / redo sequences: the store always reloads to exactly the Reading's state
(on both backends: a file per run, or one database emptied between runs)."""

from __future__ import annotations

from typing import Callable

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from annotation.reading import Reading
from annotation.records import Measurement, NotMeasurable, NotVisible
from annotation.vocab import CountStatus
from annotation.store import ReadingStore, open_reading
from tests.annotation.pg import backend, pg_cluster, recycled_location  # noqa: F401
from viewer.records import READING_ROLES

PAIRS = [("P1", "E1"), ("P1", "E2")]
COORD = st.floats(0, 500, allow_nan=False)


class ReadingMachine(RuleBasedStateMachine):
    #: (location, empty_it) set by the test before a run
    where: tuple[str, Callable[[], None]] = ("", lambda: None)

    def __init__(self) -> None:
        super().__init__()
        self.path, empty = self.where
        empty()
        self.store, self.reading = open_reading(self.path, "R1")
        with self.reading.batch("setup"):
            self.reading.add_patient("P1")
            for pair in PAIRS:
                self.reading.add_exam_pair(*pair)
        self.reading = Reading(self.store.load(), reader="R1", sink=self.store)  # setup is not undoable

    def lesions(self):
        return sorted(self.reading.project.lesions)

    @rule(pair=st.sampled_from(PAIRS), lobe=st.sampled_from(["right", "left"]))
    def add_lesion(self, pair, lobe):
        self.reading.add_lesion(pair, lobe)

    @precondition(lambda self: self.reading.project.lesions)
    @rule(data=st.data(), role=st.sampled_from(READING_ROLES), p1=st.tuples(COORD, COORD),
          p2=st.tuples(COORD, COORD), kind=st.sampled_from(["m", "nv", "nm", "clear"]))
    def observe(self, data, role, p1, p2, kind):
        key = data.draw(st.sampled_from(self.lesions()))
        obs = {"m": Measurement("k", "1.2", 3, p1, p2, 0.7, 1.3), "nv": NotVisible(), "nm": NotMeasurable("x"),
               "clear": None}[kind]
        self.reading.set_observation(key[:2], key[3], role, obs)

    @precondition(lambda self: self.reading.project.lesions)
    @rule(data=st.data())
    def delete_lesion(self, data):
        key = data.draw(st.sampled_from(self.lesions()))
        self.reading.delete_lesion(key[:2], key[3])

    @rule(pair=st.sampled_from(PAIRS), role=st.sampled_from(READING_ROLES), row=COORD, col=COORD)
    def mark(self, pair, role, row, col):
        self.reading.add_count_mark(pair, role, "left", row=row, col=col)

    @precondition(lambda self: self.reading.project.count_marks)
    @rule(data=st.data(), row=COORD)
    def move_or_delete_mark(self, data, row):
        mark = data.draw(st.sampled_from(sorted(self.reading.project.count_marks)))
        if row > 250:
            self.reading.delete_count_mark(mark)
        else:
            self.reading.move_count_mark(mark, row, row)

    @rule(pair=st.sampled_from(PAIRS), role=st.sampled_from(READING_ROLES), flag=st.booleans())
    def flag(self, pair, role, flag):
        self.reading.set_uncountable(pair, role, flag)

    @rule(pair=st.sampled_from(PAIRS), role=st.sampled_from(READING_ROLES), status=st.sampled_from(CountStatus))
    def count_status(self, pair, role, status):
        self.reading.set_count_status(pair, role, status)

    @rule()
    def undo(self):
        self.reading.undo()

    @rule()
    def redo(self):
        self.reading.redo()

    @invariant()
    def store_matches(self):
        with ReadingStore.open(self.path, read_only=True) as ro:
            assert ro.load() == self.reading.project

    def teardown(self):
        self.store.close()


def test_the_store_follows_random_edits_undos_and_redos(recycled_location, backend):
    ReadingMachine.where = recycled_location
    runs = 25 if backend == "sqlite" else 12
    run_state_machine_as_test(ReadingMachine, settings=settings(max_examples=runs, stateful_step_count=25,
                                                                deadline=None))
