"""What the reading keys and buttons do, as Qt-free functions of the workstation state.

Each command reads :class:`app.workstation.WorkstationState`, runs Reading commands (one undo step
each), tells the reader what happened through ``state.say`` and raises
:class:`viewer.errors.LesionlabError` with the reason when it cannot act. The Qt layer only
binds keys to them (app/main_window.py) and shows refusals in the status bar.
"""

from __future__ import annotations

import numpy as np

from annotation.followup import FollowupEditor, followed_before
from annotation.followup_reads import followup_reads
from annotation.gestures import hit, measurable_refusal
from annotation.placement import images_of, missing_here, missing_text, slice_of
from annotation.records import Lesion, Measurement, NotMeasurable, NotVisible, PairKey
from annotation.selection import Picked
from annotation.vocab import CountStatus, CouinaudSegment, FollowupKind, FollowupStatus, Lobe
from app.suggester import OFFERED_ROLES
from app.workstation import CellKind, ToolMode, WorkstationState
from viewer.errors import LesionlabError
from viewer.model.layout import role_label
from viewer.model.pointer import PointerEvent, View
from viewer.model.viewport import ViewportModel
from viewer.records import READING_ROLES, Role

#: What N and the move to the next series add where one-click is on but not offered on the series.
NOT_OFFERED = "one-click diameters are not offered there"


def _not_offered(state: WorkstationState, role: Role | None) -> bool:
    """One-click diameters are on, and a click on ``role``'s series is refused: the reader drags there."""
    return state.suggest is not None and role is not None and role not in OFFERED_ROLES


STATUS_WORDS = {"not_visible": "not visible", "not_measurable": "not measurable", "measured": "measured"}


def _ready(state: WorkstationState) -> PairKey:
    """The reader named, a writable store, the pair in the project: its key, or why not."""
    reason = state.prepare()
    if reason:
        raise LesionlabError(reason)
    pair = state.selection.pair
    if pair is None:
        raise LesionlabError("choose an exam pair first")
    return pair


def active_role(state: WorkstationState) -> Role:
    """The protocol role of the active cell, or why the active cell cannot be recorded on."""
    cell = state.viewer.layout.active
    kind = state.cell_kind(cell)
    if kind is CellKind.EMPTY:
        raise LesionlabError("the active cell is empty")
    if kind is CellKind.COMPARISON:
        raise LesionlabError(state.cell_title(cell) + ": nothing is recorded on a comparison cell")
    role = state.reading_role(cell)
    if role is None and state.below_read_b(cell):
        raise LesionlabError(state.not_read_here(cell))
    if role is None and (adc := state.adc_here(cell)):  # where to read instead
        raise LesionlabError(adc)
    if role is None:
        raise LesionlabError(f"the active cell shows {state.cell_title(cell)}, not one of the six reading series")
    return role


def _lesion(state: WorkstationState, lesion_id: str):  # type: ignore[no-untyped-def]
    pair = state.selection.pair
    return state.reading.project.lesions.get((*pair, state.reader, lesion_id)) if pair else None


