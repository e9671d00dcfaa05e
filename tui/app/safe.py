"""The one gate for text from files, headers and typing on its way to the screen (see formatting.safe_text).

Kept apart from tui.core.formatting so that widgets painted before astropy is imported can use it too.
"""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size
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


class CutInTheMiddle(Text):
    """Inert text shown on one line, its end (after its first `keep` characters) shortened in the middle where the
    line does not fit: "jw0273…1_nrcb1_cal[SCI,1]".

    A select, a heading or a status line shows only the start of a long label, and the start of a JWST file's
    label is what every detector, segment and plane of one exposure share: the end is what tells them apart.
    `plain` stays whole (a select's type-to-search reads it); only the painting is cut, to the width given, in a
    widget, a Rich table or a DataTable cell.
    """

    HEAD = 4  # of the room for the label, the share its start keeps: a quarter, the rest for its end
    SHORTEST = 8  # room below which a label is cut at its end instead

    def __init__(self, text: str, style: str = "", keep: int = 0):
        super().__init__(text, style=style)
        self.keep = keep

    def visualize(self):  # Textual's hook: painted through __rich_console__, not converted as a plain Text
        return self

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement(min(self.cell_len, cell_len(self.plain[:self.keep]) + self.SHORTEST), self.cell_len)

    def __rich_console__(self, console, options):
        kept, label = self.plain[:self.keep], self.plain[self.keep:]
        room, width = options.max_width - cell_len(kept), cell_len(label)
        if width > room >= self.SHORTEST:
            head = room // self.HEAD
            label = f"{within(label, head)}…{within(label, room - head - 1, end=True)}"
        elif width > room > 0:  # too little room for both ends to tell anything: the start, as a crop would
            label = f"{within(label, room - 1)}…"
        yield Text(kept + label, style=self.style, no_wrap=True, overflow="crop")


def label_cells(text: str) -> tuple[str, ...]:
    """What each terminal cell of the text shows: a wide character (CJK) takes two cells, the second empty; a
    combining mark (an accent after its letter, as macOS writes names) joins its letter's cell."""
    if text.isascii():
        return tuple(text)
    cells: list[str] = []
    for ch in text:
        size = get_character_cell_size(ch)
        if size == 0:
            if cells:  # a mark with no letter before it has no cell to join
                cells[-2 if cells[-1] == "" else -1] += ch
            continue
        cells.append(ch)
        if size == 2:
            cells.append("")
    return tuple(cells)


def first_cells(cells: tuple[str, ...], n: int) -> tuple[str, ...]:
    """The first n cells, less the first half of a wide character cut there."""
    return cells[:n - 1] if 0 < n < len(cells) and cells[n] == "" else cells[:n]


def within(text: str, cells: int, end: bool = False) -> str:
    """The longest start (or `end`) of the text that takes at most `cells` terminal cells: a CJK character takes
    two, an accent typed after its letter none (it stays with its letter)."""
    split = label_cells(text)
    if not end:
        return "".join(first_cells(split, cells))
    kept = split[max(len(split) - cells, 0):] if cells > 0 else ()
    return "".join(kept[1:] if kept and kept[0] == "" else kept)  # the second half of a wide character cut there


def safe_label(label, style: str = "", before: str = "") -> CutInTheMiddle:
    """A label from a file for a one-line place (a select, a heading), after `before` (shown whole): inert, and
    the label cut in the middle to fit."""
    before = safe(before)
    return CutInTheMiddle(before + safe(label), style=style, keep=len(before))
