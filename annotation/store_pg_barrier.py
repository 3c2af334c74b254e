"""The session barrier and the study's clock kept by the database (PostgreSQL study stores, migration 11).

Migration 10 closed a reader's earlier session read of a patient once ``study_reads`` said they had
opened that patient in a later session; but only an honest client added that row, and only it
checked the washout. A reader role with psql could write ``R1@CT`` rows of a patient beside its
visible ``R1@MRI`` read, with no ``study_reads`` row and no washout. Now the server decides:

* **writes** of a ``READER@SESSION`` row of a reader-keyed table need a ``study_reads`` row of that
  reader, session and case (the case of the row's patient and exam pair), not finished unless the
  study lets readers go back (``lesionlab_case_open``, in the write policy of
  :func:`annotation.store_pg_security.protect_reader_table`); rows under the plain reader name are
  not the reader's to write in a study store (they would carry a read across sessions).
* **opening a case** (a ``study_reads`` row a reader role adds) needs the case in the reader's order
  of a session the study has, and, after the first session, every case of the same patient
  finished in the session before and ``washout_days`` passed on the server's clock since the later
  of those finishings, the last edit there and (migration 13) the reader's last look at those finished
  reads (:func:`create_looks`) (:data:`STUDY_READS_GUARD`; the same rule as
  :meth:`annotation.study_store.Study.washout_ends`).
* **times** a reader or adjudicator role writes are the server's: ``study_reads.opened_at_utc`` when
  the row is added, ``finished_at_utc`` when it is first set (it never goes back to NULL unless the
  study lets readers go back), ``edits.at_utc`` of every edit, all in the ISO text the code writes
  (``2026-03-01T09:30:00.123+00:00``). A reader can neither forge a washout nor write a time the
  coordinator's ``study status`` cannot read. Owner and coordinator roles keep setting them (they
  may correct a record; the code reads a bad time without failing).

Trigger functions are PL/pgSQL with ``SET search_path = pg_catalog, pg_temp`` and schema-qualified
tables; the functions the policies call have SQL-standard bodies bound at creation.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from annotation.store_backend import Db

#: the ISO text of the server's clock, as :func:`annotation.study_store._iso` writes times
SERVER_NOW = ("pg_catalog.to_char(pg_catalog.clock_timestamp() AT TIME ZONE 'UTC', "
              "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"')")
_GUARD_SETTINGS = "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _case_open_body(s: str, who: str) -> str:
    return ("SELECT "
            f"NOT EXISTS (SELECT 1 FROM {s}.store_roles k WHERE k.db_role = {who} AND k.kind = 'reader') "
            f"OR EXISTS (SELECT 1 FROM {s}.store_roles k JOIN {s}.study_reads r ON r.reader = k.reader "
            f"JOIN {s}.study_cases c ON c.study_id = r.study_id AND c.code = r.code "
            f"JOIN {s}.studies t ON t.study_id = r.study_id "
            f"WHERE k.db_role = {who} AND name = k.reader || '@' || r.session AND c.patient_id = patient "
            "AND (pair IS NULL OR c.exam_pair_id = pair) AND (r.finished_at_utc IS NULL OR coalesce("
            "pg_catalog.jsonb_extract_path_text(t.definition::pg_catalog.jsonb, 'may_go_back'), 'true') = 'true'))")


def create_barrier(db: "Db", *, who: str = "current_user") -> None:
    """The functions and triggers above (idempotent: replaced when they exist). ``who``: the role the triggers
    check (migration 12: ``lesionlab_caller()``, the caller of an access function too)."""
    s = _ident(getattr(db, "schema"))
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_study_store() RETURNS pg_catalog.bool LANGUAGE sql STABLE "
               f"BEGIN ATOMIC SELECT EXISTS (SELECT 1 FROM {s}.studies); END")
    # may the connected role (``_for``: role ``who``) write rows of session read ``name`` of the patient's case on
    # ``pair`` (NULL: any pair of the patient)? Roles other than reader always (the policies say whose rows); a
    # reader while the case is open to them in that session
    args = "name pg_catalog.text, patient pg_catalog.text, pair pg_catalog.text"
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_case_open({args}) RETURNS pg_catalog.bool LANGUAGE sql STABLE "
               f"BEGIN ATOMIC {_case_open_body(s, 'current_user')}; END")
    db.execute(f"CREATE OR REPLACE FUNCTION lesionlab_case_open_for(who pg_catalog.text, {args}) RETURNS pg_catalog.bool "
               f"LANGUAGE sql STABLE BEGIN ATOMIC {_case_open_body(s, 'who')}; END")
    db.execute(f"CREATE OR REPLACE FUNCTION {s}.lesionlab_utc(t pg_catalog.text) RETURNS pg_catalog.timestamptz "
               f"{_GUARD_SETTINGS} STABLE AS $$ BEGIN RETURN t::timestamptz; "
               "EXCEPTION WHEN others THEN RETURN NULL; END $$")
    caller = who if who == "current_user" else f"{s}.{who}"
    looks = unfinish = settled = ""
    if db.has_table("read_looks"):
        create_looks(db)
        looks, unfinish, settled = LOOKS_IN_WASHOUT, LOOK_ON_GOING_BACK, LOOKS_SETTLED
    db.execute(STUDY_READS_GUARD.replace("{looks}", looks).replace("{unfinish}", unfinish).replace("{settled}", settled)
               .replace("{s}", s).replace("{who}", caller))
    db.execute(EDITS_STAMP.replace("{s}", s).replace("{who}", caller))
    for table, function in (("study_reads", "lesionlab_study_reads_guard"), ("edits", "lesionlab_edits_stamp")):
        db.execute(f"DROP TRIGGER IF EXISTS {function} ON {table}")
        db.execute(f"CREATE TRIGGER {function} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION {s}.{function}()")


#: ``study_reads`` as a reader or adjudicator role writes it: the server's times, finishing once, the washout
STUDY_READS_GUARD = f"""
CREATE OR REPLACE FUNCTION {{s}}.lesionlab_study_reads_guard() RETURNS trigger {_GUARD_SETTINGS} AS $$
DECLARE
    my_kind text := (SELECT k.kind FROM {{s}}.store_roles k WHERE k.db_role = {{who}});
    stamp text := {SERVER_NOW};
    defn jsonb := (SELECT t.definition::jsonb FROM {{s}}.studies t WHERE t.study_id = NEW.study_id);
    go_back boolean := coalesce(defn ->> 'may_go_back', 'true') = 'true';
    nth bigint;
    prev_session text;
    wash_days integer;
    patient text;
    missing text;
    last_at timestamptz;
