"""`lesionlab study`: a blinded, randomised reader study in a reading store.

    lesionlab study init STORE DEFINITION [--dicom PATH] [--coordinator NAME]
                                                 set the study up (definition file: TOML or JSON);
                                                 --dicom adds the cases' exam pairs from the images,
                                                 with the study, logged under the coordinator's name
    lesionlab study status STORE [--study ID]    progress per reader and session, reading time per case
    lesionlab study next STORE --reader NAME     the reader's next case (or why none opens: washout)
    lesionlab study disagreements STORE --session S --case CODE [--dicom PATH]
    lesionlab study reads STORE OUT.lesionlab [--dicom PATH]
                                                 one read per reader (sessions paired by registered
                                                 position) for `lesionlab agreement` / `analyze`,
                                                 and OUT-pairing.csv (patient level)
    lesionlab study confirm-pairings STORE --reader NAME --case CODE [--pair FIRST=SECOND]... [--proposed]
                                     [--dicom PATH]
                                                 the adjudicator's pairs of a reader's lesions across the
                                                 first two sessions (listed without --pair/--proposed)

The definition's format is in annotation/study.py and annotation/README.md ("Reader studies").
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from annotation.records import Lesion

STORE_HELP = "the study's reading store: a .lesionlab file or a postgresql:// URL"
STUDY_HELP = "which study, when the store holds several (default: its only one)"


#: what `lesionlab study --help` says of adjudication: a coordinator's audit found "adjudication" promised where only
#: the disagreements listing existed
ADJUDICATION_EPILOG = (
    "Adjudication: `disagreements` lists where the readers disagree on a case and `confirm-pairings` records which "
    "of a reader's lesions are the same across sessions. The consensus read itself (the adjudicator's own lesions, "
    "recorded as ADJUDICATOR@SESSION) has no command and no window yet: it is made through the Python API, "
    "Study.open_adjudication (annotation/README.md, \"Reader studies\", Adjudication).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ADJUDICATION_EPILOG
    sub = parser.add_subparsers(dest="study_command", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="set a study up in a store from its definition file",
                          description="write the study, its cases and every reader's seeded order into the store")
    init.add_argument("store", metavar="STORE", help=STORE_HELP)
    init.add_argument("definition", metavar="DEFINITION", help="the study definition (.toml or .json)")
    init.add_argument("--dicom", metavar="PATH",
                      help="the study's images (folder, DICOMDIR or zip): the cases' exam pairs the store lacks are "
                           "added from them with the study, in its transaction (E<n>: the patient's n-th exam pair, by "
                           "date, as the browser proposes)")
    init.add_argument("--coordinator", metavar="NAME", default=None,
                      help="who sets the study up: the edit adding the exam pairs (--dicom) is logged under this name "
                           "(default: your login name)")
    status = sub.add_parser("status", help="progress per reader and session, reading time per case")
    status.add_argument("store", metavar="STORE", help=STORE_HELP)
    status.add_argument("--study", metavar="ID", help=STUDY_HELP)
    status.add_argument("--cases", action="store_true", help="also list every case read, with its reading time")
    nxt = sub.add_parser("next", help="the reader's next case in their order")
    nxt.add_argument("store", metavar="STORE", help=STORE_HELP)
    nxt.add_argument("--reader", required=True, metavar="NAME", help="the reader, as the study definition names them")
    nxt.add_argument("--study", metavar="ID", help=STUDY_HELP)
    dis = sub.add_parser("disagreements", help="where the readers disagree on a case (for the adjudicator)")
    dis.add_argument("store", metavar="STORE", help=STORE_HELP)
    dis.add_argument("--session", required=True, metavar="NAME", help="the session, as the study definition names it")
    dis.add_argument("--case", required=True, metavar="CODE", help="the case's study code (as `study status --cases` lists it)")
    dis.add_argument("--dicom", metavar="PATH", help="the images, to match lesions by position")
    dis.add_argument("--study", metavar="ID", help=STUDY_HELP)
    reads = sub.add_parser("reads", help="the study's reads as one read per reader, for the agreement analysis")
    reads.add_argument("store", metavar="STORE", help=STORE_HELP)
    reads.add_argument("out", metavar="OUT", help="a new .lesionlab file")
    reads.add_argument("--dicom", metavar="PATH", help="the images, to pair lesions across sessions by position")
    reads.add_argument("--study", metavar="ID", help=STUDY_HELP)
    pair = sub.add_parser(
        "confirm-pairings", help="the adjudicator confirms which of a reader's lesions of a case are the same lesion "
                                 "in the first two sessions (MRI L1 = CT L2); without --pair or --proposed it lists",
        description="list a reader's lesions of a case in the study's first two sessions, the pairs proposed by "
                    "position (--dicom) and the pairs last confirmed; with --pair or --proposed, record the pairs as "
                    "confirmed (by the connected role's reader, else the study's adjudicator, with the time); "
                    "`study reads` then uses them instead of its own proposal. Both session reads must be finished.")
    pair.add_argument("store", metavar="STORE", help=STORE_HELP)
    pair.add_argument("--reader", required=True, metavar="NAME", help="the reader whose lesions are paired")
    pair.add_argument("--case", required=True, metavar="CODE", help="the case's study code")
    pair.add_argument("--pair", action="append", default=[], metavar="FIRST=SECOND",
                      help="the first session's lesion id = the second session's (e.g. L1=L3); repeat for each pair; "
                           "the lesions given no pair stay unpaired")
    pair.add_argument("--proposed", action="store_true",
                      help="confirm the pairs proposed by registered position (needs --dicom)")
    pair.add_argument("--dicom", metavar="PATH", help="the study's images, to propose pairs by position")
    pair.add_argument("--study", metavar="ID", help=STUDY_HELP)


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} min"


def run(args: argparse.Namespace) -> int:
    from annotation.store import ReadingStore
    from annotation.study import load_definition
    from annotation.study_store import Study

    if args.study_command == "init":
        definition = load_definition(args.definition)
        from app.reading_settings import login_name

        coordinator = (args.coordinator or login_name("coordinator")).strip()
        if not coordinator:
            from viewer.errors import StudyError

            raise StudyError("--coordinator needs a name: the edit log names who added the exam pairs",
                             where="--coordinator")
        with ReadingStore.open(args.store) as store:
            # the pairs go in with the study or not at all: added first, they stayed when the study was refused
            study = Study.init(store, definition, dicom=args.dicom, by=coordinator)
            for line in study.pairs_added:
                print(line)
            if study.pairs_added:
                print(f"{len(study.pairs_added)} exam pair(s) added from {args.dicom}, logged under {coordinator}")
            warning = None
            if store.location.is_database:
                from annotation.store_pg_security import statistics_warning

                warning = statistics_warning(store.backend_db)
        print(f"study {study.study_id}: {len(definition.readers)} readers, {len(definition.cases)} cases, "
              f"sessions {', '.join(s.name for s in definition.sessions)}; orders drawn from seed {definition.seed}")
        if warning:
            print(warning, file=sys.stderr)
        return 0
    if args.study_command == "reads":
        from analysis.study_pairing import write_study_reads
        from app.cli_lost_marks import tell_lost_marks

        # the reads written out carry the store's count marks: one lost in an older lesionlab is one lesion less in
        # the counts `agreement` and `analyze` then read from them (session 46 told it in those two only)
        tell_lost_marks(args.store, "study reads")
        left_out: list[str] = []
        out, table, pairings = write_study_reads(args.store, args.out, dicom=args.dicom, study_id=args.study,
                                                 left_out=left_out)
        paired = sum(len(p.pairs) for p in pairings)
        unpaired = sum(len(p.first_only) + len(p.second_only) for p in pairings)
        print(f"{out}: one read per reader; {paired} lesions paired across sessions, {unpaired} unpaired "
              f"(patient level in {table})" + "".join(f"; {line}" for line in left_out))
        if args.dicom is None and unpaired and not paired:
            # said here, not only in the pairing table (a researcher's check found 0 paired, the reason in a note)
            print("Note: without --dicom PATH (the study's images) no lesion can be paired across sessions: they "
                  "are paired by position in patient mm")
        return 0
    if args.study_command == "confirm-pairings":
        return _confirm_pairings(args)
    with ReadingStore.open(args.store, read_only=True) as store:
        study = Study(store, args.study)
        if args.study_command == "status":
            print(f"study {study.study_id}")
            print(f"{'reader':<12} {'session':<10} {'done':>5} {'open':>5} {'to do':>6}  median reading time")
            for p in study.progress():
                print(f"{p.reader:<12} {p.session:<10} {p.done:>5} {p.opened:>5} {p.to_do:>6}  "
                      f"{_minutes(p.reading_s_median)}")
            if args.cases:
                for t in study.case_times():
                    print(f"  {t.reader} {t.session} {t.code}: {_minutes(t.seconds)}, {t.edits} edits")
            for note in study.unreadable_times:  # a hand-edited time is said, not a traceback
                print(f"Note: {note}", file=sys.stderr)
            return 0
        if args.study_command == "next":
            nxt = study.next_case(args.reader)
            if nxt.case is None:
                print(nxt.message)
                return 0
            c = nxt.case
            print(f"{c.code} (session {c.session}, case {c.position} of {c.of})")
            return 0
        from analysis.study_adjudication import disagreements
        from viewer.errors import StudyError
        from analysis.study_pairing import placed_stacks

        # a session or case the study does not have is refused, naming the ones it has: "0 of 3 readers finished
        # it" read as a case nobody had opened yet (an audit: --session CT2, --session mri)
        study.definition.session(args.session)
        study.definition.case(args.case)
        if getattr(store.backend_db, "role_kind", None) == "reader":
            # a reader role sees its own reads only: "1 of 3 readers finished it" read as the others' progress
            raise StudyError(f"this database role is reader {store.role_reader}'s: the disagreements between readers "
                             "are the adjudicator's to see", where=store.where,
                             advice="run it connected as the study's adjudicator or coordinator")
        reads = study.session_reads()
        done = [r for r in study.definition.readers
                if (read := reads.get((r, args.session, args.case))) is not None and read.finished]
        if len(done) < 2:
            # nobody had read the case and it said "the readers agree" (an audit)
            print(f"case {args.case}, session {args.session}: {len(done)} of {len(study.definition.readers)} readers "
                  "finished it: nothing to compare yet")
            return 0
        stacks = placed_stacks(args.dicom) if args.dicom else None
        # the case's pair only: the adjudicator's role is blinded too (no names, no clinical data)
        found = disagreements(store.load_pair(study.definition.case(args.case).pair), study.definition,
                              args.session, args.case,
                              {k: v.geometry for k, v in stacks.items()} if stacks else None,
                              images={k: v.images for k, v in stacks.items()} if stacks else None)
        if not found:
            print(f"case {args.case}, session {args.session}: the readers agree ({', '.join(done)} finished it)")
        for d in found:
            lobe = f" {d.lobe.value}" if d.lobe else ""
            print(f"{d.series_role.value}{lobe}: {d.kind.value}: {d.detail}"
                  + (f" [{'; '.join(d.lesions)}]" if d.lesions else ""))
        return 0


def _lesion_line(les: "Lesion") -> str:
    from viewer.model.layout import role_label  # noqa: PLC0415

    where = f"{les.lobe.value} lobe" + (f", segment {les.segment.value}" if les.segment is not None else "")
    sizes = ", ".join(f"{role_label(role)} {m.diameter_mm:.1f} mm" for role, m in les.measurements().items())
    return f"{les.lesion_id} ({where}): {sizes or 'not measured'}"


def _confirm_pairings(args: argparse.Namespace) -> int:
    """`study confirm-pairings`: list a reader's two session reads of a case, the proposal, the last confirmation;
    record the pairs given (--pair) or proposed (--proposed)."""
    from analysis.study_pairing import placed_stacks, propose_missing_alignments, propose_pairing  # noqa: PLC0415
    from annotation.store import ReadingStore  # noqa: PLC0415
    from annotation.study import session_reader  # noqa: PLC0415
    from annotation.study_store import Study  # noqa: PLC0415
    from viewer.errors import StudyError  # noqa: PLC0415

    pairs: dict[str, str] = {}
    for given in args.pair:
        first, sep, second = given.partition("=")
        if not sep or not first.strip() or not second.strip():
            raise StudyError(f"--pair {given!r}: give FIRST=SECOND, the first session's lesion id and the second's "
                             "(e.g. L1=L3)", where="command line")
        if first.strip() in pairs:
            raise StudyError(f"--pair: lesion {first.strip()} of the first session is paired twice",
                             where="command line")
        pairs[first.strip()] = second.strip()
    if args.proposed and (pairs or args.dicom is None):
        raise StudyError("--proposed confirms the pairs proposed by position: it needs --dicom PATH (the images) and "
                         "no --pair", where="command line")
    writing = bool(pairs) or args.proposed
    with ReadingStore.open(args.store, read_only=not writing) as store:
        study = Study(store, args.study)
        d = study.definition
        d.reader_number(args.reader)
        case = d.case(args.case)
        if len(d.sessions) < 2:
            raise StudyError(f"study {study.study_id} has one session: nothing to pair", where=args.case)
        if writing:
            study.confirmer()  # a reader's role is refused before minutes of registration
        s1, s2 = d.sessions[0].name, d.sessions[1].name
        project = store.load_pair(case.pair)
        proposal, note = None, ""
        if args.dicom is not None:
            project, notes = propose_missing_alignments(project, d, args.dicom)
            proposal = propose_pairing(project, d, args.reader, args.case, placed_stacks(args.dicom))
            note = "; ".join(n for n in (notes.get(case.pair, ""), proposal.note) if n)
        if args.proposed:
            assert proposal is not None
            if not proposal.pairs:
                raise StudyError(f"case {args.case}: no pair of {args.reader}'s lesions is proposed by position"
                                 + (f" ({note})" if note else "") + ": nothing to confirm", where=args.case,
                                 advice="give the pairs with --pair FIRST=SECOND")
            pairs = {p.first_lesion: p.second_lesion for p in proposal.pairs}
        # recorded (or refused, saying why) before anything is listed: a refusal after the listing was missed
        last = study.confirm_pairings(args.reader, args.case, pairs) if writing else \
            study.confirmations().get((args.reader, args.case))
        lesions = {s: project.lesions_of(*case.pair, session_reader(args.reader, s)) for s in (s1, s2)}
        print(f"{args.reader}'s lesions of case {args.case}:")
        for session, of_session in lesions.items():
            print(f"  {session}:" + ("" if of_session else " none"))
            for les in of_session:
                print(f"    {_lesion_line(les)}")
        if proposal is not None:
            print("proposed by position: " + (", ".join(f"{s1} {p.first_lesion} = {s2} {p.second_lesion} "
                                                       f"({p.distance_mm:.1f} mm apart)" for p in proposal.pairs)
                                              or "no pair") + (f" ({note})" if note else ""))
        if last is None:
            print("confirmed: nothing yet (give --pair FIRST=SECOND, repeated, or --proposed with --dicom; "
                  "`study reads` uses its proposal by position meanwhile)")
            return 0
        print(f"{'confirmed' if writing else 'last confirmed'} by {last.by} at {last.at_utc}:")
        for a, b in last.pairs.items():
            print(f"  {s1} {a} = {s2} {b}")
        seconds = set(last.pairs.values())
        alone = [f"{s1} {les.lesion_id}" for les in lesions[s1] if les.lesion_id not in last.pairs] + \
                [f"{s2} {les.lesion_id}" for les in lesions[s2] if les.lesion_id not in seconds]
        print(f"  unpaired: {', '.join(alone) or 'none'}")
    return 0
