"""Indexing rate: `index_path` against a plain `pydicom.dcmread(stop_before_pixels=True)` loop.

Same files, same process: 300 single-frame 512x512 CT files with a realistic header, written
to a temporary folder. Each figure is the median of several runs after one warm-up (so both
sides read from the page cache). Target (issue 2): index_path at least 2x the plain loop.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from viewer.index import index_path

N_FILES = 300
REPEATS = 5


def write_ct(folder: Path, n: int = N_FILES, size: int = 512) -> list[Path]:
    """``n`` CT slices of ``size`` x ``size`` int16 with a scanner-like header (about 60 attributes)."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    pixels = np.zeros((size, size), np.int16).tobytes()
    paths = []
    for k in range(n):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = "20240101"
        ds.StudyTime, ds.SeriesTime = "101500", "101700"
        ds.AcquisitionTime = ds.ContentTime = f"1017{k // 60:02d}.{k % 60:02d}"
        ds.Modality, ds.Manufacturer, ds.ManufacturerModelName = "CT", "SIEMENS", "SOMATOM Definition AS+"
        ds.InstitutionName, ds.StationName = "HOSPITAL", "CT01"
        ds.StudyDescription, ds.SeriesDescription = "TDM TAP", "Portale 1.0 B30f"
        ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "BENCH^CT", "BENCH01", "19600101", "F"
        ds.BodyPartExamined, ds.ProtocolName = "ABDOMEN", "TAP_LIVER"
        ds.SliceThickness, ds.KVP, ds.DataCollectionDiameter = 1.0, 120, 500
        ds.ReconstructionDiameter, ds.GantryDetectorTilt, ds.TableHeight = 380, 0, 150
        ds.RotationDirection, ds.ExposureTime, ds.XRayTubeCurrent, ds.Exposure = "CW", 500, 250, 120
        ds.FilterType, ds.GeneratorPower, ds.FocalSpots, ds.ConvolutionKernel = "FLAT", 30, 1.2, "B30f"
        ds.PatientPosition, ds.ContrastBolusAgent = "FFS", "OMNIPAQUE 350"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.StudyID, ds.SeriesNumber, ds.AcquisitionNumber, ds.InstanceNumber = "1", 4, 2, k + 1
        ds.ImagePositionPatient = [-190.0, -190.0, -k * 1.0]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceLocation = -k * 1.0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows = ds.Columns = size
        ds.PixelSpacing = [0.742, 0.742]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 1
        ds.WindowCenter, ds.WindowWidth = [40, 60], [400, 350]
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.PixelData = pixels
        path = folder / f"CT{k:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def _median_seconds(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up: page cache, imports, pool start method
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run() -> dict:
    """Measure and print files/s of the plain loop and of index_path (default, 1 and 2 processes)."""
    with tempfile.TemporaryDirectory(prefix="lesionlab-bench-index-") as tmp:
        paths = write_ct(Path(tmp))
        names = [str(p) for p in paths]

        def plain() -> None:
            for f in names:
                pydicom.dcmread(f, stop_before_pixels=True)

        def indexed(workers: int | None = None) -> None:
            result = index_path(tmp, workers=workers)
            assert len(result.stacks) == 1 and result.stacks[0].n_slices == len(paths)

        n = len(paths)
        plain_rate = n / _median_seconds(plain)
        index_rate = n / _median_seconds(indexed)
        serial_rate = n / _median_seconds(lambda: indexed(1))
        pool_rate = n / _median_seconds(lambda: indexed(2))
        load = os.getloadavg()[0]
    figures = {
        "files": n,
        "plain_dcmread_files_per_s": round(plain_rate, 1),
        "index_path_files_per_s": round(index_rate, 1),
        "index_path_one_process_files_per_s": round(serial_rate, 1),
        "index_path_two_processes_files_per_s": round(pool_rate, 1),
        "index_vs_plain_ratio": round(index_rate / plain_rate, 2),
        "target_ratio": 2.0,
        "load_average_1min": round(load, 2),
    }
    print(f"{n} CT files 512x512, median of {REPEATS} runs (1-min load average {load:.1f})")
    print(f"  plain dcmread(stop_before_pixels) loop: {plain_rate:8.0f} files/s")
    print(f"  lesionlab index_path (default):         {index_rate:8.0f} files/s")
    print(f"  lesionlab index_path, one process:      {serial_rate:8.0f} files/s")
    print(f"  lesionlab index_path, two processes:    {pool_rate:8.0f} files/s")
    print(f"  ratio index_path / plain loop: {figures['index_vs_plain_ratio']:.2f}x (target >= 2x)")
    return figures


if __name__ == "__main__":
    run()
