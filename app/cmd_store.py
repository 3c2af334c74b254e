"""`lesionlab store`: copy a project between backends, give readers their database roles.

    lesionlab store create STORE
    lesionlab store copy SRC DST
    lesionlab store add-reader URL NAME [--kind reader|adjudicator|coordinator] [--db-role ROLE]
                                        [--password-stdin]
    lesionlab store statistics-sql

A store is a ``.lesionlab`` file or a ``postgresql://`` URL (annotation/store_location.py). A
password is never needed in the URL: libpq reads ~/.pgpass (or $PGPASSFILE) and service files.
"""

from __future__ import annotations

import argparse
import sys

from viewer.errors import LesionlabError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    # the one way to make an empty store from the command line: import-sr and the other commands never create one (a
    # typo made an empty store: an audit), and `view --store` was the only way (session 48)
    create = sub.add_parser("create", help="create an empty reading store (a new .lesionlab file, or the tables in an "
                                           "empty PostgreSQL database) for import-sr, study init or the workstation",
                            description="create an empty reading store: a new .lesionlab file (refused when the file "
                                        "exists), or lesionlab's tables in an empty PostgreSQL database (refused "
                                        "when it holds a reading project)")
    create.add_argument("store", metavar="STORE", help="a new .lesionlab file or an empty database's postgresql:// URL")
    copy = sub.add_parser("copy", help="copy a project (records and edit log) into an empty store, either backend",
                          description="copy a project (records and edit log) into an empty store, either backend")
    copy.add_argument("source", metavar="SRC", help="a .lesionlab file or a postgresql:// URL")
    copy.add_argument("destination", metavar="DST", help="a new .lesionlab file or an empty database's URL")
    add = sub.add_parser("add-reader", help="create a database role for a reader (PostgreSQL: sees only their rows)",
                         description="create a login role bound to a reader name (or update the reader's own); "
                                     "run it as the store's owner, with the right to create roles")
    add.add_argument("url", metavar="URL", help="the store's postgresql:// URL (as its owner)")
    add.add_argument("name", metavar="NAME", help="the reader's name, exactly as their reads record it")
    add.add_argument("--kind", choices=["reader", "adjudicator", "coordinator"], default="reader",
                     help="reader: own rows only; adjudicator: sees every reader's rows, writes its own; "
                          "coordinator: sees and writes everything (default: reader)")
    add.add_argument("--db-role", metavar="ROLE",
                     help="database role name (default: the reader's role in this store if it has one, else NAME "
                          "when it is a plain lower-case name, else NAME in lower case, other characters as _, plus "
                          "a short digest of NAME, so that names alike such as 'Dr Müller' and 'Dr Möller' get a "
                          "role each); a role another reader has is never given to this one")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the role's password from the first line of stdin (keep it in the reader's ~/.pgpass)")
    sub.add_parser("statistics-sql", help="print the SQL a superuser runs in a study's database so that readers "
                                          "cannot read the server's statistics",
                   description="print the one statement a database superuser runs (psql) in a reader study's "
                               "database when the store's owner is no superuser: every role may read the server's "
                               "per-table statistics, which count the rows other readers added")


def _create(given: str) -> int:
    from annotation.store import ReadingStore
    from annotation.store_location import parse_location
    from viewer.errors import StoreError

    location = parse_location(given)
    if location.path is not None and (location.path.exists() or location.path.is_symlink()):
        raise LesionlabError("the file exists", where=str(location.path),
                             advice="give a new file's name; an existing store is opened as it is by import-sr or "
                                    "view --store")
    existed = False
    if location.is_database:  # a store there already (created before): said so, nothing changed (review48)
        try:
            ReadingStore.open(location, create=False).close()
            existed = True
        except StoreError:
            pass  # none yet: created below (a connection refused is said again there)
    with ReadingStore.open(location) as store:
        project = store.load()
        if location.is_database and (project.patients or project.exam_pairs or project.lesions):
            raise LesionlabError("the database holds a reading project: nothing created", where=location.saved(),
                                 advice="give an empty database's URL; an existing store is opened as it is")
    # the URL without its password, in the commands advised too (they repeated it as typed: review48)
    where = location.saved()
    print(f"{'the empty reading store exists already (nothing changed)' if existed else 'created an empty reading store'}"
          f": {where} (lesionlab import-sr {where} --dicom PATH FILES..., "
          f"lesionlab study init {where} DEFINITION, or lesionlab view --store {where})")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.store_command == "create":
        return _create(args.store)
    if args.store_command == "statistics-sql":
        from annotation.store_pg_security import statistics_sql

        print(statistics_sql())
        return 0
    if args.store_command == "copy":
        from annotation.store_copy import copy_store

        result = copy_store(args.source, args.destination)
        rows = sum(result.rows.values())
        print(f"copied {rows} rows ({result.n_edits} edits in the log) from {result.source} to "
              f"{result.destination} in {result.seconds:.2f} s")
        return 0
    from annotation.store import ReadingStore
    from annotation.store_location import parse_location
    from annotation.store_pg_security import add_reader, statistics_warning

    location = parse_location(args.url)
    if not location.is_database:
        raise LesionlabError("reader roles exist only in a database store", where=location.saved(),
                             advice="give the store's postgresql:// URL; a .lesionlab file has one reader")
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    with ReadingStore.open(location) as store:
        role = add_reader(store.backend_db, args.name, kind=args.kind, db_role=args.db_role, password=password)
        warning = statistics_warning(store.backend_db)
    what = "created" if role.created else "bound existing" if role.adopted else "updated"
    print(f"{what} database role {role.db_role} for {role.kind.value} {role.reader!r} in {location.saved()}")
    print(f"the reader connects with: postgresql://{role.db_role}@HOST:PORT/{location.database_name() or 'DB'}"
          " (password in their ~/.pgpass, not in the URL)")
    if warning:
        print(warning, file=sys.stderr)
    return 0
