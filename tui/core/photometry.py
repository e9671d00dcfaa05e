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

from tui.core import quality, robust
from tui.core.errors import PhotometryError
from tui.core.images import Image
from tui.core.inputs import Inputs
from tui.core.footprint import Footprint, footprint, sum_mode
from tui.core.masks import on_image_mask
from tui.core.robust import middle

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
EXTENDED = ("aperture_sum_err", "npix_bad", "snr", "background_err", "background_npix", "background_stat",
            *robust.EXTRA)
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
    return on_image_mask(region, shape, *sum_mode(region))


def center_values(image: Image, region: rg.PixelRegion, what: str, dq_flags: int | None = None) -> np.ndarray:
    """Data values (float64) of on-image pixels whose centre lies in the region; bad pixels are NaN."""
    fp = footprint(region, image.shape, weights=False)
    if fp is None:
        raise PhotometryError(f"{what} is outside the image")
    values = fp.take(image.data[fp.large], np.float64)
    marked = quality.flagged(image, lambda array: fp.take(array[fp.large]), dq_flags)
    if marked is not None:
        values[marked] = math.nan
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


@dataclass
class Sample:
    """A footprint's pixels read from an image: all one measurement needs, and nothing the size of its box."""

    footprint: Footprint
    values: np.ndarray  # the good centre-mode values, in the data's own (native) type, row-major
    good: np.ndarray | None  # which centre-mode pixels those are; None: all of them
    edge_values: np.ndarray  # float64, every edge pixel
    edge_good: np.ndarray
    total: float  # sum of values - bg, in float64, as NumPy sums a contiguous array (pairwise)
    shifted: np.ndarray  # values - bg in float64; overwritten by _stats


# A signalling NaN (bytes an odd writer or a damaged file left: NumPy's own NaN is quiet) is a NaN pixel, but its
# cast to float64 raises IEEE's "invalid", which NumPy would print as a RuntimeWarning: each function that casts
# pixels ignores it (this one for every aperture, profiles' and the light curve's for theirs).
@np.errstate(invalid="ignore")
def read(image: Image, fp: Footprint, bg: float, dq_flags: int | None) -> Sample:
    cutout = image.data[fp.large]
    values = fp.take(cutout, cutout.dtype.newbyteorder("="))
    edge_values = fp.at_edges(cutout).astype(np.float64)
    edge_good = np.isfinite(edge_values)
    good = None
    marked = quality.flagged(image, lambda array: fp.take(array[fp.large]), dq_flags)
    if marked is not None:
        edge_good &= ~quality.flagged(image, lambda array: fp.at_edges(array[fp.large]), dq_flags)
        good = np.isfinite(values) & ~marked
        if good.all():
            good = None
        else:
            values = values[good]
    shifted = np.subtract(values, bg, dtype=np.float64)
    total = shifted.sum()
    # One finite test for the common case: the sum is finite only if every value is (or it overflowed).
    if good is None and not math.isfinite(total):
        finite = np.isfinite(values)
        if not finite.all():
            good, values, shifted = finite, values[finite], shifted[finite]
            total = shifted.sum()
    return Sample(fp, values, good, edge_values, edge_good, float(total), shifted)


def _stats(sample: Sample, bg: float) -> tuple[float, float, float, float, float, float]:
    """mean, population stddev, median, min, max and variance of the good centre-mode values minus bg: the
    numbers np.mean, np.std, np.median, np.min, np.max and np.var give on that float64 array, bit for bit.

    The order statistics are found in the data's own type (float32 partitions faster than float64): subtracting
    bg in float64 keeps their order, so they are the same elements. `sample.shifted` is left as it is.
    """
    values, shifted = sample.values, sample.shifted
    n = values.size
    if n == 0:
        return (math.nan,) * 6
    mean = sample.total / n
    deviations = shifted - mean
    np.multiply(deviations, deviations, out=deviations)
    var = float(deviations.sum()) / n
    low, high = float(values.min()) - bg, float(values.max()) - bg
    lower, upper = middle(values)
    median = upper - bg if n % 2 else ((lower - bg) + (upper - bg)) / 2
    return mean, math.sqrt(var), median, low, high, var


