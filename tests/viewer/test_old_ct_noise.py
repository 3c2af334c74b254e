"""tests/viewer/old_ct_noise.py writes the CT series the one-click CT rules were set on: byte-identical to the
sample's file of then (session 41's sample_dicom, before the generator's CT noise became a ramp spectrum)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.viewer.old_ct_noise import DEFAULT_SEED, _generator, write_old_noise

pytestmark = pytest.mark.slow  # about 5 s: one series generated

#: sha256 of sample_dicom/LLSYN002/20231102_CT/004_PORTAL_5mm/IM0018.dcm as committed until session 42.
OLD_IM0018_SHA256 = "c1893b3486fde435abb9a3f3298416ac4364ffa3a31384ee41415eaf92a36eed"


def test_the_old_noise_writes_the_files_the_rules_were_set_on(tmp_path: Path, sample_dicom: Path) -> None:
    assert DEFAULT_SEED == _generator().DEFAULT_SEED
    out = write_old_noise(tmp_path, DEFAULT_SEED, "LLSYN002", ["ct_portal"])
    rel = Path("LLSYN002/20231102_CT/004_PORTAL_5mm/IM0018.dcm")
    old = (out / rel).read_bytes()
    assert hashlib.sha256(old).hexdigest() == OLD_IM0018_SHA256
    assert old != (sample_dicom / rel).read_bytes()  # the sample's own file has today's noise
