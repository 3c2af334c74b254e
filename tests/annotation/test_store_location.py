"""Store locations: a path or a postgresql:// URL; a saved location never holds a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.store_location import Backend, has_password, is_url, parse_location, without_password
from viewer.errors import StoreError

URLS = [
    ("postgresql://alice:s3cret@db.example.org:5433/study", "postgresql://alice@db.example.org:5433/study"),
    ("postgres://alice:p%40ss@db/study?sslmode=require", "postgres://alice@db/study?sslmode=require"),
    ("postgresql:///study?host=/var/run/postgresql&password=s3cret&user=bob",
     "postgresql:///study?host=/var/run/postgresql&user=bob"),
    ("postgresql://alice@db/study", "postgresql://alice@db/study"),
    ("postgresql:///?service=study", "postgresql:///?service=study"),
    ("POSTGRESQL://a:b@h1:5432,h2:5433/x", "POSTGRESQL://a@h1:5432,h2:5433/x"),
]


@pytest.mark.parametrize("url,saved", URLS)
def test_a_saved_url_has_no_password(url, saved):
    loc = parse_location(url)
    assert loc.backend is Backend.POSTGRESQL and loc.url == url and loc.path is None
    assert loc.saved() == saved == without_password(url) == str(loc)
    assert has_password(url) == (url != saved)
    assert "s3cret" not in loc.saved() and "p%40ss" not in loc.saved()


def test_database_names():
    assert parse_location("postgresql://h/study").database_name() == "study"
    assert parse_location("postgresql:///?dbname=other&host=/tmp").database_name() == "other"
    assert parse_location("postgresql://h").database_name() == ""


def test_paths_stay_paths():
    for text in ("r.lesionlab", "/data/postgresql/r.lesionlab", "postgresql.lesionlab", Path("x/y.lesionlab")):
        loc = parse_location(text)
        assert loc.backend is Backend.SQLITE and loc.path == Path(text) and not is_url(text)


def test_a_url_that_went_through_path_is_refused_with_a_reason():
    with pytest.raises(StoreError, match="lost a slash"):
        parse_location(str(Path("postgresql://host/db")))
    with pytest.raises(StoreError, match="no store given"):
        parse_location("")
