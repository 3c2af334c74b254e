"""Where a reading store lives: a ``.lesionlab`` file, or a PostgreSQL database given as a URL.

Wherever a store is accepted (``lesionlab view --store``, ``export STORE``, ``analyze STORE``,
``store copy SRC DST``, File -> Open) the text is either a file path or a libpq URL
``postgresql://[user@]host[:port]/dbname[?param=value...]`` (``postgres://`` too). A unix socket
folder goes in the ``host`` parameter: ``postgresql:///study?host=/var/run/postgresql``; a libpq
service file entry in ``service``: ``postgresql:///?service=study``.

Passwords never travel into saved text (recent projects, settings, status bar, error messages):
:meth:`StoreLocation.saved` drops a password from the user-info part and from the query. libpq
then finds it in the password file (``~/.pgpass`` or ``$PGPASSFILE``: ``host:port:db:user:password``)
or in the service file (``~/.pg_service.conf`` or ``$PGSERVICEFILE``), which is where it belongs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from viewer.errors import StoreError

_URL = re.compile(r"^postgres(?:ql)?://", re.IGNORECASE)


class Backend(str, Enum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


def is_url(value: str | os.PathLike[str]) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL, False for anything else (a path)."""
    return isinstance(value, str) and bool(_URL.match(value.strip()))


def without_password(url: str) -> str:
    """The URL with any password removed (user-info ``user:secret@`` and a ``password=`` parameter);
    everything else is kept exactly as written."""
    scheme, _, rest = url.strip().partition("://")
    ends = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
    netloc, tail = rest[:min(ends)] if ends else rest, rest[min(ends):] if ends else ""
    if "@" in netloc:
        userinfo, hosts = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{hosts}"
    path, _, query = tail.partition("?")
    kept = [p for p in query.split("&") if p and unquote(p.split("=", 1)[0]).strip().lower() != "password"]
    return f"{scheme}://{netloc}{path}" + (f"?{'&'.join(kept)}" if kept else "")


def has_password(url: str) -> bool:
    return without_password(url) != url.strip()


@dataclass(frozen=True)
class StoreLocation:
    """A parsed store location: ``path`` for SQLite, ``url`` (as given, password included) for PostgreSQL."""

    backend: Backend
    path: Path | None = None
    url: str = ""

    @property
    def is_database(self) -> bool:
        return self.backend is Backend.POSTGRESQL

    def saved(self) -> str:
        """What may be written to settings, recent lists, logs and messages: never a password."""
        if self.path is not None:
            return str(self.path)
        return without_password(self.url)

    def database_name(self) -> str:
        """The database a URL names (``dbname`` parameter or path), "" when libpq picks the default."""
        parts = urlsplit(self.url)
        query = dict(parse_qsl(parts.query))
        return query.get("dbname") or unquote(parts.path.lstrip("/"))

    def __str__(self) -> str:
        return self.saved()


def parse_location(value: "str | os.PathLike[str] | StoreLocation") -> StoreLocation:
    """A store location from what a user typed or a caller passed (a path, a URL, or one already parsed)."""
    if isinstance(value, StoreLocation):
        return value
    if is_url(value):
        url = str(value).strip()
        if urlsplit(url).fragment:
            raise StoreError("a PostgreSQL URL has no #fragment", where=without_password(url),
                             advice="write postgresql://[user@]host[:port]/dbname[?param=value]")
        return StoreLocation(Backend.POSTGRESQL, url=url)
    text = os.fspath(value)
    if isinstance(text, str) and re.match(r"^postgres(?:ql)?:/[^/]", text, re.IGNORECASE):
        raise StoreError("this looks like a PostgreSQL URL that lost a slash (postgresql:/...)", where=text,
                         advice="write postgresql://host/dbname (two slashes), not a file path")
    if not text:
        raise StoreError("no store given", advice="give a .lesionlab file or a postgresql:// URL")
    return StoreLocation(Backend.SQLITE, path=Path(text))
