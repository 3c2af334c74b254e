"""Lesion grid and live counts: thin observers of a Reading and its Selection.

They redraw from the model after every edit, undo or redo, and change it only through Reading
commands; a refused edit shows its message in the panel's status label (one place).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from annotation.checks import CheckCode, GeometryOf, ImagesOf, PlaceOf, ProtocolWarning, check_pair, check_patient
from annotation.followup_reads import followup_reads
from annotation.qt.cells import cell_combo, set_cell_item
from annotation.qt.combo import leave_keys_to_images
from annotation.project import Project
from annotation.records import Lesion, Measurement, NotMeasurable, NotVisible, PairKey, mm_text
from annotation.reading import EditKind, Reading, ReadingEvent
from annotation.selection import Picked, Selection
from annotation.vocab import CountStatus, CouinaudSegment, FollowupKind, FollowupStatus, Lobe, MeasurementMethod
from viewer.errors import LesionlabError
from viewer.model.layout import role_label
from viewer.records import READING_ROLES, Role

#: Dark-theme colours (app/theme.py: light text on near-black): a not-yet-read cell, the current lesion.
MISSING_BRUSH = QBrush(QColor(88, 68, 18))
CURRENT_BRUSH = QBrush(QColor(28, 84, 52))
ROLE_HEADERS = {Role.CT_ARTERIAL: "CT art", Role.CT_PORTAL: "CT portal", Role.MR_T2FS: "T2 FS",
                Role.MR_DWI: "DWI", Role.MR_T1_ARTERIAL: "T1 art", Role.MR_T1_PORTAL: "T1 portal"}
FIXED = 3  # lesion, lobe, segment columns before the six series



#: How each way of making a diameter reads in the lesion grid's tooltip.
METHOD_WORDS = {MeasurementMethod.MANUAL: "drawn by hand", MeasurementMethod.SUGGESTED: "suggested by one click",
                MeasurementMethod.SUGGESTED_EDITED: "suggested by one click, then edited by hand (upright: the "
                "reader's line)"}


def measurement_tip(m: Measurement) -> str:
    """A measurement as the grid's tooltip says it: how it was made and on which image, numbered
    as the viewport's overlay numbers it (its InstanceNumber, "#n")."""
    where = f"image #{m.instance_number}" if m.instance_number is not None else f"slice {m.slice_index + 1}"
    size = (f"{mm_text(m.diameter_mm)} mm" if m.short_axis_mm is None else
            f"{mm_text(m.diameter_mm)} mm long axis × {mm_text(m.short_axis_mm)} mm short axis")
    return f"{size}, {METHOD_WORDS[m.method]}, on {where}"


def shown_warnings(found: list[ProtocolWarning], current: str | None) -> list[ProtocolWarning]:
    """The warnings a panel shows: not "nothing recorded" of the lesion being read (just started with N, its
    first line on the way), which every N showed until then."""
    return [w for w in found if not (w.code is CheckCode.EMPTY_LESION and w.lesion_id == current)]


def _followup_said(project: Project, lesion: Lesion, role: Role) -> str:
    """The Follow-up panel's status of ``lesion`` when it stands for a read on ``role`` (its assessed series) without
    a line or a not visible there: a non-target or new lesion present, absent, equivocal or unequivocally progressing; ""."""
    f = project.lesion_followups.get(lesion.key)
    if f is None or f.assessed_role is not role or f.kind is FollowupKind.TARGET:
        return ""
    if f.status in (FollowupStatus.PRESENT, FollowupStatus.ABSENT, FollowupStatus.UNEQUIVOCAL_PROGRESSION,
                    FollowupStatus.EQUIVOCAL):
        return str(f.status.value).replace("_", " ")
    return ""


