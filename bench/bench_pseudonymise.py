"""Typed-text pseudonymisation (annotation.pseudonymise.Gate): seconds to clean the kept comments of a cohort of
200 patients with 20 comments each (the gate's part of ``lesionlab export --pseudonymise --keep-comments``), and
seconds for each 1 MB hostile input of session 43 (one comment of 1 MB; comments are capped at 5,000 characters).
"""

from __future__ import annotations

import datetime as _dt
import random
import re
import time

N_PATIENTS = 200
N_COMMENTS = 20
_FAMILY = ("MÜLLER", "DE LUCA", "SMITH-JONES", "O'BRIEN", "MAY", "NGUYEN", "VAN DER BERG", "DUPONT", "ROSSI", "KOWALSKI")
_GIVEN = ("ANNA", "KLAUS", "MARIA", "SEAN", "ROSE", "JEAN", "LUCA", "EWA", "PAUL", "MARIE")
_COMMENTS = (
    "Seen {date}, {n} new lesions in segment {seg}, largest {mm} mm; Mr {family} tolerated PRRT.",
    "Compared with MRI of {date}: stable. Patient {pid}, {given} {family}.",
    "TACE on {dm}, {n}/{m} lesions measurable; b800 bright, ADC 1.1.",
    "Lesion may represent a haemangioma; Ki-67 {n} %, {mm} x {n} mm.",
    "Examen du {dm} : {n} lésions du foie droit, Mme {family}.",
    "Verlauf seit {dm}, Pat.-ID {pid}, Segment {seg} {mm} mm.",
)


def cohort(seed: int = 44) -> tuple[dict[str, str], dict[str, _dt.date], dict[str, str], list[tuple[str, str]]]:
    """Patient codes, first exams, names and (patient id, comment) of the synthetic cohort."""
    rng = random.Random(seed)
    ids = [f"MRN{1000000 + i * 37}" for i in range(N_PATIENTS)]
    codes = {pid: f"S{i:03d}" for i, pid in enumerate(sorted(ids), 1)}
    first = {pid: _dt.date(2020, 1, 1) + _dt.timedelta(days=rng.randrange(1500)) for pid in ids}
    names = {pid: f"{rng.choice(_FAMILY)}^{rng.choice(_GIVEN)}" for pid in ids}
    comments = []
    for pid in ids:
        family, given = names[pid].split("^")
        for _ in range(N_COMMENTS):
            day = first[pid] + _dt.timedelta(days=rng.randrange(400))
            comments.append((pid, rng.choice(_COMMENTS).format(
                date=day.isoformat(), dm=day.strftime("%d/%m"), n=rng.randrange(1, 9), m=rng.randrange(9, 15),
                seg=rng.randrange(1, 9), mm=rng.randrange(5, 40), pid=pid, family=family.title(), given=given.title())))
    return codes, first, names, comments


#: session 43's hostile units (tests/annotation/test_pseudonymise_typed_s43.py, review43a's separators)
HOSTILE = ("1 ", "12 March ", "2024 03 ", "patient 4 in May Mo, 4.3. ", "1 2 3 4 5 6 - ")


def run() -> dict[str, float]:
    from annotation.pseudonymise import Gate  # noqa: PLC0415

    codes, first, names, comments = cohort()

    def export_seconds(order: list[tuple[str, str]]) -> float:
        """CPU seconds of one export's gate over ``order``, the best of 3."""
        best = []
        for _ in range(3):
            re.purge()  # each export compiles its patterns (re's cache would hide that from the second run on)
            gate = Gate(True, keep_comments=True, patient_codes=codes, first_exam=first, patient_names=names)
            t0 = time.process_time()
            for pid, text in order:
                gate.value("comment", text, pid)
            best.append(time.process_time() - t0)
        return min(best)

    figures: dict[str, float] = {"cohort_200x20_s": round(export_seconds(comments), 3)}
    print(f"cohort of {N_PATIENTS} patients x {N_COMMENTS} comments, by patient: {figures['cohort_200x20_s']} s CPU")
    shuffled = random.Random(1).sample(comments, len(comments))  # a table in another order (by reader, by lesion)
    figures["cohort_200x20_shuffled_s"] = round(export_seconds(shuffled), 3)
    print(f"the same comments in another order: {figures['cohort_200x20_shuffled_s']} s CPU")
    gate = Gate(True, keep_comments=True, patient_codes={"4": "S003", "1234567": "S002"},
                first_exam={"4": _dt.date(2024, 3, 1)}, patient_names={"4": "MAY^ANNA", "1234567": "DE LUCA^MARIA"})
    for unit in HOSTILE:
        text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
        t0 = time.process_time()
        gate.value("comment", text, "4")
        seconds = time.process_time() - t0
        figures[f"hostile_1mb_{unit.strip()[:12]}_s"] = round(seconds, 2)
        print(f"1 MB of {unit!r}: {seconds:.2f} s CPU")
    return figures


if __name__ == "__main__":
    run()
