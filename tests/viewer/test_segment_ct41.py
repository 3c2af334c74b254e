"""CT arterial's two rules of v17 (session 41): a line along an ellipse whose short axis is under 0.65 of its long one
is refused (``min_axis_ratio``), and so is a line that a click at its own middle does not give again within 3 mm
(``recheck_mm``).

The bad clicks they fix are on generated realisations, not the sample (292 and 295: session 40's fresh ones; 102: a
held-out one of the bench): each test writes one patient's CT arterial series of that seed (about 5 s of CPU) and
clicks it at the bench's own points. The series is written with the generator's CT noise until session 42
(tests/viewer/old_ct_noise.py), the noise these lines were drawn on. On the ramp-spectrum noise since (session 42)
the first click on 292 L07 measures 12.68 mm (+0.69) and 102 L01's 33.08 mm (-0.90) with the rules off, while 295 L03
is still drawn long, 15.65 mm for 10.1 (+5.5), with the rules on: its ellipse 0.663 as wide as long, just over
``min_axis_ratio`` 0.65 (refused since v19 at 0.67: test_segment_ct42.py); so the rules' cases are kept on the old noise."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench import bench_suggest as bs
from tests.viewer.old_ct_noise import write_old_noise

pytestmark = pytest.mark.slow  # about 10 s a test: one series generated, then decoded

ROOT = Path(__file__).resolve().parents[2]


def _realisation(out: Path, seed: int, patient: str) -> Path:
    """``patient``'s CT arterial series and ground truth of generator seed ``seed`` (bench/.heldout/<seed>'s), with
    the CT noise the rule was set on (until session 42)."""
    return write_old_noise(out, seed, patient, ["ct_arterial"])


def _before_and_after(folder: Path, patient: str, lesion_id: str, k: int,
                      clicks: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """Each click suggested with v17's rules off (a line more than 5 mm off the truth, as v16 drew it) and on (refused
    as narrow); the ellipse's short / long axis ratio and the error of the line without the rules."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import NARROW

    params = params_for(Role.CT_ARTERIAL)
    assert params.min_axis_ratio == 0.67  # 0.65 until v19 (test_segment_ct42.py)
    # T1 portal 0.5 since session 44 (tests/viewer/test_segment_t1p_s44.py)
    assert all(params_for(role).min_axis_ratio == 0.0 for role in Role if role not in (Role.CT_ARTERIAL, Role.MR_T1_PORTAL))
    vol = bs.load(patient, "ct_arterial", folder)
    lesion = next(les for les in bs.truth(patient, folder)["lesions"] if les["id"] == lesion_id)
    truth_mm = lesion["series"]["ct_arterial"]["axial_diameter_on_slice_mm"]
    seen = []
    for at in clicks:
        before = suggest_diameter(vol, k, at, replace(params, min_axis_ratio=0.0, recheck_mm=0.0))
        assert isinstance(before, Suggestion) and abs(before.diameter_mm - truth_mm) > 5.0, before
        after = suggest_diameter(vol, k, at, params)
        assert isinstance(after, Refusal) and after.reason.startswith(f"{NARROW}: its short axis is"), after
        assert after.params["axis_ratio"] < 0.65 and after.params["min_axis_ratio"] == 0.67, after.params
        seen.append((after.params["axis_ratio"], before.diameter_mm - truth_mm))
    return seen


#: The bench's five clicks on 295's LLSYN001 L03 on the truth's slice 10 (v16: 17.08 mm on slice 9 against 10.14).
MERGED_CLICKS = ((200.7516976502718, 158.5890538822397), (203.05846768614913, 158.23942510447972),
                 (202.874438956452, 154.74925478038517))


def test_a_lesion_merged_with_its_portal_vein_is_refused_as_narrow(tmp_path: Path) -> None:
    """Fresh realisation 295, LLSYN001 L03 (10.1 mm, against a portal vein branch): clicked on the slice nearest its
    centre, the lesion and the vein's section beside it were one 17.1 mm ellipse on the slice next to it on every
    click (+6.94 mm; session 40's worst fresh line), its short axis 0.59 of its long one. The generator's lesions are
    0.68-0.95; refused since v17."""
    folder = _realisation(tmp_path, 295, "LLSYN001")
    seen = _before_and_after(folder, "LLSYN001", "L03", 10, MERGED_CLICKS)
    assert all(0.55 < ratio < 0.62 and error > 6.5 for ratio, error in seen), seen


#: Three of the bench's clicks on 292's LLSYN002 L07 on slice 20 (v16: 17.0 mm there against 12.0).
CAPSULE_CLICKS = ((165.12872560092177, 148.69566917938047), (167.65068463273207, 151.6562183580417),
                  (170.73378803410563, 150.6112216701379))


def test_a_capsule_lesion_run_into_the_liver_is_refused_as_narrow(tmp_path: Path) -> None:
    """Fresh realisation 292, LLSYN002 L07 (12.0 mm, against the capsule, in a mottled liver): measured 17.0 mm on
    17 clicks (+5.05), its section run into the liver's texture along the capsule, an ellipse 0.51 as wide as long."""
    folder = _realisation(tmp_path, 292, "LLSYN002")
    seen = _before_and_after(folder, "LLSYN002", "L07", 20, CAPSULE_CLICKS)
    assert all(ratio < 0.55 and error > 4.9 for ratio, error in seen), seen


#: The bench's 'ten' click on 102's LLSYN001 L01 on slice 24 that v16 measured 25.3 mm on slice 25 (truth 34.0).
SHELL_CLICK = (209.45661536467517, 146.779616727419)


def test_a_line_its_own_middle_does_not_give_again_is_refused(tmp_path: Path) -> None:
    """Held-out 102, LLSYN001 L01 (34.0 mm, necrotic): one of the bench's clicks found a 23.5 mm part of its shell on
    the slice clicked and measured 25.3 mm on the run's end slice next to it (-8.68 mm, CT arterial's worst line of
    the bench in v16; its ellipse 0.75 as wide as long). Clicked again at that line's own middle, the method finds
    the lesion at 34.2 mm: more than 3 mm apart, refused since v17, and with the rule off, the same line as before."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import NOT_AGAIN

    params = params_for(Role.CT_ARTERIAL)
    assert params.recheck_mm == 3.0
    assert all(params_for(role).recheck_mm == 0.0 for role in Role if role is not Role.CT_ARTERIAL)
    folder = _realisation(tmp_path, 102, "LLSYN001")
    vol = bs.load("LLSYN001", "ct_arterial", folder)
    lesion = next(les for les in bs.truth("LLSYN001", folder)["lesions"] if les["id"] == "L01")
    truth_mm = lesion["series"]["ct_arterial"]["axial_diameter_on_slice_mm"]
    before = suggest_diameter(vol, 24, SHELL_CLICK, replace(params, recheck_mm=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - truth_mm < -8.0, before
    assert before.params["axis_ratio"] >= params.min_axis_ratio, before.params  # the narrow-ellipse rule lets it through
    after = suggest_diameter(vol, 24, SHELL_CLICK, params)
    assert isinstance(after, Refusal) and after.reason.startswith(f"{NOT_AGAIN}: clicked again at its own middle"), after
    assert abs(after.params["recheck_mm"] - truth_mm) < 1.0 and after.params["recheck_mm"] - before.diameter_mm > 3.0
