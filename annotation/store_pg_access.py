"""Blinded roles reach reader-keyed rows only through SECURITY DEFINER functions (migration 12, PostgreSQL).

Row-level security alone left a study store's reader and adjudicator roles three ways around the blinding,
all from holding privileges on the reader-keyed tables themselves:

* **EXPLAIN**: the planner runs a query's leakproof conditions (``diameter_mm < 20``) before the policy's,
  so ``EXPLAIN (ANALYZE, BUFFERS)`` told from the policy's cost whether a hidden row met them: a reader
  bisected another reader's (or their own closed session's) diameters and comments.
* **LOCK TABLE**: UPDATE on ``lesions`` let a reader lock it in ACCESS EXCLUSIVE mode and stall everyone.
* **Unique keys**: ``count_marks.mark_id`` was the whole key, so inserting a guessed id told whether a hidden
  mark had it.

So in a study store those roles get no privilege at all on a reader-keyed table (``grant_roles``; no table
privilege, no lock but through the functions, no EXPLAIN of the table), and per table ``T``:

* ``lesionlab_rows_T(pick)`` returns the rows of ``T`` the policy would show the caller, of the case ``pick``
  names (PL/pgSQL, never inlined: the caller's conditions run on its result, after the policy, and its plan is
  not the caller's to see; a reader role's call reads only rows of the reads the policy shows it, :func:`_own_rows`);
* ``lesionlab_write_T(op, data, pick)`` writes as the policies and triggers allow the caller: ``op`` is
  ``upsert`` or ``insert`` (``data``: a JSON array of whole rows), ``update`` (``pick``: the key columns or case
  that pick the rows, ``data``: one object of the new values) or ``delete`` (``pick``); a row the caller may not
  write is refused (SQLSTATE 42501, as row-level security) before it is written, so a unique violation can only
  be met on the caller's own rows; returns the rows written (JSON). What each kind may do per table is
  :data:`annotation.store_pg_security.BLINDED_WRITES`; the study's triggers (server times, washout) run on these
  writes with the caller as the role they check.

The caller is the session's role (``SET ROLE``'s, else the login's): inside a SECURITY DEFINER function
``current_user`` is the owner, so :data:`CALLER` reads ``current_setting('role')`` and ``session_user``, which
only membership changes. The functions run with ``search_path = pg_catalog, pg_temp`` and name every table
schema-qualified; EXECUTE is revoked from PUBLIC and granted to the blinded roles of ``store_roles``.

``count_marks`` is keyed by ``(patient_id, exam_pair_id, reader, mark_id)``: a reader's mark can no longer
collide with another reader's, and an upsert's conflict is always with a row of the same read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from annotation.store_pg_barrier import create_barrier
from annotation.store_pg_security import (BLINDED_WRITES, Spelling, _has_function as _has, create_session_function,
                                          protected_tables, reader_predicates)

if TYPE_CHECKING:
    from annotation.store_backend import Db

#: the role a statement runs for, also inside a SECURITY DEFINER function (where current_user is its owner)
CALLER = ("CASE pg_catalog.current_setting('role') WHEN 'none' THEN session_user::pg_catalog.text "
          "ELSE pg_catalog.current_setting('role') END")
_DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
#: the columns ``lesionlab_rows_T(pick)`` picks rows by: which case or study (never an id or a value a reader wrote)
PICKED = ("patient_id", "exam_pair_id", "study_id")
#: the columns of ``count_marks``' key from migration 12 on
COUNT_MARKS_KEY = ("patient_id", "exam_pair_id", "reader", "mark_id")


#: reader-keyed tables whose rows hold no read's findings: reading them is no look at a read. The edit log is a
#: look (its descriptions say "28.4 mm line deleted", "counted (5 lesions)"); the application reads its times,
#: reader and case only, through ``lesionlab_rows_edit_times`` (:data:`EDIT_TIMES`), which is none
NOT_LOOKS = ("read_looks",)
#: what ``lesionlab_rows_edit_times(pick)`` returns of the edit log rows ``lesionlab_rows_edits(pick)`` would:
#: no description (the application's reading times and washouts, :meth:`annotation.store.ReadingStore.edit_times`)
EDIT_TIMES = ("edit_seq", "at_utc", "reader", "patient_id", "exam_pair_id")


def _looks(db: "Db", table: str, columns: list[str]) -> bool:
    """Does a reader role's reading or writing of ``table``'s rows count as a look at its read (migration 13)?"""
    return (table not in NOT_LOOKS and {"patient_id", "exam_pair_id", "reader"} <= set(columns)
            and db.has_table("read_looks"))


def _look(s: str) -> str:
    """PL/pgSQL: the reads whose rows the call read or wrote (``lr``, ``lp``, ``le``) are looked at by a reader role."""
    return (f"IF my_kind = 'reader' THEN PERFORM {s}.lesionlab_look(my_reader, lr, lp, le); END IF;")


def _scope(s: str, session: bool) -> str:
    """PL/pgSQL: ``lr``, ``lp``, ``le`` := the finished reads of the calling reader (``my_reader``) that ``pick`` names
    (its patient, exam pair, study and read, whichever it gives; every one when it gives none) and the policy shows
    it: what a reader role's call reading or changing rows by ``pick`` looks at, whether the reads hold rows of the
    table or not. Listed from the table's rows (before review40b), a read without such rows was no look, and the
    answer told it: ``[]`` with no look, a read-only transaction refused only when there were rows, a wait for the
    reader's look lock only when there were rows (under ``lock_timeout``: an error instead of ``[]``), a delete of
    lesion L9 no look where L1 was one, each saying what the read holds ("no lesion") for nothing."""
    given = " AND ".join(f"(coalesce(pick, '{{}}') -> '{key}' IS NULL OR {column} = pick ->> '{key}')" for key, column in (
        ("patient_id", "c.patient_id"), ("exam_pair_id", "c.exam_pair_id"), ("study_id", "r.study_id"),
        ("reader", "r.reader || '@' || r.session")))
    shown = f"{s}.lesionlab_session_open_for(me, g.reader, g.patient_id)" if session else "true"
    return f"""SELECT pg_catalog.array_agg(g.reader), pg_catalog.array_agg(g.patient_id), pg_catalog.array_agg(g.exam_pair_id)
            INTO lr, lp, le
            FROM (SELECT DISTINCT r.reader || '@' || r.session AS reader, c.patient_id, c.exam_pair_id
                  FROM {s}.study_reads r JOIN {s}.study_cases c ON c.study_id = r.study_id AND c.code = r.code
                  WHERE r.reader = my_reader AND r.finished_at_utc IS NOT NULL AND {given}) g
            WHERE coalesce({shown}, false);"""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _spelling(s: str, me: str, reader: str, kind: str, row: str = "t.") -> Spelling:
    """The policy's terms inside the functions: the caller's role, reader name and kind given (variables or
    parameters), the role-taking session and case functions."""
    return Spelling(reader=reader, sees_all=f"{kind} IN ('adjudicator', 'coordinator')",
                    coordinates=f"{kind} = 'coordinator'",
                    session_open=f"{s}.lesionlab_session_open_for({me}, {{name}}, {{patient}})",
                    case_open=f"{s}.lesionlab_case_open_for({me}, {{name}}, {{patient}}, {{pair}})",
                    study_store=f"{s}.lesionlab_study_store()", row=row)


def _rights(table: str, kind: str, columns: list[str]) -> str:
    """What ``kind`` may do in ``table`` as a JSON object: insert, delete, the columns it may update."""
    text = BLINDED_WRITES.get(table, {}).get(kind, "INSERT, UPDATE, DELETE")
    update = re.search(r"UPDATE(?:\s*\(([^)]*)\))?", text)
    cols = [] if update is None else ([c.strip() for c in update.group(1).split(",")] if update.group(1) else columns)
    quoted = ", ".join(f'"{c}"' for c in cols)
    return _lit(f'{{"insert": {str("INSERT" in text).lower()}, "delete": {str("DELETE" in text).lower()}, '
                f'"update": [{quoted}]}}')


def create_access(db: "Db") -> None:
    """The caller function, the role-taking policy functions, the triggers checking the caller, and the
    functions of every reader-keyed table (idempotent: replaced when they exist)."""
    s = _ident(getattr(db, "schema"))
    db.execute(f"CREATE OR REPLACE FUNCTION {s}.lesionlab_caller() RETURNS pg_catalog.text LANGUAGE sql STABLE "
               f"BEGIN ATOMIC SELECT {CALLER}; END")
    create_session_function(db)
    create_barrier(db, who="lesionlab_caller()")
    for table in protected_tables(db):
        create_table_access(db, table)


def create_table_access(db: "Db", table: str) -> None:
    """``lesionlab_rows_T`` and ``lesionlab_write_T`` of one reader-keyed table (the module docstring)."""
    s = _ident(getattr(db, "schema"))
    t = f"{s}.{_ident(table)}"
    info = db.execute(
        "SELECT a.attname, a.attidentity <> '' FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = ? "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", (table,)).fetchall()
    columns = [str(r[0]) for r in info]
    written = [c for c, identity in info if not identity]  # an identity column (edits.edit_seq) is the server's
    key = [str(r[0]) for r in db.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n "
        "ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) "
        "WHERE n.nspname = current_schema() AND c.relname = ? AND i.indisprimary ORDER BY a.attnum", (table,))]
    session, barrier = _has(db, "lesionlab_session_open"), _has(db, "lesionlab_case_open")
    see, mine = reader_predicates(columns, session, barrier, _spelling(s, "me", "my_reader", "my_kind"))
    _, write = reader_predicates(columns, session, barrier, _spelling(s, "$2", "$3", "$4"))  # in EXECUTE's SQL
    _, changed = reader_predicates(columns, session, barrier, _spelling(s, "$2", "$3", "$4", "n."))
    cols = ", ".join(_ident(c) for c in written)
    rest = [c for c in written if c not in key]
    picks = [c for c in columns if c in key or c in PICKED]  # what an update or a delete picks rows by
    sets = ", ".join(f"{_ident(c)} = excluded.{_ident(c)}" for c in rest) or f"{_ident(key[0])} = excluded.{_ident(key[0])}"
    rights = (f"CASE my_kind WHEN 'reader' THEN {_rights(table, 'reader', columns)} "
              f"WHEN 'adjudicator' THEN {_rights(table, 'adjudicator', columns)} "
              f"WHEN 'coordinator' THEN {_rights(table, 'coordinator', columns)} ELSE "
              "'{\"insert\": false, \"delete\": false, \"update\": []}' END::pg_catalog.jsonb")
    head = (f"DECLARE me pg_catalog.text := {s}.lesionlab_caller(); "
            f"my_reader pg_catalog.text := (SELECT k.reader FROM {s}.store_roles k WHERE k.db_role = me); "
            f"my_kind pg_catalog.text := (SELECT k.kind FROM {s}.store_roles k WHERE k.db_role = me); ")
    by_name = "pg_catalog.split_part(reader, '@', 1)" + (", patient_id" if "patient_id" in columns else "")
    db.execute(f"CREATE INDEX IF NOT EXISTS {_ident(table + '_by_reader_name')} ON {t} ({by_name})")
    looks = _looks(db, table, columns)
    look = _look(s) if looks else ""
    keep = ("\n                lr := lr || (js ->> 'reader'); lp := lp || (js ->> 'patient_id'); "
            "le := le || (js ->> 'exam_pair_id');") if looks else ""
    # a reader role's write to a finished read is a look before anything is tried: a write that fails (a key that
    # exists, a row the check refuses, NOT NULL) told whether a row was there, and its error came before the look
    # (review39b: inserting lesion L1 into the finished read answered "already exists", no look recorded)
    reset = "lr := '{}'; lp := '{}'; le := '{}';"
    before_insert = (f"""
        IF my_kind = 'reader' THEN
            SELECT pg_catalog.array_agg(n.reader), pg_catalog.array_agg(n.patient_id), pg_catalog.array_agg(n.exam_pair_id)
                INTO lr, lp, le FROM pg_catalog.jsonb_populate_recordset(NULL::{t}, data) n;
            {look}
            {reset}
        END IF;""") if looks else ""
    before_change = (f"""
    IF my_kind = 'reader' THEN
        {_scope(s, session)}
        {look}
        {reset}
    END IF;""") if looks else ""
    db.execute(_rows_function(s, t, table, columns, session, barrier, head, looks))
    if table == "edits" and looks:
        db.execute(_rows_function(s, t, table, columns, session, barrier, head, False, times=True))
    refused = (f"RAISE EXCEPTION 'new row violates row-level security policy for table \"%\"', {_lit(table)} "
               "USING ERRCODE = 'insufficient_privilege'")
    denied = f"RAISE EXCEPTION 'permission denied for table %', {_lit(table)} USING ERRCODE = 'insufficient_privilege'"
    check = f"coalesce({write}, false)"
    writes = f"""
