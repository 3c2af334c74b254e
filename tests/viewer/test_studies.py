"""viewer.studies: patients, studies and exam pairs (CT + MRI < 90 days apart)."""

from __future__ import annotations

import datetime as dt

from viewer.testing import make_stack
from viewer.records import Role
from viewer.studies import PAIR_LIMIT_DAYS, all_pairs, group_studies, parse_date, propose_pairs


def _study(pid: str, uid: str, date: str, modality: str) -> list:
    role = Role.CT_PORTAL if modality == "CT" else Role.MR_T2FS
    return [make_stack(f"{uid}.{i}", role, modality=modality, patient_id=pid, study_uid=uid, study_date=date)
            for i in range(2)]


def cohort() -> list:
    return (_study("P2", "p2.ct1", "20230105", "CT") + _study("P2", "p2.mr1", "20230201", "MR")
            + _study("P2", "p2.ct2", "20231010", "CT") + _study("P2", "p2.mr2", "20231015", "MR")
            + _study("P2", "p2.mr3", "20240601", "MR")
            + _study("P1", "p1.mr", "20220411", "MR") + _study("P1", "p1.ct", "20220101", "CT"))


class TestGroupStudies:
    def test_patients_sorted_studies_by_date(self) -> None:
        patients = group_studies(cohort())
        assert [p.patient_id for p in patients] == ["P1", "P2"]
        p1 = patients[0]
        assert [s.study_instance_uid for s in p1.studies] == ["p1.ct", "p1.mr"]
        assert p1.studies[0].is_ct and p1.studies[1].is_mr and len(p1.studies[0].stacks) == 2
        assert p1.studies[0].study_date == dt.date(2022, 1, 1)

    def test_bad_dates_are_none(self) -> None:
        assert parse_date("") is None and parse_date("2023-01-01") is None and parse_date("20230230") is None


class TestPairs:
    def test_proposed_pairs_are_the_close_ones_each_study_once(self) -> None:
        p2 = group_studies(cohort())[1]
        pairs = propose_pairs(p2)
        assert [(p.ct.study_instance_uid, p.mr.study_instance_uid, p.interval_days) for p in pairs] == [
            ("p2.ct1", "p2.mr1", 27), ("p2.ct2", "p2.mr2", 5)]
        assert all(p.within_limit and p.warning is None for p in pairs)
        assert len(pairs[0].stacks) == 4

    def test_too_far_apart_is_not_proposed_but_choosable_with_a_warning(self) -> None:
        p1 = group_studies(cohort())[0]
        assert propose_pairs(p1) == []
        [pair] = all_pairs(p1)
        assert pair.interval_days == 100 and not pair.within_limit
        assert "100 days apart" in pair.warning

    def test_limit_is_exclusive(self) -> None:
        end = (dt.date(2024, 1, 1) + dt.timedelta(days=PAIR_LIMIT_DAYS)).strftime("%Y%m%d")
        p = group_studies(_study("P4", "c", "20240101", "CT") + _study("P4", "m", end, "MR"))[0]
        assert propose_pairs(p) == [] and all_pairs(p)[0].interval_days == PAIR_LIMIT_DAYS

    def test_all_pairs_warn_beyond_the_limit(self) -> None:
        p2 = group_studies(cohort())[1]
        pairs = all_pairs(p2)
        assert len(pairs) == 6
        far = [p for p in pairs if not p.within_limit]
        assert far and all("days apart" in p.warning for p in far)
        assert pairs[0].interval_days == 5

    def test_missing_date_warns(self) -> None:
        p = group_studies(_study("P3", "a", "", "CT") + _study("P3", "b", "20240101", "MR"))[0]
        [pair] = all_pairs(p)
        assert pair.interval_days is None and not pair.within_limit and "unknown" in pair.warning
        assert propose_pairs(p) == []
