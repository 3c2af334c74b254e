"""The three synthetic patients: body, lesions, nodes, exams, breathing, and LLSYN001's course.

Liver shifts (``liver_shift_mm`` of an exam) displace the liver with its lesions, vessels and
the hilar node against the body, as a different breath-hold does; the first CT of each patient
is the rest position. LLSYN003's MRI carries the large one (15 mm, mostly craniocaudal).

LLSYN001 is followed for a year (two CT-only timepoints after the exam pair) under two
treatment lines; its RECIST 1.1 targets are read on ``ct_portal``: L01 and L02 (two per organ
at most) and the hilar node N01 (short axis >= 15 mm); L03 and L04 are non-targets; L05 appears
at the third timepoint. followup.py states the sums and the expected responses.
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Pattern, Site
from .lesions import LesionPlan, NodePlan
from .protocols import ExamSpec, ct_exam, mr_ge, mr_siemens

H, R, N = Pattern.HOMOGENEOUS, Pattern.RIM, Pattern.NECROTIC
P, PV, HV, C = Site.PARENCHYMA, Site.PORTAL_VEIN, Site.HEPATIC_VEIN, Site.CAPSULE


@dataclass(frozen=True)
class TreatmentLine:
    line: int
    name: str
    start_date: str  # YYYYMMDD
    end_date: str | None  # None: ongoing at the last timepoint


@dataclass(frozen=True)
class FollowupSpec:
    """A patient's course: treatment lines, RECIST choices and the responses expected by design."""

    treatment_lines: tuple[TreatmentLine, ...]
    baseline_timepoint: int
    recist_role: str
    targets: tuple[str, ...]
    non_targets: tuple[str, ...]
    #: per timepoint after the baseline: (target, non-target, new lesions, overall) as designed
    expected: dict[int, tuple[str, str, bool, str]]


@dataclass(frozen=True)
class PatientSpec:
    patient_id: str
    name: str
    sex: str
    birth_date: str
    summary: str
    scale: float
    fat_mm: float
    lesions: tuple[LesionPlan, ...]
    exams: tuple[ExamSpec, ...]
    nodes: tuple[NodePlan, ...] = ()
    followup: FollowupSpec | None = None

    @property
    def timepoints(self) -> tuple[int, ...]:
        return tuple(sorted({e.timepoint for e in self.exams}))


def _plan(d: float, lobe: str, hidden=(), shown=(), pattern=H, site=P, sizes=()) -> LesionPlan:
    return LesionPlan(d, lobe, tuple(hidden), tuple(shown), pattern, site, tuple(sizes))


