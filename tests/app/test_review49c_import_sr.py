"""Review 49c: ``lesionlab import-sr`` of an SR that holds, as measured, a line the store holds as a one-click
suggestion not kept yet (fix49b's ``"pending": true``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from annotation.records import Measurement
from annotation.sr_import import import_srs
from annotation.store import ReadingStore, open_reading
from annotation.tables import project_tables
from annotation.vocab import MeasurementMethod
from tests.app.test_sr_import import _fresh, exported  # noqa: F401  (the module's fixture)


def test_an_sr_measuring_a_pending_line_keeps_it(exported, sample_dicom: Path, tmp_path: Path) -> None:  # noqa: F811
    """The SR says the line measured: after the import the store holds it kept and measurements.csv has it (held:
    the import's write keeps every pending suggestion of its reader, Reading._commit)."""
    store, files, project = exported
    target = _fresh(store, tmp_path)
    key, role, line = next((les.key, r, o) for les in sorted(project.lesions.values(), key=lambda x: x.key)
                           for r, o in les.observations if isinstance(o, Measurement) and les.reader == "sample")
    pending = dataclasses.replace(line, method=MeasurementMethod.SUGGESTED, method_params='{"pending": true}')
    st, r = open_reading(target, "sample")
    try:  # as the one-click gesture records it, the window then killed
        with r.batch(f"{key[3]} on it: suggested"):
            r._fresh[(key, role)] = pending
            r.set_observation(key[:2], key[3], role, pending)
    finally:
        st.close()
    res = import_srs(target, sample_dicom, files, reader="sample")
    assert not res.refused, res.refused
    with ReadingStore.open(target, read_only=True) as st2:
        after = st2.load()
    m = after.lesions[key].observation(role)
    assert isinstance(m, Measurement) and not m.pending, m
    rows = project_tables(after)[0].query(f"lesion_id == '{key[3]}' and reader == 'sample'")
    assert role.value in set(rows["series_role"]), rows
