"""Is the aperture right? Radial profile, curve of growth, Gaussian fit and centroid about a subset's centre.

Pure functions of an image, a pixel region and a background; Session reaches them with its usual rules.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import astropy.units as u
import regions as rg
from astropy.table import QTable

from tui.core import quality
from tui.core.errors import PhotometryError
from tui.core.images import Image
from tui.core.photometry import ARCSEC_TO_RAD, on_image, is_per_steradian, region_center, sum_weights

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))  # 2.3548


def largest_semi_axis(region: rg.PixelRegion) -> float:
    """Circle radius, the larger half-size of an ellipse or rectangle, a polygon's farthest vertex."""
    if isinstance(region, rg.CirclePixelRegion):
        return float(region.radius)
    if isinstance(region, (rg.EllipsePixelRegion, rg.RectanglePixelRegion)):
        return max(float(region.width), float(region.height)) / 2
    if isinstance(region, rg.PolygonPixelRegion):
        x, y = region_center(region)
        return float(np.max(np.hypot(region.vertices.x - x, region.vertices.y - y)))
    raise PhotometryError(f"a {type(region).__name__} has no profile: use a circle, ellipse, rectangle or polygon")


@np.errstate(invalid="ignore")  # a signalling NaN pixel: see photometry.read
def pixels_within(image: Image, x: float, y: float, radius: float, bg: float, dq_flags, what: str):
    """(distance of each good pixel's centre, its background-subtracted value, bad pixels left out)."""
    ny, nx = image.shape
    x0, x1 = max(int(math.floor(x - radius)), 0), min(int(math.ceil(x + radius)) + 1, nx)
    y0, y1 = max(int(math.floor(y - radius)), 0), min(int(math.ceil(y + radius)) + 1, ny)
    if x0 >= x1 or y0 >= y1:
        raise PhotometryError(f"{what} is outside the image")
    slices = (slice(y0, y1), slice(x0, x1))
    cutout = image.data[slices].astype(np.float64)
    dist = np.sqrt((np.arange(x0, x1) - x)[None, :] ** 2 + ((np.arange(y0, y1) - y) ** 2)[:, None])
    within = dist < radius
    bad = quality.bad_pixels(image, slices, cutout, dq_flags)
    good = within & ~bad
    if not good.any():
        raise PhotometryError(f"{what} holds no valid pixels within r={radius:g}")  # what: "Star on image"
    return dist[good], cutout[good] - bg, int(np.count_nonzero(within & bad))


def _quantity(values, unit):
    return values if unit is None else u.Quantity(values, unit)


def radial_profile(image: Image, region: rg.PixelRegion, bg: float, what: str, raw: bool = False,
                   bin_width: float = 1.0, max_radius: float | None = None, dq_flags=None) -> QTable:
    """Binned: `radius` (bin centres), `profile` (mean of the pixels whose centre falls in [k b, (k+1) b)), `npix`;
    raw: one row per pixel. Background-subtracted, in the data unit; bad pixels left out (meta['npix_bad'])."""
    if not (bin_width > 0 and math.isfinite(bin_width)):
        raise PhotometryError(f"bin width must be a positive number, not {bin_width}")
    radius = 2 * largest_semi_axis(region) if max_radius is None else float(max_radius)
    if not (radius > 0 and math.isfinite(radius)):
        raise PhotometryError(f"maximum radius must be a positive number, not {max_radius}")
    x, y = region_center(region)
    dist, values, nbad = pixels_within(image, x, y, radius, bg, dq_flags, what)
    meta = {"x": x, "y": y, "background": bg, "max_radius": radius, "npix_bad": nbad, "subset": what}
    if raw:
        order = np.argsort(dist, kind="stable")
        return QTable({"radius": dist[order] * u.pix, "profile": _quantity(values[order], image.unit)}, meta=meta)
    index = (dist / bin_width).astype(np.int64)  # distances are >= 0: truncation is the floor (// is 6x slower)
    bins = int(math.ceil(radius / bin_width))
    npix = np.bincount(index, minlength=bins)[:bins]
    sums = np.bincount(index, weights=values, minlength=bins)[:bins]
    used = npix > 0
    centres = (np.arange(bins) + 0.5) * bin_width
    meta["bin_width"] = bin_width
    return QTable({"radius": centres[used] * u.pix, "profile": _quantity(sums[used] / npix[used], image.unit),
                   "npix": npix[used]}, meta=meta)


