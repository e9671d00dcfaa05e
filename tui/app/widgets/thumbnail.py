"""The image thumbnail: a Line API widget that draws cached strips, with a cursor, zoom, pan and region drawing."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

STRETCH_ORDER = ("sqrt", "asinh", "log", "linear")
INTERVAL_ORDER = ("99.5%", "zscale", "minmax")


@dataclass
class Draft:
    """A region being placed from the keyboard (image pixels, degrees)."""

    shape: str
    x: float
    y: float
    size: float
    size2: float
    angle: float = 0.0


# Keys that act only on a region being drawn: shown in the footer (first, before the view's) while one is.
DRAFT_ACTIONS = ("accept", "cancel", "grow", "rotate")


class Thumbnail(Widget, can_focus=True):
    HELP_TOPIC = "Image"  # F1 opens the help at this section, here and in the full-screen image (F8)
    BINDINGS = [
        Binding("enter", "accept", "Add"),
        Binding("escape", "cancel", "Cancel"),
        Binding("right_square_bracket", "grow(1.25, 1)", "Size", key_display="] ["),
        Binding("left_square_bracket", "grow(0.8, 1)", show=False),
        Binding("right_curly_bracket", "grow(1.25, 2)", "Height", key_display="} {"),
        Binding("left_curly_bracket", "grow(0.8, 2)", show=False),
        Binding("greater_than_sign", "rotate(15)", "Turn", key_display="> <"),
        Binding("less_than_sign", "rotate(-15)", show=False),
        Binding("up", "move(0, 1)", "Cursor", show=False),
        Binding("down", "move(0, -1)", show=False),
        Binding("left", "move(-1, 0)", show=False),
        Binding("right", "move(1, 0)", show=False),
        Binding("shift+up", "pan(0, 1)", "Pan", show=False),
        Binding("shift+down", "pan(0, -1)", show=False),
        Binding("shift+left", "pan(-1, 0)", show=False),
        Binding("shift+right", "pan(1, 0)", show=False),
        Binding("plus,equals_sign", "zoom(2)", "Zoom", key_display="+/-"),
        Binding("minus", "zoom(0.5)", "Zoom out", show=False),
        Binding("0", "fit", "Fit", show=False),
        Binding("f", "frame", "Frame"),
        Binding("t", "cycle_stretch", "Stretch"),
        Binding("i", "cycle_interval", "Interval", show=False),
        Binding("a", "toggle_ascii", "ASCII", show=False),
        Binding("l", "cycle_labels", "Labels"),
        Binding("c", "draw('circle')", "Draw", key_display="c/e/r"),
        Binding("e", "draw('ellipse')", "Ellipse", show=False),
        Binding("r", "draw('rectangle')", "Rectangle", show=False),
    ]

    class CursorMoved(Message):
        def __init__(self, x: float, y: float) -> None:
            super().__init__()
            self.x, self.y = x, y

    class RegionDrawn(Message):
        def __init__(self, draft: Draft) -> None:
            super().__init__()
            self.draft = draft

    class ViewChanged(Message):
        def __init__(self, description: str) -> None:
            super().__init__()
            self.description = description

    def __init__(self, ascii_mode: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self._ascii = ascii_mode
        self._preview = None
        self._overlays = None  # an OverlaySet: bounding boxes worked out once, not per redraw
        self._strips: list[Strip] = []
        self._picture = None
        self.cursor: tuple[float, float] | None = None
        self.draft: Draft | None = None
        self._view = None
        self._upload = None  # graphics.view.Upload: what the terminal holds for this view (kitty)

    # -- inputs from the app -----------------------------------------------------------------------------
    def show_image(self, preview, overlays: tuple | None = None) -> None:
        """Show an image (a new one, or the same with a finer preview); `overlays` None keeps the regions drawn."""
        from tui.app.widgets.overlays import OverlaySet
        from tui.app.widgets.render import View

        same = preview is self._preview
        self._preview = preview
        if overlays is not None or self._overlays is None:
            self._overlays = OverlaySet(overlays or ())
        if not same or self._view is None:
            self._view = View(stretch="sqrt", ascii=self._ascii, aspect=self._aspect())
            self.cursor = ((preview.nx - 1) / 2, (preview.ny - 1) / 2)
            self._describe()
        self._redraw()

    def take_view(self, other: "Thumbnail") -> None:
        """Show what another thumbnail shows, as it shows it (zoom, pan, stretch, cursor)."""
        self._preview, self._overlays, self._view, self.cursor = other._preview, other._overlays, other._view, \
            other.cursor
        if self._view is not None and self._view.ascii != self._ascii:
            self.action_toggle_ascii()
        self._describe() if self._view is not None else None
        self.call_after_refresh(self._redraw)

    def check_action(self, action: str, parameters) -> bool | None:
        # With nothing being drawn these keys are not ours: Esc goes on to the screen (the full-screen view closes
        # on it), and the footer leaves them out. A circle has no second axis and nothing to turn.
        if action not in DRAFT_ACTIONS:
            return True
        if self.draft is None:
            return False
        return self.draft.shape != "circle" or not (action == "rotate" or parameters[1:] == (2,))

    def set_overlays(self, overlays: tuple) -> None:
        from tui.app.widgets.overlays import OverlaySet

        self._overlays = OverlaySet(overlays)
        self._redraw()

    @property
    def ascii(self) -> bool:
        return self._ascii

    def use_ascii(self) -> None:
        if not self._ascii:
            self.action_toggle_ascii()

    # -- drawing -----------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        if self._preview is None or self.size.width == 0 or self.size.height == 0:
            return
        from tui.app.widgets.render import Overlay, render

        draft = None if self.draft is None else Overlay(self._draft_region(), "draft")
        picture = render(self._preview, self._view, self.size.width, self.size.height, self._overlays, self.cursor,
                         draft)
        labelled = None if self._picture is None else len(self._picture.labels)
        old = self._strips
        lines = self._pixel_lines(picture) or picture.lines
        # The panel's own colours under every cell: blank cells off the image would otherwise show the terminal's
        # default background (white in a light xterm), and a sixel's transparent pixels show the same.
        base = self.rich_style
        self._strips = [Strip(line, self.size.width).apply_style(base) for line in lines]
        self._picture = picture
        if len(picture.labels) != labelled:
            self._describe()
        # Only lines that changed are sent again: a cursor step repaints two lines, not the image.
        if len(old) != len(self._strips):
            self.refresh()
        else:
            for y, (a, b) in enumerate(zip(old, self._strips)):
                if a.text != b.text or list(a) != list(b):
                    self.refresh(Region(0, y, self.size.width, 1))

    def _layer(self):
        """The app's kitty or sixel layer when this view draws pixels (not in ASCII), else None."""
        layer = getattr(self.app, "graphics", None)
        return None if layer is None or self._ascii else layer

    def _aspect(self) -> float:
        layer = getattr(self.app, "graphics", None)
        return 2.0 if layer is None else layer.aspect

    def _pixel_lines(self, picture):
        """The picture's lines with the image as kitty placeholders (the overlays stay cells), or None."""
        from tui.app.graphics.layer import KittyLayer

        layer = self._layer()
        if layer is None:
            return None
        if not isinstance(layer, KittyLayer):  # sixel: drawn over these cells after the frame
            layer.picture(self, picture, self._preview, self._view)
            return None
        from tui.app.graphics import view as pixels
        from tui.app.graphics.encode import placeholders
        from tui.app.widgets.render import merge

        chosen = pixels.choose(self._preview, self._view, picture.geo, self._upload)
        if chosen is None or chosen[1] is None:
            return None
        self._upload, place = chosen
        image_id = layer.image(self._upload.key, self._upload.make)
        layer.place(image_id, place.cols, place.rows, *place.rect)
        style = layer.style(image_id)
        lines = list(picture.lines)
        for r in range(place.row, place.row + place.rows):
            cells, covered = list(picture.cells[r]), picture.covered[r]
            for c in range(place.col, place.col + place.cols):
                if not covered[c]:
                    cells[c] = (placeholders(r - place.row, c - place.col, 1), style)
            lines[r] = merge(cells)
        return lines

    def _draft_region(self):
        from tui.core.subsets import make_region

        d = self.draft
        return make_region(d.shape, d.x, d.y, d.size, None if d.shape == "circle" else d.size2, d.angle)

    def on_resize(self) -> None:
        self._strips = []
        self._redraw()

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    # -- keys --------------------------------------------------------------------------------------------
    def _describe(self) -> None:
        v = self._view
        mode = "ascii" if v.ascii else "blocks" if self._layer() is None else self.app.graphics.kind
        named = sum(1 for o in self._overlays.overlays if o.label) if self._overlays is not None else 0
        shown = len(self._picture.labels) if self._picture is not None else 0
        labels = f"labels {v.labels}" + (f" {shown}/{named}" if v.labels == "all" and shown < named else "")
        state = f"zoom {v.zoom:.3g}× {v.stretch} {v.interval} · {labels} · {mode}"
        if self.draft is None:
            text = f"{state} · +/- zoom · f frame · t stretch · l labels · c/e/r draw"
        else:  # what is being drawn comes first: under a narrow image only the line's start shows
            text = f"{self._draft_text()} · enter add · esc cancel · arrows move · {state}"
        self.post_message(self.ViewChanged(text))

    def _draft_text(self) -> str:
        d = self.draft
        if d.shape == "circle":
            return f"circle r {d.size:.3g} px"
        return f"{d.shape} {d.size:.3g}×{d.size2:.3g} px {d.angle:.0f}°"

    def _changed(self) -> None:
        self._redraw()
        self._describe()

    def action_move(self, dx: int, dy: int) -> None:
        if self._picture is None:
            return
        geo = self._picture.geo
        step_x, step_y = geo.scale, geo.scale * geo.aspect
        if self.draft is not None:
            self.draft = replace(self.draft, x=self.draft.x + dx * step_x, y=self.draft.y + dy * step_y)
            self.cursor = (self.draft.x, self.draft.y)
        else:
            x, y = self.cursor
            self.cursor = (x + dx * step_x, y + dy * step_y)
        col, row = geo.cell_of(*self.cursor)
        if not (0 <= col < geo.width and 0 <= row < geo.height):
            self._view = replace(self._view, cx=self.cursor[0], cy=self.cursor[1])
        self._redraw()
        self.post_message(self.CursorMoved(*self.cursor))

    def action_pan(self, dx: int, dy: int) -> None:
        if self._picture is None:
            return
        geo = self._picture.geo
        self._view = replace(self._view, cx=geo.cx + dx * geo.width * geo.scale / 4,
                             cy=geo.cy + dy * geo.height * geo.scale * geo.aspect / 4)
        self._changed()

    def action_zoom(self, factor: float) -> None:
        if self._picture is None:
            return
        zoom = min(max(self._view.zoom * factor, 0.25), 256.0)
        cx, cy = self.cursor if self.cursor is not None else (None, None)
        self._view = replace(self._view, zoom=zoom, cx=cx, cy=cy)
        self._changed()

    def action_fit(self) -> None:
        if self._view is not None:
            self._view = replace(self._view, zoom=1.0, cx=None, cy=None)
            self._changed()

    def action_frame(self) -> None:
        """Zoom and centre on the selected subset, with a margin around it, and put the cursor on it."""
        selected = [o for o in self._overlays.overlays if o.kind == "selected"] if self._overlays else []
        if self._picture is None or not selected:
            return
        from tui.core.photometry import region_center

        bb = selected[0].region.bounding_box
        geo = self._picture.geo
        fit_scale = geo.scale * self._view.zoom
        needed = max((bb.ixmax - bb.ixmin) / (geo.width * 0.5), (bb.iymax - bb.iymin) / (geo.height * geo.aspect * 0.5))
        cx, cy = region_center(selected[0].region)
        self._view = replace(self._view, zoom=max(fit_scale / max(needed, 1e-3), 1.0), cx=cx, cy=cy)
        self.cursor = (cx, cy)
        self._changed()
        self.post_message(self.CursorMoved(cx, cy))

    def action_cycle_stretch(self) -> None:
        if self._view is not None:
            nxt = STRETCH_ORDER[(STRETCH_ORDER.index(self._view.stretch) + 1) % len(STRETCH_ORDER)]
            self._view = replace(self._view, stretch=nxt)
            self._changed()

    def action_cycle_interval(self) -> None:
        if self._view is not None:
            nxt = INTERVAL_ORDER[(INTERVAL_ORDER.index(self._view.interval) + 1) % len(INTERVAL_ORDER)]
            self._view = replace(self._view, interval=nxt)
            self._changed()

    def action_cycle_labels(self) -> None:
        """All labels that fit, the selected subset's only, none."""
        from tui.app.widgets.overlays import LABEL_MODES

        if self._view is not None:
            nxt = LABEL_MODES[(LABEL_MODES.index(self._view.labels) + 1) % len(LABEL_MODES)]
            self._view = replace(self._view, labels=nxt)
            self._changed()

    def action_toggle_ascii(self) -> None:
        self._ascii = not self._ascii
        if self._view is not None:
            self._view = replace(self._view, ascii=self._ascii)
            self._changed()

    def action_draw(self, shape: str) -> None:
        if self._picture is None or self.cursor is None:
            return
        size = max(self._picture.geo.scale * 3, 2.0)  # about three cells across: visible at any zoom
        self.draft = Draft(shape, *self.cursor, size=size, size2=size * (0.6 if shape != "circle" else 1))
        self._changed()
        self.refresh_bindings()

    def action_grow(self, factor: float, axis: int) -> None:
        if self.draft is not None:
            if axis == 1:
                self.draft = replace(self.draft, size=self.draft.size * factor)
            else:
                self.draft = replace(self.draft, size2=self.draft.size2 * factor)
            self._changed()

    def action_rotate(self, degrees: float) -> None:
        if self.draft is not None:
            self.draft = replace(self.draft, angle=(self.draft.angle + degrees) % 360)
            self._changed()

    def action_accept(self) -> None:
        if self.draft is not None:
            draft, self.draft = self.draft, None
            self.post_message(self.RegionDrawn(draft))
            self._changed()
            self.refresh_bindings()

    def action_cancel(self) -> None:
        if self.draft is not None:
            self.draft = None
            self._changed()
            self.refresh_bindings()
