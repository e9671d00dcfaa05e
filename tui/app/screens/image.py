"""The image filling the screen (F8): the same thumbnail widget, so drawing regions, zoom, pan and readout all work.

Its view (zoom, pan, stretch, cursor) comes from the main screen's thumbnail and goes back to it on Esc.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from tui.app.widgets.footer import KeyFooter
from tui.app.widgets.thumbnail import Thumbnail


class ImageScreen(Screen):
    BINDINGS = [Binding("escape", "back", "Back")]
    AUTO_FOCUS = "#thumbnail"

    def __init__(self, source: Thumbnail) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield Thumbnail(ascii_mode=self.source.ascii, id="thumbnail")
        yield Static(Text(""), id="readout")
        yield Static(Text(""), id="viewinfo")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(Thumbnail).take_view(self.source)
        if self.source.cursor is not None:  # the readout from the start, not only once the cursor moves
            self.post_message(Thumbnail.CursorMoved(*self.source.cursor))

    def action_back(self) -> None:
        self.source.take_view(self.query_one(Thumbnail))
        self.app.pop_screen()