# ------------------------------------------------------------------ lesions
def new_lesion(state: WorkstationState) -> str:
    """A new lesion in the current lobe, current at once; the line tool is on to draw it.

    Refused (no empty lesion made) when the active cell cannot be measured on.
    """
    back = _back_to_start(state)
    role = active_role(state)
    geometry = state.viewer.active.geometry
    if geometry is None:
        raise LesionlabError(f"{role_label(role)} is still loading")
    reason = measurable_refusal(geometry)
    if reason:
        raise LesionlabError(f"{role_label(role)}: {reason}; pick a cell you can measure on first")
    _ready(state)
    pair = state.selection.pair
    new_here = pair is not None and followed_before(state.reading.project, state.reader, pair)
    if pair is None:
        raise LesionlabError("choose an exam pair first")
    # one undo step with its follow-up kind, named by the lesion it makes (the line tool takes N back only while the
    # last step made the current lesion: a review, session 47)
    lesion_id: str = state.reading.project.next_lesion_id(pair[0], pair[1], state.reader)
    with state.reading.batch(f"add lesion {lesion_id}"):
        made = state.reading.add_lesion(pair, state.selection.lobe, lesion_id=lesion_id)
        assert made == lesion_id, (made, lesion_id)
        if new_here:
            # a lesion started on a follow-up exam is a new lesion (a reader's check: kind "—", so the
            # response missed the progression it means until set by hand); the panel changes it. Not assessed
            # until its line is drawn (measured) or it is said not measurable (present): N alone made the exam
            # PD, with nothing recorded of the lesion anywhere (a reader's check)
            FollowupEditor(state.reading).set_lesion_followup(pair, lesion_id, FollowupKind.NEW,
                                                              status=FollowupStatus.NOT_ASSESSED, assessed_role=role)
    state.selection.set_lesion(lesion_id)  # once recorded (a failed write left a current lesion that is not there)
    state.set_tool(ToolMode.LINE)
    how = f"drag its longest axial diameter on {role_label(role)}"
    if _not_offered(state, role):
        how += f" ({NOT_OFFERED})"
    elif state.suggest is not None:  # one-click is on and offered here
        how = f"click inside it on {role_label(role)} for a suggested diameter, or drag its longest axial diameter"
    kind = " a new lesion at this follow-up once drawn (Follow-up panel: its kind)," if new_here else ""
    state.say(f"new lesion {lesion_id} ({state.selection.lobe.value} lobe):{kind} {how}{back}")
    return lesion_id


def _back_to_start(state: WorkstationState) -> str:
    """N where the app moved on after the last line (the reader has not gone elsewhere since): the series the last
    lesion's first line was drawn on is active again (the reader's own series: CT portal for a read of it alone, the
    first of the six for a full read); says so, or ""."""
    moved, start, active = state.advanced_to, state.start_role, state.viewer.layout.active
    state.advanced_to = None
    if moved is None or start is None or moved != _where(state, active) or state.reading_role(active) is start:
        return ""  # the reader went elsewhere since: scrolled there, another cell, another stack in it
    cell = next((i for i in range(len(state.viewer.viewports)) if state.reading_role(i) is start), None)
    if cell is None:
        return ""
    state.viewer.activate(cell)
    return f" (back on {role_label(start)}, where the last lesion started)"


def _where(state: WorkstationState, cell: int) -> tuple[int, str, int]:
    """What ``cell`` shows now: (cell, stack key, slice index), to tell whether the reader has moved since."""
    vp = state.viewer.viewports[cell]
    return cell, vp.key, vp.index


def step_lesion(state: WorkstationState, step: int, none_yet: str = "N starts one") -> str | None:
    """The next (``step`` 1) or previous (-1) lesion of this reader on the open exam, current and shown.
    ``none_yet`` says what to do when the exam has none (the follow-up view: Shift+P carries the prior
    exam's lesions)."""
    sel = state.selection
    if sel.pair is None and state.pair is None:
        raise LesionlabError("open an exam first (double-click it in the study browser)")
    # an exam open but not in the project yet (nothing recorded on it) has no lesion: said as such, not as
    # "choose an exam pair first" (a reader's check: ] after P, before Shift+P)
    ids = ([] if sel.pair is None else
           [les.lesion_id for les in state.reading.project.lesions_of(sel.pair[0], sel.pair[1], state.reader)])
    if not ids:
        state.say(f"no lesion of yours on this exam yet: {none_yet}")
        return None
    i = ids.index(sel.lesion_id) + step if sel.lesion_id in ids else (0 if step > 0 else -1)
    lesion_id = ids[i % len(ids)]
    sel.set_lesion(lesion_id)
    show_lesion(state, lesion_id)
    return str(lesion_id)


