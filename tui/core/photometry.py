"""Simple aperture photometry: one image, one pixel region, validated inputs -> one row (SPEC formulas).

Only the region's bounding box is read from the image, so memory-mapped files stay on disk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import astropy.units as u
import regions as rg
from astropy.time import Time

from tui.core import quality
from tui.core.errors import PhotometryError
from tui.core.images import Image
from tui.core.inputs import Inputs
from tui.core.masks import on_image_mask

ARCSEC_TO_RAD = math.pi / 648000.0


def is_per_steradian(unit) -> bool:
    """Whether sr is among a unit's bases, by name: `u.sr in unit.bases` compares by converting (slow), and an
    unpickled unit's bases are not the registry's own objects."""
    return unit is not None and any(getattr(base, "name", None) == "sr" for base in unit.bases)


def same_unit(a, b) -> bool:
    """Unit equality, fast where it can be: units built alike (same scale, same base units, same powers) are equal,
    and only others go through astropy's comparison, which converts (about 10 us; a table row has some twenty)."""
    if a is b:
        return True
    try:
        if a.scale == b.scale and a.powers == b.powers and a.bases == b.bases:
            return True
    except AttributeError:
        pass
    return a == b

COLUMNS = (
    "id", "xcenter", "ycenter", "sky_center", "background", "npix", "aperture_sum", "pixarea_tot",
    "aperture_sum_counts", "aperture_sum_counts_err", "counts_fac", "aperture_sum_mag", "flux_scaling",
    "mean", "stddev", "median", "min", "max", "data_label", "subset_label", "timestamp",
)
# Beyond Imviz, after its 21 columns. Never None (NaN, 0 or text instead), so that rows with and without an
# error array or a background region still share one table: the compatibility rule judges the 21 alone.
EXTENDED = ("aperture_sum_err", "npix_bad", "snr", "background_err", "background_npix", "background_stat")
ALL_COLUMNS = COLUMNS + EXTENDED
# How a background region becomes one value: the name used on the command line -> the name recorded in rows.
BACKGROUND_STATS = {"median": "median", "sigma-clip": "sigma-clipped median"}
TYPED_BACKGROUND = "value"


@dataclass(frozen=True)
class Background:
    """The background level and, when it comes from a region, how well that region pins it down."""

    value: float
    err: float = math.nan  # standard error of the estimate: sqrt(pi/2) * std / sqrt(npix) for a median
    npix: int = 0
    std: float = math.nan  # scatter of one pixel
    stat: str = TYPED_BACKGROUND


def on_image(mask: rg.RegionMask | None, shape, what: str):
    """(image cutout slices, mask slices) of the part of the mask on the image."""
    large, small = (None, None) if mask is None else mask.get_overlap_slices(shape)
    if large is None:
        raise PhotometryError(f"{what} is outside the image")
    return large, small


def sum_weights(region: rg.PixelRegion, shape) -> rg.RegionMask | None:
    """The weights of the sum and npix on an image of `shape` (SPEC: exact; rectangles 32x32 subpixels)."""
    if isinstance(region, rg.RectanglePixelRegion):
        return on_image_mask(region, shape, "subpixels", 32)
    return on_image_mask(region, shape, "exact")


def center_values(image: Image, region: rg.PixelRegion, what: str, dq_flags: int | None = None,
                  known_bad: tuple | None = None) -> np.ndarray:
    """Data values (float64) of on-image pixels whose centre lies in the region; bad pixels are NaN.

    `known_bad`: (slices, bad) already worked out for the same cutout, so DQ is not read twice.
    """
    mask = on_image_mask(region, image.shape, "center")
    large, small = on_image(mask, image.shape, what)
    inside = mask.data[small] > 0
    cutout = image.data[large]
    values = cutout[inside].astype(np.float64)
    if image.dq is not None or image.mask is not None:
        if known_bad is not None and known_bad[0] == large:
            bad = known_bad[1]
        else:
            bad = quality.bad_pixels(image, large, cutout, dq_flags)
        values[bad[inside]] = math.nan
    return values


