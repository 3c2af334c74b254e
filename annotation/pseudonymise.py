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
  become ``[name]`` and a DICOM UID ``[uid]``.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Mapping, Sequence

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
           "okt": 10, "dez": 12}
#: the names above, the longest first ("juil" before "jul", "mars" before "mar"), sorted once
_MONTHS_LONGEST_FIRST = sorted(_MONTHS.items(), key=lambda kv: -len(kv[0]))
_MONTH = (r"(?P<month>jan(?:uary|v\.?|vier)?|feb(?:ruary|ruar)?|f[ée]vr(?:ier)?|mar(?:ch|s)?|m(?:ä|ae)rz|apr(?:il)?"
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


def _dmy(found: re.Match[str]) -> str:
    """A day/month/year date (or month/day/year: the order is unknown) as ``[date]``; numbers that cannot be a date
    in either order ("40/50/2024") stay."""
    first, second = int(found.group(1)), int(found.group(3))
    if len(found.group(4)) == 2 and (_NUMBER_BEFORE.match(found.string, max(0, found.start() - 2), found.start())
                                     or _NOT_A_DATE_AFTER.match(found.string, found.end())):
        return found.group(0)
    if min(first, second) < 1 or max(first, second) > 31 or min(first, second) > 12:
        return found.group(0)
    return "[date]"


def _name_parts(name: str) -> list[str]:
    """A DICOM person name and its parts (family, given, middle...; every component group), longest first."""
    parts = {name.strip()} | {p for p in re.split(r"[\^=,\s]+", name) if len(p) >= 2}
    return sorted((p for p in parts if p), key=len, reverse=True)


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
        """A sentence lesionlab wrote about patient ``patient_id`` as it may leave: UIDs removed, dates as days
        since the patient's first exam (the rule of a date column), the patient's name removed, ids as codes."""
        if not self.active:
            return text
        # one form of accented letters: "de\u0301c." (typed on a Mac) is "déc.", "Mu\u0308ller" the name "Müller"
        text = unicodedata.normalize("NFC", text)
        name = unicodedata.normalize("NFC", self.patient_names.get(patient_id, ""))
        for part in _name_parts(name):  # first: a name may hold "day" or "E1"
            # a part of two letters before a mass number is a nuclide: LU^ANNA's "Lu-177 DOTATATE" (or HO's "Ho-166
            # SIRT") became "[name]-177 DOTATATE" (review41)
            nuclide = r"(?!-\d{1,3}m?(?![\w.]))" if len(part) <= 2 else ""
            text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w){nuclide}", "[name]", text, flags=re.IGNORECASE)
        text = _UID.sub("[uid]", text)  # before the dates: a UID's digits are no date
        text = _NAMED_DMY.sub(lambda m: self._named_day(m, patient_id), text)
        text = _NAMED_MDY.sub(lambda m: self._named_day(m, patient_id), text)
        text = _NAMED_YMD.sub(lambda m: self._named_day(m, patient_id), text)
        text = _NAMED_MY.sub("[date]", text)
        text = _ISO_DATE.sub(lambda m: self._day(m, patient_id, m.group(1), m.group(3), m.group(4)), text)
        text = _DICOM_DATE.sub(lambda m: self._day(m, patient_id, m.group(1), m.group(2), m.group(3)), text)
        text = _DMY_DATE.sub(_dmy, text)
        return self._replace_ids(text, patient_id)

    def _day(self, found: re.Match[str], patient_id: str, year: str, month: str, day_of_month: str) -> str:
        """``day N`` for a date in a sentence, as :attr:`Rule.DAYS` makes a date cell; a number that is no date
        (``20241399``, a year outside 1900-2100) stays as it is."""
        try:
            day = _dt.date(int(year), int(month), int(day_of_month))
        except ValueError:
            return found.group(0)
        if not 1900 <= day.year <= 2100:
            return found.group(0)
        first = self.first_exam.get(patient_id)
        return "[date]" if first is None else f"day {(day - first).days}"

    def _named_day(self, found: re.Match[str], patient_id: str) -> str:
        """A date whose month is named: ``day N`` when it is a date, else ``[date]`` (it reads as one: "31 Feb 2024")."""
        key = found.group("month").lower().rstrip(".")
        month = next((n for name, n in _MONTHS_LONGEST_FIRST if key.startswith(name)), 0)
        said = self._day(found, patient_id, found.group("year"), str(month), found.group("day"))
        return "[date]" if said == found.group(0) else said

    def _replace_ids(self, text: str, patient_id: str) -> str:
        subs = {patient_id: self.patient_codes.get(patient_id, "")}
        subs.update({eid: code for (pid, eid), code in self.exam_codes.items() if pid == patient_id})
        for old in sorted(subs, key=len, reverse=True):
            text = re.sub(rf"(?<![\w.-]){re.escape(old)}(?![\w.-])", subs[old], text)
        return text

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
