"""Re-export of :mod:`viewer.errors` (the errors module lives at the bottom layer so every
layer may raise its errors without importing upward)."""

from viewer.errors import (  # noqa: F401
    DicomReadError,
    GeometryError,
    InputFormatError,
    LesionlabError,
    NotMeasurableError,
    StoreError,
    StoreLockedError,
    ValidationError,
)

__all__ = ["DicomReadError", "GeometryError", "InputFormatError", "LesionlabError", "NotMeasurableError",
           "StoreError", "StoreLockedError", "ValidationError"]
