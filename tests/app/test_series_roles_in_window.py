"""The workstation records the reading roles an exam's studies hold when its read starts (``ExamPair.series_roles``):
LLSYN001's follow-up CT of 2023-10-17 has its portal phase only, and its Checks asked "no status on CT arterial"
for every lesion measured there, on screen and in the xlsx (session 32's left item). Driven through the window:
the exam opened from the browser, N typed into its viewport."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from PySide6.QtCore import Qt

from annotation.checks import CheckCode, check_pair
from app.browser import PAYLOAD
from app.main_window import MainWindow
from viewer.records import Role

from .conftest import make_window

READER = "Dr Test"
FOLLOW_UP = dt.date(2023, 10, 17)


def _open_follow_up(w: MainWindow, qtbot, sample_dicom: Path, index) -> None:  # type: ignore[no-untyped-def]
    w.show_index(str(sample_dicom), index)
    item = next(i for i in w.browser.pair_items()
                if i.data(0, PAYLOAD).patient_id == "LLSYN001" and i.data(0, PAYLOAD).mr is None
                and i.data(0, PAYLOAD).ct.study_date == FOLLOW_UP)
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack), timeout=60000)


def _new_lesion(w: MainWindow, qtbot) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.role is Role.CT_PORTAL and c.stack)
    w.reading.activate(portal)
    qtbot.keyClick(w.grid.cells[portal], Qt.Key.Key_N)
    pair = w.session.selection.pair
    assert pair is not None
    return pair


def test_a_new_follow_up_exam_records_its_portal_phase_only(qtbot, env: Path, store_copy: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                            sample_index) -> None:
    w = make_window(qtbot, env, reader=READER)
    assert w.store_flow.open_store(store_copy)
    _open_follow_up(w, qtbot, sample_dicom, sample_index)
    pair = _new_lesion(w, qtbot)
    record = w.session.reading.project.exam_pairs[pair]
    assert record.series_roles == (Role.CT_PORTAL,) and record.roles == (Role.CT_PORTAL,)
    said = " ".join(x.message for x in check_pair(w.session.reading.project, *pair, READER))
    assert "CT arterial" not in said, said


def test_an_exam_recorded_before_gets_its_roles_at_the_first_edit(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                 sample_index) -> None:
    store = env / "work" / "followup.lesionlab"
    store.parent.mkdir()
    shutil.copy(sample_dicom / "followup.lesionlab", store)
    con = sqlite3.connect(store, isolation_level=None)  # as a store of before session 33 holds it
    con.execute("UPDATE exam_pairs SET series_roles = ''")
    con.close()
    w = make_window(qtbot, env, reader="sample")
    assert w.store_flow.open_store(store)
    _open_follow_up(w, qtbot, sample_dicom, sample_index)
    assert w.session.reading.project.exam_pairs[("LLSYN001", "F2")].series_roles == ()
    pair = _new_lesion(w, qtbot)
    assert pair == ("LLSYN001", "F2")
    assert w.session.reading.project.exam_pairs[pair].series_roles == (Role.CT_PORTAL,)
    codes = {x.code for x in check_pair(w.session.reading.project, *pair, "sample")
             if "CT arterial" in x.message}
    assert codes == set(), codes
    assert CheckCode.NOT_COUNTED in {x.code for x in check_pair(w.session.reading.project, *pair, "sample")}


def test_the_follow_up_baseline_ct_opens_alone_from_the_pair_chooser(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                     sample_index) -> None:
    """A reader's check: with the follow-up project open, its baseline exam F1 (the CT of 2023-03-14, which also
    belongs to a CT + MRI pair) had no entry: the browser lists the pair, whose grid was empty and whose Checks said
    "no exam pair open". The pair's status now says so, and Ctrl+P offers each study alone."""
    from app.pair_dialog import PairChooser

    store = env / "work" / "followup.lesionlab"
    store.parent.mkdir()
    shutil.copy(sample_dicom / "followup.lesionlab", store)
    w = make_window(qtbot, env, reader="sample")
    assert w.store_flow.open_store(store)
    w.show_index(str(sample_dicom), sample_index)
    item = next(i for i in w.browser.pair_items()
                if i.data(0, PAYLOAD).patient_id == "LLSYN001" and i.data(0, PAYLOAD).mr is not None)
    w.browser.itemActivated.emit(item, 0)
    assert "exam F1: Ctrl+P opens it alone" in w.status.text(), w.status.text()
    chooser = PairChooser(next(p for p in w.patients if p.patient_id == "LLSYN001"), w)
    qtbot.addWidget(chooser)
    row = next(r for r, p in enumerate(chooser.pairs) if p.is_single and p.ct is not None
               and p.ct.study_date == dt.date(2023, 3, 14))
    assert chooser.table.item(row, 3).text() == "one study alone (a follow-up exam)"
    chooser.table.selectRow(row)
    chooser.accept()
    assert chooser.chosen is not None
    w.open_pair(chooser.chosen)
    assert w.session.find_pair(chooser.chosen) == ("LLSYN001", "F1")
    assert w.session.reading.project.lesions_of("LLSYN001", "F1", "sample")


