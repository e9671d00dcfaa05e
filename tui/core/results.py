"""The accumulated results: the compatibility rule, ids, and the archive of replaced tables."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Column, QTable, vstack
from astropy.time import Time

from tui.core.photometry import ALL_COLUMNS, same_unit, with_extended


def _kind(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, SkyCoord):
        return "sky"
    if isinstance(value, Time):
        return "time"
    if isinstance(value, u.Quantity):
        return "quantity"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (int, np.integer)):
        return "int"
    return "float"


def conform(row: dict, first: dict) -> dict | None:
    """`row` with its units converted to those of `first`, or None when the two cannot share a table.

    The extended columns are never None and take their units from the same data as the 21 Imviz columns, so in
    effect the Imviz columns decide.
    """
    out = {}
    for name in ALL_COLUMNS[1:]:
        value, ref = row[name], first[name]
        if type(value) is not type(ref) and _kind(value) != _kind(ref):  # same type: same kind, no checks
            return None
        if isinstance(value, u.Quantity) and not same_unit(value.unit, ref.unit):
            if not value.unit.is_equivalent(ref.unit):
                return None
            value = value.to(ref.unit)
        out[name] = value
    return out


def _column(name: str, values: list):
    kind = _kind(values[0])
    if kind == "none":
        return Column([None] * len(values), name=name, dtype=object)
    if kind == "quantity":
        unit = values[0].unit
        return u.Quantity([v.value if same_unit(v.unit, unit) else v.to_value(unit) for v in values], unit)
    if kind == "sky":
        frame = values[0].frame
        coords = [v if v.frame.name == frame.name else v.transform_to(frame) for v in values]
        return SkyCoord([c.spherical.lon.deg for c in coords], [c.spherical.lat.deg for c in coords],
                        unit="deg", frame=frame.name)
    if kind == "time":
        return Time([v.jd1 for v in values], [v.jd2 for v in values], format="jd", scale="utc").copy(format="isot")
    if kind == "str":
        return Column(values, name=name, dtype=str)
    if kind == "int":
        return Column(np.array(values, dtype=np.int64), name=name)
    return Column(np.array(values, dtype=float), name=name)


def build_table(rows: list[dict], names=ALL_COLUMNS) -> QTable:
    return QTable({name: _column(name, [r[name] for r in rows]) for name in names})


def table_rows(table: QTable) -> list[dict]:
    """A table's rows as dicts of the values calculate returns (Quantity, SkyCoord, Time, str, int, float)."""
    columns = {}
    for name in table.colnames:
        col = table[name]
        if isinstance(col, (u.Quantity, SkyCoord, Time)):
            columns[name] = list(col)
        elif col.dtype.kind in "iu":
            columns[name] = [int(v) for v in col.tolist()]
        else:
            columns[name] = col.tolist()  # str, float, or None (object)
    names = table.colnames
    return [dict(zip(names, values)) for values in zip(*(columns[n] for n in names))]


def table_row(table: QTable, k: int) -> dict:
    """Row k of a table as a dict, as table_rows() gives it, without slicing the table (a tenth of the time)."""
    row = {}
    for name in table.colnames:
        value = table[name][k]
        row[name] = value.item() if isinstance(value, np.generic) else value
    return row


class _Piece:
    """Consecutive rows of the current table, kept as they came: dicts (calculate) or a table (many at once, a
    restored journal), each made into the other only when asked for."""

    def __init__(self, rows: list[dict] | None = None, table: QTable | None = None):
        self.of_rows = rows is not None  # rows may be appended to a piece of dicts
        self._rows, self._table = rows, table
        self._made: dict[int, dict] = {}  # a table's rows made into dicts so far: the same dict each time

    def __len__(self) -> int:
        return len(self._rows) if self.of_rows else len(self._table)

    def row(self, k: int) -> dict:
        if self.of_rows:
            return self._rows[k]
        if k not in self._made:
            self._made[k] = table_row(self._table, k)
        return self._made[k]

    @property
    def table(self) -> QTable:
        if self._table is None or len(self._table) != len(self):
            self._table = build_table(self._rows)
        return self._table

    def append(self, row: dict) -> None:
        self._rows.append(row)

    @property
    def last_id(self) -> int:
        return int(self._rows[-1]["id"] if self.of_rows else self._table["id"][-1])


