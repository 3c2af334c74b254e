"""What a store backend offers the store and the schema: one connection, SQL with ``?`` placeholders.

:class:`Db` is the contract between :mod:`annotation.store` (transactions, migrations, edits),
:mod:`annotation.store_schema` (the SQL of each migration and the record <-> row mapping) and the
two backends, :mod:`annotation.store_sqlite` and :mod:`annotation.store_pg`. SQL is written once:
``?`` placeholders (PostgreSQL's driver gets ``%s``), ``INSERT ... ON CONFLICT (key) DO UPDATE``
upserts and ``RETURNING`` (SQLite >= 3.35), portable types. DDL goes through :meth:`Db.script`,
which maps the two SQLite-only spellings the schema uses (``REAL`` and ``INTEGER PRIMARY KEY
AUTOINCREMENT``) to PostgreSQL's ``DOUBLE PRECISION`` and an identity column, so a float keeps
all its 53 bits on both backends.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from typing import Any, Iterable, Iterator, Protocol, Sequence

from annotation.store_location import Backend, StoreLocation
from viewer.errors import StoreError


class Rows(Protocol):
    """The result of :meth:`Db.execute`: a DB-API cursor (iterate, fetchone, fetchall)."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


def split_statements(script: str) -> list[str]:
    """SQL statements of a script, one by one (complete_statement knows quotes and comments)."""
    statements, statement = [], ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            statements.append(statement.strip())
            statement = ""
    if statement.strip():  # the last statement may go without its semicolon
        if not sqlite3.complete_statement(statement + ";"):
            raise StoreError(f"incomplete SQL in a migration: {statement.strip()[:80]}")
        statements.append(statement.strip())
    return statements


