"""A reader study's definition: readers, cases behind study codes, sessions, the seeded reading order.

The coordinator writes the definition as a TOML (or JSON) file; :func:`load_definition` validates
it into frozen records and every message names the file and the field (``sessions[2].roles[1]``),
TOML syntax errors their line. Example (``docs`` in annotation/README.md, "Reader studies")::

    study_id = "mri-vs-ct"
    seed = 20261201            # the reading orders derive from it; stored with the study
    may_go_back = true         # may a reader reopen a case they finished
    one_click = false          # may readers use one-click diameters (default: no, each diameter drawn by hand)
    readers = ["R1", "R2"]
    adjudicator = "consensus"  # the reader name consensus reads are recorded under

    [[sessions]]
    name = "MRI"
    roles = ["mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal"]

    [[sessions]]
    name = "CT"
    roles = ["ct_arterial", "ct_portal"]
    washout_days = 28          # after the reader's read of the same patient in the session before

    [[cases]]
    patient_id = "LLSYN001"
    exam_pair_id = "E1"
    code = "S01"               # optional: codes are drawn from the seed otherwise

Reading order: reader number n (1-based, in the order of ``readers``) and session number s get
``numpy.random.Generator(PCG64(SeedSequence([seed, n, s]))).permutation`` of the case codes in
sorted order: the same list on every machine and numpy version that keeps PCG64's stream (numpy
promises that). The store keeps the lists drawn at ``study init``; they are never re-drawn.

A reader's read in a session is kept under the reader name ``READER@SESSION``
(:func:`session_reader`), so the two sessions of one patient are two separate reads, an earlier
session's lesions never show in a later one, and a database role bound to ``READER`` owns both
(row-level security accepts ``READER`` and ``READER@...``).
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from annotation import _validate as v
from annotation._validate import id_form
from viewer.errors import StudyError, ValidationError
from viewer.records import READING_ROLES, Role

if TYPE_CHECKING:
    from annotation.store_backend import Db

#: separates a reader's name from the session in the reader name of a study read
SESSION_SEPARATOR = "@"
DEFINITION_SCHEMA_VERSION = 1
#: the longest washout a session may ask (ten years): 99999999999 days was taken, and the first `study next` after the
#: session before crashed adding it to a date (OverflowError), for every later call, the definition being stored
MAX_WASHOUT_DAYS = 3650
#: the characters a name may hold after its first (a letter or digit of any script): letters, digits and combining
#: marks (Devanagari, Tamil, Thai and Arabic names need them), space, '.', '_', '-'; never '@' (it joins a reader to
#: a session: ``R1@MRI``), never an invisible character
_NAME_MARKS = ("Mn", "Mc")


def _is_name(value: str) -> bool:
    if not 1 <= len(value) <= 64 or not value[0].isalnum() or value != unicodedata.normalize("NFC", value):
        return False
    return all(ch.isalnum() or ch in " ._-" or unicodedata.category(ch) in _NAME_MARKS for ch in value[1:])
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def session_reader(reader: str, session: str) -> str:
    """The reader name a study read is stored under: ``R1@MRI``."""
    return f"{reader}{SESSION_SEPARATOR}{session}"


def split_session_reader(name: str) -> tuple[str, str]:
    """``R1@MRI`` -> (``R1``, ``MRI``); a plain reader name -> (name, "")."""
    reader, _, session = name.partition(SESSION_SEPARATOR)
    return reader, session


def belongs_to(name: str, reader: str) -> bool:
    """True when the rows of reader name ``name`` are ``reader``'s (their own or a session read of theirs)."""
    return name == reader or name.startswith(reader + SESSION_SEPARATOR)


def _name(where: str, value: Any, what: str) -> str:
    if not isinstance(value, str) or not _is_name(value):
        raise ValidationError(f"{value!r} is not a {what} name: 1-64 letters (any alphabet), digits, space, '.', '_' "
                              "or '-', starting with a letter or digit", where=where)
    return value


@dataclass(frozen=True)
class StudySession:
    """One reading session: the series roles it shows, and the washout after the session before it."""

    name: str
    roles: tuple[Role, ...]
    washout_days: int = 0

    def __post_init__(self) -> None:
        _name("name", self.name, "session")
        roles = []
        for i, value in enumerate(self.roles):
            try:
                role = Role.parse(value)
            except ValueError:
                role = Role.UNKNOWN
            if role not in READING_ROLES:
                raise ValidationError(f"{value!r} is not one of the six reading roles "
                                      f"({', '.join(r.value for r in READING_ROLES)})", where=f"roles[{i + 1}]")
            if role in roles:
                raise ValidationError(f"{role.value} is listed twice", where=f"roles[{i + 1}]")
            roles.append(role)
        if not roles:
            raise ValidationError("a session shows at least one series role", where="roles")
        object.__setattr__(self, "roles", tuple(roles))
        v.whole("washout_days", self.washout_days, unit="days")
        if self.washout_days > MAX_WASHOUT_DAYS:
            raise ValidationError(f"{self.washout_days} days is beyond the {MAX_WASHOUT_DAYS} (ten years) a washout may "
                                  "last (days to weeks between two sessions)", where="washout_days")


