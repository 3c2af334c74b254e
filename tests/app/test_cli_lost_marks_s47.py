"""`lesionlab study reads` says a study store's count marks lost in a lesionlab older than December 2026 on stderr, as
`export`, `analyze` and `agreement` do since session 46: its one read per reader carries the counts on to those two,
one lesion short per lost mark, unsaid (session 46's leftovers). `response STORE` reads no count mark and says none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.cli import main
from tests.app.test_cli_lost_marks_s46 import _old_followup_store
from tests.app.test_study_lost_marks_s46 import _older_study_store

WORDS = "in the workstation; until then the counts written here count one lesion less there per lost mark"


def test_study_reads_of_an_older_study_store_says_its_lost_marks(env: Path, sample_dicom: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path, _code, patient = _older_study_store(env, sample_dicom)
    assert main(["study", "reads", str(path), str(env / "reads.lesionlab")]) == 0
    err = capsys.readouterr().err.splitlines()
    said = [line for line in err if line.startswith("lesionlab study reads: ⚠ 1 count mark lost in an older lesionlab")]
    assert len(said) == 1 and said[0].endswith(WORDS) and patient in said[0] and "T2 FS" in said[0], err


def test_study_reads_of_a_current_study_store_says_nothing_of_lost_marks(env: Path, sample_dicom: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from tests.app.test_study_window import make_study_store

    path = make_study_store(env, sample_dicom)
    assert main(["study", "reads", str(path), str(env / "reads.lesionlab")]) == 0
    assert "count mark" not in capsys.readouterr().err


def test_response_of_an_older_store_says_nothing_of_count_marks(tmp_path: Path, sample_dicom: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The response is made of the lesions' lines and follow-up records: a lost count mark changes none of it (the
    same response.csv as the store before its mark was lost), so nothing is said (README: the commands' telling)."""
    old, current = tmp_path / "old.lesionlab", tmp_path / "current.lesionlab"
    _old_followup_store(sample_dicom, old)
    shutil.copy(sample_dicom / "followup.lesionlab", current)
    for store in (old, current):
        assert main(["response", str(store), "--out", str(tmp_path / store.stem), "--reader", "sample"]) == 0
    assert "count mark" not in capsys.readouterr().err
    assert (tmp_path / "old" / "response.csv").read_text() == (tmp_path / "current" / "response.csv").read_text()
