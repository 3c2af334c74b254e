"""Session 41: the study browser showed a PatientName holding a right-to-left override as the header had it, so the
patient's name and id after the override read reversed ("DOE )1DI( NHOJ"), and a SeriesDescription's control
characters as they were. The names and descriptions a header gives lose them (viewer/dicomio/headers.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.browser import StudyBrowser
from tests.dicomgen import write_series
from viewer.index import index_path
from viewer.model.settings import RoleOverrides
from viewer.studies import group_studies

OVERRIDES = ("\u202e", "\u202d", "\u2067", "\x1b", "\x00", "\x07", "\n")


def test_the_browser_shows_names_and_descriptions_without_overrides_or_control_characters(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_series(tmp_path / "s", np.zeros((3, 8, 8), dtype=np.uint16), patient_id="ID1",
                 patient_name="DOE^\u202eNHOJ", series_description="\u202dportal\x00\x1b[2J\x07\nphase",
                 extra={"SpecificCharacterSet": "ISO_IR 192"})
    browser = StudyBrowser(RoleOverrides(tmp_path / "roles.json"))
    qtbot.addWidget(browser)
    browser.set_patients(group_studies(index_path(tmp_path, workers=1).stacks))
    browser.expandAll()
    shown = []
    item = browser.topLevelItem(0)
    while item is not None:
        shown.append(item.text(0))
        item = browser.itemBelow(item)
    assert shown[0] == "DOE NHOJ (ID1)"
    assert "portal[2J phase" in shown, shown
    assert not [t for t in shown if any(c in t for c in OVERRIDES)], shown
