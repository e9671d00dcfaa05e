"""Where a region lies on an image, in the form photometry reads it: the centre-mode pixels (the statistics) and the
few edge pixels whose sum weight differs from their centre-mode weight.

The weighted sum over a region is the plain sum over its centre-mode pixels plus (weight - centre weight) x value
over the edge pixels, so a large aperture never needs a weight array the size of its bounding box: a circle's
centre-mode pixels are one run per row, and only the pixels its edge crosses get exact weights. The pixel grid and
its arithmetic are on_image_mask's (regions' own to_mask for a region wholly on the image), so which pixel centres
fall inside is decided bit for bit as regions decides it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import regions as rg

from tui.core.masks import circle_overlap_grid, fraction, on_image_box, on_image_mask

# Below this many bounding-box pixels (a circle of radius 120) a region's masks are built whole (a circle's in one
# grid call): cheaper than finding its edge (bench_core, when measured: r=50 took 0.36 ms whole, 0.6 ms from the
# edge; r=150 1.6 ms and 1.4 ms).
SMALL = 240 * 240


@dataclass(frozen=True)
class Footprint:
    large: tuple[slice, slice]  # the region's bounding box on the image: the cutout everything else indexes
    count: int  # centre-mode pixels
    inside: np.ndarray | None  # centre-mode pixels of the cutout (regions built from whole masks) ...
    runs: list | None  # ... or (row, start, stop) per row of the cutout (large circles)
    run_arrays: tuple | None  # the runs as three int arrays (rows, starts, stops)
    edge_y: np.ndarray  # edge pixels in the cutout, in row-major order
    edge_x: np.ndarray
    edge_weight: np.ndarray  # their sum weight (SPEC: exact overlap; rectangles 32x32 subpixels)
    edge_inside: np.ndarray  # their centre-mode weight (bool)

    def take(self, cutout: np.ndarray, dtype=None) -> np.ndarray:
        """The centre-mode pixels of a cutout-shaped array, in row-major order (a new array)."""
        cutout = cutout.view(np.ndarray)  # a memory map's slices each run Python code: slice the plain array
        if self.inside is not None:
            values = cutout[self.inside]
            return values if dtype is None else values.astype(dtype, copy=False)
        if not self.runs:
            return np.empty(0, dtype or cutout.dtype)
        return np.concatenate([cutout[row, start:stop] for row, start, stop in self.runs], dtype=dtype)

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the centre-mode pixels, in take() order, as float64 columns and rows of the cutout."""
        if self.inside is not None:  # a boolean index of broadcast ranges: 2.5 times as fast as np.nonzero
            ny, nx = self.inside.shape
            return (np.broadcast_to(np.arange(nx, dtype=np.float64), (ny, nx))[self.inside],
                    np.broadcast_to(np.arange(ny, dtype=np.float64)[:, None], (ny, nx))[self.inside])
        if not self.runs:
            return np.empty(0), np.empty(0)
        rows, starts, stops = self.run_arrays
        return self.run_columns(), np.repeat(rows.astype(np.float64), stops - starts)

    def run_columns(self) -> np.ndarray:
        """x of the centre-mode pixels of a footprint made of runs, in take() order."""
        _, starts, stops = self.run_arrays
        lengths = stops - starts
        # in int32, then one conversion: half the time of building the floats directly
        xs = np.repeat((starts - self.run_offsets()).astype(np.int32), lengths)
        xs += np.arange(self.count, dtype=np.int32)
        return xs.astype(np.float64)

    def run_offsets(self) -> np.ndarray:
        """Where each run starts in take()'s values."""
        _, starts, stops = self.run_arrays
        lengths = stops - starts
        return np.cumsum(lengths) - lengths

    def at_edges(self, cutout: np.ndarray) -> np.ndarray:
        return cutout[self.edge_y, self.edge_x]

    @property
    def covers_image(self) -> bool:
        """Whether any pixel of the image has weight: a bounding box can touch the image while the region misses."""
        return self.count > 0 or bool(np.any(self.edge_weight > 0))


def footprint(region: rg.PixelRegion, shape, weights: bool = True) -> Footprint | None:
    """The region's footprint on an image of `shape`, or None when its bounding box misses the image.

    `weights=False`: the centre-mode pixels only (a background region), no edge weights.
    """
    bbox = region.bounding_box
    if isinstance(region, rg.CirclePixelRegion) and bbox.shape[0] * bbox.shape[1] >= SMALL:
        return _circle(region, shape, weights)
    if isinstance(region, rg.CirclePixelRegion) and weights:
        return _small_circle(region, shape)
    centre = on_image_mask(region, shape, "center")
    if centre is None:
        return None
    w = on_image_mask(region, shape, *sum_mode(region)).data if weights else None  # the same (clipped) box
    return _from_masks(centre.data > 0, w, centre.bbox.iymin, centre.bbox.ixmin)


