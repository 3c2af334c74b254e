"""A stack that cannot load in a blinded study case (session 38): the loader's message names the file, and a DICOM
folder or file name often names the patient ("/data/DOE JOHN/IMG0001.dcm: …"); the cell ("cannot load: …") and the
dialog showed it to the blinded reader. They now show it without paths; the log keeps the whole message."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tests.app.conftest import CachedLoader, make_window
from tests.app.test_study_window import study_store  # noqa: F401
from viewer.errors import DicomReadError


def _broken(self: CachedLoader, stack: Any) -> None:
    """What the loader says when planning a stack with a file it cannot decode (VolumeLoader: the file's path, then
    the problem)."""
    raise DicomReadError("pixel data ends early (the file is cut short)", where=str(stack.images[0].file))


def test_a_blinded_case_says_why_a_stack_did_not_load_without_the_files_path(  # type: ignore[no-untyped-def]
        qtbot, env: Path, study_store: Path, sample_dicom: Path, sample_index, monkeypatch, caplog) -> None:  # noqa: F811
    w = make_window(qtbot, env, reader="R1")
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    w.show_index(str(sample_dicom), sample_index)
    w.study_ui.open(str(study_store), "R1")
    monkeypatch.setattr(CachedLoader, "__init__", _broken)
    with caplog.at_level(logging.WARNING, logger="app.main_window"):
        w.actions_by_id["study_next"].trigger()
        hung = [i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None]
        assert hung and w.state.blinded
        qtbot.waitUntil(lambda: all(w.grid.viewports[i].load_error for i in hung), timeout=60000)
    shown = [w.grid.viewports[i].empty_text() for i in hung] + errors
    assert all("<file>: pixel data ends early (the file is cut short)" in t for t in shown), shown
    assert not any(str(sample_dicom) in t or "LLSYN" in t for t in shown), shown
    assert len(errors) == len({w.reading.hanging.cells[i].stack.key for i in hung})  # one dialog per stack
    assert str(sample_dicom) in caplog.text and "pixel data ends early" in caplog.text  # the whole message, logged


def test_paths_are_taken_out_with_their_spaces_and_in_every_form() -> None:
    from viewer.errors import without_paths

    known = ["/data/DOE JOHN/IMG1.dcm", "/data/DOE JOHN"]
    assert without_paths("/data/DOE JOHN/IMG1.dcm: pixel data ends early", known) == "<file>: pixel data ends early"
    assert without_paths("[Errno 2] No such file or directory: '/data/DOE^JOHN/x.dcm'", known) == \
        "[Errno 2] No such file or directory: '<file>'"
    assert without_paths(r"C:\PACS\SMITH\a.dcm: bad; \\server\share\DOE\1.dcm: x; ~/SMITH/1.dcm") == \
        "<file>: bad; <file>: x; <file>"
    assert without_paths("slices 3 / 4, 1/2, N/A") == "slices 3 / 4, 1/2, N/A"
