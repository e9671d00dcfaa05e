"""The Textual app: layout, bindings, and wiring to the core Session. It shows what the Session answers.

Textual is imported first and astropy/regions only in the loading worker, so the first frame paints at once.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from tui.app.actions import ViewActions
from tui.app.dialogs import DialogFlows
from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.help import HelpScreen
from tui.app.typeahead import TypeAhead
from tui.app.widgets.footer import KeyFooter
from tui.app.widgets.fields import FIELDS, NEW_ANNULUS, TYPED, FieldsPanel
from tui.app.widgets.result import ResultPanel
from tui.app.widgets.results_table import ResultsTable
from tui.app.widgets.thumbnail import Thumbnail

INPUT_NAMES = ("background",) + tuple(name for name, _, _ in FIELDS)
SEQUENCE_FILES = 12  # more images than this open as a sequence: listed at once, each read when shown


def _keep_for_the_run() -> None:
    """What is loaded by now stays for the whole run (modules, images, catalogues): kept out of the cycle
    collector's sight (gc.freeze), whose full passes over every object otherwise cost a tenth of a second each,
    several times, while a large catalogue or journal arrives. (Tests, which run many apps in one process,
    unfreeze after each.)"""
    gc.freeze()


class AperPhotApp(TypeAhead, ViewActions, DialogFlows, App):
    CSS_PATH = "app.tcss"
    TITLE = "aperphot-tui"
    AUTO_FOCUS = "#data"
    BINDINGS = [
        Binding("f5", "calculate", "Calculate", priority=True),
        Binding("ctrl+j", "calculate", "Calculate", show=False, priority=True),
        Binding("shift+f5", "calculate_all", "Measure all", show=False, priority=True),
        Binding("ctrl+s", "export", "Export", priority=True),
        Binding("ctrl+o", "open", "Open", priority=True),
        Binding("ctrl+n", "new_region", "Region", priority=True),
        Binding("f6", "profile", "Profile", priority=True),
        Binding("f7", "recenter", "Recentre", show=False, priority=True),
        Binding("f8", "image", "Image", show=False, priority=True),
        Binding("f9", "light_curve", "Light curve", show=False, priority=True),
        Binding("ctrl+y", "copy_row", "Copy row", show=False, priority=True),
        Binding("ctrl+t", "copy_table", "Copy table", show=False, priority=True),
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    _app_key_actions = frozenset(binding.action for binding in BINDINGS)

    def __init__(self, images=(), region_files=(), resume: bool = False, ascii_mode: bool = False,
                 state_dir: str | None = None, graphics=None, graphics_write=None, regions_beside=(),
                 site: tuple[float, float, float] | None = None) -> None:
        super().__init__()
        # graphics.detect.Graphics: the terminal's pixel protocol; graphics_write: where its bytes go (tests)
        self._graphics_mode, self._graphics_write = graphics, graphics_write
        self.graphics = None  # a KittyLayer or SixelLayer once mounted, when the terminal draws pixels
        self._images = [str(p) for p in images]
        self._region_files = [str(p) for p in region_files]
        self._regions_beside = [str(p) for p in regions_beside]  # in a folder named, not loaded: said once loaded
        self._resume = resume
        self._ascii = ascii_mode
        self._state_dir = state_dir
        self.session = None  # tui.core.Session once loaded
        self.store = None  # tui.core.journal.JournalStore
        self._previews: dict = {}
        self._unexported: dict[int, int] = {}  # rows not exported, by results table (its index once archived)
        self._last_export: str | None = None
        self._retry_export: str | None = None  # a path whose export failed: the dialog opens on it once
        self._journal_started = False  # calculating waits for it: no result may miss the journal
        self.frames: dict = {}  # the inputs as frames of a sequence, by label (tui.core.frames.Frame)
        self._sequence = False  # many files or a cube: frames are read when shown, not at start
        self.site = site  # (lat, lon east, height m) for light curves, over the frames' own
        self._reader = None  # tui.core.frames.FrameReader, made by the load worker
        self._focus_before_tiny = None  # what had focus when the window became too small (on_resize)

    # -- layout ------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="too-small")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield FieldsPanel(id="fields")
                yield ResultPanel(id="result")
            with Vertical(id="right"):
                yield Thumbnail(ascii_mode=self._ascii, id="thumbnail")
                yield Static(Text("loading…"), id="readout")
                yield Static("", id="viewinfo")
                yield Static("", id="images-status")
        yield Static("", id="journal-warning")
        yield ResultsTable(id="results")
        yield KeyFooter(compact=True)

    @property
    def fields(self) -> FieldsPanel:
        return self.screen_stack[0].query_one(FieldsPanel)

    def main(self, selector: str, kind=None):
        """A widget of the main screen, even while a dialog is open."""
        return self.screen_stack[0].query_one(selector, kind)

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every toast: never markup (a label `[@click=app.quit]` stays text), never a raw control character."""
        from tui.app.safe import safe

        super().notify(safe(message, keep_newlines=True), title=safe(title), severity=severity, timeout=timeout,
                       markup=False)

    def _count_unexported(self, rows: int) -> None:
        """Rows just added to the current results table: it will be archived under the index it is counted by."""
        key = len(self.session.archived_results)
        self._unexported[key] = self._unexported.get(key, 0) + rows

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's hint that ctrl+q quits, in plain words (its own has markup, which toasts show as typed)."""
        self.notify("Press ctrl+q to quit the app (ctrl+c copies in a field)", title="Do you want to quit?")

    # -- loading -----------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        # Half-block greys need 256 colours or more: 16 colours leave 4 greys, and NO_COLOR none at all. Sixel draws
        # its own greys, whatever the colours: xterm with sixel says TERM=xterm, 16 colours.
        mode = self._graphics_mode
        few_colours = self.console.color_system not in ("256", "truecolor")
        if self.no_color or (few_colours and (mode is None or mode.kind != "sixel")):
            self.main("#thumbnail", Thumbnail).use_ascii()
        elif not self._ascii:
            self.graphics = self._graphics_layer()
        if mode is not None and mode.note:
            self.notify(mode.note, title="Images", timeout=10)
        status = mode.status if mode is not None and mode.status and self.graphics is None else ""
        if few_colours and self.graphics is None and not self.no_color and not self._ascii \
                and os.environ.get("TEXTUAL_COLOR_SYSTEM", "auto") == "auto":
            # most terminals have 256 colours whatever TERM says; the ASCII image would be all they ever saw
            status = f"ASCII image: TERM={os.environ.get('TERM', '')} means 16 colours; --colors 256 for greys"
        if status:
            from tui.app.safe import safe

            widget = self.main("#images-status", Static)
            widget.update(Text(safe(status)))  # TERM is the environment's: inert, like text from files
            widget.display = True
        self.load_files()

    def post_display_hook(self) -> None:
        # After each frame Textual wrote: sixel rows that changed, or were uncovered, are drawn over it.
        if self.graphics is not None and self.graphics.kind == "sixel":
            self.graphics.after_frame(self)

    def _graphics_layer(self):
        """The layer that draws real pixels in this terminal, or None for half-blocks."""
        mode = self._graphics_mode
        if mode is None or mode.kind == "none":
            return None
        write = self._graphics_write or (lambda text: self._driver is not None and self._driver.write(text))
        if mode.kind == "kitty":
            from tui.app.graphics.layer import KittyLayer

            return KittyLayer(write, self.console.color_system == "truecolor", mode.aspect, mode.tmux)
        from tui.app.graphics.sixel_layer import SixelLayer

        return SixelLayer(write, mode.aspect, mode.cell)

    @work(thread=True, exclusive=True, group="load")
    def load_files(self) -> None:
        try:
            from tui.core import PhotometryError, Session
            from tui.core.journal import JournalStore
        except ImportError as exc:
            if not getattr(exc, "for_the_user", False):  # tui.core.errors.MissingDependency: a library too old
                raise
            self.call_from_thread(self.exit, None, 2, Text(f"aperphot-tui: error: {exc}"))
            return

        _keep_for_the_run()

        images, regions = self._images, self._region_files
        if not images and not regions:
            from tui.demo import demo_files

            demo_images, demo_regions = demo_files()
            images, regions = [str(p) for p in demo_images], [str(p) for p in demo_regions]
        session, store = Session(warn=False), JournalStore(self._state_dir)  # notices become toasts
        if self._resume:  # results first: they are what --resume is for, and images load while they show
            orphans = store.orphans()
            source = orphans[0] if orphans else store.newest_done()
            if source is not None:
                self.call_from_thread(self._restored, session, *self._read_journal(store, source, orphans[1:]))
        errors = []
        frames = self._list_frames(images, errors)
        if self._sequence:
            # A sequence (a cube's integrations, or many files): listed from their headers only; a frame is read
            # when it is shown or measured.
            try:
                session.load_data(self._reader.image(frames[0]))
            except PhotometryError as exc:
                errors.append(str(exc))
        else:
            from tui.core.images import folders_of, load_fits

            folders = folders_of(images)  # each night's frame_0001.fits: night1/frame_0001[PRIMARY,1]
            for path in images:
                try:
                    image = load_fits(path)
                    if any(open_.source == image.source for open_ in session.images.values()):
                        continue  # one image named two ways (f1.fits and f1.fits[*]): listed once
                    session.load_data(image, label=folders.get(path, "") + image.label)
                except PhotometryError as exc:
                    errors.append(str(exc))
        for path in regions:
            try:
                session.load_regions(path)
            except PhotometryError as exc:
                errors.append(str(exc))
        if session.selected_data is not None:
            self._preview(session, session.selected_data)
        _keep_for_the_run()
        self.call_from_thread(self._loaded, session, store, errors)

    def _list_frames(self, images: list[str], errors: list[str]) -> list:
        """The inputs as frames of a sequence (headers only). Many files, or a cube, make the app a sequence
        viewer: the Data selector lists the frames and reads each when chosen."""
        from tui.core import PhotometryError
        from tui.core.frames import list_frames

        from tui.core.frames import FrameReader

        self._reader = FrameReader()
        plain = [path for path in images if os.path.isfile(path)]  # file.fits[SCI,2] selections load as before
        skipped: list[str] = []
        try:
            frames = list_frames(plain, skipped, require_time=False)
        except PhotometryError as exc:
            errors.append(str(exc))
            frames = []
        self.frames = {frame.label: frame for frame in frames}
        self._sequence = bool(frames) and (len(frames) > SEQUENCE_FILES or any(f.plane is not None for f in frames))
        if self._sequence:
            errors += skipped
        return frames

    def frame_image(self, label: str):
        """A frame of the sequence as the Session's image, read when first asked for."""
        if label not in self.session.images and label in self.frames:
            self.session.load_data(self._reader.image(self.frames[label]))
        return label

    @staticmethod
    def _read_journal(store, source: Path, retire: list[Path]):
        """(live journal, what it holds, None) or (None, None, why not): run in a worker thread, as reading a long
        journal takes a while; the Session adopts the rows on the main thread (_restored)."""
        from tui.core import PhotometryError
        from tui.core.journal import read_journal

        try:
            for path in retire:
                store.retire(path)
            live = store.adopt(source)
            return live, read_journal(live), None
        except (PhotometryError, OSError) as exc:
            return None, None, str(exc)

    @work(thread=True, exclusive=True, group="load")
    def _restore_in_worker(self, source: Path, retire: list[Path]) -> None:
        self.call_from_thread(self._restored, self.session, *self._read_journal(self.store, source, retire))

    def _restored(self, session, live: Path | None, replay, error: str | None) -> None:
        """A journal read in a worker becomes the session's results (and its journal), and the table shows them."""
        from tui.core import PhotometryError

        self._journal_started = True
        try:
            if error is not None:
                raise PhotometryError(error)
            session.restore_journal(live, replay)
            from tui.core.formatting import counted

            self.notify(f"Restored {counted(replay.count, 'result')}.", title="Journal")
        except (PhotometryError, OSError) as exc:
            self._journal_warning(str(exc))
        else:
            self._journal_warning(session.journal_error)
        if self.session is not None:  # restored after loading (the user said yes): say what the restore said
            self._show_notices()
        self.main("#results", ResultsTable).reset(session.result_rows)

    def _preview(self, session, label: str):
        if label not in self._previews:
            from tui.app.widgets.render import Preview

            self._previews[label] = Preview(session.images[label].data)
        return self._previews[label]

    @work(thread=True, group="previews")
    def _build_blocks(self, label: str) -> None:
        """The block-max preview of a large image, while its strided preview is on screen already."""
        self._previews[label].build_blocks()
        self.call_from_thread(self._blocks_ready, label)

    def _blocks_ready(self, label: str) -> None:
        if self.session.selected_data == label:
            for thumb in self._thumbnails():
                thumb.show_image(self._previews[label])  # a finer preview of the same image: same overlays

    def _thumbnails(self) -> list[Thumbnail]:
        """The main thumbnail, and the full-screen one when it is open."""
        thumbs = [self.main("#thumbnail", Thumbnail)]
        if self.screen is not self.screen_stack[0]:
            thumbs += list(self.screen.query(Thumbnail))
        return thumbs

    def _here(self, selector: str):
        """A widget of the active screen when it has one (the full-screen image's readout), else the main one's."""
        found = self.screen.query(selector)
        return found.first() if found else self.main(selector)

    def on_resize(self, event) -> None:
        """Below 60x18 the layout cannot work: one line asks for a larger window instead, and the hidden layout
        takes no keys (a select opened there had no room, and Textual's page keys then ended the app). Focus
        comes back where it was."""
        small = event.size.width < 60 or event.size.height < 18
        if small != self.has_class("-tiny"):
            main = self.screen_stack[0]
            if small:
                self._focus_before_tiny = main.focused
            for part in ("#main", "#results"):
                self.main(part).disabled = small  # disabling blurs what had focus in it, and closes a select
            if not small:
                before = self._focus_before_tiny
                if before is not None and isinstance(before.parent, Select):  # its list, open then: the select
                    before = before.parent
                main.set_focus(before if before is not None and before.focusable else self.main("#data"))
        self.set_class(small, "-tiny")
        if small:
            self.main("#too-small", Static).update(Text(
                f"Window {event.size.width}x{event.size.height}: enlarge it to 60x18 (ctrl+q quits)"))

    def _loaded(self, session, store, errors: list[str]) -> None:
        self.session, self.store = session, store
        for error in errors:
            self.notify(error, title="Not loaded", severity="error", timeout=10)
        if self._regions_beside:
            first = self._regions_beside[0]
            self.notify(f"{first} is beside the images: ctrl+o opens it (or start with -r {first})",
                        title="No region file named", timeout=10)
        self._show_notices()
        if notice := store.privacy_notice():
            self.notify(notice, severity="warning", timeout=10)
        orphans = store.orphans()
        if self._journal_started:
            pass  # --resume restored the results while the images loaded
        elif self._resume:
            self.notify("--resume: there is no journal to restore", severity="warning")
            self._start_fresh_journal(orphans)
        elif orphans:
            with open(orphans[0], "rb") as journal:  # bytes: a damaged line must not stop the count
                count = sum(1 for line in journal if line.strip())

            def answer(yes: bool | None) -> None:
                if yes:
                    self._restore_in_worker(orphans[0], orphans[1:])
                else:
                    self._start_fresh_journal(orphans)

            from tui.core.formatting import counted

            self.push_screen(ConfirmScreen(
                f"An earlier session ended without quitting (a crash or a dropped connection) and left "
                f"{counted(count, 'result')} in its journal.\n\nRestore {'it' if count == 1 else 'them'}?",
                yes="Restore", no="Start fresh"), answer)
        else:
            self._start_fresh_journal([])
        self._refresh_choices()
        # the first F6 (or transit fit) would wait for its fitters' import; a second in, the screen is drawn
        self.set_timer(1.0, self._import_fitters)
        if session.selected_data is None:
            self.main("#readout", Static).update(Text("No image loaded: ctrl+o opens one."))
        else:
            self._data_selected(session.selected_data)

    @work(thread=True, group="import")
    def _import_fitters(self) -> None:
        from tui.core.profiles import import_fitters

        import_fitters()

    def _start_fresh_journal(self, retire: list[Path]) -> None:
        from tui.core import PhotometryError

        self._journal_started = True
        try:
            for path in retire:
                self.store.retire(path)
            self.session.attach_journal(self.store.live_path())
        except (PhotometryError, OSError) as exc:
            self._journal_warning(str(exc))
        else:
            self._journal_warning(self.session.journal_error)
        self.main("#results", ResultsTable).reset(self.session.result_rows)

    def _journal_warning(self, error: str | None) -> None:
        """A line that stays on screen while results are not being journaled, until writing works again or the
        user exports them."""
        from tui.app.safe import safe_rich

        banner = self.main("#journal-warning", Static)
        banner.set_class(error is not None, "-shown")
        if error is not None:
            banner.update(safe_rich(f"Results are not being journaled: {error}. ctrl+s exports them; "
                                    f"each calculate tries the journal again."))

    # -- selections and fields -----------------------------------------------------------------------
    def _refresh_choices(self) -> None:
        s = self.session
        apertures = [label for label, sub in s.subsets.items() if not sub.is_annulus]
        data = list(self.frames) + [label for label in s.images if label not in self.frames] if self._sequence \
            else list(s.images)
        self.fields.set_choices("data", data, s.selected_data, "(no data: ctrl+o)")
        self.fields.set_choices("subset", apertures, s.selected_subset, "(no regions: ctrl+o, ctrl+n)")
        self.fields.set_background_sources(list(s.subsets), s.inputs.background_region, s.inputs.background_stat)

    def on_select_changed(self, event: Select.Changed) -> None:
        if self.session is None or event.select.id not in ("data", "subset", "bg-source"):
            return
        value = None if event.select.is_blank() else event.value
        if value is None and event.select.id in ("data", "subset"):
            # The prompt ("no data: ctrl+o") is an option of the list too; picked while there are images or
            # regions, it would show none while calculate still uses the selection: show the selection again.
            self._refresh_choices()
            return
        if event.select.id == "data":
            self._data_selected(value)
        elif event.select.id == "subset":
            self.session.select_subset(value)
            self._draw_overlays()
        elif event.select.id == "bg-source" and value == NEW_ANNULUS:
            self.action_background_annulus()
        elif event.select.id == "bg-source":
            stat, region = ("median", None) if value in (None, TYPED) else value
            self.session.inputs.background_region, self.session.inputs.background_stat = region, stat
            self._update_background()
            self._draw_overlays()

    def action_background_annulus(self) -> None:
        """A sky annulus around the selected subset (1.5 to 2.5 times its size), made the background region."""
        from tui.core import PhotometryError

        if not self.has_selection():
            if self.session is not None:
                self._refresh_choices()  # the list back on what it was
            return
        s = self.session
        try:
            label = s.add_background_annulus()
        except PhotometryError as exc:
            self._refresh_choices()
            self.notify(str(exc), title="No annulus added", severity="error", timeout=8)
            return
        self._refresh_choices()
        self._update_background()
        self._draw_overlays()
        self.notify(f"Added {label} around {s.selected_subset}; its median is now the background.", timeout=5)

    def select_data(self, label: str) -> None:
        """Select an image from anywhere (the profile view's keys): the main screen follows."""
        self._data_selected(label)
        self._refresh_choices()

    def select_subset(self, label: str) -> None:
        self.session.select_subset(label)
        self._refresh_choices()
        self._draw_overlays()

    def _data_selected(self, label: str) -> None:
        from tui.core import PhotometryError

        s = self.session
        try:
            s.select_data(self.frame_image(label))
        except PhotometryError as exc:
            self._refresh_choices()  # the selector back on the image still shown, which calculate measures
            self.notify(str(exc), title="Not loaded", severity="error", timeout=8)
            return
        for name in INPUT_NAMES:
            self.fields.show_value(name, getattr(s.inputs, name), s.inputs.sources.get(name, ""))
        self._update_background()
        preview = self._preview(s, label)
        for thumb in self._thumbnails():
            thumb.show_image(preview, self._overlays())
        if not preview.blocked and not any(w.name == "_build_blocks" and w.is_running for w in self.workers):
            # after this frame: the finer preview's worker would otherwise slow the first drawing of the image
            self.call_after_refresh(self._build_blocks, label)
        thumb = self.main("#thumbnail", Thumbnail)
        if thumb.cursor is not None:
            self._readout(*thumb.cursor)

    def _update_background(self) -> None:
        """With a background region, the field shows that region's median on the selected image."""
        from tui.core import PhotometryError

        field = self.main("#background", Input)
        s = self.session
        field.disabled = s.inputs.background_region is not None
        if s.inputs.background_region is None:
            return
        try:
            median = s.background_median()
        except PhotometryError as exc:
            self.fields.mark("background", str(exc))
            return
        s.inputs.background = median
        self.fields.show_value("background", median)
        self.fields.mark("background", None)

    def on_input_changed(self, event: Input.Changed) -> None:
        name = event.input.id
        if self.session is None or name not in INPUT_NAMES:
            return
        from tui.core import PhotometryError
        from tui.core.inputs import parse_field

        setattr(self.session.inputs, name, event.value)
        if name != "background":
            self.session.inputs.sources[name] = "typed"
            self.fields.show_hint(name, "typed")
        try:
            parse_field(name, event.value)
            self.fields.mark(name, None)
        except PhotometryError as exc:
            self.fields.mark(name, str(exc))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "calculate":
            self.action_calculate()

    # -- thumbnail -----------------------------------------------------------------------------------
    def _overlays(self) -> tuple:
        from tui.app.safe import safe
        from tui.app.widgets.overlays import Overlay
        from tui.core import PhotometryError

        s = self.session
        labels = list(s.subsets)
        overlays = []
        for label, region in zip(labels, s.pixel_regions(labels, s.selected_data)):
            if isinstance(region, PhotometryError):
                continue  # a sky region on an image without WCS: nothing to draw
            kind = ("selected" if label == s.selected_subset else
                    "background" if label == s.inputs.background_region else "other")
            overlays.append(Overlay(region, kind, safe(label)))
        overlays.sort(key=lambda o: o.kind == "selected")  # the selected outline on top
        return tuple(overlays)

    def _draw_overlays(self) -> None:
        if self.session.selected_data is not None:
            overlays = self._overlays()
            for thumb in self._thumbnails():
                thumb.set_overlays(overlays)

    def on_thumbnail_cursor_moved(self, event: Thumbnail.CursorMoved) -> None:
        if self.screen_stack:  # not a message still on its way while the app closes
            self._readout(event.x, event.y)

    def on_thumbnail_view_changed(self, event: Thumbnail.ViewChanged) -> None:
        if self.screen_stack:
            self._here("#viewinfo").update(Text(event.description))

    def _readout(self, x: float, y: float) -> None:
        from tui.core.formatting import sky_text

        info = self.session.pixel_info(self.session.selected_data, x, y)
        parts = [f"x {x:.1f} y {y:.1f}"]
        if info["sky"] is not None:
            ra, dec = sky_text(info["sky"]).split()
            parts.append(f"RA {ra} Dec {dec}")
        value = "off image" if info["value"] is None else f"{info['value']:.4g} {info['unit']}".strip()
        parts.append(value)
        self._here("#readout").update(Text(" │ ".join(parts)))

    def on_thumbnail_region_drawn(self, event: Thumbnail.RegionDrawn) -> None:
        d = event.draft
        self._add_region(d.shape, d.x, d.y, d.size, None if d.shape == "circle" else d.size2, d.angle, None)

    def _add_region(self, shape, x, y, size, size2, angle, label) -> bool:
        """Whether the region was added (if not, a toast says why)."""
        from tui.core import PhotometryError

        try:
            label = self.session.add_drawn_region(shape, self.session.selected_data, x, y, size, size2,
                                                  angle, label or None)
        except PhotometryError as exc:
            self.notify(str(exc), title="Region not added", severity="error")
            return False
        if shape == "annulus":  # a background, not an aperture: offered where backgrounds are chosen
            self._refresh_choices()
            self._draw_overlays()
            self.notify(f"Added the annulus {label}: choose it in the Background list (its median, or clipped "
                        f"median).", timeout=6)
            return True
        self.session.select_subset(label)
        self._refresh_choices()
        self._draw_overlays()
        data = self.session.selected_data
        if self.session.misses_image(label, data):
            ny, nx = self.session.images[data].shape
            self.notify(f"Added {label}, the selected subset, but it lies wholly outside {data} ({nx}x{ny} pixels, "
                        f"0-based): F5 cannot measure it there.", severity="warning", timeout=8)
        else:
            self.notify(f"Added {label}; it is now the selected subset.", timeout=3)
        return True

    # -- calculate -----------------------------------------------------------------------------------
    def ready_to_measure(self) -> bool:
        """Whether results can be measured now: not before the session loaded and its journal started (a row
        measured before a restore would land ahead of the restored ones, and outside the journal)."""
        if self.session is None or not self._journal_started:
            self.notify("Still loading…" if self.session is None else "Restoring the journal…", severity="warning")
            return False
        return True

    def action_calculate(self) -> None:
        if not (self.ready_to_measure() and self.has_selection()):
            return
        from tui.core import PhotometryError
        from tui.core.formatting import result_lines
        from tui.core.notices import ABOUT_THE_SUM

        s = self.session
        archived = len(s.archived_results)
        try:
            row = s.calculate()
        except PhotometryError as exc:
            self.refused(exc)
            return
        notices = s.pop_notices()
        about_sum = [n for n in notices if n.category in ABOUT_THE_SUM]  # said under the numbers
        self._count_unexported(1)
        self.main("#result", ResultPanel).show(
            row, result_lines(row),
            " ".join(n.detail for n in about_sum) or None)
        table = self.main("#results", ResultsTable)
        if len(s.archived_results) > archived:
            table.reset(s.result_rows)
        else:
            table.add_result(row)
        self._show_notices(notices)
        self._journal_warning(s.journal_error)

    def refused(self, exc: Exception) -> None:
        """A calculation that measured nothing: why, in a toast and where the result would be (a field's problem is
        under CALCULATE already, on the field's own line)."""
        self._show_notices()
        self.notify(str(exc), title="Not calculated", severity="error", timeout=8)
        if not self.fields.has_problem:
            self.main("#result", ResultPanel).refuse(str(exc))

    def _show_notices(self, notices: list | None = None) -> None:
        """What the Session noticed, as toasts: its text as the core wrote it, a title by its kind."""
        from tui.core import notices as kinds

        titles = {kinds.DamagedApertureWarning: ("Damaged aperture", 10),
                  kinds.OffImageWarning: ("Aperture partly off the image", 10),
                  kinds.NewTableWarning: ("New results table: ctrl+s exports the previous one too", 12),
                  kinds.SurfaceBrightnessWarning: ("aperture_sum is not a flux", 10)}
        for notice in self.session.pop_notices() if notices is None else notices:
            title, timeout = titles.get(notice.category, ("", 8))
            self.notify(notice, title=title, severity="warning", timeout=timeout)

    # -- export, open, help, quit ---------------------------------------------------------------------
    def action_help(self) -> None:
        """The help, at the section for the view or widget in use (the nearest HELP_TOPIC from the focus up)."""
        start = self.focused or self.screen
        topic = next((node.HELP_TOPIC for node in start.ancestors_with_self if hasattr(node, "HELP_TOPIC")), None)
        self.push_screen(HelpScreen(topic))

    def on_unmount(self) -> None:
        if self.session is not None:
            live = self.session.journal_path
            if self.session.close() and live is not None and self.store is not None:
                try:
                    self.store.retire(live)
                except OSError:
                    pass  # left as a live journal: the next start offers to restore it, so nothing is lost

    def check_action(self, action: str, parameters) -> bool | None:
        """A full screen of its own (the light curve) keeps only the app keys that act there: the others are
        neither shown in its footer nor run. A dialog keeps F1 and ctrl+q: the app's other keys acted behind it
        (ctrl+s twice opened a second export dialog over the first, F5 measured behind the region form), and in
        the help F1 opened another help instead of closing it, as its footer says it does. ctrl+p, with the help
        opened over the command palette, would open a second palette: Textual looks for one on the top screen only,
        and a second one's id ended the app."""
        screen = self.screen
        if action == "command_palette":
            return not any(isinstance(below, CommandPalette) for below in self.screen_stack)
        own = getattr(screen, "APP_KEYS", None)
        if own is not None and action not in own:
            return False
        if isinstance(screen, ModalScreen) and action in self._app_key_actions:
            return action == "quit" or (action == "help" and not isinstance(screen, HelpScreen))
        return True

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        commands = [
            ("Calculate", "Measure the selected subset on the selected data (F5, ctrl+j)", self.action_calculate),
            ("Measure all regions", "Every aperture region on the selected data, one row each (shift+F5)",
             self.action_calculate_all),
            ("Export results", "Write the results table to a file (ctrl+s)", self.action_export),
            ("Save regions", "Every region as it is now (drawn, typed, recentred) to a DS9 .reg file, for DS9, "
             "measure and series (ctrl+s, then choose the regions)", self.action_save_regions),
            ("Open file", "Load a FITS image or a region file (ctrl+o)", self.action_open),
            ("Background annulus", "A sky annulus around the selected subset (1.5 to 2.5 times its size), made the "
             "background region (also in the Background list)", self.action_background_annulus),
            ("New region (form)", "Type a region's centre and size (ctrl+n)", self.action_new_region),
            ("Help", "Keys and workflow (F1)", self.action_help),
            ("Profile view", "Radial profile, Gaussian FWHM, curve of growth and centroid of the subset (F6)",
             self.action_profile),
            ("Recentre subset", "Move the selected subset to its centroid on the image (F7)", self.action_recenter),
            ("Full-screen image", "The image fills the screen: draw, zoom, pan and read out there (F8)",
             self.action_image),
            ("Light curve", "The selected subset as target on every frame, the other apertures as comparisons; "
             "plots, exclusions, a transit fit (F9)", self.action_light_curve),
            ("Copy result row", "The selected row as tab-separated text to the clipboard (ctrl+y, c in the table)",
             self.action_copy_row),
            ("Copy results table", "The whole table as ECSV text to the clipboard (ctrl+t, C in the table)",
             self.action_copy_table),
            ("DQ flags", "Which data-quality flags make a pixel bad (default: per telescope)",
             self.action_dq_flags),
            ("Focus image", "Move the keyboard to the image thumbnail",
             lambda: self.main("#thumbnail").focus()),
            ("Focus results table", "Move the keyboard to the results table",
             lambda: self.main("#results").focus()),
            ("Toggle ASCII image", "Draw the image with characters only (a on the image)",
             lambda: self.main("#thumbnail", Thumbnail).action_toggle_ascii()),
            ("Cycle labels", "All labels that fit, the selected subset's only, none (l on the image)",
             lambda: self.main("#thumbnail", Thumbnail).action_cycle_labels()),
            ("Cycle stretch", "sqrt, asinh, log, linear (t on the image)",
             lambda: self.main("#thumbnail", Thumbnail).action_cycle_stretch()),
            ("Fit image", "Show the whole image (0 on the image)",
             lambda: self.main("#thumbnail", Thumbnail).action_fit()),
            ("Frame subset", "Zoom the image onto the selected subset (f on the image)",
             lambda: self.main("#thumbnail", Thumbnail).action_frame()),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)
