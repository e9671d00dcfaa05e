"""A light curve being inspected (the app's F9 screen): which stars make the ensemble, which frames are left out, the
transit fitted, and what the plots show. The numbers come from a Series; nothing here measures a frame.

    curve = LightCurve.from_subsets(frames, session.subsets, "WASP-12")
    for _ in curve.series.run(): ...
    curve.toggle(2)                 # star 2 leaves the ensemble: relative fluxes again, no frame measured again
    curve.exclude(17)               # frame 17 (clouds) is left out of the fit and flagged in the table
    curve.fit_transit()
    curve.table()                   # the `series` columns, `excluded`, the fit's columns and meta

What was measured is kept in the state folder (CurveStore): reopening the same frames with the same stars, in this
run or after a crash, takes the frames back instead of measuring them again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import regions as rg
from astropy.table import Column

from tui.core import transit
from tui.core.errors import PhotometryError
from tui.core.series import Series, relative_fluxes

PANELS = ("residuals", "comparisons", "airmass", "width", "sky", "drift")
BIN_SIZES = (1, 2, 5, 10, 20, 50)  # frames per binned point; 1 = no binned points
KEEP = 20  # light curves kept in the state folder (the newest)


@dataclass
class Curve:
    """The target's relative flux over the measured frames, normalised to its median, ready to plot."""

    index: np.ndarray  # frame numbers (in the series' time order)
    time: np.ndarray  # days after `offset`
    offset: float
    time_name: str  # BJD_TDB, or JD_UTC when the target's sky position is unknown
    flux: np.ndarray
    error: np.ndarray
    excluded: np.ndarray  # bool
    missing: np.ndarray  # bool: measured, but the target or the whole ensemble is not there (off the frame)
    model: np.ndarray | None  # the fitted transit (times the same normalisation), when fitted
    detrended: np.ndarray | None