def _lesion_slices(state: WorkstationState, les: Lesion) -> tuple[list[tuple[ViewportModel, int]], int]:
    """Where each cell shows ``les``: the slice of its line where the cell's series holds one, else (a linked
    cell) where its link puts the first line's middle; and how many of the moves are lines."""
    viewports = state.viewer.viewports
    moves: list[tuple[ViewportModel, int]] = []
    lines: list[tuple[ViewportModel, np.ndarray]] = []  # the cells showing a line, the line's middle (mm)
    for cell, vp in enumerate(viewports):
        role = state.reading_role(cell)
        m = les.observation(role) if role is not None else state.same_lesion_on(les, vp.key)
        k = slice_of(m, images_of(vp)) if isinstance(m, Measurement) else None  # missing from the stack: none
        if isinstance(m, Measurement) and k is not None and m.stack_key == vp.key and vp.geometry is not None:
            moves.append((vp, k))
            lines.append((vp, vp.geometry.index_to_patient(k, *m.middle)))
    n_lines = len(moves)
    for vp in viewports:  # a patient point maps through the links whatever slice each cell shows now
        if vp.geometry is None or any(vp is shown for shown, _ in lines):
            continue
        mapped = next((p for p in (state.viewer.link.map_point(src, vp, point) for src, point in lines)
                       if p is not None), None)
        if mapped is not None:
            moves.append((vp, vp.geometry.nearest_slice(mapped)))
    return moves, n_lines


def _move_unlinked(hold: list[ViewportModel], moves: list[tuple[ViewportModel, int]]) -> None:
    """The cells to their slices with the links of ``hold`` (the cells moved at least) held off meanwhile,
    so that one series' slice does not drag the others."""
    linked = [vp.linked for vp in hold]
    try:
        for vp in hold:
            vp.set_linked(False)
        for vp, k in moves:
            vp.set_index(k)
    finally:
        for vp, was in zip(hold, linked):
            vp.set_linked(was)


def show_lesion(state: WorkstationState, lesion_id: str) -> int:
    """Every cell to the slice where ``lesion_id`` is measured on its series, and every linked cell without
    a line of it to where its link puts the first of them (the current exam beside its prior, whose
    lesions are not measured yet: the prior alone moved, the two cells out of step while both said
    linked); the links are held off while the cells move. A cell whose series is still loading goes there
    once it has (:func:`show_pending`). Returns how many cells show the lesion's line."""
    les = _lesion(state, lesion_id)
    if les is None:
        return 0
    viewports = state.viewer.viewports
    moves, n_lines = _lesion_slices(state, les)
    _move_unlinked(viewports, moves)
    more = len(moves) - n_lines
    # a cell whose series has not arrived yet (] pressed just after P: the prior's cell stayed where it was,
    # "L2 on 0 series", a reader's check): it alone goes to the lesion once its series has loaded
    waiting = frozenset(c.stack.key for vp, c in zip(viewports, state.viewer.hanging.cells)
                        if vp.geometry is None and c.stack is not None)
    state.pending_show = (state.selection.pair, lesion_id, waiting) if waiting else None
    # a cell with no line of the lesion and no link yet to one that has (] pressed just after P, before the
    # alignment: only the prior's cell moved, a radiologist's check): it goes there once the alignment comes
    unmoved = {vp.key: vp.index for vp in viewports
               if vp.geometry is not None and vp.key and not any(vp is moved for moved, _ in moves)}
    state.pending_link = (state.selection.pair, lesion_id, unmoved) if n_lines and unmoved else None
    if not (n_lines or more or waiting or les.observations):  # "L3 on 0 series" from its Checks entry (a review)
        state.say(f"{lesion_id} has nothing recorded yet: draw its diameter, or V / Shift+V (not visible / not "
                  "measurable) on each series")
        return 0
    what = f"{lesion_id} on {n_lines} series" if n_lines else f"{lesion_id} has no line on any series"
    state.say(what + (f", {more} more at its linked level" if more else "")
              + (f"; {len(waiting)} still loading: shown there once loaded" if waiting else ""))
    return n_lines


def show_pending(state: WorkstationState, key: str, loaded: bool = True) -> None:
    """Stack ``key`` has loaded (``loaded``) or failed: the cell showing it goes to the lesion ] / [ asked for
    while it was loading, if that lesion of that exam is still the current one; no other cell moves (the
    reader may have scrolled them since, or be drawing in one), and nothing is said over the last message."""
    pending = state.pending_show
    if pending is None or key not in pending[2]:
        return
    pair, lesion_id, waiting = pending
    if (pair, lesion_id) != (state.selection.pair, state.selection.lesion_id):  # another exam or lesion since
        state.pending_show = None
        return
    state.pending_show = (pair, lesion_id, waiting - {key}) if waiting - {key} else None
    les = _lesion(state, lesion_id)
    if not loaded or les is None:
        return
    moves, _ = _lesion_slices(state, les)
    mine = [(vp, k) for vp, k in moves if vp.key == key]
    _move_unlinked([vp for vp, _ in mine], mine)


