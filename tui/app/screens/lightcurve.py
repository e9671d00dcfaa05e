"""The light-curve view (F9): the selected subset as target on every frame of the sequence, the other apertures as
comparisons, relative flux against time, a second panel of diagnostics, and a transit fit.

Every number comes from tui.core.lightcurve; frames are measured in a worker and points appear as they come. What
was measured is streamed to the state folder, so leaving the screen, a crash or a dropped connection loses nothing:
F9 on the same frames and stars takes them back.
"""

from __future__ import annotations

import math
import time

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from tui.app.widgets.footer import KeyFooter
from tui.app.safe import safe, safe_label, safe_rich, within
from tui.app.widgets.plot import Figure, Marker, PlotView, Series

REDRAW_SECONDS = 0.25  # points appear this often while frames are measured
SAVE_SECONDS = 1.0  # measured frames reach the state folder this often
BAR = 16  # cells of the progress bar


def percent5(value: float) -> str:
    """A percentage in five cells, as precise as they allow: 0.15, 12.34, 950.9, 12345, 1e+07. A comparison on
    empty sky scatters by hundreds of percent, and a sixth cell would wrap the star list's line."""
    for digits, limit in ((2, 99.995), (1, 999.95), (0, 99999.5)):
        if abs(value) < limit:
            return f"{value:5.{digits}f}"
    return f"{value:5.0e}" if abs(value) < 9.5e99 else ">1e99"


class StarList(Widget):
    """The stars with their role and scatter; the screen moves the cursor (up/down) and toggles (space)."""

    DEFAULT_CSS = "StarList { width: 26; height: 1fr; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[tuple[str, str, str, float]] = []  # role, label, in/out, scatter
        self.cursor = 0

    def show_rows(self, rows, cursor: int) -> None:
        if (rows, cursor) != (self.rows, self.cursor):
            self.rows, self.cursor = rows, cursor
            self.refresh()

    def render(self) -> Text:
        from tui.core.formatting import padded  # in terminal cells: a CJK name takes two a character

        width = max(self.size.width, 10)
        label_w = max(width - 17, 4)
        out = Text(f" {'star':<{label_w + 5}}{'role':<6}{'rms%':>5}\n", style="dim")
        for j, (role, label, state, scatter) in enumerate(self.rows):
            label = safe(label)  # escaped first, so the width counts what is shown
            shown = label if cell_len(label) <= label_w else within(label, label_w - 1) + "…"
            rms = percent5(scatter * 100) if math.isfinite(scatter) else "    -"
            line = Text(f"{'>' if j == self.cursor else ' '}{role:<3} ")
            line.append(padded(shown, label_w) + " ")
            line.append(f"{state:<6}{rms}",
                        style="bold" if state == "target" else "" if state == "comp" else "dim")
            if j == self.cursor:
                line.stylize("reverse")
            out.append(line)
            out.append("\n")
        out.append("space: in/out", style="dim")
        return out


