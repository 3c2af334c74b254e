"""What the reader is working on: exam pair, current lesion, lobe for new marks and lesions.

Shared by the lesion panel, the counts panel and the line and count tools so that they agree
(one source of truth); plain Python, observed through :class:`viewer.model.events.Signal`.
"""

from __future__ import annotations

from annotation.reading import Reading, ReadingEvent
from annotation.records import PairKey
from annotation.vocab import Lobe
from viewer.model.events import Signal


class Selection:
    """Current exam pair, lesion and lobe of one Reading; ``changed`` fires on any change."""

    def __init__(self, reading: Reading, pair: PairKey | None = None) -> None:
        self.reading = reading
        self.pair: PairKey | None = tuple(pair) if pair else None  # type: ignore[assignment]
        self.lesion_id: str | None = None
        self.lobe = Lobe.RIGHT
        self.changed = Signal()
        reading.subscribe(self._on_reading)

    def set_pair(self, pair: PairKey | None) -> None:
        self.pair = tuple(pair) if pair else None  # type: ignore[assignment]
        self.lesion_id = None
        self.changed.emit()

    def set_lesion(self, lesion_id: str | None) -> None:
        if lesion_id != self.lesion_id:
            self.lesion_id = lesion_id
            self.changed.emit()

    def set_lobe(self, lobe: Lobe | str) -> None:
        lobe = Lobe.parse(lobe, "lobe")
        if lobe is not self.lobe:
            self.lobe = lobe
            self.changed.emit()

    def new_lesion(self) -> str | None:
        """Add a lesion in the current lobe and make it current; None without an exam pair."""
        if self.pair is None:
            return None
        lesion_id = self.reading.add_lesion(self.pair, self.lobe)
        self.set_lesion(lesion_id)
        return lesion_id

    def _on_reading(self, event: ReadingEvent) -> None:
        """Drop a current lesion or pair that an edit, undo or redo removed."""
        project = self.reading.project
        if self.pair is not None and self.pair not in project.exam_pairs:
            self.set_pair(None)
        elif self.lesion_id is not None and self.pair is not None and \
                (*self.pair, self.reading.reader, self.lesion_id) not in project.lesions:
            self.set_lesion(None)
