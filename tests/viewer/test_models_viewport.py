"""ViewportModel, WindowStore and ViewTransform: plain Python, no Qt."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.display import Preset, WindowLevel
from viewer.testing import make_stack, make_volume
from viewer.model.view import ViewTransform
from viewer.model.viewport import ViewportModel
from viewer.model.window import WindowSource, WindowStore
from viewer.records import Role


def _recorder(signal):  # type: ignore[no-untyped-def]
    calls: list[tuple] = []
    signal.connect(lambda *a: calls.append(a))
    return calls


class TestSlices:
    def test_starts_in_the_middle_and_counts_from_the_top(self) -> None:
        vp = ViewportModel()
        vp.set_volume(make_volume(make_stack("ct", n_slices=20)))
        assert vp.index == 10 and vp.slice_number == 10
        vp.first()
        assert vp.index == 19 and vp.slice_number == 1
        vp.last()
        assert vp.index == 0 and vp.slice_number == 20

    def test_next_goes_down_the_patient_and_clamps(self) -> None:
        vp = ViewportModel()
        vp.set_volume(make_volume(make_stack("ct", n_slices=5)))
        calls = _recorder(vp.slice_changed)
        z0 = vp.position_mm()
        vp.next_slice()
        assert vp.position_mm() == pytest.approx(z0 - 2.5)
        vp.next_slice(100)
        assert vp.index == 0
        vp.next_slice()  # no change, no signal
        assert calls == [(1,), (0,)]

    def test_value_under_cursor_is_hu(self) -> None:
        vol = make_volume(make_stack("ct"))
        vp = ViewportModel()
        vp.set_volume(vol)
        assert vp.value_at(0, 0) == -1000
        assert vp.value_at(10.4, 20.6) == float(vol.array[vp.index, 10, 21])
        assert vp.value_at(-3, 0) is None

    def test_cine_wraps_to_the_top(self) -> None:
        vp = ViewportModel()
        vp.set_volume(make_volume(make_stack("ct", n_slices=3)))
        vp.last()
        vp.cine_step()
        assert vp.index == 2
        vp.set_playing(True)
        assert vp.playing
        vp.set_volume(None)
        assert not vp.playing


class TestWindow:
    def test_ct_gets_abdomen_and_is_remembered_per_stack(self) -> None:
        store = WindowStore()
        a, b = ViewportModel(store, 0), ViewportModel(store, 1)
        vol = make_volume(make_stack("ct"))
        a.set_volume(vol)
        assert a.window == WindowLevel(400, 40)
        changed = _recorder(b.window_changed)
        b.set_volume(vol)  # the same stack in another cell shares the window
        a.apply_preset(Preset.CT_LIVER)
        assert b.window == WindowLevel(150, 90) and changed == [(WindowLevel(150, 90),)]
        a.set_volume(make_volume(make_stack("other")))
        a.set_volume(vol)
        assert a.window == WindowLevel(150, 90)

    def test_mri_auto_window_from_first_slices_then_refined_but_never_over_the_reader(self) -> None:
        store = WindowStore()
        vp = ViewportModel(store)
        vol = make_volume(make_stack("t2", Role.MR_T2FS), loaded=False)
        vp.set_volume(vol)
        assert vp.window is None  # nothing loaded yet
        full = make_volume(make_stack("t2", Role.MR_T2FS))
        vol.array[10] = full.array[10]
        vol.loaded[10] = True
        vp.slices_loaded(1, 20)
        first = vp.window
        assert first is not None and store.source("t2") is WindowSource.AUTO
        assert 200 < first.center < 1200
        vp.set_window(WindowLevel(123, 456))
        vol.array[:] = full.array
        vol.loaded[:] = True
        vp.slices_loaded(20, 20)
        assert vp.window == WindowLevel(123, 456)

    def test_reset_goes_back_to_automatic(self) -> None:
        vp = ViewportModel()
        vp.set_volume(make_volume(make_stack("ct")))
        vp.set_window(WindowLevel(10, 10))
        vp.toggle_invert()
        vp.set_zoom(3.0, (5.0, 5.0))
        vp.reset()
        assert vp.window == WindowLevel(400, 40) and not vp.invert and vp.zoom == 1 and vp.center is None

    def test_drag_adjustment_keeps_width_positive(self) -> None:
        assert WindowLevel(10, 0).adjusted(-50, 5) == WindowLevel(1, 5)


class TestViewTransform:
    def test_non_square_pixels_keep_their_proportions(self) -> None:
        # 100 x 100 pixels, rows 2 mm apart, columns 1 mm: the image is twice as high as wide
        t = ViewTransform(800, 800, rows=100, cols=100, row_spacing_mm=2.0, column_spacing_mm=1.0)
        x, y, w, h = t.image_rect()
        assert h == pytest.approx(800) and w == pytest.approx(400)
        assert x == pytest.approx(200) and y == pytest.approx(0)

    def test_round_trip_and_pixel_centres(self) -> None:
        t = ViewTransform(640, 480, rows=64, cols=64, zoom=2.5, center=(20.0, 30.0))
        assert t.widget_to_image(320, 240) == pytest.approx((20.0, 30.0))
        for row, col in [(0, 0), (12.3, 50.7)]:
            assert t.widget_to_image(*t.image_to_widget(row, col)) == pytest.approx((row, col))
        x0, y0, _, _ = t.image_rect()
        assert t.widget_to_image(x0, y0) == pytest.approx((-0.5, -0.5))

    def test_zoom_about_cursor_keeps_the_point_fixed(self) -> None:
        t = ViewTransform(500, 500, rows=64, cols=64)
        before = t.widget_to_image(100, 150)
        t2 = ViewTransform(500, 500, rows=64, cols=64, zoom=2.0, center=t.center_after_zoom(2.0, 100, 150))
        assert t2.widget_to_image(100, 150) == pytest.approx(before)

    def test_drag_pans_by_screen_pixels(self) -> None:
        t = ViewTransform(640, 640, rows=64, cols=64)  # 10 px per pixel
        t2 = ViewTransform(640, 640, rows=64, cols=64, center=t.center_after_drag(20, -10))
        assert t2.image_to_widget(0, 0) == pytest.approx(np.add(t.image_to_widget(0, 0), (20, -10)))


def test_patient_point_matches_the_geometry() -> None:
    vp = ViewportModel()
    vol = make_volume(make_stack("ct", pixel_spacing_mm=(1.2, 0.6)))
    vp.set_volume(vol)
    vp.set_index(7)
    assert np.allclose(vp.patient_point(10.5, 33.25), vol.geometry.index_to_patient(7, 10.5, 33.25))


@pytest.mark.parametrize("zoom, center", [(1.0, None), (2.5, (100.0, 40.0))])
def test_affine_maps_like_image_to_widget(zoom: float, center: tuple[float, float] | None) -> None:
    t = ViewTransform(800, 600, 512, 300, 0.7, 0.9, zoom, center)
    x0, y0, sx, sy = t.affine()
    for row, col in ((0.0, 0.0), (511.0, 299.0), (-0.5, 17.25)):
        assert (x0 + col * sx, y0 + row * sy) == pytest.approx(t.image_to_widget(row, col))
