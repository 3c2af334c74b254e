"""The reading gestures of a viewport, without Qt: drawing a diameter, counting, drawing the
right/left liver boundary. The Qt tools (annotation/qt/tools.py) only paint what these hold.

Each gesture receives :class:`viewer.model.pointer.PointerEvent` (press, move, release) and
turns a finished gesture into one Reading command, so each is one undo step. What the
workstation decides (is this cell part of the exam pair being read? is a writable store ready?
which lobe is a point in? what comes after a measurement?) comes in through a
:class:`ReadingContext`, so the gestures are tested with plain objects.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any, Callable

from annotation.checks import lines_far_from, lines_overlap, marks_counted_twice, tilted
from annotation.lobes import BoundaryLine
from annotation.on_slice import SliceContent
from annotation.placement import image_of, image_shown, images_of, missing_here, missing_text, slice_of
from annotation.records import PENDING_KEY, TAKEOVER_SLICES, CountMark, Lesion, Measurement
from annotation.selection import Picked, Selection
from annotation.vocab import Lobe, MeasurementMethod
from viewer.body import outside_body, sample_values
from viewer.errors import LesionlabError
from viewer.geometry import StackGeometry, in_plane_distance_mm
from viewer.model.layout import role_label
from viewer.model.pointer import Button, PointerEvent, View, segment_distance_px
from viewer.records import READING_ROLES, ImageHeader, Role

#: Screen distance (widget pixels) within which a press grabs an end handle, a mark or a line.
GRAB_PX = 8.0
#: A press and release closer than this (widget pixels) is a click, not a drag.
CLICK_PX = 3.0


@dataclass(frozen=True)
class Suggestion:
    """A diameter computed from the image around a click (issue 13), or why there is none."""

    slice_index: int
    p1: tuple[float, float]
    p2: tuple[float, float]
    params: dict[str, Any]
    refusal: str = ""


@dataclass
class ReadingContext:
    """What the gestures need from the workstation (defaults: a bare reading, for tests)."""

    selection: Selection
    say: Callable[[str], None] = lambda text: None
    #: Before recording anything: the reader named, the pair in the project, a writable store.
    prepare: Callable[[], str | None] = lambda: None
    #: Why this cell cannot be written to (not part of the exam pair read: a read-only comparison).
    cell_refusal: Callable[[View], str | None] = lambda view: None
    #: The lobe of a point from the reader's right/left boundary: (lobe or None, where it came from).
    lobe_at: Callable[[View, tuple[float, float]], tuple[Lobe | None, str]] = lambda view, pos: (None, "")
    #: Where a line's middle lies in the patient, (frame, mm) in one frame for the pair (checks.PlaceOf), else None.
    place_of: Callable[[Measurement], tuple[str, tuple[float, float, float]] | None] = lambda m: None
    #: Called after a new diameter was recorded on a cell (the workstation moves on to the next series).
    measured: Callable[[View], None] = lambda view: None
    #: A suggestion for a click inside a lesion with the line tool, None when there is no suggester.
    suggest: Callable[[View, tuple[float, float]], Suggestion] | None = None
    #: The name of this view's cell when the press being handled is the one that made the cell active (that click
    #: only chooses the cell: it records nothing), else None; asking consumes it.
    activating: Callable[[View], str | None] = lambda view: None
    #: Why a click cannot suggest a diameter on this view's series, said to the reader ("one-click is not offered on
    #: CT portal: ..."), or "" where one-click is offered (or off: ``suggest`` is None).
    not_offered: Callable[[View], str] = lambda view: ""
    content: SliceContent = field(init=False)

    def __post_init__(self) -> None:
        self.content = SliceContent(self.selection)


def role_of(view: View) -> Role | None:
    role = view.model.role
    return role if role in READING_ROLES else None


def image_provenance(view: View, slice_index: int | None = None) -> dict[str, Any]:
    """The image a measurement is drawn on: SOP Instance UID, SOP class, InstanceNumber, frame."""
    vol = view.model.volume
    images = getattr(vol, "images", ()) if vol is not None else ()
    k = view.slice_index if slice_index is None else slice_index
    if not images or k >= len(images):
        return {}
    img = images[k]
    uid, frame = image_of(img)  # a UID longer than DICOM's 64 characters cut as everywhere (annotation/placement.py)
    return {"sop_instance_uid": uid, "sop_class_uid": img.sop_class_uid[:64],
            "instance_number": img.instance_number, "frame_number": frame}


#: Why nothing is recorded on an ADC map, and where to read instead.
ON_ADC = "this series is the ADC map: lesions are counted and measured on DWI b800"


def hit(ctx: ReadingContext, event: PointerEvent, prefer: str = "mark") -> Picked | None:
    """What is under the pointer (within GRAB_PX on screen): a count mark the reader clicked, a
    measurement line, or a mark that stands for a measured lesion (drawn as a letter only, so last).
    ``prefer="line"`` (the line tool) puts lines before clicked marks."""
    view = event.view
    role = role_of(view)
    if role is None or view.geometry is None:
        return None
    key, k = view.model.key, view.slice_index

    def nearest(items: list[tuple[float, Picked]]) -> Picked | None:
        # at the same distance (a line drawn on another's), the current lesion's: the one just drawn
        current = ctx.selection.lesion_id
        best = min(items, key=lambda item: (round(item[0], 1), item[1].lesion_id != current), default=None)
        return best[1] if best is not None and best[0] <= GRAB_PX else None

    marks = ctx.content.marks(role, key, k, images_of(view.model))
    clicked = nearest([(event.distance_px((m.row, m.col)), Picked(mark_id=m.mark_id)) for m in marks if not m.lesion_id])
    line = nearest([(segment_distance_px(view, event.widget_pos, m.p1, m.p2), Picked(lesion_id=lid, role=role))
                    for lid, m in ctx.content.measurements(role, key, k, images_of(view.model))])
    placed = nearest([(event.distance_px((m.row, m.col)), Picked(mark_id=m.mark_id)) for m in marks if m.lesion_id])
    order = (line, clicked, placed) if prefer == "line" else (clicked, line, placed)
    return next((p for p in order if p is not None), None)


class ReadingGesture:
    """Shared refusals and messages of the reading gestures."""

    name = "reading"

    def __init__(self, ctx: ReadingContext) -> None:
        self.ctx = ctx
        self.last_message = ""

    @property
    def selection(self) -> Selection:
        return self.ctx.selection

    @property
    def reading(self):  # type: ignore[no-untyped-def]
        return self.ctx.selection.reading

    def say(self, text: str) -> bool:
        self.last_message = text
        self.ctx.say(text)
        return True  # the press was ours, even if refused

    def refusal(self, view: View) -> str | None:
        """Why nothing can be recorded on this viewport now, or None (after ``prepare``)."""
        if view.geometry is None:
            return "no series in this viewport"
        reason = self.ctx.cell_refusal(view)
        if reason:
            return reason
        role = view.model.role
        if role is Role.MR_ADC:  # where to read instead (the workstation adds D where it applies: cell_refusal)
            return ON_ADC
        if role not in READING_ROLES:
            name = role_label(role) if isinstance(role, Role) else "of unknown role"
            return f"this series is {name}; the reading records only the six protocol series"
        if not view.model.is_loaded():  # the reader cannot see what would be recorded
            return self.series_refusal(view) or "this slice is still loading: wait for its image"
        reason = self.series_refusal(view) or self.ctx.prepare()
        if reason:
            return reason
        if self.selection.pair is None:
            return "choose an exam pair first"
        return None

    def series_refusal(self, view: View) -> str | None:
        return None

    def _lesion(self, lesion_id: str) -> Lesion | None:
        """The reader's lesion ``lesion_id`` of the current exam pair (None when there is none)."""
        pair = self.selection.pair
        return self.reading.project.lesions.get((*pair, self.reading.reader, lesion_id)) if pair else None

    def run(self, command: Callable[[], object]) -> bool:
        """Run one Reading command; a refusal (read-only store, bad value) becomes the message."""
        try:
            command()
            return True
        except LesionlabError as exc:
            self.say(str(exc))
            return False

    def cancel(self) -> bool:
        return False


