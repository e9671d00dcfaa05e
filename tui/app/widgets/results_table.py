"""The accumulated results as a DataTable: newest row selected, readable columns first, sortable by key."""

from __future__ import annotations

import math

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable



class Cell(Text):
    """A table cell that sorts by its value, not by its text."""

    def __init__(self, text: str, sort_value, numeric: bool):
        super().__init__(text, justify="right" if numeric else "left", no_wrap=True)
        self.sort_value = sort_value


def _sort_value(value, text: str):
    """Numbers by value (NaN first), times by their stored Julian date, the rest by their text; None last."""
    if value is None:
        return (1, 0.0)
    if hasattr(value, "jd1"):  # an astropy Time: jd1 + jd2 is stored, formatting it is not
        return (0, float(value.jd1 + value.jd2))
    number = value.value if hasattr(value, "unit") and hasattr(value, "value") else value
    if isinstance(number, (int, float)):
        return (0, -math.inf if math.isnan(number) else float(number))
    return (0, text)


class ResultsTable(DataTable):
    BINDINGS = [Binding("s", "sort_column", "Sort by column")]

    def __init__(self, **kwargs):
        # Before DataTable.__init__, which already reads ordered_rows.
        self._appendable: dict[str, tuple] = {}
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._columns: list[str] = []
        self._sorted: tuple[str, bool] | None = None

    # DataTable rebuilds two lists over every row after each add_row: `ordered_rows` (needed to move the cursor
    # to the new row) and `_y_offsets` (needed to paint). That is O(n) per result, about 25 ms at 10,000 rows.
    # When the only change since a list was built is one appended row (add_row bumps _update_count by one and
    # appends), the list is extended instead; any other change (sort, removal, cell update, clear) rebuilds it
    # with DataTable's own code. Textual is pinned exactly; a test checks both against DataTable's computation.
    def _extended_on_append(self, name: str, build, items_of_row) -> list:
        count, items, n_rows, last_key = self._appendable.get(name, (-1, [], -1, None))
        n = self.row_count
        if count == self._update_count and n_rows == n:
            return items
        new_key = self._row_locations.get_key(n - 1) if n else None
        appended = (n > 0 and count == self._update_count - 1 and n_rows == n - 1
                    and (n == 1 or self._row_locations.get_key(n - 2) == last_key))
        if appended:
            items.extend(items_of_row(self.rows[new_key]))
        else:
            items = list(build())
        self._appendable[name] = (self._update_count, items, n, new_key)
        return items

    @property
    def ordered_rows(self) -> list:
        return self._extended_on_append("ordered_rows", lambda: DataTable.ordered_rows.fget(self),
                                        lambda row: [row])

    @property
    def _y_offsets(self) -> list:
        return self._extended_on_append("_y_offsets", lambda: DataTable._y_offsets.fget(self),
                                        lambda row: [(row.key, y) for y in range(row.height)])

    def reset(self, rows: list[dict]) -> None:
        """Show a whole table (after a restore or when a new table was started)."""
        self.clear(columns=True)
        self._columns = []
        self._sorted = None
        if not rows:
            return
        self._add_columns(rows[0])
        self.add_rows([self._cells(row) for row in rows])  # one layout pass, not one per row
        self.move_cursor(row=self.row_count - 1)

    def add_result(self, row: dict) -> None:
        if not self._columns:
            self._add_columns(row)
        self.add_row(*self._cells(row), key=str(row["id"]))
        self.move_cursor(row=self.row_count - 1)

    def _add_columns(self, row: dict) -> None:
        # Imported here, not at the top: the first frame is painted before astropy is imported.
        from tui.core.formatting import column_order, column_title

        self._columns = column_order(row)
        for name in self._columns:
            self.add_column(Text(column_title(name, row[name])), key=name)

    def _cells(self, row: dict) -> list[Cell]:
        from tui.core.formatting import value_text

        cells = []
        for name in self._columns:
            value = row[name]
            text = value_text(name, value, with_unit=False)
            cells.append(Cell(text, _sort_value(value, text), numeric=not isinstance(value, str)))
        return cells

    def action_sort_column(self) -> None:
        if not self._columns:
            return
        name = self._columns[self.cursor_column] if self.cursor_type == "cell" else None
        name = name or self._sort_cycle()
        reverse = self._sorted == (name, False)
        self.sort(name, key=lambda cell: cell.sort_value, reverse=reverse)
        self._sorted = (name, reverse)
        self.app.notify(f"Sorted by {name}{' (descending)' if reverse else ''}", timeout=2)

    def _sort_cycle(self) -> str:
        """With a row cursor, `s` steps through the columns people sort by most."""
        order = [c for c in ("aperture_sum", "aperture_sum_mag", "subset_label", "data_label", "id")
                 if c in self._columns]
        if self._sorted is None or self._sorted[0] not in order:
            return order[0]
        name, reverse = self._sorted
        return name if not reverse else order[(order.index(name) + 1) % len(order)]
