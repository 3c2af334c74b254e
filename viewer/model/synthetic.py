"""Former home of the viewer's test phantom: moved to :mod:`viewer.testing` (it is no model).

Kept as an alias while tests outside viewer/ and annotation/ still import it from here.
"""

from viewer.testing import AXIAL_IOP, SyntheticLoader, make_stack, make_volume, phantom

__all__ = ["AXIAL_IOP", "SyntheticLoader", "make_stack", "make_volume", "phantom"]
