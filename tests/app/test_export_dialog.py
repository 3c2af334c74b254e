"""The export dialog's pseudonymisation choices (issue 9): comments are kept only on request and
only with pseudonymisation (a plain export keeps everything anyway)."""

from __future__ import annotations

from pathlib import Path

from app.export_analysis import ExportDialog


def test_keep_comments_is_offered_only_with_pseudonymise(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = ExportDialog(tmp_path)
    qtbot.addWidget(dialog)
    assert not dialog.pseudonymise.isChecked() and not dialog.keep_comments.isEnabled()
    dialog.pseudonymise.setChecked(True)
    assert dialog.keep_comments.isEnabled() and not dialog.keep_comments.isChecked()
    dialog.pseudonymise.setChecked(False)
    assert not dialog.keep_comments.isEnabled()


def test_analysis_dialog_has_no_pseudonymisation_choices(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = ExportDialog(tmp_path, pseudonymise=False)
    qtbot.addWidget(dialog)
    assert dialog.pseudonymise.parent() is None and dialog.keep_comments.parent() is None
