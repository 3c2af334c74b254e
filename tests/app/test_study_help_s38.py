"""A coordinator's audit (session 37): `lesionlab --help` and `lesionlab study --help` promised "adjudication" where
only a disagreements listing existed. The help now names what exists (disagreements, confirm-pairings) and says
that the consensus read itself has no command or window, through the real `lesionlab` command."""

from __future__ import annotations

import subprocess
import sys


def _help(*argv: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "app", *argv, "--help"], capture_output=True, text=True, timeout=60,
                          env={"COLUMNS": "400", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_study_help_says_what_adjudication_there_is() -> None:
    top = next(line for line in _help().splitlines() if line.strip().startswith("study "))
    assert "adjudication" not in top and "the adjudicator's disagreements and lesion pairs" in top, top
    study = _help("study")
    actions = {line.split()[0] for line in study.splitlines() if line.startswith("    ") and line.split()}
    assert {"init", "status", "next", "disagreements", "reads", "confirm-pairings"} <= actions, study
    assert "no command and no window yet" in study and "Study.open_adjudication" in study, study
    # every mention of adjudication in the help is of what exists or says it does not
    for sentence in study.replace("\n", " ").split(". "):
        if "adjudicat" in sentence.lower():
            assert any(w in sentence for w in ("disagreements", "confirm-pairings", "no command", "adjudicator")), \
                sentence