def background_estimate(image: Image, region: rg.PixelRegion, what: str, stat: str = "median",
                        dq_flags: int | None = None) -> Background:
    """Background from a region: the median (or 3-sigma clipped median) of its good centre-mode pixels."""
    values = center_values(image, region, what, dq_flags)
    values = values[np.isfinite(values)]
    if stat == "sigma-clip":
        from astropy.stats import sigma_clip

        values = sigma_clip(values, sigma=3.0, masked=False)  # axis=None: the values kept
    elif stat != "median":
        raise PhotometryError(f"background statistic must be one of {', '.join(BACKGROUND_STATS)}, not {stat!r}")
    if values.size == 0:
        raise PhotometryError(f"{what} holds no valid pixels on {image.label}")
    n = int(values.size)
    std = float(np.std(values))
    # The standard error of a median of n normal samples is sqrt(pi/2) times that of their mean.
    return Background(float(np.median(values)), math.sqrt(math.pi / 2) * std / math.sqrt(n), n, std,
                      BACKGROUND_STATS[stat])


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


@np.errstate(over="ignore")  # an overflow is refused by name below, not printed as a NumPy warning
def measure(image: Image, region: rg.PixelRegion, inputs: Inputs, subset_label: str,
            background: Background | None = None, dq_flags: int | None = None) -> dict:
    """One result row without its id. `inputs` must be validated (floats); `background`, when it came from a
    region, carries that region's estimate (its value is inputs.background)."""
    what = f"{subset_label} on {image.label}"
    bg = float(inputs.background)
    background = background or Background(bg)
    weights = sum_weights(region, image.shape)
    large, small = on_image(weights, image.shape, what)
    w = weights.data[small]
    # float64 before any arithmetic: float32 data minus a Python float stays float32 under NumPy 2.
    cutout = image.data[large].astype(np.float64)
    covered = w > 0
    if not covered.any():
        raise PhotometryError(f"{what} is outside the image")
    npix = float(w.sum())  # bad pixels count: the reference treats NaN as 0, not as absent
    bad = quality.bad_pixels(image, large, cutout, dq_flags)
    good = covered & ~bad
    rawsum = float(np.sum(w * (cutout - bg), where=good))
    npix_bad = int(np.count_nonzero(covered & bad))

    mean, std, median, vmin, vmax = _stats(center_values(image, region, what, dq_flags, (large, bad)) - bg)

    unit = image.unit
    per_sr = is_per_steradian(unit)
    area = float(inputs.pixel_area)
    c = float(inputs.counts_factor)
    f = float(inputs.flux_scaling)

    raw_err = math.sqrt(_raw_variance(image, large, w, good, rawsum, unit, c, background))
    if per_sr and area > 0:
        omega = area * ARCSEC_TO_RAD**2
        aperture_sum = _q(rawsum * omega, unit * u.sr)
        aperture_sum_err = _q(raw_err * omega, unit * u.sr)
        pixarea_tot = _q(npix * omega, u.sr)
    else:
        aperture_sum = _q(rawsum, unit)
        aperture_sum_err = _q(raw_err, unit)
        pixarea_tot = None

    counts = counts_err = counts_fac = None
    if unit is not None and not same_unit(unit, u.count) and c > 0:
        n = rawsum / c
        counts = _q(n, u.count)
        counts_err = _q(math.sqrt(n) if n >= 0 else math.nan, u.count)
        counts_fac = _q(c, unit / u.count)

    mag = scaling = None
    if f > 0:
        ratio = rawsum / f
        mag = _q(-2.5 * math.log10(ratio) if ratio > 0 else math.nan, u.mag)
        scaling = _q(f, unit)

    _refuse_overflow(what, inputs, rawsum, (mean, std, median, vmin, vmax), aperture_sum, pixarea_tot, counts, mag)
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
        "aperture_sum_err": aperture_sum_err,
        "npix_bad": npix_bad,
        "snr": rawsum / raw_err if raw_err > 0 else math.nan,
        "background_err": _q(background.err, unit),
        "background_npix": background.npix,
        "background_stat": background.stat,
    }