PATIENTS: tuple[PatientSpec, ...] = (
    PatientSpec(
        "LLSYN001", "SYNTHETIC^ALPHA", "F", "19580312",
        "few lesions, a hilar node; Siemens CT and MRI; followed a year (two more CTs)",
        scale=1.0, fat_mm=18.0,
        lesions=(
            _plan(34.0, "right", (), ("ct_arterial", "ct_portal", "mr_t2fs", "mr_t1_arterial"), N, P,
                  (34.0, 20.0, 19.0)),
            _plan(17.0, "left", (), ("ct_arterial", "ct_portal"), H, P, (17.0, 10.0, 14.0)),
            _plan(11.0, "right", (), ("ct_arterial", "ct_portal"), H, PV, (11.0, 9.0, 9.0)),
            _plan(7.5, "left", (), ("ct_arterial", "ct_portal"), H, C, (7.5, 6.5, 6.5)),
            _plan(12.0, "right", (), ("ct_arterial", "ct_portal", "mr_dwi"), H, P, (None, None, 12.0)),
        ),
        nodes=(NodePlan("N01", "hepatic hilum (portocaval)", (28.0, 12.0, -100.0), 26.0, 18.0, 20.0,
                        (18.0, 11.0, 11.0)),),
        exams=(
            ct_exam("SIEMENS", "20230314", "091204", (-0.8, 14.0, -412.5), "OMNIPAQUE 350",
                    "Arteriel  5.0  B30f", "Portale  5.0  B30f"),
            mr_siemens("20230411", "143015", (1.9, -31.0, 42.0), liver_shift_mm=(-1.0, 1.5, 6.0)),
            ct_exam("SIEMENS", "20231017", "103348", (0.6, 12.5, -431.0), "OMNIPAQUE 350",
                    "Arteriel  5.0  B30f", "Portale  5.0  B30f", timepoint=2, liver_shift_mm=(0.5, 0.5, -4.0),
                    arterial=False),
            ct_exam("SIEMENS", "20240312", "085521", (-1.4, 15.0, -398.5), "OMNIPAQUE 350",
                    "Arteriel  5.0  B30f", "Portale  5.0  B30f", timepoint=3, liver_shift_mm=(-0.5, 1.0, 3.0)),
        ),
        followup=FollowupSpec(
            treatment_lines=(
                TreatmentLine(1, "177Lu-DOTATATE (PRRT), 4 cycles", "20230425", "20230926"),
                TreatmentLine(2, "everolimus 10 mg/d", "20240328", None),
            ),
            baseline_timepoint=1, recist_role="ct_portal",
            targets=("L01", "L02", "N01"), non_targets=("L03", "L04"),
            expected={2: ("PR", "non_cr_non_pd", False, "PR"), 3: ("PR", "non_cr_non_pd", True, "PD")},
        ),
    ),
    PatientSpec(
        "LLSYN002", "SYNTHETIC^BRAVO", "M", "19630921", "many lesions; GE CT and MRI",
        scale=1.0, fat_mm=21.0,
        lesions=(
            _plan(44.0, "right", (), ("ct_arterial", "mr_t2fs", "mr_t1_arterial"), N),
            _plan(29.0, "right", (), (), R), _plan(24.0, "left", (), (), R, PV),
            _plan(21.0, "right", (), (), H, C), _plan(16.0, "right", (), (), H, HV),
            _plan(14.0, "left"), _plan(12.0, "right", (), (), H, C), _plan(10.0, "left"),
            _plan(9.0, "right", (), (), H, PV), _plan(8.0, "right"), _plan(6.5, "left"),
            _plan(5.5, "right"), _plan(4.5, "right"),
        ),
        exams=(
            ct_exam("GE", "20231102", "104530", (0.5, -22.0, -1235.0), "OMNIPAQUE 350", "ART 5mm", "PORTAL 5mm"),
            mr_ge("20231120", "081245", (-3.2, 6.5, -18.0), liver_shift_mm=(0.5, -1.0, -3.5)),
        ),
    ),
    PatientSpec(
        "LLSYN003", "SYNTHETIC^CHARLIE", "M", "19710505",
        "lesions invisible on some series; liver 15 mm lower on MRI (breathing); Siemens CT, GE MRI",
        scale=0.97, fat_mm=14.0,
        lesions=(
            _plan(26.0, "right", ("ct_portal", "mr_t2fs"), ("ct_arterial", "mr_t1_arterial"), R),
            _plan(19.0, "left", ("ct_portal",), ("ct_arterial", "mr_t2fs"), H, HV),
            _plan(15.0, "right", ("ct_arterial", "ct_portal"), ("mr_t2fs", "mr_t1_arterial")),
            _plan(12.0, "left", ("mr_t2fs", "mr_t1_portal"), ("ct_portal",), H, C),
            _plan(9.0, "right", ("ct_arterial", "ct_portal", "mr_t2fs", "mr_t1_arterial", "mr_t1_portal")),
            _plan(6.0, "right"),
            _plan(38.0, "right", (), ("ct_portal", "mr_t2fs"), N),
        ),
        exams=(
            ct_exam("SIEMENS", "20240205", "160812", (1.1, 9.5, -640.0), "IOMERON 400",
                    "Abdo ART 5.0 B30f", "Abdo PORTAL 5.0 B30f"),
            mr_ge("20240325", "110530", (0.0, -12.0, 25.5), liver_shift_mm=(2.0, 3.0, -14.56)),
        ),
    ),
)
