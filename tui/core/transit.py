"""A transit fitted to a light curve: a quadratic limb-darkened transit (exoplanet-core's light curve, MIT) times a
detrending baseline, by least squares.

model(t) = T(t; t0, Rp/R*, a/R*, b) x (c0 + c1 (t - tm) + ... + sum_v c_v (d_v(t) - mean d_v))

The baseline is linear in its coefficients, so for each transit shape they are solved exactly by weighted linear
least squares (variable projection) and only t0, Rp/R*, a/R* and b are searched (scipy's least_squares). The
period and the limb darkening are fixed: one transit pins down its shape, not its period (a/R* absorbs it). A
detrend set is chosen by BIC = chi^2 + k ln N when asked (`auto`), as AstroImageJ's users do by hand.
exoplanet-core is an optional extra: pip install -e ".[transit]".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tui.core.errors import PhotometryError

DEFAULT_PERIOD = 3.0  # days; a single transit does not pin the period down: a/R* takes up the choice
DEFAULT_LIMB_DARKENING = (0.40, 0.26)  # quadratic u1, u2: roughly a Sun-like star in R
AUTO_SETS = ((), ("AIRMASS",), ("AIRMASS", "Width_T1"), ("AIRMASS", "Width_T1", "X(IJ)_T1", "Y(IJ)_T1"),
             ("AIRMASS", "Sky/Pixel_T1"), ("Width_T1",), ("X(IJ)_T1", "Y(IJ)_T1"))


def light_curve(t, t0: float, rp: float, a: float, b: float, period: float = DEFAULT_PERIOD,
                limb_darkening=DEFAULT_LIMB_DARKENING) -> np.ndarray:
    """Relative flux of a circular-orbit transit: 1 out of transit."""
    try:
        import exoplanet_core
    except ImportError:
        raise PhotometryError("a transit fit needs exoplanet-core: pip install -e '.[transit]'") from None
    t = np.asarray(t, dtype=float)
    cos_i = b / a
    phase = 2.0 * math.pi * (t - t0) / period
    z = a * np.sqrt(np.sin(phase) ** 2 + (cos_i * np.cos(phase)) ** 2)
    z = np.where(np.cos(phase) > 0, z, 1e3)  # behind the star: no dip
    u1, u2 = limb_darkening
    return 1.0 + np.asarray(exoplanet_core.quad_limbdark_light_curve(u1, u2, z, rp), dtype=float)


def duration(rp: float, a: float, b: float, period: float) -> float:
    """First to fourth contact (Winn 2010), in the period's unit; NaN for a grazing miss."""
    sin_i = math.sqrt(max(1.0 - (b / a) ** 2, 0.0))
    arg = math.sqrt(max((1.0 + rp) ** 2 - b**2, 0.0)) / (a * sin_i) if a * sin_i > 0 else math.nan
    return period / math.pi * math.asin(min(arg, 1.0)) if math.isfinite(arg) else math.nan


@dataclass
class TransitFit:
    t0: float
    t0_err: float
    depth: float  # the model's deepest fractional dip
    depth_err: float
    rp_rs: float
    rp_rs_err: float
    a_rs: float
    b: float
    duration: float  # days
    rms: float  # of the residuals, as a fraction of the flux
    expected_rms: float  # the median stated error, the same way
    bic: float
    chi2: float
    detrend: tuple[str, ...]
    coefficients: dict[str, float]
    model: np.ndarray  # the transit alone, at the data's times
    detrended: np.ndarray  # the data divided by the fitted baseline
    period: float
    limb_darkening: tuple[float, float]
    bic_none: float = math.nan  # the same fit without detrending: what the chosen set gains
    tried: dict = field(default_factory=dict)  # detrend set -> BIC, when several were tried

    @property
    def parameters(self) -> list[float]:
        return [self.t0, self.rp_rs, self.a_rs, self.b]

    def summary(self) -> str:
        gain = "" if not math.isfinite(self.bic_none) or not self.detrend else \
            f"; dBIC {self.bic - self.bic_none:+.1f} vs none"
        return (f"depth {self.depth * 1e3:.3f} ± {self.depth_err * 1e3:.3f} ppt, t0 {self.t0:.5f} ± "
                f"{self.t0_err:.5f} BJD_TDB, Rp/R* {self.rp_rs:.4f} ± {self.rp_rs_err:.4f}, duration "
                f"{self.duration * 24:.2f} h, rms {self.rms * 1e3:.2f} ppt (expected {self.expected_rms * 1e3:.2f}), "
                f"detrend {'+'.join(self.detrend) or 'none'}, BIC {self.bic:.1f}{gain}")

    def lines(self) -> tuple[str, str]:
        """The summary in two lines of about 80 characters, for a terminal."""
        gain = f" · ΔBIC {self.bic - self.bic_none:+.1f} vs none" if math.isfinite(self.bic_none) and self.detrend \
            else ""
        return (f"depth {self.depth * 1e3:.2f}±{self.depth_err * 1e3:.2f} ppt · t0 {self.t0:.5f}±{self.t0_err:.5f}"
                f" BJD_TDB · Rp/R* {self.rp_rs:.4f}±{self.rp_rs_err:.4f}",
                f"duration {self.duration * 24:.2f} h · rms {self.rms * 1e3:.2f} ppt (expected "
                f"{self.expected_rms * 1e3:.2f}) · detrend {'+'.join(self.detrend) or 'none'}{gain}")

    def meta(self) -> dict:
        keys = ("t0", "t0_err", "depth", "depth_err", "rp_rs", "rp_rs_err", "a_rs", "b", "duration", "rms",
                "expected_rms", "bic", "chi2", "period", "bic_none")
        out = {k: float(getattr(self, k)) for k in keys}
        out.update(detrend=list(self.detrend), coefficients=dict(self.coefficients),
                   limb_darkening=list(self.limb_darkening), tried={"+".join(k) or "none": v
                                                                    for k, v in self.tried.items()})
        return out


