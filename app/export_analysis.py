"""File -> Export and Analysis -> Run: the CLI's exporter and analysis, from the open reading project.

Both read the store read-only (the workstation keeps it open for writing meanwhile). Export is
quick and runs in the UI thread; the analysis (pandas, scipy, matplotlib: imported only here,
so start-up does not pay for them) runs in a worker thread and then shows its tables and plots.
Both ask where to write first (a folder chosen by the reader, the data folder proposed), and
report.html opens in the system browser or, where there is none, in the application.
"""

from __future__ import annotations

import numbers
import threading
from pathlib import Path
from types import EllipsisType
from typing import Any, Callable, Iterable, Mapping

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from app.window_layout import resize_within_screen
from viewer.errors import LesionlabError
from viewer.records import StackInfo

#: Tables shown first in the results dialog (the others follow in the analysis' order).
SHOWN_FIRST = ("paired_tests", "detection", "sizes")


class ExportDialog(QDialog):
    """Output folder and (for the export) the pseudonymise choice."""

    def __init__(self, default_dir: Path, parent: QWidget | None = None, *, title: str = "Export the reading project",
                 text: str = ("One xlsx per patient and the cohort tables measurements.csv, counts.csv, patients.csv "
                              "(with a follow-up also followup.csv and treatment_lines.csv)."),
                 pseudonymise: bool = True, unfinished: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(text))
        row = QHBoxLayout()
        self.folder = QLineEdit(str(default_dir))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        lay.addLayout(row)
        self.pseudonymise = QCheckBox("Pseudonymise (study codes instead of patient ids; the key is written beside "
                                      "the folder)")
        self.keep_comments = QCheckBox("Keep the readers' comments (the patient's name, ids and dates in them "
                                       "are replaced; other names they hold stay)")
        self.keep_comments.setEnabled(False)
        self.pseudonymise.toggled.connect(self.keep_comments.setEnabled)
        if pseudonymise:
            lay.addWidget(self.pseudonymise)
            lay.addWidget(self.keep_comments)
        #: of a reader study's store: take the case reads not finished in (`analyze STORE --include-unfinished`);
        #: the window offered no way to, where the command line has one (session 40's closing note)
        self.unfinished = QCheckBox("Include the case reads not finished (an interim look, as lesionlab analyze "
                                    "STORE --include-unfinished; the report says how many)")
        if unfinished:
            lay.addWidget(self.unfinished)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(640, 140)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export into", self.folder.text())
        if path:
            self.folder.setText(path)


def export(store_path: Path, out_dir: Path, pseudonymise: bool, keep_comments: bool = False) -> str:
    """Run the exporter; returns the sentence for the status bar (errors raise LesionlabError)."""
    from analysis.response_store import patient_response_rows
    from annotation.export import export_store

    result = export_store(store_path, out_dir, pseudonymise=pseudonymise, keep_comments=keep_comments,
                          responses=patient_response_rows)
    text = (f"exported {result.n_patients} patient(s), {result.n_measurement_rows} measurement rows,"
            f" {result.n_count_rows} count rows to {out_dir}")
    if result.n_not_kept:  # the line is on screen, dashed: its absence said (review49c)
        n = result.n_not_kept
        text += (f"; {n} one-click suggestion{'s' if n > 1 else ''} not kept yet left out (Enter keeps one shown, "
                 "then export again)")
    return text + (f"; pseudonymisation key: {result.key_file}" if result.key_file else "")


class AnalysisJob(QObject):
    """``lesionlab analyze STORE --out DIR`` in a thread. Signals: ``done(result, out)``, ``failed(msg)``, and of a
    reader study's store analysed with images, before the analysis: ``images_checked(cases, cases without images)``
    (tuples of the study's case codes)."""

    done = Signal(object, str)
    failed = Signal(str)
    images_checked = Signal(object, object)

    def start(self, store_path: Path, out_dir: Path, dicom: str | None = None,
              include_unfinished: bool = False) -> threading.Thread:
        t = threading.Thread(target=self._run, args=(store_path, out_dir, dicom, include_unfinished), name="analysis",
                             daemon=True)
        t.start()
        return t

    def _run(self, store_path: Path, out_dir: Path, dicom: str | None, include_unfinished: bool) -> None:
        try:
            from analysis.inputs import load_analysis_store
            from analysis.pipeline import run_analysis

            # a reader study's store: one read per study reader, as `lesionlab analyze STORE --dicom DICOM
            # [--include-unfinished]` gives it
            cohort = load_analysis_store(store_path, dicom=dicom, include_unfinished=include_unfinished)
            if dicom is not None and cohort.study_cases:
                self.images_checked.emit(cohort.study_cases, cohort.cases_without_images)
            result = run_analysis(cohort, out_dir)
        except LesionlabError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported in the one error dialog
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(result, str(out_dir))


