"""Session 49's radiologist-engineer on one-click refusals: a click on a T2 FS flow void (LLSYN001's dark IVC inside the
liver) said "the lesion may be longest on the neighbouring slice, where its edge is not clear"; the README says what is
darker than the liver on T2 FS is refused as a flow void, and that is said now."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.refusal_words import plain_refusal

T2FS = "1.2.826.0.1.3680043.8.498.13032734801291739437893129268544092946"  # LLSYN001's T2 FS


def test_a_click_on_a_t2_flow_void_is_said_darker_than_the_liver(sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The reader's point (-20.5, 0.5, -59.5 mm, Im 21, the pointer reading 38 against the liver's ~190): refused as
    darker than the liver, a vessel, not as a lesion longest on the next slice. (Checked: fails without the fix: "the
    lesion may be longest on the neighbouring slice (Pos -66.5 mm)".)"""
    folder = sample_dicom / "LLSYN001" / "20230411_MR"
    assert main(["suggest", str(folder), "--series-uid", T2FS, "--point-mm", "-20.5", "0.5", "-59.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["diameter_mm"] is None and out["note"].startswith("what was found is darker than the liver"), out
    said = plain_refusal(out["note"])
    assert said == "what is under the click is darker than the liver, and a lesion on this series is brighter: a " \
                   "vessel?", said
