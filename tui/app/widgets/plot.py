"""A small x-y plot drawn with ASCII characters: points, lines and vertical markers on labelled axes.

Pure (numbers in, rich Text lines out) so it is tested without an app; the same characters in every terminal, with
colour only where the terminal has it, so NO_COLOR and 16-colour terminals read it as well as truecolor ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

Y_LABEL_WIDTH = 9


@dataclass
class Series:
    x: np.ndarray
    y: np.ndarray
    kind: str = "points"  # or "line"
    char: str = "o"
    style: str = ""


@dataclass
class Marker:
    """A vertical line at x, with a short label at its top."""

    x: float
    label: str = ""
    char: str = "|"
    style: str = ""


@dataclass
class Figure:
    series: list[Series] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    xlabel: str = ""
    ylabel: str = ""
    legend: str = ""  # right-aligned on the label line; entries apart by two spaces, the last dropped first
    ylim: tuple[float, float] | None = None
    x_from_zero: bool = True  # radii start at the centre; times do not
    yfixed: bool = False  # y ticks with the decimals their spacing needs (0.9951, 1.0000), not 3 digits
    xfixed: bool = False  # x ticks so too, 3 decimals at least: a burst of 25 s, in days, read 0.625 at every tick


def _tick(value: float) -> str:
    return f"{value:.3g}"


def _decimals(step: float, least: int, most: int, spare: int = 1) -> int:
    """The decimals that tell ticks `step` apart, and `spare` more."""
    return min(max(math.ceil(-math.log10(step)) + spare, least), most) if step > 0 else 3


def _fixed_ticks(values: list[float], step: float) -> list[str]:
    decimals = _decimals(step, 0, 6)
    out = [f"{v:.{decimals}f}" for v in values]
    return out if all(len(t) < Y_LABEL_WIDTH for t in out) else [_tick(v) for v in values]


def _limits(values: list[np.ndarray], fixed=None) -> tuple[float, float]:
    if fixed is not None:
        return fixed
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    pad = (high - low) * 0.05
    return low - pad, high + pad


def _label_markers(markers: list[Marker], col, put, plot_w: int, plot_h: int) -> None:
    """Each marker's label at the top, right of its line (left of it where the right has no room), a row lower
    where an earlier label holds those cells: the aperture and the 90% radius often lie a few columns apart."""
    taken: list[list[tuple[int, int]]] = [[] for _ in range(plot_h)]
    for marker in markers:
        if not marker.label:
            continue
        c, n = col(marker.x), len(marker.label)
        start = c + 1 if c + 1 + n <= plot_w or c - n < 0 else c - n
        text = marker.label[: max(plot_w - start, 0)]
        span = (start - 1, start + len(text) + 1)  # a cell apart from the next label
        r = next((r for r in range(plot_h) if all(span[1] <= a or b <= span[0] for a, b in taken[r])), 0)
        taken[r].append(span)
        for i, ch in enumerate(text):
            put(start + i, r, ch, marker.style)


def render_figure(figure: Figure, width: int, height: int) -> list[Text]:
    """`height` lines of `width` cells: y label line, plot rows, x axis, x tick labels."""
    plot_w = max(width - Y_LABEL_WIDTH - 1, 4)
    plot_h = max(height - 3, 2)
    xs = [s.x for s in figure.series] + [np.array([m.x]) for m in figure.markers]
    x0, x1 = _limits(xs)
    if figure.x_from_zero:
        x0 = min(x0, 0.0)
    y0, y1 = _limits([s.y for s in figure.series], figure.ylim)
    grid = [[(" ", "")] * plot_w for _ in range(plot_h)]

    def col(x):
        return int(round((x - x0) / (x1 - x0) * (plot_w - 1)))

    def row(y):
        return plot_h - 1 - int(round((y - y0) / (y1 - y0) * (plot_h - 1)))

    def put(c, r, char, style):
        if 0 <= c < plot_w and 0 <= r < plot_h:
            grid[r][c] = (char, style)

    for marker in figure.markers:
        for r in range(plot_h):
            put(col(marker.x), r, marker.char, marker.style)
    if y0 < 0 < y1:
        zero = row(0.0)
        for c in range(plot_w):
            if grid[zero][c][0] == " ":
                grid[zero][c] = (".", "dim")
    for series in sorted(figure.series, key=lambda s: s.kind != "line"):  # points over lines
        ok = np.isfinite(series.x) & np.isfinite(series.y)
        x, y = series.x[ok], series.y[ok]
        if series.kind == "line" and x.size >= 2:
            order = np.argsort(x)
            centres = x0 + (np.arange(plot_w)) / (plot_w - 1) * (x1 - x0)
            inside = (centres >= x[order][0]) & (centres <= x[order][-1])
            for c in np.nonzero(inside)[0]:
                put(int(c), row(float(np.interp(centres[c], x[order], y[order]))), series.char, series.style)
        elif x.size:
            # one cell per point, in one NumPy step: 10,000 points cost what a few hundred do
            cols = np.rint((x - x0) / (x1 - x0) * (plot_w - 1)).astype(np.int64)
            rows = plot_h - 1 - np.rint((y - y0) / (y1 - y0) * (plot_h - 1)).astype(np.int64)
            inside = (cols >= 0) & (cols < plot_w) & (rows >= 0) & (rows < plot_h)
            for cell in np.unique(rows[inside] * plot_w + cols[inside]).tolist():
                grid[cell // plot_w][cell % plot_w] = (series.char, series.style)
    _label_markers(figure.markers, col, put, plot_w, plot_h)  # labels last, so no series hides them

    ticks, tail = _x_ticks(figure, x0, x1, plot_w, width, col)
    top = figure.ylabel if tail else f"{figure.ylabel} vs {figure.xlabel}"
    entries = figure.legend.split("  ") if figure.legend else []
    while entries and len(top) + len("  ".join(entries)) + 2 > width:
        entries.pop()  # the entries that fit, first ones first
    if entries:
        legend = "  ".join(entries)
        top = top + " " * (width - len(top) - len(legend)) + legend
    lines = [Text(top[:width].ljust(width), style="dim")]
    values = [y1, (y0 + y1) / 2, y0]
    texts = _fixed_ticks(values, (y1 - y0) / 2) if figure.yfixed else [_tick(v) for v in values]
    labels = {0: texts[0], (plot_h - 1) // 2: texts[1], plot_h - 1: texts[2]}
    for r in range(plot_h):
        line = Text(labels.get(r, "").rjust(Y_LABEL_WIDTH - 1)[: Y_LABEL_WIDTH - 1] + " |", style="dim")
        run, run_style = [], ""
        for char, style in grid[r]:  # one span per run of a style, not one per cell: 4x faster to paint
            if style != run_style and run:
                line.append("".join(run), style=run_style or None)
                run = []
            run.append(char)
            run_style = style
        line.append("".join(run), style=run_style or None)
        lines.append(line)
    lines.append(Text(" " * Y_LABEL_WIDTH + "+" + "-" * plot_w, style="dim"))
    lines.append(Text(" " * (Y_LABEL_WIDTH + 1) + ticks + tail, style="dim"))
    return [line[:width] if len(line) > width else line for line in lines][:height]


def _x_ticks(figure: Figure, x0: float, x1: float, plot_w: int, width: int, col) -> tuple[str, str]:
    """The x tick labels and the axis label after them (or "" when the label goes to the top line). A label that
    hides ticks moves up beside the y label when it fits there with the whole legend, or whenever fewer than three
    ticks would be left: a time axis ("BJD_TDB-2460999") in a 44-column plot kept two of five, and the ticks are
    what tells where on the axis a dip lies."""
    values = np.linspace(x0 if x0 >= 0 or not figure.x_from_zero else 0.0, x1, 5)
    decimals = _decimals(float(values[1] - values[0]), 3, 8, spare=0)  # five ticks of 0.62515 fit in 44 columns
    texts = [f"{v:.{decimals}f}" if figure.xfixed else _tick(v) for v in values]

    def place(room: int) -> tuple[str, int]:
        ticks, placed = [" "] * plot_w, 0
        for value, text in zip(values, texts):
            start = min(max(col(value) - len(text) // 2, 0), plot_w - len(text))
            if start + len(text) <= room and all(ch == " " for ch in ticks[max(start - 1, 0): start + len(text) + 1]):
                ticks[start: start + len(text)] = list(text)
                placed += 1
        return "".join(ticks).rstrip()[: max(room, 0)], placed

    tail = f"  {figure.xlabel}"
    (ticks, placed), (all_ticks, most) = place(plot_w - len(tail)), place(plot_w)
    on_top = len(figure.ylabel) + len(" vs ") + len(figure.xlabel) + 2 + len(figure.legend) <= width
    if not figure.xlabel or placed == most or (placed >= 3 and not on_top):
        return ticks, tail
    return all_ticks, ""


class PlotView(Widget):
    """Shows a Figure at whatever size it is given. Lines go to the screen as strips made once per figure and size
    (Textual's line API): a plot of 10,000 points repaints without Text being converted again."""

    DEFAULT_CSS = "PlotView { height: 1fr; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.figure: Figure | None = None
        self.message: str = ""
        self._strips: list[Strip] | None = None
        self._made_for: tuple = ()

    def show(self, figure: Figure | None, message: str = "") -> None:
        self.figure, self.message = figure, message
        self._strips = None
        self.refresh()

    def lines(self) -> list[Text]:
        width, height = self.size.width, self.size.height
        if self.figure is None or width < Y_LABEL_WIDTH + 6 or height < 5:
            return [Text(self.message)]
        return render_figure(self.figure, width, height)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if self._strips is None or self._made_for != (self.size, base):
            console = self.app.console
            self._strips = [Strip(list(line.render(console))).apply_style(base).adjust_cell_length(width, base)
                            for line in self.lines()]
            self._made_for = (self.size, base)
        return self._strips[y] if y < len(self._strips) else Strip.blank(width, base)
