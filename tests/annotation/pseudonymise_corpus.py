"""A corpus of radiology comments typed in English, French and German, for the pseudonymisation of typed text.

Each entry is (patient id, text) with every identifier of the patient marked ``{...}``: the patient's name and its
parts, ids, and every date element but the year (HIPAA Safe Harbor: a day or a month of a date related to the
patient is an identifier, the year alone is not). Everything unmarked must leave unchanged: lesion counts, sizes,
ratios, series numbers, b-values, doses, times, segments, a surname's look-alike words ("may", "de novo", "short
axis"), and numbers equal to a short numeric patient id.

:func:`measure` runs a gate over the corpus and counts, by aligning the words of the text and of what leaves (a
token of a marked identifier that survives leaves it "not caught"; an unmarked word or number that does not survive
is "ordinary changed"). ``python tests/annotation/pseudonymise_corpus.py`` prints the figures (run it with
``PYTHONPATH`` at another checkout to measure that one's gate).
"""
from __future__ import annotations

import datetime as _dt
import difflib
import re
import time
from dataclasses import dataclass
from typing import Any

#: patient id -> (DICOM name, first exam); the ids: a one-digit id, a 7-digit MRN, a lettered id, a two-digit id
PATIENTS: dict[str, tuple[str, _dt.date]] = {
    "4": ("MAY^ANNA", _dt.date(2024, 3, 1)),
    "1234567": ("DE LUCA^MARIA", _dt.date(2023, 11, 15)),
    "AB-88812": ("MÜLLER^KLAUS", _dt.date(2022, 6, 20)),
    "12": ("SHORT^ROSE", _dt.date(2021, 1, 4)),
}

