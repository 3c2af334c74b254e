"""Rigid alignment of two exams of a patient, proposed from the images (the only SimpleITK user
outside :mod:`viewer.dicomio`).

Pick each exam's stack with :func:`registration_stack` (CT portal, MRI T1 portal first), then
call :func:`propose_alignment` in a worker thread once both volumes are loaded; it returns an
:class:`AlignmentProposal` whose ``matrix`` is the 3x4 row-major [R | t] taking the moving exam's
patient mm into the fixed exam's (``x_fixed = R x_moving + t``, the convention of
``annotation.records.Alignment``), or None when the ``cancel`` event was set.
"""

from viewer.registration.choice import PREFERRED_ROLES, registration_stack
from viewer.registration.proposal import (MAX_DEPARTURE_MM, MAX_ROTATION_DEG, AlignmentProposal, Focus, Outcome,
                                          RegistrationParams, rotation_angle_deg)
from viewer.registration.propose import propose_alignment

__all__ = ["MAX_DEPARTURE_MM", "MAX_ROTATION_DEG", "PREFERRED_ROLES", "AlignmentProposal", "Focus", "Outcome",
           "RegistrationParams", "propose_alignment", "registration_stack", "rotation_angle_deg"]
