"""viewer.roles: vocabularies, header signals, study timing, and never a confident wrong role."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from viewer.index import index_path
from viewer.records import FileRef, ImageHeader, PixelFormat, Role, StackInfo
from viewer.role_vocab import Phase, normalise, phase_of
from viewer.roles import RoleGuess, classify_stack, classify_study
from viewer.stacks import make_stack

PIXEL = PixelFormat(rows=8, columns=8, bits_allocated=16, bits_stored=16, pixel_representation=1,
                    samples_per_pixel=1, photometric="MONOCHROME2", transfer_syntax_uid="1.2.840.10008.1.2.1")
BASE = ImageHeader(
    file=FileRef("x.dcm"), frame=0, sop_instance_uid="1", sop_class_uid="1.2.840.10008.5.1.4.1.1.4",
    patient_id="P", patient_name="", study_instance_uid="S", study_date="20240101", study_time="080000",
    study_description="", series_instance_uid="SER", series_number=1, series_description="", protocol_name="",
    modality="MR", frame_of_reference_uid="F", manufacturer="", instance_number=1, image_type=("ORIGINAL", "PRIMARY"),
    position_mm=(0.0, 0.0, 0.0), orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0), pixel_spacing_mm=(1.0, 1.0),
    imager_pixel_spacing_mm=None, slice_thickness_mm=1.0, gantry_tilt_deg=None, rescale_slope=1.0,
    rescale_intercept=0.0, window_center=None, window_width=None, b_value=None, b_value_source=None,
    acquisition_number=1, acquisition_time="", acquisition_date="20240101", series_time="", content_time="",
    temporal_position=None, trigger_time_ms=None, contrast_agent=None, contrast_start_time="", sequence_name="",
    scanning_sequence="", sequence_variant="", scan_options="", echo_time_ms=None, repetition_time_ms=None,
    inversion_time_ms=None, body_part="", patient_position="HFS", pixel=PIXEL)


def stack(description: str = "", n: int = 3, uid: str | None = None, **fields: object) -> StackInfo:
    """A stack of ``n`` axial slices whose headers carry ``fields``."""
    uid = uid or f"SER-{description}-{sorted(fields.items())}"
    heads = [dataclasses.replace(BASE, series_instance_uid=uid, series_description=description,
                                 sop_instance_uid=f"{uid}.{k}", position_mm=(0.0, 0.0, float(k)), **fields)
             for k in range(n)]
    return make_stack("", heads, [])


def role_of(description: str, **fields: object) -> RoleGuess:
    return classify_stack(stack(description, **fields))


class TestVocabulary:
    def test_normalise_drops_accents_and_separators(self) -> None:
        assert normalise("T1_VIBE Artériel (PV)") == " t1 vibe arteriel pv "

    @pytest.mark.parametrize(("text", "phase"), [
        ("Arteriel  5.0  B30f", Phase.ARTERIAL), ("ART 5mm", Phase.ARTERIAL), ("AP 1.25", Phase.ARTERIAL),
        ("artérielle tardive", Phase.ARTERIAL), ("late arterial", Phase.ARTERIAL),
        ("Portale 5.0", Phase.PORTAL), ("PV", Phase.PORTAL), ("temps veineux", Phase.PORTAL),
        ("TDM sans injection", Phase.PRE), ("non-contrast", Phase.PRE), ("ABDO C-", Phase.PRE),
        ("Tardif 3 min", Phase.DELAYED), ("delayed", Phase.DELAYED), ("abdo 70s", Phase.PORTAL),
        ("abdo 35 s", Phase.ARTERIAL), ("t1_vibe_dyn", None), ("PRO DCE W_T1 MAPPING", None), ("art pv", None),
    ])
    def test_phase_words(self, text: str, phase: Phase | None) -> None:
        assert phase_of(normalise(text), text)[0] is phase


class TestSingleStack:
    @pytest.mark.parametrize(("modality", "description", "role"), [
        ("CT", "Arteriel  5.0  B30f", Role.CT_ARTERIAL), ("CT", "Abdo PORTAL 5.0 B30f", Role.CT_PORTAL),
        ("CT", "Sans injection 5mm", Role.CT_UNENHANCED), ("CT", "Tardif", Role.CT_DELAYED),
        ("MR", "t2_tse_fs_tra", Role.MR_T2FS), ("MR", "Ax T2 FS", Role.MR_T2FS), ("MR", "T2 SPAIR", Role.MR_T2FS),
        ("MR", "STIR cor", Role.MR_T2FS), ("MR", "t2_haste_tra", Role.MR_T2), ("MR", "sT2W/SPIR", Role.MR_T2FS),
        ("MR", "ep2d_diff_b50_800_tra", Role.MR_DWI), ("MR", "DWI", Role.MR_DWI), ("MR", "Diffusion b800", Role.MR_DWI),
        ("MR", "ep2d_diff_tra_ADC", Role.MR_ADC), ("MR", "dADC", Role.MR_ADC),
        ("MR", "Apparent Diffusion Coefficient (mm²/s)", Role.MR_ADC),
        ("MR", "t1_vibe_fs_tra_art", Role.MR_T1_ARTERIAL), ("MR", "Ax LAVA portal", Role.MR_T1_PORTAL),
        ("MR", "e-THRIVE pre", Role.MR_T1_PRE), ("MR", "T1 FL3D tardif", Role.MR_T1_DELAYED),
        ("MR", "t1_vibe_fs_tra_art_SUB", Role.MR_T1_SUBTRACTION), ("MR", "T1 in-opp", Role.MR_OTHER),
        ("MR", "artériel", Role.MR_T1_ARTERIAL),
    ])
    def test_description_vocabulary(self, modality: str, description: str, role: Role) -> None:
        g = role_of(description, modality=modality)
        assert g.role is role, g.reason
        assert 0.5 <= g.confidence <= 1.0 and g.reason

    @pytest.mark.parametrize(("modality", "description", "role"), [
        ("CT", "VRT arterial", Role.CT_OTHER), ("CT", "Volume Rendering portal", Role.CT_OTHER),
        ("CT", "PORTAL iodine map", Role.CT_OTHER), ("CT", "Lung 1.0 Br60 portal", Role.CT_OTHER),
        ("CT", "Poumon portal", Role.CT_OTHER), ("MR", "ep2d_diff_b50_800_tra_ColFA", Role.MR_OTHER),
        ("MR", "DTI FA map", Role.MR_OTHER),
    ])
    def test_derived_and_other_organ_series_are_not_reading_series(self, modality: str, description: str,
                                                                  role: Role) -> None:
        """Vendor names the vocabulary missed were hung as reading series at 0.8-0.9: Siemens' volume rendering
        (VRT) as CT arterial, a dual-energy iodine map and a lung-kernel reconstruction as CT portal, a colour
        FA map as DWI."""
        g = role_of(description, modality=modality)
        assert g.role is role, g.reason

    def test_image_type_beats_words(self) -> None:
        assert role_of("diff", image_type=("DERIVED", "PRIMARY", "DIFFUSION", "ADC")).role is Role.MR_ADC
        g = role_of("ep2d", image_type=("DERIVED", "PRIMARY", "DIFFUSION", "TRACEW"), b_value=800.0,
                    b_value_source="DiffusionBValue (0018,9087)")
        assert g.role is Role.MR_DWI and g.confidence >= 0.9
        assert role_of("t1 art", image_type=("DERIVED", "PRIMARY", "SUBTRACT")).role is Role.MR_T1_SUBTRACTION

    def test_b_value_on_an_adc_map_does_not_make_dwi(self) -> None:
        g = role_of("Apparent Diffusion Coefficient", b_value=500.0, b_value_source="GE private (0043,1039)",
                    protocol_name="PRO DCE W_T1 MAPPING AN/")
        assert g.role is Role.MR_ADC and "500" in g.reason

    def test_dce_in_protocol_alone_makes_no_t1_phase(self) -> None:
        g = role_of("", protocol_name="PRO DCE W_T1 MAPPING AN/")
        assert g.role not in (Role.MR_T1_ARTERIAL, Role.MR_T1_PORTAL, Role.MR_T1_PRE)
        assert g.confidence <= 0.5

    def test_protocol_name_is_a_weaker_fallback(self) -> None:
        by_desc = role_of("t2_tse_fs_tra")
        by_protocol = role_of("", protocol_name="t2_tse_fs_tra")
        assert by_protocol.role is Role.MR_T2FS and by_protocol.confidence < by_desc.confidence
        assert "protocol name" in by_protocol.reason

    def test_fat_sat_from_scan_options(self) -> None:
        assert role_of("t2_tse_tra", scan_options="FS\\PFP").role is Role.MR_T2FS
        assert role_of("t2_tse_tra", scan_options="PFP").role is Role.MR_T2

    def test_headers_only_is_low_confidence(self) -> None:
        g = role_of("series 12", echo_time_ms=90.0, repetition_time_ms=4000.0, scanning_sequence="SE")
        assert g.role is Role.MR_T2 and g.confidence < 0.5
        g = role_of("", b_value=800.0, b_value_source="DiffusionBValue (0018,9087)")
        assert g.role is Role.MR_DWI and g.confidence <= 0.7
        g = role_of("")
        assert g.role is Role.MR_OTHER and g.confidence <= 0.2

    def test_non_axial_reading_role_is_less_sure(self) -> None:
        axial = role_of("ep2d_diff")
        cor = classify_stack(make_stack("", [dataclasses.replace(
            BASE, series_description="ep2d_diff", sop_instance_uid=str(k), orientation=(1.0, 0, 0, 0, 0, -1.0),
            position_mm=(0.0, float(k), 0.0)) for k in range(3)], []))
        assert cor.role is Role.MR_DWI and cor.confidence < axial.confidence and "coronal" in cor.reason

    def test_unenhanced_name_with_contrast_agent_is_doubted(self) -> None:
        g = role_of("sans injection", modality="CT", contrast_agent="OMNIPAQUE")
        assert g.role is Role.CT_UNENHANCED and g.confidence < 0.6

    def test_other_modality_is_unknown(self) -> None:
        assert role_of("PET WB", modality="PT").role is Role.UNKNOWN

    def test_guess_validates_confidence(self) -> None:
        with pytest.raises(ValueError):
            RoleGuess(Role.MR_DWI, 1.5, "x")
        assert RoleGuess("mr_dwi", 0.5, "x").role is Role.MR_DWI  # type: ignore[arg-type]


def dynamic(times: list[str], agents: list[str | None], description: str = "t1_vibe_dyn",
            start: str = "", modality: str = "MR") -> list[RoleGuess]:
    stacks = [stack(description, uid=f"dyn{i}", acquisition_time=t, contrast_agent=a, contrast_start_time=start,
                    modality=modality) for i, (t, a) in enumerate(zip(times, agents))]
    return classify_study(stacks)


class TestStudyTiming:
    def test_dynamic_told_apart_by_order_with_contrast_evidence(self) -> None:
        g = dynamic(["100000", "100100", "100130", "100330"], [None, "DOTAREM", "DOTAREM", "DOTAREM"])
        assert [x.role for x in g] == [Role.MR_T1_PRE, Role.MR_T1_ARTERIAL, Role.MR_T1_PORTAL, Role.MR_T1_DELAYED]
        assert all(0.4 <= x.confidence <= 0.7 for x in g)
        assert "order of acquisition" in g[1].reason

    def test_injection_time_gives_the_phase(self) -> None:
        g = dynamic(["100000", "100130", "100215", "100500"], ["GADO"] * 4, start="100100")
        assert [x.role for x in g] == [Role.MR_T1_PRE, Role.MR_T1_ARTERIAL, Role.MR_T1_PORTAL, Role.MR_T1_DELAYED]

    def test_no_contrast_attribute_means_phase_unknown(self) -> None:
        g = dynamic(["100000", "100100", "100130"], [None, None, None])
        assert all(x.role is Role.MR_OTHER and x.confidence <= 0.3 for x in g)
        assert "no contrast attribute" in g[0].reason

    def test_contrast_agent_on_every_time_point_tells_no_phase(self) -> None:
        g = dynamic(["100000", "100100", "100130"], ["GADO"] * 3)
        assert all(x.role is Role.MR_OTHER and x.confidence <= 0.3 for x in g)
        assert "precedes the injection" in g[0].reason

    def test_three_seconds_apart_is_not_a_contrast_phase(self) -> None:
        g = dynamic(["143531.66", "143534.65", "143537.64"], [None, "GADO", "GADO"])
        assert all(x.role is Role.MR_OTHER for x in g) and "too close" in g[0].reason

    def test_single_unnamed_enhanced_ct_is_other(self) -> None:
        (g,) = dynamic(["100000"], ["OMNIPAQUE"], description="Abdomen 1.0 B30f", modality="CT")
        assert g.role is Role.CT_OTHER and g.confidence <= 0.3

    def test_unnamed_ct_helices_by_order(self) -> None:
        g = dynamic(["100000", "100140", "100230"], [None, "OMNIPAQUE", "OMNIPAQUE"],
                    description="Abdomen 5.0 B30f", modality="CT")
        assert [x.role for x in g] == [Role.CT_UNENHANCED, Role.CT_ARTERIAL, Role.CT_PORTAL]


class TestSeveralStacksOfOneRole:
    def test_a_second_portal_phase_says_so(self) -> None:
        """Two CT portal series in one study: the hanging shows one (the best ranked) and nothing said the
        other existed; each reason now names the other stacks of its role."""
        a = stack("Abdo PORTAL 5mm", n=4, modality="CT", series_number=4)
        b = stack("Abdo PORTAL 2mm", n=6, modality="CT", series_number=5)
        c = stack("Arteriel", n=4, modality="CT", series_number=3)
        ga, gb, gc = classify_study([a, b, c])
        assert ga.role is gb.role is Role.CT_PORTAL and gc.role is Role.CT_ARTERIAL
        assert "1 other ct_portal stack in this study: series 5 'Abdo PORTAL 2mm'" in ga.reason
        assert "series 4 'Abdo PORTAL 5mm'" in gb.reason
        assert "other" not in gc.reason

    def test_a_series_split_in_two_names_its_other_part(self) -> None:
        whole = dataclasses.replace(stack("t2_tse_fs_tra", uid="T", n=4), split_label="axial1")
        part = dataclasses.replace(stack("t2_tse_fs_tra", uid="T", n=1), split_label="axial2")
        g_whole, g_part = classify_study([whole, part])
        assert "1 other mr_t2fs stack in this study: series 1 't2_tse_fs_tra' (axial2)" in g_whole.reason
        assert "(axial1)" in g_part.reason

    def test_b_values_of_one_dwi_series_are_not_rivals(self) -> None:
        low = stack("ep2d_diff", uid="D", b_value=50.0, b_value_source="x")
        high = stack("ep2d_diff", uid="D", b_value=800.0, b_value_source="x")
        assert all("other mr_dwi" not in g.reason for g in classify_study([low, high]))


class TestRealDicom:
    def test_manifest_roles(self, realdicom: Path) -> None:
        r = index_path(realdicom / "siemens_t1_dynamic", workers=1)
        assert all(s.role is Role.MR_OTHER and s.role_confidence <= 0.3 for s in r.stacks)
        r = index_path(realdicom / "siemens_dwi_b50_400_800", workers=1)
        assert [(s.role, s.b_value) for s in r.stacks] == [(Role.MR_DWI, 50), (Role.MR_DWI, 400), (Role.MR_DWI, 800)]
        assert all("coronal" in s.role_reason for s in r.stacks)
        r = index_path(realdicom / "ge_adc_map", workers=1)
        assert [s.role for s in r.stacks] == [Role.MR_ADC]
        r = index_path(realdicom / "ge_ct_gantry_tilt", workers=1)
        assert [s.role for s in r.stacks] == [Role.CT_OTHER]


class TestSampleDicom:
    """Every stack of sample_dicom/ gets the role its generator (tools/sample) wrote in the ground truth."""

    @staticmethod
    def truth(sample_dicom: Path) -> list[dict]:
        import json

        files = sorted((sample_dicom / "ground_truth").glob("*.json"))
        if not files or not any(p.suffix != ".json" for p in sample_dicom.rglob("*") if p.is_file()):
            pytest.skip("sample_dicom/ has no generated study (make sample)")
        return [json.loads(p.read_text(encoding="utf-8")) for p in files]

    def test_every_stack_gets_its_role(self, sample_dicom: Path) -> None:
        truth = self.truth(sample_dicom)
        result = index_path(sample_dicom)
        expected = {}
        for patient in truth:
            for exam in patient["exams"]:
                for series in exam["series"]:
                    for st in series["stacks"]:
                        expected[(series["series_instance_uid"], st["b_value"])] = Role(st["role"])
        found = {(s.series_instance_uid, s.b_value if s.role is Role.MR_DWI else None): s for s in result.stacks}
        assert set(found) == set(expected)
        wrong = {k: (s.role, s.role_reason) for k, s in found.items() if s.role is not expected[k]}
        assert not wrong
        assert all(s.role_confidence >= 0.8 for s in found.values())


def test_a_lung_cancer_staging_study_keeps_its_liver_phases_by_timing() -> None:
    """A review: the lung words that set a lung-kernel series apart were looked for in the study's description and
    the protocol name too, so three unnamed contrast helices of a "LUNG CANCER STAGING" study (a typical liver
    metastasis exam) all became ct_other, nothing hung. Only a series' own description is a lung series."""
    for study in ("CT TAP - LUNG CANCER STAGING", "TDM TAP bilan K poumon", "THORAX ABDO PULMONARY NODULE FU"):
        stacks = [stack("Abdomen 5.0 B30f", uid=f"h{i}", acquisition_time=t, contrast_agent=a, modality="CT",
                        study_description=study)
                  for i, (t, a) in enumerate(zip(["100000", "100140", "100230"], [None, "OMNIPAQUE", "OMNIPAQUE"]))]
        assert [g.role for g in classify_study(stacks)] == [Role.CT_UNENHANCED, Role.CT_ARTERIAL, Role.CT_PORTAL], study
    assert classify_study([stack("Lung 1.0 Br60 portal", modality="CT")])[0].role is Role.CT_OTHER
