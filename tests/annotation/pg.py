"""A throwaway PostgreSQL cluster for the store tests and the store benchmark.

``Cluster.start()`` runs ``initdb`` and ``pg_ctl`` from /usr/lib/postgresql/15/bin (or
``$LESIONLAB_PG_BIN``) in a fresh temporary folder: as the ``postgres`` OS user when running as
root (initdb refuses root; the folder is chowned to it), else as the current user. The server
listens on a unix socket in that folder and on 127.0.0.1 at a free port; local socket connections
are trusted, TCP connections of roles other than ``postgres`` need a password (scram), so a
password file can be tested. The superuser is ``postgres``.

Fixtures: ``pg_cluster`` (one per test session and xdist worker; skipped when the binaries are
missing, failing instead when ``LESIONLAB_REQUIRE_SERVERS=1``) and ``pg_url`` (a fresh database per
test). Test modules import them: ``from tests.annotation.pg import pg_cluster, pg_url``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

PG_BIN = Path(os.environ.get("LESIONLAB_PG_BIN", "/usr/lib/postgresql/15/bin"))
REQUIRE = os.environ.get("LESIONLAB_REQUIRE_SERVERS") == "1"
SUPERUSER = "postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One running server in a temporary folder; :meth:`stop` removes everything."""

    _names = itertools.count(1)

    def __init__(self, base: Path, port: int, run_as: str | None) -> None:
        self.base, self.port, self.run_as = base, port, run_as
        self.data = base / "data"

    # ------------------------------------------------------------------ life cycle
    @classmethod
    def available(cls) -> str | None:
        """None when a cluster can be started here, else why not."""
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not (PG_BIN / tool).is_file():
                return f"PostgreSQL server binaries not found in {PG_BIN} (apt-get install postgresql)"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SUPERUSER)
            except KeyError:
                return "running as root but there is no 'postgres' OS user to run the server as"
        return None

    @classmethod
    def start(cls, *, durable: bool = False) -> "Cluster":
        """Start a cluster; ``durable=False`` turns fsync off (tests kill clients, never the server)."""
        run_as = SUPERUSER if os.geteuid() == 0 else None
        base = Path(tempfile.mkdtemp(prefix="lesionlab-pg-"))
        if run_as:
            pw = pwd.getpwnam(run_as)
            os.chown(base, pw.pw_uid, pw.pw_gid)
        cluster = cls(base, free_port(), run_as)
        try:
            cluster._run("initdb", "-D", str(cluster.data), "-U", SUPERUSER, "--auth-local=trust",
                         "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "-N")
            conf = {"listen_addresses": "'127.0.0.1'", "port": str(cluster.port),
                    "unix_socket_directories": f"'{base}'", "max_connections": "60",
                    "shared_buffers": "32MB", "fsync": "on" if durable else "off",
                    "synchronous_commit": "on", "full_page_writes": "on" if durable else "off",
                    "max_locks_per_transaction": "256", "log_min_messages": "warning"}
            with open(cluster.data / "postgresql.conf", "a", encoding="utf-8") as f:
                f.writelines(f"{k} = {v}\n" for k, v in conf.items())
            with open(cluster.data / "pg_hba.conf", "w", encoding="utf-8") as f:
                f.write("local all all trust\nhost all postgres 127.0.0.1/32 trust\n"
                        "host all all 127.0.0.1/32 scram-sha-256\n")
            cluster._run("pg_ctl", "-D", str(cluster.data), "-l", str(base / "server.log"), "-w", "-t", "60", "start")
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([str(PG_BIN / tool), *args], capture_output=True, text=True, user=self.run_as,
                              cwd=self.base, timeout=120)
        if done.returncode:
            log = self.base / "server.log"
            extra = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{extra}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, user=self.run_as, cwd=self.base, timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)

    def pids(self) -> list[int]:
        """The server's processes: the postmaster, then its children (backends, checkpointer, ...)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue  # ended meanwhile
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(entry))
        return [postmaster, *children]

    @contextlib.contextmanager
    def stopped(self, *, at_most_s: float = 30.0) -> Iterator[None]:
        """Every server process SIGSTOPped (a hung server: the kernel still accepts connections and data, nothing
        answers), SIGCONT at the end, or after ``at_most_s`` by a timer, so code that waits for the server for
        ever makes its test fail, not hang. The postmaster first (it forks no child after), then its children
        (one may have ended meanwhile)."""
        stopped: list[int] = []

        def go_on() -> None:
            for pid in stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        guard = threading.Timer(at_most_s, go_on)
        guard.daemon = True
        try:
            postmaster, *_ = self.pids()
            os.kill(postmaster, signal.SIGSTOP)
            stopped.append(postmaster)
            for pid in self.pids()[1:]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
            guard.start()
            yield
        finally:
            guard.cancel()
            go_on()

    # ------------------------------------------------------------------ addresses
    def url(self, dbname: str = "postgres", user: str = SUPERUSER, *, tcp: bool = False,
            password: str | None = None) -> str:
        """A libpq URL: the unix socket by default, 127.0.0.1:port with ``tcp``."""
        secret = f":{password}" if password is not None else ""
        if tcp:
            return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{dbname}"
        return f"postgresql://{user}{secret}@/{dbname}?host={self.base}&port={self.port}"

    def admin(self, dbname: str = "postgres") -> Any:
        """A superuser connection in autocommit mode (close it)."""
        import psycopg

        return psycopg.connect(self.url(dbname), autocommit=True)

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its superuser URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with self.admin() as con:
            con.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING UTF8')
        return self.url(name)

    def reset_database(self, url: str) -> None:
        """Empty a database again (drop and recreate its public schema)."""
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("DROP SCHEMA public CASCADE")
            con.execute("CREATE SCHEMA public")

    def truncate_store(self, url: str) -> None:
        """Empty every table of a store but keep its schema (cheaper than migrating a fresh one)."""
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            tables = [r[0] for r in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename NOT IN ('schema_migrations', 'store_roles')")]
            if tables:
                con.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")

    def wait_for_backends(self, dbname: str, *, at_most: int, timeout_s: float = 10.0) -> None:
        """Wait until at most ``at_most`` sessions are connected to ``dbname`` (killed clients' backends end)."""
        deadline = time.monotonic() + timeout_s
        with self.admin() as con:
            while True:
                row = con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (dbname,)).fetchone()
                if row[0] <= at_most or time.monotonic() > deadline:
                    return
                time.sleep(0.02)


