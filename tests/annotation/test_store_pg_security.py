"""Reader roles (annotation/store_pg_security.py): one role per reader, never handed to another.

The audit's case: "Dr Müller" got role ``dr_m_ller``; adding "Dr Möller" printed "updated database
role dr_m_ller for reader 'Dr Möller'", rebound that role to Dr Möller in ``store_roles`` and reset
its password, so Dr Müller lost his read. Role names now carry a digest of the exact name whenever
making a role name altered it, and a role is updated only for the reader it is bound to. The
database tests run on the throwaway cluster of tests/annotation/pg.py; roles are cluster-wide, so
each test uses reader names of its own.
"""

from __future__ import annotations

import io
import sys

import pytest

from annotation.store_pg_security import role_name_for
from viewer.errors import ValidationError

MUELLER, MOELLER = "Dr Müller", "Dr Möller"


class TestRoleNameFor:
    def test_a_plain_lower_case_name_is_its_own_role(self) -> None:
        assert role_name_for("alice") == "alice" and role_name_for(" r1 ") == "r1"

    def test_names_that_sanitise_alike_get_different_stable_roles(self) -> None:
        mueller, moeller = role_name_for(MUELLER), role_name_for(MOELLER)
        assert mueller != moeller
        assert mueller.startswith("dr_m_ller_") and moeller.startswith("dr_m_ller_")
        assert role_name_for(MUELLER) == mueller  # stable: the same reader finds the same role again

    @pytest.mark.parametrize("a,b", [("R1", "r1"), ("dr m", "dr_m"), ("Anna-Lena", "anna_lena"), ("1st", "r_1st")])
    def test_an_altered_name_never_meets_the_name_it_was_altered_to(self, a: str, b: str) -> None:
        assert role_name_for(a) != role_name_for(b)

    def test_a_role_name_is_a_plain_identifier_within_63_bytes(self) -> None:
        for name in ("李明", "Dr " + "Ø" * 80, "x" * 70, "1st reader", "Ada_Lovelace"):
            role = role_name_for(name)
            assert len(role.encode()) <= 63 and role[0].isalpha() and role.replace("_", "").isalnum() \
                and role.isascii() and role == role.lower(), role
        assert role_name_for("x" * 70) != role_name_for("x" * 71)

    def test_a_name_needs_a_character(self) -> None:
        from annotation.store_pg_security import add_reader

        with pytest.raises(ValidationError, match="needs a name"):
            add_reader(object(), "  ")  # type: ignore[arg-type]


# ------------------------------------------------------------------ on a real server
psycopg = pytest.importorskip("psycopg")

from annotation.store import ReadingStore, open_reading  # noqa: E402
from annotation.store_location import parse_location  # noqa: E402
from annotation.store_pg_security import add_reader  # noqa: E402
from app.cli import main as cli  # noqa: E402
from tests.annotation.pg import pg_cluster, pg_url  # noqa: E402,F401
from viewer.errors import StoreError  # noqa: E402

P1 = ("P1", "E1")


def reads_by(url: str, readers: tuple[str, ...]) -> None:
    """Patient P1 with one lesion in each reader's read (written by the owner)."""
    for i, reader in enumerate(readers):
        st, r = open_reading(url, reader)
        with r.batch(f"{reader} reads"):
            if i == 0:
                r.add_patient("P1", "NAME^P1")
                r.add_exam_pair("P1", "E1")
            r.add_lesion(P1, "right", comment=f"by {reader}")
        st.close()


def role_map(url: str) -> dict[str, str]:
    with psycopg.connect(url) as con:
        return {r[0]: r[1] for r in con.execute("SELECT db_role, reader FROM store_roles")}


def lesion_readers(url: str) -> set[str]:
    """The readers whose lesions this connection sees, by raw SQL (no lesionlab in between)."""
    with psycopg.connect(url) as con:
        return {r[0] for r in con.execute("SELECT reader FROM lesions")}


def add(url: str, name: str, password: str, *extra: str) -> int:
    """``lesionlab store add-reader`` with a password on stdin; its exit status."""
    old = sys.stdin
    sys.stdin = io.StringIO(password + "\n")
    try:
        return cli(["store", "add-reader", url, name, "--password-stdin", *extra])
    finally:
        sys.stdin = old


