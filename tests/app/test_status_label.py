"""The status bar's message is cut with "…" at the label's width, whole in text() and on hover."""

from __future__ import annotations

from app.status_label import ElidedLabel


def test_a_long_message_ends_with_an_ellipsis_not_mid_number(qtbot) -> None:  # type: ignore[no-untyped-def]
    text = ("no suggestion, drag to draw the diameter by hand: one-click diameters are offered on T2 FS and DWI "
            "b800 only; on CT arterial the sample phantoms give a mean error of 0.8 mm (goal 0.5 mm), worst +12.6 mm")
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.resize(300, 20)
    label.setText(text)
    label.show()
    shown = label.shown_text()
    assert shown.endswith("…") and text.startswith(shown[:-1]) and len(shown) < len(text)
    assert label.text() == text and label.toolTip() == text
    label.resize(4000, 20)
    assert label.shown_text() == text  # room for all of it: no mark
    label.grab()  # paints without error


def test_the_reader_s_name_is_never_cut_before_the_store_s_path(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check read "reader: sa…e" in the status bar: the middle cut took the name with the path."""
    from PySide6.QtCore import Qt

    who = "reader: sample (also in the project: Dr A, Dr B and 3 more)"
    where = " · /tmp/a/very/long/folder/of/the/site/share/readings/2026/followup.lesionlab"
    label = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle, max_width=460)
    qtbot.addWidget(label)
    label.keep_prefix = who
    label.setText(who + where)
    label.resize(460, 20)
    shown = label.shown_text()
    assert shown.startswith(who + " · ") and "…" in shown and shown.endswith("esionlab"), shown
    label.keep_prefix = ""
    assert not label.shown_text().startswith(who)  # what it showed before
