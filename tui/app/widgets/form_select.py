"""A Select inside a form (a dialog with a button Enter presses)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Select


class FormSelect(Select):
    """Down, up or space open the list; Enter does what Enter does from every other field of the form: the screen's
    `submit` action. A form that opens on its list, or that the user tabs through, would otherwise open the list
    on the Enter its hint promises saves or adds."""

    BINDINGS = [Binding("enter", "screen.submit", "Submit", show=False)]
