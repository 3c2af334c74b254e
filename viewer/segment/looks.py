"""One click's looks at its slices: each slice's outline from a point, at given levels or at its own, traced once.

A click runs the method more than once: made again from the lesion's tip or from the slice measured, clicked again at
its line's middle (``recheck_mm``), and on CT arterial made again with the looser leak limit on the slices followed
(``neighbour_leak``, v22), with the liver's peak nearer the click (``near_peak_share``) and with the lower vessel ratio
(``vessel_ratio_again``, session 46). Those runs look at the same slices from the same points at the same levels:
:class:`Looks` keeps what each look found for the click's whole time, so a run made again pays only for what it looks
at anew.

What a look gives is a pure function of the slice's pixels, the point, the levels and the parameters: kept, it is the
same as looked at again. Three parameters a run made again changes are read at one step each, so a look keeps each
step's outcome and a run made again redoes only the step its parameter changes and what follows it where that step's
outcome differs:

- the liver's peak nearer the click (``near_peak_share``) is read only when the levels are found from a slice's own
  histogram, and only where the peaks farther from the click leave the region running out of the window
  (:func:`viewer.segment.levels.nearer_levels`): the farther peaks' levels are kept and the nearer peaks tried after;
- the vessel ratio (``vessel_ratio``) is read only where the region is cut (:func:`viewer.segment.slice2d.cut_region`):
  the outline is traced once per region cut, so a region cut alike at both ratios (no vessel beyond half a contrast
  touching it) is traced once;
- the leak limit (``max_leak_fraction``) is read only after the rays' edges are found
  (:func:`viewer.segment.slice2d.limited`): a look is traced with no limit and the limit of the run asking applied on
  reading.

A :class:`Looks` serves one volume and one :class:`SuggestParams` (up to those three) for one click; a slice is only
looked at once loaded, and a loaded slice's pixels do not change.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from viewer.segment.levels import Levels, Window, farther_levels, nearer_levels
from viewer.segment.records import SuggestParams, VolumeLike
from viewer.segment.slice2d import SliceOutline, Traced, cut_region, grown_at, limited, traced_cut

#: The parameters a click's runs may change between them (see the module's docstring).
_PER_RUN = ("max_leak_fraction", "near_peak_share", "vessel_ratio", "vessel_ratio_again",
            # read after the outlines are found (T1 arterial's nearer peaks' second try raises it)
            "two_slice_peak_half")

#: A point: the slice and (row, col) of the image.
_At = tuple[int, tuple[float, float]]


class Looks:
    """The outlines one click's runs found, each traced once (see the module's docstring)."""

    def __init__(self, volume: VolumeLike, spacing: tuple[float, float], p: SuggestParams) -> None:
        self.volume, self.spacing, self.params = volume, spacing, p
        self._windows: dict[tuple[int, int, int], Window] = {}
        self._farther: dict[_At, tuple[Levels, np.ndarray] | str] = {}
        self._nearer: dict[tuple[_At, float], tuple[Levels, np.ndarray] | str] = {}
        self._grown: dict[tuple[_At, Levels], np.ndarray] = {}
        #: a look's tracing by its region as cut (the same region cut alike at two vessel ratios is traced once)
        self._traced: dict[tuple[_At, Levels, bool, tuple[int, ...], bytes], Traced | str] = {}
        #: what a look gave each run that asked it: (its levels, its tracing) or why not, by the step's parameters
        self._looks: dict[tuple[_At, Levels | None, bool, float, float], tuple[Levels | None, Traced | str]] = {}
        #: the parameters asked with, checked once each to be ``params`` up to :data:`_PER_RUN` (kept: ids stay theirs)
        self._served: dict[int, SuggestParams] = {id(p): p}

    def on_slice(self, k: int, at: tuple[float, float], p: SuggestParams, levels: Levels) -> SliceOutline | str:
        """The outline on slice ``k`` at ``levels`` from ``at`` (a lesion's levels followed there), or why not."""
        self._check(p)
        point: _At = (k, (float(at[0]), float(at[1])))
        key = (point, levels, False, 0.0, p.vessel_ratio)
        if key not in self._looks:
            win = self._window(point)
            seed = win.local(point[1])
            if not win.inside(seed):
                self._looks[key] = (levels, "the lesion leaves the image")
            else:
                if (point, levels) not in self._grown:
                    self._grown[(point, levels)] = grown_at(win, seed, levels, self.params)
                grown = self._grown[(point, levels)]
                self._looks[key] = (levels, self._trace(win, point, levels, False, grown, p))
        return limited(self._looks[key][1], p.max_leak_fraction)

    def start(self, k: int, at: tuple[float, float], p: SuggestParams,
              clicked: bool = True) -> tuple[Levels, SliceOutline] | str:
        """The lesion's levels and outline on slice ``k`` from ``at`` at the slice's own levels, or why not
        (``clicked``: ``at`` is the reader's point or a centre found from it on that slice, whose part of the region is
        the lesion; False: the centre followed from another slice)."""
        self._check(p)
        point: _At = (k, (float(at[0]), float(at[1])))
        key = (point, None, clicked, p.near_peak_share, p.vessel_ratio)
        if key not in self._looks:
            win = self._window(point)
            found = self._levels(win, point, p)
            self._looks[key] = (None, found) if isinstance(found, str) else \
                (found[0], self._trace(win, point, found[0], clicked, found[1], p))
        levels, kept = self._looks[key]
        o = limited(kept, p.max_leak_fraction)
        if isinstance(o, str):
            return o
        assert levels is not None  # a look from the slice's own levels keeps them beside its tracing
        return levels, o

    def _check(self, p: SuggestParams) -> None:
        """Refuses ``p`` unless it is the click's parameters up to :data:`_PER_RUN`."""
        if id(p) not in self._served:
            if replace(p, **{name: getattr(self.params, name) for name in _PER_RUN}) != self.params:
                raise ValueError("a click's looks serve one set of parameters, up to the leak limit, the liver's nearer "
                                 "peaks and the vessel ratio")
            self._served[id(p)] = p

    def _window(self, point: _At) -> Window:
        """The denoised window round ``point`` (one per slice and pixel: the window is that of the rounded point)."""
        k, at = point
        key = (k, int(round(at[0])), int(round(at[1])))
        if key not in self._windows:
            self._windows[key] = Window(self.volume.array[k], at, self.spacing, self.params)
        return self._windows[key]

    def _levels(self, win: Window, point: _At, p: SuggestParams) -> tuple[Levels, np.ndarray] | str:
        """:func:`viewer.segment.levels.find_levels` at ``point`` with ``p``'s nearer peaks, the farther ones' found once."""
        if point not in self._farther:
            self._farther[point] = farther_levels(win, win.local(point[1]), self.params)
        if not p.near_peak_share:
            return self._farther[point]
        if (point, p.near_peak_share) not in self._nearer:
            self._nearer[(point, p.near_peak_share)] = nearer_levels(win, win.local(point[1]), p, self._farther[point])
        return self._nearer[(point, p.near_peak_share)]

    def _trace(self, win: Window, point: _At, levels: Levels, own: bool, region: np.ndarray | str,
               p: SuggestParams) -> Traced | str:
        """:func:`viewer.segment.slice2d.traced` of ``region`` (grown, not yet cut) cut at ``p``'s vessel ratio, traced
        once per region cut."""
        if isinstance(region, str):
            return region
        seed = win.local(point[1])
        cut = cut_region(win, seed, levels, p, region)
        if isinstance(cut, str):
            return cut
        key = (point, levels, own, cut.shape, np.packbits(cut).tobytes())
        if key not in self._traced:
            self._traced[key] = traced_cut(win, seed, levels, self.params, cut, own)
        return self._traced[key]
