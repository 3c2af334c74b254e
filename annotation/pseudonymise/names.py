"""Names in typed text: a DICOM person name's parts and spellings as one pattern, and when a part that is also a word
of a report ("May", "Short", "de") or begins a medical term ("May-Thurner", "Rose Bengal") is the name."""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence


#: Particles of a family name ("DE LUCA", "VAN DER BERG"): not a name on their own, only with the rest ("TACE de novo"
#: became "TACE [name] novo" for DE LUCA^MARIA); the whole component ("De Luca") is replaced.
_PARTICLES = frozenset({"de", "da", "di", "du", "del", "della", "der", "den", "des", "van", "von", "la", "le", "el",
                        "al", "bin", "ben", "ten", "ter", "dos", "das", "do", "zu", "y", "e", "st", "mac", "af"})
#: Name parts that are also words of a report (English, French, German: "may represent", "short axis", "AFP rose",
#: "TACE de novo", "le foie", "mass"): such a part is replaced where it is written as a name is, with a capital
#: ("Ms May", "May" at a sentence's start included), not in lower case.
_COMMON_WORDS = frozenset({
    # English
    "may", "will", "mark", "rose", "long", "short", "small", "little", "large", "white", "black", "brown", "green",
    "gray", "grey", "young", "king", "hope", "grace", "joy", "faith", "april", "june", "august", "march", "bill",
    "frank", "best", "good", "love", "hunt", "stone", "lamb", "major", "minor", "core", "sharp", "ring", "gross",
    "mass", "wall", "head", "body", "bell", "page", "case", "cross", "price", "field", "hill", "lane", "well", "wells",
    "low", "high", "new", "free", "late", "early", "north", "south", "west", "east", "bone", "node", "lobe", "vein",
    "an", "and", "as", "at", "by", "for", "in", "is", "it", "no", "not", "of", "on", "or", "so", "to", "up", "we",
    # French
    "le", "la", "les", "de", "du", "des", "un", "une", "et", "en", "au", "aux", "par", "sur", "pas", "il", "elle",
    "petit", "grand", "blanc", "noir", "roux", "masse", "foie", "mai", "avril", "juin", "mars",
    # German
    "der", "die", "das", "den", "dem", "ein", "eine", "und", "im", "am", "zu", "von", "mit", "bei", "auf", "aus",
    "nach", "vor", "klein", "lang", "kurz", "weiss", "weiß", "schwarz", "braun", "neu", "herz", "kern", "rand",
    "wolf", "fuchs", "gross", "groß",
})
_FOLDED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "AE", "Ö": "OE", "Ü": "UE"})
#: what joins the pieces of one name as typed: hyphens and dashes, apostrophes (straight or curly)
_NAME_JOIN_CHARS = "'\u2019\u02bc\u2010\u2011\u2013\\-"
_NAME_JOIN = f"[{_NAME_JOIN_CHARS}]"


def _spellings(part: str) -> set[str]:
    """``part`` and its spellings without diacritics ("Müller": "Mueller", "Muller")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", part) if not unicodedata.combining(c))
    return {part, part.translate(_FOLDED), plain}


def _name_parts(name: str) -> list[str]:
    """A DICOM person name and its parts (family, given, middle...; every component group; a component of several
    words whole and each of its words but a particle), with their spellings without diacritics, longest first."""
    parts = {" ".join(name.split())}
    components = [c.strip() for c in name.split("=")[0].split("^")]
    if len(components) >= 2 and components[0] and components[1]:  # the given name first: "Anna May" of MAY^ANNA
        parts.add(f"{components[1]} {components[0]}")
    for component in re.split(r"[\^=]", name):
        words = [w for w in re.split(r"[,\s]+", component) if w]
        if len(words) > 1:
            parts.add(" ".join(words))
        parts.update(w for w in words if len(w) >= 2 and (len(words) == 1 or w.lower() not in _PARTICLES))
        for word in words:  # a double-barrelled or apostrophe name's pieces: "Smith" of SMITH-JONES, "Brien" of O'BRIEN
            pieces = [p for p in re.split(_NAME_JOIN + "+", word) if p]
            if len(pieces) > 1:
                parts.update(p for p in pieces if len(p) >= 2 and p.lower() not in _PARTICLES)
    spelled = {s for p in parts if p for s in _spellings(p)}
    return sorted(spelled, key=lambda p: (-len(p), p))


def _name_pattern(parts: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern for all of a patient's name parts (longest first; the words of a part apart by spaces, "^" or a hyphen);
    a part of two letters before a mass number is a nuclide and no name: LU^ANNA's "Lu-177 DOTATATE" (review41)."""
    if not parts:
        return None
    alternatives = []
    for part in parts:
        # "Smith Jones", "Smith–Jones" or "SmithJones" for SMITH-JONES, "O’Brien" or "OBrien" for O'BRIEN (review43a)
        # the text looked in has its dashes as "-", its apostrophes as "'" (_LOOKALIKE); the name may hold any
        words = "[\\s^='-]*".join(re.escape(w) for w in re.split(rf"[\s^={_NAME_JOIN_CHARS}]+", part) if w)
        alternatives.append(words + (r"(?!-\d{1,3}m?(?![\w.]))" if len(part) <= 2 else ""))
    # a genitive or plural "s" ("Müllers Befund", "the Mays"): :func:`_a_name` takes it with a capital only
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?P<s>s)?(?!\w)", re.IGNORECASE)


