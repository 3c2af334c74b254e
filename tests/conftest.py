"""Shared fixtures: paths to the project's sample data and to ../shared (present in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# CI (LESIONLAB_REQUIRE_SERVERS=1) runs the property tests on a fixed sequence of examples, so a run
# that landed can be reproduced; on a developer's machine they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("LESIONLAB_REQUIRE_SERVERS") == "1" or os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DICOM = ROOT / "sample_dicom"
SHARED = ROOT.parent / "shared"
REALDICOM = SHARED / "realdicom"


@pytest.fixture(scope="session")
def sample_dicom() -> Path:
    return SAMPLE_DICOM


@pytest.fixture(scope="session")
def realdicom() -> Path:
    if not REALDICOM.is_dir():
        pytest.skip("../shared/realdicom is not beside this clone")
    return REALDICOM


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own settings and data folders: no test reads or writes the developer's
    (~/.config/lesionlab, ~/.local/share/lesionlab), and no test sees another's remembered habits."""
    monkeypatch.setenv("LESIONLAB_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("LESIONLAB_DATA_DIR", str(tmp_path_factory.mktemp("data")))