#: typed text with the identifiers marked
CORPUS: tuple[tuple[str, str], ...] = (
    # ---------------------------------------------------------------- identifiers, English
    ("4", "Seen {12 March '24}, lesion in S8 grew."),
    ("4", "Baseline CT {2024 03 12}, no new lesion."),
    ("4", "Prior MRI {12 03 2024} for comparison, 3 lesions."),
    ("4", "Compared with MRI of {March 12}, stable."),
    ("4", "PRRT cycle 3 given on {12/03}, response pending."),
    ("4", "Since {May 5} the lesions have grown."),
    ("4", "Patient {4} ({May} {Anna}), DOB {12.03.1961}."),
    ("4", "Follow-up {14th of March}: new lesion in segment VII."),
    ("4", "DOB {1961-03-12}, age 63."),
    ("4", "born {19610312}, PRRT x4"),
    ("4", "Scan {2 Mar 2024} vs {28-Feb-24}: 2 new lesions"),
    ("4", "Previous study {3.III.2024} showed 2 lesions."),
    ("4", "Control {15 XI 2023}, 12 x 8 mm."),
    ("4", "Ms {May} seen in clinic on the {12th March}."),
    ("4", "TACE on {03/12}, patient #{4}."),
    ("4", "Patient ID: {4}, MRI {12 March 2024}."),
    ("4", "pt {4} seen by Dr Smith on {Mar 12th}."),
    ("4", "{March 12th} MRI: 4 new lesions, largest 23 mm."),
    ("4", "{Anna} {May} (MRN {4}) reviewed at MDT {12/03/24}."),
    ("4", "Progression since {Dec 2023}; PRRT from {Jan 15}."),
    ("4", "CT dated {03/2024}, 3/4 lesions measurable."),
    ("1234567", "MRN {1234567}, {Maria} {De Luca}, born {3/12/1961}."),
    ("1234567", "Mrs {De Luca} had TACE de novo on {Nov 2}."),
    ("1234567", "Exam {2023-11-15T10:30}, 5 lesions, b800 bright."),
    ("1234567", "Last seen {2023/11/15}; next {Feb. 20th}."),
    # ---------------------------------------------------------------- identifiers, French
    ("1234567", "Examen du {12 mars} : 3 lésions du foie droit."),
    ("1234567", "IRM du {12/03/2024}, comparée au scanner du {2 février}."),
    ("1234567", "Patiente {De Luca} {Maria}, née le {3 décembre 1961}."),
    ("1234567", "Contrôle le {1er avril}, IPP {1234567}."),
    ("1234567", "TDM du {12.03.24}, 2 lésions de 12 mm."),
    ("1234567", "Vu le {12/03} en RCP."),
    ("1234567", "Scanner du {5/3} : progression en segment VIII."),
    ("1234567", "Mme {De Luca}, TACE le {14 janv.}, 4 lésions."),
    ("1234567", "Bilan du {12 mars '24}, stabilité."),
    ("1234567", "Réévaluation en {novembre 2023}, puis le {3.XI.2023}."),
    # ---------------------------------------------------------------- identifiers, German
    ("AB-88812", "Untersuchung vom {12. März 2024}, Herr {Müller}."),
    ("AB-88812", "Voruntersuchung am {12.03.} zeigte keine Läsion."),
    ("AB-88812", "{Klaus} {Müller}, geb. {12.3.61}."),
    ("AB-88812", "Verlauf seit {3. Mai}, Pat.-ID {AB-88812}."),
    ("AB-88812", "MRT {2024-03} ohne Befund."),
    ("AB-88812", "CT vom {03/2024}, 2 Läsionen."),
    ("AB-88812", "Befund vom {12.03.2024} bestätigt."),
    ("AB-88812", "Progress seit {März 2024}, Kontrolle am {15.04.} geplant."),
    ("AB-88812", "Vorbefund {20.6.2022}: Segment IVa 14 mm."),
    ("AB-88812", "Patient {MUELLER}? nein: {Müller} {Klaus}, {AB-88812}."),
    ("12", "{Rose} {Short}, patient {12}, seen {4 Jan 2021}."),
    ("12", "Mrs {Short} (ID {12}) reviewed on {Jan 4}."),
    # ---------------------------------------------------------------- ordinary text, English
    ("4", "4 cycles of Lu-177 DOTATATE, 7.4 GBq each."),
    ("4", "4 new lesions, largest 12 x 8 mm in segment 4a."),
    ("4", "Lesion may represent a haemangioma; 3/4 lesions measurable."),
    ("4", "DWI b50/400/800, ADC 1.1 x 10-3 mm2/s, series 4 image 112."),
    ("4", "Se 4 Im 45: 2.3 cm lesion, previously 1.9 cm."),
    ("4", "Ratio 1/2, T2 bright, 12:30 injection, 80 mL contrast at 4 mL/s."),
    ("4", "Octreotide LAR 30 mg every 4 weeks; Ki-67 4%."),
    ("4", "Lesions in segments II, III and IVb; 3 in VIII."),
    ("4", "Count 12/15 on b800, 4/4 on T2."),
    ("4", "Arterial phase at 35 s, portal at 70 s, delay 4 min."),
    ("4", "CTDIvol 12.4 mGy, DLP 640 mGy*cm, 120 kVp."),
    ("4", "Sizes 12/15/18 mm; lesion 4 of 12."),
    ("4", "The lesion may have grown; we may march on with SSA."),
    ("4", "RECIST: SD, sum 45 mm (baseline 48 mm, -6%)."),
    ("4", "Dose 200 mg/m2 on days 1-5 every 28 days."),
    ("4", "T2 FS 4 mm slices, 3.5 mm gap 0.5 mm."),
    ("4", "Grade 2, Ki-67 12 %, mitoses 3/10 HPF."),
    ("4", "Lesion 4: 15 mm, lesion 5: 9 mm."),
    ("4", "Version 2.11.3 of the protocol; 1.5 T scanner."),
    ("4", "AFP 1850, CgA 4 x ULN."),
    ("4", "Ablation 2024 planned; in 2023 TACE x2."),
    ("1234567", "TACE de novo in segment 6, 3 lesions de 15 mm."),
    ("1234567", "New lesion de novo at 10 o'clock, 8 mm."),
    ("1234567", "Segments 5/6 and 7/8 involved; 2/3 of the liver."),
    ("1234567", "b-values 0, 50, 400, 800 s/mm2; 12 03 lesions"),
    ("12", "Short axis 12 mm, long axis 18 mm."),
    ("12", "AFP rose from 12 to 15 ng/mL."),
    ("12", "12 lesions; 12 mm in segment 2; series 12."),
    ("12", "short-axis node 12 mm, 12/12 nodes stable."),
    ("12", "12:45 acquisition, 12 s delay, 12 mL bolus."),
    # ---------------------------------------------------------------- ordinary text, French
    ("1234567", "3 lésions hépatiques, la plus grande de 25 x 18 mm."),
    ("1234567", "Lésion du segment VIII de 12 mm, hypersignal T2."),
    ("1234567", "Pas de nouvelle lésion ; rapport 2/3 ; b800 en hypersignal."),
    ("1234567", "Le foie est de taille normale, 4 lésions."),
    ("1234567", "De novo : lésion de 9 mm au segment IVa."),
    ("1234567", "Injection à 12h30, 90 mL à 3 mL/s."),
    ("1234567", "Dose de 7,4 GBq, 4 cures de Lu-177."),
    ("1234567", "Mesure 12,5 mm versus 11,8 mm."),
    # ---------------------------------------------------------------- ordinary text, German
    ("AB-88812", "3 Läsionen, größte 22 x 17 mm in Segment VII."),
    ("AB-88812", "Keine neue Läsion; Verhältnis 1/3; b800 hyperintens."),
    ("AB-88812", "Serie 5, Bild 34: 12 mm, vorher 10 mm."),
    ("AB-88812", "Kontrastmittel 100 ml, Injektion 12:30 Uhr."),
    ("AB-88812", "Die Leber ist vergrößert, 4 Läsionen, Segment 4a."),
    ("AB-88812", "Schichtdicke 3 mm, 2/3 der Läsionen messbar."),
    ("AB-88812", "Mai-Grünwald-Färbung; Ki-67 5 %."),
    ("AB-88812", "Mehrere Läsionen (3 bis 5 mm), Größe 1,2 cm."),
    ("AB-88812", "Läsion 3 von 8 mit 12.03 mm gemessen."),
)


