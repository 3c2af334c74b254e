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

The package, one job a module: :mod:`.rules` (:data:`RULES`, :class:`Rule`, the study codes), :mod:`.gate`
(:class:`Gate`: each value by its rule, and typed text's finds replaced in one pass, :func:`.gate._replaced`), the
forms it finds in typed text: :mod:`.dates` (every date form and what makes a number no date), :mod:`.month_year` (a
month with a two-digit year or a ratio: the context words, :data:`.month_year._EXAM_WORDS`,
:data:`.month_year._RATIO_WORDS`), :mod:`.names` (a name's parts and spellings, a part that is a word or begins a
term, :data:`.names._TERMS_AFTER`) and :mod:`.ids` (ids as typed, UIDs, lookalike and invisible characters). Split
from one module of 1,135 lines in session 45 without a change of behaviour.
"""

from __future__ import annotations

from annotation.pseudonymise.gate import Gate
from annotation.pseudonymise.rules import CODE_PREFIXES, RULES, PseudonymisationError, Rule, rule_of

__all__ = ["CODE_PREFIXES", "RULES", "Gate", "PseudonymisationError", "Rule", "rule_of"]
