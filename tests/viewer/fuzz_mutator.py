"""A seeded, structure-aware mutator of DICOM files (issue 9: fuzzing belongs in the suite).

A mutant is a function of (seed file, seed number, mutant number) only, so any finding replays
with :func:`mutant`. Kinds:

* ``truncate``: the file cut at a random point (in the header, in the pixel data, near the end);
* ``flip``: 1 to 8 random bytes changed;
* ``length``: one element's length field set to a hostile value (0, odd, off by one, huge,
  undefined);
* ``vr``: one explicit VR replaced (by another VR, or by bytes that are none);
* ``transfer_syntax``: the file meta TransferSyntaxUID swapped for another (known or not);
* ``pixel_size``: Rows, Columns, BitsAllocated, BitsStored, HighBit, SamplesPerPixel,
  PixelRepresentation or NumberOfFrames set to an edge value (added when absent);
* ``header_value``: a geometry, rescale, timing, b-value or text attribute set to NaN, inf,
  1e308, nothing, garbage or a wrong multiplicity (nested ones too, at their own length);
* ``pixel_data``: for encapsulated data, a fragment or offset-table length, a codestream size, or
  an RLE header changed.

Deflated files are mutated in their inflated form and deflated again (``truncate`` and ``flip``
act on the file as stored). Elements are found by an independent walk (not lesionlab's).
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

KINDS = ("truncate", "flip", "length", "vr", "transfer_syntax", "pixel_size", "header_value", "pixel_data")
DEFLATED = "1.2.840.10008.1.2.1.99"
IMPLICIT = "1.2.840.10008.1.2"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
SYNTAXES = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", BIG_ENDIAN, DEFLATED, "1.2.840.10008.1.2.5",
            "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
            "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
            "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.100", "1.2.3.4", "", "1.2.840.10008.1.2.1\\1.2")
_LONG = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_VRS = (b"AE", b"CS", b"DS", b"IS", b"LO", b"OB", b"OW", b"SQ", b"UN", b"US", b"UL", b"FL", b"FD", b"UI", b"UT",
        b"XX", b"\x00\x00", b"ob")
_PIXEL_DATA = 0x7FE00010
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD

#: (tag, VR) of pixel-size attributes; US values, NumberOfFrames IS.
PIXEL_TAGS = {0x00280010: "US", 0x00280011: "US", 0x00280100: "US", 0x00280101: "US", 0x00280102: "US",
              0x00280002: "US", 0x00280103: "US", 0x00280008: "IS"}
_US_EDGES = (0, 1, 2, 3, 7, 8, 12, 15, 16, 17, 24, 32, 33, 63, 64, 65, 255, 4096, 32767, 65535)
_FRAMES = (b"0", b"-1", b"2", b"3", b"1000000", b"NaN", b"", b"abc", b"1e9", b"99999999999999999999")
#: Text attributes whose values are mutated, with their VR.
HEADER_TAGS = {
    0x00200037: "DS", 0x00200032: "DS", 0x00280030: "DS", 0x00181164: "DS", 0x00180050: "DS", 0x00281053: "DS",
    0x00281052: "DS", 0x00281050: "DS", 0x00281051: "DS", 0x00181120: "DS", 0x00180081: "DS", 0x00180080: "DS",
    0x00180088: "DS", 0x00201041: "DS", 0x00181060: "DS", 0x00200011: "IS", 0x00200013: "IS", 0x00200012: "IS",
    0x00200100: "IS", 0x00189087: "FD", 0x00080060: "CS", 0x00080016: "UI", 0x00080008: "CS", 0x0008103E: "LO",
    0x00280004: "CS", 0x00080005: "CS", 0x00080070: "LO", 0x00180020: "CS", 0x00180022: "CS", 0x0020000E: "UI",
    0x00080032: "TM", 0x00080020: "DA", 0x00180010: "LO", 0x00181042: "TM", 0x00180024: "SH",
}
_NUMBERS = (b"NaN", b"nan", b"inf", b"-inf", b"Infinity", b"1e308", b"-1e308", b"1e-320", b"0", b"-0", b"-1",
            b"", b"\\", b"1\\2", b"abc", b"1" * 64, b"0\\0\\0\\0\\0\\0", b"1\\0\\0\\1\\0\\0", b"NaN\\0\\0\\0\\1\\0",
            b"0\\0\\1e308", b"inf\\inf\\inf", b"1\\1\\1\\1\\1\\1\\1\\1", b"1e400", b"0x10", b"  ")
_TEXTS = (b"", b"\xff\xfe\x00", b"MONOCHROME1", b"RGB", b"YBR_FULL", b"PALETTE COLOR", b"ISO_IR 192",
          b"ISO 2022 IR 87\\ISO 2022 IR 13", b"GARBAGE_CHARSET", b"1.2.840.10008.5.1.4.1.1.7", b"1.2.840.10008.1.3.10",
          b"1.2.840.10008.5.1.4.1.1.88.11", b"MR", b"CT", b"OT", b"DERIVED\\SECONDARY\\LOCALIZER",
          b"ORIGINAL\\PRIMARY\\ADC", "é€\u202e".encode(), b"x" * 300, b"\x00" * 6, b"240101", b"99999999")


@dataclass(frozen=True)
class Element:
    """Where one element lies in its region (meta or dataset bytes)."""

    tag: int
    vr: bytes | None
    start: int
    len_off: int
    len_size: int
    value_off: int
    length: int  # -1: undefined
    depth: int


@dataclass
class Parsed:
    """A file split for mutation: preamble+meta, dataset (inflated when deflated), and their elements."""

    prefix: bytearray
    meta: list[Element]
    body: bytearray
    elements: list[Element]
    ts: str
    little: bool
    explicit: bool
    deflated: bool

    def assemble(self) -> bytes:
        body = bytes(self.body)
        if self.deflated:
            comp = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            body = comp.compress(body) + comp.flush()
        return bytes(self.prefix) + body


def _walk(buf: bytes | bytearray, pos: int, end: int, explicit: bool, little: bool, depth: int,
          out: list[Element], meta_only: bool = False) -> int:
    e = "<" if little else ">"
    while pos + 8 <= end:
        group, elem = struct.unpack_from(e + "HH", buf, pos)
        tag = group << 16 | elem
        if meta_only and group != 0x0002:
            return pos
        if tag in (_ITEM_END, _SEQ_END):
            return pos + 8
        if explicit and group != 0xFFFE:
            vr = bytes(buf[pos + 4:pos + 6])
            if vr in _LONG:
                len_off, size, voff = pos + 8, 4, pos + 12
            else:
                len_off, size, voff = pos + 6, 2, pos + 8
        else:
            vr, len_off, size, voff = None, pos + 4, 4, pos + 8
        if voff > end:
            return end
        length = struct.unpack_from(e + ("L" if size == 4 else "H"), buf, len_off)[0]
        undefined = size == 4 and length == 0xFFFFFFFF
        out.append(Element(tag, vr, pos, len_off, size, voff, -1 if undefined else length, depth))
        if tag == _PIXEL_DATA and depth == 0:
            if undefined:
                _items(buf, voff, end, little, depth + 1, out)
            return end
        if vr == b"SQ" or undefined:
            stop = end if undefined else min(end, voff + length)
            pos = _sequence(buf, voff, stop, explicit and vr != b"UN", little, depth + 1, out)
            if not undefined:
                pos = voff + length
        else:
            pos = voff + length
    return pos


def _sequence(buf: bytes | bytearray, pos: int, end: int, explicit: bool, little: bool, depth: int,
              out: list[Element]) -> int:
    e = "<" if little else ">"
    while pos + 8 <= end:
        group, elem, length = struct.unpack_from(e + "HHL", buf, pos)
        tag = group << 16 | elem
        if tag == _SEQ_END:
            return pos + 8
        if tag != _ITEM:
            return end
        out.append(Element(tag, None, pos, pos + 4, 4, pos + 8, -1 if length == 0xFFFFFFFF else length, depth))
        if length == 0xFFFFFFFF:
            pos = _walk(buf, pos + 8, end, explicit, little, depth, out)
        else:
            _walk(buf, pos + 8, min(end, pos + 8 + length), explicit, little, depth, out)
            pos += 8 + length
    return end


def _items(buf: bytes | bytearray, pos: int, end: int, little: bool, depth: int, out: list[Element]) -> None:
    """Items of encapsulated pixel data (offset table, fragments)."""
    while pos + 8 <= end:
        group, elem, length = struct.unpack_from("<HHL", buf, pos)
        tag = group << 16 | elem
        if tag != _ITEM:
            return
        out.append(Element(tag, None, pos, pos + 4, 4, pos + 8, length, depth))
        pos += 8 + length


def parse(data: bytes) -> Parsed | None:
    """Split a Part 10 file for mutation; None when it is not one (byte-level kinds only then)."""
    if len(data) < 132 or data[128:132] != b"DICM":
        return None
    meta: list[Element] = []
    meta_end = _walk(data, 132, len(data), True, True, 0, meta, meta_only=True)
    ts_el = next((m for m in meta if m.tag == 0x00020010), None)
    if ts_el is None:
        return None
    ts = data[ts_el.value_off:ts_el.value_off + ts_el.length].decode("ascii", "replace").strip("\x00 ")
    deflated = ts == DEFLATED
    body = bytearray(data[meta_end:])
    if deflated:
        try:
            body = bytearray(zlib.decompress(bytes(body), -zlib.MAX_WBITS))
        except zlib.error:
            return None
    explicit, little = ts != IMPLICIT, ts != BIG_ENDIAN
    elements: list[Element] = []
    try:
        _walk(body, 0, len(body), explicit, little, 0, elements)
    except struct.error:
        pass
    return Parsed(bytearray(data[:meta_end]), meta, body, elements, ts, little, explicit, deflated)


# ------------------------------------------------------------------------------------------ edits
def _pad(value: bytes, vr: str) -> bytes:
    if len(value) % 2:
        value += b"\x00" if vr in ("UI", "OB", "US", "FD", "FL") else b" "
    return value


def _set_length(region: bytearray, el: Element, length: int, little: bool) -> None:
    e = "<" if little else ">"
    if el.len_size == 2:
        struct.pack_into(e + "H", region, el.len_off, length & 0xFFFF)
    else:
        struct.pack_into(e + "L", region, el.len_off, length & 0xFFFFFFFF)


def set_value(region: bytearray, el: Element, value: bytes, vr: str, little: bool, resize: bool) -> None:
    """Replace an element's value: resized (top level: its length field follows) or, nested, kept at
    its own length (so no enclosing length needs fixing)."""
    if el.length < 0:
        return
    if not resize or el.depth > 0:
        value = value[:el.length].ljust(el.length, b"\x00" if vr in ("UI", "US", "FD", "FL") else b" ")
        region[el.value_off:el.value_off + el.length] = value
        return
    value = _pad(value, vr)
    if el.len_size == 2:
        value = value[:0xFFFE]
    region[el.value_off:el.value_off + el.length] = value
    _set_length(region, el, len(value), little)


def _element_bytes(tag: int, vr: str, value: bytes, explicit: bool, little: bool) -> bytes:
    e = "<" if little else ">"
    value = _pad(value, vr)
    head = struct.pack(e + "HH", tag >> 16, tag & 0xFFFF)
    if not explicit:
        return head + struct.pack(e + "L", len(value)) + value
    if vr.encode() in _LONG:
        return head + vr.encode() + b"\x00\x00" + struct.pack(e + "L", len(value)) + value
    return head + vr.encode() + struct.pack(e + "H", len(value)) + value


def _insert(p: Parsed, tag: int, vr: str, value: bytes) -> None:
    """Add a top-level element in tag order."""
    after = next((el.start for el in p.elements if el.depth == 0 and el.tag > tag), len(p.body))
    p.body[after:after] = _element_bytes(tag, vr, value, p.explicit, p.little)


def _binary(vr: str, number: float, little: bool) -> bytes:
    e = "<" if little else ">"
    if vr == "US":
        return struct.pack(e + "H", int(number) & 0xFFFF)
    if vr == "FD":
        return struct.pack(e + "d", number)
    return struct.pack(e + "f", number)


def _fix_group_length(p: Parsed) -> None:
    """(0002,0000) = bytes of the meta group after it (PS3.10 7.1)."""
    meta: list[Element] = []
    end = _walk(p.prefix, 132, len(p.prefix), True, True, 0, meta, meta_only=True)
    group = next((m for m in meta if m.tag == 0x00020000), None)
    if group is not None and group.length == 4:
        struct.pack_into("<L", p.prefix, group.value_off, end - (group.value_off + 4))


# ------------------------------------------------------------------------------------------ kinds
def _truncate(data: bytes, rng: random.Random) -> bytes:
    where = rng.random()
    n = len(data)
    if where < 0.4:
        cut = rng.randrange(0, min(n, 4096))
    elif where < 0.8:
        cut = rng.randrange(0, n)
    else:
        cut = n - rng.randrange(1, min(n, 64) + 1)
    return data[:cut]


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    header = min(len(out), 4096)
    for _ in range(rng.randint(1, 8)):
        pos = rng.randrange(0, header) if rng.random() < 0.6 else rng.randrange(0, len(out))
        out[pos] = rng.choice((0x00, 0xFF, 0x80, 0x7F, rng.randrange(256), out[pos] ^ (1 << rng.randrange(8))))
    return bytes(out)


def _length(p: Parsed, rng: random.Random) -> str:
    region, elements, little = (p.body, p.elements, p.little) if p.elements and rng.random() < 0.85 \
        else (p.prefix, p.meta, True)
    if not elements:
        return "none"
    el = rng.choice(elements)
    big = (0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFF, 0x10000000, len(region), len(region) + 1) if el.len_size == 4 \
        else (0xFFFF, 0xFFFE, 0x8000)
    length = max(el.length, 0)
    _set_length(region, el, rng.choice((0, 1, 2, 3, length + 1, max(length - 1, 0), length * 2, *big)), little)
    return f"({el.tag >> 16:04X},{el.tag & 0xFFFF:04X})"


def _vr(p: Parsed, rng: random.Random) -> str:
    explicit = [el for el in p.elements if el.vr is not None] if p.explicit else []
    region, pool = (p.body, explicit) if explicit and rng.random() < 0.85 else (p.prefix, p.meta)
    if not pool:
        return "none"
    el = rng.choice(pool)
    region[el.start + 4:el.start + 6] = rng.choice(_VRS)
    return f"({el.tag >> 16:04X},{el.tag & 0xFFFF:04X})"


def _transfer_syntax(p: Parsed, rng: random.Random) -> str:
    ts_el = next(m for m in p.meta if m.tag == 0x00020010)
    new = rng.choice([s for s in SYNTAXES if s != p.ts])
    set_value(p.prefix, ts_el, new.encode(), "UI", True, resize=True)
    _fix_group_length(p)
    return new or "(empty)"


def _pixel_size(p: Parsed, rng: random.Random) -> str:
    tag = rng.choice(sorted(PIXEL_TAGS))
    vr = PIXEL_TAGS[tag]
    value = rng.choice(_FRAMES) if vr == "IS" else _binary("US", rng.choice(_US_EDGES), p.little)
    targets = [el for el in p.elements if el.tag == tag]
    if targets:
        for el in targets:
            set_value(p.body, el, value, vr, p.little, resize=True)
    else:
        _insert(p, tag, vr, value)
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})={value!r}"


def _header_value(p: Parsed, rng: random.Random) -> str:
    present = [el for el in p.elements if el.tag in HEADER_TAGS]
    if present and rng.random() < 0.8:
        el = rng.choice(present)
        tag = el.tag
    else:
        el, tag = None, rng.choice(sorted(HEADER_TAGS))
    vr = HEADER_TAGS[tag]
    if vr == "FD":
        value = _binary("FD", rng.choice((float("nan"), float("inf"), -1.0, 1e308, 0.0)), p.little)
    elif vr in ("DS", "IS"):
        value = rng.choice(_NUMBERS)
    else:
        value = rng.choice(_TEXTS)
    if el is not None:
        set_value(p.body, el, value, vr, p.little, resize=rng.random() < 0.7)
    else:
        _insert(p, tag, vr, value)
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})={value[:24]!r}"


def _pixel_data(p: Parsed, rng: random.Random) -> str:
    pixel = next((el for el in p.elements if el.tag == _PIXEL_DATA and el.depth == 0), None)
    if pixel is None or pixel.length >= 0:
        return "none"
    items = [el for el in p.elements if el.tag == _ITEM and el.start > pixel.start]
    if not items:
        return "none"
    el = rng.choice(items)
    choice = rng.randrange(4)
    if choice == 0:
        _set_length(p.body, el, rng.choice((0, 1, 3, el.length + 2, el.length * 4, 0xFFFFFFFF, 0x7FFFFFF0)), True)
        return "item length"
    start = el.value_off
    if choice == 1 and el.length >= 64:  # RLE header or codestream start
        for _ in range(rng.randint(1, 4)):
            k = start + rng.randrange(0, 64)
            p.body[k] = rng.randrange(256)
        return "fragment head bytes"
    data = bytes(p.body[start:start + min(el.length, 4096)])
    for marker, off in ((b"\xff\x4f\xff\x51", 8), (b"\xff\xc0", 5), (b"\xff\xc1", 5), (b"\xff\xc3", 5),
                        (b"\xff\xf7", 5)):
        at = data.find(marker)
        if at >= 0:
            size = rng.choice((0, 1, 65535, 0xFFFFFFFF if off == 8 else 40000, rng.randrange(1 << 16)))
            fmt = ">LL" if off == 8 else ">HH"
            struct.pack_into(fmt, p.body, start + at + off, size & (0xFFFFFFFF if off == 8 else 0xFFFF),
                             rng.randrange(1 << 16))
            return "codestream size"
    if len(data) >= 8:  # RLE: number of segments and first offset
        struct.pack_into("<LL", p.body, start, rng.choice((0, 1, 3, 15, 16, 0xFFFFFFFF)), rng.randrange(1 << 32))
        return "RLE header"
    return "none"


_STRUCTURED = {"length": _length, "vr": _vr, "transfer_syntax": _transfer_syntax, "pixel_size": _pixel_size,
               "header_value": _header_value, "pixel_data": _pixel_data}


def mutant(data: bytes, seed: int, index: int) -> tuple[str, str, bytes]:
    """(kind, detail, bytes) of mutant ``index`` of ``data`` under ``seed``: reproducible."""
    rng = random.Random(f"{seed}:{index}")
    kind = rng.choice(KINDS)
    if kind == "truncate":
        return kind, "", _truncate(data, rng)
    if kind == "flip":
        return kind, "", _flip(data, rng)
    p = parse(data)
    if p is None:
        return "flip", "(unparsed seed)", _flip(data, rng)
    try:
        detail = _STRUCTURED[kind](p, rng)
    except (struct.error, IndexError, StopIteration, ValueError):
        return "flip", f"({kind} not applicable)", _flip(data, rng)
    if detail == "none":
        return "flip", f"({kind} not applicable)", _flip(data, rng)
    return kind, detail, p.assemble()


def seed_choice(seeds: list[Path], seed: int, index: int) -> Path:
    """Which seed file mutant ``index`` mutates (round robin from a seeded offset)."""
    return seeds[(index + seed) % len(seeds)]
