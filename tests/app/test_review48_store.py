"""Review of session 48 (review48): `lesionlab store create` on PostgreSQL."""

from __future__ import annotations

import pytest

from annotation.store import ReadingStore
from app.cli import main
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401


def test_store_create_on_a_database_never_prints_the_password(  # type: ignore[no-untyped-def]
        pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    """A URL typed with its password (user:secret@): the store's name is said without it (StoreLocation.saved), but the
    commands advised after it repeated the URL as typed, the password on the terminal and in its scroll-back. Without
    it now; the database holds the empty store, and a second create there opens it as it is (nothing written over)."""
    assert "postgres@" in pg_url
    url = pg_url.replace("postgres@", "postgres:s3cret-pw@", 1)
    assert main(["store", "create", url]) == 0
    out = capsys.readouterr()
    assert "created an empty reading store" in out.out
    assert "s3cret-pw" not in out.out + out.err, out.out
    with ReadingStore.open(pg_url, read_only=True) as store:
        project = store.load()
    assert not project.patients and not project.lesions
