"""Dates in typed text: every form a date or an element of one takes (ISO, DICOM, day/month/year, named months in
English, French and German, Roman months, weekdays, a month with its year) and what makes a number no date (a unit,
what was counted, a word owning it). The month with a two-digit year ("3/24") is :mod:`.month_year`'s."""

from __future__ import annotations

import re


#: Dates as lesionlab and DICOM write them (ISO, YYYYMMDD; also with "/" or "." between year, month and day), and
#: day/month/year forms whose order is unknown (a four- or two-digit year). A letter or a hyphen before a date does not
#: keep it: "LU-2024-03-12" or "scan-12/03/2024" left with their dates (review41); only a digit right before one does
#: (a longer number is no date). A digit and a separator before a date with a four-digit year do not keep it either:
#: "L1-2024-03-12", "C2-12/03/2024" and the second date of "2024-03-12/2024-04-01" left whole (review42); they keep
#: a two-digit-year form only ("10.1.1.12", :func:`_dmy`).
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})([-/._])(\d{1,2})\2(\d{1,2})(?!\d)")  # "_": a file's name ("2024_03_12")
#: YYYYMMDD, also as a DICOM date-time's start ("20240312103000.5": the date left whole, review42)
_DICOM_DATE = re.compile(r"(?<![\d.])(\d{4})(\d{2})(\d{2})(?:(?:\d{2}){1,3}(?:\.\d{1,6})?)?(?![\d.])")
_DMY_DATE = re.compile(r"(?<!\d)(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
#: What makes a two-digit-year form no date (:func:`_dmy`): a number and separator before it or after it ("10.1.1.12",
#: "1.2.10.5"), a unit after it (sizes "12/15/18 mm").
_NUMBER_BEFORE = re.compile(r"\d[./-]$")  # matched on the two characters before (a search of the text: quadratic)
_NOT_A_DATE_AFTER = re.compile(r"[./-]\d|\s*(?:mm|cm|ml|%|HU|mg|kg|GBq|MBq|mSv|mGy)(?!\w)", re.IGNORECASE)
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
           "nov": 11, "dec": 12,
           # French and German names a reader here may type (janv., févr., mars, avr., mai, juin, juil., août, sept.,
           # oct., nov., déc.; Januar, Februar, März, Mai, Juni, Juli, Oktober, Dezember)
           "janv": 1, "févr": 2, "fevr": 2, "mars": 3, "avr": 4, "mai": 5, "juin": 6, "juil": 7, "août": 8,
           "aout": 8, "déc": 12, "januar": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7,
           "okt": 10, "dez": 12, "mär": 3, "mrz": 3}
#: the names above, the longest first ("juil" before "jul", "mars" before "mar"), sorted once
_MONTHS_LONGEST_FIRST = sorted(_MONTHS.items(), key=lambda kv: -len(kv[0]))
_MONTH = (r"(?P<month>jan(?:uary|v\.?|vier)?|feb(?:ruary|ruar)?|f[ée]vr(?:ier)?|mar(?:ch|s)?|m(?:ä|ae)rz|mär|mrz|apr(?:il)?"
          r"|avr(?:il)?|may|mai|jun[ei]?|juin|jul[iy]?|juil(?:let)?|aug(?:ust)?|ao[uû]t|sep(?:t(?:ember|embre)?)?"
          r"|o[ck]t(?:ober|obre)?|nov(?:ember|embre)?|d[eé]c(?:ember|embre)?|dez(?:ember)?)\.?")
#: A date with its month named: "12 March 2024", "12-Mar-2024", "March 12th, 2024", "1er mars 2024" (its order is
#: known: a day since the first exam), and a month with its year only ("March 2024": no day, so "[date]").
#: The year 19xx or 20xx, as a date's in a sentence (:meth:`Gate._day`): "since March 3, 1200 mg daily" became
#: "since [date] mg daily" (review42). No comma between the day and the month: "segment 8, May 2024" lost its segment
#: as "segment day 68" (review42).
_NAMED_DMY = re.compile(rf"(?<![\w])(?P<day>\d{{1,2}})(?:st|nd|rd|th|er)?[\s./-]*{_MONTH}[\s.,/-]*(?P<year>(?:19|20)\d{{2}})(?!\d)",
                        re.IGNORECASE)
