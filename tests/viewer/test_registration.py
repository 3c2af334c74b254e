"""viewer.registration on synthetic exams: known rigid transforms recovered, unrelated images
refused, cancellation and the time limit honoured, the records' conventions.

The phantom is analytic (an abdomen of ellipsoids and cylinders in body mm), so the moving exam is
rendered exactly at ``x_body = R x_moving + t`` and the true proposal is [R | t] itself, with no
resampling error in the ground truth.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from viewer.errors import GeometryError, ValidationError
from viewer.geometry import StackGeometry
from viewer.records import Role, StackInfo
from viewer.registration import (AlignmentProposal, Focus, Outcome, RegistrationParams, propose_alignment,
                                 registration_stack, rotation_angle_deg)
from viewer.registration.prepare import block_factors, block_mean, coarse_image, prepare
from viewer.testing import make_stack

AXIAL_IOP = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

# (tissue, CT HU, MRI signal): a portal-phase CT and a fat-suppressed T1 portal MRI.
TISSUES = {"air": (-1000, 0), "fat": (-100, 25), "muscle": (50, 140), "liver": (110, 330), "spleen": (120, 260),
           "kidney": (170, 300), "bone": (500, 90), "vessel": (170, 420), "lung": (-850, 5), "lesion": (55, 520),
           "hepatic": (150, 380)}
CODE = {name: i for i, name in enumerate(TISSUES)}


def _ellipsoid(p: np.ndarray, c: tuple[float, ...], r: tuple[float, ...]) -> np.ndarray:
    x, y, z = p
    return np.asarray(((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2 <= 1)


def _cylinder(p: np.ndarray, c: tuple[float, float], r: tuple[float, float]) -> np.ndarray:
    x, y, _ = p
    return np.asarray(((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 <= 1)


def _tube(p: np.ndarray, a: tuple[float, float, float], b: tuple[float, float, float], r: float) -> np.ndarray:
    """Points within ``r`` of the segment a-b (a vessel)."""
    d = np.asarray(b, float) - np.asarray(a, float)
    t = np.clip(sum((p[i] - a[i]) * d[i] for i in range(3)) / float(d @ d), 0, 1)
    return np.asarray(sum((p[i] - a[i] - t * d[i]) ** 2 for i in range(3)) <= r * r)


# Right and left liver; portal and hepatic veins inside it (segments, mm), radius 5 and 4 mm.
LIVER = [((-60.0, -5.0, -5.0), (75.0, 70.0, 95.0)), ((20.0, -40.0, 30.0), (55.0, 35.0, 45.0))]
PORTAL = [((-15.0, 15.0, -10.0), (-90.0, -20.0, 15.0)), ((-15.0, 15.0, -10.0), (-50.0, 10.0, 55.0)),
          ((-15.0, 15.0, -10.0), (25.0, -45.0, 35.0))]
HEPATIC = [((-20.0, 40.0, 75.0), (-85.0, 5.0, 30.0)), ((-20.0, 40.0, 75.0), (15.0, -25.0, 60.0))]


def _liver(p: np.ndarray) -> np.ndarray:
    return np.asarray(_ellipsoid(p, *LIVER[0]) | _ellipsoid(p, *LIVER[1]))


def tissue_of(p: np.ndarray, liver_shift: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """Tissue code (CODE) per body-mm point, ``p`` = (x, y, z) arrays, LPS: the liver on the right
    (x < 0), the spine behind (y > 0), lung bases above the liver's dome. The liver, its vessels
    and its lesions are displaced by ``liver_shift`` against the rest (breathing)."""
    q = p - np.asarray(liver_shift, np.float32).reshape(3, *([1] * (p.ndim - 1)))
    out = np.zeros(p.shape[1:], np.int8)
    body = _cylinder(p, (0, 0), (165, 125))
    out[body] = CODE["fat"]
    out[body & ~_cylinder(p, (0, 0), (150, 110))] = CODE["muscle"]  # wall, with the fat inside it
    inner = _cylinder(p, (0, 5), (140, 100))
    out[inner] = CODE["fat"]
    out[inner & (p[2] > 70) & ~_liver(q)] = CODE["lung"]
    for c, r, t in [((75, 45, -10), (35, 28, 55), "spleen"), ((-65, 60, -70), (24, 20, 45), "kidney"),
                    ((70, 60, -75), (24, 20, 45), "kidney"), ((10, -30, -60), (45, 20, 30), "muscle")]:
        out[_ellipsoid(p, c, r)] = CODE[t]
    liver = _liver(q)
    out[liver] = CODE["liver"]
    for a, b in PORTAL:
        out[liver & _tube(q, a, b, 5.0)] = CODE["vessel"]
    for a, b in HEPATIC:
        out[liver & _tube(q, a, b, 4.0)] = CODE["hepatic"]
    out[_cylinder(p, (0, 85), (20, 18))] = CODE["bone"]
    out[_cylinder(p, (18, 55), (11, 11))] = CODE["vessel"]
    out[_cylinder(p, (-20, 50), (12, 10)) & _ellipsoid(p, (-20, 50, 0), (30, 30, 200))] = CODE["vessel"]
    for c, r in LESIONS:
        out[_ellipsoid(q, c, (r, r, r))] = CODE["lesion"]
    return out


LESIONS = [((-85.0, -30.0, 30.0), 14.0), ((-30.0, 25.0, -40.0), 9.0), ((-60.0, -45.0, -55.0), 17.0),
           ((-20.0, -20.0, 60.0), 7.0)]


@dataclass(frozen=True)
class Exam:
    """A Volume-like exam: array, geometry, units."""

    array: np.ndarray
    geometry: StackGeometry
    units: str


def rotation(rx_deg: float, ry_deg: float, rz_deg: float) -> np.ndarray:
    ax, ay, az = (math.radians(a) for a in (rx_deg, ry_deg, rz_deg))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    return np.asarray(rz @ ry @ rx)


def render(ct: bool, *, origin: tuple[float, float, float], shape: tuple[int, int, int],
           pixel_mm: tuple[float, float], slice_mm: float, to_body: np.ndarray | None = None,
           liver_shift: tuple[float, float, float] = (0.0, 0.0, 0.0), seed: int = 0,
           iop: tuple[float, ...] = AXIAL_IOP) -> Exam:
    """An exam of the phantom on a stack grid; ``to_body`` (4x4) takes the exam's patient mm to body mm."""
    n, rows, cols = shape
    r, c = np.asarray(iop[:3]), np.asarray(iop[3:])
    normal = np.cross(r, c)
    positions = [np.asarray(origin) + k * slice_mm * normal for k in range(n)]
    geo, _ = StackGeometry.from_slices(rows, cols, iop, positions, pixel_mm, slice_thickness_mm=slice_mm)
    a = np.eye(4) if to_body is None else to_body
    k, i, j = np.meshgrid(np.arange(n, dtype=np.float32), np.arange(rows, dtype=np.float32),
                          np.arange(cols, dtype=np.float32), indexing="ij")
    # body mm of voxel (k, i, j): to_body(origin + k * slice * normal + j * col_spacing * r + i * row_spacing * c)
    steps = a[:3, :3] @ np.column_stack([normal * slice_mm, r * pixel_mm[1], c * pixel_mm[0]])
    base = a[:3, :3] @ np.asarray(origin) + a[:3, 3]
    pts = np.stack([base[d] + steps[d, 0] * k + steps[d, 1] * j + steps[d, 2] * i for d in range(3)])
    lut = np.array([hu if ct else signal for hu, signal in TISSUES.values()], np.float32)
    values = lut[tissue_of(pts, liver_shift)]
    rng = np.random.default_rng(seed)
    values += rng.normal(0, 12 if ct else 10, shape).astype(np.float32)
    if ct:
        return Exam(np.clip(values, -1024, 3071).astype(np.int16), geo, "HU")
    return Exam(np.clip(values, 0, 4095).astype(np.uint16), geo, "")


