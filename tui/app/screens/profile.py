"""The profile view (F6): radial profile with its Gaussian fit, curve of growth, centroid offset.

It shows what Session.profile_summary answers for the selected data, subset and background; the numbers are
computed in a worker, so a large aperture never blocks the keys. `v` shows every pixel instead of the binned means
(Imviz's "Radial profile (Raw)"): what a mean hides, a neighbour or a cosmic ray in the aperture, stands out.
"""

from __future__ import annotations

import math

import numpy as np
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from tui.app.safe import safe_label, safe_rich
from tui.app.widgets.footer import KeyFooter
from tui.app.widgets.plot import Figure, Marker, PlotView, Series


class ProfileScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f6", "back", "Back", show=False),
        Binding("r", "recenter", "Recentre"),
        Binding("n", "subset(1)", "Subset"),
        Binding("p", "subset(-1)", "Previous subset", show=False),
        Binding("d", "data(1)", "Data"),
        Binding("v", "raw", "Raw"),  # Imviz's name for the profile of every pixel
    ]
    # The app keys that act here (app.check_action): the main screen's others would push the footer past 80
    # columns and hide ctrl+s, which exports this view's profile and curve of growth.
    APP_KEYS = frozenset({"export", "copy_row", "copy_table", "recenter", "help", "quit", "command_palette"})
    HELP_TOPIC = "Profile view"  # F1 opens the help at this section (app.action_help)

    raw = False  # the profile's points: every pixel (True) or the binned means

    def compose(self) -> ComposeResult:
        yield Static("", id="profile-title")
        yield Static("computing…", id="profile-summary")
        yield PlotView(id="profile-plot")
        yield PlotView(id="growth-plot")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.update_view()

    def update_view(self) -> None:
        s = self.app.session
        title = safe_label(s.selected_data, "bold", before=f"Profile of {s.selected_subset} on ")
        self.query_one("#profile-title", Static).update(title)
        self.query_one("#profile-summary", Static).update(safe_rich("computing…", style="dim"))
        self.compute(s.selected_data, s.selected_subset, self.raw)

    @work(thread=True, exclusive=True, group="profile")
    def compute(self, data: str, subset: str, raw: bool) -> None:
        from tui.core import PhotometryError

        try:
            result = self.app.session.profile_summary(data=data, subset=subset)
            result["raw_profile"] = self.app.session.radial_profile(data=data, subset=subset, raw=True) if raw \
                else None
        except PhotometryError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, result)

    def _failed(self, message: str) -> None:
        self.query_one("#profile-summary", Static).update(safe_rich(message, style="bold red"))
        for plot in self.query(PlotView):
            plot.show(None)

    def _show(self, result: dict) -> None:
        from tui.core.formatting import unit_text

        fit, growth = result["fit"], result["growth"]
        raw = result["raw_profile"] is not None
        profile = result["raw_profile"] if raw else result["profile"]
        aperture = float(result["aperture_radius"].value)
        lines = []
        moment_fwhm = result["moment_fwhm"].value
        moments = ("no moments FWHM (the moments describe no shape)" if math.isnan(moment_fwhm)
                   else f"moments FWHM {moment_fwhm:.2f} pix")
        rest = f"{moments} · background {result['background']:.4g}"
        if fit["success"] or fit["fwhm"] is not None:
            arcsec = f' ({fit["fwhm_arcsec"].value:.3f}")' if "fwhm_arcsec" in fit else ""
            caveat = "" if fit["success"] else f" ({fit['message']})"  # a fit with problems says which
            lines.append(f"Gaussian FWHM {fit['fwhm'].value:.2f} pix{arcsec}{caveat} · {rest}")
        else:
            lines.append(f"Gaussian fit failed: {fit['message']} · {rest}")
        lines.append(result["text"])
        if result["centroid_offset"] is not None:
            dx, dy = result["centroid_offset"]
            lines.append(f"centroid offset dx {dx:+.2f} dy {dy:+.2f} pix from the subset centre (r recentres)")
        else:
            lines.append(f"centroid: {result['centroid_problem']}")
        self.query_one("#profile-summary", Static).update(safe_rich("\n".join(lines), keep_newlines=True))

        unit = unit_text(getattr(profile["profile"], "unit", None))
        radius = np.asarray(profile["radius"].value, float)
        values = np.asarray(getattr(profile["profile"], "value", profile["profile"]), float)
        series = [Series(radius, values, "points", "." if raw else "o", "cyan" if raw else "bold cyan")]
        if fit["model"] is not None:
            grid = np.linspace(0.0, float(radius.max()), 200)
            series.append(Series(grid, np.asarray(fit["model"](grid), float), "line", "-", "yellow"))
        markers = [Marker(aperture, "aperture", "|", "magenta")]
        title = "radial profile, every pixel" if raw else "radial profile"
        self.query_one("#profile-plot", PlotView).show(Figure(
            series, markers, xlabel="radius [pix]", legend=f"{'. pixel' if raw else 'o profile'}  - Gaussian",
            ylabel=f"{title} [{unit}]" if unit else title))

        g_radius = np.asarray(growth["radius"].value, float)
        fraction = np.asarray(growth["fraction"], float)
        held = result["aperture_fraction"]
        markers = [Marker(aperture, f"aperture {held:.0%}" if math.isfinite(held) else "aperture", "|", "magenta")]
        if result["r90"] is not None:
            markers.append(Marker(float(result["r90"].value), "90%", ":", "green"))
        self.query_one("#growth-plot", PlotView).show(Figure(
            [Series(g_radius, fraction, "line", "-", "cyan"), Series(g_radius, fraction, "points", "o", "bold cyan")],
            markers, xlabel="radius [pix]", ylabel="curve of growth (fraction of the flux within the outer radius)",
            ylim=(min(0.0, float(np.nanmin(fraction))) if fraction.size else 0.0, 1.05)))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_raw(self) -> None:
        self.raw = not self.raw
        self.update_view()

    def action_recenter(self) -> None:
        self.app.action_recenter()
        self.update_view()

    def action_subset(self, step: int) -> None:
        s = self.app.session
        apertures = [label for label, sub in s.subsets.items() if not sub.is_annulus]
        if apertures:
            index = apertures.index(s.selected_subset) if s.selected_subset in apertures else -step
            self.app.select_subset(apertures[(index + step) % len(apertures)])
            self.update_view()

    def action_data(self, step: int) -> None:
        s = self.app.session
        labels = list(s.images)
        if labels:
            index = labels.index(s.selected_data) if s.selected_data in labels else -step
            self.app.select_data(labels[(index + step) % len(labels)])
            self.update_view()
