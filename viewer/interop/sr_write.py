"""Write a :class:`~viewer.interop.model.SrReport` as a TID 1500 Comprehensive 3D SR (highdicom).

The document: root TID 1500 Imaging Measurement Report, observer = the reader (TID 1002), procedure
CT or MRI, Image Library of the measured images, then one measurement group per lesion:

* measured: TID 1410 planar ROI, group-level SCOORD POLYLINE of the two endpoints on the measured
  image (column + 0.5, row + 0.5: :func:`viewer.interop.model.to_scoord`), a Length NUM in mm,
  tracking identifier ``Cornerstone3DTools@^0.1.0:Length:L<n>`` (OHIF opens it as an editable
  length) and the lesion's tracking UID (the same on every series and timepoint);
* not visible / not measurable: TID 1501 with the same tracking UID, no image region, and the
  status as a coded qualitative evaluation (viewer/interop/codes.py).

Both carry finding type Lesion, finding site Liver with the hemiliver as laterality, the
Couinaud segment (a lesion recorded in another organ at follow-up: that organ, a lymph node, bone or
lung, and no liver site; "other": none), and the exam pair as the TID 1502 time point. A line with
a short axis drawn across it (a node's) is a TID 1501 group instead, whose Length and Short Axis
NUMs are each INFERRED FROM their own SCOORD POLYLINE on the image (:func:`_two_axes_group`), so an
import draws both again. A line suggested by the one-click diameter (``method`` suggested or
suggested_edited) carries a TID 4019 Algorithm Identification under its Length (:func:`_algorithm`);
a drawn one none. The patient and study modules come from the measured series' context; the SR is
a new series in that study.

Text is written in UTF-8, Specific Character Set ``ISO_IR 192`` (:data:`CHARACTER_SET`): the reader's
name and the patient's, physician's and study's words come from any language (Иванов^Иван, 王^小明);
without the attribute pydicom wrote them as Latin-1 and everything beyond it as "?", which dciodvfy
reports as characters invalid for the repertoire. The images' own character set does not matter: their
text reaches here decoded.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import highdicom as hd
from highdicom.coding_schemes import CodingSchemeIdentificationItem
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from viewer.errors import SrError
from viewer.interop import codes
from viewer.interop.vr_fit import fit
from viewer.interop.model import (DicomContext, GroupStatus, LengthGroup, LesionSite, SrReport, StatusGroup,
                                  to_scoord, tracking_identifier)

MANUFACTURER = "lesionlab"
#: PS3.3 C.12.1.1.2: the SR's text, all of it, in Unicode UTF-8 (any name, one encoding; no code extensions).
CHARACTER_SET = "ISO_IR 192"


def code(c: codes.Concept) -> Code:
    return Code(c.value, c.scheme, c.meaning)


def _patient_study(ctx: DicomContext) -> Dataset:
    """A dataset holding the patient and study modules of the measured series (highdicom copies them), each value
    made to fit its VR (:func:`~viewer.interop.vr_fit.fit`: the images' values may be longer than the VR allows)."""
    ds = Dataset()
    values = dict(PatientID=ctx.patient_id, PatientName=ctx.patient_name, PatientBirthDate=ctx.patient_birth_date,
                  PatientSex=ctx.patient_sex if ctx.patient_sex in ("M", "F", "O") else "",
                  StudyInstanceUID=ctx.study_instance_uid, StudyDate=ctx.study_date, StudyTime=ctx.study_time,
                  StudyID=ctx.study_id, AccessionNumber=ctx.accession_number,
                  ReferringPhysicianName=ctx.referring_physician_name)
    for keyword, value in values.items():
        setattr(ds, keyword, fit(keyword, value))
    if ctx.study_description:
        ds.StudyDescription = fit("StudyDescription", ctx.study_description)
    ds.SeriesInstanceUID = ctx.series_instance_uid
    ds.Modality = fit("Modality", ctx.modality)
    if ctx.frame_of_reference_uid:
        ds.FrameOfReferenceUID = ctx.frame_of_reference_uid
    return ds


def _evidence(ctx: DicomContext, report: SrReport) -> list[Dataset]:
    """One dataset per referenced image (SOP class and instance), carrying patient and study."""
    seen: dict[str, Dataset] = {}
    for g in report.groups:
        if g.image is not None and g.image.sop_instance_uid not in seen:
            ds = _patient_study(ctx)
            ds.SOPClassUID = g.image.sop_class_uid
            ds.SOPInstanceUID = g.image.sop_instance_uid
            seen[g.image.sop_instance_uid] = ds
    return list(seen.values())


def _sites(site: LesionSite) -> list[hd.sr.FindingSite]:
    if site.organ != "liver":
        organ = codes.ORGAN_CODES.get(site.organ)
        return [hd.sr.FindingSite(anatomic_location=code(organ))] if organ is not None else []
    laterality = code(codes.HEMILIVER_CODES[site.hemiliver]) if site.hemiliver is not None else None
    found = [hd.sr.FindingSite(anatomic_location=code(codes.LIVER), laterality=laterality)]
    if site.segment is not None:
        found.append(hd.sr.FindingSite(anatomic_location=code(codes.SEGMENT_CODES[site.segment])))
    return found


def _time_point(report: SrReport) -> hd.sr.TimePointContext | None:
    """TID 1502: the exam pair is the timepoint (E1 baseline, E2 ... at follow-up)."""
    return hd.sr.TimePointContext(time_point=report.time_point) if report.time_point else None


def _algorithm(g: LengthGroup) -> hd.sr.AlgorithmIdentification | None:
    """TID 4019 under the Length of a suggested line (a manual one has none): the one-click diameter,
    its method's name as the version, ``method: suggested`` or ``suggested_edited`` and the JSON
    parameters as the algorithm's parameters (so a reader of the SR tells a suggestion from a drawn line,
    and a re-import keeps how it was made)."""
    if g.method == "manual":
        return None
    try:
        version = str(json.loads(g.method_params).get("method", "")) if g.method_params else ""
    except (ValueError, AttributeError):
        version = ""
    params = [f"method: {g.method}"] + ([g.method_params] if g.method_params else [])
    return hd.sr.AlgorithmIdentification(name=codes.SUGGEST_ALGORITHM, version=version or "unknown", parameters=params)


def _length_group(g: LengthGroup, report: SrReport) -> (
        hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations | hd.sr.MeasurementsAndQualitativeEvaluations):
    if g.short_axis is not None:
        return _two_axes_group(g, report)
    region = hd.sr.ImageRegion(graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                               graphic_data=np.array([to_scoord(g.p1), to_scoord(g.p2)], dtype=float),
                               source_image=_source(g))
    sizes = [_length(g)]
    if g.short_axis_mm is not None:  # its value only: no line of it is known
        sizes.append(hd.sr.Measurement(name=code(codes.SHORT_AXIS), value=round(float(g.short_axis_mm), 6),
                                       unit=code(codes.MILLIMETER)))
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=_tracking(g), referenced_region=region, finding_type=code(codes.LESION),
        finding_sites=_sites(g.site), measurements=sizes, time_point_context=_time_point(report))


