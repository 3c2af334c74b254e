"""review45a: months with two-digit years session 45's typed-text rule still left as typed, and the ratios beside them
that stay (each checked against main at d13a14c: the dates left whole there)."""
from __future__ import annotations

import pytest

from annotation.pseudonymise import Gate
from tests.annotation.pseudonymise_corpus import gate_for


@pytest.fixture()
def gate() -> Gate:
    return gate_for(Gate)


@pytest.mark.parametrize(("typed", "leaves"), [
    # a list joined by "+" or "&": the second month and year left whole
    ("CT 3/23 + 9/23: stable", "CT [date]: stable"),
    ("TACE 3/23 & 5/23", "TACE [date]"),
    # the exam word after a bracket closing on the date
    ("(9/23) TACE, (3/24) RFA", "([date]) TACE, ([date]) RFA"),
    # the word "of" between the exam and its date
    ("CT of 3/23 compared", "CT of [date] compared"),
    ("IRM de 3/23 ; TDM du 9/23", "IRM de [date] ; TDM du [date]"),
    # aftercare, chemotherapy, ultrasound by their short names
    ("Nachsorge 9/23, Chemo 3/23, Echo 11/22", "Nachsorge [date], Chemo [date], Echo [date]"),
    ("CTs 9/23; NMR 3/24", "CTs [date]; NMR [date]"),
    # the second of a comparison or a sequence
    ("CT 9/23 vs 3/24: PR", "CT [date]: PR"), ("MRI 9/23 / 3/24", "MRI [date]"), ("CT 9/23 → 3/24", "CT [date]"),
    ("IRM 9/23 puis 3/24", "IRM [date]"), ("CT 9/23 then 3/24", "CT [date]"),
    # a quarter or a calendar week with its year
    ("seit Q3/23 stabil, KW 12/24 Kontrolle", "seit [date] stabil, [date] Kontrolle"),
    ("Q3 2023: RFA; CW 40/23", "[date]: RFA; [date]"),
])
def test_a_month_and_two_digit_year_left_whole_by_session_45(gate: Gate, typed: str, leaves: str) -> None:
    assert gate.value("comment", typed, "4") == leaves


@pytest.mark.parametrize("typed", [
    "2/3 of lesions", "segment 7/8", "IV/VIII", "Ki67 5/100", "RFA of 3/12 lesions", "biopsy of 3/10 cores",
    "the rate of 3/12", "lesion of 3/12", "2/3 + 1/3", "nodes (3/12) enhancing", "dose de 3/12",
    "2/3 / 3/12", "Q3 patients", "Q1 2 lesions", "KW 12", "vs 3/12 lesions", "CT 3/12 lesions vs 2/3",
])
def test_the_ratios_beside_them_stay(gate: Gate, typed: str) -> None:
    assert gate.value("comment", typed, "4") == typed