def _table(frame: Any) -> QTableWidget:
    import pandas as pd

    rows, cols = frame.shape
    t = QTableWidget(rows, cols)
    t.setHorizontalHeaderLabels([str(c) for c in frame.columns])
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.verticalHeader().setVisible(False)
    for r, values in enumerate(frame.itertuples(index=False)):
        for c, value in enumerate(values):
            missing = not isinstance(value, (list, tuple)) and bool(pd.isna(value))
            text = "" if missing else (f"{value:.4g}" if isinstance(value, float) else str(value))
            item = QTableWidgetItem(text)
            if isinstance(value, numbers.Number):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            t.setItem(r, c, item)
    t.resizeColumnsToContents()
    return t


class AnalysisDialog(QDialog):
    """The analysis' tables (one tab each), its plots (one tab), and a button to open report.html."""

    def __init__(self, result: Any, out_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Analysis — {out_dir}")
        self.out_dir = out_dir
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(result.summary))
        self.tabs = QTabWidget()
        names = [n for n in SHOWN_FIRST if n in result.tables] + [n for n in result.tables if n not in SHOWN_FIRST]
        for name in names:
            self.tabs.addTab(_table(result.tables[name]), name)
        plots = QWidget()
        plot_lay = QVBoxLayout(plots)
        for _name, (png, caption) in result.plots.items():
            pix = QPixmap()
            pix.loadFromData(png, "PNG")
            image = QLabel()
            image.setPixmap(pix.scaledToWidth(min(pix.width(), 900), Qt.TransformationMode.SmoothTransformation))
            plot_lay.addWidget(image)
            text = QLabel(caption)
            text.setWordWrap(True)
            plot_lay.addWidget(text)
        scroll = QScrollArea()
        scroll.setWidget(plots)
        self.tabs.addTab(scroll, "plots")
        lay.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        report = buttons.addButton("Open report.html", QDialogButtonBox.ButtonRole.ActionRole)
        report.clicked.connect(self.open_report)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        resize_within_screen(self, 1100, 760)

    def open_report(self) -> bool:
        """The report in the system browser; where there is none, in the application (never silently nothing)."""
        path = self.out_dir / "report.html"
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            return True
        self.report_view = ReportView(path, self)
        self.report_view.show()
        return False


