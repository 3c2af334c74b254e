"""A bulk batch (Reading.batch(bulk=True), session 40) edits a draft of the project in place instead of copying each
table an edit changes (an SR of 20,000 lesions imported in one batch copied the lesions table about 40,000 times:
quadratic). It must land exactly where the copying batch lands: the same records, the same indexed queries, the
same edit written and the same undo step, the project it started from untouched; and a command that fails inside
a savepoint leaves nothing behind, as a failed command of the copying batch does."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotation import project as project_module
from annotation.project import TABLES, Project
from annotation.reading import Reading
from annotation.records import Measurement, NotMeasurable, NotVisible
from annotation.vocab import CountStatus, Lobe
from tests.annotation.test_undo_patches import PAIRS, _queries, _start
from viewer.errors import ValidationError
from viewer.records import READING_ROLES


def _commands(r: Reading, rng: random.Random, n: int) -> list[str]:
    """``n`` random commands of a reader, each in a savepoint, refusals caught (as the SR import does)."""
    said = []
    for _ in range(n):
        p = r.project
        lesions = sorted(k for k in p.lesions if k[2] == "R1")
        marks = sorted(k for k, m in p.count_marks.items() if m.reader == "R1")
        kind = rng.choice(["add", "add", "observe", "observe", "lobe", "delete", "mark", "move", "unmark", "status",
                           "bad_tracking", "bad_delete"])
        try:
            with r.savepoint():
                if kind == "add":
                    r.add_lesion(rng.choice(PAIRS), rng.choice(["right", "left"]), tracking_uid=f"1.2.{rng.randint(0, 30)}")
                elif kind in ("observe", "lobe", "delete") and lesions:
                    key = rng.choice(lesions)
                    if kind == "observe":
                        p1 = (rng.uniform(0, 500), rng.uniform(0, 500))
                        p2 = (rng.uniform(0, 500), rng.uniform(0, 500))
                        obs = rng.choice([Measurement("k", "1.2", rng.randint(0, 5), p1, p2, 0.7, 1.3), NotVisible(),
                                          NotMeasurable("x"), None])
                        r.set_observation(key[:2], key[3], rng.choice(READING_ROLES), obs)
                    elif kind == "lobe":
                        r.edit_lesion(key[:2], key[3], lobe=rng.choice(list(Lobe)))
                    else:
                        r.delete_lesion(key[:2], key[3])
                elif kind == "mark":
                    r.add_count_mark(rng.choice(PAIRS), rng.choice(READING_ROLES), "left", row=rng.uniform(0, 500),
                                     col=1.0, mark_id=f"m{rng.randint(0, 10**9)}")
                elif kind in ("move", "unmark") and marks:
                    mark = rng.choice(marks)
                    if kind == "move":
                        r.move_count_mark(mark, rng.uniform(0, 500), 2.0, slice_index=rng.randint(0, 5))
                    else:
                        r.delete_count_mark(mark)
                elif kind == "status":
                    r.set_count_status(rng.choice(PAIRS), rng.choice(READING_ROLES), rng.choice(list(CountStatus)))
                elif kind == "bad_tracking" and lesions:  # a savepoint's commands, then a failure: all taken back
                    key = rng.choice(lesions)
                    r.add_lesion(key[:2], "left", tracking_uid="1.2.999")
                    r.set_observation(key[:2], key[3], READING_ROLES[0], NotVisible())
                    r.add_lesion(key[:2], "left", tracking_uid="1.2.999")  # refused: the two before go too
                elif kind == "bad_delete":
                    r.delete_lesion(rng.choice(PAIRS), "L999")
            said.append(kind)
        except ValidationError:
            said.append(f"{kind}: refused")
    return said


def _records(p: Project) -> dict[str, list[tuple[object, object]]]:
    return {t: list(getattr(p, t).items()) for t in TABLES}  # with the tables' order


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60))
def test_a_bulk_batch_lands_where_the_copying_batch_lands(seed: int, n: int) -> None:
    ends, steps, said, written = [], [], [], []
    start = _start().project
    for bulk in (False, True):
        r = Reading(start, reader="R1")
        before = _records(start)
        log: list[object] = []
        r.subscribe(log.append)
        with r.batch("many", bulk=bulk):
            said.append(_commands(r, random.Random(seed), n))
        assert _records(start) == before  # the project it started from is never changed
        ends.append(r.project)
        written.append([(e.kind, e.description, e.tables) for e in log])
        steps.append(r.undo_description)
        assert not r.project.is_draft
        assert _queries(r.project) == _queries(Project.from_records(
            [rec for t in TABLES for rec in getattr(r.project, t).values()]))
        if r.can_undo:  # one undo step back to the start
            r.undo()
            assert r.project == start
    assert said[0] == said[1]
    assert _records(ends[0]) == _records(ends[1]) and _queries(ends[0]) == _queries(ends[1])
    assert written[0] == written[1] and steps[0] == steps[1]


def test_a_failure_out_of_a_bulk_batch_leaves_the_project_as_it_was() -> None:
    r = _start()
    start = r.project
    with pytest.raises(ValidationError):
        with r.batch("many", bulk=True):
            r.add_lesion(PAIRS[0], "left")
            r.delete_lesion(PAIRS[0], "L999")
    assert r.project is start and not r.can_undo


def test_an_import_batch_copies_each_table_once_not_once_per_lesion(monkeypatch: pytest.MonkeyPatch) -> None:
    """400 lesions, each measured (a count mark placed), in one bulk batch: the tables are copied when the draft is
    made, not at each edit (the copying batch: 1,200 copies)."""
    copies: list[int] = []
    real = project_module._copy

    def counted(table):  # type: ignore[no-untyped-def]
        copies.append(len(table))
        return real(table)
    r = _start()
    monkeypatch.setattr(project_module, "_copy", counted)
    with r.batch("import", bulk=True):
        for k in range(400):
            lid = r.add_lesion(PAIRS[1], "right", tracking_uid=f"2.25.{k}")
            r.set_observation(PAIRS[1], lid, READING_ROLES[0],
                              Measurement("k", "1.2", 3, (10.0, 10.0 + k % 50), (20.0, 30.0), 0.7, 0.7))
    assert len(r.project.lesions_of(*PAIRS[1], "R1")) == 400
    assert len(copies) <= len(TABLES), len(copies)