#: Session 44: the cases session 43 left (camel-case and genitive names, "12mar24", a month with a two-digit year,
#: "Sunday the 3rd", "mi-avril", a capitalised name part at a sentence's start, other patients' names), written before
#: the change with ordinary text that such rules could take (ratios, ordinals, "May represent", "Short axis").
#: Another patient's name is as identifying as the patient's own: marked too.
CORPUS_S44 = (
    # camel-case and genitive / plural names
    ("1234567", "Mrs {DeLuca} seen again, 3 lesions."),
    ("1234567", "Mme {DELUCA}, TDM stable."),
    ("AB-88812", "Bei {Müllers} Kontrolle 2 Läsionen."),
    ("AB-88812", "Familie {Muellers}: Termin verschoben."),
    ("4", "The {Mays} declined PRRT; 4 lesions."),
    # compact dates and a month with a two-digit year
    ("4", "CT {12mar24}: 2 new lesions."),
    ("4", "MRI {03MAR24} and {3jan2024}, stable."),
    ("4", "Progression since {03.24}, PRRT planned."),
    ("4", "TACE in {3/24}, re-TACE in {9/24}."),
    ("AB-88812", "Erstdiagnose {03.24}, PRRT seit {4/24}."),
    ("1234567", "Bilan en {03/24}, 2 lésions."),
    ("4", "Positive nodes 3/24, margins clear."),
    ("4", "Uptake ratio 2.24, liver 1.12, spleen 0.98."),
    ("4", "Lesions 3/12 arterial, 5/12 portal, 12/24 on b800."),
    ("1234567", "Score 7/24 au total, 2 lésions sur 3."),
    ("AB-88812", "Läsionen 3/24 messbar, ADC 1.24."),
    # a day of the month with its weekday
    ("4", "Reviewed {Sunday the 3rd}, plan PRRT."),
    ("4", "Seen {Monday 4th} in clinic."),
    ("1234567", "Revu {dimanche 3}, stable."),
    ("AB-88812", "Kontrolle am {Sonntag, den 3.}, 2 Läsionen."),
    ("4", "3rd line therapy since 2023; the 2nd lesion grew."),
    ("4", "Scanned on the 3rd floor CT, 2 lesions."),
    # part of a month
    ("1234567", "Contrôle {mi-avril}, 3 lésions."),
    ("4", "Restaging {mid-June} and {end of May}."),
    ("AB-88812", "Kontrolle {Mitte Mai}, Segment 8."),
    # a name part that is a word, at a sentence's start
    ("4", "May represent a haemangioma."),
    ("4", "3 lesions. May be a cyst; follow-up advised."),
    ("4", "{May} has 3 lesions and declined TACE."),
    ("4", "{May} is anxious about the results."),
    ("12", "Short axis 15 mm. Long axis 18 mm."),
    ("12", "{Rose} reported pain after TACE."),
    ("12", "{Short} declined the biopsy."),
    # other patients' names (patient 4 is MAY^ANNA, 1234567 DE LUCA^MARIA, AB-88812 MÜLLER^KLAUS, 12 SHORT^ROSE)
    ("4", "Compared with Mr {Müller}'s case, stable."),
    ("4", "Same protocol as {Maria} {De Luca}."),
    ("1234567", "Like Mrs {Short}, 2 lesions in segment 6."),
    ("AB-88812", "Wie bei Frau {May}, 3 Läsionen."),
    ("12", "Cf. patient {DeLuca} ({1234567}) and {Klaus}."),
    ("1234567", "Short axis 8 mm, TACE de novo; AFP rose."),
    ("AB-88812", "Mai-Grünwald; may represent a cyst; rose to 5 %."),
    ("12", "Lesion may represent FNH; rose-like pattern absent; Grade 2."),
)