@np.errstate(invalid="ignore")  # a signalling NaN pixel: see photometry.read
def curve_of_growth(image: Image, region: rg.PixelRegion, bg: float, what: str, pixel_area: float = 0.0,
                    radii=None, dq_flags=None) -> QTable:
    """`radius`, `aperture_sum` in exact-overlap circles on the subset's centre (the masks `calculate` uses, so a
    circle's own radius gives its aperture_sum), and `fraction` of the sum at the largest radius."""
    x, y = region_center(region)
    if radii is None:
        semi = largest_semi_axis(region)
        radii = np.arange(1.0, math.floor(semi) + 1) if semi >= 1 else np.array([semi])
    radii = np.atleast_1d(np.asarray(getattr(radii, "value", radii), dtype=float))
    if radii.size == 0 or not np.all(np.isfinite(radii)) or np.any(radii <= 0):
        raise PhotometryError("curve of growth radii must be positive numbers")
    center = rg.PixCoord(x, y)
    outer = sum_weights(rg.CirclePixelRegion(center, float(radii.max())), image.shape)
    big, _ = on_image(outer, image.shape, what)
    cutout = image.data[big].astype(np.float64)
    values = np.where(quality.bad_pixels(image, big, cutout, dq_flags), 0.0, cutout - bg)
    sums = np.empty(radii.size)
    for i, r in enumerate(radii):
        mask = sum_weights(rg.CirclePixelRegion(center, float(r)), image.shape)
        large, small = (None, None) if mask is None else mask.get_overlap_slices(image.shape)
        if large is None:
            sums[i] = 0.0
            continue
        rows = slice(large[0].start - big[0].start, large[0].stop - big[0].start)
        cols = slice(large[1].start - big[1].start, large[1].stop - big[1].start)
        sums[i] = np.sum(mask.data[small] * values[rows, cols])
    unit = image.unit
    total = sums[int(np.argmax(radii))]
    fraction = sums / total if total != 0 else np.full(radii.size, np.nan)
    if is_per_steradian(unit) and pixel_area > 0:
        sums, unit = sums * pixel_area * ARCSEC_TO_RAD**2, unit * u.sr
    return QTable({"radius": radii * u.pix, "aperture_sum": _quantity(sums, unit), "fraction": fraction},
                  meta={"x": x, "y": y, "background": bg, "subset": what})


def import_fitters() -> None:
    """Import what the first fit needs (astropy.modeling, and the scipy.optimize its fitter and the transit fit
    call on): about 0.3 s that a UI can spend while the user reads the screen, not when the first profile opens."""
    import importlib

    for name in ("scipy.optimize", "astropy.modeling.fitting", "astropy.modeling.models"):
        importlib.import_module(name)


def gaussian_fit(profile: QTable, pixel_area: float = 0.0) -> dict:
    """A Gaussian1D with its mean fixed at 0 fitted to a binned profile; FWHM = 2.3548 sigma.

    Never raises for a fit that fails: `success` is False and `message` says why."""
    from astropy.modeling import fitting, models

    r = np.asarray(profile["radius"].value, float)
    p = np.asarray(getattr(profile["profile"], "value", profile["profile"]), float)
    unit = getattr(profile["profile"], "unit", None)
    out = {"success": False, "message": "", "amplitude": None, "sigma": None, "fwhm": None, "model": None}
    if r.size < 3:
        out["message"] = "too few points in the profile to fit"
        return out
    peak = float(p[np.argmin(r)])
    if not peak > 0:
        out["message"] = "the profile has no peak at the centre (is the aperture on a source?)"
        return out
    below = np.nonzero(p < peak / 2)[0]
    guess = float(r[below[0]]) / 1.1774 if below.size else float(r.max()) / 2
    # Fitted in units of the peak: the fitter's tolerances are absolute, so a profile in erg/s/cm^2/A (1e-18) had
    # a gradient below them from the start and came back as its first guess, "converged".
    model = models.Gaussian1D(amplitude=1.0, mean=0.0, stddev=max(guess, 0.3), fixed={"mean": True})
    fitter = fitting.TRFLSQFitter()  # handles the bound on stddev that Gaussian1D carries
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitted = fitter(model, r, p / peak, maxiter=200)
        except Exception as exc:  # a fit that cannot run is reported, not raised
            out["message"] = f"the fit failed: {exc}"
            return out
    fitted.amplitude = fitted.amplitude.value * peak
    sigma, amplitude = abs(float(fitted.stddev.value)), float(fitted.amplitude.value)
    problems = [str(w.message).split(".")[0] for w in caught]
    if not (math.isfinite(sigma) and sigma > 0 and amplitude > 0):
        out["message"] = "the fit did not converge to a peak"
        return out
    if sigma > 10 * r.max():
        problems.append("the fitted width is far beyond the profile")
    out.update(success=not problems, message="; ".join(problems) or "fit converged", model=fitted,
               amplitude=amplitude if unit is None else amplitude * unit, sigma=sigma * u.pix,
               fwhm=FWHM_PER_SIGMA * sigma * u.pix)
    if pixel_area > 0:
        out["fwhm_arcsec"] = FWHM_PER_SIGMA * sigma * math.sqrt(pixel_area) * u.arcsec
    return out


