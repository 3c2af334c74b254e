"""A connection to a PostgreSQL store, and how long the store waits for the server.

Every wait ends. Opening waits :data:`CONNECT_TIMEOUT_S`, a new session after a lost one
:data:`RECONNECT_TIMEOUT_S` (libpq's ``connect_timeout``). Once connected, every call waits for the server's
answer in :meth:`BoundedConnection.wait`, which gives up when the server has sent nothing for
:data:`ANSWER_TIMEOUT_S`: it closes the connection (the protocol is mid-message, so the session cannot be used
again) and raises :class:`NoAnswer`, an ``OperationalError`` on a closed connection, which the store takes as a
lost session (reconnect, or ``StoreUnreachableError``). Before, a server that stopped answering without closing the
connection (every postgres process SIGSTOPped, a VM paused, a network dropping packets: the kernel still accepts
connections and data) kept psycopg in ``recv`` for ever, and the window with it, the store's calls running on its
thread. TCP keepalives and ``tcp_user_timeout`` cannot tell: a stopped process's kernel still answers them, and a
unix socket has none.

A server gone or hung is told sooner: after :data:`PROBE_AFTER_S` of silence the server is asked on a socket of its
own whether it is there (:func:`server_silent`); unanswered within :data:`PROBE_WAIT_S`, the call fails then (about
2.5 s; it had waited the answer bound, then a reconnect libpq's connect timeout: 13 s), and the store's reconnect
that follows is refused at once (``PgDb.reconnect``). A live server keeps the whole answer bound.

Silence, not the whole call, is bounded: a long pipeline (``store copy``'s bulk insert, one psycopg call) keeps
the bound as long as answers arrive. What the bound cannot tell from a hang is one statement the server works on
longer than that in silence; none of the store's takes more than milliseconds but the migrations' lock waits,
which get their ``lock_timeout`` on top (:attr:`BoundedConnection.lock_wait_s`).

A session given up may still do what it was sent once the server goes on: a COMMIT waiting in its socket is
committed then. :func:`end_session` ends it on the server (``pg_terminate_backend``, waiting until it is gone), so
that what it did is settled before the store looks for the edit (annotation/store.py). The other way round, the
server ends a session of a client that vanished inside a transaction (:data:`IDLE_IN_TRANSACTION_S`), so the rows
it locked do not stay locked for hours.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import socket
import struct
import time
from typing import Any, Callable, Iterator, TypeVar

import psycopg
from psycopg.abc import PQGen

from annotation.store_location import StoreLocation

#: how long opening a store waits for the server to answer (seconds)
CONNECT_TIMEOUT_S = 15
#: how long an edit waits for a server that dropped the connection to answer again: the window waits with it, so
#: a server still down (or a network gone) costs the reader this much per edit, not CONNECT_TIMEOUT_S
RECONNECT_TIMEOUT_S = 3
#: how long a call waits while the server sends nothing (seconds), the server answering :func:`server_answers` (a
#: statement waiting for a lock, a COMMIT's fsync under a checkpoint). An edit's statements take 2-30 ms on a loaded
#: server (annotation/README.md, Speed), a big transaction's pipeline answers as it goes: 10 s is hundreds of times a
#: slow answer.
ANSWER_TIMEOUT_S = 10.0
#: after this much silence the server is asked, on a socket of its own, whether it is there at all (seconds): a hung
#: server (stopped processes, a paused VM, a network dropping packets) does not answer that either, and the call
#: fails then, not after ANSWER_TIMEOUT_S. Before, a reader's window froze 13 s once per outage (the answer bound, then
#: a reconnect waiting RECONNECT_TIMEOUT_S for the same hung server), then 3 s per edit; now about PROBE_AFTER_S +
#: PROBE_WAIT_S once, then PROBE_WAIT_S per edit
PROBE_AFTER_S = 1.0
#: how long that question waits for the server's first byte (seconds). The postmaster forks a process that answers it
#: at once on a live server, however busy the store's own session is (a lock wait, a long statement)
PROBE_WAIT_S = 1.5
#: a server found not answering is not asked again at the reconnect that follows within this long (seconds), in the
#: same call: that reconnect is refused at once (the next call asks again)
UNANSWERED_FOR_S = 1.0
#: how long ending a lost session on the server may take before the store gives up (seconds)
END_WAIT_S = 2.0
#: the server ends a lesionlab session idle inside a transaction this long (seconds): none of lesionlab's stays so
#: more than milliseconds (no transaction waits for the reader), but one whose client vanished mid-edit (a frozen
#: machine, a cut network) kept the rows it wrote locked until the server's TCP keepalive noticed (2 h by
#: default), every other reader's edit of them waiting the answer bound and failing meanwhile
IDLE_IN_TRANSACTION_S = 30.0
#: the server probes a lesionlab session's client after this long without a word from it (TCP keepalive, seconds),
#: every KEEPALIVE_INTERVAL_S, and ends the session after KEEPALIVE_COUNT probes unanswered: a client that vanished
#: between two edits (a site's laptop switched off or cut from the network) had kept its session, and the read's
#: claim with it, until the server's default keepalive gave up (2 h 11 min), its reader refused their own read
#: meanwhile (res49). A frozen machine whose kernel still answers the probes keeps it; a unix socket has none.
KEEPALIVE_IDLE_S = 60
KEEPALIVE_INTERVAL_S = 10
KEEPALIVE_COUNT = 6

RV = TypeVar("RV")


class NoAnswer(psycopg.OperationalError):
    """The server sent nothing for the answer bound, or for PROBE_AFTER_S and did not answer a new connection either
    (``unreachable``): the connection was closed."""

    unreachable = False


def _silence_bounded(gen: PQGen[RV], limit_s: float, asks: Callable[[], str] | None = None) -> PQGen[RV]:
    """``gen`` (psycopg's protocol generator), raising NoAnswer once the socket has been quiet for ``limit_s``, or
    once it has been quiet for :data:`PROBE_AFTER_S` and ``asks()`` (is the server there? :func:`server_silent`) says
    how it is not.
    The wait loop sends ``Ready.NONE`` at every interval it found the socket idle (0.1 s), data or room to write
    otherwise: any of those is the server alive."""
    try:
        state = next(gen)
        last = time.monotonic()
        asked = False
        while True:
            ready = yield state
            now = time.monotonic()
            if ready:
                last, asked = now, False
            elif now - last >= limit_s:
                raise NoAnswer(f"the database server sent nothing for {limit_s:g} s")
            elif asks is not None and not asked and now - last >= min(PROBE_AFTER_S, limit_s):
                asked = True
                why = asks()
                if why:
                    silent = NoAnswer(f"the database server sent nothing for {now - last:.1f} s, and {why}")
                    silent.unreachable = True
                    raise silent
            state = gen.send(ready)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


Address = tuple[int, Any]


def server_address(con: psycopg.Connection[Any]) -> Address | None:
    """Where the connection's server listens, (socket family, address), as libpq reached it (the numeric address it
    used: no name lookup when the server is later asked); None when it cannot be told (an abstract unix socket)."""
    info = con.info
    host, port = info.host, info.port
    if host.startswith("/"):
        return socket.AF_UNIX, os.path.join(host, f".s.PGSQL.{port}")
    if host.startswith("@"):
        return None
    try:
        numeric = info.hostaddr or host
    except psycopg.NotSupportedError:  # a libpq before 12
        numeric = host
    try:
        family, _, _, _, sockaddr = socket.getaddrinfo(numeric, port, type=socket.SOCK_STREAM)[0]
    except OSError:
        return None
    return family, sockaddr


#: the SSLRequest a client may open a connection with: the server answers one byte ('S' or 'N') before anything else
_SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def server_silent(address: Address | None, wait_s: float) -> str:
    """"" when the server at ``address`` answers a new connection's first question (an SSLRequest, one byte back)
    within ``wait_s``, else how it did not ("a new connection to it got no answer in 1.5 s", "… was refused").
    The postmaster forks a process that answers it before any authentication, however busy the other sessions are; a
    stopped server (processes stopped, a paused VM) or a network dropping packets does not, a server gone refuses the
    connection. "" when the address is not known (nothing to ask)."""
    if address is None:
        return ""
    family, sockaddr = address
    deadline = time.monotonic() + wait_s
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(wait_s)
            s.connect(sockaddr)
            s.sendall(_SSL_REQUEST)
            s.settimeout(max(0.01, deadline - time.monotonic()))
            if len(s.recv(1)) == 1:
                return ""
            return "a new connection to it was closed unanswered"
    except (socket.timeout, TimeoutError):
        return f"a new connection to it got no answer in {wait_s:g} s"
    except OSError as exc:  # refused, no socket file, reset
        return f"a new connection to it failed: {exc.strerror or exc}"


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server ends (module docstring)."""

    #: silence allowed on top of ANSWER_TIMEOUT_S while a statement may wait for a lock under a lock_timeout
    lock_wait_s = 0.0
    #: where the server listens (:func:`server_address`, set by :func:`connect`): asked after PROBE_AFTER_S of silence
    address: Address | None = None
    #: when (time.monotonic()) the server was last found not answering (:data:`UNANSWERED_FOR_S`), and how
    unanswered_at: float | None = None
    unanswered_why = ""

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        try:
            return super().wait(_silence_bounded(gen, ANSWER_TIMEOUT_S + self.lock_wait_s, self._asks), interval,
                                timeout)
        except NoAnswer as exc:
            if exc.unreachable:  # the reconnect that follows need not ask again (a session alone silent: it does)
                self.unanswered_at, self.unanswered_why = time.monotonic(), str(exc)
            self.pgconn.finish()  # mid-protocol: never used again (closed, psycopg refuses it from now on)
            raise

    def _asks(self) -> str:
        return server_silent(self.address, PROBE_WAIT_S)


