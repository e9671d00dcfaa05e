"""Session: the public API. Holds images, subsets, inputs and results; the UI and the batch command use it."""

from __future__ import annotations

import math
import os
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import astropy.units as u
import regions as rg
from astropy.io import fits
from astropy.table import QTable

from tui.core import images, metadata, notices, photometry, physical, profiles
from tui.core.errors import PhotometryError
from tui.core.export import write_table
from tui.core.footprint import share_off_image
from tui.core.formatting import counted, unit_text
from tui.core.images import Image
from tui.core.inputs import Inputs
from tui.core.journal import Journal, Replay, read_journal
from tui.core.masks import on_image_box
from tui.core.notices import Notice
from tui.core.results import Results, Rows
from tui.core.regionfiles import read_region_file, write_region_file
from tui.core.subsets import Subset, check_shape, make_region, moved_sky, pixel_region, pixel_regions, same_shape


def _outside_core() -> int:
    """The warnings stack level of the first caller outside tui.core (a script's call of calculate), counted from
    the function that calls warnings.warn."""
    frame, level = sys._getframe(1), 1
    here = os.path.dirname(__file__)
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame, level = frame.f_back, level + 1
    return level


def _centre_lost(mean) -> np.ndarray:
    """Whether each mean (a row's, or a column of them) is NaN: that happens only when no pixel centred in its
    aperture was usable (NaN or flagged, every one)."""
    return np.isnan(np.asarray(mean, dtype=np.float64))


