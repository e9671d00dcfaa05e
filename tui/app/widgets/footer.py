"""The key footer, cut to what fits on one line.

Textual's footer lays every shown binding in a row and lets the row run past the screen's edge, under the command
palette key: at 80 columns, with the image or the results table focused, the last keys are hidden, one of them
half-covered ("^p palettee"), and F1 and ctrl+s among the lost. This one picks the keys to show: F1 first (the way
to every other key), then the screen's own keys and the focused widget's, then the app's keys in APP_PRIORITY
order, each while it fits; what is left out still works and is listed by F1 and ctrl+p.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widget import Widget
from textual.widgets import Footer

# The app's own keys, most wanted first.
APP_PRIORITY = ("calculate", "export", "open", "quit", "profile", "new_region")
ALWAYS = "help"


def key_width(key: Widget) -> int:
    """Cells a compact footer key takes: "key description" and the one-cell gap after it."""
    return cell_len(key.key_display) + (1 + cell_len(key.description) if key.description else 0) + 1


def chosen(keys: list[Widget], screen_keys: set[str], room: int) -> list[Widget]:
    """The keys to show in `room` cells, in the order given: F1, the screen's own keys (`screen_keys`: Esc back
    before the image's), the focused widget's, then the app's by priority, each while it fits."""
    own = [k for k in keys if k.action != ALWAYS and k.action not in APP_PRIORITY]
    own.sort(key=lambda k: k.key not in screen_keys)  # stable: each group keeps its order
    app = sorted((k for k in keys if k.action in APP_PRIORITY), key=lambda k: APP_PRIORITY.index(k.action))
    picked, used = set(), 0
    for key in [k for k in keys if k.action == ALWAYS] + own + app:
        if used + key_width(key) <= room:
            picked.add(id(key))
            used += key_width(key)
    return [k for k in keys if id(k) in picked]


class KeyFooter(Footer):
    def compose(self):
        widgets = list(super().compose())
        # Textual's FooterKey is not public: a key is known by its attributes. Binding groups (which this app
        # does not use) are left as Textual lays them out.
        if not all(hasattr(w, "key_display") and hasattr(w, "action") for w in widgets):
            yield from widgets
            return
        palette = [w for w in widgets if w.has_class("-command-palette")]
        keys = [w for w in widgets if not w.has_class("-command-palette")]
        # the palette key is docked right with a one-cell border: "▏^p palette"; a key must end before it
        room = self.app.size.width - sum(key_width(w) + 1 for w in palette)
        screen_keys = {key for key, (node, *_) in self.screen.active_bindings.items() if node is self.screen}
        yield from chosen(keys, screen_keys, room)
        yield from palette

    def on_resize(self) -> None:
        # Textual recomposes the footer when the bindings change; a new width changes what fits too
        self.call_after_refresh(self.recompose)
