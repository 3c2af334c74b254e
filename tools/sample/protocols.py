"""Exams and series: geometry, noise, contrast timing and vendor headers.

Everything that makes a series look like a given vendor's lives here as data; the renderer
(render.py) and the writer (dicomwrite.py) only follow it. The patients are in patients.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Grid:
    """An axial acquisition grid: matrix, pixel spacing (row, col), slices, resolution."""

    rows: int
    columns: int
    pixel_spacing_mm: tuple[float, float]  # (row spacing, column spacing)
    slice_thickness_mm: float
    slice_spacing_mm: float
    psf_mm: float  # Gaussian sigma of the in-plane blur
    supersample: int = 1


@dataclass(frozen=True)
class SeriesSpec:
    """One series: role, keys rendered, grid name, noise and its vendor header fields."""

    role: str
    number: int
    description: str
    keys: tuple[str, ...]  # intensity keys; DWI has two (b0, b800) in one series
    grid: str
    noise: float  # sigma of the noise (HU or MR units)
    acq_offset_s: int  # acquisition time after the exam's first series
    b_values: tuple[int, ...] = ()
    noise_corr_px: float = 1.2  # MR: Gaussian sigma (pixels) correlating the noise
    noise_f0_per_mm: float = 0.0  # CT: f0 of the ramp-shaped noise power spectrum (render.ramp_amplitude)
    gain: float = 1.0  # MR receiver scaling of the table values (CT and ADC keep 1.0)
    post_contrast: bool = False
    headers: dict = field(default_factory=dict)  # extra vendor attributes (keyword -> value)
    derived_from: str = ""  # ADC: the role of the DWI series it is computed from


@dataclass(frozen=True)
class ExamSpec:
    kind: str  # "ct" | "mr"
    date: str
    time: str
    manufacturer: str
    model: str
    station: str
    description: str
    patient_position: str
    table_offset_mm: tuple[float, float, float]  # exam frame = body + offset
    grids: dict[str, Grid]
    series: tuple[SeriesSpec, ...]
    contrast_agent: str
    field_strength_t: float = 0.0
    vendor: str = ""
    timepoint: int = 1  # 1 = the CT + MRI exam pair; follow-up CTs 2, 3, ...
    liver_shift_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)  # breathing: liver vs body

    @property
    def exam_id(self) -> str:
        """"ct" and "mr" for the exam pair (timepoint 1), "ct_tp2", "ct_tp3", ... after it."""
        return self.kind if self.timepoint == 1 else f"{self.kind}_tp{self.timepoint}"


CT_GRID = Grid(512, 512, (0.742, 0.742), 5.0, 5.0, psf_mm=0.45, supersample=1)

# Noise (SD of the noise before any signal is added; Rician for MR magnitudes). CT: liver SD of
# 10-15 HU on 5 mm portal images. MR at 1.5 T, liver SNR (liver signal / sigma after the gain):
# T2 TSE FS ~18, VIBE/LAVA ~23 (pre), DWI b0 ~22 and b800 ~8 at 2.5 mm pixels; the ADC map is
# computed from the noisy b0 and b800 images, so its noise follows (~170 x 1e-6 mm2/s in liver).
CT_NOISE_HU = {"SIEMENS": (14.0, 13.0), "GE": (16.0, 15.0)}  # (arterial, portal)
T2_NOISE, DWI_NOISE, T1_NOISE = 11.0, 16.0, 8.0
T2_GAIN, DWI_GAIN, T1_GAIN = 0.45, 0.6, 0.35
# CT noise spectrum: a filtered back-projection's, radial NPS f exp(-(f / f0)^2) with f0 in cycles/mm (so it
# follows the grid's pixel size): autocorrelation FWHM 1.7 mm with a negative lobe on 0.742 mm pixels, as the
# only real CT in shared/realdicom measures (GE head CT, STD+ kernel: 1.69 mm, bench/ct_noise.py). Until
# session 42 it was white noise through a Gaussian of 2.2 px: FWHM 5.4 mm, no power above 0.3 cycles/mm.
CT_NOISE_F0_PER_MM = 0.25
T2_NOISE_CORR_PX, T1_NOISE_CORR_PX, DWI_NOISE_CORR_PX = 0.9, 0.9, 0.6


def ct_exam(vendor: str, date: str, time: str, offset, agent: str, art: str, pv: str, *,
            timepoint: int = 1, liver_shift_mm=(0.0, 0.0, 0.0), arterial: bool = True) -> ExamSpec:
    if vendor == "SIEMENS":
        man, model, kernel = "SIEMENS", "SOMATOM Definition AS+", "B30f"
        extra = {"ConvolutionKernel": kernel}
    else:
        man, model = "GE MEDICAL SYSTEMS", "Revolution CT"
        extra = {"ConvolutionKernel": "STANDARD", "SpacingBetweenSlices": 5.0}
    noise_art, noise_pv = CT_NOISE_HU[vendor]
    series = (
        SeriesSpec("ct_arterial", 3, art, ("ct_art",), "ct", noise_art, 30, post_contrast=True,
                   noise_f0_per_mm=CT_NOISE_F0_PER_MM, headers=extra),
        SeriesSpec("ct_portal", 4, pv, ("ct_pv",), "ct", noise_pv, 80, post_contrast=True,
                   noise_f0_per_mm=CT_NOISE_F0_PER_MM, headers=extra),
    )
    return ExamSpec(
        "ct", date, time, man, model, "CTSYN01", "TDM THORAX ABDOMEN PELVIS", "FFS", offset,
        {"ct": CT_GRID}, series if arterial else series[1:], agent, vendor=vendor,
        timepoint=timepoint, liver_shift_mm=liver_shift_mm,
    )


_MR_GRIDS = {
    # Rectangular FOV, non-square pixels: 380 mm (columns) x 330 mm (rows).
    "t2": Grid(260, 320, (1.2692, 1.1875), 6.0, 7.0, psf_mm=0.6),
    "dwi": Grid(120, 152, (2.5, 2.5), 5.0, 5.0, psf_mm=1.5, supersample=2),
    "t1": Grid(192, 256, (1.5625, 1.5625), 5.0, 5.0, psf_mm=0.7),
}


def _t2(number: int, description: str, headers: dict) -> SeriesSpec:
    return SeriesSpec("mr_t2fs", number, description, ("t2fs",), "t2", T2_NOISE, 0, gain=T2_GAIN,
                      noise_corr_px=T2_NOISE_CORR_PX, headers=headers)


def _dwi(number: int, description: str, acq_s: int, headers: dict) -> SeriesSpec:
    return SeriesSpec("mr_dwi", number, description, ("dwi_b0", "dwi_b800"), "dwi", DWI_NOISE, acq_s,
                      gain=DWI_GAIN, b_values=(0, 800), noise_corr_px=DWI_NOISE_CORR_PX, headers=headers)


def _adc(number: int, description: str, acq_s: int, headers: dict) -> SeriesSpec:
    return SeriesSpec("mr_adc", number, description, ("adc",), "dwi", 0.0, acq_s, headers=headers,
                      derived_from="mr_dwi")


def _t1(role: str, number: int, description: str, acq_s: int, headers: dict) -> SeriesSpec:
    key = {"mr_t1_pre": "t1_pre", "mr_t1_arterial": "t1_art", "mr_t1_portal": "t1_pv"}[role]
    return SeriesSpec(role, number, description, (key,), "t1", T1_NOISE, acq_s, gain=T1_GAIN,
                      noise_corr_px=T1_NOISE_CORR_PX, post_contrast=role != "mr_t1_pre", headers=headers)


def mr_siemens(date, time, offset, liver_shift_mm=(0.0, 0.0, 0.0)) -> ExamSpec:
    common = {"ImageType": ["ORIGINAL", "PRIMARY", "M", "ND", "NORM"]}
    vibe = {"ScanningSequence": "GR", "SequenceVariant": ["SP", "SK"], "ScanOptions": "FS",
            "MRAcquisitionType": "3D", "SequenceName": "*fl3d1", "EchoTime": 2.39,
            "RepetitionTime": 5.1, "FlipAngle": 10, "EchoTrainLength": 1, **common}
    epi = {"ScanningSequence": "EP", "SequenceVariant": ["SK", "SP"], "ScanOptions": ["FS", "PFP"],
           "MRAcquisitionType": "2D", "EchoTime": 59.0, "RepetitionTime": 6100.0, "FlipAngle": 90,
           "EchoTrainLength": 76}
    return ExamSpec(
        "mr", date, time, "SIEMENS", "MAGNETOM Aera", "AWP45123", "IRM FOIE", "HFS", offset,
        _MR_GRIDS,
        (
            _t2(5, "t2_tse_fs_tra", {
                "ScanningSequence": "SE", "SequenceVariant": ["SK", "SP", "OSP"],
                "ScanOptions": ["FS", "PFP"], "MRAcquisitionType": "2D", "SequenceName": "*tse2d1_17",
                "EchoTime": 84.0, "RepetitionTime": 4200.0, "FlipAngle": 150, "EchoTrainLength": 17,
                **common}),
            _dwi(7, "ep2d_diff_b0_800_tra", 240, epi),
            _adc(8, "ep2d_diff_b0_800_tra_ADC", 240, {
                **epi, "ImageType": ["DERIVED", "PRIMARY", "DIFFUSION", "ADC", "ND", "NORM"],
                "SequenceName": "*ep_b0_800"}),
            _t1("mr_t1_pre", 10, "t1_vibe_fs_tra_pre", 600, vibe),
            _t1("mr_t1_arterial", 11, "t1_vibe_fs_tra_art", 685, vibe),
            _t1("mr_t1_portal", 12, "t1_vibe_fs_tra_pv", 730, vibe),
        ),
        "DOTAREM", field_strength_t=1.5, vendor="SIEMENS", liver_shift_mm=liver_shift_mm,
    )


def mr_ge(date, time, offset, liver_shift_mm=(0.0, 0.0, 0.0)) -> ExamSpec:
    common = {"ImageType": ["ORIGINAL", "PRIMARY", "OTHER"]}
    lava = {"ScanningSequence": "GR", "SequenceVariant": ["SK", "MP", "SS"],
            "ScanOptions": ["FAST_GEMS", "FS"], "MRAcquisitionType": "3D", "SequenceName": "efgre3d",
            "EchoTime": 1.7, "RepetitionTime": 3.9, "FlipAngle": 12, "EchoTrainLength": 1, **common}
    epi = {"ScanningSequence": ["EP", "SE"], "SequenceVariant": ["SK", "SS"],
           "ScanOptions": ["EPI_GEMS", "FS"], "MRAcquisitionType": "2D", "SequenceName": "epi2",
           "EchoTime": 68.0, "RepetitionTime": 5000.0, "FlipAngle": 90, "EchoTrainLength": 1}
    return ExamSpec(
        "mr", date, time, "GE MEDICAL SYSTEMS", "SIGNA Explorer", "GEMR1", "IRM HEPATIQUE", "HFS",
        offset, _MR_GRIDS,
        (
            _t2(3, "Ax T2 FS", {
                "ScanningSequence": "SE", "SequenceVariant": ["SK", "OSP"],
                "ScanOptions": ["FC", "FAST_GEMS", "FS"], "MRAcquisitionType": "2D",
                "SequenceName": "fse-xl", "EchoTime": 90.0, "RepetitionTime": 6000.0,
                "FlipAngle": 111, "EchoTrainLength": 20, **common}),
            _dwi(5, "Ax DWI b800", 300, {**epi, **common}),
            _adc(500, "ADC (10^-6 mm2/s):Ax DWI b800", 300, {**epi, "ImageType": ["DERIVED", "PRIMARY", "ADC"]}),
            _t1("mr_t1_pre", 7, "Ax LAVA pre", 660, lava),
            _t1("mr_t1_arterial", 8, "Ax LAVA art", 747, lava),
            _t1("mr_t1_portal", 9, "Ax LAVA portal", 792, lava),
        ),
        "DOTAREM", field_strength_t=1.5, vendor="GE", liver_shift_mm=liver_shift_mm,
    )
