"""CT portal's session-44 rules, on realisation 368 (the ramp-spectrum CT noise) as the bench's seeded clicks reach it.

- ``raw_shell`` 0.10 on CT portal (0.18 before): LLSYN002 L03 (24 mm, rim, against its portal vein; 23.42 mm on slice 23,
  the truth's) clicked on slice 24 was measured on its interior, 19.8 mm (-3.60): its rim of -11.7 HU (0.32 of the
  interior's -36.6) is mostly inside the blur of the interior's edge, and the band 0.5-2.5 mm beyond the edge found holds
  0.10 of the lesion's contrast. Refused now.
- ``own_levels_gap`` 0.08 on CT portal (b800's rule): LLSYN001 L02 (homogeneous, -22.7 HU, 16.35 mm on slice 24) clicked
  on slice 23 set levels there that outline slice 24 at 0.79 of its own-levels outline: 13.10 mm (-3.25). Made again from
  slice 24's own levels: 15.55 (-0.80).

The test writes the two patients' CT portal series of seed 368 with the generator's own noise, about 10 s."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench import bench_suggest as bs
from tests.viewer.old_ct_noise import write_series

pytestmark = pytest.mark.slow

#: The bench's seeded clicks (slice, (row, col)) on 368's LLSYN002 L03 and LLSYN001 L02.
RIM_CLICK = (24, (231.00895142454377, 331.1089498833949))
FAINT_CLICK = (23, (165.01557451473624, 273.60339643905))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ct44p")
    write_series(out, 368, "LLSYN001", ["ct_portal"])
    return write_series(out, 368, "LLSYN002", ["ct_portal"])


def _truth(folder: Path, patient: str, lesion_id: str) -> float:
    lesion = next(les for les in bs.truth(patient, folder)["lesions"] if les["id"] == lesion_id)
    return float(lesion["series"]["ct_portal"]["axial_diameter_on_slice_mm"])


def test_only_ct_portal_and_b800_have_these_values() -> None:
    from app.suggester import params_for
    from viewer.records import Role

    assert params_for(Role.CT_PORTAL).raw_shell == 0.10 and params_for(Role.CT_PORTAL).own_levels_gap == 0.08
    assert params_for(Role.MR_DWI).own_levels_gap == 0.08 and params_for(Role.MR_T1_PORTAL).raw_shell == 0.25
    for role in Role:
        if role not in (Role.CT_PORTAL, Role.MR_DWI, Role.MR_T1_PORTAL):
            assert params_for(role).raw_shell == 0.0 and params_for(role).own_levels_gap == 0.0, role
    assert params_for(Role.MR_DWI).raw_shell == 0.0 and params_for(Role.MR_T1_PORTAL).own_levels_gap == 0.0


def test_a_rim_lesion_measured_on_its_interior_is_refused(folder: Path) -> None:
    """LLSYN002 L03: -3.60 mm with v21's 0.18, refused with 0.10."""
    from app.suggester import params_for
    from viewer.segment.records import METHOD_NAME
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.slice2d import FAINTER_SHELL

    params = params_for(Role.CT_PORTAL)
    vol = bs.load("LLSYN002", "ct_portal", folder)
    before = suggest_diameter(vol, RIM_CLICK[0], RIM_CLICK[1], replace(params, raw_shell=0.18))
    assert isinstance(before, Suggestion) and before.diameter_mm - _truth(folder, "LLSYN002", "L03") < -3.0, before
    assert 0.10 <= before.params["raw_shell_share"] < 0.18, before.params
    after = suggest_diameter(vol, RIM_CLICK[0], RIM_CLICK[1], params)
    assert isinstance(after, Refusal) and after.reason.startswith(f"{FAINTER_SHELL}: the unsmoothed image"), after
    assert after.params["method"] == METHOD_NAME and after.params["raw_shell"] == 0.10


def test_a_faint_lesion_is_measured_at_its_own_levels(folder: Path) -> None:
    """LLSYN001 L02: -3.25 mm at the slice clicked's levels, within 1 mm made again from the slice measured."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    params = params_for(Role.CT_PORTAL)
    vol = bs.load("LLSYN001", "ct_portal", folder)
    truth = _truth(folder, "LLSYN001", "L02")
    before = suggest_diameter(vol, FAINT_CLICK[0], FAINT_CLICK[1], replace(params, own_levels_gap=0.0))
    assert isinstance(before, Suggestion) and before.slice_index == 24 and before.diameter_mm - truth < -3.0, before
    assert before.params["levels_from_slice"] == 23, before.params
    after = suggest_diameter(vol, FAINT_CLICK[0], FAINT_CLICK[1], params)
    assert isinstance(after, Suggestion) and after.slice_index == 24 and abs(after.diameter_mm - truth) < 1.0, after
    assert after.params["levels_own_from"] == 23 and after.params["own_levels_ratio"] < 0.92, after.params
