"""A blinded two-reader study of the sample data, read by two simulated readers through the study API.

    python -m analysis.study_sample [--sample sample_dicom] --out study.lesionlab [--seed 5]

Set-up as a coordinator would: the sample reading (reader ``sample``, the ground truth's read) is
copied, each exam pair gets its CT <-> MRI alignment (here from the ground truth's frame offsets and
liver shifts, where registration would propose it), and :data:`DEFINITION` is set up with
``lesionlab study``'s API: readers R1 and R2, an MRI session, then a CT session after a washout.

Each simulated reader takes :meth:`Study.next_case` until nothing opens, jumping the study clock
over the washout when it is what they wait for, and reads each case through the blinded case
reading (:mod:`annotation.reading`) with reader noise
(:func:`analysis.agreement_sample.simulate_series_read`: lengths +-N(0, 1.2 mm), centres moved,
some marks dropped or added, a few measurements not visible) and one missed lesion per session.
What was simulated is returned, so tests can say what the analysis must find.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.agreement_sample import SimulationTally, simulate_series_read
from analysis.agreement_store import stack_geometries
from annotation.project import Project
from annotation.reading import Reading
from annotation.records import Alignment, Measurement
from annotation.store import ReadingStore
from annotation.study import StudyDefinition, definition_from_mapping
from annotation.study_store import Study
from annotation.vocab import AlignmentSource
from viewer.errors import LesionlabError
from viewer.geometry import StackGeometry

TRUTH_READER = "sample"
WASHOUT_DAYS = 14
DEFINITION = {
    "study_id": "sample-mri-then-ct", "may_go_back": False, "readers": ["R1", "R2"], "adjudicator": "consensus",
    "sessions": [{"name": "MRI", "roles": ["mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal"]},
                 {"name": "CT", "roles": ["ct_arterial", "ct_portal"], "washout_days": WASHOUT_DAYS}],
}


class StudyClock:
    """The study's "now": starts at the real time, moves on by the hour per case and over washouts."""

    def __init__(self) -> None:
        self.now = _dt.datetime.now(_dt.timezone.utc)

    def __call__(self) -> _dt.datetime:
        return self.now


@dataclass
class SimulatedStudy:
    store: Path
    definition: StudyDefinition
    #: reader -> (patient, pair, truth lesion id, role) each reader measured
    measured: dict[str, set[tuple[str, str, str, str]]] = field(default_factory=dict)
    #: reader -> (patient, pair, session, truth lesion id) of the lesions each reader recorded
    recorded: dict[str, set[tuple[str, str, str, str]]] = field(default_factory=dict)
    #: reader -> (session, code) in the order read
    read_order: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    washouts_waited: int = 0


def sample_alignments(sample_dir: str | Path) -> list[Alignment]:
    """MRI -> CT of each sample patient: the translation the ground truth's exam offsets and liver
    shifts give (a liver point's MRI position minus its CT position is the same for every lesion)."""
    out = []
    for path in sorted(Path(sample_dir, "ground_truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        exams = {e["exam_id"]: e for e in truth["exams"]}
        ct, mr = exams.get("ct"), exams.get("mr")
        if ct is None or mr is None:
            continue
        t = [c_off + c_sh - m_off - m_sh for c_off, c_sh, m_off, m_sh in
             zip(ct["offset_from_body_mm"], ct["liver_shift_mm"], mr["offset_from_body_mm"], mr["liver_shift_mm"])]
        out.append(Alignment(truth["patient_id"], ct["frame_of_reference_uid"], mr["frame_of_reference_uid"],
                             (1, 0, 0, t[0], 0, 1, 0, t[1], 0, 0, 1, t[2]), AlignmentSource.CONFIRMED, "coordinator",
                             "from the sample's ground truth"))
    return out


def build_sample_study(sample_dir: str | Path, truth_store: str | Path, out_store: str | Path, *, seed: int = 5,
                       clock: StudyClock | None = None) -> SimulatedStudy:
    """Copy the sample reading, set the study up, and let R1 and R2 read it (see the module docstring)."""
    out = Path(out_store)
    if out.exists():
        raise LesionlabError("exists already", where=str(out), advice="choose a new file for the study store")
    shutil.copyfile(truth_store, out)
    clock = clock or StudyClock()
    geometries = stack_geometries(sample_dir, workers=1)
    with ReadingStore.open(out) as store:
        truth = store.load()
        coordinator = Reading(truth, reader="coordinator", sink=store)
        with coordinator.batch("alignments of the sample's exam pairs"):
            for alignment in sample_alignments(sample_dir):
                coordinator.set_alignment(alignment)
        cases = [{"patient_id": pid, "exam_pair_id": eid} for pid, eid in sorted(truth.exam_pairs)]
        definition = definition_from_mapping({**DEFINITION, "seed": seed, "cases": cases}, "sample study")
        study = Study.init(store, definition, clock=clock)
        sim = SimulatedStudy(out, definition)
        for number, reader in enumerate(definition.readers, start=1):
            rng = np.random.default_rng([seed, number])
            _read_all(study, reader, truth, geometries, rng, clock, sim)
    return sim


def _read_all(study: Study, reader: str, truth: Project, geometries: dict[str, StackGeometry],
              rng: np.random.Generator, clock: StudyClock, sim: SimulatedStudy) -> None:
    d = study.definition
    missed: dict[str, set[tuple[str, ...]]] = {s.name: set() for s in d.sessions}
    for s in d.sessions:  # one lesion missed per session
        roles = set(s.roles)
        seen = sorted(les.key for les in truth.lesions.values() if roles & set(les.measurements()))
        missed[s.name].add(seen[int(rng.integers(len(seen)))])
    sim.measured[reader], sim.recorded[reader], sim.read_order[reader] = set(), set(), []
    while True:
        nxt = study.next_case(reader)
        if nxt.case is None:
            if "washout" not in nxt.message:
                return
            clock.now += _dt.timedelta(days=d.sessions[-1].washout_days, hours=1)
            sim.washouts_waited += 1
            continue
        case = study.open_case(reader, nxt.case.session, nxt.case.code)
        session = d.session(nxt.case.session)
        lesions = [les for les in truth.lesions_of(*case.pair, TRUTH_READER)
                   if les.key not in missed[session.name]
                   and any(isinstance(les.observation(r), Measurement) for r in session.roles)]
        tally = SimulationTally()
        r = case.reading
        with r.batch(f"{reader} reads {nxt.case.code} ({session.name})"):
            ids = {les.key: r.add_lesion(case.pair, les.lobe, les.segment, f"read of {les.lesion_id}")
                   for les in lesions}
            for role in session.roles:
                simulate_series_read(r, truth, case.pair, role, TRUTH_READER, lesions, ids, geometries, rng, tally,
                                     not_visible_rate=0.05, length_sd_mm=1.2, centre_sd_mm=1.0,
                                     mark_miss_rate=0.08, extra_mark_rate=0.25)
        study.finish(case)
        clock.now += _dt.timedelta(hours=1)
        sim.measured[reader] |= set(tally.measured_keys)
        sim.recorded[reader] |= {(*case.pair, session.name, les.lesion_id) for les in lesions}
        sim.read_order[reader].append((session.name, nxt.case.code))


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=root / "sample_dicom")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    sim = build_sample_study(args.sample, args.sample / "reading.lesionlab", args.out, seed=args.seed)
    for reader, order in sim.read_order.items():
        print(f"{reader}: read {', '.join(f'{c} ({s})' for s, c in order)}; {len(sim.measured[reader])} measurements")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
