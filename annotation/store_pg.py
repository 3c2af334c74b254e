"""The PostgreSQL backend: one database (or schema) per project, several readers writing at once.

Location: a libpq URL (:mod:`annotation.store_location`); the project lives in the connection's
current schema (``public`` unless the URL sets ``options=-csearch_path=...``). The database must
exist (``createdb``); the first writable open runs the migrations in it.

Concurrency.
* **One writer per reader and exam pair.** Before an edit touches a reader's rows of a pair, the
  connection takes a session-level ``pg_try_advisory_lock`` keyed by (schema, reader, patient,
  pair) and keeps it until it closes (the server drops it when the client dies, even by SIGKILL).
  A second window editing the same read gets StoreLockedError naming the holder; other readers,
  and the same reader on other pairs, write at the same time.
* **No lost update.** Each edit is one ``REPEATABLE READ`` transaction that first re-reads every
  record it replaces or deletes and compares it with what this connection last saw
  (:mod:`annotation.store`); a row changed meanwhile by another reader makes the edit fail with
  StoreConflictError instead of overwriting it. Two transactions writing the same row at once end
  with a serialization failure for the later one, which is retried and then sees the change.
* **Migrations run once.** Each migration's transaction takes ``pg_advisory_xact_lock`` on the
  project's migration key and re-reads the schema version under it (READ COMMITTED, so the read
  sees a migration another process committed while this one waited).

Refusals touch nothing: a database holding other tables is recognised by the comment
``lesionlab store`` on its ``schema_migrations`` table and refused with reads only.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any, Callable, Iterable, Sequence

import psycopg
import psycopg.errors

from annotation import store_pg_connection as connection
from annotation.store_backend import Db, Rows, newer_store_error
from annotation.store_backend import first_line as _first_line  # the name its many messages use
from annotation.store_location import Backend, StoreLocation
from annotation.store_pg_connection import (CONNECT_TIMEOUT_S, BoundedConnection, advisory_lock, bound_lock_waits, connect,
                                           end_session, lock_holder_pids, lock_holders, server_version, session_started)
from viewer.errors import (BlindedRoleError, StoreError, StoreFullError, StoreLockedError, StoreUnreachableError,
                           blinded_message)

STORE_MARK = "lesionlab store"
PASSWORD_ADVICE = ("check the URL and that the server runs; a password belongs in ~/.pgpass (or $PGPASSFILE) or "
                   "a service file (~/.pg_service.conf, postgresql:///?service=NAME), never in a saved URL")
#: how long the owner's migrations and grants wait for a lock another session holds (seconds)
LOCK_WAIT_S = 15.0
NOT_A_STORE_ADVICE = "give the URL of an empty database or of one made by lesionlab"
#: the oldest PostgreSQL a store runs on (server_version_num): 14 has the SQL-standard function bodies (``BEGIN ATOMIC``)
#: of the reader-security, session and barrier functions, and ``pg_terminate_backend(pid, timeout)``, with which a
#: new session ends a lost one and waits for it to be gone before an edit in doubt is looked for
#: (store_pg_connection.end_session). On 13 a new store failed in its migrations ("syntax error at or near
#: "ATOMIC"") and a reconnect on "function pg_terminate_backend(integer, integer) does not exist".
MIN_SERVER = 140000


def too_old_error(version: int, where: str) -> StoreError:
    """The refusal of a server older than :data:`MIN_SERVER`, naming its version."""
    major, minor = (version // 10000, version % 10000) if version >= 100000 else (version // 10000, version // 100 % 100)
    return StoreError(f"the database server is PostgreSQL {major}.{minor}; lesionlab's stores need PostgreSQL "
                      f"{MIN_SERVER // 10000} or later", where=where,
                      advice="ask the database administrator for a PostgreSQL 14 or later server (README: PostgreSQL)")


def _key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for the given texts."""
    digest = hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgDb(Db):
    """An open connection to a PostgreSQL store (see the module docstring)."""

    backend = Backend.POSTGRESQL
    checks_conflicts = True

    def __init__(self, location: StoreLocation, con: BoundedConnection, *, read_only: bool) -> None:
        self.location, self.con, self.read_only = location, con, read_only
        self.schema = str(con.execute("SELECT current_schema()").fetchone()[0])  # type: ignore[index]
        #: the session on the server, (pid, start), to be ended there once given up (connection.end_session)
        self._session = (con.info.backend_pid, session_started(con))
        #: the reads this session is the one writer of: advisory lock key -> (reader, patient, exam pair)
        self._claimed: dict[int, tuple[str, str, str]] = {}
        self._in_transaction = False  # between begin() and commit() / rollback()
        self.role_reader: str | None = None  # the reader name a reader role is bound to (store_roles)
        self.role_kind: str | None = None
        self.blinded = False
        #: the reader-keyed tables this connection reads and writes through their access functions (a blinded role)
        self.access: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, location: StoreLocation, *, read_only: bool, create: bool, schema_version: int) -> "PgDb":
        where = location.saved()
        try:
            con = connect(location, CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the database ({_first_line(exc)})", where=where,
                             advice=PASSWORD_ADVICE) from None
        try:
            if server_version(con) < MIN_SERVER:
                raise too_old_error(server_version(con), where)
            if con.execute("SELECT current_schema()").fetchone() in (None, (None,)):
                raise StoreError("the connection has no current schema (search_path)", where=where,
                                 advice="set search_path to the project's schema in the URL's options")
            if read_only:
                con.execute("SET default_transaction_read_only = on")
            db = cls(location, con, read_only=read_only)
            version = db._inspect(schema_version)
            if version == 0 and (read_only or not create):
                raise StoreError("no lesionlab store in this database yet", where=where,
                                 advice="open it for writing once to create the store")
            db._read_role()
        except BaseException as exc:
            con.close()
            if isinstance(exc, psycopg.Error):
                raise StoreError(f"cannot open the store ({_first_line(exc)})", where=where) from None
            raise
        return db

    def _inspect(self, schema_version: int) -> int:
        """Schema version, after refusing a foreign database or a newer store (reads only)."""
        n_tables = self.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").fetchone()[0]
        if not n_tables:
            return 0
        mark = self.execute("SELECT obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n "
                            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                            "AND c.relname = 'schema_migrations' AND c.relkind = 'r'").fetchone()
        if mark is None or mark[0] != STORE_MARK:
            raise StoreError(f"this database (schema {self.schema}) holds tables but is not a lesionlab store",
                             where=self.where, advice=NOT_A_STORE_ADVICE)
        version = int(self.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])
        if version > schema_version:
            raise newer_store_error(version, schema_version, self.where)
        return version

    def _read_role(self) -> None:
        if self.has_table("store_roles"):
            row = self.execute("SELECT reader, kind FROM store_roles WHERE db_role = current_user").fetchone()
            if row is not None:
                self.role_reader, self.role_kind = row[0], row[1]
        # what the database grants decides, not what the role map says: a bound role that may not read patients
        self.blinded = self.role_reader is not None and self.has_table("patients") and not bool(self.execute(
            "SELECT has_any_column_privilege('patients', 'SELECT')").fetchone()[0])
        self.access = frozenset() if not self.blinded else frozenset(r[0] for r in self.execute(
            "SELECT substr(p.proname, 16) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
            "n.nspname = current_schema() AND p.proname LIKE 'lesionlab\\_rows\\_%' "
            "AND has_function_privilege(p.oid, 'EXECUTE')"))

    # ------------------------------------------------------------------ SQL
    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        def run() -> Rows:
            return self.con.execute(self._sql(sql), tuple(params)) if params else self.con.execute(sql)
        return self._again_if_lost(sql, run)

    def _again_if_lost(self, sql: str, run: Callable[[], Rows]) -> Rows:
        """``run()`` on a live session. Outside a transaction, a session known to be lost is replaced first, and a
        SELECT or BEGIN that finds it gone (the server restarted while the reader read: psycopg knows only once a
        statement fails) runs again on a new one: nothing was under way, so nothing is lost or done twice. Inside
        a transaction the failure stands: the transaction went with the session (ReadingStore.write reruns it)."""
        if self.con.closed and not self._in_transaction:
            self.reconnect()
        idle = not self._in_transaction
        try:
            return run()
        except psycopg.OperationalError:
            if not (idle and self.con.closed and sql.lstrip()[:6].upper() in ("SELECT", "BEGIN ")):
                raise
        self.reconnect()
        return run()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.con.cursor() as cur:
            cur.executemany(self._sql(sql), rows)

    def ddl(self, statement: str) -> str:
        statement = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b",
                           "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement, flags=re.IGNORECASE)
        return re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement, flags=re.IGNORECASE)

    # ------------------------------------------------------------------ transactions and locks
    def begin(self) -> None:
        self.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        self._in_transaction = True

    def commit(self) -> None:
        try:
            self.con.execute("COMMIT")
        finally:
            self._in_transaction = False
            self.con.lock_wait_s = 0.0

    def rollback(self) -> None:
        self._in_transaction = False
        self.con.lock_wait_s = 0.0
        if self.con.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.con.execute("ROLLBACK")

    def begin_migration(self) -> None:
        self.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        self._in_transaction = True
        # bounded: a table lock another session holds (a reader may LOCK a table it may update) fails the
        # migration after LOCK_WAIT_S instead of hanging the owner's open (the wait for an answer allows for it)
        bound_lock_waits(self.con, LOCK_WAIT_S)
        self.wait_for_lock(_key("lesionlab migrations", self.schema), "migrations")

    def wait_for_lock(self, key: int, what: str) -> None:
        """Take the transaction-level advisory lock ``key``, waiting :data:`LOCK_WAIT_S` at most: any role
        may take any advisory key (a reader with psql too), so waiting for ever would let it hang the owner."""
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            got = self.con.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()
            if got and got[0]:
                return
            if time.monotonic() >= deadline:
                raise StoreLockedError(f"another session holds lesionlab's {what} lock: {self._holder(key)}",
                                       where=self.where,
                                       advice="wait for the other lesionlab to finish, or ask the database administrator "
                                              "to end that session (pg_terminate_backend) if it is not lesionlab's")
            time.sleep(0.05)

    def retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected))

    def claim(self, reader: str, patient_id: str, exam_pair_id: str) -> None:
        """Become the one writer of ``reader``'s read of the pair (held until this store closes)."""
        key = _key("lesionlab read", self.schema, reader, patient_id, exam_pair_id)
        if key in self._claimed:
            return
        got = self.con.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if not (got and got[0]):
            pids = lock_holder_pids(self.con, *advisory_lock(key))
            gone = ("; if that lesionlab is gone (its computer switched off, frozen or cut from the server), end its "
                    f"session: SELECT pg_terminate_backend({', '.join(map(str, pids))}) in psql (your own database role "
                    "may, or the database administrator)") if len(pids) == 1 else ""
            raise StoreLockedError(f"reader {reader}'s read of {patient_id} / {exam_pair_id} is open for writing "
                                   f"by {self._holder(key)}", where=self.where,
                                   advice="close the other lesionlab window editing this read, or read another pair"
                                          + gone)
        self._claimed[key] = (reader, patient_id, exam_pair_id)

    def _holder(self, key: int) -> str:
        """Who holds advisory lock ``key`` (store_pg_connection.lock_holders)."""
        return "; ".join(lock_holders(self.con, advisory_lock(key))) or "another connection"

    # ------------------------------------------------------------------ catalogue
    def has_table(self, name: str) -> bool:
        return self.execute("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?",
                            (name,)).fetchone() is not None

    def tables(self) -> list[str]:
        return [r[0] for r in self.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]

    def mark_as_store(self) -> None:
        self.execute(f"COMMENT ON TABLE schema_migrations IS '{STORE_MARK}'")

    def source(self, table: str, where: dict[str, Any] | None = None) -> tuple[str, tuple[Any, ...]]:
        if table not in self.access:
            return table, ()
        from psycopg.types.json import Jsonb

        from annotation.store_pg_access import PICKED

        pick = {c: v for c, v in (where or {}).items() if c in PICKED}
        return f"lesionlab_rows_{table}(?)", (Jsonb(pick) if pick else None,)

    def through_functions(self, table: str) -> bool:
        return table in self.access

    def write_through(self, table: str, op: str, data: Any, pick: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        from psycopg.types.json import Jsonb

        return [r[0] for r in self.con.execute(f"SELECT * FROM lesionlab_write_{table}(%s, %s, %s)",
                                               (op, Jsonb(data), None if pick is None else Jsonb(pick)))]

    def after_bulk_insert(self, table: str) -> None:
        for (column,) in self.execute(
                "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = ? "
                "AND a.attidentity <> ''", (table,)).fetchall():
            self.execute(f"SELECT setval(pg_get_serial_sequence(?, ?), (SELECT coalesce(max({column}), 0) + 1 "
                         f"FROM {table}), false)", (table, column))

    def prepare_reader_security(self) -> None:
        from annotation.store_pg_security import create_role_functions

        create_role_functions(self)

    def reader_keyed(self, table: str) -> None:
        from annotation.store_pg_security import protect_reader_table

        protect_reader_table(self, table)

    def prepare_session_blinding(self) -> None:
        from annotation.store_pg_security import create_session_function, protect_reader_table, protected_tables

        create_session_function(self)
        for table in protected_tables(self):
            protect_reader_table(self, table)

    def prepare_access_functions(self) -> None:
        from annotation.store_pg_access import create_access, rekey_count_marks

        rekey_count_marks(self)
        create_access(self)

    def prepare_read_looks(self) -> None:
        from annotation.store_pg_access import create_access

        create_access(self)

    def prepare_looks_per_patient(self) -> None:
        from annotation.store_pg_access import create_access
        from annotation.store_pg_barrier import looks_per_patient

        create_access(self)  # the look functions per patient, and the guard counting them
        looks_per_patient(self)

    def look_times(self) -> list[tuple[str, str, str]]:
        if not self.execute("SELECT to_regprocedure('lesionlab_look_times()') IS NOT NULL AND "
                            "has_function_privilege(to_regprocedure('lesionlab_look_times()'), 'EXECUTE')").fetchone()[0]:
            return []
        return [(str(r[0]), str(r[1]), str(r[2])) for r in self.execute("SELECT * FROM lesionlab_look_times()")]

    def prepare_session_barrier(self) -> None:
        from annotation.store_pg_barrier import create_barrier
        from annotation.store_pg_security import create_role_functions, create_session_function

        create_role_functions(self)  # again, with bodies bound at creation (a caller's search_path cannot redirect them)
        create_session_function(self)
        create_barrier(self)
        self.prepare_session_blinding()

    def grant_roles(self) -> None:
        from annotation.store_pg_security import grant_roles

        grant_roles(self)
        self._read_role()

    def after_migrations(self) -> None:
        self.grant_roles()

    # ------------------------------------------------------------------ errors and life cycle
    def error(self, exc: BaseException, doing: str) -> StoreError | None:
        if not isinstance(exc, psycopg.Error):
            return None
        text = _first_line(exc)
        if isinstance(exc, psycopg.errors.DiskFull):
            return StoreFullError(f"{doing}: the database server's disk is full", where=self.where,
                              advice="ask the database administrator to free space; nothing was changed")
        if isinstance(exc, psycopg.errors.LockNotAvailable):
            return StoreLockedError(f"{doing}: another session has held a lock on a table lesionlab needs for "
                                    f"{LOCK_WAIT_S:g} s ({text})", where=self.where,
                                    advice="retry later; a session holding it for long (LOCK TABLE) is for the "
                                           "database administrator to end (pg_terminate_backend)")
        if isinstance(exc, psycopg.errors.InsufficientPrivilege) and self.blinded:
            return BlindedRoleError(f"{blinded_message(self.role_kind, self.role_reader)}; {doing} ({text})",
                                    where=self.where)
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            return StoreError(f"{doing}: your database role may not do this ({text})", where=self.where,
                              advice="ask the study coordinator (lesionlab store add-reader gives readers their rights)")
        if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
            return StoreError(f"{doing}: the store is open read-only", where=self.where)
        if isinstance(exc, psycopg.DataError) and "NUL" in text:
            return StoreError(f"{doing}: a text holds a NUL character, which PostgreSQL cannot store",
                              where=self.where, advice="remove the control character from that text")
        if isinstance(exc, psycopg.OperationalError) and self.con.closed:
            return StoreUnreachableError(f"{doing}: the connection to the database was lost ({text})",
                                         where=self.where)
        return StoreError(f"{doing} ({text})", where=self.where)

    def lost(self, exc: BaseException | None = None) -> bool:
        """The session is gone: psycopg closes the connection when the server ended it (stopped, restarted,
        ``pg_terminate_backend``) or the socket broke; an edit then failed with "the connection is lost" until
        the store was reopened by hand, every edit after the server was back included."""
        return bool(self.con.closed) and (exc is None or isinstance(exc, psycopg.OperationalError))

    def reconnect(self) -> None:
        """A new session on the same location and mode, which becomes the one writer of the reads the lost one
        held again (the server dropped those locks with it: another window may have taken one meanwhile, which
        raises StoreLockedError and keeps this store off that read). The lost session is ended on the server first
        (it may be alive, only late to answer, or stopped with a COMMIT waiting in its socket): what it did is then
        settled, and a look for an edit it may have committed finds it or finds it never will be.

        A server that does not answer is refused at once, not after libpq's connect timeout: the lost session found it
        so just now (:data:`~annotation.store_pg_connection.UNANSWERED_FOR_S`), or it does not answer a new socket's
        first question within :data:`~annotation.store_pg_connection.PROBE_WAIT_S` (before, each edit of an outage
        waited RECONNECT_TIMEOUT_S, the first one after the answer bound: 13 s in all)."""
        old_con = self.con
        found_at, old_con.unanswered_at = old_con.unanswered_at, None  # said once: a later call asks again
        if found_at is not None and time.monotonic() - found_at < connection.UNANSWERED_FOR_S:
            raise StoreUnreachableError("the edit was not saved: the database server does not answer (it "
                                        + old_con.unanswered_why.removeprefix("the database server ") + ")",
                                        where=self.where)
        why = connection.server_silent(old_con.address, connection.PROBE_WAIT_S)
        if why:
            raise StoreUnreachableError(f"the edit was not saved: the database server does not answer ({why})",
                                        where=self.where)
        try:
            con = connect(self.location, connection.RECONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise StoreUnreachableError(f"the edit was not saved: the database server does not answer (the connection "
                                        f"was lost; {_first_line(exc)})", where=self.where) from None
        try:
            if not end_session(con, *self._session):
                raise StoreUnreachableError(f"the edit was not saved: the database server does not answer for the "
                                            f"lost session (server pid {self._session[0]}), which it has not ended",
                                            where=self.where)
            session = (con.info.backend_pid, session_started(con))
        except BaseException as exc:
            con.close()
            if isinstance(exc, psycopg.Error):
                raise StoreUnreachableError(f"the edit was not saved: the connection to the database was lost again "
                                            f"({_first_line(exc)})", where=self.where) from None
            raise
        old, self.con, self._session = self.con, con, session
        old.close()
        claimed, self._claimed = self._claimed, {}
        try:
            if self.read_only:
                con.execute("SET default_transaction_read_only = on")
            self._read_role()
            for reader, patient_id, exam_pair_id in claimed.values():
                # another window may have taken a read meanwhile: StoreLockedError, so that no edit goes on as if
                # this store still were its one writer (the next attempt runs without that read's claim)
                self.claim(reader, patient_id, exam_pair_id)
        except psycopg.Error as exc:
            con.close()
            self._claimed = claimed  # to be taken again at the next attempt
            raise StoreUnreachableError(f"the edit was not saved: the connection to the database was lost again "
                                        f"({_first_line(exc)})", where=self.where) from None

    def close(self) -> None:
        """Release this session's read locks now (the server would, but only once it has noticed the
        disconnection: another window reopening the read at once could still find them held)."""
        try:
            if self._claimed and not self.con.closed:
                self.rollback()
                self.con.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.Error:
            pass  # the connection is gone: so are its locks
        finally:
            self._claimed.clear()
            self.con.close()
