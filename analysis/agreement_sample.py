"""A two-reader study of the sample data: the sample reading plus a simulated second reader.

    python -m analysis.agreement_sample [--sample sample_dicom] --out two_readers.lesionlab [--seed 11]

The second reader reads the same exam pairs through the Reading API on the real stack geometries
(indexed from the sample DICOM), seeded:

- misses ``missed_lesions`` of the first reader's measured lesions entirely, and calls a few
  other measurements not visible (``not_visible_rate`` per series);
- redraws every other measurement with reader noise: length ± N(0, ``length_sd_mm``) (95 % within
  about ±2.5 mm), centre moved N(0, ``centre_sd_mm``) in-plane, axis turned up to ±10°, same slice;
- counts each series like the first reader, clicks first, then measures (a measurement counts its
  lesion on that series: the store places a mark at the line's middle): a lesion it calls not
  visible is not counted, any other first-reader mark is dropped with ``mark_miss_rate`` or clicked
  a pixel or two away, and a mark on a lesion the first reader did not count is added with
  ``extra_mark_rate`` per series (at least 30 mm from every first-reader mark); the series' count
  status is the first reader's.

What was simulated is returned (:class:`TwoReaderSummary`), so tests can say what the agreement
analysis must find without copying numbers.
"""

from __future__ import annotations

import argparse
import math
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotation.project import Project
from annotation.reading import Reading
from annotation.records import Lesion, Measurement, NotVisible, Observation
from annotation.store import ReadingStore
from annotation.vocab import CountStatus
from viewer.errors import LesionlabError
from viewer.geometry import StackGeometry
from viewer.records import READING_ROLES, Role

SECOND_READER = "second"
#: Farther than this from every first-reader mark, an added mark is another lesion.
EXTRA_MARK_DISTANCE_MM = 30.0


@dataclass(frozen=True)
class TwoReaderSummary:
    first_reader: str
    second_reader: str
    missed_lesions: tuple[tuple[str, str, str], ...]  # (patient, pair, first reader's lesion id)
    not_visible: tuple[tuple[str, str, str, str], ...]  # (patient, pair, lesion id, role) measured by first only
    measured_by_both: dict[str, int] = field(default_factory=dict)  # role -> lesions
    marks_both: dict[str, int] = field(default_factory=dict)  # role -> count marks kept
    marks_first_only: dict[str, int] = field(default_factory=dict)  # role -> dropped
    marks_second_only: dict[str, int] = field(default_factory=dict)  # role -> added