def _two_axes_group(g: LengthGroup, report: SrReport) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    """A line with its perpendicular short axis (a node's, RECIST sums it): a TID 1501 group whose Length
    and Short Axis NUMs are each INFERRED FROM their own SCOORD POLYLINE on the image (TID 300; OHIF's
    bidirectional style, the Length's line first). A TID 1410 group has room for one region only, and
    its measurements none (highdicom refuses them): the short axis went out as a bare number that an
    import could not draw again."""
    assert g.short_axis is not None and g.short_axis_mm is not None

    def line(a: tuple[float, float], b: tuple[float, float]) -> list[hd.sr.CoordinatesForMeasurement]:
        return [hd.sr.CoordinatesForMeasurement(graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                                                graphic_data=np.array([to_scoord(a), to_scoord(b)], dtype=float),
                                                source_image=_source(g))]

    short = hd.sr.Measurement(name=code(codes.SHORT_AXIS), value=round(float(g.short_axis_mm), 6),
                              unit=code(codes.MILLIMETER), referenced_coordinates=line(*g.short_axis))
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=_tracking(g), finding_type=code(codes.LESION), finding_sites=_sites(g.site),
        measurements=[_length(g, line(g.p1, g.p2)), short], time_point_context=_time_point(report))


def _source(g: LengthGroup) -> hd.sr.SourceImageForRegion:
    frames = [g.image.frame_number] if g.image.frame_number is not None else None
    return hd.sr.SourceImageForRegion(referenced_sop_class_uid=g.image.sop_class_uid,
                                      referenced_sop_instance_uid=g.image.sop_instance_uid,
                                      referenced_frame_numbers=frames)


def _length(g: LengthGroup, drawn: list[hd.sr.CoordinatesForMeasurement] | None = None) -> hd.sr.Measurement:
    return hd.sr.Measurement(name=code(codes.LENGTH), value=round(float(g.length_mm), 6), unit=code(codes.MILLIMETER),
                             algorithm_id=_algorithm(g), referenced_coordinates=drawn)


def _tracking(g: LengthGroup) -> hd.sr.TrackingIdentifier:
    return hd.sr.TrackingIdentifier(uid=g.tracking_uid, identifier=tracking_identifier(g.lesion_id))


