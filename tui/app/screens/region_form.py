"""A small form to type a region's centre and size."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.app.safe import safe_rich
from tui.app.widgets.form_select import FormSelect


@dataclass
class RegionForm:
    shape: str
    x: str
    y: str
    size: str
    size2: str
    angle: str
    label: str


FIELDS = (("x", "x (pix)"), ("y", "y (pix)"), ("size", "radius / width"), ("size2", "height"),
          ("angle", "angle (deg)"), ("label", "label"))
SHAPES = ("circle", "ellipse", "rectangle", "annulus")  # core's DRAWN_SHAPES: not imported before the first frame
SIZE_TITLES = {"circle": {"size": "radius", "size2": "(not used)"}, "ellipse": {"size": "width"},
               "rectangle": {"size": "width"}, "annulus": {"size": "inner radius", "size2": "outer radius"}}


def field_title(shape: str, name: str) -> str:
    """What a field of the form is called for a shape: the sizes are a circle's radius, an annulus' two radii."""
    return SIZE_TITLES.get(shape, {}).get(name, dict(FIELDS)[name])


class RegionFormScreen(ModalScreen[RegionForm | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, x: float, y: float, data_label: str, typed: RegionForm | None = None,
                 focus: str = "shape") -> None:
        """A new form at (x, y), or the form as it was `typed`, with `focus` on that field."""
        super().__init__()
        self.defaults = {"x": f"{x:.2f}", "y": f"{y:.2f}", "size": "5", "size2": "", "angle": "0", "label": ""}
        self.shape = "circle"
        if typed is not None:
            self.defaults = {name: getattr(typed, name) for name, _ in FIELDS}
            self.shape = typed.shape
        self.data_label = data_label
        self.first = "#shape" if focus == "shape" else f"#f-{focus}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(safe_rich(f"New region on {self.data_label} (0-based pixels)"))
            with Horizontal(classes="row"):
                yield Label("shape", classes="name")
                yield FormSelect([(s, s) for s in SHAPES], value=self.shape, id="shape", allow_blank=False,
                                 compact=True)
            for name, title in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(field_title(self.shape, name), id=f"t-{name}", classes="name")
                    field = Input(self.defaults[name], id=f"f-{name}", compact=True, select_on_focus=True)
                    field.cursor_blink = False
                    yield field
            yield Static(Text("Enter adds; space opens the shapes.\n"
                              "Ellipse/rectangle: width and height are full sizes."), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Add (enter)", id="add", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(self.first).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        """The two size fields say what they are for the shape chosen (an annulus' are its two radii)."""
        for name in ("size", "size2"):
            self.query_one(f"#t-{name}", Label).update(field_title(str(event.value), name))

    def _form(self) -> RegionForm:
        values = {name: self.query_one(f"#f-{name}", Input).value for name, _ in FIELDS}
        return RegionForm(shape=str(self.query_one("#shape", Select).value), **values)

    def on_input_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        self.dismiss(self._form())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self.action_submit()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)
