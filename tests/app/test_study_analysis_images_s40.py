"""Analysis -> Run (Ctrl+Shift+A) of a reader study's store in the window pairs lesions across sessions (session 40).

The window analysed a study's store without its images, so no lesion of the MRI session paired with one of the CT
session (every MRI series against every CT series: the lesions of neither session, said only in a printed note),
where `lesionlab analyze STORE --dicom DIR` pairs them. The window now takes the images from the folder it has
open that holds every case's CT and MRI, else asks for the folder once per store, and its summary (the status bar,
the results dialog, report.html) says which folder was used, or that none was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtWidgets import QFileDialog

from analysis.study_sample import SimulatedStudy, build_sample_study
from app import export_analysis
from app.cli import main
from app.main_window import MainWindow
from tests.app.conftest import make_window, press

TABLES = ("paired_tests", "detection", "sizes")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory, sample_dicom: Path) -> SimulatedStudy:
    if not (sample_dicom / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom/reading.lesionlab is missing (make sample)")
    store = tmp_path_factory.mktemp("study") / "study.lesionlab"
    return build_sample_study(sample_dicom, sample_dicom / "reading.lesionlab", store, seed=5)


@pytest.fixture(scope="module")
def cli_tables(sim: SimulatedStudy, sample_dicom: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> dict[str, dict[str, pd.DataFrame]]:
    """`lesionlab analyze STORE` with and without --dicom: what the window's analysis must equal."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for name, extra in (("with", ["--dicom", str(sample_dicom)]), ("without", [])):
        folder = tmp_path_factory.mktemp(f"cli_{name}")
        assert main(["analyze", str(sim.store), *extra, "--out", str(folder / "an")]) == 0
        out[name] = {t: pd.read_csv(folder / "an" / f"{t}.csv") for t in TABLES}
    return out


def _dwi_vs_ct_arterial(tables: dict[str, pd.DataFrame]) -> int:
    t = tables["paired_tests"]
    row = t[(t["analysis"] == "diameters") & (t["level"] == "lesion") & (t["region"] == "whole")
            & (t["series_a"] == "mr_dwi") & (t["series_b"] == "ct_arterial")]
    return int(row["n"].iloc[0])


@pytest.fixture
def coordinator(qtbot, env: Path, sim: SimulatedStudy, monkeypatch: pytest.MonkeyPatch
                ) -> tuple[MainWindow, list[str], Path]:  # type: ignore[no-untyped-def]
    """The window with a copy of the study's store open (its owner, the coordinator); the analysis dialog answered
    with a folder of the test's (no modal dialog offscreen); errors collected."""
    store = env / "coord" / "study.lesionlab"
    store.parent.mkdir()
    shutil.copy(sim.store, store)
    w = make_window(qtbot, env)
    shown: list[str] = []

    def error(message: str) -> None:
        shown.append(message)
    w.show_error = error  # type: ignore[method-assign]
    w.exports.show_error = error  # the analysis job's failures go to the window's error dialog through it
    assert w.store_flow.open_store(store)
    out = env / "analysis"

    def answered(dialog: export_analysis.ExportDialog) -> int:
        dialog.folder.setText(str(out))
        return 1
    monkeypatch.setattr(export_analysis.ExportDialog, "exec", answered)
    return w, shown, out


def _run(w: MainWindow, qtbot, shown: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+Shift+A typed into the window; back when the analysis is shown or an error is."""
    done: list[str] = []
    w.exports.analysis_done.connect(done.append)
    w.activateWindow()  # back from the results dialog, as the researcher clicks the window
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    press(w, qtbot, "analysis")
    qtbot.waitUntil(lambda: bool(done or shown), timeout=120000)
    assert shown == [], shown


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(out / f"{t}.csv") for t in TABLES}


def test_the_open_image_folder_pairs_the_study_lesions_across_sessions(
        coordinator: tuple[MainWindow, list[str], Path], qtbot, sample_dicom: Path, sample_index,  # type: ignore[no-untyped-def]
        cli_tables: dict[str, dict[str, pd.DataFrame]], monkeypatch: pytest.MonkeyPatch) -> None:
    w, shown, out = coordinator
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append(a[1]) or "")
    w.show_index(str(sample_dicom), sample_index)  # the study's images, opened in the window
    _run(w, qtbot, shown)
    assert shown == [] and asked == []  # the open folder holds every case's CT and MRI: nothing asked
    got = _tables(out)
    for name in TABLES:  # what `lesionlab analyze STORE --dicom DIR` gives
        pd.testing.assert_frame_equal(got[name], cli_tables["with"][name], check_exact=True, obj=name)
    assert _dwi_vs_ct_arterial(got) > _dwi_vs_ct_arterial(cli_tables["without"])
    said = f"Lesions were paired across sessions by position from the images in {sample_dicom}."
    assert any(said in label.text() for label in w.exports.last_dialog.findChildren(export_analysis.QLabel))
    assert said in (out / "report.html").read_text(encoding="utf-8")
    w.exports.last_dialog.close()


def test_without_an_open_folder_of_the_study_it_asks_once_for_the_images(
        coordinator: tuple[MainWindow, list[str], Path], qtbot, sample_dicom: Path,  # type: ignore[no-untyped-def]
        cli_tables: dict[str, dict[str, pd.DataFrame]], monkeypatch: pytest.MonkeyPatch) -> None:
    w, shown, out = coordinator
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *a, **k: asked.append(a[1]) or str(sample_dicom))
    _run(w, qtbot, shown)
    assert shown == [] and len(asked) == 1 and "images of the reader study" in asked[0], asked
    got = _tables(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(got[name], cli_tables["with"][name], check_exact=True, obj=name)
    assert f"from the images in {sample_dicom}." in (out / "report.html").read_text(encoding="utf-8")
    w.exports.last_dialog.close()
    _run(w, qtbot, shown)  # again: the folder given is kept, not asked for again
    assert len(asked) == 1 and shown == []
    w.exports.last_dialog.close()


def test_declined_it_analyses_without_and_says_no_lesion_was_paired_across_sessions(
        coordinator: tuple[MainWindow, list[str], Path], qtbot,  # type: ignore[no-untyped-def]
        cli_tables: dict[str, dict[str, pd.DataFrame]], monkeypatch: pytest.MonkeyPatch) -> None:
    w, shown, out = coordinator
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")  # Cancel
    _run(w, qtbot, shown)
    assert shown == []
    got = _tables(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(got[name], cli_tables["without"][name], check_exact=True, obj=name)
    said = "No image folder was given: no lesion of one session was paired with one of another"
    assert any(said in label.text() for label in w.exports.last_dialog.findChildren(export_analysis.QLabel))
    w.exports.last_dialog.close()