BEGIN
    IF my_kind IS NULL OR my_kind = 'coordinator' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.opened_at_utc := OLD.opened_at_utc;
        IF NEW.finished_at_utc IS NULL THEN
            IF OLD.finished_at_utc IS NOT NULL AND NOT go_back THEN
                RAISE EXCEPTION 'case % of session % is finished and study % does not let readers go back',
                    OLD.code, OLD.session, OLD.study_id USING ERRCODE = 'check_violation';
            END IF;
{{unfinish}}        ELSIF OLD.finished_at_utc IS NULL OR go_back THEN
            NEW.finished_at_utc := stamp;
        ELSE
            NEW.finished_at_utc := OLD.finished_at_utc;
        END IF;
        RETURN NEW;
    END IF;
    NEW.opened_at_utc := stamp;
    NEW.finished_at_utc := NULL;
    IF my_kind <> 'reader' THEN
        RETURN NEW;
    END IF;
    nth := {{s}}.lesionlab_session_rank(defn::text, NEW.session);
    IF nth IS NULL THEN
        RAISE EXCEPTION 'study % has no session %', NEW.study_id, NEW.session USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM {{s}}.study_order o WHERE o.study_id = NEW.study_id AND o.reader = NEW.reader
                   AND o.session = NEW.session AND o.code = NEW.code) THEN
        RAISE EXCEPTION 'case % is not in the reading order of % in session %', NEW.code, NEW.reader, NEW.session
            USING ERRCODE = 'check_violation';
    END IF;
    IF nth = 1 THEN
        RETURN NEW;
    END IF;
    prev_session := defn -> 'sessions' -> (nth - 2)::integer ->> 'name';
    wash_days := coalesce((defn -> 'sessions' -> (nth - 1)::integer ->> 'washout_days')::integer, 0);
    patient := (SELECT c.patient_id FROM {{s}}.study_cases c WHERE c.study_id = NEW.study_id AND c.code = NEW.code);
    missing := (SELECT min(c.code) FROM {{s}}.study_cases c WHERE c.study_id = NEW.study_id AND c.patient_id = patient
                AND NOT EXISTS (SELECT 1 FROM {{s}}.study_reads r WHERE r.study_id = c.study_id AND r.reader = NEW.reader
                                AND r.session = prev_session AND r.code = c.code AND r.finished_at_utc IS NOT NULL));
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'case % of session % opens after % finishes case % of session % (the same patient) and the washout',
            NEW.code, NEW.session, NEW.reader, missing, prev_session USING ERRCODE = 'check_violation';
    END IF;
{{settled}}    last_at := (SELECT max(x.t) FROM (
        SELECT {{s}}.lesionlab_utc(r.finished_at_utc) AS t FROM {{s}}.study_reads r JOIN {{s}}.study_cases c
            ON c.study_id = r.study_id AND c.code = r.code
            WHERE r.study_id = NEW.study_id AND r.reader = NEW.reader AND r.session = prev_session AND c.patient_id = patient
        UNION ALL
        SELECT {{s}}.lesionlab_utc(e.at_utc) FROM {{s}}.edits e JOIN {{s}}.study_cases c
            ON c.patient_id = e.patient_id AND c.exam_pair_id = e.exam_pair_id
            WHERE c.study_id = NEW.study_id AND c.patient_id = patient AND e.reader = NEW.reader || '@' || prev_session
        {{looks}}) x);
    IF last_at IS NOT NULL AND clock_timestamp() < last_at + make_interval(days => wash_days) THEN
        RAISE EXCEPTION 'case % of session % opens on % UTC, % days after the read of the same patient in session % '
                        '(washout), counted from the later of its finishing and the last look at or edit of it',
            NEW.code, NEW.session, to_char((last_at + make_interval(days => wash_days)) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
            wash_days, prev_session USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$"""

#: the edit log's time of a reader's or adjudicator's edit is the server's
EDITS_STAMP = f"""
CREATE OR REPLACE FUNCTION {{s}}.lesionlab_edits_stamp() RETURNS trigger {_GUARD_SETTINGS} AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM {{s}}.store_roles k WHERE k.db_role = {{who}} AND k.kind IN ('reader', 'adjudicator')) THEN
        NEW.at_utc := {SERVER_NOW};
    END IF;
    RETURN NEW;
