"""A store is a file path or a postgresql:// URL wherever one is accepted (session, recent
projects, export, analyze); saved locations never hold a password."""

from __future__ import annotations

import json

import pytest

from annotation.store import ReadingStore, open_reading
from annotation.store_pg_security import add_reader
from app.cli import main as cli
from app.reading_session import ReadingSession
from app.reading_settings import RecentStores
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401

PAIR = ("P1", "E1")


def test_recent_projects_keep_urls_without_passwords(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = tmp_path / "recent_stores.json"
    recent = RecentStores(settings)
    recent.add("postgresql://alice:s3cret@db.example.org/study?sslmode=require&password=s3cret")
    recent.add("r.lesionlab")
    recent.add("postgresql://alice@db.example.org/study?sslmode=require")  # the same project again
    assert recent.paths == ["postgresql://alice@db.example.org/study?sslmode=require", str(tmp_path / "r.lesionlab")]
    assert "s3cret" not in settings.read_text()
    data = json.loads(settings.read_text())  # an older file that kept one is cleaned when read
    data["paths"].insert(0, "postgresql://bob:hunter2@db/study")
    settings.write_text(json.dumps(data))
    assert RecentStores(settings).paths[0] == "postgresql://bob@db/study" and "hunter2" not in settings.read_text()


def test_a_session_on_a_database_records_edits_under_the_roles_reader(pg_cluster, pg_url, tmp_path):
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "Dr Who", db_role="drwho_session")
    name = pg_url.split("/")[3].split("?")[0]
    url = pg_cluster.url(name, "drwho_session")
    session = ReadingSession("someone else")
    session.open(url)
    assert session.reading.reader == "Dr Who" and session.path is None and session.location == url
    assert url in session.describe() and not session.read_only
    session.reading.add_patient("P1")
    session.reading.add_exam_pair("P1", "E1")
    session.reading.add_lesion(PAIR, "right")
    session.close()
    with ReadingStore.open(pg_url, read_only=True) as st:
        assert list(st.load().lesions) == [("P1", "E1", "Dr Who", "L1")]


def test_export_and_analyze_take_a_url(pg_url, tmp_path, capsys):
    st, r = open_reading(pg_url, "R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1")
    r.add_count_mark(PAIR, "mr_dwi", "left")
    st.close()
    assert cli(["export", pg_url, "--out", str(tmp_path / "out")]) == 0
    assert "exported 1 patient(s)" in capsys.readouterr().out
    counts = (tmp_path / "out" / "counts.csv").read_text().splitlines()
    assert any(line.startswith("P1,E1,R1,mr_dwi,left,1") for line in counts)
    from analysis.inputs import load_store

    cohort = load_store(pg_url)
    assert cohort.sources == {"store": pg_url} and len(cohort.counts) == len(counts) - 1


def test_a_url_with_a_password_given_on_the_command_line_is_not_echoed(pg_url, capsys):
    bad = pg_url.replace("postgres@", "postgres:s3cret@").replace("/t_", "/no_such_db_")
    assert cli(["export", bad, "--out", "/nonexistent/out"]) == 1
    err = capsys.readouterr().err
    assert "s3cret" not in err and "cannot connect" in err and "pgpass" in err


def test_opening_a_pair_claims_the_read_so_a_second_window_is_told_before_editing(pg_url):
    import datetime as dt

    from viewer.errors import StoreLockedError
    from viewer.studies import ExamPair, Study

    ct = Study("P1", "DOE^J", "1.2.3", dt.date(2024, 1, 2), "CT", ("CT",), ())
    mr = Study("P1", "DOE^J", "1.2.4", dt.date(2024, 1, 9), "MR", ("MR",), ())
    pair = ExamPair(ct, mr, 7)
    first, second, other = ReadingSession("R1"), ReadingSession("R1"), ReadingSession("R2")
    for s in (first, second, other):
        s.open(pg_url)
    key = first.ensure_pair(pair)  # creates patient and pair, and claims R1's read of it
    second.open(pg_url)  # reloaded: the pair exists now
    with pytest.raises(StoreLockedError, match="R1's read of P1 / E1"):
        second.ensure_pair(pair)
    other.open(pg_url)
    assert other.ensure_pair(pair) == key  # another reader reads the same pair at the same time
    first.close()
    assert second.ensure_pair(pair) == key
    for s in (second, other):
        s.close()
