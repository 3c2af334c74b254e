"""Where DICOM bytes come from: plain files and zip members (read in place, never extracted).

A zip member's bytes are read through :mod:`zipfile`, which inflates only as far as asked. Open
archives are cached per process (the indexer's workers read many members of one archive).

Zip archives are hostile input like any file, so before an archive is opened its central
directory's size and entry count are read from the end record (bounded memory whatever the
archive claims), and each member is checked before it is listed: a member that would inflate
more than :data:`BOMB_RATIO` times its compressed size (and to more than :data:`BOMB_MIN_BYTES`)
is a decompression bomb and is refused with its reason, as is an archive whose members add up
to more than :data:`ZIP_MAX_TOTAL_BYTES` or to more than :data:`BOMB_RATIO` times the archive.
DICOMDIR file sets are read by :mod:`viewer.dicomio.dicomdir`.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from viewer.budget import format_bytes
from viewer.records import FileRef

_ZIP_CACHE: dict[str, zipfile.ZipFile] = {}
_ZIP_CACHE_MAX = 8
ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"

#: A header (everything before the pixel data) longer than this is not read (bytes).
MAX_HEADER_BYTES = 256 << 20
#: Inflating more than this many times the compressed size marks a decompression bomb ...
BOMB_RATIO = 100
#: ... once the inflated size passes this (small members compress as they like).
BOMB_MIN_BYTES = 32 << 20
#: At most this many members are listed from one archive (each costs memory to list).
ZIP_MAX_MEMBERS = 100_000
#: At most this much central directory is read (bytes).
ZIP_MAX_CENTRAL_DIRECTORY = 64 << 20
#: The members of one archive may add up to this much at most, inflated (bytes).
ZIP_MAX_TOTAL_BYTES = 1 << 40


def _zip(path: str) -> zipfile.ZipFile:
    zf = _ZIP_CACHE.get(path)
    if zf is None:
        if len(_ZIP_CACHE) >= _ZIP_CACHE_MAX:
            _ZIP_CACHE.pop(next(iter(_ZIP_CACHE))).close()
        zf = _ZIP_CACHE[path] = zipfile.ZipFile(path)
    return zf


def size_of(ref: FileRef) -> int:
    """Size in bytes of the file or of the (uncompressed) zip member."""
    if ref.member is None:
        return os.stat(ref.path).st_size
    return _zip(ref.path).getinfo(ref.member).file_size


def open_source(ref: FileRef) -> BinaryIO:
    """A binary, seekable stream of the file or zip member (close it after use)."""
    if ref.member is None:
        return open(ref.path, "rb")
    return _zip(ref.path).open(ref.member)  # type: ignore[return-value]


def read_prefix(ref: FileRef, n: int | None) -> bytes:
    """The first ``n`` bytes (all of them when ``n`` is None) of a file or zip member."""
    if ref.member is None:
        with open(ref.path, "rb", buffering=0) as fh:
            return fh.read() if n is None else fh.read(n)
    with _zip(ref.path).open(ref.member) as fh:
        return fh.read() if n is None else fh.read(n)


def inflated_size(fh: BinaryIO, start: int, limit: int) -> int | None:
    """Bytes the raw deflate stream from ``start`` inflates to (PS3.5 A.5), None past ``limit``.

    Streams (64 KiB in, at most 8 MiB out at a time) and keeps nothing: a deflate bomb costs time,
    not memory.
    """
    fh.seek(start)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    while True:
        chunk = fh.read(1 << 16)
        if not chunk:
            break
        data = inflater.decompress(chunk, 8 << 20)
        total += len(data)
        while inflater.unconsumed_tail and total <= limit:
            data = inflater.decompress(inflater.unconsumed_tail, 8 << 20)
            total += len(data)
        if total > limit:
            return None
        if inflater.eof:
            break
    return total


def bomb_limit(compressed_bytes: int) -> int:
    """Most bytes ``compressed_bytes`` may inflate to before they count as a decompression bomb."""
    return max(BOMB_MIN_BYTES, BOMB_RATIO * compressed_bytes)


def is_zip(path: str | Path) -> bool:
    """True for a zip archive (by its first bytes, whatever its name)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ZIP_MAGIC
    except OSError:
        return False


class ZipRefused(ValueError):
    """The archive as a whole is refused (too many members, too large, a bomb): ``str`` says why."""


def central_directory(path: str | Path) -> tuple[int, int]:
    """(entries, bytes) of a zip's central directory, from its end record (zip64 too).

    Reads at most the last 64 KiB of the file. Raises :class:`zipfile.BadZipFile` when there is
    no end record.
    """
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        tail_len = min(size, 22 + 0xFFFF + 20)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + 22 > len(tail):
            raise zipfile.BadZipFile("no end of central directory record")
        entries, cd_size = struct.unpack_from("<HL", tail, at + 10)
        if (entries == 0xFFFF or cd_size == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
            (zip64_at,) = struct.unpack_from("<Q", tail, at - 20 + 8)
            fh.seek(zip64_at)
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                entries, cd_size = struct.unpack_from("<QQ", record, 32)
    return int(entries), int(cd_size)


def member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why one member is not read (encrypted, a decompression bomb), or None."""
    if info.flag_bits & 0x1:
        return "encrypted zip member: extract it with its password and scan the folder"
    if info.file_size > bomb_limit(info.compress_size):
        return (f"zip member would inflate from {format_bytes(info.compress_size)} to"
                f" {format_bytes(info.file_size)}, more than {BOMB_RATIO} times: refused as a decompression bomb")
    return None


def zip_members(path: str | Path) -> tuple[list[FileRef], list[tuple[str, str]]]:
    """The file members of a zip archive (archive order, folders left out), and (where, reason)
    of members refused. Raises :class:`ZipRefused` when the archive as a whole is refused."""
    entries, cd_size = central_directory(path)
    if entries > ZIP_MAX_MEMBERS or cd_size > ZIP_MAX_CENTRAL_DIRECTORY:
        raise ZipRefused(f"the archive lists {entries} members ({format_bytes(cd_size)} of directory), more than"
                         f" {ZIP_MAX_MEMBERS}: extract it and scan the folder")
    archive_bytes = os.stat(path).st_size
    refs: list[FileRef] = []
    refused: list[tuple[str, str]] = []
    total = 0
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        total = sum(i.file_size for i in infos)
        if total > ZIP_MAX_TOTAL_BYTES or total > bomb_limit(archive_bytes):
            raise ZipRefused(f"its members would inflate to {format_bytes(total)} from an archive of"
                             f" {format_bytes(archive_bytes)} (limits: {BOMB_RATIO} times the archive,"
                             f" {format_bytes(ZIP_MAX_TOTAL_BYTES)}): refused as a decompression bomb")
        # a name the archive holds twice (a file added to it again) reads as its last member only, by name: the first
        # was never read, the last read twice ("01.dcm is a copy of 01.dcm; counted once"), an image lost unsaid
        named = Counter(i.filename for i in infos)
        for info in infos:
            problem = member_problem(info)
            if named[info.filename] > 1:
                problem = (f"the archive holds {named[info.filename]} members named {info.filename!r} (a file added "
                           "to it again): read by name, only the last would be, twice; none of them is read: extract "
                           "the archive keeping each and scan the folder")
            if problem:
                refused.append((str(FileRef(str(path), info.filename)), problem))
            else:
                refs.append(FileRef(str(path), info.filename))
    return refs, refused


def clear_cache() -> None:
    """Forget open archives (a forked worker must not share its parent's file offsets)."""
    _ZIP_CACHE.clear()
