"""The gate itself (:class:`Gate`): a project's codes, first exams and names, each value by its column's rule, and typed
text with every date, name, id and UID found in one pass (the forms are :mod:`.dates`, :mod:`.month_year`,
:mod:`.names` and :mod:`.ids`)."""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from annotation.project import Project
from annotation._validate import date, new_uid
from annotation.pseudonymise.dates import (_BARE_MONTH, _BIRTH_BEFORE, _DICOM_DATE, _DMY_DATE, _FULL_MONTH_NAMES,
                                           _GLUED_DMYY, _ISO_DATE, _ISO_DATE_TIME, _MONTHS_LONGEST_FIRST, _NAMED_DM,
                                           _NAMED_DMY, _NAMED_MD, _NAMED_MDY, _NAMED_MY, _NAMED_MYY, _NAMED_YMD,
                                           _NUMERIC_DM, _NUMERIC_MY, _NUMERIC_YM, _QUARTER_OR_WEEK_YEAR, _ROMAN_DM,
                                           _ROMAN_DMY, _ROMAN_MONTHS, _ROMAN_MY, _SPACED_DMY, _SPACED_DOTTED_DMY,
                                           _SPACED_YMD, _TIME_WORD_BEFORE, _WEEKDAY_DAY, _WORD_AFTER, _a_month,
                                           _counted, _dmy, _ends_a_sentence, _numeric_day_month, _owned,
                                           _part_of_month_before, _weekday_before)
from annotation.pseudonymise.ids import (_EXAM_ID_WORDS, _ID_NUMBER, _INVISIBLE, _LOOKALIKE, _PATIENT_ID_WORDS,
                                         _SHORT_NUMERIC_ID, _UID, _id_key, _typed_id)
from annotation.pseudonymise.month_year import _NUMERIC_MYY, _a_cell_count, _month_two_digit_year
from annotation.pseudonymise.names import (_COMMON_WORDS, _INITIAL_BEFORE, _NAME_JOIN_CHARS, _NAME_WORD_AFTER,
                                           _NEXT_WORD, _NUCLIDE_AFTER, _PARTICLES, _PARTICLES_BEFORE,
                                           _SENTENCE_START_BEFORE, _WORD, _WORD_BEFORE, _a_name, _a_word_at_start,
                                           _in_a_term, _name_parts, _name_pattern)
from annotation.pseudonymise.rules import Rule, _codes, _codes_kept, rule_of


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
