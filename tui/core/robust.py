"""The current Imviz plugin's ten extra columns: robust statistics and shape from image moments.

jdaviz 5 computes them with photutils' ApertureStats on the background-subtracted image, over the aperture's
centre-mode pixels (NaN and, here, DQ-flagged ones left out): photutils' documentation defines each.

- mode = 3 median - 2 mean; var = the population variance (np.var); mad_std = 1.482602218505602 x the median
  absolute deviation from the median (astropy.stats.mad_std); biweight_location (c = 6) and biweight_midvariance
  (c = 9, the sample size not modified) as astropy.stats defines them;
- the shape of the 2-D Gaussian with the same second-order central moments, as photutils 3.1 finds it (the
  current Imviz's: jdaviz 5.0.5 needs Python 3.12, where pip gives it photutils 3.1): the moments' covariance, NaN
  whole when it is not positive semidefinite (a negative trace, or a determinant below -1000 epsilon times the
  squared trace), each eigenvalue raised to at least a pixel's variance (1/12) with the eigenvectors kept; the
  1-sigma semi-axes, their circularised FWHM 2 sqrt(ln 2 (a^2 + b^2)), the orientation of the major axis from x
  (degrees, counter-clockwise, in (-90, 90]) and the eccentricity sqrt(1 - b^2/a^2). (Up to 3.0 photutils added
  SourceExtractor's 1/12 to the diagonal while the determinant was below 1/144, and NaN'd a negative determinant
  only: the two differ for sources thinner than a pixel and for net negative apertures.)

Everything is computed from the values the row already read, for k apertures of n values at once (a (k, n)
block), or for one aperture (its (n,) values, with a float64 scalar wherever a block has one number per row), with
per-row reductions that give each row the same bits however many rows the block has: calculate and calculate_many
agree bit for bit. (A large circle's moments come from its rows' sums instead, run_moments; calculate_many
measures large apertures one by one, so they agree too.) The sums are dot products where they can be (BLAS, twice
the speed of a summing pass), and each pass writes over an array already spent.
"""

from __future__ import annotations

import math
import platform
import re

import numpy as np

ROBUST = ("mode", "mad_std", "var", "biweight_location", "biweight_midvariance")
SHAPE = ("fwhm", "semimajor_axis", "semiminor_axis", "orientation", "eccentricity")
EXTRA = ROBUST + SHAPE
MAD_TO_SIGMA = 1.482602218505602  # 1 / Phi^-1(3/4), astropy.stats.mad_std's own constant
LN2 = math.log(2.0)


