"""Plain-Python state of the reading workstation (no Qt): widgets observe these models.

* :mod:`.events`   - the tiny observer primitive (``Signal``) every model uses
* :mod:`.view`     - ViewTransform: widget pixels <-> continuous (row, col) image indices
* :mod:`.viewport` - ViewportModel: what one cell shows (stack, slice, zoom/pan, crosshair)
* :mod:`.window`   - WindowStore: window/level remembered per stack key
* :mod:`.linking`  - LinkModel: scroll and reference-point propagation between viewports
* :mod:`.layout`   - LayoutModel (grid, maximise, active cell) and the hanging protocol
* :mod:`.settings` - persisted reader settings: role corrections and recent studies
"""
