"""Each treatment of the clinical record is given, not given or not recorded (a radiologist's read, session 47:
patients.csv said false to all eight treatments of a patient nobody filled in, and treatment lines of PRRT and
everolimus stood beside treat_targeted_therapy=false)."""

from __future__ import annotations

import csv
import sqlite3

import openpyxl
import pandas as pd
import pytest

from analysis.tables import population_table
from annotation import store as store_module
from annotation.checks import CheckCode, check_patient
from annotation.clinical import ClinicalRecord, treatments_named
from annotation.export import export_store
from annotation.followup import FollowupEditor
from annotation.store import ReadingStore, open_reading
from annotation.tables import patient_rows
from annotation.vocab import Treatment
from viewer.errors import ValidationError

T = Treatment


def test_a_treatment_is_given_not_given_or_not_recorded():
    rec = ClinicalRecord(treatments={"chemotherapy"}, treatments_no={"transplant"})
    assert (rec.treatment(T.CHEMOTHERAPY), rec.treatment(T.TRANSPLANT), rec.treatment(T.LIVER_SURGERY)) == (
        True, False, None)
    assert rec.with_treatment(T.CHEMOTHERAPY, False).treatment(T.CHEMOTHERAPY) is False
    assert rec.with_treatment(T.TRANSPLANT, None).treatment(T.TRANSPLANT) is None
    carried = ClinicalRecord(treatments_no={"transplant"}, treatments_unconfirmed=True)
    # one answer confirms no other carried "no" (a review: it confirmed all seven); none left, no flag
    assert carried.with_treatment(T.CHEMOTHERAPY, True).treatments_unconfirmed is True
    assert carried.with_treatment(T.TRANSPLANT, None).treatments_unconfirmed is False
    with pytest.raises(ValidationError, match="both given and not given"):
        ClinicalRecord(treatments={"chemotherapy"}, treatments_no={"chemotherapy"})


@pytest.mark.parametrize(("name", "named"), [
    ("177Lu-DOTATATE (PRRT)", []), ("everolimus", [T.TARGETED_THERAPY]),
    ("Octreotide LAR + everolimus", [T.SOMATOSTATIN_ANALOGUES, T.TARGETED_THERAPY]),
    ("cisplatin\u2013etoposide", [T.CHEMOTHERAPY]), ("CAPTEM", [T.CHEMOTHERAPY]), ("TACE", [T.CHEMOEMBOLISATION]),
    ("right hepatectomy", [T.LIVER_SURGERY]), ("RFA seg VIII", [T.RADIOFREQUENCY_ABLATION]),
    ("palliative care", []), ("lanreotide autogel 120 mg", [T.SOMATOSTATIN_ANALOGUES]),
])
def test_a_treatment_line_names_the_record_treatments_its_words_say(name, named):
    assert treatments_named(name) == named


def _filled(path):
    st, r = open_reading(path, "R1")
    r.add_patient("P1")
    r.edit_patient("P1", treatments={"chemotherapy"}, treatments_no={"targeted_therapy"})
    r.add_patient("P2")  # nobody filled it in
    return st, r


def test_patients_csv_and_workbook_leave_not_recorded_blank(tmp_path):
    st, _ = _filled(tmp_path / "s.lesionlab")
    st.close()
    out = tmp_path / "out"
    export_store(tmp_path / "s.lesionlab", out)
    with open(out / "patients.csv", newline="", encoding="utf-8") as fh:
        rows = {r["patient_id"]: r for r in csv.DictReader(fh)}
    assert (rows["P1"]["treat_chemotherapy"], rows["P1"]["treat_targeted_therapy"], rows["P1"]["treat_transplant"]) \
        == ("true", "false", "")
    assert {rows["P2"][t.column] for t in T} == {""}
    wb = openpyxl.load_workbook(out / "patients" / "P1.xlsx")
    fields = dict(wb["Patient"].iter_rows(values_only=True))
    assert (fields["treat_chemotherapy"], fields["treat_targeted_therapy"], fields["treat_transplant"]) == (
        "yes", "no", "not recorded")


