"""All geometry of lesionlab: pixel <-> patient millimetres, spacing, slice order, orientation.

Conventions (every other module relies on these; the tests in tests/viewer/test_geometry.py
pin them down):

* Patient coordinates are DICOM LPS millimetres (x to the patient's Left, y Posterior,
  z Superior), as in ImagePositionPatient (IPP).
* ImageOrientationPatient (IOP) = (row direction r, column direction c). ``r`` is the
  direction in which the column index grows along a row; ``c`` the direction in which the row
  index grows down a column. The slice normal is ``n = r x c``.
* PixelSpacing (0028,0030) is (row spacing, column spacing): first the distance between
  adjacent rows (along ``c``), then between adjacent columns (along ``r``). They differ for
  non-square pixels and must never be swapped.
* Pixel indices are continuous: (row, col) = (0, 0) is the *centre* of the top-left pixel
  (highdicom's convention); IPP is the centre of that pixel.
* Arrays are numpy (slice, row, col). SimpleITK uses (x, y, z) = (col, row, slice);
  :meth:`StackGeometry.sitk_spacing` and friends convert.
* Slices are sorted by position along the normal, ascending (``IPP . n``), never by
  InstanceNumber, file name or SliceLocation. Slice index 0 is the lowest projection.
* A sheared stack (CT gantry tilt) keeps one origin per slice: the position of voxel
  (k, row, col) is ``IPP_k + col * cs * r + row * rs * c``, which stays exact when the table
  moved along z while the slices are tilted.

Layout: :mod:`~viewer.geometry.directions` (normals, plane names, projections, distances),
:mod:`~viewer.geometry.spacing` (what sorted positions say: spacing, gaps, tilt),
:mod:`~viewer.geometry.stack` (:class:`StackGeometry`, the transforms) and
:mod:`~viewer.geometry.diameter` (the longest diameter of a region on a slice: the boundary is
the 0.5 iso-contour of its mask or membership map, distances in mm through both spacings). Import from
``viewer.geometry``; the split is for reading, not a second API.
"""

from viewer.geometry.diameter import RegionDiameter, boundary_points, farthest_pair_mm, region_diameter
from viewer.geometry.directions import (MAX_POSITION_MM, OBLIQUE_LIMIT_DEG, ORTHOGONAL_TOL, Orientation, Point3,
                                        Vector, classify_orientation, in_plane_distance_mm, orientation_problem,
                                        patient_orientation_labels, position_problem, projections_mm,
                                        SAME_ORIENTATION_TOL, same_orientation, slice_normal, sort_order)
from viewer.geometry.spacing import (DUPLICATE_TOL_MM, REGULAR_ABS_TOL_MM, REGULAR_REL_TOL, TILT_LIMIT_DEG,
                                     SpacingReport, analyse_spacing, shear_angle_deg)
from viewer.geometry.stack import MAX_PIXEL_SPACING_MM, SliceFrames, SpacingSource, StackGeometry, same_view_centre

__all__ = [
    "DUPLICATE_TOL_MM", "MAX_PIXEL_SPACING_MM", "MAX_POSITION_MM", "OBLIQUE_LIMIT_DEG", "ORTHOGONAL_TOL",
    "REGULAR_ABS_TOL_MM", "REGULAR_REL_TOL", "SAME_ORIENTATION_TOL", "TILT_LIMIT_DEG",
    "Orientation", "Point3", "RegionDiameter", "SliceFrames", "SpacingReport", "SpacingSource", "StackGeometry", "Vector",
    "analyse_spacing", "boundary_points", "farthest_pair_mm", "region_diameter", "classify_orientation", "in_plane_distance_mm", "orientation_problem",
    "patient_orientation_labels", "position_problem", "projections_mm", "same_orientation", "shear_angle_deg",
    "same_view_centre", "slice_normal", "sort_order",
]