CREATE OR REPLACE FUNCTION {s}.{_ident('lesionlab_write_' + table)}(op pg_catalog.text, data pg_catalog.jsonb,
    pick pg_catalog.jsonb DEFAULT NULL) RETURNS SETOF pg_catalog.jsonb {_DEFINER} AS $f$
{head}
    may pg_catalog.jsonb := {rights};
    n pg_catalog.int8 := 0;
    ok boolean;
    js pg_catalog.jsonb;
    conds pg_catalog.text;
    own pg_catalog.text;
    shown_r pg_catalog.text[];
    shown_p pg_catalog.text[];
    lr pg_catalog.text[] := '{{}}';
    lp pg_catalog.text[] := '{{}}';
    le pg_catalog.text[] := '{{}}';
BEGIN
    IF my_kind IS NULL THEN
        {denied};
    END IF;
    IF op IN ('upsert', 'insert') THEN
        IF NOT (may -> 'insert')::boolean OR (op = 'upsert' AND pg_catalog.jsonb_array_length(may -> 'update') < {len(rest)}) THEN
            {denied};
        END IF;
        -- checked before anything is written: a unique violation is met on the caller's own rows only
        IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_populate_recordset(NULL::{t}, data) t
                   WHERE NOT coalesce({mine}, false)) THEN
            {refused};
        END IF;{before_insert}{_visible_mark_id(table, t, see)}
        IF op = 'upsert' THEN
            FOR ok, js IN EXECUTE 'INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM '
                    'pg_catalog.jsonb_populate_recordset(NULL::{t}, $1) ON CONFLICT ({", ".join(_ident(c) for c in key)}) '
                    'DO UPDATE SET {sets} WHERE {check.replace("'", "''")} RETURNING {check.replace("'", "''")}, pg_catalog.to_jsonb(t)'
                    USING data, me, my_reader, my_kind LOOP
                IF NOT ok THEN {refused}; END IF;
                n := n + 1;
                RETURN NEXT js;{keep}
            END LOOP;
            IF n <> pg_catalog.jsonb_array_length(data) THEN
                {refused};
            END IF;
        ELSE
            FOR ok, js IN EXECUTE 'INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM '
                    'pg_catalog.jsonb_populate_recordset(NULL::{t}, $1) RETURNING {check.replace("'", "''")}, pg_catalog.to_jsonb(t)'
                    USING data, me, my_reader, my_kind LOOP
                IF NOT ok THEN {refused}; END IF;
                RETURN NEXT js;{keep}
            END LOOP;
        END IF;
        {look}
        RETURN;
    END IF;
    IF pick IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(pick) c WHERE c <> ALL ({_lit('{' + ','.join(picks) + '}')}::pg_catalog.text[])) THEN
        RAISE EXCEPTION 'lesionlab_write_{table}: rows are picked by {", ".join(picks)} only' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    conds := (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I = ($1).%I', c, c), ' AND ')
              FROM pg_catalog.jsonb_object_keys(pick) c);
    -- a reader's own rows of the reads it may see only, the policy's work whatever the pick (_own_rows)
    own := 'true';{_own_rows(s, t, columns, session, barrier)}
    END IF;
    conds := pg_catalog.concat_ws(' AND ', conds, own);{before_change}
    IF op = 'delete' THEN
        IF NOT (may -> 'delete')::boolean THEN
            {denied};
        END IF;
        FOR js IN EXECUTE pg_catalog.format('DELETE FROM {t} t WHERE %s AND {check.replace("'", "''")} '
                                            'RETURNING pg_catalog.to_jsonb(t)', coalesce(conds, 'true'))
                USING pg_catalog.jsonb_populate_record(NULL::{t}, pick), me, my_reader, my_kind LOOP
            RETURN NEXT js;{keep}
        END LOOP;
    ELSIF op = 'update' THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(data) c
                   WHERE NOT (may -> 'update') ? c OR NOT c = ANY ({_lit('{' + ','.join(columns) + '}')}::pg_catalog.text[])) THEN
            {denied};
        END IF;
        -- the rows as they would be, checked before anything is written (as row-level security's WITH CHECK): an
        -- update into a hidden row's key fails here, not on the unique index
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM {t} t, pg_catalog.jsonb_populate_record(t, $5) n '
                                  'WHERE %s AND {check.replace("'", "''")} AND NOT coalesce({changed.replace("'", "''")}, false))',
                                  coalesce(conds, 'true'))
            INTO ok USING pg_catalog.jsonb_populate_record(NULL::{t}, pick), me, my_reader, my_kind, data;
        IF ok THEN
            {refused};
        END IF;
        FOR ok, js IN EXECUTE pg_catalog.format('UPDATE {t} t SET %s WHERE %s AND {check.replace("'", "''")} '
                                               'RETURNING {check.replace("'", "''")}, pg_catalog.to_jsonb(t)',
                (SELECT pg_catalog.string_agg(pg_catalog.format('%I = ($5).%I', c, c), ', ')
                 FROM pg_catalog.jsonb_object_keys(data) c), coalesce(conds, 'true'))
                USING pg_catalog.jsonb_populate_record(NULL::{t}, pick), me, my_reader, my_kind,
                      pg_catalog.jsonb_populate_record(NULL::{t}, data) LOOP
            IF NOT ok THEN {refused}; END IF;
            RETURN NEXT js;{keep}
        END LOOP;
    ELSE
        RAISE EXCEPTION 'lesionlab_write_{table}: no operation %', op USING ERRCODE = 'invalid_parameter_value';
    END IF;
    {look}
