"""A month with a two-digit year ("03.24", "3/24", "TACE 3/23") or a ratio, a score, a count, a decimal ("score
7/10", "nodes 3/24", "ADC 1.24"): the context words that decide (:func:`_month_two_digit_year`)."""

from __future__ import annotations

import re

from annotation.pseudonymise.dates import _NOT_A_DATE_WORD_AFTER, _owned


#: "03.24", "3/24", "9/24": a month and a two-digit year, or a ratio ("nodes 3/24") or a decimal ("ADC 1.24"). Session
#: 44's decision: a month and year (``[date]``) after a word placing something in time ("since 3/24", "in 9/24",
#: "Erstdiagnose 03.24", "en 03/24"), or written with a leading zero ("03.24"; a ratio or a decimal has none); a number
#: of something (a unit or what was counted after it, a word owning it before) stays either way.
_NUMERIC_MYY = re.compile(r"(?<![\w./:,-])(?P<month>\d{1,2})[./](?P<yy>\d{2})(?![\d/]|:\d|[.,]\d|\.\w)"
                          # more in a list or range ("in 3/24 and 9/24", "3/24-9/24"): a date as the first is
                          r"(?P<more>(?:\s*(?:,|and|et|und|or|ou|oder|to|au|bis|then|puis|dann|vs\.?|versus|[-\u2013+&/\u2192]|->)\s*"
                          r"(?:1[0-2]|0?[1-9])[./]\d{2}"
                          r"(?![\d/]|:\d|[.,]\d|\.\w))*)")
_MONTH_YEAR_WORD_BEFORE = re.compile(
    r"(?:^|\W)(?i:in|from|since|until|till|dated|on|by|before|after|started|diagnosed|diagnosis|seen|en|depuis|dès|"
    r"jusqu'en|avant|après|diagnostic|im|ab|seit|bis|vor|nach|vom|erstdiagnose|ed|as\s+of|au|stand)\s*:?\s*$")
#: Session 45: a month and a two-digit year is a date after or before an exam, a procedure or an event of the disease
#: too ("TACE 3/23", "Verlaufskontrolle 9/23", "RFA 11/22", "TDM (9/23)", "11/22 RFA"), and standing alone, a list's
#: item or a line's start before a colon or a dash ("3/23: TACE, 9/23: re-TACE"); so is one whose year has a leading
#: zero ("5/06"). The decision (review of CORPUS_S45 in tests/annotation/pseudonymise_corpus.py): which fractions can
#: collide with a month and year? Only those written m/yy, a one- or two-digit number up to 12 over a two-digit one: "2/3",
#: "1/2 the size", "segments 5/6", "grade 2/3", "LI-RADS 3/4" have a one-digit second number and are no month and year
#: ("5/6" is not how May 2006 is written: "5/06"), "b 50/800", "120/80" no month, "T2/FS" no number; "Ki-67 10/2000" is
#: a count of cells (:data:`_CELL_COUNT_BEFORE`). What collides ("3/12", "7/24", "12/24": a count out of 12 or 24)
#: stays a ratio unless an exam or procedure word stands right beside it (then a date, privacy first: "MRI 3/12
#: arterial" leaves as "MRI [date] arterial"); a counted word or unit after it keeps it a ratio wherever it stands ("CT
#: 3/12 lesions", "biopsy 3/10 cores").
_EXAM_WORDS = (
    r"cts?|cect|mri?|nmr|mrt|irm|tdm|pet(?:-?ct)?|ceus|scan(?:ner)?|scans|imaging|exam(?:ination|en)?|control(?:e)?"
    r"|contrôle|follow-?up|fu|baseline|(?:re)?staging|bilan|(?:c|deb-|re-)?tace|rfa|mwa|sirt|tare|prrt|sbrt|ebrt"
    r"|radiotherapy|surgery|resection|résection|resektion|hepatectomy|hépatectomie|hepatektomie|transplant(?:ation)?"
    r"|greffe|biops(?:y|ie|ies)|ablation|(?:chemo-?|chimio-?)?embolis(?:ation|ierung)|chemoemboli[sz]ation"
    r"|embolization|radiofr[ée]quence|progression|progress|recurrence|relapse|récidive|rechute|rezidiv"
    r"|[^\W\d_]*(?:kontrolle|untersuchung|aufnahme)|verlauf|échographie|echographie|sonographie|sono"
    # review45a: the aftercare, the chemotherapy, an ultrasound's short name ("Nachsorge 9/23", "Chemo 3/23", "Echo 3/23")
    r"|nachsorge|chemo(?:therap(?:y|ie))?|chimio(?:thérapie)?|echo")
