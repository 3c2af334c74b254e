"""The sample stores shipped in sample_dicom/ against a fresh build."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from annotation.store import SCHEMA_VERSION


def assert_same_store_file(shipped: Path, fresh: Path) -> None:
    """The shipped file is at this lesionlab's schema (an older one is migrated when the sample is opened for
    writing: ``make run`` changed a tracked file) and row for row a fresh build, edit log and migration dates
    included (they are stamped: ReadingStore.seal(stamped=...))."""
    dumps = []
    for path in (shipped, fresh):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION, path
            dumps.append(list(con.iterdump()))
        finally:
            con.close()
    assert dumps[0] == dumps[1], "the shipped store differs from a fresh build: python tools/make_sample_reading.py"