class ReportView(QDialog):
    """report.html shown in the application when no browser opens it."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QTextBrowser

        super().__init__(parent)
        self.setWindowTitle(f"Report — {path}")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"No web browser opened {path}; it is shown here (images and tables included)."))
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(path.parent)])
        try:
            self.browser.setHtml(path.read_text(encoding="utf-8"))
        except OSError as exc:
            self.browser.setPlainText(f"cannot read {path}: {exc.strerror or exc}")
        lay.addWidget(self.browser, 1)
        resize_within_screen(self, 1000, 800)


#: Why a blinded study case refuses File -> Export, Analysis and the SR actions (a researcher's check: Ctrl+E in
#: a case wrote every reader's reads, the patients' ids and names and their clinical data).
BLINDED_EXPORT = ("a blinded study case is on screen: an export or analysis of the study store holds every reader's "
                  "reads and the patients' ids")
BLINDED_EXPORT_ADVICE = "the study's coordinator exports: lesionlab study reads STORE ..., then lesionlab export"


class ExportActions(QObject):
    """File -> Export and Analysis -> Run on the open reading project. Signal ``analysis_done(out_dir)``."""

    analysis_done = Signal(str)

    def __init__(self, parent: QWidget, session: Any, say: Any, show_error: Any, tell: Any,
                 blinded: Callable[[], bool] = lambda: False,
                 image_folders: Callable[[], Mapping[str, Iterable[StackInfo]]] = dict) -> None:
        super().__init__(parent)
        self.parent_widget, self.session, self.say, self.show_error = parent, session, say, show_error
        #: whether a blinded study case is on screen (WorkstationState.blinded): nothing of the store leaves then
        self.blinded = blinded
        #: the folders (DICOMDIRs, zips) the window has indexed -> their stacks, in the order opened
        self.image_folders = image_folders
        #: per reader study's store: the image folder the researcher gave when none open held the study (None:
        #: declined), so it is asked once
        self._given_images: dict[str, str | None] = {}
        #: the folder the researcher gave for a store (store, folder), kept once its analysis found every case's CT and
        #: MRI in it (the analysis' thread indexes it: indexing it here held the window minutes on a real study)
        self._images_given: tuple[str, str] | None = None
        #: news of a job done (the analysis): after what the reader's last action said, not over it
        self.tell = tell
        self._analysis: AnalysisJob | None = None
        self.last_dialog: AnalysisDialog | None = None

    def _store_path(self) -> Path:
        if self.blinded():
            raise LesionlabError(BLINDED_EXPORT, advice=BLINDED_EXPORT_ADVICE)
        if self.session.store is None:
            raise LesionlabError("no reading project is open", advice="File -> Open reading project")
        if self.session.path is None:
            raise LesionlabError("export and analysis from the window take a .lesionlab file", where=self.session.location,
                                 advice="run lesionlab export URL --out DIR (or lesionlab analyze URL --out DIR)")
        return Path(self.session.path)

    def ask_export(self) -> None:
        from app.reading_session import data_dir

        src = self._store_path()
        dialog = ExportDialog(data_dir() / "exports" / src.stem, self.parent_widget)
        if dialog.exec():
            self.export_to(Path(dialog.folder.text()), dialog.pseudonymise.isChecked(),
                           dialog.pseudonymise.isChecked() and dialog.keep_comments.isChecked())

    def export_to(self, out_dir: str | Path, pseudonymise: bool = False, keep_comments: bool = False) -> None:
        try:
            self.say(export(self._store_path(), Path(out_dir), pseudonymise, keep_comments))
        except OSError as exc:  # a folder that is a file, not writable, a full disk...
            raise LesionlabError(f"the export failed: {exc.strerror or exc}", where=str(out_dir),
                                 advice="choose another, writable folder") from None

    def ask_analysis(self) -> None:
        """Ask where the analysis goes (the data folder proposed), then run it."""
        from app.reading_session import data_dir

        from analysis.study_pairing import study_image_uids

        src = self._store_path()
        # read once: the dialog's offer and the images the analysis needs (it loads the store in the window's thread)
        needed = study_image_uids(src)
        dialog = ExportDialog(data_dir() / "analysis" / src.stem, self.parent_widget, title="Run the analysis",
                              text="Tables, paired tests, plots and report.html of the reading project go into:",
                              pseudonymise=False, unfinished=needed is not None)
        if dialog.exec():
            self.run_analysis(Path(dialog.folder.text()), include_unfinished=dialog.unfinished.isChecked(),
                              needed=needed)

    def study_images(self, src: Path, needed: frozenset[str] | None | EllipsisType = ...) -> str | None:
        """The image folder that pairs a reader study's lesions across sessions (`analyze STORE --dicom PATH`): the
        last opened folder holding the CT and MRI of every case, else the one the researcher gives (asked once per
        store; one that lacks a case's CT or MRI is used for this analysis only, said, and asked for again the next
        time; None: not a study's store, or declined). Without it the window's analysis paired no lesion of one
        session with one of another (said only in a note), where `analyze --dicom` pairs them. ``needed``: the
        study's image UIDs when already read (:func:`analysis.study_pairing.study_image_uids`; ``...``: read here)."""
        from analysis.study_pairing import study_image_uids

        self._images_given = None
        if needed is ...:
            needed = study_image_uids(src)
        if needed is None:
            return None
        for folder, stacks in reversed(list(self.image_folders().items())):
            if needed <= {s.study_instance_uid for s in stacks}:
                return folder
        key = str(src)
        if key in self._given_images:
            return self._given_images[key]
        chosen = QFileDialog.getExistingDirectory(
            self.parent_widget, f"The images of the reader study in {src.name}: pairs each reader's lesions "
                                "across sessions (Cancel: none paired)")
        if not chosen:
            self._given_images[key] = None  # declined: not asked again
            return None
        # kept for this store once the analysis finds every case's CT and MRI in it (:meth:`_images_checked`); a wrong
        # folder stayed the store's until the window was closed (session 40's closing note)
        self._images_given = (key, chosen)
        return chosen

    def _images_checked(self, cases: tuple[str, ...], missing: tuple[str, ...]) -> None:
        """The analysis' word on the folder the researcher gave: kept for the store when it holds every case's CT and
        MRI, else said, and asked for again at the next analysis."""
        given, self._images_given = self._images_given, None
        if given is None:
            return
        key, folder = given
        if not missing:
            self._given_images[key] = folder  # kept: not asked again for this store
            return
        self.say(f"{folder} lacks the CT or MRI of {len(missing)} of the study's {len(cases)} case(s): used this once, "
                 "asked for again at the next analysis …", hold=False)

    def run_analysis(self, out_dir: str | Path, include_unfinished: bool = False,
                     needed: frozenset[str] | None | EllipsisType = ...) -> None:
        """Analyse the open project into ``out_dir`` in a thread (of a reader study's store with its images:
        :meth:`study_images`, ``needed`` passed on; ``include_unfinished``: its case reads not finished too)."""
        src = self._store_path()
        out = Path(out_dir)
        dicom = self.study_images(src, needed)
        self._analysis = AnalysisJob(self)
        self._analysis.done.connect(self._analysed)
        self._analysis.failed.connect(self.show_error)
        self._analysis.images_checked.connect(self._images_checked)
        self.say(f"analysing {src.name} into {out}" + (f" with the images in {dicom}" if dicom else "")
                 + (" (case reads not finished included)" if include_unfinished else "") + " …",
                 hold=False)  # a progress: the result replaces it
        self._analysis.start(src, out, dicom, include_unfinished)

    def _analysed(self, result: Any, out_dir: str) -> None:
        self.tell(f"{result.summary} Written to {out_dir}.")
        self.last_dialog = AnalysisDialog(result, Path(out_dir), self.parent_widget)
        self.last_dialog.show()
        self.analysis_done.emit(out_dir)