_EXAM_WORD = re.compile(rf"(?i:{_EXAM_WORDS})|US|PD|OP|FU")
_EXAM_WORD_AFTER = re.compile(rf"\)?\s*:?\s*(?:(?i:{_EXAM_WORDS})|US|PD|OP|FU)(?!\w)")  # "(9/23) TACE" too
#: what stands around a month and year alone: a text's, a line's or a list item's start before it, a colon or a dash
#: after it ("3/23: TACE", "- 9/23 – stable")
_ALONE_BEFORE = re.compile(r"(?:^|[\n;,•*]|^-|\n-)\s*$")
_ALONE_AFTER = re.compile(r"\s*:|\s+[-–]\s")
#: a count of cells after the proliferation index ("Ki-67 10/2000": 10 of 2,000 cells), no month and year
_CELL_COUNT_BEFORE = re.compile(r"(?:^|\W)(?i:ki[\s-]?67|mib[\s-]?1)(?:\s*(?i:index))?\s*[:=]?\s*(?:à\s*)?$")


def _month_two_digit_year(found: re.Match[str]) -> str | None:
    """``[date]`` for a month and a two-digit year ("03.24", "since 3/24", "TACE 3/23", "3/23: RFA"), None for a ratio
    or a decimal (:data:`_NUMERIC_MYY`, :data:`_EXAM_WORDS`)."""
    text, start, end = found.string, found.start(), found.end()
    counted = _NOT_A_DATE_WORD_AFTER.match(text, end) or _COUNTED_AFTER.match(text, end)
    if not 1 <= int(found["month"]) <= 12 or _owned(found) or counted and not (
            counted.group(0).strip().lower() in _OF and _exam_word_before(text, start)):
        return None  # "RFA 11/22 of the segment 6 lesion": a date ("3/4 of segment 8", "nodes 3/24 of 30": ratios)
    if found["month"].startswith("0") or (found["yy"].startswith("0") and text[start + len(found["month"])] == "/"):
        return "[date]"  # "03.24", "5/06": a ratio's numbers have no leading zero (a decimal's ".05" may)
    slash = text[start + len(found["month"])] == "/"
    if slash and _a_ratio_by_the_words_before(text, start):
        return None  # "score 7/10", "Ki-67 12/50", "enhancing in 3/12", "nodes (3/12)", "the rate of 3/12"
    if _MONTH_YEAR_WORD_BEFORE.search(text, max(0, start - 16), start) or _exam_word_before(text, start) \
            or _EXAM_WORD_AFTER.match(text, end):
        return "[date]"
    if slash:  # review45b: written m/yy it is a date unless a ratio's context says otherwise (_RATIO_WORDS)
        return None if _RATIO_AFTER.match(text, end) or _a_ratio_before(text, start) or _RATIO_IN_THE_CLAUSE.search(
            text, max(0, start - 48), start) else "[date]"
    alone = _ALONE_BEFORE.search(text, max(0, start - 4), start) and _ALONE_AFTER.match(text, end)
    return "[date]" if alone else None


#: review45b: the words before a number pair that make it a ratio, a score or a count out of a total ("score 7/10", "VAS
#: 3/10", "Ki-67 12/50", "sensitivity 9/11", "nodes 3/24", "pN1 (3/12)", "enhancing in 3/12"), read as the word before
#: it (a colon, "=", an opening bracket between) or before "in", "of", "de", "von", "sur" and the pair
_RATIO_WORDS = frozenset({
    "score", "scores", "vas", "nrs", "pain", "douleur", "douleurs", "schmerz", "schmerzen", "eva", "ratio", "ratios",
    "rapport", "verhältnis", "fraction", "count", "counts", "sensitivity", "specificity", "sensibilité", "spécificité",
    "sensitivität", "spezifität", "sensitivitaet", "spezifitaet", "ppv", "npv", "vpp", "vpn", "accuracy", "agreement",
    "rate", "taux", "quote", "nodes", "node", "ganglions", "ganglion", "lymphknoten", "lk", "ln", "lns", "n",
    "enhancing", "enhancement", "contraste", "rehaussement",
    "anreicherung", "enhance", "ki-67", "ki67", "mib-1", "mib1", "index", "punkte", "points", "gleason", "krenning",
    "deauville", "li-rads", "lirads", "pi-rads", "bi-rads", "readers", "reader", "lecteurs", "befunder", "responders",
    "hits", "metastases", "metastasen", "nodules", "knoten", "foyers", "herde", "cores", "stanzen", "biopsies",
    "biopsien", "ecog", "karnofsky", "child", "child-pugh", "pugh", "meld", "scale", "skala", "schmerzskala",
    "échelle", "echelle", "bclc", "total", "sum", "summe", "somme"})