def test_the_store_keeps_the_three_answers(tmp_path):
    st, _ = _filled(tmp_path / "s.lesionlab")
    st.close()
    with ReadingStore.open(tmp_path / "s.lesionlab", read_only=True) as ro:
        p = ro.load().patients
    assert p["P1"].clinical.treatment(T.TARGETED_THERAPY) is False and p["P1"].clinical.treatment(T.TRANSPLANT) is None
    assert p["P2"].clinical.treatments == p["P2"].clinical.treatments_no == frozenset()


def test_an_old_store_keeps_its_no_to_confirm_unless_the_record_was_empty(tmp_path):
    path = tmp_path / "old.lesionlab"
    with pytest.MonkeyPatch.context() as mp:  # a store made by a lesionlab before migration 15
        mp.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:14])
        mp.setattr(store_module, "SCHEMA_VERSION", 14)
        ReadingStore.open(path).close()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("INSERT INTO patients (patient_id, patient_name, sex, treatments) VALUES ('P1', '', 'F', 'chemotherapy')")
    con.execute("INSERT INTO patients (patient_id, patient_name, sex, ki67_percent, treatments)"
                " VALUES ('P2', '', 'M', 4, '')")
    con.execute("INSERT INTO patients (patient_id, patient_name, sex, treatments) VALUES ('P3', '', 'M', '')")  # sex: the images'
    con.execute("INSERT INTO patients (patient_id, patient_name, treatments) VALUES ('P4', '', '')")
    con.close()
    with ReadingStore.open(path) as st:
        assert st.schema_version == store_module.SCHEMA_VERSION
        project = st.load()
    p1, p2, p3, p4 = (project.patients[p].clinical for p in ("P1", "P2", "P3", "P4"))
    assert p1.treatment(T.CHEMOTHERAPY) is True and p1.treatments_no == set(T) - {T.CHEMOTHERAPY}
    assert p1.treatments_unconfirmed and p2.treatments_unconfirmed and p2.treatments_no == set(T)
    assert p3.treatments == p3.treatments_no == frozenset() and not p3.treatments_unconfirmed
    assert p4.treatments == p4.treatments_no == frozenset() and not p4.treatments_unconfirmed
    warnings = [w for w in check_patient(project, "P2") if w.code is CheckCode.TREATMENTS_UNCONFIRMED]
    assert len(warnings) == 1 and "could not tell no from not recorded" in warnings[0].message
    assert not check_patient(project, "P3")


def test_checks_flag_a_no_that_a_treatment_line_names(tmp_path):
    st, r = _filled(tmp_path / "s.lesionlab")
    editor = FollowupEditor(r)
    editor.add_treatment_line("P1", "177Lu-DOTATATE (PRRT)", "2020-01-01")
    editor.add_treatment_line("P1", "everolimus", "2021-01-01")
    editor.add_treatment_line("P1", "capecitabine-temozolomide", "2022-01-01")  # chemotherapy: yes, no flag
    editor.add_treatment_line("P2", "everolimus", "2021-01-01")  # not recorded: nothing contradicts
    flags = [w for w in check_patient(r.project, "P1") if w.code is CheckCode.TREATMENT_SAYS_NO]
    assert [w.message.split(" is ")[0] for w in flags] == ["treatment line 2 ('everolimus')"]
    assert "targeted therapy" in flags[0].message
    assert not [w for w in check_patient(r.project, "P2") if w.code is CheckCode.TREATMENT_SAYS_NO]
    st.close()
    out = tmp_path / "out"
    export_store(tmp_path / "s.lesionlab", out)
    wb = openpyxl.load_workbook(out / "patients" / "P1.xlsx")
    assert any("everolimus" in str(c) for row in wb["Checks"].iter_rows(values_only=True) for c in row)


def test_the_population_table_counts_not_recorded_apart(tmp_path):
    st, r = _filled(tmp_path / "s.lesionlab")
    r.add_patient("P3")
    r.edit_patient("P3", treatments={"chemotherapy"})
    frame = pd.DataFrame(patient_rows(r.project))
    table = population_table(frame)
    chemo = table[table["category"].str.startswith("Chemotherapy")]
    assert list(zip(chemo["category"], chemo["n"])) == [("Chemotherapy", 2), ("Chemotherapy: not recorded", 1)]
    targeted = table[table["category"].str.startswith("Targeted")]
    assert list(zip(targeted["category"], targeted["n"])) == [("Targeted therapy", 0),
                                                              ("Targeted therapy: not recorded", 2)]
    st.close()
