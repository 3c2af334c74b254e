"""Agreement and analysis through a reader's database role on PostgreSQL (session 39).

Row-level security shows a reader's role that reader's reads only. `lesionlab agreement` through it compared the
reader with nobody: "1 reader(s) (R1)", exit 0, as if the store held no other read; the other readers' reads are
hidden, not absent. It is now refused, saying so and which roles can run it. `analyze` through it analyses the
reader's own reads and says that the others' are not visible to it (and "holds no reads" names whose).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.store import ReadingStore, open_reading
from annotation.store_location import parse_location
from annotation.store_pg_security import add_reader
from app.cli import main
from tests.annotation.pg import Cluster, pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_store import M, fill


def test_agreement_through_a_reader_role_says_the_others_reads_are_hidden(
        pg_cluster: Cluster, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    fill(pg_url)
    with ReadingStore.open(pg_url) as owner:
        for name, role, kind in (("R1", "r1", "reader"), ("R2", "r2", "reader"), ("R3", "r3", "reader"),
                                 ("boss", "co", "coordinator")):
            add_reader(owner.backend_db, name, kind=kind, db_role=role)
    db = parse_location(pg_url).database_name()
    urls = {who: pg_cluster.url(db, who) for who in ("r1", "r2", "r3", "co")}
    for reader, role in (("R1", "r1"), ("R2", "r2")):
        store, reading = open_reading(urls[role], reader)
        for patient in ("P1", "P2", "P3"):
            lid = reading.add_lesion((patient, "E1"), "right")
            for series in ("mr_t2fs", "mr_dwi"):
                reading.set_observation((patient, "E1"), lid, series, M)
        store.close()
    capsys.readouterr()

    assert main(["agreement", urls["r1"], "--out", str(tmp_path / "ag_r1")]) == 1
    captured = capsys.readouterr()
    assert "1 reader(s)" not in captured.out, captured.out
    assert ("this database role is reader R1's: it sees R1's reads only, the other readers' reads are not visible "
            "to it (hidden, not absent), so no agreement between readers can be computed through it") in captured.err
    assert "run it connected as the store's owner or a coordinator's role" in captured.err
    assert not (tmp_path / "ag_r1").exists()

    assert main(["agreement", urls["co"], "--out", str(tmp_path / "ag_co")]) == 0  # the coordinator sees both
    assert "2 reader(s) (R1, R2)" in capsys.readouterr().out

    assert main(["analyze", urls["r1"], "--out", str(tmp_path / "an_r1")]) == 0  # R1's own reads: R1's to analyse
    out = capsys.readouterr().out
    assert ("this database role is reader R1's: it sees R1's reads only, the other readers' reads are not visible to "
            "it (hidden, not absent)") in out, out
    assert "by 1 reader(s) (R1)" in (tmp_path / "an_r1" / "report.html").read_text(encoding="utf-8")
    assert main(["analyze", urls["co"], "--out", str(tmp_path / "an_co")]) == 0
    assert "not visible" not in capsys.readouterr().out

    assert main(["analyze", urls["r3"], "--out", str(tmp_path / "an_r3")]) == 1  # a reader with nothing read yet
    err = capsys.readouterr().err
    assert "holds no reads of R3, the only reads this database role sees" in err, err
