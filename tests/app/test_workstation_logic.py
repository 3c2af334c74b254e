"""The workstation's logic moved out of the main window (session 48), on plain models without Qt: Z's field of view
(:meth:`app.workstation.WorkstationState.copy_field_of_view`) and Esc's suggestion declined
(:func:`app.reading_commands.drop_suggestion`). The window's own tests of Z and Esc are in test_reader_s47c.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotation.selection import Picked
from app import reading_commands as cmd
from app.reading_session import ReadingSession
from app.workstation import WorkstationState
from viewer.errors import LesionlabError
from viewer.model.reading import ReadingModel
from viewer.records import READING_ROLES, Role
from viewer.testing import make_stack, make_volume

ART, PORTAL = READING_ROLES.index(Role.CT_ARTERIAL), READING_ROLES.index(Role.CT_PORTAL)
T2, DWI = READING_ROLES.index(Role.MR_T2FS), READING_ROLES.index(Role.MR_DWI)


def _state(tmp_path: Path) -> WorkstationState:
    return WorkstationState(ReadingSession("R1", create_default=lambda: tmp_path / "r.lesionlab"), ReadingModel())


def _show(state: WorkstationState, *cells: tuple[Role, tuple[float, float, float], dict[str, object]]) -> None:
    """Stacks of ``(role, origin, make_stack's options)`` hung and loaded, each in its role's cell."""
    volumes = [make_volume(make_stack(f"s{i}", role, **kw), origin_mm=origin)  # type: ignore[arg-type]
               for i, (role, origin, kw) in enumerate(cells)]
    state.viewer.open_stacks([v.stack for v in volumes])
    for v in volumes:
        cell = next(i for i, c in enumerate(state.viewer.hanging.cells) if c.stack is not None and c.stack.key == v.stack.key)
        state.viewer.show_volume(cell, v)


class TestCopyFieldOfView:
    def test_the_point_at_the_active_centre_is_every_same_frame_cells_centre(self, tmp_path: Path) -> None:
        s = _state(tmp_path)
        # CT portal: the same frame of reference, its own field (origin, pixels) and slices
        _show(s, (Role.CT_ARTERIAL, (-150.0, -150.0, -200.0), {}),
              (Role.CT_PORTAL, (-140.0, -160.0, -199.0), {"rows": 80, "columns": 96, "pixel_spacing_mm": (0.7, 0.6)}),
              (Role.MR_T2FS, (-150.0, -150.0, -200.0), {"frame_of_reference_uid": "1.2.3.for.mr"}))
        s.viewer.activate(ART)
        a, p, t2 = (s.viewer.viewports[c] for c in (ART, PORTAL, T2))
        a.set_zoom(2.5, (20.0, 41.0))  # Ctrl+Wheel about the pointer, off the image's middle
        cells = s.copy_field_of_view()
        assert cells == [a, p]  # the CT cells, not the MRI's
        assert p.zoom == a.zoom and p.center is not None
        pa = a.geometry.index_to_patient(a.index, *a.center)  # type: ignore[union-attr, misc]
        pp = p.geometry.index_to_patient(p.index, *p.center)  # type: ignore[union-attr]
        assert np.allclose(pa[:2], pp[:2]), (pa, pp)
        assert t2.zoom == 1.0 and t2.center is None  # another modality: untouched

    def test_a_cell_of_another_frame_gets_the_zoom_alone(self, tmp_path: Path) -> None:
        s = _state(tmp_path)
        _show(s, (Role.CT_ARTERIAL, (-150.0, -150.0, -200.0), {}),
              (Role.CT_PORTAL, (-150.0, -150.0, -200.0), {"frame_of_reference_uid": "1.2.3.for.other"}))
        s.viewer.activate(ART)
        s.viewer.viewports[ART].set_zoom(2.0, (10.0, 12.0))
        s.copy_field_of_view()
        p = s.viewer.viewports[PORTAL]
        assert p.zoom == 2.0 and p.center is None

    def test_a_fitted_active_cell_gives_its_images_middle(self, tmp_path: Path) -> None:
        s = _state(tmp_path)
        mr = "1.2.3.for.mr"
        _show(s, (Role.MR_T2FS, (-150.0, -150.0, -200.0), {"frame_of_reference_uid": mr}),
              (Role.MR_DWI, (-160.0, -150.0, -200.0), {"frame_of_reference_uid": mr, "b_value": 800.0}))
        s.viewer.activate(T2)
        s.copy_field_of_view()
        d = s.viewer.viewports[DWI]
        # T2's middle (31.5 px of 0.8 mm from -150) is 10 mm further along x on DWI's field, which starts 10 mm before
        assert d.zoom == 1.0 and d.center == pytest.approx((31.5, 31.5 + 10 / 0.8))

    def test_an_empty_active_cell_says_so(self, tmp_path: Path) -> None:
        s = _state(tmp_path)
        with pytest.raises(LesionlabError, match="the active cell shows nothing"):
            s.copy_field_of_view()


class TestDropSuggestion:
    PAIR = ("P1", "E1")

    def _suggested(self, tmp_path: Path) -> WorkstationState:
        """L1 made (N), then a step named as a suggestion's (what annotation.gestures records: the line, its lobe)."""
        s = _state(tmp_path)
        r = s.reading
        r.add_patient("P1")
        r.add_exam_pair(*self.PAIR)
        with r.batch("add lesion L1"):
            r.add_lesion(self.PAIR, "right", lesion_id="L1")
        s.selection.set_pair(self.PAIR)
        with r.batch("L1 on CT portal: suggested"):
            r.edit_lesion(self.PAIR, "L1", lobe="left")
        s.selection.pick(Picked(lesion_id="L1", role=Role.CT_PORTAL, fresh=True, suggested=True))
        return s

    def _lobe(self, s: WorkstationState) -> str:
        return str(s.reading.project.lesions[(*self.PAIR, "R1", "L1")].lobe.value)

    def test_the_last_step_being_the_suggestion_it_is_withdrawn(self, tmp_path: Path) -> None:
        s = self._suggested(tmp_path)
        assert self._lobe(s) == "left"
        assert cmd.drop_suggestion(s)
        assert self._lobe(s) == "right" and s.reading.undo_description == "add lesion L1" and not s.reading.can_redo
        assert s.selection.picked is None and s.status == "L1 on CT portal: suggestion dropped (Esc)"

    def test_after_another_edit_it_is_kept(self, tmp_path: Path) -> None:
        s = self._suggested(tmp_path)
        with s.reading.batch("L1 segment"):
            s.reading.edit_lesion(self.PAIR, "L1", lobe="right")
        assert s.selection.picked is None or not s.selection.picked.suggested  # the edit kept it (Selection)
        # shown as suggested still, its step no longer the last: kept, nothing undone
        s.selection.pick(Picked(lesion_id="L1", role=Role.CT_PORTAL, fresh=True, suggested=True))
        assert not cmd.drop_suggestion(s)
        assert s.reading.undo_description == "L1 segment" and s.selection.picked is not None
        assert not s.selection.picked.suggested and self._lobe(s) == "right"

    def test_nothing_suggested_nothing_done(self, tmp_path: Path) -> None:
        s = self._suggested(tmp_path)
        s.selection.kept()  # Enter
        assert not cmd.drop_suggestion(s) and self._lobe(s) == "left"
        s.selection.pick(None)
        assert not cmd.drop_suggestion(s)


def test_news_comes_after_an_unclean_exits_notice_until_the_reader_acts(tmp_path: Path) -> None:
    """Session 49's reader: after a restart, "lesionlab did not close cleanly ..." was replaced by the alignment's
    news within 20 s, before it was read. Said ``until_acted``, news comes after it until the next thing said.
    (Checked: fails without it: the news alone.)"""
    s = _state(tmp_path)
    now = [100.0]
    s.clock = lambda: now[0]
    s.say("lesionlab did not close cleanly last time", until_acted=True)
    now[0] += 20.0
    s.tell("aligned")
    assert s.status == "lesionlab did not close cleanly last time · aligned", s.status
    s.say("L1 on T2 FS: 20.0 mm")  # the reader's next action
    now[0] += 20.0
    s.tell("aligned again")
    assert s.status == "aligned again", s.status