def bound_lock_waits(con: BoundedConnection, seconds: float) -> str:
    """Inside the transaction under way: its lock waits end after ``seconds`` (``lock_timeout``, local to it: a
    ``LockNotAvailable`` then, not a hang), and the answer bound allows for them (:attr:`BoundedConnection.lock_wait_s`,
    kept to the longest asked); returns the ``lock_timeout`` it replaced, for :func:`lock_waits_bounded` to put back.
    The one set-up of a bounded wait: a migration's (``PgDb.begin_migration``) and the owner's grants
    (``store_pg_security``), which had each their own."""
    previous = str(con.execute("SELECT current_setting('lock_timeout')").fetchone()[0])  # type: ignore[index]
    con.execute("SELECT set_config('lock_timeout', %s, true)", (f"{round(seconds * 1000)}ms",))
    con.lock_wait_s = max(con.lock_wait_s, seconds)
    return previous


@contextlib.contextmanager
def lock_waits_bounded(con: BoundedConnection, seconds: float) -> Iterator[None]:
    """:func:`bound_lock_waits` for the block only: once it is done, the transaction goes on with the ``lock_timeout``
    and answer bound it had. (A ``SET LOCAL`` inside a savepoint lasts until the whole transaction ends: the grants'
    5 s stayed on every later statement of a study's set-up or a migration, which had asked for none or for 15 s.)
    A block that fails leaves the setting to the rollback that follows (a savepoint's undoes it, too)."""
    allowed = con.lock_wait_s
    try:
        previous = bound_lock_waits(con, seconds)
        yield
        con.execute("SELECT set_config('lock_timeout', %s, true)", (previous,))
    finally:
        con.lock_wait_s = allowed


