"""The generated study's model: each patient's findings, where each exam's grids sit, and the
identities (UIDs, folders, instance numbers) the writer and the ground truth share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .anatomy import Anatomy
from .dicomwrite import folder_name, uid
from .findings import Finding
from .lesions import place_lesions, place_node
from .patients import PatientSpec
from .protocols import ExamSpec, SeriesSpec
from .render import Placement, place_grid
from .shapes import Ellipsoid

DEFAULT_SEED = 2024
#: In-plane centre of each exam's field of view, body mm (slightly off the body centre).
FOV_CENTRE = {"ct": (0.0, 4.0), "mr": (-6.0, 2.0)}


@dataclass(frozen=True)
class PatientModel:
    spec: PatientSpec
    index: int
    anatomy: Anatomy
    lesions: list[Finding]  # liver metastases, every timepoint (see Finding.sizes_mm)
    nodes: list[Finding]

    @property
    def findings(self) -> list[Finding]:
        return self.lesions + self.nodes


def build_patient(spec: PatientSpec, index: int, seed: int) -> PatientModel:
    anatomy = Anatomy(scale=spec.scale, fat_mm=spec.fat_mm)
    rng = np.random.default_rng([seed, index, 0])
    shifts = sorted({e.liver_shift_mm for e in spec.exams})
    nodes = [place_node(anatomy, plan, shifts) for plan in spec.nodes]
    lesions = place_lesions(anatomy, list(spec.lesions), rng, shifts, avoid=tuple(n.shape for n in nodes))
    return PatientModel(spec, index, anatomy, lesions, nodes)


def findings_in(model: PatientModel, exam: ExamSpec) -> list[tuple[Finding, Ellipsoid]]:
    """The findings present at an exam's timepoint with their ellipsoid there (body mm)."""
    out = []
    for finding in model.findings:
        shape = finding.shape_at(exam.timepoint, exam.liver_shift_mm)
        if shape is not None:
            out.append((finding, shape))
    return out


def placement(model: PatientModel, exam: ExamSpec, grid_name: str) -> Placement:
    return place_grid(exam.grids[grid_name], model.anatomy, FOV_CENTRE[exam.kind], exam.liver_shift_mm[2])


def exam_dir_name(exam: ExamSpec) -> str:
    return f"{exam.date}_{'CT' if exam.kind == 'ct' else 'MR'}"


def exam_uids(seed: int, model: PatientModel, exam: ExamSpec) -> tuple[str, str]:
    pid = model.spec.patient_id
    return uid(seed, pid, exam.kind, exam.date, "study"), uid(seed, pid, exam.kind, exam.date, "for")


def series_uid(seed: int, model: PatientModel, exam: ExamSpec, series: SeriesSpec) -> str:
    return uid(seed, model.spec.patient_id, exam.date, series.number, "series")


def series_dir(out: Path, model: PatientModel, exam: ExamSpec, series: SeriesSpec) -> Path:
    return out / model.spec.patient_id / exam_dir_name(exam) / f"{series.number:03d}_{folder_name(series.description)}"


def instance_index(exam: ExamSpec, series: SeriesSpec, key: str, k: int, n: int) -> int:
    """0-based instance position (InstanceNumber - 1) of slice ``k`` (ascending z) of ``key``."""
    block = series.keys.index(key)
    return block * n + slice_order(exam, n).index(k)


def sop_uid(seed: int, model: PatientModel, exam: ExamSpec, series: SeriesSpec, index: int) -> str:
    return uid(seed, model.spec.patient_id, exam.date, series.number, "image", index)


def slice_order(exam: ExamSpec, n: int) -> list[int]:
    """Indices of the slices (ascending z) in instance order: CT and GE from the top."""
    down = exam.kind == "ct" or exam.vendor == "GE"
    return list(range(n - 1, -1, -1)) if down else list(range(n))
