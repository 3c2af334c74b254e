"""Typed attribute access over either a scanned buffer or a pydicom Dataset.

The header builder asks for values by tag number and expected type (text, numbers, 16-bit
integers, raw bytes); two sources answer: :class:`BufferAttrs` (the fast walk of
:mod:`viewer.dicomio.elements`, decoding only the values asked for) and :class:`DatasetAttrs`
(a pydicom Dataset, for the encodings and the enhanced multi-frame sequences the walk leaves
to pydicom). :class:`ChainAttrs` looks a tag up in several sources in turn (per-frame
functional group, shared group, top level).
"""

from __future__ import annotations

import struct
import warnings
from functools import lru_cache
from typing import Any, Protocol, Sequence

from pydicom.charset import convert_encodings, decode_bytes
from pydicom.dataset import Dataset
from pydicom.valuerep import TEXT_VR_DELIMS

from viewer.dicomio.elements import Element

#: SpecificCharacterSet values decoded directly (others go through pydicom's charset module).
_SIMPLE_CHARSETS = {"": "latin-1", "ISO_IR 6": "latin-1", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}
_STRIP = " \x00"


@lru_cache(maxsize=64)
def python_encodings(terms: tuple[str, ...]) -> tuple[str, ...]:
    """Python codecs for the Specific Character Set's defined terms (PS3.3 C.12.1.1.2), by pydicom.

    ``("", "ISO 2022 IR 87")`` -> ``("iso8859", "iso2022_jp")``; ``ISO_IR 13`` is JIS X 0201
    (half-width katakana), ``ISO 2022 IR 149`` KS X 1001. An unknown term falls back to the
    default repertoire, as pydicom reads it (its warning is not repeated for every value).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(convert_encodings(list(terms)))


def decode_text(data: bytes, encodings: Sequence[str]) -> str:
    """A text value decoded as pydicom decodes text and PN values (code extensions by escape
    sequences, reset at the text delimiters); bytes no codec takes become U+FFFD, never an error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return decode_bytes(data, encodings, TEXT_VR_DELIMS)
    except (LookupError, UnicodeError):  # pydicom raises them when its validation mode is RAISE
        return data.decode("latin-1", "replace")


class Attrs(Protocol):
    """What the header builder needs from a source of attributes."""

    def has(self, tag: int) -> bool: ...
    def raw(self, tag: int) -> bytes | None: ...
    def text(self, tag: int) -> str | None: ...
    def numbers(self, tag: int) -> tuple[float, ...] | None: ...
    def uint16(self, tag: int) -> int | None: ...
    def float32(self, tag: int) -> float | None: ...
    def float64(self, tag: int) -> float | None: ...
    def creators(self, group: int) -> dict[str, int]: ...


def parse_numbers(text: str | None) -> tuple[float, ...] | None:
    """Numbers of a DS/IS value ``'1.5\\2'``; None when absent, empty or not numeric."""
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split("\\") if v.strip())
    except ValueError:
        return None
    return values or None


class BufferAttrs:
    """Attributes of a scanned buffer: values decoded on demand from their byte ranges."""

    __slots__ = ("buf", "elements", "encoding", "encodings")

    def __init__(self, buf: bytes, elements: dict[int, Element]) -> None:
        self.buf = buf
        self.elements = elements
        #: one codec for the common single-byte and UTF-8 sets; else None and ``encodings`` apply.
        self.encoding: str | None = "latin-1"
        self.encodings: tuple[str, ...] = ()
        cs = elements.get(0x00080005)
        if cs is not None:
            value = buf[cs.offset:cs.offset + cs.length].decode("ascii", "replace").strip(_STRIP)
            self.encoding = _SIMPLE_CHARSETS.get(value)
            if self.encoding is None:
                self.encodings = python_encodings(tuple(v.strip(_STRIP) for v in value.split("\\")))

    def has(self, tag: int) -> bool:
        """True when the element is present (even empty)."""
        return tag in self.elements

    def raw(self, tag: int) -> bytes | None:
        """The value bytes, None when absent or a sequence."""
        el = self.elements.get(tag)
        if el is None or el.length < 0:
            return None
        return self.buf[el.offset:el.offset + el.length]

    def text(self, tag: int) -> str | None:
        """String value (multi-values joined by backslash), stripped; None when absent."""
        data = self.raw(tag)
        if data is None:
            return None if tag not in self.elements else ""
        if self.encoding is not None:
            return data.decode(self.encoding, "replace").strip(_STRIP)
        return decode_text(data, self.encodings).strip(_STRIP)

    def numbers(self, tag: int) -> tuple[float, ...] | None:
        """DS/IS values as floats."""
        return parse_numbers(self.text(tag))

    def uint16(self, tag: int) -> int | None:
        """US value (first value)."""
        data = self.raw(tag)
        return struct.unpack_from("<H", data)[0] if data and len(data) >= 2 else None

    def float32(self, tag: int) -> float | None:
        """FL value (first value)."""
        data = self.raw(tag)
        return float(struct.unpack_from("<f", data)[0]) if data and len(data) >= 4 else None

    def float64(self, tag: int) -> float | None:
        """FD value (first value)."""
        data = self.raw(tag)
        return float(struct.unpack_from("<d", data)[0]) if data and len(data) >= 8 else None

    def creators(self, group: int) -> dict[str, int]:
        """Private creator names of ``group`` (upper case) -> their block number."""
        return _creators(self, [t for t in self.elements if t >> 16 == group and 0x10 <= t & 0xFFFF <= 0xFF])


