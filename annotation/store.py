"""The reading store: a project written edit by edit, in a ``.lesionlab`` file or a PostgreSQL database.

:class:`ReadingStore` is the one interface (open, load, write, edits, close); the location picks
the backend (:mod:`annotation.store_location`): a file path is SQLite
(:mod:`annotation.store_sqlite`: WAL, fsync per edit, one writer per file), a ``postgresql://``
URL is PostgreSQL (:mod:`annotation.store_pg`: several readers at once, one writer per reader and
exam pair, row-level security per reader). Both run the same migrations and the same SQL
(:mod:`annotation.store_schema`).

Edits. Every edit is one transaction that applies a Project diff and appends a row to ``edits``;
the Reading treats an edit as done only when :meth:`ReadingStore.write` has returned, i.e. after
the commit. On PostgreSQL the transaction first re-reads every record it replaces or deletes and
compares it with what this store last loaded or wrote: a record another reader changed meanwhile
makes the edit fail with :class:`~viewer.errors.StoreConflictError` (a lost update is impossible);
on SQLite the file lock already excludes other writers.

Schema. ``schema_migrations`` lists the migrations applied; :data:`MIGRATIONS` run in order when a
store is opened for writing, each in its own transaction under the store's migration lock, which
re-reads the version (so two processes opening an old store migrate it once). A store made by a
newer lesionlab (unknown migration) is refused untouched. A read-only open of an older SQLite
store migrates a private in-memory copy, so the file is never touched.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from annotation.project import RECORD_TYPES, TABLES, Diff, Project, diff
from annotation.reading import Reading
from annotation.store_backend import Db, newer_store_error
from annotation.store_followup import migration_followup
from annotation.store_location import Backend, StoreLocation, parse_location
from annotation.store_schema import (DELETE, LESIONS, UPSERT, BadRow, fetch_record, insert_rows, key_values,
                                     load_pair_records, load_records, migration_1, migration_2, migration_3,
                                     migration_access_functions, migration_blinded_readers, migration_dicom_context,
                                     migration_edit_attribution, migration_looks_per_patient, migration_mark_frames,
                                     migration_mark_images,
                                     migration_read_looks,
                                     migration_reader_security,
                                     migration_reader_studies, migration_series_roles, migration_session_barrier,
                                     migration_treatments_no, record_key, reads_of, update_rows)
from annotation.store_sqlite import APPLICATION_ID, SUFFIX, SqliteDb
from annotation.study import belongs_to
from viewer.errors import (BlindedRoleError, LesionlabError, StoreConflictError, StoreError, StoreUnreachableError,
                           blinded_message)

__all__ = ["ReadingStore", "EditEntry", "open_reading", "Migration", "MIGRATIONS", "SCHEMA_VERSION", "SUFFIX",
           "APPLICATION_ID"]


@dataclass(frozen=True)
class Migration:
    """One step of the schema: ``apply(db)`` runs inside its own transaction on either backend."""

    version: int
    description: str
    apply: Callable[[Db], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "patients, exam pairs, lesions, observations, count marks, series flags, edit log", migration_1),
    Migration(2, "measurement provenance and short axis, lesion tracking UIDs, three-state series counts,"
                 " count marks from lesions, alignments", migration_2),
    Migration(3, "right/left liver boundaries per reader, exam pair and frame of reference", migration_3),
    Migration(4, "edit log names the reader and exam pair of each edit", migration_edit_attribution),
    Migration(5, "database roles bound to readers; row-level security per reader (PostgreSQL)",
              migration_reader_security),
    Migration(6, "follow-up: timepoints, treatment lines, baseline choices, lesion follow-up attributes",
              migration_followup),
    Migration(7, "reader studies: definition, study codes, seeded reading orders, session reads, lesion pairings",
              migration_reader_studies),
    Migration(8, "DICOM context per series (patient, study, series, frame of reference) for SR export",
              migration_dicom_context),
    Migration(9, "the reading roles an exam's studies hold (a one-modality exam is asked for those only)",
              migration_series_roles),
    Migration(10, "blinding by the database in study stores: reader roles lose names, clinical data and exam "
                  "dates, and their earlier session reads of a patient (PostgreSQL)", migration_blinded_readers),
    Migration(11, "the database keeps the study's session barrier: a reader writes only a case opened in that "
                  "session, opens it only after the washout, and the server sets the study's times (PostgreSQL)",
              migration_session_barrier),
    Migration(12, "count marks keyed by their read; a study store's reader and adjudicator roles read and write "
                  "reader-keyed rows only through SECURITY DEFINER functions (PostgreSQL)", migration_access_functions),
    Migration(13, "a reader's look at or edit of a finished read of its own restarts the patient's washout before "
                  "the next session (read_looks; recorded by the server on PostgreSQL)", migration_read_looks),
    Migration(14, "a reader's look times kept per patient: a look rolled back, or committed by another session of the "
                  "same reader, restarts that patient's washout only (PostgreSQL)", migration_looks_per_patient),
    Migration(15, "each treatment of the clinical record given, not given or not recorded (an old unchecked box stays "
                  "\"no\", to confirm, unless the record held no more than the sex)", migration_treatments_no),
    Migration(16, "each count mark names the image it was placed on (SOP Instance UID; an older mark keeps its slice "
                  "index)", migration_mark_images),
    Migration(17, "each count mark names the frame of its image in an enhanced multi-frame file (an older mark keeps "
                  "its slice index to tell the frame)", migration_mark_frames),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
log = logging.getLogger(__name__)
#: attempts of one edit that meets a serialization failure (two writers on the same row at once)
_ATTEMPTS = 5


@dataclass(frozen=True)
class EditEntry:
    """One row of the edit log; the exam pair is "" for an edit of shared rows or of several reads, and the
    reader then whoever made it when the writer said (``ReadingStore.write(by=...)``), else ""."""

    edit_seq: int
    at_utc: str
    description: str
    reader: str
    patient_id: str
    exam_pair_id: str
    pid: int
    host: str


@dataclass(frozen=True)
class _Doubt:
    """An edit refused after its COMMIT got no answer (the server may have committed it): what it was written over
    (``base``), the edit and its log row; ``whole`` False when rows were written with it (``write(also=)``), which the
    store cannot take back: such an edit is looked for, never taken back (:meth:`ReadingStore._settle`)."""

    base: Project
    change: Diff
    row: tuple[Any, ...]
    whole: bool = True

    @property
    def description(self) -> str:
        return str(self.row[1])


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def _version(db: Db) -> int:
    if not db.has_table("schema_migrations"):
        return 0
    return int(db.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])


def _migrate(db: Db) -> None:
    """Apply the pending migrations, each in its transaction under the migration lock."""
    for m in MIGRATIONS:
        if m.version <= _version(db):
            continue
        if db.role_kind is not None:
            # a role the store's owner made (a reader's, an adjudicator's, a coordinator's) may not change the schema:
            # it was told "cannot prepare the store" under a blinded role's words (review39b), not who can
            raise StoreError(f"store schema {_version(db)} needs migrating to {SCHEMA_VERSION}, which only the "
                             f"store's owner can do (this database role is {db.role_kind} "
                             f"{db.role_reader}'s)", where=db.where,
                             advice="ask the store's owner (the study coordinator) to open it once with this "
                                    f"lesionlab ({SCHEMA_VERSION}), then open it again")
        db.begin_migration()
        try:
            version = _version(db)  # again, under the lock: another process may have migrated meanwhile
            if version > SCHEMA_VERSION:
                raise newer_store_error(version, SCHEMA_VERSION, db.where)
            if m.version > version:
                if not db.has_table("schema_migrations"):
                    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                               " description TEXT NOT NULL, applied_at_utc TEXT NOT NULL)")
                    db.mark_as_store()
                m.apply(db)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (m.version, m.description, _now()))
                db.after_migration(m.version)
            db.commit()
        except BaseException:
            db.rollback()
            raise
    db.after_migrations()


def _open_db(loc: StoreLocation, *, read_only: bool, create: bool) -> Db:
    if loc.backend is Backend.POSTGRESQL:
        from annotation.store_pg import PgDb  # psycopg loads only for database stores

        return PgDb.open(loc, read_only=read_only, create=create, schema_version=SCHEMA_VERSION)
    return SqliteDb.open(loc, read_only=read_only, create=create, schema_version=SCHEMA_VERSION)


def _refusal(exc: Exception) -> str:
    """Why the store refused a write, in the server's words when the backend's error had some (a study's barrier
    refusing a finished case's write is "new row violates row-level security policy for table "edits"", which the
    role's own message turns into "this database role is a blinded reader": true, but not why)."""
    cause = exc.__context__
    if isinstance(exc, LesionlabError) and not isinstance(exc, StoreConflictError) and cause is not None \
            and not isinstance(cause, LesionlabError) and str(cause):
        return f"the database refused it: {str(cause).splitlines()[0]}"
    return _said(exc)


def _said(exc: Exception) -> str:
    """An error in a sentence: a lesionlab error's message, else its type and text."""
    return exc.message if isinstance(exc, LesionlabError) else f"{type(exc).__name__}: {exc}"


def _raise_as_store_error(db: Db, exc: BaseException, doing: str) -> None:
    if isinstance(exc, LesionlabError):
        raise exc
    err = db.error(exc, doing)
    if err is not None:
        raise err from None


class ReadingStore:
    """An open store (file or database). Use :meth:`open`; it is also a context manager."""

    def __init__(self, db: Db) -> None:
        self._db = db
        self.location = db.location
        self._base: Project | None = None  # what this store last loaded or wrote (conflict checks)
        #: an edit refused after its COMMIT got no answer (the server may have committed it)
        self._doubt: _Doubt | None = None
        #: set by :meth:`close` when an edit in doubt could not be settled: what the reader must check
        self.unsettled: str | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, location: "str | os.PathLike[str] | StoreLocation", *, read_only: bool = False,
             create: bool = True) -> "ReadingStore":
        """Open (or create) a store at a path or ``postgresql://`` URL; ``read_only`` never writes.

        A refused store (foreign, newer schema, locked) is left exactly as it was; a file this call
        created is removed again when opening fails.
        """
        loc = parse_location(location)
        db = _open_db(loc, read_only=read_only, create=create)
        try:
            if not read_only:
                _migrate(db)
            elif _version(db) < SCHEMA_VERSION:
                db = cls._migrated_copy(db)
        except BaseException as exc:
            db.abandon()
            _raise_as_store_error(db, exc, "cannot prepare the store")
            raise
        return cls(db)

    @staticmethod
    def _migrated_copy(db: Db) -> Db:
        """A read-only view of an older store at the current schema, the store itself untouched."""
        if not isinstance(db, SqliteDb):
            raise StoreError(f"store schema {_version(db)} needs migrating to {SCHEMA_VERSION}", where=db.where,
                             advice="open it once for writing (as the store's owner) to migrate it")
        copy = db.in_memory_copy()
        db.close()
        _migrate(copy)
        copy.read_only = True
        return copy

    # ------------------------------------------------------------------ life cycle
    @property
    def path(self) -> Path | None:
        """The file of a SQLite store; None for a database."""
        return self.location.path

    @property
    def where(self) -> str:
        """The store's path, or its URL without a password."""
        return self.location.saved()

    @property
    def backend(self) -> Backend:
        return self.location.backend

    @property
    def read_only(self) -> bool:
        return self._db.read_only

    @property
    def backend_db(self) -> Db:
        """The backend connection (for the store's own modules: copy, reader roles)."""
        return self._db

    @property
    def role_reader(self) -> str | None:
        """On PostgreSQL, the reader the connected role is bound to (None for owners and files)."""
        return self._db.role_reader

    @property
    def blinded(self) -> bool:
        """On PostgreSQL, True when the connected role is a blinded reader or adjudicator of a study store:
        the database refuses it the patients' names, clinical data and exam dates (only case reads load)."""
        return self._db.blinded

    @property
    def own_rows_only(self) -> str | None:
        """On PostgreSQL, the reader whose rows alone the connected role sees (a ``reader`` role: row-level security
        hides the other readers' reads, which are then not absent but not visible), else None."""
        return self._db.role_reader if self._db.role_kind == "reader" else None

    def refuse_blinded(self, doing: str) -> None:
        """Raise BlindedRoleError (saying ``doing``) when the connected role is blinded."""
        if self._db.blinded:
            raise BlindedRoleError(f"{blinded_message(self._db.role_kind, self._db.role_reader)}; {doing}",
                                   where=self.where)

    def close(self) -> None:
        """Close the connection, then let go of the locks (closing twice does nothing).

        An edit still in doubt (its COMMIT unanswered, the reader told it was not saved) is looked for once first,
        within the store's bounds (a server still down: :data:`~annotation.store_pg_connection.RECONNECT_TIMEOUT_S`),
        and taken back if the server committed it. Before, closing dropped the doubt: the edit stayed in the store
        unsaid. When it cannot be settled, :attr:`unsettled` says so and the log has it (WARNING)."""
        try:
            self._settle_at_close()
        finally:  # even interrupted (Ctrl+C while looking), the connection and its locks are let go
            self._db.close()

    def _settle_at_close(self) -> None:
        if self._doubt is not None and not self.read_only:
            doubt = self._doubt
            try:
                self._settle(closing=True)
            except Exception as exc:  # noqa: BLE001 - closing goes on; what could not be settled is said
                looked_for = self._doubt is None  # _settle puts the doubt back only when nothing could be looked for
                self._doubt = None
                why = _said(exc)
                if looked_for:
                    # found committed, its take-back refused: it is in the store (review38: said "may be in the store
                    # ... could not be looked for", then quoted the refusal saying it was found and stays)
                    self.unsettled = (f"{self.where}: {why}; reopen the read to see it and undo it there if it is not "
                                      "wanted (a reader study's finished case: ask the study coordinator)")
                else:
                    why = why.removeprefix("the edit was not saved: ")
                    told = ("which lesionlab said was not saved" if doubt.whole else
                            "written with other rows in one transaction, which lesionlab said may have been saved or not")
                    self.unsettled = (f"{self.where}: the edit \"{doubt.description}\", {told} (its commit met a "
                                      "database server that did not answer), may be in the store after all: it could "
                                      f"not be looked for when the store was closed ({why}); reopen the "
                                      + ("read and check it" if doubt.whole else "store and check it"))
                log.warning("%s", self.unsettled)

    def __enter__(self) -> "ReadingStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return _version(self._db)

    def integrity_check(self) -> str:
        """``ok`` when the backend finds the store sound (SQLite's integrity_check)."""
        return self._db.integrity_check()

    def seal(self, *, stamped: str | None = None) -> None:
        """SQLite: fold the WAL into the main file and leave WAL mode, so the store is one file to
        ship (opening it for writing turns WAL back on). Nothing to do on a database.

        ``stamped`` (an ISO UTC time), for a store shipped in the repository only: every edit and migration is
        dated ``stamped``, its process 0 and its host "lesionlab", and the file is rebuilt (VACUUM), so building
        it again gives the same bytes (the sample stores changed at every ``make sample`` with the time, the
        process and the machine, and a schema change left the shipped copies old: opening one migrated it, a
        tracked file changed by ``make run``)."""
        if stamped is not None:
            if self._db.backend is not Backend.SQLITE:
                raise StoreError("only a store file can be stamped for shipping", where=self.where)
            _dt.datetime.fromisoformat(stamped)  # a malformed stamp is refused before anything is changed
            db = self._db
            db.begin()
            try:
                db.execute("UPDATE edits SET at_utc = ?, pid = 0, host = 'lesionlab'", (stamped,))
                db.execute("UPDATE schema_migrations SET applied_at_utc = ?", (stamped,))
                db.commit()
            except BaseException as exc:
                db.rollback()
                _raise_as_store_error(db, exc, "cannot stamp the store")
                raise
        self._db.seal()
        if stamped is not None:
            self._db.execute("VACUUM")

    def edits(self) -> list[tuple[int, str, str]]:
        """The edit log: (edit_seq, at_utc, description), oldest first. A blinded connection that reads the log's
        times apart (:meth:`edit_times`) gets no descriptions (""): a reader role's reading them would be a look at
        its finished reads, which restarts their washout (annotation/store_pg_barrier.py)."""
        if self._db.through_functions("edit_times"):
            return [(seq, at, "") for seq, at, *_ in self.edit_times()]
        try:
            source, params = self._db.source("edits")
            return [tuple(r) for r in self._db.execute(
                f"SELECT edit_seq, at_utc, description FROM {source} ORDER BY edit_seq", params)]
        except BaseException as exc:
            _raise_as_store_error(self._db, exc, "cannot read the edit log")
            raise

    def edit_times(self) -> list[tuple[int, str, str, str, str]]:
        """(edit_seq, at_utc, reader, patient_id, exam_pair_id) of every edit this connection may see, oldest first:
        what reading times and washouts need. A blinded reader role reads them through
        ``lesionlab_rows_edit_times`` (no descriptions), which is no look at its finished reads, where the whole log
        (:meth:`edit_log`) is."""
        try:
            table = "edit_times" if self._db.through_functions("edit_times") else "edits"
            source, params = self._db.source(table)
            return [(int(r[0]), *r[1:]) for r in self._db.execute(
                f"SELECT edit_seq, at_utc, reader, patient_id, exam_pair_id FROM {source} ORDER BY edit_seq", params)]
        except BaseException as exc:
            _raise_as_store_error(self._db, exc, "cannot read the edit log")
            raise

    def edit_log(self) -> list[EditEntry]:
        """The edit log with who and which read (a reader role sees only its own edits)."""
        try:
            source, params = self._db.source("edits")
            return [EditEntry(*r) for r in self._db.execute(
                "SELECT edit_seq, at_utc, description, reader, patient_id, exam_pair_id, pid, host FROM "
                f"{source} ORDER BY edit_seq", params)]
        except BaseException as exc:
            _raise_as_store_error(self._db, exc, "cannot read the edit log")
            raise

    # ------------------------------------------------------------------ writing
    def claim(self, reader: str, patient_id: str, exam_pair_id: str) -> None:
        """Become the one writer of ``reader``'s read of the pair now (edits claim it anyway);
        StoreLockedError when another window holds it. Only PostgreSQL has several writers."""
        if self.read_only:
            raise StoreError("the store is open read-only", where=self.where)
        db = self._db
        for attempt in range(2):
            try:
                if db.lost():
                    db.reconnect()
                db.claim(reader, patient_id, exam_pair_id)
                return
            except BaseException as exc:
                if attempt == 0 and db.lost(exc):
                    continue  # the session ended since its last use (found only now): a new one, once
                _raise_as_store_error(db, exc, "cannot claim the read")
                raise

    def write(self, change: Diff, description: str, by: str = "", *, also: Callable[[Db], None] | None = None) -> int:
        """Commit one edit (a Project diff) in one transaction; returns its edit number. ``by``: who made it,
        logged as its reader when it touches no one read (a patient's clinical record, an exam pair, a
        treatment line: the log said "" of such edits, an audit could not tell who changed a grade). ``also``
        writes more rows in the same transaction, after the edit's (a study set up with the exam pairs it needs:
        both or neither); run again when the edit is."""
        if self.read_only:
            raise StoreError("the store is open read-only", where=self.where,
                             advice="close the other lesionlab window and reopen the store for writing")
        db = self._db
        if db.lost():  # the server went away since the last edit: a new session, or StoreUnreachableError
            db.reconnect()
        if self._doubt is not None:
            self._settle()
        base = self._base if self._base is not None or not db.checks_conflicts else self.load()
        reads = reads_of(change, base)
        for read in sorted(reads):
            self.claim(*read)
        reader, patient_id, exam_pair_id = _attribution(reads, db.role_reader)
        if not reader and by:
            reader = by
        row = (_now(), description, os.getpid(), socket.gethostname(), reader, patient_id, exam_pair_id)
        reconnected, committing, commits_lost = False, False, 0
        for attempt in range(_ATTEMPTS):
            try:
                committing = False
                db.begin()
                if db.checks_conflicts:
                    assert base is not None
                    _check_conflicts(db, change, base)
                for table in reversed(TABLES):
                    for key in change.deletes.get(table, ()):
                        DELETE[table](db, key)
                _release_tracking_uids(db, change)
                for table in TABLES:
                    for rec in change.upserts.get(table, ()):
                        UPSERT[table](db, rec)
                if also is not None:
                    also(db)
                seq = _log_edit(db, row)
                committing = True
                db.commit()
                break
            except BaseException as exc:
                try:
                    db.rollback()
                except Exception:  # noqa: BLE001 - the original failure is what the reader must see
                    pass
                lost = db.lost(exc)
                commits_lost += lost and committing
                if lost and committing and base is not None:
                    # the COMMIT went out, no answer came back: the server may hold the edit, or commit it once it
                    # goes on (a hung server); refused, it is looked for later (_settle) unless found just below
                    self._doubt = _Doubt(base, change, row, whole=also is None)
                # an edit with ``also`` rows lost at COMMIT again, or on its last attempt, is looked for once more,
                # not run again: its rows cannot be taken back (_settle), so the doubt is settled here while the server
                # answers (before, `study init` was told "not saved" of a study the server had committed, and running
                # it again said the store held the study; lost on the fifth attempt, after three serialization
                # retries, it was still told "not saved" while kept in doubt)
                look_again = lost and committing and also is not None and (reconnected or attempt + 1 == _ATTEMPTS)
                if lost and (look_again or not reconnected and attempt + 1 < _ATTEMPTS):
                    # the session ended under the edit (server restarted, backend ended): the server rolled back
                    # what it had not committed, so the edit runs again on a new session, its reads claimed again
                    # and every record it replaces checked again; lost at COMMIT, it may be in already: looked for
                    # (the lost session ended on the server first, so it is in or never will be)
                    reconnected = True
                    try:
                        db.reconnect()
                        found = _committed(db, change, row) if committing else None
                    except BaseException as gone:
                        if self._doubt is not None and not self._doubt.whole and (
                                isinstance(gone, StoreUnreachableError) or db.lost(gone)):
                            raise self._unanswered(self._doubt, gone) from None
                        _raise_as_store_error(db, gone, "the edit was not saved")
                        raise
                    self._doubt = None
                    if found is not None:
                        seq = found
                        break
                    if look_again:
                        raise StoreUnreachableError(
                            "the edit was not saved: the connection to the database was lost at its commit"
                            + (", twice" if commits_lost > 1 else "") + "; the server does not hold it", where=self.where,
                            advice="check the network and the database server, then do it again") from None
                    for read in sorted(reads):
                        self.claim(*read)
                    continue
                if db.retryable(exc) and attempt + 1 < _ATTEMPTS:
                    time.sleep(0.01 * (attempt + 1))
                    continue
                _raise_as_store_error(db, exc, "the edit was not saved")
                raise
        if base is not None:
            self._base = _applied(base, change)
        return seq

    @property
    def in_doubt(self) -> bool:
        """True while an edit whose COMMIT got no answer has not been looked for (it may be in the store or not)."""
        return self._doubt is not None

    def _unanswered(self, doubt: _Doubt, gone: BaseException) -> StoreUnreachableError:
        """What an edit written with other rows (``write(also=)``) whose COMMIT got no answer is, when the server cannot
        be asked: in the store or not, both its rows and the others (one transaction), to be looked for later."""
        err = gone if isinstance(gone, Exception) else None
        why = (_said(err) if err is not None else type(gone).__name__).removeprefix("the edit was not saved: ")
        return StoreUnreachableError(
            f"the edit \"{doubt.description}\", written in one transaction with other rows, may be in the store with "
            f"them, or neither is: its commit got no answer and the server cannot be asked now ({why}); lesionlab looks "
            "for it at the next use of this store and when it is closed",
            where=self.where, advice="once the server answers, look in the store before doing it again")

    def settle(self) -> None:
        """Settle the edit in doubt, if any (an edit whose COMMIT went unanswered, the reader told it was not saved):
        look for it, and take it back if the server committed it after all. Every write made on :attr:`backend_db`
        directly (a study's session reads, finishings and pairings) calls this first: a study's finishing of a case went
        through before the doubt was settled, and the take-back, refused in a finished case, then failed the
        opening of every next case (annotation/README.md, "A server that hangs")."""
        if self._doubt is not None:
            self._settle()

    def _settle(self, *, closing: bool = False) -> None:
        """Look for the edit in doubt (its COMMIT unanswered, the reader told it was not saved) on a live session,
        the lost one ended on the server: committed after all, it is taken back in one more edit, logged, so the
        store holds what the screen shows; another reader having changed its records since, theirs stay.

        Settled once: while the server cannot be reached (nothing could be looked for) the doubt stays, to be looked
        for at the next call; a take-back the store refuses (another reader changed its records, the study's barrier
        refuses the read, ...) is said once, in a StoreError naming the edit, and the doubt is dropped: before, it was
        looked for again at every load and write, each failing the same way (or, a conflict, dropped unsaid)."""
        assert self._doubt is not None
        doubt, self._doubt = self._doubt, None
        base, change, row = doubt.base, doubt.change, doubt.row
        try:
            if _committed(self._db, change, row) is None:
                return
            done = _applied(base, change)
            self._base = done
            if not doubt.whole:
                # written with rows the store cannot take back (``write(also=)``, a study's set-up): it stays, whole,
                # as the caller was told it might (one transaction: none of it is half there)
                log.warning("%s: the edit \"%s\" and the rows written with it, whose commit met a database server that "
                            "did not answer, were committed: they are in the store", self.where, row[1])
                return
            self.write(diff(done, base), f"taken back: {row[1]} (its commit met a database server that did not "
                       "answer, and lesionlab had said it was not saved)", by=row[4])
        except Exception as exc:
            if isinstance(exc, StoreUnreachableError) or self._db.lost(exc):
                self._doubt, self._base = doubt, base  # nothing could be looked for: looked for again next time
                _raise_as_store_error(self._db, exc, "cannot look for an edit that may have been saved")
                raise
            why = _refusal(exc)
            raise StoreError(f"an earlier edit, \"{row[1]}\", which lesionlab said was not saved (its commit met a "
                             "database server that did not answer), was committed by the server after all and "
                             f"could not be taken back ({why}); it stays in the store"
                             + ("" if closing else "; what you just did was not done"), where=self.where,
                             advice="reopen the read to see the edit and undo it there if it is not wanted (a "
                                    "reader study's finished case: ask the study coordinator)"
                                    + ("" if closing else ", then do again what you just did")) from None
        except BaseException:
            self._doubt, self._base = doubt, base
            raise

    def save_project(self, project: Project, description: str = "import") -> int:
        """Write a whole project into a store as one edit (the difference to what it holds)."""
        return self.write(diff(self.load(), project), description)

    # ------------------------------------------------------------------ reading
    def load(self) -> Project:
        """Everything in the store this connection may see, exactly as it was written (refused to a blinded
        role with BlindedRoleError: it may read case reads only, :meth:`load_pair`)."""
        self.refuse_blinded("the whole reading project cannot be loaded")
        return self._load(lambda: load_records(self._db))

    def load_pair(self, pair: tuple[str, str]) -> Project:
        """One exam pair as a case read needs it: the pair (no exam dates), every read of it this
        connection may see, its patient's alignments; no patient record, clinical or follow-up data.
        Later edits are checked against it (conflicts), as after :meth:`load`."""
        return self._load(lambda: load_pair_records(self._db, pair))

    def _load(self, records: Callable[[], Iterable[Any]]) -> Project:
        if self._doubt is not None:
            self._settle()  # what is shown next must not hold an edit the reader was told was not saved
        try:
            project = Project.from_records(list(records()))
        except BadRow as bad:
            raise StoreError(bad.message, where=f"{self.where}, {bad.where}",
                             advice="the row was changed outside lesionlab: correct it with an SQL tool "
                                    "or restore the store from a backup copy") from None
        except BaseException as exc:
            _raise_as_store_error(self._db, exc, "cannot read the store")
            raise
        self._base = project
        return project


