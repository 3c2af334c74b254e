"""What the reader is working on: exam pair, current lesion, lobe for new marks and lesions, and
the item picked last (a count mark, or a lesion's observation on one series) that Delete acts on.

Shared by the lesion panel, the counts panel and the line and count tools so that they agree
(one source of truth); plain Python, observed through :class:`viewer.model.events.Signal`.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Iterator

from annotation.reading import EditKind, Reading, ReadingEvent
from annotation.records import PairKey
from annotation.vocab import Lobe
from viewer.model.events import Signal
from viewer.model.layout import role_label
from viewer.records import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Picked:
    """An item the reader picked: a count mark (``mark_id``) or a lesion's observation on a series."""

    mark_id: str = ""
    lesion_id: str = ""
    role: Role | None = None
    #: Just made by the reader (a click that counted, a line drawn), not picked on purpose: Delete
    #: removes it, but a lobe key only changes the lobe of what the reader picked.
    fresh: bool = False
    #: A line one click suggested, shown where it was put and not kept yet: drawn dashed and labelled so (until
    #: Enter, an edit of its end or any other edit; recorded "suggested" all the same), not as a line drawn
    suggested: bool = False

    @property
    def is_mark(self) -> bool:
        return bool(self.mark_id)


class Selection:
    """Current exam pair, lesion and lobe of one Reading; ``changed`` fires on any change."""

    def __init__(self, reading: Reading, pair: PairKey | None = None) -> None:
        self.reading = reading
        self.pair: PairKey | None = tuple(pair) if pair else None  # type: ignore[assignment]
        self.lesion_id: str | None = None
        self.lobe = Lobe.RIGHT
        self.picked: Picked | None = None
        self.changed = Signal()
        self._seen = reading.project  # the project before the next event: what a redo changed
        #: (lesion key, lobe before, lobe after) of each lobe key that moved a lesion just started with the next
        #: lesions' lobe (:meth:`lobe_keyed`): only those steps take that lobe with them at an undo or redo
        self._keyed: set[tuple[tuple[str, str, str, str], Lobe, Lobe]] = set()
        self._held = 0
        self._missed = False  # a change while held, said at the end
        #: the pair an undo took out of the project (its first edit undone): a redo that brings it back reads it again
        self._dropped: PairKey | None = None
        reading.subscribe(self._on_reading)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Say the changes made inside (of the selection, and to the panels of the reading's edits) once, at the end.

        Shift+P records the exam, opens it, carries the lesions and makes the first current: each panel redrew
        four times, three of them pictures nobody saw (an empty exam, no lesion current)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._missed:
                self._missed = False
                self.changed.emit()

    @property
    def holding(self) -> bool:
        """Inside :meth:`held`: a panel leaves its redraw to the one ``changed`` at the end (:meth:`missed`)."""
        return self._held > 0

    def missed(self) -> None:
        """A change the panels were not shown while :meth:`held`: ``changed`` is said at its end."""
        self._missed = True

    def _changed(self) -> None:
        if self._held:
            self._missed = True
        else:
            self.changed.emit()

    def set_pair(self, pair: PairKey | None, lobe: Lobe | None = None) -> None:
        """Another exam pair (and ``lobe`` for its new marks and lesions, in the same change); no lesion current."""
        self.kept()  # a suggestion shown: the reader went on with it
        self._dropped = None
        self.pair = tuple(pair) if pair else None  # type: ignore[assignment]
        if lobe is not None:
            self.lobe = lobe
        self.lesion_id = None
        self.picked = None
        self._changed()

    def pick(self, item: Picked | None) -> None:
        """Pick a mark or an observation (what Delete removes when nothing is under the pointer);
        picking a lesion's observation makes that lesion current."""
        if self.picked is not None and self.picked.suggested and item != self.picked \
                and (item is None or not item.suggested):  # the reader went on from a suggestion shown: kept
            self.kept()  # (a new suggestion's own edit kept the one before)
        if item is not None and item.lesion_id and item.lesion_id != self.lesion_id:
            self.lesion_id = item.lesion_id
            self.picked = item
            self._changed()
        elif item != self.picked:
            self.picked = item
            self._changed()

    def kept(self, *, record: bool = True) -> None:
        """The line suggested and shown is kept (Enter, or the reader went on): drawn as any other from now on, and
        written so (``record``; an edit after it kept it in its own write), or a window killed after it reopened it
        "not kept yet"."""
        picked = self.picked
        if picked is not None and picked.suggested:
            self.picked = replace(picked, suggested=False)
            if record and self.pair is not None and picked.role is not None and picked.lesion_id:
                try:
                    self.reading.keep_suggestion(self.pair, picked.lesion_id, picked.role,
                                                 f"{picked.lesion_id} on {role_label(picked.role)}: suggestion kept")
                except Exception:  # the store refused: the next edit keeps it (Reading._commit)
                    log.exception("could not record %s kept", picked.lesion_id)
            self._changed()

    def set_lesion(self, lesion_id: str | None) -> None:
        """Make ``lesion_id`` current; a pick of another lesion's line goes (a radiologist's check edited
        L3's end, pressed N, then Shift+L for the new lesion's lobe: L3, still picked, moved to the left)."""
        if lesion_id != self.lesion_id:
            if self.picked is not None and self.picked.lesion_id != lesion_id:
                self.kept()  # a suggestion shown: the reader went on with it
            self.lesion_id = lesion_id
            if self.picked is not None and self.picked.lesion_id and self.picked.lesion_id != lesion_id:
                self.picked = None
            self._changed()

    def set_lobe(self, lobe: Lobe | str) -> None:
        lobe = Lobe.parse(lobe, "lobe")
        if lobe is not self.lobe:
            self.lobe = lobe
            self._changed()

    def lobe_keyed(self, lesion_id: str, was: Lobe, now: Lobe) -> None:
        """The lobe key after N moved ``lesion_id`` from ``was`` to ``now`` together with the next lesions' lobe."""
        if self.pair is not None:
            self._keyed.add(((*self.pair, self.reading.reader, lesion_id), was, now))

    def new_lesion(self) -> str | None:
        """Add a lesion in the current lobe and make it current; None without an exam pair."""
        if self.pair is None:
            return None
        lesion_id = self.reading.add_lesion(self.pair, self.lobe)
        self.set_lesion(lesion_id)
        return lesion_id

    def _on_reading(self, event: ReadingEvent) -> None:
        """Drop a current lesion or pair that an edit, undo or redo removed; a redo that brings a lesion back or
        edits one makes it current (N, a line, Ctrl+Z twice, Ctrl+Y twice: the next key said "no current lesion"), and
        so does an undo that brings a lesion back (a lesion deleted)."""
        project, before = self.reading.project, self._seen
        self._seen = project
        if self.picked is not None and self.picked.suggested:  # any edit after the suggestion's own keeps it (in its
            self.kept(record=False)  # write: Reading._commit)
        if self.pair is not None and self.pair not in project.exam_pairs:
            dropped = self.pair
            self.set_pair(None)
            self._dropped = dropped
            return
        if self.pair is None and self._dropped is not None and self._dropped in project.exam_pairs:
            # N, Ctrl+Z twice (the lesion, then the pair's record), Ctrl+Y twice: the lesion was back in the project,
            # on the images and in the export, but the grid, Counts and Checks showed an empty exam (a reader's check)
            self.set_pair(self._dropped)
        if event.kind in (EditKind.REDO, EditKind.UNDO) and self.pair is not None:
            # a redo makes a lesion it brings back or edits current; an undo one it brings back (a lesion deleted,
            # then Ctrl+Z: it came back with no lesion current, its lines to be clicked again before V or a line
            # could go on with it, a check of session 40)
            read, redo = (*self.pair, self.reading.reader), event.kind is EditKind.REDO
            back = sorted((les for key, les in project.lesions.items() if key[:3] == read
                           and (before.lesions.get(key) != les if redo else key not in before.lesions)),
                          key=lambda les: les.number)
            if back and self.lesion_id not in {les.lesion_id for les in back}:
                self.set_lesion(back[0].lesion_id)
        if self.lesion_id is not None and self.pair is not None and \
                (*self.pair, self.reading.reader, self.lesion_id) not in project.lesions:
            self.set_lesion(None)
        if event.kind is not EditKind.EDIT and self.lesion_id is not None and self.pair is not None:
            # the lobe key after N moved the lesion just started and the lobe for the next ones; Ctrl+Z put the
            # lesion back but left the next lesions' lobe where the key had put it (a review): an undo or redo
            # of the current lesion's lobe, before its first line, takes the lobe for new ones with it
            key = (*self.pair, self.reading.reader, self.lesion_id)
            now, was = project.lesions.get(key), before.lesions.get(key)
            # (a lobe chosen in the Lesions grid is the lesion's alone: its redo set the next lesions' lobe, a review)
            if now is not None and was is not None and now.lobe is not was.lobe and not now.observations and \
                    {(key, was.lobe, now.lobe), (key, now.lobe, was.lobe)} & self._keyed:
                self.set_lobe(now.lobe)
        p = self.picked
        if p is not None and not self._exists(p):
            self.pick(None)

    def _exists(self, p: Picked) -> bool:
        project = self.reading.project
        if p.is_mark:
            return p.mark_id in project.count_marks
        if self.pair is None or p.role is None:
            return False
        les = project.lesions.get((*self.pair, self.reading.reader, p.lesion_id))
        return les is not None and les.observation(p.role) is not None
