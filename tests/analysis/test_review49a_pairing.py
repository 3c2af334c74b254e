"""Review 49a of ws49b: the analysis places lines and marks by SOP Instance UID (session 49).

1. The agreement's note counted a series left out once for its diameters and once for its detections ("2 series ...
   left out" for one) and named no image to look for. Fixed: each series once, the first finding whose image is
   missing named (patient, exam pair, series, reader, line, UID).
2. A reader study's session pairing (``propose_pairing``): a lesion whose line's image is missing from the folder given
   is now not placed and falls out unpaired (counted as seen in one session only), with no note (the agreement and
   the adjudication say it). Fixed: the pairing's note says it.
3. Two images whose UIDs agree on their first 64 characters: a line stored on the second at an index of a folder with
   an earlier file missing was placed on the first by the analysis, unsaid. Fixed by the lead: such a line is not
   placed (which image it is on is not known), and the note says why.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from analysis.agreement_store import load_store_agreement
from annotation.gestures import image_provenance
from annotation.store import ReadingStore, open_reading
from tests.analysis.test_pairing_by_uid_s49 import PAIR, _loaded, folders, store  # noqa: F401
from viewer.records import Role


def test_the_agreement_note_counts_a_series_left_out_once_and_names_the_missing_image(  # type: ignore[no-untyped-def]
        store: Path, folders: dict[str, Path]) -> None:  # noqa: F811
    reads, _ = load_store_agreement(store, folders["without_read"])
    _, volume = _loaded(folders["full"])
    uid = next(img.sop_instance_uid for img in volume.images if Path(img.file.path).name == "IM0004.dcm")
    note = reads.unpaired_note
    # one series (PAT1 E1's CT portal) read by R1 and R2: before, "2 series ... left out ... (2 of them: ...)"
    assert note.startswith("1 series read by several readers left out: "), note
    assert "missing from the folder given" in note and "PAT1 E1 ct_portal" in note and uid in note, note


def test_a_session_pairing_says_a_lesion_left_unpaired_for_its_image_missing(  # type: ignore[no-untyped-def]
        store: Path, folders: dict[str, Path]) -> None:  # noqa: F811
    """R1's read of the s49 store taken as session S1 of reader R1 and R2's as session S2: one lesion, on IM0004 in
    both; the folder given lacks IM0004."""
    from analysis.study_pairing import PlacedStack, propose_pairing
    from annotation.project import Project
    from annotation.study import StudyCase, StudyDefinition, StudySession

    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
    as_sessions = {"R1": "R1@S1", "R2": "R1@S2"}
    lesions = {}
    for les in project.lesions.values():
        moved = les.__class__(**{**les.__dict__, "reader": as_sessions[les.reader]})
        lesions[moved.key] = moved
    sessions = Project(patients=project.patients, exam_pairs=project.exam_pairs, lesions=lesions)
    definition = StudyDefinition("s1", 1, ("R1",), (StudySession("S1", (Role.CT_PORTAL,)),
                                                    StudySession("S2", (Role.CT_ARTERIAL,))),
                                 (StudyCase("C1", *PAIR),))
    placed = {}
    for name in ("full", "without_read"):
        stack, volume = _loaded(folders[name])
        placed[name] = {stack.key: PlacedStack(volume.geometry, stack.frame_of_reference_uid, tuple(volume.images))}
    whole = propose_pairing(sessions, definition, "R1", "C1", placed["full"])
    assert [(p.first_lesion, p.second_lesion) for p in whole.pairs] == [("L1", "L1")]
    gone = propose_pairing(sessions, definition, "R1", "C1", placed["without_read"])
    assert gone.pairs == () and gone.first_only == ("L1",)  # what the patient-level table counts
    assert gone.note == ("L1 of session S1: the image its line was drawn on is missing from the folder given: not "
                         "paired; L1 of session S2: the image its line was drawn on is missing from the folder given: "
                         "not paired"), gone  # before: ""


@pytest.fixture(scope="module")
def twin_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """Five CT slices 10 mm apart; images 2 and 3 share their UID's first 64 characters. R1 reads the complete
    folder, R2 a copy without the first file; each measures one lesion on image 3 at the same place."""
    import shutil

    from tests.dicomgen import write_series

    root = "1.2.826.0.1.3680043.10.999." + "7" * 37
    uids = [f"1.2.826.0.1.3680043.10.998.{k}" for k in range(5)]
    uids[2], uids[3] = root + "000001", root + "000002"
    tmp = tmp_path_factory.mktemp("twins")
    with pytest.warns(UserWarning, match="exceeds the maximum length of 64"):
        write_series(tmp / "full" / "ct", np.full((5, 48, 48), 1064, np.int16), series_description="Portal venous 5.0",
                     slope=1, intercept=-1024, slice_thickness_mm=5.0,
                     positions=[(0.0, 0.0, 10.0 * k) for k in range(5)], per_slice=[{"SOPInstanceUID": u} for u in uids])
    shutil.copytree(tmp / "full", tmp / "gapped")
    (tmp / "gapped" / "ct" / "IM0000.dcm").unlink()
    path = tmp / "reading.lesionlab"
    for reader, name in (("R1", "full"), ("R2", "gapped")):
        stack, volume = _loaded(tmp / name)
        k = next(i for i, img in enumerate(volume.images) if img.sop_instance_uid == uids[3])
        view = SimpleNamespace(model=SimpleNamespace(volume=volume, key=stack.key), slice_index=k)
        st, r = open_reading(path, reader)
        if reader == "R1":
            r.add_patient(PAIR[0])
            r.add_exam_pair(*PAIR, ct_study_uid=stack.study_instance_uid)
        lid = r.add_lesion(PAIR, "right")
        r.measure(PAIR, lid, Role.CT_PORTAL, volume.geometry, stack.key, stack.series_instance_uid, k, (20.0, 18.0),
                  (20.0, 30.0), **image_provenance(view))  # type: ignore[arg-type]
        st.close()
    return path, {"full": tmp / "full", "gapped": tmp / "gapped"}


def test_the_agreement_pairs_two_readers_lines_on_an_image_whose_uid_has_a_64_character_twin_or_says_it_cannot(
        twin_store: tuple[Path, dict[str, Path]]) -> None:
    path, folders_ = twin_store
    reads, _ = load_store_agreement(path, folders_["full"])
    # not placed, said: R2's line stored at index 2 of a folder missing its first file was placed on the first twin
    # (index 2 of the complete folder), 10 mm off: two lesions each seen by one reader, unsaid. (Checked: fails without
    # annotation/placement.py's images_named check in patient_point.)
    assert reads.diameters.empty or sorted(reads.diameters["subject"].unique()) == ["R1 L1 = R2 L1"], reads.diameters
    note = reads.unpaired_note
    assert "not told apart" in note and "names 2 images of the folder given" in note and "first 64" in note, note
    assert "missing from" not in note, note