def show_pending_link(state: WorkstationState) -> None:
    """An alignment has come: the cells ] / [ could not bring to the lesion for want of a link (kept in
    ``state.pending_link``) go to its linked level, if that lesion of that exam is still the current one and the
    cell still shows the slice it showed then (the reader has not scrolled it since); nothing else moves. A cell
    this alignment does not link stays pending for the next one."""
    pending, state.pending_link = state.pending_link, None
    if pending is None:
        return
    pair, lesion_id, unmoved = pending
    if (pair, lesion_id) != (state.selection.pair, state.selection.lesion_id):
        return
    les = _lesion(state, lesion_id)
    if les is None:
        return
    moves, _ = _lesion_slices(state, les)
    mine = [(vp, k) for vp, k in moves if unmoved.get(vp.key) == vp.index]
    if mine:
        _move_unlinked(list(state.viewer.viewports), mine)
    # a cell this alignment does not link yet stays pending for the next one (the exam's own CT/MRI alignment
    # coming before the prior's in the compare layout dropped the compare cell's wait: a review)
    done = {vp.key for vp, _ in mine}
    left = {key: i for key, i in unmoved.items() if key not in done}
    state.pending_link = (pair, lesion_id, left) if left else None


def _to_read(state: WorkstationState, les: Lesion) -> frozenset[Role] | None:
    """The series on screen the lesion is to be read on at a follow-up (its own: annotation.followup_reads), None
    where every series is read (a baseline)."""
    reads = followup_reads(state.reading.project, state.reader, state.selection.pair)
    if reads is None:
        return None
    shown = {role for cell in range(len(state.viewer.viewports)) if (role := state.reading_role(cell)) is not None}
    return reads.of(les.lesion_id, shown)


def next_unread_cell(state: WorkstationState, after: int) -> int | None:
    """The next reading cell (in hanging order, wrapping) where the current lesion has no status yet; at a
    follow-up, of the series it is read on (Enter after a line on CT portal went on to CT arterial at a two-phase
    follow-up CT, a series its response does not read)."""
    les = _lesion(state, state.selection.lesion_id) if state.selection.lesion_id else None
    if les is None:
        return None
    wanted = _to_read(state, les)
    n = len(state.viewer.viewports)
    for step in range(1, n):
        cell = (after + step) % n
        role = state.reading_role(cell)
        if role is not None and les.observation(role) is None and (wanted is None or role in wanted):
            return cell
    return None


def _advance(state: WorkstationState, cell: int, done: str) -> None:
    nxt = next_unread_cell(state, cell)
    lid = state.selection.lesion_id
    if nxt is None:
        les = _lesion(state, lid) if lid else None
        wanted = _to_read(state, les) if les is not None else None
        role = state.reading_role(cell)
        if les is not None and role is not None and les.observation(role) is None and (wanted is None or role in wanted):
            # review46: Enter with no line on the one series the lesion is read on said it "has a status" there (a
            # reader could leave the time point not evaluable believing the target done)
            state.say(f"{done}: draw its line, or V / Shift+V (not visible / not measurable)")
            return
        if wanted is not None:
            where = " and ".join(role_label(r) for r in READING_ROLES if r in wanted)
            state.say(f"{done}; {lid} has a status on {where}, the series it is read on at this follow-up")
            return
        state.say(f"{done}; {lid} has a status on every series")
        return
    state.viewer.activate(nxt)
    state.advanced_to = _where(state, nxt)
    hand = f" ({NOT_OFFERED}: drag the diameter)" if _not_offered(state, state.reading_role(nxt)) else ""
    state.say(f"{done}; next: {lid} on {state.cell_title(nxt)}{hand}")


def after_measurement(state: WorkstationState, view: View) -> None:
    """After a diameter is drawn: go on to the next series where the current lesion has no status."""
    cell = state.cell_of(view)
    if cell is None:
        return
    _note_start(state, cell)
    state.advanced_to = _where(state, cell)  # a lesion read on every series: N goes back from where its last line is too
    _advance(state, cell, state.status)


