"""fit_widths: a table's columns within its width (the follow-up lesion table at 1600 px, session 45). No Qt."""

from __future__ import annotations

from annotation.qt.column_fit import fit_widths

#: the lesion table at 1600 x 1000 in the dark theme: Lesion, Kind, Organ, Nodal, Status, Treated, Parent, Series,
#: Eligibility (its text on one line)
NATURAL = [54, 81, 89, 50, 78, 62, 55, 73, 190]
TIGHT = {0: 48, 3: 45, 5: 55, 6: 48}
CHOICES = {1: 62, 2: 62, 4: 62, 7: 62}


class TestFitWidths:
    def test_room_enough_the_last_column_takes_the_rest(self) -> None:
        assert fit_widths(NATURAL, 1000, 65, (TIGHT, CHOICES)) == [*NATURAL[:-1], 1000 - sum(NATURAL[:-1])]

    def test_the_tight_columns_give_first_then_the_choices(self) -> None:
        widths = fit_widths(NATURAL, 584, 65, (TIGHT, CHOICES))  # 1600 px: the tight columns' margins are enough
        assert sum(widths) == 584 and widths[-1] >= 65
        assert [widths[c] for c in CHOICES] == [NATURAL[c] for c in CHOICES]
        assert all(TIGHT[c] <= widths[c] < NATURAL[c] for c in TIGHT)
        widths = fit_widths(NATURAL, 540, 65, (TIGHT, CHOICES))  # narrower: the choices too, none under its least
        assert sum(widths) == 540 and 65 <= widths[-1] <= 65 + len(CHOICES)  # the cuts rounded up
        assert [widths[c] for c in TIGHT] == [TIGHT[c] for c in TIGHT]
        assert all(CHOICES[c] <= widths[c] < NATURAL[c] for c in CHOICES)

    def test_no_fit_even_so_every_column_whole(self) -> None:
        assert fit_widths(NATURAL, 407, 65, (TIGHT, CHOICES)) == NATURAL  # 1366 x 768: the table scrolls
