"""The left panel: Data and Subset selectors, the four input fields with where-from hints, CALCULATE."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from tui.app.safe import safe_label, safe_rich

TYPED = "__typed__"  # the background source meaning "the value typed in the field"
NEW_ANNULUS = "__annulus__"  # the background source meaning "make an annulus around the subset, and use it"
FIELDS = (("pixel_area", "Pixel area", "arcsec² per pixel"),
          ("counts_factor", "Counts factor", "data unit per count"),
          ("flux_scaling", "Flux scaling", "in the data unit: an AB zero point"))


class NumberField(Input):
    """An input that shows a number from its first digit whenever it is not being edited. Input keeps its view
    scrolled to where its cursor last was (the end, after Tab passed through or a new value was set), and in an
    11-column field a scrolled 1.60751e+11 reads ".60751e+11": a different number."""

    def on_blur(self) -> None:
        self.scroll_to(x=0, animate=False, immediate=True)

    def show(self, text: str) -> None:
        with self.prevent(Input.Changed):
            self.value = text
        if not self.has_focus:
            self.scroll_to(x=0, animate=False, immediate=True)


def _input(name: str, tooltip: str) -> Input:
    field = NumberField(id=name, compact=True, select_on_focus=True, tooltip=tooltip)
    field.cursor_blink = False  # a blinking cursor costs bytes every half second over SSH
    return field


class FieldsPanel(Vertical):
    """Only shows and collects; the app asks the core for every value it shows."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("Data", classes="name")
            yield Select([], id="data", prompt="(loading…)", allow_blank=True, compact=True)
        with Horizontal(classes="row"):
            yield Label("Subset", classes="name")
            yield Select([], id="subset", prompt="(no regions)", allow_blank=True, compact=True)
        with Horizontal(classes="row"):
            yield Label("Background", classes="name")
            yield _input("background", "Background value, in the data unit (or choose a region)")
            yield Select([(Text("typed value"), TYPED)], id="bg-source", value=TYPED, allow_blank=False,
                         compact=True, tooltip="Where the background comes from")
        for name, title, tip in FIELDS:
            with Horizontal(classes="row"):
                yield Label(title, classes="name")
                yield _input(name, f"{title}: {tip}; 0 or empty means not set")
                yield Static("", id=f"{name}-hint", classes="hint")
        yield Button("CALCULATE  F5", id="calculate", variant="primary", compact=True)
        yield Static("", id="field-error", classes="error")

    def set_choices(self, select_id: str, labels, value, blank_prompt: str) -> None:
        select = self.query_one(f"#{select_id}", Select)
        # The blank prompt ("no regions: ctrl+o") is an entry of the open list too: offered beside real choices it
        # reads as one. Textual fixes allow_blank at construction; should its attribute be renamed, this line does
        # nothing and the prompt is listed again (the app puts the selection back when it is picked).
        select._allow_blank = not labels or value not in labels
        with select.prevent(Select.Changed):
            select.set_options([(safe_label(label), label) for label in labels])
            select.prompt = blank_prompt
            if value is not None and value in labels:
                select.value = value

    def set_background_sources(self, labels, region, stat: str) -> None:
        """Typed value, or each region by median or 3-sigma clipped median (values are (stat, label)), or a new
        annulus around the selected subset."""
        select = self.query_one("#bg-source", Select)
        options = [(Text("typed value"), TYPED)]
        for label in labels:
            # the region first: at 80 columns the list shows 17 characters of it ("Bright sky (media")
            options += [(safe_rich(f"{label} (median)"), ("median", label)),
                        (safe_rich(f"{label} (clipped median)"), ("sigma-clip", label))]
        options.append((Text("new annulus around the subset"), NEW_ANNULUS))
        with select.prevent(Select.Changed):
            select.set_options(options)
            select.value = (stat, region) if region in labels else TYPED

    def show_value(self, name: str, value, hint: str | None = None) -> None:
        field = self.query_one(f"#{name}", NumberField)
        field.show(_number_text(value))
        field.remove_class("-invalid")
        if hint is not None and name != "background":
            self.show_hint(name, hint)

    def show_hint(self, name: str, hint: str) -> None:
        """Where a value came from, short enough for 80 columns ("PIXAR_A2"); the sentence as a tooltip."""
        label = self.query_one(f"#{name}-hint", Static)
        label.update(safe_rich(hint.removeprefix("from ")))
        label.tooltip = f"{dict((n, t) for n, t, _ in FIELDS)[name]}: {hint}"

    @property
    def has_problem(self) -> bool:
        """Whether a field is marked invalid (its problem then shows under CALCULATE)."""
        return bool(self.query(".-invalid"))

    def mark(self, name: str, problem: str | None) -> None:
        field = self.query_one(f"#{name}", Input)
        field.set_class(problem is not None, "-invalid")
        self.query_one("#field-error", Static).update(safe_rich(problem or ""))


def _number_text(value) -> str:
    if isinstance(value, str):
        return value
    value = float(value)
    return "0" if value == 0 else f"{value:.6g}"
