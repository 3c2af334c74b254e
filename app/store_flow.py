"""Which reading project is open, and the questions around it (Qt side of app/reading_session.py).

Inputs are narrow: a parent widget for dialogs, the session, the workstation state (for the exam
pair being read), the reader-name setting, the recent-projects list and a status callback. The
questions (reader name, working copy or this file, another project in the study folder) go
through :meth:`ask`, :meth:`ask_text` and :meth:`inform`, which tests replace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from annotation.lost_marks import lost_count_marks, lost_marks_short, lost_marks_text
from annotation.store import ReadingStore
from annotation.store_location import is_url
from app.reading_session import (ReadingSession, held_roles, in_study_folder, readings_dir, stores_in,
                                 working_copy_path)
from app.open_edits import keep_or_ask, let_go
from app.reading_settings import ReaderName, reader_name_problem
from app.status_label import ElidedLabel
from app.workstation import WorkstationState
from viewer.errors import BlindedRoleError, LesionlabError, StoreLockedError
from viewer.model.settings import RecentStudies


#: the widest the reader and project's label gets; narrower while the message beside it needs the room
#: (MainWindow.fit_status_bar)
STORE_LABEL_MAX = 460
#: the least the label keeps beside a long message: the reader's name and the label's end (the file name, a read-only
#: project's "editing works on a copy)"), or the reader's name and "…" where that alone is wider (a reader's name
#: with "(also in the project: sample)" took 300 px of it at 1366 x 768)
STORE_LABEL_LEAST = 300


class StoreFlow(QObject):
    def __init__(self, parent: QWidget, session: ReadingSession, state: WorkstationState, reader_name: ReaderName,
                 recent: RecentStudies, show_error: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.parent_widget, self.session, self.state = parent, session, state
        self.reader_name, self.recent, self.show_error = reader_name, recent, show_error
        self._name_declined = False  # the reader's name declined as an exam opened (ask_reader_now)
        # projects lying with DICOM studies the reader chose to edit in place: opened for writing again
        # (else read-only, asking at the first edit, every time)
        self.edited_in_place = RecentStudies(Path(recent.path).parent / "edited_in_place.json", limit=10_000)
        #: study folders' projects the reader chose not to open over theirs: not asked again at every start
        self.not_offered = RecentStudies(Path(recent.path).parent / "stores_not_offered.json", limit=1_000)
        #: the project asked for at start (``view --store``, the last session's) when it could not be opened (its
        #: message said why): no other project is opened in its place until the reader opens one
        self.not_opened: str | None = None
        #: projects whose count marks lost before session 44 were told in a box (annotation.lost_marks): once each
        self.lost_marks_said = RecentStudies(Path(recent.path).parent / "lost_marks_said.json", limit=10_000)
        # the reader and the project's path past a third of a 1,400 px bar, then the path's end (the file name, a note
        # on the project), cut at its beginning: narrower beside a long message, the end stays (whole on hover)
        self.store_label = ElidedLabel(mode=Qt.TextElideMode.ElideLeft, max_width=STORE_LABEL_MAX)
        # (project, other reader, me): the reader agreed to edit that read; forgotten on any other project,
        # reading or reader name (a Reading replaced)
        self._theirs_agreed: tuple[str | None, str, str] | None = None
        #: where a blinded reader role's store goes instead of opening as a project: the study flow
        #: (MainWindow sets it; the role may not load the whole project)
        self.open_study: Callable[..., None] | None = None
        #: called when the label's text changes (MainWindow fits the status bar's two texts)
        self.label_changed: Callable[[], None] = lambda: None
        #: the status bar's (reader, store) while a reader study is open with no case on screen, else None (MainWindow
        #: sets it: app/study_flow.py)
        self.study_status: Callable[[], tuple[str, str] | None] = lambda: None
        session.promote = self._promote
        session.changed.connect(self.show_store)
        session.replaced.connect(self.show_store)
        session.replaced.connect(self._forget_agreement)
        state.prepare = self.prepare
        state.reader_known = lambda: bool(self.reader_name.asked or self.session.reading.reader != self.session.me)
        self.show_store()

    def _forget_agreement(self) -> None:
        self._theirs_agreed = None

    def show_store(self) -> None:
        who, where = self.study_status() or self.session.describe_parts()
        self.store_label.keep_prefix = who
        self.store_label.setText(who + where)
        self.label_changed()

    # ------------------------------------------------------------------ questions (tests replace these)
    def ask(self, title: str, text: str, choices: dict[str, str]) -> str | None:
        """One question with named buttons (key -> label, the first is the default); None = cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, self.parent_widget)
        buttons = {box.addButton(label, QMessageBox.ButtonRole.AcceptRole): key for key, label in choices.items()}
        box.setDefaultButton(next(iter(buttons)))
        box.exec()
        clicked = box.clickedButton()
        return next((key for button, key in buttons.items() if button is clicked), None)

    def ask_text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self.parent_widget, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def ask_reader_name(self, label: str, default: str) -> str | None:
        """The reader's name, asked until it is one (None: declined). A one-letter answer is refused and asked
        again, saying why: the question opens as an exam does, and a reading key pressed then (N, then Enter)
        replaced the login name proposed and was taken as the name (a radiologist's check read as "n")."""
        while True:
            name = self.ask_text("Reader", label, default)
            problem = reader_name_problem(name) if name is not None else ""
            if not problem:
                return name
            label = f"{problem}\n\n{label}"

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent_widget, title, text)

    # ------------------------------------------------------------------ opening
    def open_store(self, path: str | Path, *, came_with_folder: bool = False) -> bool:
        """Open a reading project (read-only when it came with the study folder); True when open."""
        if self.session.path is not None and not self.session.read_only \
                and Path(path).resolve() == self.session.path.resolve():
            # the project already open (File -> Recent): opening it again hit its own lock, opened it
            # read-only and offered another working copy, splitting the read over two files
            self.state.say(f"reading project {self.session.location} is the one open")
            return True
        # typed in the project left: kept there; what cannot be is asked about (app/open_edits.py)
        if not keep_or_ask(self.parent_widget, self.ask, "Open another reading project?",
                           ("leave", "Open it without it")):
            return False
        # a project made here (File -> New) or once chosen "Edit this file" is the reader's own: writable,
        # however it is found (with its folder too)
        new_here = not is_url(str(path)) and not Path(path).exists()
        with_images = (came_with_folder or in_study_folder(path)) and not self._edited_in_place(path)
        try:
            self.session.open(path, read_only=with_images, came_with_folder=with_images)
        except StoreLockedError as exc:
            self.inform("Reading project in use", f"{path} is open for writing in another lesionlab"
                        f" ({exc.message}).\n\nIt is opened read-only here: you can look, export and analyse;"
                        " to edit, close the other window and open it again, or edit here to work on a copy.")
        except BlindedRoleError as exc:
            if self.open_study is None:
                self.show_error(str(exc))
                return False
            try:
                # a blinded reader's database: straight to their study cases (asked already: not again)
                self.open_study(str(path), asked=True)
            except LesionlabError as study_exc:
                self.show_error(str(study_exc))
                return False
            self.recent.add(path)
            return True
        except LesionlabError as exc:
            self.show_error(str(exc))
            return False
        # what was said at keep_or_ask goes now that the project has opened (not when it failed to: review48)
        let_go(self.parent_widget, leaving_project=True)
        self.not_opened = None
        if not came_with_folder:
            self.recent.add(path)
        if new_here and in_study_folder(path):
            self.edited_in_place.add(path)  # made beside the studies by the reader: writable when reopened
        said = f"reading project {self.session.location or path}"  # a URL without its password
        if with_images and self.session.read_only:
            said += " (read-only: it came with the study folder; browsing changes nothing, the first edit asks where)"
        elif self.session.read_only and self.session.came_with_folder:
            said += (" (read-only: it lies where it cannot be written; browsing changes nothing, the first edit asks "
                     "where to keep a copy)")
        self.state.say(said + self.whose_reads())
        self._tell_lost_marks(path)
        return True

    def _tell_lost_marks(self, path: str | Path) -> None:
        """Count marks a project written before session 44 lost (annotation.lost_marks): told once per project, in a
        box naming the exams, series and lesions, then in the status bar at each opening (and in Checks, on each exam,
        until counted again). They were lost silently: an exam's count on a series fell by one per lesion carried to a
        later exam and measured there."""
        lost = lost_count_marks(self.session.reading.project)
        if not lost:
            return
        self.state.say(f"{self.state.status}; ⚠ {lost_marks_short(lost, self.session.reading.project)}")
        # a database by its URL without the password (kept as a path: under the folder lesionlab started from)
        key = self.session.location if is_url(str(path)) and self.session.location else str(path)
        self.tell_lost_marks_once(key, lost_marks_text(lost, self.session.reading.project))

    def tell_lost_marks_once(self, key: str, text: str) -> None:
        """The lost count marks' box (annotation.lost_marks), unless it was shown for ``key`` before: a project, or a
        reader study's case read (app/study_dialog.py)."""
        if str(Path(key).resolve()) in self.lost_marks_said.paths:
            return
        self.lost_marks_said.add(key)
        self.inform("Count marks lost in an older project", text)

    def _edited_in_place(self, path: str | Path) -> bool:
        return str(Path(path).resolve()) in self.edited_in_place.paths

    def whose_reads(self) -> str:
        """"; it holds the read of sample, not yours ..." when the read shown is empty and the project
        holds other readers' (a reader's check: File -> Open showed an empty read under the login name,
        and after a restart a reader's corrections, recorded in another's read, looked lost)."""
        project, shown = self.session.reading.project, self.session.reading.reader
        readers = project.readers()
        others = sorted(readers - {shown})
        if shown in readers or not others:
            return ""
        return (f"; it holds the read{'s' if len(others) > 1 else ''} of {', '.join(others)}, none of {shown}'s: "
                "File -> Reader name shows another's read")

    def offer_stores_in(self, folder: str | Path) -> None:
        """A study folder holding ``*.lesionlab``: open it read-only (asking first when another is open)."""
        found = stores_in(folder)
        if not found or (self.session.path is not None and self.session.path.resolve() in {p.resolve() for p in found}):
            return
        if self.session.store is None and self.not_opened is not None:
            # the project asked for could not be opened (a full disk, a lock file it could not write): the folder's own
            # project was opened silently in its place, read-only, another reader's read under the window (a
            # radiologist's check, session 48): the window stays without a project and says so
            self.state.say(f"no reading project open: {self.not_opened} could not be opened (the message said why); "
                           f"{folder} holds the reading project {found[0].name}, not opened in its place: File -> Open "
                           "reading project opens one")
            return
        if self.state.blinded:  # a reader study is open: a folder's project holds others' reads and the names
            self.state.say(f"{folder} holds the reading project {found[0].name}: not opened while a reader study is "
                           "open")
            return
        if self.session.store is not None:
            if str(found[0].resolve()) in self.not_offered.paths:
                # kept over it once: not asked at every start (a radiologist's check), said
                self.state.say(f"{folder} holds the reading project {found[0].name} (not offered again: File -> Open "
                               "reading project opens it)")
                return
            if self.ask("Reading project in the study folder",
                        f"{folder} holds the reading project {found[0].name}.\nOpen it instead of {self.session.path}?",
                        {"keep": "Keep the current one (not asked again for it)",
                         "open": "Open it (read-only until you edit)"}) != "open":
                self.not_offered.add(found[0])
                return
        if self.open_store(found[0], came_with_folder=True) and len(found) > 1:
            others = ", ".join(p.name for p in found[1:])
            self.state.say(f"{self.state.status}; the folder also holds {others}: File -> Open reading project"
                           " opens it (read-only too)")

    def _promote(self, session: ReadingSession) -> ReadingStore | None:
        """First edit on a read-only project: a working copy in the data folder, or this file."""
        src = session.path
        assert src is not None
        changed = ""
        if session.locked_by:
            # the other lesionlab may have closed it since: then the file itself, as the reader saw it, is taken up
            # (a working copy offered "as it is open for writing in another lesionlab" split the reading in two)
            try:
                store = session.reopen_writable()
            except StoreLockedError:
                pass
            except LesionlabError:
                changed = ("was changed by another lesionlab since it was opened here (File -> Open reading project "
                           "shows those edits; this edit goes to a copy of what is shown)")
            else:
                self.state.say(f"{store.where}: the other lesionlab has closed it; now editing it here")
                return store
        copy = working_copy_path(src)
        choices = {"copy": f"Work on a copy ({copy.name})"}
        if not session.locked_by and not session.unwritable:
            # on a disc "Edit this file" could only fail ("cannot open the store for writing: ... read-only file
            # system"), and the question said the store "came with the study folder"
            choices["in_place"] = "Edit this file"
        why = (changed or "is open for writing in another lesionlab" if session.locked_by else
               f"cannot be written where it lies ({session.unwritable})" if session.unwritable else
               "came with the study folder and is open read-only (browsing it changes nothing)")
        answer = self.ask("Edit the reading project?",
                          f"{src} {why}.\n\nA copy goes to {copy.parent} and stays in File -> Recent reading"
                          " projects.", choices)
        if answer == "copy":
            store = session.working_copy(copy)
        elif answer == "in_place":
            store = session.reopen_writable()
            self.edited_in_place.add(src)  # the reader's own choice for this file: writable next time
        else:
            return None
        if store.path is not None:
            self.recent.add(store.path)
        self.state.say(f"now editing {store.where}")
        return store

    def ask_reader_now(self) -> None:
        """An exam opened for reading, on a project this reader's edits go to, and no reader name given yet on this
        machine: the name asked now, before the reader's first key (asked at the first edit, N or a click, the
        question took the keys typed after it as the name: a radiologist's check). Declined: asked again at the
        first edit, as before."""
        s = self.session
        if self.reader_name.asked or s.reading.reader != s.me or s.read_only or self.state.blinded \
                or self._name_declined:
            return
        name = self.ask_reader_name("Your name as the reader of this study (asked once, before you read):",
                                    self.reader_name.guess())
        if name is None:  # only looking: not asked again at each exam opened (a review), at the first edit it is
            self._name_declined = True
            return
        self.reader_name.set(name)
        s.me = s.reading.reader = name  # nothing is read under the default name yet (its first edit asks)
        self.show_store()

    def prepare(self) -> str | None:
        """Before any edit: the reader named, the pair in the project, a writable store. Returns why not."""
        pair = self.state.pair
        if pair is None:
            return "choose an exam pair first (double-click a pair in the study browser)"
        whose = self._whose_read()
        if whose:
            return whose
        if not self.reader_name.asked and self.session.reading.reader == self.session.me:
            name = self.ask_reader_name("Your name as the reader of this study (asked once):", self.reader_name.guess())
            if name is None:
                return "a reading needs the reader's name"
            self.reader_name.set(name)
            self.session.me = self.session.reading.reader = name  # no edit of this session is in the Reading yet
            self.show_store()
        try:
            self.session.make_writable()
            # the roles of the exam's stacks, the reader's corrections included; not of the cells they hang in (P
            # hangs the series compared in the CT arterial cell: a portal-only CT was recorded as holding CT arterial)
            key = self.session.ensure_pair(pair, held_roles(pair, self.state.viewer.hanging.role_of))
        except LesionlabError as exc:
            return str(exc)
        if self.state.selection.pair != key:
            self.state.selection.set_pair(key)
        return None

    def _whose_read(self) -> str | None:
        """Before the first edit on a read-only project that shows another reader's read (the only one in
        it): whose read the edits go to, asked once per project opened -- never recorded under another
        reader's name unasked. Returns why not (declined), or None."""
        s = self.session
        if s.store is None or not s.read_only or s.store.role_reader or s.reading.reader == s.me \
                or self._theirs_agreed == (s.location, s.reading.reader, s.me):
            return None
        other = s.reading.reader
        me = self.reader_name.name if self.reader_name.asked else ""
        answer = self.ask("Whose read?",
                          f"{s.location} holds {other}'s read, shown now. Every edit is recorded under a reader's "
                          f"name.\n\nRead the exams yourself (your own read beside {other}'s, which stays as it is; "
                          f"the patients' clinical records are shared by every read), or edit {other}'s read (a "
                          f"correction recorded as {other}'s, the project's log naming you)?",
                          {"mine": f"My own read{f' as {me}' if me else ''}", "theirs": f"Edit {other}'s read"})
        if answer is None:
            return "nothing was changed: choose whose read your edits go to"
        if not me:  # either way the project's log names who edits
            me = self.ask_reader_name("Your name as the reader of this study (asked once):",
                                      self.reader_name.guess()) or ""
            if not me:
                return "a reading needs the reader's name"
            self.reader_name.set(me)
            s.me = me
        if answer == "theirs":
            self._theirs_agreed = (s.location, other, me)
            return None
        # my own read shown instead (every panel follows), and the action asked for refused: what it was
        # aimed at (a mark under the pointer, a row of the grid) belonged to the other read
        s.set_reader(me)
        return f"now your own read as {me} ({other}'s read stays as it is): do it again"

    def ask_new_store(self) -> None:
        readings_dir().mkdir(parents=True, exist_ok=True)
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, "New reading project",
                                              str(readings_dir() / "reading.lesionlab"), "Reading projects (*.lesionlab)")
        if path:
            self.open_store(path if path.endswith(".lesionlab") else path + ".lesionlab")

    def ask_open_store(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open a reading project", str(readings_dir()),
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
        if self.state.blinded:  # "R2@MRI" typed there wrote into R2's read of the case, past the study's checks
            raise LesionlabError("a blinded study case is on screen: it is read as the study's reader who opened it",
                                 advice="finish or leave the case (Study menu) to change the reader")
        name = self.ask_reader_name("Reader name (your edits are recorded under it):", self.session.me)
        if name:
            self.reader_name.set(name)
            self.session.set_reader(name)
            project = self.session.reading.project
            others = sorted(project.readers() - {self.session.reading.reader})
            if others:  # the grid shows this reader's read only: say whose else the project holds
                self.state.say(f"reader {self.session.reading.reader}: your own read is shown; the project also "
                               f"holds the read{'s' if len(others) > 1 else ''} of {', '.join(others)}, not shown "
                               f"(edits are recorded under the reader name)")