#: Session 45: a month with a two-digit year after an exam or a procedure ("TACE 3/23", "Verlaufskontrolle 9/23", "stable
#: au 12/24", "RFA 11/22") or standing alone ("3/23: TACE"), which session 44's rule (a time word before or a leading zero)
#: left; with the fractions, ratios and counts a radiologist writes beside them ("3/4 of segment 8", "2/3", "segments
#: 5/6", "Ki-67 10/2000", "1/2 the size", "LI-RADS 3/4", "T2/FS", "b 50/800", "grade 2/3"), written before the change.
CORPUS_S45_DATES = (
    # English
    ("4", "TACE {3/23}, response PR."),
    ("4", "RFA {11/22} of the segment 6 lesion."),
    ("4", "CT {03/21} showed 2 lesions."),
    ("4", "MRI {9/23}: stable disease."),
    ("4", "PRRT {1/22} to {4/22}, 4 cycles."),
    ("4", "SIRT {6/21}; progression {2/23}."),
    ("4", "{3/23}: TACE, {9/23}: re-TACE."),
    ("4", "Follow-up CT {12/24}, no new lesion."),
    ("4", "Last scan {10/23}, next in 3 months."),
    ("4", "Resection {5/19}, recurrence {8/22}."),
    ("12", "Baseline {1/21}, restaging {7/21}."),
    ("12", "{11/22} RFA, {2/23} CT: complete response."),
    ("4", "Liver MRI {4/24} vs MRI {10/23}."),
    ("4", "Post-TACE CT {2/24}: lipiodol uptake."),
    ("12", "SBRT {10/21} to segment 8."),
    ("12", "Biopsy {3/21} confirmed NET G2."),
    ("4", "CT {12 Mar 24}: stable; MRI {3 Feb 23}."),
    # French
    ("1234567", "Stable au {12/24}, pas de nouvelle lésion."),
    ("1234567", "TDM {9/23} : 3 lésions."),
    ("1234567", "IRM {3/22} puis IRM {9/22}."),
    ("1234567", "Chimioembolisation {6/23}, bonne réponse."),
    ("1234567", "Contrôle {11/23} : stabilité."),
    ("1234567", "Radiofréquence {4/21} du segment 7."),
    ("1234567", "Bilan {1/24} : progression hépatique."),
    ("1234567", "Récidive {7/22} après hépatectomie {2/20}."),
    # German
    ("AB-88812", "Verlaufskontrolle {9/23}: stabil."),
    ("AB-88812", "Kontroll-CT {3/24} ohne neue Läsion."),
    ("AB-88812", "MRT {11/22} und MRT {5/23} verglichen."),
    ("AB-88812", "TACE {2/22}, Rezidiv {10/22}."),
    ("AB-88812", "Stand {9/23}: keine Progression."),
    ("AB-88812", "Resektion {4/19}, Voruntersuchung {12/23}."),
    ("AB-88812", "PET-CT {8/23} ohne Befund."),
    ("AB-88812", "Letzte Kontrolle {6/24}, nächste in 3 Monaten."),
)
CORPUS_S45_RATIOS = (
    # English
    ("4", "3/4 of segment 8 is replaced by tumour."),
    ("4", "Involves 2/3 of the right lobe."),
    ("4", "Segments 5/6 and 7/8 involved."),
    ("4", "Ki-67 10/2000, G1."),
    ("4", "Lesion now 1/2 the size of baseline."),
    ("4", "LI-RADS 3/4 observation in segment 7."),
    ("4", "T2/FS bright, DWI b 50/800."),
    ("4", "Grade 2/3 per pathology."),
    ("4", "Positive nodes 3/24 at resection."),
    ("4", "Mitoses 3/10 HPF."),
    ("4", "Enhancing in 3/12 arterial and 5/12 portal phase images."),
    ("4", "Ratio 12/24 on b800."),
    ("4", "Score 7/10, pain 3/10."),
    ("4", "Sensitivity 9/11, specificity 10/12."),
    ("4", "Up to 7/10 lesions respond to PRRT."),
    ("4", "SUVmax 12.24, SUVmean 5.12."),
    ("4", "ADC 1.24 and 1.12 x10-3."),
    ("4", "Blood pressure 120/80, HR 72."),
    ("4", "Matrix 256/192, FOV 380."),
    ("4", "Uptake grade 3/4 on SSTR PET; Krenning 3/4."),
    ("4", "CT 3/12 lesions enhancing; TACE of 2/3 of the lesions."),
    ("4", "PRRT 4/4 cycles completed; MRI 1.5 T; CT 0.625 mm."),
    ("4", "Biopsy 3/10 cores positive."),
    ("12", "Short axis 12 mm; 12/12 nodes stable."),
    ("12", "Lesions 4/12 hypervascular."),
    # French
    ("1234567", "Atteinte des 2/3 du foie droit."),
    ("1234567", "Segments 5/6 et 7/8 envahis."),
    ("1234567", "Ki-67 : 10/2000, grade 1."),
    ("1234567", "Ganglions positifs 3/24, marges saines."),
    ("1234567", "Score 7/24 au total, 2 lésions sur 3."),
    ("1234567", "Rapport signal 1,24 ; ADC 1.12."),
    ("1234567", "Prise de contraste 3/12 en phase artérielle."),
    ("1234567", "Lésion réduite de 1/2, grade 2/3."),
    ("1234567", "Tension 12/8, pouls 80."),
    ("1234567", "LI-RADS 3/4 au segment 8; IRM 3 T, coupes de 1,25 mm."),
    # German
    ("AB-88812", "Verhältnis 1/3; b 50/800 hyperintens."),
    ("AB-88812", "2/3 der Läsionen messbar, Segmente 5/6."),
    ("AB-88812", "Ki-67 10/2000 Zellen, Mitosen 2/10 HPF."),
    ("AB-88812", "Lymphknoten 3/24 positiv."),
    ("AB-88812", "Läsionen 3/12 arteriell, 5/12 portalvenös."),
    ("AB-88812", "Grading 2/3, Ki-67 4 %."),
    ("AB-88812", "T2/FS hyperintens, ADC 1.24."),
    ("AB-88812", "Blutdruck 130/85 mmHg; MRT 1.5 T, Schicht 3/10 mm."),
    ("AB-88812", "Score 12/24 Punkte."),
)
#: a name that is a report's word too, in a known term ("May-Thurner", "Short of breath", "Rose Bengal"), is the term;
#: written as a name ("Mr Short", "Rose was seen"), the name (patient 12 is SHORT^ROSE, 4 MAY^ANNA)
CORPUS_S45_NAMES = (
    ("4", "Findings suggest May-Thurner syndrome."),
    ("12", "Short of breath on exertion."),
    ("12", "Rose Bengal test negative."),
    ("1234567", "May-Thurner anatomy; Short of breath; Rose Bengal stain."),
    ("AB-88812", "May-Grünwald-Giemsa; Mai-Grünwald-Färbung."),
    ("12", "Short tau inversion recovery (STIR) images."),
    ("12", "Mr {Short} was seen; {Rose} was anxious."),
    ("12", "{Rose} {Short}: short of breath."),
    ("4", "{Anna} {May} has May-Thurner syndrome."),
    ("1234567", "Like Mrs {Short}, {Rose} had TACE."),
    ("4", "Ms {May} is Short of breath; Mr {Short} too."),
)
CORPUS_S45 = CORPUS_S45_DATES + CORPUS_S45_RATIOS + CORPUS_S45_NAMES

