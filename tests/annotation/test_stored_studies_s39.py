"""The ``studies`` table parsed in one place (annotation.study.stored_studies, session 39): a study's opening, the
checks of a new study's set-up, the session roles an export asks for and `store add-reader`'s names each parsed its
rows with ``json.loads`` of their own. A row changed by hand ended in a traceback (not JSON) or, holding another
study's definition, was taken as that study."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from annotation.store import ReadingStore
from annotation.study_store import Study, session_roles
from app.cli import main
from tests.annotation.test_study_store import definition, fill
from viewer.errors import ValidationError


def _study_store(tmp_path: Path) -> Path:
    path = tmp_path / "s.lesionlab"
    fill(str(path))
    with ReadingStore.open(path) as store:
        Study.init(store, definition())
    return path


def _set_definition(path: Path, text: str) -> None:
    with sqlite3.connect(path) as con:
        con.execute("UPDATE studies SET definition = ? WHERE study_id = 's1'", (text,))


def test_a_stored_definition_that_is_not_json_is_said_naming_the_store_and_the_study(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _study_store(tmp_path)
    _set_definition(path, '{"study_id": "s1", "seed"')
    assert main(["study", "status", str(path)]) == 1  # before: json.JSONDecodeError, a traceback
    err = capsys.readouterr().err
    assert f"{path}, study s1: the study definition is not JSON" in err and "SQL tool" in err, err
    with ReadingStore.open(path) as store:
        for read in (lambda: Study(store), lambda: session_roles(store)):
            with pytest.raises(ValidationError, match="study s1: the study definition is not JSON"):
                read()


def test_a_row_holding_another_studys_definition_is_refused_not_taken_as_that_study(tmp_path: Path) -> None:
    """Before, Study(store) opened row s1 as study "s2" (its id, orders looked up under s1), and `study init` of s2
    then said s2 was not in the store."""
    path = _study_store(tmp_path)
    data = json.loads(definition().to_json())
    data["study_id"] = "s2"
    _set_definition(path, json.dumps(data))
    with ReadingStore.open(path) as store:
        with pytest.raises(ValidationError, match="study s1: the row of study 's1' holds the definition of study 's2'"):
            Study(store)
