"""Light curves: a target and comparison stars measured on every frame of a sequence, relative fluxes, times.

    from tui.core.series import Series
    s = Series(["night/*.fits"], "stars.reg", target="WASP-12", comparisons=["C1", "C2"])
    table = s.run_all()            # one row per frame, AstroImageJ's column names
    s.relative(["C2"])             # the ensemble again with other comparisons, without measuring again

Each frame is measured on its own from one starting point, the target's offset from its nominal place on the
previous frame (so a drift is followed, and the others move with the target when it jumps): given that offset a
frame's numbers never depend on which process measured it, so a cluster gives the rows a single process gives.
Stars are numbered as AstroImageJ numbers them, T1 for the target, then C2, C3, ... for the comparisons.
"""

from __future__ import annotations

import glob
import math
import os
import shlex
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import regions as rg
from astropy.table import Column, QTable

from tui.core import frametimes, physical, profiles, starphot
from tui.core.errors import PhotometryError
from tui.core.formatting import counted
from tui.core.frames import Frame, FrameReader, list_frames
from tui.core.headers import finite
from tui.core.images import Image
from tui.core.photometry import region_center
from tui.core.starphot import Apertures, Detector, Star
from tui.core.regionfiles import read_region_file, region_text
from tui.core.subsets import ANNULUS_SHAPES, POINT_SHAPES
from tui.filekinds import named_once

ANOTHER_RUN = "another run's light curve (name another OUT, or --overwrite to replace it)"
DAMAGED = "fix the file, name another OUT, or --overwrite to measure every frame again"
QUANTITIES = ("x", "y", "source_sky", "source_error", "sky", "peak", "width", "n_src", "saturated")
PER_STAR = ("rel_flux", "rel_flux_err", "Source-Sky", "Source_Error", "Sky/Pixel", "Peak", "Width", "X(IJ)",
            "Y(IJ)", "N_Src_Pixels", "Saturated")
AUTO_LEVEL = 0.01  # auto aperture: where the target's profile falls to this fraction of its peak (AstroImageJ)
SEARCH = 20.0  # pixels: how far from its region the target's profile is looked at to choose the aperture


@dataclass(frozen=True)
class SeriesStar:
    label: str
    role: str  # T1, C2, C3, ...
    region: object  # a regions Region (pixel or sky): its centre is the star's nominal place

    def nominal(self, image: Image) -> tuple[float, float]:
        """Where the star is on this frame before recentring: the region centre, through the frame's WCS for a sky
        region."""
        if isinstance(self.region, rg.SkyRegion):
            if image.wcs is None:
                raise PhotometryError(f"{self.label} is in sky coordinates but {image.label} has no celestial WCS")
            with np.errstate(invalid="ignore"):
                x, y = (float(v) for v in image.wcs.world_to_pixel(self.region.center))
            if not (math.isfinite(x) and math.isfinite(y)):  # the far side of a TAN projection has no pixel
                raise PhotometryError(f"{self.label}: its sky position lies beyond {image.label}'s projection")
            return x, y
        return region_center(self.on(image))

    def on(self, image: Image):
        """The star's region in this frame's pixels (a physical region placed by the frame's LTV and LTM)."""
        if isinstance(self.region, rg.SkyRegion):
            return self.region.to_pixel(image.wcs)
        return physical.to_image(self.region, image, self.label) if physical.is_physical(self.region) else self.region


def _place(image: Image, star: SeriesStar) -> tuple[float, float] | None:
    """The star's nominal place on the image; None where it has none (a sky region and no WCS, or a sky position
    on the far side of the projection)."""
    try:
        return star.nominal(image)
    except PhotometryError:
        return None


def _lies_on(image: Image, place: tuple[float, float] | None) -> bool:
    if place is None:
        return False
    ny, nx = image.shape
    return -0.5 <= place[0] < nx - 0.5 and -0.5 <= place[1] < ny - 0.5


@dataclass(frozen=True)
class Settings:
    """What every frame is measured with: plain values, so a cluster worker gets them in a few bytes."""

    apertures: Apertures
    detector: Detector
    recentre: bool = True
    dq_flags: int | None = None


@dataclass
class FrameResult:
    frame: Frame
    stars: list[Star]
    offset: tuple[float, float]  # the target's offset from its nominal place (the next frame starts there)
    messages: list[str] = field(default_factory=list)


