"""fix48b: `lesionlab store create` run twice on PostgreSQL said "created an empty reading store" again."""

from __future__ import annotations

import pytest

from app.cli import main
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401


def test_store_create_again_on_a_database_says_it_exists(  # type: ignore[no-untyped-def]
        pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    """The second create on the same database opens the empty store as it is and said it had created it: it says the
    store exists, nothing changed. (Checked: fails without the fix.)"""
    assert main(["store", "create", pg_url]) == 0
    assert "created an empty reading store" in capsys.readouterr().out
    assert main(["store", "create", pg_url]) == 0
    out = capsys.readouterr().out
    assert "created" not in out and "exists already (nothing changed)" in out, out
