"""Diffusion b-value from every place scanners put it (s/mm², values below 1 mean b0).

Order of trust: the standard DiffusionBValue (0018,9087); Siemens private B_value (0019,xx0C,
creator ``SIEMENS MR HEADER``); the Siemens CSA image header (0029,xx10) element ``B_value``;
GE (0043,xx39) first value (creator ``GEMS_PARM_01``; read by tag number when the creator is
missing and the element came through as UN, as in ../shared/realdicom/ge_adc_map); Philips
(2001,xx03) (creator ``Philips Imaging DD 001``); last, a Siemens SequenceName such as
``*ep_b800t``. Vendor values of 0 count only on images that look like diffusion, because
Philips and GE fill those tags with 0 on every MR image.
"""

from __future__ import annotations

import math
import re
import struct

from viewer.dicomio.attrs import Attrs, parse_numbers

#: One b-value in a Siemens sequence name: *ep_b800t, *ep_b0, *re_b1000t, *ep_b1000#1 (not *ep_b0_800).
_SEQ_NAME_B = re.compile(r"\*?[a-z0-9]+_b(\d+)(?:t|#\d*)?", re.IGNORECASE)
#: GE writes some b-values as 1e9 + b (dcm2niix documents the same correction).
_GE_OFFSET = 1_000_000_000


def private_tag(attrs: Attrs, group: int, creator: str, element: int, default_block: int | None = None) -> int | None:
    """Tag number of private ``element`` (low byte) of ``creator`` in ``group``.

    Private creators reserve a block (gggg,00xx) -> elements (gggg,xxNN) (PS3.5 7.8.1). When no
    creator element matches, ``default_block`` (the block scanners normally use) is returned
    only if that block has no creator at all (the element was stored without one).
    """
    block = attrs.creators(group).get(creator.strip().upper())
    if block is not None:
        return (group << 16) | (block << 8) | element
    if default_block is not None and not attrs.has((group << 16) | default_block):
        return (group << 16) | (default_block << 8) | element
    return None


def csa_element(data: bytes, name: str) -> str | None:
    """First value of element ``name`` in a Siemens CSA header (SV10 or CSA1 layout), or None."""
    try:
        pos = 8 if data[:4] == b"SV10" else 0
        n_tags = struct.unpack_from("<I", data, pos)[0]
        if not 0 < n_tags <= 1000:
            return None
        pos += 8
        for _ in range(n_tags):
            tag_name = data[pos:pos + 64].split(b"\x00", 1)[0].decode("latin-1")
            n_items = struct.unpack_from("<i", data, pos + 76)[0]
            pos += 84
            if not 0 <= n_items <= 1000:
                return None
            first: str | None = None
            for i in range(n_items):
                item_len = struct.unpack_from("<i", data, pos + 4)[0]
                pos += 16
                if i == 0 and item_len > 0:
                    first = data[pos:pos + item_len].split(b"\x00", 1)[0].decode("latin-1").strip()
                pos += (item_len + 3) // 4 * 4
            if tag_name == name:
                return first or None
    except (struct.error, UnicodeDecodeError):
        return None
    return None


def _looks_like_diffusion(attrs: Attrs) -> bool:
    text = " ".join(filter(None, (attrs.text(t) for t in (0x00080008, 0x0008103E, 0x00181030, 0x00180024)))).upper()
    scanning = (attrs.text(0x00180020) or "").upper()
    return "EP" in scanning.split("\\") or any(k in text for k in ("DIFF", "DWI", "DTI", "TENSOR", "TRACE", "ADC",
                                                                    "EP_B", "EPB"))


def _clean(b: float) -> float:
    return 0.0 if b < 1 else float(b)


def b_value(attrs: Attrs, modality: str, manufacturer: str) -> tuple[float | None, str | None]:
    """The image's b-value in s/mm² and which tag gave it; (None, None) when none does (or when
    the value found is not a finite number)."""
    b, source = _b_value(attrs, modality, manufacturer)
    if b is None or not math.isfinite(b):
        return None, None
    return b, source


def _b_value(attrs: Attrs, modality: str, manufacturer: str) -> tuple[float | None, str | None]:
    std = attrs.float64(0x00189087)
    if std is not None:
        return _clean(std), "DiffusionBValue (0018,9087)"
    if modality != "MR":
        return None, None
    maker = manufacturer.upper()
    diffusion = None  # computed lazily: only vendor zeros need it

    def accept(b: float) -> bool:
        nonlocal diffusion
        if b >= 1:
            return True
        if diffusion is None:
            diffusion = _looks_like_diffusion(attrs)
        return diffusion

    if "SIEMENS" in maker or attrs.text(0x00190010) is not None:
        tag = private_tag(attrs, 0x0019, "SIEMENS MR HEADER", 0x0C)
        nums = parse_numbers(attrs.text(tag)) if tag else None
        if nums and accept(nums[0]):
            return _clean(nums[0]), "Siemens B_value (0019,100C)"
        tag = private_tag(attrs, 0x0029, "SIEMENS CSA HEADER", 0x10)
        data = attrs.raw(tag) if tag else None
        if data:
            nums = parse_numbers(csa_element(data, "B_value"))
            if nums and accept(nums[0]):
                return _clean(nums[0]), "Siemens CSA header B_value (0029,1010)"
    if "GE" in maker.split() or "GE MEDICAL" in maker or attrs.has(0x00431039):
        tag = private_tag(attrs, 0x0043, "GEMS_PARM_01", 0x39, default_block=0x10)
        nums = parse_numbers(attrs.text(tag)) if tag else None
        if nums:
            b = nums[0] - _GE_OFFSET if nums[0] >= _GE_OFFSET else nums[0]
            if accept(b):
                return _clean(b), "GE private (0043,1039) first value"
    if "PHILIPS" in maker or attrs.text(0x20010010) is not None:
        tag = private_tag(attrs, 0x2001, "Philips Imaging DD 001", 0x03)
        philips_b = attrs.float32(tag) if tag else None
        if philips_b is not None and philips_b == philips_b and accept(philips_b):
            return _clean(philips_b), "Philips private (2001,1003)"
    seq = attrs.text(0x00180024) or ""
    m = _SEQ_NAME_B.fullmatch(seq)
    if m and ("SIEMENS" in maker or seq.startswith("*")):
        return _clean(float(m.group(1))), f"Siemens SequenceName {seq}"
    return None, None
