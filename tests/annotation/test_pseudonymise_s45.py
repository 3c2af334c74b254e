"""Session 45: typed-text pseudonymisation, the leaks session 44 left.

Each measured against main's gate at 287af02 (``PYTHONPATH=/work/main python tests/annotation/pseudonymise_corpus.py``):
* a month with a two-digit year after an exam or procedure, or standing alone ("TACE 3/23", "Verlaufskontrolle 9/23",
  "stable au 12/24", "3/23: TACE") stayed as typed: CORPUS_S45_DATES caught 1 of 46 dates, now 46; of the fractions and
  ratios beside them (CORPUS_S45_RATIOS) main changed 6 of 320 words ("Ki-67 10/2000" as "[date]"), now 2 ("in 3/12
  arterial", a time word's, as before);
* "O Brien" of another patient O'BRIEN left "O [name]"; "12 Mar 24" left "[date] 24";
* "May-Thurner", "Short of breath", "Rose Bengal" became "[name]-Thurner"... wherever a patient was named MAY, SHORT or
  ROSE: CORPUS_S45_NAMES changed 9 of 58 ordinary words, now 0, its 10 names caught before and after.

The decisions are in :mod:`annotation.pseudonymise` (``_EXAM_WORDS``, ``_TERMS_AFTER``).
"""
from __future__ import annotations

import datetime as dt

import pytest

from annotation.pseudonymise import Gate
from tests.annotation.pseudonymise_corpus import (CORPUS_S45_DATES, CORPUS_S45_NAMES, CORPUS_S45_RATIOS, gate_for,
                                                  measure, replace_times)


@pytest.fixture()
def gate() -> Gate:
    return gate_for(Gate)  # 4: MAY^ANNA, 1234567: DE LUCA^MARIA, AB-88812: MÜLLER^KLAUS, 12: SHORT^ROSE


def test_the_session_45_corpus_of_months_with_two_digit_years_and_ratios(gate: Gate) -> None:
    dates, ratios = measure(gate, CORPUS_S45_DATES), measure(gate, CORPUS_S45_RATIOS)
    assert (dates.caught, dates.identifiers) == (46, 46), dates.misses
    assert len(CORPUS_S45_DATES) >= 30 and len(CORPUS_S45_RATIOS) >= 40
    # "PRRT 1/22 to 4/22" leaves as "PRRT [date]" (a range as one date, session 44); "Enhancing in 3/12 arterial"
    # was a date after a time word (session 44), a ratio since review45b ("enhancing" before "in", "arterial" after)
    assert dates.ordinary_changed == 1 and ratios.ordinary_changed == 0, (dates.changes, ratios.changes)


def test_the_session_45_corpus_of_names_that_are_words_of_a_term(gate: Gate) -> None:
    names = measure(gate, CORPUS_S45_NAMES)
    assert (names.caught, names.identifiers) == (10, 10), names.misses
    assert names.ordinary_changed == 0, names.changes


@pytest.mark.parametrize(("typed", "leaves"), [
    ("TACE 3/23, RFA 11/22, CT 03/21", "TACE [date], RFA [date], CT [date]"),
    ("Verlaufskontrolle 9/23; Kontroll-CT 3/24; Stand 9/23", "Verlaufskontrolle [date]; Kontroll-CT [date]; Stand [date]"),
    ("stable au 12/24 ; TDM (9/23)", "stable au [date] ; TDM ([date])"),
    ("11/22 RFA, 2/23 CT: CR", "[date] RFA, [date] CT: CR"),
    ("3/23: TACE\n- 9/23 – stable", "[date]: TACE\n- [date] – stable"),
    ("RFA 11/22 of the segment 6 lesion; 5/06", "RFA [date] of the segment 6 lesion; [date]"),
    ("MRI 3/12 arterial", "MRI [date] arterial"),  # beside an exam word a collision is a date: privacy first
])
def test_a_month_with_a_two_digit_year_beside_an_exam_or_alone_is_a_date(gate: Gate, typed: str, leaves: str) -> None:
    assert gate.value("comment", typed, "4") == leaves