_NAMED_MDY = re.compile(rf"(?<![\w]){_MONTH}[\s.,/-]*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?[\s.,/-]+(?P<year>(?:19|20)\d{{2}})(?!\d)",
                        re.IGNORECASE)
#: Year first: "2024-Mar-12", "2024 March 12" (review42: they left whole); a year of 19xx or 20xx with no comma after
#: it, so that a lab value before a date with no year stays ("AFP 1850, May 3").
_NAMED_YMD = re.compile(rf"(?<![\w])(?P<year>(?:19|20)\d{{2}})[\s./-]*{_MONTH}[\s.,/-]*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)",
                        re.IGNORECASE)
_NAMED_MY = re.compile(rf"(?<![\w]){_MONTH}[\s.,/-]*(?P<year>(?:19|20)\d{{2}})(?!\d)", re.IGNORECASE)
# ------------------------------------------------------------------------------------------- session 43's forms
# HIPAA Safe Harbor: every element of a date related to the patient but the year is an identifier, so a day and month
# without a year leave as "[date]" too, as do a month with its year. What no form below takes: a number before a unit
# ("12/15 mm"), a ratio without a leading zero or a date word before it ("3/4 lesions", "4/4 on T2"), a decimal
# ("12.03 mm"), a time ("12:30"), a list of numbers ("b 0 50 400 800"), a number a word owns ("segment 5 May").
_MONTH_WORD = _MONTH[:-3] + r"(?![^\W\d_])\.?"  # a month's name ending there ("Marc", "marked" are none)
#: French month names, written in lower case (an English "may", "march" or "dec" in lower case is no month)
_LOWER_CASE_MONTHS = frozenset({"janvier", "janv", "février", "fevrier", "févr", "fevr", "mars", "avril", "avr",
                                "mai", "juin", "juillet", "juil", "août", "aout", "septembre", "sept", "octobre",
                                "novembre", "décembre", "déc"})
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|e)?"
#: "12 March", "14th of March", "1er avril", "3. Mai", "12 mars '24", "28-Feb-24" (a two-digit year: "[date]"), "12 and
#: 14 March", "du 12 au 14 mars"
_NAMED_DM = re.compile(rf"(?<![\w.,/:-])(?:\d{{1,2}}(?:st|nd|rd|th|er)?\.?\s*(?:[-–&]|and|et|und|au|to|bis)\s*)?{_DAY}\.?[\s/-]*(?:of\s+|de\s+)?{_MONTH_WORD}"
                       r"(?P<yy>(?:\s*['’‘]|[-./])\d{2}(?![\d.,/:]\d|\d))?", re.IGNORECASE)
#: "March 12", "Mar 12th", "Feb. 20th", "May 5", "March 12-14", "March 12 and 14" (not "May 3.5", "May 3 cm")
_NAMED_MD = re.compile(rf"(?<![\w.]){_MONTH_WORD}\s*(?:the\s+)?{_DAY}"
                       r"(?:\s*(?:[-–&]|and|to)\s*\d{1,2}(?:st|nd|rd|th)?(?![\w:]|[.,]\d|\s*[^\W\d_]))?(?![\w:]|[.,]\d)",
                       re.IGNORECASE)
#: "March '24", "mars '24"
_NAMED_MYY = re.compile(rf"(?<![\w.]){_MONTH_WORD}\s*['’‘]\d{{2}}(?!\d)", re.IGNORECASE)
#: "12/03", "03/12", "12.03." (German), "on 5/3", "du 5/3", "am 15.4."
_NUMERIC_DM = re.compile(r"(?<![\w./:,-])(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})(?P<dot>\.(?!\d))?(?![\d/:]|[.,]\d)")
#: the words after which a day/month without a year is a date even without a leading zero
#: a day of the week (a date's element: "Tuesday 12 March", "lundi 4 mars 2024", "Mo, 4.3."; German two-letter names
#: with their capital only)
_WEEKDAY = (r"(?:(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun|lundi|mardi|mercredi"
            r"|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)"
            r"|Mo|Di|Mi|Do|Fr|Sa|So)\.?,?\s*")
