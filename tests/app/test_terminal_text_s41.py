"""Session 41: what the command line prints from DICOM headers, file names and error paths reaches a terminal.

`lesionlab index` printed a SeriesDescription as the header holds it: ``ESC ] 0 ; ... BEL`` retitled the terminal,
``ESC [ 2 J`` would clear it (hiding the warnings above), a newline split the table's row and U+202E reversed what
followed. The table and the command line's error line now write such characters out as ``\\uXXXX`` (a PatientID, a
file name, a path); names and descriptions lose them when the header is read. `import-sr` printed an SR's patient id
(another tool's, a PACS's) as it was in its "refused:" line: written out too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from annotation.sr_export import export_sr
from app.cli import main
from tests.conftest import SAMPLE_DICOM
from tests.dicomgen import write_series

HOSTILE = "liver\x1b]0;owned\x07 \x1b[2J\u202eevil\nsecond line"
CONTROL = ("\x1b", "\x07", "\u202e")


def test_index_writes_header_text_and_file_names_out_instead_of_sending_them_to_the_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pixels = np.zeros((3, 8, 8), dtype=np.uint16)
    write_series(tmp_path / "s", pixels, patient_id="P\x1b[31m1", series_description=HOSTILE, pixel_spacing=None,
                 extra={"SpecificCharacterSet": "ISO_IR 192"})  # no spacing: a warning, titled by the series
    (tmp_path / "s" / "bad\x1b[2Jname\n.dcm").write_bytes(b"not dicom at all")
    assert main(["index", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert not [c for c in CONTROL if c in out], repr(out)
    lines = out.splitlines()
    assert lines[2].startswith("P\\u001b[31m1 ")  # a PatientID is kept exact: written out
    # a description loses its control characters and overrides when read (viewer/dicomio/headers.py), a line break
    # becomes a space: one row, and its warnings' title one line
    assert "1 liver]0;owned [2Jevil second line" in lines[2]
    assert "! 1 liver]0;owned [2Jevil second line:" in lines
    assert any(line.startswith("  ") and "bad\\u001b[2Jname\\u000a.dcm: not DICOM" in line for line in lines)


def test_an_error_naming_a_hostile_path_writes_it_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "m\x1b[2J\u202e.csv"
    assert main(["analyze", "--measurements", str(missing), "--counts", str(tmp_path / "c.csv"),
                 "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert not [c for c in CONTROL if c in err], repr(err)
    assert f"{tmp_path}/m\\u001b[2J\\u202e.csv: file not found" in err


def test_import_sr_writes_an_srs_hostile_patient_id_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "r.lesionlab"
    store.write_bytes((SAMPLE_DICOM / "reading.lesionlab").read_bytes())
    export_sr(store, tmp_path / "sr", dicom=SAMPLE_DICOM / "LLSYN001", keep_context=False)
    sr = next((tmp_path / "sr").rglob("ct_portal.dcm"))
    ds = pydicom.dcmread(sr)
    ds.PatientID = "LL\x1b[2J\u202eSYN001"
    ds.save_as(sr)
    assert main(["import-sr", str(store), "--dicom", str(SAMPLE_DICOM / "LLSYN001"), str(sr)]) == 1
    out = capsys.readouterr().out
    assert not [c for c in CONTROL if c in out], repr(out)
    assert "refused: ct_portal.dcm: patient LL\\u001b[2J\\u202eSYN001, study " in out, out
