"""Study mode in the window: open a study as a reader, the case list with progress, the next case in one key.

:class:`StudyUi` is the thin Qt side of :class:`app.study_flow.StudyFlow`: menu items (Study ->
Open study as reader, Case list, Finish this case; Ctrl+N "Next case" comes from the shortcut
table), the case list dialog, and putting a case on screen blinded: only the session's modality
hangs, the study browser (patient names) is hidden, the viewport overlays (patient id, dates) are
turned off and the window title names the study code.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QInputDialog, QLabel, QMessageBox, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from annotation.checks import ProtocolWarning, case_lost_mark_warnings, check_pair
from annotation.lost_marks import case_lost_marks_short, case_lost_marks_text
from annotation.project import Project
from annotation.study_store import CaseRead, Study
from app.menus import MenuItem
from app.open_edits import keep_or_ask, let_go
from app.study_flow import CaseRow, StudyFlow
from app.suggester import install as install_suggester
from viewer.errors import StudyError
from viewer.records import READING_ROLES, Role
from viewer.studies import all_pairs

_MR_ROLES = {Role.MR_T2FS, Role.MR_DWI, Role.MR_T1_ARTERIAL, Role.MR_T1_PORTAL}
COLUMNS = ("Session", "#", "Case", "Status", "Reading time")


def _identifiers(window: Any) -> set[str]:
    """What names a patient in the window: the images' patient ids and names (each part of a DICOM name too) and the
    patients of the reading on screen (a blinded case's status bar must show none of them)."""
    out: set[str] = set()
    for patient in window.patients:
        out.add(patient.patient_id)
        name = patient.patient_name.replace("^", " ").strip()
        out.update({name, *(part for part in name.split() if len(part) > 2)})
    reading = getattr(window.session, "reading", None)
    if reading is not None:
        out.update(reading.project.patients)
    return out


class StudyDialog(QDialog):
    """The reader's case list: session, place in their order, study code, status, reading time."""

    def __init__(self, ui: "StudyUi", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = ui
        self.setWindowTitle("Study cases")
        self.progress = QLabel()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.cellDoubleClicked.connect(lambda row, _: self.open_row(row))
        buttons = QDialogButtonBox()
        self.next_button = QPushButton("Next case (Ctrl+N)")
        self.open_button = QPushButton("Open selected")
        buttons.addButton(self.next_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.hide)
        self.next_button.clicked.connect(ui.next_case)
        self.open_button.clicked.connect(self.open_selected)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.rows: list[CaseRow] = []
        self.resize(520, 420)

    def refresh(self) -> None:
        flow = self.ui.flow
        self.rows = flow.rows()
        self.progress.setText(flow.progress_text())
        self.table.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            minutes = "" if row.minutes is None else f"{row.minutes:.1f} min"
            for j, text in enumerate((row.session, str(row.position), row.code, row.status, minutes)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        # every column to its contents: at its 100 px each "Reading time" read "Reading tin" over a horizontal scroll
        # bar in the 520 px list (a check under Xvfb)
        self.table.resizeColumnsToContents()

    def open_selected(self) -> None:
        """Open the case the reader selected, none when none is: the table's current row is row 0 as soon as the list
        has the focus, nothing shown selected, and "Open selected" opened session 1's first case (review39b: once
        finished, going back to it is a look at the read, which restarts its patient's washout on PostgreSQL)."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.ui.window.state.say("select a case in the list first: Open selected opens the case you chose")
            return
        self.open_row(rows[0].row())

    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            case = self.rows[row]
            self.ui.run(lambda: self.ui.open_case(case.session, case.code))


class StudyUi:
    """Study mode of a MainWindow (``window``: session, state, patients, open_pair, dock, run, show_error)."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.flow = StudyFlow(window.session, self._show_case)
        #: the case and the protocol warnings said at a Ctrl+N that left it open: the same again finishes it
        self._armed: tuple[object, tuple[str, ...]] | None = None
        self.dialog: StudyDialog | None = None
        window.session.replaced.connect(self._store_replaced)
        window.docks.more_checks = self._case_checks

    def run(self, fn: Callable[[], object]) -> None:
        self.window.run(fn)

    def menu_items(self) -> list[MenuItem]:
        return [("Study", "Finish this case", self.finish_case, None)]

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {"study_next": self.next_case, "open_study": self.ask_open, "case_list": self.show_cases}

    # ------------------------------------------------------------------ actions
    def ask_open(self) -> None:
        session = self.window.session
        location, ok = QInputDialog.getText(self.window, "Open study as reader",
                                            "Study store (a .lesionlab file or a postgresql:// URL):",
                                            text=session.location or "")
        if not ok or not location.strip():
            return
        # nothing proposed: the app's reader name (the last reader's on a shared workstation, or a login name) taken
        # with Enter opened the study as that reader, whose cases the next reader then read (a radiologist's read,
        # session 43); the study's names are codes, each reader types theirs
        reader, ok = QInputDialog.getText(self.window, "Open study as reader",
                                          "Your reader code in the study (as the coordinator gave it, e.g. R1):")
        if ok and reader.strip():
            self.open(location.strip(), reader.strip())

    def open(self, location: str, reader: str | None = None, *, asked: bool = False) -> None:
        """Open the study as ``reader`` (None: the reader the database role is bound to); ``asked``: what is typed
        and not recordable was asked about already (File -> Open on a blinded reader's database)."""
        # typed in the project left and not recordable (a line added without its start, a refused text): asked, as File
        # -> Open asks; Ctrl+Shift+T closed the exam and the line went without a word (review48)
        if not asked and not keep_or_ask(self.window, self.window.store_flow.ask, "Open the study?",
                                         ("leave", "Open it without it")):
            return
        study = self.flow.open(location, reader)
        let_go(self.window, leaving_project=True)  # once the study has opened (review48)
        self._blind()
        self._one_click_as_the_study_says()
        # the exam read before goes: its patient id and dates stayed in the title, its read in the lesion grid, Counts
        # and the clinical record's title, and an edit (N) went to that project under its reader while the status bar
        # named the study's reader and store (a radiologist's check, session 43)
        self.window.close_pair()
        self.window.grid.set_missing_note("no case open: Ctrl+N opens your next case", set(READING_ROLES))
        self.window.store_flow.show_store()  # the study's reader named, not the project the session still holds
        self.window.state.say(f"study {study.study_id} open as {self.flow.reader}: Ctrl+N opens your next case")
        self.show_cases()

    def one_click_refused(self) -> str:
        """Why one-click diameters may not be turned on ("" when they may): a study open whose definition keeps them
        off (``one_click``, default false). They stayed on in a blinded study (a radiologist's read, session 43): a
        reader's lines were then partly the method's, unknown to the coordinator."""
        study = self.flow.study
        if study is None or not self.flow.in_force() or not self.window.state.blinded or study.definition.one_click:
            return ""
        return (f"one-click diameters are off in study {study.study_id}: its readers draw each diameter (the study "
                "definition's one_click = false, set by the coordinator)")

    def _one_click_as_the_study_says(self) -> None:
        """One-click as the study open says (off where its definition keeps it off, for the study's time only), else
        as the reader's own setting: back when the study closes (another study opened, or its store replaced by a
        reading project), never overwritten by the study's."""
        w = self.window
        on = w.view_settings.own_one_click and not self.one_click_refused()
        if on == w.view_settings.one_click:
            return
        w.view_settings.set_one_click(on, own=False)
        w.one_click_action.setChecked(on)
        if on:
            install_suggester(w.state)
        else:
            w.state.set_suggester(None)

    def _store_replaced(self) -> None:
        """The session's reading project replaced: when a reading project took the study's place (StudyFlow.in_force),
        one-click goes back to the reader's own setting, and the overlays name the patient and the exam date again,
        the browser back (they stayed blinded for every project opened later in the window: a reader could not check
        whose images they were, review48). Not between two stores (a case opening closes the project held before its
        own store comes)."""
        if self.window.session.store is not None:
            self._one_click_as_the_study_says()
            if self.window.state.blinded and not self.flow.in_force():
                self._unblind()

    def show_cases(self) -> None:
        """The case list (Ctrl+T). Without a study open, the status bar says how to open one: a modal box said "no
        study is open (Study -> Open study as reader)" without Ctrl+Shift+T, and had to be closed first (session
        44's leftovers)."""
        try:
            self.flow.open_study()
        except StudyError as exc:
            if self.dialog is not None:
                self.dialog.hide()
            self.window.state.say(f"⚠ {exc.message}: {self._key('open_study')} (Study → Open study as reader…) "
                                  f"opens a study, then {self._key('case_list')} lists your cases")
            return
        if self.dialog is None:
            self.dialog = StudyDialog(self, self.window)
            key = getattr(self.window, "actions_by_id", {}).get("study_next")
            if key is not None:
                self.dialog.addAction(key)  # Ctrl+N works in the case list too
        self.dialog.refresh()
        self.dialog.show()
        self.dialog.raise_()

    def _key(self, action: str) -> str:
        """The key of a window action as the reader has it (shortcuts.json may remap it), else the menu's way."""
        act = getattr(self.window, "actions_by_id", {}).get(action)
        keys = act.shortcuts() if act is not None else []
        return keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else "the Study menu"

    def _refresh(self) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            if self.flow.study is None:
                # the study closed under the call (another reading project opened in its place): its list goes; the
                # call's own error says why (refreshed, "no study is open" had replaced "the study's store was closed")
                self.dialog.hide()
            else:
                self.dialog.refresh()

    def next_case(self) -> None:
        told = self._armed
        if self._held_open("Ctrl+N again finishes it as it is and opens the next"):
            return
        if not self._keep_or_ask(told):
            return
        left = self.flow.current
        try:
            self.flow.next()
            let_go(self.window, leaving_project=True)  # once the next case has opened (a refusal: asked again)
        except StudyError:
            # the case finished and none opens (a session's last, the next waiting its washout): what was let go goes
            # with it. It stayed, asked again at the next key, and "Go back to it" recorded the line in the finished
            # case, restarting its washout (review49b)
            if left is not None and self.flow.current is None:
                let_go(self.window, leaving_project=True)
            raise
        finally:
            self._refresh()

    def _keep_or_ask(self, told: tuple[object, tuple[str, ...]] | None = None) -> bool:
        """What is typed in the case on screen kept before it is finished or left (app/open_edits.py); what cannot be
        (a treatment line added without its start, a refused cell text) asked about, as closing, another exam, another
        project and opening a study ask: False, gone back to it. Ctrl+N finished the case and opened the next without
        a word, the line dropped (session 48's leftovers). Each case is a project of its own: its line cannot wait.

        Gone back to it, the case's warnings already told (``told``: :meth:`_held_open`'s mark before this press) stay
        told: the press after the correction goes on. It was held open again and told again (review49b).

        A one-click suggestion shown is kept then, in the case left and before it is finished (going on to another
        exam keeps it): the case was finished with it "not kept yet", left out of its analysis (review49c)."""
        if keep_or_ask(self.window, self.window.store_flow.ask, "Leave this case?", ("leave", "Go on without it")):
            self.window.state.selection.kept()
            return True
        if told is not None:
            self._armed = told
        return False

    def _held_open(self, again: str) -> bool:
        """The open case's read has protocol warnings (a series not counted, a lesion without a status on a series of
        the session) and the reader has not been told yet: said, and the case stays open. The same press again, with
        the same warnings, goes on. One Ctrl+N finished a case read on one series of four, nothing counted, at once and
        for good where the study does not let readers go back (a radiologist's check, session 43)."""
        read, study = self.flow.current, self.flow.study
        if read is None or study is None or self.window.session.store is not study.store:
            self._armed = None
            return False
        rec = study.session_reads().get((read.ref.reader, read.ref.session, read.ref.code))
        if rec is not None and rec.finished:
            return False
        roles = tuple(study.definition.session(read.ref.session).roles)
        project = read.reading.project
        found = tuple(w.message for w in check_pair(project, read.pair[0], read.pair[1], read.reader_name,
                                                       {read.reader_name: roles})
                      + case_lost_mark_warnings(project, read.lost_marks))
        if not found:
            self._armed = None
            return False
        if self._armed == (read.ref, found):
            self._armed = None
            return False
        self._armed = (read.ref, found)
        more = f" (and {len(found) - 2} more in Checks)" if len(found) > 2 else ""
        back = "" if study.definition.may_go_back else " (this study does not reopen a finished case)"
        short = [m.split(" (")[0] for m in found[:2]]  # what is left; the advice is Checks'
        self.window.state.say(f"case {read.ref.code} is not read whole: {'; '.join(short)}{more}; {again}{back}")
        return True

    def open_case(self, session: str, code: str) -> None:
        cost = self.flow.going_back_costs(session, code)
        if cost and not self.confirm(cost + " Open it?"):
            self.window.state.say(f"case {code} of session {session} left closed")
            return
        if not self._keep_or_ask():
            return
        try:
            self.flow.open_case(session, code)
            let_go(self.window, leaving_project=True)
        finally:
            self._refresh()

    def confirm(self, text: str) -> bool:
        """The reader's yes to ``text`` (a question box; tests answer it)."""
        answer = QMessageBox.question(self.dialog or self.window, "Go back to a finished case", text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def finish_case(self) -> None:
        told = self._armed
        if self._held_open("Finish this case again finishes it as it is"):
            return
        if not self._keep_or_ask(told):
            return
        self.flow.finish()
        let_go(self.window, leaving_project=True)
        self._refresh()
        self.window.state.say("case finished: Ctrl+N opens the next")

    # ------------------------------------------------------------------ a case on screen, blinded
    def _blind(self) -> None:
        """From the study's opening on: the browser stays hidden (Ctrl+B refuses), the overlays leave out the
        patient's id and the exam date (series, image number, position, W/L and zoom stay: O hides and shows them as
        ever), and a study folder's own reading project is not opened (StoreFlow.offer_stores_in). Before, the
        browser was hidden only once the first case was on screen: the images opened after the study (README) listed
        every patient by name with the exam dates, and a folder holding a reading project opened it in place of the
        study (an audit). The overlays were hidden whole, series title and "Im x/y" with them (session 48)."""
        w = self.window
        w.state.blinded = True
        w.state.hidden_ids = lambda: _identifiers(w)
        w.dock.hide()  # the browser lists patient names
        w.state.changed.emit("overlays")  # the cells repaint without the patient's id and dates

    def _unblind(self) -> None:
        """A reading project open in the study's place: the patient's id and the exam dates shown again, the browser
        back (:meth:`_blind` undone)."""
        w = self.window
        w.state.blinded = False
        w.dock.show()
        w.state.changed.emit("overlays")

    def _show_case(self, read: CaseRead, study: Study) -> None:
        w = self.window
        record = read.reading.project.exam_pairs[read.pair]
        pair = next((p for patient in w.patients for p in all_pairs(patient)
                     if p.ct is not None and p.mr is not None and p.ct.study_instance_uid == record.ct_study_uid
                     and p.mr.study_instance_uid == record.mri_study_uid), None)
        if pair is None or pair.ct is None or pair.mr is None:
            raise StudyError(f"the images of case {read.ref.code} are not in the folders open in the browser",
                             advice="open the study's image folder (Ctrl+O), then the case again")
        roles = set(study.definition.session(read.ref.session).roles)
        # both studies stay (the pair is found by both UIDs); the other session's series do not hang
        ct, mr = pair.ct, pair.mr
        if not roles & _MR_ROLES:
            pair = replace(pair, mr=replace(mr, stacks=()))
        elif roles <= _MR_ROLES:
            pair = replace(pair, ct=replace(ct, stacks=()))
        self._blind()
        # no browser to drop a stack from: the other session's cells say why they are empty
        w.grid.set_missing_note(f"not read in session {read.ref.session}", set(READING_ROLES) - roles)
        w.open_pair(pair)
        w.setWindowTitle(f"lesionlab — study {study.study_id}: case {read.ref.code} ({read.ref.session}, "
                         f"{read.ref.position} of {read.ref.of})")
        w.state.say(f"case {read.ref.code}, session {read.ref.session}: {read.ref.position} of {read.ref.of} · "
                    "Ctrl+N finishes it and opens the next")
        self._tell_lost_marks(read, study)

    def _tell_lost_marks(self, read: CaseRead, study: Study) -> None:
        """The case read's count marks a lesionlab older than December 2026 lost (annotation.lost_marks), as a project's
        are told (StoreFlow): a box once per case read, the status bar at each opening, Checks until counted again;
        named by series and lesion only, the case being blinded. Opened through the study, they went unsaid."""
        lost = list(read.lost_marks)
        if not lost:
            return
        w = self.window
        w.state.say(f"{w.state.status}; ⚠ {case_lost_marks_short(lost)}")
        w.store_flow.tell_lost_marks_once(f"{study.store.where}/study {study.study_id}/{read.reader_name}/{read.ref.code}",
                                          case_lost_marks_text(lost, read.ref.code))

    def _case_checks(self, project: Project) -> list[ProtocolWarning]:
        """Checks' entries the case's blinded project cannot give: its lost count marks, until counted again."""
        read = self.flow.current
        if read is None or project is not read.reading.project or not read.lost_marks:
            return []
        return case_lost_mark_warnings(project, read.lost_marks)
