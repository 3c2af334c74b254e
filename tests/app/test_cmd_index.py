"""`lesionlab index`: one JSON object with the issue's fields, a readable table, clear errors."""

from __future__ import annotations

import io
import re
import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.cmd_index import ProgressBar
from tests.dicomgen import write_series

SERIES_FIELDS = {
    "patient_id", "study_instance_uid", "study_date", "series_instance_uid", "series_number", "series_description",
    "modality", "role", "role_confidence", "role_reason", "b_value", "n_slices", "rows", "columns",
    "pixel_spacing_mm", "slice_spacing_mm", "slice_thickness_mm", "orientation", "warnings",
}


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    write_series(tmp_path / "ct", np.zeros((4, 6, 5), np.int16), series_description="Arteriel 5.0",
                 pixel_spacing=(0.7, 0.8), slice_thickness_mm=5.0)
    (tmp_path / "notes.txt").write_text("hello")
    return tmp_path


def test_json_is_one_object_with_the_issue_fields(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(study), "--json", "--workers", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"series", "skipped"} <= set(out)
    (series,) = out["series"]
    assert SERIES_FIELDS <= set(series)
    assert series["role"] == "ct_arterial" and series["n_slices"] == 4
    assert series["pixel_spacing_mm"] == [0.7, 0.8] and series["slice_thickness_mm"] == 5.0
    assert series["slice_spacing_mm"] == pytest.approx(1.0) and series["orientation"] == "axial"
    assert series["b_value"] is None and isinstance(series["warnings"], list)
    assert out["skipped"] == [{"path": str(study / "notes.txt"),
                               "reason": "not DICOM: a text file (no 'DICM' marker at byte 128)"}]


def test_table(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(study), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:5] == ["patient", "study", "date", "series", "stack"]
    assert "ct_arterial" in out and "0.7x0.8 / 1" in out and "notes.txt" in out
    assert out.rstrip().endswith("1 stack(s), 0 listed apart, 1 skipped")


def test_missing_path_exits_1_with_advice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(tmp_path / "absent")]) == 1
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "check the path" in err