def extras(sample: Sample, stats) -> dict[str, float]:
    """The ten columns of the current Imviz plugin (robust statistics, moment shape), from the values read."""
    if not sample.values.size:
        return dict.fromkeys(robust.EXTRA, math.nan)
    mean, _, median, low, high, var = (np.float64(v) for v in stats)
    found = robust.robust(sample.shifted, median, mean, var, low, high)
    found.update(_shape(sample))
    return {name: float(value) for name, value in found.items()}


def _shape(sample: Sample) -> dict:
    fp = sample.footprint
    if fp.runs and sample.good is None:  # every pixel of a large circle: its rows' sums give the y moments
        moments = robust.run_moments(sample.shifted, sample.total, fp.run_columns(),
                                     fp.run_arrays[0].astype(np.float64), fp.run_offsets())
        return robust.shape_of(*moments)
    xs, ys = fp.coordinates()
    if sample.good is not None:
        xs, ys = np.extract(sample.good, xs), np.extract(sample.good, ys)
    return robust.shape(sample.shifted, np.float64(sample.total), xs, ys)


def moment_shape(image: Image, region: rg.PixelRegion, bg: float, what: str, dq_flags: int | None = None) -> dict:
    """fwhm, semimajor_axis, semiminor_axis, orientation and eccentricity from the image moments of the region's
    good centre-mode values minus bg (the numbers calculate's row holds), as floats; NaN for no good pixel."""
    sample = read(image, _footprint_on(image, region, what), bg, dq_flags)
    if not sample.values.size:
        return dict.fromkeys(robust.SHAPE, math.nan)
    return {name: float(value) for name, value in _shape(sample).items()}


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
    fp = _footprint_on(image, region, what)
    sample = read(image, fp, bg, dq_flags)
    rawsum, npix, npix_bad = sums(sample, bg)
    stats = _stats(sample, bg)
    extra = extras(sample, stats)
    stats = stats[:5]
    raw_err = math.sqrt(raw_variance(image, sample, rawsum, image.unit, float(inputs.counts_factor), background))
    one = lambda v: np.array([v], dtype=np.float64)
    columns = derived(one(rawsum), one(raw_err), one(npix), image.unit, inputs)
    refuse_overflow(what, inputs, rawsum, stats, columns, 0)
    x, y = region_center(region)
    row = {
        "xcenter": _q(x, u.pix),
        "ycenter": _q(y, u.pix),
        "sky_center": image.wcs.pixel_to_world(x, y) if image.wcs is not None else None,
        "background": _q(bg, image.unit),
        "npix": _q(npix, u.pix),
        **{name: None if col is None else _q(float(col[0][0]), col[1]) for name, col in columns.items()},
        "data_label": image.label,
        "subset_label": subset_label,
        "timestamp": Time.now(),
        "npix_bad": npix_bad,
        "background_err": _q(background.err, image.unit),
        "background_npix": background.npix,
        "background_stat": background.stat,
    }
    row.update(zip(STATS, (_q(v, image.unit) for v in stats)))
    row.update(extra_columns(extra, image.unit))
    return {name: row[name] for name in ALL_COLUMNS[1:]}


def extra_units(unit) -> dict:
    """The unit of each of the ten Imviz 5 columns for data in `unit` (None: unitless), as photutils gives them:
    the data unit (per-steradian data stay per steradian, like the mean), its square for the variances, pixels
    for the moment sizes, degrees for the orientation; the eccentricity is a plain number."""
    squared = None if unit is None else unit**2
    return {"mode": unit, "mad_std": unit, "var": squared, "biweight_location": unit,
            "biweight_midvariance": squared, "fwhm": u.pix, "semimajor_axis": u.pix, "semiminor_axis": u.pix,
            "orientation": u.deg, "eccentricity": None}


