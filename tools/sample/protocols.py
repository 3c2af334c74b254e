"""The synthetic patients, their exams and series: geometry, contrast and vendor headers.

Everything that makes a series look like a given vendor's lives here as data; the renderer
(render.py) and the writer (dicomwrite.py) only follow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .anatomy import Tissue as T
from .lesions import LesionPlan

# Mean tissue value per intensity key: CT in HU, MR in arbitrary units (ADC in 1e-6 mm2/s).
_COLUMNS = ("ct_art", "ct_pv", "t2fs", "dwi_b0", "dwi_b800", "adc", "t1_pre", "t1_art", "t1_pv")
_ROWS = {
    T.AIR: (-1040, -1040, 0, 0, 0, 0, 0, 0, 0),
    T.FAT: (-105, -100, 120, 60, 15, 200, 110, 120, 130),
    T.MUSCLE: (50, 60, 330, 250, 90, 1400, 380, 450, 550),
    T.BONE: (700, 700, 60, 20, 10, 300, 80, 80, 90),
    T.MARROW: (220, 230, 200, 100, 40, 500, 220, 300, 330),
    T.AORTA: (320, 170, 60, 20, 5, 2800, 150, 1900, 1100),
    T.IVC: (90, 160, 80, 40, 8, 2800, 160, 500, 1100),
    T.PORTAL: (150, 190, 90, 40, 8, 2600, 180, 900, 1350),
    T.HEPVEIN: (70, 170, 90, 40, 8, 2600, 180, 550, 1200),
    T.LIVER: (72, 110, 430, 600, 210, 1300, 520, 680, 900),
    T.FISSURE: (-95, -95, 120, 60, 15, 200, 110, 120, 130),
    T.KIDNEY: (200, 180, 900, 1300, 260, 2000, 420, 1500, 1200),
    T.SPLEEN: (120, 125, 850, 950, 380, 950, 420, 1000, 950),
    T.FLUID: (8, 10, 2200, 1500, 120, 3000, 100, 105, 110),
    T.LUNG: (-850, -850, 20, 10, 3, 0, 15, 15, 15),
    T.BOWEL: (35, 90, 600, 500, 150, 1500, 350, 600, 800),
    T.HEART: (150, 160, 80, 30, 5, 2800, 150, 1500, 1100),
}
TISSUE_VALUES: dict[str, list[float]] = {
    key: [float(_ROWS[T(t)][j]) for t in range(len(T))] for j, key in enumerate(_COLUMNS)
}


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
    noise_corr_px: float = 1.2
    gain: float = 1.0  # MR receiver scaling of the table values (CT and ADC keep 1.0)
    post_contrast: bool = False
    headers: dict = field(default_factory=dict)  # extra vendor attributes (keyword -> value)


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


@dataclass(frozen=True)
class PatientSpec:
    patient_id: str
    name: str
    sex: str
    birth_date: str
    summary: str
    scale: float
    fat_mm: float
    lesions: tuple[LesionPlan, ...]
    exams: tuple[ExamSpec, ...]


CT_GRID = Grid(512, 512, (0.742, 0.742), 5.0, 5.0, psf_mm=0.45, supersample=1)


def _ct(vendor: str, date: str, time: str, offset, agent: str, art: str, pv: str) -> ExamSpec:
    if vendor == "SIEMENS":
        man, model, kernel = "SIEMENS", "SOMATOM Definition AS+", "B30f"
        extra = {"ConvolutionKernel": kernel}
    else:
        man, model = "GE MEDICAL SYSTEMS", "Revolution CT"
        extra = {"ConvolutionKernel": "STANDARD", "SpacingBetweenSlices": 5.0}
    return ExamSpec(
        "ct", date, time, man, model, "CTSYN01", "TDM THORAX ABDOMEN PELVIS", "FFS", offset,
        {"ct": CT_GRID},
        (
            SeriesSpec("ct_arterial", 3, art, ("ct_art",), "ct", 7.0, 30, post_contrast=True, noise_corr_px=2.2,
                       headers=extra),
            SeriesSpec("ct_portal", 4, pv, ("ct_pv",), "ct", 7.0, 80, post_contrast=True, noise_corr_px=2.2,
                       headers=extra),
        ),
        agent, vendor=vendor,
    )


_MR_GRIDS = {
    # Rectangular FOV, non-square pixels: 380 mm (columns) x 330 mm (rows).
    "t2": Grid(260, 320, (1.2692, 1.1875), 6.0, 7.0, psf_mm=0.6),
    "dwi": Grid(120, 152, (2.5, 2.5), 5.0, 5.0, psf_mm=1.5, supersample=2),
    "t1": Grid(192, 256, (1.5625, 1.5625), 5.0, 5.0, psf_mm=0.7),
}


def _mr_siemens(date, time, offset) -> ExamSpec:
    common = {"ImageType": ["ORIGINAL", "PRIMARY", "M", "ND", "NORM"]}
    vibe = {"ScanningSequence": "GR", "SequenceVariant": ["SP", "SK"], "ScanOptions": "FS",
            "MRAcquisitionType": "3D", "SequenceName": "*fl3d1", "EchoTime": 2.39,
            "RepetitionTime": 5.1, "FlipAngle": 10, "EchoTrainLength": 1, **common}
    return ExamSpec(
        "mr", date, time, "SIEMENS", "MAGNETOM Aera", "AWP45123", "IRM FOIE", "HFS", offset,
        _MR_GRIDS,
        (
            SeriesSpec("mr_t2fs", 5, "t2_tse_fs_tra", ("t2fs",), "t2", 6.0, 0, gain=0.45, noise_corr_px=1.5, headers={
                "ScanningSequence": "SE", "SequenceVariant": ["SK", "SP", "OSP"],
                "ScanOptions": ["FS", "PFP"], "MRAcquisitionType": "2D", "SequenceName": "*tse2d1_17",
                "EchoTime": 84.0, "RepetitionTime": 4200.0, "FlipAngle": 150, "EchoTrainLength": 17,
                **common}),
            SeriesSpec("mr_dwi", 7, "ep2d_diff_b0_800_tra", ("dwi_b0", "dwi_b800"), "dwi", 10.0, 240, gain=0.6,
                       b_values=(0, 800), headers={
                "ScanningSequence": "EP", "SequenceVariant": ["SK", "SP"], "ScanOptions": ["FS", "PFP"],
                "MRAcquisitionType": "2D", "EchoTime": 59.0, "RepetitionTime": 6100.0, "FlipAngle": 90,
                "EchoTrainLength": 76}),
            SeriesSpec("mr_adc", 8, "ep2d_diff_b0_800_tra_ADC", ("adc",), "dwi", 55.0, 240, headers={
                "ImageType": ["DERIVED", "PRIMARY", "DIFFUSION", "ADC", "ND", "NORM"],
                "ScanningSequence": "EP", "SequenceVariant": ["SK", "SP"], "ScanOptions": ["FS", "PFP"],
                "MRAcquisitionType": "2D", "SequenceName": "*ep_b0_800", "EchoTime": 59.0,
                "RepetitionTime": 6100.0, "FlipAngle": 90, "EchoTrainLength": 76}),
            SeriesSpec("mr_t1_pre", 10, "t1_vibe_fs_tra_pre", ("t1_pre",), "t1", 4.0, 600, gain=0.35, noise_corr_px=1.5, headers=vibe),
            SeriesSpec("mr_t1_arterial", 11, "t1_vibe_fs_tra_art", ("t1_art",), "t1", 4.0, 685, gain=0.35, noise_corr_px=1.5,
                       post_contrast=True, headers=vibe),
            SeriesSpec("mr_t1_portal", 12, "t1_vibe_fs_tra_pv", ("t1_pv",), "t1", 4.0, 730, gain=0.35, noise_corr_px=1.5,
                       post_contrast=True, headers=vibe),
        ),
        "DOTAREM", field_strength_t=1.5, vendor="SIEMENS",
    )


def _mr_ge(date, time, offset) -> ExamSpec:
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
            SeriesSpec("mr_t2fs", 3, "Ax T2 FS", ("t2fs",), "t2", 6.0, 0, gain=0.45, noise_corr_px=1.5, headers={
                "ScanningSequence": "SE", "SequenceVariant": ["SK", "OSP"],
                "ScanOptions": ["FC", "FAST_GEMS", "FS"], "MRAcquisitionType": "2D",
                "SequenceName": "fse-xl", "EchoTime": 90.0, "RepetitionTime": 6000.0,
                "FlipAngle": 111, "EchoTrainLength": 20, **common}),
            SeriesSpec("mr_dwi", 5, "Ax DWI b800", ("dwi_b0", "dwi_b800"), "dwi", 10.0, 300, gain=0.6,
                       b_values=(0, 800), headers={**epi, **common}),
            SeriesSpec("mr_adc", 500, "ADC (10^-6 mm2/s):Ax DWI b800", ("adc",), "dwi", 55.0, 300,
                       headers={**epi, "ImageType": ["DERIVED", "PRIMARY", "ADC"]}),
            SeriesSpec("mr_t1_pre", 7, "Ax LAVA pre", ("t1_pre",), "t1", 4.0, 660, gain=0.35, noise_corr_px=1.5, headers=lava),
            SeriesSpec("mr_t1_arterial", 8, "Ax LAVA art", ("t1_art",), "t1", 4.0, 747, gain=0.35, noise_corr_px=1.5,
                       post_contrast=True, headers=lava),
            SeriesSpec("mr_t1_portal", 9, "Ax LAVA portal", ("t1_pv",), "t1", 4.0, 792, gain=0.35, noise_corr_px=1.5,
                       post_contrast=True, headers=lava),
        ),
        "DOTAREM", field_strength_t=1.5, vendor="GE",
    )


def _plans(*items) -> tuple[LesionPlan, ...]:
    return tuple(LesionPlan(d, lobe, tuple(h), tuple(s)) for d, lobe, h, s in items)


PATIENTS: tuple[PatientSpec, ...] = (
    PatientSpec(
        "LLSYN001", "SYNTHETIC^ALPHA", "F", "19580312", "few lesions; Siemens CT and MRI",
        scale=1.0, fat_mm=18.0,
        lesions=_plans(
            (34.0, "right", (), ("ct_arterial", "mr_t2fs", "mr_t1_arterial")),
            (17.0, "left", (), ("ct_arterial",)),
            (11.0, "right", ("ct_portal",), ()),
            (7.5, "left", (), ()),
        ),
        exams=(
            _ct("SIEMENS", "20230314", "091204", (-0.8, 14.0, -412.5), "OMNIPAQUE 350",
                "Arteriel  5.0  B30f", "Portale  5.0  B30f"),
            _mr_siemens("20230411", "143015", (1.9, -31.0, 42.0)),
        ),
    ),
    PatientSpec(
        "LLSYN002", "SYNTHETIC^BRAVO", "M", "19630921", "many lesions; GE CT and MRI",
        scale=1.0, fat_mm=21.0,
        lesions=_plans(
            (44.0, "right", (), ("ct_arterial", "mr_t2fs", "mr_t1_arterial")),
            (29.0, "right", (), ()), (24.0, "left", (), ()), (21.0, "right", (), ()),
            (16.0, "right", (), ()), (14.0, "left", (), ()), (12.0, "right", (), ()),
            (10.0, "left", (), ()), (9.0, "right", (), ()), (8.0, "right", (), ()),
            (6.5, "left", (), ()), (5.5, "right", (), ()), (4.5, "right", (), ()),
        ),
        exams=(
            _ct("GE", "20231102", "104530", (0.5, -22.0, -1235.0), "OMNIPAQUE 350",
                "ART 5mm", "PORTAL 5mm"),
            _mr_ge("20231120", "081245", (-3.2, 6.5, -18.0)),
        ),
    ),
    PatientSpec(
        "LLSYN003", "SYNTHETIC^CHARLIE", "M", "19710505",
        "lesions invisible on some series; Siemens CT, GE MRI",
        scale=0.97, fat_mm=14.0,
        lesions=_plans(
            (26.0, "right", ("ct_portal", "mr_t2fs"), ("ct_arterial", "mr_t1_arterial")),
            (19.0, "left", ("ct_portal",), ("ct_arterial", "mr_t2fs")),
            (15.0, "right", ("ct_arterial", "ct_portal"), ("mr_t2fs", "mr_t1_arterial")),
            (12.0, "left", ("mr_t2fs", "mr_t1_portal"), ("ct_portal",)),
            (9.0, "right", ("ct_arterial", "ct_portal", "mr_t2fs", "mr_t1_arterial",
                            "mr_t1_portal"), ()),
            (6.0, "right", (), ()),
            (38.0, "right", (), ("ct_portal", "mr_t2fs")),
        ),
        exams=(
            _ct("SIEMENS", "20240205", "160812", (1.1, 9.5, -640.0), "IOMERON 400",
                "Abdo ART 5.0 B30f", "Abdo PORTAL 5.0 B30f"),
            _mr_ge("20240325", "110530", (0.0, -12.0, 25.5)),
        ),
    ),
)