def _note_start(state: WorkstationState, cell: int) -> None:
    """The current lesion's first status (a line, or V / not measurable) recorded on ``cell``: the series the reader
    starts lesions on, where N goes back (its first line alone said T2 FS after V on CT portal, where N was: a
    review)."""
    les = _lesion(state, state.selection.lesion_id) if state.selection.lesion_id else None
    if les is not None and len(les.observations) == 1:
        state.start_role = state.reading_role(cell)


def go_on(state: WorkstationState) -> None:
    """Enter: the current lesion on to the next series where it has no status. After a suggested
    line (which stays in view where it was put, recorded) it keeps the line and goes on, as a
    drawn line does at once."""
    lid = state.selection.lesion_id
    if lid is None:
        state.say("no current lesion: press N for a new lesion, or pick one in the lesion grid")
        return
    role = active_role(state)
    les = _lesion(state, lid)
    if les is None:
        state.say(f"{lid} is not in this read any more: pick a lesion in the lesion grid, or N for a new one")
        return
    obs = les.observation(role)
    if isinstance(obs, Measurement):
        done = f"{lid} on {role_label(role)}: {obs.diameter_mm:.1f} mm kept"
    else:
        done = f"{lid} on {role_label(role)}: " + (STATUS_WORDS[obs.status.value] if obs is not None else "no status yet")
    if obs is not None:  # a kept suggested line, its lesion's first status: where it started (the gestures move
        _note_start(state, state.viewer.layout.active)  # nothing on after a suggestion, nor say it drawn: a review)
    state.selection.kept()  # a suggested line shown dashed until kept: drawn as the others now
    _advance(state, state.viewer.layout.active, done)


def set_status(state: WorkstationState, observation: NotVisible | NotMeasurable) -> None:
    """The current lesion not visible / not measurable on the active series, then the next series."""
    role, lid = active_role(state), state.selection.lesion_id
    if lid is None:
        raise LesionlabError("no current lesion: pick one in the lesion grid, or ] / [")
    _ready(state)
    les = _lesion(state, lid)
    before = les.observation(role) if les is not None else None
    cell = state.viewer.layout.active
    if missing_here(before, state.viewer.viewports[cell]):  # read-only until its image is back
        raise LesionlabError(missing_text(before, lid, role_label(role)))
    pair = state.selection.pair
    assert pair is not None  # _ready made it
    tied = {m.mark_id for m in state.reading.project.marks_of(pair[0], pair[1], state.reading.reader)
            if m.lesion_id == lid and m.role is role}
    state.reading.set_observation(state.selection.pair, lid, role, observation)
    state.selection.pick(Picked(lesion_id=lid, role=role, fresh=True))
    # a line it replaces is said, as a redrawn line says it (a reader's check: V on a measured series took
    # the 44.9 mm line unsaid)
    replaced = f" (replaces {before.diameter_mm:.1f} mm: Ctrl+Z puts it back)" if isinstance(before, Measurement) else ""
    if isinstance(observation, NotVisible):
        # the reader's own count click that the line had taken over stays counted (a click is the reader's, the
        # line's own mark goes): said, with where it is (a radiologist's check: V left the series' count as it was,
        # unsaid, with the lesion not visible there)
        kept = [m for k, m in state.reading.project.count_marks.items() if k in tied]
        if kept:
            cell = state.viewer.layout.active
            n = state.viewer.viewports[cell].n_slices
            shown = images_of(state.viewer.viewports[cell])  # each on its own image (a count mark's UID)
            at = [slice_of(m, shown) for m in kept]
            where = ", ".join("its image missing from this folder" if k is None else f"Im {n - k}" if n
                              else f"slice {k}" for k in at)
            replaced += (f"; the count click made on it ({where}) stays counted in the {kept[0].lobe.value} lobe: "
                         "Del it there if no lesion is there")
    _note_start(state, state.viewer.layout.active)
    _advance(state, state.viewer.layout.active,
             f"{lid} on {role_label(role)}: {STATUS_WORDS[observation.status.value]}{replaced}")