class _Observer(QWidget):
    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selection = selection
        self.status = QLabel()
        self.status.setWordWrap(True)
        #: Called before an edit that needs the exam pair in the project (the workstation makes it
        #: and a writable store ready); returns why not, or None.
        self.prepare: Callable[[], str | None] = lambda: None
        #: Says what a panel edit recorded (the workstation's status bar, set by the window): a choice
        #: in a cell changed the grid only, and the reader had to look for it there.
        self.say: Callable[[str], None] = lambda text: None
        self._recorded: list[str] | None = None  # the edits recorded while a panel action runs
        self._unsubscribe = selection.reading.subscribe(self._reading_changed)
        selection.changed.connect(self.refresh)
        # a refusal is about the lesion or series it was said for: another one picked, it goes
        selection.changed.connect(lambda: self.status.setText(""))
        self.destroyed.connect(lambda *_: self._unsubscribe())

    @property
    def reading(self) -> Reading:
        return self.selection.reading

    def _reading_changed(self, event: ReadingEvent) -> None:
        if self._recorded is not None and event.kind is EditKind.EDIT:
            self._recorded.append(event.description)
        if self.selection.holding:  # redrawn once at the end (Selection.held)
            self.selection.missed()
            return
        self.refresh()

    #: a record's argument named by a refusal (``ValidationError.where``) as the reader knows it, its column's header
    FIELD_WORDS: dict[str, str] = {}

    def words(self, exc: LesionlabError) -> str:
        """A refusal in the reader's words: the record's argument it names said as its column (session 46's reader
        read "start_date: '12/05/2024' is not a date" in the Follow-up panel)."""
        if exc.where in self.FIELD_WORDS:
            text = f"{self.FIELD_WORDS[exc.where]}: {exc.message}"
            return f"{text} ({exc.advice})" if exc.advice else text
        return str(exc)

    def _try(self, action) -> bool:  # type: ignore[no-untyped-def]
        """Run an edit; on a refusal say why (False); what it recorded is said ("recorded: ...")."""
        outer, self._recorded = self._recorded, []
        try:
            reason = self.prepare()
            if reason:
                raise LesionlabError(reason)
            self.status.setText("")
            action()
        except LesionlabError as exc:
            said = self.words(exc)
            self.status.setText(said)
            if outer is None:  # the status bar said the edit before: it says this one was refused
                self.say(f"not recorded: {said}")
            return False
        finally:
            recorded, self._recorded = self._recorded, outer
            if outer is not None:  # an action run inside another's: the outer one says it
                outer.extend(recorded)
        if recorded and outer is None:
            self.say(f"recorded: {recorded[-1]}")
        return True

    def _edit_or_put_back(self, edit: Callable[[], None]) -> None:
        """A choice in a cell's combo box or check box: refused, the panel shows what is recorded again."""
        if not self._try(edit):
            self.redraw()

    def redraw(self) -> None:
        """Draw every row again (after a refused choice its cell shows the value refused, which the model never had)."""
        self.refresh()

    def refresh(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


def exam_roles(project: Project, pair: PairKey | None, shown: frozenset[Role] | None,
               only: tuple[Role, ...] | None) -> frozenset[Role]:
    """The series of the exam on screen to read (the lesion grid's columns not "—"): its pair's, and of an exam of one
    modality only those it has images of (``shown``; a pair keeps its six); in a study case its session's (``only``)."""
    pair_rec = project.exam_pairs.get(pair) if pair else None
    imaged = set(pair_rec.roles if pair_rec is not None else READING_ROLES)
    if shown is not None and pair_rec is not None and (not pair_rec.ct_study_uid or not pair_rec.mri_study_uid):
        imaged &= shown  # an exam of one modality: only the series it has (a pair keeps its six)
    if only is not None:  # a study case: its session's series (the MRI session's grid had CT columns to read)
        imaged &= set(only)
    return frozenset(imaged)


class LesionPanel(_Observer):
    """Lesions x six series: diameter, not visible, not measurable, or a highlighted gap."""

    #: (role, measurement) when a measured cell is clicked: the viewer shows that stack and slice.
    jump_requested = Signal(object, object)
    #: role, when a series' cell without a line is clicked: the workstation reads that series.
    series_picked = Signal(object)

    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(selection, parent)
        #: the roles the open exam has images of, None when unknown (set by the window)
        self.imaged_roles: Callable[[], frozenset[Role] | None] = lambda: None
        #: the series being read (the active cell's), None when unknown (set by the window)
        self.active_role: Callable[[], Role | None] = lambda: None
        #: the series of the reader study's session whose case is on screen, None outside a study case (the window's)
        self.session_roles: Callable[[], tuple[Role, ...] | None] = lambda: None
        #: what each row shows (lesion, current, series imaged, follow-up record): a row alike is not drawn again
        self._rows: list[tuple[object, ...]] = []
        #: (pair, current lesion, its row) when the grid last scrolled to it
        self._scrolled: tuple[object, ...] | None = None
        self.table = QTableWidget(0, FIXED + len(READING_ROLES))
        self.table.setHorizontalHeaderLabels(["Lesion", "Lobe", "Segment", *ROLE_HEADERS.values()])
        self.table.verticalHeader().setVisible(False)
        for c in range(FIXED, FIXED + len(READING_ROLES)):  # "not measurable" whole, not "not …"
            self.table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # the lesion read shows as its green row and the series as the active cell's frame: no third cue
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.cellClicked.connect(self._clicked)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #ffaa50")
        buttons = QHBoxLayout()
        for text, slot in (("New lesion (N)", self.selection.new_lesion),
                           ("Not visible", lambda: self._set_status(NotVisible())),
                           ("Not measurable", lambda: self._set_status(NotMeasurable())),
                           ("Clear", lambda: self._set_status(None)),
                           ("Delete lesion", self._delete)):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, s=slot: self._try(s))
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.warnings)
        layout.addWidget(self.status)
        self.refresh()
        leave_keys_to_images(self)

    def _lesions(self) -> list[Lesion]:
        pair = self.selection.pair
        if pair is None:
            return []
        return self.reading.project.lesions_of(pair[0], pair[1], self.reading.reader)

    def refresh(self) -> None:
        """Redraw the rows whose lesion (its record, follow-up status, being the current one) changed since they were
        drawn; the others are left as they are. Every row was gone through at each edit, undo and redo (29 ms of a
        Ctrl+Z's 60 with 54 lesions, a reader's check), and the grid scrolled back to the current lesion at each one,
        away from the rows the reader had scrolled to."""
        lesions = self._lesions()
        project = self.reading.project
        imaged_key = exam_roles(project, self.selection.pair, self.imaged_roles(), self.session_roles())
        imaged = set(imaged_key)
        # at a follow-up each lesion is to read on its own series, not on every one (annotation.followup_reads)
        reads = followup_reads(project, self.reading.reader, self.selection.pair)
        t = self.table
        t.setRowCount(len(lesions))
        del self._rows[len(lesions):]
        current_row: int | None = None
        current_redrawn = False
        for r, les in enumerate(lesions):
            is_current = les.lesion_id == self.selection.lesion_id
            to_read = reads.of(les.lesion_id, imaged) if reads is not None else imaged_key
            row_key = (les, is_current, imaged_key, project.lesion_followups.get(les.key), to_read)
            if is_current:
                current_row = r
            if r < len(self._rows) and all(a is b or a == b for a, b in zip(self._rows[r], row_key)):
                continue  # drawn as it is
            self._fill_row(r, les, is_current, imaged, to_read)
            if r < len(self._rows):
                self._rows[r] = row_key
            else:
                self._rows.append(row_key)
            current_redrawn = current_redrawn or is_current
        scrolled = (self.selection.pair, self.selection.lesion_id, current_row)
        if current_row is not None and (current_redrawn or scrolled != self._scrolled):
            # the lesion being read comes into view when it changes or is edited, however many there are; not at
            # an edit of another lesion or of a count mark, which threw the rows the reader scrolled to away
            current = t.item(current_row, 0)
            if current is not None:
                t.scrollToItem(current, QAbstractItemView.ScrollHint.EnsureVisible)
        self._scrolled = scrolled
        if self.warnings.isHidden():
            return  # the window lists them in its Checks panel: the protocol checks are not run again for a hidden label
        pair = self.selection.pair
        found = shown_warnings(check_pair(project, pair[0], pair[1], self.reading.reader,
                                          _session(self.reading.reader, self.session_roles())) if pair else [],
                               self.selection.lesion_id)
        self.warnings.setText("\n".join(f"⚠ {w.message}" for w in found))

    def redraw(self) -> None:
        self._rows.clear()
        self.refresh()

    def _fill_row(self, r: int, les: Lesion, is_current: bool, imaged: set[Role], to_read: frozenset[Role]) -> None:
        """Row ``r`` showing ``les``: its id (green when it is the lesion being read), lobe, segment and series; a
        series with no status yet is amber where it is to read (``to_read``: at a follow-up the lesion's own)."""
        t = self.table
        item = QTableWidgetItem(les.lesion_id)
        if is_current:
            item.setBackground(CURRENT_BRUSH)
        set_cell_item(t, r, 0, item)
        self._combo(r, 1, [lo.value for lo in Lobe], les.lobe.value,
                    lambda v, lid=les.lesion_id: self._edit(lid, lobe=v))
        self._combo(r, 2, ["", *(s.value for s in CouinaudSegment)], les.segment.value if les.segment else "",
                    lambda v, lid=les.lesion_id: self._edit(lid, segment=v or None))
        for j, role in enumerate(READING_ROLES):
            obs = les.observation(role)
            if isinstance(obs, Measurement):
                # with a short axis (a node at follow-up, whose short axis RECIST sums): both, as the
                # line's label says; the long axis alone read as the figure summed (a reader's check)
                short = obs.short_axis_mm
                # the workbook's figure (annotation.records.shown_mm), not another rounding of the record
                cell = QTableWidgetItem(mm_text(obs.diameter_mm) if short is None
                                        else f"{mm_text(obs.diameter_mm)} × {mm_text(short)}")
                cell.setToolTip(measurement_tip(obs))
                # a suggestion not touched reads as one at a glance; edited by hand, it is the reader's line, upright
                # as a drawn one (it stayed italic: session 47's reader), the tooltip saying "then edited"
                if obs.method is MeasurementMethod.SUGGESTED:
                    font = cell.font()
                    font.setItalic(True)
                    cell.setFont(font)
            elif obs is None and role not in imaged:
                cell = QTableWidgetItem("—")
                cell.setToolTip("not read in this study session" if self.session_roles() is not None else
                                "this exam has no such series (a follow-up imaged by one modality)")
            elif obs is None and (said := _followup_said(self.reading.project, les, role)):
                # a non-target or new lesion assessed as a whole in the Follow-up panel (present, absent...):
                # that is its status on the series it is assessed on, not a gap (a reader's check: amber
                # cells beside a follow-up the panel called complete, and Checks silent)
                cell = QTableWidgetItem(said)
                cell.setToolTip("assessed in the Follow-up panel (RECIST: a non-target or new lesion as a whole)")
            elif obs is None and role not in to_read:
                # a follow-up's lesion read on another series: nothing asked here (amber beside every lesion of a
                # two-phase follow-up CT read on CT portal read as CT arterial left to do, a reader's check)
                cell = QTableWidgetItem("")
                cell.setToolTip(f"not needed at this follow-up: {les.lesion_id} is read on "
                                f"{' and '.join(role_label(x) for x in READING_ROLES if x in to_read)} (a line here "
                                "is kept too, for the series' comparison)")
            elif obs is None:
                cell = QTableWidgetItem("")
                cell.setBackground(MISSING_BRUSH)
                cell.setToolTip("not read yet: measure it, or mark it not visible / not measurable")
            else:
                cell = QTableWidgetItem("not visible" if isinstance(obs, NotVisible) else "not measurable")
            cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            set_cell_item(t, r, FIXED + j, cell)

    def _combo(self, row: int, column: int, values: list[str], current: str, on_change) -> None:  # type: ignore[no-untyped-def]
        # a refused change (segment VIII with the left lobe) puts back what is stored: the grid shows the
        # lesion as it is recorded, never the value refused
        cell_combo(self.table, row, column, [(v, v) for v in values], current,
                   lambda v: self._edit_or_put_back(lambda: on_change(v)))

    def _pair(self) -> tuple[str, str]:
        if self.selection.pair is None:
            raise LesionlabError("choose an exam pair first")
        return self.selection.pair

    def _edit(self, lesion_id: str, **changes: object) -> None:
        self.reading.edit_lesion(self._pair(), lesion_id, **changes)

    def _current(self) -> tuple[str | None, Role | None]:
        """What the buttons act on, as the keys do: the lesion being read (the green row) and the series
        read (:attr:`active_role`; alone, the grid's column last clicked). They acted on the last cell
        clicked while `]` had moved to another lesion (a reader's check: "not visible" recorded on L1
        with L2 highlighted)."""
        c = self.table.currentColumn()
        role = self.active_role() or (READING_ROLES[c - FIXED] if c >= FIXED else None)
        return self.selection.lesion_id, role

    def _clicked(self, row: int, column: int) -> None:
        lesions = self._lesions()
        if not 0 <= row < len(lesions):
            return
        les = lesions[row]
        self.selection.set_lesion(les.lesion_id)
        if column >= FIXED:
            role = READING_ROLES[column - FIXED]
            obs = les.observation(role)
            if isinstance(obs, Measurement):
                self.jump_requested.emit(role, obs)
            else:
                self.series_picked.emit(role)

    def _set_status(self, observation: NotVisible | NotMeasurable | None) -> None:
        lesion_id, role = self._current()
        if lesion_id is None or role is None:
            raise LesionlabError("select a lesion's cell on one of the six series first")
        self.reading.set_observation(self._pair(), lesion_id, role, observation)

    #: Asked once before a whole lesion goes (tests replace it); True to delete.
    def confirm_delete(self, lesion_id: str, n_series: int) -> bool:
        # No the default, as Shift+Del's question (app/lesion_keys.py): Enter is the reader's go-on key
        answer = QMessageBox.question(self, "Delete lesion", f"Delete lesion {lesion_id} and its {n_series} "
                                      "observation(s)? (Ctrl+Z brings it back)",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _delete(self) -> None:
        lesion_id, _ = self._current()
        if lesion_id is None:
            raise LesionlabError("select a lesion first")
        les = next((x for x in self._lesions() if x.lesion_id == lesion_id), None)
        if les is None or not self.confirm_delete(lesion_id, len(les.observations)):
            return
        self.reading.delete_lesion(self._pair(), lesion_id)
        self.status.setText(f"deleted lesion {lesion_id} (Ctrl+Z undoes it)")


class CountsPanel(_Observer):
    """Live counts per series x lobe and where each series' count stands (not read yet, counted, not
    countable), every column visible; buttons act on the selected series. A click on a series' row says
    so (``series_picked(role)``: the workstation makes that series' cell the active one) and the
    workstation selects the active cell's row (:meth:`show_series`), so the buttons and the keys (0,
    Shift+C) act on one series."""

    series_picked = Signal(object)

    COLUMNS = ("Right", "Left", "Whole", "Count")
    STATUS_TEXT = {CountStatus.NOT_READ: "not read yet", CountStatus.COUNTED: "counted",
                   CountStatus.NOT_COUNTABLE: "not countable"}
    #: a series not counted that the exam is not read on: one the follow-up does not read, one the exam has not
    NOT_NEEDED, NO_SERIES = "not needed at follow-up", "no such series"
    STATUS_COLOUR = {CountStatus.NOT_READ: QColor(255, 170, 80), CountStatus.COUNTED: QColor(120, 220, 140),
                     CountStatus.NOT_COUNTABLE: QColor(160, 160, 160)}
    #: Key names shown on the lobe buttons (the workstation binds Shift+R / Shift+L).
    lobe_keys: dict[Lobe, str] = {Lobe.RIGHT: "Shift+R", Lobe.LEFT: "Shift+L"}

    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(selection, parent)
        #: the series of the reader study's session whose case is on screen, None outside a study case (the window's)
        self.session_roles: Callable[[], tuple[Role, ...] | None] = lambda: None
        #: the roles the open exam has images of, None when unknown (the window's, as the lesion grid's)
        self.imaged_roles: Callable[[], frozenset[Role] | None] = lambda: None
        self.table = QTableWidget(len(READING_ROLES), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setVerticalHeaderLabels(list(ROLE_HEADERS.values()))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.cellClicked.connect(lambda row, _c: self.series_picked.emit(READING_ROLES[row]))
        # the series' name too (it selected the row and left another series active)
        self.table.verticalHeader().sectionClicked.connect(lambda row: self.series_picked.emit(READING_ROLES[row]))
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(40)
        for c in range(3):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.lobe_label = QLabel()
        lobe_row = QHBoxLayout()
        lobe_row.addWidget(self.lobe_label)
        for lobe in Lobe:
            b = QPushButton(f"{lobe.value} ({self.lobe_keys.get(lobe, lobe.value[0].upper())})")
            b.clicked.connect(lambda _=False, lo=lobe: self.selection.set_lobe(lo))
            lobe_row.addWidget(b)
        status_row = QHBoxLayout()
        # "Counted (0)" read as "0 counted" beside rows of 3 and 1 (a radiologist's check): the key named as a key
        for text, status in (("Counted (key 0)", CountStatus.COUNTED),
                             ("Not countable (Shift+C)", CountStatus.NOT_COUNTABLE),
                             ("Not read yet", CountStatus.NOT_READ)):
            b = QPushButton(text)
            b.setToolTip("for the series selected in the table")
            b.clicked.connect(lambda _=False, st=status: self._try(lambda: self._set_status(st)))
            status_row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(lobe_row)
        layout.addWidget(self.table)
        layout.addLayout(status_row)
        layout.addWidget(self.status)
        self.refresh()
        leave_keys_to_images(self)

    def refresh(self) -> None:
        self.lobe_label.setText(f"marks go to the <b>{self.selection.lobe.value}</b> lobe")
        pair, reader = self.selection.pair, self.reading.reader
        project = self.reading.project
        counts = project.counts(pair[0], pair[1], reader) if pair else {}
        only = self.session_roles()
        imaged = exam_roles(project, pair, self.imaged_roles(), only)
        # at a follow-up the series its lesions are read on (annotation.followup_reads), as the lesion grid asks for
        reads = followup_reads(project, reader, pair)
        read_on = reads.series((les.lesion_id for les in project.lesions_of(pair[0], pair[1], reader)), imaged) \
            if reads is not None and pair is not None else imaged
        for r, role in enumerate(READING_ROLES):
            # a study case: its session's series only (the MRI session listed CT arterial and portal "not read yet")
            self.table.setRowHidden(r, only is not None and role not in only)
            status = project.count_status(pair[0], pair[1], reader, role) if pair else CountStatus.NOT_READ
            right, left = counts.get((role, Lobe.RIGHT), 0), counts.get((role, Lobe.LEFT), 0)
            absent = status is CountStatus.NOT_READ and pair is not None and role not in imaged  # the grid's "—"
            for c, value in enumerate((right, left, right + left)):
                # marks placed so far show while counting; the number counts once the series is counted
                item = QTableWidgetItem(str(value) if status is not CountStatus.NOT_COUNTABLE and not absent else "–")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if status is CountStatus.NOT_READ:
                    item.setForeground(QBrush(QColor(150, 150, 150)))
                set_cell_item(self.table, r, c, item)
            item = QTableWidgetItem(self.STATUS_TEXT[status])
            item.setForeground(QBrush(self.STATUS_COLOUR[status]))
            item.setToolTip({CountStatus.NOT_READ: "not counted yet: count it (a click counts), or press 0 for none",
                             CountStatus.COUNTED: "counted: these numbers go to counts.csv",
                             CountStatus.NOT_COUNTABLE: "massive or coalescent: left out of the counts"}[status])
            if status is CountStatus.NOT_READ and pair is not None and role not in read_on:
                # a series the exam is not read on, not a count left to do (it said "not read yet" at a follow-up
                # read on CT portal beside the grid's blank cells: session 46's leftovers); a count made there is kept
                item = QTableWidgetItem(self.NOT_NEEDED if role in imaged else self.NO_SERIES)
                item.setForeground(QBrush(QColor(150, 150, 150)))
                item.setToolTip(
                    "this exam has no such series" if role not in imaged else
                    f"not needed at this follow-up: its lesions are read on "
                    f"{' and '.join(role_label(x) for x in READING_ROLES if x in read_on)} (a count made here is kept, "
                    "for the series' comparison)")
            set_cell_item(self.table, r, 3, item)

    def show_series(self, role: Role | None) -> None:
        """Select ``role``'s row (the active cell's series; None: no selection)."""
        if role in READING_ROLES:
            self.table.setCurrentCell(READING_ROLES.index(role), max(self.table.currentColumn(), 0))
        else:
            self.table.setCurrentCell(-1, -1)

    def _set_status(self, status: CountStatus) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(READING_ROLES):
            raise LesionlabError("select a series in the table first")
        if self.selection.pair is None:
            raise LesionlabError("choose an exam pair first")
        reason = "massive or coalescent" if status is CountStatus.NOT_COUNTABLE else ""
        self.reading.set_count_status(self.selection.pair, READING_ROLES[row], status, reason)


class ChecksPanel(_Observer):
    """The protocol warnings of the current pair and patient (annotation.checks), never enforced.

    Clicking a warning about a lesion makes it current (and asks for a jump when it names a
    measured series), so the reader goes straight to what the warning is about.
    """

    jump_requested = Signal(object, object)
    #: role, for a warning about the lesion on a series without its line: the workstation reads it there
    series_picked = Signal(object)
    #: a CountMark, for a warning about count marks (picked): the workstation shows its slice
    mark_requested = Signal(object)
    #: a lesion id, for a warning about a lesion on no one series: the workstation shows it on every series
    lesion_requested = Signal(object)

    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(selection, parent)
        #: the geometry of a stack by its key where its images are loaded (the app's): count marks on one lesion
        self.geometry_of: GeometryOf | None = None
        #: where a line's middle lies in the patient (the app's): a lesion's lines far apart on two series
        self.place_of: PlaceOf | None = None
        #: the images of a stack as loaded by its key (the app's): a count mark is compared on its own image
        self.images_of: ImagesOf | None = None
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.itemClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        self.warnings: list[ProtocolWarning] = []
        #: the reading roles the exam on screen has images of (the app's; None: every role)
        self.imaged_roles: Callable[[], frozenset[Role] | None] = lambda: None
        #: the series of the reader study's session whose case is on screen, None outside a study case (the window's)
        self.session_roles: Callable[[], tuple[Role, ...] | None] = lambda: None
        #: warnings the project shown cannot give (the window's): a reader study case's lost count marks, found in
        #: the store as it opened (annotation.checks.case_lost_mark_warnings)
        self.more_warnings: Callable[[Project], list[ProtocolWarning]] = lambda project: []
        self.refresh()
        leave_keys_to_images(self)

    def refresh(self) -> None:
        pair, project = self.selection.pair, self.reading.project
        # a study case's checks are its session's series' (the MRI session's said "not counted yet on CT arterial,
        # CT portal, T2 FS, …": one warning naming every series, which the filter below by role keeps whole; a
        # radiologist's check, session 43)
        self.warnings = (shown_warnings(check_pair(project, pair[0], pair[1], self.reading.reader,
                                                   _session(self.reading.reader, self.session_roles()),
                                                   geometry_of=self.geometry_of, place_of=self.place_of,
                                                   images_of=self.images_of)
                                        + self.more_warnings(project),
                                        self.selection.lesion_id) + check_patient(project, pair[0]) if pair else [])
        shown = self.imaged_roles()
        if shown is not None:
            # a series the exam on screen has no images of is not asked for (a study's MRI session hangs no CT:
            # Checks listed CT arterial and portal "not counted yet", a researcher's check)
            self.warnings = [w for w in self.warnings if w.role is None or w.role in shown]
        self.list.clear()
        for w in self.warnings:
            item = QListWidgetItem(f"⚠ {w.message}")
            item.setForeground(QBrush(QColor(255, 170, 80)))
            self.list.addItem(item)
        if not self.warnings:
            # an exam on screen with nothing recorded yet has no record (no pair selected): it said "no exam pair
            # open" beside the images of the pair just opened (a radiologist's check)
            self.list.addItem(QListWidgetItem("no protocol warning" if pair else
                                              "nothing recorded on this exam yet" if shown is not None else
                                              "no exam pair open"))

    def _clicked(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        if not 0 <= row < len(self.warnings):
            return
        w = self.warnings[row]
        mark = self.reading.project.count_marks.get(w.mark_id) if w.mark_id else None
        if mark is not None:  # a mark that may count a lesion twice: picked (Del deletes it) and shown
            self.selection.pick(Picked(mark_id=mark.mark_id))
            self.mark_requested.emit(mark)
            return
        lesion_id = w.lesion_id
        if lesion_id is None:
            return
        self.selection.set_lesion(lesion_id)
        if w.role is None:  # about the lesion, no one series of it (two lines far apart): every cell to its lines
            self.lesion_requested.emit(lesion_id)
            return
        pair = self.selection.pair
        les = self.reading.project.lesions.get((pair[0], pair[1], self.reading.reader, lesion_id)) if pair else None
        obs = les.observation(w.role) if les is not None and w.role is not None else None
        if isinstance(obs, Measurement):
            self.jump_requested.emit(w.role, obs)
        elif w.role in READING_ROLES:  # "no status on T2 FS": that series, to be read (it did nothing)
            self.series_picked.emit(w.role)


def _session(reader: str, roles: tuple[Role, ...] | None) -> dict[str, tuple[Role, ...]] | None:
    """``check_pair``'s reader_roles for a study case's read (its session's series), None outside a study case."""
    return {reader: roles} if roles else None
