"""Simple aperture photometry: one image, one pixel region, validated inputs -> one row (SPEC formulas).

Only the region's bounding box is read from the image, so memory-mapped files stay on disk.
"""

from __future__ import annotations

import math

import numpy as np
import astropy.units as u
import regions as rg
from astropy.time import Time

from tui.core.errors import PhotometryError
from tui.core.images import Image
from tui.core.inputs import Inputs

ARCSEC_TO_RAD = math.pi / 648000.0

COLUMNS = (
    "id", "xcenter", "ycenter", "sky_center", "background", "npix", "aperture_sum", "pixarea_tot",
    "aperture_sum_counts", "aperture_sum_counts_err", "counts_fac", "aperture_sum_mag", "flux_scaling",
    "mean", "stddev", "median", "min", "max", "data_label", "subset_label", "timestamp",
)


def _on_image(mask: rg.RegionMask, shape, what: str):
    """(image cutout slices, mask slices) of the part of the mask on the image."""
    large, small = mask.get_overlap_slices(shape)
    if large is None:
        raise PhotometryError(f"{what} is outside the image")
    return large, small


def sum_weights(region: rg.PixelRegion) -> rg.RegionMask:
    if isinstance(region, rg.RectanglePixelRegion):
        return region.to_mask(mode="subpixels", subpixels=32)
    return region.to_mask(mode="exact")


def center_values(image: Image, region: rg.PixelRegion, what: str) -> np.ndarray:
    """Data values (float64) of on-image pixels whose centre lies in the region (NaN kept)."""
    mask = region.to_mask(mode="center")
    large, small = _on_image(mask, image.shape, what)
    return image.data[large][mask.data[small] > 0].astype(np.float64)


def region_median(image: Image, region: rg.PixelRegion, what: str) -> float:
    """Background from a region: nanmedian of the raw data at centre-mode pixels."""
    values = center_values(image, region, what)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise PhotometryError(f"{what} holds no valid pixels on {image.label}")
    return float(np.median(values))


def _stats(values: np.ndarray) -> tuple[float, float, float, float, float]:
    """mean, population stddev, median, min, max of the finite values.

    One partition places min, median and max (linear time, like np.median); the sums are done as NumPy's mean
    and std do them. The numbers are identical, but small apertures skip several calls' overhead.
    """
    values = values[np.isfinite(values)]
    n = values.size
    if n == 0:
        return (math.nan,) * 5
    mean = values.sum() / n  # in the data's order: pairwise summation depends on it
    dev = values - mean
    mid = n // 2
    ranked = np.partition(values, sorted({0, max(mid - 1, 0), mid, n - 1}))
    median = ranked[mid] if n % 2 else (ranked[mid - 1] + ranked[mid]) / 2
    return float(mean), float(np.sqrt(np.sum(dev * dev) / n)), float(median), float(ranked[0]), float(ranked[-1])


def _q(value: float | None, unit):
    """Attach a unit, or leave a plain float for unitless data; None stays None."""
    if value is None or unit is None:
        return value
    return u.Quantity(value, unit)  # half the cost of value * unit, and rows are built per aperture


def measure(image: Image, region: rg.PixelRegion, inputs: Inputs, subset_label: str) -> dict:
    """One result row without its id. `inputs` must be validated (floats)."""
    what = f"{subset_label} on {image.label}"
    bg = float(inputs.background)
    weights = sum_weights(region)
    large, small = _on_image(weights, image.shape, what)
    w = weights.data[small]
    # float64 before any arithmetic: float32 data minus a Python float stays float32 under NumPy 2.
    cutout = image.data[large].astype(np.float64)
    covered = w > 0
    if not covered.any():
        raise PhotometryError(f"{what} is outside the image")
    npix = float(w.sum())  # NaN pixels count: the reference treats them as 0, not as absent
    finite = np.isfinite(cutout)
    rawsum = float(np.sum(w * (cutout - bg), where=finite & covered))

    mean, std, median, vmin, vmax = _stats(center_values(image, region, what) - bg)

    unit = image.unit
    per_sr = unit is not None and u.sr in unit.bases
    area = float(inputs.pixel_area)
    c = float(inputs.counts_factor)
    f = float(inputs.flux_scaling)

    if per_sr and area > 0:
        omega = area * ARCSEC_TO_RAD**2
        aperture_sum = _q(rawsum * omega, unit * u.sr)
        pixarea_tot = _q(npix * omega, u.sr)
    else:
        aperture_sum = _q(rawsum, unit)
        pixarea_tot = None

    counts = counts_err = counts_fac = None
    if unit is not None and unit != u.count and c > 0:
        n = rawsum / c
        counts = _q(n, u.count)
        counts_err = _q(math.sqrt(n) if n >= 0 else math.nan, u.count)
        counts_fac = _q(c, unit / u.count)

    mag = scaling = None
    if f > 0:
        ratio = rawsum / f
        mag = _q(-2.5 * math.log10(ratio) if ratio > 0 else math.nan, u.mag)
        scaling = _q(f, unit)

    x, y = region_center(region)
    sky = image.wcs.pixel_to_world(x, y) if image.wcs is not None else None
    return {
        "xcenter": _q(x, u.pix),
        "ycenter": _q(y, u.pix),
        "sky_center": sky,
        "background": _q(bg, unit),
        "npix": _q(npix, u.pix),
        "aperture_sum": aperture_sum,
        "pixarea_tot": pixarea_tot,
        "aperture_sum_counts": counts,
        "aperture_sum_counts_err": counts_err,
        "counts_fac": counts_fac,
        "aperture_sum_mag": mag,
        "flux_scaling": scaling,
        "mean": _q(mean, unit),
        "stddev": _q(std, unit),
        "median": _q(median, unit),
        "min": _q(vmin, unit),
        "max": _q(vmax, unit),
        "data_label": image.label,
        "subset_label": subset_label,
        "timestamp": Time.now(),
    }


def region_center(region: rg.PixelRegion) -> tuple[float, float]:
    if hasattr(region, "center"):
        return float(region.center.x), float(region.center.y)
    # Polygons have no centre: the mean of the vertices stands in.
    return float(np.mean(region.vertices.x)), float(np.mean(region.vertices.y))
