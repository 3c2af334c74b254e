"""The analysis places a line or a count mark on its own image, by SOP Instance UID (and frame), not at its stored index
(session 49). A stored index counts the images of the folder as loaded when the record was made: two readers who read
the same image, one on a folder with an earlier file missing, stored indices one apart, and the agreement (and a
reader study's pairing and adjudication) placed one of them a slice away (10 mm here, over the 8 mm tolerance): the
same lesion read as two, each seen by one reader. A record without a UID (an older store) keeps its index; one whose
image is missing from the folder given cannot be placed, and the note says so."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from analysis.agreement_store import load_store_agreement
from annotation.gestures import image_provenance
from annotation.placement import image_shown
from annotation.store import open_reading
from viewer.records import Role

PAIR = ("PAT1", "E1")
N = 6


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The complete CT portal series (6 slices 10 mm apart), a copy without its second file (IM0001: every index above
    one lower) and one without the file both readers read (IM0004)."""
    from tests.dicomgen import write_series

    tmp = tmp_path_factory.mktemp("uidpair")
    full = tmp / "full"
    write_series(full / "ct", np.full((N, 48, 48), 1064, np.int16), series_description="Portal venous 5.0",
                 slope=1, intercept=-1024, slice_thickness_mm=5.0, positions=[(0.0, 0.0, 10.0 * k) for k in range(N)])
    out = {"full": full}
    for name, gone in (("gapped", "IM0001.dcm"), ("without_read", "IM0004.dcm")):
        shutil.copytree(full, tmp / name)
        (tmp / name / "ct" / gone).unlink()
        out[name] = tmp / name
    return out


def _loaded(folder: Path):  # type: ignore[no-untyped-def]
    from viewer.index import index_path
    from viewer.loader import VolumeLoader

    (stack,) = index_path(folder).stacks
    assert stack.role is Role.CT_PORTAL
    return stack, VolumeLoader(stack).volume


@pytest.fixture(scope="module")
def store(folders: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """R1 read on the complete folder, R2 on the gapped copy: each measured a lesion (which places its count mark) and
    counted another on the same image (IM0004: index 4 of the complete folder, 3 of the gapped one), at the same
    places."""
    path = tmp_path_factory.mktemp("uidstore") / "reading.lesionlab"
    for reader, folder in (("R1", folders["full"]), ("R2", folders["gapped"])):
        stack, volume = _loaded(folder)
        k = next(i for i, img in enumerate(volume.images) if Path(img.file.path).name == "IM0004.dcm")
        assert k == (4 if reader == "R1" else 3)
        view = SimpleNamespace(model=SimpleNamespace(volume=volume, key=stack.key), slice_index=k)
        st, r = open_reading(path, reader)
        if reader == "R1":
            r.add_patient(PAIR[0])
            r.add_exam_pair(*PAIR, ct_study_uid=stack.study_instance_uid)
        lid = r.add_lesion(PAIR, "right")
        r.measure(PAIR, lid, Role.CT_PORTAL, volume.geometry, stack.key, stack.series_instance_uid, k, (20.0, 18.0),
                  (20.0, 30.0), **image_provenance(view))  # type: ignore[arg-type]
        # the line places its lesion's mark; a second lesion counted only, by a click
        r.add_count_mark(PAIR, Role.CT_PORTAL, "right", stack_key=stack.key, slice_index=k, row=38.0, col=38.0,
                         **image_shown(view.model, k))
        st.close()
    return path


@pytest.mark.parametrize("folder", ["full", "gapped"])
def test_two_readers_lines_and_marks_on_one_image_pair_whatever_folder_each_read_on(  # type: ignore[no-untyped-def]
        store: Path, folders: dict[str, Path], folder: str) -> None:
    reads, _ = load_store_agreement(store, folders[folder])
    diameters, detections = reads.diameters, reads.detections
    # one lesion, measured by both (before: two, 10 mm apart along z, each measured by one reader)
    assert sorted(diameters["subject"].unique()) == ["R1 L1 = R2 L1"], diameters
    # two lesions counted, each by both readers (before: four, each counted by one)
    assert set(detections["seen"]) == {True} and detections["subject"].nunique() == 2, detections
    assert all(" = " in s for s in detections["subject"]), detections
    assert reads.unpaired_note == ""


def test_a_line_whose_image_is_missing_from_the_folder_given_leaves_its_series_out_and_says_so(  # type: ignore[no-untyped-def]
        store: Path, folders: dict[str, Path]) -> None:
    reads, _ = load_store_agreement(store, folders["without_read"])
    assert reads.diameters.empty and reads.detections.empty
    assert "missing from the folder given" in reads.unpaired_note, reads.unpaired_note


def test_a_study_pairing_and_adjudication_place_a_line_on_its_own_image(  # type: ignore[no-untyped-def]
        store: Path, folders: dict[str, Path]) -> None:
    """lesion_position (a reader's two sessions paired) and the adjudication's lesions likewise: R2's line, stored at
    index 3 of the gapped load, is at z = 40 mm in the complete folder (before: 30 mm)."""
    from analysis.matching import MatchRule
    from analysis.study_adjudication import Thresholds, _lesions
    from analysis.study_pairing import PlacedStack, lesion_position
    from annotation.store import ReadingStore

    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
    stack, volume = _loaded(folders["full"])
    placed = {stack.key: PlacedStack(volume.geometry, stack.frame_of_reference_uid, tuple(volume.images))}
    r1, r2 = (lesion_position(project.lesions[(*PAIR, r, "L1")], placed) for r in ("R1", "R2"))
    assert r1 is not None and r2 is not None
    assert r1[0] == pytest.approx(r2[0]) and r2[0][2] == pytest.approx(40.0), (r1, r2)
    geometries = {stack.key: volume.geometry}
    found = _lesions(project, PAIR, {"R1": "R1", "R2": "R2"}, Role.CT_PORTAL, geometries, Thresholds(), MatchRule(),
                     {stack.key: volume.images})
    assert found == [], found  # one lesion, both measured it alike (before: each "measured by R1, not by R2")
    gone, without = _loaded(folders["without_read"])
    missing = _lesions(project, PAIR, {"R1": "R1", "R2": "R2"}, Role.CT_PORTAL, {gone.key: without.geometry},
                       Thresholds(), MatchRule(), {gone.key: without.images})
    assert [d.kind.value for d in missing] == ["not_placed"] and "missing from the folder given" in missing[0].detail
