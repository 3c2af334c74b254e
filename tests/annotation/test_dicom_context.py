"""The store's DICOM context per series (SR export needs it): migration, record, load, and the
pseudonymisation gate (identifiers recorded there never reach a pseudonymised export)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotation.dicom_context import contexts_of, load_contexts, record_stacks
from annotation.export import export_store
from annotation.store import MIGRATIONS, SCHEMA_VERSION, ReadingStore
from viewer.errors import StoreError
from viewer.index import index_path


@pytest.fixture(scope="module")
def llsyn001_stacks(sample_dicom: Path):
    return list(index_path(sample_dicom / "LLSYN001").stacks)


def test_the_migration_is_registered_and_creates_the_table(tmp_path: Path) -> None:
    found = [m for m in MIGRATIONS if "DICOM context" in m.description]
    assert len(found) == 1 and found[0].version <= SCHEMA_VERSION
    with ReadingStore.open(tmp_path / "s.lesionlab") as store:
        assert store.backend_db.has_table("dicom_context")
        assert load_contexts(store) == {}


def test_record_stacks_keeps_patient_study_and_series(tmp_path: Path, llsyn001_stacks) -> None:
    with ReadingStore.open(tmp_path / "s.lesionlab") as store:
        n = record_stacks(store, llsyn001_stacks)
        assert n == len({s.series_instance_uid for s in llsyn001_stacks})
        assert record_stacks(store, llsyn001_stacks) == n  # a second open refreshes, no duplicate
    with ReadingStore.open(tmp_path / "s.lesionlab", read_only=True) as store:
        ctx = load_contexts(store)
    stack = next(s for s in llsyn001_stacks if s.modality == "CT")
    c = ctx[stack.series_instance_uid]
    h = stack.images[0]
    assert c == contexts_of(llsyn001_stacks)[stack.series_instance_uid]
    assert stack.role.value in c.roles.split()
    assert (c.patient_id, c.patient_name, c.patient_birth_date, c.patient_sex) == (
        h.patient_id, h.patient_name, h.patient_birth_date, h.patient_sex)
    assert c.accession_number == h.accession_number != ""
    assert c.study_id == h.study_id != ""
    assert c.frame_of_reference_uid == h.frame_of_reference_uid != ""
    assert c.study_instance_uid == stack.study_instance_uid


def test_a_read_only_store_refuses_and_keeps_nothing(tmp_path: Path, llsyn001_stacks) -> None:
    ReadingStore.open(tmp_path / "s.lesionlab").close()
    with ReadingStore.open(tmp_path / "s.lesionlab", read_only=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            record_stacks(store, llsyn001_stacks)


def test_pseudonymised_export_carries_no_identifier_of_the_context(tmp_path: Path, sample_dicom: Path,
                                                                    llsyn001_stacks) -> None:
    store_path = tmp_path / "reading.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", store_path)
    with ReadingStore.open(store_path) as store:
        record_stacks(store, llsyn001_stacks)
        contexts = load_contexts(store)
    export_store(store_path, tmp_path / "out", pseudonymise=True)
    secrets = set()
    for c in contexts.values():
        secrets |= {c.patient_name, c.patient_birth_date, c.accession_number, c.study_instance_uid,
                    c.series_instance_uid, c.frame_of_reference_uid, c.patient_id}
    secrets.discard("")
    assert secrets
    for f in (tmp_path / "out").rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            if f.suffix == ".xlsx":
                import zipfile
                with zipfile.ZipFile(f) as z:
                    data = b"".join(z.read(n) for n in z.namelist())
            leaked = [s for s in secrets if s.encode() in data]
            assert not leaked, (f, leaked)
