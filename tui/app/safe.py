"""The one gate for text from files, headers and typing on its way to the screen (see formatting.safe_text).

Kept apart from tui.core.formatting so that widgets painted before astropy is imported can use it too.
"""

from __future__ import annotations

from rich.text import Text


def safe(text, keep_newlines: bool = False) -> str:
    text = str(text)
    if text.isprintable():  # the usual label: nothing to escape (formatting.safe_text says why)
        return text
    from tui.core.formatting import safe_text  # astropy comes with it: only once the first frame is painted

    return safe_text(text, keep_newlines)


def safe_rich(text, style: str = "", keep_newlines: bool = False) -> Text:
    """A rich Text of inert text: no markup parsed, no control character kept."""
    return Text(safe(text, keep_newlines), style=style)
