"""Session 48: no command made an empty store (`lesionlab import-sr NEW.lesionlab ...` said "no such store", as it
must: a typo made an empty store, an audit); only `view --store` did. `lesionlab store create STORE` does, and refuses
a file that exists; import-sr's refusal names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.store import ReadingStore
from app.cli import main


def test_store_create_makes_an_empty_store_import_sr_then_opens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(Checked: fails without app/cmd_store.py's create: argparse refuses the action, exit 2.)"""
    new = tmp_path / "new.lesionlab"
    sample = Path(__file__).resolve().parents[2] / "sample_dicom"
    assert main(["import-sr", str(new), "--dicom", str(sample), str(tmp_path / "none.dcm")]) == 1
    assert not new.exists() and "lesionlab store create PATH" in capsys.readouterr().err
    assert main(["store", "create", str(new)]) == 0
    assert "created an empty reading store" in capsys.readouterr().out
    with ReadingStore.open(new, read_only=True) as store:
        project = store.load()
        assert not project.patients and not project.lesions
    before = new.read_bytes()
    assert main(["store", "create", str(new)]) == 1  # never over an existing file
    assert "the file exists" in capsys.readouterr().err and new.read_bytes() == before
    # import-sr now finds the store (the SR file is what it refuses)
    assert main(["import-sr", str(new), "--dicom", str(sample), str(tmp_path / "none.dcm")]) == 1
    assert "no such store" not in capsys.readouterr().err
