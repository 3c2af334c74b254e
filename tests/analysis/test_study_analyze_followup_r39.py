"""`lesionlab analyze STORE` of a reader study's store leaves out the follow-up of readers not in the study (review39).

analyze of a study's store analyses the study's readers, one read per reader, and says "left out sample (not a reader
of the study)"; its follow-up section was still read from the whole store (analysis.response_store.store_followup), so
the report gave the response of the reader it said it had left out, on a patient that is no case of the study.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.store import ReadingStore, open_reading
from annotation.study_store import Study
from app.cli import main
from tests.annotation.test_followup import build_course
from tests.annotation.test_study_store import definition, fill, read_case


def test_the_follow_up_of_a_reader_left_out_is_not_in_the_study_analysis(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "s.lesionlab")
    fill(path)
    st, r = open_reading(path, "sample")  # the project the study was set up in: a follow-up of its own
    build_course(r)
    st.close()
    with ReadingStore.open(path) as store:
        study = Study.init(store, definition())
        read_case(study, "R1")
        read_case(study, "R2")
    out = tmp_path / "an"
    assert main(["analyze", path, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "left out sample (not a reader of the study)" in said, said
    assert "the store's follow-up is no reader study's read: left out of the study's analysis" in said, said
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "LLSYN001" not in html
    assert "Follow-up response (RECIST 1.1, NEN)" not in html
    assert not (out / "response.csv").exists()
    # the store on its own (no study): the follow-up is analysed as before
    assert main(["response", path, "--reader", "sample", "--out", str(tmp_path / "resp")]) == 0
