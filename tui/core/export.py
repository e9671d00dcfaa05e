"""Writing a results table: format from the extension, None cells as missing values, atomic write."""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Column, MaskedColumn, QTable, Table
from astropy.time import Time

from tui.core.errors import PhotometryError

FORMATS = {
    ".ecsv": "ascii.ecsv",
    ".csv": "ascii.csv",
    ".fits": "fits",
    ".vot": "votable",
    ".votable": "votable",
    ".xml": "votable",
    ".html": "ascii.html",
    ".txt": "ascii.fixed_width",
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def format_for(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None and path.is_dir():
        raise PhotometryError(f"{path} is a folder: name a file in it ({path / 'results.ecsv'}, say)")
    if fmt is None:
        raise PhotometryError(
            f"{path.name}: unknown format {path.suffix or '(no extension)'}; use one of {', '.join(FORMATS)}"
        )
    return fmt


# FITS stores SkyCoord and Time columns itself, and STILTS reads them. Every other format gets plain columns:
# astropy writes ECSV mixin columns with its own YAML tags (!astropy.units.Unit, ...) that other readers reject.
MIXIN_FORMATS = ("fits",)
_FRAME = re.compile(r"\(frame: ([a-z0-9_]+)\)")
# Characters a format cannot hold in a text cell, written as escapes (\x1b, \u202e; a backslash as \\) that
# read_table turns back into the exact text. XML (VOTable, HTML) forbids most C0 controls and turns CR into LF;
# FITS strings are printable ASCII; a fixed-width text table is one line per row with | between cells; ECSV and
# CSV hold any character but those that Python's line splitting breaks a row at (CR, VT, FF, FS, GS, RS, NEL, LS,
# PS), NUL (which astropy's reader refuses) and \x01 (its CSV reader's mark for a missing value). Every other
# character, ESC and bidi controls included, is written as it is.
_XML = re.compile(r"[\\\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_LINES = re.compile(r"[\\\x00\x01\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029\ud800-\udfff]")
_CANNOT_HOLD = {
    "votable": _XML,
    "ascii.html": _XML,
    "fits": re.compile(r"[^\x20-\x5b\x5d-\x7e]"),
    "ascii.fixed_width": re.compile(r"[\\|\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]"),
    "ascii.ecsv": _LINES,
    "ascii.csv": _LINES,
}
_ESCAPED = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def _escape(match: re.Match) -> str:
    """Each character matched as its escape."""
    return "".join("\\\\" if code == 0x5C else f"\\x{code:02x}" if code < 0x100 else
                   f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}" for code in map(ord, match.group()))


# Readers strip whitespace (tabs and no-break spaces too) from a cell's ends and from the ends of each line in a
# cell, and drop a cell's blank lines; a line in an ECSV cell that starts with '#' is read as a comment. So such
# whitespace is written escaped, and a line break is kept as it is only between two other characters, the second
# not '#'. An ECSV row whose first cell starts with '#' (a light curve's frame named '#12') is a comment too.
_EDGES = re.compile(r"^\s+|\s+$")
_BREAKS = re.compile(r"(?<!\S)\n|\n(?=[\s#])")
_COMMENT = re.compile(r"^#")


def escape_cells(values, fmt: str, first: bool = False) -> list[str]:
    """Text cells as the format can hold them (`first`: the row's first cell), each read back exactly by
    read_table."""
    cells = [_BREAKS.sub(_escape, _EDGES.sub(_escape, _CANNOT_HOLD[fmt].sub(_escape, str(v)))) for v in values]
    return [_COMMENT.sub(_escape, cell) for cell in cells] if first and fmt == "ascii.ecsv" else cells


def unescape_cells(values) -> list[str]:
    return [_ESCAPED.sub(lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), str(v))
            for v in values]


def writable(table: QTable, fmt: str) -> QTable:
    """A copy every format can hold: columns of None become fully masked, and outside FITS a SkyCoord becomes
    `<name>_ra` and `<name>_dec` in degrees (its frame in their description) and a Time an ISO string in UTC."""
    out = table.copy(copy_data=False)
    for name in out.colnames:
        col = out[name]
        if getattr(col, "dtype", None) == object and all(v is None for v in col):
            out[name] = MaskedColumn(np.zeros(len(col)), mask=np.ones(len(col), bool), name=name)
        elif fmt not in MIXIN_FORMATS and isinstance(col, SkyCoord):
            index = out.colnames.index(name)
            out.remove_column(name)
            frame = col.frame.name
            for offset, (axis, values) in enumerate((("ra", col.spherical.lon), ("dec", col.spherical.lat))):
                out.add_column(Column(values.deg, name=f"{name}_{axis}", unit=u.deg,
                                      description=f"{axis.upper()} of the aperture centre (frame: {frame})"),
                               index=index + offset)
        elif fmt not in MIXIN_FORMATS and isinstance(col, Time):
            out[name] = Column(col.utc.isot, name=name, description="UTC, ISO 8601")
        elif fmt in _CANNOT_HOLD and getattr(col, "dtype", None) is not None and col.dtype.kind == "U":
            out[name] = Column(escape_cells(col, fmt, first=name == out.colnames[0]), name=name, dtype=str)
    if fmt == "fits":
        out.meta = _flat(out.meta)
    # A plain Table: Quantity columns become columns with a unit, which every ECSV and CSV reader understands.
    return Table(out) if fmt.startswith("ascii.") else out


def _flat(meta, prefix: str = "") -> dict:
    """Nested metadata (a light curve's star roles, its fit) as the flat keys a FITS header holds: fit_t0, stars_T1,
    a list as one comma-separated string."""
    out = {}
    for key, value in meta.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}_"))
        elif isinstance(value, (list, tuple)):
            out[name] = ",".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def ecsv_text(table: QTable) -> str:
    """The table as standard ECSV text (what the export writes), for the clipboard."""
    import io

    buffer = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        writable(table, "ascii.ecsv").write(buffer, format="ascii.ecsv")
    return buffer.getvalue()


def rows_tsv(rows: list[dict]) -> str:
    """Result rows as tab-separated text with a header line (units in brackets), for pasting into a spreadsheet:
    full precision, RA/Dec in degrees, ISO times, missing values empty, control characters escaped."""
    from tui.core.formatting import safe_text
    from tui.core.results import build_table

    plain = writable(build_table(rows), "ascii.tab")
    header = [f"{name} [{plain[name].unit}]" if getattr(plain[name], "unit", None) else name
              for name in plain.colnames]
    lines = ["\t".join(header)]
    for i in range(len(plain)):
        cells = []
        for name in plain.colnames:
            value = plain[name][i]
            if np.ma.is_masked(value):
                cells.append("")
            elif isinstance(value, (str, np.str_)):
                cells.append(safe_text(value))
            else:
                cells.append(repr(value.item() if hasattr(value, "item") else value))
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def read_table(path: str | os.PathLike, text: str | None = None) -> QTable:
    """Read an exported table back (from `text`, the file's lines, when given: a resumed run leaves out a row cut
    short). FITS needs astropy_native=True for its Time column to come back as Time."""
    path = Path(path).expanduser()
    fmt = format_for(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = QTable.read(path if text is None else text, format=fmt,
                                **({"astropy_native": True} if fmt == "fits" else {}))
    except OSError as exc:
        raise PhotometryError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ImportError as exc:  # astropy reads HTML only with BeautifulSoup, an optional package
        raise PhotometryError(f"{path}: cannot read it back here ({exc}: pip install beautifulsoup4)") from None
    except Exception as exc:  # whatever the file holds, the caller gets one line, not astropy's traceback
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]  # astropy's can run to a page
        raise PhotometryError(f"{path}: not a results table ({reason})") from None
    if fmt in _CANNOT_HOLD:
        for name in table.colnames:
            if getattr(table[name], "dtype", None) is not None and table[name].dtype.kind in "US":
                table[name] = Column(unescape_cells(table[name]), name=name, dtype=str)
    return _with_mixins(table)


def _with_mixins(table: QTable) -> QTable:
    """SkyCoord and Time columns rebuilt from the plain `<name>_ra`/`<name>_dec` and ISO-time columns."""
    for name in [n[:-3] for n in table.colnames if n.endswith("_ra") and f"{n[:-3]}_dec" in table.colnames]:
        ra, dec = table[f"{name}_ra"], table[f"{name}_dec"]
        if getattr(ra, "mask", None) is not None and np.any(ra.mask):
            continue  # positions that are missing stay plain columns
        match = _FRAME.search(getattr(ra.info, "description", None) or "")
        try:
            coords = SkyCoord(np.asarray(ra.value if hasattr(ra, "unit") and ra.unit else ra, float),
                              np.asarray(dec.value if hasattr(dec, "unit") and dec.unit else dec, float),
                              unit="deg", frame=match.group(1) if match else "icrs")
        except (ValueError, TypeError):  # not numbers, or not angles (a file edited or torn): left as they are
            continue
        index = table.colnames.index(f"{name}_ra")
        table.remove_columns([f"{name}_ra", f"{name}_dec"])
        table.add_column(coords, name=name, index=index)
    if "timestamp" in table.colnames and isinstance(table["timestamp"], Time):
        table["timestamp"].format = "isot"  # FITS gives it back as a JD: every format reads as the same Time
    elif "timestamp" in table.colnames and getattr(table["timestamp"], "dtype", None) is not None \
            and table["timestamp"].dtype.kind in "US":
        try:
            table["timestamp"] = Time([str(v) for v in table["timestamp"]], format="isot", scale="utc")
        except ValueError:
            pass  # not ours: left as text
    return table


def folder_for(path: Path) -> Path:
    """The folder a file is to be written in. A missing one, or a name the system refuses (too long, in a folder
    not open to us), is said before any work that would be lost."""
    try:
        if not path.parent.is_dir():
            raise PhotometryError(f"{path.parent}: no such directory")
        os.lstat(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise PhotometryError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    return path.parent


def write_table(table: QTable | None, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a table, in the format its extension names, atomically (write_atomically)."""
    if table is None or len(table) == 0:
        raise PhotometryError("there are no results to export yet")
    path = Path(path).expanduser()
    fmt = format_for(path)

    def write(tmp: str) -> None:
        with warnings.catch_warnings():
            # astropy warns that units such as electron/s are not FITS/VOTable standard; they still round-trip.
            warnings.simplefilter("ignore")
            writable(table, fmt).write(tmp, format=fmt, overwrite=True)

    return write_atomically(path, write, fmt, overwrite)


def write_atomically(path: Path, write, fmt: str, overwrite: bool = False) -> Path:
    """`write(name)` into a temporary file in the same directory, then a rename onto `path`: a failure (a full
    disk, a value the format cannot hold) leaves no half-written file and an existing one as it was. `fmt` names
    the format in the message of such a failure."""
    folder = folder_for(path)
    if path.is_dir():
        raise PhotometryError(f"{path}: is a directory")
    if path.exists() and not overwrite:
        raise PhotometryError(f"{path}: file exists (choose overwrite to replace it)")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=folder)
    except OSError as exc:
        raise PhotometryError(f"{folder}: cannot write here ({exc.strerror})") from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the result should look like any new file
        write(tmp)
        os.replace(tmp, path)
    except Exception as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise PhotometryError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise PhotometryError(f"{path}: cannot write as {fmt} ({exc})") from None
    return path
