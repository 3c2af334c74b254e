"""viewer.geometry.diameter: the one diameter convention, on analytic shapes with exact values.

Binary masks: the boundary runs through the middles of the pixel edges between inside and
outside pixels, so an axis-aligned rectangle of h x w pixels has the exact diameter
``max(hypot(h rs, (w - 1) cs), hypot((h - 1) rs, w cs))`` and a digital disc of radius R lies
between 2R and 2R + 1 pixels. Membership maps (the fraction of each pixel inside the shape,
here integrated on a 16 x 16 sub-grid) follow the true outline: discs, ellipses and rotated
rotated ellipses come out within 0.2 pixel of their true longest diameter from a radius of 2.5
pixels on, anisotropic pixels included; a rectangle's diagonal comes out up to a pixel short
(the 0.5 iso-contour rounds a right-angled corner, whose pixel is only a quarter full).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.dicomgen import AXIAL_IOP, axial_positions
from viewer.geometry import StackGeometry
from viewer.geometry.diameter import RegionDiameter, boundary_points, farthest_pair_mm, region_diameter

SUB = 16


def fraction_map(inside, rows: int, cols: int, rs: float, cs: float) -> np.ndarray:
    """Fraction of each pixel (rs x cs mm) for which ``inside(x_mm, y_mm)`` holds (x along columns)."""
    sub = (np.arange(SUB) + 0.5) / SUB - 0.5
    r = (np.arange(rows)[:, None, None, None] + sub[None, None, :, None]) * rs
    c = (np.arange(cols)[None, :, None, None] + sub[None, None, None, :]) * cs
    return np.asarray(inside(c, r), float).mean(axis=(2, 3))


def ellipse(cx: float, cy: float, a: float, b: float, theta_deg: float):
    th = math.radians(theta_deg)

    def inside(x, y):
        u = (x - cx) * math.cos(th) + (y - cy) * math.sin(th)
        v = -(x - cx) * math.sin(th) + (y - cy) * math.cos(th)
        return (u / a) ** 2 + (v / b) ** 2 <= 1.0
    return inside


def rectangle(cx: float, cy: float, w: float, h: float, theta_deg: float):
    th = math.radians(theta_deg)

    def inside(x, y):
        u = (x - cx) * math.cos(th) + (y - cy) * math.sin(th)
        v = -(x - cx) * math.sin(th) + (y - cy) * math.cos(th)
        return (np.abs(u) <= w / 2) & (np.abs(v) <= h / 2)
    return inside


class TestBinaryMasks:
    @pytest.mark.parametrize("h,w,rs,cs", [(5, 9, 1.0, 1.0), (12, 3, 0.742, 0.742), (7, 11, 1.2692, 1.1875),
                                           (1, 1, 2.5, 2.5), (1, 6, 0.5, 0.8)])
    def test_axis_aligned_rectangle_is_exact(self, h: int, w: int, rs: float, cs: float) -> None:
        mask = np.zeros((h + 6, w + 6), bool)
        mask[3:3 + h, 3:3 + w] = True
        expected = max(math.hypot(h * rs, (w - 1) * cs), math.hypot((h - 1) * rs, w * cs))
        d = region_diameter(mask, rs, cs)
        assert d is not None and d.diameter_mm == pytest.approx(expected, abs=1e-9)

    def test_single_pixel_is_one_pixel_across(self) -> None:
        mask = np.zeros((3, 3), bool)
        mask[1, 1] = True
        d = region_diameter(mask, 2.0, 3.0)
        assert d is not None and d.diameter_mm == pytest.approx(3.0)  # the column spacing
        assert sorted(map(tuple, boundary_points(mask))) == [(0.5, 1.0), (1.0, 0.5), (1.0, 1.5), (1.5, 1.0)]

    def test_small_disc_exact(self) -> None:
        """The digital disc of radius 2.5 (pixel centres within 2.5 of a centre pixel): rows -2..2
        span columns -2..2, so the farthest edge middles are (-2.5, -1) and (2.5, 1): sqrt(29)."""
        i, j = np.mgrid[:9, :9]
        mask = (i - 4) ** 2 + (j - 4) ** 2 <= 2.5 ** 2
        d = region_diameter(mask, 1.0, 1.0)
        assert d is not None and d.diameter_mm == pytest.approx(math.sqrt(29.0), abs=1e-12)

    @pytest.mark.parametrize("radius", [2.5, 4.0, 7.3, 10.5, 20.0])
    def test_digital_disc_lies_between_2r_and_2r_plus_one_pixel(self, radius: float) -> None:
        n = int(2 * radius) + 7
        i, j = np.mgrid[:n, :n]
        mask = (i - n // 2) ** 2 + (j - n // 2) ** 2 <= radius ** 2
        d = region_diameter(mask, 0.742, 0.742)
        assert d is not None
        assert 2 * radius * 0.742 - 1e-9 <= d.diameter_mm <= (2 * radius + 1) * 0.742

    def test_empty_region_has_no_diameter(self) -> None:
        assert region_diameter(np.zeros((4, 4)), 1.0, 1.0) is None

    def test_region_touching_the_array_edge_is_closed_by_the_zero_padding(self) -> None:
        d = region_diameter(np.ones((4, 6), bool), 1.0, 1.0)
        assert d is not None and d.diameter_mm == pytest.approx(max(math.hypot(4, 5), math.hypot(3, 6)))


class TestMembershipMaps:
    @pytest.mark.parametrize("radius_px", [2.5, 4.0, 8.3, 15.0, 25.0])
    @pytest.mark.parametrize("spacing", [(0.742, 0.742), (2.5, 2.5), (1.2692, 1.1875)])
    def test_disc(self, radius_px: float, spacing: tuple[float, float]) -> None:
        rs, cs = spacing
        radius_mm = radius_px * max(rs, cs)
        rows, cols = int(2 * radius_mm / rs) + 8, int(2 * radius_mm / cs) + 8
        f = fraction_map(ellipse(cols * cs / 2 + 0.31, rows * rs / 2 - 0.17, radius_mm, radius_mm, 0.0), rows, cols, rs, cs)
        d = region_diameter(f, rs, cs)
        assert d is not None and d.diameter_mm == pytest.approx(2 * radius_mm, abs=0.2 * max(rs, cs))

    @pytest.mark.parametrize("theta", [0.0, 17.0, 45.0, 90.0, 133.0])
    @pytest.mark.parametrize("spacing", [(0.742, 0.742), (1.2692, 1.1875), (0.8, 2.0)])
    def test_rotated_ellipse_with_anisotropic_pixels(self, theta: float, spacing: tuple[float, float]) -> None:
        rs, cs = spacing
        a, b = 14.0, 8.5
        rows, cols = int(2 * a / rs) + 8, int(2 * a / cs) + 8
        f = fraction_map(ellipse(cols * cs / 2, rows * rs / 2, a, b, theta), rows, cols, rs, cs)
        d = region_diameter(f, rs, cs)
        assert d is not None and d.diameter_mm == pytest.approx(2 * a, abs=0.2 * max(rs, cs))
        # the two ends lie on the major axis
        direction = np.subtract(d.p2, d.p1) * (rs, cs)
        angle = math.degrees(math.atan2(direction[0], direction[1])) % 180.0
        assert min(abs(angle - theta % 180), 180 - abs(angle - theta % 180)) < 8.0  # a flat maximum

    @pytest.mark.parametrize("theta", [0.0, 30.0, 60.0, 101.0])
    @pytest.mark.parametrize("spacing", [(1.0, 1.0), (1.2692, 1.1875)])
    def test_rotated_rectangle(self, theta: float, spacing: tuple[float, float]) -> None:
        rs, cs = spacing
        w, h = 20.0, 9.0
        rows, cols = int(2 * w / rs), int(2 * w / cs)
        f = fraction_map(rectangle(cols * cs / 2, rows * rs / 2, w, h, theta), rows, cols, rs, cs)
        d = region_diameter(f, rs, cs)
        # the 0.5 iso-contour rounds each right-angled corner (the corner pixel is a quarter full):
        # at most half a pixel short at each end, never longer
        true = math.hypot(w, h)
        assert d is not None and true - 1.0 * max(rs, cs) <= d.diameter_mm <= true + 0.05

    def test_level_crossing_is_interpolated_between_pixel_centres(self) -> None:
        f = np.array([[0.0, 1.0, 0.75, 0.0]])
        pts = sorted(map(tuple, boundary_points(f)))
        assert (0.0, 0.5) in pts and (0.0, 2.0 + 0.25 / 0.75) in pts


class TestSameAsTheManualTool:
    def test_endpoints_measured_by_the_stack_geometry_give_the_diameter(self) -> None:
        rs, cs = 1.2692, 1.1875
        f = fraction_map(ellipse(40.0, 30.0, 12.0, 7.0, 25.0), 60, 70, rs, cs)
        d = region_diameter(f, rs, cs)
        geo, _ = StackGeometry.from_slices(60, 70, AXIAL_IOP, axial_positions(3, 7.0), (rs, cs))
        assert d is not None and geo.distance_mm(d.p1, d.p2) == pytest.approx(d.diameter_mm, abs=1e-9)


class TestValidation:
    def test_bad_inputs_are_refused(self) -> None:
        with pytest.raises(ValueError, match="2D"):
            boundary_points(np.zeros((2, 2, 2)))
        with pytest.raises(ValueError, match="level"):
            boundary_points(np.zeros((2, 2)), level=1.0)
        with pytest.raises(ValueError, match="finite"):
            boundary_points(np.array([[np.nan]]))
        with pytest.raises(ValueError, match="spacings"):
            farthest_pair_mm(np.zeros((2, 2)), 0.0, 1.0)
        with pytest.raises(ValueError, match="diameter_mm"):
            RegionDiameter(-1.0, (0.0, 0.0), (0.0, 0.0))

    def test_collinear_points_fall_back_to_every_pair(self) -> None:
        pts = np.stack([np.zeros(100), np.arange(100.0)], axis=1)
        d, i, j = farthest_pair_mm(pts, 1.0, 0.5)
        assert d == pytest.approx(49.5) and {i, j} == {0, 99}
