"""Is the encapsulated pixel data of a file whole? A check cheap enough for the indexer.

A compressed file cut short (its last fragment running past the end of the file) used to pass the
index and fail its whole stack at load, where :mod:`viewer.dicomio.codestream` walks the items; a
native file cut short is set aside at indexing with its reason. This walk does the same for
encapsulated pixel data (PS3.5 A.4: a Basic Offset Table item, fragment items, a sequence
delimiter) reading only the 8-byte item headers: from the header's buffer while they lie in it,
then from the file in small windows. No pixel is decoded. Missing bytes are judged, and missing items:
a file ending on an item boundary with fewer fragments than NumberOfFrames (every frame has one of its
own, PS3.5 A.4), or, for several frames, before the last frame's first item by the Basic Offset Table,
is cut exactly at an item header (the loader failed the whole stack: "holds no fragment"). Anything else
(an element that is not an item, a file ending on an item's last byte or in its delimiter with items
enough) is left to the loader, which names what is wrong or, for a cut delimiter, loses no pixel.

Cost: the last 8 bytes of a file whose items end exactly there are taken as the delimiter without
being read when the items before hold every frame, so a single-frame file longer than the header's
buffer costs no read at all (a read would cost an open and a pread, ~10 us, and for a zip member the
inflating of all of it, ~150 us: a third more for a zipped index); they are read when they are in hand
already (the window of the last items) or when the count says a fragment is missing. The one cut let
through is one at (or, out of the window read last, 8 bytes into) the item header of a further fragment
of the last frame (several fragments per frame: no count tells): the loader names it, as before. On sample_dicom (1022
encapsulated files, all single-frame) the check costs 2-4 us per file, as before the items were counted.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from viewer.dicomio.attrs import BufferAttrs
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

    def holds(self, pos: int, n: int) -> bool:
        """Whether the ``n`` bytes at ``pos`` are in hand (in ``buf`` or the window read last): no read."""
        lo = pos - self.window_start
        return pos + n <= len(self.buf) or (0 <= lo and lo + n <= len(self.window))

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


def shortfall_in_file(ref: FileRef, buf: bytes, start: int, size: int, frames: int = 1) -> str | None:
    """Why the encapsulated pixel data whose value starts at ``start`` lacks bytes the file does not hold,
    or None. ``buf``: the file's first bytes (already read); ``size``: the file's size; ``frames``: its
    NumberOfFrames (1 when absent)."""
    source = _Bytes(ref, buf)
    try:
        return _shortfall(source, start, size, frames)
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
    frames = BufferAttrs(fake + buf, scanned.elements).numbers(0x00280008) or (1,)
    return shortfall_in_file(ref, buf, scanned.pixel_value_offset - len(fake), size,
                             int(frames[0]) if 1 <= frames[0] < 2 ** 31 else 1)


def _shortfall(source: _Bytes, start: int, size: int, frames: int) -> str | None:
    pos = start
    for k in range(MAX_ITEMS):
        if pos >= size or (pos == size - 8 and size > len(source.buf)):
            # Whole items up to here, and no delimiter or room for it exactly: taken as it unread (see the
            # module) when the items hold every frame (one fragment or more each) and those bytes are not in
            # hand already; else the file may be cut at an item, whose header the last 8 bytes may be.
            if k > frames == 1 and (pos >= size or not source.window):
                return None
            missing = _frames_missing(source, start, pos, k - 1, frames)
            if missing is not None:
                return missing if pos >= size else _shortfall_after(source, pos, size, k)
            if pos >= size or not source.holds(pos, 8):
                return None
        if pos + 8 > size:
            return _shortfall_after(source, pos, size, k)
        group, elem, length = _head(source.at(pos, 8))
        tag = group << 16 | elem
        if tag == _SEQ_END or tag != _ITEM or length == 0xFFFFFFFF:
            return None  # the end, or not an item: the loader names what it is
        if pos + 8 + length > size:
            return (f"truncated file: {_item(k)} of the encapsulated pixel data needs {length} bytes, the file ends"
                    f" {size - pos - 8} bytes after its start")
        pos += 8 + length
    return None


def _shortfall_after(source: _Bytes, pos: int, size: int, k: int) -> str | None:
    """Why the last ``size - pos`` (at most 8) bytes, where item ``k`` or the delimiter should start, lack bytes."""
    tail = source.at(pos, min(8, size - pos))
    if _DELIMITER.startswith(tail):
        return None  # (the start of) the delimiter: every pixel is there
    if len(tail) < 8:
        return (f"truncated file: it ends {size - pos} bytes into the 8-byte item header of {_item(k)} of the"
                " encapsulated pixel data")
    group, elem, length = _head(tail)
    if group << 16 | elem != _ITEM or length == 0xFFFFFFFF or length == 0:
        return None  # not an item, or an empty one: the loader names what it is
    return (f"truncated file: {_item(k)} of the encapsulated pixel data needs {length} bytes, the file ends"
            " 0 bytes after its start")


def _frames_missing(source: _Bytes, start: int, end: int, fragments: int, frames: int) -> str | None:
    """Why whole items from ``start`` (the Basic Offset Table's) to ``end`` cannot hold every frame, or None:
    fewer fragments than frames, or (several frames) the Basic Offset Table's last frame starting at or past ``end``."""
    if fragments < 0:
        return "truncated file: it ends before the item of the Basic Offset Table of the encapsulated pixel data"
    frames = max(frames, 1)
    if fragments < frames:
        held = "no fragment" if fragments == 0 else f"{fragments} fragment{'s' if fragments > 1 else ''}"
        return (f"truncated file: it ends before the item of fragment {fragments + 1} of the encapsulated"
                f" pixel data: {held} for {frames} frame{'s' if frames > 1 else ''}")
    (table,) = struct.unpack("<L", source.at(start + 4, 4))
    if frames > 1 and table >= 4 * frames:
        first = start + 8 + table  # the first fragment's item: the table's offsets count from there
        (last,) = struct.unpack("<L", source.at(start + 8 + 4 * (frames - 1), 4))
        if first + last >= end:
            return (f"truncated file: it ends before the item of the last frame's first fragment of the encapsulated"
                    f" pixel data (at byte {last} of the fragments by the Basic Offset Table, they end at"
                    f" byte {end - first})")
    return None


def _item(k: int) -> str:
    return "the Basic Offset Table" if k == 0 else f"fragment {k}"