class LightCurve:
    def __init__(self, series: Series) -> None:
        self.series = series
        # In the ensemble: every comparison on the first frame. One that is not (a region of another field, of
        # the other side of the sky) would be missing on every frame, and so would every relative flux.
        self.on = np.array(series.on_first, dtype=bool)
        self.on[0] = False  # the target
        away = [star.label for star, on in zip(series.stars[1:], series.on_first[1:]) if not on]
        if away:
            series.notes.append(f"{', '.join(away[:4])}{' ...' if len(away) > 4 else ''} not on the first frame: "
                                f"left out of the ensemble (space puts one back in)")
        self.excluded = np.zeros(len(series.frames), dtype=bool)
        self.fitted: transit.TransitFit | None = None
        self.wants_fit = False  # a fit was asked for: it is made again when the curve is taken back
        self.detrend: str | tuple[str, ...] = "auto"

    @classmethod
    def from_subsets(cls, frames, subsets: dict, target: str, skip: tuple[str, ...] = (), **options) -> "LightCurve":
        """The target and every other aperture region (not an annulus, nor one of `skip`, such as the background
        region) as comparisons, on these frames."""
        found = [(sub.region, label) for label, sub in subsets.items()
                 if not sub.is_annulus and label not in skip and _has_centre(sub.region)]
        labels = [label for _, label in found]
        if target not in labels:
            raise PhotometryError(f"{target} cannot be a light curve's target (an annulus, or a shape without a "
                                  f"centre)")
        comparisons = [label for label in labels if label != target]
        if not comparisons:
            raise PhotometryError(f"no comparison stars: every aperture region other than the target ({target}) is "
                                  f"one; add some (ctrl+n, or ctrl+o a region file)")
        return cls(Series(frames, found, target, comparisons, **options))

    # -- choices -------------------------------------------------------------------------------------------------
    @property
    def comparisons(self) -> list[int]:
        return np.flatnonzero(self.on).tolist()

    def role(self, j: int) -> str:
        return "target" if j == 0 else "comparison" if self.on[j] else "off"

    def toggle(self, j: int) -> None:
        """Star j in or out of the ensemble (the target stays the target). A fit made with the old ensemble no
        longer describes the curve: it is dropped."""
        if 0 < j < len(self.on):
            self.on[j] = not self.on[j]
            self.fitted = None

    def exclude(self, k: int) -> bool:
        """Frame k out of the fit (or back in); returns whether it is now excluded."""
        self.excluded[k] = not self.excluded[k]
        self.fitted = None
        return bool(self.excluded[k])

    def detrend_choices(self) -> list:
        """"auto" (the lowest BIC), no detrending, then the sets whose columns were measured."""
        a = self.series.arrays()
        known = {"AIRMASS": self.series.airmass[a["index"]], "Width_T1": a["width"][:, 0],
                 "Sky/Pixel_T1": a["sky"][:, 0], "X(IJ)_T1": a["x"][:, 0], "Y(IJ)_T1": a["y"][:, 0]}
        usable = {name for name, values in known.items() if np.isfinite(values).any()}
        return ["auto", ()] + [s for s in transit.AUTO_SETS[1:] if set(s) <= usable]

    @staticmethod
    def detrend_name(choice) -> str:
        return "auto (lowest BIC)" if choice == "auto" else "+".join(choice) or "none"

    # -- what the plots show -------------------------------------------------------------------------------------
    def _relative(self, indices) -> dict:
        a = self.series.arrays(indices, ("source_sky", "source_error"))
        comps = self.comparisons
        others = [j for j in range(1, len(self.on)) if j not in comps]
        return relative_fluxes(a["source_sky"], a["source_error"], 0, comps, others)

    def curve(self) -> Curve:
        s = self.series
        index = np.flatnonzero(s.done)
        time, name = (s.bjd_tdb, "BJD_TDB") if np.isfinite(s.bjd_tdb).any() else (s.jd_utc, "JD_UTC")
        t = time[index]
        finite = t[np.isfinite(t)]
        offset = float(math.floor(finite.min())) if finite.size else 0.0
        rel, err = self._relative(index)[0]
        missing = ~np.isfinite(rel)
        excluded = self.excluded[index]
        scale = _median(rel[~missing & ~excluded])
        model = detrended = None
        if self.fitted is not None and len(self.fitted.model) == len(index):
            # the transit alone and the data over the fitted baseline: both 1 out of transit
            model, detrended = self.fitted.model, self.fitted.detrended
        return Curve(index, t - offset, offset, name, rel / scale, err / scale, excluded, missing, model, detrended)

    def scatter(self) -> list[float]:
        """Per star, the rms of its relative flux about its median (the target's against the ensemble, a
        comparison's against the other comparisons), over frames not excluded: a variable or a poor comparison
        stands out."""
        index = np.flatnonzero(self.series.done & ~self.excluded)
        rel = self._relative(index)
        out = []
        for j in range(len(self.on)):
            values = rel[j][0] if j in rel else np.array([])
            values = values[np.isfinite(values)]
            out.append(float(np.std(values / np.median(values))) if values.size > 1 else math.nan)
        return out

    def panel(self, name: str, curve: Curve) -> tuple[str, list[tuple[str, np.ndarray]]]:
        """The second plot: (its y label, [(legend, values per measured frame)])."""
        a = self.series.arrays(curve.index)
        if name == "residuals" and curve.model is not None:
            return "residuals (detrended - model)", [("residual", curve.detrended - curve.model)]
        if name == "comparisons":
            rel = self._relative(curve.index)
            out = []
            for j in self.comparisons:
                values = rel[j][0]
                out.append((self.series.stars[j].role, values / _median(values[np.isfinite(values)])))
            return "comparisons: each over the others (normalised)", out
        if name == "airmass":
            return "AIRMASS", [("airmass", self.series.airmass[curve.index])]
        if name == "width":
            return "Width_T1: the target's FWHM [pix]", [("width", a["width"][:, 0])]
        if name == "sky":
            return "Sky/Pixel_T1", [("sky", a["sky"][:, 0])]
        if name == "drift":
            x, y = a["x"][:, 0], a["y"][:, 0]
            return "drift of the target [pix] from its median place", [("x", x - _median(x)), ("y", y - _median(y))]
        return "", []

    def readout(self, curve: Curve, i: int) -> tuple[str, int]:
        """One line about the i-th measured frame (when, its flux, which) and where in it the frame's name begins
        (the line's length when a message names the frame already). The name comes last: a JWST cube's
        ("jw01234001001_01101_00001-seg001_nrcb1_calints[199]") filled an 80-column line before its time, and the
        screen cuts it in the middle, keeping its segment and plane."""
        k = int(curve.index[i])
        label = self.series.frames[k].label
        when = curve.time[i] + curve.offset
        text = f"frame {k + 1}/{len(self.series.frames)}  {curve.time_name} {when:.5f}  "
        named = False
        if curve.missing[i]:
            result = self.series.results[k]
            why = result.messages[0] if result is not None and result.messages else "not measured on this frame"
            text += f"missing: {why}"
            named = label in why  # "Comp1 (C2) on frame_0010.fits is outside the frame"
        else:
            text += f"rel flux {curve.flux[i]:.5f} ± {curve.error[i]:.5f}"
        text += "  EXCLUDED (x)" if curve.excluded[i] else ""
        return (text, len(text)) if named else (f"{text}  {label}", len(text) + 2)

    # -- the fit and the table -----------------------------------------------------------------------------------
    def transit(self, period: float | None = None, limb_darkening=None) -> transit.TransitFit:
        """A transit fitted to the curve as chosen now (ensemble, exclusions, detrending); fit_transit keeps it."""
        index = np.flatnonzero(self.series.done)
        return fit_table(self.series.table(comparisons=self.comparisons), self.detrend, period, limb_darkening,
                         use=~self.excluded[index])

    def fit_transit(self, period: float | None = None, limb_darkening=None) -> transit.TransitFit:
        self.fitted = self.transit(period, limb_darkening)
        return self.fitted

    def table(self):
        """The light curve as `series` writes it, with the ensemble chosen here, `excluded` and the fit."""
        index = np.flatnonzero(self.series.done)
        table = self.series.table(comparisons=self.comparisons)
        table["excluded"] = Column(self.excluded[index])
        return with_fit(table, self.fitted) if self.fitted is not None else table

    def choices(self) -> dict:
        return {"off": [s.label for j, s in enumerate(self.series.stars) if j and not self.on[j]],
                "excluded": [self.series.frames[k].label for k in np.flatnonzero(self.excluded)],
                "detrend": self.detrend if self.detrend == "auto" else list(self.detrend), "fit": self.wants_fit}

    def apply(self, choices: dict) -> None:
        off = set(choices.get("off", ()))
        for j, star in enumerate(self.series.stars):
            if j:
                self.on[j] = star.label not in off and self.series.on_first[j]
        excluded = set(choices.get("excluded", ()))
        self.excluded[:] = [f.label in excluded for f in self.series.frames]
        detrend = choices.get("detrend", "auto")
        self.detrend = "auto" if detrend == "auto" else tuple(detrend)
        self.wants_fit = choices.get("fit") is True