#: a word of text as another patient's name is looked for (letters only: "Müller's" is "Müller" and "s")
_WORD = re.compile(r"[^\W\d_]+")
#: a mass number after a two-letter word: a nuclide ("Lu-177"), no name
_NUCLIDE_AFTER = re.compile(r"-\d{1,3}m?(?![\w.])")
#: a particle right before a name ("De Luca", "van der Berg", "d'Angelo")
_PARTICLES_BEFORE = re.compile(r"(?<!\w)(?P<particle>[^\W\d_]+)(?:\s+|'|-)$")


def _a_name(found: re.Match[str]) -> str | None:
    """``[name]`` for a part of the patient's name found in text; a part that is also a word ("may", "de", "short")
    only where it is written with a capital, and not at a sentence's start before a word it goes with as a word
    ("May represent", "Short axis": :func:`_a_word_at_start`); with a genitive or plural "s" ("Müllers", "Mays") only
    with a capital, the name without it of three letters or more ("Has" of HA, "days" of DAY are words)."""
    said = found.group(0)
    if found.group("s"):
        return "[name]" if said[0].isupper() and len(said) >= 4 else None
    if said.lower() in _COMMON_WORDS:
        return None if not said[0].isupper() or _a_word_at_start(found.string, found.start(), found.end()) or \
            _in_a_term(found.string, found.start(), found.end()) else "[name]"
    return "[name]"


#: What a name part that is also a word goes with as that word, at a sentence's start (written there with a capital
#: as a name is): "May represent", "Short axis", "Rose from". Session 44's decision: only these pairs keep the word;
#: "May has 3 lesions", "Rose reported pain" are the name (a verb after it, not one after a modal), so that no pair
#: not listed leaks a name.
_MODAL_FOLLOWERS = frozenset({
    "be", "represent", "reflect", "indicate", "correspond", "need", "require", "benefit", "suggest", "have", "show",
    "also", "not", "well", "still", "explain", "relate", "mimic", "contain", "help", "warrant", "prove", "increase",
    "decrease", "progress", "grow", "remain", "appear", "become", "occur", "persist", "resolve", "enhance", "lie",
    "obscure", "affect", "limit", "underestimate", "overestimate", "cause", "mean", "further", "yet", "partly",
    "require", "simulate", "hide", "mask", "account", "allow", "alter", "change", "regress", "shrink", "look"})
_NOUNS_AFTER_ADJECTIVES = frozenset({
    "axis", "axes", "diameter", "lesion", "lesions", "nodule", "nodules", "cyst", "cysts", "focus", "foci", "node",
    "nodes", "signal", "enhancement", "phase", "uptake", "density", "volume", "amount", "interval", "intervals",
    "term", "segment", "segments", "lobe", "liver", "intensity", "matter", "dose", "doses", "tau", "course",
    "washout", "area", "areas", "part", "portion", "component", "rim", "margin", "margins", "change", "changes",
    "burden", "growth", "response", "progression", "disease", "metastasis", "metastases", "vessel", "vessels",
    "vein", "veins", "artery", "arteries", "duct", "ducts", "bowel", "spleen", "kidney", "ascites", "collection",
    "fluid", "field", "fields", "slice", "slices", "series", "scan", "scans", "contrast", "flow", "echo", "fat"})
