"""The journal's line format: result rows to lines, and lines back to tables column by column.

Each line is one JSON object that stands alone, so a line torn by a crash or edited by hand costs that line only:

    {"v": 2, "columns": "xcenter:q:pix|...|data_label:x|...", "numbers": "<base64>", "text": ["img[SCI,1]", ...]}

`columns` gives each column's name, kind and unit: `q:<unit>` a Quantity, `f` a float, `i` a count, `n` empty
(None), `s:<frame>` a sky position (two numbers: longitude and latitude in degrees), `t` a UTC time (ISO text),
`x` text. `numbers` holds the row's numbers as little-endian float64 in base64: exact, and read about ten times
faster than decimal text, whose parsing alone would take over a second for the 100,000 rows a long session
leaves. Labels and times stay readable. Lines of the first format (one {"value", "unit"} object per cell) are
still read.

Reading builds each column once for a run of lines with the same `columns`: a unit or a schema is parsed once
however many lines hold it, positions become one SkyCoord and times one Time. A damaged line is skipped with
its number and the reason.
"""

from __future__ import annotations

import base64
import binascii
import json
import json.scanner
import struct
from dataclasses import dataclass

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord, frame_transform_graph
from astropy.table import Column, QTable
from astropy.time import Time

from tui.core.images import plain_unit
from tui.core.photometry import ALL_COLUMNS, COLUMNS, unknown_extended

VERSION = 2
_SEPARATOR = "|"  # between columns: no astropy unit text holds it

# -- writing ---------------------------------------------------------------------------------------------------
_UNIT_TEXTS: dict = {}


def _unit_text(unit) -> str:
    text = _UNIT_TEXTS.get(unit)
    if text is None:
        text = _UNIT_TEXTS[unit] = unit.to_string()  # about 10 us: once per unit, not once per cell
    return text


def _prefix(columns: str) -> bytes:
    """What every line with these columns starts with, up to its numbers (how _line writes it)."""
    return ('{"v": %d, "columns": %s, "numbers": "' % (VERSION, json.dumps(columns))).encode("utf-8")


_TEXT_KEY = b'", "text": '
_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def _line(columns: str, numbers: bytes, texts: list) -> bytes:
    record = {"v": VERSION, "columns": columns, "numbers": base64.b64encode(numbers).decode("ascii"), "text": texts}
    return (json.dumps(record) + "\n").encode("utf-8")  # ensure_ascii: control characters stay escaped


def row_line(row: dict) -> bytes:
    """A result row (a dict as calculate returns it) as one journal line; its id is not recorded."""
    tokens, numbers, texts = [], [], []
    for name, value in row.items():
        if name == "id":
            continue
        if value is None:
            tokens.append(f"{name}:n")
        elif isinstance(value, SkyCoord):
            sph = value.spherical
            tokens.append(f"{name}:s:{value.frame.name}")
            numbers += [sph.lon.deg, sph.lat.deg]
        elif isinstance(value, Time):
            tokens.append(f"{name}:t")
            texts.append(value.utc.isot)
        elif isinstance(value, u.Quantity):
            tokens.append(f"{name}:q:{_unit_text(value.unit)}")
            numbers.append(value.value)
        elif isinstance(value, str):
            tokens.append(f"{name}:x")
            texts.append(value)
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            tokens.append(f"{name}:i")
            numbers.append(value)
        else:
            tokens.append(f"{name}:f")
            numbers.append(value)
    return _line(_SEPARATOR.join(tokens), struct.pack(f"<{len(numbers)}d", *numbers), texts)