def started_cluster() -> Iterator[Cluster]:
    """A server started for the caller and stopped after it; skipped where none can run, failed there with
    LESIONLAB_REQUIRE_SERVERS=1 (CI)."""
    why = Cluster.available()
    if why:
        if REQUIRE:
            pytest.fail(f"LESIONLAB_REQUIRE_SERVERS=1 but {why}")
        pytest.skip(why)
    cluster = Cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    yield from started_cluster()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A fresh empty database (superuser URL over the unix socket)."""
    return pg_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run a store test on both backends."""
    return str(request.param)


@pytest.fixture
def new_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """A factory of empty store locations on the test's backend: a new file, or a fresh database."""
    names = itertools.count(1)
    if backend == "sqlite":
        return lambda: str(tmp_path / f"store-{next(names)}.lesionlab")
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return lambda: cluster.create_database()


@pytest.fixture
def location(new_location: Any) -> str:
    """One empty store location on the test's backend."""
    return str(new_location())


@pytest.fixture
def recycled_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """(location, empty_it): one location emptied again between hypothesis examples (cheaper than new ones)."""
    if backend == "sqlite":
        path = tmp_path / "recycled.lesionlab"

        def empty_file() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return str(path), empty_file
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    url = cluster.create_database()
    return url, lambda: cluster.truncate_store(url)
