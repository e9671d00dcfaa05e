"""The accumulated results: the compatibility rule, ids, and the archive of replaced tables."""

from __future__ import annotations

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Column, QTable
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


def build_table(rows: list[dict]) -> QTable:
    return QTable({name: _column(name, [r[name] for r in rows]) for name in ALL_COLUMNS})


class Results:
    """Rows in the current table plus the tables the compatibility rule replaced."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.archived: list[QTable] = []
        self._table: QTable | None = None

    def add(self, row: dict) -> tuple[dict, bool]:
        """Append a row (without id); returns (the stored row, whether a new table was started)."""
        started_new = False
        row = with_extended(row)
        if self.rows:
            conformed = conform(row, self.rows[0])
            if conformed is None:
                self.archived.append(self.table)
                self.rows = []
                started_new = True
            else:
                row = conformed
        # ids only grow within a table, so max(id) + 1 is the last id + 1
        next_id = self.rows[-1]["id"] + 1 if self.rows else 1
        stored = {"id": next_id, **{k: row[k] for k in ALL_COLUMNS[1:]}}
        self.rows.append(stored)
        self._table = None
        return stored, started_new

    @property
    def table(self) -> QTable | None:
        if not self.rows:
            return None
        if self._table is None:  # built once per change, not per row: cheap at 10,000 rows
            self._table = build_table(self.rows)
        return self._table
