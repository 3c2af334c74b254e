"""Check each encapsulated frame against the bytes it holds, before a decoder allocates anything.

A decoder allocates what it is told: pydicom's RLE decoder ``rows x columns x segments`` bytes
from the DICOM header, the JPEG family decoders what their codestream header declares. A
7.8 KB file declaring 65535 x 65535 pixels thus takes gigabytes before failing. This module reads,
for every frame the loader will decode, only the item headers of the encapsulated pixel data
(PS3.5 A.4: Basic Offset Table item, then fragments) and the first bytes of each frame, and
refuses, with the file and the frame named:

* **RLE Lossless** (PS3.5 G.3, G.5): a frame holds ``samples x bytes per sample`` segments, each
  decoding to ``rows x columns`` bytes. The densest RLE run is a replicate run, 2 bytes for 128,
  so a segment of ``n`` bytes decodes to at most ``64 n``: a shorter segment cannot hold the
  frame the header declares.
* **JPEG** (ISO/IEC 10918-1 B.2.2, SOF0-SOF15), **JPEG-LS** (ISO/IEC 14495-1 C.2.2, SOF55) and
  **JPEG 2000 / HTJ2K** (ISO/IEC 15444-1 A.5.1, SIZ): the codestream's lines, samples per
  line and components must be the header's rows, columns and SamplesPerPixel.

Other encapsulated syntaxes (video, JPEG XL) are left to the decoder and the memory budget.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, Sequence, TypeVar

from pydicom import dcmread

from viewer.dicomio.elements import ScanError, Truncated, scan
from viewer.dicomio.sources import MAX_HEADER_BYTES, open_source, size_of
from viewer.errors import DicomReadError
from viewer.records import FileRef, PixelFormat

RLE = "1.2.840.10008.1.2.5"
_JPEG = frozenset({"1.2.840.10008.1.2.4.70", *(f"1.2.840.10008.1.2.4.{k}" for k in range(50, 67))})
_JPEG_LS = frozenset({"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"})
J2K_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92",
                  "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
                  "1.2.840.10008.1.2.4.203"})
#: Transfer syntaxes whose frames this module checks.
CHECKED_SYNTAXES = frozenset({RLE, *_JPEG, *_JPEG_LS, *J2K_SYNTAXES})
#: At most this many decoded bytes per RLE byte (a 2-byte replicate run gives 128).
RLE_MAX_EXPANSION = 64
#: Markers are looked for in this many first bytes of a frame (JPEG allows 64 KiB APPn segments).
MARKER_SEARCH_BYTES = 1 << 20
_ITEM, _SEQ_END = 0xFFFEE000, 0xFFFEE0DD
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_SOF55 = 0xF7


@dataclass(frozen=True)
class Fragment:
    """One fragment item's value: where it starts in the source, and its length."""

    offset: int
    length: int


class _FrameBytes:
    """The bytes of one frame (its fragments end to end), read on demand from the source."""

    def __init__(self, fh: BinaryIO, fragments: Sequence[Fragment]) -> None:
        self.fh, self.fragments = fh, fragments
        self.length = sum(f.length for f in fragments)

    def read(self, pos: int, n: int) -> bytes:
        out = bytearray()
        start = 0
        for frag in self.fragments:
            if len(out) >= n:
                break
            end = start + frag.length
            if pos < end:
                lo = max(pos, start) - start
                take = min(frag.length - lo, n - len(out))
                self.fh.seek(frag.offset + lo)
                out += self.fh.read(take)
                pos = start + lo + take
            start = end
        return bytes(out)


def check_frames(ref: FileRef, fmt: PixelFormat, frames: Sequence[int]) -> None:
    """Raise :class:`DicomReadError` when a frame of ``frames`` (0-based) cannot be what the header says.

    Does nothing for syntaxes not in :data:`CHECKED_SYNTAXES`.
    """
    if fmt.transfer_syntax_uid not in CHECKED_SYNTAXES:
        return
    _with_items(ref, lambda fh, start, size, where: _check(fh, start, size, fmt, frames, where))


T = TypeVar("T")


