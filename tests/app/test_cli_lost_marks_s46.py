"""The command-line exports say the count marks a lesionlab older than December 2026 lost (stderr, the status bar's
words): `export`, `analyze STORE` and `agreement STORE` wrote the store's counts one lesion short per lost mark, said
nowhere but in the workstation (session 45's leftovers)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from annotation.reading import old_preplaced_mark_id
from annotation.store import open_reading
from app.cli import main
from viewer.records import Role

READER = "sample"
SAID = ("⚠ 1 count mark lost in an older lesionlab (LLSYN001 F1 (2023-03-14) CT portal): count them again (C) in the "
        "workstation; until then the counts written here count one lesion less there per lost mark")


def _old_followup_store(sample_dicom: Path, dst: Path) -> None:
    """The shipped follow-up project as a lesionlab older than December 2026 left it: L1's CT portal count marks at
    the baseline (F1, 2023-03-14) and at F3 of one id, the later replacing the baseline's."""
    shutil.copy(sample_dicom / "followup.lesionlab", dst)
    store, r = open_reading(dst, READER)
    try:
        project = r.project
        (a,), (b,) = ([m for m in project.marks_of_lesion("LLSYN001", exam, READER, "L1") if m.role is Role.CT_PORTAL]
                      for exam in ("F1", "F3"))
        tracking = project.lesions[("LLSYN001", "F3", READER, "L1")].tracking_uid
        r.apply("as stored before December 2026", project.without_many({"count_marks": [a.mark_id, b.mark_id]})
                .with_record(replace(b, mark_id=old_preplaced_mark_id(tracking, Role.CT_PORTAL))))
    finally:
        store.close()


@pytest.fixture
def old_store(tmp_path: Path, sample_dicom: Path) -> Path:
    path = tmp_path / "old.lesionlab"
    _old_followup_store(sample_dicom, path)
    return path


@pytest.mark.parametrize("command", [["export", "--out", "{out}"], ["export", "--sr", "{out}"],
                                     ["analyze", "--out", "{out}"], ["agreement", "--out", "{out}"]],
                         ids=["export tables", "export SR", "analyze", "agreement"])
def test_an_export_of_an_older_store_says_its_lost_marks_on_stderr(old_store: Path, tmp_path: Path, command: list[str],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "out")
    main([command[0], str(old_store), *(a.format(out=out) for a in command[1:])])
    err = capsys.readouterr().err
    assert f"lesionlab {command[0]}: {SAID}" in err.splitlines(), err


def test_a_current_store_says_nothing_of_lost_marks(tmp_path: Path, sample_dicom: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "followup.lesionlab"
    shutil.copy(sample_dicom / "followup.lesionlab", path)
    assert main(["export", str(path), "--out", str(tmp_path / "out")]) == 0
    assert "count mark" not in capsys.readouterr().err
