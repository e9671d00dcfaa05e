"""The accumulated results as a DataTable that holds only the rows on screen.

The Session keeps every row; this widget keeps a reference to that list, an order over it (natural or sorted) and a
window: the rows that fit are formatted and put in the DataTable, and moving the cursor past an edge refills them.
So a restore of 100,000 rows formats about twenty, and nothing private of DataTable is needed.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import DataTable

from tui.app.safe import CutInTheMiddle, safe

# Widths that hold every realistic value in each format ("-1.2345e+01", "-12.345", "12345.67"), so that numbers are
# never cut and columns do not change width while the window moves.
FORMAT_WIDTHS = {".4e": 11, ".3f": 8, ".2f": 9, ".1f": 10}
INT_WIDTH = 7
# The widest a column of labels gets; a longer label is cut in the middle. A JWST label
# ("jw01234001001_01101_00001-seg001_nrcb1_calints[17]") took 51 of 80 columns, and aperture_sum was off screen.
LABEL_WIDTH = 32


def _sort_value(value):
    """Numbers by value (NaN first), times by their stored Julian date, positions by longitude, text as text;
    None last. sort_keys() gives the same keys for a whole column."""
    if value is None:
        return (1, 0.0)
    if hasattr(value, "jd1"):  # an astropy Time: jd1 + jd2 is stored, formatting it is not
        return (0, float(value.jd1 + value.jd2))
    if hasattr(value, "spherical"):  # a SkyCoord
        return (0, float(value.spherical.lon.deg))
    number = value.value if hasattr(value, "unit") and hasattr(value, "value") else value
    if isinstance(number, str):
        return (0, number)
    try:
        number = float(number)
    except (TypeError, ValueError):
        return (0, str(value))
    return (0, -math.inf if math.isnan(number) else number)


def sort_keys(column) -> list:
    """_sort_value() of every value of a table column, worked out for the column at once (100,000 rows: tens of
    milliseconds, where making each row a dict first would take seconds)."""
    if hasattr(column, "jd1"):
        return [(0, v) for v in (column.jd1 + column.jd2).tolist()]
    if hasattr(column, "spherical"):
        return [(0, v) for v in column.spherical.lon.deg.tolist()]
    values = getattr(column, "value", column)
    if values.dtype.kind in "fiu":
        return [(0, -math.inf if v != v else v) for v in values.astype(float).tolist()]
    return [_sort_value(v) for v in values.tolist()]


def _text_width(texts) -> int:
    """Cells a column of labels takes: each as shown, control characters as visible escapes, up to LABEL_WIDTH."""
    shown = texts if all(map(str.isprintable, texts)) else [safe(text) for text in texts]
    return min(max(map(len, shown), default=0), LABEL_WIDTH)


class ResultsTable(DataTable):
    HELP_TOPIC = "Results table"  # F1 opens the help at this section
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "edge(0)", "First row", show=False),
        Binding("end,ctrl+end", "edge(1)", "Last row", show=False),
        Binding("s", "sort_column", "Sort by column"),
        Binding("c", "app.copy_row", "Copy row"),
        Binding("C", "app.copy_table", "Copy table"),
    ]

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._rows = ()  # the Session's result_rows: a sequence of dicts made as they are shown
        self._order: list[int] | None = None  # positions -> row indices when sorted
        self._keys: list | None = None  # sort values of every row, when sorted
        self._sorted: tuple[str, bool] | None = None
        self._columns: list[str] = []
        self._top = 0
        self._cursor = 0

    # -- what is shown ----------------------------------------------------------------------------------------
    @property
    def total_rows(self) -> int:
        return len(self._rows)

    @property
    def cursor_position(self) -> int:
        """The cursor's place among all rows (0 = first in the current order)."""
        return self._cursor

    def selected_row(self) -> dict | None:
        return self._row_at(self._cursor) if self._rows else None

    def ordered_results(self) -> list[dict]:
        """Every row in the order shown."""
        return self._rows if self._order is None else [self._rows[i] for i in self._order]

    def _row_at(self, position: int) -> dict:
        return self._rows[position if self._order is None else self._order[position]]

    def _visible(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)  # less the header line

    def reset(self, rows) -> None:
        """Show a whole table (after a restore or when a new table was started)."""
        self.clear(columns=True)
        self._rows, self._order, self._keys, self._sorted = rows, None, None, None
        self._columns = []
        if rows:
            self._add_columns(rows)
        self._top = 0
        self._cursor = max(len(rows) - 1, 0)
        self._fill()
        # New columns can bring a horizontal scrollbar, which takes a line from the window without a resize:
        # fill again once the layout has settled, so the cursor's row stays in sight.
        self.call_after_refresh(self._fill)

    def add_result(self, row: dict) -> None:
        """A row the Session has just appended to the rows this table shows (the Session's result_rows)."""
        if not self._columns or any(isinstance(row[name], str) and _text_width([row[name]]) > self.columns[name].width
                                    for name in self._columns):
            self.clear(columns=True)  # a first row, or a label longer than its column
            self._add_columns(self._rows)
        position = len(self._rows) - 1
        if self._order is not None:
            position = self._insert_sorted(len(self._rows) - 1)
        self._cursor = position
        self._fill()

    def _add_columns(self, rows: list[dict]) -> None:
        # Imported here, not at the top: the first frame is painted before astropy is imported.
        from tui.core.formatting import FORMATS, column_order, column_title

        first = rows[0]
        self._columns = column_order(first)
        for name in self._columns:
            title = column_title(name, first[name])
            value = first[name]
            if isinstance(value, str):
                width = _text_width(set(rows.column(name).tolist()))
            elif hasattr(value, "jd1"):
                width = 19
            elif hasattr(value, "ra") or hasattr(value, "frame"):
                width = 21
            elif isinstance(value, int) or name == "id":
                width = max(INT_WIDTH, len(str(len(rows))))
            else:
                width = FORMAT_WIDTHS.get(FORMATS.get(name, ".4e"), 11)
            self.add_column(Text(title), key=name, width=max(width, len(title)))

    def _cells(self, row: dict) -> list[Text]:
        from tui.core.formatting import value_text

        cells = []
        for name in self._columns:
            value = row[name]
            text = value_text(name, value, with_unit=False)  # inert already (safe_text)
            cells.append(CutInTheMiddle(text) if isinstance(value, str) else Text(text, justify="right", no_wrap=True))
        return cells

    def _fill(self) -> None:
        """Put the rows of the window in the DataTable and the cursor on its row."""
        n = len(self._rows)
        visible = self._visible()
        self._cursor = min(max(self._cursor, 0), max(n - 1, 0))
        if self._cursor < self._top:
            self._top = self._cursor
        elif self._cursor >= self._top + visible:
            self._top = self._cursor - visible + 1
        self._top = max(min(self._top, n - visible), 0)
        self.clear()
        if self._columns:
            self.add_rows([self._cells(self._row_at(p)) for p in range(self._top, min(self._top + visible, n))])
            if n:
                self.move_cursor(row=self._cursor - self._top, animate=False)
        self._update_title()

    def _update_title(self) -> None:
        n = len(self._rows)
        parts = [f"row {self._cursor + 1:,} of {n:,}" if n else "no results yet"]
        if self._sorted is not None:
            parts.append(f"sorted by {self._sorted[0]}{' (descending)' if self._sorted[1] else ''}")
        left, right = self._hidden_columns()
        if left or right:
            sides = [f"< {left} more" if left else "", f"{right} more >" if right else ""]
            parts.append("columns: " + ", ".join(side for side in sides if side))
        self.border_title = " · ".join(parts)

    def _column_starts(self) -> list[int]:
        starts, x = [], 0
        for column in self.columns.values():
            starts.append(x)
            x += column.get_render_width(self)
        return starts

    def action_cursor_right(self) -> None:
        """A whole column at a time, not one character: 27 columns are a few keys away."""
        following = [x for x in self._column_starts() if x > self.scroll_x]
        if following:
            self.scroll_to(x=following[0], animate=False)

    def action_cursor_left(self) -> None:
        before = [x for x in self._column_starts() if x < self.scroll_x]
        self.scroll_to(x=before[-1] if before else 0, animate=False)

    def _hidden_columns(self) -> tuple[int, int]:
        """How many columns lie wholly left and right of what is on screen."""
        x, left, right = 0, 0, 0
        start, end = self.scroll_x, self.scroll_x + self.scrollable_content_region.width
        for column in self.columns.values():
            width = column.get_render_width(self)
            if x + width <= start:
                left += 1
            elif x >= end:
                right += 1
            x += width
        return left, right

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        self._update_title()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._fill)

    # -- moving -----------------------------------------------------------------------------------------------
    def _go(self, position: int) -> None:
        if self._rows:
            self._cursor = position
            self._fill()

    def action_move(self, step: int) -> None:
        self._go(self._cursor + step)

    def action_page(self, step: int) -> None:
        self._go(self._cursor + step * self._visible())

    def action_edge(self, end: int) -> None:
        self._go(len(self._rows) - 1 if end else 0)

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.action_move(3)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.action_move(-3)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """A click on a row in the window moves the cursor there."""
        if event.cursor_row != self.cursor_row:
            return  # a message from before the window was refilled
        position = self._top + event.cursor_row
        if position != self._cursor and position < len(self._rows):
            self._cursor = position
            self._update_title()

    # -- sorting ----------------------------------------------------------------------------------------------
    def action_sort_column(self) -> None:
        if not self._columns:
            return
        name = self._columns[self.cursor_column] if self.cursor_type == "cell" else None
        name = name or self._sort_cycle()
        reverse = self._sorted == (name, False)
        self.sort_all(name, reverse)
        from tui.core.formatting import counted

        order = " (descending)" if reverse else ""
        self.app.notify(f"Sorted {counted(len(self._rows), 'row')} by {name}{order}", timeout=2)

    def sort_all(self, name: str, reverse: bool = False) -> None:
        """Order every row (not only those on screen) by a column; the cursor stays on its row."""
        chosen = (self._cursor if self._order is None else self._order[self._cursor]) if self._rows else None
        self._keys = sort_keys(self._rows.column(name))
        self._order = sorted(range(len(self._rows)), key=self._keys.__getitem__, reverse=reverse)
        self._sorted = (name, reverse)
        if chosen is not None:
            self._cursor = self._order.index(chosen)
        self._fill()

    def _insert_sorted(self, index: int) -> int:
        """Place a new row in the sorted order; returns its position."""
        name, reverse = self._sorted
        key = _sort_value(self._rows[index][name])
        self._keys.append(key)
        lo, hi = 0, len(self._order)
        while lo < hi:  # after equal keys, like a stable sort of the new row last
            mid = (lo + hi) // 2
            other = self._keys[self._order[mid]]
            if (other < key) if reverse else (other > key):
                hi = mid
            else:
                lo = mid + 1
        self._order.insert(lo, index)
        return lo

    def _sort_cycle(self) -> str:
        """With a row cursor, `s` steps through the columns people sort by most."""
        order = [c for c in ("aperture_sum", "aperture_sum_mag", "subset_label", "data_label", "id")
                 if c in self._columns]
        if self._sorted is None or self._sorted[0] not in order:
            return order[0]
        name, reverse = self._sorted
        return name if not reverse else order[(order.index(name) + 1) % len(order)]