@dataclass(frozen=True)
class StudyCase:
    """One exam pair of the study and the code readers see instead of the patient."""

    code: str
    patient_id: str
    exam_pair_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE.match(self.code):
            raise ValidationError(f"{self.code!r} is not a study code: 1-32 letters, digits, '_' or '-'",
                                  where="code")
        for name in ("patient_id", "exam_pair_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(f"expected a non-empty text, got {value!r}", where=name)

    @property
    def pair(self) -> tuple[str, str]:
        return (self.patient_id, self.exam_pair_id)


@dataclass(frozen=True)
class StudyDefinition:
    """The whole design of a reader study (validated; see the module docstring for the file)."""

    study_id: str
    seed: int
    readers: tuple[str, ...]
    sessions: tuple[StudySession, ...]
    cases: tuple[StudyCase, ...]
    may_go_back: bool = True
    adjudicator: str = "consensus"
    #: whether the readers may use one-click diameters (a suggested line is the method's, then the reader's): off
    #: unless the coordinator says so, as the agreement measured is the readers' own; stored with the study and said
    #: by `analyze` (each line's method is in measurements.csv besides)
    one_click: bool = False

    def __post_init__(self) -> None:
        _name("study_id", self.study_id, "study")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2 ** 63:
            raise ValidationError(f"expected a whole number 0 <= seed < 2**63, got {self.seed!r}", where="seed")
        if not self.readers:
            raise ValidationError("a study needs at least one reader", where="readers")
        for i, reader in enumerate(self.readers):
            _name(f"readers[{i + 1}]", reader, "reader")
        if len(set(self.readers)) != len(self.readers):
            raise ValidationError("a reader is listed twice", where="readers")
        _name("adjudicator", self.adjudicator, "reader")
        if self.adjudicator in self.readers:
            raise ValidationError(f"{self.adjudicator!r} is also a reader: the consensus needs its own name",
                                  where="adjudicator")
        if not self.sessions:
            raise ValidationError("a study needs at least one session", where="sessions")
        if len({s.name for s in self.sessions}) != len(self.sessions):
            raise ValidationError("two sessions have the same name", where="sessions")
        shown: dict[Role, str] = {}
        for i, session in enumerate(self.sessions):
            if i == 0 and session.washout_days:
                raise ValidationError("the first session has no session before it to wait for",
                                      where="sessions[1].washout_days")
            for role in session.roles:
                if role in shown:
                    raise ValidationError(f"{role.value} is shown in sessions {shown[role]} and {session.name}: "
                                          "each series role belongs to one session", where=f"sessions[{i + 1}].roles")
                shown[role] = session.name
        if not self.cases:
            raise ValidationError("a study needs at least one case", where="cases")
        if len({c.code for c in self.cases}) != len(self.cases):
            raise ValidationError("two cases have the same code", where="cases")
        if len({c.pair for c in self.cases}) != len(self.cases):
            raise ValidationError("an exam pair is listed twice", where="cases")
        if not isinstance(self.may_go_back, bool):
            raise ValidationError(f"expected true or false, got {self.may_go_back!r}", where="may_go_back")
        if not isinstance(self.one_click, bool):
            raise ValidationError(f"expected true or false, got {self.one_click!r}", where="one_click")

    def check_names_apart(self) -> None:
        """Readers (and the adjudicator) whose names differ only in form (``R1``, ``r1``, ``Ｒ1``) are refused when a
        study is set up from its file: the analysis refuses them after the whole study is read, and a study cannot
        be renamed (an audit). A study stored before this was checked still loads (``from_json``)."""
        folded: dict[str, str] = {}
        for i, reader in enumerate(self.readers):
            other = folded.setdefault(id_form(reader), reader)
            if other != reader:
                raise ValidationError(f"{reader!r} differs from {other!r} only in case or form: name the readers "
                                      "apart", where=f"readers[{i + 1}]")
        if id_form(self.adjudicator) in folded:
            raise ValidationError(f"{self.adjudicator!r} is also a reader: the consensus needs its own name",
                                  where="adjudicator")

    # ------------------------------------------------------------------ queries
    def session(self, name: str) -> StudySession:
        for s in self.sessions:
            if s.name == name:
                return s
        raise StudyError(f"no session {name!r} in study {self.study_id} "
                              f"({', '.join(s.name for s in self.sessions)})", where="session")

    def session_number(self, name: str) -> int:
        return [s.name for s in self.sessions].index(self.session(name).name) + 1

    def case(self, code: str) -> StudyCase:
        for c in self.cases:
            if c.code == code:
                return c
        codes = sorted(c.code for c in self.cases)
        shown = ", ".join(codes[:12]) + (f", ... ({len(codes)} cases)" if len(codes) > 12 else "")
        raise StudyError(f"no case {code!r} in study {self.study_id} ({shown})", where="code")

    def reader_number(self, reader: str) -> int:
        if reader not in self.readers:
            raise StudyError(f"{reader!r} is not a reader of study {self.study_id} "
                                  f"({', '.join(self.readers)})", where="reader")
        return self.readers.index(reader) + 1

    def session_of_role(self, role: "Role | str") -> StudySession | None:
        role = Role.parse(role)
        return next((s for s in self.sessions if role in s.roles), None)

    # ------------------------------------------------------------------ order
    def reading_orders(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(reader, session) -> case codes in that reader's order (see the module docstring)."""
        codes = sorted(c.code for c in self.cases)
        out = {}
        for n, reader in enumerate(self.readers, start=1):
            for s, session in enumerate(self.sessions, start=1):
                rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, n, s])))
                out[(reader, session.name)] = tuple(codes[int(i)] for i in rng.permutation(len(codes)))
        return out

    # ------------------------------------------------------------------ round trip
    def to_json(self) -> str:
        return json.dumps({
            "schema_version": DEFINITION_SCHEMA_VERSION, "study_id": self.study_id, "seed": self.seed,
            "may_go_back": self.may_go_back, "readers": list(self.readers), "adjudicator": self.adjudicator,
            "one_click": self.one_click,
            "sessions": [{"name": s.name, "roles": [r.value for r in s.roles], "washout_days": s.washout_days}
                         for s in self.sessions],
            "cases": [{"code": c.code, "patient_id": c.patient_id, "exam_pair_id": c.exam_pair_id}
                      for c in self.cases],
        }, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str = "study definition") -> "StudyDefinition":
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:  # a stored row changed by hand: said, naming it, not a traceback
            raise ValidationError(f"the study definition is not JSON ({exc})", where=where,
                                  advice=STORED_ROW_ADVICE) from None
        version = data.pop("schema_version", DEFINITION_SCHEMA_VERSION) if isinstance(data, dict) \
            else DEFINITION_SCHEMA_VERSION
        if version != DEFINITION_SCHEMA_VERSION:
            raise ValidationError(f"study definition schema {version} is not {DEFINITION_SCHEMA_VERSION}",
                                  where=where, advice="update lesionlab")
        return definition_from_mapping(data, where)


