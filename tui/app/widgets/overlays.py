"""Regions drawn over the image: outlines and labels, placed so that thousands of them leave the image readable.

Pure functions of the overlays, the geometry of the cells and the cursor (render.py draws the result). A
catalogue of 5000 stars is the case to design for: what every region needs (bounding box, centre) is worked out
once per set of overlays, regions smaller than a sample become dots in one NumPy step, and labels go by a budget.

Labels (LABEL_MODES, cycled with `l` on the image): the selected subset's label always shows; then the others by
distance from the cursor, each only where one blank cell separates it from every other label, a shortened one
keeping its "…", until labels cover a fifth of the panel (LABEL_SHARE). Zooming in gives room to more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from regions import PixCoord

from tui.app.safe import first_cells, label_cells

from tui.core.photometry import region_center

LABEL_MODES = ("all", "selected", "none")
LABEL_SHARE = 0.2  # of the panel's cells, at most, covered by labels: the image stays visible
SHORTEST = 5  # characters a shortened label keeps before its "…": fewer would name no star ("S1…")


@dataclass
class Overlay:
    region: object  # a regions PixelRegion
    kind: str = "other"  # selected | other | draft | background
    label: str = ""


class OverlaySet:
    """Overlays with their bounding boxes and centres as arrays (made once, used for every redraw), and the
    outline grid of the latest geometry."""

    def __init__(self, overlays: tuple[Overlay, ...] = ()):
        self.overlays = tuple(overlays)
        boxes = [o.region.bounding_box for o in self.overlays]
        # pixel-edge coordinates: a bounding box's ixmin..ixmax pixels span ixmin - 0.5 .. ixmax - 0.5
        self.xmin = np.array([b.ixmin for b in boxes], dtype=float) - 0.5
        self.xmax = np.array([b.ixmax for b in boxes], dtype=float) - 0.5
        self.ymin = np.array([b.iymin for b in boxes], dtype=float) - 0.5
        self.ymax = np.array([b.iymax for b in boxes], dtype=float) - 0.5
        centres = np.array([region_center(o.region) for o in self.overlays], dtype=float).reshape(-1, 2)
        self.cx, self.cy = centres[:, 0], centres[:, 1]
        self.cells = [label_cells(o.label) for o in self.overlays]
        self._outlines: tuple[tuple, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.overlays)

    def outlines(self, geo) -> np.ndarray:
        """The kind of overlay drawn at every sample ("" for none), for a geometry: cached, since a cursor step
        redraws the same view."""
        key = (geo.width, geo.height, geo.scale, geo.cx, geo.cy, geo.ascii, geo.aspect)
        if self._outlines is None or self._outlines[0] != key:
            self._outlines = (key, _outlines(self, geo))
        return self._outlines[1]


def _outlines(overlays: OverlaySet, geo) -> np.ndarray:
    xs, ys = geo.sample_xy()
    kinds = np.full((ys.size, xs.size), "", dtype=object)
    if not len(overlays):
        return kinds
    dx, dy = geo.scale, geo.scale * geo.aspect / geo.rows_per_cell  # ys run downwards from ys[0]
    # The samples inside each bounding box: columns j0..j1, sample rows i0..i1 (empty when j0 > j1 or i0 > i1).
    j0 = np.ceil((overlays.xmin - xs[0]) / dx)
    j1 = np.floor((overlays.xmax - xs[0]) / dx)
    i0 = np.ceil((ys[0] - overlays.ymax) / dy)
    i1 = np.floor((ys[0] - overlays.ymin) / dy)
    on_panel = (j1 >= 0) & (j0 < xs.size) & (i1 >= 0) & (i0 < ys.size)
    small = (j0 > j1) | (i0 > i1)  # holds no sample: a dot, however the region is shaped
    dots = small & on_panel
    cols = np.floor((overlays.cx - geo.cx) / geo.scale + geo.width / 2)
    rows = np.floor(geo.height / 2 - (overlays.cy - geo.cy) / (geo.scale * geo.aspect))
    dot_rows = rows * geo.rows_per_cell + (0 if geo.ascii else geo.rows_per_cell - 1)  # the lower half-block

    def put_dots(which: np.ndarray) -> None:
        which = which & (cols >= 0) & (cols < geo.width) & (rows >= 0) & (rows < geo.height)
        index = np.flatnonzero(which)
        kinds[dot_rows[index].astype(int), cols[index].astype(int)] = [overlays.overlays[k].kind for k in index]

    put_dots(dots)
    for k in np.flatnonzero(on_panel & ~small).tolist():
        # contains() on the samples of the box and one more all round (an edge needs an outside neighbour)
        a, b = int(max(i0[k] - 1, 0)), int(min(i1[k] + 2, ys.size))
        c, d = int(max(j0[k] - 1, 0)), int(min(j1[k] + 2, xs.size))
        gx, gy = np.meshgrid(xs[c:d], ys[a:b])
        inside = np.asarray(overlays.overlays[k].region.contains(PixCoord(gx, gy)), dtype=bool)
        if not inside.any():
            put_dots(np.arange(len(overlays)) == k)
            continue
        padded = np.pad(inside, 1, constant_values=False)
        interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
        kinds[a:b, c:d][inside & ~interior] = overlays.overlays[k].kind
    selected = np.array([o.kind == "selected" for o in overlays.overlays])
    if selected.any() and selected[dots].any():
        put_dots(dots & selected)  # drawn last: no other outline hides the selected subset
    return kinds


@dataclass(frozen=True)
class Label:
    row: int
    col: int
    cells: tuple[str, ...]  # label_cells: one string per cell
    kind: str

    @property
    def text(self) -> str:
        return "".join(self.cells)

    @property
    def width(self) -> int:
        return len(self.cells)


def place_labels(overlays: OverlaySet, geo, cursor: tuple[float, float] | None, mode: str,
                 protected: np.ndarray) -> list[Label]:
    """Where labels go on a width x height panel. `protected`: cells no label may cover (the selected outline,
    the cursor).

    Each label sits right of its region's top right corner, else left of its top left corner. Around a label
    placed, a one-cell margin is closed to the others, so each reads alone."""
    if mode == "none" or not len(overlays):
        return []
    width, height = geo.width, geo.height
    column = lambda x: np.floor((x - geo.cx) / geo.scale + width / 2).astype(int)
    row = lambda y: np.floor(height / 2 - (y - geo.cy) / (geo.scale * geo.aspect)).astype(int)
    first, last, top, bottom = column(overlays.xmin), column(overlays.xmax), row(overlays.ymax), row(overlays.ymin)
    seen = (last >= 0) & (first < width) & (bottom >= 0) & (top < height)
    right, left = last + 1, first - 1  # where a label starts right of the box, or ends left of it
    texts = overlays.cells
    kinds = np.array([o.kind for o in overlays.overlays])
    named = np.array([bool(t) for t in texts]) & seen
    order = np.flatnonzero(named & (kinds == "selected")).tolist()
    if mode == "all":
        others = np.flatnonzero(named & (kinds != "selected") & (kinds != "draft"))
        x, y = cursor if cursor is not None else (geo.cx, geo.cy)
        distance = np.hypot(overlays.cx[others] - x, overlays.cy[others] - y)
        order += others[np.argsort(distance, kind="stable")].tolist()
    # Cells a label may not cover (protected ones, other labels and their margins), a bytearray per row: finding
    # the first closed cell of a stretch is then one C call (a crowded field tries thousands of places).
    closed = [bytearray(row.tobytes()) for row in np.asarray(protected, dtype=np.uint8)]
    budget = LABEL_SHARE * width * height
    placed: list[Label] = []
    used = 0
    for k in order:
        chosen = kinds[k] == "selected"
        if not chosen and used + min(len(texts[k]), SHORTEST + 1) > budget:
            break
        label = _fit(closed, texts[k], str(kinds[k]), max(int(top[k]), 0), int(right[k]), int(left[k]),
                     shortest=1 if chosen else SHORTEST)
        if label is not None:
            placed.append(label)
            used += label.width
            start, stop = max(label.col - 1, 0), min(label.col + label.width + 1, width)
            for r in range(max(label.row - 1, 0), min(label.row + 2, height)):
                closed[r][start:stop] = b"\x01" * (stop - start)
    return placed


def _room(closed: list[bytearray], row: int, start: int, stop: int) -> int:
    """Free cells from `start` rightwards, before `stop`."""
    if start < 0 or start >= stop:
        return 0
    found = closed[row].find(1, start, stop)
    return stop - start if found < 0 else found - start


def _room_left(closed: list[bytearray], row: int, last: int) -> int:
    """Free cells from `last` leftwards."""
    if last < 0:
        return 0
    found = closed[row].rfind(1, 0, last + 1)
    return last - found


def _fit(closed, text: tuple[str, ...], kind: str, row: int, right: int, left: int, shortest: int) -> Label | None:
    """The label (its cells) right of the region (whole), else left of it (whole), else shortened on the roomier
    side."""
    width, n = len(closed[0]), len(text)
    if row >= len(closed):
        return None
    right = max(right, 0)
    at_right = _room(closed, row, right, min(right + n, width))
    if at_right == n:
        return Label(row, right, text, kind)
    at_left = _room_left(closed, row, min(left, width - 1))
    if at_left >= n:
        return Label(row, min(left, width - 1) - n + 1, text, kind)
    room, col = (at_right, right) if at_right >= at_left else (at_left, min(left, width - 1) - at_left + 1)
    keep = room - 1
    if keep < min(shortest, n - 1) or keep < 1:
        return None
    kept = list(first_cells(text, keep))
    while kept and kept[-1] == " ":
        kept.pop()
    return Label(row, col, (*kept, "…"), kind)
