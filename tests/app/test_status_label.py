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