#: what to do about a row of ``studies`` lesionlab did not write
STORED_ROW_ADVICE = ("the row was changed outside lesionlab: correct it with an SQL tool or restore the store from a "
                     "backup copy")


@dataclass(frozen=True)
class StoredStudy:
    """A study as a store holds it (a row of ``studies``): its id and its validated definition, which is that study's.
    Parsed in one place, :func:`stored_studies`, for every reader of the table (a study's opening, the checks of a
    new study's set-up, the session roles an export asks for, ``store add-reader``'s names), which parsed it each."""

    study_id: str
    definition: StudyDefinition

    def __post_init__(self) -> None:
        if self.definition.study_id != self.study_id:
            raise ValidationError(f"the row of study {self.study_id!r} holds the definition of study "
                                  f"{self.definition.study_id!r}", where=f"study {self.study_id}",
                                  advice=STORED_ROW_ADVICE)

    @classmethod
    def from_row(cls, study_id: Any, text: Any, where: str) -> "StoredStudy":
        """From the row's two columns; errors name ``where`` (the store) and the study."""
        here = f"{where}, study {study_id}"
        definition = StudyDefinition.from_json(text, here)
        try:
            return cls(str(study_id), definition)
        except ValidationError as exc:
            raise ValidationError(exc.message, where=here, advice=exc.advice) from None


def stored_studies(db: "Db", study_id: str | None = None) -> list[StoredStudy]:
    """The studies the store ``db`` holds, by id (only ``study_id``'s when given); [] before the studies migration."""
    if not db.has_table("studies"):
        return []
    one = study_id is not None
    rows = db.execute("SELECT study_id, definition FROM studies" + (" WHERE study_id = ?" if one else "")
                      + " ORDER BY study_id", (study_id,) if one else ()).fetchall()
    return [StoredStudy.from_row(sid, text, db.where) for sid, text in rows]


