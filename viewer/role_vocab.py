"""Words scanners and technologists use for sequences and contrast phases (EN/FR/vendor).

Text is normalised first (:func:`normalise`): accents dropped, lower case, every run of
non-alphanumerics a single space, padded with spaces, so patterns match whole words.
Each pattern is a regular expression on that text. Deliberately absent: ``dce`` (a dynamic
series of any kind, MANIFEST ge_adc_map has it in the protocol of an ADC map) and ``tra``
(an axial *prescription name* is not the orientation; MANIFEST siemens_dwi is coronal).
Philips names carry an ``s`` (SENSE) prefix: ``sT2W/SPIR``, ``sT1W_3D_FFE``.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum


def normalise(text: str) -> str:
    """'T1_VIBE artériel (PV)' -> ' t1 vibe arteriel pv '."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").lower()
    return " " + " ".join(re.split(r"[^a-z0-9]+", plain)).strip() + " "


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])")


class Phase(str, Enum):
    """Contrast phase named in a description."""

    PRE = "pre"
    ARTERIAL = "arterial"
    PORTAL = "portal"
    DELAYED = "delayed"


PHASE_WORDS: dict[Phase, re.Pattern[str]] = {
    Phase.PRE: _rx(r"pre", r"precontrast", r"pre contrast", r"pre inj\w*", r"pre gado", r"native?",
                   r"sans inj\w*", r"sans contraste?", r"sans iv", r"ss inj\w*", r"non inj\w*", r"avant inj\w*",
                   r"non ?contrast", r"non enhanced", r"unenhanced", r"without contrast", r"w o", r"wo",
                   r"no contrast", r"plain", r"nc", r"basal", r"blanc"),
    Phase.ARTERIAL: _rx(r"art\w*", r"ap", r"lap", r"eap", r"early", r"precoce", r"hepatic art\w*", r"aterial"),
    Phase.PORTAL: _rx(r"portal\w*", r"portale", r"porto\w*", r"pv", r"pvp", r"vp", r"tps portal",
                      r"veineu\w*", r"venous", r"ven", r"veinous", r"hepatic venous"),
    Phase.DELAYED: _rx(r"tardi\w*", r"delay\w*", r"late", r"equilibr\w*", r"transitional", r"hbp",
                       r"hepatobiliar\w*", r"hepato biliar\w*", r"\d{1,2} ?mn", r"\d{1,2} ?min\w*"),
}
#: "c" alone (C- / C+) is read only with its sign, from the raw text.
CONTRAST_SIGN = re.compile(r"(?<![a-z0-9])c\s*([+-])(?![a-z0-9+-])", re.IGNORECASE)
#: "late arterial" / "arterielle tardive": an arterial phase, not a delayed one.
LATE_ARTERIAL = re.compile(r"(?:late|tardi\w*) art|art\w* (?:late|tardi\w*)")
#: '70s', '35 sec': seconds after injection.
SECONDS = re.compile(r"(?<![a-z0-9])(\d{2,3}) ?(?:s|sec|secs|seconds?)(?![a-z0-9])")

ADC = _rx(r"adc", r"dadc", r"apparent diffusion\w*", r"apparent diff", r"coefficient de diffusion", r"adc map")
EXP_ADC = _rx(r"eadc", r"exp adc", r"exponential\w*")
DWI = _rx(r"s?dwi", r"dwis", r"diff\w*", r"ep2d diff", r"resolve", r"dwibs", r"b\d{2,4}", r"trace\w*",
          r"iso ?dwi", r"zoomit", r"s?dti\w*", r"tensor\w*")
SUBTRACTION = _rx(r"sub", r"subs", r"subt\w*", r"soustr\w*", r"subtr\w*", r"dsub")
PROJECTION = _rx(r"mip", r"minip", r"mpr", r"vr", r"vrt", r"3d vr", r"mip\w*", r"volume render\w*", r"cinematic")
#: Dual-energy CT maps: what they show is a material, not the phase's attenuation.
MATERIAL_MAP = _rx(r"iodine\w*", r"iode", r"iodo", r"material\w*", r"zeff", r"effective z", r"electron density")
#: Diffusion tensor maps named as such (a colour FA map is no diffusion image).
FA_MAP = _rx(r"colfa", r"col fa", r"fa map", r"fractional anisotropy", r"fa color", r"color fa")
T2 = _rx(r"s?t2", r"s?t2w", r"t2wi", r"t2 \w*", r"haste", r"ssfse", r"ss fse", r"sshfse", r"frfse", r"single shot",
         r"ssh", r"sstse", r"mvxd", r"stir", r"tirm")
T2_WEAK = _rx(r"tse", r"fse", r"blade", r"propeller", r"space")
FAT_SAT = _rx(r"fs", r"fatsat", r"fat sat\w*", r"fsat", r"fat sup\w*", r"fatsup", r"fat saturation",
              r"fat suppress\w*", r"spair", r"spir", r"stir", r"tirm", r"sat graisse", r"saturation graisse",
              r"suppression graisse", r"water", r"dixon w", r"w dixon", r"fs\d*")
T1 = _rx(r"s?t1", r"s?t1w", r"t1wi", r"3d ffe", r"vibe", r"starvibe", r"lava", r"lava flex", r"thrive", r"e thrive", r"ethrive",
         r"fl3d", r"t1 fl3d", r"fame", r"twist", r"disco", r"spgr", r"fspgr", r"flash", r"quick 3d", r"3d gre",
         r"gre 3d", r"bravo", r"mdixon t1", r"liver acquisition")
IN_OPPOSED = _rx(r"in phase", r"inphase", r"out phase", r"outphase", r"opp\w*", r"in opp\w*", r"ip op",
                 r"dual echo", r"chemical shift", r"in out")
DYNAMIC = _rx(r"dyn\w*", r"dynamique", r"multiphase", r"multi phase")
NOT_LIVER_CT = _rx(r"head", r"brain", r"crane", r"cerveau", r"neck", r"cou", r"sinus", r"rachis", r"spine")
#: A series named for the lungs (a lung-kernel reconstruction of a portal helix): not a liver series. Only a series'
#: own description: a study or protocol named for a lung cancer ("CT TAP - LUNG CANCER STAGING") is a liver study too.
LUNG_SERIES = _rx(r"lung\w*", r"poumons?", r"pulmo\w*")


def phase_of(norm: str, raw: str) -> tuple[Phase | None, str]:
    """The one contrast phase a text names, and how ("word", "seconds", "sign"); (None, "") if none or several."""
    found = {p for p, rx in PHASE_WORDS.items() if rx.search(norm)}
    if Phase.ARTERIAL in found and Phase.DELAYED in found and LATE_ARTERIAL.search(norm):
        found.discard(Phase.DELAYED)
    if len(found) == 1:
        return found.pop(), "word"
    if found:
        return None, ""
    m = SECONDS.search(norm)
    if m:
        s = int(m.group(1))
        if 15 <= s <= 50:
            return Phase.ARTERIAL, "seconds"
        if 50 < s <= 120:
            return Phase.PORTAL, "seconds"
        if 120 < s <= 900:
            return Phase.DELAYED, "seconds"
    sign = CONTRAST_SIGN.search(raw or "")
    if sign:
        return (Phase.PRE, "sign") if sign.group(1) == "-" else (None, "")
    return None, ""