def check_detrend(detrend, columns) -> None:
    """Refuse a detrend set (column names, () or "auto") naming a column that is not among `columns`."""
    for name in () if detrend == "auto" else detrend:
        if name not in columns:
            raise PhotometryError(f"--detrend: no column {name!r} in the light curve (columns such as AIRMASS, "
                                  f"Width_T1, X(IJ)_T1, Y(IJ)_T1, Sky/Pixel_T1)")


def fit(time, flux, error, columns: dict | None = None, detrend="auto", period: float = DEFAULT_PERIOD,
        limb_darkening=DEFAULT_LIMB_DARKENING, baseline_order: int = 1, use=None) -> TransitFit:
    """Fit a transit to relative flux; `detrend`: column names (from `columns`), () for none, or "auto" (the
    lowest BIC among AUTO_SETS whose columns exist). Points with a non-finite value, or False in `use` (frames
    excluded by hand), are left out; the model and the detrended flux cover every point."""
    columns = columns or {}
    t, y, e = (np.asarray(v, dtype=float) for v in (time, flux, error))
    known = {c for c, values in columns.items() if np.isfinite(np.asarray(values, dtype=float)).any()}
    # auto: the sets whose columns were measured (a cube from space has no AIRMASS)
    check_detrend(detrend, columns)
    sets = [s for s in AUTO_SETS if set(s) <= known] if detrend == "auto" else [tuple(detrend)]
    good = np.isfinite(t) & np.isfinite(y) & np.isfinite(e) & (e > 0)
    if use is not None:
        good &= np.asarray(use, dtype=bool)
    for name in {c for s in sets for c in s}:
        good &= np.isfinite(np.asarray(columns[name], dtype=float))
    if good.sum() < 10:
        raise PhotometryError(f"only {int(good.sum())} usable points: too few to fit a transit")
    ld = tuple(limb_darkening)
    # Without detrending first: its transit is where the others start too (a nested model can only do better from
    # there, which a search from scratch does not always find).
    none = _fit_one(t, y, e, good, {}, period, ld, baseline_order)
    results = {(): none} if () in sets else {}
    for s in sets:
        if s:
            results[s] = _fit_one(t, y, e, good, {c: np.asarray(columns[c], float) for c in s}, period, ld,
                                  baseline_order, start=none.parameters)
    best = min(results.values(), key=lambda r: r.bic)
    best.bic_none = none.bic
    best.tried = {s: r.bic for s, r in results.items()}
    return best


def _design(t, good, regressors: dict, order: int) -> tuple[np.ndarray, list[str]]:
    tm = float(np.mean(t[good]))
    names = [f"poly{k}" for k in range(order + 1)]
    basis = [(t - tm) ** k for k in range(order + 1)]
    for name, values in regressors.items():
        basis.append(values - float(np.mean(values[good])))
        names.append(name)
    return np.stack(basis, axis=1), names


