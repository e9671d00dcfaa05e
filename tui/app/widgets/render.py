"""Drawing an image with characters: a pure function from an array and view settings to styled lines.

Colour terminals get half-blocks ("▀": foreground = upper sample, background = lower), two samples per cell;
terminals without colour get one character per cell from an ASCII density ramp. Rows go up the image
(y increases upwards), as in DS9 and Imviz.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from astropy.visualization import (AsinhStretch, LinearStretch, LogStretch, MinMaxInterval, PercentileInterval,
                                   SqrtStretch, ZScaleInterval)
from rich.segment import Segment
from rich.style import Style

from tui.app.widgets.overlays import Label, Overlay, OverlaySet, place_labels

STRETCHES = {"linear": LinearStretch(), "sqrt": SqrtStretch(), "log": LogStretch(), "asinh": AsinhStretch(0.1)}
INTERVALS = ("99.5%", "zscale", "minmax")
RAMP = " .:-=+*#%@"
LEVELS = 64
PREVIEW_MAX = 1024  # longest side of the cached preview; finer views read the image itself
OUTLINE = {"selected": "#00ff5f", "other": "#d7af00", "draft": "#ff00ff", "background": "#5fafff"}
ASCII_OUTLINE = {"selected": "O", "other": "o", "draft": "X", "background": "~"}


class Preview:
    """An image with a preview of at most PREVIEW_MAX pixels a side and stretch limits, computed once per image.

    The preview starts strided (1/step of the rows of a memory-mapped file are read, so it is ready at once) and
    `build_blocks()` (run in a worker) replaces it with the maximum of each step x step block, so faint point
    sources do not vanish between samples.
    """

    def __init__(self, data: np.ndarray):
        self.data = data
        self.ny, self.nx = data.shape
        self.step = max(1, int(np.ceil(max(data.shape) / PREVIEW_MAX)))
        self.preview = np.asarray(data[:: self.step, :: self.step], dtype=np.float32)
        self.blocked = self.step == 1  # a full-resolution preview has nothing to gain
        self._limits: dict[str, tuple[float, float]] = {}
        self._padded: np.ndarray | None = None

    def padded(self) -> np.ndarray:
        """The preview with a NaN row and column after it (what block sampling reduces over), made once."""
        if self._padded is None or self._padded.shape != (self.preview.shape[0] + 1, self.preview.shape[1] + 1):
            self._padded = np.pad(self.preview, ((0, 1), (0, 1)), constant_values=np.nan)
        return self._padded

    def build_blocks(self) -> None:
        """The block-max preview, a strip of rows at a time (so memory stays at a strip, not the image)."""
        k = self.step
        out = np.full(self.preview.shape, np.nan, dtype=np.float32)
        width = self.preview.shape[1] * k
        for i, y in enumerate(range(0, self.ny, k)):
            strip = np.full((k, width), np.nan, dtype=np.float32)
            rows = np.asarray(self.data[y: y + k], dtype=np.float32)
            strip[: rows.shape[0], : self.nx] = rows
            with np.errstate(invalid="ignore"):
                out[i] = np.fmax.reduce(np.fmax.reduce(strip.reshape(k, -1, k), axis=2), axis=0)
        self.preview, self._limits, self._padded, self.blocked = out, {}, None, True

    def limits(self, interval: str) -> tuple[float, float]:
        if interval not in self._limits:
            self._limits[interval] = interval_limits(self.preview, interval)
        return self._limits[interval]


def interval_limits(values: np.ndarray, interval: str) -> tuple[float, float]:
    """Display limits of the finite values (at most 200,000 of them are looked at)."""
    finite = values[np.isfinite(values)]
    if finite.size > 200_000:
        finite = finite[:: finite.size // 200_000]
    if finite.size == 0:
        return 0.0, 1.0
    maker = {"99.5%": lambda: PercentileInterval(99.5), "zscale": ZScaleInterval, "minmax": MinMaxInterval}[interval]()
    lo, hi = (float(v) for v in maker.get_limits(finite))
    return lo, hi if hi > lo else lo + 1.0


@dataclass(frozen=True)
class View:
    zoom: float = 1.0  # 1 fits the whole image
    cx: float | None = None  # image pixel at the centre of the view; None: the image centre
    cy: float | None = None
    stretch: str = "linear"
    interval: str = "99.5%"
    ascii: bool = False
    labels: str = "all"  # overlays.LABEL_MODES
    aspect: float = 2.0  # a cell's height over its width (the terminal's, when it draws pixels)


@dataclass
class Geometry:
    """Where each character cell samples the image."""

    width: int
    height: int
    scale: float  # image pixels per cell, horizontally
    cx: float
    cy: float
    ascii: bool
    aspect: float = 2.0  # a cell's height over its width: a cell covers scale x aspect * scale image pixels

    @property
    def rows_per_cell(self) -> int:
        return 1 if self.ascii else 2

    def sample_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Image coordinates of every sample: x per column, y per sample row (top first)."""
        xs = self.cx + (np.arange(self.width) + 0.5 - self.width / 2) * self.scale
        n = self.height * self.rows_per_cell
        dy = self.scale * self.aspect / self.rows_per_cell
        ys = self.cy + (n / 2 - (np.arange(n) + 0.5)) * dy
        return xs, ys

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        col = int(np.floor((x - self.cx) / self.scale + self.width / 2))
        row = int(np.floor(self.height / 2 - (y - self.cy) / (self.scale * self.aspect)))
        return col, row

    def pixel_of(self, col: int, row: int) -> tuple[float, float]:
        x = self.cx + (col + 0.5 - self.width / 2) * self.scale
        y = self.cy + (self.height / 2 - (row + 0.5)) * self.scale * self.aspect
        return x, y