#: the other sessions holding a granted lock of ``pg_locks l``, as :func:`lock_holders` says them
_HOLDERS = ("SELECT DISTINCT a.pid, a.usename, a.application_name, a.state, coalesce(a.xact_start, a.state_change) "
            "FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted AND l.pid <> pg_backend_pid() AND ")


def lock_holders(con: psycopg.Connection[Any], *asks: tuple[str, tuple[Any, ...]]) -> list[str]:
    """Who holds a lock, as found by the first of ``asks`` (a condition on ``pg_locks l`` and its parameters, most
    exact first) that finds anyone: each "pid N (database role R, application 'A', <state> since <time>)" (the time
    its transaction began, else its state), what pg_stat_activity shows this role of it (state and time to a superuser
    or the same role only); [] when none does.
    The one wording of a lock's holder: a read's claim, lesionlab's advisory locks and the owner's grants said it in
    two ways, from two queries."""
    for condition, params in asks:
        try:
            with con.transaction():  # a savepoint: a catalogue this role may not read fails this question only
                found = con.execute(_HOLDERS + condition + " ORDER BY a.pid", params).fetchall()
        except psycopg.Error:  # the refusal is said, with the holders it could find
            continue
        if found:
            return [f"pid {pid} (database role {user or '?'}, application {app or '(none)'!r}"
                    + (f", {state} since {since:%H:%M:%S %Z})" if state and since else ")")
                    for pid, user, app, state, since in found]
    return []