# ------------------------------------------------------------------ counts and lobes
def mark_counted(state: WorkstationState) -> None:
    """The active series is counted as it is (0 lesions included): one action."""
    role = active_role(state)
    pair = _ready(state)
    state.reading.set_count_status(pair, role, CountStatus.COUNTED)
    counts = state.reading.project.counts(pair[0], pair[1], state.reader)
    right, left = counts[(role, Lobe.RIGHT)], counts[(role, Lobe.LEFT)]
    state.say(f"{role_label(role)} counted: right {right}, left {left}")


def toggle_uncountable(state: WorkstationState) -> None:
    role = active_role(state)
    pair, r = _ready(state), state.reading
    now = not r.project.uncountable(pair[0], pair[1], state.reader, role)
    r.set_uncountable(pair, role, now, "massive or coalescent" if now else "")
    status = r.project.count_status(pair[0], pair[1], state.reader, role)
    state.say(f"{role_label(role)}: {status.value.replace('_', ' ')}")


def set_lobe(state: WorkstationState, lobe: Lobe) -> None:
    """The lobe for new marks and lesions; a picked count mark (or the picked lesion) changes lobe too."""
    state.set_lobe(lobe)
    picked, pair = state.selection.picked, state.selection.pair
    if picked is not None and not picked.fresh and pair is not None:
        _ready(state)
        if picked.is_mark:
            mark = state.reading.project.count_marks.get(picked.mark_id)
            owner = _lesion(state, mark.lesion_id) if mark is not None and mark.lesion_id else None
            if owner is not None and mark is not None and mark.lobe is not lobe:
                if lobe is owner.lobe:  # a mark that disagreed with its lesion (an older store) goes back to it
                    state.reading.set_mark_lobe(picked.mark_id, lobe)
                    state.say(f"{owner.lesion_id}'s count mark on {role_label(mark.role)} back in {owner.lesion_id}'s "
                              f"{lobe.value} lobe; new marks go there too")
                    return
                # the mark of a measured lesion, picked by a count click on it: the key was for the next clicks
                state.say(f"new marks and lesions go to the {lobe.value} lobe; {owner.lesion_id}'s count mark stays "
                          f"with {owner.lesion_id} ({owner.lobe.value} lobe: to move {owner.lesion_id}, pick its line)")
                return
            if mark is not None and mark.lobe is not lobe:
                state.reading.set_mark_lobe(picked.mark_id, lobe)
                state.say(f"count mark on {role_label(mark.role)} moved to the {lobe.value} lobe, where new marks go "
                          "too (Ctrl+Z puts it back)")
                return
        else:
            les = _lesion(state, picked.lesion_id)
            if les is not None and les.lobe is not lobe:
                state.reading.edit_lesion(pair, picked.lesion_id, lobe=lobe, segment=None)
                state.say(f"{picked.lesion_id} now in the {lobe.value} lobe")
                return
    current = _lesion(state, state.selection.lesion_id) if state.selection.lesion_id else None
    if (pair is not None and current is not None and not current.observations and current.segment is None
            and current.lobe is not lobe and not state.reading.project.carried(current)
            and state.tool is not ToolMode.COUNT and (picked is None or not picked.is_mark)):
        # N, then the lobe key, before its first line: the key was for the lesion just started (a radiologist's
        # check: it set only the next lesions' lobe, and the lesion was drawn in the other lobe); with the count
        # tool, or a count mark picked, the key is for the marks
        _ready(state)
        state.reading.edit_lesion(pair, current.lesion_id, lobe=lobe)
        state.selection.lobe_keyed(current.lesion_id, current.lobe, lobe)  # an undo takes the next lesions' lobe back
        state.say(f"{current.lesion_id} (no line yet) now in the {lobe.value} lobe, where new marks and lesions go too "
                  "(a right/left boundary decides at its first line)")
        return
    state.say(f"new marks and lesions go to the {lobe.value} lobe (a right/left boundary decides when drawn)")


