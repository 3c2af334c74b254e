"""Is the encapsulated pixel data of a file whole? A check cheap enough for the indexer.

A compressed file cut short (its last fragment running past the end of the file) used to pass the
index and fail its whole stack at load, where :mod:`viewer.dicomio.codestream` walks the items; a
native file cut short is set aside at indexing with its reason. This walk does the same for
encapsulated pixel data (PS3.5 A.4: a Basic Offset Table item, fragment items, a sequence
delimiter) reading only the 8-byte item headers: from the header's buffer while they lie in it,
then from the file in small windows. No pixel is decoded. Only missing bytes are judged: anything
else (an element that is not an item, a file ending on an item's last byte or in its delimiter) is
left to the loader, which names what is wrong or, for a cut delimiter, loses no pixel.

Cost: the last 8 bytes of a file whose items end exactly there are taken as the delimiter without
being read, so a single-frame file longer than the header's buffer costs no read at all (a read
would cost an open and a pread, ~10 us, and for a zip member the inflating of all of it, ~150 us:
a third more for a zipped index). The one cut this lets through is a cut exactly 8 bytes into a
fragment item (its header whole, none of its value): the loader names it, as before.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from viewer.dicomio.elements import ScanError, Truncated, scan
from viewer.dicomio.sources import MAX_HEADER_BYTES, open_source, read_prefix
from viewer.records import FileRef

_ITEM, _SEQ_END = 0xFFFEE000, 0xFFFEE0DD
_DELIMITER = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)
_head = struct.Struct("<HHL").unpack_from
#: Bytes read from the file at a time, past the header's buffer.
WINDOW_BYTES = 4096
#: The walk stops (not judging) after this many items: a hostile file of millions of empty items.
MAX_ITEMS = 1 << 17


class _Bytes:
    """A source's bytes at an offset: from ``buf`` (its first bytes) or read from the source in windows
    (a plain file by ``os.pread``: a Python file object costs more than the read)."""

    def __init__(self, ref: FileRef, buf: bytes) -> None:
        self.ref, self.buf = ref, buf
        self.fd: int | None = None
        self.fh: BinaryIO | None = None
        self.window_start, self.window = 0, b""

    def at(self, pos: int, n: int) -> bytes:
        if pos + n <= len(self.buf):
            return self.buf[pos:pos + n]
        lo = pos - self.window_start
        if not (0 <= lo and lo + n <= len(self.window)):
            self.window_start, self.window, lo = pos, self._read(pos, max(n, WINDOW_BYTES)), 0
        return self.window[lo:lo + n]

    def _read(self, pos: int, n: int) -> bytes:
        if self.ref.member is None:
            if self.fd is None:
                self.fd = os.open(self.ref.path, os.O_RDONLY)
            return os.pread(self.fd, n, pos)
        if self.fh is None:
            self.fh = open_source(self.ref)
        self.fh.seek(pos)
        return self.fh.read(n)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
        if self.fh is not None:
            self.fh.close()


def shortfall_in_file(ref: FileRef, buf: bytes, start: int, size: int) -> str | None:
    """Why the encapsulated pixel data whose value starts at ``start`` lacks bytes the file does not hold,
    or None. ``buf``: the file's first bytes (already read); ``size``: the file's size."""
    source = _Bytes(ref, buf)
    try:
        return _shortfall(source, start, size)
    finally:
        source.close()


def shortfall_without_preamble(ref: FileRef, size: int, first_read: int) -> str | None:
    """The same for a file without the 128-byte preamble, or None (also when it cannot be walked).

    pydicom reads such files, but a cut encapsulated value makes it drop every element (pydicom 3.0:
    EOFError before the delimiter, inside the dict of elements), which read as "not DICOM"; given a
    preamble, the walk finds the pixel data. ``first_read``: bytes read first (more if the header is longer).
    """
    fake = bytes(128) + b"DICM"
    n = first_read
    while True:
        buf = read_prefix(ref, n)
        try:
            scanned = scan(fake + buf)
        except Truncated:
            if len(buf) < size and n < MAX_HEADER_BYTES:
                n = min(n * 8, MAX_HEADER_BYTES)
                continue
            return None
        except ScanError:
            return None
        break
    if scanned.pixel_value_length is not None or scanned.pixel_value_offset is None:
        return None
    return shortfall_in_file(ref, buf, scanned.pixel_value_offset - len(fake), size)


def _shortfall(source: _Bytes, pos: int, size: int) -> str | None:
    for k in range(MAX_ITEMS):
        if pos >= size:
            return None  # no delimiter: whole items, left to the loader
        if pos == size - 8 and size > len(source.buf):
            return None  # room for the delimiter exactly: taken as it unread (see the module)
        if pos + 8 > size:
            tail = source.at(pos, size - pos)
            if _DELIMITER.startswith(tail):
                return None  # a cut delimiter: every pixel is there
            return (f"truncated file: it ends {size - pos} bytes into the 8-byte item header of {_item(k)} of the"
                    " encapsulated pixel data")
        group, elem, length = _head(source.at(pos, 8))
        tag = group << 16 | elem
        if tag == _SEQ_END or tag != _ITEM or length == 0xFFFFFFFF:
            return None  # the end, or not an item: the loader names what it is
        if pos + 8 + length > size:
            return (f"truncated file: {_item(k)} of the encapsulated pixel data needs {length} bytes, the file ends"
                    f" {size - pos - 8} bytes after its start")
        pos += 8 + length
    return None


def _item(k: int) -> str:
    return "the Basic Offset Table" if k == 0 else f"fragment {k}"
