"""The workstation's one-click diameter: :func:`viewer.segment.suggest_diameter` behind the line
tool's suggester hook (:meth:`app.workstation.WorkstationState.set_suggester`).

A click (no drag) with the line tool inside a lesion asks :func:`suggest`; the gesture records the
line as ``suggested`` with the method's parameters (``method_params``), an endpoint dragged later
makes it ``suggested_edited``, and a refusal leaves the reader to draw by hand with the reason in
the status bar. When the lesion is longest on a neighbouring slice, the viewport goes to that
slice, so the line drawn is the one in view.
"""

from __future__ import annotations

from annotation.gestures import Suggestion
from app.workstation import WorkstationState
from viewer.model.pointer import View
from viewer.segment import Refusal, suggest_diameter


def suggest(view: View, at: tuple[float, float]) -> Suggestion:
    """The suggestion for a click at image point ``at`` (row, col) on ``view``'s slice."""
    volume = view.model.volume
    k = view.slice_index
    if volume is None:
        return Suggestion(k, at, at, {}, refusal="no series in this viewport")
    result = suggest_diameter(volume, k, at)
    if isinstance(result, Refusal):
        return Suggestion(k, at, at, result.params, refusal=result.reason)
    if result.slice_index != k:
        view.model.set_index(result.slice_index)
    return Suggestion(result.slice_index, result.p1, result.p2, {**result.params, "confidence": result.confidence})


def install(state: WorkstationState) -> None:
    """Give the workstation its suggester (the main window calls this once)."""
    state.set_suggester(suggest)
