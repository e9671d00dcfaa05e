"""Many apertures on one image at once (`measure`, "measure all regions"): the rows calculate gives one by one, bit
for bit, with the per-pixel work done by NumPy for all apertures together.

Each aperture still gets regions' own masks (one grid call each, as to_mask makes); what is shared is everything
after: reading the pixels, the sums, the statistics. NumPy sums a contiguous array pairwise, so an aperture's sums
depend on how many values it has: apertures with equally many values are summed as the rows of one 2-D array,
which NumPy sums row by row exactly as it sums each row alone. Large circles go one by one (their own pixels
dominate their cost), through the same code as calculate.
"""

from __future__ import annotations

import math

import numpy as np
import astropy.units as u
import regions as rg
from astropy.coordinates import SkyCoord
from astropy.table import Column, QTable, vstack
from astropy.time import Time

from tui.core import quality, robust
from tui.core.errors import PhotometryError
from tui.core.footprint import SMALL, circle_centres, sum_mode
from tui.core.images import Image
from tui.core.inputs import Inputs
from tui.core.masks import circle_overlap_grid, fraction, on_image_box
from tui.core.photometry import (ALL_COLUMNS, STATS, Background, derived, extra_units, measure,
                                 refuse_overflow, region_center, same_unit)


def _segments(counts: np.ndarray):
    """For each distinct count n > 0: (the segments with n values, the (k, n) index of their values)."""
    offsets = np.cumsum(counts) - counts
    index_type = np.int32 if counts.sum() < 2**31 else np.int64  # half the index memory, nearly always
    for n in np.unique(counts).tolist():
        if n:
            chosen = np.flatnonzero(counts == n)
            yield chosen, offsets[chosen].astype(index_type)[:, None] + np.arange(n, dtype=index_type)