# ---------------------------------------------------------------------------- parsing
_TOP = {"study_id", "seed", "may_go_back", "readers", "adjudicator", "sessions", "cases", "one_click"}
_SESSION = {"name", "roles", "washout_days"}
_CASE = {"code", "patient_id", "exam_pair_id"}


def _check_keys(data: Any, allowed: set[str], required: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError(f"expected a table of {', '.join(sorted(allowed))}", where=where)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(allowed))})",
                              where=f"{where}.{unknown[0]}" if where else unknown[0])
    missing = sorted(required - set(data))
    if missing:
        raise ValidationError(f"the field {missing[0]!r} is missing", where=where or "study definition")
    return data


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data[key]
    if not isinstance(value, list):
        raise ValidationError(f"expected a list, got {type(value).__name__}", where=key)
    return value


def _drawn_codes(pairs: list[tuple[str, str]], seed: int) -> list[str]:
    """Codes C01, C02, ... given to the cases in a seeded random order (code order says nothing). C for case: a
    pseudonymised export names patients S001, S002, ... in patient-id order, and a study's S01 read against an
    export's S001 was another patient (an audit; studies set up before keep the codes they hold)."""
    width = max(2, len(str(len(pairs))))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0, 0])))
    ranks = rng.permutation(len(pairs))
    return [f"C{int(r) + 1:0{width}d}" for r in ranks]


def definition_from_mapping(data: Any, where: str = "study definition") -> StudyDefinition:
    """A validated definition from parsed TOML/JSON; errors name ``where`` and the field."""
    field = ""
    try:
        data = _check_keys(data, _TOP, {"study_id", "seed", "readers", "sessions", "cases"}, "")
        readers = tuple(_list(data, "readers"))  # a wrong type is said as "readers: expected a list"
        sessions = []
        for i, raw in enumerate(_list(data, "sessions"), start=1):
            field = f"sessions[{i}]"
            s = _check_keys(raw, _SESSION, {"name", "roles"}, field)
            if not isinstance(s["roles"], list):
                raise ValidationError("expected a list of series roles", where="roles")
            sessions.append(StudySession(s["name"], tuple(s["roles"]), s.get("washout_days", 0)))
        field = ""
        raw_cases = _list(data, "cases")
        seed = data["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 63:
            raise ValidationError(f"expected a whole number 0 <= seed < 2**63, got {seed!r}", where="seed")
        for i, raw in enumerate(raw_cases, start=1):
            _check_keys(raw, _CASE, {"patient_id", "exam_pair_id"}, f"cases[{i}]")
        given = [c.get("code") for c in raw_cases]
        drawn = _drawn_codes([(c["patient_id"], c["exam_pair_id"]) for c in raw_cases], seed)
        cases = []
        for i, raw in enumerate(raw_cases, start=1):
            field = f"cases[{i}]"
            code = given[i - 1] if given[i - 1] is not None else drawn[i - 1]
            cases.append(StudyCase(code, raw["patient_id"], raw["exam_pair_id"]))
        field = ""
        return StudyDefinition(data["study_id"], seed, readers, tuple(sessions), tuple(cases),
                               data.get("may_go_back", True), data.get("adjudicator", "consensus"),
                               data.get("one_click", False))
    except ValidationError as exc:
        inner = exc.where or ""
        path = ".".join(p for p in (field, inner) if p)
        raise ValidationError(exc.message, where=f"{where}, {path}" if path else where, advice=exc.advice) from None


def load_definition(path: str | Path) -> StudyDefinition:
    """Read a study definition file (``.toml``, or ``.json``) and validate it."""
    path = Path(path)
    kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read the study definition ({exc.strerror})", where=str(path)) from None
    # as an editor saves it: UTF-8, with the byte order mark Windows' Notepad writes ("Invalid statement (at line 1,
    # column 1)" said nothing of it), or UTF-16 with its mark (a traceback)
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ValidationError(f"is not UTF-8 text (byte 0x{raw[exc.start]:02X} on line {line})", where=str(path),
                              advice=f"save the {kind} file as UTF-8") from None
    try:
        data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"not valid {kind}: {exc}", where=str(path), advice="fix the line named") from None
    except RecursionError:  # thousands of nested arrays or objects: no definition is so deep
        raise ValidationError(f"not a study definition: its {kind} is nested too deep to read", where=str(path),
                              advice="give the study's definition file") from None
    definition = definition_from_mapping(data, str(path))
    try:
        definition.check_names_apart()
    except ValidationError as exc:
        raise ValidationError(exc.message, where=f"{path}, {exc.where}", advice=exc.advice) from None
    return definition
