"""The workstation's state in one Qt-free, evented object (napari's models, a Slicer parameter node).

One source of truth for what the reader is doing: the exam pair being read, the open reading
project and reader (:class:`app.reading_session.ReadingSession`), what hangs in the six cells and
which is active (:class:`viewer.model.reading.ReadingModel`), the current lesion, lobe and picked
item (:class:`annotation.selection.Selection`), the tool, whether overlays show, and the last
message for the status bar. Widgets observe :attr:`WorkstationState.changed` (and the parts'
signals) and change the state only through its methods; nothing here imports Qt.

Which cells may be written to: a cell is a **reading** cell when its stack belongs to the exam
pair being read (same patient, the pair's CT or MRI study). Any other stack dropped into a cell
(another patient, another study of the same patient, a prior exam at follow-up) makes it a
read-only **comparison**: its title says what it shows, and no tool records anything on it.
"""

from __future__ import annotations

import time
from enum import Enum
from collections.abc import Iterable
from typing import Callable

from annotation.gestures import ON_ADC, ReadingContext, Suggestion
from annotation.records import Alignment, Lesion, Measurement, PairKey
from annotation.vocab import AlignmentSource
from annotation.lobes import lobe_for_point
from annotation.placement import images_of, slice_of
from annotation.selection import Selection
from annotation.vocab import Lobe
from app.reading_session import ReadingSession
from viewer.errors import LesionlabError
from viewer.geometry import same_view_centre
from viewer.model.events import Signal
from viewer.model.layout import role_label, stack_label
from viewer.model.pointer import View
from viewer.model.reading import ReadingModel
from viewer.model.viewport import ViewportModel
from viewer.records import READING_ROLES, Role, StackInfo, below_read_b
from viewer.studies import ExamPair as ViewerPair
from viewer.studies import parse_date


class ToolMode(str, Enum):
    """The left-button tool of every cell."""

    WINDOW_LEVEL = "window_level"
    LINE = "line"
    SHORT_AXIS = "short_axis"
    COUNT = "count"
    BOUNDARY = "boundary"
    CROSSHAIR = "crosshair"


#: How long (s) what the reader's own action made the status bar say is kept in front of news from a
#: background job (:meth:`WorkstationState.tell`): long enough to read a line.
NEWS_HOLD_S = 5.0


class CellKind(str, Enum):
    EMPTY = "empty"
    READING = "reading"  # a stack of the exam pair being read: the tools record on it
    COMPARISON = "comparison"  # anything else: shown read-only


