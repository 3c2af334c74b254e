"""A header value made to fit its attribute's Value Representation before an SR carries it.

The SR copies the patient and study attributes of the measured images (and names its reader, series,
...); the images may hold more than the VR allows (a 150-character ReferringPhysicianName or
StudyDescription: PN and LO allow 64), which dciodvfy reports as "Length invalid for this VR", and a
value that is no valid date or code (a 150-character PatientSex or StudyDate) made highdicom refuse the
whole report. :func:`fit` takes the VR from pydicom's data dictionary and:

* cuts text (LO, SH, ST, LT, AE) to its maximum in bytes of UTF-8, the SR's character set (dciodvfy
  counts bytes; a Cyrillic letter is two), at the end of a character;
* cuts a person name (PN) per component group (``alphabetic=ideographic=phonetic``), 64 bytes each, keeping a
  caret after the family name when the cut took every one;
* never cuts a UID (UI: a cut one names another instance) or a formatted value or code (CS, DA, TM,
  DT, AS, IS, DS: a cut code or date says something else): one that is not valid for its VR is left out
  (""; every such attribute the SR copies is type 2 or 3), a UID is written as it is.

The whole text stays where the project keeps it: the store's ``dicom_context`` table (up to 200
characters, :mod:`annotation.dicom_context`) and the reading's own names.
"""

from __future__ import annotations

import re

from pydicom.datadict import dictionary_VR
from pydicom.valuerep import MAX_VALUE_LEN, VR_REGEXES

#: PS3.5 table 6.2-1 maxima pydicom's table leaves out (PN: per component group)
_MORE_MAX = {"PN": 64, "DA": 8, "TM": 14, "DT": 26, "AS": 4}
MAX_BYTES: dict[str, int] = {**MAX_VALUE_LEN, **_MORE_MAX}
#: values whose characters carry a format or a code: never cut
_FORMATTED = frozenset({"CS", "DA", "TM", "DT", "AS", "IS", "DS"})


def cut_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to ``max_bytes`` bytes of UTF-8 at a character's end."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def _fit_group(group: str) -> str:
    """One component group of a person name in PN's 64 bytes; a cut that left none of the group's carets ends with
    one ("Family^"), so that the family name stays a family name (dciodvfy: "Retired Person Name form")."""
    cut = cut_utf8(group, MAX_BYTES["PN"])
    if cut != group and "^" in group and "^" not in cut:
        cut = cut_utf8(group, MAX_BYTES["PN"] - 1) + "^"
    return cut


def fit(keyword: str, value: str) -> str:
    """``value`` as the attribute ``keyword`` may carry it (module docstring); a cut value ends without spaces, as it
    is read (trailing spaces are padding: a Patient ID cut as "P1…1 " came back "P1…1" and matched no pair)."""
    vr = dictionary_VR(keyword)
    if vr == "UI" or not value:
        return value
    if vr == "PN":
        fitted = "=".join(_fit_group(group) for group in value.split("=")[:3])
        return fitted if fitted == value else fitted.rstrip(" ")
    limit = MAX_BYTES.get(vr)
    if vr in _FORMATTED:
        regex = VR_REGEXES.get(vr)
        fits = (limit is None or len(value) <= limit) and (regex is None or re.match(regex, value) is not None)
        return value if fits else ""
    cut = cut_utf8(value, limit) if limit is not None else value
    return cut if cut == value else cut.rstrip(" ")