def test_progress_flag_draws_a_bar_on_stderr(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(study), "--json", "--progress", "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "reading headers [" in captured.err and "5/5" in captured.err
    json.loads(captured.out)  # stdout stays one JSON object


def test_progress_bar_stays_quiet_for_short_scans() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, min_files=200)
    bar(10, 10)
    assert stream.getvalue() == ""
    ProgressBar(stream, min_files=0)(300, 300)
    assert stream.getvalue().endswith("300/300\n")


def _strict(text: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_json_is_strict_null_for_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_series(tmp_path, np.zeros((2, 6, 5), np.int16), slice_thickness_mm=float("nan"))
    assert main(["index", str(tmp_path), "--json", "--workers", "1"]) == 0
    (series,) = _strict(capsys.readouterr().out)["series"]
    assert series["slice_thickness_mm"] is None
    assert series["load"] is None and series["load_reason"] is None  # not checked without --load


def test_load_reports_every_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.viewer.hostile import write_rle_bomb
    write_series(tmp_path / "ct", np.zeros((3, 6, 5), np.int16), series_description="Portal")
    write_rle_bomb(tmp_path / "bomb" / "IM0.dcm", rows=4096, cols=4096, segment_bytes=100)
    assert main(["index", str(tmp_path), "--load", "--json", "--workers", "1"]) == 0
    by_name = {s["series_description"]: s for s in _strict(capsys.readouterr().out)["series"]}
    assert (by_name["Portal"]["load"], by_name["Portal"]["load_reason"]) == ("ok", "")
    assert by_name["hostile"]["load"] == "failed"
    assert "RLE segment 1 holds 100 bytes" in by_name["hostile"]["load_reason"]
    assert main(["index", str(tmp_path), "--load", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[-1] == "load"
    assert "load failed: " in out and out.rstrip().endswith("1 loaded, 1 failed to load")


def _documented_keys(readme: str) -> dict[str, set[str]]:
    """The keys README's `lesionlab index --json` paragraph names, per part of the object (the object itself,
    then from "each series entry", "each skipped entry", "each non_images entry" on)."""
    para = " ".join(readme.split("- **`lesionlab index --json`**", 1)[1].split("\n- **", 1)[0].split())
    marks = {"series": "each series entry", "skipped": "each skipped entry", "non_images": "each non_images entry"}
    cuts = sorted((para.lower().find(m), name) for name, m in marks.items() if m in para.lower())
    bounds = [(0, "top"), *cuts, (len(para), "")]
    parts = {name: para[a:b] for (a, name), (b, _) in zip(bounds, bounds[1:])}
    return {name: {a or b for a, b in re.findall(r"`([a-z_]+)`|\"([a-z_]+)\"", parts.get(name, ""))}
            for name in ("top", *marks)}


def test_readme_documents_every_json_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The --json keys are an interface: every one the output holds (patient_name, key, split_label, n_files...,
    a non-image's sop_class_uid) is named in README's paragraph, in the part about its entry."""
    write_series(tmp_path / "ct", np.zeros((4, 6, 5), np.int16), series_description="Arteriel 5.0")
    write_series(tmp_path / "scout", np.zeros((1, 6, 5), np.int16), series_description="topogram", series_number=9,
                 extra={"ImageType": ["ORIGINAL", "PRIMARY", "LOCALIZER"]})
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["index", str(tmp_path), "--json", "--load", "--workers", "1"]) == 0
    out = _strict(capsys.readouterr().out)
    assert out["series"] and out["skipped"] and out["non_images"]
    documented = _documented_keys((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8"))
    assert set(out) <= documented["top"]
    for part in ("series", "skipped", "non_images"):
        emitted = set().union(*(set(entry) for entry in out[part]))
        assert emitted - documented[part] == set(), part


@pytest.mark.parametrize("as_json", [True, False])
def test_a_file_name_that_is_not_utf8_is_printed_not_a_traceback(tmp_path: Path, as_json: bool) -> None:
    """A folder or file named in Latin-1 bytes (an old disc, a Windows share) made `lesionlab index` stop with
    UnicodeEncodeError under a UTF-8 locale (its names are str with lone surrogates), and print bytes that
    are not UTF-8 into the strict JSON under C.UTF-8. The name is now escaped: JSON's \\udcXX, which
    os.fsencode turns back into the file's bytes."""
    import os
    import subprocess
    import sys
    folder = os.path.join(os.fsencode(tmp_path), b"s\xe9rie")
    os.mkdir(folder)
    write_series(tmp_path / "good", np.zeros((2, 6, 5), np.int16))
    (tmp_path / "good" / "IM0001.dcm").rename(os.fsdecode(os.path.join(folder, b"IM\xff.dcm")))
    with open(os.path.join(folder, b"notes\xe9.txt"), "wb") as fh:
        fh.write(b"not an image")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-m", "app", "index", str(tmp_path), "--workers", "1"]
                          + (["--json"] if as_json else []), capture_output=True, env=env, cwd=root, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    out = proc.stdout.decode("utf-8")  # strict: valid UTF-8
    if as_json:
        doc = json.loads(out)
        assert [s["n_slices"] for s in doc["series"]] == [2]
        assert [os.fsencode(s["path"]) for s in doc["skipped"]] == [os.path.join(folder, b"notes\xe9.txt")]
    else:
        assert "1 stack(s), 0 listed apart, 1 skipped" in out and "notes" in out


def test_a_symlinked_series_folder_is_indexed_with_the_same_keys(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A disc laid out with symlinked series folders indexed as if they were empty, nothing said: the folder is
    followed now and the index's warnings say so; the JSON keeps its keys."""
    write_series(tmp_path / "store" / "ct", np.zeros((4, 6, 5), np.int16), series_description="Arteriel 5.0")
    (tmp_path / "disc").mkdir()
    (tmp_path / "disc" / "S1").symlink_to(tmp_path / "store" / "ct", target_is_directory=True)
    (tmp_path / "disc" / "S2").symlink_to(tmp_path / "store" / "ct", target_is_directory=True)
    assert main(["index", str(tmp_path / "disc"), "--json", "--workers", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"series", "skipped", "non_images", "warnings"}
    assert [s["n_slices"] for s in out["series"]] == [4] and out["skipped"] == []
    assert [w.split(":")[0] for w in out["warnings"]] == ["1 symbolic link(s) to folders followed",
                                                         "1 folder(s) not read again (each file is read once)"]