def fit_table(table, detrend="auto", period: float | None = None, limb_darkening=None,
              use=None) -> transit.TransitFit:
    """A transit fitted to a light-curve table's rel_flux_T1 (against BJD_TDB, else JD_UTC), its other columns
    available to detrend against."""
    time = "BJD_TDB" if np.isfinite(np.asarray(table["BJD_TDB"], float)).any() else "JD_UTC"
    columns = {name: np.asarray(table[name], dtype=float) for name in table.colnames
               if name not in ("Label", "time_source", "excluded")}
    return transit.fit(table[time], table["rel_flux_T1"], table["rel_flux_err_T1"], columns, detrend,
                       period or transit.DEFAULT_PERIOD, limb_darkening or transit.DEFAULT_LIMB_DARKENING, use=use)


def with_fit(table, fitted: transit.TransitFit):
    """The light-curve table with the fit's columns (detrended flux, model) and its numbers in the meta."""
    table = table.copy()
    table["rel_flux_T1_detrended"] = fitted.detrended
    table["transit_model"] = fitted.model
    table.meta["fit"] = fitted.meta()
    table.meta["fit_summary"] = fitted.summary()
    return table


def binned(time: np.ndarray, flux: np.ndarray, use: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Means of consecutive groups of `size` usable points (the last group may be smaller)."""
    t, y = time[use], flux[use]
    if size <= 1 or not t.size:
        return np.array([]), np.array([])
    starts = np.arange(0, t.size, size)
    counts = np.diff(np.append(starts, t.size))
    return np.add.reduceat(t, starts) / counts, np.add.reduceat(y, starts) / counts


def _median(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else 1.0


def _has_centre(region) -> bool:
    return hasattr(region, "center") or isinstance(region, rg.PixelRegion)


# -- kept in the state folder ----------------------------------------------------------------------------------------
class CurveStore:
    """The frames measured for one light curve (the same frames, stars and apertures), as `series` streams them,
    and the choices made on them (ensemble, exclusions, detrending, whether a transit was fitted), in the app's
    state folder."""

    def __init__(self, folder, series: Series) -> None:
        self.folder = Path(folder)
        key = _key(series)
        self.path = self.folder / f"lightcurve-{key}.csv"  # CSV: read back by astropy's C reader
        self.choices_path = self.folder / f"lightcurve-{key}.json"
        self._stream = None
        self.note = ""

    def restore(self, curve: LightCurve) -> int:
        """Take back what an earlier look at this light curve measured and chose; returns the frames taken."""
        count = 0
        if self.folder.is_dir():
            _prune(self.folder, keep=(self.path, self.choices_path))
        try:
            count = self._read(curve)
        except Exception as exc:  # noqa: BLE001 - whatever the damage, the file is kept aside, not thrown away
            aside = self.path.with_suffix(".damaged.csv")
            try:
                os.replace(self.path, aside)
            except OSError:
                pass
            self.note = f"{self.path.name} could not be read ({exc}); kept as {aside.name}, frames measured again"
            self._stream = None
        try:
            curve.apply(json.loads(self.choices_path.read_text()))
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # no choices made yet (or unreadable): the defaults
        return count

    def _read(self, curve: LightCurve) -> int:
        from tui.core.batch import LineStream

        self._stream = LineStream(self.path, resume=True)
        return curve.series.load(self._stream.previous) if self._stream.previous is not None else 0

    def append(self, series: Series, indices: list[int]) -> None:
        if not indices:
            return
        if self._stream is None:
            from tui.core.batch import LineStream

            self._stream = LineStream(self.path, resume=True)
        self._prepare()
        self._stream.append(series.table(indices))

    def save_choices(self, curve: LightCurve) -> None:
        self._prepare()
        tmp = self.choices_path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(curve.choices()))
            os.replace(tmp, self.choices_path)
        except OSError as exc:
            raise PhotometryError(f"{self.choices_path}: cannot write ({exc.strerror or exc})") from None

    def _prepare(self) -> None:
        from tui.core.journal import private_folder

        try:
            private_folder(self.folder)
        except OSError as exc:
            raise PhotometryError(f"{self.folder}: cannot write ({exc.strerror or exc})") from None


def _key(series: Series) -> str:
    """Names what was measured: the frames (path, plane, size and time of change), the stars and apertures."""
    parts = []
    for frame in series.frames:
        try:
            stat = os.stat(frame.path)
            parts.append([os.path.abspath(frame.path), frame.plane, stat.st_size, stat.st_mtime_ns])
        except OSError:
            parts.append([frame.path, frame.plane])
    stars = [[s.label, s.role, repr(s.region)] for s in series.stars]
    a = series.apertures
    text = json.dumps([parts, stars, [a.radius, a.inner, a.outer], series.recentre, series.dq_flags], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prune(folder: Path, keep: tuple[Path, ...]) -> None:
    found = sorted(folder.glob("lightcurve-*.csv"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in found[KEEP:]:
        if path not in keep:
            for old in (path, path.with_suffix(".json")):
                try:
                    old.unlink()
                except OSError:
                    pass
