"""Ids in typed text: patient and exam pair ids as they may be typed (split, without their hyphens, after a word naming
one when short and numeric), DICOM UIDs, and the lookalike and invisible characters the text is searched without."""

from __future__ import annotations

import re


#: A DICOM UID (root 0, 1 or 2, at least four components): a study's, series' or lesion's identity.
_UID = re.compile(r"(?<![\w.])[0-2](?:\.\d+){3,}(?!\w)(?!\.\d)")
#: what a long id may hold between its characters as typed ("1 234 567", "123-4567" for 1234567; "AB 88812",
#: "AB88812" for AB-88812): spaces and hyphens, two at most (review43a: each left as typed)
_ID_GAP = r"[\s-]{0,2}"  # the text looked in has its dashes as "-" (_LOOKALIKE)
#: ids with fewer letters and digits than this are found only as they are written ("E1", "P12")
_SPLIT_ID_MIN = 6
#: characters that show nothing: typed inside a name or id ("Mül\u00adler", "Mul\u200bler") they hid it; removed
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))
#: letters that look like others, each to the one it looks like, for finding (the text leaves as typed): full-width
#: forms ("ＭＵＬＬＥＲ", "１２３４５６７") and Cyrillic or Greek capitals and Cyrillic letters in a Latin word ("Mаria" with
#: a Cyrillic "а"); one character for one, so that a find's place is its place in the text (review43a)
_LOOKALIKE = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
                            **dict(zip("АВЕКМНОРСТХаеорсухіјѕІЈЅԁ", "ABEKMHOPCTXaeopcyxijsIJSd")),
                            **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧο", "ABEZHIKMNOPTYXo")),
                            # hyphens and dashes to "-", apostrophes to "'": the id and name patterns then hold
                            # ASCII classes only (a class with characters beyond Latin-1 took 0.15 ms to compile, 1.1 s
                            # of an export of 200 patients' ids, session 44)
                            **dict.fromkeys("\u2010\u2011\u2012\u2013\u2212", "-"),
                            **dict.fromkeys("\u2019\u02bc", "'")})


#: Where a short numeric id is an id: after a word naming one ("patient 4", "pt #4", "MRN: 4", "Pat.-ID 4", "IPP 4");
#: elsewhere "4" is a count, a size, a series ("4 cycles" became "S001 cycles").
_PATIENT_ID_WORDS = r"patient(?:e|in|en)?|pat|pt|mrn|ipp|nip|pid|id|dossier"
_EXAM_ID_WORDS = r"exam(?:en)?|pair|paire|accession|acc|untersuchung|study|étude"
_ID_NUMBER = r"(?:[\s.-]*(?:id|no|nr|n°|number|nummer|num[ée]ro))?[\s.:#=-]*"
#: an id of digits only shorter than this is replaced only after such a word
_SHORT_NUMERIC_ID = 6


def _typed_id(pid: str) -> str:
    """A pattern for ``pid`` as it may be typed: a long id with spaces or hyphens between its characters, or without
    its own ("1 234 567", "AB 88812", "AB88812" for AB-88812); a short one as it is written."""
    chars = [c for c in pid if c.isalnum()]
    if len(chars) < _SPLIT_ID_MIN:
        return re.escape(pid)
    # split, not within a run of numbers ("1 2 3 4 5 6 7 8" holds 1234567's digits: a list)
    gap = _ID_GAP[:-5]
    return (rf"(?:{re.escape(pid)}|(?<!\d{gap})(?<!\d{gap}{gap}){_ID_GAP.join(re.escape(c) for c in chars)}"
            rf"(?!{gap}{{1,2}}\d))")


def _id_key(said: str) -> str:
    """An id as :func:`_typed_id` finds it, reduced to its letters and digits in lower case (the key of its code)."""
    chars = [c for c in said if c.isalnum()]
    return "".join(chars).lower() if len(chars) >= _SPLIT_ID_MIN else said.lower()
