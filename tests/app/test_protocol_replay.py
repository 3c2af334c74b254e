"""The whole protocol on LLSYN002 through real Qt events on the real main window: at most 150 reader
actions (slice steps apart), and the counts, lobes and diameters it produces equal the ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.records import Measurement, NotVisible
from annotation.vocab import CountStatus, Lobe
from tests.app.conftest import make_window
from tests.app.protocol_replay import ProtocolReader
from viewer.records import READING_ROLES

ACTION_BUDGET = 150


def test_the_llsyn002_protocol_takes_at_most_150_actions_and_reads_the_truth(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                             sample_index) -> None:
    w = make_window(qtbot, env)
    w.show_index(str(env / "reading-list"), sample_index)  # the sample images, without the sample reading
    reader = ProtocolReader(w, qtbot, sample_dicom / "ground_truth" / "LLSYN002.json")
    ids = reader.read()
    tally = reader.tally
    print(f"\nLLSYN002 protocol: {tally.actions} actions ({tally.by_kind}), {tally.slice_steps} slice steps")
    assert tally.actions <= ACTION_BUDGET, tally.by_kind

    project = w.session.reading.project
    key = ("LLSYN002", "E1")
    reader_name = w.session.reading.reader
    truth = reader.truth
    # counts per series and lobe, every series counted
    counts = project.counts(*key, reader_name)
    for role in READING_ROLES:
        assert project.count_status(*key, reader_name, role) is CountStatus.COUNTED, role
        for lobe in Lobe:
            assert counts[(role, lobe)] == truth["counts"][role.value][lobe.value], (role, lobe)
    # the five largest: lobe from the boundary, a diameter where visible (within a pixel), else not visible
    for gt in reader.measured_lesions():
        les = project.lesions[(*key, reader_name, ids[gt["id"]])]
        assert les.lobe.value == gt["lobe"], gt["id"]
        for role in READING_ROLES:
            obs = les.observation(role)
            series = gt["series"][role.value]
            if not series["visible"]:
                assert isinstance(obs, NotVisible), (gt["id"], role)
                continue
            assert isinstance(obs, Measurement), (gt["id"], role)
            # the reader points to a widget pixel: each end within half a screen pixel and half an image pixel
            cell = reader.cell_of(role.value)
            screen_mm = 1.0 / w.grid.viewports[cell].transform().px_per_mm
            tolerance = max(obs.row_spacing_mm, obs.column_spacing_mm) + screen_mm
            assert obs.diameter_mm == pytest.approx(series["axial_diameter_on_slice_mm"], abs=tolerance), (gt["id"], role)
            assert obs.sop_instance_uid == series["sop_instance_uid"], (gt["id"], role)
    # the clinical record: sex from the headers, the rest typed
    clinical = project.patients["LLSYN002"].clinical
    assert clinical.sex is not None and clinical.sex.value == truth["sex"]
    assert clinical.age_at_diagnosis_years == 58 and clinical.ki67_percent == 4.5
    assert clinical.primary_site is not None and clinical.primary_site.value == "pancreas"
    assert clinical.differentiation is not None and clinical.differentiation.value == "NET"
    assert {t.value for t in clinical.treatments} == {"somatostatin_analogues", "primary_resection"}
    assert len(project.lesions_of(*key, reader_name)) == 5  # N never made an empty lesion
