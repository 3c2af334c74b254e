"""viewer.dicomio.attrs: text values in every Specific Character Set read as pydicom reads them.

The fast header walk decodes text itself; the Specific Character Set's defined terms (PS3.3
C.12.1.1.2, e.g. ``ISO 2022 IR 87``) are DICOM names, not Python codecs: pydicom converts them.
Each case writes a small series with pydicom's own encoder, indexes it and expects the name
back exactly, by the fast walk and by pydicom's reader alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import ImplicitVRLittleEndian

from tests.dicomgen import write_series
from viewer.dicomio import read_headers
from viewer.dicomio.attrs import decode_text, python_encodings
from viewer.dicomio.headers import _read_with_pydicom
from viewer.index import index_path
from viewer.records import FileRef

#: (Specific Character Set, patient name, institution name): PS3.5 Annex H-K examples and Europe.
CASES = {
    "latin1": ("ISO_IR 100", "Müller^Jürgen", "Hôpital Saint-Éloi"),
    "utf8": ("ISO_IR 192", "Ødegård^Zoë=王^小明", "Klinikum Süd – 東京病院"),
    "latin2": ("ISO_IR 101", "Dvořák^Łucja", "Nemocnice Na Homolce"),
    "cyrillic": ("ISO_IR 144", "Иванов^Иван", "Городская больница"),
    "greek": ("ISO_IR 126", "Παπαδόπουλος^Νίκος", "Νοσοκομείο Ευαγγελισμός"),
    "gb18030": ("GB18030", "Wang^XiaoDong=王^小东", "北京医院"),
    "jis_x0201": ("ISO_IR 13", "ﾔﾏﾀﾞ^ﾀﾛｳ", "ﾄｳｷｮｳﾋﾞｮｳｲﾝ"),
    "jis_x0208": (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう", "東京病院"),
    "jis_x0201_x0208": (["ISO 2022 IR 13", "ISO 2022 IR 87"], "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", "東京病院"),
    "korean": (["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동", "서울대학교병원"),
}


def _write(folder: Path, key: str, *, implicit: bool = False) -> list[Path]:
    charset, name, institution = CASES[key]
    return write_series(folder, np.zeros((2, 6, 5), np.int16), patient_id=f"CS-{key}", patient_name=name,
                        study_description=institution, seed=key,
                        transfer_syntax=ImplicitVRLittleEndian if implicit else pydicom.uid.ExplicitVRLittleEndian,
                        extra={"SpecificCharacterSet": charset, "InstitutionName": institution})


class TestPythonEncodings:
    def test_defined_terms_become_codecs(self) -> None:
        assert python_encodings(("", "ISO 2022 IR 87")) == ("iso8859", "iso2022_jp")
        assert python_encodings(("ISO_IR 13",)) == ("shift_jis",)
        assert python_encodings(("", "ISO 2022 IR 149")) == ("iso8859", "euc_kr")

    def test_an_unknown_term_falls_back_without_a_warning(self, recwarn: pytest.WarningsRecorder) -> None:
        assert python_encodings(("NOT A CHARSET",)) == ("iso8859",)
        assert decode_text(b"Smith^John", python_encodings(("NOT A CHARSET",))) == "Smith^John"
        assert not recwarn.list

    def test_undecodable_bytes_are_replaced_not_raised(self) -> None:
        assert decode_text(b"\xff\xfeA", ("utf-8",)) == "\ufffd\ufffdA"


class TestNamesRoundTrip:
    @pytest.mark.parametrize("key", sorted(CASES))
    def test_index_reads_the_name_written(self, tmp_path: Path, key: str) -> None:
        charset, name, institution = CASES[key]
        _write(tmp_path, key)
        r = index_path(tmp_path, workers=1)
        assert r.skipped == () and len(r.stacks) == 1, r.skipped
        stack = r.stacks[0]
        assert stack.patient_name == name
        assert stack.study_description == institution

    @pytest.mark.parametrize("key", sorted(CASES))
    @pytest.mark.parametrize("implicit", [False, True], ids=["explicit", "implicit"])
    def test_fast_walk_and_pydicom_agree(self, tmp_path: Path, key: str, implicit: bool) -> None:
        path = _write(tmp_path, key, implicit=implicit)[0]
        fast = read_headers(FileRef(str(path)))
        slow = _read_with_pydicom(FileRef(str(path)), path.stat().st_size, force=False)
        assert isinstance(fast, list) and fast == slow
        assert fast[0].patient_name == str(pydicom.dcmread(path).PatientName) == CASES[key][1]