#: what was counted after a pair, beyond :data:`_NOT_A_DATE_WORD_AFTER` (review45b: "3/12 Segmente", "2/10 Biopsien",
#: "3/12 nodules", "10/12 Patienten", "6/10 foyers"): a ratio wherever it stands, as "CT 3/12 lesions"
_COUNTED_AFTER = re.compile(
    r"\s*(?i:segmente[n]?|biopsien|biopsies|nodules?|noduli|knoten|patienten|ganglions?|lymph\s*nodes?|m[ée]tastases?"
    r"|metastasen|foyers?|herde[n]?|hits|readers?|lecteurs?|befunder|punkte[n]?|points?|pts|responders?|répondeurs"
    r"|tumou?rs?|tumeurs?|tumoren|observations?|l[ée]sionen|kerne|cells)(?!\w)")
#: a ratio shortly before in the same clause, a counted word after it ("7/12 lesions responded, 5/12 stable", "3/12
#: nodules; 5/12 stable"): the pair after it is its kind (not past a bracket: "4/12 lesions, TACE x2 (3/23, 9/23)")
_RATIO_IN_THE_CLAUSE = re.compile(
    r"(?<![\d/.])(?:1[0-2]|0?[1-9])/\d{2}\s*(?:(?i:lesions?|l[ée]sions?|läsion(?:en)?|nodes?|cycles?|cores?|segments?"
    r"|patients?|cases?|nodules?|knoten|segmente|biopsien|metastases|metastasen|foyers|herde|ganglions?)|%)(?!\w)"
    r"[^.!?\n()\[\]]{0,24}$")
#: a pathologist's node status before the nodes counted ("pN1 (3/12)", "ypN0 (0/14)", "N1 3/12")
_NODE_STAGE = re.compile(r"y?p?n[0-3][abc]?(?:mi)?", re.IGNORECASE)
#: the words between a ratio's word and the pair ("enhancing in 3/12", "the rate of 3/12", "dose de 3/12")
_RATIO_LINKS = frozenset({"in", "en", "of", "de", "des", "du", "von", "sur", "auf", "im", "at", "à", "is", "was", "est",
                          # "positive nodes 3/24" is the nodes' ratio, "nodes positive 3/24", "ganglions positifs 3/24"
                          # too; "biopsy positive 3/24" a date
                          "positive", "positives", "positifs", "positif", "positiv", "envahis", "befallen"})
#: "of", "de", "von" after a word that is no exam's, no procedure's and no time's is a ratio's ("lesion of 3/12", "dose
#: de 3/12"); after these it is a date's ("end of 3/24", "report of 3/24", "fin de 3/24")
_DATE_OF = frozenset({"end", "beginning", "start", "middle", "mid", "fin", "début", "debut", "milieu", "ende", "anfang",
                      "mitte", "report", "reports", "study", "studies", "befund", "bericht", "compte-rendu",
                      "date", "month", "mois", "monat", "visit", "visite", "consultation", "admission", "discharge"})
_OF_WORDS = frozenset({"of", "de", "des", "von", "sur"})
#: what after a pair makes it a ratio when no exam word stands beside it: a phase or sequence counted on ("3/12
#: arterial", "5/12 portal", "12/24 on b800", "3/12 en phase artérielle"), "positive" ("3/24 positiv")
_RATIO_AFTER = re.compile(
    r"\s*(?i:arterial|artérielle?s?|arteriell\w*|portal\w*|venous|veineuse?s?|venös\w*|hepatobiliary|hépatobiliaire"
    r"|delayed|tardive?s?|phases?|images?|bilder|sequences?|séquences?|sequenzen|slices?|coupes?|schichten|positive?s?"
    r"|positifs?|positiv\w*|negative?s?|négatifs?|negativ\w*|en\s+phase|in\s+phase|(?:on|sur|auf|in)\s+(?:b\s?\d+|t[12]\b"
    r"|dwi|adc|hbp|fs\b))(?!\w)")
