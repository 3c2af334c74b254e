"""A write that fails (a full disk, a folder not writable) is said naming the output the user asked for, never the
hidden temporary name it was being written under, and says why in words.

An audit filled a 64 KiB disk: `export --out` said "/mnt/.ex.partial-a45a6b933988/patients/LLSYN003.xlsx: cannot be
written", and `export --sr` printed pydicom's "With tag (0040,A730) got exception: [Errno 28] ... Traceback" instead
of "the disk is full". The real cases run on a small tmpfs (root only); the rest simulate ENOSPC at the bottom."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterator

import pytest

from tests.tmpfs import small_tmpfs

from app.cli import main
from tests.conftest import SAMPLE_DICOM
from viewer.errors import LesionlabError, OutputWriteError, PacsError

SAMPLE_STORE = SAMPLE_DICOM / "reading.lesionlab"
TEMPORARY_MARKS = (".partial-", ".tmp-", ".part-", "Traceback", "With tag")


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 64 KiB tmpfs: a real file system that runs out of space in the middle of an export."""
    with small_tmpfs("64k", "lesionlab-tiny-") as mount:
        yield mount


def _said(err: str) -> str:
    assert not [m for m in TEMPORARY_MARKS if m in err], err
    return err


def test_a_full_disk_names_the_exported_file_not_the_temporary_folder(tiny_disk: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tiny_disk / "ex"
    assert main(["export", str(SAMPLE_STORE), "--out", str(out)]) == 1
    err = _said(capsys.readouterr().err)
    assert f"{out}/patients/" in err and ".xlsx: cannot be written: the disk is full" in err
    assert list(tiny_disk.iterdir()) == []  # nothing partial, no hidden folder


def test_a_full_disk_names_the_sr_not_its_temporary(tiny_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tiny_disk / "sr"
    assert main(["export", str(SAMPLE_STORE), "--sr", str(out), "--dicom", str(SAMPLE_DICOM)]) == 1
    err = _said(capsys.readouterr().err)
    assert f"{out}/LLSYN001/" in err and ".dcm: cannot be written: the disk is full" in err
    assert not [p for p in out.rglob("*") if p.is_file() and p.suffix != ".dcm"]


def test_a_full_disk_names_the_analysis_folder(tiny_disk: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(SAMPLE_STORE), "--out", str(tmp_path / "ex")]) == 0
    out = tiny_disk / "analysis"
    assert main(["analyze", "--measurements", str(tmp_path / "ex" / "measurements.csv"), "--counts",
                 str(tmp_path / "ex" / "counts.csv"), "--out", str(out)]) == 1
    err = _said(capsys.readouterr().err)
    assert f"{out}" in err and "cannot be written: the disk is full" in err
    assert list(tiny_disk.iterdir()) == []


# ------------------------------------------------------------------ simulated at the bottom layer
def test_a_workbook_that_cannot_be_written_is_named_under_the_export_folder(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import Workbook

    def full(self: Workbook, path: object) -> None:
        Path(str(path)).write_bytes(b"PK half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(Workbook, "save", full)
    out = tmp_path / "ex"
    assert main(["export", str(SAMPLE_STORE), "--out", str(out)]) == 1
    err = _said(capsys.readouterr().err)
    assert f"{out}/patients/LLSYN001.xlsx: cannot be written: the disk is full" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_wrapped_os_error_is_said_in_words() -> None:
    """pydicom re-raises a full disk as OSError("With tag ... got exception ... Traceback") without an errno."""
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/x/.ct.dcm.tmp-0123456789ab")
        except OSError as exc:
            raise OSError(f"With tag (0040,A730) got exception: {exc}\nTraceback ...") from exc
    except OSError as wrapped:
        said = OutputWriteError.from_os_error(wrapped, "/x/ct.dcm")
    assert str(said).startswith("/x/ct.dcm: cannot be written: the disk is full (free some space")
    assert said.disk_full and ".tmp-" not in str(said)
    quota = OutputWriteError.from_os_error(OSError(errno.EDQUOT, "Disk quota exceeded"), "/x/a.csv")
    assert quota.message == "cannot be written: the disk is full (quota exceeded)" and quota.disk_full
    denied = OutputWriteError.from_os_error(PermissionError(errno.EACCES, "Permission denied", "/x/.a.tmp-1"), "/x/a")
    assert denied.message == "cannot be written: no permission to write there" and not denied.disk_full
    assert OutputWriteError.from_os_error(OSError(errno.EIO, "Input/output error"), "/x").message == \
        "cannot be written (Input/output error)"


def test_a_pulled_instance_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    from viewer.interop.dimse import write_failure

    target = tmp_path / "1.2" / "1.2.3" / "1.2.3.4.dcm"
    for code, words in ((errno.ENOSPC, "the disk is full"), (errno.EDQUOT, "the disk is full (quota exceeded)"),
                        (errno.EROFS, "the disk is read-only")):
        failed = write_failure(OSError(code, os.strerror(code), str(target.with_name(".x.part-123-456"))), target)
        assert isinstance(failed, PacsError) and failed.where == str(target)
        assert failed.message == f"cannot write the retrieved images: {words}"


def test_a_settings_file_that_cannot_be_written_is_named_and_leaves_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from viewer.model.settings import RecentStudies

    recent = RecentStudies(tmp_path / "recent_studies.json")
    real = Path.write_text

    def full(self: Path, *args: object, **kwargs: object) -> int:
        real(self, "{")
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(LesionlabError) as err:
        recent.add(tmp_path)
    assert err.value.where == str(tmp_path / "recent_studies.json") and "the disk is full" in err.value.message
    assert list(tmp_path.iterdir()) == []