class LightCurveScreen(Screen):
    BINDINGS = [
        # most wanted first: the footer shows those that fit at 80 columns (F1 lists them all)
        Binding("escape", "back", "Back"),
        Binding("f", "fit", "Fit"),
        Binding("space", "toggle", "In/out"),
        Binding("x", "exclude", "Exclude"),
        Binding("d", "detrend", "Detrend"),
        Binding("s", "stop", "Stop/go"),
        Binding("b", "bin", "Bin"),
        Binding("v", "panel", "Panel"),
        Binding("up", "star(-1)", "Star", show=False),
        Binding("down", "star(1)", "Star", show=False),
        Binding("left", "step(-1)", "Frame", show=False),
        Binding("right", "step(1)", "Frame", show=False),
        Binding("shift+left,pageup", "step(-10)", "10 frames", show=False),
        Binding("shift+right,pagedown", "step(10)", "10 frames", show=False),
        Binding("home", "step(-1000000000)", "First", show=False),
        Binding("end", "step(1000000000)", "Last", show=False),
    ]
    # the main screen's keys that still act here (the others would act on a screen the user cannot see)
    APP_KEYS = frozenset({"export", "copy_row", "help", "quit", "light_curve", "command_palette"})
    HELP_TOPIC = "Light curve"  # F1 opens the help at this section (app.action_help)

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target
        self.curve = None  # tui.core.lightcurve.LightCurve, once built
        self.store = None  # its CurveStore (None without a state folder)
        self.star = 1
        self.frame = 0  # the time cursor: an index into the measured frames
        self.bin_step = 0
        self.panel_step = 0
        self.problem = ""
        self.measuring = False
        self._stop = False
        self._fitting = False
        self._fit_keys_told = False
        # f pressed before the curve was built. Not one of the _early actions: done once the curve is built, f
        # would fit its first frame alone, before measuring starts; it is kept as the wish for a fit instead.
        self._fit_asked = False
        self._early: list = []  # star moves and toggles typed before the curve was built (F9 down space)
        self._generation = 0  # counts fits asked for: only the newest is shown
        self._progress = ""
        self._view = None  # the Curve drawn last
        self._follow = True  # the time cursor on the newest frame while measuring

    def compose(self) -> ComposeResult:
        yield Static("", id="lc-title")
        yield Static(Text("reading the frames' headers…", style="dim"), id="lc-status")
        with Horizontal(id="lc-body"):
            yield StarList(id="lc-stars")
            with Vertical(id="lc-plots"):
                yield PlotView(id="lc-plot")
                yield PlotView(id="lc-panel")
        yield Static("", id="lc-readout")
        yield Static("", id="lc-fit")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#lc-title", Static).update(safe_rich(f"Light curve of {self.target}", style="bold"))
        self.build()

    # -- building and measuring (workers) -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="lightcurve")
    def build(self) -> None:
        from tui.core import PhotometryError
        from tui.core.lightcurve import CurveStore, LightCurve

        app = self.app
        s = app.session
        try:
            curve = LightCurve.from_subsets(list(app.frames.values()), s.subsets, self.target,
                                            skip=tuple(filter(None, [s.inputs.background_region])),
                                            dq_flags=s.dq_flags, site=app.site)
            store = CurveStore(app.store.folder, curve.series) if app.store is not None else None
            taken = store.restore(curve) if store is not None else 0
        except PhotometryError as exc:
            app.call_from_thread(self._failed, str(exc))
            return
        app.call_from_thread(self._built, curve, store, taken)

    def _failed(self, message: str) -> None:
        self.problem = message
        status = self.query_one("#lc-status", Static)
        status.add_class("-error")  # the whole reason, wrapped
        status.update(safe_rich(message, style="bold red"))
        self.query_one("#lc-plot", PlotView).show(None, "")
        self.query_one("#lc-readout", Static).update(Text("Esc returns", style="dim"))

    def _built(self, curve, store, taken: int) -> None:
        self.curve, self.store = curve, store
        series = curve.series
        a = series.apertures
        title = (f"Light curve of {self.target} (T1) on {len(series.frames)} frames · aperture {a.radius:g} px, "
                 f"sky {a.inner:g}-{a.outer:g} px · {series.time_note or 'no BJD_TDB: JD_UTC'}")
        self.query_one("#lc-title", Static).update(safe_rich(title, style="bold"))
        notes = list(series.notes) + list(series.skipped) + ([store.note] if store is not None and store.note else [])
        if taken:
            from tui.core.formatting import counted

            notes.insert(0, f"{counted(taken, 'frame')} taken back from the state folder, not measured again")
        for note in notes:
            self.app.notify(note, title="Light curve", timeout=10)
        self.frame = max(int(series.done.sum()) - 1, 0)
        if self._fit_asked and not curve.wants_fit:
            curve.wants_fit = True
            self._keep_choices()
        early, self._early = self._early, []
        for action, args in early:
            action(*args)
        self.redraw()
        if not series.done.all():
            self.measure()
        else:
            self._fit_again()

    @work(thread=True, exclusive=True, group="lightcurve")
    def measure(self) -> None:
        from tui.core import PhotometryError

        series = self.curve.series
        self._stop, self.measuring = False, True
        todo = int((~series.done).sum())
        started = time.monotonic()
        next_draw = next_save = started
        pending: list[int] = []
        count = 0
        index = {f.label: k for k, f in enumerate(series.frames)}
        problem = ""
        try:
            for result in series.run(cancelled=lambda: self._stop):
                count += 1
                pending.append(index[result.frame.label])
                now = time.monotonic()
                if now >= next_save:
                    problem = self._save(pending) or problem
                    pending, next_save = [], now + SAVE_SECONDS
                if now >= next_draw or count == todo:
                    rate = count / max(now - started, 1e-9)
                    self.app.call_from_thread(self._advance, count, todo, rate)
                    next_draw = now + REDRAW_SECONDS
        except PhotometryError as exc:
            problem = str(exc)
        finally:
            problem = self._save(pending) or problem
            self.measuring = False
            self.app.call_from_thread(self._measured, count, todo, problem)

    def _save(self, indices: list[int]) -> str:
        from tui.core import PhotometryError

        if self.store is None or not indices:
            return ""
        try:
            self.store.append(self.curve.series, indices)
        except PhotometryError as exc:
            return f"measured frames are not being kept: {exc}"
        return ""

    def _advance(self, count: int, todo: int, rate: float) -> None:
        filled = int(round(BAR * count / max(todo, 1)))
        left = (todo - count) / rate if rate > 0 else math.nan
        self._progress = (f"[{'#' * filled}{'.' * (BAR - filled)}] {count}/{todo} frames · {rate:.1f} frames/s · "
                          f"{left:.0f} s left · s stops")
        if self._follow:
            self.frame = int(self.curve.series.done.sum()) - 1  # the newest frame, until the user moves
        self.redraw()

    def _measured(self, count: int, todo: int, problem: str) -> None:
        self._progress = ""
        if problem:
            self.app.notify(problem, title="Light curve", severity="error", timeout=10)
        elif count < todo:
            self.app.notify(f"Stopped after {count} of {todo} frames: s measures the rest.", title="Light curve",
                            timeout=6)
        if not self._fit_again():
            self.redraw()

    def _fit_again(self) -> bool:
        """A fit asked for before (kept with the choices) is made again once every frame is measured: the fit
        comes back with the curve. Whether one was started."""
        curve = self.curve
        if curve.wants_fit and curve.fitted is None and curve.series.done.all() and not self.measuring:
            self.action_fit()
            return True
        return False

    @work(thread=True, exclusive=True, group="fit")
    def fit(self, generation: int) -> None:
        from tui.core import PhotometryError

        result, message = None, ""
        try:
            result = self.curve.transit()
        except PhotometryError as exc:
            message = str(exc)
        self.app.call_from_thread(self._fitted, generation, result, message)

    def _fitted(self, generation: int, result, message: str) -> None:
        if generation != self._generation:
            return  # the choices changed while it ran: a later fit is coming
        self._fitting = False
        self.curve.fitted = result
        if message:
            self.app.notify(message, title="Not fitted", severity="error", timeout=10)
        elif not self._fit_keys_told:  # once: refits (d, x) replace the summary in place
            self._fit_keys_told = True
            self.app.notify("ctrl+y copies the fit's summary; ctrl+s exports the curve with the fit in its meta.",
                            title="Fitted", timeout=6)
        self.redraw()

    # -- drawing ---------------------------------------------------------------------------------------------------
    def redraw(self) -> None:
        curve = self.curve
        if curve is None:
            return
        from tui.core.lightcurve import BIN_SIZES

        view = curve.curve()
        self._view = view
        n = len(view.index)
        self.frame = min(max(self.frame, 0), max(n - 1, 0))
        stars = curve.series.stars
        scatter = curve.scatter()
        self.query_one("#lc-stars", StarList).show_rows(
            [(s.role, s.label, {"target": "target", "comparison": "comp", "off": "off"}[curve.role(j)], scatter[j])
             for j, s in enumerate(stars)], self.star)
        size = BIN_SIZES[self.bin_step]
        panel = self._panel_name(view)
        status = self._progress or (f"{n}/{len(curve.series.frames)} frames · bin {size if size > 1 else 'off'} "
                                    f"(b) · panel {panel} (v) · {int(curve.excluded.sum())} excluded (x)")
        if not curve.comparisons:
            status = "no comparison in the ensemble: space puts the star under the cursor back in"
        self._set("#lc-status", safe_rich(status, style="bold" if self._progress else "dim"))
        if n == 0:
            self.query_one("#lc-plot", PlotView).show(None, "measuring the first frame…")
            return
        self.query_one("#lc-plot", PlotView).show(self._flux_figure(view, size))
        self.query_one("#lc-panel", PlotView).show(self._panel_figure(view, panel))
        line, name_at = curve.readout(view, self.frame)
        self._set("#lc-readout", safe_label(line[name_at:], before=line[:name_at]))
        self._set("#lc-fit", self._fit_text())

    def _set(self, selector: str, text: Text) -> None:
        """Update a line only when it changes: each repaint of a line costs a frame its time."""
        widget = self.query_one(selector, Static)
        if getattr(widget, "_shown", None) != text:
            widget._shown = text
            widget.update(text)

    def _flux_figure(self, view, size: int) -> Figure:
        from tui.core.lightcurve import binned

        fitted = view.model is not None
        flux = view.detrended if fitted else view.flux
        good = ~view.excluded & ~view.missing
        dense = good.sum() > 400  # dots keep thousands of points from filling the panel with o's
        series = [Series(view.time[good], flux[good], "points", "." if dense else "o", "cyan")]
        ylim = _limits(flux[good]) or (0.0, 2.0)
        if view.missing.any():
            series.append(Series(view.time[view.missing], np.full(int(view.missing.sum()), ylim[0]), "points", "?",
                                 "yellow"))
        legend = [". flux" if dense else "o flux", "? missing" if view.missing.any() else "",
                  "x excluded" if view.excluded.any() else ""]  # in the order they give way when space is short
        if size > 1:
            bt, by = binned(view.time, flux, good & np.isfinite(flux), size)
            series.append(Series(bt, by, "points", "O", "bold magenta"))
            legend.append(f"O bin {size}")
        if view.excluded.any():  # over the binned points: an excluded frame stays visible
            series.append(Series(view.time[view.excluded], flux[view.excluded], "points", "x", "red"))
        if fitted:
            series.append(Series(view.time, view.model, "line", "-", "yellow"))
            legend.insert(1, "- transit")
        cursor = Marker(float(view.time[self.frame]), "", ":", "green")
        what = "detrended flux" if fitted else "relative flux"
        return Figure(series, [cursor], xlabel=f"{view.time_name}-{view.offset:.0f}", ylabel=what,
                      legend="  ".join(x for x in legend if x), ylim=ylim, x_from_zero=False, yfixed=True,
                      xfixed=True)

    def _panel_name(self, view) -> str:
        from tui.core.lightcurve import PANELS

        names = [p for p in PANELS if p != "residuals" or view.model is not None]
        return names[self.panel_step % len(names)]

    def _panel_figure(self, view, name: str) -> Figure:
        ylabel, lines = self.curve.panel(name, view)
        styles = ["cyan", "magenta", "green", "yellow", "blue", "red"]
        series, legend = [], []
        for k, (label, values) in enumerate(lines):
            char = label[-1] if name == "comparisons" else label[0] if name == "drift" else "o"
            series.append(Series(view.time, values, "points", char, styles[k % len(styles)]))
            legend.append(f"{char} {label}" if name in ("comparisons", "drift") else "")
        cursor = Marker(float(view.time[self.frame]), "", ":", "green")
        return Figure(series, [cursor], xlabel=f"{view.time_name}-{view.offset:.0f}", ylabel=ylabel,
                      legend="  ".join(x for x in legend if x), x_from_zero=False, yfixed=True, xfixed=True)

    def _fit_text(self) -> Text:
        curve = self.curve
        detrend = curve.detrend_name(curve.detrend)
        if self._fitting:
            return Text(f"fitting a transit (detrend: {detrend})…", style="bold")
        if curve.fitted is None:
            return Text(f"f fit a transit · d detrend: {detrend} · ctrl+s export",  # ctrl+y once fitted
                        style="dim")
        return safe_rich("\n".join(curve.fitted.lines()), style="bold", keep_newlines=True)

    # -- keys ------------------------------------------------------------------------------------------------------
    def _ready(self) -> bool:
        if self.curve is None:
            self.app.notify(self.problem or "Still reading the frames…", severity="warning", timeout=4)
            return False
        return True

    def action_back(self) -> None:
        self._stop = True  # measured frames are saved; F9 again carries on
        self.app.pop_screen()

    def _later(self, action, *args) -> bool:
        """Whether the curve is still being built, the action then kept to be done once it is: keys typed with
        F9 (F9 down space) would otherwise be lost, the stars being unknown until the first frame is read."""
        if self.curve is None and not self.problem:
            self._early.append((action, args))
            return True
        return False

    def action_star(self, step: int) -> None:
        if self._later(self.action_star, step):
            return
        if self.curve is not None:
            self.star = min(max(self.star + step, 0), len(self.curve.series.stars) - 1)
            self.redraw()

    def action_step(self, step: int) -> None:
        if self._view is not None and len(self._view.index):
            self._follow = False
            self.frame = min(max(self.frame + step, 0), len(self._view.index) - 1)
            self.redraw()

    def action_toggle(self) -> None:
        if self._later(self.action_toggle) or not self._ready():
            return
        if self.star == 0:
            self.app.notify("The target stays the target (F9 on another subset makes that one the target).",
                            timeout=5)
            return
        refit = self.curve.fitted is not None
        self.curve.toggle(self.star)
        self._choices_changed(refit)

    def action_exclude(self) -> None:
        if not self._ready() or self._view is None or not len(self._view.index):
            return
        refit = self.curve.fitted is not None
        self.curve.exclude(int(self._view.index[self.frame]))
        self._choices_changed(refit)

    def _choices_changed(self, refit: bool = False) -> None:
        """Keep the choice, and fit again when a fit was shown (the ensemble, the frames or the detrending changed:
        the old fit no longer describes the curve)."""
        self._keep_choices()
        if refit and not self.measuring:
            self.action_fit()
        else:
            self._generation += 1  # a fit still running describes choices no longer made
            self._fitting = False
            self.redraw()

    def _keep_choices(self) -> None:
        from tui.core import PhotometryError

        if self.store is not None:
            try:
                self.store.save_choices(self.curve)
            except PhotometryError as exc:
                self.app.notify(str(exc), severity="warning", timeout=6)

    def action_fit(self) -> None:
        if self.curve is None and not self.problem:  # F9 f typed at once: the fit is wanted all the same
            self._fit_asked = True
            self.app.notify("Still reading the frames: the transit fit follows once every frame is measured.",
                            timeout=5)
            return
        if not self._ready():
            return
        if not self.curve.wants_fit:
            self.curve.wants_fit = True
            self._keep_choices()
        if self.measuring:  # asked for now, made once every frame is measured (_fit_again)
            self.app.notify("Still measuring: the transit fit follows once every frame is measured.", timeout=5)
            return
        self._fitting = True
        self._generation += 1
        self.redraw()
        self.fit(self._generation)

    def action_detrend(self) -> None:
        if not self._ready():
            return
        choices = self.curve.detrend_choices()
        now = choices.index(self.curve.detrend) if self.curve.detrend in choices else -1
        self.curve.detrend = choices[(now + 1) % len(choices)]
        refit = self.curve.fitted is not None
        self.curve.fitted = None
        self._choices_changed(refit)

    def action_bin(self) -> None:
        from tui.core.lightcurve import BIN_SIZES

        self.bin_step = (self.bin_step + 1) % len(BIN_SIZES)
        self.redraw()

    def action_panel(self) -> None:
        self.panel_step += 1
        self.redraw()

    def action_stop(self) -> None:
        if not self._ready():
            return
        if self.measuring:
            self._stop = True
        elif not self.curve.series.done.all():
            self.measure()
        else:
            self.app.notify("Every frame is measured.", timeout=3)

    # -- used by the app's export and copy ------------------------------------------------------------------------
    def export_table(self):
        return self.curve.table() if self.curve is not None and self.curve.series.done.any() else None

    def fit_summary(self) -> str | None:
        return None if self.curve is None or self.curve.fitted is None else self.curve.fitted.summary()


def _limits(values: np.ndarray) -> tuple[float, float] | None:
    """The flux range without the few wildest points (a satellite, a cosmic ray), so the transit stays visible."""
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return None
    low, high = np.percentile(finite, [0.5, 99.5]) if finite.size > 200 else (finite.min(), finite.max())
    pad = max(high - low, 1e-6) * 0.08
    return float(low - pad), float(high + pad)