def measure_frame(frame: Frame, stars: list[SeriesStar], settings: Settings, start: tuple[float, float],
                  reader: FrameReader | None = None) -> FrameResult:
    """Every star on one frame: the target from its nominal place + `start` (the previous frame's offset), the
    others from theirs + the target's offset found here. A star that cannot be measured is NaN and said."""
    own = reader is None
    reader = reader or FrameReader(with_wcs=needs_wcs(stars))
    try:
        image = reader.image(frame)
        nominal = []
        for star in stars:
            try:
                nominal.append(star.nominal(image))
            except PhotometryError as exc:
                nominal.append(exc)
        results, messages, offset = [], [], start
        for k, (star, place) in enumerate(zip(stars, nominal)):
            if isinstance(place, PhotometryError):
                results.append(Star(problem=str(place)))
            else:
                x, y = place[0] + offset[0], place[1] + offset[1]
                results.append(starphot.measure(image, x, y, settings.apertures, settings.detector,
                                                settings.dq_flags, f"{star.label} ({star.role}) on {frame.label}",
                                                moves=settings.recentre))
                if k == 0 and results[0].problem is None:
                    offset = (results[0].x - place[0], results[0].y - place[1])
            if results[-1].problem is not None:
                messages.append(results[-1].problem)
        return FrameResult(frame, results, offset if results[0].problem is None else start, messages)
    finally:
        if own:
            reader.close()


def needs_wcs(stars: list[SeriesStar]) -> bool:
    return any(isinstance(star.region, rg.SkyRegion) for star in stars)


