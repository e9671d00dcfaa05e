"""F1: every key and the workflow, laid out as key / description tables so that each description wraps under
itself at any width (80 columns included) instead of under its key.

F1 opens at the section for where the user is (the light curve, the profile view, the image, the results table,
the open dialog: their HELP_TOPIC): the keys that act there come first, and Home gives the whole help from its
start."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

TITLE = "aperphot-tui: simple aperture photometry, as in the Imviz plugin"

# (heading, entries): an entry is (keys, what they do), or a plain string for a paragraph.
SECTIONS: list[tuple[str, list]] = [
    ("Workflow", [
        ("1.", "Pick the image in Data and the region in Subset (Tab moves between controls)."),
        ("2.", "Background: type a value in the data unit, or choose a region (an annulus) whose median, or "
               "3-sigma clipped median, is used. 'new annulus around the subset' in that list makes one (1.5 to "
               "2.5 times the subset's size) and uses it."),
        ("3.", "Pixel area, Counts conversion factor and Flux scaling fill themselves from the image's metadata "
               "when they can (the hint says from where) and reset when Data changes. 0 = not set."),
        ("4.", "Press F5 (or ctrl+j) from anywhere. The result shows under CALCULATE and joins the table."),
    ]),
    ("Keys everywhere", [
        ("F5, ctrl+j", "calculate"),
        ("shift+F5", "measure every aperture region on the selected image"),
        ("ctrl+s", "export the results (.ecsv .csv .fits .vot .html .txt), or save the regions as they are now "
                   "(drawn, typed, recentred) to a DS9 .reg file for measure and series"),
        ("ctrl+o", "open images, region files (opened again: only new regions join), a cube or a folder of "
                   "frames"),
        ("ctrl+n", "new region from a form (space opens its shapes, an annulus among them; Enter adds)"),
        ("F6", "profile view: radial profile, FWHM, curve of growth, centroid (r n p d, Esc)"),
        ("F7", "recentre the subset on its centroid"),
        ("F8", "the image fills the screen (draw, zoom, pan, readout; Esc returns)"),
        ("F9", "light curve: the selected subset as target on every frame (see below)"),
        ("ctrl+y", "copy the selected result row (tab-separated, with a header) to the clipboard"),
        ("ctrl+t", "copy the whole results table (ECSV) to the clipboard; over SSH the terminal must allow "
                   "OSC 52 (tmux: set -g set-clipboard on)"),
        ("ctrl+p", "every action"),
        ("F1", "this help"),
        ("ctrl+q", "quit (asks when results were not exported; ctrl+q again quits)"),
    ]),
    ("Image (Tab to it; F8: the whole screen)", [
        ("arrows", "move the cursor (x, y, RA/Dec and value below)"),
        ("shift+arrows", "pan"),
        ("+ / -", "zoom at the cursor"),
        ("f", "frame the selected subset"),
        ("0", "fit the image"),
        ("t  i  a", "stretch, interval, ASCII/colour"),
        ("l", "labels: all that fit (the selected subset's, then those nearest the cursor, a fifth of the image "
              "at most; zoom in for more) / the selected subset's only / none"),
        ("c  e  r", "draw a circle / ellipse / rectangle at the cursor: arrows move it, ] [ size, } { second "
                    "axis, > < rotate, Enter adds, Esc cancels"),
        "Real pixels where the terminal shows them (kitty graphics, sixel; asked at start, or --graphics "
        "kitty|sixel|none, or APERPHOT_GRAPHICS); the line under the image says which.",
    ]),
    ("Results table (the top line says which row, and how many columns lie left and right)", [
        ("up/down", "move through every row (PageUp/PageDown, Home/End)"),
        ("left/right", "scroll the columns"),
        ("s", "sort all rows (again: descending, then the next column)"),
        ("c  C", "copy the row, the table"),
    ]),
    ("Profile view (F6)", [
        "The selected subset's radial profile with a Gaussian fit (its FWHM beside the moments FWHM of the row's "
        "shape columns), the curve of growth (the share of the flux within the outer radius that each radius "
        "holds, the aperture's marked) and the centroid's offset from the subset's centre.",
        ("r", "recentre the subset on its centroid (as F7)"),
        ("n  p", "the next / previous aperture subset"),
        ("d", "the next image"),
        ("v", "the profile's points: every pixel (Imviz's raw profile: a neighbour or a cosmic ray stands out) / "
              "the binned means"),
        ("ctrl+s", "export the radial profile (binned or every pixel) or the curve of growth (or the results "
                   "tables), each under a name of its own"),
        ("Esc, F6", "back"),
    ]),
    ("Light curve (F9; open a sequence: aperphot-tui frame_*.fits --regions stars.reg, or a cube)", [
        "The selected subset is the target (T1); every other aperture region is a comparison. Frames are "
        "measured in the background (s stops, s again carries on); points appear as they come.",
        ("up/down", "choose a star"),
        ("space", "put it in / take it out of the ensemble"),
        ("left/right", "move along time (shift or PgUp/PgDn: 10 frames; Home/End)"),
        ("x", "exclude the frame under the cursor from the fit (again: back in)"),
        ("b", "binned points: off, 2, 5, 10, 20, 50 frames"),
        ("v", "lower panel: residuals (once fitted), comparisons, airmass, width, sky, drift"),
        ("f", "fit a transit"),
        ("d", "detrend set: auto (lowest BIC), none, airmass, ..."),
        ("ctrl+s", "export the light curve (the `series` columns, `excluded`, the fit in the meta)"),
        ("ctrl+y", "copy the fit's summary line"),
        ("Esc, F9", "back"),
        "Measured frames and your choices are kept in the state folder: F9 on the same frames and stars, "
        "later or after a crash (--resume), takes them back without measuring again. The site (BJD_TDB, "
        "airmass) is the headers'; aperphot-tui --site LAT,LON,HEIGHT gives another.",
    ]),
    ("Files", [
        "ctrl+o takes a path (→ completes it) or a pick from the tree; file.fits[SCI,2] chooses an extension, "
        "file.fits[*] opens every SCI extension (both chips of an _flt), file.fits[1][0] a plane of a cube. "
        "Region files: .reg (DS9, in image, physical or sky coordinates) and .crtf (CASA).",
    ]),
    ("Uncertainties", [
        "aperture_sum_err comes from the ERR (or VAR_*) extension beside SCI; NaN and DQ-flagged pixels are "
        "left out of the sum (npix_bad counts them, and a warning names the aperture). DQ flags: ctrl+p, "
        "\"DQ flags\" (JWST: DO_NOT_USE; HST: all but 16 and 64). An aperture over the image's edge counts "
        "only the pixels on it; a warning says what share lies off.",
    ]),
    ("Nothing is lost", [
        "Each result is journaled as it is computed; after a crash or a dropped connection the next start "
        "offers to restore (or use --resume). When a result does not fit the table's units, a new table "
        "starts and the old one stays exportable (ctrl+s, choose it).",
        "Batch: aperphot-tui measure IMAGE... --regions FILE [-o OUT]",
    ]),
]


def section_text(heading: str, entries: list) -> Group:
    """One section as Rich renderables: its heading, then its keys in a two-column grid."""
    parts: list = [Text(heading, style="bold")]
    keys = None
    for entry in entries:
        if isinstance(entry, str):
            parts.append(Text(entry))
            keys = None
            continue
        if keys is None:
            keys = Table.grid(padding=(0, 2))
            keys.add_column(no_wrap=True, style="bold")
            keys.add_column(ratio=1)
            parts.append(keys)
        keys.add_row(Text(entry[0]), Text(entry[1]))
    return Group(*parts)


def section_index(topic: str | None) -> int | None:
    """Which section a view's HELP_TOPIC names (its heading's first words), or None."""
    if topic is None:
        return None
    return next((i for i, (heading, _) in enumerate(SECTIONS) if heading.startswith(topic)), None)


def _intro() -> list:
    return [Text(TITLE, style="bold"), Text("up/down, PageUp/PageDown, Home/End scroll; Esc or F1 closes",
                                            style="italic")]


class HelpScreen(ModalScreen[None]):
    """The help; `topic` (a view's HELP_TOPIC) scrolls its section to the top, the rest above and below it."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def __init__(self, topic: str | None = None) -> None:
        super().__init__()
        self.section = section_index(topic)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help") as scroll:
            if self.section is not None:
                scroll.border_title = f"Help: {SECTIONS[self.section][0].split(' (')[0]} · Home: from the start"
            yield Static(Group(*_intro()))
            for i, (heading, entries) in enumerate(SECTIONS):
                yield Static(section_text(heading, entries), id=f"help-{i}", classes="help-section")

    def on_mount(self) -> None:
        # Focused, the scroll area takes up/down, PageUp/PageDown and Home/End: the rest of the help is a key
        # away at 80x24, without a mouse.
        scroll = self.query_one(VerticalScroll)
        scroll.focus()
        if self.section is not None:  # once laid out: before, the section has no place to scroll to
            section = self.query_one(f"#help-{self.section}")
            self.call_after_refresh(lambda: scroll.scroll_to(y=section.virtual_region.y, animate=False))

    def action_close(self) -> None:
        self.dismiss(None)
