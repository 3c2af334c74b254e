"""Session 48, a radiologist-engineer's afternoon under Xvfb (fix48c): what the window did on the real MainWindow."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.app.conftest import make_window
from tests.tmpfs import small_tmpfs


def test_a_project_asked_for_that_cannot_be_opened_is_not_replaced_by_the_folders_own(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_dicom: Path, sample_index) -> None:
    """`view sample_copy --store /full/full.lesionlab` on a full disk: the dialog said "the disk is full ... nothing was
    changed", then the folder listed opened its own reading.lesionlab read-only in its place (the sample's L1-L5 under
    the window, said only at the status bar's end). No project opens now, and the status says why and what was not
    opened. (Checked: fails without StoreFlow.not_opened: the folder's project is open.)"""
    from app.cmd_view import _open_store

    folder = env / "sample_copy"
    folder.mkdir()
    shutil.copy(sample_dicom / "reading.lesionlab", folder / "reading.lesionlab")
    with small_tmpfs("64k", "full48c-") as mount:
        subprocess.run(["dd", "if=/dev/zero", f"of={mount / 'fill'}", "bs=4k"], capture_output=True, check=False)
        w = make_window(qtbot, env)
        errors: list[str] = []
        w.store_flow.show_error = errors.append  # type: ignore[method-assign]
        wanted = mount / "full.lesionlab"
        _open_store(w, argparse.Namespace(store=str(wanted), path=str(folder), quit_when_listed=False), None)
        assert errors and "disk is full" in errors[0], errors
        w.show_index(str(folder), sample_index)  # the folder listed: what offered its project
        qtbot.wait(50)
        assert w.session.store is None, w.session.location
        said = w.status.text()
        assert "no reading project open" in said and str(wanted) in said and "reading.lesionlab" in said, said
        # the reader's own choice afterwards opens it, and the rule is over
        assert w.store_flow.open_store(folder / "reading.lesionlab")
        assert w.session.store is not None and w.store_flow.not_opened is None
        w.session.close() if hasattr(w.session, "close") else None
