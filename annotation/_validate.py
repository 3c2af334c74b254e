"""Small checks shared by the record constructors; each names the bad argument."""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
import uuid
from typing import Any

from viewer.errors import ValidationError
from viewer.dicomtime import parse_da


def text(name: str, value: Any, *, required: bool = False, max_len: int = 10_000) -> str:
    """A str that SQLite and the spreadsheets can hold (UTF-8 encodable, bounded)."""
    if not isinstance(value, str):
        raise ValidationError(f"expected text, got {type(value).__name__} {value!r}", where=name)
    if required and not value.strip():
        raise ValidationError("must not be empty", where=name)
    if len(value) > max_len:
        raise ValidationError(f"is {len(value)} characters long (at most {max_len})", where=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(f"holds a character that cannot be stored ({exc.reason})", where=name) from None
    return value


_CONTROL_NAMES = {0: "NUL", 9: "TAB", 10: "LF", 11: "VT", 12: "FF", 13: "CR", 27: "ESC", 0x7F: "DEL"}


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def identifier(name: str, value: Any, *, required: bool = True, max_len: int = 200) -> str:
    """An identifier or a name (patient, exam pair, reader): text without control or invisible
    characters (NUL, CR, LF, TAB, VT, zero-width space, BOM, direction marks...), which would split
    CSV rows, hide a formula or make two ids look the same."""
    text(name, value, required=required, max_len=max_len)
    for i, ch in enumerate(value):
        if _invisible(ch):
            label = _CONTROL_NAMES.get(ord(ch)) or unicodedata.name(ch, "control character")
            raise ValidationError(f"holds an invisible or control character (U+{ord(ch):04X} {label}) at position "
                                  f"{i + 1} of {value!r}; identifiers and names must be visible text", where=name)
    return str(value)


def number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
           optional: bool = False, integer: bool = False) -> Any:
    """A finite int/float in [low, high] (None allowed when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"expected a number, got {type(value).__name__} {value!r}", where=name)
    if integer and not isinstance(value, int):
        if float(value).is_integer():
            value = int(value)
        else:
            raise ValidationError(f"expected a whole number, got {value!r}", where=name)
    if not math.isfinite(value):
        raise ValidationError(f"{value!r} is not a finite number", where=name)
    if low is not None and value < low:
        raise ValidationError(f"{value!r} is below {low}", where=name)
    if high is not None and value > high:
        raise ValidationError(f"{value!r} is above {high}", where=name)
    return value


def whole(name: str, value: Any, *, low: int = 0, unit: str = "") -> int:
    """A whole number >= ``low`` (a bool is not one); ``unit`` names what it counts in the message."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        what = f"a whole number{' of ' + unit if unit else ''} >= {low}"
        raise ValidationError(f"expected {what}, got {value!r}", where=name)
    return value


def date(name: str, value: Any) -> _dt.date | None:
    """A date from a date, an ISO string (2024-03-01) or a DICOM DA string (20240301)."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.datetime.strptime(value.strip(), "%Y-%m-%d").date()
        except ValueError:
            pass
        da = parse_da(value)
        if da is not None:
            return da
    raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD or YYYYMMDD)", where=name)


def point(name: str, value: Any) -> tuple[float, float]:
    """A continuous (row, col) pixel position, pixel (0, 0) being the centre of the top-left pixel."""
    try:
        row, col = value
    except (TypeError, ValueError):
        raise ValidationError(f"expected a (row, col) pair, got {value!r}", where=name) from None
    return (float(number(f"{name}.row", row, low=-0.5)), float(number(f"{name}.col", col, low=-0.5)))


_UID = re.compile(r"^[\x21-\x7e]*$")


def uid(name: str, value: Any, *, required: bool = False) -> str:
    """A UID as images carry it, or "": at most 64 printable ASCII characters, no spaces.

    PS3.5 9.1 allows only digits and dots, but real files break that rule (letters, leading zeros)
    and a reading must not be refused for it; what lesionlab makes itself (:func:`new_uid`) is strict.
    """
    text(name, value, required=required, max_len=64)
    if value and not _UID.match(value):
        raise ValidationError(f"{value!r} is not a UID (printable ASCII without spaces, at most 64 characters)",
                              where=name)
    return str(value)


def new_uid() -> str:
    """A fresh DICOM UID under the UUID-derived root 2.25 (PS3.5 B.2)."""
    return f"2.25.{uuid.uuid4().int}"


def id_form(value: str) -> str:
    """The form two ids or names are told apart by (NFKC, stripped, case-folded): ``R1``, ``r1`` and the full-width
    ``Ｒ1`` are one; the analysis refuses ids that differ only in form, and a study's readers are refused so at
    set-up (one function for both: a review found ``R²`` and ``R2`` accepted at init and refused after)."""
    return unicodedata.normalize("NFKC", value).strip().casefold()
