"""`lesionlab export STORE --sr DIR`: the sample reading as TID 1500 SRs, checked by dciodvfy,
dsrdump and PixelMed's DicomSRValidator, and against the store it came from."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

from annotation.records import Measurement, NotMeasurable, NotVisible
from annotation.store import ReadingStore
from viewer.records import Role
from app.cli import main
from viewer.interop.model import OHIF_LENGTH_PREFIX

HERE = Path(__file__).resolve().parent
VALIDATE_ALL = HERE.parent / "viewer" / "interop" / "SrValidateAll.java"
PIXELMED = Path("/usr/share/java/pixelmed.jar")
#: OpenJDK 17 limits XPath expressions below what PixelMed's template stylesheets use (interop.md); the
#: C1 compiler only and the serial collector: a short run starts in a third of the time
JAVA_OPTS = ["-Djdk.xml.xpathExprOpLimit=0", "-Djdk.xml.xpathExprGrpLimit=0", "-Djdk.xml.xpathTotalOpLimit=0",
             "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("LESIONLAB_REQUIRE_SERVERS") == "1":
            pytest.fail(f"{tool} is required in CI (.ci/run installs it)")
        pytest.skip(f"{tool} is not installed")
    return path


def pixelmed(*files: Path) -> str:
    """PixelMed's TID 1500 and IOD validation of ``files`` (its report; the run must succeed): java and
    libpixelmed-java are required in CI, skipped where they are missing elsewhere."""
    java = need("java")
    if not PIXELMED.exists():
        if os.environ.get("LESIONLAB_REQUIRE_SERVERS") == "1":
            pytest.fail(f"{PIXELMED} is required in CI (libpixelmed-java)")
        pytest.skip("libpixelmed-java is not installed")
    out = subprocess.run([java, *JAVA_OPTS, "-cp", str(PIXELMED), str(VALIDATE_ALL), *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def assert_pixelmed_clean(file: Path) -> None:
    """One SR: its root template validated, and not one error or warning."""
    report = pixelmed(file)
    assert "Root Template Validation Complete" in report
    bad = [line for line in report.splitlines() if line.startswith(("Error", "Warning"))]
    assert not bad, report


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, sample_dicom: Path):
    tmp = tmp_path_factory.mktemp("sr")
    store = tmp / "reading.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", store)
    assert main(["export", str(store), "--sr", str(tmp / "sr"), "--dicom", str(sample_dicom)]) == 0
    files = sorted((tmp / "sr").rglob("*.dcm"))
    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
    return store, tmp / "sr", files, project


def _groups(ds):
    for container in ds.ContentSequence:
        if container.ConceptNameCodeSequence[0].CodeValue == "126010":
            yield from container.ContentSequence


def _item(group, code_value):
    return next((i for i in group.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == code_value), None)


def test_one_sr_per_reader_pair_and_series_and_every_answer_in_them(exported) -> None:
    _, _, files, project = exported
    expected = {(les.patient_id, les.exam_pair_id, les.reader, role.value)
                for les in project.lesions.values() for role, _ in les.observations}
    got = {(f.parts[-4], f.parts[-3], f.parts[-2], f.stem) for f in files}
    assert got == expected
    n_meas = sum(isinstance(o, Measurement) for les in project.lesions.values() for _, o in les.observations)
    n_stat = sum(isinstance(o, (NotVisible, NotMeasurable)) for les in project.lesions.values() for _, o in les.observations)
    lengths = statuses = 0
    for f in files:
        ds = pydicom.dcmread(f)
        for g in _groups(ds):
            if _item(g, "410668003") is not None:
                lengths += 1
            else:
                statuses += 1
    assert (lengths, statuses) == (n_meas, n_stat) and n_stat > 0


def test_lengths_points_tracking_and_sites_are_the_stores(exported) -> None:
    _, _, files, project = exported
    lesions = {(les.patient_id, les.exam_pair_id, les.reader, les.lesion_id): les for les in project.lesions.values()}
    seen_uids: dict[str, set[str]] = {}
    checked = 0
    for f in files:
        ds = pydicom.dcmread(f)
        pid, pair, reader, role = f.parts[-4], f.parts[-3], f.parts[-2], f.stem
        assert ds.PatientID == pid and ds.Modality == "SR"
        for g in _groups(ds):
            ident = _item(g, "112039").TextValue
            uid = _item(g, "112040").UID
            lesion_id = ident.rsplit(":", 1)[1]
            les = lesions[(pid, pair, reader, lesion_id)]
            assert uid == les.tracking_uid
            seen_uids.setdefault(lesion_id + pid, set()).add(uid)
            sites = [i for i in g.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "363698007"]
            assert sites[0].ConceptCodeSequence[0].CodeValue == "10200004"
            laterality = sites[0].ContentSequence[0].ConceptCodeSequence[0].CodeValue
            assert laterality == {"right": "24028007", "left": "7771000"}[les.lobe.value]
            if les.segment is not None:
                assert sites[1].ConceptCodeSequence[0].CodeMeaning.endswith(f"segment {les.segment.value}")
            obs = les.observation(role)
            length = _item(g, "410668003")
            if isinstance(obs, Measurement):
                assert ident == f"{OHIF_LENGTH_PREFIX}:{lesion_id}"
                assert float(length.MeasuredValueSequence[0].NumericValue) == pytest.approx(obs.diameter_mm, abs=1e-4)
                region = _item(g, "111030")
                x1, y1, x2, y2 = region.GraphicData
                assert (x1, y1, x2, y2) == pytest.approx((obs.p1[1] + 0.5, obs.p1[0] + 0.5,
                                                          obs.p2[1] + 0.5, obs.p2[0] + 0.5), abs=1e-4)
                ref = region.ContentSequence[0].ReferencedSOPSequence[0]
                assert ref.ReferencedSOPInstanceUID == obs.sop_instance_uid
                checked += 1
            else:
                assert length is None and _item(g, "111030") is None
                values = [i.ConceptCodeSequence[0] for i in g.ContentSequence
                          if i.ConceptNameCodeSequence[0].CodeValue == "121071"]
                value = next(c.CodeValue for c in values if c.CodingSchemeDesignator == "99LESIONLAB")
                assert value == ("NOT_VISIBLE" if isinstance(obs, NotVisible) else "NOT_MEASURABLE")
    assert checked > 50
    assert all(len(uids) == 1 for uids in seen_uids.values())  # one tracking UID per lesion on every series


def test_store_alone_after_dicom_filled_it(exported, tmp_path: Path) -> None:
    store, _, files, _ = exported
    assert main(["export", str(store), "--sr", str(tmp_path / "again")]) == 0
    assert sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*.dcm")) == sorted(
        p.relative_to(files[0].parents[3]) for p in files)


def test_pseudonymise_writes_no_sr(exported, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = exported[0]
    code = main(["export", str(store), "--out", str(tmp_path / "t"), "--pseudonymise", "--sr", str(tmp_path / "sr")])
    assert code == 0
    assert "no DICOM SR written" in capsys.readouterr().out
    assert not (tmp_path / "sr").exists()


@pytest.mark.parametrize("trouble", ["full disk", "a file in the way"])
def test_a_failed_sr_export_is_said_and_leaves_no_broken_file(exported, tmp_path: Path, monkeypatch,
                                                               capsys: pytest.CaptureFixture[str], trouble) -> None:
    """A researcher's check: `export --sr` on a full disk ended in a raw OSError traceback and left an
    8 KB ct_arterial.dcm that dciodvfy rejects; into a folder it could not write, a PermissionError
    traceback. Now: a message naming the file, the SRs before it whole, no partial file."""
    import errno

    import viewer.interop.sr_write as sr_write

    store = exported[0]
    out = tmp_path / "sr"
    if trouble == "full disk":
        real, calls = sr_write.build_sr, []

        def half_then_full(report):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 3:
                class Full:  # the third SR: the dataset's writer runs out of space half-way
                    def save_as(self, target, **_kw):  # type: ignore[no-untyped-def]
                        Path(target).write_bytes(b"\0" * 8192)
                        raise OSError(errno.ENOSPC, "No space left on device")
                return Full()
            return real(report)

        monkeypatch.setattr(sr_write, "build_sr", half_then_full)
    else:
        out = tmp_path / "taken" / "sr"
        out.parent.write_text("a file")
    code = main(["export", str(store), "--sr", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err, err
    if trouble == "full disk":
        assert "the disk is full" in err and "the 2 SR(s) written before it are complete" in err
        written = sorted(p for p in out.rglob("*") if p.is_file())
        assert len(written) == 2 and all(p.suffix == ".dcm" and p.stat().st_size > 8192 for p in written)
        for p in written:
            pydicom.dcmread(p)  # whole
    else:
        assert str(out.parent) in err and "no SR was written" in err


#: The one warning dciodvfy gives: dicom3tools checks a Coding Scheme Designator against PS3.16's list of
#: schemes and does not read the Coding Scheme Identification Sequence that declares a private one (the
#: warning comes twice: the status code and the sequence's own item).
PRIVATE_SCHEME_WARNING = ("Warning - Unrecognized defined term <99LESIONLAB> for value 1 of attribute"
                          " <Coding Scheme Designator>")


def test_dciodvfy_finds_no_error(exported) -> None:
    tool = need("dciodvfy")
    for f in exported[2]:
        out = subprocess.run([tool, str(f)], capture_output=True, text=True, timeout=60)
        text = out.stdout + out.stderr
        assert "Error" not in text, (f, text)
        assert "Comprehensive3DSR" in text
        said = [line for line in text.splitlines() if line.strip() and line != "Comprehensive3DSR"]
        assert set(said) <= {PRIVATE_SCHEME_WARNING}, (f, text)


def test_the_private_coding_scheme_is_declared(exported) -> None:
    """dciodvfy warned of the private designator 99LESIONLAB of the not visible / not measurable codes, which no
    Coding Scheme Identification Sequence (0008,0110) declared; an SR using it declares it now (PS3.3 C.12.1.1),
    one without its codes does not, and the reader still reads the statuses back."""
    from viewer.interop.sr_read import read_sr

    with_status = [f for f in exported[2] if b"NOT_VISIBLE" in f.read_bytes() or b"NOT_MEASURABLE" in f.read_bytes()]
    assert with_status and len(with_status) < len(exported[2])
    for f in exported[2]:
        ds = pydicom.dcmread(f)
        declared = [(i.CodingSchemeDesignator, i.CodingSchemeName, i.CodingSchemeResponsibleOrganization)
                    for i in ds.get("CodingSchemeIdentificationSequence", [])]
        if f in with_status:
            assert declared == [("99LESIONLAB", "lesionlab reading statuses", "lesionlab")], f
            assert read_sr(f).statuses, f
        else:
            assert declared == [], f


def test_dsrdump_shows_tid_1500(exported) -> None:
    tool = need("dsrdump")
    for f in exported[2]:
        out = subprocess.run([tool, "+Pt", str(f)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert '"Imaging Measurement Report")=CONTINUOUS>  # TID 1500 (DCMR)' in out.stdout


def test_pixelmed_validates_the_template(exported) -> None:
    files = exported[2]
    # seconds per file on a busy machine: an MR SR with lengths and not-visible groups, a CT and a DWI one
    mixed = next(f for f in files if b"NOT_VISIBLE" in f.read_bytes() and b"410668003" in f.read_bytes())
    chosen = [mixed, next(f for f in files if f.stem == "ct_portal"), next(f for f in files if f.stem == "mr_dwi")]
    reports = pixelmed(*chosen).split("=== ")[1:]
    assert len(reports) == len(chosen)
    for report in reports:
        assert "Found Root Template TID_1500 (MeasurementReport)" in report, report
        assert "Root Template Validation Complete" in report and "IOD validation complete" in report
        bad = [line for line in report.splitlines() if line.startswith(("Error", "Warning"))]
        assert not bad, report


def test_a_node_is_written_as_a_node_with_its_short_axis(tmp_path: Path, sample_dicom: Path) -> None:
    """A researcher's check: the follow-up sample's lymph node (organ lymph_node, a nodal target) went
    into the SR as a liver lesion, laterality right, with only its long axis (RECIST sums the 18 mm
    short axis). Its group now names a lymph node and carries a Short Axis NUM; dciodvfy and PixelMed
    still find no error."""
    store = tmp_path / "followup.lesionlab"
    shutil.copy(sample_dicom / "followup.lesionlab", store)
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(sample_dicom)]) == 0
    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
    nodes = {project.lesions[(f.patient_id, f.exam_pair_id, f.reader, f.lesion_id)].tracking_uid
             for f in project.lesion_followups.values() if f.organ == "lymph_node"}
    assert nodes
    found = []
    for f in sorted((tmp_path / "sr").rglob("*.dcm")):
        ds = pydicom.dcmread(f)
        for group in _groups(ds):
            uid = _item(group, "112040")
            if uid is None or uid.UID not in nodes:
                continue
            sites = [i.ConceptCodeSequence[0].CodeValue for i in group.ContentSequence
                     if i.ConceptNameCodeSequence[0].CodeValue == "363698007"]
            assert sites == ["59441001"], sites  # lymph node structure, no liver, no hemiliver
            short = _item(group, "103340004")
            if short is not None:
                found.append((f, float(short.MeasuredValueSequence[0].NumericValue)))
    assert found, "no node group with its short axis"
    files = sorted({f for f, _ in found})
    dciodvfy = need("dciodvfy")
    for f in files:
        out = subprocess.run([dciodvfy, str(f)], capture_output=True, text=True, timeout=60)
        assert "Error" not in out.stdout + out.stderr, out.stdout + out.stderr
    assert_pixelmed_clean(files[0])


def test_an_sr_export_leaves_a_study_folders_project_as_it_was(tmp_path: Path, sample_dicom: Path) -> None:
    """A reader's check: `export s/followup.lesionlab --sr sr --dicom s` upgraded the study folder's
    project and wrote the patients' names and birth dates into it (the DICOM context kept for the next
    export). A project lying with its studies is now only read."""
    import hashlib

    folder = tmp_path / "study"
    (folder / "images").mkdir(parents=True)
    one = next(p for p in sorted((sample_dicom / "LLSYN001").rglob("*.dcm")))
    shutil.copy(one, folder / "images" / "IM0001.dcm")
    store = folder / "followup.lesionlab"
    shutil.copy(sample_dicom / "followup.lesionlab", store)
    digest = hashlib.sha256(store.read_bytes()).hexdigest()
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(sample_dicom)]) == 0
    assert hashlib.sha256(store.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in folder.iterdir()) == ["followup.lesionlab", "images"]
    assert list((tmp_path / "sr").rglob("*.dcm"))


def test_a_suggested_line_says_so_in_the_sr_and_comes_back_as_one(tmp_path: Path, sample_dicom: Path) -> None:
    """A reader's check: the SR of a suggested line (issue 13) held no trace of how it was made, so a
    PACS, OHIF or a re-import took it for a drawn one. Now its Length carries a TID 4019 algorithm
    identification (the one-click diameter, its method as the version, ``method: suggested`` or
    ``suggested_edited`` and the JSON parameters); a drawn line none; dciodvfy and PixelMed find no
    error; `import-sr` gives back the method and the parameters."""
    import dataclasses
    import json

    from annotation.project import diff
    from annotation.vocab import MeasurementMethod

    store = tmp_path / "reading.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", store)
    params = json.dumps({"method": "ellipse_consensus_v10", "clicked_slice": 7, "suggested_diameter_mm": 15.0},
                        sort_keys=True)
    with ReadingStore.open(store) as st:
        before = st.load()
        lesions = dict(before.lesions)
        made: dict[str, MeasurementMethod] = {}
        for key, les in sorted(before.lesions.items()):
            m = les.measurements().get(Role.MR_DWI) if key[0] == "LLSYN002" else None
            if m is None or len(made) == 2:
                continue
            how = MeasurementMethod.SUGGESTED if not made else MeasurementMethod.SUGGESTED_EDITED
            lesions[key] = les.with_observation(Role.MR_DWI, dataclasses.replace(m, method=how, method_params=params))
            made[les.tracking_uid] = how
        assert len(made) == 2
        st.write(diff(before, dataclasses.replace(before, lesions=lesions)), "two lines suggested")
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(sample_dicom)]) == 0
    dwi = next(f for f in sorted((tmp_path / "sr").rglob("mr_dwi.dcm")) if "LLSYN002" in str(f))
    ds = pydicom.dcmread(dwi)
    seen: dict[str, list[str]] = {}
    for group in _groups(ds):
        uid, length = _item(group, "112040"), _item(group, "410668003")
        if uid is None or length is None:
            continue
        algorithm = {i.ConceptNameCodeSequence[0].CodeValue: [] for i in getattr(length, "ContentSequence", [])}
        for i in getattr(length, "ContentSequence", []):
            algorithm[i.ConceptNameCodeSequence[0].CodeValue].append(str(i.get("TextValue", "")))
        seen[uid.UID] = algorithm.get("111002", [])
        if uid.UID in made:
            assert algorithm["111001"] == ["lesionlab one-click diameter"] and algorithm["111003"] == [
                "ellipse_consensus_v10"], algorithm
            assert seen[uid.UID] == [f"method: {made[uid.UID].value}", params]
        else:  # drawn: no algorithm
            assert "111001" not in algorithm, algorithm
    assert set(made) <= set(seen) and len(seen) > len(made)
    out = subprocess.run([need("dciodvfy"), str(dwi)], capture_output=True, text=True, timeout=60)
    assert "Error" not in out.stdout + out.stderr, out.stdout + out.stderr
    assert_pixelmed_clean(dwi)
    target = tmp_path / "again.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", target)
    assert main(["import-sr", str(target), "--dicom", str(sample_dicom), "--reader", "again", str(dwi)]) == 0
    with ReadingStore.open(target, read_only=True) as st:
        after = st.load()
    back = {les.tracking_uid: les.measurements()[Role.MR_DWI] for les in after.lesions.values()
            if les.reader == "again" and Role.MR_DWI in les.measurements()}
    assert set(back) == set(seen)
    for uid, m in back.items():
        if uid in made:
            assert (m.method, m.method_params) == (made[uid], params)
        else:
            assert (m.method, m.method_params) == (MeasurementMethod.MANUAL, "")