def _small_circle(region: rg.CirclePixelRegion, shape) -> Footprint | None:
    """A small circle's footprint from one grid call: its exact weights, with the centre-mode mask read from them
    (circle_centres), on on_image_mask's grid."""
    box = on_image_box(region.bounding_box, shape)
    if box is None:
        return None
    ix0, ix1, iy0, iy1 = box.ixmin, box.ixmax, box.iymin, box.iymax
    cx, cy, r = float(region.center.x), float(region.center.y), float(region.radius)
    grid = (float(ix0) - 0.5 - cx, float(ix1) - 0.5 - cx, float(iy0) - 0.5 - cy, float(iy1) - 0.5 - cy, r)
    w = circle_overlap_grid(*grid[:4], ix1 - ix0, iy1 - iy0, r, 1, 1)
    partial = np.flatnonzero(partial_pixels(w))
    inside = circle_centres(w[None], np.array([grid]), partial)[0]
    # The edge pixels (where the weight differs from the centre-mode weight) are the partial ones: a whole pixel's
    # weight, 0 or 1, is its centre-mode weight. Known already, they need no search of the box.
    return _from_masks(inside, w, iy0, ix0, edges=partial)


def _from_masks(inside: np.ndarray, w: np.ndarray | None, iy0: int, ix0: int,
                edges: np.ndarray | None = None) -> Footprint:
    """A footprint from its centre-mode mask and its sum weights (None: no edge weights) over the same box, whose
    corner is (iy0, ix0) on the image; `edges`: the flat indices of the pixels where the two differ, when known."""
    ny, nx = inside.shape
    large = (slice(iy0, iy0 + ny), slice(ix0, ix0 + nx))
    if w is not None:
        if edges is None:
            edges = np.flatnonzero(w != inside)  # np.nonzero in 2-D is four times slower
        edge_y, edge_x = np.divmod(edges, nx)
        edge_weight = w[edge_y, edge_x]
    else:
        edge_y = edge_x = np.empty(0, np.intp)
        edge_weight = np.empty(0)
    return Footprint(large, int(np.count_nonzero(inside)), inside, None, None, edge_y, edge_x, edge_weight,
                     inside[edge_y, edge_x])


def partial_pixels(weights: np.ndarray) -> np.ndarray:
    """Where exact weights are neither 0 nor 1: the pixels the edge crosses. Not 0 < w < 1: on a grid that does not
    start at the circle's bounding box (a circle over the image's edge), a pixel inside can weigh 1 + 2e-16."""
    return (weights != 0.0) & (weights != 1.0)


def circle_centres(weights: np.ndarray, grids: np.ndarray, partial: np.ndarray | None = None) -> np.ndarray:
    """The centre-mode masks of k circles from their exact weights (k, ny, nx), as circle_overlap_grid's centre
    mode decides; `grids` (k, 5) holds each one's grid arguments (xmin, xmax, ymin, ymax, r). A pixel wholly inside
    (weight 1) or outside (weight 0) needs no test, as its centre is far from the edge; a pixel the edge crosses
    (partial_pixels; `partial`: their flat indices, when the caller has them) takes that function's own
    centre-sample test, computed as it computes it."""
    centre = weights == 1.0
    ny, nx = weights.shape[1:]
    flat = np.flatnonzero(partial_pixels(weights)) if partial is None else partial
    if len(grids) == 1:  # one circle (calculate): its own numbers, not gathered per pixel
        (xmin, xmax, ymin, ymax, r), (j, i) = grids[0].tolist(), np.divmod(flat, nx)
    else:  # per pixel, elementwise: the same numbers as per circle
        k, rest = np.divmod(flat, ny * nx)
        j, i = np.divmod(rest, nx)
        xmin, xmax, ymin, ymax, r = np.take(np.ascontiguousarray(grids.T), k, axis=1)  # 3x grids[k].T's speed
    dx, dy = (xmax - xmin) / nx, (ymax - ymin) / ny
    pxmin, pymin = xmin + i * dx, ymin + j * dy
    sx, sy = (pxmin + dx) - pxmin, (pymin + dy) - pymin
    x, y = (pxmin - 0.5 * sx) + sx, (pymin - 0.5 * sy) + sy
    centre.reshape(-1)[flat] = x * x + y * y < r * r
    return centre