END $$"""


#: the washout's look terms (inside the guard's ``last_at``): the reader's last look at or write of its read of the
#: patient in the session before (``read_looks``), a look of unknown case (``patient_id`` '', recorded before migration
#: 14 for a look rolled back), and the time of the reader's look sequence of the patient (:func:`create_looks`), which
#: holds every look at the patient, committed, under way in another session or rolled back
LOOKS_IN_WASHOUT = """
        UNION ALL
        SELECT {s}.lesionlab_utc(l.at_utc) FROM {s}.read_looks l JOIN {s}.study_cases c
            ON c.patient_id = l.patient_id AND c.exam_pair_id = l.exam_pair_id
            WHERE c.study_id = NEW.study_id AND c.patient_id = patient AND l.reader = NEW.reader || '@' || prev_session
        UNION ALL
        SELECT {s}.lesionlab_utc(l.at_utc) FROM {s}.read_looks l WHERE l.reader = NEW.reader AND l.patient_id = ''
        UNION ALL
        SELECT {s}.lesionlab_look_time(NEW.reader, patient)"""

#: before the washout is counted, the reader's looks under way end (:func:`create_looks`' lock), in a statement of its
#: own: a look in another session's open transaction (psql: BEGIN; look at the MRI read of P) had not been seen by the
#: guard's statement, which began before it committed, and once it did, the sequence no longer counted it as pending:
#: the CT case of P opened the moment the look committed (session 40)
LOOKS_SETTLED = """    PERFORM {s}.lesionlab_look_lock(NEW.reader, false);
"""

#: going back to a finished read (its ``finished_at_utc`` set to NULL by a reader role) is a look at it, recorded
#: while the row is still finished (a BEFORE trigger): else a reader's ``BEGIN``, going back, reading the rows (now
#: of an open case: no look) and ``ROLLBACK`` read its finished read and left no trace (review39b)
LOOK_ON_GOING_BACK = """            IF OLD.finished_at_utc IS NOT NULL AND my_kind = 'reader' THEN
                PERFORM {s}.lesionlab_look(OLD.reader, ARRAY[OLD.reader || '@' || OLD.session], ARRAY[c.patient_id],
                                           ARRAY[c.exam_pair_id])
                    FROM {s}.study_cases c WHERE c.study_id = OLD.study_id AND c.code = OLD.code;
            END IF;
