"""DICOM date and time text to Python values (PS3.5 section 6.2: DA, TM, DT).

The one place that reads them: study dates for exam pairs (viewer/studies.py), acquisition and
contrast clocks for the phase rules (viewer/role_phases.py), the time of an enhanced frame's
DT (viewer/dicomio/headers.py) and DA strings given to a record (annotation/_validate.py).
Malformed text is None (or empty), never an exception: headers in the wild carry all sorts.
"""

from __future__ import annotations

import datetime as dt


def parse_da(text: str | None) -> dt.date | None:
    """DA ``YYYYMMDD`` to a date; None when empty or not a real date."""
    s = (text or "").strip()
    if len(s) != 8 or not s.isdigit():
        return None
    try:
        return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        return None


def tm_seconds(text: str | None) -> float | None:
    """Seconds since midnight of a TM ``HHMMSS.frac`` (also ACR-NEMA ``HH:MM:SS``); None below HHMM."""
    t = (text or "").strip().replace(":", "")
    if len(t) < 4 or not t[:4].isdigit():
        return None
    try:
        return int(t[:2]) * 3600 + int(t[2:4]) * 60 + (float(t[4:]) if len(t) > 4 else 0.0)
    except ValueError:
        return None


def dt_time(text: str | None) -> str:
    """The TM part ``HHMMSS.frac`` of a DT ``YYYYMMDDHHMMSS.frac``; empty when it has none."""
    return text[8:] if text and len(text) > 8 else ""