# ------------------------------------------------------------------ a suggestion declined
def drop_suggestion(state: WorkstationState) -> bool:
    """Esc on a suggestion not kept yet (shown dashed, "Enter keeps it"): its recording taken back -- the lesion's line
    before it, its lobe -- and forgotten (no redo), the other edits' undo steps as they were; True when it was. Only
    while the last undo step is that suggestion's: after another edit it is kept (as any edit keeps it) and False.
    It was recorded at once (Enter only goes on), and Esc turned it solid, kept and recorded, the status still saying
    "Enter keeps it" (session 47's reader): a reader declines it with Esc, as Esc drops a line being drawn."""
    sel = state.selection
    picked = sel.picked
    if picked is None or not picked.suggested or picked.role is None or not picked.lesion_id:
        return False
    what = f"{picked.lesion_id} on {role_label(picked.role)}"
    if not state.reading.withdraw(f"{what}: suggested"):  # the step's name (annotation.gestures LineGesture._record)
        les = _lesion(state, picked.lesion_id)
        m = les.observation(picked.role) if les is not None else None
        if not (isinstance(m, Measurement) and m.pending and sel.pair is not None):
            sel.kept()
            return False
        # one shown "not kept yet" after a restart (no undo step of it): its line deleted, an edit Ctrl+Z takes back
        sel.kept(record=False)  # not written kept: its line goes in the next step
        state.reading.set_observation(sel.pair, picked.lesion_id, picked.role, None, what="suggestion dropped")
        sel.pick(None)
        state.say(f"{what}: suggestion dropped (Esc; Ctrl+Z brings it back)")
        return True
    sel.pick(None)
    state.say(f"{what}: suggestion dropped (Esc)")
    return True


def offer_pending(state: WorkstationState) -> str:
    """A one-click suggestion of this reader on the exam open that was never kept (the window closed or was killed
    before Enter or Esc: stored "not kept yet", annotation.records.Measurement.pending) shown as one again: its lesion
    current, its series' cell active at its line, dashed. It came back solid, as a line the reader had kept (a
    radiologist's check, session 49). Returns what it said ("" when there is none)."""
    sel = state.selection
    if sel.pair is None:
        return ""
    found = [(les, role) for les, role in state.reading.pending if (les.patient_id, les.exam_pair_id) == sel.pair]
    if not found:
        return ""
    les, role = found[-1]
    m = les.observation(role)
    assert isinstance(m, Measurement)
    sel.pick(Picked(lesion_id=les.lesion_id, role=role, fresh=True, suggested=True))
    cell = next((i for i in range(len(state.viewer.viewports)) if state.reading_role(i) is role), None)
    if cell is not None:
        state.viewer.activate(cell)
        vp = state.viewer.viewports[cell]
        k = slice_of(m, images_of(vp)) if vp.geometry is not None and vp.key == m.stack_key else None
        if k is not None:
            vp.set_index(k)
    said = (f"{les.lesion_id} on {role_label(role)}: {m.diameter_mm:.1f} mm suggested, not kept yet: Enter keeps it, "
            "Esc drops it")
    state.say(said)
    return said