def ct_exam(**kw: object) -> Exam:
    return render(True, origin=(-200.0, -160.0, -110.0), shape=(44, 128, 160), pixel_mm=(2.5, 2.5), slice_mm=5.0,
                  **kw)  # type: ignore[arg-type]


def mr_exam(to_body: np.ndarray, liver_shift: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> Exam:
    """An MRI whose frame is not the CT's: body = to_body(patient mm); the liver displaced by
    ``liver_shift`` (body mm) against the body."""
    return _mr_exam(tuple(float(v) for v in to_body.ravel()), liver_shift)


@functools.lru_cache(maxsize=8)
def _mr_exam(to_body: tuple[float, ...], liver_shift: tuple[float, float, float]) -> Exam:
    return render(False, origin=(-190.0, -150.0, 200.0), shape=(36, 96, 124), pixel_mm=(3.2, 3.1), slice_mm=5.0,
                  to_body=np.asarray(to_body).reshape(4, 4), liver_shift=liver_shift)


def propose(fixed: Exam, moving: Exam, **kw: object) -> AlignmentProposal:
    """propose_alignment, never cancelled here."""
    prop = propose_alignment(fixed, moving, **kw)  # type: ignore[arg-type]
    assert prop is not None
    return prop


def affine(rot: np.ndarray, t: tuple[float, float, float]) -> np.ndarray:
    a = np.eye(4)
    a[:3, :3], a[:3, 3] = rot, t
    return a


@pytest.fixture(scope="module")
def ct() -> Exam:
    return ct_exam()


# The MRI's frame sits 300 mm higher in z than the CT's (another table offset), shifted in x, y.
TRUE_SHIFT = (12.0, -24.0, -290.0)


class TestRecovery:
    """Moving-frame points map to fixed-frame points within 1 mm and 0.5°."""

    @staticmethod
    def check(prop: AlignmentProposal, truth: np.ndarray) -> None:
        assert prop.outcome is Outcome.PROPOSED, prop.summary()
        got = prop.affine
        err_deg = rotation_angle_deg(got[:3, :3] @ truth[:3, :3].T)
        # The error where it matters: over the liver's lesions, in the moving frame.
        inv = np.linalg.inv(truth)
        err_mm = max(np.linalg.norm(np.array(prop.apply(inv[:3, :3] @ c + inv[:3, 3])) - np.asarray(c))
                     for c, _ in LESIONS)
        assert err_deg < 0.5, (err_deg, prop.summary())
        assert err_mm < 1.0, (err_mm, prop.summary())

    def test_translation(self, ct: Exam) -> None:
        truth = affine(np.eye(3), TRUE_SHIFT)
        prop = propose(ct, mr_exam(truth))
        self.check(prop, truth)
        # what the noise test below lacks: information shared well above chance
        assert prop.mutual_information_final_nats - prop.chance_nats > 0.2

    def test_translation_and_small_rotation(self, ct: Exam) -> None:
        truth = affine(rotation(2.0, -1.5, 4.0), TRUE_SHIFT)
        prop = propose(ct, mr_exam(truth))
        self.check(prop, truth)
        assert prop.rotation_deg == pytest.approx(rotation_angle_deg(truth[:3, :3]), abs=0.5)

    def test_fixed_mri_moving_ct(self, ct: Exam) -> None:
        """The CT keeps the focus when it is the moving exam; the matrix still maps moving -> fixed."""
        truth = affine(rotation(0.0, 0.0, 3.0), TRUE_SHIFT)
        mr = mr_exam(truth)
        prop = propose(mr, ct)
        assert prop.focus is Focus.LIVER
        self.check(prop, np.linalg.inv(truth))

    def test_body_focus_also_recovers_a_rigid_body(self, ct: Exam) -> None:
        truth = affine(np.eye(3), TRUE_SHIFT)
        prop = propose(ct, mr_exam(truth), focus="body")
        assert prop.focus is Focus.BODY
        self.check(prop, truth)


class TestBreathing:
    """The liver slides 15 mm craniocaudally against the body between the exams (as LLSYN003)."""

    SHIFT = (0.0, 3.0, -15.0)

    @staticmethod
    def lesion_errors(prop: AlignmentProposal, to_body: np.ndarray, shift: tuple[float, ...]) -> np.ndarray:
        """Each lesion's MRI centre (the body point c + shift, in MRI mm) mapped into the CT, against c."""
        inv = np.linalg.inv(to_body)
        return np.array([np.linalg.norm(np.array(prop.apply(inv[:3, :3] @ (np.add(c, shift)) + inv[:3, 3]))
                                        - np.asarray(c)) for c, _ in LESIONS])

    def test_liver_focus_follows_the_liver_the_body_does_not(self, ct: Exam) -> None:
        truth = affine(rotation(0.0, 0.0, 2.0), TRUE_SHIFT)
        mr = mr_exam(truth, self.SHIFT)
        liver = propose(ct, mr)
        body = propose(ct, mr, focus="body")
        on_liver, on_body = self.lesion_errors(liver, truth, self.SHIFT), self.lesion_errors(body, truth, self.SHIFT)
        assert liver.outcome is Outcome.PROPOSED and on_liver.max() < 1.5, (on_liver.round(2), liver.summary())
        # the whole body lands between the table and the liver (about 3 mm here, 6 mm on LLSYN003)
        assert on_body.mean() > on_liver.mean() + 2.0, (on_body.round(2), body.summary())


class TestRefusal:
    def test_noise_is_refused(self, ct: Exam) -> None:
        like = mr_exam(affine(np.eye(3), TRUE_SHIFT))
        rng = np.random.default_rng(5)
        noise = Exam(rng.normal(200, 60, like.array.shape).clip(0).astype(np.uint16), like.geometry, "")
        prop = propose(ct, noise)
        assert prop.outcome is Outcome.REFUSED
        assert "share no information" in prop.reason
        assert not prop.usable

    def test_without_a_ct_the_body_is_the_focus(self) -> None:
        """Two MRIs: no CT to find the liver on; the body aligns them, and the proposal says so."""
        first = mr_exam(affine(np.eye(3), (0.0, 0.0, -290.0)))
        truth = affine(rotation(0.0, 0.0, 2.0), TRUE_SHIFT)
        prop = propose(first, mr_exam(truth))
        assert prop.focus is Focus.BODY and prop.outcome is Outcome.UNCERTAIN
        assert "no CT in the pair" in prop.reason
        # first's frame is body - (0, 0, -290): moving -> first = translate(0, 0, 290) o truth
        TestRecovery.check(replace(prop, outcome=Outcome.PROPOSED, reason=""),
                           affine(np.eye(3), (0.0, 0.0, 290.0)) @ truth)

    def test_a_liver_not_found_falls_back_to_the_body(self, ct: Exam) -> None:
        no_liver = Exam(np.where(np.abs(ct.array - 110) < 60, -100, ct.array).astype(np.int16), ct.geometry, "HU")
        prop = propose(no_liver, mr_exam(affine(np.eye(3), TRUE_SHIFT)))
        assert prop.focus is Focus.BODY
        assert "liver not found" in prop.reason
        assert prop.outcome is not Outcome.PROPOSED


class CountingEvent(threading.Event):
    """An event that turns set at its ``after``-th query: cancels at a chosen point, deterministically."""

    def __init__(self, after: int | None) -> None:
        super().__init__()
        self.after, self.queries = after, 0

    def is_set(self) -> bool:
        self.queries += 1
        return self.after is not None and self.queries >= self.after


class TestCancellation:
    def test_cancelled_before_start(self, ct: Exam) -> None:
        ev = threading.Event()
        ev.set()
        t = time.perf_counter()
        assert propose_alignment(ct, mr_exam(affine(np.eye(3), TRUE_SHIFT)), cancel=ev) is None
        assert time.perf_counter() - t < 0.5

    def test_cancelled_at_any_check(self, ct: Exam) -> None:
        mr = mr_exam(affine(np.eye(3), TRUE_SHIFT))
        probe = CountingEvent(None)
        full = propose_alignment(ct, mr, cancel=probe)
        assert full is not None
        n = probe.queries
        assert n > full.iterations  # the optimiser's observer asks at every iteration
        for after in (1, 3, n // 2, n - 2):
            assert propose_alignment(ct, mr, cancel=CountingEvent(after)) is None, after

    def test_cancelled_from_another_thread(self, ct: Exam) -> None:
        mr = mr_exam(affine(np.eye(3), TRUE_SHIFT))
        ev = threading.Event()
        out: list[object] = []
        worker = threading.Thread(target=lambda: out.append(propose_alignment(ct, mr, cancel=ev)))
        worker.start()
        time.sleep(0.1)
        ev.set()
        worker.join(timeout=30)
        assert not worker.is_alive() and out == [None]

    def test_time_limit(self, ct: Exam) -> None:
        prop = propose(ct, mr_exam(affine(np.eye(3), TRUE_SHIFT)),
                                 params=RegistrationParams(time_limit_s=1e-3))
        assert prop is not None and prop.outcome is not Outcome.PROPOSED
        assert "time limit" in prop.reason


class TestInputs:
    def test_partly_loaded_volume_is_refused(self, ct: Exam) -> None:
        @dataclass(frozen=True)
        class Partial(Exam):
            loaded: np.ndarray = field(default_factory=lambda: np.zeros(1, bool))

        half = Partial(ct.array, ct.geometry, "HU", np.arange(ct.geometry.n_slices) < 10)
        with pytest.raises(ValidationError, match="not fully loaded"):
            propose(half, ct)

    def test_too_few_slices(self, ct: Exam) -> None:
        thin = render(True, origin=(-200.0, -160.0, 0.0), shape=(2, 64, 64), pixel_mm=(5.0, 5.0), slice_mm=5.0)
        with pytest.raises(GeometryError, match="too few slices"):
            propose(ct, thin)

    def test_mask_shape_must_match(self, ct: Exam) -> None:
        with pytest.raises(ValidationError, match="shape"):
            propose(ct, ct, fixed_mask=np.ones((3, 3, 3), bool))

    def test_a_caller_mask_is_the_focus(self, ct: Exam) -> None:
        """A region of interest around the liver, given by the caller, drives the metric."""
        truth = affine(np.eye(3), TRUE_SHIFT)
        k, i, j = np.meshgrid(*(np.arange(s) for s in ct.array.shape), indexing="ij")
        pts = ct.geometry.index_to_patient(0, 0, 0) + np.stack([j * 2.5, i * 2.5, k * 5.0], axis=-1)
        roi = np.linalg.norm(pts - np.array([-40.0, -15.0, 5.0]), axis=-1) < 100  # the liver and its edge
        prop = propose(ct, mr_exam(truth), fixed_mask=roi)
        assert prop.focus is Focus.REGION
        TestRecovery.check(prop, truth)


class TestCoarseGrid:
    def test_regular_stack_uses_the_geometry_axes(self, ct: Exam) -> None:
        geo = ct.geometry
        f = block_factors(geo, 4.0)
        img = coarse_image(np.zeros((2, 2, 2), np.float32), geo, f)
        assert img.GetDirection() == pytest.approx(geo.sitk_direction())
        assert img.GetSpacing() == pytest.approx(tuple(s * k for s, k in zip(geo.sitk_spacing(), f[::-1])))
        # voxel (0, 0, 0) of the coarse grid is the centre of the first block of pixels
        centre = geo.index_to_patient((f[0] - 1) / 2, (f[1] - 1) / 2, (f[2] - 1) / 2)
        assert img.GetOrigin() == pytest.approx(tuple(centre))

    def test_sheared_stack_keeps_its_slice_step(self) -> None:
        """A gantry-tilted CT: the coarse grid's third axis follows the slices' real step."""
        pos = [(-100.0, -100.0 + 0.9 * k, 5.0 * k) for k in range(12)]
        geo, _ = StackGeometry.from_slices(40, 40, AXIAL_IOP, pos, (2.0, 2.0))
        img = coarse_image(np.zeros((12, 20, 20), np.float32), geo, (1, 2, 2))
        k, i, j = 7, 3, 5
        assert img.TransformIndexToPhysicalPoint((j, i, k)) == pytest.approx(
            tuple(geo.index_to_patient(k, 2 * i + 0.5, 2 * j + 0.5)))

    @pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.int32, np.float32])
    @pytest.mark.parametrize("factors", [(1, 5, 5), (2, 3, 4), (1, 1, 1)])
    def test_block_mean(self, dtype: type, factors: tuple[int, int, int]) -> None:
        """ITK's BinShrink (integers, means rounded) and numpy (floats) agree with the definition."""
        a = np.random.default_rng(0).integers(-50, 100, (13, 27, 31)).astype(dtype)
        n, r, c = (s // k for s, k in zip(a.shape, factors))
        want = a[:n * factors[0], :r * factors[1], :c * factors[2]].astype(float).reshape(
            n, factors[0], r, factors[1], c, factors[2]).mean(axis=(1, 3, 5))
        got = block_mean(a, factors)
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.abs(got - want).max() <= (1e-4 if dtype is np.float32 else 0.5 + 1e-6)

    def test_windowing_and_body(self, ct: Exam) -> None:
        c = prepare(ct, 4.0, "fixed")
        assert c.is_ct and c.values.min() >= -200 and c.values.max() <= 300
        assert 0.3 < c.body.mean() < 0.95  # the body, lungs filled in, not the air around it


class TestChoice:
    @staticmethod
    def key(stacks: list[StackInfo]) -> str | None:
        chosen = registration_stack(stacks)
        return None if chosen is None else chosen.key

    def test_portal_phases_first_and_the_lowest_b_value(self) -> None:
        exam = [make_stack("a", Role.MR_ADC), make_stack("t2", Role.MR_T2FS),
                make_stack("b800", Role.MR_DWI, b_value=800), make_stack("b0", Role.MR_DWI, b_value=0),
                make_stack("pre", Role.MR_T1_PRE)]
        assert self.key(exam) == "pre"
        assert self.key(exam[:4]) == "b0"
        assert self.key(exam + [make_stack("pv", Role.MR_T1_PORTAL)]) == "pv"
        assert self.key([make_stack("art", Role.CT_ARTERIAL), make_stack("pv", Role.CT_PORTAL)]) == "pv"

    def test_nothing_to_register(self) -> None:
        assert self.key([make_stack("x", Role.UNKNOWN), make_stack("thin", Role.CT_PORTAL, n_slices=2)]) is None


class TestRecords:
    def test_round_trip_and_apply(self) -> None:
        rot = rotation(1.0, 2.0, 3.0)
        m = tuple(np.hstack([rot, np.array([[1.0], [2.0], [3.0]])]).ravel())
        p = AlignmentProposal(matrix=m, outcome=Outcome.UNCERTAIN, reason="why", focus="liver",
                              mutual_information_start_nats=0.3, mutual_information_final_nats=0.5,
                              chance_nats=0.05, information_ratio=4.0, overlap_fraction=1.0, departure_mm=2.0,
                              iterations=20, elapsed_ms=300.0)
        assert AlignmentProposal.from_dict(p.to_dict()) == p
        assert p.apply((0.0, 0.0, 0.0)) == pytest.approx((1.0, 2.0, 3.0))
        assert p.rotation_deg == pytest.approx(rotation_angle_deg(rot))

    def test_not_a_rotation(self) -> None:
        base = dict(outcome="proposed", reason="", focus="body", mutual_information_start_nats=0.3,
                    mutual_information_final_nats=0.5, chance_nats=0.05, information_ratio=4.0,
                    overlap_fraction=1.0, departure_mm=2.0, iterations=20, elapsed_ms=300.0)
        with pytest.raises(ValidationError, match="rotation"):
            AlignmentProposal(matrix=(2.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0), **base)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="12"):
            AlignmentProposal(matrix=(1.0, 0, 0), **base)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="says why"):
            AlignmentProposal(matrix=(1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0),
                              **{**base, "outcome": "refused"})  # type: ignore[arg-type]

    def test_matrix_matches_the_store_convention(self) -> None:
        """The lead stores proposals as annotation.records.Alignment: same 12 numbers, same meaning."""
        from annotation.records import Alignment
        rot = rotation(0.0, 0.0, 10.0)
        m = tuple(np.hstack([rot, np.array([[5.0], [-3.0], [600.0]])]).ravel())
        prop = AlignmentProposal(matrix=m, outcome="proposed", reason="", focus="liver",
                                 mutual_information_start_nats=0.3, mutual_information_final_nats=0.5,
                                 chance_nats=0.05, information_ratio=4.0, overlap_fraction=1.0,
                                 departure_mm=2.0, iterations=20, elapsed_ms=300.0)
        stored = Alignment("P1", "1.2.3", "1.2.4", prop.matrix)
        pt = (10.0, 20.0, 30.0)
        assert stored.apply(pt) == pytest.approx(prop.apply(pt))

    def test_params_validate(self) -> None:
        with pytest.raises(ValidationError):
            RegistrationParams(shrink_factors=(2, 1), smoothing_voxels=(1.0,))
        with pytest.raises(ValidationError):
            RegistrationParams(sampling_fractions=(0.0, 0.1))
        assert replace(RegistrationParams(), grid_mm=5.0).grid_mm == 5.0
