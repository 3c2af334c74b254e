"""One click inside a lesion -> its longest axial diameter (issue 13): classical 2D segmentation.

The one home of image segmentation (scikit-image and SimpleITK may be used here for it; see
tests/test_architecture.py). :func:`suggest_diameter` returns a :class:`Suggestion` (slice,
two endpoints, diameter, confidence, the method's parameters) or a :class:`Refusal` saying why.
The method is described in :mod:`viewer.segment.levels` (steps 1-4 on a slice),
:mod:`viewer.segment.slice2d` (steps 5-6), :mod:`viewer.segment.across` and viewer/README.md; the diameter
follows :mod:`viewer.geometry.diameter`.
"""

from viewer.segment.records import METHOD_NAME, Refusal, Suggestion, SuggestParams, VolumeLike
from viewer.segment.suggest import suggest_diameter

__all__ = ["METHOD_NAME", "Refusal", "Suggestion", "SuggestParams", "VolumeLike", "suggest_diameter"]