_WEEKDAY_BEFORE = re.compile(rf"(?<!\w){_WEEKDAY}$")
_DATE_WORD_BEFORE = re.compile(r"(?:^|\W)(?i:on|since|dated|seen|until|till|le|du|depuis|jusqu'au|am|vom|bis|seit)"
                               rf"\s*(?:{_WEEKDAY})?$|(?<!\w){_WEEKDAY}$")
#: the words before a birth date (English, French, German)
_BIRTH_BEFORE = re.compile(r"(?:^|\W)(?:d\.?o\.?b|born|birth(?:\s*date)?|date\s+of\s+birth|n[ée]e?(?:\s+le)?"
                           r"|date\s+de\s+naissance|ddn|geb(?:oren)?(?:\s+am)?|geburtsdatum)\.?\s*[:=]?\s*$",
                           re.IGNORECASE)
#: a month's name alone is a date's element after a word placing something in time ("in March", "since May",
#: "mid-April", "mi-avril", "seit Juni", "end of May"); elsewhere it may be a word ("May represent", "Mai-Grünwald")
_BARE_MONTH = re.compile(rf"(?<![\w.]){_MONTH_WORD}", re.IGNORECASE)
_TIME_WORD_BEFORE = re.compile(
    r"(?:^|\W)(?:in|since|until|till|from|of|by|early|mid|late|end|during|en|depuis|jusqu'en|début|fin|mi|courant"
    r"|im|seit|bis|ab|anfang|mitte|ende|(?:fin|début|debut)\s+d[e'])[\s-]*$", re.IGNORECASE)
#: what makes a number no day: the word owning it ("segment 5 May", "lesion 4/5", "series 3")
_NUMBER_OWNER_BEFORE = re.compile(
    r"(?:^|\W)(?:segments?|seg|lesions?|lésions?|läsion(?:en)?|series|serie|série|se|images?|im|bild|slices?|coupes?"
    r"|schicht|cycles?|cures?|zykl(?:us|en)|grade|stage|stade|n°|no|nr|x|×|b)\.?\s*$", re.IGNORECASE)
#: what after a number makes it no date: a unit or what was counted
_NOT_A_DATE_WORD_AFTER = re.compile(
    r"\s*(?:mm|cm|ml|%|HU|mg|kg|GBq|MBq|mSv|mGy|s|min|h|lesions?|lésions?|läsion(?:en)?|nodes?|segments?|of|de|der|"
    r"von|sur|cells?|cellules?|zellen|hpf|fields?|champs?|dilution|verdünnung|patients?|patientes?|cases?|cas|fälle|"
    r"cycles?|cures?|zyklen|biops(?:y|ies)|cores?|carottes?|stanzen?)(?!\w)", re.IGNORECASE)
#: "03/2024", "3.2024", "03-2024" (a month and its year)
_NUMERIC_MY = re.compile(r"(?<![\w./:,-])(?:(?:0?[1-9]|1[0-2])[./]|(?:0[1-9]|1[0-2])-)(?:19|20)\d{2}(?![\w/-]|[.,]\w)")
#: "2024-03", "2024/03" (a year and its month, the month with two digits)
_NUMERIC_YM = re.compile(r"(?<![\w./:,-])(?:19|20)\d{2}[-/.](?:0[1-9]|1[0-2])(?![\w/-]|:\d|[.,]\w)")
#: "2024 03 12" (year first: its order is known) and "12 03 2024" (day and month in an unknown order), one space
#: between, not within a list of numbers ("b 0 50 400 800")
_SPACED_YMD = re.compile(r"(?<![\d.,/:-])(?<!\d\s)(?P<year>(?:19|20)\d{2}) (?P<month>\d{1,2}) (?P<day>\d{1,2})"
                         r"(?!\s?\d|[.,/:]\d)")
