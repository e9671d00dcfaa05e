"""Which pixels to upload and which source rectangle to place so that a terminal's pixels show a thumbnail's view
exactly where its cells would: outlines, labels and the cursor, drawn as cells over the pixels, land where they do
in half-blocks (tests/app/test_graphics.py checks the pixels against render.sample).

One upload serves many views: the whole preview (at most 1024 pixels a side, block maxima for larger images) with
a transparent margin, so panning and zooming only move the source rectangle. Zoomed in so far that a cell spans
fewer than SHARP uploaded pixels, rounding the rectangle to whole pixels would shift the image by a visible part of
a cell; there a crop around the view is uploaded, each pixel repeated (crisp squares, as the half-blocks show).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tui.app.graphics.encode import MAX_CELLS, grey8, png

SHARP = 5  # uploaded pixels per cell at least: the rectangle's rounding then moves it a tenth of a cell at most
WHOLE = 800  # small images are uploaded magnified up to this many pixels a side (a 512x512 one as it is: 270 KB)


@dataclass(frozen=True)
class Upload:
    key: tuple  # what it shows: source array, stretch, interval, crop, margin, magnification
    x_left: float  # image x of the upload's left edge
    y_top: float  # image y of its top edge (image y increases upwards; the upload's rows go down)
    per_px: float  # image pixels per uploaded pixel
    width: int
    height: int
    make: Callable[[], bytes] = field(compare=False, repr=False)  # its PNG, made when the terminal needs it

    def covers(self, box: tuple[float, float, float, float]) -> bool:
        x0, x1, y0, y1 = box
        return (x0 >= self.x_left and x1 <= self.x_left + self.width * self.per_px
                and y1 <= self.y_top and y0 >= self.y_top - self.height * self.per_px)


@dataclass(frozen=True)
class Placement:
    col: int  # the first cell of the panel the image covers
    row: int
    cols: int
    rows: int
    rect: tuple[int, int, int, int]  # (x, y, w, h) in the upload's pixels


def cells_on_image(geo, nx: int, ny: int) -> tuple[int, int, int, int] | None:
    """(c0, c1, r0, r1): the panel's cells that show part of the image, or None."""
    sy = geo.scale * geo.aspect
    c0 = max(0, math.floor((-0.5 - geo.cx) / geo.scale + geo.width / 2))
    c1 = min(geo.width, math.ceil((nx - 0.5 - geo.cx) / geo.scale + geo.width / 2), c0 + MAX_CELLS)
    r0 = max(0, math.floor(geo.height / 2 - (ny - 0.5 - geo.cy) / sy))
    r1 = min(geo.height, math.ceil(geo.height / 2 - (-0.5 - geo.cy) / sy), r0 + MAX_CELLS)
    return (c0, c1, r0, r1) if c1 > c0 and r1 > r0 else None


def extent(geo, cells: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the image area those cells cover, edge to edge."""
    c0, c1, r0, r1 = cells
    x = lambda c: geo.cx + (c - geo.width / 2) * geo.scale
    y = lambda r: geo.cy + (geo.height / 2 - r) * geo.scale * geo.aspect
    return x(c0), x(c1), y(r1), y(r0)


def choose(preview, view, geo, current: Upload | None):
    """(upload, placement) for the view: `current` again when it still serves, else a new upload. None when no
    cell shows the image."""
    cells = cells_on_image(geo, preview.nx, preview.ny)
    if cells is None:
        return None
    box = extent(geo, cells)
    k = preview.step
    whole = 1 << max(0, math.floor(math.log2(WHOLE / max(preview.preview.shape))))
    entire = geo.scale * whole >= SHARP * k
    if entire:  # the whole preview, small images magnified: most views need no other
        source, k_src, m = preview.preview, k, whole
    else:  # a crop around the view, from the image itself when the preview is coarser
        source, k_src = (preview.data, 1) if k > 1 else (preview.preview, k)
        m = max(1, math.ceil(SHARP * k_src / geo.scale))
    kind = (id(source), m, view.stretch, view.interval)
    if current is not None and current.key[:4] == kind and current.covers(box):
        return current, _placement(current, geo, cells)
    ny_src, nx_src = source.shape
    reach = geo.scale * max(geo.aspect, 1.0) / k_src  # a cell, in source pixels: how far edge cells overhang
    # the whole preview's margin is a quarter of it, whatever the zoom (transparent: it costs nothing), so zooming
    # out and back finds the same upload
    pad = 1 << max(2, math.ceil(math.log2(max(reach + 2, max(source.shape) / 4 if entire else 0))))
    if entire:
        sx0, sx1, sy0, sy1 = 0, nx_src, 0, ny_src
    else:  # the view and half of it again on every side
        x0, x1, y0, y1 = box
        mx, my = (x1 - x0) / 2, (y1 - y0) / 2
        sx0 = max(0, math.floor((x0 - mx) / k_src))
        sx1 = min(nx_src, math.ceil((x1 + mx) / k_src) + 1)
        sy0 = max(0, math.floor((y0 - my) / k_src))
        sy1 = min(ny_src, math.ceil((y1 + my) / k_src) + 1)

    def make() -> bytes:
        from tui.app.widgets.render import normalise

        values = np.full((sy1 - sy0 + 2 * pad, sx1 - sx0 + 2 * pad), np.nan, np.float32)
        values[pad:pad + sy1 - sy0, pad:pad + sx1 - sx0] = source[sy0:sy1, sx0:sx1]
        grey = grey8(normalise(values, preview.limits(view.interval), view.stretch))
        return png(np.repeat(np.repeat(grey, m, axis=0), m, axis=1) if m > 1 else grey)

    key = (*kind, sx0, sx1, sy0, sy1, pad)
    width, height = (sx1 - sx0 + 2 * pad) * m, (sy1 - sy0 + 2 * pad) * m
    upload = Upload(key, (sx0 - pad - 0.5) * k_src, (sy1 + pad - 0.5) * k_src, k_src / m, width, height, make)
    return upload, _placement(upload, geo, cells)


def _placement(upload: Upload, geo, cells) -> Placement | None:
    c0, c1, r0, r1 = cells
    x0, x1, y0, y1 = extent(geo, cells)
    u = lambda x: round((x - upload.x_left) / upload.per_px)
    v = lambda y: round((upload.y_top - y) / upload.per_px)
    x, y = u(x0), v(y1)
    w, h = u(x1) - x, v(y0) - y
    if w <= 0 or h <= 0:
        return None
    return Placement(c0, r0, c1 - c0, r1 - r0, (x, y, w, h))


def panel_pixels(preview, view, geo, cell: tuple[int, int]) -> np.ndarray:
    """The view at the terminal's pixel resolution, as render draws it in cells (nearest pixel, block maxima when
    a pixel spans several, the same limits rule): a uint8 grey array, top row first, 0 off the image."""
    from tui.app.widgets.render import Geometry, block_sampled, interval_limits, normalise, sample

    cw, ch = cell
    # one "cell" per pixel: scale / cw image pixels across, scale * aspect / ch down
    fine = Geometry(geo.width * cw, geo.height * ch, geo.scale / cw, geo.cx, geo.cy, True, geo.aspect * cw / ch)
    values = sample(preview, fine)
    limits = interval_limits(values, view.interval) if block_sampled(preview, fine) else preview.limits(view.interval)
    return grey8(normalise(values, limits, view.stretch)[::-1])
