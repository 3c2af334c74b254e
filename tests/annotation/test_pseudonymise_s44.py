"""Session 44: typed-text pseudonymisation, the cases session 43 left, and its patterns made once per patient.

Left by session 43 (each measured against main's gate at 08f9f7c, which left them as typed): "DeLuca" of another
patient, "Müllers" / "Mays" (a genitive or plural "s"), "12mar24", a month with a two-digit year ("03.24", "since 3/24"),
"Sunday the 3rd", "mi-avril" (left "mi-[date]"), other patients' names (only their ids were replaced); and "May
represent" / "Short axis" at a sentence's start, which became "[name] represent" / "[name] axis".

Decisions:
* a month with a two-digit year is a date (``[date]``) after a word placing something in time ("since 3/24", "in
  9/24", "Erstdiagnose 03.24", "en 03/24") or with a leading zero ("03.24"); else a ratio or a decimal ("nodes 3/24",
  "ADC 1.24"); a number of something (a unit or a counted word after, "3/24 patients") stays;
* a name part that is also a word, at a sentence's start and before a word it goes with as that word ("May
  represent", "May be", "Short axis", "Rose from"), is the word; anywhere else with a capital it is the name ("May
  has 3 lesions", "Ms May", "Rose reported pain");
* another patient's name is replaced as "[name]" by the rules of the patient's own (a particle only before the rest,
  a word of a report only with its capital), each word of it: a given name too (a reader's colleague who shares a
  patient's given name leaves as "[name]": privacy first).
"""
from __future__ import annotations

import datetime as dt

import pytest

import annotation.pseudonymise.gate as pseudonymise_gate  # the gate makes the name patterns (names._name_pattern)
from annotation.pseudonymise import Gate
from tests.annotation.pseudonymise_corpus import CORPUS_S44, gate_for, measure


@pytest.fixture()
def gate() -> Gate:
    return gate_for(Gate)  # 4: MAY^ANNA (S003), 1234567: DE LUCA^MARIA (S002), AB-88812: MÜLLER^KLAUS (S004), 12: SHORT^ROSE


def test_the_session_44_corpus_leaves_with_no_identifier_and_its_ordinary_words_kept(gate: Gate) -> None:
    """40 comments written before the change: main's gate caught 12 of 34 identifiers and changed 3 of 214 ordinary
    words ("May represent", "May be", "Short axis")."""
    figures = measure(gate, CORPUS_S44)
    assert (figures.caught, figures.identifiers) == (34, 34), figures.misses
    assert (figures.ordinary_changed, figures.ordinary) == (0, 214), figures.changes


@pytest.mark.parametrize(("pid", "typed", "leaves"), [
    ("AB-88812", "Bei Müllers Kontrolle, Familie Muellers", "Bei [name] Kontrolle, Familie [name]"),
    ("4", "The Mays declined; Mays' son", "The [name] declined; [name]' son"),
    ("4", "CT 12mar24, MRI 03MAR24 and 3jan2024", "CT [date], MRI [date] and day -58"),
    ("4", "since 03.24, in 3/24 and 9/24, seit 4/24", "since [date], in [date], seit [date]"),  # a list as one
    ("1234567", "Bilan en 03/24; Erstdiagnose: 3.24", "Bilan en [date]; Erstdiagnose: [date]"),
    ("4", "Reviewed Sunday the 3rd, seen Monday 4th, Sun 5th", "Reviewed [date], seen [date], [date]"),
    ("1234567", "Revu dimanche 3, Kontrolle am Sonntag, den 3.", "Revu [date], Kontrolle am [date]."),
    ("1234567", "Contrôle mi-avril, début mars et fin de mai", "Contrôle [date], [date] et [date]"),
    ("4", "Restaging mid-June, end of May, Mitte Mai 2024", "Restaging [date], [date], [date]"),
    ("4", "May has 3 lesions. May is anxious. Ms May be", "[name] has 3 lesions. [name] is anxious. Ms [name] be"),
    ("12", "Rose reported pain. Short declined.", "[name] reported pain. [name] declined."),
    ("4", "as in Mr Müller's case, Mrs DeLuca, Maria De Luca, Frau Short", "as in Mr [name]'s case, Mrs [name], [name] "
     "[name], Frau [name]"),
    ("12", "Cf. patient DeLuca (1234567), de Luca and Klaus Mueller", "Cf. patient [name] (S002), [name] and [name] "
     "[name]"),
])
def test_each_case_left_last_session_leaves_replaced(gate: Gate, pid: str, typed: str, leaves: str) -> None:
    assert gate.value("comment", typed, pid) == leaves


@pytest.mark.parametrize(("pid", "typed"), [
    ("4", "May represent a haemangioma. May be a cyst; may also grow."),
    ("12", "Short axis 15 mm. Long axis 18 mm. Rose from 12 to 15 ng/mL."),
    ("1234567", "Short axis 8 mm, TACE de novo; AFP rose; may represent FNH."),  # SHORT, MAY: other patients' names
    ("4", "Positive nodes 3/24, ADC 1.24, ratio 2.24, 3/12 arterial, 12/24 on b800."),
    ("4", "in 3/24 patients, after 3/12 cycles, since 1.24 mm"),  # numbers of something after a time word
    ("4", "3rd line therapy since 2023; the 2nd lesion grew; on the 3rd floor"),
    ("AB-88812", "Mai-Grünwald; Läsionen 3/24 messbar; Lu-177 4 Zyklen"),
    ("4", "Mon 3 lesions; Sat 2 mm"),  # a counted number after an abbreviated day
])
def test_ordinary_text_is_left_as_typed(gate: Gate, pid: str, typed: str) -> None:
    assert gate.value("comment", typed, pid) == typed