def moved(region: rg.PixelRegion, x: float, y: float) -> rg.PixelRegion:
    """The same region with its centre at (x, y)."""
    if isinstance(region, rg.PolygonPixelRegion):
        cx, cy = region_center(region)
        return rg.PolygonPixelRegion(rg.PixCoord(region.vertices.x + (x - cx), region.vertices.y + (y - cy)),
                                     meta=region.meta, visual=region.visual)
    return region.copy(center=rg.PixCoord(x, y))


@np.errstate(invalid="ignore")  # a signalling NaN pixel: see photometry.read
def centroid(image: Image, region: rg.PixelRegion, bg: float, what: str, dq_flags=None,
             tolerance: float = 0.01, max_iterations: int = 10) -> tuple[float, float]:
    """Intensity-weighted centroid of the positive background-subtracted pixels inside the region (exact-overlap
    weights), re-centring the region on it until it moves less than `tolerance` pixels."""
    ny, nx = image.shape
    x, y = region_center(region)
    for _ in range(max_iterations):
        weights = sum_weights(region, image.shape)
        large, small = on_image(weights, image.shape, what)
        cutout = image.data[large].astype(np.float64)
        signal = np.where(quality.bad_pixels(image, large, cutout, dq_flags), 0.0, cutout - bg)
        wv = weights.data[small] * np.clip(signal, 0.0, None)
        total = float(wv.sum())
        if not total > 0:
            raise PhotometryError(f"{what}: no positive signal above the background to centre on")
        cx = float(np.sum(wv * np.arange(large[1].start, large[1].stop)[None, :]) / total)
        cy = float(np.sum(wv * np.arange(large[0].start, large[0].stop)[:, None]) / total)
        if not (-0.5 <= cx < nx - 0.5 and -0.5 <= cy < ny - 0.5):
            raise PhotometryError(f"{what}: the centroid ({cx:.2f}, {cy:.2f}) leaves the image")
        step = math.hypot(cx - x, cy - y)
        x, y, region = cx, cy, moved(region, cx, cy)
        if step < tolerance:
            break
    return x, y


def summary(fit: dict, growth: QTable, aperture_sum: float) -> dict:
    """What the user reads: HWHM, the radius holding 90% of the flux within the outer radius, and the fraction of
    that flux the aperture holds."""
    radii = np.asarray(growth["radius"].value, float)
    sums = np.asarray(getattr(growth["aperture_sum"], "value", growth["aperture_sum"]), float)
    outer, total = float(radii[-1]), float(sums[-1])
    r90 = None
    if total > 0:
        above = np.nonzero(sums >= 0.9 * total)[0]
        if above.size:
            k = int(above[0])
            if k == 0:
                r90 = float(radii[0])
            else:  # linear between the two radii that straddle 90%
                r90 = float(np.interp(0.9 * total, [sums[k - 1], sums[k]], [radii[k - 1], radii[k]]))
    held = aperture_sum / total if total > 0 else math.nan
    hwhm = fit["fwhm"] / 2 if fit.get("fwhm") is not None else None
    parts = [f"HWHM {hwhm.value:.2f} pix" if hwhm is not None else "no Gaussian fit"]
    if r90 is not None:
        parts.append(f"90% of the flux within r={outer:g} lies inside r={r90:.1f}")
    if math.isfinite(held) and held >= 0:
        parts.append(f"the aperture holds {held:.1%} of the flux within r={outer:g}")
    elif math.isfinite(held):  # on empty sky the sums are noise about zero: a share of them means nothing
        parts.append("the aperture's sum is below the background: no source here?")
    else:  # a share of a sum that is not positive (an over-subtracted core, a background set too high)
        parts.append(f"no curve of growth: the sum within r={outer:g} is not above the background")
    return {"hwhm": hwhm, "r90": None if r90 is None else r90 * u.pix, "outer_radius": outer * u.pix,
            "aperture_fraction": held, "text": "; ".join(parts)}