# Above this many bounding-box pixels the whole aperture's weight is taken as its area (the weights' sum differs
# from it only along the edge, by far less than the share anyone reads at that size) rather than made as a mask.
WHOLE_MASK = 1 << 22


def share_off_image(region: rg.PixelRegion, shape, npix: float) -> float:
    """The share (0 to 1) of a region's sum weight that lies off an image of `shape`, given the weight on it (the
    row's npix); 0 when all of it is on the image. Exact weights sum to the region's area, so an aperture whose
    npix reaches its area is known to be whole without building anything; others (a rectangle's subpixel weights,
    an aperture over the edge) are judged by their bounding box, and by the whole aperture's own weights."""
    mode, subpixels = sum_mode(region)
    try:
        area = float(region.area)
    except OverflowError:  # a radius of 1e300: its square is beyond floats
        area = math.inf
    if mode == "exact" and npix >= area * (1 - 1e-9):
        return 0.0
    bbox = region.bounding_box
    ny, nx = shape
    if bbox.ixmin >= 0 and bbox.iymin >= 0 and bbox.ixmax <= nx and bbox.iymax <= ny:
        return 0.0
    whole = (area if bbox.shape[0] * bbox.shape[1] > WHOLE_MASK
             else float(fraction(region, bbox, mode, subpixels).sum()))
    share = 1.0 - npix / whole if whole > 0 else 0.0
    return share if share > 1e-9 else 0.0  # the same weights summed in another order differ in the last bits


def sum_mode(region) -> tuple[str, int]:
    """How SPEC weighs pixels in the sum and npix: exact overlap; rectangles 32x32 subpixels."""
    return ("subpixels", 32) if isinstance(region, rg.RectanglePixelRegion) else ("exact", 1)


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """np.arange(start, stop) for each pair, concatenated."""
    lengths = stops - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


def _circle(region: rg.CirclePixelRegion, shape, weights: bool) -> Footprint | None:
    """A large circle's footprint from its edge alone.

    Per row, the pixels the edge may cross lie in two short bands found analytically (with a pixel of margin);
    they are classified with circle_overlap_grid's own arithmetic (interior if the centre distance is below
    r - pixel_radius, border below r + pixel_radius, else outside; a border pixel's centre-mode weight is its
    centre-sample test), and border pixels get exact weights from circle_overlap_grid over a few strips. The grid
    is on_image_mask's: the part of the bounding box on the image, which is to_mask's own for a circle wholly on it.
    """
    box = on_image_box(region.bounding_box, shape)
    if box is None:
        return None
    ix0, ix1, iy0, iy1 = box.ixmin, box.ixmax, box.iymin, box.iymax
    nx, ny = ix1 - ix0, iy1 - iy0
    cx, cy, r = float(region.center.x), float(region.center.y), float(region.radius)
    xmin, xmax = float(ix0) - 0.5 - cx, float(ix1) - 0.5 - cx
    ymin, ymax = float(iy0) - 0.5 - cy, float(iy1) - 0.5 - cy
    dx, dy = (xmax - xmin) / nx, (ymax - ymin) / ny
    pixel_radius = 0.5 * math.sqrt(dx * dx + dy * dy)
    r_in, r_out = r - pixel_radius, r + pixel_radius
    j = np.arange(ny)
    pycen = (ymin + j * dy) + dy * 0.5

    # Analytic column bounds of the border zone (fractional grid column of a pixel centre), widened by a pixel so
    # that rounding never leaves a border pixel outside the bands, and kept to the grid (a circle of radius 1e300
    # has infinite bounds here).
    with np.errstate(over="ignore", invalid="ignore"):
        half_out = np.sqrt(np.clip(r_out * r_out - pycen * pycen, 0.0, None))
        half_in = np.sqrt(np.clip(r_in * r_in - pycen * pycen, 0.0, None))
        has_in = r_in * r_in - pycen * pycen > 0
    column = lambda x, rounding, shift: np.clip(rounding((x - xmin) / dx - 0.5) + shift, 0, nx).astype(np.intp)
    la, rb = column(-half_out, np.floor, -1), column(half_out, np.ceil, 2)
    lb = np.where(has_in, column(-half_in, np.ceil, 2), la)
    ra = np.where(has_in, column(half_in, np.floor, -1), la)
    middle = (la + rb) // 2
    lb, ra = np.where(lb < ra, lb, middle), np.where(lb < ra, ra, middle)  # no interior: one band

    # Band pixels, row by row, left band before right band: row-major order.
    starts, stops = np.stack([la, ra], axis=1).ravel(), np.stack([lb, rb], axis=1).ravel()
    lengths = stops - starts
    row = np.repeat(np.repeat(j, 2), lengths)
    side = np.repeat(np.arange(2 * ny) & 1, lengths)
    i = _ranges(starts, stops)
    pxmin = xmin + i * dx
    pxcen = pxmin + dx * 0.5
    pymin = ymin + row * dy
    pyc = pymin + dy * 0.5
    with np.errstate(over="ignore"):
        d = np.sqrt(pxcen * pxcen + pyc * pyc)
        interior = d < r_in
        border = ~interior & (d < r_out)
        # circle_overlap_single_subpixel with one subpixel: the sample point as that loop computes it.
        sx, sy = (pxmin + dx) - pxmin, (pymin + dy) - pymin
        x, y = (pxmin - 0.5 * sx) + sx, (pymin - 0.5 * sy) + sy
        centre = interior | (border & (x * x + y * y < r * r))

    weight = interior.astype(np.float64)
    if weights and border.any():
        weight[border] = _border_weights(row[border], i[border], side[border], (la, lb, ra, rb), xmin, ymin, dx,
                                         dy, r)

    # Centre-mode runs: contiguous in each row (a circle is convex); the interior between the bands is inside.
    interior_rows = lb < ra
    begin = np.where(interior_rows, lb, nx).astype(np.intp)
    end = np.where(interior_rows, ra, 0).astype(np.intp)
    # The band pixels are in row-major order: a row's first and last centre-mode band pixels bound its run (a
    # third of the time of np.minimum.at and np.maximum.at).
    in_rows, in_cols = row[centre], i[centre]
    firsts, lasts = np.flatnonzero(np.diff(in_rows, prepend=-1)), np.flatnonzero(np.diff(in_rows, append=ny))
    held = in_rows[firsts]  # the rows with a centre-mode band pixel
    begin[held] = np.minimum(begin[held], in_cols[firsts])
    end[held] = np.maximum(end[held], in_cols[lasts] + 1)
    keep = begin < end
    count = int((end[keep] - begin[keep]).sum())
    arrays = (j[keep], begin[keep], end[keep])
    runs = list(zip(*(column.tolist() for column in arrays)))

    edge = weight != centre if weights else np.zeros(i.size, bool)
    return Footprint((slice(iy0, iy1), slice(ix0, ix1)), count, None, runs, arrays, row[edge], i[edge],
                     weight[edge], centre[edge])