def table_lines(table) -> list[bytes]:
    """The lines of a table's rows (many measured at once): the bytes row_line() gives for each row, with each
    column's kind, unit, times and positions worked out once per column rather than once per cell."""
    tokens, numeric, textual = [], [], []
    for name in table.colnames:
        if name == "id":
            continue
        col = table[name]
        if isinstance(col, SkyCoord):
            sph = col.spherical
            tokens.append(f"{name}:s:{col.frame.name}")
            numeric += [sph.lon.deg, sph.lat.deg]
        elif isinstance(col, Time):
            tokens.append(f"{name}:t")
            textual.append(col.utc.isot.tolist())
        elif isinstance(col, u.Quantity):
            tokens.append(f"{name}:q:{_unit_text(col.unit)}")
            numeric.append(col.value)
        elif col.dtype.kind == "O":  # a column that does not apply: None throughout
            tokens.append(f"{name}:n")
        elif col.dtype.kind in "US":
            tokens.append(f"{name}:x")
            textual.append(col.tolist())
        else:
            tokens.append(f"{name}:{'i' if col.dtype.kind in 'iu' else 'f'}")
            numeric.append(np.asarray(col))
    columns = _SEPARATOR.join(tokens)
    matrix = np.empty((len(table), len(numeric)), dtype="<f8")
    for j, values in enumerate(numeric):
        matrix[:, j] = values
    texts = [list(values) for values in zip(*textual)] if textual else [[] for _ in range(len(table))]
    return [_line(columns, matrix[k].tobytes(), texts[k]) for k in range(len(table))]


# -- reading ---------------------------------------------------------------------------------------------------
_scan = json.scanner.make_scanner(json.JSONDecoder())


@dataclass
class _Column:
    name: str
    kind: str  # q f i n s t x
    unit: object = None  # q: the parsed unit
    frame: str = ""  # s: the frame's name
    number: int = -1  # where its (first) number is in the row's numbers
    text: int = -1  # where its text is in the row's texts


@dataclass
class _Schema:
    columns: dict  # name -> _Column, for the names we know
    numbers: int  # how many numbers a row holds
    texts: int


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:80] if text else type(exc).__name__


class Reader:
    """Parses lines and keeps what every line of a journal shares: schemas and units, each parsed once."""

    def __init__(self) -> None:
        self._schemas: dict[str, _Schema | ValueError] = {}
        self._units: dict[str, object] = {}
        self._prefix, self._columns = b"", ""  # the last full line's start, up to its numbers; its columns

    def unit(self, text: str):
        if text not in self._units:
            try:
                self._units[text] = plain_unit(text)
            except Exception as exc:  # astropy raises several types for a unit it cannot parse
                self._units[text] = ValueError(_first_line(exc))
        return self._units[text]

    def schema(self, text: str) -> _Schema:
        found = self._schemas.get(text)
        if found is None:
            try:
                found = self._parse_schema(text)
            except ValueError as exc:
                found = exc
            self._schemas[text] = found
        if isinstance(found, ValueError):
            raise found
        return found

    def _parse_schema(self, text: str) -> _Schema:
        columns, numbers, texts = {}, 0, 0
        for token in text.split(_SEPARATOR):
            name, _, rest = token.partition(":")
            kind, _, extra = rest.partition(":")
            column = _Column(name, kind)
            if kind == "q":
                unit = self.unit(extra)
                if isinstance(unit, ValueError):
                    raise ValueError(f"column {name}: {unit}")
                column.unit = unit
            elif kind == "s":
                if frame_transform_graph.lookup_name(extra) is None:
                    raise ValueError(f"column {name}: unknown coordinate frame {extra!r}")
                column.frame = extra
            elif kind not in ("f", "i", "n", "t", "x"):
                raise ValueError(f"column {name}: unknown kind {kind!r}")
            if kind in ("q", "f", "i", "s"):
                column.number, numbers = numbers, numbers + (2 if kind == "s" else 1)
            elif kind in ("t", "x"):
                column.text, texts = texts, texts + 1
            if name in ALL_COLUMNS:
                columns[name] = column
        for name in ALL_COLUMNS[1:]:
            if name not in columns:
                if name in COLUMNS:
                    raise ValueError(f"no column {name}")
            elif columns[name].kind not in _KINDS.get(name, "qfin"):
                raise ValueError(f"column {name} holds {_KIND_NAMES[columns[name].kind]}")
        return _Schema(columns, numbers, texts)

    def line(self, raw: bytes) -> tuple[str, bytes, list]:
        """(columns, numbers, texts) of one line; raises ValueError with the reason it cannot be used."""
        if self._prefix and raw.startswith(self._prefix):
            found = self._same_columns(raw)
            if found is not None:
                return found
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        try:
            # json's C scanner itself: json.loads adds two regular expressions per call, a third of the time
            record, end = _scan(text, 0)
        except (ValueError, StopIteration):
            end = -1
        if end != len(text):
            raise ValueError("not JSON (torn by a crash?)")
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        if record.get("v") != VERSION:
            return _first_format(record)
        columns, numbers, texts = record.get("columns"), record.get("numbers"), record.get("text")
        if not (type(columns) is str and type(numbers) is str and type(texts) is list):
            raise ValueError("not a journal line (columns, numbers and text expected)")
        try:
            # Characters outside base64 are dropped, so a damaged string shows as a wrong length (the caller checks)
            numbers = binascii.a2b_base64(numbers)
        except (binascii.Error, ValueError):
            raise ValueError("its numbers are not base64") from None
        prefix = _prefix(columns)
        if raw.startswith(prefix):
            self._prefix, self._columns = prefix, columns
        return columns, numbers, texts

    def _same_columns(self, raw: bytes) -> tuple[str, bytes, list] | None:
        """A line that starts as the previous one did, as row_line writes them: only its numbers and texts are
        parsed (the columns, two thirds of it, are known). None when anything is not exactly as written."""
        rest = raw[len(self._prefix):]
        end = rest.find(b'"')
        encoded = rest[:end]
        if end < 0 or encoded.translate(None, _BASE64) or not rest.startswith(_TEXT_KEY, end):
            return None
        tail = rest[end + len(_TEXT_KEY):].decode("utf-8", "replace").rstrip()
        try:
            texts, stop = _scan(tail, 0)
        except (ValueError, StopIteration):
            return None
        if type(texts) is not list or tail[stop:] != "}":
            return None
        try:
            return self._columns, binascii.a2b_base64(encoded), texts
        except binascii.Error:
            return None


