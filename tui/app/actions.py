"""The app's actions that open a view or act on the selection: profile view, full-screen image, recentring,
copying to the clipboard, DQ flags. A mixin of the App, like the dialog flows; each asks the Session and shows.
"""

from __future__ import annotations

from tui.app.screens.prompt import PromptScreen
from tui.app.widgets.result import ResultPanel
from tui.app.widgets.results_table import ResultsTable
from tui.app.widgets.thumbnail import Thumbnail


class ViewActions:
    """Needs from the App: session, notify, push_screen, pop_screen, screen, main(), copy_to_clipboard,
    _draw_overlays, _update_background, _show_notices, _journal_warning, ready_to_measure and
    _count_unexported."""

    def action_copy_row(self) -> None:
        """The selected result row, tab-separated with a header line, to the clipboard (OSC 52 over SSH); in the
        light-curve view, the fit's summary line."""
        if hasattr(self.screen, "fit_summary"):
            summary = self.screen.fit_summary()
            if summary is None:
                self.notify("No fit yet: press f first.", severity="warning")
                return
            self.copy_to_clipboard(summary)
            self.notify(summary, title="Copied the fit to the clipboard", timeout=6)
            return
        row = self.main("#results", ResultsTable).selected_row() if self.session is not None else None
        if row is None:
            self.notify("No result to copy yet: press F5 first.", severity="warning")
            return
        from tui.core.export import rows_tsv

        self.copy_to_clipboard(rows_tsv([row]))
        self.notify(f"Copied result #{row['id']} ({row['subset_label']} on {row['data_label']}) as tab-separated "
                    f"text with a header line.", title="Copied to the clipboard", timeout=5)

    def action_copy_table(self) -> None:
        """The whole current results table as ECSV text to the clipboard."""
        table = self.session.get_aperture_photometry_results(extended=True) if self.session is not None else None
        if table is None:
            self.notify("No results to copy yet: press F5 first.", severity="warning")
            return
        from tui.core.export import ecsv_text
        from tui.core.formatting import counted

        text = ecsv_text(table)
        self.copy_to_clipboard(text)
        self.notify(f"Copied the results table ({counted(len(table), 'row')}, {len(text):,} characters) as ECSV text.",
                    title="Copied to the clipboard", timeout=5)

    def action_image(self) -> None:
        """The image filling the screen (F8 again or Esc returns, keeping zoom and pan)."""
        from tui.app.screens.image import ImageScreen

        if isinstance(self.screen, ImageScreen):
            self.screen.action_back()
            return
        if self.session is None or self.session.selected_data is None:
            self.notify("Load an image first (ctrl+o).", severity="warning")
            return
        self.push_screen(ImageScreen(self.main("#thumbnail", Thumbnail)))

    def has_selection(self) -> bool:
        """Whether an image and a region are selected; if not, the user is told how to load them."""
        s = self.session
        if s is None or s.selected_data is None or s.selected_subset is None:
            self.notify("Load an image and a region first (ctrl+o opens files, ctrl+n types a region, c on the "
                        "image draws one).", severity="warning")
            return False
        return True

    def action_profile(self) -> None:
        from tui.app.screens.profile import ProfileScreen  # its plots need numpy: not before the first frame

        if isinstance(self.screen, ProfileScreen):
            self.pop_screen()
            return
        if self.has_selection():
            self.push_screen(ProfileScreen())

    def action_light_curve(self) -> None:
        """The selected subset as target on every frame (F9 again or Esc returns; measured frames are kept)."""
        from tui.app.screens.lightcurve import LightCurveScreen

        if isinstance(self.screen, LightCurveScreen):
            self.screen.action_back()
            return
        s = self.session
        if s is None or s.selected_subset is None:
            self.notify("Load frames and regions first (ctrl+o, ctrl+n).", severity="warning")
            return
        import math

        timed = [f for f in self.frames.values() if math.isfinite(f.time.jd_utc)]
        if len(timed) < 2:
            without = [f.label for f in self.frames.values() if not math.isfinite(f.time.jd_utc)]
            self.notify("A light curve needs a sequence of frames with times: open several frames (aperphot-tui "
                        "frame_*.fits --regions stars.reg) or a cube of integrations"
                        + (f" ({', '.join(without[:3])}: no time found)" if without else "")
                        + ". To try it: python -m tui.demo_series night1", severity="warning", timeout=10)
            return
        self.push_screen(LightCurveScreen(s.selected_subset))

    def action_recenter(self) -> None:
        """Move the selected subset to its centroid on the selected image; the thumbnail follows."""
        import math

        from tui.core import PhotometryError

        if not self.has_selection():
            return
        s = self.session
        try:
            dx, dy = s.recenter()
        except PhotometryError as exc:
            self.notify(str(exc), title="Not recentred", severity="error", timeout=8)
            return
        self._draw_overlays()
        self.notify(f"{s.selected_subset} moved {math.hypot(dx, dy):.2f} pix to its centroid "
                    f"(dx {dx:+.2f}, dy {dy:+.2f}).", title="Recentred", timeout=5)
        if hasattr(self.screen, "update_view"):  # the profile view follows
            self.screen.update_view()

    def action_dq_flags(self, typed: str | None = None) -> None:
        """The DQ flags prompt; `typed`: the text it comes back with after a mistake."""
        if self.session is None:
            return
        from tui.core.quality import describe_flags

        current = self.session.dq_flags
        self.push_screen(PromptScreen(
            f"DQ flags that make a pixel bad (now: {describe_flags(current)}).\n"
            "Flag values such as 1,4,256; 'default' for each telescope's; 'none' to ignore DQ.",
            typed if typed is not None else "default" if current is None else describe_flags(current)),
            self._dq_flags_chosen)

    def _dq_flags_chosen(self, text: str | None) -> None:
        if text is None:
            return
        from tui.core import PhotometryError
        from tui.core.quality import describe_flags, parse_dq_flags

        try:
            self.session.dq_flags = parse_dq_flags(text)
        except PhotometryError as exc:
            self.notify(str(exc), title="DQ flags unchanged", severity="error")
            self.action_dq_flags(text)  # back, as typed: put right, not typed anew
            return
        self._update_background()
        self.notify(f"DQ flags: {describe_flags(self.session.dq_flags)}", timeout=4)

    def action_calculate_all(self) -> None:
        """Every aperture region (not the background one) on the selected image, one result each, measured
        together (the numbers calculate gives one by one)."""
        from tui.core import PhotometryError
        from tui.core.formatting import result_lines
        from tui.core.notices import INCOMPLETE_SUM, DamagedApertureWarning, OffImageWarning

        if not self.ready_to_measure():
            return
        s = self.session
        if s.selected_data is None:
            self.notify("Load an image first (ctrl+o).", severity="warning")
            return
        labels, left_out = [], []  # the apertures; the annuli and the background region, said in the toast
        for label, sub in s.subsets.items():
            (left_out if sub.is_annulus or label == s.inputs.background_region else labels).append(label)
        if not labels:
            self.notify("No aperture region to measure" + (" (annuli and the background region are left out)"
                                                           if s.subsets else "")
                        + ": ctrl+o opens a region file, ctrl+n types a region, c on the image draws one.",
                        severity="warning", timeout=8)
            return
        try:
            table, skipped = s.calculate_many(subsets=labels)
        except PhotometryError as exc:
            self.refused(exc)
            return
        # A toast per damaged aperture would bury the screen: they are counted, and each row has its npix_bad.
        notices = s.pop_notices()
        self._show_notices([n for n in notices if n.category not in INCOMPLETE_SUM])
        incomplete = [n for n in notices if n.category in INCOMPLETE_SUM]  # one of each kind per row at most
        count = 0 if table is None else len(table)
        if count:
            self._count_unexported(count)
            rows = s.result_rows
            self.main("#results", ResultsTable).reset(rows)
            last = rows[-1]
            self.main("#result", ResultPanel).show(
                last, result_lines(last),
                " ".join(n.detail for n in incomplete if n.subset == last["subset_label"]) or None)
            self._journal_warning(s.journal_error)
        text = f"Measured {count} of {len(labels)} regions on {s.selected_data}."
        if left_out:
            text += (f" Left out as background{'s' if len(left_out) > 1 else ''}: {', '.join(left_out[:3])}"
                     + (f" and {len(left_out) - 3} more." if len(left_out) > 3 else "."))
        damaged, off = (sum(n.category is kind for n in incomplete)
                        for kind in (DamagedApertureWarning, OffImageWarning))
        if damaged:
            text += f" {damaged} {'has' if damaged == 1 else 'have'} NaN or flagged pixels inside (see npix_bad)."
        if off:
            text += f" {off} {'lies' if off == 1 else 'lie'} partly off the image."
        if skipped:
            text += f" Skipped {len(skipped)}: {skipped[0][1]}" + (" ..." if len(skipped) > 1 else "")
        self.notify(text, title="Measure all regions", severity="warning" if skipped else "information",
                    timeout=10)
