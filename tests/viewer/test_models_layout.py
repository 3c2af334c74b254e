"""LayoutModel, HangingModel, LinkModel, RoleOverrides and RecentStudies: plain Python, no Qt."""

from __future__ import annotations

import json

import numpy as np
import pytest

from viewer.errors import StoreError
from viewer.model.layout import HangingModel, LayoutModel
from viewer.model.linking import LinkModel
from viewer.model.settings import RecentStudies, RoleOverrides, config_dir
from viewer.testing import make_stack, make_volume
from viewer.model.viewport import ViewportModel
from viewer.model.window import WindowStore
from viewer.records import READING_ROLES, Role


def pair_stacks() -> list:
    ct = dict(frame_of_reference_uid="for.ct", study_uid="st.ct")
    mr = dict(frame_of_reference_uid="for.mr", study_uid="st.mr", pixel_spacing_mm=(1.5, 1.5), slice_spacing_mm=5.0)
    return [
        make_stack("ct_art", Role.CT_ARTERIAL, **ct),
        make_stack("ct_port", Role.CT_PORTAL, **ct),
        make_stack("t2fs", Role.MR_T2FS, **mr),
        make_stack("dwi_b0", Role.MR_DWI, b_value=0, **mr),
        make_stack("dwi_b800", Role.MR_DWI, b_value=800, **mr),
        make_stack("adc", Role.MR_ADC, **mr),
        make_stack("t1_pre", Role.MR_T1_PRE, **mr),
        make_stack("t1_art", Role.MR_T1_ARTERIAL, **mr),
    ]


class TestLayout:
    def test_grid_maximise_and_active(self) -> None:
        lay = LayoutModel()
        assert [c for c, _, _ in lay.visible_cells()] == [0, 1, 2, 3, 4, 5]
        assert lay.visible_cells()[4] == (4, 1, 1)
        lay.toggle_maximise(3)
        assert lay.visible_cells() == [(3, 0, 0)] and lay.active == 3
        changed: list[int] = []
        lay.changed.connect(lambda: changed.append(lay.active))
        lay.set_active(4)  # the maximised cell follows the active one: what is worked on is on screen
        assert lay.visible_cells() == [(4, 0, 0)] and lay.active == 4 and changed == [4]
        lay.toggle_maximise()
        assert len(lay.visible_cells()) == 6
        lay.set_active(1)  # in the grid nothing else moves
        assert lay.maximised is None and lay.active == 1 and changed == [4, 4]
        lay.set_grid(2, 2)
        assert [c for c, _, _ in lay.visible_cells()] == [0, 1, 2, 3]
        with pytest.raises(ValueError):
            lay.set_grid(4, 7)

    def test_an_exam_of_one_modality_fills_the_grid_with_its_own_series(self) -> None:
        """A follow-up CT hung in the six cells of a pair had images of 380 x 300 px at 1600 x 1000 (session 45)."""
        lay = LayoutModel()
        changed: list[tuple[int, int]] = []
        lay.changed.connect(lambda: changed.append(lay.grid))
        lay.fit([0, 1])  # CT arterial and portal: side by side
        assert lay.grid == (1, 2) and lay.visible_cells() == [(0, 0, 0), (1, 0, 1)] and changed == [(1, 2)]
        lay.fit([1])  # the portal phase alone: one cell, and the active one
        assert lay.grid == (1, 1) and lay.visible_cells() == [(1, 0, 0)] and lay.active == 1
        assert lay.grid_cells() == [1]  # Tab stays in it
        lay.fit([2, 3, 4, 5])  # an MRI alone: its four cells in 2 x 2
        assert lay.grid == (2, 2) and lay.visible_cells() == [(2, 0, 0), (3, 0, 1), (4, 1, 0), (5, 1, 1)]
        assert lay.active == 2
        lay.toggle_maximise(4)  # M and back keep the exam's cells
        assert lay.visible_cells() == [(4, 0, 0)]
        lay.toggle_maximise()
        assert [c for c, _, _ in lay.visible_cells()] == [2, 3, 4, 5]
        lay.fit(None)  # a pair: the six cells
        assert lay.grid == (2, 3) and [c for c, _, _ in lay.visible_cells()] == [0, 1, 2, 3, 4, 5]
        lay.fit([])  # nothing hung: as a pair
        assert lay.grid == (2, 3) and not lay.fitted

    def test_the_readers_choice_wins_on_its_exam_and_the_next_exam_opens_in_its_own(self) -> None:
        lay = LayoutModel()
        lay.fit([1])
        lay.choose_grid(2, 3)  # the reader wants the empty cells to drop a stack into
        assert [c for c, _, _ in lay.visible_cells()] == [0, 1, 2, 3, 4, 5] and lay.chosen == (2, 3)
        lay.set_grid(1, 2)  # P: the prior beside
        assert [c for c, _, _ in lay.visible_cells()] == [0, 1]
        lay.restore()  # P again: the reader's choice, not the fitted 1 x 1
        assert lay.grid == (2, 3) and not lay.fitted
        lay.fit([0, 1])  # another exam: its own layout
        assert lay.grid == (1, 2) and lay.chosen is None
        lay.set_grid(1, 2)
        lay.set_active(1)
        lay.fit([1])
        lay.set_grid(1, 2)
        lay.set_active(0)
        lay.restore()  # back to the exam's one cell: the active cell is one on screen
        assert lay.visible_cells() == [(1, 0, 0)] and lay.active == 1


