"""Session 47's radiologist read: a CT exam whose one series lesionlab calls "CT other" (a GE gantry-tilt CT) opened an
empty 2 x 3 grid. An exam of one modality with no reading series now shows its series in the cells of its modality,
in the smallest grid holding them, and says why nothing is read there."""

from __future__ import annotations

from app.browser import PAYLOAD
from viewer.records import Role

from .test_exam_layout_s45 import _shown, _window


def test_a_ct_exam_of_ct_other_only_shows_its_series(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    w = _window(qtbot, env, sample_index)
    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                and i.data(0, PAYLOAD).is_single and i.data(0, PAYLOAD).study_date.isoformat() == "2023-10-17")
    exam = item.data(0, PAYLOAD)
    for stack in exam.stacks:  # the portal phase stands for the gantry-tilt CT's one series
        w.overrides.set(stack.key, Role.CT_OTHER)
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: w.state.pair is not None and w.state.pair.is_single)
    qtbot.waitUntil(lambda: any(c.stack is not None for c in w.reading.hanging.cells), timeout=60000)
    assert w.reading.layout.grid == (1, 1) and len(_shown(w)) == 1
    shown = w.reading.hanging.cells[_shown(w)[0]]
    assert shown.stack is not None and shown.stack.key == exam.stacks[0].key
    assert "none of its series is one of the six reading series" in w.state.status