# ------------------------------------------------------------------ delete
def delete(state: WorkstationState, pointer: PointerEvent | None) -> str:
    """Delete what is under the pointer at the moment of the key press (a count mark, else a line),
    else the picked item; says what it deleted (undoable). Returns the message."""
    target: Picked | None = None
    if pointer is not None and state.cell_refusal(pointer.view) is None:
        target = hit(state.context, pointer)
    picked = state.selection.picked
    if target is None and picked is not None and pointer is not None:
        # the pointer on an image with nothing under it: the picked item only when it is on that image's series
        # (a reader's check: Del on CT portal deleted the line just drawn on DWI, two cells away)
        cell = state.cell_of(pointer.view)
        here = state.reading_role(cell) if cell is not None else None
        mark = state.reading.project.count_marks.get(picked.mark_id) if picked.is_mark else None
        there = mark.role if mark is not None else picked.role
        what = f"the count mark on {role_label(there)}" if picked.is_mark and there else f"{picked.lesion_id} on " \
            f"{role_label(there) if there else 'its series'}"
        if cell is not None and (here is None or there is None or there is not here):
            # an image of another series, or one that records nothing (the ADC map, a b0, a comparison, an empty
            # cell: a review deleted a T2 FS line with the pointer on the ADC map)
            shown = f" on {role_label(here)}" if here is not None else ""
            raise LesionlabError(f"nothing to delete under the pointer{shown} ({what} is picked: point at it in "
                                 "its cell)")
        les = _lesion(state, picked.lesion_id) if not picked.is_mark and picked.lesion_id else None
        obs = les.observation(picked.role) if les is not None and picked.role is not None else None
        if missing_here(obs, pointer.view.model):  # read-only until its image is back
            raise LesionlabError(missing_text(obs, picked.lesion_id or "", role_label(picked.role)))
        on = slice_of(mark, images_of(pointer.view.model)) if mark is not None \
            else slice_of(obs, images_of(pointer.view.model)) if isinstance(obs, Measurement) else None
        if cell is not None and on is not None and on != pointer.view.slice_index:  # scrolled away from it
            raise LesionlabError(f"nothing to delete under the pointer ({what} is picked, on another slice: point at "
                                 "it there)")
    target = target or picked
    if target is None:
        raise LesionlabError("nothing to delete: point at a count mark or a line, or pick one first")
    _ready(state)
    pair = state.selection.pair
    if target.is_mark:
        mark = state.reading.project.count_marks.get(target.mark_id)
        if mark is None:
            raise LesionlabError("that count mark is gone already")
        state.reading.delete_count_mark(target.mark_id)
        what = f"count mark ({mark.lobe.value} lobe) on {role_label(mark.role)}"
    else:
        les = _lesion(state, target.lesion_id)
        obs = les.observation(target.role) if les is not None and target.role is not None else None
        if obs is None or target.role is None:
            raise LesionlabError("that observation is gone already")
        state.reading.set_observation(pair, target.lesion_id, target.role, None)
        shown = f"{obs.diameter_mm:.1f} mm" if isinstance(obs, Measurement) else STATUS_WORDS[obs.status.value]
        what = f"{target.lesion_id} on {role_label(target.role)} ({shown})"
    state.selection.pick(None)
    text = f"deleted {what} — Ctrl+Z undoes it"
    state.say(text)
    return text


def current_lesion(state: WorkstationState) -> Lesion:
    """The lesion being read (the green row), or why there is none."""
    lid = state.selection.lesion_id
    les = _lesion(state, lid) if lid is not None else None
    if not isinstance(les, Lesion):
        raise LesionlabError("no current lesion: pick one in the lesion grid, or ] / [")
    return les


def delete_lesion(state: WorkstationState, lesion_id: str) -> None:
    """Delete a whole lesion (the Qt layer asks once before calling this)."""
    les = _lesion(state, lesion_id)
    _ready(state)
    state.reading.delete_lesion(state.selection.pair, lesion_id)
    n = len(les.observations) if les is not None else 0
    state.say(f"deleted lesion {lesion_id} (recorded on {n} series) — Ctrl+Z brings it back")


def clear_status(state: WorkstationState) -> None:
    """The current lesion's status on the active series taken away (its line, not visible, not measurable): the
    series is not read for it again. The lesion grid's Clear button, from the keyboard."""
    role, les = active_role(state), current_lesion(state)
    obs = les.observation(role)
    if obs is None:
        raise LesionlabError(f"{les.lesion_id} has no status on {role_label(role)} to clear")
    _ready(state)
    state.reading.set_observation(state.selection.pair, les.lesion_id, role, None)
    state.selection.pick(None)
    shown = f"{obs.diameter_mm:.1f} mm" if isinstance(obs, Measurement) else STATUS_WORDS[obs.status.value]
    state.say(f"cleared {les.lesion_id} on {role_label(role)} (was {shown}): not read there yet — Ctrl+Z puts it back")


def set_segment(state: WorkstationState, lesion_id: str, segment: CouinaudSegment | None) -> None:
    """A lesion's Couinaud segment (None: none); the segment brings its lobe (vocab.CouinaudSegment), said."""
    pair = _ready(state)
    les = _lesion(state, lesion_id)
    if les is None:
        raise LesionlabError(f"lesion {lesion_id} is gone")
    if les.segment == segment:
        state.say(f"{lesion_id} is in {'segment ' + segment.value if segment else 'no segment'} already")
        return
    state.reading.edit_lesion(pair, lesion_id, segment=segment)
    now = _lesion(state, lesion_id)
    lobe = f", now in the {now.lobe.value} lobe (was {les.lobe.value})" if now is not None and now.lobe is not les.lobe \
        else ""
    what = f"segment {segment.value}" if segment is not None else "no segment"
    state.say(f"{lesion_id}: {what}{lobe} — Ctrl+Z undoes it")
