"""Review 49c: a one-click suggestion "not kept yet" in a PostgreSQL store: stored pending, kept by Enter
(Reading.keep_suggestion) and by the next edit, as the SQLite store; its exports leave it out until then."""

from __future__ import annotations

import dataclasses

from annotation.records import Measurement
from annotation.store import ReadingStore, open_reading
from annotation.tables import project_tables
from annotation.vocab import MeasurementMethod
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_store_pg import M, P1, two_readers
from viewer.records import Role

PENDING = dataclasses.replace(M, method=MeasurementMethod.SUGGESTED, method_params='{"pending": true}')


def _suggest(r, lid: str) -> None:  # type: ignore[no-untyped-def]
    key = (*P1, r.reader, lid)
    with r.batch(f"{lid} on T2 FS: suggested"):  # as Reading.measure records a suggestion
        r._fresh[(key, Role.MR_T2FS)] = PENDING
        r.set_observation(P1, lid, Role.MR_T2FS, PENDING)


def _stored(url, key):  # type: ignore[no-untyped-def]
    with ReadingStore.open(url, read_only=True) as st:
        project = st.load()
    return project.lesions[key].observation(Role.MR_T2FS), project


def test_pending_then_kept_by_enter_and_by_an_edit_in_postgresql(pg_url) -> None:  # noqa: F811
    two_readers(pg_url)
    st, r = open_reading(pg_url, "R1")
    try:
        lid = r.add_lesion(P1, "left")
        key = (*P1, "R1", lid)
        _suggest(r, lid)
        m, project = _stored(pg_url, key)
        assert isinstance(m, Measurement) and m.pending
        assert project_tables(project)[0].query(f"lesion_id == '{lid}' and reader == 'R1'").empty
        assert r.keep_suggestion(P1, lid, Role.MR_T2FS, f"{lid} on T2 FS: suggestion kept")  # Enter
        m, project = _stored(pg_url, key)
        assert isinstance(m, Measurement) and not m.pending
        assert r.undo() and _stored(pg_url, key)[0] is None  # Ctrl+Z: the suggestion's step
        assert r.redo()
        m, _ = _stored(pg_url, key)
        assert isinstance(m, Measurement) and not m.pending
        lid2 = r.add_lesion(P1, "right")
        _suggest(r, lid2)
        r.add_lesion(P1, "left")  # the next edit keeps it, in its own write
        m, project = _stored(pg_url, (*P1, "R1", lid2))
        assert isinstance(m, Measurement) and not m.pending
        assert len(project_tables(project)[0].query(f"lesion_id == '{lid2}' and reader == 'R1'")) == 1
    finally:
        st.close()
