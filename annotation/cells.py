"""Spreadsheet cell safety: text that came from DICOM or a reader never becomes a formula.

A text value starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
apostrophe (the OWASP CSV-injection rule), in xlsx and CSV alike. Numbers are never touched.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_text(value: Any) -> Any:
    """Text a spreadsheet would read as a formula gets a leading apostrophe; the rest is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