END $f$"""
    db.execute(writes)
    for function in access_functions(table, db):
        db.execute(f"REVOKE ALL ON FUNCTION {s}.{function} FROM PUBLIC")


def _rows_function(s: str, t: str, table: str, columns: list[str], session: bool, barrier: bool, head: str,
                   looks: bool = False, *, times: bool = False) -> str:
    """``lesionlab_rows_T(pick)``: the rows of ``T`` the select policy shows the caller, of the case or study
    ``pick`` names (:data:`PICKED` only, never an id or a value); see :func:`_own_rows` for a reader role.
    ``looks``: a reader role's call is a look at the finished reads of its own that ``pick`` names (:func:`_scope`,
    whether they hold rows or not; ``lesionlab_look``, recorded before the rows are returned; the function is then
    VOLATILE, as it writes). ``times``: ``lesionlab_rows_edit_times``
    instead, the :data:`EDIT_TIMES` columns of the edit log's rows (no look)."""
    name, returns, select = f"lesionlab_rows_{table}", f"SETOF {t}", "t.*"
    if times:
        name = "lesionlab_rows_edit_times"
        returns = ("TABLE (edit_seq pg_catalog.int8, at_utc pg_catalog.text, reader pg_catalog.text, "
                   "patient_id pg_catalog.text, exam_pair_id pg_catalog.text)")
        select = "t.edit_seq::pg_catalog.int8, t.at_utc::pg_catalog.text, t.reader::pg_catalog.text, " \
                 "t.patient_id::pg_catalog.text, t.exam_pair_id::pg_catalog.text"
    look = "" if not looks else f"""
    IF my_kind = 'reader' THEN
        {_scope(s, session)}
        -- waited for another session of the reader (a look, an opening of a case): the reads listed above may be
        -- closed now (the next session's case of the patient opened), so they are listed again (READ COMMITTED: a
        -- fresh snapshot; an older one is refused by lesionlab_look). Before, such a call returned the finished read
        -- of a patient whose next-session case had opened while it waited
        IF {s}.lesionlab_look(my_reader, lr, lp, le) THEN{_own_rows(s, t, columns, session, barrier)}
            END IF;
        END IF;
    END IF;"""
    see, _ = reader_predicates(columns, session, barrier, _spelling(s, "$2", "$3", "$4"))
    picked = _lit("{" + ",".join(c for c in PICKED if c in columns) + "}")
    return f"""
CREATE OR REPLACE FUNCTION {s}.{_ident(name)}(pick pg_catalog.jsonb DEFAULT NULL) RETURNS {returns}
    {"VOLATILE" if looks else "STABLE"} {_DEFINER} AS $f$
#variable_conflict use_column
{head}
    shown_r pg_catalog.text[];
    shown_p pg_catalog.text[];
    lr pg_catalog.text[];
    lp pg_catalog.text[];
    le pg_catalog.text[];
    own pg_catalog.text := {_lit('coalesce(' + see + ', false)')};
    conds pg_catalog.text := (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I = ($1).%I', c, c), ' AND ')
                              FROM pg_catalog.jsonb_object_keys(coalesce(pick, '{{}}')) c);
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(coalesce(pick, '{{}}')) c WHERE c <> ALL ({picked}::pg_catalog.text[])) THEN
        RAISE EXCEPTION 'lesionlab_rows_{table}: rows are picked by {", ".join(c for c in PICKED if c in columns) or "nothing"} only'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;{_own_rows(s, t, columns, session, barrier)}
    ELSIF my_kind IS DISTINCT FROM 'adjudicator' AND my_kind IS DISTINCT FROM 'coordinator' THEN
        conds := NULL;  -- the policy first, the pick after it (the caller's WHERE applies it anyway)
    END IF;{look}
    RETURN QUERY EXECUTE pg_catalog.format('SELECT {select} FROM {t} t WHERE %s AND %s', own, coalesce(conds, 'true'))
        USING pg_catalog.jsonb_populate_record(NULL::{t}, pick), me, my_reader, my_kind;
END $f$"""