def _refuse_overflow(what: str, inputs: Inputs, rawsum: float, stats, aperture_sum, pixarea_tot, counts, mag):
    """An input that drives a result to infinity is refused by name, rather than giving an inf nobody explains."""
    from tui.core.inputs import FIELD_TITLES

    def infinite(*values) -> bool:
        return any(v is not None and math.isinf(float(getattr(v, "value", v))) for v in values)

    culprit = column = None
    if infinite(rawsum, *stats):
        if not inputs.background:
            raise PhotometryError(f"the data in {what} are too large: their sum overflows to infinity")
        culprit, column = "background", "the background-subtracted values"
    elif infinite(aperture_sum, pixarea_tot):
        culprit, column = "pixel_area", "aperture_sum"
    elif infinite(counts):
        culprit, column = "counts_factor", "aperture_sum_counts"
    elif infinite(mag):
        culprit, column = "flux_scaling", "aperture_sum_mag"
    if culprit is not None:
        raise PhotometryError(f"{FIELD_TITLES[culprit]}: {getattr(inputs, culprit):g} makes {column} of {what} "
                              f"overflow to infinity; check the value")


def _raw_variance(image: Image, large, w, good, rawsum: float, unit, c: float, background: Background) -> float:
    """Variance of rawsum: sum of w^2 sigma^2 over good pixels with an error array; else what is known (Poisson on
    counts, the background region's pixel scatter over the aperture), or NaN when nothing is."""
    if image.uncertainty is not None:
        var = image.uncertainty.variance(large)
        total = float(np.sum(w * w * var, where=good))
        # A NaN sigma on a good pixel is rare: test for it only when the sum shows one.
        return total if math.isfinite(total) else float(np.sum(w * w * var, where=good & np.isfinite(var)))
    total, known = 0.0, False
    if unit is not None and not same_unit(unit, u.count) and c > 0:
        total += rawsum * c if rawsum >= 0 else math.nan  # (c * sqrt(counts))^2, counts = rawsum / c
        known = True
    if math.isfinite(background.std):
        total += float(np.sum(w * w, where=good)) * background.std**2
        known = True
    return total if known else math.nan


def with_extended(row: dict) -> dict:
    """A row recorded before the extended columns existed (an old journal), with them filled as unknown."""
    if "aperture_sum_err" in row:
        return row
    total = row["aperture_sum"]
    nan_like = lambda ref: math.nan if not isinstance(ref, u.Quantity) else u.Quantity(math.nan, ref.unit)
    return {**row, "aperture_sum_err": nan_like(total), "npix_bad": 0, "snr": math.nan,
            "background_err": nan_like(row["background"]), "background_npix": 0,
            "background_stat": TYPED_BACKGROUND}


def damage_warning(row: dict, named: bool = True) -> str | None:
    """What the user must be told when bad pixels inside the aperture left their flux out of the sum.

    `named=False` leaves out which aperture on which image, for a place that already says it."""
    n = row.get("npix_bad", 0)
    if not n:
        return None
    pixels = "1 pixel" if n == 1 else f"{n} pixels"
    verb = "is" if n == 1 else "are"
    text = f"{pixels} inside the aperture {verb} NaN or flagged (saturated core?); the sum misses their flux."
    return f"{row['subset_label']} on {row['data_label']}: {text}" if named else text


def region_center(region: rg.PixelRegion) -> tuple[float, float]:
    if hasattr(region, "center"):
        return float(region.center.x), float(region.center.y)
    # Polygons have no centre: the mean of the vertices stands in.
    return float(np.mean(region.vertices.x)), float(np.mean(region.vertices.y))
