"""Hypothesis strategies for whole projects (used by the store round-trip tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from annotation.clinical import ClinicalRecord, Patient
from annotation.followup_records import BaselineChoice, LesionFollowup, Timepoint, TreatmentLine
from annotation.project import Project
from annotation.records import (Alignment, CountMark, ExamPair, Lesion, Measurement, NotMeasurable, NotVisible,
                                SeriesFlag)
from annotation.vocab import (FOLLOWUP_STATUSES, AlignmentSource, CountStatus, CouinaudSegment, Differentiation,
                              FollowupKind, Grade, GradeSource, LiverMetastasesTiming, Lobe, MeasurementMethod,
                              PrimarySite, Sex, Treatment)
from viewer.records import READING_ROLES

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
IDENT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=8).filter(str.strip)  # ids refuse controls
COORD = st.floats(min_value=-0.5, max_value=4096, allow_nan=False)
SPACING = st.floats(min_value=1e-3, max_value=10, allow_nan=False)


def opt(strategy):
    return st.none() | strategy


clinical = st.builds(
    ClinicalRecord, opt(st.sampled_from(Sex)), opt(st.integers(0, 130)), opt(st.sampled_from(PrimarySite)),
    opt(st.floats(0, 100)), opt(st.floats(0, 200)), opt(st.sampled_from(Grade)), opt(st.sampled_from(GradeSource)),
    opt(st.sampled_from(Differentiation)), opt(st.sampled_from(LiverMetastasesTiming)),
    st.frozensets(st.sampled_from(Treatment)))
UID = st.from_regex(r"\A[12](\.[1-9][0-9]{0,8}){1,5}\Z")
POINT = st.tuples(COORD, COORD)


@st.composite
def measurement(draw) -> Measurement:
    short = draw(opt(st.tuples(POINT, POINT)))
    return Measurement(draw(IDENT), draw(UID | st.just("")), draw(st.integers(0, 500)), draw(POINT), draw(POINT),
                       draw(SPACING), draw(SPACING), sop_instance_uid=draw(UID | st.just("")),
                       sop_class_uid=draw(UID | st.just("")), instance_number=draw(opt(st.integers(-5, 9999))),
                       frame_number=draw(opt(st.integers(1, 500))), method=draw(st.sampled_from(MeasurementMethod)),
                       method_params=draw(st.sampled_from(["", '{"algorithm": "x", "sigma": 1.5}'])),
                       p3=short[0] if short else None, p4=short[1] if short else None)


ROTATIONS = [(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0), (0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0)]
alignment_matrix = st.builds(
    lambda r, t: (r[0], r[1], r[2], t[0], r[3], r[4], r[5], t[1], r[6], r[7], r[8], t[2]),
    st.sampled_from(ROTATIONS), st.tuples(*[st.floats(-300, 300, allow_nan=False)] * 3))
observation = measurement() | st.builds(NotVisible, TEXT) | st.builds(NotMeasurable, TEXT)


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
                                          draw(opt(st.sampled_from(CouinaudSegment))), draw(TEXT), obs,
                                          f"1.2.3.{len(records)}"))  # unique per lesion (a store constraint)
                    if draw(st.booleans()):
                        kind = draw(st.sampled_from(FollowupKind))
                        records.append(LesionFollowup(
                            pid, eid, reader, f"L{n}", kind, draw(IDENT), draw(st.booleans()),
                            draw(st.sampled_from(sorted(FOLLOWUP_STATUSES[kind]))), draw(st.sampled_from(READING_ROLES)),
                            draw(st.booleans()), draw(UID | st.just(""))))
                for i in range(draw(st.integers(0, 4))):
                    records.append(CountMark(f"{pid}|{eid}|{reader}|{i}", pid, eid, reader,
                                             draw(st.sampled_from(READING_ROLES)), draw(st.sampled_from(Lobe)),
                                             draw(TEXT), draw(st.integers(0, 300)), draw(COORD), draw(COORD),
                                             draw(st.sampled_from(["", "L1", "L12"])), draw(UID | st.just("")),
                                             draw(opt(st.integers(1, 500)))))
                for role in draw(st.lists(st.sampled_from(READING_ROLES), max_size=2, unique=True)):
                    status = draw(st.sampled_from([CountStatus.COUNTED, CountStatus.NOT_COUNTABLE]))
                    records.append(SeriesFlag(pid, eid, reader, role, status, draw(TEXT)))
        pairs = [r.exam_pair_id for r in records if isinstance(r, ExamPair) and r.patient_id == pid]
        dates = draw(st.lists(st.dates(), min_size=len(pairs), max_size=len(pairs), unique=True))
        for i, (eid, day) in enumerate(zip(pairs, dates)):
            records.append(Timepoint(pid, f"T{i}", day, (eid,)))
            if draw(st.booleans()):
                records.append(BaselineChoice(pid, draw(IDENT), draw(st.integers(0, 3)), f"T{i}"))
        for n in range(draw(st.integers(0, 2))):
            start = draw(st.dates())
            records.append(TreatmentLine(pid, n + 1, draw(IDENT), start, draw(opt(st.dates(min_value=start)))))
        for fixed, moving in draw(st.lists(st.tuples(UID, UID), max_size=2, unique=True)):
            records.append(Alignment(pid, fixed, moving, draw(alignment_matrix), draw(st.sampled_from(AlignmentSource)),
                                     draw(st.just("") | IDENT), draw(TEXT)))
    return Project.from_records(records)
