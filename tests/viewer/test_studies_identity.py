"""viewer.studies_identity: another person's study under a patient's id is left out and said, never merged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from viewer.records import Role, StackInfo
from viewer.studies import exams, group_studies, prior_exam
from viewer.studies_identity import Identity, check_identities, name_key
from viewer.testing import make_stack, synthetic_images


def study(uid: str, date: str, name: str, born: str = "", sex: str = "", *, pid: str = "LLSYN001",
          modality: str = "CT", n_stacks: int = 2) -> list[StackInfo]:
    """``n_stacks`` stacks of one study whose images say ``name``, ``born`` and ``sex``."""
    out = []
    for i in range(n_stacks):
        role = (Role.CT_ARTERIAL, Role.CT_PORTAL)[i % 2] if modality == "CT" else Role.MR_T2FS
        s = replace(make_stack(f"{uid}.{i}", role, modality=modality, patient_id=pid, study_uid=uid, study_date=date),
                    patient_name=name)
        imgs = tuple(replace(img, file=replace(img.file, path=f"/data/{pid}/{date}_{modality}/{i}/{k}.dcm"),
                             patient_name=name, patient_birth_date=born, patient_sex=sex)
                     for k, img in enumerate(synthetic_images(s, [(0.0, 0.0, float(z)) for z in range(3)])))
        out.append(replace(s, images=imgs))
    return out


JANE = ("SYNTHETIC^JANE", "19600101", "F")
BOB = ("IMPOSTER^BOB", "19800101", "M")


class TestNameKey:
    @pytest.mark.parametrize("other", ["DOE^JANE", "doe^jane", "Doe ^ Jane", "DOE^JANE^^^", "DOE^^JANE", " DOE^JANE "])
    def test_case_spaces_and_empty_components_are_one_name(self, other: str) -> None:
        assert name_key(other) == name_key("Doe^Jane")

    def test_component_groups_compare_where_both_have_one(self) -> None:
        alphabetic = Identity("Yamada^Tarou", "", "")
        assert alphabetic.agrees(Identity("YAMADA^TAROU=山田^太郎", "", ""))
        assert Identity("=山田^太郎", "", "").agrees(Identity("Yamada^Tarou=山田^太郎", "", ""))
        assert Identity("Yamada^Tarou=山田^太郎", "", "").differences(Identity("Yamada^Tarou=山田^次郎", "", "")) == ["name"]

    def test_a_missing_value_never_disagrees(self) -> None:
        assert Identity("DOE^JANE", "19600101", "F").agrees(Identity("", "", ""))
        assert Identity("DOE^JANE", "19600101", "F").agrees(Identity("doe^jane", "", "F"))

    def test_each_present_value_that_differs_is_named(self) -> None:
        jane = Identity(*JANE)
        assert jane.differences(Identity(*BOB)) == ["name", "birth date", "sex"]
        assert jane.differences(replace(jane, birth_date="19600102")) == ["birth date"]
        assert jane.differences(replace(jane, sex="M")) == ["sex"]
        assert jane.differences(replace(jane, name="SYNTHETIC^JANE^MARIE")) == ["name"]


class TestCheckIdentities:
    def test_another_person_under_the_id_is_left_out_and_said(self) -> None:
        stacks = study("ct1", "20230314", *JANE) + study("mr1", "20230411", *JANE, modality="MR") \
            + study("bob", "20231102", *BOB) + study("ct2", "20240312", *JANE)
        check = check_identities(stacks)
        assert {s.study_instance_uid for s in check.left_out} == {"bob"}
        assert {s.study_instance_uid for s in check.kept} == {"ct1", "mr1", "ct2"}
        assert [s.key for s in check.kept] == [s.key for s in stacks if s.study_instance_uid != "bob"]  # order kept
        (warning,) = check.warnings
        for said in ("LLSYN001", "SYNTHETIC^JANE (born 1960-01-01, F)", "IMPOSTER^BOB (born 1980-01-01, M)",
                     "kept 3 studies", "2023-11-02 CT in /data/LLSYN001/20231102_CT", "2023-03-14 CT",
                     "name, birth date and sex differ"):
            assert said in warning, said
        assert check.by_id == {"LLSYN001": (warning,)}
        reason = check.reasons["bob.0"]
        assert "PatientID LLSYN001 here is IMPOSTER^BOB" in reason and "not SYNTHETIC^JANE" in reason

    @pytest.mark.parametrize("bob_first", [True, False])
    def test_a_tie_keeps_the_earliest_studys_person(self, bob_first: bool) -> None:
        jane = study("jane", "20230601", *JANE)
        bob = study("bob", "20230101" if bob_first else "20231201", *BOB)
        check = check_identities(jane + bob)
        assert {s.study_instance_uid for s in check.kept} == ({"bob"} if bob_first else {"jane"})
        assert len(check.warnings) == 1

    def test_an_undated_study_is_the_latest_for_a_tie(self) -> None:
        check = check_identities(study("bob", "", *BOB) + study("jane", "20230601", *JANE))
        assert {s.study_instance_uid for s in check.kept} == {"jane"}

    def test_spelling_case_and_missing_values_are_one_person(self) -> None:
        stacks = (study("a", "20230101", "Synthetic^Jane", "19600101", "F")
                  + study("b", "20230201", "SYNTHETIC ^JANE^^", "", "F")
                  + study("c", "20230301", "synthetic^jane", "19600101", "")
                  + study("d", "20230401", "", "", ""))
        check = check_identities(stacks)
        assert check.left_out == () and check.warnings == () and len(check.kept) == len(stacks)

    def test_same_name_other_birth_date_or_sex_is_another_person(self) -> None:
        stacks = study("a", "20230101", *JANE) + study("b", "20230201", *JANE) + study("c", "20230301", JANE[0], "19610101", "F")
        assert {s.study_instance_uid for s in check_identities(stacks).left_out} == {"c"}
        stacks = study("a", "20230101", *JANE) + study("b", "20230201", *JANE) + study("c", "20230301", JANE[0], JANE[1], "M")
        assert {s.study_instance_uid for s in check_identities(stacks).left_out} == {"c"}

    def test_values_a_study_lacks_come_from_the_agreeing_ones(self) -> None:
        # the nameless study agrees with everyone; the majority decides, filled in from the agreeing studies
        stacks = study("x", "20230101", "", "", "") + study("a", "20230201", *JANE) + study("b", "20230301", *JANE) \
            + study("bob", "20230401", *BOB)
        check = check_identities(stacks)
        assert {s.study_instance_uid for s in check.left_out} == {"bob"}
        assert "kept 3 studies of SYNTHETIC^JANE (born 1960-01-01, F)" in check.warnings[0]

    def test_a_series_of_another_person_inside_a_study_is_left_out(self) -> None:
        stacks = study("a", "20230101", *JANE) + study("b", "20230201", *JANE)
        intruder = study("b", "20230201", *BOB, n_stacks=1)[0]
        check = check_identities([*stacks, replace(intruder, key="b.intruder")])
        assert [s.key for s in check.left_out] == ["b.intruder"]

    def test_files_without_a_patient_id_are_not_one_person_either(self) -> None:
        check = check_identities(study("a", "20230101", *JANE, pid="") + study("b", "20230201", *BOB, pid=""))
        assert check.warnings[0].startswith("PatientID (empty) is used by more than one person")
        assert {s.study_instance_uid for s in check.kept} == {"a"}

    def test_different_ids_are_never_compared(self) -> None:
        stacks = study("a", "20230101", *JANE) + study("b", "20230201", *BOB, pid="LLSYN002")
        assert check_identities(stacks).warnings == ()


class TestGroupStudies:
    def test_the_patient_has_no_study_of_the_other_person_and_says_so(self) -> None:
        stacks = study("ct1", "20230314", *JANE) + study("mr1", "20230411", *JANE, modality="MR") \
            + study("bob", "20231102", *BOB) + study("ct2", "20240312", *JANE)
        (patient,) = group_studies(stacks)
        assert [s.study_instance_uid for s in patient.studies] == ["ct1", "mr1", "ct2"]
        assert len(patient.identity_warnings) == 1 and "IMPOSTER^BOB" in patient.identity_warnings[0]
        follow_up = exams(patient)[-1]
        prior = prior_exam(patient, follow_up)
        assert prior is not None and "bob" not in {s.study_instance_uid for s in prior.studies}

    def test_one_person_has_no_warning(self) -> None:
        (patient,) = group_studies(study("ct1", "20230314", *JANE) + study("ct2", "20240312", "synthetic^jane", "", ""))
        assert patient.identity_warnings == () and len(patient.studies) == 2