def measurable_refusal(geo: StackGeometry) -> str | None:
    """Why a diameter cannot be drawn on a stack (no spacing, not axial), or None."""
    if not geo.measurable:
        return f"cannot measure: {geo.not_measurable_reason}"
    if geo.orientation.value != "axial":
        return f"cannot measure on a {geo.orientation.value} stack: the protocol measures in the strict axial plane"
    return None


class LineGesture(ReadingGesture):
    """Press-drag-release draws the current lesion's diameter on this series; pressing near an end
    handle of a line moves it (and makes its lesion current) -- except while the current lesion has no
    status on this series: then the drag draws it, and the status says whose end it began at; a click on
    a line picks it; a click elsewhere asks for a suggestion (when the workstation has a suggester)."""

    name = "line"

    def __init__(self, ctx: ReadingContext) -> None:
        super().__init__(ctx)
        self.a: tuple[float, float] | None = None
        self.b: tuple[float, float] | None = None
        self.grab: tuple[str, int] | None = None  # (lesion id, endpoint) being moved
        self._passed: str | None = None  # the lesion whose end the drag began at, not grabbed (its line awaited)
        self._press_px: tuple[float, float] | None = None

    def series_refusal(self, view: View) -> str | None:
        assert view.geometry is not None
        return measurable_refusal(view.geometry)

    def _take_back_unstarted(self) -> str:
        """N made the current lesion a moment ago and its first line was refused here (a coronal DWI): N is taken back,
        so that no lesion holding nothing is left behind. A radiologist's read (session 47): the empty L1 stayed, in
        the grid and the export's follow-up rows. Only while the last edit is that lesion's making: one the reader
        kept, chose or went on with is theirs to delete."""
        lesion_id = self.selection.lesion_id
        les = self._lesion(lesion_id) if lesion_id else None
        if les is None or les.observations or self.reading.undo_description != f"add lesion {lesion_id}":
            return ""
        self.reading.undo()
        return f"; {lesion_id} taken back (nothing recorded): press N on a series you can measure on"

    @property
    def hidden(self) -> str | None:
        """The lesion whose stored line is being redrawn (the layer leaves it out meanwhile)."""
        return self.grab[0] if self.grab else None

    def preview(self, view: View) -> tuple[tuple[float, float], tuple[float, float], str] | None:
        """(a, b, label) of the line being drawn, for the Qt tool to paint."""
        geo = view.geometry
        if self.a is None or self.b is None or geo is None or not geo.measurable or self.a == self.b:
            return None
        label = self.grab[0] if self.grab else (self.selection.lesion_id or "")
        return self.a, self.b, f"{label} {geo.distance_mm(self.a, self.b):.1f} mm"

    def cancel(self) -> bool:
        had = self.a is not None
        self.a = self.b = self.grab = self._press_px = self._passed = None
        return had

    def press(self, event: PointerEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        view = event.view
        reason = self.refusal(view)
        if reason:
            if view.geometry is not None and measurable_refusal(view.geometry):
                reason += self._take_back_unstarted()
            return self.say(reason)
        role = role_of(view)
        current = self._lesion(self.selection.lesion_id) if self.selection.lesion_id else None
        # the current lesion awaits its line here (N just pressed): a drag draws it, even from another lesion's
        # end (a reader's check: a drag begun a pixel from L1's end after N made L1 2.7 mm and left L2 empty;
        # L1 is edited once picked: a click on its line, ] or the grid)
        awaited = current.lesion_id if current is not None and role is not None and current.observation(role) is None else None
        self._passed = None
        for lesion_id, m in self.ctx.content.measurements(role, view.model.key, view.slice_index,
                                                              images_of(view.model)):
            if awaited is not None and lesion_id != awaited:
                if any(event.distance_px(p) <= GRAB_PX for p in (m.p1, m.p2)):
                    self._passed = lesion_id
                continue
            for which, p in ((1, m.p1), (2, m.p2)):
                if event.distance_px(p) <= GRAB_PX:
                    self.grab = (lesion_id, which)
                    # an end grabbed to edit is a line being drawn (fresh): the lobe keys set the next lesions'
                    # lobe, not this one's (a click on the line picks it to move it)
                    self.selection.pick(Picked(lesion_id=lesion_id, role=role, fresh=True))
                    self.a, self.b = (m.p2, p) if which == 1 else (m.p1, p)
                    self._press_px = event.widget_pos
                    return True
        if not event.inside:
            return False
        self.a = self.b = event.image_pos
        self._press_px = event.widget_pos
        return True

    def move(self, event: PointerEvent) -> bool:
        if self.a is None or not event.left_held:
            return False
        geo = event.view.geometry
        assert geo is not None
        row, col = event.image_pos
        self.b = (min(max(row, -0.5), geo.rows - 0.5), min(max(col, -0.5), geo.columns - 0.5))
        return True

    def release(self, event: PointerEvent) -> bool:
        if self.a is None or event.button is not Button.LEFT:
            return False
        a, b, grab, start, passed = self.a, self.b, self.grab, self._press_px, self._passed
        self.cancel()
        view, sel = event.view, self.selection
        role = role_of(view)
        assert a is not None and b is not None and role is not None and sel.pair is not None
        clicked = start is not None and abs(event.widget_pos[0] - start[0]) + abs(event.widget_pos[1] - start[1]) < CLICK_PX
        x, y = event.widget_pos
        in_cell = 0 <= x < view.transform.width_px and 0 <= y < view.transform.height_px
        if not clicked and not (event.inside and in_cell):
            # released off the image or off the cell (over another panel: a reader's check recorded
            # a 156 mm line clamped to the image's edge; zoomed in, the image goes on past the
            # cell, out of sight): nothing recorded, nothing moved
            return self.say("the drag ended off the image: nothing recorded (release it on the image)")
        if grab is not None:
            if not clicked:
                self.run(lambda: self.say(f"{grab[0]} on {role_label(role)}: "
                                          f"{self.reading.move_endpoint(sel.pair, grab[0], role, grab[1], b, view.slice_index):.1f} mm"))
            else:  # a click on an end picks the line, said as such (it was silent)
                self.say(f"{grab[0]} on {role_label(role)} picked (Delete removes it, drag an end to edit)")
            return True
        if clicked:
            picked = hit(self.ctx, event, prefer="line")
            if picked is not None and not picked.is_mark:
                self.selection.pick(picked)
                return self.say(f"{picked.lesion_id} on {role_label(role)} picked (Delete removes it, drag an end to edit)")
            return self._suggest(view, a)
        if sel.lesion_id is None:
            return self.say("no current lesion: press N for a new lesion, or pick one in the lesion grid")
        # begun at another lesion's end while this one awaited its line here: said (a review: "L2 ... 8.0 mm" read as
        # if L1 had been edited)
        note = f" (begun at {passed}'s end: {passed} unchanged; to edit it, click its line first)" if passed else ""
        return self._record(view, sel.lesion_id, view.slice_index, a, b, MeasurementMethod.MANUAL, {}, note)

    def _carried(self, les: Lesion) -> bool:
        """Whether ``les`` was carried from another exam of its patient (the same tracking UID there): its lobe came
        with it (a reader's check: every carried lesion's first line at follow-up reminded of a boundary), whatever
        its follow-up kind (a target at baseline is none)."""
        return bool(self.reading.project.carried(les))

    def _record(self, view: View, lesion_id: str, slice_index: int, a: tuple[float, float], b: tuple[float, float],
                method: MeasurementMethod, params: dict[str, Any], note: str = "") -> bool:
        sel, role = self.selection, role_of(view)
        assert sel.pair is not None and role is not None and view.geometry is not None
        stack = view.model.volume.stack  # type: ignore[union-attr]
        les = self._lesion(lesion_id)
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        lobe, why = self.ctx.lobe_at(view, mid) if les is not None and not les.observations else (None, "")
        before = les.observation(role) if les is not None else None
        if missing_here(before, view.model):  # its image is not in this folder: read-only until it is back
            return self.say(missing_text(before, lesion_id, role_label(role)))
        provenance = image_provenance(view, slice_index)
        unlinked = {c.mark_id for c in self.reading.project.marks_of(*sel.pair, self.reading.reader)
                    if c.role is role and not c.lesion_id}
        if method is MeasurementMethod.SUGGESTED:  # not kept yet: stored so (a window killed before Enter reopens it
            params = {**params, PENDING_KEY: True}  # dashed, "not kept yet", not as a line the reader kept)

        def command() -> None:
            # Undo names a suggestion as one ("undone: L1 on T1 arterial: suggested")
            done = "measured" if method is MeasurementMethod.MANUAL else method.value.replace("_", ", ")
            with self.reading.batch(f"{lesion_id} on {role_label(role)}: {done}"):
                if lobe is not None and les is not None and lobe is not les.lobe and les.segment is None:
                    self.reading.edit_lesion(sel.pair, lesion_id, lobe=lobe)
                self.reading.measure(sel.pair, lesion_id, role, view.geometry, view.model.key,
                                     stack.series_instance_uid[:64], slice_index, a, b, method=method,
                                     method_params=json.dumps(params, sort_keys=True) if params else "",
                                     images=images_of(view.model), **provenance)

        if not self.run(command):
            return True
        if slice_index != view.slice_index:  # a suggestion on another slice: the view goes to its line
            view.model.set_index(slice_index)
        m = self.reading.project.lesions[(*sel.pair, self.reading.reader, lesion_id)].observation(role)
        assert isinstance(m, Measurement)
        # a suggestion is shown as one (dashed, "suggested") until kept: it looked like a line drawn by hand
        sel.pick(Picked(lesion_id=lesion_id, role=role, fresh=True, suggested=method is MeasurementMethod.SUGGESTED))
        extra = f"; {lesion_id} set to the {lobe.value} lobe {why}" if lobe is not None and les is not None \
            and lobe is not les.lobe and les.segment is None else ""
        f = self.reading.project.lesion_followups.get(les.key) if les is not None else None
        outside = f is not None and not f.in_liver  # a node or a bone lesion: no liver lobe to remind of
        if f is not None and f.nodal and m.short_axis_mm is None:  # what RECIST sums of a node: asked for
            extra += "; a node: A draws its short axis (RECIST sums it)"
        if lobe is None and les is not None and not les.observations and les.segment is None and not outside \
                and not self._carried(les):
            # its first line, and no boundary to take the lobe from: the lobe it was started in, said
            # (a reader who forgot the lobe key would otherwise count a left lesion on the right)
            # (short: the status bar has to keep "next: ..." after it)
            other = "R" if les.lobe is Lobe.LEFT else "L"
            extra = f"; in the {les.lobe.value} lobe, no R/L boundary (click it, Shift+{other} to move)"
        how = "suggested" if method is MeasurementMethod.SUGGESTED else ""
        clicked = params.get("clicked_slice") if method is MeasurementMethod.SUGGESTED else None
        if isinstance(clicked, int) and clicked != slice_index:  # the view went there: say so
            n = abs(slice_index - clicked)
            how += f" on its longest slice ({n} from the click)"
        if isinstance(before, Measurement):  # one line per lesion and series: the one it replaces, said
            how = f"{how} (replaces {before.diameter_mm:.1f} mm)".lstrip()
        shown = images_of(view.model)  # a click's image in the stack as loaded (its stored index: that of its load)
        adopted = [(k, c) for c in self.reading.project.marks_of(*sel.pair, self.reading.reader)
                   if c.mark_id in unlinked and c.lesion_id == lesion_id
                   and (k := slice_of(c, shown)) is not None and k != m.slice_index]
        if adopted:  # the count click made while scrolling is this lesion's mark: said, or the reader counts it again
            n = abs(adopted[0][0] - m.slice_index)
            extra += f"; the count click {n} slice{'s' if n > 1 else ''} away is its mark"
        twice = self._on_another_lesion(lesion_id, role, m, view.geometry, images_of(view.model))
        if twice:  # said first, now, while Ctrl+Z still undoes it (Checks keeps saying it)
            extra = f"; {twice} is here too: the same lesion twice? (Ctrl+Z undoes)" + extra
        else:
            now = self.reading.project.lesions.get((*sel.pair, self.reading.reader, lesion_id))
            far = lines_far_from(now, role, self.ctx.place_of) if now is not None else []
            if far:  # the current lesion's lines lie elsewhere: another lesion clicked (a radiologist's check)
                other, apart = min(far, key=lambda x: x[1])
                twice = f"{apart:.0f} mm from its line on {role_label(other)}"
                extra = f"; {twice}: another lesion? (Ctrl+Z undoes; N for a new lesion)" + extra
        off = tilted(view.geometry) if view.geometry is not None else None
        if off:  # a gantry-tilt CT hung as a reading series: its lines were taken as axial, unsaid (Checks says it too)
            extra = f"; ⚠ slices {off}" + extra
        if method is MeasurementMethod.SUGGESTED and not twice:
            # shown, not gone past: the reader looks at the line where it was put (a reader's check clicked a
            # kidney and the reading moved on to the next series while the 53.9 mm line lay five slices away);
            # Enter keeps it and goes on, as does any next action (it is recorded), Ctrl+Z takes it back
            # (short: with the lobe reminder it was cut at 1,500 px, the reminder lost: a reader's check)
            extra = "; Enter keeps it, drag an end to edit" + extra if not extra else "; Enter keeps it" + extra
        self.say(f"{lesion_id} on {role_label(role)}: {m.diameter_mm:.1f} mm {how}".rstrip() + note + extra)
        if not twice and method is not MeasurementMethod.SUGGESTED:
            # on to the next series; a line on another lesion's stays in view, to be undone or kept
            self.ctx.measured(view)
        return True

    def _on_another_lesion(self, lesion_id: str, role: Role, m: Measurement, geo: StackGeometry,
                           images: Sequence[ImageHeader] = ()) -> str:
        """The other lesion of this read whose line on ``role`` lies on ``m`` ("L1's line (13.9 mm)"),
        in 3-D through the stack's slice positions (``geo``: the stack both are drawn on), or ""."""
        sel = self.selection
        assert sel.pair is not None
        z = geo.slice_projections_mm
        here = slice_of(m, images)
        for other in self.reading.project.lesions_of(*sel.pair, self.reading.reader):
            line = other.observation(role)
            if other.lesion_id == lesion_id or not isinstance(line, Measurement) or line.stack_key != m.stack_key:
                continue
            there = slice_of(line, images)  # its image in the stack as loaded (none: missing from it)
            if here is None or there is None or not (0 <= here < len(z) and 0 <= there < len(z)):
                continue
            if lines_overlap(m, line, abs(float(z[here] - z[there]))) is not None:
                return f"{other.lesion_id}'s line ({line.diameter_mm:.1f} mm)"
        return ""

    def _suggest(self, view: View, at: tuple[float, float]) -> bool:
        """A click off every line with the line tool: a suggestion for the current lesion where one-click is on and
        offered; otherwise what the click did -- nothing -- and what to do, in words that cannot be read as a line."""
        if self.ctx.suggest is None:
            return self.say("drag to draw the diameter (a click picks a line)")
        lesion_id = self.selection.lesion_id
        not_offered = self.ctx.not_offered(view)
        chosen = self.ctx.activating(view)
        if chosen is not None:
            # the click that makes a cell active only chooses it (a reader's check clicked a cell to look at it and
            # one-click recorded a line there), said as that, not as a refusal (session 46's reader read "no
            # suggestion, draw it by hand: that click made ..." as the method giving up), nor as another lesion's
            if not_offered:
                return self.say(f"{chosen} is the active cell now: drag a diameter there ({not_offered})")
            if lesion_id is None:
                return self.say(f"{chosen} is the active cell now: N for a new lesion, then click inside it")
            return self.say(f"{chosen} is the active cell now: click inside the lesion again for its suggestion")
        if lesion_id is None:
            return self.say("no current lesion: press N for a new lesion, or pick one in the lesion grid")
        if not_offered:
            # nothing is suggested here whatever the click: a click to leave a table said "L1 is measured on CT
            # portal 77 mm from this click", read as a measurement (session 46's reader)
            return self.say(f"that click recorded nothing: drag to draw {lesion_id}'s diameter ({not_offered})")
        far = self._far_from_its_line(view, lesion_id, at)
        if far:
            theirs = self._measured_at(view, lesion_id, at)
            return self.say(f"no suggestion: {theirs or far}")
        s = self.ctx.suggest(view, at)
        if s.refusal:
            # the method's own advice ("…: draw it") said once, by the start (a reader's check read "drag to draw
            # it: …: draw it", cut at 1,500 px); "by hand", plainly what to do (a radiologist's read)
            return self.say(f"no suggestion, draw it by hand: {s.refusal.removesuffix(': draw it')}")
        other = self._not_its_lesion(view, lesion_id, s)
        if other:
            return self.say(f"no suggestion: {other}")
        kept = self._by_hand(view, lesion_id)
        if kept:
            return self.say(kept)
        return self._record(view, lesion_id, s.slice_index, s.p1, s.p2, MeasurementMethod.SUGGESTED, s.params)

    def _by_hand(self, view: View, lesion_id: str) -> str:
        """The current lesion's line on this series when the reader drew or edited it by hand: a click inside the
        lesion keeps it and picks it, said ("L1 on T2 FS: its line was drawn by hand ..."); "" otherwise (none, or a
        suggestion left as it was, which a click suggests again). A reader's check clicked inside a lesion a few
        pixels off its edited line (to pick it) and the suggestion replaced the edit, said only as "(replaces 34.6
        mm)" beside "Enter keeps it". Delete, then a click, asks for a suggestion; a drag redraws it."""
        role = role_of(view)
        les = self._lesion(lesion_id)
        line = les.observation(role) if les is not None and role is not None else None
        if not isinstance(line, Measurement) or line.method is MeasurementMethod.SUGGESTED \
                or line.stack_key != view.model.key:
            return ""
        self.selection.pick(Picked(lesion_id=lesion_id, role=role))
        how = "drawn" if line.method is MeasurementMethod.MANUAL else "edited"
        return (f"{lesion_id} on {role_label(role)}: its line was {how} by hand ({line.diameter_mm:.1f} mm): a click "
                f"keeps it (Delete, then a click, for a suggestion; drag an end to edit)")

    def _not_its_lesion(self, view: View, lesion_id: str, s: Suggestion) -> str:
        """Why a suggestion is not the current lesion's: it has its line on this series already and
        the suggested line's middle lies, in 3-D, further from that line's middle than half the longer
        of the two -- another lesion. A click within the old line's length of its middle passes the
        check before the suggestion (``_far_from_its_line``): a reader's check clicked a 16 mm lesion
        four slices from a 43.5 mm lesion's line and replaced it with 14.7 mm. A drag still redraws."""
        role, geo = role_of(view), view.geometry
        les = self._lesion(lesion_id)
        line = les.observation(role) if les is not None and role is not None else None
        if not isinstance(line, Measurement) or geo is None or role is None or line.stack_key != view.model.key:
            return ""
        middle = ((s.p1[0] + s.p2[0]) / 2, (s.p1[1] + s.p2[1]) / 2)
        here = geo.index_to_patient(s.slice_index, *middle)
        there = slice_of(line, images_of(view.model))
        if there is None:  # its image is missing from the stack as loaded: nothing to compare it with
            return ""
        apart = math.dist(here, geo.index_to_patient(there, *line.middle))
        length = geo.distance_mm(s.p1, s.p2)
        if apart <= 0.5 * max(length, line.diameter_mm):
            return ""
        # a lesion measured already (N would measure it twice): the check Checks and a new line use
        probe = Measurement.from_geometry(geo, view.model.key, line.series_instance_uid, s.slice_index, s.p1, s.p2)
        theirs = self._on_another_lesion(lesion_id, role, probe, geo, images_of(view.model))
        if theirs:
            return f"what is found here is {theirs} on {role_label(role)}: click it to pick its lesion"
        return (f"what is found here ({length:.1f} mm) lies {apart:.0f} mm from {lesion_id}'s line on {role_label(role)} "
                f"({line.diameter_mm:.1f} mm): another lesion? N for a new lesion, or drag to redraw {lesion_id} here")

    def _measured_at(self, view: View, lesion_id: str, at: tuple[float, float]) -> str:
        """Another lesion of this read whose line on this series has its middle within half its length of
        the click, in 3-D (the click is inside that lesion): "L1's line (37.4 mm) ...", or "". A radiologist's
        check clicked L1's lesion with L2 current, was told "N for a new lesion", and measured L1 twice."""
        role, sel = role_of(view), self.selection
        if role is None or sel.pair is None:
            return ""
        for other in self.reading.project.lesions_of(*sel.pair, self.reading.reader):
            line = other.observation(role)
            if other.lesion_id == lesion_id or not isinstance(line, Measurement):
                continue
            far = _far_from(line, view, at)
            if far is not None and far < 0.5 * line.diameter_mm:
                return (f"this is {other.lesion_id}'s lesion, measured on {role_label(role)} ({line.diameter_mm:.1f} mm): "
                        f"click its line to pick it (] / [ to go through the lesions)")
        return ""

    def _far_from_its_line(self, view: View, lesion_id: str, at: tuple[float, float]) -> str:
        """Why a click is not for the current lesion: it already has its line on this series, and
        the click lies beyond that line's length (and 10 mm) from its middle -- another lesion,
        clicked without N (a reader's check replaced a 13.4 mm line with a 24.4 mm one elsewhere).
        A drag still redraws the lesion's line anywhere."""
        role = role_of(view)
        les = self._lesion(lesion_id)
        line = les.observation(role) if les is not None and role is not None else None
        if not isinstance(line, Measurement):
            return ""
        far = _far_from(line, view, at)
        if far is None or far <= max(line.diameter_mm, 10.0):
            return ""
        # the click's distance, not a line's: "L1 is measured on CT portal (33.9 mm) 77 mm from this click" read as a
        # measurement of 77 mm (session 46's reader)
        return (f"this click is {far:.0f} mm from {lesion_id}'s line on {role_label(role)} ({line.diameter_mm:.1f} mm): "
                f"another lesion? N for a new lesion, or drag to redraw {lesion_id} here")


def _far_from(line: Measurement, view: View, at: tuple[float, float]) -> float | None:
    """How far (mm, in the patient) a click at ``at`` on ``view``'s slice lies from the middle of
    ``line``, drawn on the same stack; None for a line on another stack (not comparable here)."""
    geo = view.geometry
    if geo is None or line.stack_key != view.model.key:
        return None
    there = slice_of(line, images_of(view.model))  # its image in the stack as loaded
    if there is None:  # missing from it
        return None
    return math.dist(geo.index_to_patient(view.slice_index, *at), geo.index_to_patient(there, *line.middle))


def perpendicular_end(p1: tuple[float, float], p2: tuple[float, float], a: tuple[float, float],
                      b: tuple[float, float], row_mm: float, col_mm: float) -> tuple[float, float]:
    """``b`` brought onto the line through ``a`` perpendicular to p1-p2, perpendicular in millimetres
    (pixels may be anisotropic): the far end of a short axis started at ``a``."""
    ur, uc = (p2[0] - p1[0]) * row_mm, (p2[1] - p1[1]) * col_mm
    norm = math.hypot(ur, uc)
    if norm == 0:
        return b
    nr, nc = -uc / norm, ur / norm
    d = (b[0] - a[0]) * row_mm * nr + (b[1] - a[1]) * col_mm * nc
    return (a[0] + d * nr / row_mm, a[1] + d * nc / col_mm)


class ShortAxisGesture(ReadingGesture):
    """The bidirectional tool's second line (lymph nodes): on a slice where the current lesion's
    longest diameter is drawn, press-drag-release draws its short axis, held perpendicular to it."""

    name = "short_axis"

    def __init__(self, ctx: ReadingContext) -> None:
        super().__init__(ctx)
        self.long: Measurement | None = None
        self.a: tuple[float, float] | None = None
        self.b: tuple[float, float] | None = None

    def series_refusal(self, view: View) -> str | None:
        assert view.geometry is not None
        return measurable_refusal(view.geometry)

    def preview(self, view: View) -> tuple[tuple[float, float], tuple[float, float], str] | None:
        m, a, b = self.long, self.a, self.b
        if m is None or a is None or b is None or a == b:
            return None
        return a, b, f"short axis {in_plane_distance_mm(a, b, m.row_spacing_mm, m.column_spacing_mm):.1f} mm"

    def cancel(self) -> bool:
        had = self.a is not None
        self.long = self.a = self.b = None
        return had

    def press(self, event: PointerEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        view = event.view
        reason = self.refusal(view)
        if reason:
            return self.say(reason)
        lesion_id, role = self.selection.lesion_id, role_of(view)
        if lesion_id is None:
            return self.say("no current lesion: pick the node in the lesion grid (] / [) first")
        m = dict(self.ctx.content.measurements(role, view.model.key, view.slice_index,
                                                              images_of(view.model))).get(lesion_id)
        if m is None:
            return self.say(f"draw {lesion_id}'s longest diameter on this slice first (line tool, E), "
                            "then its short axis")
        if not event.inside:
            return False
        self.long, self.a = m, event.image_pos
        self.b = self.a
        return True

    def move(self, event: PointerEvent) -> bool:
        if self.a is None or self.long is None or not event.left_held:
            return False
        m = self.long
        self.b = perpendicular_end(m.p1, m.p2, self.a, event.image_pos, m.row_spacing_mm, m.column_spacing_mm)
        return True

    def release(self, event: PointerEvent) -> bool:
        if self.a is None or self.long is None or event.button is not Button.LEFT:
            return False
        m, a = self.long, self.a
        b = perpendicular_end(m.p1, m.p2, a, event.image_pos, m.row_spacing_mm, m.column_spacing_mm)
        self.cancel()
        sel, role = self.selection, role_of(event.view)
        assert sel.pair is not None and role is not None and sel.lesion_id is not None
        lesion_id, pair = sel.lesion_id, sel.pair
        on = slice_of(m, images_of(event.view.model))  # its image in the stack as loaded, recorded with it
        if a == b:
            return self.say("drag across the node, perpendicular to its longest diameter, to draw the short axis")
        self.run(lambda: self.say(f"{lesion_id} on {role_label(role)}: short axis "
                                  f"{self.reading.set_short_axis(pair, lesion_id, role, a, b, on):.1f} mm "
                                  f"(longest {m.diameter_mm:.1f} mm)"))
        return True


class CountGesture(ReadingGesture):
    """A click places a count mark (its lobe from the right/left boundary when one is drawn, else the
    current lobe); dragging a mark moves it; a mark clicked is picked (Delete removes it)."""

    name = "count"

    def __init__(self, ctx: ReadingContext) -> None:
        super().__init__(ctx)
        self.moving: tuple[str, tuple[float, float]] | None = None  # mark being dragged, where to
        self._grabbed: str | None = None
        self.hover: str | None = None

    def _mark_at(self, event: PointerEvent) -> CountMark | None:
        return self._under(event)[0]

    def _under(self, event: PointerEvent) -> tuple[CountMark | None, str | None]:
        """The count mark under the pointer, and the measured lesion whose line is under it (if any). On a
        line, the mark is the one placed from that lesion: the lesion is counted already (a reader's check: a
        click on the line, where that mark sits, counted the lesion a second time, in the current lobe, not
        the lesion's); none left (deleted by the reader): None, and the click counts."""
        picked = hit(self.ctx, event)
        if picked is None:
            return None, None
        if picked.is_mark:
            return self.reading.project.count_marks.get(picked.mark_id), None
        role, view = role_of(event.view), event.view
        placed = next((m for m in self.ctx.content.marks(role, view.model.key, view.slice_index, images_of(view.model))
                       if m.lesion_id and m.lesion_id == picked.lesion_id), None) if role is not None else None
        return placed, picked.lesion_id

    def _in_liver(self, lesion_id: str) -> bool:
        """Whether the reader's lesion ``lesion_id`` of this exam counts in the liver (its follow-up organ)."""
        les = self._lesion(lesion_id)
        followup = self.reading.project.lesion_followups.get(les.key) if les is not None else None
        return followup is None or followup.in_liver

    def press(self, event: PointerEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        view = event.view
        reason = self.refusal(view)
        if reason:
            return self.say(reason)
        mark, on_line = self._under(event)
        if mark is not None:
            self._grabbed = mark.mark_id
            self.selection.pick(Picked(mark_id=mark.mark_id))
            return True
        if not event.inside:
            return False
        if on_line is not None and not self._in_liver(on_line):
            return self.say(f"not counted: that is {on_line}'s line, a lesion measured here that is not "
                            "counted in the liver (Follow-up: its organ)")
        role, sel, pair = role_of(view), self.selection, self.selection.pair
        assert role is not None and pair is not None  # refusal() checked both
        vol = view.model.volume
        # the slice's border against the stack's content, not the slice's alone (faint b800 end slices)
        if vol is not None and outside_body(vol.array[view.slice_index], event.image_pos, vol.units,
                                            sample_values(vol.array)):
            # a click on the dark round the body (to make the cell active, or a slip) is no metastasis
            return self.say(f"not counted: that point of {role_label(role)} is outside the body; "
                            "click the lesion to count it")
        chosen = self.ctx.activating(view)
        if chosen is not None:
            # the click that makes a cell active only chooses it, as with one-click diameters (a radiologist's check
            # clicked CT arterial to read it, the count tool on, and a mark was counted there in the current lobe)
            return self.say(f"not counted: that click made {chosen} the active cell; click the lesion again to count it")
        found, why = self.ctx.lobe_at(view, event.image_pos)
        lobe = found or sel.lobe
        mark_id: list[str] = []
        if self.run(lambda: mark_id.append(self.reading.add_count_mark(
                pair, role, lobe, stack_key=view.model.key, slice_index=view.slice_index,
                row=event.image_pos[0], col=event.image_pos[1],
                **image_shown(view.model, view.slice_index)))):
            sel.pick(Picked(mark_id=mark_id[0], fresh=True))
            counts = self.reading.project.counts(pair[0], pair[1], self.reading.reader)
            self.say(f"counted on {role_label(role)}: {lobe.value} {counts[(role, lobe)]}" + (f" ({why})" if why else "")
                     + (self._spanned_by(view, role, event.image_pos) or self._counted_near(view, mark_id[0])))
        return True

    def _spanned_by(self, view: View, role: Role, at: tuple[float, float]) -> str:
        """What to say when the click counted lies inside a lesion measured on another slice of the stack (within
        the sphere of its line's length round its middle): the same lesion counted twice? (a radiologist's check:
        a count click two slices from a lesion's line counted it again, unsaid); "" otherwise."""
        pair = self.selection.pair
        if pair is None:
            return ""
        for les in self.reading.project.lesions_of(pair[0], pair[1], self.reading.reader):
            m = les.observation(role)
            on = slice_of(m, images_of(view.model)) if isinstance(m, Measurement) else None
            if not isinstance(m, Measurement) or on is None or on == view.slice_index \
                    or abs(on - view.slice_index) > TAKEOVER_SLICES:
                continue
            far = _far_from(m, view, at)  # None on another stack
            if far is not None and far <= m.diameter_mm / 2:
                n = abs(on - view.slice_index)
                return (f"; {les.lesion_id}'s line {n} slice{'s' if n > 1 else ''} away spans here: the same lesion "
                        f"counted twice? (Ctrl+Z undoes)")
        return ""

    def _counted_near(self, view: View, mark_id: str) -> str:
        """What to say when the mark just placed lies near another count mark of the stack (within 5 mm in the
        slice's plane and 10 mm through the slices: :func:`annotation.checks.counted_twice`): a lesion counted
        again while scrolling through it; "" otherwise (Checks lists it too)."""
        marks = self.reading.project.count_marks
        new, geo = marks.get(mark_id), view.geometry
        if new is None or geo is None:
            return ""
        others = [m for m in marks.values() if m.mark_id != mark_id and m.stack_key == new.stack_key
                  and (m.patient_id, m.exam_pair_id, m.reader) == (new.patient_id, new.exam_pair_id, new.reader)]
        shown = images_of(view.model)  # each mark on its own image in the stack as loaded
        near = [(in_plane, along, b) for a, b, in_plane, along in marks_counted_twice([new, *others], geo, shown)
                if a is new]
        if not near:
            return ""
        # the nearest in the patient (a radiologist's check was told of a mark 10 mm through the slices, not of the
        # one on the next slice)
        in_plane, _along, other = min(near, key=lambda x: math.hypot(x[0], x[1]))
        whose = f"{other.lesion_id}'s count mark" if other.lesion_id else "a count mark"
        k = slice_of(other, shown)
        where = "on this slice" if k == view.slice_index else f"on Im {geo.n_slices - (k or 0)}"
        return f"; {whose} {in_plane:.1f} mm from here {where}: the same lesion counted twice? (Ctrl+Z undoes)"

    def move(self, event: PointerEvent) -> bool:
        if self._grabbed is None:
            if event.view.geometry is None:
                return False
            mark = self._mark_at(event)
            hover = mark.mark_id if mark is not None else None
            changed, self.hover = hover != self.hover, hover
            return changed
        if event.left_held and event.inside:
            self.moving = (self._grabbed, event.image_pos)
            return True
        return False

    def release(self, event: PointerEvent) -> bool:
        if self._grabbed is None or event.button is not Button.LEFT:
            return False
        grabbed = self._grabbed
        moved, self._grabbed, self.moving = self.moving, None, None
        if moved is not None:
            # on the image shown, its UID recorded with it (a mark of an older store gains it)
            at = event.view.slice_index
            self.run(lambda: self.reading.move_count_mark(moved[0], *moved[1], slice_index=at,
                                                          **image_shown(event.view.model, at)))
            return True
        mark = self.reading.project.count_marks.get(grabbed)
        if mark is not None:
            # said, not silent (a reader's check: the last "counted …" still showing read as a second count)
            of = f" (placed from {mark.lesion_id})" if mark.lesion_id else ""
            self.say(f"count mark on {role_label(mark.role)}, {mark.lobe.value} lobe{of}, picked: not counted again "
                     "(Delete removes it, drag it to move it)")
        return True

    def cancel(self) -> bool:
        had = self._grabbed is not None
        self._grabbed = self.moving = None
        return had


class BoundaryGesture(ReadingGesture):
    """Drag the right/left liver boundary (Cantlie line) on an axial slice; it applies to every series
    of that frame of reference, interpolated between the slices where it is drawn."""

    name = "boundary"

    def __init__(self, ctx: ReadingContext) -> None:
        super().__init__(ctx)
        self.a: tuple[float, float] | None = None
        self.b: tuple[float, float] | None = None

    def series_refusal(self, view: View) -> str | None:
        assert view.geometry is not None
        reason = measurable_refusal(view.geometry)
        if reason is None and not view.model.volume.stack.frame_of_reference_uid:  # type: ignore[union-attr]
            return "this series has no frame of reference: the boundary cannot be placed in the patient"
        return reason

    def cancel(self) -> bool:
        had = self.a is not None
        self.a = self.b = None
        return had

    def preview(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        return (self.a, self.b) if self.a is not None and self.b is not None and self.a != self.b else None

    def press(self, event: PointerEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        reason = self.refusal(event.view)
        if reason:
            return self.say(reason)
        if not event.inside:
            return False
        self.a = self.b = event.image_pos
        return True

    def move(self, event: PointerEvent) -> bool:
        if self.a is None or not event.left_held:
            return False
        self.b = event.image_pos
        return True

    def release(self, event: PointerEvent) -> bool:
        if self.a is None or event.button is not Button.LEFT:
            return False
        a, b = self.a, self.b
        self.cancel()
        view = event.view
        geo = view.geometry
        assert geo is not None and b is not None
        pa = geo.index_to_patient(view.slice_index, *a)
        pb = geo.index_to_patient(view.slice_index, *b)
        line: BoundaryLine = (float(pa[0]), float(pa[1]), float(pb[0]), float(pb[1]), float((pa[2] + pb[2]) / 2))
        frame = view.model.volume.stack.frame_of_reference_uid  # type: ignore[union-attr]
        if self.run(lambda: self.reading.draw_boundary_line(self.selection.pair, frame, line)):
            self.say(f"right/left boundary drawn at {line[4]:.1f} mm; marks take their lobe from it")
        return True
