"""Blinding in the database: reader roles and row-level security on PostgreSQL stores.

Each reader connects as their own database role, bound to their reader name by a row of
``store_roles (db_role, reader, kind)``. Kinds:

* ``reader``: sees and writes only the rows of reader-keyed tables whose ``reader`` is theirs
  (lesions, observations, count marks, series flags, the edit log, and every table a later
  migration declares with ``db.reader_keyed(table)``); reads the shared tables (patients, exam
  pairs) and may add or change rows there, not delete them.
* ``adjudicator``: sees every reader's rows (to find disagreements), writes only their own.
* ``coordinator``: sees and writes everything.

The role that created the store owns its tables and bypasses row-level security (PostgreSQL's
rule); it runs the migrations and :func:`add_reader`. The policy functions read ``store_roles``
schema-qualified, so a reader cannot shadow it with a temporary table (and the planner inlines
them); ``store_roles`` itself shows each role only its own row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from viewer.errors import StoreError, ValidationError

if TYPE_CHECKING:
    from annotation.store_backend import Db

#: tables never granted beyond SELECT (the migration machinery's and the role map)
_SYSTEM_TABLES = ("schema_migrations", "store_roles")
#: tables only a coordinator writes: a reader study's design (readers read it, never change it)
COORDINATOR_TABLES = ("studies", "study_cases", "study_order")


class RoleKind(str, Enum):
    READER = "reader"
    ADJUDICATOR = "adjudicator"
    COORDINATOR = "coordinator"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_role_functions(db: "Db") -> None:
    """The functions the policies call (a migration runs this before protecting tables)."""
    schema = _ident(getattr(db, "schema"))
    # store_roles schema-qualified (a temporary table cannot stand in for it) and no SET clause,
    # so that the planner inlines the functions: evaluated once per query, not once per row
    body = f"FROM {schema}.store_roles WHERE db_role = current_user"
    settings = "LANGUAGE sql STABLE"
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_reader() RETURNS text {settings} "
               f"AS $$ SELECT reader {body} $$")
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_sees_all() RETURNS boolean {settings} "
               f"AS $$ SELECT coalesce((SELECT kind IN ('adjudicator', 'coordinator') {body}), false) $$")
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_coordinates() RETURNS boolean {settings} "
               f"AS $$ SELECT coalesce((SELECT kind = 'coordinator' {body}), false) $$")
    db.execute("ALTER TABLE store_roles ENABLE ROW LEVEL SECURITY")
    db.execute("CREATE POLICY lesionlab_own_role ON store_roles FOR SELECT USING (db_role = current_user)")


def protect_reader_table(db: "Db", table: str) -> None:
    """Row-level security on a table with a ``reader`` column (see the module docstring)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise StoreError(f"{table!r} is not a plain table name", where="migration")
    # a reader's rows: their own name, or a study session read of theirs (READER@SESSION)
    own = "(reader = lesionlab_reader() OR starts_with(reader, lesionlab_reader() || '@'))"
    db.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    db.execute(f"DROP POLICY IF EXISTS lesionlab_see ON {table}")  # declared again by a later migration
    db.execute(f"DROP POLICY IF EXISTS lesionlab_write ON {table}")
    db.execute(f"CREATE POLICY lesionlab_see ON {table} FOR SELECT USING ({own} OR lesionlab_sees_all())")
    db.execute(f"CREATE POLICY lesionlab_write ON {table} FOR ALL USING ({own} OR lesionlab_coordinates()) "
               f"WITH CHECK ({own} OR lesionlab_coordinates())")


def _may_grant(db: "Db") -> bool:
    row = db.execute("SELECT tableowner = current_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                     "FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'").fetchone()
    return bool(row and row[0])


def grant_roles(db: "Db") -> None:
    """Give every role of ``store_roles`` the privileges of its kind on every table (the owner runs
    this after migrations, so tables added later are covered)."""
    if not db.has_table("store_roles") or not _may_grant(db):
        return
    schema = _ident(getattr(db, "schema"))
    protected = {r[0] for r in db.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity")}
    tables = [t for t in db.tables() if t not in _SYSTEM_TABLES]
    for db_role, kind in db.execute("SELECT db_role, kind FROM store_roles ORDER BY db_role").fetchall():
        role = _ident(db_role)
        db.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
        db.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
        for table in tables:
            if table in COORDINATOR_TABLES and kind != RoleKind.COORDINATOR.value:
                continue
            rights = ("INSERT, UPDATE, DELETE" if kind == RoleKind.COORDINATOR.value or table in protected
                      else "INSERT, UPDATE")
            db.execute(f"GRANT {rights} ON {table} TO {role}")


@dataclass(frozen=True)
class ReaderRole:
    db_role: str
    reader: str
    kind: RoleKind
    created: bool


def role_name_for(reader: str) -> str:
    """A database role name from a reader name: lower case, letters, digits and underscores."""
    slug = re.sub(r"[^a-z0-9_]+", "_", reader.strip().lower()).strip("_")
    if not slug:
        raise ValidationError(f"cannot make a database role name from {reader!r}", where="reader",
                              advice="give --db-role")
    return slug if slug[0].isalpha() else f"r_{slug}"


def add_reader(db: "Db", reader: str, *, kind: RoleKind | str = RoleKind.READER, db_role: str | None = None,
               password: str | None = None) -> ReaderRole:
    """Create (or update) a login role bound to ``reader`` and grant it its kind's rights.

    Runs as the store's owner (or a superuser) with the right to create roles. ``password`` sets
    the role's password (the reader keeps it in ~/.pgpass); without one, the role logs in however
    pg_hba.conf allows (certificate, peer, ...) or an administrator sets it later.
    """
    from psycopg import sql

    kind = RoleKind(kind)
    if not reader.strip():
        raise ValidationError("a reader needs a name", where="reader")
    role = db_role or role_name_for(reader)
    if len(role.encode()) > 63:
        raise ValidationError(f"role name {role!r} is longer than PostgreSQL's 63 bytes", where="db_role")
    if not _may_grant(db):
        raise StoreError("only the store's owner (the role that created it) or a superuser can add readers",
                         where=db.where, advice="connect as the store's owner")
    con = getattr(db, "con")
    exists = con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None
    with con.transaction():
        if not exists:
            con.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        if password is not None:
            con.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        con.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(con.info.dbname), sql.Identifier(role)))
        db.execute("INSERT INTO store_roles (db_role, reader, kind) VALUES (?, ?, ?) ON CONFLICT (db_role) "
                   "DO UPDATE SET reader = excluded.reader, kind = excluded.kind", (role, reader.strip(), kind.value))
        grant_roles(db)
    return ReaderRole(role, reader.strip(), kind, created=not exists)
