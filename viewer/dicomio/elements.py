"""A minimal, fast walk over the top-level data elements of a DICOM file held in memory.

Why: the indexer reads thousands of headers; pydicom's general reader builds a Dataset and
converts values on access, which costs more than the index needs. This walk records, for each
top-level element, where its value lies in the buffer (no copy, no conversion), skips
sequences, and stops at the pixel data element, whose exact offset it reports. It supports the
file meta group (PS3.10 7.1) and the little-endian transfer syntaxes (implicit and explicit VR,
PS3.5 7.1); anything else (big endian, deflate, no preamble, odd encodings) raises
:class:`ScanError` and the caller falls back to pydicom.

:class:`Truncated` means the buffer ended inside an element: read more of the file and retry,
or, when the buffer already is the whole file, the file is truncated.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

#: Explicit VRs with a 2-byte reserved field and a 4-byte length (PS3.5 Table 7.1-1).
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})
_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF

IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
#: Transfer syntaxes whose dataset is explicit VR little endian (encapsulated pixel data included).
_EXPLICIT_LE_FAMILY_PREFIX = "1.2.840.10008.1.2.4."
_OTHER_EXPLICIT_LE = frozenset({EXPLICIT_VR_LE, "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.1.98"})

_tag_vr_len16 = struct.Struct("<HH2sH").unpack_from
_tag_len32 = struct.Struct("<HHL").unpack_from
_u32 = struct.Struct("<L").unpack_from


class ScanError(ValueError):
    """The bytes are not a DICOM encoding this walk handles (fall back to pydicom)."""


class Truncated(ScanError):
    """The buffer ends inside an element."""


class Element(NamedTuple):
    """Where one element's value lies in the buffer. ``vr`` is None in implicit VR."""

    vr: bytes | None
    offset: int
    length: int  # -1 for an undefined-length sequence (its items are skipped)


@dataclass(frozen=True, slots=True)
class ScannedFile:
    """The walk's result: meta and dataset elements by tag number, and where pixel data starts."""

    meta: dict[int, Element]
    elements: dict[int, Element]
    transfer_syntax_uid: str
    explicit_vr: bool
    pixel_tag: int | None  # (7FE0,0010) or the float variants; None when the file has none
    pixel_tag_offset: int | None  # offset of the pixel data element's tag
    pixel_value_offset: int | None  # first byte of its value
    pixel_value_length: int | None  # None when undefined (encapsulated)
    end_offset: int  # where the walk stopped


def is_explicit_le(transfer_syntax_uid: str) -> bool | None:
    """True/False for explicit/implicit VR little endian datasets; None for syntaxes we do not walk."""
    if transfer_syntax_uid == IMPLICIT_VR_LE:
        return False
    if transfer_syntax_uid in _OTHER_EXPLICIT_LE or transfer_syntax_uid.startswith(_EXPLICIT_LE_FAMILY_PREFIX):
        return True
    return None


def has_preamble(buf: bytes) -> bool:
    """True when the buffer starts with a 128-byte preamble and 'DICM' (PS3.10 7.1)."""
    return len(buf) >= 132 and buf[128:132] == b"DICM"


def scan_meta(buf: bytes) -> tuple[dict[int, Element], int, str]:
    """The file meta group (PS3.10 7.1): its elements, where the dataset starts, the transfer syntax.

    Raises :class:`ScanError` (or :class:`Truncated`) like :func:`scan`.
    """
    if not has_preamble(buf):
        raise ScanError("no DICM preamble")
    meta: dict[int, Element] = {}
    pos = _walk(buf, 132, True, meta, meta_only=True)
    ts_el = meta.get(0x00020010)
    if ts_el is None:
        raise ScanError("no TransferSyntaxUID in the file meta")
    ts = buf[ts_el.offset:ts_el.offset + ts_el.length].decode("ascii", "replace").strip("\x00 ")
    return meta, pos, ts


