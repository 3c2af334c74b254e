"""Spreadsheet cell safety: text that came from DICOM or a reader never becomes a formula or a row.

The one rule for every writer of the project, xlsx and CSV alike (the per-patient workbooks and
cohort CSVs of :mod:`annotation.export`, the analysis tables of ``analysis/writers.py``):

* **Formula starts** (OWASP CSV injection): a text value gets a leading apostrophe when it starts
  with ``=``, ``+``, ``-``, ``@`` or a look-alike a spreadsheet or a later normalisation (NFKC)
  may turn into one (full-width ``＝ ＋ － ＠``, the minus sign U+2212, the small forms
  U+FE62/FE63/FE66/FE6B), also when such a start hides behind leading blanks or invisible
  characters (spaces, NBSP, zero-width space, BOM, tab, CR, LF, VT, NUL...); and when it starts
  with an invisible or control character at all (tab and CR are in OWASP's list; the others hide
  what follows). Numbers are never touched, so ``-0.5`` stays a number.
* **Characters a file cannot hold**: the C0 control characters other than tab, LF and CR (NUL,
  VT, ESC...) are replaced by U+FFFD, in xlsx (which cannot store them) and in CSV alike.
* **CSV quoting** (RFC 4180): a field holding a comma, a double quote, CR or LF is quoted, quotes
  doubled, so a CR inside a comment can never split a row (Python's csv module leaves a bare CR
  unquoted when the line terminator is ``\\n``).
"""

from __future__ import annotations

import math
import unicodedata
from enum import Enum
from typing import Any, Iterable, Sequence

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: What a spreadsheet takes as the start of a formula, with the look-alikes that become one.
FORMULA_START = frozenset("=+-@" "\uff1d\uff0b\uff0d\uff20" "\u2212" "\ufe62\ufe63\ufe66\ufe6b")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def needs_escape(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (or it starts out of sight)."""
    if not text:
        return False
    first = text[0]
    if first in FORMULA_START or (_invisible(first) and first != " "):
        return True
    rest = text.lstrip("".join(ch for ch in text[:64] if _invisible(ch)))
    return bool(rest) and rest[0] in FORMULA_START


def escape_text(value: Any) -> Any:
    """Text a spreadsheet would read as a formula gets a leading apostrophe; the rest is unchanged."""
    if isinstance(value, str) and needs_escape(value):
        return "'" + value
    return value


def unescape_text(text: str) -> str:
    """The text :func:`escape_text` was given (a value read back from a file lesionlab wrote)."""
    return text[1:] if text.startswith("'") and needs_escape(text[1:]) else text


def safe_text(text: str) -> str:
    """The text a cell holds: escaped, control characters a file cannot hold replaced by U+FFFD."""
    return str(ILLEGAL_CHARACTERS_RE.sub("\ufffd", escape_text(text)))


def xlsx_value(value: Any) -> Any:
    """What an xlsx cell stores for ``value``.

    Enums by their value; text through :func:`safe_text`; None and NaN as an empty cell; numpy
    scalars as Python numbers.
    """
    if value is None:
        return None
    value = getattr(value, "value", value)  # an Enum member
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar -> Python
        return xlsx_value(value.item())
    return value


#: the significant digits a float is written with in every CSV, and read with from a store by `analyze STORE`
#: (analysis.inputs)
CSV_FLOAT_DIGITS = 12


def float_text(value: float) -> str:
    """A finite float as a CSV writes it: ``repr`` of the value rounded to :data:`CSV_FLOAT_DIGITS` significant digits
    (``6.999999999999999`` -> ``7.0``). `analyze STORE` reads the store's cohort tables through this too, so that it
    analyses the numbers its export holds (R's wilcox.test drops a zero difference and ranks ties on the exact values)."""
    return repr(float(f"{value:.{CSV_FLOAT_DIGITS}g}"))


def csv_cell(value: Any) -> str:
    """What a CSV field holds for ``value``: empty for missing, true/false, floats to 12 significant digits
    (``repr`` of the value rounded there: 33.85, not the 33.85000000000001 a line's length computed from its ends
    reads in full, a reader's check of followup.csv; digits beyond the 12th are below any measurement's or statistic's
    meaning), Enums by value, text through :func:`safe_text` (the xlsx rule)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Enum):
        value = value.value
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar -> Python
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type(value).__name__ == "NAType":  # pandas.NA (pandas is not imported here)
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return safe_text(value)
    return safe_text(str(value))


def _field(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV file (RFC 4180 quoting, ``\\n`` between records, header first)."""
    lines = [",".join(_field(csv_cell(h)) for h in header)]
    lines += [",".join(_field(csv_cell(v)) for v in row) for row in rows]
    return "\n".join(lines) + "\n"