def first_line(exc: BaseException) -> str:
    """A driver error's first line (its type's name when it has no text)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def newer_store_error(version: int, known: int, where: str) -> StoreError:
    return StoreError(f"store schema {version} is newer than this lesionlab ({known})", where=where,
                      advice="update lesionlab")


class Db(ABC):
    """One open connection to a store (either backend)."""

    backend: Backend
    location: StoreLocation
    read_only: bool
    #: re-read and compare every record an edit replaces (several writers: PostgreSQL)
    checks_conflicts: bool = False
    #: the reader a database role is bound to (PostgreSQL reader roles), else None
    role_reader: str | None = None
    role_kind: str | None = None
    #: the connected role is a blinded reader or adjudicator of a study store (PostgreSQL): the database
    #: refuses it the patients' names, clinical data and exam dates
    blinded: bool = False

    @property
    def where(self) -> str:
        """How errors name the store: its path, or its URL without a password."""
        return self.location.saved()

    # ------------------------------------------------------------------ SQL
    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run one statement (``?`` placeholders) and return its cursor."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def script(self, sql: str) -> None:
        """Run DDL statements one by one inside the caller's transaction (dialect spellings mapped)."""
        for statement in split_statements(sql):
            self.execute(self.ddl(statement))

    def ddl(self, statement: str) -> str:
        """The statement in this backend's spelling (SQLite's is the reference)."""
        return statement

    # ------------------------------------------------------------------ transactions
    @abstractmethod
    def begin(self) -> None:
        """Start a write transaction that no other writer can interleave with (see each backend)."""

    def commit(self) -> None:
        self.execute("COMMIT")

    @abstractmethod
    def rollback(self) -> None: ...

    @abstractmethod
    def begin_migration(self) -> None:
        """Start a transaction for one migration, holding the store's migration lock until it ends."""

    def claim(self, reader: str, patient_id: str, exam_pair_id: str) -> None:
        """Become the one writer of a reader's read of an exam pair (PostgreSQL: an advisory lock;
        SQLite: the whole file is already this process's)."""

    @abstractmethod
    def retryable(self, exc: BaseException) -> bool:
        """True for a failure that another attempt of the same transaction may not meet (serialization)."""

    # ------------------------------------------------------------------ catalogue
    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    @abstractmethod
    def tables(self) -> list[str]:
        """The store's tables (this backend's catalogue), sorted."""

    def columns(self, table: str) -> list[str]:
        cur: Any = self.execute(f"SELECT * FROM {table} WHERE 1 = 0")
        return [d[0] for d in cur.description]

    @abstractmethod
    def mark_as_store(self) -> None:
        """Called in migration 1's transaction: label the file or database as a lesionlab store."""

    def after_migration(self, version: int) -> None:
        """Called in each migration's transaction after it ran (SQLite keeps user_version)."""

    def after_bulk_insert(self, table: str) -> None:
        """After rows with explicit ids went into ``table`` (a copy): PostgreSQL moves identity
        sequences past them; SQLite's AUTOINCREMENT follows by itself."""

    def after_migrations(self) -> None:
        """Called once all migrations are applied (PostgreSQL grants privileges to reader roles)."""

    # ------------------------------------------------------------------ reader-keyed tables
    def source(self, table: str, where: dict[str, Any] | None = None) -> tuple[str, tuple[Any, ...]]:
        """What a SELECT reads ``table``'s rows from, and its parameters: the table itself; on PostgreSQL, for a
        blinded role of a study store, the reader-keyed table's access function (annotation/store_pg_access.py),
        given the case or study of ``where`` (the SELECT's own equality conditions, which it keeps)."""
        return table, ()

    def through_functions(self, table: str) -> bool:
        """True when this connection writes ``table`` through its access function, not with SQL on the table."""
        return False

    def write_through(self, table: str, op: str, data: Any, pick: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Write ``table`` through its access function (``op``: upsert, insert, update, delete); the rows written."""
        raise NotImplementedError(f"{table} has no access function here")

    def prepare_reader_security(self) -> None:
        """Create what :meth:`reader_keyed` relies on (the reader-security migration calls it once)."""

    def reader_keyed(self, table: str) -> None:
        """Declare, in a migration, a table with a ``reader`` column whose rows belong to that reader:
        on PostgreSQL each reader role then sees and writes only its own rows (row-level security);
        on SQLite (one reader's file) nothing happens."""

    def prepare_session_blinding(self) -> None:
        """Create what lets :meth:`reader_keyed` close a reader's earlier session reads (PostgreSQL), and
        declare the reader-keyed tables again with it (the blinded-readers migration calls it once)."""

    def prepare_session_barrier(self) -> None:
        """Let the database itself keep a study's session barrier, washout and times (PostgreSQL; the
        session-barrier migration calls it once, and it declares the reader-keyed tables again)."""

    def prepare_access_functions(self) -> None:
        """Key ``count_marks`` by its read and give every reader-keyed table the access functions a blinded role
        reads and writes it through (PostgreSQL, annotation/store_pg_access.py; the access migration calls it)."""

    def prepare_read_looks(self) -> None:
        """Make the access functions of a reader's lesion, measurement and count rows record a reader role's look at
        a finished read of its own in ``read_looks``, and the washout count from it (PostgreSQL; migration 13)."""

    def prepare_looks_per_patient(self) -> None:
        """Keep a reader's look times per patient, not per reader, so a look rolled back or committed by another session
        restarts that patient's washout only (PostgreSQL; migration 14)."""

    def look_times(self) -> list[tuple[str, str, str]]:
        """(reader, patient, time) of each reader's last look at a finished read of theirs of that patient, committed
        or not (PostgreSQL's look sequences, migration 14; a reader role its own): what the washout counts from besides
        the finishings, the edits and ``read_looks``. None on SQLite."""
        return []

    def grant_roles(self) -> None:
        """Give the reader roles their kind's privileges again (PostgreSQL, as the owner; a study set up
        blinds the readers). Nothing on SQLite."""

    # ------------------------------------------------------------------ errors and life cycle
    @abstractmethod
    def error(self, exc: BaseException, doing: str) -> StoreError | None:
        """A StoreError saying what a driver exception means, or None when it is not the driver's."""

    def lost(self, exc: BaseException | None = None) -> bool:
        """True when the connection to the store is gone (``exc`` the failure that may have said so): a database
        server stopped or restarted, the session ended by an administrator. Never on SQLite."""
        return False

    def reconnect(self) -> None:
        """A new connection in place of a lost one, with what the old one held (PostgreSQL: its read claims);
        StoreUnreachableError when the server does not answer."""

    def integrity_check(self) -> str:
        return "ok"

    def seal(self) -> None:
        """Make the store one self-contained file (SQLite); nothing to do on a server."""

    @abstractmethod
    def close(self) -> None: ...

    def abandon(self) -> None:
        """Close after a failed open (SQLite also removes a file that open created)."""
        self.close()