#: review45b: a month with a two-digit year written m/yy is a date unless a ratio's context says otherwise (the
#: inversion of session 45's rule). The forms the review found left as typed, with no exam word beside them or one
#: the list did not hold, and the ratios, scores and counts a radiologist writes that such a rule could take; written
#: before the change.
CORPUS_S45B_DATES = (
    ("4", "CT {9/23} → {3/24}: partial response."),
    ("4", "Lesion stable {9/23} : no change."),
    ("AB-88812", "Segment 8 unverändert (Befund {9/23})."),
    ("1234567", "Stable depuis {S1/24}, TDM prévu."),
    ("4", "TACE x2 ({3/23}, {9/23}), then SIRT."),
    ("4", "CT abdomen {3/24} without new lesion."),
    ("4", "Sorafenib {3/23}, switched to lenvatinib {9/23}."),
    ("4", "Progression {11/22} in segment 6."),
    ("1234567", "Vu le {3/24} en consultation."),
    ("4", "Everolimus from {2/23}; stable disease {8/23}."),
    ("AB-88812", "Lanreotid {4/22}, Progress {2/24}."),
    ("1234567", "Sunitinib {6/21}, arrêt {3/22}."),
    ("4", "Hepatic lesions unchanged compared to {10/23}."),
    ("12", "Started CAPTEM {5/22}; 6 cycles."),
    ("AB-88812", "Zustand nach Hemihepatektomie {H2/21}."),
    ("4", "Known since {7/19}, slowly growing."),
)
CORPUS_S45B_RATIOS = (
    ("4", "Enhancing in 3/12 arterial phase images."),
    ("AB-88812", "Hyperintens in 3/12 Segmente."),
    ("AB-88812", "2/10 Biopsien positiv."),
    ("4", "Pain score 7/10, VAS 3/10 at rest."),
    ("4", "Gleason 3+4, 4/12 cores positive."),
    ("12", "10/12 cycles of CAPTEM given."),
    ("4", "pN1 (3/12), R0 resection."),
    ("4", "NRS 4/10, ECOG 1."),
    ("4", "Sensitivity 11/12, PPV 9/11."),
    ("4", "Agreement 10/12 readers."),
    ("4", "3/12 nodules enhance; 5/12 stable."),
    ("AB-88812", "3/12 Knoten arteriell hyperintens."),
    ("AB-88812", "10/12 Patienten mit Progress, Schmerzskala 7/10."),
    ("1234567", "3/12 ganglions envahis, EVA 5/10."),
    ("4", "Lymph nodes 2/15 positive, Child-Pugh 5/15."),
    ("AB-88812", "LK 3/12 befallen."),
    ("4", "Ki-67 12/50 cells, MIB-1 index 6/50."),
    ("1234567", "Score de douleur 6/10."),
    ("4", "5/12 on T2, 3/12 on DWI."),
    ("1234567", "Prise de contraste 3/12 en phase portale."),
    ("4", "3/11 metastases treated, dose 5/10 of the plan."),
    ("4", "7/12 lesions responded; 5/12 stable."),
    ("1234567", "6/10 foyers, rehaussement 3/12."),
    ("AB-88812", "Anreicherung in 3/12, 10/12 Zyklen, 3/12 Herde."),
    ("4", "Lesion of 3/12 slices; the rate of 3/12."),
)