class WorkstationState:
    """Signal ``changed(aspect)``: ``"pair"``, ``"tool"``, ``"lobe"``, ``"overlays"``, ``"status"``,
    ``"cells"``, ``"alignment"``, ``"reading"`` (another Reading: another project or reader)."""

    def __init__(self, session: ReadingSession, viewer: ReadingModel) -> None:
        self.session = session
        self.viewer = viewer
        self.pair: ViewerPair | None = None
        #: the open exam is of one modality and none of its series a reading series: shown as they are (open_pair)
        self.unread_exam = False
        #: The open pair's CT <- MRI alignment in force: the reader's confirmed one from the store, else the
        #: registration's proposal of this session (kept out of the store until the reader confirms it).
        self.alignment: Alignment | None = None
        #: (current exam's frame, prior exam's frame) while the prior exam is shown beside (follow-up), else None
        self.compare_frames: tuple[str, str] | None = None
        self.tool = ToolMode.WINDOW_LEVEL
        self.overlays = True
        #: the reading's marks, lines and lobe boundary drawn (H hides them to look under them; an edit shows them)
        self.annotations = True
        #: a reader-study case is on screen: nothing may show who the patient is (overlays, browser, the status bar)
        self.blinded = False
        #: the identifiers the status bar must not show while :attr:`blinded` (patient ids and names of the images and
        #: the store: the study sets it; a review found "recorded: treatment line 1 of LLSYN003: XELOX" in a case)
        self.hidden_ids: Callable[[], Iterable[str]] = lambda: ()
        self.status = ""
        #: what the reader's last action made the status say, and when (``clock``, s): news told within
        #: :data:`NEWS_HOLD_S` of it comes after it instead of replacing it
        self._said = ""
        self._said_at = float("-inf")
        #: what is said until the reader's next action, news or not (:meth:`say`'s ``until_acted``)
        self._held_said = ""
        self.clock: Callable[[], float] = time.monotonic
        self.changed = Signal()
        #: Before anything is recorded: the reader named, the pair in the project, a writable store
        #: (the Qt store flow asks its questions here); returns why not, or None.
        self.prepare: Callable[[], str | None] = lambda: None
        #: Whether the reader is named already (a viewing gesture such as L records only then, without asking).
        self.reader_known: Callable[[], bool] = lambda: True
        #: (exam pair key, lesion id, stack keys) ] / [ asked to show while those cells' series were still
        #: loading: each such cell goes to the lesion once its series has loaded, and no other cell moves
        #: (:func:`app.reading_commands.show_pending`); dropped with another pair or lesion, or a failed load.
        self.pending_show: tuple[PairKey | None, str, frozenset[str]] | None = None
        #: (exam pair key, lesion id, {stack key: slice shown}) ] / [ showed a lesion while cells without its line
        #: had no link to a cell with one (the prior beside the current exam, or CT beside MRI, before their
        #: alignment): once the alignment comes, each such cell still on that slice goes to the lesion's linked
        #: level (:func:`app.reading_commands.show_pending_link`).
        self.pending_link: tuple[PairKey | None, str, dict[str, int]] | None = None
        #: A suggester for one-click diameters (issue 13), or None.
        self.suggest: Callable[[View, tuple[float, float]], Suggestion] | None = None
        #: why one-click diameters are not offered on a view's series ("" where they are, or are off)
        self.not_offered: Callable[[View], str] = lambda view: ""
        #: the cell the last press made active (None: it was active already); its click suggests nothing
        self.activated_by_press: int | None = None
        #: the series a lesion's first status (a line, V) was recorded on, and where the app moved on to after a line:
        #: (cell, the stack it showed, its slice) -- N goes back to that series from there while the reader has not
        #: gone elsewhere since (another cell, a scroll, another stack in the cell). A radiologist reading CT portal
        #: alone pressed Shift+Tab before every lesion, each line having moved the view on to T2 FS.
        self.start_role: Role | None = None
        self.advanced_to: tuple[int, str, int] | None = None
        self.context = self._make_context()
        self._bound: Selection | None = None
        session.replaced.connect(self._rebind)
        viewer.hanging.cell_changed.connect(lambda cell: self.changed.emit("cells"))
        self._rebind()

    # ------------------------------------------------------------------ the parts
    @property
    def selection(self) -> Selection:
        return self.session.selection

    @property
    def reading(self):  # type: ignore[no-untyped-def]
        return self.session.reading

    @property
    def lobe(self) -> Lobe:
        return self.selection.lobe

    @property
    def reader(self) -> str:
        return str(self.session.reading.reader)

    def _make_context(self) -> ReadingContext:
        from app.reading_commands import after_measurement  # the command module builds on this one

        return ReadingContext(self.session.selection, say=self.say, prepare=lambda: self.prepare(),
                              cell_refusal=self.cell_refusal, lobe_at=self.lobe_at, place_of=self.place_of,
                              measured=lambda view: after_measurement(self, view), suggest=self.suggest,
                              activating=self._press_activated, not_offered=self.not_offered)

    def note_press(self, cell: int, was_active: bool) -> None:
        """A press (or a wheel turn) in ``cell``: the grid says it before making the cell active."""
        self.activated_by_press = None if was_active else cell

    def _press_activated(self, view: View) -> str | None:
        """The title of ``view``'s cell when the press being handled made it active (that click only chooses the
        cell), else None; said once: the next click in the cell records."""
        cell = self.cell_of(view)
        if cell is None or cell != self.activated_by_press:
            return None
        self.activated_by_press = None
        return self.cell_title(cell)

    def _rebind(self) -> None:
        """A new Reading (another project or reader): the gestures' context and the pair follow it."""
        if self._bound is not None:
            self._bound.changed.disconnect(self._selection_changed)
        self.context = self._make_context()
        self._bound = self.session.selection
        self._bound.changed.connect(self._selection_changed)
        if self.pair is not None:
            self.selection.set_pair(self.session.find_pair(self.pair))
        self.changed.emit("reading")

    def _selection_changed(self) -> None:
        self.changed.emit("lobe")

    def set_suggester(self, suggest: Callable[[View, tuple[float, float]], Suggestion] | None,
                      not_offered: Callable[[View], str] = lambda view: "") -> None:
        """One-click diameters on (``suggest``; ``not_offered``: why a view's series gets none, "" where it does) or off
        (None)."""
        self.suggest = suggest
        self.not_offered = not_offered if suggest is not None else (lambda view: "")
        self.context = self._make_context()
        self.changed.emit("tool")

    # ------------------------------------------------------------------ the reader's choices
    def set_tool(self, tool: ToolMode | str) -> None:
        tool = ToolMode(tool)
        if tool is not self.tool:
            self.tool = tool
            self.changed.emit("tool")

    def set_lobe(self, lobe: Lobe | str) -> None:
        self.selection.set_lobe(lobe)

    def toggle_overlays(self) -> None:
        self.overlays = not self.overlays
        self.changed.emit("overlays")

    def toggle_annotations(self) -> None:
        self.set_annotations(not self.annotations)
        self.say("marks, lines and boundary shown" if self.annotations else
                 "marks, lines and boundary hidden: H shows them (the next edit shows them too)")

    def set_annotations(self, shown: bool) -> None:
        if shown is not self.annotations:
            self.annotations = shown
            self.changed.emit("annotations")

    def say(self, text: str, hold: bool = True, until_acted: bool = False) -> None:
        """What the reader's action did, or why not: the status bar says it. ``hold=False`` for a job's
        progress ("indexing …"): the news that answers it (:meth:`tell`) replaces it. ``until_acted``: news comes
        after it until the next thing said (the notice of an unclean exit: the alignment's news replaced it within
        20 s of the start, before it was read, session 49's reader)."""
        text = self.unnamed(text)
        self._said, self._said_at = text if hold else "", self.clock()
        self._held_said = text if until_acted else ""
        self.status = text
        self.changed.emit("status")

    def unnamed(self, text: str) -> str:
        """``text`` as a blinded case may show it: every identifier of :attr:`hidden_ids` in it said as "this case's
        patient" (longest first, so an id inside a longer name goes with the name); ``text`` itself when not blinded."""
        if not self.blinded:
            return text
        for ident in sorted({i for i in self.hidden_ids() if i and len(i) > 1}, key=len, reverse=True):
            text = text.replace(ident, "this case's patient")
        return text

    def tell(self, news: str) -> None:
        """News from a background job (the pair's alignment done, or refused). It comes after what the
        reader's action said less than :data:`NEWS_HOLD_S` ago instead of replacing it: a radiologist's
        check clicked a lesion while the pair was opening and the suggestion's refusal was gone before it
        could be read, overwritten by the alignment's message. Later news replaces it, as before."""
        news = self.unnamed(news)
        recent = bool(self._said) and self.clock() - self._said_at < NEWS_HOLD_S
        held = self._held_said or (self._said if recent else "")
        self.status = f"{held} · {news}" if held else news
        self.changed.emit("status")

    # ------------------------------------------------------------------ the exam pair
    def open_pair(self, pair: ViewerPair) -> None:
        """Hang ``pair`` in the six cells and read it (its project record is made at the first edit). Another exam
        than the one on screen starts in the right lobe: the lobe last chosen on one exam recorded the next exam's
        first lesions in the left lobe, months later at a follow-up too (a radiologist's check)."""
        before = self.pair
        self.pair = pair
        another = before is None or {s.study_instance_uid for s in before.studies} != \
            {s.study_instance_uid for s in pair.studies}
        self.alignment = None
        self.compare_frames = None
        self.pending_show = None  # a lesion of the exam before is not to be shown on this one
        self.pending_link = None
        self.start_role = self.advanced_to = None
        self.viewer.open_stacks(pair.stacks)
        self.session.note_stacks(pair.stacks)  # patient/study/series context for DICOM SR export
        self.selection.set_pair(self.session.find_pair(pair), Lobe.RIGHT if another else None)
        # the first cell that shows a series: a follow-up CT of the portal phase alone opened with the
        # empty CT arterial cell active, and P then asked for a reading cell (a reader's check)
        cells = self.viewer.hanging.cells
        unread = pair.is_single and all(c.stack is None for c in cells)  # said by the window (unread_exam)
        if unread:
            # an exam of one modality none of whose series is a reading series (a GE gantry-tilt CT, its one series
            # "CT other"): its series in the cells of its modality, as they are (a reading there says why not; a
            # right-click in the browser corrects a role). It opened an empty 2 x 3 grid (a radiologist's read)
            prefix = "ct" if any(s.modality == "CT" for s in pair.stacks) else "mr"
            own = [i for i, c in enumerate(cells) if c.role.value.startswith(prefix)]
            for i, stack in zip(own, pair.stacks):
                self.viewer.drop_stack(i, stack)
        # an exam of one modality in the cells of its own series, a pair in the six (LayoutModel.fit)
        self.viewer.layout.fit([i for i, c in enumerate(cells) if c.stack is not None] if pair.is_single else None)
        self.viewer.activate(next((i for i, c in enumerate(cells) if c.stack is not None), 0))
        known = self.stored_alignment()
        if known is not None:
            self.apply_alignment(known)
        self.unread_exam = unread and bool(pair.stacks)
        self.changed.emit("pair")

    def close_pair(self) -> None:
        """No exam on screen, nothing read: the cells empty, no current pair, lesion or pick (a reader study opened
        before its first case; ``changed("pair")`` as for another exam)."""
        self.pair = None
        self.unread_exam = False
        self.alignment = None
        self.compare_frames = None
        self.pending_show = None
        self.pending_link = None
        self.start_role = self.advanced_to = None
        self.viewer.open_stacks(())
        self.viewer.layout.fit(None)
        self.selection.set_pair(None, Lobe.RIGHT)
        self.changed.emit("pair")

    # ------------------------------------------------------------------ the cells' views
    def same_modality_cells(self) -> list[ViewportModel]:
        """The cells showing a stack of the active cell's modality, the active one among them (Z, the automatic
        window preset)."""
        act = self.viewer.active
        if act.volume is None:
            raise LesionlabError("the active cell shows nothing")
        modality = act.volume.stack.modality
        return [vp for vp in self.viewer.viewports if vp.volume is not None and vp.volume.stack.modality == modality]

    def copy_field_of_view(self) -> list[ViewportModel]:
        """Z: the active cell's field of view on every cell of its modality (those returned, the active one among
        them): its zoom, and in the same frame of reference its centre too -- the patient point at the active cell's
        centre is each cell's centre, as linked viewers do; a cell of another frame gets the zoom alone. After
        Ctrl+Wheel about the pointer on CT arterial, Z gave CT portal the same zoom centred elsewhere (session 47's
        reader)."""
        act = self.viewer.active
        cells = self.same_modality_cells()
        geo, frame = act.geometry, act.volume.stack.frame_of_reference_uid  # type: ignore[union-attr]
        for vp in cells:
            if vp is act:
                continue
            there = vp.geometry
            if geo is not None and there is not None and frame and vp.volume.stack.frame_of_reference_uid == frame:  # type: ignore[union-attr]
                vp.set_zoom(act.zoom, same_view_centre(geo, act.index, act.center, there, vp.index))
            else:
                vp.set_zoom(act.zoom)
        return cells

    # ------------------------------------------------------------------ CT <-> MRI alignment
    def pair_frames(self) -> tuple[str, str] | None:
        """(CT frame of reference, MRI frame of reference) of the open pair, None when unknown."""
        if self.pair is None:
            return None
        from viewer.registration.choice import registration_stack  # SimpleITK loads with the package: not at start

        if self.pair.ct is None or self.pair.mr is None:
            return None  # an exam of one modality: nothing to align within it
        ct = registration_stack(self.pair.ct.stacks)
        mr = registration_stack(self.pair.mr.stacks)
        if ct is None or mr is None or not ct.frame_of_reference_uid or not mr.frame_of_reference_uid:
            return None
        return ct.frame_of_reference_uid, mr.frame_of_reference_uid

    def stored_alignment(self) -> Alignment | None:
        frames = self.pair_frames()
        if frames is None or self.pair is None:
            return None
        found: Alignment | None = self.reading.project.alignment(self.pair.patient_id, *frames)
        return found

    @property
    def alignment_trusted(self) -> bool:
        """Whether the alignment in force may place MRI lines beside CT ones (Checks' ``lines_apart``): the reader's
        confirmed one, or a proposal the registration did not call uncertain (its note begins with its outcome)."""
        from viewer.registration import Outcome  # here: the package loads SimpleITK, which start-up does without

        a = self.alignment
        return a is not None and (a.source is AlignmentSource.CONFIRMED or not a.note.startswith(Outcome.UNCERTAIN.value))

    def apply_alignment(self, alignment: Alignment) -> None:
        """Link the pair's CT and MRI cells by ``alignment`` (they scroll together from now on)."""
        self.alignment = alignment
        self.viewer.link.align_frames(alignment.fixed_frame_uid, alignment.moving_frame_uid, alignment.matrix)
        self.changed.emit("alignment")

    def confirm_alignment(self, how: str) -> Alignment | None:
        """Keep the CT <-> MRI link as it is now (after the reader's landmark link) as the pair's
        confirmed alignment in the store; None when the two exams are not linked. While the prior exam
        is compared (:attr:`compare_frames`), the current <- prior link is the one kept."""
        frames = self.compare_frames or self.pair_frames()
        if frames is None or self.pair is None:
            return None
        matrix = self.viewer.link.frame_transform(*frames)
        if matrix is None:
            return None
        if not self.reader_known():
            raise LesionlabError("linked, but the alignment is kept with a reading only: name yourself as the "
                                 "reader (File → Reader name…) and press L again")
        reason = self.prepare()
        if reason:
            raise LesionlabError(reason)
        confirmed = Alignment(self.pair.patient_id, frames[0], frames[1], matrix, AlignmentSource.CONFIRMED,
                              self.reader, how)
        self.reading.set_alignment(confirmed)
        if self.compare_frames is None:
            self.alignment = confirmed
        self.changed.emit("alignment")
        return confirmed

    def same_lesion_on(self, lesion: Lesion, stack_key: str) -> Measurement | None:
        """The measurement on ``stack_key`` of the same lesion (same tracking UID) in another exam of the
        patient read by this reader: what a comparison cell showing a prior exam centres on."""
        for other in self.reading.project.lesions.values():
            if (other.tracking_uid == lesion.tracking_uid and other.patient_id == lesion.patient_id
                    and other.reader == lesion.reader and other is not lesion):
                for _role, obs in other.observations:
                    if isinstance(obs, Measurement) and obs.stack_key == stack_key:
                        return obs
        return None

    def in_pair(self, stack: StackInfo) -> bool:
        pair = self.pair
        return (pair is not None and stack.patient_id == pair.patient_id
                and stack.study_instance_uid in {s.study_instance_uid for s in pair.studies})

    def cell_kind(self, cell: int) -> CellKind:
        stack = self.viewer.hanging.cells[cell].stack
        if stack is None:
            return CellKind.EMPTY
        return CellKind.READING if self.in_pair(stack) else CellKind.COMPARISON

    def cell_title(self, cell: int) -> str:
        """What a cell shows: the role of its stack (not of the cell), and its patient when another."""
        c = self.viewer.hanging.cells[cell]
        if c.stack is None:
            return role_label(c.role)
        title = stack_label(self.viewer.hanging.role_of(c.stack), c.stack.b_value) or c.stack.modality
        if self.cell_kind(cell) is CellKind.COMPARISON:
            who = c.stack.patient_id if self.pair is None or c.stack.patient_id != self.pair.patient_id else ""
            day = parse_date(c.stack.study_date)  # as the status bar and the follow-up say it (it read "20231017")
            date = day.isoformat() if day is not None else c.stack.study_date
            title += f" · {who} {date}".rstrip() if who else f" · {date}"
            title += " (comparison, read-only)"
        return title

    def cell_of(self, view: View) -> int | None:
        for i, vp in enumerate(self.viewer.viewports):
            if vp is view.model:
                return i
        return None

    def adc_here(self, cell: int) -> str:
        """Where to read instead when ``cell`` shows an ADC map, or "": D where the cell is the DWI cell
        showing its ADC (a reader's check: the refusal did not say; a review: D was advised for an ADC
        dropped in another cell, where D swaps the DWI cell instead)."""
        stack = self.viewer.hanging.cells[cell].stack
        if stack is None or self.viewer.hanging.role_of(stack) is not Role.MR_ADC:
            return ""
        where = " (D shows b800 here)" if self.viewer.hanging.cells[cell].role is Role.MR_ADC else ""
        return ON_ADC + where

    def cell_refusal(self, view: View) -> str | None:
        """Why nothing may be recorded on the cell of ``view``: not part of the pair being read."""
        cell = self.cell_of(view)
        if cell is not None and self.cell_kind(cell) is CellKind.READING and self.below_read_b(cell):
            return self.not_read_here(cell)
        if cell is not None and (adc := self.adc_here(cell)):
            return adc
        if cell is None or self.cell_kind(cell) is not CellKind.COMPARISON:
            return None
        stack = self.viewer.hanging.cells[cell].stack
        assert stack is not None
        if self.pair is None:
            return "open an exam pair first: this cell shows a stack outside any pair being read"
        whose = f"patient {stack.patient_id}" if stack.patient_id != self.pair.patient_id else "another study"
        return (f"this cell shows {whose} ({stack.study_date}) as a read-only comparison: the reading of "
                f"{self.pair.patient_id} records only on its own exam pair")

    def reading_role(self, cell: int) -> Role | None:
        """The protocol role a cell records on, None for empty, comparison or non-protocol cells."""
        if self.cell_kind(cell) is not CellKind.READING:
            return None
        role = self.viewer.viewports[cell].role
        return role if role in READING_ROLES and not self.below_read_b(cell) else None

    def not_read_here(self, cell: int) -> str:
        """Why a reading cell showing a low-b diffusion stack records nothing."""
        return (f"this cell shows {self.cell_title(cell)}: the protocol reads diffusion on b800 (double-click "
                f"the series' b800 stack in the browser to read it here)")

    def below_read_b(self, cell: int) -> bool:
        """Whether the cell shows a diffusion stack under the b-value the protocol reads (a b0 stack
        shown in the DWI cell: a line drawn there would be stored as the lesion's b800 diameter)."""
        stack = self.viewer.hanging.cells[cell].stack
        return stack is not None and below_read_b(self.viewer.hanging.role_of(stack), stack.b_value)

    # ------------------------------------------------------------------ lines by position
    def place_of(self, m: Measurement) -> tuple[str, tuple[float, float, float]] | None:
        """Where a line's middle lies in the patient: (frame of reference, mm), an MRI line in the CT's frame
        through the pair's alignment in force; None when no reading cell has its stack loaded (Checks compares
        a lesion's lines on its series, and so does the line just drawn)."""
        vp = next((v for v in self.viewer.viewports if v.key == m.stack_key and v.geometry is not None
                   and v.volume is not None), None)
        if vp is None or vp.geometry is None or vp.volume is None:
            return None
        k = slice_of(m, images_of(vp))  # its image in the stack as loaded
        if k is None:  # missing from it: nowhere in the patient to compare it with
            return None
        p = vp.geometry.index_to_patient(k, *m.middle)
        point = (float(p[0]), float(p[1]), float(p[2]))
        frame = vp.volume.stack.frame_of_reference_uid
        if not frame:  # no frame of reference (an anonymiser stripped it): nothing to compare it with
            return None
        a = self.alignment
        if a is not None and frame == a.moving_frame_uid:
            if not self.alignment_trusted:  # an uncertain proposal, 2-3 cm off at times: MRI lines among themselves
                return f"{frame} (not aligned)", point
            return a.fixed_frame_uid, a.apply(point)
        return frame, point

    # ------------------------------------------------------------------ lobes by position
    def lobe_at(self, view: View, pos: tuple[float, float]) -> tuple[Lobe | None, str]:
        sel, vol, geo = self.selection, view.model.volume, view.geometry
        if sel.pair is None or vol is None or geo is None or not vol.stack.frame_of_reference_uid:
            return None, ""
        point = geo.index_to_patient(view.slice_index, *pos)
        extra = [self.alignment] if self.alignment is not None else []
        return lobe_for_point(self.reading.project, sel.pair, self.reader, vol.stack.frame_of_reference_uid,
                              (float(point[0]), float(point[1]), float(point[2])), extra)