@pytest.mark.parametrize("typed", [
    "3/4 of segment 8, 2/3, segments 5/6, Ki-67 10/2000, 1/2 the size, LI-RADS 3/4, T2/FS, b 50/800, grade 2/3",
    "CT 3/12 lesions; biopsy 3/10 cores; nodes (3/24); 12/24 on b800; Score: 12/24; 5/6",
    "Ki-67 : 10/2000; MIB-1 index 12/2000; SUV 3.24; ADC 1.05; BP 120/80",
])
def test_fractions_ratios_and_counts_stay(gate: Gate, typed: str) -> None:
    assert gate.value("comment", typed, "4") == typed


@pytest.mark.parametrize(("typed", "leaves"), [
    ("CT 12 Mar 24: stable; MRI 3 Feb. 23", "CT [date]: stable; MRI [date]"),
    ("CT 12 March 24: stable", "CT [date]: stable"),
    ("On 12 March 15 new lesions were seen.", "On [date] 15 new lesions were seen."),  # session 44's count stays
])
def test_a_day_an_abbreviated_month_and_a_two_digit_year_leave_whole(gate: Gate, typed: str, leaves: str) -> None:
    assert gate.value("comment", typed, "4") == leaves


def test_o_brien_typed_with_a_space_leaves_whole() -> None:
    """The "O" of another patient O'BRIEN went with the name before an apostrophe only: "O Brien" left "O [name]"."""
    names = {"P1": "O'BRIEN^SEAN", "P2": "X^Y"}
    gate = Gate(True, keep_comments=True, patient_codes={"P1": "S001", "P2": "S002"},
                first_exam={p: dt.date(2024, 1, 1) for p in names}, patient_names=names)
    assert gate.value("comment", "As O Brien, O-Brien, O'Brien; o Brien", "P2") == \
        "As [name], [name], [name]; o [name]"
    assert gate.value("comment", "Mr O Brien was seen", "P1") == "Mr [name] was seen"


@pytest.mark.parametrize(("pid", "typed", "leaves"), [
    ("4", "May-Thurner syndrome; May-Grünwald stain", "May-Thurner syndrome; May-Grünwald stain"),
    ("12", "Short of breath; Rose Bengal; Short tau inversion", "Short of breath; Rose Bengal; Short tau inversion"),
    ("4", "Short of breath; Rose Bengal; Waaler-Rose", "Short of breath; Rose Bengal; Waaler-Rose"),  # others' names
    # where it can be the name, it goes: a title, another word of the name before it, anywhere else with its capital
    ("12", "Mr Short was seen; Rose was anxious; Mr Short of breath", "Mr [name] was seen; [name] was anxious; "
     "Mr [name] of breath"),
    ("4", "Mr Short was seen; Rose Short of breath; Ms May-Thurner", "Mr [name] was seen; [name] [name] of breath; "
     "Ms [name]-Thurner"),
    ("4", "Anna May has May-Thurner", "[name] has May-Thurner"),
    ("12", "Rose Short of breath", "[name] of breath"),
])
def test_a_name_that_is_a_word_of_a_known_term_is_the_term_there_and_the_name_elsewhere(
        gate: Gate, pid: str, typed: str, leaves: str) -> None:
    assert gate.value("comment", typed, pid) == leaves


@pytest.mark.parametrize("unit", ["TACE 3/23 ", "3/23: RFA 11/22 ", "O Brien 12 Mar 24 ",
                                  "May-Thurner Short of breath Rose Bengal "])
def test_a_megabyte_of_the_new_forms_is_replaced_in_linear_time(gate: Gate, unit: str) -> None:
    times = replace_times(gate, unit)
    assert times[1] < 60 and times[1] < 30 * max(times[0], 0.01), times


def test_a_term_made_of_a_patients_name_goes_as_the_name() -> None:
    """Patients named THURNER^MAY and BENGAL^ROSE: "May-Thurner", "Rose Bengal" are their names, for their own texts
    and the others' (the term's rule had kept "May" beside "[name]")."""
    names = {"P1": "THURNER^MAY", "P2": "X^Y", "P3": "BENGAL^ROSE", "P4": "SHORT^ROSE"}
    gate = Gate(True, keep_comments=True, patient_codes={p: f"S00{i}" for i, p in enumerate(names, 1)},
                first_exam={p: dt.date(2024, 1, 1) for p in names}, patient_names=names)
    for pid in ("P1", "P2", "P3"):
        said = gate.value("comment", "May-Thurner; Rose Bengal; Short of breath; Rose Short of breath", pid)
        assert "May" not in said and "Rose" not in said and said.endswith("Short of breath; [name] [name] of breath")
