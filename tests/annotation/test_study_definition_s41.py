"""Session 41's adversarial pass on `study init DEFINITION`: the definition file as editors save it, and values no study
has.

* A TOML saved by Windows' Notepad (UTF-8 with a byte order mark) was refused as "Invalid statement (at line 1,
  column 1)"; one saved as UTF-16 (with its mark), and one in Windows-1252, ended in a UnicodeDecodeError traceback.
* JSON or TOML nested thousands deep ended in a RecursionError traceback.
* ``washout_days = 99999999999`` was taken and stored: the first `study next` after the reader's session before then
  crashed (OverflowError adding it to a date), every time, the definition being the store's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotation.store import ReadingStore
from annotation.study import load_definition
from annotation.study_store import Study
from app.cli import main
from tests.annotation.test_study_definition import DEFINITION as BASE
from tests.conftest import SAMPLE_DICOM
from viewer.errors import ValidationError

#: the definition of test_study_definition, with a reader's name beyond ASCII, the sample's patients and a washout to set
DEFINITION = (BASE.replace('"R1"', '"Hélène"').replace("washout_days = 28", "washout_days = WASHOUT")
              .replace('"P1"', '"LLSYN001"').replace('"P2"', '"LLSYN002"').replace('"P3"', '"LLSYN003"'))


def _file(tmp_path: Path, data: bytes, name: str = "study.toml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoded", [
    pytest.param(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), id="utf-8 with a byte order mark (Notepad)"),
    pytest.param(lambda t: t.encode("utf-16"), id="utf-16 with its mark"),
])
def test_a_definition_saved_with_a_byte_order_mark_reads_as_the_plain_file(tmp_path: Path, encoded) -> None:  # type: ignore[no-untyped-def]
    text = DEFINITION.replace("WASHOUT", "28")
    plain = load_definition(_file(tmp_path, text.encode("utf-8"), "plain.toml"))
    assert load_definition(_file(tmp_path, encoded(text))) == plain
    assert plain.readers == ("Hélène", "R2")


def test_a_definition_in_windows_1252_is_refused_naming_the_byte_and_line(tmp_path: Path) -> None:
    path = _file(tmp_path, DEFINITION.replace("WASHOUT", "28").encode("cp1252"))
    with pytest.raises(ValidationError) as caught:
        load_definition(path)
    assert str(caught.value) == f"{path}: is not UTF-8 text (byte 0xE9 on line 5) (save the TOML file as UTF-8)"


@pytest.mark.parametrize("name, text", [
    ("deep.json", "[" * 20000 + "]" * 20000),
    ("deep.toml", "x = " + "[" * 20000 + "]" * 20000),
])
def test_a_definition_nested_too_deep_is_refused_not_a_traceback(tmp_path: Path, name: str, text: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, text.encode(), name)
    store = tmp_path / "r.lesionlab"
    shutil.copyfile(SAMPLE_DICOM / "reading.lesionlab", store)
    assert main(["study", "init", str(store), str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: not a study definition: its {name[-4:].upper()} is nested too deep to read" in err, err
    assert "Traceback" not in err


def test_a_washout_beyond_ten_years_is_refused_and_the_longest_allowed_works(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "r.lesionlab"
    shutil.copyfile(SAMPLE_DICOM / "reading.lesionlab", store)
    huge = _file(tmp_path, DEFINITION.replace("WASHOUT", "99999999999").encode(), "huge.toml")
    assert main(["study", "init", str(store), str(huge)]) == 1
    assert (f"{huge}, sessions[2].washout_days: 99999999999 days is beyond the 3650 (ten years) a washout may last"
            in capsys.readouterr().err)
    longest = _file(tmp_path, DEFINITION.replace("WASHOUT", "3650").encode(), "longest.toml")
    assert main(["study", "init", str(store), str(longest)]) == 0
    with ReadingStore.open(store) as opened:
        study = Study(opened)
        for _ in range(3):  # the MRI session's three cases
            nxt = study.next_case("Hélène")
            assert nxt.case is not None and nxt.case.session == "MRI"
            study.finish(study.open_case("Hélène", nxt.case.session, nxt.case.code))
        after = study.next_case("Hélène")  # the washout's end, a date ten years on: no overflow
    assert after.case is None and "washout" in after.message, after.message