def _release_tracking_uids(db: Db, change: Diff) -> None:
    """Before an edit's lesion rows are written, the UIDs of those it rewrites are set aside (NULL, which the
    unique index ``lesions_by_tracking_uid`` allows twice): two lesions trading their tracking UIDs in one edit
    (an SR imported over a read, a renumbering) wrote the first while the second still held its UID, and the
    edit failed on the index. A UID held by a lesion the edit leaves alone still fails it: two lesions of one
    read are never one lesion. Only for an edit rewriting two lesions or more (one cannot trade)."""
    rewritten = change.upserts.get("lesions", ())
    if len(rewritten) < 2:
        return
    for rec in rewritten:
        update_rows(db, "lesions", {"tracking_uid": None}, dict(zip(LESIONS.key, key_values("lesions", rec.key))))


_EDIT_COLUMNS = ("at_utc", "description", "pid", "host", "reader", "patient_id", "exam_pair_id")


def _log_edit(db: Db, row: tuple[Any, ...]) -> int:
    """Append one edit to the log; its edit number."""
    if db.through_functions("edits"):
        return int(insert_rows(db, "edits", _EDIT_COLUMNS, [row])[0]["edit_seq"])
    return int(db.execute(f"INSERT INTO edits ({', '.join(_EDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                          "RETURNING edit_seq", row).fetchone()[0])


def _committed(db: Db, change: Diff, row: tuple[Any, ...]) -> int | None:
    """After a connection lost at COMMIT: the edit's number when the store holds the whole edit (its records as
    written, its deletions gone, its log row there), else None (nothing of it was committed: one transaction)."""
    for table in TABLES:
        if any(fetch_record(db, table, rec.key, rec) != rec for rec in change.upserts.get(table, ())):
            return None
        if any(fetch_record(db, table, key) is not None for key in change.deletes.get(table, ())):
            return None
    source, params = db.source("edits", {"patient_id": row[-2], "exam_pair_id": row[-1]})  # that case's log only
    found = db.execute(f"SELECT max(edit_seq) FROM {source} WHERE description = ? AND pid = ? AND host = ? "
                       "AND reader = ? AND patient_id = ? AND exam_pair_id = ?", (*params, *row[1:])).fetchone()
    return int(found[0]) if found is not None and found[0] is not None else None


def _attribution(reads: Iterable[tuple[str, str, str]], role_reader: str | None) -> tuple[str, str, str]:
    """(reader, patient, pair) an edit is logged under: the one read it touched, else empty."""
    found = set(reads)
    reader, patient_id, exam_pair_id = found.pop() if len(found) == 1 else ("", "", "")
    if role_reader is not None and not belongs_to(reader, role_reader):
        reader = role_reader
    return (reader, patient_id, exam_pair_id)


def _check_conflicts(db: Db, change: Diff, base: Project) -> None:
    """Inside the edit's transaction: every record replaced or deleted is still what this store saw."""
    for table in TABLES:
        seen = getattr(base, table)
        for rec in change.upserts.get(table, ()):
            now = fetch_record(db, table, rec.key, seen.get(rec.key) or rec)
            if now != seen.get(rec.key) and now != rec:
                raise _conflict(db, table, rec.key)
        for key in change.deletes.get(table, ()):
            now = fetch_record(db, table, key, seen.get(key))
            if now is not None and now != seen.get(key):
                raise _conflict(db, table, key)


def _conflict(db: Db, table: str, key: Any) -> StoreConflictError:
    return StoreConflictError(f"{RECORD_TYPES[table].__name__} {record_key(key)} was changed by someone else "
                              "since this store was loaded; the edit was not saved", where=db.where,
                              advice="reopen the store to see the other change, then edit again")


def _applied(base: Project, change: Diff) -> Project:
    """``base`` with a diff applied (what the store holds after the edit, as far as this store sees)."""
    tables: dict[str, Any] = {}
    for table in change.tables:
        mapping = dict(getattr(base, table))
        for key in change.deletes.get(table, ()):
            mapping.pop(key, None)
        for rec in change.upserts.get(table, ()):
            mapping[rec.key] = rec
        tables[table] = mapping
    return base if not tables else Project(**{t: tables.get(t, getattr(base, t)) for t in TABLES})


def open_reading(location: "str | os.PathLike[str] | StoreLocation", reader: str) -> tuple[ReadingStore, Reading]:
    """Open a store for writing and a :class:`~annotation.reading.Reading` on it that autosaves.

    When the store cannot be read (a bad row), it is closed again: nothing stays locked.
    """
    store = ReadingStore.open(location)
    try:
        return store, Reading(store.load(), reader=reader, sink=store)
    except BaseException:
        store.close()
        raise
