"""Export dialog: path field focused with a default name selected, so typing replaces it; Enter saves. A folder
typed there takes the file under the name offered."""

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

FORMATS_HELP = "Format from the extension: .ecsv .csv .fits .vot .xml .html .txt"


@dataclass
class ExportRequest:
    path: str
    archived: int | str | None  # None: the current table; an index into the archived tables; "profile", "growth"


def default_name() -> str:
    return f"aperphot_results_{date.today():%Y%m%d}.ecsv"


class ExportScreen(ModalScreen[ExportRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, tables: list[tuple[str, int | str | None]], path: str | None = None,
                 title: str = "Export results to") -> None:
        super().__init__()
        self.title_text = title
        self.tables = tables  # (description, archived index or None)
        self.path = path or default_name()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text)
            field = Input(self.path, id="path", select_on_focus=True)
            field.cursor_blink = False
            yield field
            yield Static(Text(FORMATS_HELP), classes="hint")
            if len(self.tables) > 1:
                yield Select([(safe_rich(text), i) for i, (text, _) in enumerate(self.tables)], value=0,
                             id="which", allow_blank=False, compact=True)
            with Horizontal(classes="buttons"):
                yield Button("Save (enter)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def _request(self) -> ExportRequest | None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.notify("Type a file name", severity="warning")
            return None
        if os.path.isdir(os.path.expanduser(path)):  # a folder: the file goes in it, under the name offered
            path = os.path.join(path, os.path.basename(self.path))
        which = self.query("#which")
        choice = which.first(Select).value if which else 0
        return ExportRequest(path, self.tables[choice][1])

    def on_input_submitted(self) -> None:
        if (request := self._request()) is not None:
            self.dismiss(request)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.on_input_submitted()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