# Rows in a strip of _border_weights: each grid call costs about a microsecond, and each pixel a strip holds beyond
# the edge's a few nanoseconds. 24 was within 2% of the fastest height at every radius from 120 to 2500 on Zen 4
# (_circle alone; a height growing as sqrt(r), as before, lost up to 10% at both ends).
STRIP_ROWS = 24


def _border_weights(jj, ii, side, bands, xmin, ymin, dx, dy, r) -> np.ndarray:
    """Exact weights of border pixels (grid row jj, column ii, side 0 or 1 of the circle), from circle_overlap_grid
    over strips: STRIP_ROWS rows of one side's band (`bands`: each row's la, lb, ra, rb; the bands are [la, lb) and
    [ra, rb)), so that few grid calls cover the edge and little else. The strips come from the bands, a few numbers a
    row, and each border pixel's place in them by arithmetic: sorting the border pixels into strips cost as much
    as the grid calls."""
    tops = np.arange(0, bands[0].size, STRIP_ROWS)
    la, lb, ra, rb = bands
    k0 = np.stack([np.minimum.reduceat(la, tops), np.minimum.reduceat(ra, tops)], axis=1).ravel()
    k1 = np.stack([np.maximum.reduceat(lb, tops), np.maximum.reduceat(rb, tops)], axis=1).ravel()
    r0 = np.repeat(tops, 2)
    r1 = np.minimum(r0 + STRIP_ROWS, bands[0].size)
    strip = (jj // STRIP_ROWS) * 2 + side
    used = np.bincount(strip, minlength=k0.size) > 0  # a band can hold no border pixel: no call for it
    width = k1 - k0
    size = np.where(used, (r1 - r0) * width, 0)
    offset = np.cumsum(size) - size
    flat = np.concatenate([circle_overlap_grid(xmin + c * dx, xmin + d * dx, ymin + a * dy, ymin + b * dy, d - c,
                                               b - a, r, 1, 1).ravel()
                           for a, b, c, d in zip(*(x[used].tolist() for x in (r0, r1, k0, k1)))])
    return flat[offset[strip] + (jj - r0[strip]) * width[strip] + (ii - k0[strip])]
