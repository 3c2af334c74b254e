"""File -> Export DICOM SR…, Import DICOM SR…, Query/retrieve from PACS…: thin Qt slots over the
Qt-free logic (annotation/sr_export.py, annotation/sr_import.py, viewer/interop/pacs.py).

:func:`install_sr_actions` is the one hook app/menus.py calls; it finds what it needs on the
window (``session``, ``state.say``, ``show_error``, ``open_path``) and adds nothing when the
window has no reading session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QWidget

from viewer.errors import LesionlabError


class SrActions(QObject):
    """The SR and PACS actions of one window; the ``*_to`` / ``*_from`` methods do the work (tests call them)."""

    def __init__(self, parent: QWidget, session: Any, say: Callable[[str], None],
                 open_path: Callable[[str], object] | None = None, current_folder: Callable[[], str] | None = None,
                 blinded: Callable[[], bool] = lambda: False) -> None:
        super().__init__(parent)
        self.parent_widget, self.session, self.say = parent, session, say
        self.blinded = blinded  # a blinded study case on screen: no SR leaves the store nor enters it
        self.open_path, self.current_folder = open_path, current_folder
        self.pacs_dialog: Any = None

    def _store(self) -> str:
        if self.blinded():
            from app.export_analysis import BLINDED_EXPORT, BLINDED_EXPORT_ADVICE
            raise LesionlabError(BLINDED_EXPORT.replace("an export or analysis", "an SR export or import"),
                                 advice=BLINDED_EXPORT_ADVICE)
        if self.session.store is None:
            raise LesionlabError("no reading project is open", advice="File -> Open reading project")
        return str(self.session.location)

    # ------------------------------------------------------------------ export
    def ask_export_sr(self) -> None:
        self._store()
        folder = QFileDialog.getExistingDirectory(self.parent_widget, "Export DICOM SR into")
        if folder:
            self.export_sr_to(folder)

    def export_sr_to(self, out_dir: str | Path) -> Any:
        from annotation.dicom_context import load_contexts
        from annotation.sr_export import export_project_sr

        self._store()
        # the window holds the store open: its project and the store's DICOM context
        result = export_project_sr(self.session.reading.project, load_contexts(self.session.store), out_dir)
        text = (f"wrote {len(result.files)} DICOM SR file(s) into {out_dir}: {result.n_lengths} length(s), "
                f"{result.n_statuses} not visible / not measurable")
        if result.skipped:
            text += f"; {len(result.skipped)} not written (first: {result.skipped[0]})"
        if result.others:
            text += f"; {result.others_said(out_dir)}"
        self.say(text)
        return result

    # ------------------------------------------------------------------ import
    def ask_import_sr(self) -> None:
        self._store()
        files, _ = QFileDialog.getOpenFileNames(self.parent_widget, "Import DICOM SR", "", "DICOM (*.dcm);;All files (*)")
        if not files:
            return
        start = self.current_folder() if self.current_folder is not None else ""
        folder = QFileDialog.getExistingDirectory(self.parent_widget, "The studies the SRs measure", start)
        if folder:
            self.import_sr_from(files, folder)

    def import_sr_from(self, files: Sequence[str | Path], dicom: str | Path) -> Any:
        """Import into the open reading, as its reader (one undoable edit per file)."""
        from annotation.sr_import import import_into

        reading = self.session.reading
        # an exam the project lacks is added here by opening it (the session then holds it for this window's edits)
        result = import_into(lambda _who: reading, dicom, list(files), reader=reading.reader, add_exams=False,
                             no_exam_advice="open the exam in the browser first: it is added to the project then")
        text = (f"imported {result.files} of {len(files)} SR file(s): {result.lesions_added} new lesion(s), "
                f"{result.measurements} measurement(s), {result.statuses} not visible / not measurable")
        problems = [*result.refused, *result.not_understood]
        if problems:
            text += f"; {len(problems)} item(s) not imported (first: {problems[0]})"
        self.say(text)
        return result

    # ------------------------------------------------------------------ PACS
    def show_pacs(self) -> None:
        from app.pacs_dialog import PacsDialog

        if self.pacs_dialog is None:  # one dialog: a second one retrieved beside the first, and was not stopped at close
            self.pacs_dialog = PacsDialog(self.parent_widget, on_retrieved=self._retrieved)
        self.pacs_dialog.show()
        self.pacs_dialog.raise_()
        self.pacs_dialog.activateWindow()

    def stop(self) -> None:
        """The window closes: a retrieve under way is stopped and waited for, nothing opened afterwards."""
        if self.pacs_dialog is not None:
            self.pacs_dialog.stop()

    def _retrieved(self, folder: str) -> None:
        self.say(f"retrieved into {folder}")
        if self.open_path is not None:
            self.open_path(folder)


def install_sr_actions(window: QMainWindow, file_menu: QMenu, before: QAction | None,
                       run: Callable[[Callable[[], object], bool], None]) -> dict[str, QAction]:
    """Add the three items to File (before ``before``); returns them by id."""
    session = getattr(window, "session", None)
    state = getattr(window, "state", None)
    if session is None or state is None:
        return {}

    def folder() -> str:
        recent = getattr(window, "recent", None)
        paths = getattr(recent, "paths", []) if recent is not None else []
        return str(paths[0]) if paths else ""

    sr = SrActions(window, session, state.say, getattr(window, "open_path", None), folder,
                   blinded=lambda: bool(state.blinded))
    window.sr_actions = sr  # type: ignore[attr-defined]  # tests and scripts reach the logic here
    found: dict[str, QAction] = {}
    for key, text, fn in (("export_sr", "Export DICOM SR…", sr.ask_export_sr),
                          ("import_sr", "Import DICOM SR…", sr.ask_import_sr),
                          ("pacs", "Query/retrieve from PACS…", sr.show_pacs)):
        act = QAction(text, window)
        act.triggered.connect(lambda _=False, f=fn: run(f, False))
        if before is not None:
            file_menu.insertAction(before, act)
        else:
            file_menu.addAction(act)
        found[key] = act
    return found
