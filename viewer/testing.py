"""Test and benchmark fixtures: in-memory stacks and volumes (no files), never used by the app.

A phantom abdomen: an ellipse of soft tissue with a brighter "liver" and a few round lesions,
values in HU for CT and arbitrary signal for MRI, with true geometry from
:meth:`StackGeometry.from_slices`. The volume type is :class:`viewer.loader.Volume`.
"""

from __future__ import annotations

import zlib
import threading
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from viewer.geometry import StackGeometry
from viewer.records import FileRef, ImageHeader, PixelFormat, Role, StackInfo

from viewer.loader import Volume

AXIAL_IOP = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def make_stack(key: str, role: Role | str = Role.CT_PORTAL, *, modality: str | None = None, n_slices: int = 20,
               rows: int = 64, columns: int = 64, pixel_spacing_mm: tuple[float, float] = (0.8, 0.8),
               slice_spacing_mm: float = 2.5, frame_of_reference_uid: str = "1.2.3.for.ct",
               patient_id: str = "P1", study_uid: str = "1.2.3.study.ct", study_date: str = "20240110",
               series_description: str | None = None, b_value: float | None = None,
               confidence: float = 0.9) -> StackInfo:
    role = Role.parse(role)
    modality = modality or ("CT" if role.value.startswith("ct") else "MR")
    return StackInfo(
        key=key, patient_id=patient_id, patient_name=f"TEST^{patient_id}", study_instance_uid=study_uid,
        study_date=study_date, study_description=f"{modality} abdomen", series_instance_uid=f"{key}.series",
        series_number=1, series_description=series_description or role.value, modality=modality,
        frame_of_reference_uid=frame_of_reference_uid, role=role, role_confidence=confidence,
        role_reason="synthetic", b_value=b_value, n_slices=n_slices, rows=rows, columns=columns,
        pixel_spacing_mm=pixel_spacing_mm, slice_spacing_mm=slice_spacing_mm, slice_thickness_mm=slice_spacing_mm,
        orientation="axial", warnings=(), images=())


