"""dwi39's ``uncorrected_px`` through the window (review39b): a b800 line measured on its ellipse as found (LLSYN002 L07,
11.8 mm on two 5 mm slices at 4.5-4.6 pixels, under b800's 5.5-pixel limit) records the parameters that made it
(``uncorrected_px`` 4.9, ``uncorrected_from_px`` 3.6 since session 40, ``min_pixels_across`` 5.5) and ``uncorrected``; ``lesionlab suggest
--point-mm`` at its recorded click, with the same ``params_for(role)``, gives the window's line; the store, the CSV
and the DICOM SR keep the record's method_params whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from annotation.records import Measurement
from annotation.vocab import MeasurementMethod
from app.main_window import MainWindow
from tests.app.conftest import READER
from tests.app.test_radclick_s37 import clicked_on_b800
from tests.app.test_suggest_in_window import PATIENT, window  # noqa: F401
from viewer.records import Role


def test_a_line_measured_as_found_on_b800_is_replayed_by_lesionlab_suggest(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]  # noqa: F811
                                                                           sample_dicom: Path, tmp_path: Path) -> None:
    from annotation.sr_export import export_sr
    from annotation.store import ReadingStore
    from annotation.tables import measurement_rows
    from app.cmd_suggest import suggest_at
    from app.suggester import params_for
    from viewer.interop.sr_read import read_sr

    w = window
    model, lid, _ = clicked_on_b800(w, qtbot, sample_dicom, "L07", 0, (0.0, 0.0))
    m = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI)
    assert isinstance(m, Measurement) and m.method is MeasurementMethod.SUGGESTED, w.status.text()
    params = json.loads(m.method_params)
    expected = params_for(Role.MR_DWI).to_dict()
    assert {k: params[k] for k in expected} == expected  # every parameter the window used, recorded
    assert params["uncorrected"] is True and params["uncorrected_px"] == 4.9 and params["uncorrected_from_px"] == 3.6
    cli = suggest_at(model.volume.stack, tuple(params["clicked_mm"]))
    assert cli["diameter_mm"] == round(m.diameter_mm, 2), (cli, m.diameter_mm)
    ends = [model.geometry.index_to_patient(m.slice_index, *p) for p in (m.p1, m.p2)]
    assert np.allclose(ends, [cli["p1_mm"], cli["p2_mm"]], atol=2e-3), (ends, cli)
    # kept (Enter): a suggestion not kept yet is left out of the exports (session 49); its parameters stay the window's
    from PySide6.QtCore import Qt

    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Return)
    m = w.session.reading.project.lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI)
    assert isinstance(m, Measurement) and "pending" not in json.loads(m.method_params), m.method_params
    params = json.loads(m.method_params)
    assert {k: params[k] for k in expected} == expected
    # the store, its CSV rows and the SR: the same method_params
    path = w.session.path
    assert path is not None
    with ReadingStore.open(path, read_only=True) as store:
        stored = store.load().lesions[(PATIENT, "E1", READER, lid)].observation(Role.MR_DWI)
        rows = [r for r in measurement_rows(store.load()) if r["lesion_id"] == lid and r["series_role"] == "mr_dwi"]
    assert isinstance(stored, Measurement) and stored.method_params == m.method_params
    assert [json.loads(r["method_params"]) for r in rows] == [params]
    out = export_sr(path, tmp_path / "sr", dicom=sample_dicom, reader=READER)
    lengths = [g for f in out.files for g in read_sr(f).lengths if g.method == "suggested"
               and g.length_mm is not None and abs(g.length_mm - m.diameter_mm) < 1e-3]
    assert len(lengths) == 1 and json.loads(lengths[0].method_params) == params, [g.method_params for g in lengths]
