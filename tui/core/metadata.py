"""Auto-fill rules for pixel area, counts factor and flux scaling (SPEC "Auto-fill")."""

from __future__ import annotations

import math
from dataclasses import dataclass

import astropy.units as u
from astropy.wcs.utils import proj_plane_pixel_area

from tui.core.images import Image

ARCSEC2_PER_SR = (648000.0 / math.pi) ** 2
RESET = "reset: no metadata"

# Nominal pixel areas (arcsec^2) of HST detectors, used when nothing better is known.
HST_PIXEL_AREAS = {
    ("ACS", "WFC"): 0.0025,
    ("ACS", "HRC"): 0.0007,
    ("ACS", "SBC"): 0.00102,
    ("WFC3", "UVIS"): 0.0016,
    ("WFC3", "IR"): 0.0164,
}
MJY_SR = u.MJy / u.sr
ELECTRON_S = u.electron / u.s


@dataclass(frozen=True)
class Filled:
    """An auto-filled value (0.0 when reset) and where it came from."""

    value: float
    source: str


def _positive(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def pixel_area(image: Image) -> Filled:
    if (value := _positive(image.keyword("PIXAR_A2"))) is not None:
        return Filled(value, "from PIXAR_A2")
    if (value := _positive(image.keyword("PIXAR_SR"))) is not None:
        return Filled(value * ARCSEC2_PER_SR, "from PIXAR_SR")
    if image.wcs is not None:
        area_deg2 = proj_plane_pixel_area(image.wcs)  # at the reference pixel
        if (value := _positive(area_deg2 * 3600.0**2)) is not None:
            return Filled(value, "from WCS")
    instrument = str(image.keyword("INSTRUME") or "").strip().upper()
    detector = str(image.keyword("DETECTOR") or "").strip().upper()
    if (instrument, detector) in HST_PIXEL_AREAS:
        return Filled(HST_PIXEL_AREAS[(instrument, detector)], f"from {instrument}/{detector} nominal")
    return Filled(0.0, RESET)


def _same_unit(unit, target) -> bool:
    return unit is not None and unit.is_equivalent(target) and unit.to(target) == 1.0


def counts_factor(image: Image) -> Filled:
    if _same_unit(image.unit, MJY_SR):
        photmjsr = _positive(image.keyword("PHOTMJSR"))
        # A plane of a cube of integrations (_calints) is one integration's rate: its counts are the rate times
        # EFFINTTM. EFFEXPTM, the whole exposure's time, would count every integration in each plane.
        for key in ("EFFINTTM",) if image.plane is not None else ("EFFEXPTM", "EXPTIME"):
            exptime = _positive(image.keyword(key))
            if photmjsr is not None and exptime is not None:
                return Filled(photmjsr / exptime, f"from PHOTMJSR/{key}")
    if _same_unit(image.unit, ELECTRON_S):
        if (exptime := _positive(image.keyword("EXPTIME"))) is not None:
            return Filled(1.0 / exptime, "from 1/EXPTIME")
    return Filled(0.0, RESET)


def flux_scaling(image: Image, area: Filled) -> Filled:
    """AB zero point in the data unit, so magnitudes come out AB."""
    if _same_unit(image.unit, MJY_SR) and area.value > 0:
        omega = area.value / ARCSEC2_PER_SR
        return Filled(0.003631 / omega, "from pixel area (AB)")
    if _same_unit(image.unit, ELECTRON_S):
        photflam = _positive(image.keyword("PHOTFLAM"))
        photplam = _positive(image.keyword("PHOTPLAM"))
        if photflam is not None and photplam is not None:
            zp = -2.5 * math.log10(photflam) - 5 * math.log10(photplam) - 2.408
            return Filled(10 ** (0.4 * zp), "from PHOTFLAM/PHOTPLAM")  # an AB zero point, as every flux scaling here
    return Filled(0.0, RESET)


def autofill(image: Image) -> dict[str, Filled]:
    area = pixel_area(image)
    return {
        "pixel_area": area,
        "counts_factor": counts_factor(image),
        "flux_scaling": flux_scaling(image, area),
    }
