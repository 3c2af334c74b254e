"""The reading workstation's main window: study browser, six-cell reading grid, reading docks.

Thin by design (STYLE.md): the state is :class:`app.workstation.WorkstationState` (exam pair,
cells, tool, lobe, overlays, reader, status), the commands are Qt-free functions
(:mod:`app.reading_commands`), the store questions :class:`app.store_flow.StoreFlow`, the layers
and tools :class:`app.reading_view.ReadingView`, export and analysis
:class:`app.export_analysis.ExportActions`. This module composes them, binds keys to commands
and shows errors in one place (:meth:`show_error`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMainWindow, QMenu, QMessageBox

from annotation.placement import images_of, missing_text, slice_of
from annotation.reading import EditKind, ReadingEvent
from annotation.records import CountMark, NotMeasurable, NotVisible
from annotation.vocab import Lobe
from app import reading_commands as cmd
from app.alignment_job import AlignmentJob
from app.browser import PAYLOAD, StudyBrowser
from app.docks import FEATURES as DOCK_FEATURES
from app.docks import ReadingDocks
from app.status_label import ElidedLabel, StatusProgress
from app.export_analysis import ExportActions
from app.followup_view import FollowUpCompare
from app.last_session import LastSession, active_key, slices_of
from app.lesion_keys import LesionKeys
from app.open_edits import commit_open_edits, keep_or_ask, let_go
from app.menus import build_menus, build_toolbar, recent_menu
from app.pair_dialog import PairChooser, ShortcutsDialog
from app.reading_session import ReadingSession
from app.reading_settings import ReaderName, recent_stores
from app.reading_view import ReadingView
from app.shortcuts import USER_FILE, Shortcut, load_user_keys
from app.store_flow import STORE_LABEL_LEAST, STORE_LABEL_MAX, StoreFlow
from app.study_dialog import StudyUi
from app.typing_guard import TypingGuard, takes_typing, typed_into
from app.view_settings import ViewSettings
from app.suggester import DWI_T2FS_ADDED_MM, DWI_T2FS_RIM_ADDED_MM, install as install_suggester
from app.suggester import offered_series
from app.workstation import ToolMode, WorkstationState
from app.window_layout import LAYOUT_VERSION, ImagesShare, WindowLayout
from viewer.display import PRESET_LABELS, Preset
from viewer.errors import LesionlabError, StoreError, without_paths
from viewer.model.layout import back_to_exam, role_label
from viewer.qt.overlay import zoom_shown
from viewer.model.reading import ReadingModel
from viewer.model.settings import RecentStudies, RoleOverrides, config_dir
from viewer.qt.grid import ReadingGrid
from viewer.qt.loading import VolumeLoads, connect_loading, default_loader
from viewer.records import READING_ROLES, IndexResult, Role, StackInfo
from viewer.index import UID_CONFLICT
from viewer.studies import ExamPair, Patient, group_studies
from viewer.studies_identity import IDENTITY_CONFLICT

log = logging.getLogger(__name__)
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


#: The tool keys' actions (the toolbar's checked button follows the tool; each says its shortcut's description).
TOOL_ACTIONS: dict[ToolMode, str] = {ToolMode.WINDOW_LEVEL: "tool_window", ToolMode.LINE: "tool_line",
                                     ToolMode.COUNT: "tool_count", ToolMode.BOUNDARY: "tool_boundary",
                                     ToolMode.SHORT_AXIS: "tool_short_axis"}


def _cells(n: int, kind: str = "") -> str:
    """"1 cell", "4 MR cells" (a reader's check read "4 cell(s)")."""
    return f"{n} {kind + ' ' if kind else ''}cell{'s' if n != 1 else ''}"


class MainWindow(QMainWindow):
    """Signals: ``listed(IndexResult)`` once a path is indexed and shown in the browser."""

    listed = Signal(object)

    def __init__(self, *, overrides: RoleOverrides | None = None, recent: RecentStudies | None = None,
                 loader_factory: Callable[[StackInfo], Any] = default_loader, reader: ReaderName | None = None,
                 stores: RecentStudies | None = None, last: LastSession | None = None,
                 shortcuts: tuple[Shortcut, ...] | None = None, layout: WindowLayout | None = None) -> None:
        """``reader``, ``stores`` (recent reading projects), ``last`` (where the reader left), ``shortcuts`` and
        ``layout`` (where the panels were) default to the reader's settings files."""
        super().__init__()
        self.setWindowTitle("lesionlab")
        self.overrides = overrides if overrides is not None else RoleOverrides()
        self.recent = recent if recent is not None else RecentStudies()
        self.view_settings = ViewSettings()
        self.reading = ReadingModel(role_of=self.overrides.role_of)
        self._indexing = 0  # index jobs running (the progress bar shows them too)
        self.loads = VolumeLoads(loader_factory, self)
        connect_loading(self.reading, self.loads)
        self.loads.failed.connect(self._load_failed)
        self.loads.progress.connect(self._load_progress)
        # the bar goes when the last load has ended: a job's final progress can arrive while it still counts
        # as running, and a cancelled job sends none (a reader's check saw "3%" standing after loading)
        self.loads.finished.connect(self._progress_if_busy)
        self.loads.failed.connect(self._progress_if_busy)
        self.align_job = AlignmentJob(self)
        self.align_job.done.connect(self._aligned)
        self.align_job.failed.connect(self._align_failed)
        self._align_wanted: tuple[str, str] | None = None  # stack keys (CT, MRI) to register once loaded
        self.loads.progress.connect(self._maybe_align)
        self.compare_job = AlignmentJob(self)
        self.grid = ReadingGrid(self.reading, self)
        self.grid.stack_dropped.connect(self._stack_dropped)
        self.grid.context_requested.connect(self._cell_menu)
        self.setCentralWidget(self.grid)
        self.browser = StudyBrowser(self.overrides, self)
        self.browser.pair_chosen.connect(lambda pair: self.run(lambda: self._open_from_browser(pair)))
        self.browser.more_pairs.connect(lambda patient: self.run(lambda: self.choose_pair(patient)))
        self.browser.stack_chosen.connect(lambda stack: self.run(lambda: self.show_stack(self.reading.layout.active, stack)))
        self.browser.stack_menu.connect(lambda stack, pos: self._role_menu(stack).exec(pos))
        self.dock = QDockWidget("Studies", self)
        self.dock.setObjectName("studies")
        self.dock.setWidget(self.browser)
        self.dock.setFeatures(DOCK_FEATURES)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [400], Qt.Orientation.Horizontal)
        self.status = ElidedLabel("Open a folder, DICOMDIR or zip (Ctrl+O), or drop it here")
        self.progress = StatusProgress()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.status.setContentsMargins(0, 0, 12, 0)  # cut with "…" at the window's width, whole on hover
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.index_results: dict[str, IndexResult] = {}
        self._identity_said: set[str] = set()  # identity / UID conflicts already shown in a dialog
        self.patients: list[Patient] = []
        self._index_job = IndexJob(self)
        self._index_job.progress.connect(self._index_progress)
        self._index_job.done.connect(self.show_index)
        self._index_job.failed.connect(self._index_failed)
        reader = reader if reader is not None else ReaderName()
        self.session = ReadingSession(reader.name or reader.guess())
        # told at once, once per outage, in the dialog: a refused line vanished with a status-bar sentence whose
        # point came after the database URL; shown after the gesture or key that met it has returned
        self.session.unreachable.connect(lambda message: QTimer.singleShot(0, lambda: self.show_error(message)))
        self.state = WorkstationState(self.session, self.reading)
        if self.view_settings.one_click:  # a click with the line tool suggests the diameter (issue 13)
            install_suggester(self.state)
        self.store_flow = StoreFlow(self, self.session, self.state, reader, stores if stores is not None else recent_stores(),
                                    self.show_error)
        self.statusBar().addPermanentWidget(self.store_flow.store_label)
        self.store_flow.label_changed = self.fit_status_bar
        self.progress.shown_or_hidden.connect(lambda: QTimer.singleShot(0, self.fit_status_bar))  # once laid out
        self.reading_view = ReadingView(self.state, self.grid)
        self.grid.cell_pressed.connect(self.state.note_press)
        self.follow_up = FollowUpCompare(self.state, self.reading, lambda: self.patients, self._volume_of,
                                         self.compare_job)
        self.loads.progress.connect(self.follow_up.loaded)
        self.loads.finished.connect(lambda key: cmd.show_pending(self.state, key))
        self.loads.failed.connect(lambda key, _msg: cmd.show_pending(self.state, key, loaded=False))
        self.exports = ExportActions(self, self.session, self.state.say, self.show_error, tell=self.state.tell,
                                     blinded=lambda: self.state.blinded,
                                     image_folders=lambda: {p: r.stacks for p, r in self.index_results.items()})
        self.docks = ReadingDocks(self, self.dock, self.state, self._jump_from_panel)
        self.study_ui = StudyUi(self)
        self.lesion_keys = LesionKeys(self)
        self.store_flow.open_study = self.study_ui.open  # a blinded reader role's store opens as its study
        self.store_flow.study_status = self.study_ui.flow.status_parts
        self.last = last if last is not None else LastSession(config_dir() / LastSession.FILE)
        #: False in a second lesionlab while another keeps the position (it holds this window's project, or the
        #: settings folder's owner lock: LastSession.claim): that session's position and clean flag in ``last`` are
        #: the other window's, left to it (app/cmd_view.after_last_session)
        self.remembers = True
        #: True in a window that left the position to another lesionlab at start: it keeps its own once that one has
        #: quit (a second window never remembered, even after the first had gone: a review, session 43)
        self.remember_when_free = False
        if shortcuts is None:
            shortcuts, problems = load_user_keys(config_dir() / USER_FILE)
            for problem in problems:
                self.state.say(f"⚠ {problem}")
        self.shortcuts = shortcuts
        self.actions_by_id = build_menus(self, self.grid, shortcuts, self.handlers(), self.run, *self._menu_items())
        self.toolbar = build_toolbar(self, self.actions_by_id)
        # a checkbox, ticked while on: the setting is remembered between sessions
        self.one_click_action = self.actions_by_id["toggle_one_click"]
        self.one_click_action.setCheckable(True)
        self.one_click_action.setChecked(self.view_settings.one_click)
        self.state.changed.connect(self._state_changed)
        self._unsubscribe: Callable[[], None] = lambda: None
        #: where the reader left each exam pair read in this session: (patient, CT UID, MRI UID) -> lesion, active
        #: stack, slices (MainWindow.open_pair returns there)
        self._positions: dict[tuple[str, str, str], tuple[str | None, str | None, dict[str, int], Lobe]] = {}
        #: an undo or redo step of another exam pair, said at the first press and taken at the second
        self._armed_replay: tuple[str, str | None, frozenset[tuple[str, str]]] | None = None
        #: (patient, CT study, MRI study) of an exam shown -> its record's key, for when that record is undone
        self._records_shown: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._bind_reading()
        self._state_changed("tool")
        self._state_changed("lobe")
        self.resizeDocks([self.docks.lesions_dock], [250], Qt.Orientation.Vertical)
        self.overrides.changed.connect(lambda key, *_: self._roles_changed(key))
        self.view_settings.apply_to(self.grid.viewports)
        self.typing_guard = TypingGuard(self, self._give_keys_back)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.typing_guard)
        self.setAcceptDrops(True)
        self.resize(1600, 1000)
        self.layout_store = layout if layout is not None else WindowLayout(config_dir() / WindowLayout.FILE)
        self.default_layout = self.saveState(LAYOUT_VERSION)
        #: the panels as they were before Ctrl+Shift+B (images only), None when they are shown
        self._panels_before_images_only: QByteArray | None = None
        #: whether closing keeps the panels' places (not in a scripted run: app/cmd_view.py)
        self.keep_layout = True
        #: whether opening an exam asks the reader's name when none was ever given (not in a scripted run, which
        #: edits nothing and must not wait on a question: app/cmd_view.py)
        self.ask_reader_early = True
        #: the images' share of the window's height, kept when the window's height changes
        self.images_share = ImagesShare(self)
        self.restore_layout()
        #: the first start's size did not fit the screen: shrunk to it, and shown maximised (app/cmd_view.py)
        self.fitted_to_screen = self.layout_store.load_geometry() is None and self._fit_screen()

    # ------------------------------------------------------------------ the panels' places
    @property
    def all_docks(self) -> tuple[QDockWidget, ...]:
        return (self.dock, *self.docks.docks)

    def restore_layout(self, state: Any = None) -> None:
        """The panels where the reader left them (``window_layout.json``), or ``state``; every panel shown, and one
        floating where no screen is now docked again (see app/window_layout.py)."""
        saved = state if state is not None else self.layout_store.load()
        if state is None and (geometry := self.layout_store.load_geometry()) is not None:
            self.restoreGeometry(QByteArray(geometry))  # the window first: the panels were placed round it
        if saved is not None:
            self.restoreState(QByteArray(saved), LAYOUT_VERSION)
            self.docks.place_corners()  # a layout kept before session 48 holds the old corners
        if state is None and (share := self.layout_store.load_images_share()) is not None:
            self.images_share.share = share  # kept at the window's new height, as the panels were placed at the old
        for dock in self.all_docks:
            if dock.isFloating() and QGuiApplication.screenAt(dock.frameGeometry().center()) is None:
                dock.setFloating(False)
            if dock is self.dock and self.state.blinded:
                dock.hide()  # the study browser lists patients by name: never shown in a blinded case (a reader's
                continue     # check: Reset panel layout showed it)
            dock.show()
            if dock.isFloating():
                dock.raise_()  # over the main window, not under it

    def _fit_screen(self) -> bool:
        """A first start (no size kept): the window within the screen's free area when 1600 x 1000 does not fit (on
        a 1366 x 768 laptop the status bar and the lesion grid's buttons lay off the screen, a radiologist's
        check); whether it had to be shrunk."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return False
        free = screen.availableGeometry()
        if self.width() <= free.width() and self.height() <= free.height():
            return False
        self.resize(max(min(self.width(), free.width()), self.minimumSizeHint().width()),
                    max(min(self.height(), free.height()), self.minimumSizeHint().height()))
        self.move(free.topLeft())
        return True

    def reset_layout(self) -> None:
        """View -> Reset panel layout: the panels as a new installation places them."""
        self._panels_before_images_only = None
        self.restore_layout(self.default_layout)
        self.docks.lesions_dock.raise_()
        if not self.state.blinded:
            self.dock.raise_()
        self.layout_store.forget()
        self.state.say("the panels are back in their first places")

    def panels_menu(self) -> QMenu:
        """View -> Panels: each panel shown or hidden (one closed with its x comes back here); the study browser
        not while a blinded case is on screen."""
        menu = QMenu("Panels", self)
        for dock in self.all_docks:
            menu.addAction(dock.toggleViewAction())
        menu.aboutToShow.connect(self._guard_browser_toggle)
        return menu

    def _guard_browser_toggle(self) -> None:
        self.dock.toggleViewAction().setEnabled(not self.state.blinded)

    def createPopupMenu(self) -> QMenu | None:  # noqa: N802 - Qt's name
        """The right-click menu of the toolbar and the panels' title bars (Qt lists every panel there): the study
        browser is not offered while a blinded case is on screen."""
        self._guard_browser_toggle()
        return super().createPopupMenu()

    def _give_keys_back(self, dock: QDockWidget) -> None:
        """A click in a floating panel made it the active window: the reading keys that act on the grid (Page Up and
        Down, the arrows, Enter, Tab...) went dead until an image was clicked (a reader's check). The main window is
        made active again, unless the panel's own text field took the keyboard (the clinical record's), or its table
        typed into (the treatment lines', whichever cell: Del there clears a cell, and given back to the images it
        deleted the line picked on them when the cell clicked was a line's number, as it did not docked)."""
        focus = QApplication.focusWidget()
        if focus is not None and dock.isAncestorOf(focus) and (takes_typing(focus) or typed_into(focus)):
            return
        if dock.isFloating() and QApplication.activeWindow() is dock:
            self.activateWindow()
            self.grid.active_widget.setFocus()

    # ------------------------------------------------------------------ actions
    def handlers(self) -> dict[str, Callable[[], object]]:
        """Action id (app.shortcuts) -> what it does."""
        r, s = self.reading, self.state

        def active() -> Any:
            return r.active

        def grid(rows: int, cols: int) -> Callable[[], None]:
            return lambda: r.layout.choose_grid(rows, cols)

        def tool(mode: ToolMode) -> Callable[[], None]:
            return lambda: self._choose_tool(mode)

        return {
            "open_folder": self.ask_open_folder, "open_file": self.ask_open_file, "quit": self.close,
            "export": self.exports.ask_export, "analysis": self.exports.ask_analysis,
            "undo": lambda: self._replay("undo"), "redo": lambda: self._replay("redo"),
            "tool_line": tool(ToolMode.LINE), "tool_count": tool(ToolMode.COUNT),
            "tool_short_axis": tool(ToolMode.SHORT_AXIS),
            "tool_window": tool(ToolMode.WINDOW_LEVEL), "tool_boundary": tool(ToolMode.BOUNDARY),
            "cancel": self._cancel,
            "new_lesion": lambda: cmd.new_lesion(s), "next_lesion": lambda: cmd.step_lesion(s, 1, self.follow_up.none_yet()),
            "previous_lesion": lambda: cmd.step_lesion(s, -1, self.follow_up.none_yet()),
            "lobe_right": lambda: cmd.set_lobe(s, Lobe.RIGHT), "lobe_left": lambda: cmd.set_lobe(s, Lobe.LEFT),
            "go_on": lambda: cmd.go_on(s),
            "not_visible": lambda: cmd.set_status(s, NotVisible()),
            "not_measurable": lambda: cmd.set_status(s, NotMeasurable()),
            "toggle_one_click": self._toggle_one_click,
            "counted": lambda: cmd.mark_counted(s), "uncountable": lambda: cmd.toggle_uncountable(s),
            "delete_selected": lambda: cmd.delete(s, self.reading_view.pointer_now()),
            "choose_pair": lambda: self.choose_pair(self.browser.selected_patient()),
            "toggle_browser": self._toggle_browser,
            "images_only": self._images_only,
            "next_slice": lambda: active().next_slice(1), "previous_slice": lambda: active().next_slice(-1),
            "page_down": lambda: active().next_slice(PAGE_SLICES), "page_up": lambda: active().next_slice(-PAGE_SLICES),
            "first_slice": lambda: active().first(), "last_slice": lambda: active().last(),
            "cine": r.toggle_cine,
            "preset_ct_abdomen": lambda: self._preset(Preset.CT_ABDOMEN),
            "preset_ct_liver": lambda: self._preset(Preset.CT_LIVER),
            "preset_ct_bone": lambda: self._preset(Preset.CT_BONE),
            "preset_auto": lambda: self._preset(Preset.AUTO),
            "preset_mr_contrast": lambda: self._preset(Preset.MR_CONTRAST),
            "window_modality": self._window_to_role, "zoom_modality": self._zoom_to_modality,
            "invert": lambda: active().toggle_invert(), "fit": lambda: active().fit(), "reset": lambda: active().reset(),
            "toggle_overlays": s.toggle_overlays, "toggle_annotations": s.toggle_annotations,
            "maximise": self._maximise,
            "next_cell": lambda: self._step_cell(1), "previous_cell": lambda: self._step_cell(-1),
            "grid_1x1": grid(1, 1), "grid_1x2": grid(1, 2), "grid_2x2": grid(2, 2), "grid_2x3": grid(2, 3),
            "grid_3x3": grid(3, 3), "swap_adc": self._swap_adc, "dwi_adc_side_by_side": self._dwi_adc_side_by_side,
            "compare_prior": self._compare_prior, "carry_lesions": self.follow_up.carry_lesions,
            "link_all": self._link_all, "toggle_link": r.toggle_link_active,
            "clear_links": self._clear_links,
            "crosshair": lambda: s.set_tool(ToolMode.WINDOW_LEVEL if s.tool is ToolMode.CROSSHAIR else ToolMode.CROSSHAIR),
            "shortcuts": lambda: ShortcutsDialog(self.shortcuts, self).exec(),
            **self.study_ui.handlers(), **self.lesion_keys.handlers(),
        }

    def _menu_items(self) -> tuple[list[Any], list[Any]]:
        flow = self.store_flow
        extra = [("File", "-", lambda: None, "export"),
                 ("File", "New reading project…", flow.ask_new_store, "export"),
                 ("File", "Open reading project…", flow.ask_open_store, "export"),
                 ("File", "Open database reading project…", flow.ask_open_database, "export"),
                 ("File", "Reader name…", flow.ask_reader, "export"),
                 ("File", "-", lambda: None, "export"),
                 ("View", "Right drag zooms (OHIF) instead of window/level", self._toggle_right_drag, None),
                 ("View", "Reset panel layout", self.reset_layout, None),
                 *self.study_ui.menu_items()]
        def run(fn: Callable[[], object]) -> None:
            self.run(fn)

        submenus = [("View", self.panels_menu(), None),
                    ("File", recent_menu(self, "Recent studies", self.recent, self.open_path, run), "choose_pair"),
                    ("File", recent_menu(self, "Recent reading projects", flow.recent, flow.open_store, run), "export")]
        return extra, submenus

    def run(self, fn: Callable[[], object], quiet: bool = False) -> None:
        """Run an action; its refusal goes to the error dialog (to the status bar only when ``quiet``)."""
        try:
            fn()
        except LesionlabError as exc:
            if quiet:
                self.state.say(f"⚠ {exc}")
            else:
                self.show_error(str(exc))

    def _load_failed(self, key: str, message: str) -> None:
        """A stack's load failed: its cells and the one dialog say why. In a blinded study case without file paths
        (a DICOM folder or file name often names the patient: "/data/DOE JOHN/IMG0001.dcm: …" stood in the cell and
        the dialog), the whole message to the log (WARNING)."""
        if self.state.blinded:
            log.warning("cannot load stack %s: %s", key, message)
            stacks = [c.stack for c in self.reading.hanging.cells if c.stack is not None and c.stack.key == key]
            files = {str(h.file) for stack in stacks for h in stack.images}
            message = without_paths(message, files | {str(Path(f).parent) for f in files})
        self.grid.stack_failed(key, message)
        self.show_error(f"cannot load stack {key}: {message}")

    def fit_status_bar(self) -> None:
        """The reader and project's label gives the message beside it the room it needs, down to the reader's name
        and the label's end (the project's file name, a read-only project's "editing works on a copy)"), or the
        reader's name alone where that is wider (STORE_LABEL_LEAST): at 1366 x 768
        it took 460 px and cut the message's advice ("… (one-click diameters are not off…", a radiologist's read).
        The label keeps at most its 460 px."""
        store, status = self.store_flow.store_label, self.status
        # from the message's left to the label's right: the two texts, the progress bar when shown, the gaps
        span = store.geometry().right() + 1 - status.geometry().left()
        progress = self.progress.width() if self.progress.isVisible() else 0
        gaps = max(0, span - status.width() - store.width() - progress)
        room = span - status.needed_width() - progress - gaps
        floor = min(STORE_LABEL_MAX, max(store.prefix_width(), STORE_LABEL_LEAST))
        store.setMaximumWidth(max(floor, min(STORE_LABEL_MAX, room)))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit_status_bar()

    def show_error(self, message: str) -> None:
        """The one place errors reach the reader."""
        self.state.say(f"⚠ {message}")
        QMessageBox.warning(self, "lesionlab", message)

    # ------------------------------------------------------------------ following the state
    def _state_changed(self, aspect: str) -> None:
        acts = self.actions_by_id
        if aspect == "status":
            self.status.say(self.state.status)
            self.fit_status_bar()
        elif aspect == "tool":
            for mode, action_id in TOOL_ACTIONS.items():
                acts[action_id].setChecked(self.state.tool is mode)
        elif aspect == "lobe":
            acts["lobe_right"].setChecked(self.state.lobe is Lobe.RIGHT)
            acts["lobe_left"].setChecked(self.state.lobe is Lobe.LEFT)
        elif aspect == "reading":
            self._bind_reading()
        if aspect == "pair":
            self._edited(None)  # the undo action says when its step is another pair's
            # the browser's highlight follows the exam open, however it was opened (none for a blinded study case)
            self.browser.show_open(None if self.state.blinded else self.state.pair)
        if aspect in ("pair", "lesion", "lobe"):
            self._remember()

    def _bind_reading(self) -> None:
        self._records_shown.clear()  # another project's or reader's records: its keys name other exams here
        self._unsubscribe()
        self._unsubscribe = self.state.reading.subscribe(self._edited)
        self._edited(None)

    def _replay(self, kind: str) -> None:
        """Ctrl+Z / Ctrl+Y. A step that is another exam pair's (the steps are the project's) is said first and taken
        at the second press (a radiologist's check: Ctrl+Z on LLSYN001 deleted a line of LLSYN003, unseen, said
        only in a note)."""
        if self.study_ui.flow.status_parts() is not None:
            # a study open, none of its cases yet: the session still holds the reading project read before, and
            # Ctrl+Z twice undid its last step there (LLSYN003's new lesion) under the study's reader (review43a)
            self.state.say(f"nothing to {kind}: no case of the study is open (Ctrl+N opens your next case)")
            return
        r = self.state.reading
        pairs, what = (r.undo_pairs, r.undo_description) if kind == "undo" else (r.redo_pairs, r.redo_description)
        if what is None:  # said: Ctrl+Z after a restart did nothing, unsaid (session 49's reader)
            self.state.say(f"nothing to {kind}: Ctrl+Z and Ctrl+Y reach this session's edits only (those made before "
                           "lesionlab was started again are kept as they are)" if kind == "undo" else "nothing to redo")
            return
        elsewhere = self._elsewhere(pairs)
        step = (kind, what, pairs)
        if elsewhere and what is not None and self._armed_replay != step:
            self._armed_replay = step
            self.state.say(f"{kind} would change another exam pair: {what}{elsewhere}; press "
                           f"{'Ctrl+Z' if kind == 'undo' else 'Ctrl+Y'} again to {kind} it there")
            return
        self._armed_replay = None
        before = r.project
        if r.undo() if kind == "undo" else r.redo():  # said by _edited
            self._resume_replayed(before, r.project)
            self._show_replayed(before, r.project)

    def _resume_replayed(self, before: Any, after: Any) -> None:
        """After Ctrl+Z / Ctrl+Y of a step that changed one lesion's status on one series of the read on screen (a
        line, V, Shift+V), that lesion is the current one and that series' cell the active one, as for reading it
        again: N then Ctrl+Z twice (the lesion, then L5's "not visible" on T2 FS) left no current lesion and CT portal
        active, and Shift+V there said "no current lesion": ] or a click in the grid, then a click on T2 FS, two
        actions to say what the undo was for (a radiologist's check under Xvfb; a one-click on a cell not active only
        chooses it). A step of several series (a carry, a lesion deleted) or of another read leaves both."""
        sel = self.state.selection
        if sel.pair is None:
            return
        read = (*sel.pair, self.state.reading.reader)
        # a step keeps every record it did not touch as the same object (Project.patched): only those compared
        changed = {(key, role) for key in before.lesions.keys() & after.lesions.keys()
                   if key[:3] == read and before.lesions[key] is not after.lesions[key]
                   for role in READING_ROLES
                   if before.lesions[key].observation(role) != after.lesions[key].observation(role)}
        if len(changed) != 1:
            return
        ((key, role),) = changed
        sel.set_lesion(key[3])
        cell = next((c for c, _, _ in self.reading.layout.visible_cells() if self.state.reading_role(c) is role), None)
        if cell is not None and cell != self.reading.layout.active:
            self.reading.activate(cell)
            self.grid.active_widget.setFocus()

    def _show_replayed(self, before: Any, after: Any) -> None:
        """After Ctrl+Z / Ctrl+Y of a step that changed one line or count mark of the read on screen, the cell of
        its series shows the slice it is (or was) on, and the message says so (a radiologist's check undid a line
        on a series scrolled elsewhere and saw nothing change)."""
        pair, reader = self.state.selection.pair, self.state.reading.reader
        if pair is None:
            return
        read = (*pair, reader)
        places: set[tuple[Role, str, int]] = set()
        shown = {v.key: v for v in self.reading.viewports if v.key}
        for key in before.lesions.keys() | after.lesions.keys():
            if key[:3] != read:
                continue
            old, new = before.lesions.get(key), after.lesions.get(key)
            was = old.measurements() if old is not None else {}
            now = new.measurements() if new is not None else {}
            for role in was.keys() | now.keys():
                if was.get(role) != now.get(role):
                    m = now.get(role) or was[role]
                    # on its own image in the stack as loaded (-1: missing from it, nothing to show)
                    k = slice_of(m, images_of(shown[m.stack_key])) if m.stack_key in shown else m.slice_index
                    places.add((role, m.stack_key, -1 if k is None else k))
        for mark_id in before.count_marks.keys() | after.count_marks.keys():
            old_m, new_m = before.count_marks.get(mark_id), after.count_marks.get(mark_id)
            if old_m != new_m:
                mk = new_m or old_m
                if (mk.patient_id, mk.exam_pair_id, mk.reader) == read:
                    # on its own image, as a line (-1: missing from the stack as loaded)
                    k = slice_of(mk, images_of(shown[mk.stack_key])) if mk.stack_key in shown else mk.slice_index
                    places.add((mk.role, mk.stack_key, -1 if k is None else k))
        if len(places) != 1:  # a lesion's six lines, a carry: no one slice to show
            return
        ((role, stack_key, index),) = places
        vp = next((v for v in self.reading.viewports if v.key == stack_key and v.key), None)
        if vp is None or not 0 <= index < vp.n_slices:
            return
        layout = self.reading.layout
        cell = next((c for c, v in enumerate(self.reading.viewports) if v is vp), -1)
        on_screen = any(c == cell for c, _, _ in layout.visible_cells())
        shown_now = False
        if not on_screen and layout.maximised is not None and cell in layout.grid_cells():
            # one cell maximised (M): the step's series shown in it, as Tab shows another (session 47's reader undid
            # a line of another series there: nothing shown, nothing said)
            self.reading.activate(cell)
            self.grid.active_widget.setFocus()
            on_screen = shown_now = True
        if vp.index == index and on_screen and not shown_now:
            return
        vp.set_index(index)
        # a cell off screen (a grid of fewer cells) is moved but not said to be shown (a review)
        where = f"{role_label(role)}, Im {vp.slice_number}/{vp.n_slices}"
        self.state.say(f"{self.state.status} — " + (f"shown on {where}" if on_screen else
                                                     f"on {where} (its cell is not on screen)"))

    def _elsewhere(self, pairs: frozenset[tuple[str, str]]) -> str:
        """" (on LLSYN002 E1, not the exam pair on screen)" when an edit is another pair's: the undo
        steps are the project's, and a reader's check undid another patient's line unawares."""
        shown, exam = self.state.selection.pair, self.state.pair
        if shown is not None and exam is not None:  # the record of the exam on screen, kept for when it is undone
            self._records_shown[(exam.patient_id, exam.ct_uid, exam.mr_uid)] = (shown[0], shown[1])
        if not pairs or (shown is not None and (tuple(shown) in pairs or (shown[0], "") in pairs)):
            return ""  # ("P", ""): a patient's own record (clinical, follow-up course), any pair of theirs on screen
        here = None
        if shown is None and exam is not None:
            here = self.session.find_pair(exam) or self._records_shown.get((exam.patient_id, exam.ct_uid, exam.mr_uid))
        if shown is None and exam is not None and all(
                p == exam.patient_id and (not e or (here is not None and (p, e) == tuple(here))) for p, e in pairs):
            # the exam on screen whose record the step made (or its patient's): undone, the screen's exam has no
            # record, and the one it had is the step's (another exam's record missing too is elsewhere: a review
            # redid another exam's record at the first press) (a radiologist's check read "undone: read exam pair E1 (on LLSYN001
            # E1, not the exam pair on screen)" with E1 on screen, then the patient's Ki-67 as "another exam pair")
            return ""
        return f" (on {', '.join(self._exam_named(p, e) for p, e in sorted(pairs))}, not the exam pair on screen)"

    def _exam_named(self, patient_id: str, exam_pair_id: str) -> str:
        """An exam as an undo message names it: its id and, outside a blinded case, its studies' dates ("LLSYN001 F1
        (CT 2023-03-14)"; a radiologist's check could not tell which exam "LLSYN001 F1" was)."""
        named = f"{patient_id} {exam_pair_id}".strip()
        rec = self.state.reading.project.exam_pairs.get((patient_id, exam_pair_id)) if exam_pair_id else None
        if rec is None or self.state.blinded:
            return named
        dates = [f"{kind} {day.isoformat()}" for kind, day in (("CT", rec.ct_date), ("MRI", rec.mri_date))
                 if day is not None]
        return f"{named} ({' + '.join(dates)})" if dates else named

    def _edited(self, event: ReadingEvent | None) -> None:
        r, acts = self.state.reading, self.actions_by_id
        self._armed_replay = None  # an edit, or another pair on screen: a step armed elsewhere is asked again
        # a study open before its first case: the steps are the project's read before (Edit said "Undo add lesion (on
        # LLSYN003 E1, …)" in the blinded study); none is offered (review43a)
        steps = self.study_ui.flow.status_parts() is None
        can_undo, can_redo = r.can_undo and steps, r.can_redo and steps
        unnamed = self.state.unnamed  # a blinded case's Edit menu names no patient ("Undo treatment line 1 of ...")
        acts["undo"].setText(unnamed(f"Undo {r.undo_description}{self._elsewhere(r.undo_pairs)}") if can_undo else "Undo")
        acts["undo"].setEnabled(steps)  # Ctrl+Z with nothing to undo says so (_replay)
        acts["redo"].setText(unnamed(f"Redo {r.redo_description}{self._elsewhere(r.redo_pairs)}") if can_redo else "Redo")
        acts["redo"].setEnabled(steps)
        if event is not None and event.kind is not EditKind.EDIT:  # never leave the undone edit's message
            undone = event.kind is EditKind.UNDO
            where = self._elsewhere(r.redo_pairs if undone else r.undo_pairs)  # the step just replayed
            self.state.say(f"{'undone' if undone else 'redone'}: {event.description}{where}")

    def _clear_links(self) -> None:
        self.reading.link.clear_reader_links()
        self.state.say("reader-made links cleared")

    def _cancel(self) -> None:
        """Esc: the line being drawn goes; else the suggestion one click just put (shown dashed, "Enter keeps it");
        else back to the window/level tool, nothing picked (what Delete and the lobe keys would act on)."""
        dropped = self.reading_view.cancel_gesture()
        if dropped:
            self.state.say(dropped)
            return
        if cmd.drop_suggestion(self.state):
            return
        self.state.selection.pick(None)
        self.state.set_tool(ToolMode.WINDOW_LEVEL)

    def _step_cell(self, step: int) -> None:
        # the grid's cells, maximised or not: with one cell shown, Tab shows the next series in it (a
        # reader's check pressed Tab in the maximised view, which walked the visible cells, and nothing changed)
        cells = self.reading.layout.grid_cells()
        i = cells.index(self.reading.layout.active) if self.reading.layout.active in cells else 0
        hung = self.reading.hanging.cells
        # past the cells with nothing hung (a CT-only exam's four MRI cells: a radiologist's check pressed Tab four
        # times through them, and then sent V to an empty cell)
        order = [cells[(i + k * step) % len(cells)] for k in range(1, len(cells) + 1)]
        cell = next((c for c in order if c < len(hung) and hung[c].stack is not None), order[0])
        self.reading.activate(cell)
        self.grid.active_widget.setFocus()
        self.state.say(f"active: {self.state.cell_title(cell)}")

    def _link_all(self) -> None:
        how = self.reading.link_all()
        by = {"point": "by the reference points (3D)", "slice": "by slice position"}
        detail = "; ".join(sorted({by[h] for h in how.values()})) or "same frame of reference"
        text = f"linked to {role_label(self.reading.active.role)}: {detail}"
        if how:  # the reader's link wins over a proposal still running
            self.align_job.cancel()
            self.compare_job.cancel()
        try:
            kept = how and self.state.pair is not None and self.state.confirm_alignment(f"landmark link {detail}")
        except LesionlabError as exc:
            self.state.say(f"{text}; {exc}")
            return
        if kept:
            text += ("; current <-> prior exam alignment confirmed and kept with the reading" if self.follow_up.active
                     else "; CT <-> MRI alignment confirmed and kept with the reading")
        self.state.say(text)

    # ------------------------------------------------------------------ CT <-> MRI alignment
    def _start_alignment(self) -> None:
        """After a pair opens: its confirmed alignment is in force already; else propose one once the two
        stacks to register have loaded (viewer/registration/choice.py), never before the first images."""
        from viewer.registration.choice import registration_stack

        self.align_job.cancel()
        self._align_wanted = None
        pair = self.state.pair
        if pair is None or pair.ct is None or pair.mr is None or self.state.alignment is not None \
                or self.state.pair_frames() is None:
            return
        ct, mr = registration_stack(pair.ct.stacks), registration_stack(pair.mr.stacks)
        if ct is not None and mr is not None:
            self._align_wanted = (ct.key, mr.key)
            self._maybe_align(ct.key, 0, 0)

    def _volume_of(self, key: str) -> Any:
        return next((vp.volume for vp in self.reading.viewports if vp.key == key and vp.volume is not None), None) \
            or self.loads.volumes.get(key)

    def _maybe_align(self, key: str, done: int, total: int) -> None:
        wanted = self._align_wanted
        if wanted is None or key not in wanted:
            return
        fixed, moving = self._volume_of(wanted[0]), self._volume_of(wanted[1])
        if fixed is None or moving is None or not fixed.loaded.all() or not moving.loaded.all():
            return
        self._align_wanted = None
        self.align_job.start(self.state.pair, fixed, moving)

    def _align_failed(self, token: object, msg: str) -> None:
        if token is self.state.pair:
            self.state.tell(f"⚠ no alignment proposed: {msg}")

    def _aligned(self, token: object, proposal: Any) -> None:
        from annotation.records import Alignment
        from viewer.registration import Outcome

        frames = self.state.pair_frames()
        pair = self.state.pair
        if token is not pair or pair is None or frames is None or self.state.alignment is not None:
            return  # another pair is open now, or the reader linked meanwhile
        if proposal.outcome is Outcome.REFUSED:
            self.state.tell(f"CT and MRI not aligned automatically ({proposal.reason}): align a landmark and press L")
            return
        alignment = Alignment(pair.patient_id, frames[0], frames[1], proposal.matrix, note=proposal.summary())
        self.state.apply_alignment(alignment)
        cmd.show_pending_link(self.state)  # ] pressed before the alignment: the cells without a line follow
        t = ", ".join(f"{v:+.1f}" for v in proposal.translation_mm)
        caution = " (uncertain: check a landmark)" if proposal.outcome is Outcome.UNCERTAIN else ""
        self.state.tell(f"CT and MRI aligned from the images{caution}: shift ({t}) mm, {proposal.rotation_deg:.1f}°; "
                       "L on a landmark corrects and keeps it")

    def _preset(self, preset: Preset) -> None:
        """A window preset on every cell of its modality (CT presets: CT cells; MRI: MRI cells; automatic:
        the active cell's modality), remembered per series role for the next pairs."""
        wanted = {Preset.CT_ABDOMEN: "CT", Preset.CT_LIVER: "CT", Preset.CT_BONE: "CT", Preset.MR_CONTRAST: "MR"}.get(preset)
        cells = [vp for vp in self.reading.viewports if vp.volume is not None
                 and (vp.volume.stack.modality == wanted if wanted else vp in self.state.same_modality_cells())]
        if not cells:
            raise LesionlabError(f"no {wanted or ''} cell for this preset".replace("  ", " "))
        for vp in cells:
            vp.apply_preset(preset)
            if vp.role is not None:
                self.view_settings.remember_preset(vp.role, preset)
        name = PRESET_LABELS[preset].split(" (")[0]  # "MRI high contrast", not "mr contrast"
        self.state.say(f"{name} window on {_cells(len(cells))}; kept for these series")

    def _window_to_role(self) -> None:
        act = self.reading.active
        wl = act.window
        if wl is None or act.volume is None:
            raise LesionlabError("the active cell has no window yet")
        same = [vp for vp in self.reading.viewports if vp.volume is not None and vp.role is act.role and vp is not act]
        for vp in same:
            vp.set_window(wl)
        self.state.say(f"{wl.label()} on {_cells(len(same) + 1)} of {role_label(act.role)}")

    def _zoom_to_modality(self) -> None:
        """Z: the active cell's field of view (zoom and centre) on the cells of its modality (WorkstationState)."""
        act = self.reading.active
        cells = self.state.copy_field_of_view()
        # the figure the cells' overlay gives (screen pixels per image pixel), not the model's zoom against the cell's
        # fit: "zoom 1.15" beside the overlay's "Zoom 0.45x" (a radiologist's check)
        t = self.grid.active_widget.transform()
        spacing = act.geometry.column_spacing_mm if act.geometry is not None else None
        shown = zoom_shown(t.px_per_mm, spacing) if t is not None else f"{act.zoom:.2f}"
        self.state.say(f"zoom {shown} on {_cells(len(cells), act.volume.stack.modality)}")  # type: ignore[union-attr]

    def _dwi_adc_side_by_side(self) -> None:
        """DWI b800 and its ADC map side by side (1x2), or back to the exam's cells (LayoutModel.restore)."""
        r = self.reading
        if r.layout.grid == (1, 2) and r.hanging.cells[1].stack is not None and r.viewports[1].role is Role.MR_ADC:
            r.hanging.rehang()
            r.layout.restore()
            self.state.say(back_to_exam(r.layout))
            return
        dwi = next((c for c in r.hanging.cells if c.role is Role.MR_DWI and c.stack is not None), None)
        adc = next((s for s in r.hanging.stacks if r.hanging.role_of(s) is Role.MR_ADC), None)
        if dwi is None or adc is None:
            raise LesionlabError("this pair has no DWI and ADC to show side by side")
        r.hanging.assign(0, dwi.stack)
        r.hanging.assign(1, adc)
        r.layout.set_grid(1, 2)
        r.activate(0)
        self.state.say("DWI b800 and ADC side by side (Shift+D: back to the exam's cells)")

    def _compare_prior(self) -> None:
        """P: the prior exam beside (FollowUpCompare), and the Follow-up dock to the front with it. Never in a blinded
        case: it hung the patient's 2023 CT beside the case with both dates, or named the patient's id when there was
        none (a check of a blinded case)."""
        self._refuse_when_blinded("the patient's earlier exam")
        self.follow_up.toggle()
        (self.docks.followup_dock if self.follow_up.active else self.docks.lesions_dock).raise_()

    def _images_only(self) -> None:
        """Ctrl+Shift+B: every docked panel hidden, the images given the window (at 1366 x 768 the six cells were
        313 x 199 pixels and Ctrl+B freed nothing: Counts, Checks and the clinical record keep the browser's column,
        a radiologist's check on a laptop); again: the panels back as they were (places, sizes, tabs in front).
        Floating panels (a second screen) stay."""
        if self._panels_before_images_only is not None:
            self.restoreState(self._panels_before_images_only, LAYOUT_VERSION)
            self._panels_before_images_only = None
            if self.state.blinded:
                self.dock.hide()
            self.state.say("panels back")
            return
        self._panels_before_images_only = self.saveState(LAYOUT_VERSION)
        for dock in self.all_docks:
            if not dock.isFloating():
                dock.hide()
        self.state.say("images only: the docked panels hidden (Ctrl+Shift+B puts them back)")

    def _toggle_browser(self) -> None:
        if self.state.blinded and not self.dock.isVisible():
            raise LesionlabError("a blinded study case is on screen: the study browser lists patients by name")
        self.dock.setVisible(not self.dock.isVisible())

    def _toggle_one_click(self) -> None:
        """One-click diameters are off by default: on the sample phantoms they add to the DWI - T2 FS
        difference the study measures (``app.suggester.DWI_T2FS_ADDED_MM``, viewer/README.md); the
        reader turns them on knowingly, and the Read menu's tick shows it."""
        on = not self.view_settings.one_click
        if on and (refused := self.study_ui.one_click_refused()):
            # Qt ticks a checkable action before its handler runs: refused, the Read menu's tick said one-click was on
            # while it stayed off, and each Shift+E turned the tick over (review44b)
            self.one_click_action.setChecked(False)
            raise LesionlabError(refused)
        self.view_settings.set_one_click(on)
        self.one_click_action.setChecked(on)
        if on:
            install_suggester(self.state)
            # short enough for the status bar at 1,500 px (a reader's check: the rim figure was cut)
            self.state.say(f"one-click diameters on ({offered_series()}): click inside a lesion; on the sample "
                           f"DWI − T2 FS {DWI_T2FS_ADDED_MM:+.1f} mm ({DWI_T2FS_RIM_ADDED_MM:+.1f} with a rim)")
        else:
            self.state.set_suggester(None)
            self.state.say("one-click diameters off: drag each diameter")

    def _toggle_right_drag(self) -> None:
        self.view_settings.set_right_drag("window" if self.view_settings.right_drag == "zoom" else "zoom")
        self.view_settings.apply_to(self.grid.viewports)
        self.state.say(f"right drag now {'zooms' if self.view_settings.right_drag == 'zoom' else 'sets window/level'}")

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
        """Index ``path`` in the background; it is added to the browser when done (``listed``)."""
        self.state.say(f"indexing {path} …", hold=False)
        self._indexing += 1
        self.progress.setRange(0, 0)
        self.progress.show()
        self._index_job.start(str(path))

    def _index_failed(self, message: str) -> None:
        self._indexing = max(0, self._indexing - 1)
        self._progress_if_busy()
        self.show_error(message)

    def _progress_if_busy(self, *_: object) -> None:
        """Hide the progress bar once nothing is indexed or loaded any more."""
        if not self._indexing and not self.loads.busy():
            self.progress.hide()

    def _index_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    @property
    def index_result(self) -> IndexResult | None:
        return next(reversed(self.index_results.values()), None) if self.index_results else None

    def all_stacks(self) -> list[StackInfo]:
        """Every stack of every folder opened (a stack seen twice counts once)."""
        seen: dict[str, StackInfo] = {}
        for result in self.index_results.values():
            for s in result.stacks:
                seen.setdefault(s.key, s)
        return list(seen.values())

    def show_index(self, path: str, result: IndexResult) -> None:
        """Add an index to the browser (from the background job, or one computed before the window)."""
        self._indexing = max(0, self._indexing - 1)
        self._progress_if_busy()
        self.index_results[str(path)] = result
        self.patients = group_studies(self.all_stacks())
        self.browser.set_patients(self.patients)
        self.browser.show_open(None if self.state.blinded else self.state.pair)  # refilled: the exam open still shown
        self.recent.add(path)
        self.store_flow.offer_stores_in(path)
        # exam pairs and one-modality exams counted apart: "3 exam pair(s)" for three CT-only exams (no pair), "5 exam
        # pairs" for 3 pairs and 2 follow-up CTs (a radiologist-engineer's check, session 48)
        exams = [item.data(0, PAYLOAD) for item in self.browser.pair_items()]
        n_single = sum(1 for e in exams if getattr(e, "is_single", False))
        listed = ", ".join([f"{len(exams) - n_single} exam pair(s)"] * (len(exams) > n_single or not exams)
                           + [f"{n_single} single-modality exam(s)"] * bool(n_single))
        # a folder's README, JSON, CSV and stores are not DICOM, said as such: "8 file(s) skipped" for sample_dicom's
        # read as images lost (a radiologist's read, session 47); the others say why, the first of them
        not_dicom = [s for s in result.skipped if s.reason.startswith("not DICOM")]
        others = [s for s in result.skipped if not s.reason.startswith("not DICOM")]
        self.state.tell(f"{path}: {len({s.patient_id for s in result.stacks})} patient(s), {len(result.stacks)} stacks"
                       + (f", {len(not_dicom)} other file(s) not DICOM" if not_dicom else "")
                       + (f", {len(others)} file(s) skipped ({Path(others[0].path).name}: {others[0].reason}"
                          + (", …" if len(others) > 1 else "") + ")" if others else "")
                       + f"; the browser lists {len(self.patients)} patient(s), {listed}")
        self.listed.emit(result)
        if self.patients and not self.state.blinded:
            # "open a study (Ctrl+O), then an exam pair" stood in the six cells under a browser listing the studies (a
            # check under Xvfb, session 45)
            self.grid.set_idle_note("double-click an exam in the browser")
        # two people under one Patient ID, or two different images under one SOP Instance UID: left out by the
        # index, and said where the reader looks, not only in `lesionlab index` (a reader would otherwise read on
        # without knowing that a study of the patient was set apart)
        mixed = [w for w in dict.fromkeys((*result.warnings, *(w for p in self.patients for w in p.identity_warnings)))
                 if (IDENTITY_CONFLICT in w or UID_CONFLICT in w) and w not in self._identity_said]
        self._identity_said.update(mixed)  # said once: another folder opened later does not say it again
        if mixed:
            self.show_error(f"{path}: files left out, they may be another patient's:\n\n" + "\n\n".join(
                mixed))

    def _refuse_when_blinded(self, what: str) -> None:
        if self.state.blinded:
            raise LesionlabError(f"a blinded study case is on screen: {what} names the patient and the dates; the "
                                 "study's next case is Ctrl+N")

    def choose_pair(self, patient: Patient | None) -> None:
        """Ctrl+P: every CT x MRI combination of a patient and each study alone. Never in a blinded case: it opened
        "Exam pairs of SYNTHETIC ALPHA (LLSYN001)" with the study dates over a case (a review)."""
        self._refuse_when_blinded("the list of a patient's exams")
        if patient is None:
            return
        if not self._keep_or_ask(patient.patient_id):
            return
        dialog = PairChooser(patient, self)
        if dialog.exec() and dialog.chosen is not None:
            self.open_pair(dialog.chosen)
            let_go(self, patient.patient_id)  # once the exam has opened: the list cancelled, nothing goes (review48)

    def _open_from_browser(self, pair: ExamPair) -> None:
        self._refuse_when_blinded("the study browser")
        if self._keep_or_ask(pair.patient_id):
            self.open_pair(pair)
            let_go(self, pair.patient_id)

    def _keep_or_ask(self, patient_id: str) -> bool:
        """What is typed kept before the reader opens another exam (of ``patient_id``); what cannot be is asked about,
        as at closing: False, gone back to it (app/open_edits.py)."""
        return keep_or_ask(self, self.store_flow.ask, "Open another exam?", ("leave", "Open it without it"),
                           staying_patient=patient_id)

    def open_pair(self, pair: ExamPair) -> None:
        commit_open_edits(self)  # typed for the exam or patient left: kept there (app/open_edits.py)
        leaving = self.state.pair
        if leaving is not None and not self.state.blinded:
            self._positions[(leaving.patient_id, leaving.ct_uid, leaving.mr_uid)] = self._position_now()
        self.loads.keep_only(s.key for s in pair.stacks)
        self.state.open_pair(pair)
        if not self.state.blinded:  # a study case's cells say which session they belong to (app/study_dialog.py)
            # an exam of one modality's other cells: not "not in this pair: drop a stack here" (a radiologist's check)
            kind = "ct_" if pair.ct is not None else "mr_"
            other = {r for r in READING_ROLES if not r.value.startswith(kind)} if pair.is_single else set()
            # its own modality's series missing: "not in this exam" too; "not in this pair" beside "not in this exam
            # (CT only)" read as two kinds of exam on one screen (LLSYN001's CT of 2023-10-17, portal only: a check
            # under Xvfb, session 45)
            self.grid.set_missing_note(f"not in this exam ({'CT' if kind == 'ct_' else 'MRI'} only)", other,
                                       "not in this exam\n\ndrop a stack here from the browser" if pair.is_single else "")
        back = self._positions.pop((pair.patient_id, pair.ct_uid, pair.mr_uid), None)
        if back is not None and not self.state.blinded:
            self._return_to(*back)
        self._start_alignment()
        self.view_settings.apply_presets_when_loaded(self.reading)
        self.grid.active_widget.setFocus()
        missing = self.reading.hanging.missing_roles()
        if pair.is_single:  # a follow-up exam of one modality: the other's series are not missing (a reader's check)
            imaged = "ct_" if pair.ct is not None else "mr_"
            missing = [r for r in missing if r.value.startswith(imaged)]
        if self.state.blinded:
            # a study case (app/study_dialog.py titles it and says its code): the pair's label is the images' exam
            # dates and the days between them, which the case's blinded project never holds, and the title named the
            # patient id; replaced by the study's words in the same step, they still reached every observer of the
            # status and the window manager's title (session 46's check)
            self.setWindowTitle("lesionlab — study case")
            self.state.say("reading the study case")
        else:
            self.setWindowTitle(f"lesionlab — {pair.patient_id}: {pair.label}")
            gap = (f"; no {', '.join(role_label(r) for r in missing)} in this exam" if pair.is_single else
                   f"; missing: {', '.join(role_label(r) for r in missing)}") if missing else ""
            if self.state.unread_exam:
                gap = ("; none of its series is one of the six reading series: shown as they are (right-click a "
                       "stack in the browser to set its role)")
            alone = self._read_alone(pair)
            self.state.say(f"reading {pair.label}{gap}" + (f"  ⚠ {pair.warning}" if pair.warning else "") + alone)
        cmd.offer_pending(self.state)  # a suggestion never kept (the window killed before Enter): shown as one again
        if self.ask_reader_early:
            self.store_flow.ask_reader_now()

    def close_pair(self) -> None:
        """The exam on screen closed: empty cells, no alignment running, the plain title (WorkstationState.close_pair)."""
        commit_open_edits(self)
        self.align_job.cancel()
        self._align_wanted = None
        self.loads.keep_only(())
        self.state.close_pair()
        self.setWindowTitle("lesionlab")

    def _read_alone(self, pair: ExamPair) -> str:
        """What the status adds when the project reads a study of this CT + MRI pair as an exam of its own and has no
        read of the pair: the grid was empty and Checks said "no exam pair open" (a reader's check on the follow-up
        project's baseline CT, LLSYN001 F1)."""
        if pair.is_single or self.state.blinded or self.session.find_pair(pair) is not None:
            return ""
        for rec in self.session.reading.project.pairs_of(pair.patient_id):
            for study, uid, other in ((pair.ct, rec.ct_study_uid, rec.mri_study_uid),
                                      (pair.mr, rec.mri_study_uid, rec.ct_study_uid)):
                if study is not None and uid == study.study_instance_uid[:64] and not other:
                    return (f"; this project reads its {'CT' if study is pair.ct else 'MRI'} alone as exam "
                            f"{rec.exam_pair_id}: Ctrl+P opens it alone")
        return ""

    def _position_now(self) -> tuple[str | None, str | None, dict[str, int], Lobe]:
        """Where the reader is in the pair on screen: the current lesion, the active stack, each stack's slice, the lobe."""
        return self.state.selection.lesion_id, active_key(self.state), slices_of(self.state), self.state.lobe

    def _return_to(self, lesion_id: str | None, active_key: str | None, slices: dict[str, int], lobe: Lobe) -> None:
        """Back on a pair read earlier in this session, where the reader left it (a radiologist's check: after a look
        at another patient mid-lesion, no lesion was current, CT arterial active, every cell at mid-stack): its
        lesion, active cell, slices (each placed once its stack has loaded) and lobe (another exam starts in the right
        lobe; back on this one, the reader's, a review)."""
        key, reading = self.state.selection.pair, self.state.reading
        self.state.set_lobe(lobe)
        if lesion_id is not None and key is not None and (*key, reading.reader, lesion_id) in reading.project.lesions:
            self.state.selection.set_lesion(lesion_id)  # not one deleted meanwhile (Ctrl+Z there, pressed twice)
        cells = self.reading.hanging.cells
        found = next((i for i, c in enumerate(cells) if c.stack is not None and c.stack.key == active_key), None)
        if found is not None:
            self.reading.activate(found)
        self.place_slices(slices)

    def place_slices(self, slices: dict[str, int]) -> None:
        """Each stack of the pair on screen to its slice in ``slices`` (stack key -> index), once it has loaded (a
        minute at most: one may fail), its link as the reader left it; not after another pair is opened."""
        pending, pair, tries = dict(slices), self.state.pair, [0]

        def place() -> None:
            if self.state.pair is not pair:  # another pair opened meanwhile: its own position
                return
            for vp in self.reading.viewports:
                if vp.key in pending and vp.volume is not None and vp.volume.loaded.any():
                    linked = vp.linked  # as the reader left it (U while it loaded), not linked again (a review)
                    vp.set_linked(False)
                    vp.set_index(min(pending.pop(vp.key), vp.volume.array.shape[0] - 1))
                    vp.set_linked(linked)
            active = self.reading.active
            if active.key not in pending and active.volume is not None and active.linked:
                # the cells linked with the active one to its slice: each placed at its own saved slice, CT arterial
                # showed -1270 and CT portal -1265, both "linked: CT", until one scroll (a radiologist-engineer's
                # check after a restart, session 48)
                self.reading.link.follow(active)
            tries[0] += 1
            if pending and tries[0] < 1200 and any(vp.key in pending for vp in self.reading.viewports):
                QTimer.singleShot(50, place)  # a stack still loading (a minute at most: one may fail)

        QTimer.singleShot(0, place)

    def _load_progress(self, key: str, done: int, total: int) -> None:
        if done < total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.show()
        else:
            self._progress_if_busy()

    # ------------------------------------------------------------------ cells and roles
    def _choose_tool(self, mode: ToolMode) -> None:
        """The tool, said with its shortcut's own description, in place of the last action's message
        (a reader's check read a refusal about L10 on DWI as about L1 on CT arterial after E)."""
        self.state.set_tool(mode)
        label = next((sc.label for sc in self.shortcuts if sc.action == TOOL_ACTIONS.get(mode)), "")
        if label:
            self.state.say(label)

    def _maximise(self) -> None:
        layout = self.reading.layout
        layout.toggle_maximise()
        self.state.say(f"{self.state.cell_title(layout.active)} maximised: Tab for the next series, M for the grid"
                       if layout.maximised is not None else "back to the grid")

    def _swap_adc(self) -> None:
        cells = self.reading.hanging.cells
        before = [c.role for c in cells]
        cell = self.reading.swap_dwi_adc()
        # what the cell shows now, each time (a reader's check: D twice said "swapped" twice)
        if cell is None:
            self.state.say("no cell shows DWI b800 or its ADC map")
        elif cells[cell].role is before[cell]:  # nothing to swap to (a review: a CT-only exam said "the DWI
            # cell shows the ADC map")
            self.state.say(f"this exam has no {'b800' if cells[cell].role is Role.MR_ADC else 'ADC map'} to swap to")
        elif cells[cell].role is Role.MR_ADC:
            self.state.say("the DWI cell shows the ADC map (D: b800 again)")
        else:
            self.state.say("the DWI cell shows b800 again (D: the ADC map)")

    def _jump_from_panel(self, role: object, m: object) -> None:
        if isinstance(role, Role):
            self.run(lambda: self.jump(role, m))

    def jump(self, role: Role, m: Any) -> None:
        """A lesion-grid click: the cell of that series shows the measurement's slice, centred on it (or a count
        mark's, from Checks)."""
        r = self.reading
        cells = [i for i, vp in enumerate(r.viewports) if vp.key == m.stack_key]
        cells = cells or [i for i, c in enumerate(r.hanging.cells) if c.role is role]
        # DWI swapped for its ADC (D): the ADC's cell shows the b800 measured again (a review: an error dialog)
        cells = cells or [i for i, c in enumerate(r.hanging.cells) if role is Role.MR_DWI and c.role is Role.MR_ADC]
        if not cells:
            raise LesionlabError(f"no cell shows {role_label(role)}")
        cell, vp = cells[0], r.viewports[cells[0]]

        mark = isinstance(m, CountMark)  # a count mark (Checks: one lesion counted twice?), else a line
        middle = (m.row, m.col) if mark else m.middle
        missing: list[str] = []  # the line's image is not in the stack as loaded (a file of the folder unreadable)

        def go() -> None:
            # a line on its own image, found by its SOP Instance UID in the stack as loaded: its stored index
            # counts the images of the load it was drawn on (a radiologist's check: L1 on DWI #49 was shown on
            # #48, 5 mm away, once a file below it was truncated)
            k = slice_of(m, images_of(vp))  # a count mark too (store schema 16), by its SOP Instance UID
            if k is None:
                missing.append(missing_text(m, self._lesion_of(m), role_label(role)))
                self.state.say(missing[0])
                return
            vp.set_index(k)
            vp.set_center(middle)

        if vp.key != m.stack_key:  # another stack hangs there (ADC swapped in, a dropped stack)
            stack = next((s for s in self.all_stacks() if s.key == m.stack_key), None)
            if stack is None:
                raise LesionlabError(f"the stack measured ({m.stack_key}) is not in the open study")

            def arrived() -> None:
                if vp.key == m.stack_key:
                    vp.volume_changed.disconnect(arrived)
                    go()
            vp.volume_changed.connect(arrived)
            r.drop_stack(cell, stack)
        else:
            go()
        r.activate(cell)
        self.grid.active_widget.setFocus()
        # what the click showed, in place of the last action's message (a reader's check: "undone: …"
        # stayed after a grid click and read as if it were about the line shown)
        # the slice named as the cell's overlay names it ("Im 14/25 (#14)", counted from the top: a reader's
        # check read "slice 12", counted from the feet, against the overlay's Im 14)
        if missing:
            return
        k = slice_of(m, images_of(vp))
        shown = vp.key == m.stack_key and vp.index == k  # else still arriving: no number yet
        where = f", Im {vp.slice_number}/{vp.n_slices}" if shown else ""
        if mark:
            self.state.say(f"shown: the count mark on {role_label(role)}{where} (picked: Del deletes it)")
            return
        where += f" (#{m.instance_number})" if m.instance_number is not None else ""
        self.state.say(f"shown: the {m.diameter_mm:.1f} mm line on {role_label(role)}{where}")

    def _lesion_of(self, m: Any) -> str:
        """The id of the lesion of the read whose line ``m`` is ("" when none is)."""
        pair = self.state.selection.pair
        if pair is None:
            return ""
        return next((les.lesion_id for les in self.state.reading.project.lesions_of(*pair, self.state.reading.reader)
                     if any(obs is m for _r, obs in les.observations)), "")

    def show_stack(self, cell: int, stack: StackInfo) -> None:
        """Show ``stack`` in ``cell``: a stack of the pair read is a reading cell, anything else a comparison."""
        self.reading.drop_stack(cell, stack)
        self.reading.activate(cell)
        self.state.say(f"cell {cell + 1}: {self.state.cell_title(cell)}")

    def _stack_dropped(self, cell: int, key: str) -> None:
        stack = next((s for s in self.all_stacks() if s.key == key), None)
        if stack is not None:
            self.show_stack(cell, stack)

    def _roles_changed(self, key: object = None) -> None:
        """A series' role corrected (the browser's right-click): the cells hung again. An exam of one modality is fitted
        to its reading series again: a GE gantry-tilt CT shown "as it is" in the CT arterial cell, set to CT portal,
        left that one cell saying "CT arterial not in this exam" until the exam was opened again (session 48)."""
        pair = self.state.pair
        if pair is not None and pair.is_single and not self.state.blinded and any(s.key == key for s in pair.stacks):
            self.open_pair(pair)  # a stack of another exam corrected: the one on screen stays as it is
        else:
            self.reading.hanging.rehang()

    def _set_role(self, stack: StackInfo, role: Role) -> Callable[[], None]:
        def set_role() -> None:
            self.overrides.set(stack.key, role)
            said = f"“{stack.series_description}” is read as {role_label(role)} now"
            # a tilted stack made a reading series: said now, and at each line drawn on it, and in Checks
            off = [w for w in stack.warnings if "not strictly axial" in w] if role in READING_ROLES else []
            self.state.say(said + (f"  ⚠ {off[0]}" if off else ""))
        return set_role

    def _role_menu(self, stack: StackInfo) -> QMenu:
        menu = QMenu(f"Role of “{stack.series_description}”", self)
        group = QActionGroup(menu)
        current = self.overrides.role_of(stack)
        for role in Role:
            act = menu.addAction(role_label(role), self._set_role(stack, role))
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
        for action_id in ("preset_ct_abdomen", "preset_ct_liver", "preset_ct_bone", "preset_auto", "preset_mr_contrast",
                          "invert", "reset", None, "toggle_link", "link_all", "crosshair", None, "maximise", "swap_adc",
                          "dwi_adc_side_by_side", "compare_prior"):
            if action_id is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions_by_id[action_id])
        if isinstance(pos, QPoint):
            menu.exec(pos)

    # ------------------------------------------------------------------ where the reader left
    def _remember(self) -> None:
        """Keep where the reader is (pair, lesion, slices), a little later so scrolling costs nothing."""
        if not hasattr(self, "_remember_timer"):
            self._remember_timer = QTimer(self)
            self._remember_timer.setSingleShot(True)
            self._remember_timer.timeout.connect(self._save_last)
        self._remember_timer.start(500)

    def _save_last(self) -> None:
        if not self.remembers:
            if not (self.remember_when_free and self.last.claim()):
                return
            self.remembers, self.remember_when_free = True, False  # the other lesionlab has quit: this one keeps it
            gone = self.last.load()
            if gone is not None and not gone.clean:  # it died (its lock went with it): said before it is written over
                self.state.say(f"⚠ the other lesionlab ({gone.store or 'no reading project'}) ended without closing "
                               f"cleanly ({gone.saved_at_utc} UTC): every edit it saved is kept; this window now "
                               "keeps where the reading is")
        try:
            self.last.save(self.state, list(self.index_results), clean=False)
        except LesionlabError as exc:
            self.state.say(f"⚠ {exc}")

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
        # a cell's text typed, no Enter: kept before the project closes; what cannot be is asked about
        if not keep_or_ask(self, self.store_flow.ask, "Quit lesionlab?", ("quit", "Quit without it")):
            ev.ignore()  # gone back to it: the cell's editor open again holding what was typed
            return
        let_go(self)
        try:
            if self.remembers:
                self.last.save(self.state, list(self.index_results), clean=True)
        except LesionlabError:
            pass  # a settings folder that cannot be written must not keep the window open
        self.last.release()
        if self.keep_layout:  # the panels' places, as they were before images only (Ctrl+Shift+B)
            state = self._panels_before_images_only or self.saveState(LAYOUT_VERSION)
            self.layout_store.save(bytes(state.data()), bytes(self.saveGeometry().data()), self.images_share.share)
        sr_actions = getattr(self, "sr_actions", None)
        if sr_actions is not None:  # a PACS retrieve under way: stopped, not opened into a closed window
            sr_actions.stop()
        self.loads.cancel_all()
        self.align_job.cancel()
        self.compare_job.cancel()
        # nothing the closing window still hears (a cell's editor told of its focus going as the panels empty, a late
        # timer) writes where the reading was: an edit after the project closed created an empty
        # readings/reading.lesionlab (the default project), and the position saved after it, the exam closed, had no
        # patient or studies, so the next start reopened nothing (session 47's reader, after Work on a copy)
        self.remembers = self.remember_when_free = False
        if hasattr(self, "_remember_timer"):
            self._remember_timer.stop()
        self.session.create_default = _closed_window
        self.session.promote = None
        self.close_stores()
        super().closeEvent(ev)

    def close_stores(self) -> None:
        """Close the reading project and a study's store: SQLite folds its -wal into the file and removes the -wal
        and -shm (on quitting, also by a script's app.quit(), which closes no window)."""
        self.study_ui.flow.close()
        self.session.close()


def _closed_window() -> Path:
    raise StoreError("the window has closed: nothing more is recorded", where="reading project")


__all__ = ["MainWindow", "IndexJob", "QAction"]
