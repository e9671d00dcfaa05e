"""Export dialog: path field focused with a default name selected, so typing replaces it; Enter saves. A folder
typed there takes the file under the name offered. Among what it saves are the regions, as a DS9 .reg file: picking
them gives the name that extension, and a .reg name typed saves them whatever is picked."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.app.safe import safe_rich
from tui.app.widgets.form_select import FormSelect

FORMATS_HELP = "Format from the extension: .ecsv .csv .fits .vot .xml .html .txt"
REGIONS_HELP = "A DS9 region file (.reg), for DS9, measure and series"
REGIONS = "regions"  # what ExportRequest.archived says when the regions are to be saved


@dataclass
class ExportRequest:
    path: str
    archived: int | str | None  # None: the current table; an index into the archived tables; "profile",
    # "raw_profile", "growth", "lightcurve", REGIONS


def default_name() -> str:
    return f"aperphot_results_{date.today():%Y%m%d}.ecsv"


def regions_name() -> str:
    return f"aperphot_regions_{date.today():%Y%m%d}.reg"


def file_safe(text: str) -> str:
    """A label as part of a file name: letters, digits and ._- kept, anything else (spaces, slashes) _."""
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)


class ExportScreen(ModalScreen[ExportRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, tables: list[tuple[str, int | str | None]], path: str | None = None,
                 title: str = "Export results to", chosen: int = 0, names: dict | None = None,
                 results_name: str | None = None) -> None:
        """`path`: the name shown first (else the one offered for the choice); `names`: the name offered for a kind
        of table ("profile", ...) other than the results', whose name is `results_name` (else the default)."""
        super().__init__()
        self.title_text = title
        self.tables = tables  # (description, archived index or None)
        self.chosen = chosen
        self.names = names or {}
        self._table_name: str | None = None  # the name before regions were picked, for a table picked again
        self._results_name = results_name or default_name()
        self.path = path or self._offered(chosen)

    def _offered(self, choice: int) -> str:
        """The name offered for a choice: the regions', a profile's, or the results' (the path given for them)."""
        kind = self.tables[choice][1]
        return regions_name() if kind == REGIONS else self.names.get(kind, self._results_name)

    def _texts(self, choice: int) -> tuple[str, Text]:
        """The title and the hint under the name for what is chosen: the regions, a profile, or a table."""
        kind = self.tables[choice][1]
        if kind == REGIONS:
            return "Save the regions to", Text(REGIONS_HELP)
        return ("Export to" if kind in self.names else self.title_text), Text(FORMATS_HELP)  # the pick says what

    def compose(self) -> ComposeResult:
        title, hint = self._texts(self.chosen)
        with Vertical(classes="dialog"):
            yield Label(title, id="title")
            field = Input(self.path, id="path", select_on_focus=True)
            field.cursor_blink = False
            yield field
            yield Static(hint, id="formats", classes="hint")
            if len(self.tables) > 1:
                yield FormSelect([(safe_rich(text), i) for i, (text, _) in enumerate(self.tables)],
                                 value=self.chosen, id="which", allow_blank=False, compact=True)
            with Horizontal(classes="buttons"):
                yield Button("Save (enter)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        """A name offered, not typed: the one for what is picked. A name typed: regions picked, it takes .reg;
        a table picked after them, the name it had, or the default."""
        title, hint = self._texts(event.value)
        self.query_one("#title", Label).update(title)
        self.query_one("#formats", Static).update(hint)
        regions = self.tables[event.value][1] == REGIONS
        field = self.query_one("#path", Input)
        root, suffix = os.path.splitext(field.value)
        if field.value in {self._offered(i) for i in range(len(self.tables))}:
            field.value = self._offered(event.value)
        elif regions and suffix.lower() != ".reg":
            self._table_name = field.value
            field.value = root + ".reg" if root and root != os.path.splitext(default_name())[0] else regions_name()
        elif not regions and suffix.lower() == ".reg":
            field.value = self._table_name or default_name()

    def _request(self) -> ExportRequest | None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.notify("Type a file name", severity="warning")
            return None
        if os.path.isdir(os.path.expanduser(path)):  # a folder: the file goes in it, under the name offered
            path = os.path.join(path, os.path.basename(self.path))
        which = self.query("#which")
        choice = which.first(Select).value if which else 0
        if path.lower().endswith(".reg") and any(kind == REGIONS for _, kind in self.tables):
            return ExportRequest(path, REGIONS)  # the name says what is wanted
        return ExportRequest(path, self.tables[choice][1])

    def on_input_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if (request := self._request()) is not None:
            self.dismiss(request)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
