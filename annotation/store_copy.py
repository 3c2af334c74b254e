"""``lesionlab store copy SRC DST``: a whole project from one store to another, either backend.

Every table of the schema is copied row by row (the edit log and tables added by later
migrations included, so a copy never depends on knowing them), in one transaction of the
destination, which must be empty (just created, or an empty database). The source is read
first as records, so a bad row is refused before anything is written, and the destination is
loaded again afterwards and must equal the source record for record, edit for edit.

A database source must be read by a role that sees every reader's rows (the store's owner or a
coordinator): a reader role would copy only its own read.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Any

from annotation.store import ReadingStore
from annotation.store_backend import Db
from annotation.store_location import StoreLocation, parse_location
from viewer.errors import LesionlabError, StoreError, StoreLockedError

#: tables not copied: the destination's own migration record and its own database roles
NOT_COPIED = ("schema_migrations", "store_roles", "lesionlab_look_key")  # the last: each store its own secret


@dataclass(frozen=True)
class CopyResult:
    source: str
    destination: str
    rows: dict[str, int]
    n_edits: int
    seconds: float


def _dump(db: Db) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    return {t: (db.columns(t), [tuple(r) for r in db.execute(f"SELECT * FROM {t}")])
            for t in db.tables() if t not in NOT_COPIED}


def copy_store(source: "str | os.PathLike[str] | StoreLocation",
               destination: "str | os.PathLike[str] | StoreLocation") -> CopyResult:
    """Copy a project (records and edit log) into an empty store; returns what was copied."""
    t0 = time.perf_counter()
    src_loc, dst_loc = parse_location(source), parse_location(destination)
    same_file = (src_loc.path is not None and dst_loc.path is not None
                 and os.path.realpath(src_loc.path) == os.path.realpath(dst_loc.path))  # a link to it, too
    if src_loc.saved() == dst_loc.saved() or same_file:
        # not the StoreError default "close other lesionlab windows and retry", which cannot help
        raise StoreError("source and destination are the same store", where=dst_loc.saved(),
                         advice="the store is unchanged; copy into a new file or an empty database")
    with ReadingStore.open(src_loc, read_only=True) as src:
        if src.role_reader is not None and src.backend_db.role_kind == "reader":
            raise StoreError(f"this database role is reader {src.role_reader}'s and sees only their rows",
                             where=src.where, advice="copy as the store's owner or a coordinator")
        project, edits = src.load(), src.edits()
        tables = _dump(src.backend_db)
    created = dst_loc.path is not None and not dst_loc.path.exists()
    committed: list[bool] = []
    try:
        _copy_into(dst_loc, tables, project, edits, committed)
    except StoreLockedError:
        raise  # another process has the file now: its, not this copy's, to remove
    except BaseException:
        if created and not committed:
            # a file this copy made and could not fill (a full disk): it said "nothing was changed" and left an
            # empty store with its -wal and -shm at DST
            assert dst_loc.path is not None
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{dst_loc.path}{suffix}").unlink(missing_ok=True)
        raise
    return CopyResult(src_loc.saved(), dst_loc.saved(), {t: len(rows) for t, (_, rows) in tables.items()},
                      len(edits), time.perf_counter() - t0)


def _copy_into(dst_loc: StoreLocation, tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]], project: Any,
               edits: Any, committed: list[bool]) -> None:
    with ReadingStore.open(dst_loc) as dst:
        db = dst.backend_db
        missing = {t: sorted(set(cols) - set(db.columns(t)) if db.has_table(t) else cols)
                   for t, (cols, _) in tables.items()}
        missing = {t: cols for t, cols in missing.items() if cols}
        if missing:
            raise StoreError(f"the destination lacks tables or columns of the source: {missing}", where=dst.where,
                             advice="update lesionlab where the destination is written, then copy again")
        db.begin()
        try:
            for table in tables:
                if db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                    raise StoreError(f"the destination already holds data (table {table})", where=dst.where,
                                     advice="copy into a new file or an empty database")
            for table, (cols, rows) in tables.items():
                if rows:
                    db.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                   rows)
                    db.after_bulk_insert(table)
            db.commit()
            committed.append(True)
        except BaseException as exc:
            db.rollback()
            if not isinstance(exc, LesionlabError):
                err = db.error(exc, "the copy was not written")
                if err is not None:
                    raise err from None
            raise
        if dst.load() != project or dst.edits() != edits:
            raise StoreError("the copy does not read back as the source", where=dst.where,
                             advice="report this; the destination holds the copied rows")