def _with_items(ref: FileRef, visit: Callable[[BinaryIO, int, int, str], T]) -> T:
    """``visit(source, start, end, where)`` over the encapsulated pixel data of ``ref`` (``start``: its
    first item), read by walking the header, or through pydicom when the walk cannot; read errors
    become :class:`DicomReadError`."""
    where = str(ref)
    try:
        with open_source(ref) as fh:
            size = size_of(ref)
            found = _pixel_items(fh, size, where)
            if found is not None:
                return visit(fh, found, size, where)
            fh.seek(0)  # an encoding the walk does not handle: let pydicom find the items
            data = dcmread(fh, force=True).get("PixelData")
            if not isinstance(getattr(data, "value", None), bytes):
                raise DicomReadError("no encapsulated pixel data", where=where)
            return visit(io.BytesIO(data.value), 0, len(data.value), where)
    except DicomReadError:
        raise
    except (OSError, KeyError, ValueError, struct.error, EOFError) as exc:
        raise DicomReadError(f"cannot read the encapsulated pixel data ({type(exc).__name__}: {exc})",
                             where=where) from exc


def _frames(fh: BinaryIO, start: int, size: int, fmt: PixelFormat, frames: Sequence[int],
            where: str) -> list[list[Fragment]]:
    """The fragments of every frame, after checking that ``frames`` exist."""
    bot, fragments = _items(fh, start, size, where)
    per_frame = frame_fragments(bot, fragments, fmt.number_of_frames, lambda f: _head(fh, f), where)
    for k in frames:
        if not 0 <= k < len(per_frame):
            raise DicomReadError(f"frame {k + 1} asked of a file with {len(per_frame)} frame(s)", where=where)
    return per_frame


def _check(fh: BinaryIO, start: int, size: int, fmt: PixelFormat, frames: Sequence[int], where: str) -> None:
    per_frame = _frames(fh, start, size, fmt, frames, where)
    for k in frames:
        data = _FrameBytes(fh, per_frame[k])
        here = f"{where}: frame {k + 1}" if fmt.number_of_frames > 1 else f"{where}: the frame"
        if fmt.transfer_syntax_uid == RLE:
            check_rle(data.read(0, 64), data.length, fmt, here)
            continue
        kind = ("JPEG 2000" if fmt.transfer_syntax_uid in J2K_SYNTAXES
                else "JPEG-LS" if fmt.transfer_syntax_uid in _JPEG_LS else "JPEG")
        try:
            found = (j2k_size(data.read(0, 4096)) if kind == "JPEG 2000"
                     else jpeg_size(data, _SOF55 if kind == "JPEG-LS" else None))
        except (ValueError, struct.error) as exc:
            raise DicomReadError(f"not a {kind} codestream: {exc}", where=here) from exc
        _same_size(found, fmt, kind, here)


def _head(fh: BinaryIO, frag: Fragment) -> bytes:
    fh.seek(frag.offset)
    return fh.read(min(2, frag.length))


def _pixel_items(fh: BinaryIO, size: int, where: str) -> int | None:
    """Offset of the first item of the encapsulated pixel data; None when the walk cannot say."""
    n = 32 * 1024
    while True:
        fh.seek(0)
        buf = fh.read(n)
        try:
            scanned = scan(buf)
        except Truncated:
            scanned = None
        except ScanError:
            return None
        if scanned is None or (scanned.pixel_tag is None and len(buf) < size):
            if len(buf) >= size or n >= MAX_HEADER_BYTES:
                raise DicomReadError("the header ends before the pixel data (truncated file)", where=where)
            n *= 8
            continue
        if scanned.pixel_tag != 0x7FE00010 or scanned.pixel_value_offset is None:
            raise DicomReadError("no pixel data element", where=where)
        if scanned.pixel_value_length is not None:
            raise DicomReadError(f"transfer syntax {scanned.transfer_syntax_uid} needs encapsulated pixel data,"
                                 " the file holds it unencapsulated", where=where)
        return scanned.pixel_value_offset


