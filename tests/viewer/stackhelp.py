"""Test-only: build ImageHeader / StackInfo records from files with pydicom.

The loader's tests need StackInfo records independent of the indexer (they test the loader, not
the header reader), so this helper reads the few attributes the loader uses, the simple way, and
finds the pixel data offset from pydicom's raw element position.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pydicom

from viewer.records import FileRef, ImageHeader, PixelFormat, Role, StackInfo


def _floats(v: object) -> tuple[float, ...] | None:
    return tuple(float(x) for x in v) if v is not None else None  # type: ignore[union-attr]


def headers_from_file(path: str | Path, with_offset: bool = True) -> list[ImageHeader]:
    """One ImageHeader per frame of ``path`` (enhanced multi-frame: per-frame positions)."""
    ds = pydicom.dcmread(path)
    raw = ds.get_item(0x7FE00010)
    ts = str(ds.file_meta.TransferSyntaxUID)
    native_le = ts in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")
    offset = raw.value_tell if (with_offset and native_le and hasattr(raw, "value_tell")) else None
    nframes = int(getattr(ds, "NumberOfFrames", 1) or 1)
    fmt = PixelFormat(rows=ds.Rows, columns=ds.Columns, bits_allocated=ds.BitsAllocated,
                      bits_stored=ds.BitsStored, pixel_representation=ds.PixelRepresentation,
                      samples_per_pixel=ds.SamplesPerPixel, photometric=ds.PhotometricInterpretation,
                      transfer_syntax_uid=ts, number_of_frames=nframes, pixel_data_offset=offset)
    shared = ds.SharedFunctionalGroupsSequence[0] if "SharedFunctionalGroupsSequence" in ds else None
    out = []
    for f in range(nframes):
        iop = _floats(ds.get("ImageOrientationPatient"))
        ipp = _floats(ds.get("ImagePositionPatient"))
        ps = _floats(ds.get("PixelSpacing"))
        slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
        if shared is not None:
            per = ds.PerFrameFunctionalGroupsSequence[f]
            iop = _floats(shared.PlaneOrientationSequence[0].ImageOrientationPatient)
            ps = _floats(shared.PixelMeasuresSequence[0].PixelSpacing)
            ipp = _floats(per.PlanePositionSequence[0].ImagePositionPatient)
            if "PixelValueTransformationSequence" in shared:
                pvt = shared.PixelValueTransformationSequence[0]
                slope, intercept = float(pvt.RescaleSlope), float(pvt.RescaleIntercept)
        out.append(ImageHeader(
            file=FileRef(str(path)), frame=f, sop_instance_uid=str(ds.SOPInstanceUID),
            sop_class_uid=str(ds.SOPClassUID), patient_id=str(ds.get("PatientID", "")),
            patient_name=str(ds.get("PatientName", "")), study_instance_uid=str(ds.get("StudyInstanceUID", "")),
            study_date=str(ds.get("StudyDate", "")), study_time="", study_description="",
            series_instance_uid=str(ds.SeriesInstanceUID), series_number=ds.get("SeriesNumber"),
            series_description=str(ds.get("SeriesDescription", "")), protocol_name="",
            modality=str(ds.Modality), frame_of_reference_uid="", manufacturer="",
            instance_number=ds.get("InstanceNumber"), image_type=tuple(ds.get("ImageType", ())),
            position_mm=ipp, orientation=iop, pixel_spacing_mm=ps,  # type: ignore[arg-type]
            imager_pixel_spacing_mm=_floats(ds.get("ImagerPixelSpacing")),  # type: ignore[arg-type]
            slice_thickness_mm=None, gantry_tilt_deg=(float(ds.GantryDetectorTilt)
                                                      if "GantryDetectorTilt" in ds else None),
            rescale_slope=slope, rescale_intercept=intercept, window_center=None, window_width=None,
            b_value=None, b_value_source=None, acquisition_number=None, acquisition_time="",
            acquisition_date="", series_time="", content_time="", temporal_position=None,
            trigger_time_ms=None, contrast_agent=None, contrast_start_time="", sequence_name="",
            scanning_sequence="", sequence_variant="", scan_options="", echo_time_ms=None,
            repetition_time_ms=None, inversion_time_ms=None, body_part="", patient_position="",
            pixel=fmt))
    return out


def stack_from_files(paths: Sequence[str | Path], with_offset: bool = True) -> StackInfo:
    """A StackInfo over all frames of ``paths`` (in the order given: the loader must sort)."""
    images = tuple(h for p in paths for h in headers_from_file(p, with_offset))
    first = images[0]
    return StackInfo(
        key=first.series_instance_uid, patient_id=first.patient_id, patient_name=first.patient_name,
        study_instance_uid=first.study_instance_uid, study_date=first.study_date, study_description="",
        series_instance_uid=first.series_instance_uid, series_number=first.series_number,
        series_description=first.series_description, modality=first.modality, frame_of_reference_uid="",
        role=Role.UNKNOWN, role_confidence=0.0, role_reason="test", b_value=None, n_slices=len(images),
        rows=first.pixel.rows, columns=first.pixel.columns, pixel_spacing_mm=first.pixel_spacing_mm,
        slice_spacing_mm=None, slice_thickness_mm=None, orientation="", warnings=(), images=images)