@dataclass(frozen=True)
class Figures:
    """Marked identifiers and how many were caught; unmarked words and how many changed; what was missed and changed."""

    identifiers: int
    caught: int
    ordinary: int
    ordinary_changed: int
    misses: tuple[str, ...] = ()  # each "identifier in text -> what left"
    changes: tuple[str, ...] = ()  # each "word in text -> what left"


_TOKEN = re.compile(r"\w+")


def parse(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without the marks and the character spans of the identifiers."""
    text, spans, at = [], [], 0
    for part in re.split(r"(\{[^}]*\})", marked):
        if part.startswith("{"):
            spans.append((at, at + len(part) - 2))
            part = part[1:-1]
        text.append(part)
        at += len(part)
    return "".join(text), spans


def gate_for(gate_class: Any) -> Any:
    ids = sorted(PATIENTS)
    return gate_class(True, keep_comments=True, patient_codes={pid: f"S{i:03d}" for i, pid in enumerate(ids, 1)},
                      first_exam={pid: first for pid, (_n, first) in PATIENTS.items()},
                      patient_names={pid: name for pid, (name, _f) in PATIENTS.items()})


def measure(gate: Any, corpus: tuple[tuple[str, str], ...] = CORPUS) -> Figures:
    """Identifiers caught and ordinary words changed when ``gate`` replaces each text as a kept comment."""
    identifiers = caught = ordinary = changed = 0
    misses: list[str] = []
    changes: list[str] = []
    for pid, marked in corpus:
        text, spans = parse(marked)
        out = gate.value("comment", text, pid)
        tokens = list(_TOKEN.finditer(text))
        words_in, words_out = [t.group() for t in tokens], _TOKEN.findall(out)
        kept = set()
        for block in difflib.SequenceMatcher(None, words_in, words_out, autojunk=False).get_matching_blocks():
            kept.update(range(block.a, block.a + block.size))
        in_span = [next((k for k, (a, b) in enumerate(spans) if a <= t.start() < b), None) for t in tokens]
        for k, (a, b) in enumerate(spans):
            identifiers += 1
            if any(i in kept for i, s in enumerate(in_span) if s == k):
                misses.append(f"{text[a:b]!r} in {text!r} -> {out!r}")
            else:
                caught += 1
        for i, s in enumerate(in_span):
            if s is None:
                ordinary += 1
                if i not in kept:
                    changed += 1
                    changes.append(f"{words_in[i]!r} in {text!r} -> {out!r}")
    return Figures(identifiers, caught, ordinary, changed, tuple(misses), tuple(changes))


def replace_times(gate: Any, unit: str) -> tuple[float, float]:
    """Seconds ``gate`` takes to replace 100 kB and 1 MB of ``unit`` repeated as a kept comment of patient 4 (a
    quadratic step makes the megabyte 100 times the 100 kB; the tests allow 30 and 60 s)."""
    times = []
    for size in (100_000, 1_000_000):
        text = (unit * (size // len(unit) + 1))[:size]
        start = time.perf_counter()
        gate.value("comment", text, "4")
        times.append(time.perf_counter() - start)
    return times[0], times[1]


HELDOUT = (
    ("4", "Reviewed at tumour board {Tuesday 12 March}, plan PRRT."),
    ("4", "Ms {Anna} {May}'s liver: 6 lesions, 2 > 10 mm."),
    ("4", "Patient no. {4}: SD since {Feb 2024}."),
    ("4", "Pt. {4} CT {12-03-2024}; MRI {14/3/24}."),
    ("4", "New lesion in IVb first seen {March 3rd}."),
    ("4", "TACE {3rd March 2024}, re-TACE {April 2024}."),
    ("4", "Comparison: {2024.03.12} and {12.3.2024}."),
    ("4", "DOB {03/12/1961} (age 63), 4 lesions."),
    ("1234567", "Mme {Maria} {De Luca} (IPP {1234567}) revue le {5 avril}."),
    ("1234567", "IRM du {lundi 4 mars 2024} : 3 lésions."),
    ("1234567", "Née le {12/03/61}, dossier {1234567}."),
    ("1234567", "Contrôle prévu {mi-avril}, TDM le {2.IV.2024}."),
    ("AB-88812", "Herr {Klaus} {Mueller}, Termin am {Mo, 4.3.}."),
    ("AB-88812", "Erstdiagnose {03.2022}, PRRT seit {Juni 2022}."),
    ("AB-88812", "Vergleich zu {20.06.22}, Pat.-Nr. {AB-88812}."),
    ("12", "{Rose} {Short} (ID {12}): 12 lesions on {12 Jan}."),
    ("4", "Lu-177 on {05.03.24}, 4 cycles of 7.4 GBq."),
    ("4", "Segment VIII lesion 23 x 18 mm (previously 20 x 15 mm)."),
    ("4", "Se 601 Im 34, b 50/800, ADC 0.9."),
    ("4", "Ki-67 3 %, G2, 2 of 5 lesions with restricted diffusion."),
    ("4", "Heterogeneous enhancement at 25 s; washout at 3 min."),
    ("4", "4/6 lesions hyperintense on T2, 1/6 cystic."),
    ("4", "Follow-up in 3 months; may need biopsy."),
    ("1234567", "Segments II/III, 2 lésions de 8 et 11 mm."),
    ("1234567", "Prise de contraste à 35 s ; de novo en segment V."),
    ("1234567", "Rapport T2 2,1 ; 5 lésions sur 7 mesurables."),
    ("AB-88812", "Läsion in Segment 8 mit 15 x 12 mm, 3 von 4 hyperintens."),
    ("AB-88812", "Kontrolle in 3 Monaten, Serie 7 Bild 21."),
    ("12", "Long axis 24 mm, short axis 15 mm; 12 nodes."),
    ("12", "Dose 12.5 mg, 12 cycles, rose to 15 mm."),
)


if __name__ == "__main__":
    from annotation.pseudonymise import Gate

    for label, corpus in (("corpus", CORPUS), ("held out (s43)", HELDOUT), ("session 44", CORPUS_S44),
                            ("s45 dates", CORPUS_S45_DATES), ("s45 ratios", CORPUS_S45_RATIOS),
                            ("s45 names", CORPUS_S45_NAMES), ("review45b dates", CORPUS_S45B_DATES),
                            ("review45b ratios", CORPUS_S45B_RATIOS)):
        f = measure(gate_for(Gate), corpus)
        print(f"{label}: identifiers caught {f.caught}/{f.identifiers}; "
              f"ordinary words changed {f.ordinary_changed}/{f.ordinary}")
        print("  not caught:", *f.misses, sep="\n    ")
        print("  changed:", *f.changes, sep="\n    ")