def _own_rows(s: str, t: str, columns: list[str], session: bool, barrier: bool) -> str:
    """PL/pgSQL opening ``IF`` a reader role (the variables ``own``, ``shown_r``, ``shown_p`` declared): its rows
    are looked up by its name (an index on the name before '@'), so a call reads none of another reader's rows;
    where the table has a patient, the reads of a patient the policy shows are listed first from all of the
    reader's rows, whatever the pick (the policy once per reader and patient), and the rows are then read from
    those reads only: neither the policy's work nor what the pick reads depends on a hidden read's rows."""
    name = "pg_catalog.split_part(t.reader, ''@'', 1) = $3"
    if "patient_id" not in columns:
        see, _ = reader_predicates(columns, session, barrier, _spelling(s, "$2", "$3", "$4"))
        return f"""
    IF my_kind = 'reader' AND pg_catalog.strpos(my_reader, '@') = 0 THEN
        own := '{name} AND coalesce({see.replace("'", "''")}, false)';"""
    by_read, _ = reader_predicates(columns, session, barrier, _spelling(s, "me", "my_reader", "my_kind", "g."))
    return f"""
    IF my_kind = 'reader' AND pg_catalog.strpos(my_reader, '@') = 0 THEN
        SELECT coalesce(pg_catalog.array_agg(g.reader), '{{}}'), coalesce(pg_catalog.array_agg(g.patient_id), '{{}}')
            INTO shown_r, shown_p
            FROM (SELECT DISTINCT t.reader, t.patient_id FROM {t} t
                  WHERE pg_catalog.split_part(t.reader, '@', 1) = my_reader) g
            WHERE coalesce({by_read}, false);
        own := pg_catalog.format('{name} AND (t.reader, t.patient_id) IN (SELECT * FROM '
                                 'ROWS FROM (pg_catalog.unnest(%L::pg_catalog.text[]), pg_catalog.unnest(%L::pg_catalog.text[])))', shown_r, shown_p);"""