"""

#: a time as the ISO text the code writes
_ISO = "pg_catalog.to_char({t} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"')"
#: the owner-only table holding the store's secret part of the look sequences' names (:func:`create_look_sequences`)
LOOK_KEY = "lesionlab_look_key"
#: the name of a reader's look sequence of a patient, in SQL (:func:`look_sequence`), ``{key}`` the store's secret
_SEQUENCE_NAME = ("'lesionlab_looks_p_' || pg_catalog.left(pg_catalog.md5({key} || ':' || "
                  "pg_catalog.length({who})::pg_catalog.text || ':' || {who} || {patient}), 16)")


def look_sequence(reader: str, patient: str, key: str) -> str:
    """The sequence holding the time (ms since 1970) of ``reader``'s last look at a finished read of theirs of
    ``patient`` (migration 14; one per reader before it, which could not say which patient a look it alone held was
    of). The reader's name is length-prefixed, so no two (reader, patient) share the digest's input; ``key`` is the
    store's secret (:data:`LOOK_KEY`), which no blinded role may read: a reader sees every sequence's name (pg_class)
    and which of them another session is writing (``pg_locks``: a look under way), and with names derived from the
    reader and patient alone (both readable to it in ``store_roles`` and ``study_cases``) reader R2 read off which
    patient R1 was looking at, when (review40b)."""
    return "lesionlab_looks_p_" + hashlib.md5(f"{key}:{len(reader)}:{reader}{patient}".encode()).hexdigest()[:16]


def create_look_sequences(db: "Db") -> None:
    """One look sequence per reader of a ``reader`` role and patient of a study (the owner, when it grants;
    idempotent). Made beforehand in a committed transaction: ``setval`` is never rolled back, so a look a reader's
    ROLLBACK took out of ``read_looks`` is still known, and known to be of that patient (:func:`create_looks`). Only
    the missing ones are made, in one statement (a study of 300 patients and 10 readers holds 3,000)."""
    if not db.has_table("read_looks"):
        return
    schema = "'" + str(getattr(db, "schema")).replace("'", "''") + "'"
    # the names' secret, made once (a random UUID); readable by the owner and a coordinator only (grant_roles)
    db.execute(f"CREATE TABLE IF NOT EXISTS {LOOK_KEY} (key TEXT NOT NULL)")
    db.execute(f"INSERT INTO {LOOK_KEY} (key) SELECT pg_catalog.gen_random_uuid()::text "
               f"WHERE NOT EXISTS (SELECT 1 FROM {LOOK_KEY})")
    name = _SEQUENCE_NAME.format(key=f"(SELECT x.key FROM {LOOK_KEY} x)", who="k.reader", patient="c.patient_id")
    db.execute(f"""
DO $$
DECLARE
    n pg_catalog.text;
