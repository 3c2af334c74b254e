"""Review 49c: ``lesionlab response STORE`` and a one-click suggestion not kept yet (fix49b's pending mark)."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from annotation.records import Measurement
from annotation.store import open_reading
from annotation.vocab import MeasurementMethod
from app.cli import main
from tests.annotation.test_followup import build_course
from viewer.records import Role


def test_lesionlab_response_leaves_a_pending_suggestion_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """LLSYN001's course; at T3 a one-click suggestion (30 mm) over target L2's 14 mm line, never kept (the window
    killed): response.csv summed 19 + 30 + 11 = 60 mm, a line the window shows "not kept yet" and the export leaves
    out. Now read as the export reads it (analysis.response_store: Project.without_pending): L2 has no line at T3, and
    the command says so rather than sum a line never kept. (Checked: fails without it, 60 mm summed.)"""
    location = str(tmp_path / "r.lesionlab")
    st, r = open_reading(location, "sample")
    try:
        build_course(r)
        les = sorted((x for x in r.project.lesions.values() if x.exam_pair_id == "E3"), key=lambda x: x.lesion_id)[1]
        m = les.observation(Role.CT_PORTAL)
        assert isinstance(m, Measurement) and round(m.diameter_mm) == 14
        pending = dataclasses.replace(m, p2=(100.0, 130.0), method=MeasurementMethod.SUGGESTED,
                                      method_params='{"pending": true}')
        with r.batch(f"{les.lesion_id} on CT portal: suggested"):
            r._fresh[(les.key, Role.CT_PORTAL)] = pending
            r.set_observation(les.key[:2], les.lesion_id, Role.CT_PORTAL, pending)
    finally:
        st.close()
    out = tmp_path / "out"
    code = main(["response", location, "--out", str(out)])
    rows = list(csv.DictReader(open(out / "response.csv", encoding="utf-8", newline=""))) \
        if (out / "response.csv").exists() else []
    assert not rows or rows[2]["sum_mm"] != "60", rows
    said = capsys.readouterr().err
    assert code != 0 and f"lesion {les.lesion_id} of LLSYN001 E3 (sample): status measured but no measurement on " \
        "ct_portal" in said, (code, said)


def test_agreement_leaves_a_pending_suggestion_out() -> None:
    """Two readers of P1/E1 measured on T2 FS, the second's line a one-click suggestion never kept: the agreement's
    diameters compared it with the first's (annotation.tables, whence its counts, left it out). Left out now
    (analysis.agreement_store.reads_from_project; checked: fails without it)."""
    from analysis.agreement_store import reads_from_project
    from annotation.reading import Reading
    from annotation.tables import project_tables

    line = Measurement("s0", "1.2.3", 2, (10.0, 10.0), (10.0, 30.0), 1.0, 1.0)
    r = Reading(reader="A")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1")
    r.add_lesion(("P1", "E1"), "right", lesion_id="L1")
    r.set_observation(("P1", "E1"), "L1", Role.MR_T2FS, line)
    b = Reading(r.project, reader="B")
    b.add_lesion(("P1", "E1"), "right", lesion_id="L1")
    pending = dataclasses.replace(line, method=MeasurementMethod.SUGGESTED, method_params='{"pending": true}')
    key = ("P1", "E1", "B", "L1")
    with b.batch("L1 on T2 FS: suggested"):
        b._fresh[(key, Role.MR_T2FS)] = pending
        b.set_observation(("P1", "E1"), "L1", Role.MR_T2FS, pending)
    _, counts, _ = project_tables(b.project)
    reads = reads_from_project(b.project, counts, None)
    assert list(reads.diameters["reader"]) == ["A"], reads.diameters


def test_the_windows_export_says_a_suggestion_not_kept_was_left_out(tmp_path: Path) -> None:
    """A suggestion shown, dashed, and the reader exports before Enter: measurements.csv leaves the line out (right:
    not kept) but the status says only "exported 1 patient(s), 0 measurement rows": the reader, who sees the line,
    was not told it is missing. The sentence names it now (ExportResult.n_not_kept; checked: fails without it)."""
    from app.export_analysis import export

    location = tmp_path / "r.lesionlab"
    st, r = open_reading(str(location), "R1")
    try:
        r.add_patient("P1")
        r.add_exam_pair("P1", "E1")
        r.add_lesion(("P1", "E1"), "right", lesion_id="L1")
        pending = Measurement("s0", "1.2.3", 2, (10.0, 10.0), (10.0, 30.0), 1.0, 1.0,
                              method=MeasurementMethod.SUGGESTED, method_params='{"pending": true}')
        with r.batch("L1 on T2 FS: suggested"):
            r._fresh[(("P1", "E1", "R1", "L1"), Role.MR_T2FS)] = pending
            r.set_observation(("P1", "E1"), "L1", Role.MR_T2FS, pending)
    finally:
        st.close()
    said = export(location, tmp_path / "out", pseudonymise=False)
    assert "0 measurement rows" in said and "1 one-click suggestion not kept yet left out (Enter keeps one shown, " \
        "then export again)" in said, said
