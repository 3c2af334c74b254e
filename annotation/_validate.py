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


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")
#: a month's English name or its first three letters (and Sept), lower case -> its number
_MONTHS = {word: number for number, name in enumerate(_MONTH_NAMES, 1) for word in (name.lower(), name.lower()[:3])} \
    | {"sept": 9}


#: The forms a typed date is read in, said in every refusal (a date's text is the reader's: the Start and End cells
#: of the treatment lines). Day-first dotted is the common European form, and no one writes month-first with dots.
DATE_FORMS = "YYYY-MM-DD, DD.MM.YYYY (day first), 28 May 2024 or YYYYMMDD"
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_WORDS_DAY_FIRST = re.compile(r"(\d{1,2})\.?\s+([a-z]+)\.?,?\s+(\d{4})")
_WORDS_MONTH_FIRST = re.compile(r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
#: numbers apart by / or - with the year last: day or month first cannot be told from the form (12/05/2024)
_AMBIGUOUS = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})")


def _from_parts(year: int, month: int, day: int) -> _dt.date | None:
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def _typed_date(text: str) -> _dt.date | None:
    """A date from one of :data:`DATE_FORMS` (also 5.12.2024, 5 Dec. 2024, December 5, 2024), else None."""
    try:
        return _dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        pass
    da = parse_da(text)
    if da is not None:
        return da
    lower = text.lower()
    if (m := _DOTTED.fullmatch(lower)) is not None:
        return _from_parts(int(m[3]), int(m[2]), int(m[1]))
    if (m := _WORDS_DAY_FIRST.fullmatch(lower)) is not None and m[2] in _MONTHS:
        return _from_parts(int(m[3]), _MONTHS[m[2]], int(m[1]))
    if (m := _WORDS_MONTH_FIRST.fullmatch(lower)) is not None and m[1] in _MONTHS:
        return _from_parts(int(m[3]), _MONTHS[m[1]], int(m[2]))
    return None


def _not_a_date(text: str) -> str:
    """Why ``text`` is refused, with the forms taken (for 12/05/2024: each date it could be, in two of them)."""
    lower = text.lower()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}|\d{8}", text) or _DOTTED.fullmatch(text) or any(
            (m := pattern.fullmatch(lower)) is not None and m[group] in _MONTHS
            for pattern, group in ((_WORDS_DAY_FIRST, 2), (_WORDS_MONTH_FIRST, 1))):
        return f"{text!r} is no day of the calendar; the forms taken: {DATE_FORMS}"
    m = _AMBIGUOUS.fullmatch(text)
    readings = [] if m is None or len(m[3]) != 4 else \
        list(dict.fromkeys(d for d in (_from_parts(int(m[3]), int(m[2]), int(m[1])),
                                       _from_parts(int(m[3]), int(m[1]), int(m[2]))) if d is not None))
    if m is None or not readings:
        return f"{text!r} is not a date: type it as {DATE_FORMS}"
    if len(readings) == 1:
        # one reading only (13/05/2024: 13 is no month), refused all the same, and said as such: "day or month
        # first?" asked a question the date does not raise (session 47's review). Taken, the form would work on some
        # days and be refused on others (12/05/2024), a habit that fails where it matters; dotted dates are day first
        d = readings[0]
        return (f"{text!r}: {'slashed' if '/' in text else 'dashed'} dates are refused (12/05/2024 could be 12 May or "
                f"5 December): type {d:%d.%m.%Y} or {d.isoformat()}; the forms taken: {DATE_FORMS}")
    said = ", ".join(f"{d.day} {_MONTH_NAMES[d.month - 1]} as {d.isoformat()} or {d:%d.%m.%Y}" for d in readings)
    return f"{text!r} is ambiguous: type {said}; the forms taken: {DATE_FORMS}"


def date(name: str, value: Any) -> _dt.date | None:
    """A date from a date, an ISO string (2024-03-01), a DICOM DA string (20240301) or one of the other unambiguous
    forms a reader types (:data:`DATE_FORMS`); 12/05/2024 and 12-05-2024 are refused (12 May, or December 5?), the
    refusal saying the forms taken."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        found = _typed_date(value.strip())
        if found is not None:
            return found
        raise ValidationError(_not_a_date(value.strip()), where=name)
    raise ValidationError(f"{value!r} is not a date: type {DATE_FORMS}", where=name)


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
