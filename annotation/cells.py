"""Spreadsheet cell safety: text that came from DICOM or a reader never becomes a formula.

A text value starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
apostrophe (the OWASP CSV-injection rule), in xlsx and CSV alike. Numbers are never touched.
The one rule for every writer of the project: the per-patient workbooks and exports here and the
analysis tables (analysis/writers.py).
"""

from __future__ import annotations

import math
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_text(value: Any) -> Any:
    """Text a spreadsheet would read as a formula gets a leading apostrophe; the rest is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_value(value: Any) -> Any:
    """What an xlsx cell stores for ``value``.

    Enums by their value; text escaped, with the control characters xlsx cannot hold (a reader's
    or a DICOM header's) replaced by U+FFFD instead of aborting the workbook; None and NaN as an
    empty cell; numpy scalars as Python numbers.
    """
    if value is None:
        return None
    value = getattr(value, "value", value)  # an Enum member
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", escape_text(value))
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar -> Python
        return xlsx_value(value.item())
    return value
