"""Discs as a PACS administrator meets them: a DICOMDIR file set with ISO 9660 names (upper case, 8 characters, no
extension, the ``;1`` version suffix a disc read without name mapping shows), a lower-case ``dicomdir`` on a
case-sensitive filesystem, referenced files missing, files on the disc that the DICOMDIR does not list, and a
read-only medium that lesionlab must not write onto (``lesionlab index --load`` and the index the window runs)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom.fileset import FileSet

from app.cli import main
from tests.dicomgen import write_series
from viewer.index import index_path


def _disc(tmp: Path, n_slices: int = 4) -> Path:
    """A file set as a burner writes it: DICOMDIR, PT000000/ST000000/SE000000/IM00000k (no extension)."""
    paths = write_series(tmp / "src", np.arange(n_slices * 64, dtype=np.int16).reshape(n_slices, 8, 8),
                         series_description="ART", extra={"StudyID": "1"}, seed="disc36")
    fs = FileSet()
    for p in paths:
        fs.add(str(p))
    fs.write(tmp / "disc")
    shutil.rmtree(tmp / "src")
    return tmp / "disc"


def _rename_all(root: Path, rename) -> None:  # type: ignore[no-untyped-def]
    for p in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
        p.rename(p.with_name(rename(p.name)))


def test_iso9660_version_suffixes_are_the_listed_files(tmp_path: Path) -> None:
    """A disc read with its ISO 9660 names as recorded (``mount -o map=off``, copied by a burning tool):
    ``DICOMDIR;1``, ``IM000000;1``. Every listed file was 'missing on disk' and no series was found."""
    disc = _disc(tmp_path)
    _rename_all(disc, lambda name: f"{name};1" if "." not in name else name)
    r = index_path(disc / "DICOMDIR;1", workers=1)
    assert [s.n_slices for s in r.stacks] == [4], [(s.path, s.reason) for s in r.skipped]
    assert r.skipped == () and r.warnings == ()


def test_a_trailing_dot_of_an_empty_extension_too(tmp_path: Path) -> None:
    disc = _disc(tmp_path)
    for f in (disc / "PT000000" / "ST000000" / "SE000000").iterdir():
        f.rename(f.with_name(f"{f.name}.;1"))
    assert [s.n_slices for s in index_path(disc / "DICOMDIR", workers=1).stacks] == [4]


def test_a_lower_case_disc_on_a_case_sensitive_filesystem(tmp_path: Path) -> None:
    disc = _disc(tmp_path)
    _rename_all(disc, str.lower)
    r = index_path(disc / "dicomdir", workers=1)
    assert [s.n_slices for s in r.stacks] == [4] and r.skipped == ()


def test_files_the_dicomdir_does_not_list_are_named_and_a_missing_one_too(tmp_path: Path) -> None:
    """A disc whose DICOMDIR lost a slice: the slice's file is on the disc under another name, and a README was copied
    beside the images. The series came out with 3 slices and the two files were not mentioned at all."""
    disc = _disc(tmp_path)
    series = disc / "PT000000" / "ST000000" / "SE000000"
    (series / "IM000001").rename(series / "IM000009")  # the DICOMDIR lists IM000001: missing; IM000009: not listed
    (series / "README").write_text("burnt by X")
    r = index_path(disc / "DICOMDIR", workers=1)
    why = {Path(s.path).name: s.reason for s in r.skipped}
    assert set(why) == {"IM000001", "IM000009", "README"}, why
    assert "missing on disk" in why["IM000001"]
    assert "not listed in the DICOMDIR" in why["IM000009"] and "index the disc's folder" in why["IM000009"]
    assert any("does not list them" in w and str(disc) in w for w in r.warnings), r.warnings
    # the folder read directly finds every image
    assert [s.n_slices for s in index_path(disc, workers=1).stacks] == [4]


def _tree(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = hashlib.sha1(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


@pytest.fixture
def read_only_disc(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The disc mounted read-only: a read-only bind mount as root (what ``mount -o loop,ro`` of the ISO gives),
    else the files made read-only (a user cannot mount)."""
    disc = _disc(tmp_path / "burn")
    _rename_all(disc, lambda name: f"{name};1")
    mnt = tmp_path / "cdrom"
    mnt.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "--bind", "-o", "ro", str(disc), str(mnt)],
                                                   capture_output=True).returncode == 0
    if not mounted:
        shutil.copytree(disc, mnt, dirs_exist_ok=True)
        for p in [mnt, *mnt.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        yield mnt
    finally:
        if mounted:
            subprocess.run(["umount", str(mnt)], check=True)
        else:
            for p in [mnt, *mnt.rglob("*")]:
                p.chmod(0o755 if p.is_dir() else 0o644)


def test_index_and_load_of_a_read_only_disc_write_nothing_onto_it(read_only_disc: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(read_only_disc)
    for path in (read_only_disc / "DICOMDIR;1", read_only_disc):
        assert main(["index", str(path), "--load", "--json", "--workers", "1"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert [(s["n_slices"], s["load"]) for s in out["series"]] == [(4, "ok")], out
    assert _tree(read_only_disc) == before