def relative_fluxes(flux: np.ndarray, error: np.ndarray, target: int, comparisons: list[int],
                    others: list[int] = ()) -> dict:
    """AstroImageJ's relative fluxes for frames x stars arrays of Source-Sky and its error: the target (and any
    of `others`, stars left out of the ensemble) over the sum of the comparisons, each comparison over the sum of
    the other comparisons; errors in quadrature. A frame where any of them is missing (NaN) gets NaN."""
    n_frames = flux.shape[0]
    out = {}
    comps = list(comparisons)
    total = flux[:, comps].sum(axis=1) if comps else np.full(n_frames, np.nan)
    total_var = (error[:, comps] ** 2).sum(axis=1) if comps else np.full(n_frames, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in [target, *comps, *others]:
            ref, ref_var = (total - flux[:, k], total_var - error[:, k] ** 2) if k in comps else (total, total_var)
            rel = flux[:, k] / ref
            out[k] = (rel, np.abs(rel) * np.sqrt((error[:, k] / flux[:, k]) ** 2 + ref_var / ref**2))
    out["total"], out["total_error"] = total, np.sqrt(total_var)
    return out


class Series:
    """A sequence of frames, the stars to measure on them, and what has been measured so far."""

    def __init__(self, inputs, regions, target: str, comparisons: list[str], aperture: float | None = None,
                 annulus: tuple[float, float] | None = None, recentre: bool = True, gain: float | None = None,
                 read_noise: float | None = None, dark: float | None = None, saturation: float | None = None,
                 site: tuple[float, float, float] | None = None, dq_flags: int | None = None):
        self.notes: list[str] = []
        self.skipped: list[str] = []  # inputs that could not be read
        self.stars = _stars(regions, target, list(comparisons))
        given = list(inputs) if not isinstance(inputs, (str, Path)) else [inputs]
        if given and all(isinstance(f, Frame) for f in given):
            self.frames = given
        else:
            paths, again = named_once(_expand(inputs))
            self.notes += [f"{name} is named more than once: measured once" for name in again]
            self.frames = list_frames(paths, self.skipped)
        timeless = [f for f in self.frames if not math.isfinite(f.time.jd_utc)]
        if timeless:
            names = ", ".join(f.label for f in timeless[:3]) + (" ..." if len(timeless) > 3 else "")
            # the first that had a time, refused (as absurd), if any: else the keywords none of them had
            why = next((f.time.source for f in timeless if frametimes.LOOKED_FOR not in f.time.source),
                       f"looked for {frametimes.LOOKED_FOR}")
            self.notes.append(f"{counted(len(timeless), 'frame')} without a time left out ({names}): {why}")
            self.frames = [f for f in self.frames if math.isfinite(f.time.jd_utc)]
        stepped = list(dict.fromkeys(Path(f.path).name for f in self.frames
                                     if frametimes.BACK_TO_BACK in f.time.source))
        if stepped:
            self.notes.append(f"{', '.join(stepped[:3])}{' ...' if len(stepped) > 3 else ''}: no time for each plane "
                              f"(no INT_TIMES, nor a cycle time in KCT or TIMEDEL), so the planes are taken as "
                              f"exposures back to back from the start; time_source says which")
        if not self.frames and timeless:
            raise PhotometryError(f"no frame has a time ({timeless[0].time.source})")
        if not self.frames:
            raise PhotometryError(self.skipped[0] if len(self.skipped) == 1 else "no frames to measure" +
                                  (f" ({len(self.skipped)} files could not be read)" if self.skipped else ""))
        self._check_shapes()
        self.recentre, self.dq_flags = recentre, dq_flags
        with FrameReader() as reader:
            first = reader.image(self.frames[0])
            self.detector = _detector(first, gain, read_noise, dark, saturation, self.notes)
            self.apertures, self.aperture_note = _apertures(first, self.stars[0], aperture, annulus, recentre,
                                                            dq_flags)
            self.target_sky, self.target_source = _target_position(first, self.stars[0])
            self.first_places = [_place(first, star) for star in self.stars]
            self.on_first = [_lies_on(first, place) for place in self.first_places]  # where each star is at the start
        self.site, self.site_source = _site(site, self.frames[0])
        self._times()
        # Every per-star quantity as frames x stars arrays, filled as frames are measured: a new ensemble, a table
        # or a plot of 10,000 frames is then a few array operations.
        shape = (len(self.frames), len(self.stars))
        self.data = {name: np.full(shape, np.nan) for name in QUANTITIES}
        self.done = np.zeros(len(self.frames), dtype=bool)
        self.results: list[FrameResult | None] = [None] * len(self.frames)

    def _check_shapes(self) -> None:
        """Stars in pixels (or frames without a WCS) are placed alike on frames of one shape only: the frames of
        another shape than most (a subframe, another binning) are set aside, each named, and the rest measured."""
        shapes = Counter(f.shape for f in self.frames)
        pixel_regions = [s for s in self.stars if not isinstance(s.region, rg.SkyRegion)]
        if len(shapes) == 1 or not (pixel_regions or not all(f.has_wcs for f in self.frames)):
            return
        most = max(shapes.values())
        kept = next(f.shape for f in self.frames if shapes[f.shape] == most)  # a tie: the first frame's shape
        because = (": the stars, in pixels, cannot be placed alike on frames of two shapes" if pixel_regions else
                   ", and not every frame has a WCS to place the stars by")
        why = f"not the {kept[1]}x{kept[0]} of {counted(most, 'frame')}{because}"
        odd = [f for f in self.frames if f.shape != kept]
        if len(odd) <= 3:
            self.skipped += [f"{f.label}: {f.shape[1]}x{f.shape[0]} pixels, {why}" for f in odd]
        else:  # one line for them all, not one each
            names = ", ".join(f.label for f in odd[:3])
            self.skipped.append(f"{counted(len(odd), 'frame')} of other shapes set aside ({names} ...): {why}")
        self.frames = [f for f in self.frames if f.shape == kept]

    @property
    def settings(self) -> Settings:
        return Settings(self.apertures, self.detector, self.recentre, self.dq_flags)

    # -- times ---------------------------------------------------------------------------------------------------
    def _times(self) -> None:
        """JD_UTC, BJD_TDB and AIRMASS of every frame, worked out at once before any frame is measured."""
        jd = np.array([f.time.jd_utc for f in self.frames])
        bjd = np.array([f.time.bjd_tdb for f in self.frames])
        missing = ~np.isfinite(bjd)
        self.time_note = "BJD_TDB from the pipeline (INT_TIMES)" if not missing.any() else ""
        if missing.any():
            if self.target_sky is None:
                self.notes.append("no target position (no WCS, no RA/DEC keywords): BJD_TDB is left empty")
            else:
                bjd[missing] = frametimes.barycentric(jd[missing], self.target_sky, self.site)
                if early := int(np.count_nonzero(jd[missing] < frametimes.UTC_FROM)):
                    self.notes.append(f"{counted(early, 'frame')} taken before 1960, when UTC had no defined offset "
                                      f"from atomic time: their BJD_TDB takes TT - UTC as 32.184 s, and may be off "
                                      f"by up to a minute")
                where = f"from {self.site_source}" if self.site is not None else \
                    "from the geocentre (no site: up to 21 ms off for a ground site, 23 ms for HST)"
                self.time_note = f"BJD_TDB toward the target ({self.target_source}) {where}"
        airmass = np.array([f.airmass for f in self.frames])
        if self.site is not None and self.target_sky is not None:
            missing = ~np.isfinite(airmass)
            filled = bool(missing.any())  # else every AIRMASS is in the headers, and the first frame checks the site
            computed = frametimes.airmass(jd if filled else jd[:1], self.target_sky, self.site)
            if filled:
                airmass = np.where(missing, computed, airmass)
            self._check_site(np.isfinite(computed), filled)
        self.jd_utc, self.bjd_tdb, self.airmass = jd, bjd, airmass

    def _check_site(self, above: np.ndarray, filled: bool) -> None:
        """A target below the horizon when the frames were taken means a wrong site; most often a longitude
        written west-positive (IRAF's convention) read as east-positive (the FITS and AstroImageJ one)."""
        if above.all():
            return
        lat, lon, height = self.site
        when = f"on {int((~above).sum())} of {counted(above.size, 'frame')}" if filled else "on the first frame"
        self.notes.append(
            f"the target is below the horizon {when} from the site (latitude {lat:g}, longitude {lon:g} east) "
            f"{self.site_source.removeprefix('the site ')}: " + ("AIRMASS is left empty there, and " if filled else "")
            + f"BJD_TDB may be off by up to 43 ms (the Earth's width in light time); if the longitude was written "
            f"west-positive, the site is {lat:g},{-lon:g},{height:g} (--site takes it)")

    # -- measuring -----------------------------------------------------------------------------------------------
    def run(self, done: set[str] = frozenset(), start: tuple[float, float] | None = None, progress=None,
            cancelled=None):
        """Measure the frames in time order that are not done yet (nor labelled in `done`), yielding each
        FrameResult as it is measured. The first starts from `start`, else from the last frame measured before it.
        `cancelled()`, when given, is asked before each frame."""
        offset = self._offset_before(0) if start is None else start
        with FrameReader(with_wcs=needs_wcs(self.stars)) as reader:
            for k, frame in enumerate(self.frames):
                if self.done[k]:
                    offset = self._offset_before(k + 1)
                    continue
                if frame.label in done:
                    continue
                if cancelled is not None and cancelled():
                    return
                try:
                    result = measure_frame(frame, self.stars, self.settings, offset, reader)
                except PhotometryError as exc:
                    result = FrameResult(frame, [Star(problem=str(exc))] * len(self.stars), offset, [str(exc)])
                self.store(k, result)
                offset = result.offset
                if progress is not None:
                    progress()
                yield result

    def store(self, k: int, result: FrameResult) -> None:
        self.results[k] = result
        for name in QUANTITIES:
            self.data[name][k] = [getattr(star, name) for star in result.stars]
        self.done[k] = True

    def _offset_before(self, k: int) -> tuple[float, float]:
        """The target's offset on the last frame measured before frame k (0, 0 if none): where frame k starts."""
        before = np.flatnonzero(self.done[:k])
        if not before.size:
            return 0.0, 0.0
        j = int(before[-1])
        result = self.results[j]
        if result is not None:
            return result.offset
        x, y = self.data["x"][j, 0], self.data["y"][j, 0]
        if not (math.isfinite(x) and math.isfinite(y)):
            return 0.0, 0.0
        with FrameReader(with_wcs=needs_wcs(self.stars)) as reader:
            nominal = self.stars[0].nominal(reader.image(self.frames[j]))
        return x - nominal[0], y - nominal[1]

    def load(self, table) -> int:
        """Take back frames measured earlier (a light curve written by `table()`, from a file): those whose labels
        it holds are done, with its numbers. Returns how many."""
        by_label = {f.label: k for k, f in enumerate(self.frames)}
        pairs = [(i, by_label[label]) for i, label in enumerate(str(v) for v in table["Label"]) if label in by_label]
        if not pairs:
            return 0
        rows, ks = (np.array(v, dtype=np.intp) for v in zip(*pairs))
        self._same_run(table)
        ny = np.array([self.frames[k].shape[0] for k in ks], dtype=float)
        held = {}
        for j, star in enumerate(self.stars):
            def column(name):
                return _numbers(table, f"{name}_{star.role}", rows)

            x, y = column("X(IJ)") - 0.5, ny - column("Y(IJ)") - 0.5  # back from ImageJ's convention (table())
            held[j] = {"x": x, "y": y, **{name: column(heading) for name, heading in (
                ("source_sky", "Source-Sky"), ("source_error", "Source_Error"), ("sky", "Sky/Pixel"),
                ("peak", "Peak"), ("width", "Width"), ("n_src", "N_Src_Pixels"), ("saturated", "Saturated"))}}
        self._same_stars(held, ks)
        for j, quantities in held.items():
            for name, values in quantities.items():
                self.data[name][ks, j] = values
        self.done[ks] = True
        return len(ks)

    # A light curve continued from a file must be the one that wrote it: otherwise its rows and this run's would
    # be different stars, or apertures, under the same column names. What the file says is checked: its stars'
    # roles (the columns), what an ECSV's header names, and for any format the stars' layout and apertures.
    def _same_run(self, table) -> None:
        roles = [s.role for s in self.stars]
        held = [name[len("rel_flux_"):] for name in table.colnames
                if name.startswith("rel_flux_") and not name.startswith("rel_flux_err_")]
        if sorted(held) != sorted(roles):
            raise PhotometryError(f"holds the stars {', '.join(held) or 'none'}, this run measures "
                                  f"{', '.join(roles)}: {ANOTHER_RUN}")
        named = table.meta.get("stars")
        mine = {s.role: s.label for s in self.stars}
        if isinstance(named, dict) and named != mine:
            role = next(r for r in roles if named.get(r) != mine[r])
            raise PhotometryError(f"has {named.get(role)!r} as {role}, this run {mine[role]!r}: {ANOTHER_RUN}")
        for key, mine in (("aperture", [self.apertures.radius]),
                          ("annulus", [self.apertures.inner, self.apertures.outer])):
            theirs = table.meta.get(key)
            theirs = list(theirs) if isinstance(theirs, (list, tuple)) else [theirs]
            if theirs != [None] and not np.allclose(np.asarray(theirs, float), mine, rtol=1e-9, atol=0):
                raise PhotometryError(f"was measured with the {key} {' to '.join(f'{v:g}' for v in theirs)} px, "
                                      f"this run's is {' to '.join(f'{v:g}' for v in mine)} px: give "
                                      f"--{key} {','.join(f'{v:g}' for v in theirs)} as that run did")

    def _same_stars(self, held: dict, ks: np.ndarray) -> None:
        """Each star where it lies from the target on the first frame (within the sky annulus: recentring and a
        slow field rotation move it less), and apertures of this run's area wherever one lies wholly on a frame."""
        r = self.apertures.radius
        area = math.pi * r * r
        shapes = np.array([self.frames[k].shape for k in ks], dtype=float)
        origin = self.first_places[0]
        for j, star in enumerate(self.stars):
            x, y, n = held[j]["x"], held[j]["y"], held[j]["n_src"]
            whole = (x > r + 1) & (y > r + 1) & (x < shapes[:, 1] - r - 2) & (y < shapes[:, 0] - r - 2)
            off = whole & (np.abs(n - area) > 1e-6 * area)
            if off.any():
                theirs = math.sqrt(n[off][0] / math.pi)
                raise PhotometryError(f"was measured with the aperture {theirs:.4g} px, this run's is {r:.4g} px: "
                                      f"give --aperture {theirs:.4g} as that run did")
            place = self.first_places[j]
            if j == 0 or place is None or origin is None:
                continue
            dx = (x - held[0]["x"]) - (place[0] - origin[0])
            dy = (y - held[0]["y"]) - (place[1] - origin[1])
            shift = np.hypot(dx, dy)
            shift = shift[np.isfinite(shift)]
            if shift.size and float(np.median(shift)) > self.apertures.outer:
                raise PhotometryError(f"has its {star.role} {float(np.median(shift)):.0f} px from where "
                                      f"{star.label} is: {ANOTHER_RUN}")

    def run_all(self) -> QTable:
        for _ in self.run():
            pass
        return self.table()

    def measured(self) -> list[int]:
        return np.flatnonzero(self.done).tolist()

    def arrays(self, indices=None, names=QUANTITIES) -> dict:
        """frames x stars arrays of these per-star quantities, for the frames measured (or those given); with
        every frame measured, views of the arrays kept (not to be changed)."""
        index = np.flatnonzero(self.done) if indices is None else np.asarray(indices, dtype=np.intp)
        n = len(self.frames)
        whole = index.size == n and (indices is None or np.array_equal(index, np.arange(n)))
        out = {name: self.data[name] if whole else self.data[name][index] for name in names}
        out["index"] = index
        return out

    def relative(self, comparisons: list[str] | None = None, indices: list[int] | None = None) -> dict:
        """Relative fluxes with these comparisons (labels; default all), without measuring again."""
        labels = [s.label for s in self.stars]
        chosen = [labels.index(c) for c in comparisons] if comparisons is not None else \
            list(range(1, len(self.stars)))
        a = self.arrays(indices)
        return relative_fluxes(a["source_sky"], a["source_error"], 0, chosen)

    def table(self, indices: list[int] | None = None, comparisons: list[int] | None = None) -> QTable:
        """One row per measured frame, with AstroImageJ's column names (README: "Light curves"). `comparisons`:
        the stars (indices) in the ensemble, default all but the target; the others' rel_flux is over all of it."""
        indices = self.measured() if indices is None else indices
        a = self.arrays(indices)
        comps = list(range(1, len(self.stars))) if comparisons is None else list(comparisons)
        rel = relative_fluxes(a["source_sky"], a["source_error"], 0, comps,
                              [j for j in range(1, len(self.stars)) if j not in comps])
        frames = [self.frames[k] for k in indices]
        columns = {
            "Label": Column([f.label for f in frames], dtype=str),
            "JD_UTC": self.jd_utc[indices],
            "BJD_TDB": self.bjd_tdb[indices],
            "AIRMASS": self.airmass[indices],
        }
        ny = np.array([f.shape[0] for f in frames], dtype=float)
        for j, star in enumerate(self.stars):
            s = star.role
            columns[f"rel_flux_{s}"], columns[f"rel_flux_err_{s}"] = rel[j]
            columns[f"Source-Sky_{s}"] = a["source_sky"][:, j]
            columns[f"Source_Error_{s}"] = a["source_error"][:, j]
            columns[f"Sky/Pixel_{s}"] = a["sky"][:, j]
            columns[f"Peak_{s}"] = a["peak"][:, j]
            columns[f"Width_{s}"] = a["width"][:, j]
            columns[f"X(IJ)_{s}"] = a["x"][:, j] + 0.5  # ImageJ: pixel i spans [i, i+1), y down
            columns[f"Y(IJ)_{s}"] = ny - a["y"][:, j] - 0.5
            columns[f"N_Src_Pixels_{s}"] = a["n_src"][:, j]
            columns[f"Saturated_{s}"] = Column((a["saturated"][:, j] > 0).astype(np.int8))  # a cell read back empty: 0
        columns["tot_C_cnts"], columns["tot_C_err"] = rel["total"], rel["total_error"]
        columns["time_source"] = Column([f.time.source for f in frames], dtype=str)
        meta = self.meta()
        meta["comparisons"] = [self.stars[j].role for j in comps]
        return QTable(columns, meta=meta)

    def meta(self) -> dict:
        return {"stars": {s.role: s.label for s in self.stars},
                "aperture": self.apertures.radius, "annulus": [self.apertures.inner, self.apertures.outer],
                "aperture_choice": self.aperture_note, "times": self.time_note,
                "recentre": self.recentre}


def _numbers(table, heading: str, rows: np.ndarray) -> np.ndarray:
    """A column of a light curve read back, at `rows`, as floats (NaN where a cell is empty); a column missing or a
    cell that is no number (the file edited, or torn) is said in words."""
    if heading not in table.colnames:
        raise PhotometryError(f"has no {heading} column: {DAMAGED}")
    cells = table[heading][rows]
    empty = np.ma.getmaskarray(cells)
    try:
        values = np.asarray(cells).astype(float)
    except (ValueError, TypeError):  # text among the numbers: cell by cell, to name it
        values = np.full(len(rows), np.nan)
        for i, (row, cell) in enumerate(zip(rows.tolist(), np.asarray(cells).tolist())):
            try:
                values[i] = math.nan if empty[i] else float(cell)
            except (ValueError, TypeError):
                raise PhotometryError(f"has {str(cell)!r} in {heading} on the row of {table['Label'][row]}, "
                                      f"which is no number: {DAMAGED}") from None
    values[empty] = np.nan
    return values


def ensemble_gaps(table: QTable) -> str | None:
    """Why rel_flux_T1 is missing on frames where the target was measured, or None: the ensemble sums every
    comparison, so one comparison missing there (off the frame, on NaN) leaves the point out. Names each
    comparison missing with its count of frames, and those measured on every frame, for --comparisons."""
    labels = table.meta["stars"]
    finite = lambda name: np.isfinite(np.asarray(table[name], dtype=float))
    target = finite("Source-Sky_T1")
    gaps = target & ~finite("rel_flux_T1")
    if not gaps.any():
        return None
    missing = {role: int((target & ~finite(f"Source-Sky_{role}")).sum()) for role in table.meta["comparisons"]}
    named = ", ".join(f"{labels[role]} ({role}) on {n}" for role, n in missing.items() if n)
    whole = [labels[role] for role, n in missing.items() if not n]
    advice = (f"; measured on every one: {', '.join(whole)} (--comparisons {shlex.quote(','.join(whole))})"
              if whole else "; no comparison is measured on every one")
    return (f"rel_flux_T1 is missing on {int(gaps.sum())} of the {counted(int(target.sum()), 'frame')} where the "
            f"target was measured, as a comparison is missing there: {named}{advice}")


# -- building a series ---------------------------------------------------------------------------------------------
def _expand(inputs) -> list[str]:
    """Paths, with shell patterns expanded for callers that did not go through a shell (Python), and each folder
    standing for the FITS files in it."""
    from tui.filekinds import expand_folders

    out = []
    for item in [inputs] if isinstance(inputs, (str, Path)) else inputs:
        text = str(item)
        matches = sorted(glob.glob(text)) if any(ch in text for ch in "*?[") and not os.path.exists(text) else []
        out += matches or [text]
    return expand_folders(out)


def _stars(regions, target: str, comparisons: list[str]) -> list[SeriesStar]:
    found = read_region_file(regions, points=True)[0] if isinstance(regions, (str, Path)) else list(regions)
    by_label = {}
    for region, text in found:
        if text is not None and text not in by_label:
            by_label[text] = region
    labels = ", ".join(by_label) or "none"
    shared = {region_text(region) for region, text in found if text is None}  # a label several regions hold
    for name in [target, *comparisons]:
        if name in shared:
            raise PhotometryError(f"several regions in the region file are labelled {name!r}: give each star its "
                                  "own label")
        if name not in by_label:
            raise PhotometryError(f"no region labelled {name!r} in the region file (labels: {labels})")
    ring = next((name for name in [target, *comparisons] if isinstance(by_label[name], ANNULUS_SHAPES)), None)
    if ring is not None:
        raise PhotometryError(f"{ring!r} is an annulus: a star's region is a point, circle, ellipse, rectangle or "
                              f"polygon (each star's sky annulus is --annulus)")
    if target in comparisons:
        raise PhotometryError(f"the target {target!r} cannot be one of its own comparisons")
    if len(set(comparisons)) != len(comparisons):
        raise PhotometryError("a comparison is named twice")
    if not comparisons:
        raise PhotometryError("no comparison stars: name at least one (--comparisons LABEL[,LABEL...])")
    return [SeriesStar(name, "T1" if k == 0 else f"C{k + 1}", by_label[name])
            for k, name in enumerate([target, *comparisons])]


def _number_of(image: Image, names) -> tuple[float | None, str | None]:
    for name in names:
        if (number := finite(image.keyword(name))) is not None:
            return number, name
    return None, None


def _detector(image: Image, gain, read_noise, dark, saturation, notes: list[str]) -> Detector:
    """The CCD equation's numbers: flags first, else the first frame's header, else gain 1 and no read noise."""
    if gain is None:
        gain, _ = _number_of(image, ("GAIN", "EGAIN", "CCDGAIN"))
        if gain is None and image.uncertainty is None:
            notes.append("no GAIN keyword and no --gain: errors assume 1 e-/ADU")
    if read_noise is None:
        read_noise, _ = _number_of(image, ("RDNOISE", "READNOIS", "RON", "READNOISE"))
    if saturation is None:
        saturation, _ = _number_of(image, ("SATURATE", "SATLEVEL", "MAXLIN"))
    gain = gain if gain and gain > 0 else 1.0
    return Detector(gain, read_noise or 0.0, dark or 0.0, saturation)


def _apertures(image: Image, target: SeriesStar, aperture, annulus, recentre: bool,
               dq_flags) -> tuple[Apertures, str]:
    if aperture is not None:
        radius, note = float(aperture), f"{float(aperture):g} px (--aperture)"
    else:
        radius, note = auto_radius(image, target, recentre, dq_flags)
    if annulus is None:
        inner, outer = 1.5 * radius, 2.5 * radius  # AstroImageJ's proportions (10, 15, 25)
    else:
        inner, outer = (float(v) for v in annulus)
    if not (0 < radius < inner < outer) or not all(map(math.isfinite, (radius, inner, outer))):
        raise PhotometryError(f"the aperture ({radius:g}) must lie inside the annulus ({inner:g} to {outer:g})")
    return Apertures(radius, inner, outer), note


def auto_radius(image: Image, target: SeriesStar, recentre: bool, dq_flags) -> tuple[float, str]:
    """Where the target's background-subtracted radial profile on the first frame falls to 1% of its peak (the
    background: the clipped median of the pixels beyond three quarters of the search radius)."""
    x, y = target.nominal(image)
    start = 0.0 if isinstance(target.region, POINT_SHAPES) else profiles.largest_semi_axis(target.on(image))
    search = max(SEARCH, 4.0 * start)
    what = f"{target.label} on {image.label}"
    dist, values, _ = profiles.pixels_within(image, x, y, search, 0.0, dq_flags, what)
    bg = starphot.clipped_median(values[dist > 0.75 * search])[0]
    if recentre:
        x, y = starphot.recentre(image, x, y, min(start, search / 2) or 5.0, bg, dq_flags, what)
        dist, values, _ = profiles.pixels_within(image, x, y, search, bg, dq_flags, what)
    else:
        values = values - bg
    index = (dist / 0.5).astype(np.int64)
    counts, sums = np.bincount(index), np.bincount(index, weights=values)
    used = counts > 0
    r, p = (np.flatnonzero(used) + 0.5) * 0.5, sums[used] / counts[used]
    if not p[0] > 0:
        raise PhotometryError(f"{what}: no peak to size the aperture on (give --aperture R)")
    below = np.flatnonzero(p <= AUTO_LEVEL * p[0])
    if not below.size:
        return search, (f"{search:g} px: the target's profile on {image.label} stays above 1% of its peak out to "
                        f"the search radius (auto)")
    k = int(below[0])
    level = AUTO_LEVEL * p[0]
    radius = r[k] if k == 0 else r[k - 1] + (level - p[k - 1]) * (r[k] - r[k - 1]) / (p[k] - p[k - 1])
    radius = max(round(float(radius), 1), 1.0)
    return radius, f"{radius:g} px, where the target's radial profile on {image.label} falls to 1% of its peak (auto)"


def _target_position(image: Image, target: SeriesStar):
    if isinstance(target.region, rg.SkyRegion):
        return target.region.center.icrs, "its region's sky position"
    if image.wcs is not None:
        x, y = target.nominal(image)
        return image.wcs.pixel_to_world(x, y).icrs, "the first frame's WCS"
    found = frametimes.header_target((image.header, image.primary_header))
    if found is not None:
        return found[0], f"the {found[1]} keywords"
    return None, None


def _site(site, frame: Frame):
    if site is not None:
        return tuple(float(v) for v in site), "the site given (--site)"
    found = frame.site
    if found is not None:
        return found, "the site in SITELAT/SITELONG"
    return None, None


__all__ = ["Series", "SeriesStar", "Settings", "FrameResult", "measure_frame", "relative_fluxes", "PER_STAR"]
