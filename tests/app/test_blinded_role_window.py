"""A blinded reader's database in the workstation: opening a study store's URL as a reader role goes
straight to that reader's study cases (the role may not load the whole project: the database refuses
it the patients' names and clinical data), a case opens blinded, and nothing names a patient."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.store import ReadingStore
from annotation.store_location import parse_location
from annotation.store_pg_security import add_reader
from annotation.study_store import Study
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_store import definition, fill
from tests.app.conftest import make_window

psycopg = pytest.importorskip("psycopg")


def test_a_reader_roles_database_opens_as_its_study_not_as_a_project(qtbot, env: Path, pg_cluster, pg_url):  # type: ignore[no-untyped-def]
    fill(pg_url)
    with ReadingStore.open(pg_url) as owner:
        Study.init(owner, definition())
        add_reader(owner.backend_db, "R1", db_role="blw_r1")
    url = pg_cluster.url(parse_location(pg_url).database_name(), "blw_r1")

    w = make_window(qtbot, env, reader="someone")
    errors: list[str] = []
    w.show_error = w.store_flow.show_error = errors.append  # type: ignore[method-assign]
    assert w.store_flow.open_store(url)
    assert not errors, errors
    flow = w.study_ui.flow
    assert flow.study is not None and flow.reader == "R1" and flow.study.store.blinded
    assert w.study_ui.dialog is not None and w.study_ui.dialog.isVisible()
    assert w.study_ui.dialog.table.rowCount() == 6  # the reader's own cases, MRI then CT
    assert not w.session.reading.project.patients  # no project with names was opened beside it
    assert url in w.store_flow.recent.paths  # File -> Recent opens the study again
    # the case itself: its code instead of a name, blinded as in the study menu's way in
    nxt = flow.study.next_case("R1").case
    assert nxt is not None
    read = flow.study.open_case("R1", nxt.session, nxt.code)
    assert [p.patient_name for p in read.reading.project.patients.values()] == [nxt.code]

    # a role that is no reader of this store: said in words, not a traceback
    w.store_flow.open_store(pg_url.replace("postgresql://postgres@", "postgresql://nobody_blw@"))
    assert errors and "Traceback" not in errors[-1]