_SPACED_DMY = re.compile(r"(?<![\d.,/:-])(?<!\d\s)(\d{1,2})( )(\d{1,2}) ((?:19|20)\d{2})(?!\s?\d|[.,/:]\d)")
_ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_ROMAN = r"(?P<roman>XII|XI|IX|X|VIII|VII|VI|IV|V|III|II|I)"
#: Roman months: "3.III.2024", "15 XI 2023", "3-III-24" (a two-digit year: "[date]"), "3.III." and "III/2024"
_ROMAN_DMY = re.compile(rf"(?<![\w.]){_DAY}(?P<sep>[./ -])\s?{_ROMAN}(?P=sep)\s?(?P<year>(?:19|20)\d{{2}}|\d{{2}})"
                        r"(?![\d.]\d|\d)")
_ROMAN_DM = re.compile(rf"(?<![\w.])\d{{1,2}}\.\s?{_ROMAN}\.(?![\w.]|\d)")
#: review45a: a quarter or a calendar week with its year ("Q3/23", "Q3 2023", "KW 12/24", "CW 40/23"): a date to the
#: quarter or the week, as a month and year is to the month; review45b: a half-year too ("S1/24", semestre; "H2/23")
_QUARTER_OR_WEEK_YEAR = re.compile(r"(?<![\w./-])(?:Q[1-4]|[SH][12]|(?:KW|CW)\s?(?:[1-9]|[1-4]\d|5[0-3]))"
                                   r"(?:\s?[/.'-]\s?(?:19|20)?\d{2}|\s(?:19|20)\d{2})(?![\w/]|[.,]\d)")
_ROMAN_MY = re.compile(rf"(?<![\w.]){_ROMAN}[./](?:19|20)\d{{2}}(?![\d.]\d|\d)")
#: "12. 3. 2024", "12 . 03 . 2024" (a date typed with spaces after its dots, as German text has it): "[date]" as
#: "12.3.2024" (review43a: the whole date left)
_SPACED_DOTTED_DMY = re.compile(r"(?<![\w.,/:-])(\d{1,2})( ?\. ?)(\d{1,2}) ?\. ?((?:19|20)\d{2})(?!\d|[.,]\d)")
# ------------------------------------------------------------------------------------------- session 44's forms
#: "12mar24", "03MAR24": a day, a month's name and a two-digit year written together (the century unknown: "[date]");
#: in lower case too (a month's name in lower case is no month only where it stands as a word)
#: and with one separator twice ("12-mar-24", "12 jan 24", "3 juin 24": left as typed in lower case, review44a)
_GLUED_DMYY = re.compile(rf"(?<![\w.,/:-])\d{{1,2}}(?P<sep>[-./ ]?){_MONTH[:-3]}\.?(?P=sep)\d{{2}}(?![\w]|[.,/:]\d)",
                         re.IGNORECASE)
#: Session 45: spaced with its capital ("12 Mar 24", "3 Feb. 23"), an abbreviated month's name is a date as a whole (the
#: "24" stayed after "[date]"); a full one only where no word follows ("CT 12 March 24: stable"), for "On 12 March 15 new
#: lesions were seen" (session 44) keeps its count
_FULL_MONTH_NAMES = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "janvier", "février", "fevrier", "mars", "avril", "mai", "juin", "juillet", "août", "aout", "septembre",
    "octobre", "novembre", "décembre", "januar", "februar", "märz", "maerz", "juni", "juli", "oktober", "dezember"})
_WORD_AFTER = re.compile(r"\s*[^\W\d_]")
#: "Sunday the 3rd", "Monday 4th", "dimanche 3", "Sonntag, den 3.": a day of the month with its day of the week (a
#: date's element); an abbreviated day ("Sun", "Mon") with its capital only
_WEEKDAY_DAY = re.compile(
    r"(?<!\w)(?:(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)day|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)"
    r"\.?,?\s+(?i:the\s+|den\s+|le\s+)?\d{1,2}(?:st|nd|rd|th|er|e)?\.?(?!\w|[.,:/]\d)")
