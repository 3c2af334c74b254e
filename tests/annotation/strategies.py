"""Hypothesis strategies for whole projects (used by the store round-trip tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from annotation.clinical import ClinicalRecord, Patient
from annotation.project import Project
from annotation.records import CountMark, ExamPair, Lesion, Measurement, NotMeasurable, NotVisible, SeriesFlag
from annotation.vocab import (CouinaudSegment, Differentiation, Grade, GradeSource, LiverMetastasesTiming, Lobe,
                              PrimarySite, Sex, Treatment)
from viewer.records import READING_ROLES

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
IDENT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8).filter(str.strip)
COORD = st.floats(min_value=-0.5, max_value=4096, allow_nan=False)
SPACING = st.floats(min_value=1e-3, max_value=10, allow_nan=False)


def opt(strategy):
    return st.none() | strategy


clinical = st.builds(
    ClinicalRecord, opt(st.sampled_from(Sex)), opt(st.integers(0, 130)), opt(st.sampled_from(PrimarySite)),
    opt(st.floats(0, 100)), opt(st.floats(0, 200)), opt(st.sampled_from(Grade)), opt(st.sampled_from(GradeSource)),
    opt(st.sampled_from(Differentiation)), opt(st.sampled_from(LiverMetastasesTiming)),
    st.frozensets(st.sampled_from(Treatment)))
measurement = st.builds(Measurement, IDENT, TEXT, st.integers(0, 500), st.tuples(COORD, COORD),
                        st.tuples(COORD, COORD), SPACING, SPACING)
observation = measurement | st.builds(NotVisible, TEXT) | st.builds(NotMeasurable, TEXT)


@st.composite
def projects(draw) -> Project:
    records: list = []
    patient_ids = draw(st.lists(IDENT, min_size=1, max_size=3, unique=True))
    for pid in patient_ids:
        records.append(Patient(pid, draw(TEXT), draw(clinical)))
        for eid in draw(st.lists(IDENT, max_size=2, unique=True)):
            records.append(ExamPair(pid, eid, draw(TEXT), draw(TEXT), draw(opt(st.dates())), draw(opt(st.dates()))))
            for reader in draw(st.lists(IDENT, max_size=2, unique=True)):
                for n in draw(st.lists(st.integers(1, 30), max_size=3, unique=True)):
                    obs = draw(st.dictionaries(st.sampled_from(READING_ROLES), observation, max_size=6))
                    records.append(Lesion(pid, eid, reader, f"L{n}", draw(st.sampled_from(Lobe)),
                                          draw(opt(st.sampled_from(CouinaudSegment))), draw(TEXT), obs))
                for i in range(draw(st.integers(0, 4))):
                    records.append(CountMark(f"{pid}|{eid}|{reader}|{i}", pid, eid, reader,
                                             draw(st.sampled_from(READING_ROLES)), draw(st.sampled_from(Lobe)),
                                             draw(TEXT), draw(st.integers(0, 300)), draw(COORD), draw(COORD)))
                for role in draw(st.lists(st.sampled_from(READING_ROLES), max_size=2, unique=True)):
                    records.append(SeriesFlag(pid, eid, reader, role, draw(st.booleans()), draw(TEXT)))
    return Project.from_records(records)
