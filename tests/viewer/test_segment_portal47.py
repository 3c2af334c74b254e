"""Session 47, CT portal only (not offered): a rim lesion measured on its interior on a slice where its rim is not seen
beyond the edge, refused where a slice beside it reads the rim (``raw_shell_beside`` 0.25 on CT portal, T1 portal's rule
since session 44), on a realisation written again by the generator for the test (the bench's seeded click).

404 LLSYN002 L02 (28.8 mm, rim 3.5 mm thick): clicked on slice 7, its interior is measured there, 23.4 mm (-5.35); the
unsmoothed image 0.5-2.5 mm beyond the edge reads -0.05 of the lesion's contrast on slice 7 (``raw_shell`` 0.10 lets it
through), 0.38 on slice 8 beside it. (Raising ``raw_shell`` back to 0.18 with it, which would give back good lines whose
edge blur reaches the band, is not safe: 368 LLSYN002 L03, the line session 44 lowered it for, reads 0.20-0.22 beside.)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import bench_suggest as bs
from tests.viewer.old_ct_noise import write_series

pytestmark = pytest.mark.slow  # a series written and decoded per realisation (a few seconds of CPU each)

#: The bench's seeded click (slice, (row, col)) on 404 LLSYN002 L02.
RIM_CLICK = (7, (208.54865324779496, 157.93850062071016))


def _truth(folder: Path, patient: str, lesion_id: str) -> float:
    lesion = next(les for les in bs.truth(patient, folder)["lesions"] if les["id"] == lesion_id)
    return float(lesion["series"]["ct_portal"]["axial_diameter_on_slice_mm"])


def _volume(tmp_path: Path, seed: int, patient: str) -> tuple[Path, Any]:
    folder = write_series(tmp_path, seed, patient, ["ct_portal"])
    return folder, bs.load(patient, "ct_portal", folder)


def test_the_values_are_ct_portal_and_t1_portal_only() -> None:
    from app.suggester import RAW_SHELL, RAW_SHELL_BESIDE, params_for
    from viewer.records import Role

    ct = params_for(Role.CT_PORTAL)
    assert ct.raw_shell == RAW_SHELL[Role.CT_PORTAL] == 0.10
    assert ct.raw_shell_beside == RAW_SHELL_BESIDE[Role.CT_PORTAL] == 0.25
    assert params_for(Role.MR_T1_PORTAL).raw_shell_beside == 0.45 and params_for(Role.MR_T1_PORTAL).raw_shell == 0.25
    for role in Role:
        if role not in (Role.CT_PORTAL, Role.MR_T1_PORTAL):
            assert params_for(role).raw_shell_beside == 0.0 and params_for(role).raw_shell == 0.0, role


def test_a_rim_lesions_interior_is_refused_where_the_slice_beside_reads_the_rim(tmp_path: Path) -> None:
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.records import METHOD_NAME
    from viewer.segment.slice2d import FAINTER_SHELL

    folder, vol = _volume(tmp_path, 404, "LLSYN002")
    truth = _truth(folder, "LLSYN002", "L02")
    p = params_for(Role.CT_PORTAL)
    before = suggest_diameter(vol, RIM_CLICK[0], RIM_CLICK[1], replace(p, raw_shell_beside=0.0))
    assert isinstance(before, Suggestion) and before.slice_index == 7 and before.diameter_mm - truth < -5.0, before
    assert before.params["raw_shell_share"] < 0.0, before.params  # no rim seen beyond the edge on the slice measured
    s = suggest_diameter(vol, RIM_CLICK[0], RIM_CLICK[1], p)
    assert isinstance(s, Refusal) and s.reason.startswith(f"{FAINTER_SHELL}: on a slice next to the one measured"), s
    assert s.params["raw_shell_beside_share"] >= 0.35 and s.params["method"] == METHOD_NAME, s.params
