"""Analysis -> Run (Ctrl+Shift+A) of a reader study's store in the window (session 40's closing note): it offered no
way to take the case reads not finished in, where `lesionlab analyze STORE --include-unfinished` does; and an image
folder picked wrong (another study's) stayed the store's folder until the window was closed, every later analysis
pairing nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from app import export_analysis
from app.cli import main
from app.main_window import MainWindow
from tests.analysis.test_study_analyze_unfinished_s40 import half_read  # noqa: F401 - a fixture
from tests.app.conftest import make_window
from tests.app.test_study_analysis_images_s40 import TABLES, _run, coordinator, sim  # noqa: F401 - fixtures

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"


def test_the_analysis_dialog_takes_the_unfinished_case_reads_in_as_the_command_does(
        qtbot, env: Path, half_read: tuple[str, str, str], tmp_path: Path,  # type: ignore[no-untyped-def]  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A study store where R1 finished a case and R2's case is open: the researcher ticks "Include the case reads not
    finished" in the analysis' dialog and gets what `analyze STORE --include-unfinished` gives (R2's read analysed);
    left unticked, what `analyze STORE` gives. A store of no reader study is not offered the choice."""
    path, _done, _open = half_read
    cli = {}
    for name, extra in (("with", ["--include-unfinished"]), ("without", [])):
        cli[name] = tmp_path / f"cli_{name}"
        assert main(["analyze", path, *extra, "--out", str(cli[name])]) == 0
    w = make_window(qtbot, env)
    shown: list[str] = []
    w.show_error = shown.append  # type: ignore[method-assign]  # a modal dialog hangs offscreen
    w.exports.show_error = shown.append
    assert w.store_flow.open_store(Path(path))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")  # no images: none paired
    offered: list[bool] = []
    tick: list[bool] = []

    def answered(dialog: export_analysis.ExportDialog) -> int:  # the researcher ticks the box (or not), then OK
        dialog.folder.setText(str(env / "analysis"))
        dialog.show()
        box = getattr(dialog, "unfinished", None)
        offered.append(box is not None and box.isVisibleTo(dialog))
        if tick[-1] and box is not None:
            qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
        dialog.hide()
        return 1
    monkeypatch.setattr(export_analysis.ExportDialog, "exec", answered)
    # the study's image UIDs (the store loaded in the window's thread) are read once a run: for the dialog's offer and
    # the folder's check together (they were read twice)
    import analysis.study_pairing as study_pairing
    reads_of_store: list[str] = []
    uids = study_pairing.study_image_uids
    monkeypatch.setattr(study_pairing, "study_image_uids", lambda loc: reads_of_store.append(str(loc)) or uids(loc))
    for name, ticked in (("with", True), ("without", False)):
        tick.append(ticked)
        _run(w, qtbot, shown)
        reads = pd.read_csv(env / "analysis" / "study_reads.csv", keep_default_na=False)
        assert reads.equals(pd.read_csv(cli[name] / "study_reads.csv", keep_default_na=False)), name
        assert set(reads[reads["status"] == "not finished"]["analysed"]) == {"yes" if ticked else "no"}
        for table in TABLES:
            pd.testing.assert_frame_equal(pd.read_csv(env / "analysis" / f"{table}.csv"),
                                          pd.read_csv(cli[name] / f"{table}.csv"), check_exact=True, obj=table)
        w.exports.last_dialog.close()
    assert offered == [True, True]
    assert len(reads_of_store) == 2, reads_of_store
    # a project of no reader study: no such choice
    plain = env / "plain.lesionlab"
    shutil.copy(SAMPLE / "reading.lesionlab", plain)
    assert w.store_flow.open_store(plain)
    tick.append(False)
    _run(w, qtbot, shown)
    assert offered[-1] is False
    w.exports.last_dialog.close()


def test_a_wrong_image_folder_is_used_once_and_asked_for_again(
        coordinator: tuple[MainWindow, list[str], Path], qtbot, sample_dicom: Path, tmp_path: Path,  # type: ignore[no-untyped-def]  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The researcher gives a folder of one patient's images (LLSYN001, one case of three): the analysis says so; at
    the next Ctrl+Shift+A the folder is asked for again (it was kept until the window closed), and the right one
    given is kept. The folder is indexed in the analysis' thread, never the window's (review41: the check indexed it
    there before the analysis started, 0.5 s for sample_dicom's 1022 files, minutes on a real study, the window
    frozen with no word)."""
    import threading

    import viewer.index

    w, shown, out = coordinator
    in_window: list[str] = []
    real = viewer.index.index_path

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread() is threading.main_thread():
            in_window.append(str(args[0]))
        return real(*args, **kwargs)
    monkeypatch.setattr(viewer.index, "index_path", watched)
    wrong = tmp_path / "wrong"
    shutil.copytree(sample_dicom / "LLSYN001", wrong / "LLSYN001")
    answers = [str(wrong), str(sample_dicom)]
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append(a[1]) or answers[len(asked) - 1])
    said: list[str] = []
    w.state.changed.connect(lambda aspect: said.append(w.state.status) if aspect == "status" else None)
    _run(w, qtbot, shown)
    assert in_window == []
    assert len(asked) == 1 and "asked for again at the next analysis" in " ".join(said), said
    assert f"{wrong} lacks the CT or MRI of 2 of the study's 3 case(s)" in " ".join(said), said
    assert f"from the images in {wrong}, which lack the CT or MRI of 2 of the study" in (out / "report.html").read_text(
        encoding="utf-8")
    w.exports.last_dialog.close()
    _run(w, qtbot, shown)
    assert len(asked) == 2  # asked again: the wrong folder was not kept
    assert f"from the images in {sample_dicom}." in (out / "report.html").read_text(encoding="utf-8")
    w.exports.last_dialog.close()
    _run(w, qtbot, shown)
    assert len(asked) == 2 and shown == []  # the right one is kept
    assert in_window == []
    w.exports.last_dialog.close()

