"""One line of text asked for in a dialog: Enter accepts, Escape cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.app.safe import safe_rich


class PromptScreen(ModalScreen[str | None]):
    AUTO_FOCUS = "#answer"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.question, self.value, self.placeholder = question, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(safe_rich(self.question, keep_newlines=True))
            yield Input(self.value, placeholder=self.placeholder, id="answer", select_on_focus=True)
            yield Static(Text("Enter accepts, Esc cancels", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
