"""viewer.dicomtime: DICOM DA / TM / DT text, malformed values included (PS3.5 6.2)."""

from __future__ import annotations

import datetime as dt

import pytest

from viewer.dicomtime import dt_time, parse_da, tm_seconds


class TestParseDa:
    def test_date(self) -> None:
        assert parse_da("20240229") == dt.date(2024, 2, 29) and parse_da(" 20240110 ") == dt.date(2024, 1, 10)

    @pytest.mark.parametrize("text", ["", None, "2024-01-10", "2024.01.10", "2024011", "20230230", "202401101"])
    def test_malformed_is_none(self, text: str | None) -> None:
        assert parse_da(text) is None


class TestTmSeconds:
    @pytest.mark.parametrize("text, seconds", [("1230", 45000.0), ("123015.5", 45015.5), ("12:30:15", 45015.0),
                                               ("000000", 0.0)])
    def test_clock(self, text: str, seconds: float) -> None:
        assert tm_seconds(text) == pytest.approx(seconds)

    @pytest.mark.parametrize("text", ["", None, "12", "ab30", "1230x"])
    def test_malformed_is_none(self, text: str | None) -> None:
        assert tm_seconds(text) is None


def test_dt_time() -> None:
    assert dt_time("20240110123015.25") == "123015.25" and dt_time("20240110") == "" and dt_time(None) == ""