class Session:
    """`warn`: also issue each notice about a result as a Python warning (tui.core.notices), as scripts and
    notebooks expect; front ends that show `pop_notices()` themselves turn it off."""

    def __init__(self, journal: str | os.PathLike | None = None, warn: bool = True):
        self.images: dict[str, Image] = {}
        self.subsets: dict[str, Subset] = {}
        self.inputs = Inputs()
        self.selected_data: str | None = None
        self.selected_subset: str | None = None
        self.notices: list[Notice] = []  # things to tell the user (skipped regions, unparseable units, ...)
        self.warn = warn
        # DQ bits that make a pixel bad; None: each image's telescope default (quality.default_dq_flags)
        self.dq_flags: int | None = None
        self._results = Results()
        self._journal: Journal | None = None
        self._arrays = 0
        if journal is not None:
            self.attach_journal(journal)

    # -- loading --------------------------------------------------------------------------------------
    def load_data(self, source, label: str | None = None, unit=None, wcs=None, meta=None, error=None,
                  mask=None) -> str:
        """Load a FITS path, HDU/HDUList, 2-D array/Quantity or an Image; returns its data label.

        `error` (per-pixel sigma, in the data unit) and `mask` (True = bad pixel) add to, or replace, what a
        file's ERR/VAR_* and DQ extensions give.
        """
        if isinstance(source, images.Image):
            image = source  # made elsewhere (a frame of a sequence, read by tui.core.frames)
        elif isinstance(source, (str, os.PathLike)):
            image = images.load_fits(source)
        elif isinstance(source, fits.HDUList):
            image = images.from_hdu(images.pick_hdu(source), "HDUList", source[0].header)
        elif isinstance(source, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
            image = images.from_hdu(source, "HDU")
        elif isinstance(source, (np.ndarray, list)) or hasattr(source, "__array__"):
            self._arrays += 1
            image = images.from_array(source, label or f"Array {self._arrays}", unit=unit, wcs=wcs, meta=meta)
        else:
            raise PhotometryError(f"cannot load data from a {type(source).__name__}")
        images.with_quality(image, error=error, mask=mask)
        image.label = self._unique(label or image.label, self.images)
        self.images[image.label] = image
        self.notices.extend(map(Notice, image.notes))
        if self.selected_data is None:
            self.select_data(image.label)
        return image.label

    def add_subset(self, region, label: str | None = None, origin: str | None = None) -> str:
        """Add a region; returns its subset label. `origin`: the data label a pixel region was drawn on."""
        check_shape(region, label)
        return self._add_subset(region, label, origin)

    def _add_subset(self, region, label: str | None, origin: str | None = None) -> str:
        if origin is not None:
            self._image(origin)
        if label is not None and label in self.subsets:
            raise PhotometryError(f"a subset named {label!r} already exists")
        label = label or self._next_subset_label()
        self.subsets[label] = Subset(label, region, origin)
        if self.selected_subset is None and not self.subsets[label].is_annulus:
            self.selected_subset = label
        return label

    def load_regions(self, path) -> list[str]:
        """Add every usable region of a DS9 or CRTF file; returns the labels added. A region with the label and
        shape of one loaded already is not added again (the file opened again, after a star was added to it in
        DS9, say); a label another region holds becomes "label (2)"."""
        found, notes = read_region_file(path)
        self.notices.extend(map(Notice, notes))
        added, again = [], []
        for region, text in found:  # read_region_file checked each region as it read the file
            if text is not None and any(same_shape(self.subsets[label].region, region)
                                        for label in self._numbered(text)):
                again.append(text)
            else:
                added.append(self._add_subset(region, None if text is None else self._unique(text, self.subsets)))
        if again:
            names = ", ".join(again[:3]) + (" ..." if len(again) > 3 else "")
            self.notices.append(Notice(f"{Path(path).name}: {counted(len(again), 'region')} loaded already, "
                                       f"not added again ({names})"))
        return added

    def _next_subset_label(self) -> str:
        n = len(self.subsets) + 1
        while f"Subset {n}" in self.subsets:
            n += 1
        return f"Subset {n}"

    def _numbered(self, text: str) -> list[str]:
        """The subsets a file's label `text` named: "text", "text (2)", ... (_unique's names)."""
        found, n = [], 2
        label = text
        while label in self.subsets:
            found.append(label)
            label, n = f"{text} ({n})", n + 1
        return found

    @staticmethod
    def _unique(label: str, taken) -> str:
        if label not in taken:
            return label
        n = 2
        while f"{label} ({n})" in taken:
            n += 1
        return f"{label} ({n})"

    # -- selection and inputs ---------------------------------------------------------------------------
    def _image(self, label: str) -> Image:
        try:
            return self.images[label]
        except KeyError:
            raise PhotometryError(f"no data named {label!r}") from None

    def _subset(self, label: str) -> Subset:
        try:
            return self.subsets[label]
        except KeyError:
            raise PhotometryError(f"no subset named {label!r}") from None

    def _inputs_for(self, label: str) -> Inputs:
        """Inputs after choosing `label`: background kept, the rest auto-filled or reset (SPEC)."""
        filled = metadata.autofill(self._image(label))
        sources = {k: v for k, v in self.inputs.sources.items() if k == "background"}
        sources.update({name: f.source for name, f in filled.items()})
        return replace(self.inputs, sources=sources, **{name: f.value for name, f in filled.items()})

    def select_data(self, label: str) -> None:
        self.inputs = self._inputs_for(label)
        self.selected_data = label

    def select_subset(self, label: str) -> None:
        self._subset(label)
        self.selected_subset = label

    def background_estimate(self, data: str | None = None) -> photometry.Background | None:
        """The background region's estimate on an image (median or sigma-clipped median, with its standard
        error), or None when no background region is set."""
        if self.inputs.background_region is None:
            return None
        image = self._image(data or self._require(self.selected_data, "data"))
        subset = self._subset(self.inputs.background_region)
        region = pixel_region(subset, image)
        return photometry.background_estimate(image, region, f"background region {subset.label}",
                                              self.inputs.background_stat, self.dq_flags)

    def background_median(self, data: str | None = None) -> float | None:
        """The background region's value on an image, or None when no background region is set."""
        estimate = self.background_estimate(data)
        return None if estimate is None else estimate.value

    def pixel_region(self, subset: str, data: str) -> rg.PixelRegion:
        """A subset in an image's pixel coordinates (what the thumbnail draws)."""
        return pixel_region(self._subset(subset), self._image(data))

    def misses_image(self, subset: str, data: str) -> bool:
        """Whether a subset lies wholly off an image, by its bounding box (a typo in a typed centre, say), so that
        nothing on it could be measured; False when it cannot be placed there at all (calculate says why)."""
        image = self._image(data)
        try:
            region = pixel_region(self._subset(subset), image)
        except PhotometryError:
            return False
        return on_image_box(region.bounding_box, image.shape) is None

    def pixel_regions(self, subsets: list[str], data: str) -> list:
        """pixel_region of many subsets at once (sky circles are placed together): each a pixel region, or the
        PhotometryError that placing it raised."""
        return pixel_regions([self._subset(label) for label in subsets], self._image(data))

    def add_drawn_region(self, shape: str, data: str, x: float, y: float, size: float,
                         size2: float | None = None, angle: float = 0.0, label: str | None = None) -> str:
        """A region placed from the keyboard on an image (pixels, angle in degrees); returns its label.

        On an image with a celestial WCS it is kept in sky coordinates, so it follows the source on other images.
        """
        image = self._image(data)
        region = make_region(shape, x, y, size, size2, angle)
        if image.wcs is not None:
            return self.add_subset(region.to_sky(image.wcs), label=label)
        return self.add_subset(region, label=label, origin=data)

    def add_background_annulus(self, subset: str | None = None, data: str | None = None, inner: float | None = None,
                               outer: float | None = None) -> str:
        """An annulus around a subset (default: the selected one), made the background region; returns its label,
        "<subset> sky". Radii by default 1.5 and 2.5 times the subset's largest semi-axis (as `series` takes
        them). It is in the subset's coordinates, so it stays around it on every image: on the sky for a sky subset
        (placed through the WCS of `data`, default the selected image, whose pixels `inner` and `outer` are in),
        else in the subset's own pixels (image or DS9 physical)."""
        subset = self._require(subset or self.selected_subset, "subset")
        chosen = self._subset(subset)
        image = self._image(self._require(data or self.selected_data, "data")) if chosen.is_sky else None
        around = pixel_region(chosen, image) if chosen.is_sky else chosen.region
        size = profiles.largest_semi_axis(around)
        x, y = photometry.region_center(around)
        annulus = make_region("annulus", x, y, 1.5 * size if inner is None else inner,
                              2.5 * size if outer is None else outer)
        if chosen.is_sky:
            annulus = annulus.to_sky(image.wcs)
        elif physical.is_physical(around):
            annulus.meta["frame"] = physical.FRAME
        label = self.add_subset(annulus, self._unique(f"{subset} sky", self.subsets), origin=chosen.origin)
        self.inputs.background_region = label
        return label

    def pixel_info(self, data: str, x: float, y: float) -> dict:
        """What the cursor reads out at a pixel: value (with unit text), sky position (None where the WCS puts the
        pixel on no sky, as beyond an all-sky map's projection)."""
        image = self._image(data)
        ix, iy = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
        inside = 0 <= ix < image.shape[1] and 0 <= iy < image.shape[0]
        info = {"value": float(image.data[iy, ix]) if inside else None, "unit": unit_text(image.unit), "sky": None}
        if image.wcs is not None:
            sky = image.wcs.pixel_to_world(x, y)
            if math.isfinite(sky.spherical.lon.deg) and math.isfinite(sky.spherical.lat.deg):
                info["sky"] = sky
        return info

    @staticmethod
    def _require(label: str | None, what: str) -> str:
        if label is None:
            raise PhotometryError(f"no {what} selected; load some first")
        return label

    # -- photometry -----------------------------------------------------------------------------------
    def _prepare(self, data, subset, background=None, **fields):
        """What a measurement needs, by calculate's rules: the selection by default, the inputs auto-filled for
        another image, the background region's estimate unless a background is given. Raises for bad input."""
        subset = self._require(subset or self.selected_subset, "subset")
        chosen = self._subset(subset)
        if chosen.is_annulus:
            raise PhotometryError(f"{subset} is an annulus: use it as the background region, not as an aperture")
        data, image, base, inputs, estimate = self._prepare_inputs(data, background, **fields)
        return data, subset, image, chosen, base, inputs, estimate

    def _prepare_inputs(self, data, background=None, **fields):
        data = self._require(data or self.selected_data, "data")
        image = self._image(data)
        base = self.inputs if data == self.selected_data else self._inputs_for(data)
        estimate = None
        if background is None and base.background_region is not None:
            estimate = self.background_estimate(data)
            background = estimate.value
            base = replace(base, background=background)
        inputs = base.validated(background=background, **fields)
        return data, image, base, inputs, estimate

    def _notify(self, notice: Notice | None) -> None:
        if notice is None:
            return
        self.notices.append(notice)
        if self.warn:
            warnings.warn(notice, notice.category, stacklevel=_outside_core())

    def _pixel_notice(self, subset: str, chosen: Subset, data: str) -> None:
        if chosen.origin is not None and chosen.origin != data and not chosen.is_sky:
            self._notify(notices.about_row(f"drawn in pixel coordinates of {chosen.origin} and used unchanged, as "
                                           f"the two images share no sky frame", notices.PixelCoordinatesWarning,
                                           subset, data))

    def calculate(self, data=None, subset=None, background=None, pixel_area=None, counts_factor=None,
                  flux_scaling=None) -> dict:
        """Measure a subset on an image, append the row and return it. Bad input changes nothing."""
        data, subset, image, chosen, base, inputs, estimate = self._prepare(
            data, subset, background, pixel_area=pixel_area, counts_factor=counts_factor, flux_scaling=flux_scaling)
        self._pixel_notice(subset, chosen, data)
        region = pixel_region(chosen, image)
        row = photometry.measure(image, region, inputs, subset, estimate, self.dq_flags)
        stored, started_new = self._results.add(row)
        self._new_table_notice(started_new, stored)
        if self._journal is not None:
            self._journal.append(stored)
        self._notify(notices.damaged_aperture(stored["npix_bad"], subset, data, bool(_centre_lost(stored["mean"]))))
        self._notify(notices.off_image(share_off_image(region, image.shape, stored["npix"].value), subset, data))
        if self._sums_surface_brightness(image, inputs):
            self._notify(notices.surface_brightness_sum(unit_text(image.unit), data, subset))
        self.inputs, self.selected_data, self.selected_subset = base, data, subset
        return stored

    def calculate_many(self, data=None, subsets=None, background=None, pixel_area=None, counts_factor=None,
                       flux_scaling=None) -> tuple[QTable | None, list[tuple[str, str]]]:
        """Measure many subsets on one image at once (default: every aperture, not the background region) and
        append their rows: the rows calculate gives one by one, in the order given, computed together.

        Returns (the stored rows as a table with ids, or None; [(subset, why it was skipped)]). Bad inputs
        raise, as for calculate; a subset that cannot be measured is skipped.
        """
        from tui.core.many import measure_many

        data, image, base, inputs, estimate = self._prepare_inputs(
            data, background, pixel_area=pixel_area, counts_factor=counts_factor, flux_scaling=flux_scaling)
        if subsets is None:
            subsets = [label for label, sub in self.subsets.items()
                       if not sub.is_annulus and label != base.background_region]
        skipped, labels, regions = [], [], []
        chosen = [self._subset(subset) for subset in subsets]
        for subset, sub, region in zip(subsets, chosen, pixel_regions(chosen, image)):
            if sub.is_annulus:
                region = PhotometryError(f"{subset} is an annulus: use it as the background region, not as an "
                                         f"aperture")
            if isinstance(region, PhotometryError):
                skipped.append((subset, str(region)))
                continue
            self._pixel_notice(subset, sub, data)
            labels.append(subset)
            regions.append(region)
        table, failures = measure_many(image, regions, inputs, labels, estimate, self.dq_flags)
        skipped += [(labels[k], why) for k, why in failures]
        order = {label: k for k, label in enumerate(subsets)}
        skipped.sort(key=lambda item: order[item[0]])
        stored = None if table is None else self.add_table(table, adopt=True)  # measure_many's own, made here
        if stored is not None:
            measured = dict(zip(labels, regions))
            for subset, bad, npix, lost in zip(stored["subset_label"].tolist(), stored["npix_bad"].tolist(),
                                               stored["npix"].value.tolist(), _centre_lost(stored["mean"]).tolist()):
                self._notify(notices.damaged_aperture(bad, subset, data, lost))
                self._notify(notices.off_image(share_off_image(measured[subset], image.shape, npix), subset, data))
            if self._sums_surface_brightness(image, inputs):
                self._notify(notices.surface_brightness_sum(unit_text(image.unit), data))
        self.inputs, self.selected_data = base, data
        return stored, skipped

    @staticmethod
    def _sums_surface_brightness(image, inputs) -> bool:
        return photometry.is_per_steradian(image.unit) and not inputs.pixel_area > 0

    def _new_table_notice(self, started_new: bool, first: dict) -> None:
        if started_new:
            rows = len(self.archived_results[-1])
            self._notify(notices.about_row(
                f"its columns or units differ from the results table's, so a new table was started; the previous "
                f"table ({counted(rows, 'row')}) is kept and can still be exported",
                notices.NewTableWarning, first["subset_label"], first["data_label"]))

    # -- judging the aperture -------------------------------------------------------------------------
    def _profile_input(self, data, subset, background):
        data, subset, image, chosen, _, inputs, _ = self._prepare(data, subset, background)
        return image, pixel_region(chosen, image), float(inputs.background), f"{subset} on {data}", inputs

    def radial_profile(self, data=None, subset=None, background=None, raw=False, bin_width=1.0,
                       max_radius=None) -> QTable:
        """Background-subtracted radial profile about the subset's centre: binned (`radius`, `profile`, `npix`) or
        one row per pixel (`raw=True`); out to twice the subset's largest semi-axis unless `max_radius` is given."""
        image, region, bg, what, _ = self._profile_input(data, subset, background)
        return profiles.radial_profile(image, region, bg, what, raw, bin_width, max_radius, self.dq_flags)

    def curve_of_growth(self, data=None, subset=None, background=None, radii=None) -> QTable:
        """`radius`, `aperture_sum` (exact circles on the subset's centre, calculate's units and pixel-area rule)
        and `fraction` of the sum at the largest radius; radii 1, 2, ... up to the largest semi-axis by default."""
        image, region, bg, what, inputs = self._profile_input(data, subset, background)
        return profiles.curve_of_growth(image, region, bg, what, float(inputs.pixel_area), radii, self.dq_flags)

    def profile_fit(self, data=None, subset=None, background=None) -> dict:
        """A Gaussian fitted to the binned profile: fwhm (and fwhm_arcsec with a pixel area), amplitude, sigma,
        success and message. A failed fit says why; it does not raise."""
        image, region, bg, what, inputs = self._profile_input(data, subset, background)
        profile = profiles.radial_profile(image, region, bg, what, dq_flags=self.dq_flags)
        return profiles.gaussian_fit(profile, float(inputs.pixel_area))

    def centroid(self, data=None, subset=None, background=None) -> tuple[float, float]:
        """Intensity-weighted centroid inside the subset, iterated until it moves less than 0.01 pix (10 at most)."""
        image, region, bg, what, _ = self._profile_input(data, subset, background)
        return profiles.centroid(image, region, bg, what, self.dq_flags)

    def recenter(self, subset: str | None = None, data: str | None = None) -> tuple[float, float]:
        """Move a subset to its centroid on an image; returns the shift (dx, dy) in pixels. A sky subset stays in sky
        coordinates (moved through the image's WCS). Rows already measured keep their centres."""
        subset = self._require(subset or self.selected_subset, "subset")
        image, region, bg, what, _ = self._profile_input(data, subset, None)
        x0, y0 = photometry.region_center(region)
        x, y = profiles.centroid(image, region, bg, what, self.dq_flags)
        chosen = self.subsets[subset]
        if chosen.is_sky:
            new = moved_sky(chosen.region, image.wcs, x - x0, y - y0)
        elif physical.is_physical(chosen.region):  # it stays in physical coordinates, as a sky subset stays on the sky
            new = profiles.moved(chosen.region, *physical.shifted(chosen.region, image, subset, x - x0, y - y0))
        else:
            new = profiles.moved(region, x, y)
        self.subsets[subset] = replace(chosen, region=new)
        return x - x0, y - y0

    def profile_summary(self, data=None, subset=None, background=None) -> dict:
        """HWHM, the radius holding 90% of the flux within twice the largest semi-axis, the fraction of that flux
        the aperture holds, the centroid's offset from the subset centre, with a sentence for the user; and the FWHM
        from the image moments (moment_fwhm, the row's fwhm column) beside the Gaussian fit's."""
        image, region, bg, what, inputs = self._profile_input(data, subset, background)
        outer = 2 * profiles.largest_semi_axis(region)
        step = max(1, math.ceil(outer / 100))
        radii = np.arange(step, math.ceil(outer) + step, step, dtype=float)
        growth = profiles.curve_of_growth(image, region, bg, what, 0.0, radii, self.dq_flags)
        profile = profiles.radial_profile(image, region, bg, what, dq_flags=self.dq_flags)
        fit = profiles.gaussian_fit(profile, float(inputs.pixel_area))
        result = profiles.summary(fit, growth, photometry.aperture_sum(image, region, bg, what, self.dq_flags))
        x0, y0 = photometry.region_center(region)
        try:
            x, y = profiles.centroid(image, region, bg, what, self.dq_flags)
            result["centroid_offset"] = (x - x0, y - y0)
        except PhotometryError as exc:
            result["centroid_offset"], result["centroid_problem"] = None, str(exc)
        result.update(profile=profile, growth=growth, fit=fit, background=bg,
                      aperture_radius=profiles.largest_semi_axis(region) * u.pix,
                      moment_fwhm=photometry.moment_shape(image, region, bg, what, self.dq_flags)["fwhm"] * u.pix)
        return result

    # -- results --------------------------------------------------------------------------------------
    def get_aperture_photometry_results(self, extended: bool = False) -> QTable | None:
        """The results as in Imviz (21 columns), or with `extended=True` also the uncertainty columns
        (aperture_sum_err, npix_bad, snr, background_err, background_npix, background_stat) and the current Imviz
        plugin's ten (mode, mad_std, var, biweight_location, biweight_midvariance, fwhm, semimajor_axis,
        semiminor_axis, orientation, eccentricity)."""
        table = self._results.table
        if table is None:
            return None
        return table.copy() if extended else table[list(photometry.COLUMNS)]

    @property
    def archived_results(self) -> list[QTable]:
        return self._results.archived

    @property
    def result_rows(self) -> Rows:
        """The current table's rows as a sequence of dicts (what the UI shows), each made only when asked for."""
        return self._results.rows

    def export_results(self, path, overwrite: bool = False, archived: int | None = None):
        """Write the results (or `archived_results[archived]`); format from the extension."""
        if archived is None:
            table = self._results.table
        else:
            try:
                table = self.archived_results[archived]
            except IndexError:
                raise PhotometryError(f"there is no archived table {archived}") from None
        return write_table(table, path, overwrite=overwrite)

    def save_regions(self, path, overwrite: bool = False, subsets: list[str] | None = None) -> Path:
        """Write subsets (default: every one, in the order added) to a DS9 region file (.reg) that DS9, `measure`
        and `series` read back as the same regions: each in its own frame (pixel, physical or sky), under its
        label, where it is now (recentred ones included). A label DS9 cannot hold as it is is saved changed, and
        said. Returns the path written."""
        chosen = list(self.subsets.values()) if subsets is None else [self._subset(label) for label in subsets]
        written, changed = write_region_file(chosen, path, overwrite)
        for note in changed:
            self._notify(Notice(f"{written.name}: {note}", notices.RegionLabelWarning))
        return written

    def add_table(self, table: QTable, adopt: bool = False) -> QTable:
        """Rows measured elsewhere as a table without ids (measure_many's, from a cluster worker): numbered and kept
        by the same compatibility rule as calculate's, and journaled. Returns them with their ids. `adopt`: the
        table is the caller's to give, and is kept itself (its id column added) rather than copied."""
        stored, started_new = self._results.add_table(table, adopt)
        self._new_table_notice(started_new, {"subset_label": str(stored["subset_label"][0]),
                                             "data_label": str(stored["data_label"][0])})
        if self._journal is not None:
            self._journal.append_table(stored)
        return stored

    def results_since(self, start: int) -> QTable | None:
        """The current table's rows from index `start` on (what a stream has not written yet)."""
        return self._results.since(start)

    def results_ends(self, head: int, tail: int) -> QTable | None:
        """The current table's first `head` and last `tail` rows (all of them when it has no more), every column."""
        return self._results.ends(head, tail)

    @property
    def result_count(self) -> int:
        """Rows in the current table, without making them into dicts."""
        return len(self._results)

    @classmethod
    def restore(cls, path, journal: bool = True) -> "Session":
        """A session holding the results recorded in a journal (and journaling on to it)."""
        session = cls()
        if journal:
            session.restore_journal(path)
        else:
            session.replay_journal(path)
        return session

    def replay_journal(self, path, replay: Replay | None = None) -> Replay:
        """Add the results recorded in a journal, through the same compatibility rule. Damaged lines are skipped;
        the Replay lists them (line number, reason), and a notice tells the user. `replay`: the journal already
        read (read_journal, which a UI runs in a worker thread)."""
        replay = read_journal(path) if replay is None else replay
        self._add_replay(replay, path)
        return replay

    def restore_journal(self, path, replay: Replay | None = None) -> Replay:
        """Replay a journal and journal on to it. One with damaged lines is kept as `<name>.damaged`, and its good
        rows are written to a new journal at `path`, so the next start finds nothing to skip."""
        path = Path(path).expanduser()
        replay = read_journal(path) if replay is None else replay
        if replay.skipped:
            replay.damaged = path.with_name(path.name + ".damaged")
            try:
                os.replace(path, replay.damaged)
            except OSError:
                replay.damaged = None  # cannot move it: journal on after it, skipping the same lines next time
        self._add_replay(replay, path)
        self.attach_journal(path)
        if replay.damaged is not None:
            for table in replay.tables:  # a failure shows in journal_error; the rows are kept
                self._journal.append_table(table)
        return replay

    def _add_replay(self, replay: Replay, path) -> None:
        for table in replay.tables:
            self._results.add_table(table)
        if notice := replay.describe(path):
            self.notices.append(Notice(notice))

    def attach_journal(self, path) -> None:
        """Append every later result to `path` as it is computed."""
        if self._journal is not None:
            self._journal.close()
        self._journal = Journal(path)

    @property
    def journal_path(self):
        return None if self._journal is None else self._journal.path

    @property
    def journal_error(self) -> str | None:
        """Why the latest results could not be journaled (disk full, quota, ...), or None while all is written."""
        return None if self._journal is None else self._journal.error

    def pop_notices(self) -> list[Notice]:
        """What the session has to tell the user since last asked (each a str, with its category and the row it
        concerns when it is about one), oldest first."""
        notices, self.notices = self.notices, []
        return notices

    def close(self) -> bool:
        """Close the journal; False when rows could not be written to it (journal_error says why)."""
        return True if self._journal is None else self._journal.close()