def test_readers_whose_names_sanitise_alike_each_keep_their_own_role(pg_cluster, pg_url, capsys):
    reads_by(pg_url, (MUELLER, MOELLER))
    dbname = parse_location(pg_url).database_name()
    roles = {}
    for reader, password in ((MUELLER, "pw mueller"), (MOELLER, "pw moeller")):
        assert add(pg_url, reader, password) == 0
        said = capsys.readouterr().out
        assert said.startswith("created database role ") and f"for reader {reader!r}" in said, said
        roles[reader] = said.split()[3]
    assert roles[MUELLER] != roles[MOELLER] and role_map(pg_url) == {roles[MUELLER]: MUELLER, roles[MOELLER]: MOELLER}

    # a password reset for Dr Müller updates his role, and no other
    assert add(pg_url, MUELLER, "pw mueller 2") == 0
    assert capsys.readouterr().out.startswith(f"updated database role {roles[MUELLER]} for reader {MUELLER!r}")
    assert role_map(pg_url) == {roles[MUELLER]: MUELLER, roles[MOELLER]: MOELLER}

    # Dr Möller asking for Dr Müller's role by name is refused, and nothing changes
    assert add(pg_url, MOELLER, "taken", "--db-role", roles[MUELLER]) == 1
    refused = capsys.readouterr()
    assert f"belongs to reader {MUELLER!r}" in refused.err and not refused.out
    assert role_map(pg_url) == {roles[MUELLER]: MUELLER, roles[MOELLER]: MOELLER}

    # both log in with their own passwords (TCP: scram) and see only their own rows
    for reader, password in ((MUELLER, "pw mueller 2"), (MOELLER, "pw moeller")):
        url = pg_cluster.url(dbname, roles[reader], tcp=True, password=password.replace(" ", "%20"))
        assert lesion_readers(url) == {reader}
        with ReadingStore.open(url) as st:
            assert st.role_reader == reader
            assert {les.comment for les in st.load().lesions.values()} == {f"by {reader}"}
    with pytest.raises(psycopg.OperationalError):  # Dr Möller's refused attempt set no password on it
        psycopg.connect(pg_cluster.url(dbname, roles[MUELLER], tcp=True, password="taken")).close()


def test_a_store_made_before_keeps_its_roles_and_no_role_is_taken_over(pg_cluster, pg_url):
    """A store whose Dr Müller has the role of the old naming (``dr_m_ller``): adding Dr Möller gives
    him a new role; Dr Müller's update keeps his. Roles outside the store are not taken unasked."""
    müller, möller = "Dr Müller-Alt", "Dr Möller-Alt"
    reads_by(pg_url, (müller, möller))
    with ReadingStore.open(pg_url) as owner:
        db = owner.backend_db
        old = add_reader(db, müller, db_role="dr_m_ller_alt")  # what the old default made of the name
        new = add_reader(db, möller)
        assert old.created and new.created and new.db_role not in ("dr_m_ller_alt", role_name_for(müller))
        again = add_reader(db, müller, kind="adjudicator")  # his role in this store, found by his name
        assert (again.db_role, again.created, again.adopted, again.kind.value) == ("dr_m_ller_alt", False, False,
                                                                                 "adjudicator")
        with pytest.raises(StoreError, match="belongs to reader 'Dr Müller-Alt'"):
            add_reader(db, möller, db_role="dr_m_ller_alt")
        # the superuser (here also the store's owner) bypasses row-level security: never a reader's role
        for name, role in (("postgres", None), ("Someone", "postgres")):
            with pytest.raises(StoreError, match="bypasses row-level security"):
                add_reader(db, name, db_role=role)
        # a role of another store on the server: bound only when named on purpose
        with psycopg.connect(pg_cluster.url()) as admin:
            admin.execute("DROP ROLE IF EXISTS elsewhere_reader")
            admin.execute("CREATE ROLE elsewhere_reader LOGIN")
            admin.commit()
        with pytest.raises(StoreError, match="exists already but is no reader's"):
            add_reader(db, "elsewhere_reader")
        adopted = add_reader(db, "elsewhere_reader", db_role="elsewhere_reader")
        assert adopted.adopted and not adopted.created
    assert role_map(pg_url) == {"dr_m_ller_alt": müller, new.db_role: möller, "elsewhere_reader": "elsewhere_reader"}
    dbname = parse_location(pg_url).database_name()
    assert lesion_readers(pg_cluster.url(dbname, new.db_role)) == {möller}
    assert lesion_readers(pg_cluster.url(dbname, "dr_m_ller_alt")) == {müller, möller}  # adjudicator now
