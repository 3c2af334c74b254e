"""ViewportModel: everything one reading cell shows, as plain state with change signals.

Slice order: index k follows :mod:`viewer.geometry` (k = 0 is the lowest position along the
normal, i.e. the most inferior axial slice). Readers page from the head down, so "next" (wheel
down, Down arrow, Page Down) goes *down* the patient (k decreases) and the overlay's slice
number counts from the top: ``slice_number = n_slices - k``. Home shows the top slice, End the
bottom one.

The volume arrives empty and fills slice by slice while the loader works (``loaded`` mask);
:meth:`slices_loaded` is how the loading code reports progress.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from viewer.display import Preset, WindowLevel, default_window, preset_window
from viewer.geometry import SliceFrames, StackGeometry, Vector
from viewer.model.events import Signal
from viewer.model.window import WindowSource, WindowStore
from viewer.records import Role, StackInfo

#: Zoom limits relative to "fit".
ZOOM_MIN, ZOOM_MAX = 0.25, 16.0


class VolumeLike(Protocol):
    """What the viewer needs of :class:`viewer.loader.Volume`."""

    stack: StackInfo
    geometry: StackGeometry
    array: np.ndarray
    loaded: np.ndarray
    units: str
    monochrome1: bool


class ViewportModel:
    """State of one viewport. Signals: ``volume_changed()``, ``slice_changed(k)``,
    ``window_changed(wl)``, ``view_changed()`` (zoom, pan, invert), ``crosshair_changed(p)``,
    ``link_changed(linked)``, ``loading_changed(done, total)``, ``cine_changed(playing)``."""

    def __init__(self, windows: WindowStore | None = None, cell: int = 0, role: Role | None = None) -> None:
        self.cell = cell
        self.windows = windows if windows is not None else WindowStore()
        self.volume: VolumeLike | None = None
        self.role: Role | None = role  # the role this cell shows (or misses)
        self._index = 0
        self.zoom = 1.0
        self.center: tuple[float, float] | None = None
        self.invert = False
        self.crosshair_mm: np.ndarray | None = None
        self.linked = True
        self.playing = False
        self.cine_fps = 10.0
        self.loaded_count = 0
        self._projections: np.ndarray | None = None
        self._frame: SliceFrames | None = None
        self.volume_changed = Signal()
        self.slice_changed = Signal()
        self.window_changed = Signal()
        self.view_changed = Signal()
        self.crosshair_changed = Signal()
        self.link_changed = Signal()
        self.loading_changed = Signal()
        self.cine_changed = Signal()
        self.windows.changed.connect(self._on_window_stored)

    # ------------------------------------------------------------------ content
    def set_volume(self, volume: VolumeLike | None, role: Role | None = None) -> None:
        """Show ``volume`` (or nothing) at its middle slice, fitted, with its remembered window."""
        self.volume = volume
        # per-volume constants read on every repaint
        self._projections = volume.geometry.slice_projections_mm if volume is not None else None
        self._frame = volume.geometry.slice_frames() if volume is not None else None
        if role is not None:
            self.role = role
        self._index = (volume.geometry.n_slices // 2) if volume is not None else 0
        self.zoom, self.center, self.crosshair_mm = 1.0, None, None
        self.loaded_count = int(np.count_nonzero(volume.loaded)) if volume is not None else 0
        self.set_playing(False)
        if volume is not None and self.key not in self.windows and self.loaded_count:
            self.windows.set_auto(self.key, default_window(volume.units, volume.array, volume.loaded))
        self.volume_changed.emit()

    @property
    def key(self) -> str:
        return self.volume.stack.key if self.volume is not None else ""

    @property
    def geometry(self) -> StackGeometry | None:
        return self.volume.geometry if self.volume is not None else None

    @property
    def n_slices(self) -> int:
        return self.volume.geometry.n_slices if self.volume is not None else 0

    def slices_loaded(self, done: int, total: int) -> None:
        """Loader progress: the first slices give an automatic window; the last one refines it."""
        self.loaded_count = done
        vol = self.volume
        if vol is not None and done and (self.key not in self.windows or done == total):
            self.windows.set_auto(self.key, default_window(vol.units, vol.array, vol.loaded))
        self.loading_changed.emit(done, total)

    def is_loaded(self, index: int | None = None) -> bool:
        if self.volume is None:
            return False
        return bool(self.volume.loaded[self._index if index is None else index])

    # ------------------------------------------------------------------ slice
    @property
    def index(self) -> int:
        return self._index

    def set_index(self, index: int) -> None:
        if self.volume is None:
            return
        k = int(min(max(int(index), 0), self.n_slices - 1))
        if k != self._index:
            self._index = k
            self.slice_changed.emit(k)

    def next_slice(self, steps: int = 1) -> None:
        """Page ``steps`` slices down the patient (negative: up)."""
        self.set_index(self._index - steps)

    def first(self) -> None:
        """Top slice (Home)."""
        self.set_index(self.n_slices - 1)

    def last(self) -> None:
        """Bottom slice (End)."""
        self.set_index(0)

    @property
    def slice_number(self) -> int:
        """1-based number counted from the top, as shown in the overlay."""
        return self.n_slices - self._index if self.volume is not None else 0

    def position_mm(self, index: int | None = None) -> float | None:
        """Slice position along the normal (mm); for axial stacks this is z (SliceLocation-like)."""
        if self._projections is None:
            return None
        return float(self._projections[self._index if index is None else index])

    def center_point_mm(self) -> np.ndarray | None:
        """Patient point at the centre of the current slice."""
        geo = self.geometry
        if geo is None:
            return None
        return geo.index_to_patient(self._index, *geo.middle_pixel)

    def patient_point(self, row: float, col: float) -> tuple[float, float, float] | None:
        """Patient mm (LPS) of (row, col) on the current slice: ``geometry.index_to_patient`` for an
        integer slice, in plain floats because the overlay asks on every pointer move."""
        return None if self._frame is None else self._frame.patient_point(self._index, row, col)

    def value_at(self, row: float, col: float) -> float | None:
        """Stored value (HU for CT) of the pixel containing (row, col), None outside/not loaded."""
        vol = self.volume
        r, c = int(round(row)), int(round(col))
        if vol is None or not self.is_loaded() or not (0 <= r < vol.geometry.rows and 0 <= c < vol.geometry.columns):
            return None
        return float(vol.array[self._index, r, c])

    # ------------------------------------------------------------------ window / level
    @property
    def window(self) -> WindowLevel | None:
        """The stack's window; the automatic one from the slices decoded so far when none is stored yet
        (a slice can be decoded, on a loader thread, before its progress reaches :meth:`slices_loaded`)."""
        vol = self.volume
        if vol is None:
            return None
        found = self.windows.get(self.key)
        if found is None and vol.loaded.any():
            self.windows.set_auto(self.key, default_window(vol.units, vol.array, vol.loaded))
            found = self.windows.get(self.key)
        return found

    def set_window(self, wl: WindowLevel) -> None:
        if self.volume is not None:
            self.windows.set(self.key, wl, WindowSource.READER)

    def apply_preset(self, preset: Preset | str) -> None:
        vol = self.volume
        if vol is not None:
            self.set_window(preset_window(Preset(preset), vol.array, vol.loaded, self.role))

    def _on_window_stored(self, key: str, wl: WindowLevel | None) -> None:
        if self.volume is not None and key == self.key:
            if wl is None:  # forgotten: recompute the automatic one
                self.windows.set_auto(key, default_window(self.volume.units, self.volume.array, self.volume.loaded))
                return
            self.window_changed.emit(wl)

    # ------------------------------------------------------------------ zoom / pan / invert
    def set_zoom(self, zoom: float, center: tuple[float, float] | None = None) -> None:
        self.zoom = float(min(max(zoom, ZOOM_MIN), ZOOM_MAX))
        if center is not None:
            self.center = center
        self.view_changed.emit()

    def set_center(self, center: tuple[float, float] | None) -> None:
        self.center = center
        self.view_changed.emit()

    def fit(self) -> None:
        """Whole image fitted and centred (zoom 1)."""
        self.zoom, self.center = 1.0, None
        self.view_changed.emit()

    def reset(self) -> None:
        """Fit, no inversion, automatic window."""
        self.invert = False
        if self.volume is not None:
            self.windows.forget(self.key)
        self.fit()

    def toggle_invert(self) -> None:
        self.invert = not self.invert
        self.view_changed.emit()

    # ------------------------------------------------------------------ crosshair, link, cine
    def set_crosshair(self, point_mm: Vector | None) -> None:
        self.crosshair_mm = None if point_mm is None else np.asarray(point_mm, float)
        self.crosshair_changed.emit(self.crosshair_mm)

    def crosshair_index(self) -> np.ndarray | None:
        """Continuous (slice, row, col) of the crosshair in this stack, or None."""
        if self.crosshair_mm is None or self.geometry is None:
            return None
        return self.geometry.patient_to_index(self.crosshair_mm)

    def set_linked(self, linked: bool) -> None:
        if linked != self.linked:
            self.linked = linked
            self.link_changed.emit(linked)

    def set_playing(self, playing: bool) -> None:
        playing = bool(playing and self.volume is not None and self.n_slices > 1)
        if playing != self.playing:
            self.playing = playing
            self.cine_changed.emit(playing)

    def cine_step(self) -> None:
        """One cine frame: next slice, wrapping from the bottom back to the top."""
        if self._index == 0:
            self.first()
        else:
            self.next_slice()
