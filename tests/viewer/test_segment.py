"""viewer.segment on analytic phantoms: an ellipsoid lesion in a liver, rendered with partial volume
through the slice (sub-slab sampling), a Gaussian point-spread and seeded noise, on CT-, T2FS- and
DWI-like grids. The truth is the ellipse cut by the centre plane of the slice nearest the
lesion's centre (2a). Clicks land within the inner half of the lesion on a neighbouring slice.

Tolerances: 1 mm on the fine grids, 1.5 mm on 2.5 mm pixels; necrotic and rim lesions 1.5 mm;
a lesion against a vessel or the liver's edge is within 3 mm or refused, never 5 mm off.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
from scipy import ndimage as ndi

from tests.dicomgen import AXIAL_IOP, axial_positions
from viewer.geometry import StackGeometry
from viewer.segment import METHOD_NAME, Refusal, Suggestion, SuggestParams, suggest_diameter

SLICE_MM = 5.0
N_SLICES = 7
SUB = 8  # sub-planes per slice


@dataclass
class Phantom:
    array: np.ndarray
    geometry: StackGeometry
    loaded: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.loaded = np.ones(self.array.shape[0], bool)


@dataclass(frozen=True)
class Lesion:
    a_mm: float = 10.0
    b_mm: float = 7.0
    c_mm: float = 9.0
    rotation_deg: float = 30.0
    contrast: float = 60.0
    centre_z_mm: float = 1.0  # slice 3 is at z = 0
    core_fraction: float = 0.0  # necrotic core (of the size), value ``core``
    core: float = 0.0
    rim_mm: float = 0.0  # a rim this thick, ``rim_gain`` of the contrast, inside it ``interior_gain``
    rim_gain: float = 1.7
    interior_gain: float = 0.5
    centre_xy_mm: tuple[float, float] = (0.0, 0.0)

    def truth_mm(self) -> float:
        z = SLICE_MM * round(self.centre_z_mm / SLICE_MM)
        return 2 * self.a_mm * math.sqrt(max(0.0, 1 - ((z - self.centre_z_mm) / self.c_mm) ** 2))

    def click(self, rng: np.random.Generator, geo: StackGeometry, k: int) -> tuple[float, float]:
        s = math.sqrt(max(0.0, 1 - ((SLICE_MM * (k - 3) - self.centre_z_mm) / self.c_mm) ** 2))
        u, t = 0.5 * math.sqrt(rng.uniform()), rng.uniform(0, 2 * math.pi)
        th = math.radians(self.rotation_deg)
        lx, ly = u * self.a_mm * s * math.cos(t), u * self.b_mm * s * math.sin(t)
        x = self.centre_xy_mm[0] + lx * math.cos(th) - ly * math.sin(th)
        y = self.centre_xy_mm[1] + lx * math.sin(th) + ly * math.cos(th)
        r, c = geo.pixel_on_slice((x, y, SLICE_MM * (k - 3)), k)
        return float(r), float(c)


def render(lesion: Lesion, spacing: tuple[float, float] = (0.742, 0.742), size: int = 160, noise: float = 10.0,
           psf_mm: float = 0.6, liver: float = 100.0, seed: int = 0, extra=None) -> Phantom:  # type: ignore[no-untyped-def]
    """The volume (slices, rows, cols): liver + lesion (+ ``extra(x, y, z) -> (mask, value)``)."""
    rs, cs = spacing
    rows, cols = size, size
    y = (np.arange(rows) - rows / 2) * rs
    x = (np.arange(cols) - cols / 2) * cs
    yy, xx = np.meshgrid(y, x, indexing="ij")
    th = math.radians(lesion.rotation_deg)
    u = (xx - lesion.centre_xy_mm[0]) * math.cos(th) + (yy - lesion.centre_xy_mm[1]) * math.sin(th)
    v = -(xx - lesion.centre_xy_mm[0]) * math.sin(th) + (yy - lesion.centre_xy_mm[1]) * math.cos(th)
    rng = np.random.default_rng(seed)
    out = np.empty((N_SLICES, rows, cols), np.float32)
    for k in range(N_SLICES):
        acc = np.zeros((rows, cols))
        for j in range(SUB):
            z = SLICE_MM * (k - 3) + ((j + 0.5) / SUB - 0.5) * SLICE_MM
            w = (z - lesion.centre_z_mm) / lesion.c_mm
            r = np.sqrt((u / lesion.a_mm) ** 2 + (v / lesion.b_mm) ** 2 + w ** 2)
            plane = np.full((rows, cols), liver)
            if extra is not None:
                mask, value = extra(xx, yy, z)
                plane[mask] = value
            gain = np.ones_like(r)
            if lesion.rim_mm:
                gain = np.where(r > 1 - lesion.rim_mm / lesion.b_mm, lesion.rim_gain, lesion.interior_gain)
            plane = np.where(r <= 1, liver + lesion.contrast * gain, plane)
            if lesion.core_fraction:
                plane = np.where(r <= lesion.core_fraction, lesion.core, plane)
            acc += plane
        img = ndi.gaussian_filter(acc / SUB, (psf_mm / rs, psf_mm / cs))
        noise_field = ndi.gaussian_filter(rng.standard_normal((rows, cols)), 1.0)
        out[k] = img + noise * noise_field / noise_field.std()
    geo, _ = StackGeometry.from_slices(rows, cols, AXIAL_IOP, axial_positions(N_SLICES, SLICE_MM, origin=(
        float(x[0]), float(y[0]), -3 * SLICE_MM)), spacing)
    return Phantom(out, geo)


def suggest(lesion: Lesion, phantom: Phantom, k: int = 4, seed: int = 1) -> Suggestion | Refusal:
    return suggest_diameter(phantom, k, lesion.click(np.random.default_rng(seed), phantom.geometry, k))


class TestLesionAppearances:
    @pytest.mark.parametrize("contrast", [60.0, -45.0])
    def test_ct_grid_hyper_and_hypo_from_a_neighbouring_slice(self, contrast: float) -> None:
        """Six noise draws and orientations: the mean error within 0.5 mm, none beyond 1.5 mm."""
        errors = []
        for seed in range(6):
            lesion = Lesion(contrast=contrast, rotation_deg=30.0 * seed)
            s = suggest(lesion, render(lesion, noise=8.0, seed=seed), seed=seed)
            assert isinstance(s, Suggestion), s
            assert s.slice_index == 3  # the slice the lesion fills most, not the one clicked
            assert s.params["side"] == ("brighter" if contrast > 0 else "darker")
            errors.append(s.diameter_mm - lesion.truth_mm())
        assert np.mean(np.abs(errors)) <= 0.5 and np.max(np.abs(errors)) <= 1.5, errors

    @pytest.mark.parametrize(("a", "b", "angle"), [(10.0, 10.0, 0.0), (10.0, 7.0, 30.0), (10.0, 5.0, 60.0),
                                                   (20.0, 14.0, 100.0), (5.0, 4.0, 10.0), (7.0, 5.0, 10.0)])
    def test_noise_free_sections_are_measured_to_half_a_millimetre(self, a: float, b: float, angle: float) -> None:
        """No bias of the method's own: a sharp elliptical section (the lesion as tall as the stack,
        so the section is the same on every slice; drawn by pixel centres, so its edge steps by up
        to half a pixel), clicked at its centre. Such a column is refused as running through the
        slices like a vessel (``tube_extent``, tested below): off here."""
        lesion = Lesion(a_mm=a, b_mm=b, c_mm=400.0, rotation_deg=angle, centre_z_mm=0.0)
        phantom = render(lesion, noise=0.05, psf_mm=0.01)
        s = suggest_diameter(phantom, 3, phantom.geometry.pixel_on_slice((0.0, 0.0, 0.0), 3), SuggestParams(tube_extent=0.0))
        assert isinstance(s, Suggestion), s
        assert s.diameter_mm == pytest.approx(2 * a, abs=0.5)

    @pytest.mark.parametrize(("spacing", "size", "centre", "angle"), [((0.742, 0.742), 160, (0.37, -0.29), 20.0),
                                                                    ((2.5, 2.5), 60, (1.1, -0.9), 65.0),
                                                                    ((1.2692, 1.1875), 110, (-0.5, 0.6), 120.0)])
    def test_the_line_lies_on_the_lesions_long_axis(self, spacing: tuple[float, float], size: int,
                                                    centre: tuple[float, float], angle: float) -> None:
        """The line's ends are the ellipse's: its own centre (which lies off the pixel the rays start
        from) plus and minus its semi-major axis. A sharp 20 x 12 mm section centred off the pixel
        grid: the line's midpoint within a quarter of a pixel of the lesion's centre (0.06-0.37 mm; v2-v9
        drew it from the rays' starting pixel: 1.2, 4.2 and 1.9 mm off here, and 2.9 mm towards the
        liver on a b800 lesion of the sample, which a reader's check under Xvfb found), along the long
        axis within 5 degrees (the 8-pixel staircase of the 2.5 mm grid tilts its ellipse by 4.6)."""
        lesion = Lesion(a_mm=10.0, b_mm=6.0, c_mm=400.0, rotation_deg=angle, centre_z_mm=0.0, centre_xy_mm=centre,
                        contrast=200.0)
        phantom = render(lesion, spacing=spacing, size=size, noise=0.05, psf_mm=0.01)
        geo = phantom.geometry
        want = geo.pixel_on_slice((centre[0], centre[1], 0.0), 3)
        s = suggest_diameter(phantom, 3, want, SuggestParams(tube_extent=0.0))
        assert isinstance(s, Suggestion), s
        mid = ((s.p1[0] + s.p2[0]) / 2.0, (s.p1[1] + s.p2[1]) / 2.0)
        off = math.hypot((mid[0] - want[0]) * spacing[0], (mid[1] - want[1]) * spacing[1])
        assert off <= max(spacing) / 4.0, (mid, want, off)
        along = math.degrees(math.atan2((s.p2[0] - s.p1[0]) * spacing[0], (s.p2[1] - s.p1[1]) * spacing[1]))
        assert abs((along - angle + 90.0) % 180.0 - 90.0) <= 5.0, along

    def test_non_square_t2fs_pixels(self) -> None:
        lesion = Lesion(a_mm=12.0, b_mm=8.0, rotation_deg=70.0, contrast=250.0)
        s = suggest(lesion, render(lesion, spacing=(1.2692, 1.1875), size=110, noise=11.0, liver=200.0))
        assert isinstance(s, Suggestion), s
        assert s.diameter_mm == pytest.approx(lesion.truth_mm(), abs=1.0)

    def test_coarse_dwi_pixels(self) -> None:
        lesion = Lesion(a_mm=9.0, b_mm=7.5, contrast=90.0)
        s = suggest(lesion, render(lesion, spacing=(2.5, 2.5), size=60, noise=8.0, psf_mm=1.5, liver=120.0))
        assert isinstance(s, Suggestion), s
        assert s.diameter_mm == pytest.approx(lesion.truth_mm(), abs=1.5)

    def test_necrotic_lesion_clicked_in_its_core(self) -> None:
        """A bright shell round a dark core (b800, CT arterial): the click on the core measures the lesion."""
        lesion = Lesion(a_mm=15.0, b_mm=12.0, c_mm=13.0, core_fraction=0.55, core=40.0, contrast=80.0)
        phantom = render(lesion, noise=8.0)
        s = suggest_diameter(phantom, 3, phantom.geometry.pixel_on_slice((0.0, 0.0, 0.0), 3))
        assert isinstance(s, Suggestion), s
        assert s.diameter_mm == pytest.approx(lesion.truth_mm(), abs=1.5)

    def test_necrotic_core_in_a_faint_shell_is_refused_not_measured_as_the_core(self) -> None:
        """Portal phase: a fluid core (20) inside a shell only 25-30 below the liver (100), under CT
        noise. Growing from the core stops at the shell (too faint to grow into), and the core's
        diameter is 17-22 mm short; the shell beyond the core's edge is what says the lesion goes
        on: refused (or, when the shell is found, measured within 3 mm)."""
        from viewer.segment.slice2d import FAINTER_SHELL
        from viewer.segment.suggest import IRREGULAR

        refused = 0
        for contrast, seed in [(-30.0, s) for s in range(6)] + [(-25.0, s) for s in range(6)]:
            lesion = Lesion(a_mm=20.0, b_mm=16.0, c_mm=18.0, core_fraction=0.5, core=20.0, contrast=contrast,
                            rotation_deg=30.0 * seed)
            phantom = render(lesion, noise=25.0 if contrast < -25 else 28.0, seed=seed)
            s = suggest_diameter(phantom, 3, phantom.geometry.pixel_on_slice((2.0, 1.0, 0.0), 3))
            if isinstance(s, Refusal):  # the shell beyond the core, or a shell found with no elliptical edge
                assert s.reason.startswith((FAINTER_SHELL, IRREGULAR)), s.reason
                refused += 1
            else:
                assert abs(s.diameter_mm - lesion.truth_mm()) <= 3.0, (contrast, seed, s.diameter_mm)
        assert refused >= 8  # the shell is rarely found at this contrast: the rule is what keeps the core out

    def test_necrotic_core_in_a_faint_enhancing_rim_is_mostly_refused(self) -> None:
        """Arterial phase in a mottled liver: a fluid core (30) inside a shell only 30-35 above the
        liver (100), under heavy noise. Growing from the core stops at the shell, on the other side
        of the liver (too faint to grow into), and the core's diameter is ~20 mm short. The level
        just outside the core's edge, 1.5 SD of the liver or more beyond it on the other side, is
        what says the lesion goes on: refused. A known limit, and one reason CT is not offered: in
        a draw where the rim just outside stands out less, the core is still measured."""
        from viewer.segment.slice2d import OPPOSITE_RIM

        refused, as_core_without = 0, 0
        for (contrast, noise), seed in [((35.0, 30.0), s) for s in range(6)] + [((30.0, 25.0), s) for s in range(6)]:
            lesion = Lesion(a_mm=20.0, b_mm=16.0, c_mm=18.0, core_fraction=0.5, core=30.0, contrast=contrast,
                            rotation_deg=30.0 * seed)
            phantom = render(lesion, noise=noise, seed=seed)
            at = phantom.geometry.pixel_on_slice((2.0, 1.0, 0.0), 3)
            s = suggest_diameter(phantom, 3, at)
            refused += isinstance(s, Refusal) and s.reason.startswith(OPPOSITE_RIM)
            without = suggest_diameter(phantom, 3, at, SuggestParams(opposite_rim_sd=1e3))
            as_core_without += isinstance(without, Suggestion) and without.diameter_mm < lesion.truth_mm() - 15.0
        assert as_core_without >= 10  # the failure the rule is for
        assert refused >= 9, refused

    def test_the_shell_rule_leaves_plain_lesions_alone_under_the_same_noise(self) -> None:
        for seed in range(6):
            lesion = Lesion(a_mm=12.0, b_mm=9.0, c_mm=10.0, contrast=-60.0, rotation_deg=30.0 * seed)
            s = suggest(lesion, render(lesion, noise=25.0, seed=seed), seed=seed)
            assert isinstance(s, Suggestion), s
            assert abs(s.diameter_mm - lesion.truth_mm()) <= 2.0

    def test_rim_lesion(self) -> None:
        lesion = Lesion(a_mm=13.0, b_mm=10.0, c_mm=11.0, rim_mm=2.5, contrast=40.0)
        s = suggest(lesion, render(lesion, noise=6.0))
        assert isinstance(s, Suggestion), s
        assert s.diameter_mm == pytest.approx(lesion.truth_mm(), abs=1.5)

    def test_repeatability_of_ten_clicks(self) -> None:
        lesion = Lesion()
        phantom = render(lesion, noise=8.0)
        ds = []
        for seed in range(10):
            s = suggest(lesion, phantom, k=4 if seed % 2 else 3, seed=seed)
            assert isinstance(s, Suggestion), s
            ds.append(s.diameter_mm)
        assert max(ds) - min(ds) <= 1.0


def test_t2fs_reads_its_edges_a_quarter_of_a_pixel_in_and_so_less_short() -> None:
    """T2 FS read its lesions short (bench, four realisations: bias -0.23 mm; rim lesions, their rim
    dimmer than the interior, -0.9 mm) with the edge's levels read from a pixel in; a quarter of a
    pixel (``local_edge_gap_px``, app.suggester, v12) reads them longer: on a T2 FS grid (blur 0.6 mm,
    5 mm slab) a plain lesion and a rim lesion (rim 0.75, interior 1.15 of the contrast), six noise
    draws each, every one nearer the truth than before and within 1 mm. On b800 both stay within
    half its 2.5 mm pixel; there the rim lesion still reads about 0.4 mm longer than the plain one (on the bench rim
    lesions carry +1.1 mm of DWI - T2 FS: a limit of the method, measured and said in the README)."""
    from app.suggester import params_for
    from viewer.records import Role

    cases = ((Role.MR_T2FS, (1.2692, 1.1875), 0.6, 0.75, 1.15, 110, 100.0), (Role.MR_DWI, (2.5, 2.5), 1.5, 1.3, 0.8, 56, 80.0))
    for role, spacing, psf, rim, interior, size, contrast in cases:
        p = params_for(role)
        assert p.local_edge_gap_px == 0.25
        for with_rim in (False, True):
            for seed in range(6):
                kw = dict(rim_mm=3.0, rim_gain=rim, interior_gain=interior) if with_rim else {}
                lesion = Lesion(a_mm=13.0, b_mm=11.5, c_mm=12.0, rotation_deg=25.0 * seed, contrast=contrast,
                                centre_z_mm=0.0, **kw)  # type: ignore[arg-type]
                ph = render(lesion, spacing=spacing, size=size, psf_mm=psf, noise=5.0, seed=seed)
                at = lesion.click(np.random.default_rng(seed), ph.geometry, 3)
                now, before = suggest_diameter(ph, 3, at, p), suggest_diameter(ph, 3, at, replace(p, local_edge_gap_px=1.0))
                assert isinstance(now, Suggestion) and isinstance(before, Suggestion), (role, now, before)
                err, err_before = now.diameter_mm - lesion.truth_mm(), before.diameter_mm - lesion.truth_mm()
                assert abs(err) <= (1.0 if role is Role.MR_T2FS else 1.25), (role, with_rim, seed, err)
                if role is Role.MR_T2FS:
                    assert err_before < err <= 0.5, (with_rim, seed, err_before, err)


class TestHardNeighbours:
    def test_against_a_brighter_vessel_within_3_mm_or_refused(self) -> None:
        lesion = Lesion(contrast=50.0)
        vessel = lambda x, y, z: (np.abs(y - 0.4 * x - 8.0) < 3.0, 190.0)  # noqa: E731 - a 6 mm tube
        s = suggest(lesion, render(lesion, noise=8.0, extra=vessel))
        assert isinstance(s, Refusal) or abs(s.diameter_mm - lesion.truth_mm()) <= 3.0, s

    def test_against_a_brighter_vein_cross_section_within_3_mm_or_refused(self) -> None:
        """A vein's cross-section twice as contrasted as the lesion, pressed against it (taken in,
        8 mm too long, before the ellipse consensus)."""
        lesion = Lesion(contrast=50.0)
        vein = lambda x, y, z: ((x - 4.0) ** 2 + (y - 12.0) ** 2 < 30.0, 200.0)  # noqa: E731 - 11 mm across
        s = suggest(lesion, render(lesion, noise=8.0, extra=vein))
        assert isinstance(s, Refusal) or abs(s.diameter_mm - lesion.truth_mm()) <= 3.0, s

    def test_a_lesion_merged_with_a_vein_going_on_past_its_end_is_refused_with_ct_arterials_past_end(self) -> None:
        """A 10 mm lesion on two 5 mm slices (CT's grid and noise) pressed against a vein as bright as it that
        runs on through the slices, its section 6 mm across overlapping the lesion's edge: on three of six noise
        draws the lesion was measured with the vein's section on its end slice, +5.0 to +6.3 mm. On the slice
        beyond that end the vein goes on round one end of the line, liver round the other: refused since v15 where
        ``past_end`` is set (CT arterial's 0.55); the draws measured right stay as they were."""
        lesion = Lesion(a_mm=5.3, b_mm=4.8, c_mm=5.5, rotation_deg=0.0, contrast=60.0, centre_z_mm=2.0)
        vein = lambda x, y, z: ((x - 7.0) ** 2 + y ** 2 <= 9.0, 160.0)  # noqa: E731 - along the stack, as bright
        params = SuggestParams(max_leak_measured=0.25)  # CT arterial's (app.suggester), but ``past_end``
        long, kept = 0, 0
        for seed in range(6):
            phantom = render(lesion, noise=14.0, seed=seed, extra=vein)
            at = lesion.click(np.random.default_rng(seed), phantom.geometry, 3)
            before = suggest_diameter(phantom, 3, at, params)
            after = suggest_diameter(phantom, 3, at, replace(params, past_end=0.55))
            if isinstance(before, Suggestion) and before.diameter_mm - lesion.truth_mm() > 3.0:
                long += 1
                assert isinstance(after, Refusal) and "past the lesion's end" in after.reason, after
                assert after.params["past_end_share"] >= 0.55, after.params
            elif isinstance(before, Suggestion):
                kept += 1
                assert isinstance(after, Suggestion) and after.diameter_mm == before.diameter_mm, after
                assert abs(after.diameter_mm - lesion.truth_mm()) <= 1.5 and after.params["past_end_share"] < 0.55
        assert long >= 3 and kept >= 2, (long, kept)
        with pytest.raises(ValueError, match="past_end"):
            SuggestParams(past_end=1.5)
        for bad in ({"raw_shell": 1.0}, {"raw_shell": -0.1}, {"steady_step": 0.0}, {"steady_px": -1.0}):
            with pytest.raises(ValueError, match="raw_shell|steady"):
                SuggestParams(**bad)  # type: ignore[arg-type]

    def test_at_the_liver_edge_within_3_mm_or_refused(self) -> None:
        lesion = Lesion(contrast=50.0, centre_xy_mm=(0.0, 0.0))
        fat = lambda x, y, z: (y > 6.0, -100.0)  # noqa: E731 - the capsule cuts the lesion's side
        s = suggest(lesion, render(lesion, noise=8.0, extra=fat))
        assert isinstance(s, Refusal) or abs(s.diameter_mm - lesion.truth_mm()) <= 3.0, s

    @pytest.mark.parametrize("noise", [8.0, 20.0])
    def test_at_the_liver_edge_where_the_window_holds_more_background_than_liver(self, noise: float) -> None:
        """b800 on 2.5 mm pixels, a lesion 3 mm from the liver's edge: the 10 cm window holds more of
        the dark background than of the liver, whose histogram peak is then the background's; the
        region grown against it is the whole liver and ran out of the window (refused as a leak on
        every draw). Against the liver's own peak: measured, within 3 mm (a draw whose click is on
        the lesion's tip once gave +22.6 mm while the liver's noise was read off its narrow peak)."""
        errors, refused = [], 0
        for seed in range(12):
            lesion = Lesion(a_mm=9.0, b_mm=7.5, c_mm=9.0, contrast=160.0, rotation_deg=30.0 * seed)
            background = lambda x, y, z: ((x > 12.0) | (x < -25.0), 20.0)  # noqa: E731 - 63 % of the window
            phantom = render(lesion, spacing=(2.5, 2.5), size=60, noise=noise, psf_mm=1.5, liver=120.0, seed=seed,
                             extra=background)
            s = suggest(lesion, phantom, seed=seed)
            if isinstance(s, Refusal):
                refused += 1
                continue
            assert s.params["liver_peak"] == "other" and s.params["liver_mode"] > 90, s.params
            errors.append(s.diameter_mm - lesion.truth_mm())
        assert refused <= 1 and np.mean(np.abs(errors)) <= 1.0 and np.max(np.abs(errors)) <= 3.0, (refused, errors)

    def test_a_vessel_as_bright_as_a_large_lesion_is_not_taken_for_the_liver(self) -> None:
        """A 50 mm lesion and a vessel as bright as it, running out of the window: the region runs
        out with it, and the histogram has a peak of lesion and vessel between the liver and the
        click. Taken for the liver, it cut the lesion to its brighter half (-29 mm); the liver's
        own peak is kept (the vessel then lengthens the lesion by 4-5 mm on these 2.5 mm pixels, a
        known limit: viewer/README.md)."""
        for seed in range(2):
            lesion = Lesion(a_mm=25.0, b_mm=20.0, c_mm=22.5, contrast=60.0, rotation_deg=47.0)
            vessel = lambda x, y, z: (np.abs(y - 24.5) < 3.5, 160.0)  # noqa: E731
            s = suggest(lesion, render(lesion, spacing=(2.5, 2.5), size=60, noise=8.0, psf_mm=1.5, seed=seed,
                                       extra=vessel), seed=seed)
            assert isinstance(s, Refusal) or (s.params["liver_peak"] == "main"
                                              and abs(s.diameter_mm - lesion.truth_mm()) < 5.0), s

    def test_a_lesion_on_the_other_side_than_the_series_says_is_refused(self) -> None:
        """``lesion_side``: on T2 FS and b800 a metastasis is brighter than the liver; a dark structure
        clicked there (a vessel's flow void) is refused, a bright one measured as before."""
        dark, bright = Lesion(contrast=-45.0), Lesion(contrast=60.0)
        for lesion, side, refused in ((dark, 1, True), (dark, -1, False), (dark, 0, False), (bright, 1, False),
                                      (bright, -1, True)):
            phantom = render(lesion, noise=8.0)
            at = lesion.click(np.random.default_rng(1), phantom.geometry, 4)
            s = suggest_diameter(phantom, 4, at, SuggestParams(lesion_side=side))
            assert isinstance(s, Refusal) == refused, (lesion.contrast, side, s)
            assert s.params["lesion_side"] == side, s.params  # the rule applied, in the record
            if refused:
                assert "than the liver" in s.reason, s
            else:  # the side the lesion was found on, beside it
                assert s.params["side"] == ("brighter" if lesion.contrast > 0 else "darker"), s.params
        with pytest.raises(ValueError, match="lesion_side"):
            SuggestParams(lesion_side=2)
        # a dark structure whose edge no ellipse fits is refused for its side first, the reason that
        # tells the reader it is not a lesion of this series (a code review: "irregular" on 3 of 4 draws)
        flat = Lesion(a_mm=1.0, b_mm=1.0, c_mm=1.0, contrast=0.0, centre_z_mm=0.0)

        def void(xx, yy, z):  # type: ignore[no-untyped-def]
            return (np.abs(xx) <= 8) & (np.abs(yy) <= 8) & (abs(z) <= 8), 40.0
        for seed in range(4):
            phantom = render(flat, noise=10.0, seed=seed, extra=void)
            s = suggest_diameter(phantom, 3, phantom.geometry.pixel_on_slice((1.0, 1.0, 0.0), 3),
                                 SuggestParams(lesion_side=1, max_leak_measured=0.08))
            assert isinstance(s, Refusal) and "is darker than the liver" in s.reason, s

    def test_a_lesion_under_min_pixels_across_on_few_slices_is_refused(self) -> None:
        """``min_pixels_across`` (the window sets 5.5 on b800): an 8 mm lesion on 2.5 mm pixels (3 pixels)
        seen on fewer than ``small_slices`` slices is refused, saying its size in pixels; off (0),
        it is measured; a 20 mm one is measured either way."""
        for a_mm, refused in ((4.0, True), (10.0, False)):
            lesion = Lesion(a_mm=a_mm, b_mm=0.8 * a_mm, c_mm=min(a_mm, 4.0), contrast=150.0)
            phantom = render(lesion, spacing=(2.5, 2.5), size=60, noise=8.0, psf_mm=1.5, liver=120.0)
            at = lesion.click(np.random.default_rng(1), phantom.geometry, 3)
            on = suggest_diameter(phantom, 3, at, SuggestParams(min_pixels_across=5.0))
            off = suggest_diameter(phantom, 3, at, SuggestParams())
            assert isinstance(off, Suggestion), off
            assert isinstance(on, Refusal) == refused, (a_mm, on)
            if refused:
                assert "too small on this series for its edge (" in on.reason and "on 2 slices;" in on.reason, on.reason
        with pytest.raises(ValueError, match="min_pixels_across"):
            SuggestParams(min_pixels_across=-1.0)

    def test_a_small_lesion_on_two_slices_is_measured_on_its_ellipse_as_found(self) -> None:
        """``uncorrected_px`` (the window sets 4.9 on b800, with ``min_pixels_across`` 5.5): a lesion under the size
        limit found on two slices is measured on its ellipse as found, the smoothing's shift (step 10) not given
        back, when that is under ``uncorrected_px`` pixels (and from ``uncorrected_from_px``: T1 arterial 4.0 to 7.5);
        the record says so (``uncorrected``) and its line is
        that length. Found on one slice, or longer than that, it is refused as before."""
        lesion = Lesion(a_mm=5.5, b_mm=4.0, c_mm=5.0, contrast=90.0, centre_z_mm=1.0)
        phantom = render(lesion, spacing=(2.5, 2.5), size=60, noise=10.0, psf_mm=1.5, liver=120.0, seed=5)
        at = lesion.click(np.random.default_rng(5), phantom.geometry, 3)
        b800 = SuggestParams(lesion_side=1, min_pixels_across=5.5, few_slices_sd=4.0, local_edge_gap_px=0.25)
        refused = suggest_diameter(phantom, 3, at, b800)
        assert isinstance(refused, Refusal) and "on 2 slices;" in refused.reason, refused
        corrected = suggest_diameter(phantom, 3, at, replace(b800, min_pixels_across=0.0))
        s = suggest_diameter(phantom, 3, at, replace(b800, uncorrected_px=5.5))
        assert isinstance(s, Suggestion) and isinstance(corrected, Suggestion), (s, corrected)
        assert s.params["uncorrected"] is True and len(s.params["diameters_by_slice_mm"]) == 2, s.params
        assert s.diameter_mm == pytest.approx(s.params["diameters_by_slice_mm"][str(s.slice_index)], abs=0.01)
        assert s.diameter_mm == pytest.approx(s.params["suggested_diameter_mm"], abs=1e-3)
        line = math.hypot((s.p1[0] - s.p2[0]) * 2.5, (s.p1[1] - s.p2[1]) * 2.5)
        assert line == pytest.approx(s.diameter_mm, abs=1e-6)
        assert corrected.diameter_mm - s.diameter_mm > 0.5, (corrected.diameter_mm, s.diameter_mm)
        assert abs(s.diameter_mm - lesion.truth_mm()) < 0.5 < abs(corrected.diameter_mm - lesion.truth_mm())
        shorter = suggest_diameter(phantom, 3, at, replace(b800, uncorrected_px=0.9 * s.diameter_mm / 2.5))
        assert isinstance(shorter, Refusal) and "too small on this series for its edge (" in shorter.reason, shorter
        longer = suggest_diameter(phantom, 3, at, replace(b800, uncorrected_px=5.5, down_to_px=0.0,
                                                          uncorrected_from_px=1.1 * s.diameter_mm / 2.5))
        assert isinstance(longer, Refusal) and "too small on this series for its edge (" in longer.reason, longer
        thin = Lesion(a_mm=5.0, b_mm=4.0, c_mm=2.5, contrast=150.0)  # one slice: nothing says how much of it the slab holds
        phantom = render(thin, spacing=(2.5, 2.5), size=60, noise=8.0, psf_mm=1.5, liver=120.0, seed=0)
        one = suggest_diameter(phantom, 3, thin.click(np.random.default_rng(0), phantom.geometry, 3),
                               replace(b800, uncorrected_px=5.5))
        assert isinstance(one, Refusal) and "on 1 slice;" in one.reason, one
        for bad in ({"uncorrected_px": -1.0}, {"uncorrected_from_px": float("nan")}):
            with pytest.raises(ValueError, match="uncorrected_(from_)?px"):
                SuggestParams(**bad)

    def test_what_is_faint_as_a_whole_on_few_slices_is_refused(self) -> None:
        """``few_slices_sd`` (the window sets 4.0 on b800): found on fewer than ``small_slices`` slices,
        an outline over whose diameter's disc the image stands out from the liver by less than that
        many SDs is refused, saying so. A 4.7 mm lesion whose outline the noise lengthened to 10.5 mm
        (+5.8) holds mostly liver there (2.6 SDs); 19.4 mm lesions on the same 2.5 mm pixels and slices
        stand out by 10 SDs or more and are measured."""
        from viewer.segment.suggest import FAINT_WHOLE

        tiny = Lesion(a_mm=2.5, b_mm=2.0, c_mm=3.0, contrast=150.0)
        phantom = render(tiny, spacing=(2.5, 2.5), size=60, noise=8.0, psf_mm=1.5, liver=120.0, seed=2)
        at = tiny.click(np.random.default_rng(1), phantom.geometry, 3)
        off = suggest_diameter(phantom, 3, at, SuggestParams())
        assert isinstance(off, Suggestion) and off.diameter_mm > tiny.truth_mm() + 5.0, off
        on = suggest_diameter(phantom, 3, at, SuggestParams(few_slices_sd=4.0))
        assert isinstance(on, Refusal) and on.reason.startswith(FAINT_WHOLE), on
        assert "10.5 mm across on 1 slice, standing out by" in on.reason and on.params["stands_out_sd"] < 3.0, on.reason
        for seed in range(3):
            lesion = Lesion(a_mm=10.0, b_mm=8.0, c_mm=4.0, contrast=150.0)
            phantom = render(lesion, spacing=(2.5, 2.5), size=60, noise=8.0, psf_mm=1.5, liver=120.0, seed=seed)
            s = suggest_diameter(phantom, 3, lesion.click(np.random.default_rng(1), phantom.geometry, 3),
                                 SuggestParams(few_slices_sd=4.0))
            assert isinstance(s, Suggestion) and s.params["stands_out_sd"] >= 10.0, s
            assert abs(s.diameter_mm - lesion.truth_mm()) <= 1.5, s.diameter_mm
        with pytest.raises(ValueError, match="few_slices_sd"):
            SuggestParams(few_slices_sd=-1.0)

    def test_a_section_no_ellipse_fits_is_refused_as_irregular(self) -> None:
        """A square section (16 mm sides, 22.6 mm across its corners): the rays' own outline measures
        it (20.1 mm on two of four noise draws), but an outline no ellipse fits is refused -- on the
        sample and held-out CT arterial such outlines were 2.6 mm long on average, 12 of them over 5 mm."""
        from viewer.segment.suggest import IRREGULAR

        lesion = Lesion(a_mm=1.0, b_mm=1.0, c_mm=1.0, contrast=0.0, centre_z_mm=0.0)  # nothing but the square

        def square(xx, yy, z):  # type: ignore[no-untyped-def]
            return (np.abs(xx) <= 8) & (np.abs(yy) <= 8) & (abs(z) <= 8), 160.0
        for seed in (0, 3):
            phantom = render(lesion, noise=10.0, seed=seed, extra=square)
            at = phantom.geometry.pixel_on_slice((1.0, 1.0, 0.0), 3)
            s = suggest_diameter(phantom, 3, at)
            assert isinstance(s, Refusal) and s.reason.startswith(IRREGULAR), s
            assert "no ellipse fits the edge found within 10% of its short axis" in s.reason
            kept = suggest_diameter(phantom, 3, at, SuggestParams(refuse_irregular=False))
            assert isinstance(kept, Suggestion) and kept.params["boundary"] == "outline", kept

    def test_a_bilobed_lesion_on_t2fs_is_refused_where_the_series_says_so(self) -> None:
        """An 18 mm lesion with a 12 mm lobe beside it (26 mm across both) on a T2 FS grid: the
        consensus ellipse takes the main lobe for the lesion and the lobe for a leak (18.5 mm, 15 % of
        the rays off it). Where vessels are dark and lesions bright (T2 FS, b800), what leaves the
        ellipse on more than 8 % of the rays is refused."""
        from viewer.segment.suggest import BEYOND_ELLIPSE

        lesion = Lesion(a_mm=9.0, b_mm=9.0, c_mm=9.0, contrast=60.0, centre_z_mm=0.0)

        def lobe(xx, yy, z):  # type: ignore[no-untyped-def]
            return (xx - 11.0) ** 2 + yy ** 2 + z ** 2 <= 36.0, 160.0
        phantom = render(lesion, spacing=(1.2692, 1.1875), size=100, noise=5.0, psf_mm=1.0, extra=lobe)
        at = phantom.geometry.pixel_on_slice((-3.0, 0.0, 0.0), 3)
        short = suggest_diameter(phantom, 3, at, SuggestParams(lesion_side=1))
        assert isinstance(short, Suggestion) and short.diameter_mm < 20.0 and short.params["leaked_rays"] > 0.1, short
        s = suggest_diameter(phantom, 3, at, SuggestParams(lesion_side=1, max_leak_measured=0.08))
        assert isinstance(s, Refusal) and s.reason.startswith(BEYOND_ELLIPSE), s
        assert "its edge leaves the ellipse on 15% of the rays" in s.reason
        with pytest.raises(ValueError, match="max_leak_measured"):
            SuggestParams(max_leak_measured=1.5)

    def test_a_lesion_joined_to_a_vein_section_as_bright_is_refused_by_the_waist_between_them(self) -> None:
        """LLSYN001 L03 on T1 arterial, analytic: a 10.6 mm lesion pressed against a 5-6 mm vein's section as
        bright as it, the vein running obliquely through the slices. On some noise draws one ellipse spans
        both (15-17 mm, +4.5 to +6.3), its rays off it (7-14 %, under T1 arterial's 12 % limit on some) all
        cutting in at the waist between them; measured right, none cut in. Over 5 % cutting in is refused
        (v11) and every draw is within 3 mm or refused: on the slice clicked, and clicked on the lesion's tip
        (a review's case: the full slice refused, the tip's looser levels had measured both, +4.6 mm)."""
        from viewer.segment.suggest import SPLITS

        lesion = Lesion(a_mm=5.3, b_mm=5.3, c_mm=5.3, contrast=60.0, centre_z_mm=0.0, rotation_deg=0.0)
        t1_arterial = SuggestParams(max_leak_measured=0.12)
        spanned = refused = right = 0
        for y, r, seed in [(8.0, 3.0, s) for s in range(7)] + [(7.5, 3.0, 4), (7.5, 2.5, 2)]:
            def vein(xx, yy, z, y=y, r=r):  # type: ignore[no-untyped-def]
                return (xx - 0.3 * z) ** 2 + (yy - y) ** 2 <= r * r, 160.0
            phantom = render(lesion, spacing=(1.4, 1.4), size=100, noise=6.0, psf_mm=1.0, extra=vein, seed=seed)
            for k in (3, 2):
                at = phantom.geometry.pixel_on_slice((0.0, 0.0, 5.0 * (k - 3)), k)
                s = suggest_diameter(phantom, k, at, replace(t1_arterial, max_inward_measured=0.05))
                assert isinstance(s, Refusal) or abs(s.diameter_mm - lesion.truth_mm()) <= 3.0, (y, r, seed, k, s)
                if k != 3:
                    continue
                before = suggest_diameter(phantom, k, at, t1_arterial)
                if isinstance(before, Suggestion) and before.diameter_mm - lesion.truth_mm() > 3.0:
                    spanned += 1
                    assert before.params["leaked_inward"] == before.params["leaked_rays"] >= 0.06, before.params
                    refused += isinstance(s, Refusal) and s.reason.startswith(f"{SPLITS}: its edge cuts into the ellipse")
                elif isinstance(before, Suggestion):
                    right += 1
                    assert before.params["leaked_inward"] < 0.03 and isinstance(s, Suggestion), before.params
        assert spanned >= 2 and refused == spanned and right >= 2, (spanned, refused, right)
        # a second check's: clicked on the tip's slice, the full slice refused as joining two structures; with
        # no limits on the ellipse (as on CT portal) the tip's levels measured lesion and vein, +6.0 mm
        def vein8(xx, yy, z):  # type: ignore[no-untyped-def]
            return (xx - 0.3 * z) ** 2 + (yy - 8.0) ** 2 <= 9.0, 160.0
        phantom = render(lesion, spacing=(1.4, 1.4), size=100, noise=6.0, psf_mm=1.0, extra=vein8, seed=7)
        s = suggest_diameter(phantom, 4, phantom.geometry.pixel_on_slice((0.0, 0.0, 5.0), 4), SuggestParams())
        assert isinstance(s, Refusal) or abs(s.diameter_mm - lesion.truth_mm()) <= 3.0, s
        with pytest.raises(ValueError, match="max_inward_measured"):
            SuggestParams(max_inward_measured=-0.1)

    def test_plain_liver_is_refused_with_the_reason(self) -> None:
        lesion = Lesion(contrast=0.0)
        s = suggest_diameter(render(lesion, noise=8.0), 3, (80.0, 80.0))
        assert isinstance(s, Refusal) and "no contrast" in s.reason
        assert s.params["method"] == METHOD_NAME

    def test_a_click_on_liver_beside_a_vessel_says_the_clicks_own_level(self) -> None:
        """A click on plain liver 4 mm from a large bright vessel (a tube through the slices): refused, and the
        refusal gives the click's own level, not the vessel's (a check read "no contrast at the click
        (129 against the liver's 73)")."""
        def tube(xx, yy, z):  # type: ignore[no-untyped-def]
            return (xx - 12.0) ** 2 + yy ** 2 <= 64.0, 180.0
        phantom = render(Lesion(contrast=0.0), noise=6.0, extra=tube, seed=3)
        s = suggest_diameter(phantom, 3, phantom.geometry.pixel_on_slice((0.0, 0.0, 0.0), 3), SuggestParams())
        assert isinstance(s, Refusal) and "no contrast at the click (" in s.reason, s
        at = float(s.reason.split("no contrast at the click (")[1].split(" ")[0])
        assert abs(at - 100.0) < 20.0 and "is not round it" in s.reason, s.reason

    def test_a_click_outside_the_image_or_an_unloaded_slice_is_refused(self) -> None:
        lesion = Lesion()
        phantom = render(lesion, size=80)
        assert isinstance(suggest_diameter(phantom, 3, (-5.0, 10.0)), Refusal)
        phantom.loaded[3] = False
        s = suggest_diameter(phantom, 3, (40.0, 40.0))
        assert isinstance(s, Refusal) and "not loaded" in s.reason


class TestRecords:
    def test_suggestion_params_are_json_and_name_the_method(self) -> None:
        import json

        lesion = Lesion()
        s = suggest(lesion, render(lesion, noise=8.0))
        assert isinstance(s, Suggestion)
        back = json.loads(json.dumps(s.params))
        assert back["method"] == METHOD_NAME and back["smooth_mm"] == SuggestParams().smooth_mm
        assert back["boundary"] == "ellipse"  # an elliptical lesion's boundary is its fitted ellipse
        assert 0 < s.confidence <= 1 and s.params["clicked_slice"] == 4
        # the levels came from the slice clicked, a full one (not the lesion's tip): not measured again
        assert back["levels_from_slice"] == 4 and back["levels_from_tip"] is None
        assert back["diameters_by_slice_mm"][str(s.slice_index)] == pytest.approx(s.diameter_mm, abs=1.0)

    def test_validation(self) -> None:
        with pytest.raises(ValueError, match="smooth_mm"):
            SuggestParams(smooth_mm=0.0)
        with pytest.raises(ValueError, match="ring_mm"):
            SuggestParams(ring_mm=(3.0, 2.0))
        with pytest.raises(ValueError, match="rim_beyond"):
            SuggestParams(rim_beyond=1.5)
        for gap in (-0.1, 1.0):  # b800's 0.08 (v16): a fraction of the outline at the slice's own levels
            with pytest.raises(ValueError, match="own_levels_gap"):
                SuggestParams(own_levels_gap=gap)
        for name in ("one_slice_from_px", "one_slice_neighbours", "one_slice_faint_below_px", "one_slice_faint_sd",
                     "one_slice_plateau"):  # b800's 3.6 pixels and 0.9 (v18, v20), 4.1 pixels, 5 SDs and 0.52 (v20)
            with pytest.raises(ValueError, match=name):
                SuggestParams(**{name: -0.1})
            with pytest.raises(ValueError, match=name):
                SuggestParams(**{name: float("nan")})
        with pytest.raises(ValueError, match="one_slice_plateau"):
            SuggestParams(one_slice_plateau=1.0)  # a share of the peak's contrast: under 1
        for name, value in (("one_slice_faint_below_px", 4.1), ("one_slice_faint_sd", 5.0), ("one_slice_plateau", 0.52)):
            with pytest.raises(ValueError, match="need few_slices_sd"):  # alone they did nothing (a review, session 43)
                SuggestParams(**{name: value})
            assert SuggestParams(**{name: value}, few_slices_sd=4.0)
        for share in (-0.1, 1.5):  # T1 portal's 0.5 (v17): a fraction of the fullness of the section given up
            with pytest.raises(ValueError, match="joined_fullness"):
                SuggestParams(joined_fullness=share)
        for ratio in (-1.0, 0.5, float("nan")):  # b800's 2.0 (v21): the section given up against the one measured
            with pytest.raises(ValueError, match="joined_again"):
                SuggestParams(joined_again=ratio)
        for step, px in ((0.0, 2.0), (1.0, 2.0), (0.2, -1.0)):  # T1 portal's 0.2 and 2 pixels (v17)
            with pytest.raises(ValueError, match="steady_far_step"):
                SuggestParams(steady_far_step=step, steady_far_px=px)
        with pytest.raises(ValueError, match="confidence"):
            Suggestion(0, (0.0, 0.0), (1.0, 1.0), 1.0, 1.5, {})
        with pytest.raises(ValueError, match="says why"):
            Refusal("", {})

    def test_a_512_slice_is_quick(self) -> None:
        """The goal is 150 ms (make bench measures it quietly); here a loose bound on a shared machine."""
        lesion = Lesion()
        phantom = render(lesion, size=512, noise=8.0)
        suggest(lesion, phantom)
        t0 = time.perf_counter()
        suggest(lesion, phantom)
        assert time.perf_counter() - t0 < 1.0


def test_beyond_leaves_out_rays_without_a_radius_or_leaving_the_window() -> None:
    """What lies beyond a boundary is read only on rays that have an edge and stay in the window."""
    from viewer.segment.levels import Levels
    from viewer.segment.around import _beyond

    sm = np.full((60, 60), 100.0)
    sm[20:40, 20:40] = 160.0  # a square "lesion"; beyond it, liver
    levels = Levels(1, 130.0, 100.0, 5.0, 160.0, 100.0)
    phi = 2 * math.pi * np.arange(72) / 72
    radius = np.full(72, 10.0)
    assert _beyond(sm, (30.0, 30.0), phi, radius, levels, (1.0, 1.0))[1] == pytest.approx(0.0, abs=0.05)
    assert _beyond(sm, (30.0, 30.0), phi, np.full(72, np.nan), levels, (1.0, 1.0)) == (0.0, 0.0)
    assert _beyond(sm, (30.0, 30.0), phi, np.full(72, 28.0), levels, (1.0, 1.0)) == (0.0, 0.0)  # all leave


def test_stands_out_sd_is_the_discs_mean_contrast_in_liver_sds() -> None:
    """A 6 mm disc 50 above a liver at 100 (noise SD 5 on 2.5 mm pixels): over its own disc it stands
    out by 10 liver SDs (50 / 5), over the disc twice as wide by its share of that disc; on the darker side
    (sign -1) alike."""
    from viewer.segment.levels import Levels
    from viewer.segment.around import stands_out_sd

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:80, :80]
    r_mm = np.hypot(yy - 40.0, xx - 40.0) * 2.5
    for sign in (1, -1):
        image = 100.0 + rng.normal(0.0, 5.0, (80, 80)) + sign * 50.0 * (r_mm <= 6.0)
        levels = Levels(sign=sign, threshold=100.0 + sign * 25.0, liver=100.0, liver_sd=5.0, lesion=100.0 + sign * 50.0,
                        mode=100.0)
        own = stands_out_sd(image, (40.0, 40.0), 6.0, levels, (2.5, 2.5), SuggestParams())
        wide = stands_out_sd(image, (40.0, 40.0), 12.0, levels, (2.5, 2.5), SuggestParams())
        share = (r_mm <= 6.0).sum() / (r_mm <= 12.0).sum()  # the lesion's pixels in the wider disc
        assert own == pytest.approx(10.0, abs=0.6) and wide == pytest.approx(10.0 * share, abs=0.4), (own, wide, share)


def test_fill_holes_is_scipys_on_random_masks() -> None:
    """The labelling fill (region growing runs it ~20 times per suggestion) gives exactly
    ``scipy.ndimage.binary_fill_holes``'s mask: holes touching no border, nested holes, islands."""
    from viewer.segment.levels import fill_holes

    rng = np.random.default_rng(7)
    for i in range(200):
        shape = (20 + i % 37, 25 + i % 41)
        mask = ndi.gaussian_filter(rng.standard_normal(shape), 1.0 + i % 3) > rng.uniform(-0.6, 0.8)
        assert np.array_equal(fill_holes(mask), ndi.binary_fill_holes(mask)), i
    assert not fill_holes(np.zeros((5, 5), bool)).any() and fill_holes(np.ones((5, 5), bool)).all()
    ring = np.zeros((7, 7), np.uint8)
    ring[1:6, 1:6], ring[2:5, 2:5] = 1, 0
    assert fill_holes(ring).sum() == 25  # an integer mask is a mask
    with pytest.raises(ValueError, match="2-D"):
        fill_holes(np.zeros((3, 3, 3), bool))


def test_exits_are_each_rays_threshold_crossings_before_it_leaves_the_region() -> None:
    """The candidate edges of every ray at once: the last crossing of the threshold within a pixel
    before each exit, sub-pixel; no crossing there: half a step before the exit; at most three
    exits, nearest first; a ray never inside: none."""
    from viewer.segment.slice2d import _exits

    step, m = 0.25, 24
    t = np.arange(m) * step
    inside = np.zeros((4, m), bool)
    value = np.full((4, m), -1.0)
    inside[0, :8] = True
    value[0] = 7.5 - np.arange(m)  # crosses zero half-way between samples 7 and 8
    inside[1, :3], inside[1, 5:9] = True, True  # a notch: leaves at 3, back at 5, leaves at 9
    inside[3, ::2] = True  # leaves at every odd sample: the first three count
    got = _exits(inside, value, t, step, pixel_mm=0.5)
    assert got.shape == (4, 3)
    assert got[0, 0] == pytest.approx(7.5 * step) and np.isnan(got[0, 1:]).all()
    assert got[1, :2] == pytest.approx([3 * step - step / 2, 9 * step - step / 2]) and np.isnan(got[1, 2])
    assert np.isnan(got[2]).all()
    assert got[3] == pytest.approx([step / 2, 3 * step - step / 2, 5 * step - step / 2])
    value[1, 7] = 0.5  # a crossing a pixel before the second exit (within two samples of 0.25 mm): there
    value[1, 8] = -0.5
    assert _exits(inside, value, t, step, pixel_mm=0.5)[1, 1] == pytest.approx(7.5 * step)
    # the look-back cut at the first sample, an exit at the last sample, equal levels (half a step)
    inside, value = np.zeros((3, m), bool), np.full((3, m), -1.0)
    inside[0, :1], value[0, 0] = True, 2.0
    inside[1, :m - 1] = True
    value[1, m - 3:] = [1.0, 1.0, -1.0]
    got = _exits(inside, value, t, step, pixel_mm=0.5)
    assert got[0, 0] == pytest.approx(step * 2.0 / 3.0)  # 2 -> -1 between samples 0 and 1
    assert got[1, 0] == pytest.approx((m - 2) * step + step / 2)
    assert np.isnan(got[2]).all()
    # a float32 profile whose levels are equal across the crossing: half a step, in float64
    t5 = np.arange(5) * 0.175
    flat = _exits(np.array([[True, True, True, False, False]]), np.ones((1, 5), np.float32), t5, 0.175, 0.5)
    assert flat[0, 0] == t5[3] + 0.175 / 2


def test_opposite_rim_on_both_sides_of_the_liver() -> None:
    """A bright lesion whose edge is surrounded by a level 2 SD darker than the liver (a dark rim
    round it), and a dark core surrounded by one 2 SD brighter (an enhancing rim), are refused; the
    level just outside a lesion's edge on its own side (its blur) or within 1.5 SD is liver."""
    from viewer.segment.levels import Levels
    from viewer.segment.slice2d import SliceOutline

    p = SuggestParams()

    def outline_with(sign: int, outside: float) -> SliceOutline:
        lesion = 100.0 + sign * 60.0
        levels = Levels(sign, (lesion + outside) / 2, outside, 10.0, lesion, 100.0)
        return SliceOutline(np.zeros((72, 2)), levels, 0.0, (0.0, 0.0))

    assert "darker than the liver (80 against 100, 2.0 SD)" in outline_with(+1, 80.0).opposite_rim(p)
    assert "brighter than the liver (120 against 100, 2.0 SD)" in outline_with(-1, 120.0).opposite_rim(p)
    for sign, outside in ((+1, 110.0), (+1, 86.0), (-1, 90.0), (-1, 114.0)):
        assert outline_with(sign, outside).opposite_rim(p) == "", (sign, outside)


def test_an_end_slice_longer_than_the_one_nearer_the_middle_gives_way() -> None:
    """The slice beyond which the lesion ends, holding only part of it (its inner half under 3/4 as
    far from the liver, by 3 SDs), is measured only if no neighbour is a fuller one. Figures of
    LLSYN002 L04 on T1 arterial (20.5 mm): the tip, joined to a vessel, came out 25.7 mm against
    20.3 on the slice next to it, and was measured (+5.5 mm). A run of two slices has no slice
    inside it: a lesion whose larger slice is the less full one (LLSYN001 L02 on T2 FS, 16.3 mm,
    heterogeneous) keeps its larger slice."""
    from viewer.segment.across import fuller_neighbour
    from viewer.segment.levels import Levels
    from viewer.segment.slice2d import SliceOutline

    p = SuggestParams()
    levels = Levels(1, 270.0, 245.0, 6.9, 295.0, 238.0)

    def run(slices: dict[int, tuple[float, float]]) -> tuple[dict[int, SliceOutline], dict[int, float]]:
        found = {k: SliceOutline(np.zeros((72, 2)), levels, 0.0, (0.0, 0.0), fullness=f) for k, (_, f) in slices.items()}
        return found, {k: size for k, (size, _) in slices.items()}

    tip = {10: (20.35, 136.6), 11: (20.28, 131.7), 12: (25.73, 83.7)}
    found, sizes = run(tip)
    assert fuller_neighbour(found, {10, 12}.__contains__, set(found), 12, sizes, p) == (11, "joined")
    # the lesion may go on beyond the end slice (the stack's edge, a slice not loaded, the slices
    # searched, a boundary not found): the longest stays
    assert fuller_neighbour(found, {10}.__contains__, set(found), 12, sizes, p) == (12, None)
    # the slice next to the tip ends the run too (no slice beyond it): the tip stays
    found, sizes = run({11: (20.28, 131.7), 12: (25.73, 83.7)})
    assert fuller_neighbour(found, {11, 12}.__contains__, set(found), 12, sizes, p) == (12, None)
    found, sizes = run({14: (11.52, 301.9), 15: (15.84, 215.2)})
    assert fuller_neighbour(found, {14, 15}.__contains__, set(found), 15, sizes, p) == (15, None)
    # an end slice about as full as its neighbour is the lesion's own section: it stays
    found, sizes = run({**tip, 12: (25.73, 120.0)})
    assert fuller_neighbour(found, {10, 12}.__contains__, set(found), 12, sizes, p) == (12, None)
    # fuller by less than 3 SDs of the liver (18 against 3 x 6.9): it stays
    found, sizes = run({10: (20.35, 70.0), 11: (20.28, 70.0), 12: (25.73, 52.0)})
    assert fuller_neighbour(found, {10, 12}.__contains__, set(found), 12, sizes, p) == (12, None)
    # the neighbour must hold the click, and be the one next to the end slice
    found, sizes = run(tip)
    assert fuller_neighbour(found, {10, 12}.__contains__, {10, 12}, 12, sizes, p) == (12, None)
    found, sizes = run({9: (18.0, 130.0), **tip, 11: (20.28, 80.0)})
    assert fuller_neighbour(found, {9, 12}.__contains__, set(found), 12, sizes, p) == (12, None)
    # nearly as long and fuller: the old rule (a faint tip as long as the full slice next to it)
    found, sizes = run({**tip, 11: (24.0, 131.7)})
    assert fuller_neighbour(found, {10, 12}.__contains__, set(found), 12, sizes, p) == (11, "fuller")


def test_a_lesion_on_two_slices_whose_longer_section_leaves_its_ellipse_gives_way() -> None:
    """A lesion on two slices, ending beyond both: the longer section gives way ("joined") when its
    edge leaves its ellipse on 10 % of its rays or more and either it holds only part of the lesion
    (the fullness rule) or the shorter section's edge stays on its ellipse (under 5 %). Figures of
    LLSYN001 L03 on CT portal (9.5 mm, against a portal vein): 15.5 mm, 14 % of its rays off, inner
    half 29.7 from the liver, against 8.0 mm, 8 %, 56.2 (measured +6.3 mm before); on T1 portal:
    12.5 mm, 14 % off, against 10.5 mm on its ellipse (+3.8 mm before)."""
    from viewer.segment.across import fuller_neighbour
    from viewer.segment.levels import Levels
    from viewer.segment.slice2d import SliceOutline

    p = SuggestParams()
    levels = Levels(-1, 105.6, 121.2, 8.24, 89.9, 114.0)

    def run(slices: dict[int, tuple[float, float, float]]) -> tuple[dict[int, SliceOutline], dict[int, float]]:
        found = {k: SliceOutline(np.zeros((72, 2)), levels, leak, (0.0, 0.0), fullness=f)
                 for k, (_, f, leak) in slices.items()}
        return found, {k: size for k, (size, _, _) in slices.items()}

    both_end = {14, 15}.__contains__
    ct_portal = {14: (15.48, 29.7, 0.139), 15: (7.97, 56.2, 0.083)}
    found, sizes = run(ct_portal)
    assert fuller_neighbour(found, both_end, set(found), 14, sizes, p) == (15, "joined")
    # the same sections with the longer on its ellipse: it stays (a lesion on two 7 mm T2 FS
    # slices whose fuller slice is the shorter)
    found, sizes = run({**ct_portal, 14: (15.48, 29.7, 0.0)})
    assert fuller_neighbour(found, both_end, set(found), 14, sizes, p) == (14, None)
    # off the rule (joined_end_leak 1)
    found, sizes = run(ct_portal)
    assert fuller_neighbour(found, both_end, set(found), 14, sizes, replace(p, joined_end_leak=1.0)) == (14, None)
    # the lesion may go on beyond the shorter section: the longer stays
    assert fuller_neighbour(found, {14}.__contains__, set(found), 14, sizes, p) == (14, None)
    t1_portal = {14: (12.52, 49.4, 0.139), 15: (10.51, 50.7, 0.0)}  # as full: the shorter section's edge decides
    found, sizes = run(t1_portal)
    assert fuller_neighbour(found, both_end, set(found), 14, sizes, p) == (15, "joined")
    found, sizes = run({**t1_portal, 15: (10.51, 50.7, 0.06)})
    assert fuller_neighbour(found, both_end, set(found), 14, sizes, p) == (14, None)
    # a much shorter section on its ellipse is the lesion's own tip (a code review: 3.5 against 11.8 mm)
    found, sizes = run({**t1_portal, 15: (6.0, 50.7, 0.0)})
    assert fuller_neighbour(found, both_end, set(found), 14, sizes, p) == (14, None)
    # following stopped beyond the longer slice on a part that separates there: the split refusal's case
    found, sizes = run(t1_portal)
    assert fuller_neighbour(found, both_end, set(found), 14, sizes, p, frozenset({14})) == (14, None)
    for bad in ({"joined_end_leak": 1.5}, {"joined_end_leak": 0.0}, {"joined_end_size": 2.0}):
        with pytest.raises(ValueError, match="joined_end"):
            SuggestParams(**bad)


@pytest.mark.parametrize(("centre_z_mm", "vessel_y_mm", "vessel_r_mm"), [(3.0, 5.5, 3.0), (3.0, 6.5, 3.5),
                                                                           (3.5, 5.5, 3.0), (3.5, 6.5, 3.5)])
def test_a_small_lesion_whose_tip_merges_with_a_vessel_is_measured_on_its_own_slice(
        centre_z_mm: float, vessel_y_mm: float, vessel_r_mm: float) -> None:
    """A 10 mm lesion (CT portal-like, darker than the liver) centred 3-3.5 mm past slice 3, whose
    section there merges with a vessel's as dark as it, on slice 3 only: the tip's slice, longer
    (11.6-13.7 mm with the vessel), was measured +2.5 to +4.7 mm. Clicked on either slice, two noise
    draws each: within 1 mm of the lesion's section on slice 4, or refused."""
    lesion = Lesion(a_mm=5.0, b_mm=5.0, c_mm=5.0, contrast=-45.0, centre_z_mm=centre_z_mm, rotation_deg=0.0)
    truth = 2 * math.sqrt(25.0 - (SLICE_MM - centre_z_mm) ** 2)

    def vessel(xx, yy, z):  # type: ignore[no-untyped-def]
        return (xx ** 2 + (yy - vessel_y_mm) ** 2 <= vessel_r_mm ** 2) & (abs(z) <= SLICE_MM / 2), 55.0
    off_by = []
    for seed in (0, 1):
        phantom = render(lesion, noise=8.0, seed=seed, extra=vessel)
        for k, at_mm in ((3, (0.0, 1.0, 0.0)), (4, (0.0, 0.0, SLICE_MM))):
            at = phantom.geometry.pixel_on_slice(at_mm, k)
            s = suggest_diameter(phantom, k, at)
            assert isinstance(s, Refusal) or (s.slice_index == 4 and abs(s.diameter_mm - truth) <= 1.0), s
            before = suggest_diameter(phantom, k, at, SuggestParams(joined_end_leak=1.0))
            if isinstance(before, Suggestion):
                off_by.append(before.diameter_mm - truth)
    assert max(off_by) > 2.0, off_by  # the rule off: the tip's slice, with the vessel


def test_a_lesion_touching_a_vessel_on_its_full_slice_is_not_measured_on_its_tip() -> None:
    """The mirror case, from a code review: a 12 mm lesion centred on slice 3 whose full section
    touches a vessel as dark as it (14 % of its rays off the ellipse), its 3.5 mm tip on slice 2 on
    its ellipse. The two-slice rule measured the tip (6.2 mm, -5.8) before the shorter section had
    to be 0.6 of the longer; now the full slice is measured from either slice clicked. And a lesion
    whose longer slice parts from the vessel on the next is still refused as joining two structures."""
    from viewer.segment.suggest import SPLITS

    def clicks(lesion: Lesion, vessel_y_mm: float) -> list[Suggestion | Refusal]:
        def vessel(xx, yy, z):  # type: ignore[no-untyped-def]  # 6 mm across, as dark as the lesion, slices 2-3
            return (xx ** 2 + (yy - vessel_y_mm) ** 2 <= 9.0) & (z >= -7.5) & (z <= 2.5), 55.0
        phantom = render(lesion, noise=8.0, seed=0, extra=vessel)
        return [suggest_diameter(phantom, k, phantom.geometry.pixel_on_slice((0.0, -1.0, SLICE_MM * (k - 3)), k))
                for k in (3, 4)]
    touching = Lesion(a_mm=6.0, b_mm=6.0, c_mm=4.5, contrast=-45.0, centre_z_mm=0.0, rotation_deg=0.0)
    for s in clicks(touching, 8.0):
        assert isinstance(s, Suggestion) and s.slice_index == 3 and abs(s.diameter_mm - touching.truth_mm()) <= 1.0, s
    parting = Lesion(a_mm=5.0, b_mm=5.0, c_mm=6.0, contrast=-45.0, centre_z_mm=0.5, rotation_deg=0.0)
    for s in clicks(parting, 6.5):
        assert isinstance(s, Refusal) and s.reason.startswith(SPLITS), s


class TestWhereTheLesionEnds:
    """An end slice gives way only where the lesion ends beyond it. A lesion 36 mm across with a
    fainter centre (a partial scar: its middle slice's inner half is less far from the liver than
    its poles'), whose longest section is at the end of the slices followed for another reason
    (a code review found all four -4.6 to -4.7 mm, or the refusal lost)."""

    @staticmethod
    def scarred(centre_z_mm: float = 0.0, c_mm: float = 10.5) -> Lesion:
        return Lesion(a_mm=18.0, b_mm=15.0, c_mm=c_mm, contrast=80.0, centre_z_mm=centre_z_mm, core_fraction=0.5,
                      core=140.0)

    def test_the_next_slice_not_loaded_yet(self) -> None:
        """Growing towards a slice still loading, the lesion may be longest there: refused, saying so (v10;
        it was measured on the slice before, which a review showed 2-9 mm short beside a gap), and once
        the slice is loaded it is measured on its largest."""
        lesion = self.scarred()
        phantom = render(lesion, noise=8.0, size=200)
        phantom.loaded[4] = False
        s = suggest(lesion, phantom, k=2, seed=0)
        assert isinstance(s, Refusal) and s.reason.endswith("that slice is still loading"), s
        phantom.loaded[4] = True
        s = suggest(lesion, phantom, k=2, seed=0)
        assert isinstance(s, Suggestion) and s.slice_index == 3 and abs(s.diameter_mm - 36.0) <= 1.0, s

    def test_the_lesion_centred_on_the_stacks_last_slice(self) -> None:
        lesion = self.scarred(centre_z_mm=15.0)
        s = suggest(lesion, render(lesion, noise=8.0, size=200), k=5, seed=0)
        assert isinstance(s, Suggestion) and s.slice_index == 6 and abs(s.diameter_mm - 36.0) <= 1.0, s

    def test_clicked_two_slices_from_its_centre(self) -> None:
        """The slices searched (two each way) end on the lesion's largest."""
        lesion = self.scarred(c_mm=11.5)
        s = suggest(lesion, render(lesion, noise=8.0, size=200), k=1, seed=0)
        assert isinstance(s, Suggestion) and s.slice_index == 3 and abs(s.diameter_mm - 36.0) <= 1.0, s

    def test_a_larger_next_slice_whose_boundary_is_not_found_is_still_refused(self) -> None:
        lesion = self.scarred()
        phantom = render(lesion, noise=8.0, size=200)
        big = Lesion(a_mm=40.0, b_mm=34.0, c_mm=60.0, contrast=80.0, centre_z_mm=0.0)
        phantom.array[4] = render(big, noise=8.0, size=200, seed=5).array[4]
        s = suggest(lesion, phantom, k=2, seed=0)
        assert isinstance(s, Refusal) and "may be longest on the neighbouring slice" in s.reason, s


class TestFollowedWhileItGrows:
    """The slices are searched two each way and further while the section still grows: a reader's
    check under Xvfb clicked three slices from a 44 mm lesion's largest on T1 arterial and got 42.1 mm
    on the last slice searched, still growing, while the status said "where it is longest"."""

    @staticmethod
    def large(centre_z_mm: float = 5.0) -> Lesion:
        return Lesion(a_mm=18.0, b_mm=15.0, c_mm=22.0, contrast=70.0, centre_z_mm=centre_z_mm, rotation_deg=20.0)

    @pytest.mark.parametrize("k", [0, 1])
    def test_clicked_three_and_four_slices_below_its_largest(self, k: int) -> None:
        lesion = self.large()
        phantom = render(lesion, noise=8.0, size=200)
        for seed in (0, 1):
            s = suggest(lesion, phantom, k=k, seed=seed)
            assert isinstance(s, Suggestion) and s.slice_index == 4 and abs(s.diameter_mm - lesion.truth_mm()) <= 1.0, s
            assert s.params["diameters_by_slice_mm"].keys() >= {"2", "3", "4", "5"}, s.params

    def test_not_past_the_slices_searched_when_it_shrinks(self) -> None:
        lesion = self.large(centre_z_mm=-10.0)  # largest on slice 1, clicked on slice 3: two slices away
        s = suggest(lesion, render(lesion, noise=8.0, size=200), k=3, seed=0)
        assert isinstance(s, Suggestion) and s.slice_index == 1, s
        assert set(s.params["diameters_by_slice_mm"]) <= {"0", "1", "2", "3", "4", "5"}, s.params

    def test_bounded_by_slices_growing(self) -> None:
        lesion = self.large()
        s = suggest_diameter(render(lesion, noise=8.0, size=200), 0,
                             lesion.click(np.random.default_rng(0), render(lesion, noise=8.0, size=200).geometry, 0),
                             SuggestParams(slices_growing=2))
        assert isinstance(s, Refusal) or s.slice_index <= 2, s  # the old search, two each way


def test_a_structure_that_runs_through_the_slices_is_refused() -> None:
    """A click on the aorta on T1 arterial (no liver mask) was measured as a 22.5 mm lesion: what is
    found on every slice, as long, over more than 1.5 times its length along the normal is a vessel
    or a bone, refused; a lesion twice as deep as it is long is still measured."""
    from viewer.segment.suggest import TUBE

    far = Lesion(a_mm=3.0, b_mm=3.0, c_mm=3.0, centre_xy_mm=(45.0, 45.0))

    def tube(xx, yy, z):  # type: ignore[no-untyped-def]
        return np.hypot(xx + 5.0, yy - 3.0) <= 7.0, 175.0

    phantom = render(far, noise=8.0, extra=tube)
    for k in (2, 3, 4):
        r, c = phantom.geometry.pixel_on_slice((-4.0, 2.0, SLICE_MM * (k - 3)), k)
        s = suggest_diameter(phantom, k, (r, c))
        assert isinstance(s, Refusal) and s.reason.startswith(TUBE), s
        assert "(a vessel, a bone?): 14." in s.reason and "mm here, 70% of that or more over 30 mm (-15.0 to 15.0 mm)" \
            in s.reason, s.reason
    off = suggest_diameter(phantom, 3, phantom.geometry.pixel_on_slice((-4.0, 2.0, 0.0), 3), SuggestParams(tube_extent=0.0))
    assert isinstance(off, Suggestion) and abs(off.diameter_mm - 14.0) <= 1.0, off  # measured with the rule off
    deep = Lesion(a_mm=7.0, b_mm=6.0, c_mm=14.0, centre_z_mm=0.0)
    for seed in (0, 1, 2):
        s = suggest(deep, render(deep, noise=8.0, seed=seed), k=3, seed=seed)
        assert isinstance(s, Suggestion) and abs(s.diameter_mm - deep.truth_mm()) <= 1.0, s


class TestThinSlices:
    """Cases a code review built on 2.5 mm slices (equator of the lesion at slice 12, z = 22.5 mm)."""

    @pytest.fixture(autouse=True)
    def thin(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import sys

        monkeypatch.setattr(sys.modules[__name__], "SLICE_MM", 2.5)
        monkeypatch.setattr(sys.modules[__name__], "N_SLICES", 41)

    def test_a_lesion_deeper_than_long_clicked_inside_its_pole(self) -> None:
        """20 mm long, 25 mm deep, clicked 7.5 mm inside its pole: measured on its largest section (the
        far-from-the-click refusal allows 0.7 of its length, less half a slab and half a step). Twice
        as deep as long, clicked near its tip: refused, never measured elsewhere."""
        from viewer.segment.suggest import FAR_AWAY

        lesion = Lesion(a_mm=10.0, b_mm=8.5, c_mm=12.5, rotation_deg=0.0, contrast=70.0, centre_z_mm=22.5)
        s = suggest(lesion, render(lesion, noise=8.0, size=120), k=6, seed=0)
        assert isinstance(s, Suggestion) and s.slice_index == 12 and abs(s.diameter_mm - 20.0) <= 1.0, s
        deep = Lesion(a_mm=7.0, b_mm=6.0, c_mm=14.0, rotation_deg=0.0, contrast=70.0, centre_z_mm=22.5)
        s = suggest(deep, render(deep, noise=8.0, size=120), k=6, seed=0)
        assert isinstance(s, Refusal) and s.reason.startswith(FAR_AWAY), s

    def test_a_gap_is_passed_over_once_not_into_what_lies_beyond(self) -> None:
        """Above the lesion's tip a large bright region (the click's levels leak there) for 10 mm, then a
        12 mm bright column: passing over every leaking slice joined the column and refused the lesion
        as a vessel; one slice in a row at most, and the lesion is measured."""
        lesion = Lesion(a_mm=7.0, b_mm=6.0, c_mm=14.0, rotation_deg=0.0, contrast=70.0, centre_z_mm=22.5)

        def extra(xx, yy, z):  # type: ignore[no-untyped-def]
            big = (z >= 32.0) & (z < 42.0) & (np.hypot(xx, yy) <= 55.0)
            return big | ((z >= 42.0) & (np.hypot(xx - 2.0, yy) <= 6.0)), 170.0

        s = suggest(lesion, render(lesion, noise=8.0, size=120, extra=extra), k=12, seed=0)
        assert isinstance(s, Suggestion) and abs(s.diameter_mm - 14.0) <= 1.0, s

    def test_a_small_lesion_on_a_larger_ones_pole_is_not_measured_as_the_larger(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A 12 mm lesion whose pole touches a 24 mm one's along the normal (5 mm slices): 11.1, 9.8, then
        20.0 mm from slice to slice; v7 measured the larger one's section (20.2 mm), and following while
        it grows went on to its middle (24.1). A section narrower by a tenth than both its neighbours
        ends the lesion there."""
        import sys

        monkeypatch.setattr(sys.modules[__name__], "SLICE_MM", 5.0)
        monkeypatch.setattr(sys.modules[__name__], "N_SLICES", 11)
        small = Lesion(a_mm=6.0, b_mm=6.0, c_mm=6.0, rotation_deg=0.0, contrast=70.0, centre_z_mm=0.0)
        for core, rim in ((0.0, 0.0), (0.7, 0.0), (0.0, 3.0)):
            big = Lesion(a_mm=12.0, b_mm=12.0, c_mm=12.0, rotation_deg=0.0, contrast=70.0, centre_z_mm=19.0,
                         core_fraction=core, core=100.0, rim_mm=rim)
            phantom = render(small, noise=8.0, size=140, seed=0)
            phantom.array = phantom.array + render(big, noise=0.0, size=140, seed=0).array - 100.0
            for seed in (0, 1):
                s = suggest(small, phantom, k=3, seed=seed)
                assert isinstance(s, Refusal) or (s.slice_index == 3 and abs(s.diameter_mm - 12.0) <= 1.5), (core, rim, s)


class TestHostileValues:
    """A helper's fuzzing: values no image holds made the library raise (numpy's histogram on NaN, a
    float64 of 1e300, a float32 image offset by -1e7) or run for minutes (1e-5 mm pixels: a 10 cm window
    of ten million pixels). Each is a refusal that says why, and a sound image still measures."""

    def _phantom(self) -> tuple[Lesion, Phantom]:
        lesion = Lesion()
        return lesion, render(lesion)

    def test_nan_or_infinite_pixels_near_the_click_are_refused(self) -> None:
        lesion, ph = self._phantom()
        at = lesion.click(np.random.default_rng(1), ph.geometry, 4)
        for bad in (np.nan, np.inf, -np.inf):
            arr = ph.array.copy()
            arr[4, int(at[0]) + 20, int(at[1]) + 20] = bad  # within the window, outside the lesion
            got = suggest_diameter(replace_array(ph, arr), 4, at)
            assert isinstance(got, Refusal) and "not numbers" in got.reason, got

    def test_values_beyond_single_precision_are_refused(self) -> None:
        lesion, ph = self._phantom()
        at = lesion.click(np.random.default_rng(1), ph.geometry, 4)
        got = suggest_diameter(replace_array(ph, ph.array.astype(np.float64) * 1e300), 4, at)
        assert isinstance(got, Refusal) and "not numbers" in got.reason, got
        got = suggest_diameter(replace_array(ph, ph.array - np.float32(1e7)), 4, at)
        assert isinstance(got, Refusal) and "single precision" in got.reason, got

    def test_pixels_no_image_has_are_refused_at_once(self) -> None:
        lesion, ph = self._phantom()
        geo, _ = StackGeometry.from_slices(ph.geometry.rows, ph.geometry.columns, AXIAL_IOP,
                                           axial_positions(N_SLICES, SLICE_MM), (1e-5, 1e-5))
        tiny = Phantom(ph.array, geo)
        t0 = time.perf_counter()
        got = suggest_diameter(tiny, 4, (80.0, 80.0))
        assert isinstance(got, Refusal) and "pixels across" in got.reason and time.perf_counter() - t0 < 1.0, got

    def test_a_slice_index_or_point_that_is_no_number_is_refused(self) -> None:
        lesion, ph = self._phantom()
        at = lesion.click(np.random.default_rng(1), ph.geometry, 4)
        for k in (4.0, True):
            got = suggest_diameter(ph, k, at)  # type: ignore[arg-type]
            assert isinstance(got, Refusal) and "whole number" in got.reason, got
        got = suggest_diameter(ph, 4, (float("nan"), 3.0))
        assert isinstance(got, Refusal) and "not a point" in got.reason, got
        assert isinstance(suggest_diameter(ph, 4, at), Suggestion)


def replace_array(ph: Phantom, arr: np.ndarray) -> Phantom:
    return Phantom(arr, ph.geometry)


def test_a_lesion_is_not_followed_across_a_gap_in_the_stack() -> None:
    """A slice missing from the stack (a file not read): the slices either side lie two steps apart, and
    the lesion is not followed across (a helper's point in a 77 mm gap was measured on a slice 31.5 mm
    away); the slice beyond the gap is as the stack's edge, and the side without a gap is followed."""
    lesion = Lesion(a_mm=12.0, b_mm=9.0, c_mm=14.0, centre_z_mm=0.0)
    ph = render(lesion)
    keep = [k for k in range(N_SLICES) if k != 5]  # the lesion shrinks towards the gap: measured
    geo, _ = StackGeometry.from_slices(ph.geometry.rows, ph.geometry.columns, AXIAL_IOP,
                                       [ph.geometry.positions_mm[k] for k in keep],
                                       (ph.geometry.row_spacing_mm, ph.geometry.column_spacing_mm))
    gapped = Phantom(ph.array[keep], geo)
    got = suggest_diameter(gapped, 3, lesion.click(np.random.default_rng(1), ph.geometry, 3))
    assert isinstance(got, Suggestion), got
    followed = {int(k) for k in got.params["diameters_by_slice_mm"]}
    assert {2, 4} <= followed and 5 not in followed, followed  # new index 5 is the old slice 6, beyond the gap
    whole = suggest_diameter(ph, 3, lesion.click(np.random.default_rng(1), ph.geometry, 3))
    assert isinstance(whole, Suggestion) and 5 in {int(k) for k in whole.params["diameters_by_slice_mm"]}
    assert got.diameter_mm == pytest.approx(whole.diameter_mm, abs=1e-6)


def test_a_lesion_growing_towards_a_gap_or_a_slice_still_loading_is_refused() -> None:
    """A review removed a lesion's largest slices and clicked beside the gap: the lines came back 2-9 mm
    short, as if the lesion ended there. Growing towards slices that are not there (a gap) or not loaded
    yet (the workstation loads slice by slice), its longest section may be there: refused, saying which."""
    lesion = Lesion(a_mm=12.0, b_mm=9.0, c_mm=14.0, centre_z_mm=0.0)
    ph = render(lesion)
    keep = [k for k in range(N_SLICES) if k != 3]  # the largest section's slice missing
    geo, _ = StackGeometry.from_slices(ph.geometry.rows, ph.geometry.columns, AXIAL_IOP,
                                       [ph.geometry.positions_mm[k] for k in keep],
                                       (ph.geometry.row_spacing_mm, ph.geometry.column_spacing_mm))
    got = suggest_diameter(Phantom(ph.array[keep], geo), 2, lesion.click(np.random.default_rng(1), ph.geometry, 2))
    assert isinstance(got, Refusal) and got.reason.startswith(
        "the lesion may be longest in a gap in the stack: slices missing between -5.0 and 5.0 mm"), got
    loading = render(lesion)
    loading.loaded[3] = False
    got = suggest_diameter(loading, 2, lesion.click(np.random.default_rng(1), ph.geometry, 2))
    assert isinstance(got, Refusal) and got.reason.endswith("where its boundary is not found: that slice is still "
                                                            "loading"), got
    loading.loaded[3] = True
    assert isinstance(suggest_diameter(loading, 2, lesion.click(np.random.default_rng(1), ph.geometry, 2)), Suggestion)


def test_a_region_reaching_the_images_own_edge_says_so() -> None:
    """A helper's image 0.3 mm wide read "the region leaks beyond 50 mm of the click": what reaches
    only the image's edge within the radius is said to, and a leak past the radius is still said so."""
    lesion = Lesion()
    ph = render(lesion)
    at = lesion.click(np.random.default_rng(1), ph.geometry, 4)
    r, c = int(at[0]), int(at[1])
    crop = np.ascontiguousarray(ph.array[:, r - 3:r + 4, c - 3:c + 4])  # 7 x 7 pixels inside the lesion
    geo, _ = StackGeometry.from_slices(7, 7, AXIAL_IOP, axial_positions(N_SLICES, SLICE_MM), ph.geometry.pixel_spacing_mm)
    got = suggest_diameter(Phantom(crop, geo), 4, (3.0, 3.0))
    assert isinstance(got, Refusal), got
    assert "leaks beyond" not in got.reason and "the image's edge" in got.reason, got.reason
    from viewer.segment.levels import Window, leak_reason
    from viewer.segment.records import SuggestParams

    p = SuggestParams()
    big = np.zeros((400, 400), np.float32)
    win = Window(big, (200.0, 200.0), (0.5, 0.5), p)  # 50 mm each way: the window lies inside the image
    region = np.zeros(win.raw.shape, bool)
    region[:, 100] = True
    assert "leaks beyond 50 mm" in leak_reason(win, region, p.roi_radius_mm)
    edge = Window(big, (3.0, 200.0), (0.5, 0.5), p)  # its top side is the image's first row
    region = np.zeros(edge.raw.shape, bool)
    region[0, 50:60] = True
    assert leak_reason(edge, region, p.roi_radius_mm).startswith("the region reaches the image's edge")



def test_depth_ratio_of_the_ellipsoid_through_three_sections() -> None:
    """viewer.segment.across.depth_ratio (v18, ``min_depth_ratio``): the ellipsoid d(z)^2 = D^2 (1 - (z - zc)^2 / c^2)
    through the sections on a slice and the slices either side, 2c / D. A sphere of 20 mm cut at 0 and +-5 mm: 1.0
    wherever its centre lies between the slices; an ellipsoid 10 mm deep and 20 long: 0.5; a section 1.5 times both
    neighbours (fresh 335 LLSYN001 L02 on T1 portal: 19.8 against 13.06 and 11.34): 0.64; none without both neighbours
    or where the sections do not bulge at the slice."""
    from viewer.segment.across import depth_ratio

    def section(diameter: float, depth: float, z: float) -> float:
        return diameter * math.sqrt(max(0.0, 1.0 - (2.0 * z / depth) ** 2))

    positions = [0.0, 5.0, 10.0, 15.0]
    for zc in (5.0, 6.2, 6.9):  # the three slices cut each ellipsoid
        sphere = {k: section(20.0, 20.0, positions[k] - zc) for k in (0, 1, 2)}
        assert depth_ratio(sphere, positions, 1) == pytest.approx(1.0, abs=1e-9), zc
        flat = {k: section(20.0, 14.0, positions[k] - zc) for k in (0, 1, 2)}
        assert depth_ratio(flat, positions, 1) == pytest.approx(0.7, abs=1e-9), zc
    assert depth_ratio({0: 0.0, 1: 20.0, 2: 0.0}, positions, 1) == pytest.approx(0.5)
    assert depth_ratio({0: 13.06, 1: 19.8, 2: 11.34}, positions, 1) == pytest.approx(0.642, abs=0.001)
    assert depth_ratio({1: 19.8, 2: 11.34}, positions, 1) is None
    assert depth_ratio({0: 10.0, 1: 10.0, 2: 10.0}, positions, 1) is None and depth_ratio({0: 12.0, 1: 10.0, 2: 12.0}, positions, 1) is None
    with pytest.raises(ValueError, match="min_depth_ratio"):
        SuggestParams(min_depth_ratio=1.0)
    with pytest.raises(ValueError, match="round_from_px"):
        SuggestParams(round_from_px=-1.0)