#: a part of a month before it goes with it: "mid-April", "mi-avril", "end of May", "Mitte Mai", "début mars" (a day's
#: range; "mi-avril" left "mi-[date]")
_PART_OF_MONTH_BEFORE = re.compile(
    r"(?<![^\W\d_])(?i:mid|mi|early|late|end(?:\s+of)?|beginning\s+of|début(?:\s+d[e'])?|debut(?:\s+d[e'])?"
    r"|fin(?:\s+d[e'])?|anfang|mitte|ende)[\s-]*$")
#: what follows a full stop that ends a sentence: the text's end, a line's end, or a space and a capital
_AFTER_A_SENTENCE = re.compile(r"\s*$|\s*\n|\s+(?P<capital>[^\W\d_])", re.MULTILINE)


def _ends_a_sentence(text: str, at: int) -> bool:
    """Whether the "." at ``text[at]`` may end a sentence ("since 4/24.", "Seen Monday 12. Next"), not only close a
    date's number ("am 12.03. und", "Sonntag, den 3. März")."""
    if text[at] != ".":
        return False
    after = _AFTER_A_SENTENCE.match(text, at + 1)
    return after is not None and (after["capital"] is None or after["capital"].isupper())


#: an ISO date-time ("2024-03-12T10:30:00"): its time goes with its date
_ISO_DATE_TIME = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
                            r"(?:Z|[+-]\d{2}:?\d{2})?(?!\d)")


def _dmy(found: re.Match[str]) -> str | None:
    """A day/month/year date (or month/day/year: the order is unknown) as ``[date]``; numbers that cannot be a date
    in either order ("40/50/2024") stay."""
    first, second = int(found.group(1)), int(found.group(3))
    if len(found.group(4)) == 2 and (_NUMBER_BEFORE.match(found.string, max(0, found.start() - 2), found.start())
                                     or _NOT_A_DATE_AFTER.match(found.string, found.end())):
        return None
    if min(first, second) < 1 or max(first, second) > 31 or min(first, second) > 12:
        return None
    return "[date]"


def _a_month(found: re.Match[str]) -> bool:
    """A month's name before or after a day with no year: written with a capital, or French (in lower case)."""
    month = found.group("month")
    return month[0].isupper() or month.lower().rstrip(".") in _LOWER_CASE_MONTHS


def _owned(found: re.Match[str]) -> bool:
    """The day number of ``found`` belongs to the word before it ("segment 5 May", "lesion 4/5")."""
    return _NUMBER_OWNER_BEFORE.search(found.string[max(0, found.start() - 14):found.start()]) is not None


def _counted(found: re.Match[str]) -> bool:
    """``found`` is a number of something (a word owning it before, a unit or what was counted after)."""
    return _owned(found) or _NOT_A_DATE_WORD_AFTER.match(found.string, found.end()) is not None


def _part_of_month_before(text: str, start: int) -> int:
    """The length of a part of a month ("mid-", "end of ", "Mitte ") right before ``start``, else 0."""
    found = _PART_OF_MONTH_BEFORE.search(text, max(0, start - 16), start)
    return 0 if found is None else len(found.group(0))


def _numeric_day_month(found: re.Match[str]) -> str | None:
    """``[date]`` for a day and month without a year ("12/03", "12.03.", "on 5/3"): a number pair that can be a date in
    either order, written with a leading zero (a ratio has none: "3/4") or after a date word; "." only with a
    closing dot or after a date word (a decimal: "12.03 mm")."""
    a, b = found.group("a"), found.group("b")
    if _counted(found) or not (1 <= min(int(a), int(b)) <= 12 and max(int(a), int(b)) <= 31):
        return None
    after_date_word = _DATE_WORD_BEFORE.search(found.string[max(0, found.start() - 14):found.start()]) is not None
    zero = a.startswith("0") or b.startswith("0")
    if found.group("sep") == "/":
        return "[date]" if zero or after_date_word else None
    return "[date]" if after_date_word or (zero and found.group("dot")) else None


def _weekday_before(text: str, start: int) -> int:
    """The length of a day of the week (with its comma and space) right before ``start``, else 0."""
    found = _WEEKDAY_BEFORE.search(text[max(0, start - 14):start])
    return 0 if found is None else len(found.group(0))
