"""Session 45: the read-only copy's wait for the store's last change to be a time stamp's tick old, on a share whose
file server's clock is off this computer's.

``_settled_stat`` guards the SNAPSHOT copy (:mod:`annotation.store_readonly`): the copy is trusted when the file's stat
is the same before and after it, which holds only if a write during the copy changes the file's times, i.e. if the
clock that dates the file has left the tick of its last change. It compared the file's times with this computer's
clock: a server 10 s behind made a change of right now look 10 s old and the copy started at once, so a write in the
same second went unseen (a torn copy trusted); a server 10 s ahead had a quiet store refused as "dated ahead of this
computer's clock". A file server is played here: its clock skewed, its times in whole seconds, this computer's clocks
and sleep simulated (no test waits).
"""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from annotation import store_sqlite
from annotation.store_readonly import same_file

_S = 1_000_000_000


class FileServer:
    """One file on a server whose clock is ``skew_ns`` off this computer's and dates changes in whole seconds; this
    computer's clocks (wall and monotonic) start at ``local_ns`` and move only by ``sleep``."""

    def __init__(self, path: Path, skew_ns: int, local_ns: int = 1_000 * _S + 300_000_000) -> None:
        self.path, self.skew_ns, self.local_ns = path, skew_ns, local_ns
        self.size, self.stamp_ns, self.slept = 4096, 0, 0.0
        self.real_stat = os.stat

    def write(self, grow: int = 0) -> None:
        """A write: the file's times are the server's second (a page rewritten in place keeps its size)."""
        self.size += grow
        self.stamp_ns = (self.local_ns + self.skew_ns) // _S * _S

    def stat(self, path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path) != str(self.path):
            return self.real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        real = self.real_stat(self.path)
        return os.stat_result((real.st_mode, real.st_ino, real.st_dev, 1, 0, 0, self.size, 0, self.stamp_ns // _S,
                               self.stamp_ns // _S), {"st_mtime_ns": self.stamp_ns, "st_ctime_ns": self.stamp_ns})

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.local_ns += int(seconds * _S)

    def clocks(self) -> SimpleNamespace:
        return SimpleNamespace(time_ns=lambda: self.local_ns, monotonic=lambda: self.local_ns / _S, sleep=self.sleep)


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    path = tmp_path / "r.lesionlab"
    path.write_bytes(b"\0" * 4096)
    return path


@pytest.mark.parametrize("skew_s", [-10, -1, 0, 1, 10, 3600])  # the server behind (-) or ahead of this computer
def test_a_write_right_after_the_wait_changes_the_files_times_whatever_the_servers_clock(
        store: Path, monkeypatch: pytest.MonkeyPatch, skew_s: int) -> None:
    """Before: with the server 10 s (or 1 s) behind, the wait ended at once and a write 0.1 s later, in the same
    second, left the stat as it was; with it 10 s ahead the store was refused ("dated 9.7 s ahead")."""
    server = FileServer(store, skew_s * _S)
    server.write()  # a change right now
    monkeypatch.setattr(store_sqlite, "time", server.clocks())
    with monkeypatch.context() as m:
        m.setattr(store_sqlite.os, "stat", server.stat)
        before = store_sqlite._settled_stat(store)
        server.sleep(0.1)
        server.write()  # a write during the copy that follows
        after = os.stat(store)
    assert not same_file(before, after), "a write during the copy would be unseen"
    assert server.slept <= 2.1


def test_a_store_not_changed_lately_is_copied_at_once(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change dated longer ago than a tick and the skew allowed is not watched: no wait (the usual case)."""
    server = FileServer(store, -10 * _S)
    server.write()
    server.sleep(3600)
    monkeypatch.setattr(store_sqlite, "time", server.clocks())
    slept = server.slept
    with monkeypatch.context() as m:
        m.setattr(store_sqlite.os, "stat", server.stat)
        store_sqlite._settled_stat(store)
    assert server.slept == slept


def test_a_store_written_during_the_watch_is_watched_again(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write between the two stats (its times changed) starts the watch again; the stat returned is the last one."""
    server = FileServer(store, 0)
    server.write()
    monkeypatch.setattr(store_sqlite, "time", server.clocks())
    writes = iter([512, 0])  # the file grows once while watched, then stays

    def stat_then_write(path: object, *args: object, **kwargs: object) -> os.stat_result:
        st = server.stat(path, *args, **kwargs)
        if str(path) == str(store) and (grow := next(writes, None)):
            server.sleep(0.1)
            server.write(grow)
        return st

    with monkeypatch.context() as m:
        m.setattr(store_sqlite.os, "stat", stat_then_write)
        settled = store_sqlite._settled_stat(store)
    assert settled.st_size == 4096 + 512
