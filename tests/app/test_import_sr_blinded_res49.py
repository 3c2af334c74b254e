"""`lesionlab import-sr` through a blinded reader's role of a study store (res49: reader R1 importing R2's SR, with
`--reader R2`). Every file was refused with "the SR's observer 'R2' cannot be a reader's name (this database role is a
blinded reader …); the file was not imported: give --reader NAME", although --reader was given and no name would
have done: the role may not load the store at all. After indexing the whole --dicom folder. Now the run is refused
at once, as `export`, `analyze` and `response` refuse such a role: "this database role is a blinded reader …"."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main as cli
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_blinding_pg import study_with_roles


def test_import_sr_through_a_blinded_readers_role_is_refused_as_a_blinded_role(
        pg_cluster, pg_url, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    urls = study_with_roles(pg_cluster, pg_url, "isr49")
    sr = tmp_path / "sr.dcm"
    sr.write_bytes(b"not read: the role is refused first")
    empty = tmp_path / "images"
    empty.mkdir()  # no images needed either: the refusal comes before the folder is indexed
    assert cli(["import-sr", urls["R1"], "--dicom", str(empty), "--reader", "R2", str(sr)]) == 1
    err = capsys.readouterr().err
    assert "this database role is a blinded reader (R1, of a reader study)" in err, err
    assert "give --reader NAME" not in err and "no image stacks found" not in err and "Traceback" not in err, err