class Rows(Sequence):
    """The current table's rows as dicts, each made only when asked for: a view that restores of 100,000 rows and
    the results table use without converting every cell (the table shows twenty rows at a time)."""

    def __init__(self, results: "Results"):
        self._results = results

    def __len__(self) -> int:
        return len(self._results)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        return self._results.row(index)

    def column(self, name: str):
        """One column of every row, as a table column (Quantity, Time, SkyCoord or Column)."""
        return self._results.table[name]


class Results:
    """Rows in the current table plus the tables the compatibility rule replaced."""

    def __init__(self) -> None:
        self.archived: list[QTable] = []
        self._pieces: list[_Piece] = []
        self._starts: list[int] = []  # index of each piece's first row
        self._count = 0
        self._first: dict | None = None  # the current table's first row: what later rows must fit
        self._table: QTable | None = None
        self.rows = Rows(self)

    def __len__(self) -> int:
        return self._count

    def _start_new_if(self, fits: bool) -> bool:
        if self._count and not fits:
            self.archived.append(self.table)
            self._pieces, self._starts, self._count, self._first = [], [], 0, None
            return True
        return False

    def _next_id(self) -> int:
        # ids only grow within a table, so max(id) + 1 is the last id + 1
        return self._pieces[-1].last_id + 1 if self._pieces else 1

    def row(self, index: int) -> dict:
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("row index out of range")
        k = bisect_right(self._starts, index) - 1
        return self._pieces[k].row(index - self._starts[k])

    def _append_piece(self, piece: _Piece) -> None:
        self._starts.append(self._count)
        self._pieces.append(piece)

    def add(self, row: dict) -> tuple[dict, bool]:
        """Append a row (without id); returns (the stored row, whether a new table was started)."""
        row = with_extended(row)
        conformed = conform(row, self._first) if self._count else row
        started_new = self._start_new_if(conformed is not None)
        row = conformed if conformed is not None else row
        stored = {"id": self._next_id(), **{k: row[k] for k in ALL_COLUMNS[1:]}}
        if self._pieces and self._pieces[-1].of_rows:
            self._pieces[-1].append(stored)
        else:
            self._append_piece(_Piece(rows=[stored]))
        self._added(stored, 1)
        return stored, started_new

    def add_table(self, block: QTable, adopt: bool = False) -> tuple[QTable, bool]:
        """Append many rows at once (a table without ids, as measure_many gives); returns (the stored rows as a
        table, whether a new table was started). The rows must fit one another, as one image's rows do.
        `adopt`: the table is no one else's, and becomes the stored one (ids added to it) rather than being copied
        (a copy costs 20 us a column, as much as measuring 20 small apertures)."""
        first = table_row(block, 0)
        conformed = conform(first, self._first) if self._count else first
        started_new = self._start_new_if(conformed is not None)
        if not adopt:
            block = block.copy(copy_data=False)
        if self._count:
            for name in ALL_COLUMNS[1:]:
                col, ref = block[name], self._first[name]
                if isinstance(col, u.Quantity) and not same_unit(col.unit, ref.unit):
                    block[name] = col.to(ref.unit)
        block.add_column(np.arange(self._next_id(), self._next_id() + len(block)), name="id", index=0)
        self._append_piece(_Piece(table=block))
        self._added(first, len(block))
        return block, started_new

    def _added(self, first: dict, count: int) -> None:
        """After appending `count` rows to the pieces: the first row, the count and the cached table."""
        if self._first is None:
            self._first = first
        self._count += count
        self._table = None

    def since(self, start: int, stop: int | None = None) -> QTable | None:
        """The current table's rows from `start` on (to `stop`), as a table (what a stream has not written yet),
        made from the pieces that hold them alone."""
        stop = self._count if stop is None else min(stop, self._count)
        parts, seen = [], 0
        for piece in self._pieces:
            if seen + len(piece) > start and seen < stop:
                parts.append(piece.table[max(start - seen, 0):stop - seen])
            seen += len(piece)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else vstack(parts, join_type="exact")

    def ends(self, head: int, tail: int) -> QTable | None:
        """The current table's first `head` and last `tail` rows (all of them when it has no more), without making
        the whole table: a glimpse of a million rows costs what one of fifty does."""
        if self._count <= head + tail:
            return self.table
        return vstack([self.since(0, head), self.since(self._count - tail)], join_type="exact")

    @property
    def table(self) -> QTable | None:
        if not self._count:
            return None
        if self._table is None:  # built once per change, not per row: cheap at 10,000 rows
            self._table = self.since(0)
        return self._table
