"""The reading docks of the workstation: lesion grid, follow-up, live counts, protocol checks, clinical record.

The panels themselves live in :mod:`annotation.qt` (thin observers of a Reading and its
Selection). This module places them (lesion grid under the six viewports and the study browser, as wide as the
window, where the reader's eye goes between series; counts, checks and the clinical form as tabs beside the study
browser, which is not needed while a pair is read; the follow-up panel as a tab beside the lesion grid, since
it is as wide) and rebuilds them when another reading project opens.
"""

from __future__ import annotations

import datetime as _dt

from typing import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QScrollArea, QWidget

from analysis.response_live import live_course
from annotation.qt.clinical_form import ClinicalForm
from annotation.qt.followup_panel import FollowupPanel
from annotation.checks import ProtocolWarning
from annotation.placement import images_of
from annotation.project import Project
from annotation.qt.panels import ChecksPanel, CountsPanel, LesionPanel
from annotation.selection import Selection
from app.reading_commands import show_lesion
from app.window_layout import tab_bar_height
from app.workstation import WorkstationState
from viewer.geometry import StackGeometry
from viewer.records import READING_ROLES, ImageHeader, Role

#: moved, closed, or floated out of the window (the lesion grid on a second screen; app/window_layout.py keeps
#: where): the shortcuts still act from a floating panel (Qt gives a tool window its main window's shortcuts)
FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable)


def _dock(window: QMainWindow, title: str, name: str) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setFeatures(FEATURES)
    return dock


