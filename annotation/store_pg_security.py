"""Blinding in the database: reader roles and row-level security on PostgreSQL stores.

Each reader connects as their own database role, bound to their reader name by a row of
``store_roles (db_role, reader, kind)``. Kinds:

* ``reader``: sees and writes only the rows of reader-keyed tables whose ``reader`` is theirs
  (lesions, observations, count marks, series flags, the edit log, and every table a later
  migration declares with ``db.reader_keyed(table)``); reads the shared tables (patients, exam
  pairs) and may add or change rows there, not delete them.
* ``adjudicator``: sees every reader's rows (to find disagreements), writes only their own.
* ``coordinator``: sees and writes everything (but ``studies``: only the owner sets a study up).

The role that created the store owns its tables and bypasses row-level security (PostgreSQL's
rule); it runs the migrations and :func:`add_reader`. The policy functions read ``store_roles``
schema-qualified, so a reader cannot shadow it with a temporary table (and the planner inlines
them); ``store_roles`` itself shows each role only its own row.

**A study store** (one holding a reader study, ``studies`` not empty) blinds its readers in the
database, not only in the application (:func:`grant_roles`, :data:`BLINDED_SELECT`):

* ``reader`` and ``adjudicator`` roles may not read or change ``patients`` (name, id record, clinical
  data), ``dicom_context`` (names, birth dates, accession numbers, physicians, study descriptions),
  ``timepoints`` (exam dates) or ``treatment_lines`` (clinical history); of ``exam_pairs`` they read the
  four columns a case needs (patient and pair ids, the two study UIDs), not the exam dates. They
  read the study's design and alignments; reader-keyed tables only through their access functions (no
  privilege on the tables, migration 12: :mod:`annotation.store_pg_access`), which return and write what row-level
  security allows. A
  table a later migration adds is closed to them until it is listed here (deny by default).
* a ``reader`` sees and writes its own reads of one session at a time, per patient: a read under
  ``READER@S`` of patient P disappears (select and write) once the reader has opened a case of P in
  a later session of that study (:func:`create_session_function`). The database derives this
  from ``study_reads``, which a reader may add to and finish but never delete from or move to
  another session or case, so it only ever closes more: nothing the reader can set brings an
  earlier session's read back (unlike a ``SET lesionlab.session`` the policy would read, which any
  client may set to what it likes).
* ``coordinator`` sees and writes everything, as before; only the owner sets a study up (it
  changes the readers' privileges, which only the owner may grant).
* no ``reader`` or ``adjudicator`` role holds a sequence (from migration 12 the access functions write
  as their owner), and where the owner is a superuser the server's per-table statistics are taken from
  ``PUBLIC`` in the study's database (:func:`close_statistics`): they counted other readers' rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Iterator

from viewer.errors import StoreError, StoreLockedError, ValidationError

if TYPE_CHECKING:
    from annotation.store_backend import Db

#: tables never granted beyond SELECT (the migration machinery's and the role map)
_SYSTEM_TABLES = ("schema_migrations", "store_roles", "lesionlab_look_key")
#: tables only a coordinator writes: a reader study's design (readers read it, never change it)
COORDINATOR_TABLES = ("studies", "study_cases", "study_order")
#: In a study store, what blinded kinds (reader, adjudicator) may SELECT of the shared tables: a table
#: mapped to None whole, else the columns named. Shared tables not listed (patients, dicom_context,
#: timepoints, treatment_lines, and any a later migration adds) are closed to them.
BLINDED_SELECT: dict[str, tuple[str, ...] | None] = {
    "exam_pairs": ("patient_id", "exam_pair_id", "ct_study_uid", "mri_study_uid", "series_roles"),  # no exam dates
    "studies": None, "study_cases": None, "alignments": None, "project_meta": None,
    "schema_migrations": None, "store_roles": None,
}
#: In a study store, what a blinded kind may write in reader-keyed tables (row-level security limits the
#: rows); a reader-keyed table not listed gets SELECT, INSERT, UPDATE, DELETE.
BLINDED_WRITES: dict[str, dict[str, str]] = {
    # the study's own record of opened and finished cases: added to and finished, never taken back (the
    # session policy reads it)
    "study_reads": {"reader": "INSERT, UPDATE (finished_at_utc)", "adjudicator": "INSERT, UPDATE (finished_at_utc)"},
    "edits": {"reader": "INSERT", "adjudicator": "INSERT"},  # the log is appended to, not rewritten
    "study_order": {"reader": "", "adjudicator": ""},
    "study_pairings": {"reader": "", "adjudicator": "INSERT, UPDATE, DELETE"},
    # the server records a reader's looks (annotation/store_pg_barrier.py): no blinded role writes them
    "read_looks": {"reader": "", "adjudicator": ""},
}


class RoleKind(str, Enum):
    READER = "reader"
    ADJUDICATOR = "adjudicator"
    COORDINATOR = "coordinator"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_role_functions(db: "Db") -> None:
    """The functions the policies call (a migration runs this before protecting tables).

    SQL-standard bodies (``BEGIN ATOMIC``): parsed once, here, with every table, type, function and
    operator bound then, so nothing the caller puts first on its search_path (a temporary table, a
    ``pg_temp.jsonb`` domain, an operator of its own) stands in for them; without a SET clause the
    planner still inlines them (evaluated once per query, not once per row)."""
    schema = _ident(getattr(db, "schema"))
    body = f"FROM {schema}.store_roles WHERE db_role = current_user"
    settings = "LANGUAGE sql STABLE"
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_reader() RETURNS pg_catalog.text {settings} "
               f"BEGIN ATOMIC SELECT reader {body}; END")
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_sees_all() RETURNS pg_catalog.bool {settings} "
               f"BEGIN ATOMIC SELECT coalesce((SELECT kind IN ('adjudicator', 'coordinator') {body}), false); END")
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_coordinates() RETURNS pg_catalog.bool {settings} "
               f"BEGIN ATOMIC SELECT coalesce((SELECT kind = 'coordinator' {body}), false); END")
    db.execute("ALTER TABLE store_roles ENABLE ROW LEVEL SECURITY")
    db.execute("DROP POLICY IF EXISTS lesionlab_own_role ON store_roles")  # declared again by the barrier migration
    db.execute("CREATE POLICY lesionlab_own_role ON store_roles FOR SELECT USING (db_role = current_user)")


def _session_open_body(schema: str, who: str) -> str:
    return (f"SELECT NOT EXISTS (SELECT 1 FROM {schema}.store_roles k "
            f"JOIN {schema}.study_reads r ON r.reader = k.reader "
            f"JOIN {schema}.study_cases c ON c.study_id = r.study_id AND c.code = r.code "
            f"JOIN {schema}.studies s ON s.study_id = r.study_id "
            f"WHERE k.db_role = {who} AND k.kind = 'reader' AND c.patient_id = patient "
            f"AND {schema}.lesionlab_session_rank(s.definition, r.session) > "
            f"{schema}.lesionlab_session_rank(s.definition, pg_catalog.split_part(name, '@', 2)))")


def create_session_function(db: "Db") -> None:
    """``lesionlab_session_open(name, patient)``: may the connected role see and write the rows of
    session read ``name`` (``READER@SESSION``) of ``patient``? Always for roles other than ``reader``;
    for a reader, until they have opened a case of that patient in a later session of the study
    (``study_reads``; session order from the stored definition). Bodies bound at creation, as above.
    ``lesionlab_session_open_for(who, name, patient)`` asks the same of role ``who`` (the access functions
    of annotation/store_pg_access.py, where current_user is their owner)."""
    schema = _ident(getattr(db, "schema"))
    db.execute("CREATE OR REPLACE FUNCTION lesionlab_session_rank(definition pg_catalog.text, session pg_catalog.text) "
               "RETURNS pg_catalog.int8 LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT e.o FROM "
               "pg_catalog.jsonb_array_elements(pg_catalog.jsonb_extract_path(definition::pg_catalog.jsonb, 'sessions')) "
               "WITH ORDINALITY AS e(v, o) WHERE pg_catalog.jsonb_extract_path_text(e.v, 'name') = session; END")
    db.execute("CREATE OR REPLACE FUNCTION lesionlab_session_open(name pg_catalog.text, patient pg_catalog.text) "
               f"RETURNS pg_catalog.bool LANGUAGE sql STABLE BEGIN ATOMIC {_session_open_body(schema, 'current_user')}; END")
    db.execute("CREATE OR REPLACE FUNCTION lesionlab_session_open_for(who pg_catalog.text, name pg_catalog.text, "
               f"patient pg_catalog.text) RETURNS pg_catalog.bool LANGUAGE sql STABLE BEGIN ATOMIC "
               f"{_session_open_body(schema, 'who')}; END")


def _has_function(db: "Db", name: str) -> bool:
    return db.execute("SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
                      "n.nspname = current_schema() AND p.proname = ?", (name,)).fetchone() is not None


@dataclass(frozen=True)
class Spelling:
    """How a reader-keyed table's policy names the caller's reader name and rights, the session and case
    functions (``{name}``, ``{patient}``, ``{pair}`` filled in) and the row's columns (``row``: their prefix)."""

    reader: str
    sees_all: str
    coordinates: str
    session_open: str
    case_open: str
    study_store: str
    row: str = ""


