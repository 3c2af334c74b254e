"""Small studies and readings the SR tests make for themselves: a few slices of the sample's portal CT
re-encoded under another patient (any character set), and a store whose readers measured lesions on them."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pydicom
from pydicom.uid import generate_uid

from annotation.reading import Reading
from annotation.store import ReadingStore
from viewer.index import index_path
from viewer.loader import VolumeLoader
from viewer.records import Role, StackInfo

PORTAL = Path("LLSYN001") / "20230314_CT" / "004_Portale_5_0_B30f"


def tiny_study(sample_dicom: Path, out: Path, patient_id: str, patient_name: str = "TEST^PATIENT", *,
               charset: str | Sequence[str] = "ISO_IR 192", referring: str = "", description: str = "",
               slices: int = 3, study_uid: str | None = None) -> StackInfo:
    """``slices`` slices of the sample's portal CT as a new patient's study in ``charset`` (a new series of
    ``study_uid`` when given); its portal stack."""
    study, series = study_uid or generate_uid(), generate_uid()
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted((sample_dicom / PORTAL).glob("*.dcm"))[:slices]:
        ds = pydicom.dcmread(f)
        ds.SpecificCharacterSet = list(charset) if not isinstance(charset, str) else charset
        ds.PatientName, ds.PatientID = patient_name, patient_id
        ds.ReferringPhysicianName = referring
        if description:
            ds.StudyDescription = description
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.save_as(out / f.name, enforce_file_format=True)
    (stack,) = [s for s in index_path(out).stacks if s.role is Role.CT_PORTAL]
    return stack


def measure(reading: Reading, pair: tuple[str, str], stack: StackInfo, lesion_id: str, offset: float = 0.0,
            short_axis: bool = False) -> None:
    """A 20-pixel line on the stack's middle slice (with a perpendicular short axis when asked)."""
    loader = VolumeLoader(stack)
    k = len(loader.images) // 2
    img = loader.images[k]
    extra = {"p3": (100.0 + offset, 120.0), "p4": (108.0 + offset, 120.0)} if short_axis else {}
    reading.measure(pair, lesion_id, Role.CT_PORTAL, loader.volume.geometry, stack.key, stack.series_instance_uid, k,
                    (104.0 + offset, 110.0), (104.0 + offset, 130.0), sop_instance_uid=img.sop_instance_uid,
                    sop_class_uid=img.sop_class_uid, instance_number=img.instance_number, **extra)


def reading_store(store: Path, stacks: dict[str, StackInfo], readers: Sequence[str], lesions: int = 1,
                  patient_names: dict[str, str] | None = None) -> None:
    """A store where every reader measured ``lesions`` lesions on every patient's stack (pair E1)."""
    with ReadingStore.open(store) as st:
        project = st.load()
        for who in readers:
            reading = Reading(project, reader=who, sink=st)
            for pid, stack in stacks.items():
                if pid not in reading.project.patients:
                    reading.add_patient(pid, (patient_names or {}).get(pid, ""))
                    reading.add_exam_pair(pid, "E1", ct_study_uid=stack.study_instance_uid)
                for n in range(lesions):
                    lid = reading.add_lesion((pid, "E1"), "right")
                    measure(reading, (pid, "E1"), stack, lid, offset=4.0 * n)
            project = reading.project