def phantom(n_slices: int, rows: int, columns: int, ct: bool, seed: int = 0) -> np.ndarray:
    """(slices, rows, cols) int16 phantom: body ellipse, liver, three lesions, noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:rows, 0:columns].astype(np.float32)
    cy, cx = rows / 2, columns / 2
    body = ((yy - cy) / (0.40 * rows)) ** 2 + ((xx - cx) / (0.46 * columns)) ** 2 <= 1
    liver = ((yy - cy * 0.95) / (0.22 * rows)) ** 2 + ((xx - cx * 0.75) / (0.24 * columns)) ** 2 <= 1
    bg, tissue, liv, les = (-1000, 40, 100, 160) if ct else (0, 300, 500, 1100)
    out = np.empty((n_slices, rows, columns), np.int16)
    for k in range(n_slices):
        img = np.full((rows, columns), bg, np.float32)
        img[body] = tissue
        img[liver] = liv
        for i, (fy, fx) in enumerate(((0.45, 0.30), (0.55, 0.45), (0.40, 0.42))):
            r = (0.03 + 0.02 * i) * rows * (1 - abs(k - n_slices / 2) / n_slices)
            img[((yy - fy * rows) ** 2 + (xx - fx * columns) ** 2) <= r * r] = les
        img[body] += rng.normal(0, 8 if ct else 25, size=int(body.sum()))
        out[k] = np.clip(img, -1024, 3000).astype(np.int16)
    return out


def make_volume(stack: StackInfo, *, origin_mm: Sequence[float] = (-150.0, -150.0, -200.0),
                loaded: bool = True, seed: int = 0) -> Volume:
    """A Volume for ``stack``: axial, slice k at z = origin_z + k * spacing."""
    spacing = stack.slice_spacing_mm or 1.0
    positions = [(origin_mm[0], origin_mm[1], origin_mm[2] + k * spacing) for k in range(stack.n_slices)]
    geo, _ = StackGeometry.from_slices(stack.rows, stack.columns, AXIAL_IOP, positions, stack.pixel_spacing_mm)
    ct = stack.modality == "CT"
    array = phantom(stack.n_slices, stack.rows, stack.columns, ct, seed)
    mask = np.ones(stack.n_slices, bool) if loaded else np.zeros(stack.n_slices, bool)
    if not loaded:
        array = np.zeros_like(array)
    return Volume(stack=stack, geometry=geo, array=array, loaded=mask, units="HU" if ct else "",
                  monochrome1=False, warnings=(), images=synthetic_images(stack, positions))


def synthetic_images(stack: StackInfo, positions: Sequence[Sequence[float]]) -> tuple[ImageHeader, ...]:
    """Headers of a synthetic stack in volume order: SOP Instance UIDs and InstanceNumbers counted
    from the top slice, as a scanner numbers an axial series head to feet."""
    fmt = PixelFormat(stack.rows, stack.columns, 16, 16, 1, 1, "MONOCHROME2", "1.2.840.10008.1.2.1")
    n = len(positions)
    out = []
    for k, pos in enumerate(positions):
        out.append(ImageHeader(
            file=FileRef(f"synthetic/{stack.key}/{k}.dcm"), frame=0,
            sop_instance_uid=f"2.25.{zlib.crc32(stack.key.encode())}.{n - k}", sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
            patient_id=stack.patient_id, patient_name=stack.patient_name, study_instance_uid=stack.study_instance_uid,
            study_date=stack.study_date, study_time="", study_description=stack.study_description,
            series_instance_uid=stack.series_instance_uid, series_number=stack.series_number,
            series_description=stack.series_description, protocol_name="", modality=stack.modality,
            frame_of_reference_uid=stack.frame_of_reference_uid, manufacturer="", instance_number=n - k,
            image_type=("ORIGINAL", "PRIMARY", "AXIAL"), position_mm=tuple(float(v) for v in pos),  # type: ignore[arg-type]
            orientation=AXIAL_IOP, pixel_spacing_mm=stack.pixel_spacing_mm, imager_pixel_spacing_mm=None,
            slice_thickness_mm=stack.slice_thickness_mm, gantry_tilt_deg=None, rescale_slope=1.0,
            rescale_intercept=0.0, window_center=None, window_width=None, b_value=stack.b_value, b_value_source=None,
            acquisition_number=None, acquisition_time="", acquisition_date="", series_time="", content_time="",
            temporal_position=None, trigger_time_ms=None, contrast_agent=None, contrast_start_time="", sequence_name="",
            scanning_sequence="", sequence_variant="", scan_options="", echo_time_ms=None, repetition_time_ms=None,
            inversion_time_ms=None, body_part="", patient_position="HFS", pixel=fmt))
    return tuple(out)


class SyntheticLoader:
    """Loader with the VolumeLoader API over a phantom (optionally slow, to test progressive loading)."""

    def __init__(self, stack: StackInfo, delay_s: float = 0.0, origin_mm: Sequence[float] = (-150.0, -150.0, -200.0)) -> None:
        self._full = make_volume(stack, origin_mm=origin_mm)
        self.volume = replace(self._full, array=np.zeros_like(self._full.array),
                              loaded=np.zeros(stack.n_slices, bool))
        self.delay_s = delay_s

    def decode_slice(self, k: int) -> None:
        """One slice, as :meth:`viewer.loader.VolumeLoader.decode_slice` (after ``delay_s``)."""
        if self.delay_s:
            threading.Event().wait(self.delay_s)
        self.volume.array[k] = self._full.array[k]
        self.volume.loaded[k] = True

    def load(self, *, order: str = "middle_out", on_slice: Callable[..., object] | None = None,
             cancel: threading.Event | None = None, workers: int | None = None) -> Volume:
        n = self.volume.geometry.n_slices
        mid = n // 2
        seq = sorted(range(n), key=lambda k: (abs(k - mid), k)) if order == "middle_out" else range(n)
        for k in seq:
            if cancel is not None and cancel.is_set():
                break
            if self.delay_s:
                threading.Event().wait(self.delay_s)
            self.volume.array[k] = self._full.array[k]
            self.volume.loaded[k] = True
            if on_slice is not None:
                on_slice(k)
        return self.volume