#: the row-level security policies' spelling (the connected role: current_user)
POLICY = Spelling("lesionlab_reader()", "lesionlab_sees_all()", "lesionlab_coordinates()",
                  "lesionlab_session_open({name}, {patient})", "lesionlab_case_open({name}, {patient}, {pair})",
                  "lesionlab_study_store()")


def reader_predicates(columns: "list[str]", session: bool, barrier: bool, sp: Spelling) -> tuple[str, str]:
    """(see, write): what the caller may see and write of a reader-keyed table with ``columns``. ``session``: the
    session policy exists; ``barrier``: the study's write barrier does (annotation/store_pg_barrier.py)."""
    reader = sp.row + "reader"
    patient = sp.row + "patient_id"
    # a reader's rows: their own name, or a study session read of theirs (READER@SESSION) -- of a session
    # still open to them for that patient, where the table says the patient and the session policy exists
    open_ = ""
    if "patient_id" in columns and session:
        open_ = " AND " + sp.session_open.format(name=reader, patient=patient)
    own = f"({reader} = {sp.reader} OR (starts_with({reader}, {sp.reader} || '@'){open_}))"
    # what a reader writes (annotation/store_pg_barrier.py): in a study store, a session read only, and only of
    # a case it has opened in that session and not finished (the plain name could carry a read across sessions)
    writes = own
    if "patient_id" in columns and barrier:
        pair = sp.row + "exam_pair_id" if "exam_pair_id" in columns else "NULL"
        writes = (f"(({reader} = {sp.reader} AND NOT {sp.study_store}) OR (starts_with({reader}, "
                  f"{sp.reader} || '@'){open_} AND {sp.case_open.format(name=reader, patient=patient, pair=pair)}))")
    return f"{own} OR {sp.sees_all}", f"{writes} OR {sp.coordinates}"


