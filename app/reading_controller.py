"""The reading in the workstation: tools and layers in the six viewports, the docks, the store flow.

Thin Qt glue (STYLE.md): state is in :class:`app.reading_session.ReadingSession` (store, Reading,
Selection) and the viewer's models; slots here gather input, call them, and report through the
window's one error dialog or the status bar. The questions the store flow needs (reader name,
working copy or this file, another project in the study folder) go through :meth:`ask` and
:meth:`ask_text`, which tests replace.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QMessageBox

from annotation.qt.layers import CountLayer, MeasurementLayer
from annotation.qt.tools import CountTool, LineTool
from annotation.reading import ReadingEvent
from annotation.records import Measurement, NotMeasurable, NotVisible
from annotation.store import ReadingStore
from annotation.vocab import Lobe
from viewer.errors import LesionlabError, StoreLockedError
from app.reading_session import ReadingSession, data_dir, readings_dir, stores_in, working_copy_path
from app.reading_settings import ReaderName
from viewer.model.settings import RecentStudies
from viewer.records import READING_ROLES, Role
from viewer.studies import ExamPair as ViewerPair

if TYPE_CHECKING:
    from app.main_window import MainWindow


class ReadingController(QObject):
    """Signals: ``analysis_done(out_dir)`` once an analysis has been written and shown."""

    analysis_done = Signal(str)
    tool_changed = Signal(str)  # "window_level", "line", "count" (or another viewer tool's name)

    def __init__(self, window: "MainWindow", session: ReadingSession, reader_name: ReaderName,
                 recent: RecentStudies) -> None:
        super().__init__(window)
        self.window, self.session, self.reader_name, self.recent = window, session, reader_name, recent
        session.promote = self._promote
        self.viewer_pair: ViewerPair | None = None
        self.viewports = window.grid.viewports
        self.line_layers = [MeasurementLayer(session.selection) for _ in self.viewports]
        self.count_layers = [CountLayer(session.selection) for _ in self.viewports]
        for w, line, count in zip(self.viewports, self.line_layers, self.count_layers):
            w.add_layer(line)
            w.add_layer(count)
            w.tool_changed.connect(self._tool_changed)
        self.tool_name = "window_level"
        self.store_label = QLabel()
        window.statusBar().addPermanentWidget(self.store_label)
        self._unsubscribe: Callable[[], None] = lambda: None
        self._analysis: Any = None
        self.lobe_shown: Callable[[], None] = lambda: None  # the toolbar's lobe buttons (app.menus)
        self.last_dialog: Any = None
        session.replaced.connect(self._rebind)
        session.changed.connect(self._show_store)
        self._rebind()

    # ------------------------------------------------------------------ binding to the session
    @property
    def reading(self):  # type: ignore[no-untyped-def]
        return self.session.reading

    @property
    def selection(self):  # type: ignore[no-untyped-def]
        return self.session.selection

    def _rebind(self) -> None:
        """A new Reading (another store or reader): layers, tools, docks and undo follow it."""
        self._unsubscribe()
        sel = self.session.selection
        for layer in (*self.line_layers, *self.count_layers):
            layer.selection = sel
        self._unsubscribe = self.session.reading.subscribe(self._edited)
        sel.changed.connect(self._selection_changed)
        if self.viewer_pair is not None:
            sel.set_pair(self.session.find_pair(self.viewer_pair))
        if getattr(self.window, "docks", None) is not None:
            self.window.docks.bind(sel, self.prepare, self.jump)
        self.set_tool(self.tool_name)
        self._edited(None)
        self._show_store()

    def _selection_changed(self) -> None:
        self._repaint()
        self.lobe_shown()

    def _repaint(self, *_: object) -> None:
        for w in self.viewports:
            w.update()

    def _edited(self, event: ReadingEvent | None) -> None:
        self._repaint()
        r, acts = self.session.reading, self.window.actions_by_id
        if "undo" in acts:
            acts["undo"].setText(f"Undo {r.undo_description}" if r.can_undo else "Undo")
            acts["undo"].setEnabled(r.can_undo)
            acts["redo"].setText(f"Redo {r.redo_description}" if r.can_redo else "Redo")
            acts["redo"].setEnabled(r.can_redo)

    def _show_store(self) -> None:
        self.store_label.setText(self.session.describe())

    def say(self, text: str) -> None:
        self.window.status.setText(text)

    # ------------------------------------------------------------------ questions (tests replace these)
    def ask(self, title: str, text: str, choices: dict[str, str]) -> str | None:
        """One question with named buttons (key -> label, the first is the default); None = cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, self.window)
        buttons = {box.addButton(label, QMessageBox.ButtonRole.AcceptRole): key for key, label in choices.items()}
        box.setDefaultButton(next(iter(buttons)))
        box.exec()
        return buttons.get(box.clickedButton())  # type: ignore[call-overload]

    def ask_text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self.window, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.window, title, text)

    # ------------------------------------------------------------------ the store flow
    def open_store(self, path: str | Path, *, came_with_folder: bool = False) -> bool:
        """Open a reading project (read-only when it came with the study folder); True when open."""
        try:
            self.session.open(path, read_only=came_with_folder, came_with_folder=came_with_folder)
        except StoreLockedError as exc:
            self.inform("Reading project in use", f"{path} is open for writing in another lesionlab"
                        f" ({exc.message}).\n\nIt is opened read-only here: you can look, export and analyse;"
                        " to edit, close the other window and open it again, or edit here to work on a copy.")
        except LesionlabError as exc:
            self.window.show_error(str(exc))
            return False
        if not came_with_folder:
            self.recent.add(path)
        self.say(f"reading project {self.session.location or path}")
        return True

    def offer_stores_in(self, folder: str | Path) -> None:
        """A study folder holding ``*.lesionlab``: open it read-only (asking first when another is open)."""
        found = stores_in(folder)
        if not found or (self.session.path is not None and self.session.path.resolve() in {p.resolve() for p in found}):
            return
        if self.session.store is not None and self.ask(
                "Reading project in the study folder",
                f"{folder} holds the reading project {found[0].name}.\nOpen it instead of {self.session.path}?",
                {"open": "Open it (read-only until you edit)", "keep": "Keep the current one"}) != "open":
            return
        self.open_store(found[0], came_with_folder=True)

    def _promote(self, session: ReadingSession) -> ReadingStore | None:
        """First edit on a read-only project: a working copy in the data folder, or this file."""
        src = session.path
        assert src is not None
        copy = working_copy_path(src)
        choices = {"copy": f"Work on a copy ({copy.name})"}
        if not session.locked_by:
            choices["in_place"] = "Edit this file"
        why = ("is open for writing in another lesionlab" if session.locked_by else
               "came with the study folder and is open read-only (browsing it changes nothing)")
        answer = self.ask("Edit the reading project?",
                          f"{src} {why}.\n\nA copy goes to {copy.parent} and stays in File -> Recent reading"
                          " projects.", choices)
        if answer == "copy":
            store = session.working_copy(copy)
        elif answer == "in_place":
            store = session.reopen_writable()
        else:
            return None
        self.recent.add(store.path)
        self.say(f"now editing {store.path}")
        return store

    def prepare(self) -> str | None:
        """Before any edit from the viewports or docks: the reader named, the pair in the project,
        a writable store. Returns why not, or None when ready."""
        if self.viewer_pair is None:
            return "choose an exam pair first (double-click a pair in the study browser)"
        if not self.reader_name.asked and self.session.reading.reader == self.session.me:
            name = self.ask_text("Reader", "Your name as the reader of this study (asked once):", self.reader_name.guess())
            if name is None:
                return "a reading needs the reader's name"
            self.reader_name.set(name)
            self.session.me = self.session.reading.reader = name  # no edit of this session is in the Reading yet
            self._show_store()
        try:
            self.session.make_writable()
            key = self.session.ensure_pair(self.viewer_pair)
        except LesionlabError as exc:
            return str(exc)
        if self.selection.pair != key:
            self.selection.set_pair(key)
        return None

    def pair_opened(self, pair: ViewerPair) -> None:
        self.viewer_pair = pair
        self.selection.set_pair(self.session.find_pair(pair))

    def ask_new_store(self) -> None:
        readings_dir().mkdir(parents=True, exist_ok=True)
        path, _ = QFileDialog.getSaveFileName(self.window, "New reading project", str(readings_dir() / "reading.lesionlab"),
                                              "Reading projects (*.lesionlab)")
        if path:
            self.open_store(path if path.endswith(".lesionlab") else path + ".lesionlab")

    def ask_open_store(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a reading project", str(readings_dir()),
                                              "Reading projects (*.lesionlab)")
        if path:
            self.open_store(path)

    def ask_open_database(self) -> None:
        """A reading project on a PostgreSQL server (several readers, sites): its URL, no password."""
        url = self.ask_text("Open a database reading project",
                            "PostgreSQL URL, e.g. postgresql://you@server/study (the password comes from ~/.pgpass):",
                            "postgresql://")
        if url and url != "postgresql://":
            self.open_store(url)

    def ask_reader(self) -> None:
        name = self.ask_text("Reader", "Reader name (your edits are recorded under it):", self.session.me)
        if name:
            self.reader_name.set(name)
            self.session.set_reader(name)

    # ------------------------------------------------------------------ tools
    def set_tool(self, name: str) -> None:
        """"line", "count" or "window_level" in all six viewports."""
        self.tool_name = name
        for w, line, count in zip(self.viewports, self.line_layers, self.count_layers):
            if name == "line":
                w.set_tool(LineTool(self.selection, line, on_message=self.say, prepare=self.prepare))
            elif name == "count":
                w.set_tool(CountTool(self.selection, count, on_message=self.say, prepare=self.prepare))
            else:
                w.set_tool(None)

        self.tool_changed.emit(name)

    def _tool_changed(self, name: str) -> None:
        """Esc in one viewport puts all six back to window/level; other tools are just noted."""
        if name == self.tool_name:
            return
        if name == "window_level":
            self.set_tool(name)
        else:
            self.tool_name = name
            self.tool_changed.emit(name)

    def _active_role(self) -> Role | None:
        role = self.window.reading.active.role
        return role if role in READING_ROLES else None

    def _edit(self, fn: Callable[[], object]) -> None:
        """Run a reading command after :meth:`prepare`; a refusal goes to the status bar."""
        reason = self.prepare()
        if reason:
            raise LesionlabError(reason)
        fn()

    def new_lesion(self) -> None:
        self._edit(lambda: None)
        lid = self.selection.new_lesion()
        self.set_tool("line")
        self.say(f"new lesion {lid} ({self.selection.lobe.value} lobe): drag its longest axial diameter")

    def step_lesion(self, step: int) -> None:
        sel = self.selection
        if sel.pair is None:
            return
        ids = [les.lesion_id for les in self.reading.project.lesions_of(sel.pair[0], sel.pair[1], self.reading.reader)]
        if not ids:
            self.say("no lesion yet: N starts one")
            return
        i = ids.index(sel.lesion_id) + step if sel.lesion_id in ids else (0 if step > 0 else -1)
        sel.set_lesion(ids[i % len(ids)])
        self.show_lesion(ids[i % len(ids)])

    def set_lobe(self, lobe: Lobe) -> None:
        self.selection.set_lobe(lobe)
        self.say(f"new marks and lesions go to the {lobe.value} lobe")

    def set_status(self, observation: NotVisible | NotMeasurable | None) -> None:
        role, lid = self._active_role(), self.selection.lesion_id
        if role is None or lid is None:
            raise LesionlabError("select a lesion (lesion grid, ] or [) and a cell of the six series first")
        self._edit(lambda: self.reading.set_observation(self.selection.pair, lid, role, observation))
        what = observation.status.value.replace("_", " ") if observation is not None else "cleared"
        self.say(f"{lid} on {role.value}: {what}")

    def toggle_uncountable(self) -> None:
        role = self._active_role()
        if role is None:
            raise LesionlabError("the active cell is not one of the six reading series")
        self._edit(lambda: None)
        pair, r = self.selection.pair, self.reading
        now = not r.project.uncountable(pair[0], pair[1], r.reader, role)
        r.set_uncountable(pair, role, now, "massive or coalescent" if now else "")
        self.say(f"{role.value}: {'not countable' if now else 'countable'}")

    def delete_selected(self) -> None:
        """The count mark under the pointer, else the current lesion's status on the active series."""
        cell = self.window.reading.layout.active
        hover = self.count_layers[cell].hover
        if hover is not None and hover in self.reading.project.count_marks:
            self._edit(lambda: self.reading.delete_count_mark(hover))
            self.count_layers[cell].hover = None
            self.say("count mark deleted")
            return
        role, lid, pair = self._active_role(), self.selection.lesion_id, self.selection.pair
        les = self.reading.project.lesions.get((*pair, self.reading.reader, lid)) if pair and lid else None
        if les is None or role is None or les.observation(role) is None:
            raise LesionlabError("nothing to delete: point at a count mark, or pick a lesion measured on the active series")
        self.set_status(None)

    # ------------------------------------------------------------------ jumping to measurements
    def jump(self, role: Role, m: Measurement) -> None:
        """A lesion-grid click: the cell of that series shows the measurement's slice, centred on it."""
        r = self.window.reading
        cells = [i for i, vp in enumerate(r.viewports) if vp.key == m.stack_key]
        cells = cells or [i for i, c in enumerate(r.hanging.cells) if c.role is role]
        if not cells:
            raise LesionlabError(f"no cell shows {role.value}")
        cell, vp = cells[0], r.viewports[cells[0]]

        def go() -> None:
            vp.set_index(m.slice_index)
            vp.set_center(((m.p1[0] + m.p2[0]) / 2, (m.p1[1] + m.p2[1]) / 2))

        if vp.key != m.stack_key:  # another stack hangs there (ADC swapped in, a dropped stack)
            stack = self.window.browser.stack_by_key(m.stack_key)
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
        self.window.grid.active_widget.setFocus()

    def show_lesion(self, lesion_id: str) -> int:
        """Every viewport to the slice where ``lesion_id`` is measured on its series (links held
        off meanwhile so that one series' slice does not drag the others); returns how many moved."""
        sel, r = self.selection, self.window.reading
        les = self.reading.project.lesions.get((*sel.pair, self.reading.reader, lesion_id)) if sel.pair else None
        if les is None:
            return 0
        linked = [vp.linked for vp in r.viewports]
        moved = 0
        try:
            for vp in r.viewports:
                vp.set_linked(False)
            for vp in r.viewports:
                m = les.observation(vp.role) if vp.role in READING_ROLES else None
                if isinstance(m, Measurement) and m.stack_key == vp.key:
                    vp.set_index(m.slice_index)
                    moved += 1
        finally:
            for vp, was in zip(r.viewports, linked):
                vp.set_linked(was)
        self.say(f"{lesion_id} on {moved} series")
        return moved

    # ------------------------------------------------------------------ export and analysis
    def _store_path(self) -> Path:
        if self.session.path is None:
            raise LesionlabError("no reading project is open", advice="File -> Open reading project")
        return self.session.path

    def ask_export(self) -> None:
        from app.export_analysis import ExportDialog

        src = self._store_path()
        dialog = ExportDialog(data_dir() / "exports" / src.stem, self.window)
        if dialog.exec():
            self.export_to(Path(dialog.folder.text()), dialog.pseudonymise.isChecked())

    def export_to(self, out_dir: str | Path, pseudonymise: bool = False) -> None:
        from app.export_analysis import export

        try:
            self.say(export(self._store_path(), Path(out_dir), pseudonymise))
        except OSError as exc:  # a folder that is a file, not writable, a full disk...
            raise LesionlabError(f"the export failed: {exc.strerror or exc}", where=str(out_dir),
                                 advice="choose another, writable folder") from None

    def run_analysis(self, out_dir: str | Path | None = None) -> None:
        """Analyse the open project into ``out_dir`` (default ``<data>/analysis/<project>``) in a thread."""
        from app.export_analysis import AnalysisJob

        src = self._store_path()
        out = Path(out_dir) if out_dir is not None else data_dir() / "analysis" / src.stem
        self._analysis = AnalysisJob(self)
        self._analysis.done.connect(self._analysed)
        self._analysis.failed.connect(self.window.show_error)
        self.say(f"analysing {src.name} into {out} …")
        self._analysis.start(src, out)

    def _analysed(self, result: Any, out_dir: str) -> None:
        from app.export_analysis import AnalysisDialog

        self.say(f"{result.summary} Written to {out_dir}.")
        self.last_dialog = AnalysisDialog(result, Path(out_dir), self.window)
        self.last_dialog.show()
        self.analysis_done.emit(out_dir)