def test_a_short_name_of_another_patient_is_no_word_or_nuclide() -> None:
    """HA^LI and LU^BO are other patients: "has", "his", "Lu-177", "days" stay; "Has" with a genitive "s" is a word
    (a name of two letters takes no "s")."""
    names = {"P1": "HA^LI", "P2": "LU^BO", "P3": "DAY^EVE"}
    gate = Gate(True, keep_comments=True, patient_codes={p: f"S00{i}" for i, p in enumerate(names, 1)},
                first_exam={p: dt.date(2024, 1, 1) for p in names}, patient_names=names)
    assert gate.value("comment", "Has 3 lesions, Lu-177 for 2 days; Ha and Lu seen; Day's scan", "P3") == \
        "Has 3 lesions, Lu-177 for 2 days; [name] and [name] seen; [name]'s scan"


def test_a_patients_name_and_id_patterns_are_made_once_per_export(gate: Gate,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """They were made again for every text (4,000 comments of 200 patients: 4,000 name patterns)."""
    made: list[tuple[str, ...]] = []
    real = pseudonymise_gate._name_pattern

    def counted(parts: tuple[str, ...]) -> object:
        made.append(tuple(parts))
        return real(parts)

    monkeypatch.setattr(pseudonymise_gate, "_name_pattern", counted)
    for _ in range(10):
        for pid in ("4", "1234567"):
            gate.value("comment", "Ms May, Mrs De Luca, patient 4, MRN 1234567", pid)
    assert len(made) == 2
    assert gate.value("comment", "Ms May, patient 4", "4") == "Ms [name], patient S003"


def test_a_particle_goes_with_another_patients_name_only_when_it_is_of_that_name() -> None:
    """VAN DER BERG^JAN, MÜLLER^HANS and O'BRIEN^SEAN are other patients: "der" before "Berg" is of that name,
    before "Müller" an article; the "O'" of "O'Brien" goes with it (it left as "O'[name]")."""
    names = {"P1": "VAN DER BERG^JAN", "P2": "MÜLLER^HANS", "P3": "X^Y", "P4": "O'BRIEN^SEAN"}
    gate = Gate(True, keep_comments=True, patient_codes={p: f"S00{i}" for i, p in enumerate(names, 1)},
                first_exam={p: dt.date(2024, 1, 1) for p in names}, patient_names=names)
    assert gate.value("comment", "Befund der Müller, wie van der Berg und Jan", "P3") == \
        "Befund der [name], wie [name] und [name]"
    assert gate.value("comment", "as O'Brien, O’Brien, OBrien; o Brien, a Brien", "P3") == \
        "as [name], [name], [name]; o [name], a [name]"  # "O" goes before an apostrophe only


@pytest.mark.parametrize(("typed", "leaves"), [
    # review44a: a month and year at a sentence's end (its full stop) or before a colon was left as typed
    ("Stable since 03/2024.", "Stable since [date]."),
    ("Stable since 3.2024. Next CT", "Stable since [date]. Next CT"),
    ("Stable since 2024/03.", "Stable since [date]."),
    ("Since 03/24: stable.", "Since [date]: stable."),
    ("Since 3/24: stable.", "Since [date]: stable."),
    ("ED 9/24; en 03/24.", "ED [date]; en [date]."),
    # and a date's dot that may end a sentence stays (it had gone: "Seen on [date] Next."); a date's own does not
    ("Seen on Monday 12. Next.", "Seen on [date]. Next."),
    ("Score 3/10 since 4/24.\nNext", "Score 3/10 since [date].\nNext"),
    ("control 12.03. and 14.03.", "control [date] and [date]."),
    # a day, a month's name in lower case and a two-digit year with a separator ("12mar24" was caught, these not)
    ("CT 12-mar-24, 12 jan 24, 3 juin 24 et 5.sept.23.", "CT [date], [date], [date] et [date]."),
    ("segment 5 may 12 mm; 2 may 15 mm", "segment 5 may 12 mm; 2 may 15 mm"),
    ("On 12 March 15 new lesions were seen.", "On [date] 15 new lesions were seen."),
    # what stays: a version's numbers, a decimal after the year
    ("Version 3.2024.1 installed.", "Version 3.2024.1 installed."),
    ("Stable since 03/2024,5 mm", "Stable since 03/2024,5 mm"),
])
def test_a_month_and_year_at_a_sentences_end_or_before_a_colon_leaves_as_a_date_and_the_full_stop_stays(
        gate: Gate, typed: str, leaves: str) -> None:
    assert gate.value("comment", typed, "4") == leaves


def test_another_patients_name_of_one_word_that_is_a_particle_too_leaves_as_a_name() -> None:
    """review44a: another patient's surname LE (LE^THI; Vietnamese Lê) was looked for as a particle only, before the
    rest of a name, and left as typed ("Mr Le said", "Thi Le"); the patient's own is replaced. A French article at a
    sentence's start stays ("Le foie"), as does the article in lower case."""
    names = {"1": "MAY^ANNA", "6": "LE^THI", "7": "DU^WEI"}
    gate = Gate(True, keep_comments=True, patient_codes={pid: f"S00{pid}" for pid in names},
                first_exam={pid: dt.date(2024, 1, 1) for pid in names}, patient_names=names)
    said = gate.value("comment", "Like Mr Le and Thi Le. Le Thi was seen; Wei Du too. Le foie est normal, "
                                 "le foie aussi. Du 3 au 5 avril.", "1")
    assert said == ("Like Mr [name] and [name] [name]. [name] was seen; [name] [name] too. Le foie est normal, "
                    "le foie aussi. Du [date].")