def protected_tables(db: "Db") -> list[str]:
    """The reader-keyed tables (row-level security on; ``store_roles`` aside), sorted."""
    return [r[0] for r in db.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
        "current_schema() AND c.relkind = 'r' AND c.relrowsecurity AND c.relname <> 'store_roles' ORDER BY 1")]


def protect_reader_table(db: "Db", table: str) -> None:
    """Row-level security on a table with a ``reader`` column (see the module docstring); once migration 12
    made them, the table's access functions too (annotation/store_pg_access.py)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise StoreError(f"{table!r} is not a plain table name", where="migration")
    see, write = reader_predicates(db.columns(table), _has_function(db, "lesionlab_session_open"),
                                   _has_function(db, "lesionlab_case_open"), POLICY)
    db.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    db.execute(f"DROP POLICY IF EXISTS lesionlab_see ON {table}")  # declared again by a later migration
    db.execute(f"DROP POLICY IF EXISTS lesionlab_write ON {table}")
    db.execute(f"CREATE POLICY lesionlab_see ON {table} FOR SELECT USING ({see})")
    db.execute(f"CREATE POLICY lesionlab_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write})")
    from annotation.store_pg_access import create_table_access, has_access_functions

    if has_access_functions(db):
        create_table_access(db, table)


def _may_grant(db: "Db") -> bool:
    row = db.execute("SELECT tableowner = current_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                     "FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'").fetchone()
    return bool(row and row[0])


def is_study_store(db: "Db") -> bool:
    """True when the store holds a reader study (its reader roles are blinded in the database)."""
    return db.has_table("studies") and db.execute("SELECT 1 FROM studies LIMIT 1").fetchone() is not None


#: how long a GRANT, REVOKE, CREATE ROLE or ALTER ROLE of the owner waits for a lock another session holds (seconds):
#: a catalogue row another open transaction changed (a reader's own ALTER ROLE ... PASSWORD in psql, a database
#: administrator's GRANT not yet committed). Before, that wait was bounded only by the answer bound
#: (store_pg_connection.ANSWER_TIMEOUT_S, 10 s, shorter than the 15 s lock_timeout then set), which closed the
#: connection: `store add-reader` ended in a traceback, "the database server sent nothing for 10 s", naming nothing.
GRANT_LOCK_WAIT_S = 5.0


@contextlib.contextmanager
def _bounded_locks(db: "Db", doing: str) -> Iterator[Any]:
    """A transaction (a savepoint inside one) on ``db``'s connection whose lock waits end after GRANT_LOCK_WAIT_S
    (the answer bound allowing for them; inside an outer transaction, for this block only): a lock another session holds longer is refused in a StoreLockedError that
    names that session (:func:`_lock_holders`), nothing of the transaction done."""
    import psycopg

    from annotation.store_pg_connection import lock_waits_bounded

    con = getattr(db, "con")
    try:
        with con.transaction(), lock_waits_bounded(con, GRANT_LOCK_WAIT_S):
            yield con
    except psycopg.errors.LockNotAvailable as exc:
        raise _lock_held(db, exc, doing) from None


def _lock_held(db: "Db", exc: Any, doing: str) -> StoreLockedError:
    context = getattr(exc.diag, "context", None) or ""
    row = re.search(r'tuple (\(\d+,\d+\)) in relation "([a-z_][a-z0-9_]*)"', context)
    relation = re.search(r'relation "([^"]+)"', context)
    holders = _lock_holders(db, relation.group(1) if relation else None, (row[1], row[2]) if row else None)
    what = f"a lock on {relation.group(1)}" if relation else "a lock"
    held = "; ".join(holders) if holders else "another session (the server does not show this role which one)"
    return StoreLockedError(
        f"{doing}: waited {GRANT_LOCK_WAIT_S:g} s for {what}, held by {held}; nothing was changed", where=db.where,
        advice="that session is inside a transaction that changed the same database objects: have it finish (a psql "
               "session: COMMIT or ROLLBACK; a lesionlab: let it finish or close it), or have the database "
               "administrator end it (SELECT pg_terminate_backend(PID)), then run this again")


def _lock_holders(db: "Db", relation: str | None, row: tuple[str, str] | None) -> list[str]:
    """Who holds what a lock wait waited for, most exact first: the transaction that last changed the catalogue row
    waited on (its ``xmax``, where this role may read the catalogue); else the sessions holding more than a read's
    lock on ``relation`` (ALTER ROLE keeps one on pg_authid, which only a superuser reads); else every other session
    inside a writing transaction (store_pg_connection.lock_holders says them)."""
    from annotation.store_pg_connection import lock_holders

    asks: list[tuple[str, tuple[Any, ...]]] = []
    if row is not None:
        tid, catalogue = row
        asks.append(("l.locktype = 'transactionid' AND l.transactionid = "
                     f"(SELECT xmax FROM pg_catalog.{catalogue} WHERE ctid = %s::tid)", (tid,)))
    if relation is not None:
        asks.append(("l.locktype = 'relation' AND l.relation = to_regclass(%s) AND "
                     "l.mode NOT IN ('AccessShareLock', 'RowShareLock')", (relation,)))
    asks.append(("l.locktype = 'transactionid'", ()))
    return lock_holders(getattr(db, "con"), *asks)


def grant_roles(db: "Db") -> None:
    """Give every role of ``store_roles`` the privileges of its kind on every table, and only those (the
    owner runs this after migrations, after adding a reader and after setting a study up, so tables
    added later are covered and a store that became a study store blinds its readers). Each role's
    privileges are revoked and granted again in one transaction: idempotent, never half done."""
    if not db.has_table("store_roles") or not _may_grant(db):
        return
    with _bounded_locks(db, "cannot grant the readers' roles their rights"):
        # one owner process regrants at a time (two at once: "tuple concurrently updated" on the catalogue)
        # bounded (any role may take an advisory key, a reader with psql too: waiting for ever would hang the owner)
        key = int(db.execute("SELECT hashtext('lesionlab grants ' || current_schema())::bigint").fetchone()[0])
        getattr(db, "wait_for_lock")(key, "grants")
        from annotation.store_pg_barrier import create_look_sequences

        create_look_sequences(db)
        schema = _ident(getattr(db, "schema"))
        protected = set(protected_tables(db))
        tables = [t for t in db.tables() if t not in _SYSTEM_TABLES]
        blinded = is_study_store(db)
        if blinded:
            close_statistics(db)
        look_times = bool(db.execute("SELECT to_regprocedure('lesionlab_look_times()') IS NOT NULL").fetchone()[0])
        for db_role, kind in db.execute("SELECT db_role, kind FROM store_roles ORDER BY db_role").fetchall():
            role = _ident(db_role)
            # REVOKE on a table revokes its column privileges too: what stays is exactly what follows
            db.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}")
            db.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {schema} FROM {role}")  # PUBLIC's EXECUTE stays
            db.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}")
            db.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
            if look_times and blinded and kind in (RoleKind.READER.value, RoleKind.COORDINATOR.value):
                # a study's washout, as the application shows it, counts the look sequences (store_pg_barrier.py)
                db.execute(f"GRANT EXECUTE ON FUNCTION {schema}.lesionlab_look_times() TO {role}")
            if blinded and kind != RoleKind.COORDINATOR.value:
                _grant_blinded(db, role, kind, tables, protected)
                continue
            db.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
            db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
            for table in tables:
                if table in COORDINATOR_TABLES and kind != RoleKind.COORDINATOR.value:
                    continue
                if table == "studies":
                    continue  # only the owner sets a study up: that blinds the readers, a grant only the owner makes
                rights = ("INSERT, UPDATE, DELETE" if kind == RoleKind.COORDINATOR.value or table in protected
                          else "INSERT, UPDATE")
                db.execute(f"GRANT {rights} ON {table} TO {role}")


#: the server's cumulative statistics views that count a table's (or the database's) rows, writes and pages; PostgreSQL
#: lets every role read them (PUBLIC), whatever it may read of the tables
STATISTICS_VIEWS = tuple(f"pg_catalog.{v}" for v in (
    "pg_stat_all_tables", "pg_stat_sys_tables", "pg_stat_user_tables", "pg_stat_xact_all_tables",
    "pg_stat_xact_sys_tables", "pg_stat_xact_user_tables", "pg_statio_all_tables", "pg_statio_sys_tables",
    "pg_statio_user_tables", "pg_stat_all_indexes", "pg_stat_sys_indexes", "pg_stat_user_indexes",
    "pg_statio_all_indexes", "pg_statio_sys_indexes", "pg_statio_user_indexes", "pg_statio_all_sequences",
    "pg_statio_sys_sequences", "pg_statio_user_sequences", "pg_stat_database", "pg_stat_database_conflicts",
    "pg_stat_user_functions", "pg_stat_xact_user_functions"))
#: the functions behind them: ``pg_stat_get_*`` of a table, index, function or database (an ``oid`` argument)
STATISTICS_FUNCTIONS = ("SELECT p.oid::pg_catalog.regprocedure::text FROM pg_catalog.pg_proc p WHERE p.pronamespace = "
                        "'pg_catalog'::regnamespace AND p.proname LIKE 'pg\\_stat\\_get\\_%' AND "
                        "'oid'::regtype = ANY (p.proargtypes::oid[]) AND has_function_privilege('public', p.oid, 'EXECUTE')")


def _public_statistics(db: "Db") -> tuple[list[str], list[str]]:
    """The statistics views and functions PUBLIC may still read in this database."""
    views = [str(r[0]) for r in db.execute("SELECT v FROM unnest(?::text[]) v WHERE has_table_privilege('public', v, "
                                           "'SELECT')", (list(STATISTICS_VIEWS),)).fetchall()]
    return views, [str(r[0]) for r in db.execute(STATISTICS_FUNCTIONS).fetchall()]


def statistics_sql() -> str:
    """One statement a superuser runs in the study store's database (psql) to do what :func:`close_statistics`
    does: PUBLIC loses the statistics views and functions, ``pg_read_all_stats`` gets them."""
    views = ", ".join(f"'{v}'" for v in STATISTICS_VIEWS)
    functions = STATISTICS_FUNCTIONS.replace("'", "''")
    return ("DO $$DECLARE x text; BEGIN "
            f"FOREACH x IN ARRAY ARRAY[{views}] LOOP "
            "EXECUTE format('REVOKE SELECT ON %s FROM PUBLIC', x); "
            "EXECUTE format('GRANT SELECT ON %s TO pg_read_all_stats', x); END LOOP; "
            f"FOR x IN EXECUTE '{functions}' LOOP "
            "EXECUTE format('REVOKE EXECUTE ON FUNCTION pg_catalog.%s FROM PUBLIC', x); "
            "EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.%s TO pg_read_all_stats', x); END LOOP; END$$;")


def statistics_warning(db: "Db") -> str | None:
    """In a study store whose database still lets every role read the server's statistics (its owner is no
    superuser, so :func:`close_statistics` could not), what the coordinator must have the administrator do;
    None otherwise. (Before, nothing said it: a coordinator's audit found a reader counting the lesions every
    reader had added in ``pg_stat_user_tables`` of a study set up exactly as documented.)"""
    if not is_study_store(db):
        return None
    views, functions = _public_statistics(db)
    if not views and not functions:
        return None
    name = db.execute("SELECT current_database()").fetchone()[0]
    return (f"Warning: in database {name} every role, the blinded readers too, still reads the server's statistics "
            f"({len(views)} views, {len(functions)} functions: pg_stat_user_tables counts the lesions every reader "
            "has added). Only a superuser may close them: the database administrator runs, once, "
            f"psql -d {name} -c \"$(lesionlab store statistics-sql)\" as a superuser (the statement "
            "`lesionlab store statistics-sql` prints; README: \"What the database enforces in a reader study\").")


def close_statistics(db: "Db") -> bool:
    """In a study store's database, take the server's per-table statistics from PUBLIC (and give them to
    ``pg_read_all_stats``, the monitoring role): a blinded reader read the rows another reader inserted in
    ``pg_stat_user_tables`` (``n_tup_ins`` of ``lesions``), and with the reading order it derives from the study's
    seed, per case. Only a superuser may (the views and functions are the bootstrap superuser's): True when done or
    already so, False when the connected role may not (README: the administrator's recipe). Idempotent."""
    row = db.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    views, functions = _public_statistics(db)
    if not views and not functions:
        return True
    if not (row and row[0]):
        return False
    for view in views:
        db.execute(f"REVOKE SELECT ON {view} FROM PUBLIC")
        db.execute(f"GRANT SELECT ON {view} TO pg_read_all_stats")
    for function in functions:
        db.execute(f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM PUBLIC")
        db.execute(f"GRANT EXECUTE ON FUNCTION pg_catalog.{function} TO pg_read_all_stats")
    return True


def _grant_blinded(db: "Db", role: str, kind: str, tables: list[str], protected: set[str]) -> None:
    """A reader's or adjudicator's privileges in a study store (the module docstring says which)."""
    from annotation.store_pg_access import access_functions, has_access_functions

    for table, columns in BLINDED_SELECT.items():
        if db.has_table(table):
            cols = "" if columns is None else f" ({', '.join(columns)})"
            db.execute(f"GRANT SELECT{cols} ON {table} TO {role}")
    through = has_access_functions(db)
    for table in tables:
        if table not in protected:
            continue
        if through:  # no privilege on the table (nor its sequence): its rows through its functions only (store_pg_access.py)
            for function in access_functions(table, db):
                db.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {role}")
            continue
        writes = BLINDED_WRITES.get(table, {}).get(kind, "INSERT, UPDATE, DELETE")
        db.execute(f"GRANT SELECT{', ' + writes if writes else ''} ON {table} TO {role}")
    if not through:  # before migration 12 a blinded role inserts into the edit log itself (its identity sequence)
        db.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {_ident(getattr(db, 'schema'))} TO {role}")


@dataclass(frozen=True)
class ReaderRole:
    db_role: str
    reader: str
    kind: RoleKind
    created: bool  # a new database role
    adopted: bool = False  # an existing role (named by --db-role) bound to this reader now


#: hex digits of the digest a derived role name carries (32 bits: a clash is caught, not assumed away)
_DIGEST_HEX = 8
_MAX_ROLE_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1


def role_name_for(reader: str) -> str:
    """The database role name of a reader name, different for different names.

    A name that already is a plain lower-case identifier (``alice``, ``r1``) is its own role name.
    Any other is made one (lower case; letters, digits and underscores; a leading letter) and, since
    that alters it, followed by a digest of the exact name: "Dr Müller" and "Dr Möller" both become
    ``dr_m_ller`` and would share a role, so they get ``dr_m_ller_<8 hex>`` each. The digest is
    stable: the same reader name gives the same role name on every run.
    """
    name = reader.strip()
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    if slug and not slug[0].isalpha():
        slug = f"r_{slug}"
    if slug and slug == name and len(slug) <= _MAX_ROLE_BYTES:
        return slug
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=_DIGEST_HEX // 2).hexdigest()
    return f"{(slug or 'r')[:_MAX_ROLE_BYTES - 1 - _DIGEST_HEX].rstrip('_')}_{digest}"


def add_reader(db: "Db", reader: str, *, kind: RoleKind | str = RoleKind.READER, db_role: str | None = None,
               password: str | None = None) -> ReaderRole:
    """Create a login role bound to ``reader`` (or update the one bound to them) and grant its kind's rights.

    A role belongs to one reader: it is updated (kind, password) only for the reader ``store_roles``
    already binds it to, and never rebound to another reader, so adding "Dr Möller" cannot take
    "Dr Müller"'s role and reset its password. Without ``db_role`` the reader's role in this store is
    reused when there is one, else :func:`role_name_for` names a new one; a role that exists on the
    server but is no reader's here (another store's, the server's) is bound only when ``db_role``
    names it on purpose, and never a role that bypasses row-level security (superuser, BYPASSRLS,
    the store's owner).

    Runs as the store's owner (or a superuser) with the right to create roles. ``password`` sets
    the role's password (the reader keeps it in ~/.pgpass); without one, the role logs in however
    pg_hba.conf allows (certificate, peer, ...) or an administrator sets it later.
    """
    from psycopg import sql

    kind = RoleKind(kind)
    name = reader.strip()
    if not name:
        raise ValidationError("a reader needs a name", where="reader")
    if db_role is not None and len(db_role.encode()) > _MAX_ROLE_BYTES:
        raise ValidationError(f"role name {db_role!r} is longer than PostgreSQL's 63 bytes", where="db_role")
    if not _may_grant(db):
        raise StoreError("only the store's owner (the role that created it) or a superuser can add readers",
                         where=db.where, advice="connect as the store's owner")
    with _bounded_locks(db, f"cannot add reader {name!r}") as con:
        # one add-reader at a time decides on the role map (two at once could bind one role twice)
        con.execute("LOCK TABLE store_roles IN SHARE ROW EXCLUSIVE MODE")
        kinds = {(r[0], r[1]): r[2] for r in con.execute("SELECT db_role, reader, kind FROM store_roles")}
        bound: dict[str, str] = {role: reader for role, reader in kinds}
        role = db_role or _role_of(name, bound)
        holder = bound.get(role)
        if holder is not None and holder != name:
            raise StoreError(f"database role {role} belongs to reader {holder!r} in this store; it is not given "
                             f"to {name!r}", where=db.where,
                             advice=f"give --db-role with a new role name for {name!r}")
        if kinds.get((role, name)) != kind.value:  # a new role, or another kind: only what the studies define
            _check_study_name(db, name, kind)
        found = con.execute(
            "SELECT r.rolsuper OR r.rolbypassrls OR r.rolname = current_user OR r.rolname = (SELECT tableowner "
            "FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations') "
            "FROM pg_roles r WHERE r.rolname = %s", (role,)).fetchone()
        if found is not None and found[0]:
            raise StoreError(f"database role {role} bypasses row-level security (a superuser, BYPASSRLS or the "
                             "store's owner): it cannot be a reader's role", where=db.where,
                             advice="give --db-role with a new role name")
        if found is not None and holder is None and db_role is None:
            raise StoreError(f"a database role {role} exists already but is no reader's in this store (another "
                             "store's, or the server's); lesionlab does not take it over unasked", where=db.where,
                             advice=f"give --db-role {role} to bind that role to {name!r} on purpose, or "
                                    "--db-role with a new name")
        if found is None:
            con.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        if password is not None:
            con.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        con.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(con.info.dbname), sql.Identifier(role)))
        kept = db.execute("INSERT INTO store_roles (db_role, reader, kind) VALUES (?, ?, ?) ON CONFLICT (db_role) "
                          "DO UPDATE SET kind = excluded.kind WHERE store_roles.reader = excluded.reader",
                          (role, name, kind.value))
        if getattr(kept, "rowcount", 1) != 1:  # the lock above makes this unreachable; the database says it too
            raise StoreError(f"database role {role} belongs to another reader", where=db.where)
        grant_roles(db)
    return ReaderRole(role, name, kind, created=found is None, adopted=found is not None and holder is None)


def _check_study_name(db: "Db", name: str, kind: RoleKind) -> None:
    """In a store holding reader studies, a reader's role only for a reader of a study, an adjudicator's only for a
    study's adjudicator, a coordinator's for neither (a coordinator's rights under a reader's name unblind that
    reader). A role bound to a name no study has could open nothing (its reads are stored under ``R1@MRI``): a
    coordinator's audit found `add-reader` taking ``r1`` for ``R1`` and ``Dr Smith`` for the adjudicator."""
    from annotation._validate import id_form  # noqa: PLC0415
    from annotation.study import stored_studies  # noqa: PLC0415

    studies = [s.definition for s in stored_studies(db)]
    if not studies:
        return
    readers = {r: d.study_id for d in studies for r in d.readers}
    adjudicators = {d.adjudicator: d.study_id for d in studies}
    defined = "; ".join(f"study {d.study_id}: readers {', '.join(d.readers)}, adjudicator {d.adjudicator}"
                        for d in studies)
    advice = f"give the name exactly as the study definition has it ({defined})"
    if kind is RoleKind.COORDINATOR:
        taken = readers.get(name) or adjudicators.get(name)
        if taken:
            raise ValidationError(f"{name!r} is a reader or the adjudicator of study {taken}: a coordinator's role "
                                  "under that name would show them every reader's reads and the patients' names",
                                  where="reader", advice="give the coordinator a name of their own")
        return
    wanted, other, what = ((readers, adjudicators, "a reader") if kind is RoleKind.READER
                           else (adjudicators, readers, "the adjudicator"))
    if name in wanted:
        return
    if name in other:
        right = "adjudicator" if kind is RoleKind.READER else "reader"
        raise ValidationError(f"{name!r} is {'the adjudicator' if right == 'adjudicator' else 'a reader'} of study "
                              f"{other[name]}, not {what}", where="reader", advice=f"give --kind {right}")
    alike = [n for n in (*readers, *adjudicators) if id_form(n) == id_form(name)]
    raise ValidationError(f"{name!r} is not {what} of any study in this store"
                          + (f" (did you mean {alike[0]!r}?)" if alike else "")
                          + f": a {kind.value}'s role under it would open no case", where="reader", advice=advice)


def _role_of(name: str, bound: dict[str, str]) -> str:
    """The role ``name`` has in this store (kept across runs and naming schemes), else a new role name."""
    mine = sorted(role for role, reader in bound.items() if reader == name)
    if len(mine) > 1:
        raise ValidationError(f"reader {name!r} has several database roles here ({', '.join(mine)})",
                              where="db_role", advice="give --db-role to say which one to update")
    return mine[0] if mine else role_name_for(name)