class ReadingDocks:
    """Four docks whose panels follow the state's Selection (rebuilt when another Reading comes)."""

    def __init__(self, window: QMainWindow, studies: QDockWidget, state: WorkstationState | None = None,
                 jump: Callable[[object, object], None] | None = None) -> None:
        self.window = window
        self.lesions_dock = _dock(window, "Lesions", "lesions")
        self.counts_dock = _dock(window, "Counts", "counts")
        self.checks_dock = _dock(window, "Checks", "checks")
        self.clinical_dock = _dock(window, "Clinical record", "clinical")
        self.followup_dock = _dock(window, "Follow-up", "followup")
        self.place_corners()
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.lesions_dock)
        window.tabifyDockWidget(self.lesions_dock, self.followup_dock)
        self.lesions_dock.raise_()
        for dock in (self.counts_dock, self.checks_dock, self.clinical_dock):
            window.tabifyDockWidget(studies, dock)
        studies.raise_()
        self.lesion_panel: LesionPanel | None = None
        self.counts_panel: CountsPanel | None = None
        self.checks_panel: ChecksPanel | None = None
        self.clinical_form: ClinicalForm | None = None
        self.followup_panel: FollowupPanel | None = None
        self._patient: tuple[str | None, bool] | None = None
        #: the exam the Follow-up dock was last fitted to (see fit_followup)
        self._fitted: object = None
        self.followup_dock.visibilityChanged.connect(self._followup_shown)
        self._selection: Selection | None = None
        self._jump: Callable[[object, object], None] = lambda role, m: None
        self.state = state
        #: the Checks panel's warnings the project shown cannot give (the window's study mode sets it: a reader study
        #: case's lost count marks)
        self.more_checks: Callable[[Project], list[ProtocolWarning]] = lambda project: []
        if state is not None:
            state.changed.connect(self._state_changed)
            self.bind(state.selection, lambda: state.prepare(), jump or self._jump)
            state.viewer.layout.active_changed.connect(lambda _cell: self._show_active_series())
            for vp in state.viewer.viewports:  # a stack loaded: Checks can place its count marks (annotation.checks.counted_twice)
                vp.volume_changed.connect(self._geometry_came)

    def place_corners(self) -> None:
        """The panels under the images (lesion grid, follow-up) as wide as the window, the study browser's tabs beside
        the images only: with the browser's tabs down to the window's foot, the Follow-up panel at 1600 x 1000 showed
        its responses through "New" only, Slow PD, TGR and the note behind a drag of its handle (session 47); the images
        keep their size. Set again after a saved layout is restored (Qt keeps the corners in it)."""
        self.window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

    def _state_changed(self, aspect: str) -> None:
        if aspect == "reading" and self.state is not None:
            self.bind(self.state.selection, lambda: self.state.prepare(), self._jump)  # type: ignore[union-attr]
        elif aspect == "alignment" and self.checks_panel is not None:
            self.checks_panel.refresh()  # a lesion's lines on CT and MRI are compared through the alignment (a review)

    @property
    def docks(self) -> tuple[QDockWidget, ...]:
        return (self.lesions_dock, self.counts_dock, self.checks_dock, self.clinical_dock, self.followup_dock)

    def bind(self, selection: Selection, prepare: Callable[[], str | None], jump: Callable[[object, object], None]) -> None:
        """New panels on ``selection`` (another reading project or reader); the old ones go."""
        if self._selection is not None:
            self._selection.changed.disconnect(self._follow_patient)
            self._selection.changed.disconnect(self._followup_exam)
        self._selection, self._jump = selection, jump
        for panel in (self.lesion_panel, self.counts_panel, self.checks_panel, self.followup_panel):
            if panel is not None:
                panel.deleteLater()
        self.lesion_panel = LesionPanel(selection)
        if self.state is not None:
            self.lesion_panel.imaged_roles = self._imaged_roles
            self.lesion_panel.session_roles = self._session_roles
            state = self.state
            self.lesion_panel.active_role = lambda: state.reading_role(state.viewer.layout.active)
        self.lesion_panel.warnings.hide()  # the Checks dock lists them, clickable
        self.counts_panel = CountsPanel(selection)
        if self.state is not None:
            self.counts_panel.session_roles = self._session_roles
            self.counts_panel.imaged_roles = self._imaged_roles
        self.checks_panel = ChecksPanel(selection)
        if self.state is not None:
            self.checks_panel.imaged_roles = self._imaged_roles
            self.checks_panel.session_roles = self._session_roles
            self.checks_panel.geometry_of = self._geometry_of
            self.checks_panel.place_of = self.state.place_of
            self.checks_panel.images_of = self._images_of
            self.checks_panel.more_warnings = lambda project: self.more_checks(project)
        self.followup_panel = FollowupPanel(selection, live_course)
        self.followup_panel.wait_while_hidden = True
        if self.state is not None:
            self.followup_panel.patient_label = self._patient_label
            self.followup_panel.opened = self._opened
        for panel in (self.lesion_panel, self.counts_panel, self.checks_panel, self.followup_panel):
            panel.prepare = prepare
            if self.state is not None:
                panel.say = self.state.say
        self.lesion_panel.jump_requested.connect(jump)
        self.checks_panel.jump_requested.connect(jump)
        self.checks_panel.mark_requested.connect(lambda mark: jump(mark.role, mark))
        if self.state is not None:
            state = self.state
            self.checks_panel.lesion_requested.connect(lambda lesion_id: show_lesion(state, str(lesion_id)))
        self.counts_panel.series_picked.connect(self._activate_series)
        self.lesion_panel.series_picked.connect(self._read_lesion_on)
        self.checks_panel.series_picked.connect(self._read_lesion_on)
        self._show_active_series()
        self.lesion_panel.table.horizontalHeader().setMinimumSectionSize(56)
        self.lesion_panel.table.verticalHeader().setDefaultSectionSize(22)  # six lesions fit without scrolling
        self.lesions_dock.setWidget(self.lesion_panel)
        self.counts_dock.setWidget(self.counts_panel)
        self.checks_dock.setWidget(self.checks_panel)
        self.followup_dock.setWidget(self.followup_panel)
        self._patient = None  # force the clinical form to be rebuilt
        selection.changed.connect(self._follow_patient)
        selection.changed.connect(self._followup_exam)
        self._follow_patient()

    #: the share of the window's height the images keep when the Follow-up dock grows to show its rows
    IMAGES_KEEP = 0.6

    def _followup_shown(self, shown: bool) -> None:
        if shown:
            if self.followup_panel is not None:
                self.followup_panel.shown_again()  # what was edited while its tab was behind the lesion grid
            QTimer.singleShot(0, self.window, self.fit_followup)  # once the panel has laid out its rows

    def _followup_exam(self) -> None:
        """Another exam in the Follow-up panel (opened, or recorded by a carry, Shift+P): fitted again."""
        exam = self._selection.pair if self._selection is not None else None
        if exam != self._fitted and not self.followup_dock.visibleRegion().isEmpty():
            QTimer.singleShot(0, self.window, self.fit_followup)

    def fit_followup(self) -> None:
        """The Follow-up dock, docked under the images, grown to show its lesions and responses whole, as far as the
        images keep :data:`IMAGES_KEEP` of the window's height; never shrunk. It opened at its least height, which the
        lesion grid tabbed with it sets: at 1920 x 1080, with 300 pixels of images to spare, 4 of LLSYN001's 6 lesions
        were whole (a radiologist's follow-up under Xvfb). At 1366 x 768 the images have nothing to spare: it stays.
        Fitted when it is raised and when another exam comes into it, never at an edit (the images moved under a
        drag when a height followed the rows)."""
        dock, panel = self.followup_dock, self.followup_panel
        self._fitted = self._selection.pair if self._selection is not None else None
        if (panel is None or dock.isFloating() or dock.visibleRegion().isEmpty()
                or self.window.dockWidgetArea(dock) is not Qt.DockWidgetArea.BottomDockWidgetArea):
            return
        central = self.window.centralWidget()
        spare = central.height() - round(self.IMAGES_KEEP * self.window.height()) if central is not None else 0
        grow = min(panel.height_missing(), spare)
        if grow > 0:  # resizeDocks sizes the tab group, its tab bar included
            self.window.resizeDocks([dock], [dock.height() + tab_bar_height(self.window, dock) + grow], Qt.Orientation.Vertical)

    def _geometry_came(self) -> None:
        if self.checks_panel is not None:
            self.checks_panel.refresh()

    def _geometry_of(self, key: str) -> StackGeometry | None:
        """The geometry of the stack ``key`` where a reading cell has it loaded (Checks' count marks)."""
        if self.state is None:
            return None
        return next((vp.geometry for vp in self.state.viewer.viewports if vp.key == key and vp.geometry is not None),
                    None)

    def _images_of(self, key: str) -> Sequence[ImageHeader]:
        """The images of the stack ``key`` as a reading cell has it loaded, () where none has (Checks' count marks:
        each on its own image)."""
        if self.state is None:
            return ()
        return next((images_of(vp) for vp in self.state.viewer.viewports if vp.key == key and vp.geometry is not None),
                    ())

    def _show_active_series(self) -> None:
        """The Counts table's row is the active cell's series (its buttons act on the series 0 acts on)."""
        if self.state is not None and self.counts_panel is not None:
            self.counts_panel.show_series(self.state.reading_role(self.state.viewer.layout.active))

    def _activate_series(self, role: object) -> None:
        """A series' row clicked in Counts (or its cell without a line in the lesion grid): its cell
        becomes the active one, the keys go to it."""
        state = self.state
        if state is None:
            return
        cell = next((i for i in range(len(state.viewer.viewports)) if state.reading_role(i) == role), None)
        if cell is None:
            self._show_active_series()  # no cell reads it: the row goes back to the active one
            return
        state.viewer.activate(cell)
        grid = getattr(self.window, "grid", None)
        if grid is not None:
            grid.active_widget.setFocus()

    def _read_lesion_on(self, role: object) -> None:
        """The lesion picked, on a series where it has no line yet (a grid cell, a Checks warning): that
        series' cell active, every cell at the lesion (its lines, else its linked level)."""
        self._activate_series(role)
        state = self.state
        if state is not None and state.selection.lesion_id is not None:
            show_lesion(state, state.selection.lesion_id)

    def _imaged_roles(self) -> frozenset[Role] | None:
        """The reading roles the open exam has images of (a follow-up CT of the portal phase only has
        one), None when no exam is open."""
        state = self.state
        if state is None or state.pair is None:
            return None
        role_of = state.viewer.hanging.role_of
        return frozenset(role_of(s) for s in state.pair.stacks)

    def _session_roles(self) -> tuple[Role, ...] | None:
        """A reader study case on screen: the series its session hangs (app/study_dialog.py hangs those only), in
        reading order; None outside a study case."""
        state = self.state
        if state is None or not state.blinded or state.pair is None:
            return None
        role_of = state.viewer.hanging.role_of
        hung = {role_of(s) for s in state.pair.stacks}
        return tuple(r for r in READING_ROLES if r in hung) or None

    def _age_hint(self, patient: str) -> str:
        pair = self.state.pair if self.state is not None else None
        found = pair.age_at_exam() if pair is not None and pair.patient_id == patient else None
        if found is None:
            return ""
        return f"images: {found[0]} years at the {found[1]} (the age at that exam, not at diagnosis)"

    def _blinded(self) -> bool:
        return bool(self.state is not None and self.state.blinded)

    def _opened(self) -> tuple[str, str, _dt.date | None] | None:
        """The exam on screen (patient id, date as shown, date), for the Follow-up panel before its first edit."""
        pair = self.state.pair if self.state is not None else None
        if pair is None:
            return None
        when = pair.study_date
        return pair.patient_id, when.isoformat() if when is not None else "without a date", when

    def _patient_label(self, patient_id: str) -> str:
        """How the panels name a patient: its id, or in a blinded study case the case's code (the blinded project's
        patient name; a researcher's check read the patient's id in the Follow-up dock of a case)."""
        if not self._blinded() or self._selection is None:
            return patient_id
        record = self._selection.reading.project.patients.get(patient_id)
        return record.patient_name if record is not None and record.patient_name else "the case"

    def _follow_patient(self) -> None:
        """The clinical form shows the patient of the current exam pair (none in a blinded study case)."""
        sel = self._selection
        patient = sel.pair[0] if sel is not None and sel.pair is not None else None
        opened = self._opened() if patient is None and sel is not None else None
        if opened is not None and sel is not None and opened[0] in sel.reading.project.patients:
            patient = opened[0]  # an exam of a known patient, not recorded yet (a reader's check: the id was gone)
        if (patient, self._blinded()) == self._patient:
            return
        self._patient = (patient, self._blinded())
        old = self.clinical_dock.widget()
        if patient is None or sel is None or self._blinded():
            hint = QLabel("A blinded study case: its readers see no clinical data (reader-study protocol)."
                          if patient is not None and self._blinded() else
                          "Open an exam pair: its patient's clinical record shows here.")
            hint.setWordWrap(True)
            widget: QWidget = hint
        else:
            self.clinical_form = ClinicalForm(sel.reading, patient, age_hint=self._age_hint(patient))
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            # a click on the form's choices handed the keys to the scroll area (Down paged nothing)
            scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            scroll.setWidget(self.clinical_form)
            widget = scroll
        self.clinical_dock.setWidget(widget)
        self.clinical_dock.setWindowTitle(f"Clinical record {patient}" if patient and not self._blinded()
                                          else "Clinical record")
        if old is not None:
            old.deleteLater()