def test_shift_p_carries_a_baseline_read_on_its_ct_alone(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                         sample_index) -> None:
    """A radiologist's check read the follow-up as a new reader: the baseline on its CT alone (Ctrl+P, as the status
    advises), L1 drawn on CT portal; on the next exam Shift+P said "no lesion of yours to carry" (the browser's exam
    is the CT + MRI pair, which holds no read) and P hung the unread exam in between, so every lesion drawn later
    was new and the response PD. P and Shift+P now find the baseline read on the pair's CT alone."""
    from app.pair_dialog import PairChooser
    from tests.app.conftest import drag, press

    store = env / "work" / "followup.lesionlab"
    store.parent.mkdir()
    shutil.copy(sample_dicom / "followup.lesionlab", store)
    w = make_window(qtbot, env, reader="Dr Rad")
    assert w.store_flow.open_store(store) and not w.session.read_only
    w.show_index(str(sample_dicom), sample_index)
    chooser = PairChooser(next(p for p in w.patients if p.patient_id == "LLSYN001"), w)
    qtbot.addWidget(chooser)
    row = next(r for r, p in enumerate(chooser.pairs) if p.is_single and p.ct is not None
               and p.ct.study_date == dt.date(2023, 3, 14))
    chooser.table.selectRow(row)
    chooser.accept()
    w.open_pair(chooser.chosen)

    def portal_active() -> object:
        cell = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
        vp = w.grid.viewports[cell]
        qtbot.waitUntil(lambda: vp.model.volume is not None and vp.model.volume.loaded.all(), timeout=60000)
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton)
        assert w.reading.layout.active == cell
        return vp

    vp = portal_active()
    press(w, qtbot, "new_lesion")
    geo = vp.model.geometry
    drag(qtbot, vp, (geo.rows / 2 - 10, geo.columns / 2), (geo.rows / 2 + 10, geo.columns / 2))
    assert [les.lesion_id for les in w.session.reading.project.lesions_of("LLSYN001", "F1", "Dr Rad")] == ["L1"]

    item = next(i for i in w.browser.pair_items()
                if i.data(0, PAYLOAD).patient_id == "LLSYN001" and i.data(0, PAYLOAD).is_single
                and i.data(0, PAYLOAD).study_date.isoformat() == "2024-03-12")
    w.browser.itemActivated.emit(item, 0)
    portal_active()
    press(w, qtbot, "compare_prior")
    prior = w.reading.hanging.cells[1].stack
    assert prior is not None and prior.study_date == "20230314", prior.study_date  # the exam read, not 2023-10-17
    assert "2023-10-17 has none of your lesions" in w.status.text() or "aligned" in w.status.text(), w.status.text()
    qtbot.waitUntil(lambda: w.reading.viewports[1].volume is not None and w.reading.viewports[1].volume.loaded.all(),
                    timeout=60000)
    press(w, qtbot, "carry_lesions")
    key = w.state.selection.pair
    assert key is not None and key != ("LLSYN001", "F1")
    carried = w.session.reading.project.lesions_of(*key, "Dr Rad")
    baseline = w.session.reading.project.lesions_of("LLSYN001", "F1", "Dr Rad")
    assert [les.tracking_uid for les in carried] == [les.tracking_uid for les in baseline], w.status.text()