def geometry(shape: tuple[int, int], view: View, width: int, height: int) -> Geometry:
    ny, nx = shape
    fit = max(nx / max(width, 1), ny / max(view.aspect * height, 1))
    cx = (nx - 1) / 2 if view.cx is None else view.cx
    cy = (ny - 1) / 2 if view.cy is None else view.cy
    return Geometry(width, height, fit / view.zoom, cx, cy, view.ascii, view.aspect)


def sample(preview: Preview, geo: Geometry) -> np.ndarray:
    """Image values at each sample (NaN off the image); nearest pixel, from the preview when it is fine enough."""
    xs, ys = geo.sample_xy()
    xi = np.floor(xs + 0.5).astype(np.int64)
    yi = np.floor(ys + 0.5).astype(np.int64)
    okx = (xi >= 0) & (xi < preview.nx)
    oky = (yi >= 0) & (yi < preview.ny)
    out = np.full((ys.size, xs.size), np.nan, dtype=np.float32)
    if not okx.any() or not oky.any():
        return out
    if geo.scale >= preview.step:
        src, k = preview.preview, preview.step
        if block_sampled(preview, geo):  # a sample covers several preview pixels: their maximum, so stars survive
            out[np.ix_(oky, okx)] = _block_max(preview.padded(), xs[okx] / k, ys[oky] / k, geo.scale / k,
                                               geo.scale * geo.aspect / geo.rows_per_cell / k)
            return out
        px = np.minimum(np.round(xi[okx] / k).astype(np.int64), src.shape[1] - 1)
        py = np.minimum(np.round(yi[oky] / k).astype(np.int64), src.shape[0] - 1)
    else:
        src, px, py = preview.data, xi[okx], yi[oky]
    out[np.ix_(oky, okx)] = src[np.ix_(py, px)]
    return out


def block_sampled(preview: Preview, geo: Geometry) -> bool:
    return geo.scale >= 2 * preview.step


def _block_max(padded: np.ndarray, xs: np.ndarray, ys: np.ndarray, wx: float, wy: float) -> np.ndarray:
    """For samples centred at (xs, ys) in preview pixels, each wx by wy wide: the largest finite value they cover.
    `padded` is the preview with one NaN row and column after it."""
    def spans(centres, width, size):
        # reduceat over (start, stop) pairs: every other result is a span; the pad row makes stop == size valid.
        lo = np.clip(np.floor(centres - width / 2 + 0.5), 0, size - 1).astype(np.int64)
        hi = np.maximum(np.clip(np.floor(centres + width / 2 + 0.5), 0, size).astype(np.int64), lo + 1)
        return np.column_stack([lo, hi]).ravel()

    ny, nx = padded.shape[0] - 1, padded.shape[1] - 1
    with np.errstate(invalid="ignore"):
        rows = np.fmax.reduceat(padded, spans(ys, wy, ny), axis=0)[::2]
        return np.fmax.reduceat(rows, spans(xs, wx, nx), axis=1)[:, ::2]


def normalise(values: np.ndarray, limits: tuple[float, float], stretch: str) -> np.ndarray:
    lo, hi = limits
    with np.errstate(invalid="ignore"):
        scaled = np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    return STRETCHES[stretch](scaled, clip=True)


@lru_cache(maxsize=8192)
def _style(top: int, bottom: int) -> Style:
    def grey(level: int) -> str:
        v = int(round(level * 255 / (LEVELS - 1)))
        return f"#{v:02x}{v:02x}{v:02x}"
    return Style(color=grey(top) if top >= 0 else None, bgcolor=grey(bottom) if bottom >= 0 else None)


