"""A store holding two studies of the same readers (res49: a retake set up as the README advises, its sessions named
`MRI2`, `CT2`): `analyze STORE --study res49-mri-ct` and `agreement STORE --study …` left out the retake's reads
saying "left out R1@MRI2, R3@MRI2 (not a reader of the study)", though R1 and R3 are this study's readers: those
are reads of a session this study does not have (another study's). Now said so; a name that is no reader's of the
study (the sample's truth read) keeps "not a reader of the study"."""
from __future__ import annotations

from analysis.agreement_study import ADJUDICATOR, NOT_A_READER, OTHER_SESSION, StudyReaders


def _readers() -> StudyReaders:
    return StudyReaders("res49-mri-ct", ("R1", "R2", "R3"),
                        {f"{r}@{s}": (r, s, frozenset({"mr_t2fs"} if s == "MRI" else {"ct_portal"}))
                         for r in ("R1", "R2", "R3") for s in ("MRI", "CT")},
                        frozenset(), (), "consensus")


def test_another_studys_session_read_of_a_study_reader_is_said_to_be_another_sessions() -> None:
    study = _readers()
    out = study.left_out({"R1@MRI", "R1@MRI2", "R3@MRI3", "sample", "consensus@MRI", "X9@MRI"})
    assert out == {OTHER_SESSION: ["R1@MRI2", "R3@MRI3"], ADJUDICATOR: ["consensus@MRI"],
                   NOT_A_READER: ["X9@MRI", "sample"]}, out
    note = study.note({"R1@MRI", "R1@MRI2", "sample"}, ("R1",))
    assert "left out R1@MRI2 (a session this study does not have: another study's read)" in note, note
    assert "left out sample (not a reader of the study)" in note, note