# The kinds a column may hold (default: numbers, with or without a unit, or nothing).
_KINDS = {"data_label": "x", "subset_label": "x", "background_stat": "x", "timestamp": "t", "sky_center": "sn",
          "npix_bad": "i", "background_npix": "i"}
_KIND_NAMES = {"q": "a quantity", "f": "a number", "i": "a count", "n": "nothing", "s": "a sky position",
               "t": "a time", "x": "text"}
_TEXT = ("data_label", "subset_label", "background_stat")
_COUNTS = ("npix_bad", "background_npix")


def _number(name: str, value) -> float:
    if type(value) in (int, float):
        return float(value)
    if value in ("nan", "inf", "-inf"):  # how the first format wrote what strict JSON cannot hold
        return float(value)
    raise ValueError(f"column {name} holds {type(value).__name__}")


def _first_format(record: dict) -> tuple[str, bytes, list]:
    """A line of the first format (one {"value": v, "unit": "..."} object per cell) as (columns, numbers, texts)."""
    tokens, numbers, texts = [], [], []
    for name, value in record.items():
        if name in _TEXT or name == "timestamp":
            if name == "timestamp":
                value = value.get("time") if isinstance(value, dict) else None
            if not isinstance(value, str):
                raise ValueError(f"column {name} holds {type(value).__name__}")
            tokens.append(f"{name}:{'t' if name == 'timestamp' else 'x'}")
            texts.append(value)
        elif name in _COUNTS:
            if type(value) is not int:
                raise ValueError(f"column {name} holds {type(value).__name__}")
            tokens.append(f"{name}:i")
            numbers.append(float(value))
        elif value is None:
            tokens.append(f"{name}:n")
        elif isinstance(value, dict) and "sky" in value:
            sky, frame = value.get("sky"), value.get("frame")
            if not (isinstance(sky, list) and len(sky) == 2 and isinstance(frame, str) and _SEPARATOR not in frame):
                raise ValueError(f"column {name}: not a sky position")
            tokens.append(f"{name}:s:{frame}")
            numbers += [_number(name, sky[0]), _number(name, sky[1])]
        elif isinstance(value, dict) and "unit" in value:
            unit = value["unit"]
            if not isinstance(unit, str) or _SEPARATOR in unit:
                raise ValueError(f"column {name}: not a unit")
            tokens.append(f"{name}:q:{unit}")
            numbers.append(_number(name, value.get("value")))
        else:
            tokens.append(f"{name}:f")
            numbers.append(_number(name, value))
    return _SEPARATOR.join(tokens), struct.pack(f"<{len(numbers)}d", *numbers), texts