@dataclass
class Picture:
    """Rendered lines and the geometry that produced them (for cursor and region placement)."""

    lines: list[list[Segment]]
    geo: Geometry
    texts: list[str] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    cells: list = field(default_factory=list)  # rows of (character, style), before merging
    covered: np.ndarray | None = None  # (height, width): cells drawn over the image (outlines, labels, cursor)


def render(preview: Preview, view: View, width: int, height: int, overlays: OverlaySet | tuple = (),
           cursor: tuple[float, float] | None = None, draft: Overlay | None = None) -> Picture:
    """The image as lines of styled cells, with region outlines, labels (overlays.place_labels, by view.labels),
    the region being drawn and the cursor. `overlays`: an OverlaySet (what a widget keeps between redraws) or a
    tuple of Overlay."""
    geo = geometry((preview.ny, preview.nx), view, width, height)
    values = sample(preview, geo)
    # Block maxima are brighter than single pixels: limits from the pixels would draw the sky as noise peaks.
    limits = interval_limits(values, view.interval) if block_sampled(preview, geo) else preview.limits(view.interval)
    norm = normalise(values, limits, view.stretch)
    overlays = overlays if isinstance(overlays, OverlaySet) else OverlaySet(overlays)
    kinds = overlays.outlines(geo)
    if draft is not None:
        drawn = OverlaySet((draft,)).outlines(geo)
        kinds = np.where(drawn != "", drawn, kinds)
    if view.ascii:
        cells = _ascii_cells(norm, kinds)
        protected = kinds == "selected"
        covered = kinds != ""
    else:
        cells = _block_cells(norm, kinds)
        protected = (kinds[0::2] == "selected") | (kinds[1::2] == "selected")
        covered = (kinds[0::2] != "") | (kinds[1::2] != "")
    col, row = geo.cell_of(*cursor) if cursor is not None else (-1, -1)
    on_panel = 0 <= col < width and 0 <= row < height
    if on_panel:  # a label there would lose a letter to the cursor (a star at the centre, where the cursor starts)
        protected[row, col] = True
    labels = place_labels(overlays, geo, cursor, view.labels, protected)
    _put_labels(cells, labels, view.ascii)
    for label in labels:
        covered[label.row, label.col:label.col + label.width] = True
    if on_panel:
        cells[row][col] = ("+", Style(reverse=True, bold=True))
        covered[row, col] = True
    lines = [merge(row) for row in cells]
    return Picture(lines, geo, ["".join(ch for ch, _ in row) for row in cells], labels, cells, covered)


def _ascii_cells(norm, kinds):
    ramp = np.array(list(RAMP))
    idx = np.where(np.isnan(norm), 0, np.round(norm * (len(RAMP) - 1))).astype(int)
    chars = ramp[idx]
    rows = []
    for r in range(norm.shape[0]):
        row = []
        for c in range(norm.shape[1]):
            kind = kinds[r, c]
            if kind:
                row.append((ASCII_OUTLINE[kind], Style(bold=kind in ("selected", "draft"))))
            else:
                row.append((chars[r, c], Style()))
        rows.append(row)
    return rows


def _block_cells(norm, kinds):
    levels = np.where(np.isnan(norm), -1, np.round(norm * (LEVELS - 1))).astype(int)
    rows = []
    for r in range(0, norm.shape[0], 2):
        top, bottom = levels[r], levels[r + 1]
        ktop, kbottom = kinds[r], kinds[r + 1]
        row = []
        for c in range(norm.shape[1]):
            t, b = int(top[c]), int(bottom[c])
            if ktop[c] or kbottom[c]:
                fg = OUTLINE[ktop[c]] if ktop[c] else _style(t, t).color
                bg = OUTLINE[kbottom[c]] if kbottom[c] else _style(b, b).bgcolor
                row.append(("▀", Style(color=fg, bgcolor=bg)))
            elif t < 0 and b < 0:
                row.append((" ", Style()))
            else:
                row.append(("▀", _style(t, b)))
        rows.append(row)
    return rows


def _put_labels(cells, labels: list[Label], ascii: bool) -> None:
    for label in labels:
        style = Style(color=None if ascii else OUTLINE[label.kind], bold=label.kind == "selected")
        row = cells[label.row]
        for i, cell in enumerate(label.cells):
            row[label.col + i] = (cell, style)
        if ascii:  # ramp and outline characters next to a label would read as part of it: a blank either side
            for col in (label.col - 1, label.col + label.width):
                if 0 <= col < len(row):
                    row[col] = (" ", Style())


def merge(row) -> list[Segment]:
    """Consecutive cells of one style become one segment: fewer bytes over SSH."""
    segments: list[Segment] = []
    text, style = "", None
    for ch, st in row:
        if st == style:
            text += ch
        else:
            if text:
                segments.append(Segment(text, style))
            text, style = ch, st
    if text:
        segments.append(Segment(text, style))
    return segments