def _status_group(g: StatusGroup, report: SrReport) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    evaluation = hd.sr.QualitativeEvaluation(name=code(codes.OBSERVATION_STATUS), value=code(codes.STATUS_CODES[g.status]))
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=g.tracking_uid,
                                                     identifier=f"lesionlab:{_STATUS_WORD[g.status]}:{g.lesion_id}"),
        finding_type=code(codes.LESION), finding_sites=_sites(g.site), qualitative_evaluations=[evaluation],
        time_point_context=_time_point(report),
        source_images=[hd.sr.SourceImageForMeasurementGroup(
            referenced_sop_class_uid=g.image.sop_class_uid,
            referenced_sop_instance_uid=g.image.sop_instance_uid)] if g.image is not None else None)


_STATUS_WORD = {GroupStatus.NOT_VISIBLE: "NotVisible", GroupStatus.NOT_MEASURABLE: "NotMeasurable"}


def build_sr(report: SrReport) -> hd.sr.Comprehensive3DSR:
    """The SR dataset of one report (not yet written)."""
    ctx = report.context
    observer = hd.sr.ObserverContext(
        observer_type=hd.sr.CodedConcept("121006", "DCM", "Person"),
        observer_identifying_attributes=_observer(report.observer))
    procedure = codes.MR_PROCEDURE if ctx.modality == "MR" else (
        codes.CT_PROCEDURE if ctx.modality == "CT" else codes.IMAGING_PROCEDURE)
    groups = [_length_group(g, report) if isinstance(g, LengthGroup) else _status_group(g, report)
              for g in report.groups]
    evidence = _evidence(ctx, report)
    content = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=code(procedure), imaging_measurements=groups,
        title=hd.sr.CodedConcept("126000", "DCM", "Imaging Measurement Report"),
        referenced_images=None)  # an Image Library entry needs Rows, PixelSpacing...: not in the store
    now = _dt.datetime.now()
    try:
        sr = hd.sr.Comprehensive3DSR(
            evidence=evidence or [_patient_study(ctx)], content=content[0],
            series_instance_uid=report.sr_series_instance_uid, series_number=_series_number(ctx),
            sop_instance_uid=report.sr_sop_instance_uid, instance_number=1, manufacturer=MANUFACTURER,
            is_complete=True, record_evidence=bool(evidence),
            series_description=fit("SeriesDescription", report.series_description),
            content_date=now.date(), content_time=now.time(), specific_character_set=CHARACTER_SET,
            coding_schemes=_private_schemes(content[0]))
    except (ValueError, TypeError, AttributeError) as exc:
        raise SrError(f"highdicom refused the report ({exc})", where=ctx.series_instance_uid) from None
    return sr


def _private_schemes(content: Dataset) -> list[CodingSchemeIdentificationItem] | None:
    """The Coding Scheme Identification Sequence (0008,0110, SOP Common) item of lesionlab's private scheme when the
    content uses it (the not visible / not measurable codes): PS3.3 C.12.1.1 maps a private designator there to the
    scheme and who answers for it. None when the content holds only standard codes."""
    used = any(el.keyword == "CodingSchemeDesignator" and el.value == codes.LESIONLAB_SCHEME for el in content.iterall())
    if not used:
        return None
    return [CodingSchemeIdentificationItem(designator=codes.LESIONLAB_SCHEME, name=codes.LESIONLAB_SCHEME_NAME,
                                           version=codes.LESIONLAB_SCHEME_VERSION, responsible_organization=MANUFACTURER)]


def _series_number(ctx: DicomContext) -> int:
    """The SR's series number: the measured series' + 9000 (beside it in a PACS's series list)."""
    return 9000 + (ctx.series_number or 0) % 1000


def write_sr(report: SrReport, path: str | Path) -> Path:
    """Write the report to ``path`` (folders made); returns the path."""
    sr = build_sr(report)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sr.save_as(target, enforce_file_format=True)
    return target


def _observer(reader: str) -> hd.sr.PersonObserverIdentifyingAttributes:
    """TID 1003 of the reader: the name as a person name, cut to PN's 64 bytes; a longer name (a reader's may have
    100 characters) also whole as the Person Observer's Login Name (TEXT, no limit), from which
    :func:`viewer.interop.sr_read.read_sr` takes it back, so that an import files the lines under the same reader."""
    name = _person(reader)
    fitted = fit("PersonName", name)
    return hd.sr.PersonObserverIdentifyingAttributes(name=fitted, login_name=reader if fitted != name else None)


def _person(name: str) -> str:
    """A reader's name as a DICOM person name (one component: the family name, caret-terminated)."""
    return name if "^" in name else f"{name}^"
