"""The reading workstation's main window: study browser, six-cell reading grid, reading docks.

Thin by design (STYLE.md): viewer state lives in :class:`viewer.model.reading.ReadingModel`, the
role corrections and recent studies in :mod:`viewer.model.settings`, the reading project in
:class:`app.reading_session.ReadingSession`. The jobs around them have their own modules:
menus and toolbar (:mod:`app.menus`), reading docks (:mod:`app.docks`), tools, store flow,
export and analysis (:mod:`app.reading_controller`). Slots here gather input, call the models,
and show errors in one place (:meth:`show_error`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu, QMessageBox, QProgressBar,
                               QWidget)

from annotation.records import NotMeasurable, NotVisible
from annotation.vocab import Lobe
from app.browser import StudyBrowser
from app.docks import ReadingDocks
from viewer.errors import LesionlabError
from app.menus import build_menus, build_toolbar
from app.pair_dialog import PairChooser, ShortcutsDialog
from app.reading_controller import ReadingController
from app.reading_session import ReadingSession
from app.reading_settings import ReaderName, recent_stores
from viewer.display import Preset
from viewer.model.layout import role_label
from viewer.model.reading import ReadingModel
from viewer.model.settings import RecentStudies, RoleOverrides
from viewer.qt.grid import ReadingGrid
from viewer.qt.loading import VolumeLoads, connect_loading, default_loader
from viewer.records import IndexResult, Role, StackInfo
from viewer.studies import ExamPair, Patient, group_studies

PAGE_SLICES = 10


class IndexJob(QObject):
    """Runs ``index_path`` in a thread. Signals: ``progress(done, total)``, ``done(path, IndexResult)``, ``failed(msg)``."""

    progress = Signal(int, int)
    done = Signal(str, object)
    failed = Signal(str)

    def start(self, path: str) -> None:
        threading.Thread(target=self._run, args=(path,), name="index", daemon=True).start()

    def _run(self, path: str) -> None:
        from viewer.index import index_path

        try:
            result = index_path(path, progress=lambda d, t: self.progress.emit(d, t))
        except LesionlabError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported in the one error dialog
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(path, result)


class MainWindow(QMainWindow):
    """Signals: ``listed(IndexResult)`` once a path is indexed and shown in the browser."""

    listed = Signal(object)

    def __init__(self, *, overrides: RoleOverrides | None = None, recent: RecentStudies | None = None,
                 loader_factory: Callable[[StackInfo], Any] = default_loader, reader: ReaderName | None = None,
                 stores: RecentStudies | None = None) -> None:
        """``reader`` and ``stores`` (recent reading projects) default to the reader's settings files."""
        super().__init__()
        self.setWindowTitle("lesionlab")
        self.overrides = overrides if overrides is not None else RoleOverrides()
        self.recent = recent if recent is not None else RecentStudies()
        self.reading = ReadingModel(role_of=self.overrides.role_of)
        self.loads = VolumeLoads(loader_factory, self)
        connect_loading(self.reading, self.loads)
        self.loads.failed.connect(lambda key, msg: self.show_error(f"cannot load stack {key}: {msg}"))
        self.loads.progress.connect(self._load_progress)
        self.grid = ReadingGrid(self.reading, self)
        self.grid.stack_dropped.connect(self._stack_dropped)
        self.grid.context_requested.connect(self._cell_menu)
        self.setCentralWidget(self.grid)
        self.browser = StudyBrowser(self.overrides, self)
        self.browser.pair_chosen.connect(self.open_pair)
        self.browser.more_pairs.connect(self.choose_pair)
        self.browser.stack_menu.connect(lambda stack, pos: self._role_menu(stack).exec(pos))
        self.dock = QDockWidget("Studies", self)
        self.dock.setObjectName("studies")
        self.dock.setWidget(self.browser)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [400], Qt.Orientation.Horizontal)
        self.status = QLabel("Open a folder, DICOMDIR or zip (Ctrl+O), or drop it here")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.index_result: IndexResult | None = None
        self.patients: list[Patient] = []
        self.pair: ExamPair | None = None
        self._index_job = IndexJob(self)
        self._index_job.progress.connect(self._index_progress)
        self._index_job.done.connect(self.show_index)
        self._index_job.failed.connect(lambda msg: (self.progress.hide(), self.show_error(msg)))
        self.actions_by_id: dict[str, QAction] = {}
        self.docks = ReadingDocks(self, self.dock)
        reader = reader if reader is not None else ReaderName()
        self.session = ReadingSession(reader.name or reader.guess())
        self.controller = ReadingController(self, self.session, reader, stores if stores is not None else recent_stores())
        self.actions_by_id = build_menus(self, self.handlers())
        self.toolbar = build_toolbar(self, self.actions_by_id)
        self.controller._edited(None)
        self.resizeDocks([self.docks.lesions_dock], [235], Qt.Orientation.Vertical)
        self.overrides.changed.connect(lambda *_: self.reading.hanging.rehang())
        self.setAcceptDrops(True)
        self.resize(1600, 1000)

    # ------------------------------------------------------------------ actions
    def handlers(self) -> dict[str, Callable[[], object]]:
        """Action id (app.shortcuts) -> what it does."""
        r = self.reading

        def active() -> Any:
            return r.active

        def grid(rows: int, cols: int) -> Callable[[], None]:
            return lambda: r.layout.set_grid(rows, cols)

        c = self.controller
        return {
            "open_folder": self.ask_open_folder, "open_file": self.ask_open_file, "quit": self.close,
            "export": c.ask_export, "analysis": lambda: c.run_analysis(),
            "undo": lambda: c.reading.undo(), "redo": lambda: c.reading.redo(),
            "tool_line": lambda: c.set_tool("line"), "tool_count": lambda: c.set_tool("count"),
            "tool_window": lambda: c.set_tool("window_level"),
            "new_lesion": c.new_lesion, "next_lesion": lambda: c.step_lesion(1), "previous_lesion": lambda: c.step_lesion(-1),
            "lobe_right": lambda: c.set_lobe(Lobe.RIGHT), "lobe_left": lambda: c.set_lobe(Lobe.LEFT),
            "not_visible": lambda: c.set_status(NotVisible()), "not_measurable": lambda: c.set_status(NotMeasurable()),
            "uncountable": c.toggle_uncountable, "delete_selected": c.delete_selected,
            "choose_pair": lambda: self.choose_pair(self.browser.selected_patient()),
            "toggle_browser": lambda: self.dock.setVisible(not self.dock.isVisible()),
            "next_slice": lambda: active().next_slice(1), "previous_slice": lambda: active().next_slice(-1),
            "page_down": lambda: active().next_slice(PAGE_SLICES), "page_up": lambda: active().next_slice(-PAGE_SLICES),
            "first_slice": lambda: active().first(), "last_slice": lambda: active().last(),
            "cine": r.toggle_cine,
            "preset_ct_abdomen": lambda: r.apply_preset(Preset.CT_ABDOMEN),
            "preset_ct_liver": lambda: r.apply_preset(Preset.CT_LIVER),
            "preset_ct_bone": lambda: r.apply_preset(Preset.CT_BONE),
            "preset_auto": lambda: r.apply_preset(Preset.AUTO),
            "invert": lambda: active().toggle_invert(), "fit": lambda: active().fit(), "reset": lambda: active().reset(),
            "toggle_overlays": self._toggle_overlays,
            "maximise": lambda: r.layout.toggle_maximise(),
            "next_cell": lambda: self._step_cell(1), "previous_cell": lambda: self._step_cell(-1),
            "grid_1x1": grid(1, 1), "grid_1x2": grid(1, 2), "grid_2x2": grid(2, 2), "grid_2x3": grid(2, 3),
            "grid_3x3": grid(3, 3), "swap_adc": r.swap_dwi_adc,
            "link_all": self._link_all, "toggle_link": r.toggle_link_active,
            "clear_links": lambda: (r.link.clear_reader_links(), self.status.setText("reader-made links cleared")),
            "crosshair": lambda: self.grid.set_crosshair_mode(not self.grid.crosshair_mode),
            "shortcuts": lambda: ShortcutsDialog(self).exec(),
        }

    def run(self, fn: Callable[[], object], *, quiet: bool = False) -> None:
        """Run an action; its refusal goes to the error dialog (to the status bar only when ``quiet``)."""
        try:
            fn()
        except LesionlabError as exc:
            if quiet:
                self.status.setText(f"⚠ {exc}")
            else:
                self.show_error(str(exc))

    def show_error(self, message: str) -> None:
        """The one place errors reach the reader."""
        self.status.setText(f"⚠ {message}")
        QMessageBox.warning(self, "lesionlab", message)

    def _toggle_overlays(self) -> None:
        on = not self.grid.viewports[0].show_overlays
        for w in self.grid.viewports:
            w.show_overlays = on
            w.update()

    def _step_cell(self, step: int) -> None:
        cells = [c for c, _, _ in self.reading.layout.visible_cells()]
        i = cells.index(self.reading.layout.active) if self.reading.layout.active in cells else 0
        self.reading.activate(cells[(i + step) % len(cells)])
        self.grid.active_widget.setFocus()

    def _link_all(self) -> None:
        how = self.reading.link_all()
        by = {"point": "by the reference points (3D)", "slice": "by slice position"}
        detail = "; ".join(sorted({by[h] for h in how.values()})) or "same frame of reference"
        self.status.setText(f"linked to {role_label(self.reading.active.role)}: {detail}")

    # ------------------------------------------------------------------ opening
    def ask_open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a DICOM folder")
        if path:
            self.open_path(path)

    def ask_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a DICOMDIR or zip", "", "DICOMDIR or zip (DICOMDIR *.zip);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> None:
        """Index ``path`` in the background; the browser fills when done (``listed``)."""
        self.status.setText(f"indexing {path} …")
        self.progress.setRange(0, 0)
        self.progress.show()
        self._index_job.start(str(path))

    def _index_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def show_index(self, path: str, result: IndexResult) -> None:
        """List an index in the browser (from the background job, or one computed before the window)."""
        self.progress.hide()
        self.index_result = result
        self.patients = group_studies(result.stacks)
        self.browser.set_patients(self.patients)
        self.recent.add(path)
        self.controller.offer_stores_in(path)
        n_pairs = len(self.browser.pair_items())
        self.status.setText(f"{path}: {len(self.patients)} patient(s), {len(result.stacks)} stacks, {n_pairs} exam pair(s)"
                            + (f", {len(result.skipped)} file(s) skipped" if result.skipped else ""))
        self.listed.emit(result)

    def choose_pair(self, patient: Patient | None) -> None:
        if patient is None:
            return
        dialog = PairChooser(patient, self)
        if dialog.exec() and dialog.chosen is not None:
            self.open_pair(dialog.chosen)

    def open_pair(self, pair: ExamPair) -> None:
        self.pair = pair
        self.loads.keep_only(s.key for s in pair.stacks)
        self.reading.open_stacks(pair.stacks)
        self.controller.pair_opened(pair)
        self.reading.activate(0)
        self.grid.active_widget.setFocus()
        missing = self.reading.hanging.missing_roles()
        self.setWindowTitle(f"lesionlab — {pair.ct.patient_id}: {pair.label}")
        self.status.setText(f"reading {pair.label}" + (f"; missing: {', '.join(role_label(r) for r in missing)}" if missing else "")
                            + (f"  ⚠ {pair.warning}" if pair.warning else ""))

    def _load_progress(self, key: str, done: int, total: int) -> None:
        if done < total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.show()
        elif not self.loads.busy():
            self.progress.hide()

    # ------------------------------------------------------------------ cells and roles
    def _all_stacks(self) -> list[StackInfo]:
        return list(self.index_result.stacks) if self.index_result else list(self.reading.hanging.stacks)

    def _stack_dropped(self, cell: int, key: str) -> None:
        stack = next((s for s in self._all_stacks() if s.key == key), None)
        if stack is not None:
            self.reading.drop_stack(cell, stack)
            self.reading.activate(cell)

    def _role_menu(self, stack: StackInfo) -> QMenu:
        menu = QMenu(f"Role of “{stack.series_description}”", self)
        group = QActionGroup(menu)
        current = self.overrides.role_of(stack)
        for role in Role:
            act = menu.addAction(role_label(role), lambda r=role: self.overrides.set(stack.key, r))
            act.setCheckable(True)
            act.setChecked(role is current)
            group.addAction(act)
        menu.addSeparator()
        back = menu.addAction(f"Back to the indexer's role ({role_label(stack.role)})",
                              lambda: self.overrides.set(stack.key, None))
        back.setEnabled(self.overrides.get(stack.key) is not None)
        return menu

    def _cell_menu(self, cell: int, pos: object) -> None:
        self.reading.activate(cell)
        menu = QMenu(self)
        stack = self.reading.hanging.cells[cell].stack
        if stack is not None:
            menu.addMenu(self._role_menu(stack))
            menu.addSeparator()
        for action_id in ("preset_ct_abdomen", "preset_ct_liver", "preset_ct_bone", "preset_auto", "invert", "reset",
                          None, "toggle_link", "link_all", "crosshair", None, "maximise", "swap_adc"):
            if action_id is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions_by_id[action_id])
        menu.exec(pos)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ drag and drop of folders
    def dragEnterEvent(self, ev: Any) -> None:
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev: Any) -> None:
        urls = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0])
            ev.acceptProposedAction()

    def closeEvent(self, ev: Any) -> None:
        self.loads.cancel_all()
        self.session.close()
        super().closeEvent(ev)

    def cell_widget(self, cell: int) -> QWidget:
        return self.grid.viewports[cell]
