"""ResultsTable extends DataTable's per-row lists on append; they must always equal DataTable's own."""

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable

from tui.app.widgets.results_table import ResultsTable


class TableApp(App):
    def compose(self):
        yield ResultsTable()


def same_as_datatable(table: ResultsTable) -> bool:
    # Clearing DataTable's own caches makes it compute both lists from scratch.
    table._offset_cache.clear()
    table._ordered_row_cache.clear()
    ours_rows, ours_offsets = list(table.ordered_rows), list(table._y_offsets)
    theirs_rows = DataTable.ordered_rows.fget(table)
    theirs_offsets = DataTable._y_offsets.fget(table)
    return ours_rows == theirs_rows and ours_offsets == theirs_offsets


async def test_lists_match_datatable_after_every_kind_of_change():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(ResultsTable)
        table.add_column("a", key="a")
        table.add_column("b", key="b")
        for i in range(5):
            table.add_row(Text(str(i)), Text(str(10 - i)), key=str(i))
            assert table.ordered_rows[-1].key == str(i)
            assert same_as_datatable(table)
        table.sort("b", key=lambda cell: int(str(cell)))
        assert [r.key.value for r in table.ordered_rows] == ["4", "3", "2", "1", "0"]
        assert same_as_datatable(table)
        table.add_row(Text("5"), Text("-1"), key="5")  # appended after a sort
        assert same_as_datatable(table)
        table.update_cell("2", "a", Text("x"))
        table.remove_row("3")
        assert same_as_datatable(table)
        table.clear()
        assert table.ordered_rows == [] and same_as_datatable(table)
        table.add_row(Text("n"), Text("n"), key="new")
        table.move_cursor(row=0)
        await pilot.pause()
        assert [r.key.value for r in table.ordered_rows] == ["new"] and same_as_datatable(table)