def extra_columns(values: dict, unit) -> dict:
    return {name: _q(values[name], column_unit) for name, column_unit in extra_units(unit).items()}


STATS = ("mean", "stddev", "median", "min", "max")


def derived(rawsum: np.ndarray, raw_err: np.ndarray, npix: np.ndarray, unit, inputs: Inputs) -> dict:
    """The columns SPEC computes from the sums, elementwise (one aperture or many, the same arithmetic):
    name -> (float64 values, unit or None), or None for a column these data and inputs leave empty."""
    area, c, f = float(inputs.pixel_area), float(inputs.counts_factor), float(inputs.flux_scaling)
    size = rawsum.size
    out = {}
    if is_per_steradian(unit) and area > 0:
        omega = area * ARCSEC_TO_RAD**2
        out["aperture_sum"] = (rawsum * omega, unit * u.sr)
        out["aperture_sum_err"] = (raw_err * omega, unit * u.sr)
        out["pixarea_tot"] = (npix * omega, u.sr)
    else:
        out["aperture_sum"], out["aperture_sum_err"], out["pixarea_tot"] = (rawsum, unit), (raw_err, unit), None
    out["aperture_sum_counts"] = out["aperture_sum_counts_err"] = out["counts_fac"] = None
    if unit is not None and not same_unit(unit, u.count) and c > 0:
        n = rawsum / c
        out["aperture_sum_counts"] = (n, u.count)
        with np.errstate(invalid="ignore"):
            out["aperture_sum_counts_err"] = (np.where(n >= 0, np.sqrt(n), math.nan), u.count)
        out["counts_fac"] = (np.full(size, c), unit / u.count)
    out["aperture_sum_mag"] = out["flux_scaling"] = None
    if f > 0:
        # math.log10, not np.log10: NumPy's vectorised log10 may differ from libm in the last bit.
        mags = [-2.5 * math.log10(ratio) if ratio > 0 else math.nan for ratio in (rawsum / f).tolist()]
        out["aperture_sum_mag"] = (np.array(mags, dtype=np.float64), u.mag)
        out["flux_scaling"] = (np.full(size, f), unit)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["snr"] = (np.where(raw_err > 0, rawsum / raw_err, math.nan), None)
    return out


def refuse_overflow(what: str, inputs: Inputs, rawsum: float, stats, columns: dict, k: int) -> None:
    """An input that drives a result to infinity is refused by name, rather than giving an inf nobody explains.
    `columns`: derived()'s, of which aperture `k` is this one."""
    from tui.core.inputs import FIELD_TITLES

    def infinite(*names) -> bool:
        return any(columns[n] is not None and math.isinf(columns[n][0][k]) for n in names)

    culprit = column = None
    if any(math.isinf(v) for v in (rawsum, *stats)):
        if not inputs.background:
            raise PhotometryError(f"the data in {what} are too large: their sum overflows to infinity")
        culprit, column = "background", "the background-subtracted values"
    elif infinite("aperture_sum", "pixarea_tot"):
        culprit, column = "pixel_area", "aperture_sum"
    elif infinite("aperture_sum_counts"):
        culprit, column = "counts_factor", "aperture_sum_counts"
    elif infinite("aperture_sum_mag"):
        culprit, column = "flux_scaling", "aperture_sum_mag"
    if culprit is not None:
        raise PhotometryError(f"{FIELD_TITLES[culprit]}: {getattr(inputs, culprit):g} makes {column} of {what} "
                              f"overflow to infinity; check the value")


def aperture_sum(image: Image, region: rg.PixelRegion, bg: float, what: str, dq_flags: int | None = None) -> float:
    """The raw weighted sum of the region's good values minus bg (what calculate's aperture_sum starts from)."""
    return sums(read(image, _footprint_on(image, region, what), bg, dq_flags), bg)[0]


def _footprint_on(image: Image, region: rg.PixelRegion, what: str) -> Footprint:
    fp = footprint(region, image.shape)
    if fp is None or not fp.covers_image:
        raise PhotometryError(f"{what} is outside the image")
    return fp


