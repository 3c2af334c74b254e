"""The one gate every pseudonymised output goes through: a rule per record field and per column.

``lesionlab export --pseudonymise`` writes nothing that has not passed :meth:`Gate.table` (the
cohort CSVs, every sheet of every workbook). The gate is declarative: :data:`RULES` gives each
column of an output and each field of a record one :class:`Rule`; a column without a rule stops
the export (:class:`PseudonymisationError`), and ``tests/annotation/test_hostile_export.py`` fails
when a record field (of every record type of :data:`annotation.project.RECORD_TYPES`, so a future
follow-up or reader-study table too) or an exported column has none. What the rules do:

* patient ids become study codes (``S001``... in patient-id order; a prefix no patient id has, so
  a code never equals a real id: patients named S001, S002 get ``SUBJ001``...), whatever the ids
  look like; exam pair ids become ``E1``, ``E2``... per patient; lesion tracking UIDs get fresh
  UIDs (they appear in DICOM SR objects, which name the patient);
* names, study / series / SOP instance UIDs, frames of reference and stack keys (paths) are left
  out (empty cells, the columns stay);
* no calendar date leaves: a date becomes the number of days since the patient's first exam
  (CT or MRI of any of their exam pairs), in the same column;
* free text typed by a reader (comments, reasons) is left out unless ``keep_comments``; kept, it passes
  :meth:`Gate.generated_text` too (the patient's name, ids, dates and UIDs in it are replaced; other names stay);
* a treatment line's name, typed by the reader into a structured field (the swimmer plot's label), is kept and
  passes :meth:`Gate.generated_text`, as lesionlab's own text does;
* text lesionlab generates (check warnings, the response engine's notes on the RECIST sheet, which
  say "L2 on 2024-03-12 left out: ...") is kept and passes :meth:`Gate.generated_text`, whatever
  ``keep_comments``: the patient's ids become their codes, a date becomes ``day N`` by the rule of a
  date column (days since the patient's first exam; ``[date]`` when the patient has no dated exam,
  or for a date written day/month/year, whose order is unknown, or a month with its year only; a month
  written as a name, English, French or German, is read), the patient's name and its parts
  become ``[name]`` and a DICOM UID ``[uid]``;
* in that text no element of a date but its year leaves (HIPAA Safe Harbor, session 43): a day and month without a
  year, a month with its year, a month alone after a word placing something in time, a day of the week beside a
  date, Roman months, dates with spaces: ``[date]`` or ``day N``; counts, sizes, ratios without a leading zero,
  decimals, times and numbers a word owns stay. A short numeric patient id (fewer than six digits) is an id only after
  a word naming one ("patient 4"); a name part that is also a word ("May", "de") is the name where written with a
  capital, a particle only with the rest of its name. Every form is found in the text as typed, the leftmost then
  longest replaced in one pass (:func:`_replaced`);
* session 44: a month with a two-digit year ("03.24"; "3/24" only after a word placing it in time, else a ratio), a
  date written together ("12mar24"), a day of the month beside its weekday ("Sunday the 3rd"), a part of a month with
  it ("mi-avril" whole), a genitive or plural name ("Müllers"), other patients' names (``[name]``); a name part that is
  a word is that word at a sentence's start before a word it goes with ("May represent", "Short axis"). A patient's
  name and id patterns, the other patients' ids and names are made once per export. A month and year before a
  sentence's full stop or a colon ("since 03/2024.", "Since 3/24:") is a date too, and a date's dot that may end a
  sentence stays after it ("since [date]. Next"; review44a).
* session 45: a month with a two-digit year beside an exam, a procedure or an event of the disease ("TACE 3/23",
  "Verlaufskontrolle 9/23", "11/22 RFA") or standing alone before a colon or a dash ("3/23: TACE"); a fraction with a
  one-digit second number is never one ("2/3", "segments 5/6": May 2006 is written "5/06"), a count of cells after
  Ki-67 neither ("Ki-67 10/2000"); the decision at :data:`_EXAM_WORDS`. "12 Mar 24" whole; "O Brien" of O'BRIEN whole;
  a name part that is a word inside a known term ("May-Thurner", "Rose Bengal", "Short of breath") is the term, with a
  title or the rest of the name before it the name (:data:`_TERMS_AFTER`).
* review45a: also in a list joined by "+" or "&" ("CT 3/23 + 9/23"), before a bracket's end and an exam word ("(9/23)
  TACE"), after an exam and "of" ("CT of 3/23", "IRM de 3/23"), after "Nachsorge", "Chemo", "Echo", "CTs", "NMR"; the
  second of a comparison or sequence ("CT 9/23 vs 3/24", "/", "→", "then", "puis", "dann"); a quarter or calendar week
  with its year ("Q3/23", "Q3 2023", "KW 12/24", "CW 40/23").
* review45b, the decision inverted: a month with a two-digit year written m/yy (a month 1-12, "/", two digits) is a date
  unless a ratio's context says otherwise: a counted word or unit after it ("3/12 Segmente", "10/12 cycles"), a ratio's
  or score's word before it ("score 7/10", "VAS 3/10", "Ki-67 12/50", "pN1 (3/12)", "enhancing in 3/12", :data:`_RATIO_WORDS`),
  "of" after a word that is no exam's nor a time's ("lesion of 3/12"), a phase or sequence after it with no exam word
  beside it ("5/12 portal", "12/24 on b800"), a counted ratio shortly before in its clause, a fraction that is no month
  and year before it ("2/3 / 3/12"); a one-digit second number or a longer run is never one. The leaks it closes: "stable
  9/23 :", "(Befund 9/23)", "sorafenib 3/23", "CT abdomen 3/24", "TACE x2 (3/23, 9/23)", "9/23 → 3/24"; a half-year with
  its year ("S1/24", "H2/23") as a quarter's. Its known cost: a count typed bare ("7/12 responded", the British "review
  in 6/12" for six months) leaves as "[date]"; on the corpora (tests/annotation/pseudonymise_corpus.py) no ratio
  changed. Written with a dot ("3.24") the pair keeps session 45's rule (a decimal unless a context makes it a date).
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping, Sequence

from annotation.project import Project
from annotation._validate import date, new_uid
from viewer.errors import LesionlabError
from viewer.records import READING_ROLES


class Rule(Enum):
    """What pseudonymisation does to one column or record field."""

    KEEP = "keep"  # not identifying: vocabularies, measurements, lesion numbers, reader names
    PATIENT_CODE = "patient code"  # the study code
    EXAM_CODE = "exam code"  # E1, E2... per patient
    NEW_UID = "new uid"  # a fresh UID, the same for the same input within one export
    DROP = "drop"  # left out (an empty cell)
    DAYS = "days"  # a date -> days since the patient's first exam
    COMMENT = "comment"  # reader's free text: left out unless keep_comments
    GENERATED_TEXT = "generated text"  # lesionlab's own sentences: ids, dates, names and UIDs replaced
    TYPED_LABEL = "typed label"  # a reader's text of a structured field: kept, replaced as generated text is
    NESTED = "nested"  # a record inside a record: its own fields have rules


_ROLE_COLUMNS = {f"{r.value} (mm)": Rule.KEEP for r in READING_ROLES}

#: Every column of every pseudonymised output and every field of every record, with its rule.
RULES: dict[str, Rule] = {
    # identifiers
    "patient_id": Rule.PATIENT_CODE, "exam_pair_id": Rule.EXAM_CODE, "tracking_uid": Rule.NEW_UID,
    "patient_name": Rule.DROP, "ct_study_uid": Rule.DROP, "mri_study_uid": Rule.DROP,
    "series_instance_uid": Rule.DROP, "sop_instance_uid": Rule.DROP, "stack_key": Rule.DROP,
    "fixed_frame_uid": Rule.DROP, "moving_frame_uid": Rule.DROP, "frame_of_reference_uid": Rule.DROP,
    "mark_id": Rule.DROP,
    # dates
    "ct_date": Rule.DAYS, "mri_date": Rule.DAYS,
    # follow-up (issue 10): dates of timepoints, treatment lines and responses; a timepoint's id and
    # exam pairs are keys of the store (the exported rows carry the date, as days)
    "exam_date": Rule.DAYS, "timepoint_date": Rule.DAYS, "baseline_date": Rule.DAYS,
    "start_date": Rule.DAYS, "end_date": Rule.DAYS,
    "timepoint_id": Rule.DROP, "exam_pair_ids": Rule.DROP, "parent_tracking_uid": Rule.NEW_UID,
    # free text: a reader's is left out; lesionlab's own (check warnings, the response engine's notes, an alignment's
    # summary) is kept with its dates, ids, names and UIDs replaced
    "comment": Rule.COMMENT, "reason": Rule.COMMENT,
    "warning": Rule.GENERATED_TEXT, "grade_flag": Rule.GENERATED_TEXT, "note": Rule.GENERATED_TEXT,
    # a treatment line's name is a structured field (the swimmer plot's label), not a comment, but the reader types it:
    # "PRRT at <hospital>, 12/03/2024" left with its date, and the patient's name or id, when it was kept as it was
    "name": Rule.TYPED_LABEL,
    # records inside records
    "observations": Rule.NESTED, "clinical": Rule.NESTED,
    # the reading: not identifying
    **{name: Rule.KEEP for name in (
        "reader", "readers", "lesion_id", "lobe", "segment", "series_role", "role", "status", "count_status",
        "slice_index", "diameter_mm", "p1", "p2", "p3", "p4", "p1_row", "p1_col", "p2_row", "p2_col", "p3_row",
        "p3_col", "p4_row", "p4_col", "row", "col", "row_spacing_mm", "column_spacing_mm", "short_axis_mm",
        "measured_mm", "instance_number", "frame_number", "sop_class_uid", "method", "method_params", "suggested_mm",
        "series_roles",
        "count",
        "uncountable",
        "right", "left", "whole_liver", "interval_days", "matrix", "source", "lines",
        # clinical record
        "sex", "age_at_diagnosis", "age_at_diagnosis_years", "primary_site", "ki67_percent", "mitotic_count",
        "mitoses_per_10hpf", "grade", "grade_entered", "grade_who2019", "grade_source", "differentiation",
        "liver_metastases", "treatments", "treat_primary_resection", "treat_liver_surgery",
        "treat_chemoembolisation", "treat_radiofrequency_ablation", "treat_somatostatin_analogues",
        "treat_chemotherapy", "treat_targeted_therapy", "treat_transplant",
        # follow-up: what each lesion is and the responses (vocabularies and numbers)
        "kind", "organ", "nodal", "assessed_role", "treated", "baseline", "parent_lesion_id", "line_number",
        "days_from_baseline", "sum_mm", "baseline_sum_mm", "nadir_sum_mm", "change_from_baseline_pct",
        "change_from_nadir_pct", "target_response", "non_target_response", "new_lesions", "overall_response",
        "best_overall_response", "nen_slow_progression", "tgr_pct_per_month",
        # the per-patient workbook's Patient sheet is (field, value): the rule of the row's field applies
        "field", "value")},
    **_ROLE_COLUMNS,
}

#: Study code prefixes, the first that no patient id could be mistaken for is used.
CODE_PREFIXES = ("S", "SUBJ", "PSEUDO-")


class PseudonymisationError(LesionlabError):
    """An output column or record field has no pseudonymisation rule: nothing is written."""


def rule_of(name: str) -> Rule:
    try:
        return RULES[name]
    except KeyError:
        raise PseudonymisationError(f"column or field {name!r} has no pseudonymisation rule",
                                    where="annotation.pseudonymise.RULES",
                                    advice="add a rule for it before it can be exported pseudonymised") from None


def _codes_kept(ids: Sequence[str], previous: Mapping[str, str]) -> dict[str, str] | None:
    """Codes for ``ids`` keeping ``previous``'s (patient id -> code) and numbering the new patients after them in
    the same form (``S003``); None when that cannot be done safely (a kept code is another patient's id now, or
    the codes are not of the form prefix + number), and the codes start over."""
    kept = {pid: code for pid, code in previous.items() if pid in set(ids)}
    used = set(kept.values())
    if used & set(ids) or len(used) != len(kept):
        return None
    forms = [re.fullmatch(r"(\D+)(\d+)", code) for code in previous.values()]
    if not forms or any(f is None for f in forms) or len({f.group(1) for f in forms if f}) != 1:
        return None
    prefix = next(f.group(1) for f in forms if f)
    width = max(len(f.group(2)) for f in forms if f)
    n = max(int(f.group(2)) for f in forms if f)
    taken = used | set(ids) | set(previous.values())
    out = dict(kept)
    for pid in ids:
        if pid in out:
            continue
        n += 1
        while f"{prefix}{n:0{width}d}" in taken:
            n += 1
        out[pid] = f"{prefix}{n:0{width}d}"
        taken.add(out[pid])
    return out


def _codes(ids: Sequence[str], width: int) -> dict[str, str]:
    taken = set(ids)
    for prefix in CODE_PREFIXES:
        codes = {pid: f"{prefix}{i:0{width}d}" for i, pid in enumerate(ids, start=1)}
        if not taken & set(codes.values()):
            return codes
    n = 0
    while True:  # every prefix taken by some id: add a suffix until none collides
        n += 1
        codes = {pid: f"S{n}-{i:0{width}d}" for i, pid in enumerate(ids, start=1)}
        if not taken & set(codes.values()):
            return codes


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
#: A DICOM UID (root 0, 1 or 2, at least four components): a study's, series' or lesion's identity.
_UID = re.compile(r"(?<![\w.])[0-2](?:\.\d+){3,}(?!\w)(?!\.\d)")

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

#: Where a short numeric id is an id: after a word naming one ("patient 4", "pt #4", "MRN: 4", "Pat.-ID 4", "IPP 4");
#: elsewhere "4" is a count, a size, a series ("4 cycles" became "S001 cycles").
_PATIENT_ID_WORDS = r"patient(?:e|in|en)?|pat|pt|mrn|ipp|nip|pid|id|dossier"
_EXAM_ID_WORDS = r"exam(?:en)?|pair|paire|accession|acc|untersuchung|study|étude"
_ID_NUMBER = r"(?:[\s.-]*(?:id|no|nr|n°|number|nummer|num[ée]ro))?[\s.:#=-]*"
#: an id of digits only shorter than this is replaced only after such a word
_SHORT_NUMERIC_ID = 6
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


#: an initial right before a name ("A. May", "A May")
_INITIAL_BEFORE = re.compile(r"(?<![\w.])([A-Z])\.?\s?$")


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


def _weekday_before(text: str, start: int) -> int:
    """The length of a day of the week (with its comma and space) right before ``start``, else 0."""
    found = _WEEKDAY_BEFORE.search(text[max(0, start - 14):start])
    return 0 if found is None else len(found.group(0))


def _replaced(text: str, finds: list[tuple[int, int, str]]) -> str:
    """``text`` with the leftmost, then longest, of overlapping finds replaced."""
    out, at = [], 0
    for start, end, said in sorted(finds, key=lambda f: (f[0], f[0] - f[1])):
        if start >= at:
            out += [text[at:start], said]
            at = end
    out.append(text[at:])
    return "".join(out)


def _missing(value: Any) -> bool:
    return (value is None or (isinstance(value, str) and value == "") or type(value).__name__ == "NAType"
            or (isinstance(value, float) and value != value))


@dataclass(frozen=True)
class Gate:
    """Pseudonymisation of one project's outputs (``active=False``: everything passes unchanged)."""

    active: bool = False
    keep_comments: bool = False
    patient_codes: dict[str, str] = field(default_factory=dict)
    exam_codes: dict[tuple[str, str], str] = field(default_factory=dict)
    first_exam: dict[str, _dt.date] = field(default_factory=dict)
    _uids: dict[str, str] = field(default_factory=dict)
    patient_names: dict[str, str] = field(default_factory=dict)
    _others: dict[str, Any] = field(default_factory=dict)  # the other patients' ids as one pattern, made once
    _mine: dict[str, Any] = field(default_factory=dict)  # each patient's name and id patterns, made once

    @classmethod
    def for_project(cls, project: Project, *, keep_comments: bool = False,
                    previous: Mapping[str, str] | None = None) -> "Gate":
        """The gate of an export of ``project``; ``previous``: patient id -> study code of the key of an earlier
        export to the same place, whose codes its patients keep (a new patient takes the next free code; an audit
        added a patient, exported again, and every code shifted while the only key of the shared export was
        replaced)."""
        ids = sorted(project.patients)
        patient_codes = _codes(ids, max(3, len(str(len(ids)))))
        if previous:
            patient_codes = _codes_kept(ids, previous) or patient_codes
        exam_codes: dict[tuple[str, str], str] = {}
        first: dict[str, _dt.date] = {}
        for pid in ids:
            for i, pair in enumerate(project.pairs_of(pid), start=1):
                exam_codes[(pid, pair.exam_pair_id)] = f"E{i}"
                for d in (pair.ct_date, pair.mri_date):
                    if d is not None and (pid not in first or d < first[pid]):
                        first[pid] = d
        names = {pid: project.patients[pid].patient_name for pid in ids if project.patients[pid].patient_name}
        return cls(True, keep_comments, patient_codes, exam_codes, first, patient_names=names)

    def patient_code(self, patient_id: str) -> str:
        return self.patient_codes.get(patient_id, patient_id) if self.active else patient_id

    def value(self, name: str, value: Any, patient_id: str) -> Any:
        """``value`` of column or field ``name`` in an output about patient ``patient_id``."""
        if not self.active:
            return value
        rule = rule_of(name)
        if rule is Rule.KEEP or rule is Rule.NESTED or _missing(value):
            return value
        if rule is Rule.PATIENT_CODE:
            return self.patient_codes[str(value)]
        if rule is Rule.EXAM_CODE:  # not one of the patient's exam pairs (a patient-level row): left out
            return self.exam_codes.get((patient_id, str(value)))
        if rule is Rule.NEW_UID:
            return self._uids.setdefault(str(value), new_uid())
        if rule is Rule.DAYS:
            day, first = date(name, value), self.first_exam.get(patient_id)
            return None if day is None or first is None else (day - first).days
        if rule is Rule.COMMENT:  # kept when asked, but not the patient's own name, ids, dates or UIDs
            return self.generated_text(str(value), patient_id) if self.keep_comments else None
        if rule is Rule.GENERATED_TEXT or rule is Rule.TYPED_LABEL:
            return self.generated_text(str(value), patient_id)
        return None  # Rule.DROP

    def generated_text(self, text: str, patient_id: str) -> str:
        """A sentence lesionlab wrote (or a reader typed) about patient ``patient_id`` as it may leave: UIDs removed,
        dates as days since the patient's first exam (the rule of a date column), a date's day and month without its
        year removed, the patient's name removed, ids as codes.

        Every form is looked for in the text as typed and the leftmost, then longest, of overlapping finds replaced,
        in one pass: the patient named MAY^ANNA's "May 5, 2024" had become "[name] 5, 2024" (the name first), the date
        left whole."""
        if not self.active:
            return text
        # one form of accented letters: "de\u0301c." (typed on a Mac) is "déc.", "Mu\u0308ller" the name "Müller"
        typed = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
        text = typed.translate(_LOOKALIKE)  # what is looked for in; ``typed`` is what leaves, its finds replaced
        finds: list[tuple[int, int, str]] = []

        def every(pattern: re.Pattern[str], say: Callable[[re.Match[str]], str | None]) -> None:
            for found in pattern.finditer(text):
                said = say(found)
                if said is not None:
                    finds.append((found.start(), found.end(), said))

        every(_UID, lambda m: "[uid]")
        every(_NAMED_DMY, lambda m: None if _owned(m) else self._named_day(m, patient_id))
        every(_NAMED_MDY, lambda m: self._named_day(m, patient_id))
        every(_NAMED_YMD, lambda m: self._named_day(m, patient_id))
        every(_NAMED_MY, lambda m: "[date]")
        every(_NAMED_MYY, lambda m: "[date]")
        every(_NAMED_DM, lambda m: None if _owned(m) or not _a_month(m) else "[date]")
        every(_NAMED_MD, lambda m: "[date]" if _a_month(m) and not _counted(m) else None)
        every(_BARE_MONTH, lambda m: "[date]" if _a_month(m) and _TIME_WORD_BEFORE.search(
            text[max(0, m.start() - 14):m.start()]) else None)
        every(_ISO_DATE, lambda m: self._iso_day(m, patient_id))
        every(_ISO_DATE_TIME, lambda m: self._day(m, patient_id, m.group(1), m.group(2), m.group(3)))
        every(_DICOM_DATE, lambda m: self._day(m, patient_id, m.group(1), m.group(2), m.group(3)))
        every(_SPACED_YMD, lambda m: None if _counted(m) else self._day(m, patient_id, m["year"], m["month"], m["day"]))
        every(_DMY_DATE, _dmy)
        every(_SPACED_DMY, lambda m: None if _counted(m) else _dmy(m))
        every(_SPACED_DOTTED_DMY, lambda m: None if _counted(m) else _dmy(m))
        every(_NUMERIC_DM, _numeric_day_month)
        every(_NUMERIC_MY, lambda m: None if _counted(m) or _a_cell_count(m) else "[date]")
        every(_NUMERIC_YM, lambda m: None if _counted(m) else "[date]")
        every(_ROMAN_DMY, lambda m: self._roman_day(m, patient_id))
        every(_ROMAN_DM, lambda m: "[date]")
        every(_ROMAN_MY, lambda m: "[date]")
        # spaced with a capital, a full month's name only where no word follows: "On 12 March 15 new lesions" keeps
        # its count, "12 Mar 24" and "CT 12 March 24:" are dates
        every(_GLUED_DMYY, lambda m: None if _counted(m) or (m["sep"] == " " and m["month"][0].isupper() and m[
            "month"].lower() in _FULL_MONTH_NAMES and _WORD_AFTER.match(text, m.end())) else "[date]")
        every(_NUMERIC_MYY, _month_two_digit_year)
        every(_QUARTER_OR_WEEK_YEAR, lambda m: "[date]")
        every(_WEEKDAY_DAY, lambda m: None if _counted(m) else "[date]")
        # the name after the dates: of two finds alike ("in May" for MAY^ANNA) the date is kept
        names, initials, id_patterns = self._patterns_of(patient_id)
        if names is not None:
            for found in names.finditer(text):  # an initial of the name before it goes with it ("A. May")
                if _a_name(found) is not None:
                    initial = _INITIAL_BEFORE.search(text[max(0, found.start() - 4):found.start()])
                    start = found.start() - len(initial.group(0)) if initial and initial[1] in initials else found.start()
                    finds.append((start, found.end(), "[name]"))
        for pattern, code in id_patterns:
            for found in pattern.finditer(text):
                finds.append((found.start("id"), found.end("id"), code))
        others, codes = self._other_ids()
        if others is not None:  # another patient's id ("compared with 7654321's scan") is as identifying
            for found in others.finditer(text):
                theirs = codes.get(_id_key(found["id"]))
                if theirs is not None and theirs != self.patient_codes.get(patient_id):
                    finds.append((found.start("id"), found.end("id"), theirs))
        # another patient's name ("as in Mr Müller's case") is as identifying as the patient's own
        for start, end in self._other_names(text, patient_id):
            finds.append((start, end, "[name]"))
        # a day of the week before a date goes with it; a birth date is "[date]", not its day from the first exam
        # (which gives the age at that exam to the day: "DOB 1961-03-12" left as "DOB day -22999")
        finds = [(start - _part_of_month_before(text, start) if said == "[date]" else start, end, said)
                 for start, end, said in finds]
        finds = [(start - _weekday_before(text, start) if said.startswith(("[date]", "day ")) else start, end,
                  "[date]" if said.startswith("day ") and _BIRTH_BEFORE.search(text[max(0, start - 20):start]) else said)
                 for start, end, said in finds]
        # a date's closing dot before a space or the text's end stays: it may end the sentence ("since 4/24." had
        # become "since [date]", "Seen Monday 12. Next" "Seen [date] Next"; review44a); it holds nothing to hide
        finds = [(start, end - 1 if said.startswith(("[date]", "day ")) and end - start > 1 and _ends_a_sentence(text, end - 1)
                  else end, said) for start, end, said in finds]
        return _replaced(typed, finds)

    def _iso_day(self, found: re.Match[str], patient_id: str) -> str | None:
        return self._day(found, patient_id, found.group(1), found.group(3), found.group(4))

    def _roman_day(self, found: re.Match[str], patient_id: str) -> str | None:
        if len(found["year"]) == 2:  # the century unknown, as "12.03.24"
            return "[date]"
        said = self._day(found, patient_id, found["year"], str(_ROMAN_MONTHS.index(found["roman"]) + 1), found["day"])
        return "[date]" if said is None else said

    def _day(self, found: re.Match[str], patient_id: str, year: str, month: str, day_of_month: str) -> str | None:
        """``day N`` for a date in a sentence, as :attr:`Rule.DAYS` makes a date cell; None for a number that is no
        date (``20241399``, a year outside 1900-2100)."""
        try:
            day = _dt.date(int(year), int(month), int(day_of_month))
        except ValueError:
            return None
        if not 1900 <= day.year <= 2100:
            return None
        first = self.first_exam.get(patient_id)
        return "[date]" if first is None else f"day {(day - first).days}"

    def _named_day(self, found: re.Match[str], patient_id: str) -> str:
        """A date whose month is named: ``day N`` when it is a date, else ``[date]`` (it reads as one: "31 Feb 2024")."""
        key = found.group("month").lower().rstrip(".")
        month = next((n for name, n in _MONTHS_LONGEST_FIRST if key.startswith(name)), 0)
        return self._day(found, patient_id, found.group("year"), str(month), found.group("day")) or "[date]"

    def _patterns_of(self, patient_id: str) -> tuple[re.Pattern[str] | None, frozenset[str],
                                                    list[tuple[re.Pattern[str], str]]]:
        """The patient's name pattern, the initials of their name and their id patterns, made once per patient and
        export (they were made again for every text: 4,000 comments of 200 patients built 4,000 of each)."""
        made = self._mine.get(patient_id)
        if made is None:
            name = self.patient_names.get(patient_id, "")
            made = (_name_pattern(_name_parts(unicodedata.normalize("NFC", name))),
                    frozenset(w[0].upper() for w in re.split(r"[\^=,\s-]+", name) if w),
                    self._id_patterns(patient_id))
            self._mine[patient_id] = made
        return made

    def _id_patterns(self, patient_id: str) -> list[tuple[re.Pattern[str], str]]:
        """The patient's id and exam pair ids as they are found in text, with their codes."""
        subs = [(patient_id, self.patient_codes.get(patient_id, ""), _PATIENT_ID_WORDS)]
        subs += [(eid, code, _EXAM_ID_WORDS) for (pid, eid), code in self.exam_codes.items() if pid == patient_id]
        out = []
        for old, code, words in subs:
            if old.isdigit() and len(old) < _SHORT_NUMERIC_ID:
                pattern = rf"(?<!\w)(?:{words}){_ID_NUMBER}(?P<id>{re.escape(old)})(?![\w-]|[.,]\d)"
            else:
                pattern = rf"(?<![\w-])(?<!\w\.)(?P<id>{_typed_id(old)})(?![\w-]|\.\w)"
            out.append((re.compile(pattern, re.IGNORECASE), code))
        return out

    def _other_ids(self) -> tuple[re.Pattern[str] | None, dict[str, str]]:
        """Every patient's id that is found wherever it stands (not a short number) as one pattern, and their codes by
        the id in lower case; made once per export."""
        if "pattern" not in self._others:
            ids = sorted((pid for pid in self.patient_codes if not (pid.isdigit() and len(pid) < _SHORT_NUMERIC_ID)),
                         key=lambda pid: (-len(pid), pid))
            alternatives = "|".join(_typed_id(pid) for pid in ids)
            self._others["pattern"] = re.compile(rf"(?<![\w-])(?<!\w\.)(?P<id>{alternatives})(?![\w-]|\.\w)",
                                                 re.IGNORECASE) if ids else None
            self._others["codes"] = {_id_key(pid): self.patient_codes[pid] for pid in reversed(ids)}
        return self._others["pattern"], self._others["codes"]

    def _other_names(self, text: str, patient_id: str) -> Iterable[tuple[int, int]]:
        """Where the other patients' names stand in ``text``: each word of a name (each piece of a double-barrelled one,
        a particle only before the rest, a name's words written together: "DeLuca", "OBrien"), in each spelling, with
        a genitive or plural "s"; a word of a name that is also a word of a report as the patient's own (:func:`_a_name`).
        Found word by word against one table made once per export (a pattern of 200 patients' names took seconds)."""
        if "names" not in self._others:
            words: dict[str, set[str]] = {}  # a name word in lower case -> the patients whose name holds it
            particles: dict[str, set[str]] = {}  # a particle in lower case -> the patients whose name holds it
            lone: set[str] = set()  # a particle that is a name's whole part ("Le" of LE^THI, "Du" of DU^WEI)
            for pid, name in self.patient_names.items():
                for part in _name_parts(unicodedata.normalize("NFC", name)):
                    pieces = [w for w in re.split(rf"[\s^=,{_NAME_JOIN_CHARS}]+", part) if w]
                    if len(pieces) > 1:  # "De Luca" as typed together: "DeLuca"
                        words.setdefault("".join(pieces).lower(), set()).add(pid)
                    for w in pieces:
                        if w.lower() in _PARTICLES and len(pieces) == 1 and len(w) >= 2:
                            words.setdefault(w.lower(), set()).add(pid)  # a name of one word: LE^THI's "Le" (review44a)
                            lone.add(w.lower())
                        elif w.lower() in _PARTICLES:
                            particles.setdefault(w.lower(), set()).add(pid)
                        elif len(w) == 1 and len(pieces) > 1:  # "O" of O'BRIEN: before an apostrophe only
                            particles.setdefault(f"{w.lower()}'", set()).add(pid)
                        elif len(w) >= 2:
                            words.setdefault(w.lower(), set()).add(pid)
            self._others["names"], self._others["particles"], self._others["lone"] = words, particles, lone
        words, particles, lone = self._others["names"], self._others["particles"], self._others["lone"]
        if not words:
            return
        for found in _WORD.finditer(text):
            said, key = found.group(0), found.group(0).lower()
            whose = words.get(key)
            genitive = whose is None and key.endswith("s") and len(key) >= 4 and said[0].isupper()
            if genitive:
                whose = words.get(key[:-1])
            if not whose or whose == {patient_id}:
                continue  # not a name, or the patient's own (their pattern finds it)
            if not genitive and key in _COMMON_WORDS and (
                    not said[0].isupper() or _a_word_at_start(text, found.start(), found.end())
                    or _in_a_term(text, found.start(), found.end()) and not self._beside_a_word_of(text, found, whose)):
                continue
            if not genitive and key in lone and not self._lone_name_at(text, found, whose):
                continue
            if len(key) == 2 and _NUCLIDE_AFTER.match(text, found.end()):
                continue
            start = found.start()
            before = _PARTICLES_BEFORE.search(text, max(0, start - 24), start)
            # "De Luca", "van der Berg": a particle of the same patient's name ("der Müller" keeps its article)
            # the "O" of O'BRIEN before an apostrophe, or with its capital before a space or hyphen ("O Brien" left
            # "O [name]", session 45); in lower case it is a word ("o Brien")
            while before is not None and particles.get(before["particle"].lower() + (
                    "'" if len(before["particle"]) == 1 and (before.group(0).endswith("'") or before[
                        "particle"].isupper()) else ""), set()) & whose:
                start = before.start()
                before = _PARTICLES_BEFORE.search(text, max(0, start - 24), start)
            yield start, found.end()

    def _beside_a_word_of(self, text: str, found: re.Match[str], whose: set[str]) -> bool:
        """Whether a word of the same patients' name stands right before or after ``found`` ("Rose Short of breath",
        "May-Thurner" of THURNER^MAY)."""
        names = self._others["names"]
        before = _WORD_BEFORE.search(text, max(0, found.start() - 32), found.start())
        after = _NAME_WORD_AFTER.match(text, found.end())
        return any(beside is not None and bool(names.get(beside[1].lower(), set()) & whose) for beside in (before, after))

    def _lone_name_at(self, text: str, found: re.Match[str], whose: set[str]) -> bool:
        """Whether another patient's name of one word that is a particle too ("Le" of LE^THI, "Du" of DU^WEI), found
        with its capital, is that name: not at a sentence's start ("Le foie est normal", "Du 3 au 5 mars"), unless a
        word of the same patient's name follows ("Le Thi was seen")."""
        if not _SENTENCE_START_BEFORE.search(text, max(0, found.start() - 8), found.start()):
            return True
        after = _NEXT_WORD.match(text, found.end())
        return after is not None and bool(self._others["names"].get(after[1].lower(), set()) & whose)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]],
              patient_id: str | None = None) -> list[list[Any]]:
        """The rows of a table with columns ``header`` as they may leave.

        ``patient_id``: the patient the whole table is about (a workbook), else each row's
        ``patient_id`` column. A (field, value) table applies the rule of each row's field.
        """
        header = list(header)
        for name in header:
            rule_of(name)  # every column has a rule, active or not: an unruled column is a bug
        if not self.active:
            return [list(r) for r in rows]
        pid_col = header.index("patient_id") if "patient_id" in header else None
        field_value = header == ["field", "value"]
        out = []
        for row in rows:
            pid = patient_id if patient_id is not None else str(row[pid_col]) if pid_col is not None else ""
            if field_value:
                out.append([row[0], self.value(str(row[0]), row[1], pid)])
            else:
                out.append([self.value(name, v, pid) for name, v in zip(header, row)])
        return out