def _items(fh: BinaryIO, pos: int, size: int, where: str) -> tuple[list[int], list[Fragment]]:
    """Basic Offset Table entries and fragments of encapsulated data starting at ``pos``."""
    bot: list[int] | None = None
    fragments: list[Fragment] = []
    while pos + 8 <= size:
        fh.seek(pos)
        head = fh.read(8)
        if len(head) < 8:
            break
        group, elem, length = struct.unpack("<HHL", head)
        tag = group << 16 | elem
        if tag == _SEQ_END:
            break
        if tag != _ITEM:
            raise DicomReadError(f"encapsulated pixel data: expected an item at byte {pos}, found"
                                 f" ({group:04X},{elem:04X})", where=where)
        if length == 0xFFFFFFFF or pos + 8 + length > size:
            raise DicomReadError(f"encapsulated pixel data: an item of {length} bytes at byte {pos} runs past"
                                 f" the end of the file ({size} bytes)", where=where)
        if bot is None:
            fh.seek(pos + 8)
            table = fh.read(length)
            bot = list(struct.unpack(f"<{length // 4}L", table[:length // 4 * 4]))
        else:
            fragments.append(Fragment(pos + 8, length))
        pos += 8 + length
    if not fragments:
        raise DicomReadError("encapsulated pixel data holds no fragment", where=where)
    return bot or [], fragments


def frame_fragments(bot: Sequence[int], fragments: Sequence[Fragment], n_frames: int,
                    head: Callable[[Fragment], bytes], where: str) -> list[list[Fragment]]:
    """The fragments of each frame (PS3.5 A.4): all of them for one frame; by the Basic Offset
    Table when it is there; one per frame when the counts match; else by start-of-codestream marker."""
    if n_frames == 1:
        return [list(fragments)]
    if bot:
        if len(bot) != n_frames:
            raise DicomReadError(f"the Basic Offset Table lists {len(bot)} frames, NumberOfFrames is {n_frames}",
                                 where=where)
        first = fragments[0].offset - 8
        starts = [f.offset - 8 - first for f in fragments]
        out: list[list[Fragment]] = []
        for k, off in enumerate(bot):
            end = bot[k + 1] if k + 1 < len(bot) else None
            out.append([f for f, s in zip(fragments, starts) if s >= off and (end is None or s < end)])
        if any(not frame for frame in out):
            raise DicomReadError("the Basic Offset Table points between fragments", where=where)
        return out
    if len(fragments) == n_frames:
        return [[f] for f in fragments]
    groups: list[list[Fragment]] = []
    for f in fragments:
        if not groups or head(f) in (b"\xff\xd8", b"\xff\x4f"):
            groups.append([f])
        else:
            groups[-1].append(f)
    if len(groups) != n_frames:
        raise DicomReadError(f"encapsulated pixel data holds {len(fragments)} fragments for {n_frames} frames and"
                             " no offset table", where=where)
    return groups


def check_rle(header: bytes, frame_length: int, fmt: PixelFormat, where: str) -> None:
    """Refuse an RLE frame whose segments cannot hold ``rows x columns`` bytes each (PS3.5 G.5)."""
    if len(header) < 64:
        raise DicomReadError(f"RLE frame of {frame_length} bytes is shorter than its 64-byte header", where=where)
    values = struct.unpack("<16L", header)
    n_seg, offsets = values[0], values[1:]
    want = fmt.samples_per_pixel * ((fmt.bits_allocated + 7) // 8)
    if n_seg != want:
        raise DicomReadError(f"RLE header lists {n_seg} segments, {fmt.samples_per_pixel} sample(s) of"
                             f" {fmt.bits_allocated} bits need {want}", where=where)
    starts = list(offsets[:n_seg]) + [frame_length]
    per_segment = fmt.rows * fmt.columns
    for i in range(n_seg):
        length = starts[i + 1] - starts[i]
        if starts[i] < 64 or length <= 0:
            raise DicomReadError(f"RLE segment {i + 1} has offset {starts[i]}, not within the frame's"
                                 f" {frame_length} bytes after its header", where=where)
        if per_segment > RLE_MAX_EXPANSION * length:
            raise DicomReadError(
                f"RLE segment {i + 1} holds {length} bytes, which decode to at most {RLE_MAX_EXPANSION * length};"
                f" the header declares {fmt.rows} x {fmt.columns} pixels ({per_segment} bytes per segment)",
                where=where, advice="the file is corrupt or hostile: its declared size was not allocated")


def jpeg_size(data: _FrameBytes, marker: int | None) -> tuple[int, int, int]:
    """(lines, samples per line, components) of the frame's SOFn (or SOF55 for JPEG-LS) segment."""
    if data.read(0, 2) != b"\xff\xd8":
        raise ValueError("the frame does not start with a JPEG SOI marker")
    pos = 2
    while pos < min(data.length, MARKER_SEARCH_BYTES):
        head = data.read(pos, 4)
        if len(head) < 4:
            break
        if head[0] != 0xFF:
            raise ValueError(f"no JPEG marker at byte {pos} of the frame")
        code = head[1]
        if code == 0xFF:  # fill byte
            pos += 1
            continue
        if code in (0x01, *range(0xD0, 0xD8)):  # TEM, RSTn: no length
            pos += 2
            continue
        if code == 0xDA or code == 0xD9:  # SOS or EOI before any SOF
            break
        length = struct.unpack(">H", head[2:4])[0]
        if (marker is None and code in _SOF) or code == marker:
            seg = data.read(pos + 4, 6)
            if len(seg) < 6:
                break
            _precision, lines, samples, comps = struct.unpack(">BHHB", seg)
            return lines, samples, comps
        pos += 2 + length
    raise ValueError("no start-of-frame marker before the scan data")


def j2k_size(head: bytes) -> tuple[int, int, int]:
    """(height, width, components) from the SIZ segment (after SOC, or inside a JP2 'jp2c' box)."""
    at = head.find(b"\xff\x4f\xff\x51")
    if at < 0:
        raise ValueError("no JPEG 2000 SOC + SIZ marker at the start of the frame")
    siz = head[at + 4:at + 4 + 38]
    if len(siz) < 38:
        raise ValueError("the JPEG 2000 SIZ segment is truncated")
    _lsiz, _rsiz, xsiz, ysiz, x0, y0, _xt, _yt, _xt0, _yt0, comps = struct.unpack(">HHLLLLLLLLH", siz)
    return ysiz - y0, xsiz - x0, comps


@dataclass(frozen=True)
class J2kSiz:
    """What a JPEG 2000 SIZ segment says of the image and of its first component."""

    rows: int
    columns: int
    components: int
    precision_bits: int  # 1..38
    signed: bool


def j2k_siz(head: bytes) -> J2kSiz:
    """The SIZ segment of a JPEG 2000 codestream (ISO/IEC 15444-1 A.5.1), component 0's Ssiz included."""
    rows, columns, comps = j2k_size(head)
    at = head.find(b"\xff\x4f\xff\x51") + 4 + 38
    if comps < 1 or len(head) < at + 3:
        raise ValueError("the JPEG 2000 SIZ segment is truncated")
    ssiz = head[at]
    return J2kSiz(rows, columns, comps, (ssiz & 0x7F) + 1, bool(ssiz & 0x80))


def read_frame(ref: FileRef, fmt: PixelFormat, frame: int) -> bytes:
    """The encapsulated bytes of frame ``frame`` (0-based; its fragments end to end), read straight
    from the file by walking the item headers, without a pydicom parse."""
    def visit(fh: BinaryIO, start: int, size: int, where: str) -> bytes:
        data = _FrameBytes(fh, _frames(fh, start, size, fmt, (frame,), where)[frame])
        return data.read(0, data.length)
    return _with_items(ref, visit)


def _same_size(found: tuple[int, int, int], fmt: PixelFormat, kind: str, where: str) -> None:
    lines, samples, comps = found
    if (lines, samples) != (fmt.rows, fmt.columns) or comps != fmt.samples_per_pixel:
        raise DicomReadError(
            f"the {kind} codestream is {samples} x {lines} pixels with {comps} component(s); the DICOM header"
            f" says {fmt.columns} x {fmt.rows} with {fmt.samples_per_pixel}", where=where,
            advice="the file is corrupt or hostile: it was not decoded")


def frames_by_file(tasks: Sequence[tuple[FileRef, int, PixelFormat]]) -> Iterator[tuple[FileRef, PixelFormat, list[int]]]:
    """(file, format, frames) for each file of ``tasks`` (file order kept)."""
    grouped: dict[FileRef, tuple[PixelFormat, list[int]]] = {}
    for ref, frame, fmt in tasks:
        grouped.setdefault(ref, (fmt, []))[1].append(frame)
    for ref, (fmt, frames) in grouped.items():
        yield ref, fmt, frames