def _fit_one(t, y, e, good, regressors, period, ld, order, start=None) -> TransitFit:
    from scipy.optimize import least_squares

    design, names = _design(t, good, regressors, order)
    # Times from an origin near the data: least_squares steps each parameter by 1.5e-8 of its size to find the
    # slope, which for a t0 of 2.46e6 days is 53 minutes, longer than many transits: the slopes were wrong and the
    # search stopped in wrong minima (t0 off by 15 minutes, the depth by up to a third).
    origin = float(np.floor(np.min(t[good])))
    t = t - origin
    tg, yg, eg, dg = t[good], y[good], e[good], design[good]
    scale = float(np.median(yg))
    yn, en = yg / scale, eg / scale

    def baseline_for(shape):
        # the model is shape x (design @ c): for a fixed shape, c by weighted linear least squares
        a = dg * shape[:, None] / en[:, None]
        c, *_ = np.linalg.lstsq(a, yn / en, rcond=None)
        return c

    def residuals(p):
        shape = light_curve(tg, p[0], p[1], p[2], p[3], period, ld)
        c = baseline_for(shape)
        return (yn - shape * (dg @ c)) / en

    span = float(tg.max() - tg.min())
    guess = _guess(tg, yn)
    lower = [tg.min() - 0.1 * span, 1e-3, 1.2, 0.0]
    upper = [tg.max() + 0.1 * span, 0.5, 200.0, 1.0]
    # a/R* sets the duration: a few starts keep the search out of wrong minima
    starts = [[guess[0], guess[1], a0, 0.3] for a0 in (8.0, 15.0, 30.0)]
    if start is not None:
        starts.insert(0, list(np.clip([start[0] - origin, *start[1:]], lower, upper)))
    best = None
    for p0 in starts:
        try:
            found = least_squares(residuals, p0, bounds=(lower, upper), x_scale=[span / 20, 0.02, 5.0, 0.2])
        except ValueError as exc:
            raise PhotometryError(f"the transit fit could not run ({exc})") from None
        if best is None or found.cost < best.cost:
            best = found
    p = best.x
    shape_all = light_curve(t, *p, period, ld)
    c = baseline_for(light_curve(tg, *p, period, ld))
    baseline = design @ c * scale
    chi2 = float(2 * best.cost)
    n, k = int(good.sum()), 4 + len(c)
    dof = max(n - k, 1)
    try:
        cov = np.linalg.inv(best.jac.T @ best.jac) * max(chi2 / dof, 1.0)
        errors = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        cov, errors = None, np.full(4, math.nan)
    depth, depth_err = _depth(p, cov, period, ld)
    residual = (y / baseline - shape_all)[good]
    return TransitFit(
        t0=origin + float(p[0]), t0_err=float(errors[0]), depth=depth, depth_err=depth_err, rp_rs=float(p[1]),
        rp_rs_err=float(errors[1]), a_rs=float(p[2]), b=float(p[3]), duration=duration(p[1], p[2], p[3], period),
        rms=float(np.std(residual)), expected_rms=float(np.median(e[good] / baseline[good])),
        bic=chi2 + k * math.log(n), chi2=chi2, detrend=tuple(regressors),
        coefficients=dict(zip(names, (float(v) for v in c))), model=shape_all, detrended=y / baseline, period=period,
        limb_darkening=ld)


def _guess(t, y) -> tuple[float, float]:
    """t0 at the lowest stretch of the curve (a running median of 5% of the points), Rp/R* from its depth."""
    order = np.argsort(t)
    ys = y[order]
    width = max(3, len(ys) // 20)
    smooth = np.convolve(ys, np.ones(width) / width, mode="same")
    k = int(np.argmin(smooth[width:-width])) + width if len(ys) > 2 * width else int(np.argmin(smooth))
    depth = max(float(np.median(ys) - smooth[k]), 1e-4)
    return float(t[order][k]), min(math.sqrt(depth), 0.4)


def _depth(p, cov, period, ld) -> tuple[float, float]:
    """The model's deepest dip (at mid-transit) and its error from the parameters' covariance."""
    def dip(q):
        return 1.0 - float(light_curve(np.array([q[0]]), *q, period, ld)[0])

    depth = dip(p)
    if cov is None:
        return depth, math.nan
    grad = np.zeros(4)
    for i in range(4):
        step = 1e-6 * max(abs(p[i]), 1e-3)
        q = np.array(p, dtype=float)
        q[i] += step
        grad[i] = (dip(q) - depth) / step
    return depth, float(math.sqrt(max(grad @ cov @ grad, 0.0)))
