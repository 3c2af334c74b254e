"""One click's looks at its slices: each slice's outline from a point, at given levels or at its own, traced once.

A click runs the method more than once: made again from the lesion's tip or from the slice measured, clicked again at
its line's middle (``recheck_mm``), and on CT arterial made again with the looser leak limit on the slices followed
(``neighbour_leak``, v22). Those runs look at the same slices from the same points at the same levels: :class:`Looks`
keeps what each look found for the click's whole time, so a run made again pays only for what it looks at anew.

What a look gives is a pure function of the slice's pixels, the point, the levels and the parameters: kept, it is the
same as looked at again. The leak limit (``max_leak_fraction``) is the one parameter a run made again changes
(``neighbour_leak``) and is read only after the rays' edges are found (:func:`viewer.segment.slice2d.limited`): a look
is traced once with no limit and the limit of the run asking is applied on reading. A :class:`Looks` serves one volume
and one :class:`SuggestParams` (up to that limit) for one click; a slice is only looked at once loaded, and a loaded
slice's pixels do not change.
"""

from __future__ import annotations

from dataclasses import replace

from viewer.segment.levels import Levels, Window, find_levels
from viewer.segment.records import SuggestParams, VolumeLike
from viewer.segment.slice2d import SliceOutline, Traced, limited, traced


#: A look's key: the slice, the point (row, col of the image), the levels (None: the slice's own, read from the
#: point) and whether the point's part of the region is the lesion (``own_part``, a point clicked or a centre found
#: from it on that slice).
_Key = tuple[int, tuple[float, float], Levels | None, bool]


class Looks:
    """The outlines one click's runs found, each traced once (see the module's docstring)."""

    def __init__(self, volume: VolumeLike, spacing: tuple[float, float], p: SuggestParams) -> None:
        self.volume, self.spacing, self.params = volume, spacing, p
        self._traced: dict[_Key, tuple[Levels, Traced | str] | str] = {}
        #: the parameters asked with, checked once each to be ``params`` up to the leak limit (kept: ids stay theirs)
        self._served: dict[int, SuggestParams] = {id(p): p}

    def on_slice(self, k: int, at: tuple[float, float], p: SuggestParams, levels: Levels) -> SliceOutline | str:
        """The outline on slice ``k`` at ``levels`` from ``at`` (a lesion's levels followed there), or why not."""
        key: _Key = (k, (float(at[0]), float(at[1])), levels, False)
        if key not in self._traced:
            win = Window(self.volume.array[k], at, self.spacing, self.params)
            seed = win.local(at)
            self._traced[key] = (levels, traced(win, seed, levels, self.params)) if win.inside(seed) \
                else "the lesion leaves the image"
        return self._read(key, p)[1]

    def start(self, k: int, at: tuple[float, float], p: SuggestParams,
              clicked: bool = True) -> tuple[Levels, SliceOutline] | str:
        """The lesion's levels and outline on slice ``k`` from ``at`` at the slice's own levels, or why not
        (``clicked``: ``at`` is the reader's point or a centre found from it on that slice, whose part of the region is
        the lesion; False: the centre followed from another slice)."""
        key: _Key = (k, (float(at[0]), float(at[1])), None, clicked)
        if key not in self._traced:
            win = Window(self.volume.array[k], at, self.spacing, self.params)
            found = find_levels(win, win.local(at), self.params)
            self._traced[key] = found if isinstance(found, str) else \
                (found[0], traced(win, win.local(at), found[0], self.params, found[1], own_part=clicked))
        levels, o = self._read(key, p)
        if isinstance(o, str):
            return o
        assert levels is not None  # a look from the slice's own levels keeps them beside its tracing
        return levels, o

    def _read(self, key: _Key, p: SuggestParams) -> tuple[Levels | None, SliceOutline | str]:
        """What the look ``key`` gives at ``p``'s leak limit."""
        if id(p) not in self._served:
            if replace(p, max_leak_fraction=self.params.max_leak_fraction) != self.params:
                raise ValueError("a click's looks serve one set of parameters, up to the leak limit")
            self._served[id(p)] = p
        kept = self._traced[key]
        if isinstance(kept, str):
            return None, kept
        return kept[0], limited(kept[1], p.max_leak_fraction)