def build(reader: Reader, schema: _Schema, numbers: list[bytes], texts: list[list]) -> tuple[QTable, dict]:
    """A run of lines with one schema as a table with the result columns (ALL_COLUMNS but id), and
    {index in the run: reason} for lines whose values cannot be used (their rows are left out)."""
    n = len(numbers)
    matrix = np.frombuffer(b"".join(numbers), dtype="<f8").reshape(n, schema.numbers)
    by_column = list(zip(*texts)) if schema.texts else []
    bad: dict[int, str] = {}

    def reject(mask: np.ndarray, reason: str) -> None:
        for k in np.flatnonzero(mask).tolist():
            bad.setdefault(k, reason)

    out = {}
    for name in ALL_COLUMNS[1:]:
        column = schema.columns.get(name)
        if column is None:
            continue
        kind, j = column.kind, column.number
        if kind == "q":
            out[name] = u.Quantity(matrix[:, j], column.unit, copy=True)
        elif kind == "f":
            out[name] = Column(matrix[:, j].copy(), name=name)
        elif kind == "i":
            values = matrix[:, j]
            with np.errstate(invalid="ignore"):
                reject(~(np.isfinite(values) & (values == np.floor(values))), f"column {name} holds a fraction")
            out[name] = Column(np.nan_to_num(values).astype(np.int64), name=name)
        elif kind == "n":
            out[name] = Column([None] * n, name=name, dtype=object)
        elif kind == "s":
            lon, lat = matrix[:, j].copy(), matrix[:, j + 1].copy()
            with np.errstate(invalid="ignore"):
                nowhere = np.isnan(lon) & np.isnan(lat)  # a centre the WCS puts on no sky (off an all-sky map)
                wrong = ~(nowhere | (np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)))
            reject(wrong, f"column {name}: not a sky position")
            lon[wrong], lat[wrong] = 0.0, 0.0
            out[name] = SkyCoord(lon, lat, unit="deg", frame=column.frame)
        elif kind == "t":
            out[name] = _times(name, list(by_column[column.text]), bad)
        else:
            texts_of = by_column[column.text]
            if set(map(type, texts_of)) != {str}:
                for k, text in enumerate(texts_of):
                    if type(text) is not str:
                        bad.setdefault(k, f"column {name} holds {type(text).__name__}")
                texts_of = [text if type(text) is str else "" for text in texts_of]
            out[name] = Column(list(texts_of), name=name, dtype=str)
    unit_of = lambda name: getattr(out[name], "unit", None)
    for name in ALL_COLUMNS[1:]:
        if name not in out:  # recorded before this column existed
            out[name] = _filled(name, unknown_extended(name, unit_of), n)
    table = QTable(out)
    if bad:
        keep = np.ones(n, dtype=bool)
        keep[list(bad)] = False
        table = table[keep]
    return table, bad


def _times(name: str, texts: list[str], bad: dict) -> Time:
    try:
        return Time(texts, format="isot", scale="utc")
    except Exception:  # noqa: BLE001  astropy raises several types; find the damaged ones, one by one
        pass
    for k, text in enumerate(texts):
        try:
            Time(text, format="isot", scale="utc")
        except Exception:  # noqa: BLE001
            bad.setdefault(k, f"column {name}: {str(text)[:40]!r} is not an ISO 8601 time")
    stand_in = next((t for k, t in enumerate(texts) if k not in bad), "2000-01-01T00:00:00")
    return Time([stand_in if k in bad else t for k, t in enumerate(texts)], format="isot", scale="utc")


def _filled(name: str, value, n: int):
    if isinstance(value, u.Quantity):
        return u.Quantity(np.full(n, value.value), value.unit)
    if isinstance(value, str):
        return Column([value] * n, name=name, dtype=str)
    if isinstance(value, int):
        return Column(np.full(n, value, dtype=np.int64), name=name)
    return Column(np.full(n, value, dtype=float), name=name)