def sums(sample: Sample, bg: float) -> tuple[float, float, int]:
    """rawsum (weighted sum of good values - bg), npix (weights of every pixel: the reference counts NaN pixels)
    and the number of bad pixels the aperture covers."""
    fp, good = sample.footprint, sample.edge_good
    delta = fp.edge_weight - fp.edge_inside  # weight beyond the centre-mode weight, on edge pixels
    npix = fp.count + float(delta.sum())
    rawsum = sample.total + float(np.sum(delta[good] * (sample.edge_values[good] - bg)))
    bad_centre = 0 if sample.good is None else fp.count - sample.values.size
    npix_bad = bad_centre + int(np.count_nonzero(~good & ~fp.edge_inside & (fp.edge_weight > 0)))
    return rawsum, npix, npix_bad


def raw_variance(image: Image, sample: Sample, rawsum: float, unit, c: float, background: Background) -> float:
    """Variance of rawsum: sum of w^2 sigma^2 over good pixels with an error array; else what is known (Poisson on
    counts, the background region's pixel scatter over the aperture), or NaN when nothing is."""
    fp, good = sample.footprint, sample.edge_good
    extra = fp.edge_weight[good] ** 2 - fp.edge_inside[good]  # w^2 beyond the centre-mode weight
    if image.uncertainty is not None:
        pick = (lambda a: fp.take(a[fp.large])) if sample.good is None else \
            (lambda a: fp.take(a[fp.large])[sample.good])
        centre = image.uncertainty.variance(pick)
        edges = image.uncertainty.variance(lambda a: fp.at_edges(a[fp.large]))[good]
        total = float(centre.sum()) + float(np.sum(extra * edges))
        # A NaN sigma on a good pixel is rare: test for it only when the sum shows one.
        if not math.isfinite(total):
            known = np.isfinite(edges)
            total = float(centre[np.isfinite(centre)].sum()) + float(np.sum(extra[known] * edges[known]))
        return total
    total, known = 0.0, False
    if unit is not None and not same_unit(unit, u.count) and c > 0:
        total += rawsum * c if rawsum >= 0 else math.nan  # (c * sqrt(counts))^2, counts = rawsum / c
        known = True
    if math.isfinite(background.std):
        total += (sample.values.size + float(extra.sum())) * background.std**2
        known = True
    return total if known else math.nan


# What a row recorded before an extended column existed (an old journal) holds there: NaN in the unit of the
# column it qualifies, or a neutral value.
_UNKNOWN = {"aperture_sum_err": "aperture_sum", "npix_bad": 0, "snr": None, "background_err": "background",
            "background_npix": 0, "background_stat": TYPED_BACKGROUND}


def unknown_extended(name: str, unit_of):
    """The value of extended column `name` in a row that predates it; `unit_of(column)` gives another column's
    unit (None for unitless data). The ten Imviz 5 columns are NaN in their units (extra_units)."""
    if name in robust.EXTRA:
        unit = extra_units(unit_of("background"))[name]
        return math.nan if unit is None else u.Quantity(math.nan, unit)
    like = _UNKNOWN[name]
    if like is None or like in ALL_COLUMNS:
        unit = None if like is None else unit_of(like)
        return math.nan if unit is None else u.Quantity(math.nan, unit)
    return like


def with_extended(row: dict) -> dict:
    """A row recorded before the extended columns existed, with them filled as unknown."""
    missing = [name for name in EXTENDED if name not in row]
    if not missing:
        return row
    unit_of = lambda name: getattr(row[name], "unit", None)
    return {**row, **{name: unknown_extended(name, unit_of) for name in missing}}


def region_center(region: rg.PixelRegion) -> tuple[float, float]:
    if hasattr(region, "center"):
        return float(region.center.x), float(region.center.y)
    # Polygons have no centre: the mean of the vertices stands in.
    return float(np.mean(region.vertices.x)), float(np.mean(region.vertices.y))
