"""A study store created as the README recommends (an ordinary role with CREATEROLE, no superuser) cannot take the
server's statistics from PUBLIC itself: only a superuser may. Before, nothing said so: a coordinator's audit set a
study up exactly as documented and a reader then read in pg_stat_user_tables how many lesions every reader had
added. `study init` and `store add-reader` now say it, with the statement the administrator runs
(`lesionlab store statistics-sql`), and once that ran they say nothing."""

from __future__ import annotations

import json

import psycopg
import pytest

from app.cli import main
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_pg_definer_review_s36 import STATISTICS
from tests.annotation.test_study_store import fill


def _answer(con: psycopg.Connection, sql: str) -> object:
    try:
        return con.execute(sql).fetchone()
    except psycopg.errors.InsufficientPrivilege:
        return "refused"


def test_a_coordinator_who_is_no_superuser_is_told_to_close_the_statistics(pg_cluster, pg_url, tmp_path, capsys):  # type: ignore[no-untyped-def]
    from annotation.store_location import parse_location

    db = parse_location(pg_url).database_name()
    with pg_cluster.admin(db) as con:
        con.execute("CREATE ROLE stw_owner LOGIN CREATEROLE")
        con.execute("GRANT CREATE ON SCHEMA public TO stw_owner")
        con.execute("ALTER SCHEMA public OWNER TO stw_owner")
    owner = pg_cluster.url(db, "stw_owner")
    fill(owner)
    definition = tmp_path / "study.json"
    definition.write_text(json.dumps({
        "study_id": "s1", "seed": 1, "readers": ["R1", "R2"],
        "sessions": [{"name": "MRI", "roles": ["mr_t2fs"]}, {"name": "CT", "roles": ["ct_portal"], "washout_days": 1}],
        "cases": [{"patient_id": f"P{i}", "exam_pair_id": "E1"} for i in (1, 2, 3)]}), encoding="utf-8")
    assert main(["study", "init", owner, str(definition)]) == 0
    err = capsys.readouterr().err
    assert "statistics" in err and "superuser" in err and "lesionlab store statistics-sql" in err, err
    assert main(["store", "add-reader", owner, "R1", "--db-role", "stw_r1"]) == 0
    assert "lesionlab store statistics-sql" in capsys.readouterr().err
    reader = pg_cluster.url(db, "stw_r1")
    with psycopg.connect(reader, autocommit=True) as con:
        assert _answer(con, STATISTICS[0]) != "refused"  # open, as the warning said

    # the administrator runs the printed statement once, as a superuser, in the study's database
    assert main(["store", "statistics-sql"]) == 0
    statement = capsys.readouterr().out
    with pg_cluster.admin(db) as con:
        con.execute(statement)
    with psycopg.connect(reader, autocommit=True) as con:
        answers = {sql: _answer(con, sql) for sql in STATISTICS}
        assert all(a == "refused" for a in answers.values()), answers
    assert main(["store", "add-reader", owner, "R2", "--db-role", "stw_r2"]) == 0
    assert "statistics" not in capsys.readouterr().err


def test_a_store_without_a_study_says_nothing_of_statistics(pg_cluster, pg_url, capsys):  # type: ignore[no-untyped-def]
    fill(pg_url)
    assert main(["store", "add-reader", pg_url, "R1", "--db-role", "stw2_r1"]) == 0
    assert "statistics" not in capsys.readouterr().err


def test_a_reader_role_asking_for_disagreements_is_refused_not_told_others_progress(pg_cluster, pg_url, capsys):  # type: ignore[no-untyped-def]
    """A reader role's `study disagreements` said "1 of 3 readers finished it: nothing to compare yet" (an audit):
    it sees its own reads only, so the sentence read as the other readers' progress, and it is no reader's tool."""
    from tests.annotation.test_study_blinding_pg import study_with_roles
    from tests.annotation.test_study_store import Clock, read_case
    from annotation.store import ReadingStore
    from annotation.study_store import Study

    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "dsg", clock=clock)
    with ReadingStore.open(urls["R1"]) as store:
        read_case(Study(store, clock=clock), "R1")
        code = Study(store, clock=clock).order("R1", "MRI")[0]
    assert main(["study", "disagreements", urls["R1"], "--session", "MRI", "--case", code]) == 1
    err = capsys.readouterr().err
    assert "adjudicator" in err and "finished it" not in err, err
