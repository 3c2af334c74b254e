"""viewer.dicomio.digest: what an image shows, as a digest, to tell a copy from another image with its UID."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian, RLELossless

from tests.dicomgen import write_series, zip_files
from viewer.dicomio import read_headers
from viewer.dicomio.digest import decoded_digest, pixel_digest
from viewer.records import FileRef, ImageHeader


def pixels(bump: int = 0) -> np.ndarray:
    arr = np.arange(2 * 40 * 36, dtype=np.int16).reshape(2, 40, 36)
    arr[1, 5, 5] += bump
    return arr


def header(path: Path) -> ImageHeader:
    result = read_headers(FileRef(str(path)))
    assert isinstance(result, list)
    return result[0]


class TestPixelDigest:
    def test_same_pixels_same_digest_whatever_the_rest_of_the_file(self, tmp_path: Path) -> None:
        path = write_series(tmp_path / "a", pixels())[1]
        ds = pydicom.dcmread(path)
        ds.file_meta.ImplementationVersionName = "OTHER_TOOL"
        ds.InstitutionName = "Another site with a long name"
        ds.save_as(tmp_path / "copy.dcm", enforce_file_format=True)
        digest = pixel_digest(FileRef(str(path)))
        assert digest is not None and digest.startswith(f"{40 * 36 * 2} bytes ")
        assert pixel_digest(FileRef(str(tmp_path / "copy.dcm"))) == digest

    def test_one_pixel_changes_it(self, tmp_path: Path) -> None:
        a = write_series(tmp_path / "a", pixels())[1]
        b = write_series(tmp_path / "b", pixels(bump=1))[1]
        assert pixel_digest(FileRef(str(a))) != pixel_digest(FileRef(str(b)))

    @pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian,
                                        RLELossless])
    def test_every_encoding_has_a_digest(self, tmp_path: Path, syntax: str) -> None:
        path = write_series(tmp_path, pixels(), transfer_syntax=syntax)[0]
        assert pixel_digest(FileRef(str(path))) is not None

    def test_a_zip_member_digests_as_the_file(self, tmp_path: Path) -> None:
        paths = write_series(tmp_path / "s", pixels())
        z = zip_files(paths, tmp_path / "s.zip", root=tmp_path)
        member = paths[0].relative_to(tmp_path).as_posix()
        assert pixel_digest(FileRef(str(z), member)) == pixel_digest(FileRef(str(paths[0])))

    def test_not_dicom_is_none(self, tmp_path: Path) -> None:
        (tmp_path / "notes.txt").write_text("not an image")
        assert pixel_digest(FileRef(str(tmp_path / "notes.txt"))) is None
        assert pixel_digest(FileRef(str(tmp_path / "missing.dcm"))) is None


class TestDecodedDigest:
    def test_a_lossless_re_encoding_is_the_same_image(self, tmp_path: Path) -> None:
        native = header(write_series(tmp_path / "a", pixels())[1])
        rle = header(write_series(tmp_path / "b", pixels(), transfer_syntax=RLELossless)[1])
        other = header(write_series(tmp_path / "c", pixels(bump=1), transfer_syntax=RLELossless)[1])
        d = decoded_digest(native.file, native.frame, native.pixel)
        assert d is not None and d == decoded_digest(rle.file, rle.frame, rle.pixel)
        assert d != decoded_digest(other.file, other.frame, other.pixel)
        assert pixel_digest(native.file) != pixel_digest(rle.file)  # why the raw bytes are not compared across syntaxes