def _cpu_features() -> dict[str, bool]:
    """The CPU features NumPy dispatches on (what np.partition runs, below); none if NumPy moved its table."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:
        return {}
    return __cpu_features__


def _cpu_description() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            return info.read(1024)  # vendor_id and cpu family come first, before the long flags line
    except OSError:
        return platform.processor()  # Windows: "AMD64 Family 25 Model 17 Stepping 1, AuthenticAMD"


def amd_family_19h(cpu: str) -> bool:
    """Whether a CPU description (the head of /proc/cpuinfo, or Windows' platform.processor()) names AMD's family
    19h: Zen 3 and Zen 4, of which only Zen 4 has AVX-512."""
    return "AuthenticAMD" in cpu and re.search(r"(?i)family\s*:?\s*25\b", cpu) is not None


# From this many values on, the middle ones are found within a window (see middle()), by what np.partition runs:
# - x86-simd-sort's AVX-512 path on Zen 4, which microcodes the compress-store each of its steps makes
#   (x86-simd-sort issue 6, NumPy PR 32690): 1.3 ms at n = 125,000 (float64), six times its AVX2 path. The window is
#   faster from n = 4,096 (0.03 against 0.04 ms) and six times faster at n = 125,000 (0.2 against 1.3 ms; fresh
#   values, see _ranks).
# - its AVX-512 path elsewhere (Intel; Zen 5 fixed the compress-store) and its AVX2 path: partitioning in place is
#   as fast or faster at every size (0.08 ms against the window's 0.17 at n = 125,000 on AVX-512).
# - introselect, a scalar loop (ARM, older x86): the window is four times faster from n = 32,768 on.
def _window_from() -> float:
    features = _cpu_features()
    if features.get("AVX512_SKX") and amd_family_19h(_cpu_description()):
        return 1 << 12
    return math.inf if features.get("X86_V3") else 1 << 15


WINDOWED = _window_from()


def middle(values: np.ndarray) -> tuple[float, float]:
    """The values of ranks n//2 - 1 and n//2 of a 1-D array of finite values (NaN for the first when n == 1),
    exactly: the elements np.partition would place there. The array is reordered (callers pass a copy)."""
    return _ranks(values, values.size // 2)


def _ranks(values: np.ndarray, k: int) -> tuple[float, float]:
    """The values of ranks k - 1 and k (NaN for the first when k == 0), reordering the array.

    Where np.partition is slow (a scalar loop, or Zen 4's AVX-512: see WINDOWED), a large array is first cut to a
    window: two pivots from an evenly spaced sample (n/16 values, 128 to 1024 of them, partitioned at the pivots'
    ranks rather than sorted) bracket rank k with near certainty (five standard deviations of the sample
    quantile's rank), and only the values between them are kept: a sixth from n = 16,384 on, a third at n = 4,096.
    A window still that large is cut again. (np.extract, not a boolean index, takes them out: three times faster on a
    scattered mask.) Should the window miss (a pathological order), the whole array is partitioned.

    A larger sample narrows the window but costs more than it saves: at two ranks np.partition runs NumPy's
    introselect, whose branches the CPU cannot foresee on values it has not seen. On Zen 4, on fresh arrays, at
    n = 125,000: 0.21 ms with 1024 (float64; 0.18 float32), 0.31 ms with 8192. (Timed on one array again and again,
    the CPU learns its branches and the figures halve, 8192 then looking best: time selections on fresh values.)
    """
    n = values.size
    if n >= WINDOWED:
        sample = values[::n // min(max(n >> 4, 128), 1024)].copy()
        centre, margin = k * sample.size // n, int(2.5 * math.sqrt(sample.size)) + 2
        a, b = max(centre - margin, 0), min(centre + margin, sample.size - 1)
        sample.partition((a, b))
        below, up_to = values < sample[a], values <= sample[b]
        j = k - int(np.count_nonzero(below))  # rank k of the array is rank j of the window
        window = np.extract(up_to ^ below, values)
        if 1 <= j < window.size:
            if window.size <= n >> 1:  # ties can leave the window as large as the array: no cutting again then
                return _ranks(window, j)
            values, k = window, j
    values.partition(k)
    return (float(values[:k].max()) if k else math.nan), float(values[k])


def medians(block: np.ndarray):
    """The median of each row of a (k, n) float64 block, exactly as np.median gives it, or of one aperture's (n,)
    values (a float64 scalar); the block is reordered."""
    if block.ndim == 1:
        lower, upper = middle(block)
        return np.float64(upper if block.size % 2 else (lower + upper) / 2)
    k, n = block.shape
    if k == 1 and n >= WINDOWED:
        return medians(block[0])[None]
    mid = n // 2
    block.partition(mid, axis=1)
    upper = block[:, mid]
    return upper.copy() if n % 2 else (block[:, :mid].max(axis=1) + upper) / 2


# One aperture (calculate) passes its values as a 1-D array and its per-row numbers as float64 scalars, not as a
# block of one row: on a scalar each step costs 0.05 microseconds, on a one-element array 0.2 to 1 (0.02 ms of
# calculate's 0.3 at r=50 went there). The arithmetic is IEEE's either way and the rest (hypot, arctan2) runs
# NumPy's same loops, so the bits are the block's.
def _column(per_row):
    """A number per row as a column that broadcasts over the block's values (a scalar already does)."""
    return per_row[:, None] if isinstance(per_row, np.ndarray) else per_row


def _every(test) -> bool:
    """Whether a test holds for every row (an array) or for the one aperture (a scalar)."""
    return bool(test.all()) if isinstance(test, np.ndarray) else bool(test)


def _where(test, a, b):
    """np.where for rows; for one aperture, the one value chosen, kept a scalar."""
    return np.where(test, a, b) if isinstance(test, np.ndarray) else (a if test else b)


@np.errstate(all="ignore")  # data that overflow give inf and NaN here; photometry refuses such rows by name
def robust(shifted: np.ndarray, median, mean, var, low, high) -> dict:
    """mode, mad_std, var, biweight_location and biweight_midvariance of each row of a (k, n) block of
    background-subtracted values (n > 0), given each row's median, mean, variance, min and max as (k,) arrays; or
    of one aperture's (n,) values, given float64 scalars (see _column).

    With u = d / (9 MAD) for the deviations d from the median, v = u^2 and w = max(1 - v, 0), which is zero for
    the values a biweight leaves out: midvariance = n sum d^2 w^4 / (sum w (1 - 5 v))^2, where
    sum w (1 - 5 v) = 5 sum w^2 - 4 sum w and d^2 w^4 = (9 MAD)^2 (u w^2)^2; location = median + sum d W / sum W
    with W = max(1 - 2.25 v, 0)^2 = 2.25^2 max(w - 5/9, 0)^2, the constant cancelling in the ratio. When the MAD
    is 0 (at least half the values alike), astropy gives the median and 0: so do these (that rule is applied only
    when some row needs it). Min and max tell when no value lies beyond 9 (or 6) MAD, and then that clipping is
    skipped. Each step writes over an array it no longer needs: at r=200 every pass over the values costs about
    0.025 ms.
    """
    n = shifted.shape[-1]
    d = shifted - _column(median)
    u = np.abs(d)
    mad = medians(u)  # u is reordered: scratch from here on
    c9 = 9.0 * mad
    farthest = np.maximum(high - median, median - low)
    with_spread = mad > 0
    everywhere = _every(with_spread)  # nearly always: then no row needs the MAD = 0 rule
    np.multiply(d, _column(1.0 / c9 if everywhere else _where(with_spread, 1.0 / c9, 0.0)), out=u)
    w = np.multiply(u, u)
    np.subtract(1.0, w, out=w)
    if not _every(farthest < c9):
        np.clip(w, 0.0, 1.0, out=w)  # max(w, 0), as w <= 1; clip is twice as fast as maximum with a scalar
    f2 = 5.0 * np.vecdot(w, w) - 4.0 * w.sum(axis=-1)
    np.multiply(u, w, out=u)
    u *= w
    f1 = np.vecdot(u, u)  # sum d^2 w^4 / (9 MAD)^2
    w -= 5.0 / 9.0
    if not _every(farthest < 6.0 * mad):
        np.clip(w, 0.0, 1.0, out=w)
    location = median + np.vecdot(np.multiply(d, w, out=d), w) / np.vecdot(w, w)
    midvariance = n * f1 / (f2 * f2) * (c9 * c9)
    if not everywhere:
        location = _where(with_spread, location, median)
        midvariance = _where(with_spread, midvariance, mad * mad)
    return {"mode": 3.0 * median - 2.0 * mean, "mad_std": mad * MAD_TO_SIGMA, "var": var,
            "biweight_location": location, "biweight_midvariance": midvariance}


def moments(shifted: np.ndarray, total: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, ...]:
    """(mu_xx, mu_xy, mu_yy) of each row: the central second moments of the values at pixel coordinates (xs, ys),
    normalised by the row's sum (`total`, which the row already has). Dot products, not sums: BLAS runs them at
    twice the speed of a pass that sums."""
    xw, yw = xs * shifted, ys * shifted
    x0, y0 = np.vecdot(xs, shifted) / total, np.vecdot(ys, shifted) / total
    return (np.vecdot(xs, xw) / total - x0 * x0, np.vecdot(ys, xw) / total - x0 * y0,
            np.vecdot(ys, yw) / total - y0 * y0)


@np.errstate(all="ignore")
def run_moments(shifted: np.ndarray, total: float, xs: np.ndarray, rows: np.ndarray,
                offsets: np.ndarray) -> tuple[np.ndarray, ...]:
    """moments() of one aperture whose values lie in one run a row (a large circle's footprint): row `rows[j]`
    holds the values from offsets[j] on. The y moments come from each row's sums, so no y coordinate per value
    is made or multiplied: three passes over the values fewer (0.07 ms of calculate's 2.2 at r=200). The sums are taken
    in another order than moments() takes them, so the two agree to rounding, not bit for bit; calculate_many
    measures such apertures one by one, through this same function."""
    xw = xs * shifted
    row_sums, row_x = np.add.reduceat(shifted, offsets), np.add.reduceat(xw, offsets)
    x0, y0 = np.dot(xs, shifted) / total, np.dot(rows, row_sums) / total
    return (np.dot(xs, xw) / total - x0 * x0, np.dot(rows, row_x) / total - x0 * y0,
            np.dot(rows * rows, row_sums) / total - y0 * y0)


# photutils 3.1's threshold for a covariance that is not positive semidefinite: the determinant of a thin source
# (rank 1) is zero, but computed it can be a few epsilon of its squared trace below
PSD_RTOL = 1000.0 * np.finfo(float).eps
PIXEL_VARIANCE = 1.0 / 12  # a uniform distribution over one pixel: the least variance a resolved axis has


def eigenvalues(cxx, cxy, cyy, det) -> tuple[np.ndarray, np.ndarray]:
    """(major, minor) eigenvalues of symmetric 2x2 matrices in photutils' closed form: the minor one as
    det / (trace/2 + root) for a positive trace, which does not cancel for an elongated source."""
    half_trace = 0.5 * (cxx + cyy)
    root = np.hypot(0.5 * (cxx - cyy), cxy)
    return half_trace + root, _where(half_trace > 0, det / (half_trace + root), half_trace - root)


@np.errstate(all="ignore")
def shape(shifted: np.ndarray, total: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> dict[str, np.ndarray]:
    """fwhm, semimajor_axis, semiminor_axis (pixels), orientation (degrees) and eccentricity of each row's values
    (whose sums are `total`) at pixel coordinates (xs, ys), as photutils' ApertureStats finds them from the image
    moments (module docstring)."""
    return shape_of(*moments(shifted, total, xs, ys))


@np.errstate(all="ignore")
def shape_of(cxx: np.ndarray, cxy: np.ndarray, cyy: np.ndarray) -> dict[str, np.ndarray]:
    """shape() from the central moments (mu_xx, mu_xy, mu_yy) of each row. A resolved source (both variances
    finite and of a pixel or more) takes one test; only the rare cases go through the rules for the others."""
    det = cxx * cyy - cxy * cxy
    major, minor = eigenvalues(cxx, cxy, cyy, det)
    if not _every((PIXEL_VARIANCE <= minor) & (minor <= major) & (major < np.inf)):
        cxx, cxy, cyy, major, minor = _unresolved(cxx, cxy, cyy, det, major, minor)
    angle = np.arctan2(2.0 * cxy + 0.0, cxx - cyy)  # + 0.0: a covariance of -0 gives 90 degrees, not -90
    return {"fwhm": 2.0 * np.sqrt(LN2 * (major + minor)), "semimajor_axis": np.sqrt(major),
            "semiminor_axis": np.sqrt(minor), "orientation": np.rad2deg(0.5 * angle),
            "eccentricity": np.sqrt(1.0 - minor / major)}


def _unresolved(cxx, cxy, cyy, det, major, minor) -> tuple[np.ndarray, ...]:
    """(cxx, cxy, cyy, major, minor) under photutils 3.1's rules for the covariances that are not of a resolved
    source: NaN (the angle too) when not positive semidefinite, as from an over-subtracted core; each variance raised
    to a pixel's with the axes kept (floor_covariance_eigvals) when thinner than a pixel; the minor axis found
    without the determinant when that overflows. Rows that need none of them come back unchanged."""
    trace = cxx + cyy
    invalid = (det < -PSD_RTOL * (trace * trace)) | (trace < 0)
    thin = minor < PIXEL_VARIANCE
    if thin.any():
        point = major < PIXEL_VARIANCE  # both axes: a pixel's variance, round
        lift = thin & ~point & np.isfinite(minor) & np.isfinite(major)
        factor = (PIXEL_VARIANCE - minor) / (major - minor)
        cxx = np.where(point, PIXEL_VARIANCE, np.where(lift, cxx + factor * (major - cxx), cxx))
        cyy = np.where(point, PIXEL_VARIANCE, np.where(lift, cyy + factor * (major - cyy), cyy))
        cxy = np.where(point, 0.0, np.where(lift, cxy - factor * cxy, cxy))
        det = cxx * cyy - cxy * cxy
        major, minor = eigenvalues(cxx, cxy, cyy, det)
    minor = np.where(np.isfinite(det), minor, cxx * (cyy / major) - cxy * (cxy / major))
    bad = invalid | ~(np.isfinite(major) & np.isfinite(minor) & (minor >= 0))
    return (cxx, np.where(invalid, np.nan, cxy), cyy, np.where(bad, np.nan, major), np.where(bad, np.nan, minor))
