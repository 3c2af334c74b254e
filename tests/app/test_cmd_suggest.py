"""`lesionlab suggest`: one JSON object on the sample's DWI (a lesion measured, refusals with reasons)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from app.cli import main

KEYS = {"diameter_mm", "p1_mm", "p2_mm", "sop_instance_uid", "slice_position_mm", "method", "confidence", "note"}


def _case(sample: Path) -> tuple[Path, str, dict[str, Any], dict[str, Any]]:
    truth = json.loads((sample / "ground_truth" / "LLSYN001.json").read_text())
    mr = next(e for e in truth["exams"] if e["exam_id"] == "mr")
    dwi = next(s for s in mr["series"] if s["role"] == "mr_dwi")
    lesion = next(les for les in truth["lesions"] if les["id"] == "L02")
    return sample / mr["series"][0]["folder"].rsplit("/", 1)[0], dwi["series_instance_uid"], lesion, dwi


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["suggest", *args, "--json"]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert set(out) == KEYS
    return out


def test_a_lesion_on_b800_within_3_mm_of_the_truth(sample_dicom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, uid, lesion, _ = _case(sample_dicom)
    point = [str(v) for v in lesion["centre_mm"]["mr"]]
    out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "800", "--point-mm", *point)
    entry = lesion["series"]["mr_dwi"]
    assert out["method"] == "suggested" and out["confidence"] > 0
    assert abs(out["diameter_mm"] - entry["axial_diameter_on_slice_mm"]) <= 3.0
    # the endpoints are patient points on the named slice, as far apart as the diameter says
    assert math.dist(out["p1_mm"], out["p2_mm"]) == pytest.approx(out["diameter_mm"], abs=0.01)
    assert out["p1_mm"][2] == pytest.approx(out["slice_position_mm"], abs=0.01)
    assert out["sop_instance_uid"] == entry["sop_instance_uid"]


def test_several_stacks_are_a_refusal_listing_them(sample_dicom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, uid, lesion, _ = _case(sample_dicom)
    out = _run(capsys, str(folder), "--series-uid", uid, "--point-mm", *map(str, lesion["centre_mm"]["mr"]))
    assert out["diameter_mm"] is None and out["method"] is None
    assert "several stacks" in out["note"] and "b=0" in out["note"] and "b=800" in out["note"]


def test_plain_liver_and_points_off_the_stack_are_refused(sample_dicom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, uid, _, _ = _case(sample_dicom)
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN001.json").read_text())
    liver = next(e for e in truth["exams"] if e["exam_id"] == "mr")["liver_reference_mm"]
    out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "800", "--point-mm", *map(str, liver))
    assert out["diameter_mm"] is None and "no contrast" in out["note"]
    far = [liver[0], liver[1], liver[2] + 1000.0]
    out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "800", "--point-mm", *map(str, far))
    assert out["diameter_mm"] is None and "off the stack" in out["note"]
    out = _run(capsys, str(folder), "--series-uid", "1.2.3", "--point-mm", *map(str, liver))
    assert out["diameter_mm"] is None and "no stack" in out["note"]


def test_on_a_series_the_method_is_not_validated_on_a_refusal_unless_asked(sample_dicom: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """CT portal: refused with the series' figures (its mean error 0.67 mm against 0.5); with --unvalidated the line
    is given, the figures in its note. CT arterial is offered since v19 (session 42: 0.42 mm on the bench, worst -2.29,
    no line over 5 mm on any realisation measured). DWI b800 (validated): no caveat; b0 of the same series: not
    validated."""
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN002.json").read_text())
    ct = next(e for e in truth["exams"] if e["exam_id"] == "ct")
    lesion = next(les for les in truth["lesions"] if les["id"] == "L05")
    from app.suggester import OFFERED_ROLES, SAMPLE_ERROR_MM
    from viewer.records import Role

    assert Role.CT_PORTAL not in OFFERED_ROLES and Role.CT_ARTERIAL in OFFERED_ROLES
    portal = next(s for s in ct["series"] if s["role"] == "ct_portal")
    folder = sample_dicom / portal["folder"].rsplit("/", 1)[0]
    args = (str(folder), "--series-uid", portal["series_instance_uid"], "--point-mm", *map(str, lesion["centre_mm"]["ct"]))
    out = _run(capsys, *args)
    assert out["diameter_mm"] is None and out["method"] is None
    mae, goal, worst = SAMPLE_ERROR_MM[Role.CT_PORTAL]
    assert "not validated on ct_portal" in out["note"] and f"mean error {mae:.2f} mm (goal {goal:g})" in out["note"]
    assert f"worst {worst:+.1f} mm over every click" in out["note"]
    assert "--unvalidated" in out["note"]
    out = _run(capsys, *args, "--unvalidated")
    assert out["diameter_mm"] is not None and "not validated on ct_portal" in out["note"]
    assert abs(out["diameter_mm"] - lesion["series"]["ct_portal"]["axial_diameter_on_slice_mm"]) <= 3.0
    arterial = next(s for s in ct["series"] if s["role"] == "ct_arterial")
    out = _run(capsys, str(folder), "--series-uid", arterial["series_instance_uid"], "--point-mm",
               *map(str, lesion["centre_mm"]["ct"]))
    assert out["diameter_mm"] is not None and "not validated" not in out["note"], out  # offered since v19
    assert abs(out["diameter_mm"] - lesion["series"]["ct_arterial"]["axial_diameter_on_slice_mm"]) <= 3.0, out
    folder, uid, dwi_lesion, _ = _case(sample_dicom)  # DWI b800: offered, no caveat
    point = [str(v) for v in dwi_lesion["centre_mm"]["mr"]]
    out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "800", "--point-mm", *point)
    assert out["diameter_mm"] is not None and "not validated" not in out["note"]
    out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "0", "--point-mm", *point)
    assert out["diameter_mm"] is None and "not validated on mr_dwi at b=0" in out["note"]


@pytest.mark.parametrize(("role", "b_value", "says"), [
    (None, None, "not validated on a series of no known role"),
    ("unknown", None, "not validated on a series of no known role"),
    ("mr_dwi", None, "not validated on mr_dwi at b=unknown (the figures are b800's)"),
    ("mr_dwi", 50.0, "not validated on mr_dwi at b=50 (the figures are b800's)"),
    ("mr_dwi", 800.0, ""),
    ("mr_t2fs", None, ""),
    ("mr_t1_portal", None, "not validated on mr_t1_portal: on the sample phantoms mean error"),
    ("mr_t1_arterial", None, ""),
    ("ct_arterial", None, ""),  # since v19 (session 42)
    ("ct_portal", None, "not validated on ct_portal: on the sample phantoms mean error"),
    ("mr_t2", None, "not validated on mr_t2"),
])
def test_what_is_validated(role: str | None, b_value: float | None, says: str) -> None:
    """Validated: the series the workstation offers (T2 FS, DWI at b800, T1 arterial, CT arterial); a diffusion stack of low
    or unknown b-value (the role is given to diffusion stacks without a b-value in their headers),
    a role without figures or no known role are not, and say so."""
    from types import SimpleNamespace

    from app.cmd_suggest import _caveat
    from viewer.records import Role

    stack = SimpleNamespace(role=None if role is None else Role(role), b_value=b_value)
    note = _caveat(stack)  # type: ignore[arg-type]
    assert note.startswith(says) if says else note == ""


def test_a_dark_vessel_on_t2fs_is_refused(sample_dicom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """LLSYN002 on T2 FS, a click on a vessel's flow void (dark, round, 24 mm across on five slices):
    it was measured as a lesion, 24.3 mm at confidence 1.0 (a reader's check found it replacing the
    current lesion's line). A metastasis on T2 FS is brighter than the liver: refused."""
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN002.json").read_text())
    mr = next(e for e in truth["exams"] if e["exam_id"] == "mr")
    t2fs = next(s for s in mr["series"] if s["role"] == "mr_t2fs")
    folder = sample_dicom / mr["series"][0]["folder"].rsplit("/", 1)[0]
    out = _run(capsys, str(folder), "--series-uid", t2fs["series_instance_uid"], "--point-mm", "-25.5", "35.9", "-80")
    assert out["diameter_mm"] is None and "darker than the liver" in out["note"] and "brighter" in out["note"], out


def test_the_share_of_the_edge_allowed_off_the_ellipse_per_series() -> None:
    """Where vessels lie on the other side of the liver from lesions (T2 FS, b800) 8 %; where they are
    as bright as lesions (T1, CT arterial) what leaves a fifth of the rays (a quarter on CT arterial,
    whose good suggestions reach 24 %) is a vessel measured with the lesion; CT portal a fifth since v17 (its good
    suggestions of the validation realisations reach 33 %: a weak limit, app.suggester.MEASURED_LEAK)."""
    from app.suggester import params_for
    from viewer.records import Role

    limits = {role: params_for(role).max_leak_measured for role in (Role.MR_T2FS, Role.MR_DWI, Role.MR_T1_ARTERIAL,
                                                                    Role.MR_T1_PORTAL, Role.CT_ARTERIAL, Role.CT_PORTAL)}
    assert limits == {Role.MR_T2FS: 0.08, Role.MR_DWI: 0.08, Role.MR_T1_ARTERIAL: 0.13, Role.MR_T1_PORTAL: 0.2,
                      Role.CT_ARTERIAL: 0.25, Role.CT_PORTAL: 0.2}
    assert params_for(None).max_leak_measured == 0.0


def test_a_series_whose_small_lesions_break_the_rule_is_not_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    """A series in app.suggester.SMALL_LESIONS_OFF (T1 arterial until its small-lesion rules: a 6.0 mm lesion
    of validation realisation 211 measured 12.4 mm on every click) is not validated; the CLI says so without
    --unvalidated. Empty today: T1 arterial, the last one there, is validated since."""
    from types import SimpleNamespace

    import app.suggester as suggester
    from app.cmd_suggest import _caveat
    from viewer.records import Role

    assert suggester.SMALL_LESIONS_OFF == {} and _caveat(SimpleNamespace(role=Role.MR_T1_ARTERIAL, b_value=None)) == ""  # type: ignore[arg-type]
    monkeypatch.setattr(suggester, "SMALL_LESIONS_OFF", {Role.MR_T1_ARTERIAL: (11, 200, 8.75)})
    monkeypatch.setattr(suggester, "OFFERED_ROLES", suggester.OFFERED_ROLES - {Role.MR_T1_ARTERIAL})
    says = _caveat(SimpleNamespace(role=Role.MR_T1_ARTERIAL, b_value=None))  # type: ignore[arg-type]
    assert says.startswith("not validated on mr_t1_arterial: on realisations of the sample phantoms lesions of 5-10 mm are measured "
                           "up to +8.8 mm off (11 of 200 clicks more than 5 mm)"), says


def test_hostile_points_gaps_and_b_values_are_refusals_that_say_why(sample_dicom: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A helper's hostile inputs: a NaN or infinite coordinate gave a traceback; "-1e2" was taken for an
    option; a point in a 77 mm gap of the stack (files missing) was measured on a slice 31.5 mm away; a
    wrong b-value did not say which there are. Each is now a refusal (exit 0) that says why."""
    import shutil

    folder, uid, lesion, _ = _case(sample_dicom)
    centre = lesion["centre_mm"]["mr"]
    for bad in ("nan", "inf", "-inf"):
        out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "800", "--point-mm", bad,
                   str(centre[1]), str(centre[2]))
        assert out["diameter_mm"] is None and out["note"].startswith("the point must be three finite numbers"), out
    out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "800", "--point-mm", "-1e2",
               str(centre[1]), str(centre[2]))  # parsed as a number (a point beside the lesion)
    assert "expected" not in out["note"]
    out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "799.9", "--point-mm", *map(str, centre))
    assert out["note"].endswith("at b=799.9; its b-values: 0, 800"), out["note"]
    # a gap: the T2 FS series without its middle files
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN001.json").read_text())
    mr = next(e for e in truth["exams"] if e["exam_id"] == "mr")
    t2 = next(s for s in mr["series"] if s["role"] == "mr_t2fs")
    files = sorted((sample_dicom / t2["folder"]).glob("*.dcm"))
    gap = tmp_path / "gap"
    gap.mkdir()
    for f in files[:10] + files[20:]:
        shutil.copy(f, gap / f.name)
    from viewer.index import index_path
    from viewer.loader import load_stack

    (stack,) = index_path(gap, workers=1).stacks
    geo = load_stack(stack, workers=1).geometry
    positions = sorted(geo.slice_projections_mm)
    step = min(b - a for a, b in zip(positions, positions[1:]))
    a, b = next((a, b) for a, b in zip(positions, positions[1:]) if b - a > 2 * step)
    middle = (a + b) / 2.0
    normal = geo.normal
    point = [float(v) for v in np.asarray(centre, float) + (middle - float(np.asarray(centre) @ normal)) * normal]
    out = _run(capsys, str(gap), "--series-uid", t2["series_instance_uid"], "--point-mm", *map(str, point))
    assert out["diameter_mm"] is None and "in a gap" in out["note"], out["note"]
    assert f"the point is {(b - a) / 2:.1f} mm from the nearest slice" in out["note"], out["note"]


def _at_the_fragment(data: bytes) -> int:
    """Bytes up to the (first) fragment's item header: after the pixel data element and the offset table item."""
    table = data.rindex(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff") + 12
    return table + 8 + int.from_bytes(data[table + 4:table + 8], "little")


@pytest.mark.parametrize("cut", [lambda data: 6000, _at_the_fragment], ids=["in the header", "at the fragment's item"])
def test_a_corrupt_slice_is_set_aside_and_named_in_the_note(sample_dicom: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      cut: Callable[[bytes], int]) -> None:
    """A helper truncated one file of a stack far from the point: `suggest --json` exited 1 with no JSON, then
    refused the whole stack naming the file. The index now sets the cut file aside (session 34): the stack is
    measured without it, and the line's note names the file and the gap it leaves. Cut exactly at its fragment's
    item header, the compressed file passed the index and the stack was refused again."""
    import shutil

    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN001.json").read_text())
    mr = next(e for e in truth["exams"] if e["exam_id"] == "mr")
    t2 = next(s for s in mr["series"] if s["role"] == "mr_t2fs")
    lesion = next(les for les in truth["lesions"] if les["id"] == "L02")
    folder = tmp_path / "t2"
    shutil.copytree(sample_dicom / t2["folder"], folder)
    bad = sorted(folder.glob("*.dcm"))[-2]
    data = bad.read_bytes()
    bad.write_bytes(data[:cut(data)])
    out = _run(capsys, str(folder), "--series-uid", t2["series_instance_uid"], "--point-mm",
               *map(str, lesion["centre_mm"]["mr"]))
    assert out["diameter_mm"] is not None, out["note"]
    assert f"set aside by the index in the stack's folder: {bad.name} (truncated file" in out["note"], out["note"]
    assert "1 gap(s) in slice positions" in out["note"], out["note"]


def test_a_point_very_far_away_is_said_in_a_few_digits(sample_dicom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A helper's point at 1e308 mm was refused with a 309-digit distance in the note."""
    folder, uid, lesion, _ = _case(sample_dicom)
    centre = lesion["centre_mm"]["mr"]
    for point in ((centre[0], centre[1], 1e308), (1e308, centre[1], centre[2]), (centre[0], -1e300, centre[2])):
        out = _run(capsys, str(folder), "--series-uid", uid, "--b-value", "800", "--point-mm", *map(str, point))
        assert out["diameter_mm"] is None and len(out["note"]) < 200, out["note"]
        assert "e+30" in out["note"] or "e+29" in out["note"], out["note"]