def segment_sums(flat: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """flat[o:o + n].sum() for each consecutive segment of `counts` values, bit for bit as NumPy sums each alone."""
    out = np.zeros(counts.size)
    for chosen, index in _segments(counts):
        out[chosen] = flat[index].sum(axis=1)
    return out


def centre_stats(values: np.ndarray, counts: np.ndarray, bg: float, xs: np.ndarray, ys: np.ndarray):
    """(sum of values - bg, mean, stddev, median, min, max, variance) per segment, as photometry.read and _stats
    compute them for one aperture, and the ten Imviz 5 columns as photometry.extras does (from the pixels' cutout
    coordinates xs, ys): NaN statistics (and a zero sum) for an empty segment."""
    out = np.zeros((7, counts.size))
    out[1:] = math.nan
    extra = {name: np.full(counts.size, math.nan) for name in robust.EXTRA}
    for chosen, index in _segments(counts):
        block = values[index]  # (k, n), the data's own type
        n = block.shape[1]
        shifted = np.subtract(block, bg, dtype=np.float64)
        total = shifted.sum(axis=1)
        mean = total / n
        deviations = shifted - mean[:, None]
        deviations *= deviations
        var = deviations.sum(axis=1) / n
        out[0, chosen], out[1, chosen], out[6, chosen] = total, mean, var
        out[2, chosen] = np.sqrt(var)
        low = block.min(axis=1).astype(np.float64) - bg
        high = block.max(axis=1).astype(np.float64) - bg
        out[4, chosen], out[5, chosen] = low, high
        mid = n // 2
        block.partition(mid, axis=1)
        upper = block[:, mid].astype(np.float64) - bg
        median = upper if n % 2 else ((block[:, :mid].max(axis=1).astype(np.float64) - bg) + upper) / 2
        out[3, chosen] = median
        found = robust.robust(shifted, median, mean, var, low, high)
        found.update(robust.shape(shifted, total, xs[index], ys[index]))
        for name, column in found.items():
            extra[name][chosen] = column
    return out, extra


class _Pixels:
    """The centre-mode and edge pixels of many small apertures, aperture after aperture, each in row-major order,
    as flat indices into the image."""

    def __init__(self, groups, shape, centres: np.ndarray):
        self.centres = centres  # (x, y) of each aperture, as photometry.region_center gives it
        centre_index, edge_index, weights, inside, n, m, xs, ys = [], [], [], [], [], [], [], []
        kind = np.int32 if shape[0] * shape[1] < 2**31 else np.int64  # half the index memory, nearly always
        for iy0, ix0, w, centre in groups:  # iy0, ix0: (k,) arrays; w, centre: (k, ny, nx)
            k, ny, nx = w.shape
            rows = iy0.astype(kind)[:, None, None] + np.arange(ny, dtype=kind)[:, None]
            flat = rows * kind(shape[1]) + (ix0.astype(kind)[:, None, None] + np.arange(nx, dtype=kind))
            edge = np.flatnonzero(w != centre)  # taken from three arrays: one search, not three boolean indexes
            centre_index.append(flat[centre]), edge_index.append(flat.reshape(-1).take(edge))
            # the centre-mode pixels' columns and rows in their cutout (the moments' coordinates)
            xs.append(np.broadcast_to(np.arange(nx, dtype=np.float64), (k, ny, nx))[centre])
            ys.append(np.broadcast_to(np.arange(ny, dtype=np.float64)[:, None], (k, ny, nx))[centre])
            weights.append(w.reshape(-1).take(edge)), inside.append(centre.reshape(-1).take(edge))
            n.append(np.count_nonzero(centre, axis=(1, 2)))
            m.append(np.bincount(edge // (ny * nx), minlength=k))
        one = lambda arrays: arrays[0] if len(arrays) == 1 else np.concatenate(arrays)  # one shape: no copy
        self.centre_index, self.edge_index = one(centre_index), one(edge_index)
        self.xs, self.ys = one(xs), one(ys)
        self.w, self.inside = one(weights), one(inside)
        self.n, self.m = one(n), one(m)

    def take(self, array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(centre-mode values, edge values) of an image-shaped array; only those pixels are read."""
        return _at(array, self.centre_index), _at(array, self.edge_index)

    def flagged(self, image, dq_flags) -> tuple[np.ndarray, np.ndarray] | None:
        """(centre-mode, edge) pixels flagged in DQ or the user's mask, or None when the image has neither."""
        if image.dq is None and image.mask is None:
            return None
        centre = quality.flagged(image, lambda array: _at(array, self.centre_index), dq_flags)
        return None if centre is None else (centre, quality.flagged(image, lambda a: _at(a, self.edge_index),
                                                                    dq_flags))


def _at(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """array.flat[index] without copying the array (a memory map stays on disk)."""
    if array.flags.c_contiguous:
        return np.asarray(np.take(array.reshape(-1), index))
    return np.asarray(array[np.unravel_index(index, array.shape)])


def _small_masks(regions: list, shape) -> tuple[list[int], list[int], list[tuple], _Pixels | None]:
    """Masks of the small regions, as on_image_mask gives them (regions' own grid functions, on the image part of
    the bounding box), grouped by shape. Returns (indices of the small regions in the pixels' order, indices of the
    large ones, failures, their pixels)."""
    stacked: list[tuple] = []  # per group of one box shape: (indices, iy0, ix0, weights, centre, centres)
    groups: dict[tuple, list] = {}
    large, failures = [], []
    circles = [k for k, region in enumerate(regions) if type(region) is rg.CirclePixelRegion]
    others = [k for k, region in enumerate(regions) if type(region) is not rg.CirclePixelRegion]
    if circles:
        large += _circle_masks([regions[k] for k in circles], circles, shape, stacked, failures)
    for k in others:
        region = regions[k]
        bbox = region.bounding_box
        if bbox.shape[0] * bbox.shape[1] >= SMALL:
            large.append(k)
            continue
        clipped = on_image_box(bbox, shape)
        if clipped is None:
            failures.append((k, "is outside the image"))
            continue
        weights = fraction(region, clipped, *sum_mode(region))
        if not weights.any():
            failures.append((k, "is outside the image"))
            continue
        groups.setdefault(weights.shape, []).append(
            (k, clipped.iymin, clipped.ixmin, weights, fraction(region, clipped, "center", 1) > 0,
             region_center(region)))
    for box, members in groups.items():
        # concatenate and reshape: cheaper than np.stack's per-array expand_dims at this size
        stack = lambda arrays: np.concatenate(arrays).reshape(-1, *box)
        stacked.append(([m[0] for m in members], np.array([m[1] for m in members]),
                        np.array([m[2] for m in members]), stack([m[3] for m in members]),
                        stack([m[4] for m in members]), np.array([m[5] for m in members], dtype=np.float64)))
    if not stacked:
        return [], large, failures, None
    small = [k for group in stacked for k in group[0]]
    centres = stacked[0][5] if len(stacked) == 1 else np.concatenate([group[5] for group in stacked])
    return small, large, failures, _Pixels([group[1:5] for group in stacked], shape, centres)


def _circle_masks(circles, indices, shape, stacked, failures) -> list[int]:
    """Exact weights of the small circles (one circle_overlap_grid call each, with to_mask's arguments) and their
    centre-mode masks, into `stacked` by box shape; returns the indices of the large ones."""
    centres = [circle.center for circle in circles]
    cx = np.array([c.x for c in centres], dtype=np.float64)
    cy = np.array([c.y for c in centres], dtype=np.float64)
    r = np.array([circle.radius for circle in circles], dtype=np.float64)
    # regions' CirclePixelRegion.bounding_box, for all at once; its size judged before becoming integers, and
    # corners far off the image (a centre at 1e300) brought near enough to stay integers and still miss it
    corners = [np.floor(cx - r + 0.5), np.ceil(cx + r + 0.5), np.floor(cy - r + 0.5), np.ceil(cy + r + 0.5)]
    is_large = (corners[1] - corners[0]) * (corners[3] - corners[2]) >= SMALL
    far = float(1 << 52)
    bx0, bx1, by0, by1 = (np.clip(c, -far, far).astype(np.int64) for c in corners)
    ix0, ix1 = np.maximum(bx0, 0), np.minimum(bx1, shape[1])
    iy0, iy1 = np.maximum(by0, 0), np.minimum(by1, shape[0])
    off = ~is_large & ((ix0 >= ix1) | (iy0 >= iy1))
    clipped = (ix0 != bx0) | (ix1 != bx1) | (iy0 != by0) | (iy1 != by1)
    failures += [(indices[i], "is outside the image") for i in np.flatnonzero(off).tolist()]
    chosen = np.flatnonzero(~is_large & ~off)
    # on_image_mask's grid: the on-image part of the bounding box, pixel edges relative to the centre
    xmin, xmax = ix0.astype(np.float64) - 0.5 - cx, ix1.astype(np.float64) - 0.5 - cx
    ymin, ymax = iy0.astype(np.float64) - 0.5 - cy, iy1.astype(np.float64) - 0.5 - cy
    nx, ny = ix1 - ix0, iy1 - iy0
    boxes: dict[tuple[int, int], tuple[list, list]] = {}  # (ny, nx) -> (circles, their weights)
    columns = (xmin, xmax, ymin, ymax, nx, ny, r, clipped)
    for i, x0, x1, y0, y1, w, h, radius, cut in zip(chosen.tolist(), *(c[chosen].tolist() for c in columns)):
        weights = circle_overlap_grid(x0, x1, y0, y1, w, h, radius, 1, 1)
        if cut and not weights.any():
            failures.append((indices[i], "is outside the image"))
            continue
        members, arrays = boxes.setdefault((h, w), ([], []))
        members.append(i)
        arrays.append(weights)
    grids = np.stack([xmin, xmax, ymin, ymax, r], axis=1)
    for box, (members, arrays) in boxes.items():
        weights = np.concatenate(arrays).reshape(-1, *box)
        pos = np.array(members)
        stacked.append(([indices[i] for i in members], iy0[pos], ix0[pos], weights,
                        circle_centres(weights, grids[pos]), np.stack([cx[pos], cy[pos]], axis=1)))
    return [indices[i] for i in np.flatnonzero(is_large).tolist()]


# Bounding-box pixels of the apertures measured together: bounds the memory of the arrays they share (about 40 MB)
# whatever their number and size.
CHUNK = 1 << 21


def _chunks(regions: list):
    """Indices of the regions in runs of at most CHUNK bounding-box pixels (at least one region each)."""
    run, pixels = [], 0
    for k, region in enumerate(regions):
        if type(region) is rg.CirclePixelRegion:
            side = 2 * float(region.radius) + 2
            area = side * side  # inf for a radius of 1e300, not an OverflowError
        else:
            bbox = region.bounding_box
            area = bbox.shape[0] * bbox.shape[1]
        if run and pixels + area > CHUNK:
            yield run
            run, pixels = [], 0
        run.append(k)
        pixels += area
    if run:
        yield run


@np.errstate(over="ignore", invalid="ignore")  # a signalling NaN pixel: see photometry.read
def measure_many(image: Image, regions: list, inputs: Inputs, labels: list[str],
                 background: Background | None = None, dq_flags: int | None = None):
    """Rows for many regions on one image: (a QTable of the measured ones in the order given, without ids, or None;
    failures as (index, message) in the order given). `inputs` must be validated, as for measure()."""
    bg = float(inputs.background)
    background = background or Background(bg)
    tables, order, failures, large = [], [], [], []
    for chunk in _chunks(regions):
        small, big, off, px = _small_masks([regions[k] for k in chunk], image.shape)
        large += [chunk[i] for i in big]
        failures += [(chunk[i], f"{labels[chunk[i]]} on {image.label} {why}") for i, why in off]
        if px is not None:
            small = [chunk[i] for i in small]
            table, kept, failed = _measure_small(image, inputs, [labels[k] for k in small], background, dq_flags,
                                                 px)
            tables.append(table)
            order += [small[i] for i in kept]
            failures += [(small[i], why) for i, why in failed]
    rows = []
    for k in large:
        try:
            rows.append(measure(image, regions[k], inputs, labels[k], background, dq_flags))
            order.append(k)
        except PhotometryError as exc:
            failures.append((k, str(exc)))
    if rows:
        from tui.core.results import build_table

        tables.append(build_table(rows, ALL_COLUMNS[1:]))
    tables = [t for t in tables if t is not None and len(t)]
    failures.sort()
    if not tables:
        return None, failures
    table = tables[0] if len(tables) == 1 else vstack(tables, join_type="exact")
    if all(a < b for a, b in zip(order, order[1:])):  # in the order given already, as usual: slicing copies
        return table, failures
    return table[np.argsort(order, kind="stable")], failures


def _measure_small(image, inputs, labels, background, dq_flags, px: _Pixels):
    bg = float(inputs.background)
    values, edge_values = px.take(image.data)
    values = values.astype(values.dtype.newbyteorder("="), copy=False)
    edge_values = edge_values.astype(np.float64)
    good = np.isfinite(values)
    edge_good = np.isfinite(edge_values)
    marked = px.flagged(image, dq_flags)
    if marked is not None:
        good &= ~marked[0]
        edge_good &= ~marked[1]
    count = px.n.size
    owner_e = np.repeat(np.arange(count), px.m)
    n_good, xs, ys = px.n, px.xs, px.ys
    if not good.all():
        n_good = np.bincount(np.repeat(np.arange(count), px.n)[good], minlength=count)
        values, xs, ys = values[good], xs[good], ys[good]
    m_good = np.bincount(owner_e[edge_good], minlength=count)

    (total, mean, std, median, low, high, _), imviz5 = centre_stats(values, n_good, bg, xs, ys)

    # The sums, as photometry.sums computes them
    delta = px.w - px.inside
    npix = px.n + segment_sums(delta, px.m)
    rawsum = total + segment_sums(delta[edge_good] * (edge_values[edge_good] - bg), m_good)
    covered_bad = ~edge_good & ~px.inside & (px.w > 0)
    npix_bad = (px.n - n_good) + np.bincount(owner_e[covered_bad], minlength=count)
    extra = px.w[edge_good] ** 2 - px.inside[edge_good]
    variance = _variance(image, px, good, edge_good, n_good, m_good, extra, rawsum, float(inputs.counts_factor),
                         background)
    raw_err = np.sqrt(variance)

    columns = derived(rawsum, raw_err, npix, image.unit, inputs)
    stats = (mean, std, median, low, high)
    failed = []
    suspect = ~np.isfinite(rawsum) | np.isinf(np.stack(stats)).any(axis=0)
    for name, col in columns.items():
        if col is not None:
            suspect |= np.isinf(col[0])
    for k in np.flatnonzero(suspect).tolist():
        try:
            refuse_overflow(f"{labels[k]} on {image.label}", inputs, float(rawsum[k]),
                            tuple(float(s[k]) for s in stats), columns, k)
        except PhotometryError as exc:
            failed.append((k, str(exc)))
    keep = np.ones(count, bool)
    keep[[k for k, _ in failed]] = False
    table = _table(image, px.centres, npix, columns, stats, imviz5, npix_bad, labels, background, bg)
    return (table if keep.all() else table[keep]), np.flatnonzero(keep).tolist(), failed


def _variance(image, px, good, edge_good, n_good, m_good, extra, rawsum, c, background) -> np.ndarray:
    """Variance of each rawsum, as photometry.raw_variance computes it."""
    unit = image.unit
    if image.uncertainty is not None:
        centre = image.uncertainty.variance(lambda a: _at(a, px.centre_index))[good]
        edges = image.uncertainty.variance(lambda a: _at(a, px.edge_index))[edge_good]
        total = segment_sums(centre, n_good) + segment_sums(extra * edges, m_good)
        starts_c, starts_e = np.cumsum(n_good) - n_good, np.cumsum(m_good) - m_good
        for k in np.flatnonzero(~np.isfinite(total)).tolist():  # a NaN sigma on a good pixel: rare
            cv = centre[starts_c[k]:starts_c[k] + n_good[k]]
            ev, xv = edges[starts_e[k]:starts_e[k] + m_good[k]], extra[starts_e[k]:starts_e[k] + m_good[k]]
            known = np.isfinite(ev)
            total[k] = float(cv[np.isfinite(cv)].sum()) + float(np.sum(xv[known] * ev[known]))
        return total
    total = np.zeros(rawsum.size)
    known = False
    if unit is not None and not same_unit(unit, u.count) and c > 0:
        total += np.where(rawsum >= 0, rawsum * c, math.nan)
        known = True
    if math.isfinite(background.std):
        total += (n_good + segment_sums(extra, m_good)) * background.std**2
        known = True
    return total if known else np.full(rawsum.size, math.nan)


def _quantity(values, unit):
    """A column as build_table makes it from rows: a Quantity, or plain floats for unitless data."""
    return Column(np.asarray(values, dtype=np.float64)) if unit is None else u.Quantity(values, unit)


def _table(image, centres, npix, columns, stats, imviz5, npix_bad, labels, background, bg) -> QTable:
    n = len(labels)
    unit = image.unit
    if image.wcs is not None:
        sky = image.wcs.pixel_to_world(centres[:, 0], centres[:, 1])
        sky = SkyCoord(sky.spherical.lon.deg, sky.spherical.lat.deg, unit="deg", frame=sky.frame.name)
    else:
        sky = Column([None] * n, dtype=object)
    now = Time.now()
    cols = {
        "xcenter": u.Quantity(centres[:, 0], u.pix),
        "ycenter": u.Quantity(centres[:, 1], u.pix),
        "sky_center": sky,
        "background": _quantity(np.full(n, bg), unit),
        "npix": u.Quantity(npix, u.pix),
        "data_label": Column([image.label] * n, dtype=str),
        "subset_label": Column(labels, dtype=str),
        "timestamp": Time(np.full(n, now.jd1), np.full(n, now.jd2), format="jd", scale="utc").copy(format="isot"),
        "npix_bad": Column(np.asarray(npix_bad, dtype=np.int64)),
        "background_err": _quantity(np.full(n, background.err), unit),
        "background_npix": Column(np.full(n, background.npix, dtype=np.int64)),
        "background_stat": Column([background.stat] * n, dtype=str),
    }
    for name, col in columns.items():
        cols[name] = Column([None] * n, dtype=object) if col is None else _quantity(*col)
    cols.update((name, _quantity(values, unit)) for name, values in zip(STATS, stats))
    cols.update((name, _quantity(imviz5[name], extra_unit)) for name, extra_unit in extra_units(unit).items())
    return QTable({name: cols[name] for name in ALL_COLUMNS[1:]}, copy=False)
