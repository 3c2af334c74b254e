"""What a file's pixel module declares, checked for consistency before anything is allocated.

The header reader skips a file whose pixel module contradicts itself (BitsStored above
BitsAllocated, PS3.3 C.7.6.3.1) or whose native pixel data holds fewer bytes than its rows,
columns, samples, bits and frames need (PS3.5 8.1.1); the loader asks the same questions of the
records it is given, so a stack built elsewhere fails as clearly. Encapsulated data is checked
frame by frame in :mod:`viewer.dicomio.codestream`.
"""

from __future__ import annotations

from viewer.records import PixelFormat

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
#: Transfer syntaxes whose pixel data is plain (not encapsulated) bytes.
NATIVE_SYNTAXES = frozenset({IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED_LE})
#: Values of SamplesPerPixel the standard knows (grey, colour, retired CMYK/ARGB).
_SAMPLES = (1, 3, 4)


def encapsulation_problem(transfer_syntax: str, encapsulated: bool) -> str | None:
    """Why the Pixel Data element's form (encapsulated: undefined length, in items) contradicts the file's transfer
    syntax, or None (PS3.5 A.4: a compressed syntax's pixel data is encapsulated, a native one's is not). Such a file
    was indexed into its stack and failed the whole stack at load, naming only itself."""
    if not transfer_syntax:
        return None
    if transfer_syntax in NATIVE_SYNTAXES and encapsulated:
        return (f"pixel data encapsulated (compressed) under the native transfer syntax {transfer_syntax}: the file "
                "contradicts its transfer syntax")
    if transfer_syntax not in NATIVE_SYNTAXES and not encapsulated:
        return (f"transfer syntax {transfer_syntax} needs encapsulated pixel data, the file holds it unencapsulated: "
                "the file contradicts its transfer syntax")
    return None


def pixel_format_problem(fmt: PixelFormat) -> str | None:
    """Why the pixel module cannot describe real pixels, or None."""
    if fmt.bits_allocated == 0 or fmt.bits_allocated > 64:
        return f"BitsAllocated {fmt.bits_allocated} is not a pixel size"
    if fmt.bits_stored > fmt.bits_allocated:
        return (f"BitsStored {fmt.bits_stored} is greater than BitsAllocated {fmt.bits_allocated}:"
                " the pixel module contradicts itself")
    if fmt.samples_per_pixel not in _SAMPLES:
        return f"SamplesPerPixel {fmt.samples_per_pixel} is not 1 or 3"
    if fmt.pixel_representation not in (0, 1):
        return f"PixelRepresentation {fmt.pixel_representation} is neither 0 (unsigned) nor 1 (signed)"
    return None


def frame_values(fmt: PixelFormat) -> int:
    """Samples in one frame (rows x columns x samples per pixel)."""
    return fmt.rows * fmt.columns * fmt.samples_per_pixel


def native_nbytes(fmt: PixelFormat) -> int:
    """Bytes of native pixel data all frames need (1-bit data is packed, PS3.5 8.1.1)."""
    values = frame_values(fmt) * fmt.number_of_frames
    if fmt.bits_allocated == 1:
        return (values + 7) // 8
    return values * ((fmt.bits_allocated + 7) // 8)
