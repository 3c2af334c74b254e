"""Session 47's review of the day's workstation changes: the treatment check named a line by its store id while the
panel numbers lines by start date; one treatment answer confirmed every "no" carried from an old store; N was taken
back after a refused first line although the current lesion was not the one N had just made."""

from __future__ import annotations

from types import SimpleNamespace

from annotation.checks import CheckCode, check_patient
from annotation.clinical import ClinicalRecord
from annotation.followup import FollowupEditor, line_order
from annotation.gestures import LineGesture
from annotation.store import open_reading
from annotation.vocab import Treatment as T


def test_the_treatment_check_names_a_line_as_the_panel_numbers_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    st, r = open_reading(tmp_path / "s.lesionlab", "R1")
    try:
        r.add_patient("P1")
        r.edit_patient("P1", treatments_no={"targeted_therapy"})
        ed = FollowupEditor(r)
        ed.add_treatment_line("P1", "everolimus", "2022-01-01")  # id 1
        ed.add_treatment_line("P1", "177Lu-DOTATATE (PRRT)", "2020-01-01")  # id 2, the panel's line 1
        assert line_order(r.project, "P1", 1) == 2
        msg = [w.message for w in check_patient(r.project, "P1") if w.code is CheckCode.TREATMENT_SAYS_NO]
        assert len(msg) == 1 and msg[0].startswith("treatment line 2 ('everolimus')"), msg  # before: "line 1"
    finally:
        st.close()


def test_one_treatment_answer_leaves_the_other_carried_nos_unconfirmed() -> None:
    rec = ClinicalRecord(treatments={"chemotherapy"}, treatments_no=set(T) - {T.CHEMOTHERAPY},
                         treatments_unconfirmed=True)
    after = rec.with_treatment(T.TRANSPLANT, None)
    assert after.treatments_unconfirmed is True and len(after.treatments_no) == len(T) - 2


def test_n_is_taken_back_only_for_the_lesion_it_made(tmp_path) -> None:  # type: ignore[no-untyped-def]
    st, r = open_reading(tmp_path / "s.lesionlab", "R1")
    try:
        r.add_patient("P1")
        r.add_exam_pair("P1", "E1")
        pair = ("P1", "E1")
        for lid in ("L1", "L2"):  # N twice (app/reading_commands.new_lesion names its step by the lesion)
            with r.batch(f"add lesion {lid}"):
                r.add_lesion(pair, "right", lesion_id=lid)

        def take_back(current: str) -> str:
            g = SimpleNamespace(selection=SimpleNamespace(pair=pair, lesion_id=current), reading=r)
            g._lesion = lambda lid: LineGesture._lesion(g, lid)  # type: ignore[attr-defined]
            return LineGesture._take_back_unstarted(g)  # type: ignore[arg-type]

        # the reader picked the empty L1 and drew on a coronal series: L2's making is the last step, not L1's
        assert take_back("L1") == "" and sorted(k[3] for k in r.project.lesions) == ["L1", "L2"]
        assert "L2 taken back" in take_back("L2") and sorted(k[3] for k in r.project.lesions) == ["L1"]
    finally:
        st.close()