def scan(buf: bytes) -> ScannedFile:
    """Walk the meta group and the top-level dataset of a Part 10 file held in ``buf``.

    Raises :class:`ScanError` for encodings this walk does not handle and :class:`Truncated`
    when the buffer ends inside an element (before the pixel data element).
    """
    meta, pos, ts = scan_meta(buf)
    explicit = is_explicit_le(ts)
    if explicit is None:
        raise ScanError(f"transfer syntax {ts} is not walked here")
    elements: dict[int, Element] = {}
    end = _walk(buf, pos, explicit, elements, meta_only=False)
    pixel_tag = pixel_value_offset = pixel_length = None
    tag_offset = None
    if end + 8 <= len(buf):
        g, e = struct.unpack_from("<HH", buf, end)
        pixel_tag = g << 16 | e
        tag_offset = end
        if explicit:
            vr = buf[end + 4:end + 6]
            if vr in _LONG_VRS:
                if end + 12 > len(buf):
                    raise Truncated("buffer ends in the pixel data element header")
                length = _u32(buf, end + 8)[0]
                pixel_value_offset = end + 12
            else:
                length = struct.unpack_from("<H", buf, end + 6)[0]
                pixel_value_offset = end + 8
        else:
            length = _u32(buf, end + 4)[0]
            pixel_value_offset = end + 8
        pixel_length = None if length == _UNDEFINED else length
    return ScannedFile(meta, elements, ts, explicit, pixel_tag, tag_offset, pixel_value_offset, pixel_length, end)


def _walk(buf: bytes, pos: int, explicit: bool, out: dict[int, Element], *, meta_only: bool) -> int:
    """Record top-level elements from ``pos``; return the offset where the walk stopped.

    Stops at the end of the buffer, at the first non-0002 group when ``meta_only``, or at a
    pixel data tag (whose offset is returned).
    """
    n = len(buf)
    while pos + 8 <= n:
        if explicit:
            group, elem, vr, length = _tag_vr_len16(buf, pos)
            tag = group << 16 | elem
            if meta_only and group != 0x0002:
                return pos
            if tag in _PIXEL_TAGS:
                return pos
            if vr in _LONG_VRS:
                if pos + 12 > n:
                    raise Truncated(f"buffer ends in element ({group:04X},{elem:04X})")
                length = _u32(buf, pos + 8)[0]
                voff = pos + 12
            elif len(vr) == 2 and 65 <= vr[0] <= 90 and 65 <= vr[1] <= 90:
                voff = pos + 8
            else:
                raise ScanError(f"bad VR {vr!r} at offset {pos}")
        else:
            group, elem, length = _tag_len32(buf, pos)
            tag = group << 16 | elem
            if tag in _PIXEL_TAGS:
                return pos
            vr = None
            voff = pos + 8
        if group == 0xFFFE:
            raise ScanError(f"item tag at top level, offset {pos}")
        if length == _UNDEFINED:
            # An undefined length is only legal for SQ (and UN holding a sequence, which is
            # then encoded implicit VR little endian: PS3.5 6.2.2).
            nested_explicit = explicit and vr != b"UN"
            pos = _skip_sequence(buf, voff, nested_explicit)
            out[tag] = Element(vr, voff, -1)
            continue
        if voff + length > n:
            raise Truncated(f"buffer ends in the value of ({group:04X},{elem:04X})")
        out[tag] = Element(vr, voff, length)
        pos = voff + length
    if pos < n:
        raise Truncated("buffer ends in an element tag")
    return pos


def _skip_sequence(buf: bytes, pos: int, explicit: bool) -> int:
    """Offset just after the delimiter of an undefined-length sequence starting at ``pos``."""
    n = len(buf)
    while True:
        if pos + 8 > n:
            raise Truncated("buffer ends inside a sequence")
        group, elem, length = _tag_len32(buf, pos)
        tag = group << 16 | elem
        pos += 8
        if tag == _SEQ_END:
            return pos
        if tag != _ITEM:
            raise ScanError(f"expected an item tag in a sequence at offset {pos - 8}")
        if length == _UNDEFINED:
            pos = _skip_item(buf, pos, explicit)
        else:
            pos += length
            if pos > n:
                raise Truncated("buffer ends inside a sequence item")


def _skip_item(buf: bytes, pos: int, explicit: bool) -> int:
    """Offset just after the delimiter of an undefined-length item starting at ``pos``."""
    n = len(buf)
    while True:
        if pos + 8 > n:
            raise Truncated("buffer ends inside a sequence item")
        group, elem, length32 = _tag_len32(buf, pos)
        if group == 0xFFFE:
            if (group << 16 | elem) != _ITEM_END:
                raise ScanError(f"unexpected delimiter in an item at offset {pos}")
            return pos + 8
        if explicit:
            vr = buf[pos + 4:pos + 6]
            if vr in _LONG_VRS:
                if pos + 12 > n:
                    raise Truncated("buffer ends inside a sequence item")
                length = _u32(buf, pos + 8)[0]
                voff = pos + 12
            else:
                length = length32 >> 16
                voff = pos + 8
        else:
            vr, length, voff = None, length32, pos + 8
        if length == _UNDEFINED:
            pos = _skip_sequence(buf, voff, explicit and vr != b"UN")
        else:
            pos = voff + length