def _visible_mark_id(table: str, t: str, see: str) -> str:
    """count_marks: a mark id the caller sees in another read is refused (an adjudicator cannot forge a mark
    that the coordinator's project, keyed by mark id, would take for that read's); one it cannot see is not
    looked at (that would tell it exists)."""
    if table != "count_marks":
        return ""
    return f"""
        IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_populate_recordset(NULL::{t}, data) n JOIN {t} t
                   ON t.mark_id = n.mark_id AND (t.patient_id <> n.patient_id OR t.exam_pair_id <> n.exam_pair_id
                                                 OR t.reader <> n.reader)
                   WHERE coalesce({see}, false)) THEN
            RAISE EXCEPTION 'a count mark of another read has this mark id' USING ERRCODE = 'unique_violation';
        END IF;"""


def access_functions(table: str, db: "Db | None" = None) -> tuple[str, ...]:
    """The signatures of a reader-keyed table's access functions (unqualified); with ``db``, the edit log's
    ``lesionlab_rows_edit_times`` too where it exists (migration 13)."""
    times = (("lesionlab_rows_edit_times(pg_catalog.jsonb)",)
             if table == "edits" and db is not None and _has(db, "lesionlab_rows_edit_times") else ())
    return (f"{_ident('lesionlab_rows_' + table)}(pg_catalog.jsonb)",
            f"{_ident('lesionlab_write_' + table)}(pg_catalog.text, pg_catalog.jsonb, pg_catalog.jsonb)", *times)


def has_access_functions(db: "Db") -> bool:
    """True once migration 12 made the functions (blinded roles then get no privilege on reader-keyed tables)."""
    return _has(db, "lesionlab_caller")


def rekey_count_marks(db: "Db") -> None:
    """``count_marks``' primary key becomes (patient_id, exam_pair_id, reader, mark_id)."""
    name = db.execute("SELECT conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n "
                      "ON n.oid = t.relnamespace WHERE n.nspname = current_schema() AND t.relname = 'count_marks' "
                      "AND c.contype = 'p'").fetchone()
    if name is not None:
        db.execute(f"ALTER TABLE count_marks DROP CONSTRAINT {_ident(str(name[0]))}")
    db.execute(f"ALTER TABLE count_marks ADD PRIMARY KEY ({', '.join(COUNT_MARKS_KEY)})")
    db.execute("CREATE INDEX IF NOT EXISTS count_marks_by_id ON count_marks (mark_id)")  # a mark replaced by its id