def lock_holder_pids(con: psycopg.Connection[Any], condition: str, params: tuple[Any, ...]) -> list[int]:
    """The server pids holding the lock :func:`lock_holders`' ``condition`` finds (``pg_locks`` is every role's)."""
    try:
        with con.transaction():
            return [int(r[0]) for r in con.execute(
                "SELECT DISTINCT l.pid FROM pg_catalog.pg_locks l WHERE l.granted AND " + condition + " ORDER BY 1",
                params).fetchall() if r[0] is not None]
    except psycopg.Error:
        return []


def advisory_lock(key: int) -> tuple[str, tuple[Any, ...]]:
    """The :func:`lock_holders` condition of advisory lock ``key`` (the bigint ``pg_try_advisory_lock`` takes) in
    this database."""
    return ("l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid AND l.objsubid = 1",
            ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF))


def application_name() -> str:
    """How lesionlab's sessions are named on the server (pg_stat_activity; a held read names it)."""
    return f"lesionlab pid {os.getpid()} on {socket.gethostname()}"[:63]


def connect(location: StoreLocation, timeout_s: int) -> BoundedConnection:
    con = BoundedConnection.connect(location.url, autocommit=True, connect_timeout=timeout_s,
                                    application_name=application_name())
    try:
        con.address = server_address(con)
        con.execute(f"SET idle_in_transaction_session_timeout = '{round(IDLE_IN_TRANSACTION_S * 1000)}ms'")
        # the server's side of the connection (a unix socket ignores them): a vanished client is let go in ~2 min
        con.execute(f"SET tcp_keepalives_idle = {KEEPALIVE_IDLE_S}")
        con.execute(f"SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL_S}")
        con.execute(f"SET tcp_keepalives_count = {KEEPALIVE_COUNT}")
    except BaseException:
        con.close()
        raise
    return con


def session_started(con: psycopg.Connection[Any]) -> _dt.datetime | None:
    """When the connection's session began on the server (it names the session with its pid: pids are reused)."""
    row = con.execute("SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()").fetchone()
    return row[0] if row else None


def server_version(con: psycopg.Connection[Any]) -> int:
    """The server's ``server_version_num`` (150004 for 15.4), as libpq read it when connecting."""
    return int(con.info.server_version)


def end_session(con: psycopg.Connection[Any], pid: int, started: _dt.datetime | None) -> bool:
    """End the session ``pid`` begun at ``started`` (a lost one of this store) on the server, from ``con``; True once
    it is gone (or was), False when it was still there after END_WAIT_S. ``pg_terminate_backend(pid, timeout)``, which
    waits on the server, is PostgreSQL 14's: an older server is refused when the store opens (store_pg.MIN_SERVER)."""
    row = con.execute(
        "SELECT pg_terminate_backend(pid, %s) FROM pg_stat_activity WHERE pid = %s AND pid <> pg_backend_pid() AND "
        "(backend_start = %s OR %s::timestamptz IS NULL AND application_name = %s)",
        (int(END_WAIT_S * 1000), pid, started, started, application_name())).fetchone()
    return row is None or bool(row[0])