def _redraw(m: Measurement, geo: StackGeometry, rng: np.random.Generator, length_sd_mm: float,
            centre_sd_mm: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """New endpoints (pixels) of a noisy second reading of measurement ``m``."""
    rs, cs = m.row_spacing_mm, m.column_spacing_mm
    vec = np.array([(m.p2[0] - m.p1[0]) * rs, (m.p2[1] - m.p1[1]) * cs])  # (row, col) in mm
    length = float(np.hypot(*vec))
    angle = math.atan2(vec[0], vec[1]) + math.radians(float(rng.uniform(-10, 10)))
    new_length = max(3.0, length + float(rng.normal(0, length_sd_mm)))
    centre = np.array([(m.p1[0] + m.p2[0]) / 2 * rs, (m.p1[1] + m.p2[1]) / 2 * cs]) + rng.normal(0, centre_sd_mm, 2)
    half = new_length / 2 * np.array([math.sin(angle), math.cos(angle)])
    limit = np.array([(geo.rows - 0.5) * rs, (geo.columns - 0.5) * cs])
    p1, p2 = np.clip(centre - half, 0, limit), np.clip(centre + half, 0, limit)
    return (float(p1[0] / rs), float(p1[1] / cs)), (float(p2[0] / rs), float(p2[1] / cs))


def _far_point(geo: StackGeometry, k: int, others: list[np.ndarray], rng: np.random.Generator,
               near: tuple[float, float]) -> tuple[float, float] | None:
    """A pixel 30-60 mm from ``near`` and farther than EXTRA_MARK_DISTANCE_MM from ``others``."""
    for _ in range(50):
        angle = float(rng.uniform(0, 2 * math.pi))
        dist = float(rng.uniform(EXTRA_MARK_DISTANCE_MM, 2 * EXTRA_MARK_DISTANCE_MM))
        rs, cs = geo.pixel_spacing_mm or (1.0, 1.0)
        row, col = near[0] + dist * math.sin(angle) / rs, near[1] + dist * math.cos(angle) / cs
        if not (0 <= row <= geo.rows - 1 and 0 <= col <= geo.columns - 1):
            continue
        p = geo.index_to_patient(k, row, col)
        if all(np.linalg.norm(p - o) > EXTRA_MARK_DISTANCE_MM for o in others):
            return row, col
    return None


@dataclass
class SimulationTally:
    """What a simulated read did (lesion ids are the first reader's)."""

    not_visible: list[tuple[str, str, str, str]] = field(default_factory=list)
    measured_keys: list[tuple[str, str, str, str]] = field(default_factory=list)  # (patient, pair, lesion, role)
    measured: Counter[str] = field(default_factory=Counter)
    marks_both: Counter[str] = field(default_factory=Counter)
    first_only: Counter[str] = field(default_factory=Counter)
    second_only: Counter[str] = field(default_factory=Counter)


def simulate_series_read(reading: Reading, project: Project, pair: tuple[str, str], role: Role, first: str,
                 lesions: list[Lesion], ids: dict[tuple[str, str, str, str], str],
                 geometries: dict[str, StackGeometry], rng: np.random.Generator, tally: SimulationTally, *,
                 not_visible_rate: float, length_sd_mm: float, centre_sd_mm: float, mark_miss_rate: float,
                 extra_mark_rate: float) -> None:
    """A simulated reader's read of one series after ``first``'s read of it (in ``project``): count
    clicks first, then the measurements (a measurement counts its lesion on that series: the store
    places a mark at its middle). ``ids``: first reader's lesion key -> the simulated reader's id."""
    plan: dict[str, tuple[Lesion, Observation | None]] = {}  # first reader's lesion id -> (lesion, what)
    for les in lesions:
        obs = les.observation(role)
        if les.key not in ids or obs is None:
            continue
        if isinstance(obs, Measurement) and rng.random() < not_visible_rate:
            plan[les.lesion_id] = (les, None)  # seen by the first reader only
            tally.not_visible.append((*pair, les.lesion_id, role.value))
        else:
            plan[les.lesion_id] = (les, obs)
    measured = {lid for lid, (_, obs) in plan.items() if isinstance(obs, Measurement)}
    unseen = {lid for lid, (_, obs) in plan.items() if obs is None}
    marks = sorted((m for m in project.marks_of(*pair, first) if m.role is role), key=lambda m: m.mark_id)
    for mark in marks:
        if mark.lesion_id in measured:
            tally.marks_both[role.value] += 1  # the second reader's measurement counts it
        elif mark.lesion_id in unseen or rng.random() < mark_miss_rate:
            tally.first_only[role.value] += 1
        else:
            geo = geometries[mark.stack_key]
            row = float(np.clip(mark.row + rng.normal(0, 1.0), 0, geo.rows - 1))
            col = float(np.clip(mark.col + rng.normal(0, 1.0), 0, geo.columns - 1))
            reading.add_count_mark(pair, role, mark.lobe, stack_key=mark.stack_key, slice_index=mark.slice_index,
                                   row=row, col=col, sop_instance_uid=mark.sop_instance_uid,
                                   frame_number=mark.frame_number)
            tally.marks_both[role.value] += 1
    if marks and rng.random() < extra_mark_rate:
        base = marks[int(rng.integers(len(marks)))]
        geo = geometries[base.stack_key]
        others = [geo.index_to_patient(m.slice_index, m.row, m.col) for m in marks]
        point = _far_point(geo, base.slice_index, others, rng, (base.row, base.col))
        if point is not None:
            reading.add_count_mark(pair, role, base.lobe, stack_key=base.stack_key, slice_index=base.slice_index,
                                   row=point[0], col=point[1], sop_instance_uid=base.sop_instance_uid,
                                   frame_number=base.frame_number)
            tally.second_only[role.value] += 1
    for lid, (les, obs) in plan.items():
        new_id = ids[les.key]
        if obs is None:
            reading.set_observation(pair, new_id, role, NotVisible("simulated miss"))
        elif not isinstance(obs, Measurement):
            reading.set_observation(pair, new_id, role, obs)
        else:
            geo = geometries[obs.stack_key]
            p1, p2 = _redraw(obs, geo, rng, length_sd_mm, centre_sd_mm)
            reading.measure(pair, new_id, role, geo, obs.stack_key, obs.series_instance_uid, obs.slice_index, p1, p2,
                            sop_instance_uid=obs.sop_instance_uid, sop_class_uid=obs.sop_class_uid,
                            instance_number=obs.instance_number, frame_number=obs.frame_number)
            tally.measured[role.value] += 1
            tally.measured_keys.append((*pair, les.lesion_id, role.value))
    status = project.count_status(*pair, first, role)
    if status is not CountStatus.NOT_READ:
        reading.set_count_status(pair, role, status)


def build_two_reader_store(sample_dir: str | Path, first_store: str | Path, out_store: str | Path, *,
                           seed: int = 11, missed_lesions: int = 2, not_visible_rate: float = 0.05,
                           length_sd_mm: float = 1.2, centre_sd_mm: float = 1.0, mark_miss_rate: float = 0.08,
                           extra_mark_rate: float = 0.25, second_reader: str = SECOND_READER) -> TwoReaderSummary:
    """Copy ``first_store`` (one reader) to ``out_store`` and add a simulated second reader's read."""
    from analysis.agreement_store import stack_geometries  # noqa: PLC0415 - indexes the DICOM

    rng = np.random.default_rng(seed)
    geometries = stack_geometries(sample_dir, workers=1)
    out = Path(out_store)
    if out.exists():
        raise LesionlabError("exists already", where=str(out), advice="choose a new file for the two-reader store")
    shutil.copyfile(first_store, out)
    with ReadingStore.open(out) as store:
        project = store.load()
        readers = sorted({les.reader for les in project.lesions.values()})
        if len(readers) != 1:
            raise LesionlabError(f"expected a one-reader store, found readers {readers}", where=str(first_store))
        first = readers[0]
        reading = Reading(project, reader=second_reader, sink=store)
        lesions = sorted(project.lesions.values(), key=lambda les: (les.key[:2], les.number))
        missed = {les.key for les in (lesions[i] for i in rng.choice(len(lesions), missed_lesions, replace=False))}
        tally = SimulationTally()
        with reading.batch(f"simulated second reader ({second_reader}, seed {seed})"):
            ids = {les.key: reading.add_lesion(les.key[:2], les.lobe, les.segment,
                                               f"simulated read of {first} {les.lesion_id}")
                   for les in lesions if les.key not in missed}
            for pair in sorted(project.exam_pairs):
                for role in READING_ROLES:
                    simulate_series_read(reading, project, pair, role, first, [les for les in lesions if les.key[:2] == pair],
                                 ids, geometries, rng, tally, not_visible_rate=not_visible_rate,
                                 length_sd_mm=length_sd_mm, centre_sd_mm=centre_sd_mm,
                                 mark_miss_rate=mark_miss_rate, extra_mark_rate=extra_mark_rate)
        store.seal()
    return TwoReaderSummary(first, second_reader, tuple(sorted(k[:2] + k[3:] for k in missed)),
                            tuple(tally.not_visible), dict(tally.measured), dict(tally.marks_both),
                            dict(tally.first_only), dict(tally.second_only))


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=root / "sample_dicom")
    parser.add_argument("--reading", type=Path, default=None, help="one-reader store (default SAMPLE/reading.lesionlab)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    s = build_two_reader_store(args.sample, args.reading or args.sample / "reading.lesionlab", args.out, seed=args.seed)
    print(f"{args.out}: readers {s.first_reader} and {s.second_reader}; {len(s.missed_lesions)} lesions missed, "
          f"{len(s.not_visible)} measurements not visible, {sum(s.measured_by_both.values())} measured by both, "
          f"count marks {sum(s.marks_both.values())} both / {sum(s.marks_first_only.values())} first only / "
          f"{sum(s.marks_second_only.values())} second only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