def _creators(attrs: Attrs, tags: Sequence[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for tag in tags:
        name = attrs.text(tag)
        if name:
            out.setdefault(name.strip().upper(), tag & 0xFF)
    return out


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1", "replace").strip(_STRIP)
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(_as_text(v) for v in value)
    return str(value).strip(_STRIP)


class DatasetAttrs:
    """Attributes of a pydicom Dataset (values as pydicom converts them)."""

    __slots__ = ("ds",)

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds

    def _value(self, tag: int) -> Any:
        try:
            el = self.ds.get(tag)
        except Exception:  # a value pydicom cannot convert counts as absent
            return None
        return None if el is None else el.value

    def has(self, tag: int) -> bool:
        """True when the element is present (even empty)."""
        return tag in self.ds

    def raw(self, tag: int) -> bytes | None:
        """Bytes of an OB/UN value (or of a text value, encoded back)."""
        value = self._value(tag)
        if value is None:
            return None
        if isinstance(value, bytes):
            return value
        return _as_text(value).encode("latin-1", "replace")

    def text(self, tag: int) -> str | None:
        """String value (multi-values joined by backslash), stripped; None when absent."""
        if tag not in self.ds:
            return None
        return _as_text(self._value(tag))

    def numbers(self, tag: int) -> tuple[float, ...] | None:
        """Numeric values as floats."""
        value = self._value(tag)
        if value is None or value == "":
            return None
        if isinstance(value, (bytes, str)):
            return parse_numbers(_as_text(value))
        try:
            seq = value if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" else [value]
            return tuple(float(v) for v in seq) or None
        except (TypeError, ValueError):
            return None

    def _first_number(self, tag: int) -> float | None:
        value = self._value(tag)
        if isinstance(value, bytes):  # an unconverted UN value
            return None
        nums = self.numbers(tag)
        return nums[0] if nums else None

    def uint16(self, tag: int) -> int | None:
        """US value (first value)."""
        value = self._value(tag)
        if isinstance(value, bytes):
            return struct.unpack_from("<H", value)[0] if len(value) >= 2 else None
        v = self._first_number(tag)
        return None if v is None else int(v)

    def float32(self, tag: int) -> float | None:
        """FL value (first value)."""
        value = self._value(tag)
        if isinstance(value, bytes):
            return float(struct.unpack_from("<f", value)[0]) if len(value) >= 4 else None
        return self._first_number(tag)

    def float64(self, tag: int) -> float | None:
        """FD value (first value)."""
        value = self._value(tag)
        if isinstance(value, bytes):
            return float(struct.unpack_from("<d", value)[0]) if len(value) >= 8 else None
        return self._first_number(tag)

    def creators(self, group: int) -> dict[str, int]:
        """Private creator names of ``group`` (upper case) -> their block number."""
        lo, hi = (group << 16) | 0x10, (group << 16) | 0xFF
        return _creators(self, [int(t) for t in self.ds.keys() if lo <= t <= hi])


class ChainAttrs:
    """Look each tag up in ``sources`` in order; the first source holding it answers."""

    __slots__ = ("sources",)

    def __init__(self, sources: Sequence[Attrs]) -> None:
        self.sources = tuple(sources)

    def _pick(self, tag: int) -> Attrs | None:
        for src in self.sources:
            if src.has(tag):
                return src
        return None

    def has(self, tag: int) -> bool:
        """True when any source holds the tag."""
        return self._pick(tag) is not None

    def raw(self, tag: int) -> bytes | None:
        """See :meth:`Attrs.raw`."""
        src = self._pick(tag)
        return None if src is None else src.raw(tag)

    def text(self, tag: int) -> str | None:
        """See :meth:`Attrs.text`."""
        src = self._pick(tag)
        return None if src is None else src.text(tag)

    def numbers(self, tag: int) -> tuple[float, ...] | None:
        """See :meth:`Attrs.numbers`."""
        src = self._pick(tag)
        return None if src is None else src.numbers(tag)

    def uint16(self, tag: int) -> int | None:
        """See :meth:`Attrs.uint16`."""
        src = self._pick(tag)
        return None if src is None else src.uint16(tag)

    def float32(self, tag: int) -> float | None:
        """See :meth:`Attrs.float32`."""
        src = self._pick(tag)
        return None if src is None else src.float32(tag)

    def float64(self, tag: int) -> float | None:
        """See :meth:`Attrs.float64`."""
        src = self._pick(tag)
        return None if src is None else src.float64(tag)

    def creators(self, group: int) -> dict[str, int]:
        """Creators of all sources, the first source winning."""
        out: dict[str, int] = {}
        for src in reversed(self.sources):
            out.update(src.creators(group))
        return out