_WORD_AT_START = {
    **dict.fromkeys(("may", "will", "mai"), _MODAL_FOLLOWERS),
    **dict.fromkeys(("short", "long", "small", "large", "little", "white", "black", "high", "low", "new", "late",
                     "early", "major", "minor", "gross", "free", "core", "grand", "petit", "klein", "lang", "kurz",
                     "neu", "gross", "groß", "good", "best", "north", "south", "west", "east"), _NOUNS_AFTER_ADJECTIVES),
    "rose": frozenset({"from", "to", "by", "again", "further", "slightly", "sharply", "steadily", "markedly"}),
    "mass": frozenset({"effect", "lesion", "in", "of", "at", "with", "without"}),
    "mark": frozenset({"on", "at", "the", "each"}),
    "march": frozenset({"on"}),
}
#: Session 45: a name part that is a report's word too begins or ends a known term (an eponym, a stain, a phrase) of
#: medicine: "May-Thurner", "Rose Bengal", "Short of breath" had become "[name]-Thurner" wherever a patient was named
#: MAY, ROSE or SHORT. The decision, kept simple: such a word written with its capital is the term, not the name, where
#: the rest of a term of this table stands beside it; a title before it ("Mr Short of breath") or another word of the
#: same name ("Rose Short of breath") makes it the name again, and everywhere else it stays the name ("Mr Short was
#: seen", "Rose was anxious"), so that a name leaks only written inside one of these terms.
_TERMS_AFTER = {
    "may": ("thurner", "gr(?:ü|ue|u)nwald", "hegglin"), "mai": ("gr(?:ü|ue|u)nwald",),
    "rose": ("bengal", "waaler"), "short": (r"of\s+breath", "tau", "bowel", "stature"), "hill": ("sachs",),
    "hunt": ("hess",), "wells": ("score", "criteria"), "page": ("kidney",), "field": (r"of\s+view",),
    "brown": ("s[ée]quard",), "black": ("blood",), "mass": ("effect",), "long": ("term",), "white": ("matter",),
}
_TERM_AFTER = {word: re.compile(rf"[\s-]+(?i:{'|'.join(rest)})(?!\w)") for word, rest in _TERMS_AFTER.items()}
_TERM_BEFORE = {"rose": re.compile(r"(?<!\w)(?i:waaler)[\s-]+$"),
                "white": re.compile(r"(?<!\w)(?i:parkinson)[\s-]+$")}
#: a title before a name ("Mr Short", "Mme Rose", "Frau May", "patient Short")
_TITLE_BEFORE = re.compile(r"(?:^|\W)(?i:mr|mrs|ms|miss|mx|dr|prof|herr|frau|hr|fr|mme|mlle|madame|monsieur|m"
                           r"|patient(?:e|in)?|pt)\.?\s*$")


def _in_a_term(text: str, start: int, end: int) -> bool:
    """Whether the name part ``text[start:end]`` (a word too) begins or ends a term of :data:`_TERMS_AFTER` there and
    no title stands before it."""
    word = text[start:end].lower()
    after, before = _TERM_AFTER.get(word), _TERM_BEFORE.get(word)
    term = (after is not None and after.match(text, end) is not None) or (
        before is not None and before.search(text, max(0, start - 16), start) is not None)
    return term and _TITLE_BEFORE.search(text, max(0, start - 12), start) is None


#: a sentence's start: the text's, or after a full stop, "!", "?", ":", ";", a line's end or a bullet
_SENTENCE_START_BEFORE = re.compile(r"(?:^|[.!?:;\n\u2022*>(-])\s*$")
_NEXT_WORD = re.compile(r"[\s,]*([^\W\d_]+)")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[\s^-]+$")
_NAME_WORD_AFTER = re.compile(r"[\s^-]+([^\W\d_]+)")


def _a_word_at_start(text: str, start: int, end: int) -> bool:
    """Whether the name part ``text[start:end]`` (a word too) stands at a sentence's start before a word it goes with
    as that word (:data:`_WORD_AT_START`), in lower case."""
    follows = _WORD_AT_START.get(text[start:end].lower())
    if follows is None or not _SENTENCE_START_BEFORE.search(text, max(0, start - 8), start):
        return False
    after = _NEXT_WORD.match(text, end)
    return after is not None and after[1].islower() and after[1] in follows


#: an initial right before a name ("A. May", "A May")
_INITIAL_BEFORE = re.compile(r"(?<![\w.])([A-Z])\.?\s?$")
