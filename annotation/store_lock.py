"""The single-writer lock of a SQLite store: an exclusive ``flock`` on the store file itself.

The lock belongs to the file's identity (device + inode), not to the name it was opened by: a
symlink or a hard link to a store names the same inode, so a second writer through either is
refused. The kernel drops the lock when the holder dies (even by SIGKILL): no stale locks, no
sidecar file. ``flock`` and the POSIX byte-range locks SQLite takes on the same file are
independent on Linux, so the two never interfere across processes.

One trap remains inside a process: closing *any* descriptor of a file releases every POSIX lock
the process holds on it, SQLite's included. So the descriptor that carries the flock is closed
only when the last :class:`ReadingStore` of this process on that inode goes away; every store
(writable or read-only) registers here with :func:`hold` for that reason.

Who holds the lock is read from ``/proc/locks`` (the pid of the FLOCK WRITE entry on the inode),
so a refusal can name the holder without a file to write it in.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from viewer.errors import StoreError, StoreLockedError

Identity = tuple[int, int]  # (st_dev, st_ino)


@dataclass
class _Entry:
    #: descriptors this module opened on the inode; the first carries the flock. They are closed
    #: only when the last store of this process on the inode is gone (see the module docstring).
    fds: list[int] = field(default_factory=list)
    writer: bool = False
    users: int = 0


_ENTRIES: dict[Identity, _Entry] = {}
_GUARD = threading.Lock()


def identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino)


def holder_of(ident: Identity) -> str:
    """``pid N on HOST`` of the process holding the flock on an inode, as far as /proc/locks tells."""
    dev, ino = ident
    wanted = f"{os.major(dev):02x}:{os.minor(dev):02x}:{ino}"
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 5 and parts[1] == "FLOCK" and parts[3] == "WRITE" and parts[5] == wanted:
                    return f"pid {parts[4]} on {socket.gethostname()}"
    except OSError:
        pass
    return "another process"


@dataclass
class Hold:
    """This process's use of one store inode; :meth:`release` it once (further calls do nothing)."""

    ident: Identity
    writer: bool
    _released: bool = field(default=False, repr=False)

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        with _GUARD:
            entry = _ENTRIES[self.ident]
            if self.writer:
                fcntl.flock(entry.fds[0], fcntl.LOCK_UN)
                entry.writer = False
            entry.users -= 1
            _drop_if_unused(self.ident, entry)


def _drop_if_unused(ident: Identity, entry: _Entry) -> None:
    if entry.users == 0 and not entry.writer:
        for fd in entry.fds:
            os.close(fd)
        del _ENTRIES[ident]


@contextlib.contextmanager
def alone(hold: Hold) -> Iterator[bool]:
    """Whether ``hold`` is this process's only store on its inode (no other connection of this process may have the
    store's files open, so a descriptor on them may be opened and closed without dropping another's locks); no store
    of this process registers on any inode until the block ends (keep it short: it only takes locks without waiting)."""
    with _GUARD:
        entry = _ENTRIES.get(hold.ident)
        yield entry is not None and entry.users == 1 and not hold._released


def hold_reader(st: os.stat_result) -> Hold:
    """Register a read-only store on this inode (keeps a writer's descriptor open while it lives)."""
    ident = identity(st)
    with _GUARD:
        _ENTRIES.setdefault(ident, _Entry()).users += 1
    return Hold(ident, writer=False)


def _open_fd(path: Path, create: bool) -> tuple[int, bool]:
    """A descriptor on ``path`` (created when missing and ``create``) and whether it was created."""
    for _ in range(3):
        try:
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC), False
        except FileNotFoundError:
            if not create:
                raise
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644), True
        except FileExistsError:  # created by someone else meanwhile: open theirs
            continue
    raise FileExistsError(errno.EEXIST, "the store appeared and vanished while being opened", str(path))


def hold_writer(path: Path, *, create: bool) -> tuple[Hold, bool]:
    """Take the exclusive lock on the inode ``path`` names; returns the hold and whether the file
    was created (empty). Raises StoreLockedError naming the holder, OSError when it cannot open."""
    with _GUARD:
        try:
            st: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            st = None
        entry = _ENTRIES.get(identity(st)) if st is not None else None
        created = False
        if entry is not None and entry.fds:
            assert st is not None
            ident = identity(st)  # reuse the parked descriptor: opening and closing another would drop locks
        else:
            fd, created = _open_fd(path, create)
            ident = identity(os.fstat(fd))
            entry = _ENTRIES.setdefault(ident, _Entry())
            entry.fds.append(fd)
        if entry.writer:
            raise StoreLockedError(f"the store is open for writing by this process (pid {os.getpid()})",
                                   where=str(path))
        try:
            fcntl.flock(entry.fds[0], fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            _drop_if_unused(ident, entry)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise StoreLockedError(f"the store is open for writing by {holder_of(ident)}",
                                       where=str(path)) from None
            raise StoreError(f"cannot lock the store ({exc.strerror})", where=str(path)) from None
        entry.writer = True
        entry.users += 1
    return Hold(ident, writer=True), created
