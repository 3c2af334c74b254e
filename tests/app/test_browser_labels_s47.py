"""Session 47's radiologist read: a patient's only exam (MR 2019-02-07, MR 1971-07-14, an undated CT) was labelled
"follow-up" in the study browser. A one-modality exam is a follow-up only after an earlier dated exam."""

from __future__ import annotations

from app.browser import KIND, StudyBrowser
from viewer.model.settings import RoleOverrides
from viewer.records import Role
from viewer.studies import group_studies
from viewer.testing import make_stack


def _labels(browser: StudyBrowser) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i in range(browser.topLevelItemCount()):
        top = browser.topLevelItem(i)
        out[top.text(0)] = [top.child(k).text(1) for k in range(top.childCount()) if top.child(k).data(0, KIND) == "pair"]
    return out


def test_only_an_exam_after_an_earlier_one_is_a_follow_up(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stacks = [
        make_stack("a", Role.MR_T2FS, patient_id="ONE", study_uid="1.1", study_date="20190207"),
        make_stack("u", Role.CT_PORTAL, patient_id="UNDATED", study_uid="2.1", study_date=""),
        make_stack("b1", Role.CT_PORTAL, patient_id="TWO", study_uid="3.1", study_date="20230101"),
        make_stack("b2", Role.CT_PORTAL, patient_id="TWO", study_uid="3.2", study_date="20230601"),
        make_stack("c", Role.CT_PORTAL, patient_id="TWO", study_uid="3.3", study_date=""),
    ]
    browser = StudyBrowser(RoleOverrides(tmp_path / "roles.json"))
    qtbot.addWidget(browser)
    browser.set_patients(group_studies(stacks))
    labels = {name.split("(")[-1].rstrip(")"): kinds for name, kinds in _labels(browser).items()}
    assert labels == {"ONE": ["only exam"], "UNDATED": ["only exam"], "TWO": ["first exam", "follow-up", "undated"]}
