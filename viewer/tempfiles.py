"""lesionlab's hidden temporary files: how they are named, written, told apart and cleaned up.

Every output lesionlab writes (an export's files, an SR, a retrieved instance, an analysis folder)
appears under its final name only once complete: it is written under a hidden name beside it,
``.NAME.KIND-<12 hex digits>`` (KIND ``tmp`` for a file being written, ``part`` for a retrieved
instance, ``partial`` / ``old`` / ``pending`` for folders and keys being swapped), and renamed.
A process killed meanwhile leaves that hidden name behind. So:

* :func:`is_temporary` tells such a name, and the indexer never reads one as an image or an SR;
* a file being written is held under an exclusive ``flock`` until it is renamed, and
  :func:`remove_stale` removes the ``tmp`` / ``part`` files of a folder that no process holds (a
  killed export's), leaving a live write of another process alone;
* a PACS retrieve's staging folder (``partial``) is held the same way, by a ``flock`` on the folder
  itself (:func:`hold_folder`), and :func:`remove_stale_folders` removes the ones no process holds
  (a killed retrieve's: 57 instances stayed in one for ever, a reader's check).

Qt-free and pydicom-free: the bottom layer, used by ``annotation.files`` and ``viewer.interop``.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import time
from pathlib import Path

#: ``.NAME.KIND-<hex>``; ``.NAME.part-<pid>-<thread>`` is what a pull of an older lesionlab left.
TEMPORARY_RE = re.compile(r"^\..+\.(?:(?:tmp|part|partial|old|pending)-[0-9a-f]{12}|part-\d+-\d+)$")
#: The kinds a writer holds locked while it writes (the others are folders and keys being swapped).
_LOCKED_RE = re.compile(r"^\..+\.(?:(?:tmp|part)-[0-9a-f]{12}|part-\d+-\d+)$")
#: A temporary younger than this is left alone even when unlocked (between its creation and its lock).
_MIN_AGE_S = 2.0


def temporary_name(target: Path, kind: str) -> Path:
    """A new hidden name beside ``target`` for writing it (``kind``: tmp, part, partial, old, pending)."""
    return target.parent / f".{target.name}.{kind}-{secrets.token_hex(6)}"


def is_temporary(name: str) -> bool:
    """True for a name lesionlab writes under before renaming (an unfinished output when it lingers)."""
    return TEMPORARY_RE.match(name) is not None


def _locked(fd: int) -> int:
    """``fd`` holding an exclusive ``flock`` (closed if it cannot be taken)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def create_locked(tmp: Path) -> int:
    """Create the new empty file ``tmp`` (mode ``0o666 & ~umask``) and return a descriptor holding an exclusive
    ``flock`` on it: close it once ``tmp`` is renamed or removed (the kernel drops the lock when a process dies,
    which is how :func:`remove_stale` tells a killed writer's file)."""
    return _locked(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))


def _remove_unheld(folder: Path, name: re.Pattern[str], folders: bool) -> list[Path]:
    """Remove the entries of ``folder`` whose name matches ``name`` (files, or folders with what they hold) that no
    process holds locked and that are older than :data:`_MIN_AGE_S`; returns them. Never raises."""
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(folder) if name.match(e.name)
                   and (e.is_dir(follow_symlinks=False) if folders else e.is_file(follow_symlinks=False))]
    except OSError:
        return removed
    now = time.time()
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | (os.O_DIRECTORY if folders else 0)
    for entry in entries:
        path = Path(entry.path)
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime < _MIN_AGE_S:  # between its creation and its lock
                continue
            fd = os.open(path, flags)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # EWOULDBLOCK: a live write of another process (or this one)
            if folders:
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
            if not os.path.lexists(path):
                removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files (``tmp`` and ``part``) in ``folder`` that no live writer holds; returns them.

    Never raises: a folder that cannot be listed, or a file that cannot be removed, is left as it is."""
    return _remove_unheld(folder, _LOCKED_RE, folders=False)


#: a staging folder of a PACS retrieve: ``.<study UID>.partial-<hex>``, the UID digits and dots (an export's staging
#: folder is named after its output folder, and is no retrieve's to remove)
_STAGE_RE = re.compile(r"^\.[0-9]+(?:\.[0-9]+)+\.partial-[0-9a-f]{12}$")


def is_retrieve_stage(name: str) -> bool:
    """True for the name of a PACS retrieve's staging folder (viewer/interop/pacs.py)."""
    return _STAGE_RE.match(name) is not None


def hold_folder(folder: Path) -> int:
    """Create the new folder ``folder`` (and its parents) and return a descriptor holding an exclusive ``flock`` on
    it: close it once the folder is emptied and removed. A killed process's lock goes with it
    (:func:`remove_stale_folders`)."""
    folder.mkdir(parents=True)
    return _locked(os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))


def remove_stale_folders(folder: Path) -> list[Path]:
    """Remove the retrieves' staging folders (``.<study UID>.partial-<hex>``) in ``folder`` that no live retrieve
    holds (:func:`hold_folder`), with what they hold; returns them. Never raises: what cannot be listed or removed is
    left as it is."""
    return _remove_unheld(folder, _STAGE_RE, folders=True)


#: folders :func:`write_whole` has swept of stale temporaries in this process (once each: a series of 300 images
#: is one folder)
_SWEPT: set[Path] = set()


def write_whole(target: Path, data: bytes) -> None:
    """``data`` to ``target`` whole or not at all: a locked temporary file beside it, renamed once written (a full
    disk left empty and truncated .dcm files under their final names, which an index then reads as images).
    Raises the OSError; the temporary file is gone then."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.parent not in _SWEPT:  # a killed retrieve's leftovers in this folder go at the first write into it
        _SWEPT.add(target.parent)
        remove_stale(target.parent)
    tmp = temporary_name(target, "part")
    fd = create_locked(tmp)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise
    finally:
        os.close(fd)
