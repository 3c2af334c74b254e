"""A coordinator's audit (session 37): `lesionlab store add-reader` in a reader study's store took any name: `r1` for
the study's `R1`, `Dr Smith` as the adjudicator of a study whose adjudicator is `consensus`, a reader's name with an
adjudicator's rights (which sees every reader's reads). Such a role opened no case, or unblinded its reader. It now
refuses, saying what the study defines; a role it already bound keeps being updated (a new password)."""

from __future__ import annotations

import psycopg
import pytest

from annotation.store import ReadingStore
from annotation.study_store import Study
from app.cli import main as cli
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_store import definition, fill


def _roles(url: str) -> set[tuple[str, str, str]]:
    with psycopg.connect(url) as con:
        return {tuple(r) for r in con.execute("SELECT db_role, reader, kind FROM store_roles")}  # type: ignore[misc]


def test_add_reader_in_a_study_store_takes_the_study_names_only(pg_url: str, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    fill(pg_url)
    before = "s38_before"  # a store's roles may exist before its study: kept, and updated as they are
    assert cli(["store", "add-reader", pg_url, "Someone", "--db-role", before]) == 0
    with ReadingStore.open(pg_url) as owner:
        Study.init(owner, definition())
    capsys.readouterr()
    defined = "study s1: readers R1, R2, adjudicator consensus"
    for name, kind, said in (
            ("r1", "reader", "'r1' is not a reader of any study in this store (did you mean 'R1'?)"),
            ("R3", "reader", "'R3' is not a reader of any study in this store: a reader's role under it would open "
                             "no case"),
            ("Dr Smith", "adjudicator", "'Dr Smith' is not the adjudicator of any study in this store"),
            ("consensus", "reader", "'consensus' is the adjudicator of study s1, not a reader"),
            ("R1", "adjudicator", "'R1' is a reader of study s1, not the adjudicator"),
            ("R2", "coordinator", "'R2' is a reader or the adjudicator of study s1: a coordinator's role under that "
                                  "name would show them every reader's reads")):
        assert cli(["store", "add-reader", pg_url, name, "--kind", kind, "--db-role", f"s38_{kind}_x"]) == 1, name
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err, err
        if "any study" in said:
            assert defined in err, err
    assert _roles(pg_url) == {(before, "Someone", "reader")}  # nothing bound by a refusal
    for name, kind in (("R1", "reader"), ("consensus", "adjudicator"), ("Coord", "coordinator")):
        assert cli(["store", "add-reader", pg_url, name, "--kind", kind, "--db-role", f"s38_{name.lower()}"]) == 0
    assert cli(["store", "add-reader", pg_url, "Someone", "--db-role", before]) == 0  # updated, as before
    assert "updated database role s38_before" in capsys.readouterr().out
    assert cli(["store", "add-reader", pg_url, "Someone", "--kind", "adjudicator", "--db-role", before]) == 1
    assert "'Someone' is not the adjudicator of any study" in capsys.readouterr().err
    assert _roles(pg_url) == {(before, "Someone", "reader"), ("s38_r1", "R1", "reader"),
                              ("s38_consensus", "consensus", "adjudicator"), ("s38_coord", "Coord", "coordinator")}