class TestHanging:
    def test_six_cells_from_roles_b800_preferred_and_missing_role_named(self) -> None:
        hang = HangingModel()
        hang.hang(pair_stacks())
        keys = [c.stack.key if c.stack else None for c in hang.cells]
        assert keys == ["ct_art", "ct_port", "t2fs", "dwi_b800", "t1_art", None]
        assert [c.role for c in hang.cells] == list(READING_ROLES)
        assert hang.missing_roles() == [Role.MR_T1_PORTAL]

    def test_adc_swap_and_back(self) -> None:
        hang = HangingModel()
        hang.hang(pair_stacks())
        changed: list[int] = []
        hang.cell_changed.connect(changed.append)
        assert hang.swap_dwi_adc() == 3
        assert hang.cells[3].role is Role.MR_ADC and hang.cells[3].stack.key == "adc"
        hang.swap_dwi_adc()
        assert hang.cells[3].stack.key == "dwi_b800" and changed == [3, 3]

    def test_adc_swap_without_an_adc_leaves_the_cell(self) -> None:
        """A review: on an exam without ADC (a CT-only follow-up) D emptied the DWI cell and the window said it
        showed the ADC map. The cell stays; its role says what it shows."""
        hang = HangingModel()
        hang.hang([s for s in pair_stacks() if s.key != "adc"])
        changed: list[int] = []
        hang.cell_changed.connect(changed.append)
        assert hang.swap_dwi_adc() == 3
        assert hang.cells[3].role is Role.MR_DWI and hang.cells[3].stack.key == "dwi_b800" and changed == []

    def test_drop_into_empty_cell_and_role_correction(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        overrides = RoleOverrides(tmp_path / "roles.json")
        hang = HangingModel(role_of=overrides.role_of)
        stacks = pair_stacks()
        hang.hang(stacks)
        hang.assign(5, stacks[6])
        assert hang.cells[5].stack.key == "t1_pre" and hang.cells[5].role is Role.MR_T1_PORTAL
        overrides.set("t1_pre", Role.MR_T1_PORTAL)
        hang.rehang()
        assert hang.cells[5].stack.key == "t1_pre"
        # persisted and read back by a new session
        assert RoleOverrides(tmp_path / "roles.json").role_of(stacks[6]) is Role.MR_T1_PORTAL
        overrides.set("t1_pre", None)
        assert RoleOverrides(tmp_path / "roles.json").get("t1_pre") is None


class TestSettings:
    def test_config_dir_redirect(self, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setenv("LESIONLAB_CONFIG_DIR", str(tmp_path))
        assert config_dir() == tmp_path
        RoleOverrides().set("k", "mr_dwi")
        assert json.loads((tmp_path / "role_overrides.json").read_text())["roles"] == {"k": "mr_dwi"}

    def test_bad_file_names_itself(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        (tmp_path / "recent.json").write_text("{not json")
        with pytest.raises(StoreError) as err:
            RecentStudies(tmp_path / "recent.json")
        assert "recent.json" in str(err.value)

    def test_recent_most_recent_first_unique_bounded(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        rec = RecentStudies(tmp_path / "recent.json", limit=3)
        for name in ["a", "b", "c", "a", "d"]:
            rec.add(tmp_path / name)
        assert [p.rsplit("/", 1)[1] for p in rec.paths] == ["d", "a", "c"]
        assert RecentStudies(tmp_path / "recent.json").paths == rec.paths


def _linked_viewports():  # type: ignore[no-untyped-def]
    store = WindowStore()
    stacks = {s.key: s for s in pair_stacks()}
    # CT: 20 slices of 2.5 mm from z = -200; MRI: 20 slices of 5 mm from z = +40 (its own frame)
    vps = [ViewportModel(store, i) for i in range(4)]
    vps[0].set_volume(make_volume(stacks["ct_art"]))
    vps[1].set_volume(make_volume(stacks["ct_port"]))
    vps[2].set_volume(make_volume(stacks["t2fs"], origin_mm=(-200, -200, 40)))
    vps[3].set_volume(make_volume(stacks["dwi_b800"], origin_mm=(-200, -200, 40)))
    return vps, LinkModel(vps)


class TestLinking:
    def test_same_frame_scrolls_together_by_position(self) -> None:
        (ct_a, ct_p, t2, dwi), link = _linked_viewports()
        ct_a.set_index(4)
        assert ct_p.index == 4
        t2_before = t2.index
        ct_a.set_index(5)
        assert t2.index == t2_before
        t2.set_index(3)
        assert dwi.index == 3  # same MRI frame

    def test_reader_link_across_frames_keeps_the_offset(self) -> None:
        (ct_a, ct_p, t2, dwi), link = _linked_viewports()
        ct_a.set_index(8)  # z = -180 on the CT, landmark
        t2.set_index(6)  # z = 70 on the MRI, the same landmark
        link.link_current_positions(ct_a)
        assert link.offset_mm(t2) == pytest.approx(-180 - 70)
        ct_a.set_index(12)  # 10 mm up the patient
        assert ct_p.index == 12
        assert t2.index == 8 and dwi.index == 8  # 10 mm = 2 MRI slices of 5 mm
        assert t2.position_mm() == pytest.approx(80)
        t2.set_index(7)  # and back from the MRI side
        assert ct_a.index == 10 and ct_a.position_mm() == pytest.approx(-175)

    def test_unlink_one_viewport(self) -> None:
        (ct_a, ct_p, t2, dwi), link = _linked_viewports()
        link.link_current_positions(ct_a)
        dwi.set_linked(False)
        ct_a.set_index(ct_a.index + 2)
        assert dwi.index == 10 and t2.index == 11
        dwi.set_index(2)
        assert ct_a.index == 12
        link.clear_reader_links()
        ct_a.set_index(3)
        assert t2.index == 11 and ct_p.index == 3

    def test_crosshair_propagates_in_patient_mm_with_the_offset(self) -> None:
        (ct_a, ct_p, t2, dwi), link = _linked_viewports()
        ct_a.set_index(8)
        t2.set_index(6)
        link.link_current_positions(ct_a)
        point = ct_a.geometry.index_to_patient(14, 30, 20)  # z = -165
        link.set_reference_point(ct_a, point)
        assert ct_a.index == 14 and ct_p.index == 14
        assert np.allclose(ct_p.crosshair_mm, point)
        assert t2.crosshair_mm[2] == pytest.approx(-165 + 250)
        assert t2.index == 9  # z = 85 in the MRI frame
        k, row, col = t2.crosshair_index()
        assert k == pytest.approx(9) and row == pytest.approx((point[1] + 200) / 1.5)
        link.clear_reference_point()
        assert all(v.crosshair_mm is None for v in (ct_a, ct_p, t2, dwi))


def test_reference_points_on_the_landmark_give_a_3d_link() -> None:
    (ct_a, ct_p, t2, dwi), link = _linked_viewports()
    # the same landmark: CT (row 30, col 20) on slice 8; MRI (row 12, col 25) on slice 6
    x_ct = ct_a.geometry.index_to_patient(8, 30, 20)
    x_mr = t2.geometry.index_to_patient(6, 12, 25)
    link.set_reference_point(ct_a, x_ct)
    link.set_reference_point(t2, x_mr)  # not linked to the CT yet: the CT keeps its point
    assert np.allclose(ct_a.crosshair_mm, x_ct)
    how = link.link_current_positions(ct_a)
    assert how == {"for.mr": "point"}
    assert np.allclose(link.map_point(ct_a, t2, x_ct), x_mr)
    # another point 15 mm right, 10 mm up on the CT maps 15 mm right, 10 mm up of the MRI landmark
    moved = x_ct + np.array([15.0, 0.0, 10.0])
    link.set_reference_point(ct_a, moved)
    assert np.allclose(t2.crosshair_mm, x_mr + np.array([15.0, 0.0, 10.0]))
    assert t2.index == 8 and dwi.index == 8


def test_a_point_off_the_shown_slice_falls_back_to_slice_alignment() -> None:
    (ct_a, ct_p, t2, dwi), link = _linked_viewports()
    link.set_reference_point(ct_a, ct_a.geometry.index_to_patient(8, 30, 20))
    link.set_reference_point(t2, t2.geometry.index_to_patient(6, 12, 25))
    t2.set_index(9)  # the reader scrolled away from the MRI point
    assert link.link_current_positions(ct_a) == {"for.mr": "slice"}
    assert link.offset_mm(t2) == pytest.approx(-180 - 85)
