"""The files under a folder, each once: symbolic links followed, loops and second ways in not.

A disc or a share is often laid out with symbolic links (series folders linked from a store, a
link back to the top). ``os.walk`` does not follow links to folders by default, which indexed such
a disc as if its series were empty, with nothing said; following them blindly loops forever on a
link to an ancestor and reads a folder linked twice twice. So:

* the real folders under the root are walked first, then each folder link found (in the order
  found, those found inside linked folders after), then each file link: a file or folder is thus
  named by its own path under the root when it has one, whatever the links are called;
* a link to a folder that holds it (``.``, ``..``, a parent of the root, ``/``) is a loop and is not
  followed;
* a folder or file is known by its resolved path (``os.path.realpath``): one already read is not
  read again, under any other name;
* a file with more than one hard link is also known by its ``(st_dev, st_ino)``: a second hard link
  to it (another name, no link to follow) is not read again either (the index read it twice and
  took it for a duplicate instance); the stat is the ``lstat`` the walk makes anyway;
* the notes (the index's warnings) name the links followed, the loops not followed and what was
  not read again, hard links with the path read for the same file.

Qt-free and pydicom-free.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from viewer.records import SkippedFile
from viewer.tempfiles import is_retrieve_stage, is_temporary

#: Why lesionlab's own hidden temporaries (viewer/tempfiles.py) are never read: what a killed write left.
UNFINISHED_FILE = ("an unfinished lesionlab output (the hidden temporary of an export, SR or pull that was stopped): "
                   "not read")
UNFINISHED_FOLDER = ("an unfinished lesionlab output folder (the hidden temporary of an export or analysis that was "
                     "stopped): not read; delete it")
#: A PACS retrieve's hidden staging folder (viewer/interop/pacs.py) that a stopped retrieve left.
UNFINISHED_RETRIEVE = ("the instances of a PACS retrieve that was stopped (its hidden staging folder: a study missing "
                       "instances, never read as a series); the next retrieve into this folder removes it, or delete it")
#: At most this many paths are named in one note (the count says how many there are).
NAMED_IN_A_NOTE = 10


@dataclass
class FolderFiles:
    """The regular files under a folder (each once, in walk order), the entries passed over, notes."""

    paths: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Walk:
    out: FolderFiles
    folders: dict[str, str] = field(default_factory=dict)  # resolved path -> the path it was read under
    walked: dict[str, str] = field(default_factory=dict)  # path read under -> resolved path
    files: dict[str, str] = field(default_factory=dict)  # likewise, for files
    folder_links: list[str] = field(default_factory=list)  # waiting, in the order found
    file_links: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    folders_again: list[str] = field(default_factory=list)
    files_again: list[str] = field(default_factory=list)
    inodes: dict[tuple[int, int], str] = field(default_factory=dict)  # (st_dev, st_ino) -> the path read
    same_file: list[str] = field(default_factory=list)  # hard links to a file read under another path


def folder_files(root: Path) -> FolderFiles:
    """Every regular file under the folder ``root``, once, with links followed (see the module)."""
    walk = _Walk(FolderFiles())
    _walk_tree(walk, str(root))
    while walk.folder_links:
        link = walk.folder_links.pop(0)
        real = os.path.realpath(link)
        here = walk.walked[str(Path(link).parent)]  # the resolved folder holding the link
        if here == real or here.startswith(real if real.endswith(os.sep) else real + os.sep):
            walk.loops.append(f"{link} -> {real}")  # a link to ".", "..", the root's parents or "/"
            continue
        if real not in walk.folders:
            walk.followed.append(f"{link} -> {real}")
        _walk_tree(walk, link)
    for link in walk.file_links:
        _add_file(walk, link, os.path.realpath(link))
    for what, entries in (("symbolic link(s) to folders followed", walk.followed),
                          ("symbolic link(s) to folders not followed, each to a folder that holds it (a loop)",
                           walk.loops),
                          ("folder(s) not read again (each file is read once)", walk.folders_again),
                          ("file(s) not read again (each file is read once)", walk.files_again),
                          ("hard link(s) not read again, each the same file as a path read (each file is read once)",
                           walk.same_file)):
        count = len(entries)
        if count:
            more = f"; and {count - NAMED_IN_A_NOTE} more" if count > NAMED_IN_A_NOTE else ""
            walk.out.notes.append(f"{count} {what}: {'; '.join(entries[:NAMED_IN_A_NOTE])}{more}")
    return walk.out


def _walk_tree(walk: _Walk, top: str) -> None:
    """Walk ``top`` without following links, queueing the links found; skip folders read already."""
    skipped = walk.out.skipped

    def unreadable(exc: OSError) -> None:  # os.walk would skip the folder without a word
        skipped.append(SkippedFile(str(exc.filename or top), f"folder cannot be read ({exc.strerror or exc})"))

    reals: dict[str, str] = {}  # a sub-folder's resolved path: its parent's and its name (it is no link)
    for dirpath, dirnames, filenames in os.walk(top, onerror=unreadable):
        real_dir = reals.pop(dirpath, None) or os.path.realpath(dirpath)
        if real_dir in walk.folders:
            first = walk.folders[real_dir]
            walk.folders_again.append(f"{dirpath} (the folder {real_dir}, {_read_as(first, real_dir)})")
            dirnames.clear()
            continue
        walk.folders[real_dir] = dirpath
        walk.walked[str(Path(dirpath))] = real_dir
        for name in [d for d in dirnames if is_temporary(d)]:  # a stopped export's or analysis's hidden folder
            dirnames.remove(name)
            skipped.append(SkippedFile(os.path.join(dirpath, name),
                                       UNFINISHED_RETRIEVE if is_retrieve_stage(name) else UNFINISHED_FOLDER))
        links = sorted(d for d in dirnames if os.path.islink(os.path.join(dirpath, d)))
        walk.folder_links.extend(os.path.join(dirpath, d) for d in links)
        dirnames[:] = sorted(d for d in dirnames if d not in links)
        real_prefix = real_dir if real_dir.endswith(os.sep) else real_dir + os.sep  # cheaper than a join per file
        reals.update((os.path.join(dirpath, d), real_prefix + d) for d in dirnames)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if is_temporary(name):  # a killed SR export's .ct_portal.dcm.tmp-…: never listed as an SR
                skipped.append(SkippedFile(full, UNFINISHED_FILE))
                continue
            try:
                st = os.lstat(full)
            except OSError as exc:  # a file gone meanwhile
                skipped.append(SkippedFile(full, f"cannot be read ({exc.strerror or exc})"))
                continue
            real = real_prefix + name
            if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and real not in walk.files:  # the common case, inline
                walk.files[real] = full
                walk.out.paths.append(full)
            elif stat.S_ISLNK(st.st_mode):
                walk.file_links.append(full)
            else:
                _add_file(walk, full, real, st)


def _add_file(walk: _Walk, full: str, real: str, st: os.stat_result | None = None) -> None:
    """Add the file at ``full`` (resolved: ``real``; ``st`` its own lstat, None for a link) unless read already."""
    if real in walk.files:
        walk.files_again.append(f"{full} (the file {real}, {_read_as(walk.files[real], real)})")
        return
    if st is None:
        try:
            st = os.stat(full)
        except OSError as exc:  # a dangling link, a file gone meanwhile
            walk.out.skipped.append(SkippedFile(full, f"cannot be read ({exc.strerror or exc})"))
            return
    if not stat.S_ISREG(st.st_mode):
        # a named pipe, a socket or a device: opening a FIFO waits forever for a writer (an audit's index
        # of a folder holding one never ended)
        walk.out.skipped.append(SkippedFile(full, "not a regular file (a pipe, socket or device)"))
        return
    if st.st_nlink > 1:
        first = walk.inodes.setdefault((st.st_dev, st.st_ino), full)
        if first != full:
            walk.same_file.append(f"{full} (the same file as {first}: hard links)")
            return
    walk.files[real] = full
    walk.out.paths.append(full)


def _read_as(first: str, real: str) -> str:
    return "already read" if first == real else f"already read as {first}"
