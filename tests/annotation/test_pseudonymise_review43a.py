"""Review of session 43's typed-text pseudonymisation (review43a): identifiers an adversarial comment still carried
out of a pseudonymised export, each measured against the gate as merged (fa3e6fd..a17bae3):

* a long id typed with spaces or hyphens of its own, or without its hyphen: "1 234 567", "123-4567", "AB 88812",
  "AB88812" left as typed (patient 1234567 and AB-88812), another patient's too;
* a German date with spaces after its dots, "12. 3. 2024", left whole (day, month and year), and the German
  abbreviations "Mär"/"Mrz" ("12 Mär 2024" left whole);
* full-width forms ("ＭＵＬＬＥＲ", "１２３４５６７"), a Cyrillic "а" in "Mаria", a soft hyphen or zero-width space inside
  "Mül\u00adler": the name or id left, since the text is looked in as typed.
"""
from __future__ import annotations

import time

import pytest

from annotation.pseudonymise import Gate
from tests.annotation.pseudonymise_corpus import gate_for


@pytest.fixture()
def gate() -> Gate:
    return gate_for(Gate)  # 1234567: DE LUCA^MARIA (S002), AB-88812: MÜLLER^KLAUS (S004), 4: MAY^ANNA (S003)


@pytest.mark.parametrize(("pid", "typed", "leaves"), [
    ("1234567", "id 123 4567, 123-4567 and 1 234 567.", "id S002, S002 and S002."),
    ("AB-88812", "ids AB 88812, AB88812, ab-88812", "ids S004, S004, S004"),
    ("4", "compared with 1 234 567 and AB 88812", "compared with S002 and S004"),  # other patients' ids
    ("4", "seen 12. 3. 2024 and 12 . 03 . 2024", "seen [date] and [date]"),
    ("4", "MRT vom 12 Mär 2024, 3 Mrz 2024", "MRT vom day 11, day 2"),
    ("AB-88812", "Herr ＭＵＬＬＥＲ, Herr Mül\u00adler, Herr Mül\u200bler", "Herr [name], Herr [name], Herr [name]"),
    ("1234567", "Mаria, id １２３４５６７", "[name], id S002"),  # a Cyrillic а; full-width digits
])
def test_an_identifier_typed_in_another_form_leaves_replaced(gate: Gate, pid: str, typed: str, leaves: str) -> None:
    assert gate.value("comment", typed, pid) == leaves


@pytest.mark.parametrize("typed", [
    "12 34 5678 cells; 1 2 3 4 5 6 7 8; 0 1 2 3 4 5 6 7; b 0 50 400 800",  # numbers that are no id of these patients
    "lesions 12. 3. and 4.; 1. 2. 3. items",  # ordered lists, no year
    "α-fetoprotein 12 µg/l, β-hCG negative, 5 mm², ½ dose",  # Greek and symbols: left as typed
    "Рак печени, метастазы",  # Cyrillic text: not taken for a name
])
def test_ordinary_text_is_left_as_typed(gate: Gate, typed: str) -> None:
    assert gate.value("comment", typed, "1234567") == typed


def test_a_megabyte_of_hostile_separators_is_read_in_linear_time(gate: Gate) -> None:
    """The id pattern with gaps between its characters backtracks at most two characters per character."""
    timings = []
    for n in (100_000, 400_000):
        text = ("1 2 3 4 5 6 - " * n)[:n]
        t0 = time.perf_counter()
        gate.value("comment", text, "4")
        timings.append(time.perf_counter() - t0)
    assert timings[1] < 8 * timings[0] + 0.5, timings


def test_a_double_barrelled_or_apostrophe_name_leaves_in_every_piece_and_spelling() -> None:
    """SMITH-JONES^ANN-MARIE's "Mrs Smith", "Smith Jones", "Smith–Jones" (an en dash), "Marie" and O'BRIEN's "O’Brien"
    (a curly apostrophe, as an editor types it), "OBrien" left as typed: a name's parts were split at spaces only."""
    import datetime as dt

    names = {"P1": "O'BRIEN^SEAN", "P2": "SMITH-JONES^ANN-MARIE"}
    gate = Gate(True, keep_comments=True, patient_codes={"P1": "S001", "P2": "S002"},
                first_exam={p: dt.date(2024, 1, 1) for p in names}, patient_names=names)
    assert gate.value("comment", "Mr O'Brien, Mr O’Brien, Mr OBrien; Sean", "P1") == \
        "Mr [name], Mr [name], Mr [name]; [name]"
    assert gate.value("comment", "Mrs Smith-Jones, Smith Jones, Smith–Jones, Mrs Smith, Mrs Jones, Ann Marie, Marie",
                      "P2") == "Mrs [name], [name], [name], Mrs [name], Mrs [name], [name], [name]"
    assert gate.value("comment", "follow-up in 3 months, O'Neill's sign negative", "P1") == \
        "follow-up in 3 months, O'Neill's sign negative"