#: a number pair right before, with a list's separator between ("2/3 / 3/12", "4/6, 3/12")
_PAIR_BEFORE = re.compile(r"(?<![\d/.])(\d+)/(\d+)\s*[/,;+&]?\s*$")


def _word_before(text: str, end: int) -> tuple[str, int]:
    """The word (letters, digits, hyphens) ending at ``end`` after a few spaces, colons, "=" or an opening bracket, in
    lower case, and where it starts ("", ``end`` when there is none). Read a character at a time (:func:`_exam_word_before`)."""
    stop = end
    while stop > 0 and end - stop < 4 and text[stop - 1] in " \t:(=":
        stop -= 1
    begin = stop
    while begin > 0 and stop - begin < 24 and (text[begin - 1].isalnum() or text[begin - 1] == "-"):
        begin -= 1
    return text[begin:stop].lower(), begin


def _a_ratio_by_the_words_before(text: str, start: int) -> bool:
    """Whether a ratio's word (:data:`_RATIO_WORDS`, a node stage) stands before the pair at ``start``, right before it
    or before "in", "of", "de"... and the pair ("score 7/10", "enhancing in 3/12", "pN1 (3/12)")."""
    word, begin = _word_before(text, start)
    if word in _RATIO_LINKS:
        word, begin = _word_before(text, begin)
    return word in _RATIO_WORDS or _NODE_STAGE.fullmatch(word) is not None


def _a_ratio_before(text: str, start: int) -> bool:
    """Whether what stands before the pair at ``start`` makes it a ratio: "of", "de", "von" after a word that is no
    exam's nor a time's ("lesion of 3/12", "dose de 3/12"), or a number pair that is no month and year in a list
    ("2/3 / 3/12")."""
    word, begin = _word_before(text, start)
    if word in _OF_WORDS:
        owner, _ = _word_before(text, begin)
        if owner and owner not in _DATE_OF and not owner.isdigit():
            return True
    pair = _PAIR_BEFORE.search(text, max(0, start - 16), start)
    return pair is not None and not (1 <= int(pair[1]) <= 12 and len(pair[2]) == 2)


def _exam_word_before(text: str, start: int) -> bool:
    """Whether an exam or procedure word (:data:`_EXAM_WORDS`) stands right before ``start``, a colon or an opening
    bracket between ("TACE 3/23", "TDM (9/23)", "Kontroll-CT 3/24"). Read back from ``start`` a character at a time: a
    pattern of sixty words searched before each number pair made a megabyte of "TACE 3/23" take 15 s."""
    end = start
    while end > 0 and start - end < 4 and text[end - 1] in " \t:(":
        end -= 1
    # "CT of 3/23", "IRM de 3/23", "TDM du 3/23" (review45a): the exam's, the word "of" between
    of = _OF_BEFORE.search(text, max(0, start - 8), start)
    if of is not None:
        end = of.start()
        while end > 0 and start - end < 10 and text[end - 1] in " \t:(":
            end -= 1
    begin = end
    while begin > 0 and end - begin < 24 and (text[begin - 1].isalpha() or text[begin - 1] == "-"):
        begin -= 1
    if begin == end or (begin > 0 and text[begin - 1].isalnum()):
        return False
    word = text[begin:end]
    return _EXAM_WORD.fullmatch(word) is not None or _EXAM_WORD.fullmatch(word.rsplit("-", 1)[-1]) is not None


#: "of" between an exam word and its month and year ("CT of 3/23", "IRM de 3/23", "TDM du 3/23")
_OF_BEFORE = re.compile(r"(?<![^\W\d_])(?i:of|de|du)\s+$")
#: the words after a number of :data:`_NOT_A_DATE_WORD_AFTER` that say "out of" and also follow a date
_OF = frozenset({"of", "de", "der", "von", "sur"})


def _a_cell_count(found: re.Match[str]) -> bool:
    """A count of cells after the proliferation index ("Ki-67 10/2000"), not a month and year; with no leading zero."""
    return not found.group(0).startswith("0") and _CELL_COUNT_BEFORE.search(
        found.string, max(0, found.start() - 20), found.start()) is not None
