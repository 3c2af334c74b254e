"""DICOM I/O: the only package that imports pydicom (and SimpleITK).

Everything it hands out is a plain record from :mod:`viewer.records`.
"""

from viewer.dicomio.dicomdir import dicomdir_files, is_dicomdir
from viewer.dicomio.headers import HeaderResult, read_headers
from viewer.dicomio.sources import ZipRefused, is_zip, zip_members

__all__ = ["HeaderResult", "ZipRefused", "read_headers", "dicomdir_files", "is_dicomdir", "is_zip", "zip_members"]
