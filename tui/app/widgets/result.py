"""The result of the latest calculation, under the CALCULATE button, formatted as the reference plugin does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.app.safe import safe_label, safe_rich


class ResultPanel(VerticalScroll, can_focus=True):
    def compose(self):
        yield Static(Text("Press F5 (or ctrl+j) to calculate.", style="dim"), id="result-body")

    def show(self, row: dict, lines: list[tuple[str, str | None]], warning: str | None = None) -> None:
        """Row `row`'s result under a heading naming it. `lines`: (name, text) pairs; a pair without text is a
        heading over the lines after it, which are aligned among themselves (so a long name in a section leaves the
        main lines as they were)."""
        body = Table.grid()
        # one line, the image's label cut in the middle where it does not fit (its end tells images apart)
        body.add_row(safe_label(row["data_label"], "bold", before=f"#{row['id']}  {row['subset_label']} on "))
        if warning:  # above the numbers, so it cannot be missed at 80x24
            body.add_row(safe_rich(f"! {warning}", style="bold yellow"))
        grid = _grid()
        for name, text in lines:
            if text is None:
                body.add_row(grid)
                body.add_row(Text(f"── {name} ──", style="dim italic"))
                grid = _grid()
            else:
                grid.add_row(Text(name), safe_rich(text))
        body.add_row(grid)
        self.query_one("#result-body", Static).update(body)
        self.scroll_home(animate=False)

    def refuse(self, why: str) -> None:
        """Why the latest calculate measured nothing, where its result would be (as the Imviz plugin says it under
        CALCULATE): once the toast has gone, an earlier result here would read as this subset's."""
        body = Table.grid()
        body.add_row(Text("Not calculated", style="bold red"))
        body.add_row(safe_rich(why))
        body.add_row(Text("Every earlier result is still in the table.", style="dim"))
        self.query_one("#result-body", Static).update(body)
        self.scroll_home(animate=False)


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    return grid
