"""A lesionlab that knew the first ``n`` migrations only, for tests that make a store as it did and upgrade it.

Patching ``MIGRATIONS`` and ``SCHEMA_VERSION`` alone left today's record <-> row mapping, which writes columns a later
migration added (migration 15's ``treatments_no`` and ``treatments_unconfirmed`` on ``patients``): a store of an older
schema then refused the first patient written to it. Here the patients' rows are those of before migration 15 too, and
the count marks' rows those of before migration 16 (no ``sop_instance_uid``) or 17 (no ``frame_number``)."""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest

from annotation import store as store_module
from annotation import store_schema

#: the columns migration 15 added to ``patients`` (last in its row)
_ADDED_15 = ("treatments_no", "treatments_unconfirmed")


@contextlib.contextmanager
def old_lesionlab(n: int) -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:n])
        mp.setattr(store_module, "SCHEMA_VERSION", n)
        if n < 15:
            new = store_schema.PATIENTS
            old = store_schema.Table(new.name, tuple(c for c in new.columns if c not in _ADDED_15), new.key)
            row, build = store_schema._patient_row, store_schema._patient
            mp.setattr(store_schema, "PATIENTS", old)
            mp.setitem(store_schema.RECORD_TABLES, "patients", old)
            mp.setitem(store_schema.UPSERT, "patients", store_schema._upsert(old, lambda p: row(p)[:len(old.columns)]))
            mp.setattr(store_schema, "_patient", lambda r: build((*r, "", 0)))
        if n < 17:
            marks = store_schema.COUNT_MARKS
            added = ("frame_number",) if n == 16 else ("sop_instance_uid", "frame_number")
            old_marks = store_schema.Table(marks.name, tuple(c for c in marks.columns if c not in added), marks.key)
            mark_row = store_schema._mark_row
            mp.setattr(store_schema, "COUNT_MARKS", old_marks)
            mp.setitem(store_schema.RECORD_TABLES, "count_marks", old_marks)
            mp.setattr(store_schema, "_mark_row", lambda m: mark_row(m)[:len(old_marks.columns)])
        yield mp
