"""Issue 8 item 7 in the window: a pair opens aligned (registration in a worker, never before the
first image), cells say "linked" only when they are, the landmark link corrects the proposal and
keeps it as the pair's confirmed alignment, which the next opening uses without registering."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from annotation.vocab import AlignmentSource
from tests.app.conftest import open_pair, press


def lesion_gap_mm(w, truth: dict) -> float:  # type: ignore[no-untyped-def]
    """Largest 3D distance between each lesion's CT centre and its MRI centre mapped through the link."""
    ct_vp = next(vp for vp in w.reading.viewports if vp.role is not None and vp.role.value == "ct_portal")
    mr_vp = next(vp for vp in w.reading.viewports if vp.role is not None and vp.role.value == "mr_t1_portal")
    worst = 0.0
    for les in truth["lesions"]:
        mapped = w.reading.link.map_point(mr_vp, ct_vp, np.asarray(les["centre_mm"]["mr"], float))
        assert mapped is not None, "CT and MRI cells are not linked"
        worst = max(worst, float(np.linalg.norm(mapped - np.asarray(les["centre_mm"]["ct"], float))))
    return worst


def test_a_pair_opens_aligned_and_the_reader_confirms_it_once(window, qtbot, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                              sample_index, store_copy: Path) -> None:
    w = window
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN003.json").read_text())
    # the fixture opened LLSYN001; the breathing case is LLSYN003 (liver 15 mm against the body)
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN003")
    ct, mr = w.grid.viewports[0], w.grid.viewports[2]
    qtbot.waitUntil(lambda: w.state.alignment is not None, timeout=120000)
    assert w.state.alignment.source is AlignmentSource.PROPOSED
    assert lesion_gap_mm(w, truth) < 5.0
    assert ct.link_text(ct.model).startswith("linked: all") and mr.link_text(mr.model).startswith("linked: all")
    assert "aligned from the images" in w.status.text()
    # scrolling the CT moves the MRI to the same place (within a slice)
    before = w.reading.viewports[2].index
    w.reading.viewports[0].next_slice(3)
    assert w.reading.viewports[2].index != before
    # L keeps the link as the pair's confirmed alignment, in the store
    w.reading.activate(0)
    press(w, qtbot, "link_all")
    assert w.state.alignment.source is AlignmentSource.CONFIRMED
    assert "confirmed" in w.status.text()
    frames = w.state.pair_frames()
    assert w.session.reading.project.alignment("LLSYN003", *frames).source is AlignmentSource.CONFIRMED
    assert lesion_gap_mm(w, truth) < 5.0
    # reopening the pair uses it at once, no registration
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN001")
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN003")
    assert w.state.alignment is not None and w.state.alignment.source is AlignmentSource.CONFIRMED
    assert w._align_wanted is None and lesion_gap_mm(w, truth) < 5.0


def test_the_alignment_done_does_not_erase_what_the_readers_click_just_said(window, qtbot, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                            sample_index) -> None:
    """A radiologist's check clicked a lesion while the pair was opening: the click's refusal was
    overwritten by the alignment's message before it could be read. News from a background job now
    comes after what the reader's action said within NEWS_HOLD_S; later news replaces it as before."""
    from PySide6.QtCore import QPoint, Qt

    from app.workstation import NEWS_HOLD_S

    w = window
    now = [0.0]
    w.state.clock = lambda: now[0]
    # the registration starts once its two stacks have loaded, before the others: held until the click
    # (a review saw it land before open_pair returned in two runs of four)
    held: list[tuple] = []
    start = w.align_job.start
    w.align_job.start = lambda *args: held.append(args)  # type: ignore[method-assign]
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN003")
    qtbot.waitUntil(lambda: len(held) == 1, timeout=60000)
    assert w.state.alignment is None
    press(w, qtbot, "tool_line")
    vp = w.grid.viewports[2]
    x, y = vp.transform().image_to_widget(vp.model.geometry.rows / 2, vp.model.geometry.columns / 2)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    said = w.status.text()
    assert said and "align" not in said
    now[0] = NEWS_HOLD_S / 2
    w.align_job.start = start  # type: ignore[method-assign]
    start(*held[0])
    qtbot.waitUntil(lambda: w.state.alignment is not None, timeout=120000)
    qtbot.waitUntil(lambda: "aligned from the images" in w.status.text(), timeout=5000)
    assert w.status.text().startswith(f"{said} · CT and MRI aligned from the images"), w.status.text()
    # news long after the reader's last word replaces it
    now[0] = NEWS_HOLD_S + 1
    w.state.tell("CT and MRI aligned")
    assert w.status.text() == "CT and MRI aligned"
    # the reader's next action replaces the news; a job's progress ("indexing …") is replaced by its news
    w.state.say("something the reader did")
    assert w.status.text() == "something the reader did"
    w.state.say("indexing /some/folder …", hold=False)
    w.state.tell("/some/folder: 1 patient(s)")
    assert w.status.text() == "/some/folder: 1 patient(s)"