BEGIN
    FOR n IN SELECT DISTINCT {name} FROM store_roles k CROSS JOIN study_cases c WHERE k.kind = 'reader' LOOP
        IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', {schema}, n)) IS NULL THEN
            EXECUTE pg_catalog.format('CREATE SEQUENCE %I.%I MINVALUE 0 START 0', {schema}, n);
        END IF;
    END LOOP;
END $$""")


def looks_per_patient(db: "Db") -> None:
    """Migration 14: a reader's look sequence (one per reader before) gives way to one per reader and patient. A time
    the old one held that ``read_looks`` lacks (a look rolled back, of no known patient) is written down as the look of
    unknown case it counted as (patient ''), then the old sequence goes."""
    if not db.has_table("read_looks"):
        return
    create_look_sequences(db)
    iso = _ISO.format(t="('epoch'::timestamptz + last_ms * interval '1 millisecond')")
    for (reader,) in db.execute("SELECT DISTINCT reader FROM store_roles WHERE kind = 'reader' ORDER BY 1").fetchall():
        seq = "lesionlab_looks_" + hashlib.md5(str(reader).encode()).hexdigest()[:16]
        if db.execute("SELECT to_regclass(?)", (seq,)).fetchone()[0] is None:
            continue
        db.execute(f"""
INSERT INTO read_looks AS l (patient_id, exam_pair_id, reader, at_utc)
    SELECT '', '', ?, {iso} FROM (SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS last_ms FROM {_ident(seq)}) s
    WHERE last_ms > (SELECT coalesce(max((extract(epoch FROM lesionlab_utc(x.at_utc)) * 1000)::int8), 0)
                     FROM read_looks x WHERE split_part(x.reader, '@', 1) = ?)
    ON CONFLICT (patient_id, exam_pair_id, reader) DO UPDATE SET at_utc = excluded.at_utc""", (reader, reader))
        db.execute(f"DROP SEQUENCE {_ident(seq)}")
    db.execute("DROP FUNCTION IF EXISTS lesionlab_looks_pending(pg_catalog.text)")


def create_looks(db: "Db") -> None:
    """``lesionlab_look(who, names, patients, pairs)``: the access functions of a reader's lesion, measurement and
    count rows call it with the reads (``R@S``, patient, exam pair) a ``reader`` role's call names (its pick, or the
    rows it writes; not the rows found, review40b: ``store_pg_access._scope``); for each of them that is finished (``study_reads``) it records the server's time in ``read_looks``, the
    washout of the patient's next session then counting from it (:data:`STUDY_READS_GUARD`). The record is
    transactional, so the time also goes to the reader's look sequence of that patient (``setval``, never rolled
    back), after the reader's looks are serialised (``lesionlab_look_lock``: a row lock on its ``store_roles`` rows):
    ``lesionlab_look_time(who, patient)`` is then the reader's last look at the patient whether its transaction
    committed, is under way or rolled back, and the guard counts it for that patient only. Before (migration 13, one
    sequence per reader), a sequence time ``read_looks`` lacked counted for every patient of the reader, and was
    written down so: a look rolled back, and a look another session of the same reader committed after this
    transaction's snapshot was taken (REPEATABLE READ: the application's edits), restarted every patient's washout.
    A read-only transaction cannot record a look and is refused. None is EXECUTE-able by PUBLIC: only the SECURITY
    DEFINER access functions and the guard (run inside them) call them; ``lesionlab_look_times()`` (the application's
    view of the sequences) is granted to the store's roles."""
    s = _ident(getattr(db, "schema"))
    schema = "'" + str(getattr(db, "schema")).replace("'", "''") + "'"
    iso_now = _ISO.format(t="now_t")
    db.execute(f"""
CREATE OR REPLACE FUNCTION {s}.lesionlab_look_sequence(who pg_catalog.text, patient pg_catalog.text)
    RETURNS pg_catalog.regclass {_GUARD_SETTINGS} STABLE AS $$
BEGIN
    RETURN pg_catalog.to_regclass(pg_catalog.format('%I.%I', {schema}, {_SEQUENCE_NAME.format(key=f"(SELECT x.key FROM {s}.{LOOK_KEY} x)", who="who", patient="patient")}));
END $$""")
    db.execute(f"""
CREATE OR REPLACE FUNCTION {s}.lesionlab_look_time(who pg_catalog.text, patient pg_catalog.text)
    RETURNS pg_catalog.timestamptz {_GUARD_SETTINGS} AS $$
DECLARE
    seq pg_catalog.regclass := {s}.lesionlab_look_sequence(who, patient);
    last_ms pg_catalog.int8;
BEGIN
    IF seq IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format('SELECT CASE WHEN is_called THEN last_value END FROM %s', seq) INTO last_ms;
    RETURN 'epoch'::pg_catalog.timestamptz + last_ms * interval '1 millisecond';
END $$""")
    # the reader's looks one at a time: a lock on its store_roles rows, which no blinded role can take (a row lock needs
    # UPDATE there), where any role may take an advisory key: another reader holding this reader's stalled its every
    # look and its next session's openings (review39b). True when it had to wait: another session of the reader looked
    # or opened a case meanwhile, so what the caller listed before may be out of date (a look: ``strict``, and a
    # snapshot older than that, REPEATABLE READ, is refused as a serialization failure, to be run again)
    lock = (f"PERFORM 1 FROM {s}.store_roles k WHERE k.reader = who AND k.kind = 'reader' ORDER BY k.db_role "
            "FOR NO KEY UPDATE")
    db.execute(f"""
CREATE OR REPLACE FUNCTION {s}.lesionlab_look_lock(who pg_catalog.text, strict pg_catalog.bool)
    RETURNS pg_catalog.bool {_GUARD_SETTINGS} AS $$
BEGIN
    BEGIN
        {lock} NOWAIT;
        RETURN false;
    EXCEPTION WHEN lock_not_available THEN
        NULL;
    END;
    {lock};
    IF strict AND pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'another session of reader % looked at a finished read or opened a case while this one waited, '
                        'after this transaction began: run it again', who USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN true;
END $$""")
    db.execute(f"DROP FUNCTION IF EXISTS {s}.lesionlab_look(pg_catalog.text, pg_catalog.text[], pg_catalog.text[], "
               "pg_catalog.text[])")  # void before session 40: true now when it waited (lesionlab_look_lock)
    db.execute(f"""
CREATE FUNCTION {s}.lesionlab_look(who pg_catalog.text, names pg_catalog.text[], patients pg_catalog.text[],
                                   pairs pg_catalog.text[]) RETURNS pg_catalog.bool {_GUARD_SETTINGS} AS $$
DECLARE
    first_p pg_catalog.text;
    first_e pg_catalog.text;
    p pg_catalog.text;
    seq pg_catalog.regclass;
    now_t pg_catalog.timestamptz;
    now_ms pg_catalog.int8;
    waited pg_catalog.bool;
BEGIN
    SELECT x.p, x.e INTO first_p, first_e
        FROM ROWS FROM (pg_catalog.unnest(names), pg_catalog.unnest(patients), pg_catalog.unnest(pairs)) x(n, p, e)
        JOIN {s}.study_cases c ON c.patient_id = x.p AND c.exam_pair_id = x.e
        JOIN {s}.study_reads r ON r.study_id = c.study_id AND r.code = c.code AND x.n = r.reader || '@' || r.session
        WHERE r.reader = who AND r.finished_at_utc IS NOT NULL LIMIT 1;
    IF first_p IS NULL THEN
        RETURN false;
    END IF;
    IF pg_catalog.current_setting('transaction_read_only') = 'on' THEN
        RAISE EXCEPTION 'looking at your finished read of % / % restarts the washout of its patient, which a read-only '
                        'transaction cannot record', first_p, first_e
            USING ERRCODE = 'read_only_sql_transaction';
    END IF;
    waited := {s}.lesionlab_look_lock(who, true);
    now_t := pg_catalog.date_trunc('milliseconds', pg_catalog.clock_timestamp());
    now_ms := (extract(epoch FROM now_t) * 1000)::pg_catalog.int8;
    FOR p IN SELECT DISTINCT x.p
        FROM ROWS FROM (pg_catalog.unnest(names), pg_catalog.unnest(patients), pg_catalog.unnest(pairs)) x(n, p, e)
        JOIN {s}.study_cases c ON c.patient_id = x.p AND c.exam_pair_id = x.e
        JOIN {s}.study_reads r ON r.study_id = c.study_id AND r.code = c.code AND x.n = r.reader || '@' || r.session
        WHERE r.reader = who AND r.finished_at_utc IS NOT NULL LOOP
        seq := {s}.lesionlab_look_sequence(who, p);
        IF seq IS NULL THEN
            RAISE EXCEPTION 'the store keeps no record of reader %''s looks at patient % yet: its owner opens it once '
                            'to make it', who, p USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- never back (a server clock set back): the sequence is the latest look
        EXECUTE pg_catalog.format('SELECT pg_catalog.setval(%L::pg_catalog.regclass, GREATEST($1, '
                                  'CASE WHEN is_called THEN last_value ELSE 0 END)) FROM %s', seq, seq) USING now_ms;
    END LOOP;
    INSERT INTO {s}.read_looks AS l (patient_id, exam_pair_id, reader, at_utc)
        SELECT DISTINCT x.p, x.e, x.n, {iso_now}
        FROM ROWS FROM (pg_catalog.unnest(names), pg_catalog.unnest(patients), pg_catalog.unnest(pairs)) x(n, p, e)
        JOIN {s}.study_cases c ON c.patient_id = x.p AND c.exam_pair_id = x.e
        JOIN {s}.study_reads r ON r.study_id = c.study_id AND r.code = c.code AND x.n = r.reader || '@' || r.session
        WHERE r.reader = who AND r.finished_at_utc IS NOT NULL
        ON CONFLICT (patient_id, exam_pair_id, reader) DO UPDATE SET at_utc = excluded.at_utc;
    RETURN waited;
END $$""")
    db.execute(f"""
CREATE OR REPLACE FUNCTION {s}.lesionlab_look_times() RETURNS TABLE (reader pg_catalog.text, patient_id pg_catalog.text,
                                                                    at_utc pg_catalog.text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me pg_catalog.text := {s}.lesionlab_caller();
    my_kind pg_catalog.text := (SELECT k.kind FROM {s}.store_roles k WHERE k.db_role = me);
    my_reader pg_catalog.text := (SELECT k.reader FROM {s}.store_roles k WHERE k.db_role = me);
    t pg_catalog.timestamptz;
BEGIN
    -- a reader its own, the coordinator and the owner every reader's; an adjudicator none (no washout is its)
    IF my_kind = 'adjudicator' THEN
        RETURN;
    END IF;
    FOR reader, patient_id IN SELECT DISTINCT k.reader, c.patient_id FROM {s}.store_roles k CROSS JOIN {s}.study_cases c
            WHERE k.kind = 'reader' AND (my_kind IS DISTINCT FROM 'reader' OR k.reader = my_reader) ORDER BY 1, 2 LOOP
        t := {s}.lesionlab_look_time(reader, patient_id);
        IF t IS NOT NULL THEN
            at_utc := {_ISO.format(t="t")};
            RETURN NEXT;
        END IF;
    END LOOP;
END $$""")
    for function in ("lesionlab_look_sequence(pg_catalog.text, pg_catalog.text)",
                     "lesionlab_look_time(pg_catalog.text, pg_catalog.text)",
                     "lesionlab_look_lock(pg_catalog.text, pg_catalog.bool)",
                     "lesionlab_look(pg_catalog.text, pg_catalog.text[], pg_catalog.text[], pg_catalog.text[])",
                     "lesionlab_look_times()"):
        db.execute(f"REVOKE ALL ON FUNCTION {s}.{function} FROM PUBLIC")
