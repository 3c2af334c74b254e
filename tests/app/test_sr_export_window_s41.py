"""Session 41: File -> Export DICOM SR… into a folder an earlier export wrote said "wrote 6 DICOM SR file(s)" while the
folder held SRs it had not written (of an exam or series no longer in the reading), which a push of the folder would
send along. The status names them now."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from app.main_window import MainWindow
from tests.app.test_sr_actions import _file_action


def test_an_sr_export_into_a_folder_holding_other_srs_names_them(window: MainWindow, env: Path,  # type: ignore[no-untyped-def]
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    out = env / "sr"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    _file_action(w, "Export DICOM SR…").trigger()
    assert "wrote 6 DICOM SR file(s)" in w.state.status and "not written by this export" not in w.state.status
    stale = out / "LLSYN009" / "E1" / "sample" / "ct_portal.dcm"  # an earlier export's, of an exam deleted since
    stale.parent.mkdir(parents=True)
    shutil.copyfile(next(out.rglob("ct_portal.dcm")), stale)
    _file_action(w, "Export DICOM SR…").trigger()
    assert "wrote 6 DICOM SR file(s)" in w.state.status, w.state.status
    assert (f"1 other .dcm file(s) in {out} were not written by this export (first: LLSYN009/E1/sample/ct_portal.dcm)"
            in w.state.status), w.state.status
