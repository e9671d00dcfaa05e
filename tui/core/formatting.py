"""Result values as text, the way the reference plugin shows them (shared by the app and the batch command)."""

from __future__ import annotations

import math
import re

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable, vstack
from astropy.time import Time
from rich.cells import cell_len

# The result panel, photometry first so it shows without scrolling at 80x24; then the reference's other columns.
RESULT_FIELDS = (
    "aperture_sum", "snr", "aperture_sum_counts", "aperture_sum_mag", "npix", "npix_bad", "background",
    "background_npix", "pixarea_tot", "counts_fac", "flux_scaling", "xcenter", "ycenter", "sky_center", "mean",
    "stddev", "median", "min", "max",
)
# The current Imviz plugin's extra columns, under headings of their own (a heading line, then its fields):
# (heading, its fields, what one line says instead when every one of them is NaN).
RESULT_SECTIONS = (("robust", ("mode", "mad_std", "var", "biweight_location", "biweight_midvariance"),
                    "no usable pixel centred inside"),
                   ("shape", ("fwhm", "semimajor_axis", "semiminor_axis", "orientation", "eccentricity"),
                    "the moments describe no shape"))  # net negative flux, or no usable pixel
# The columns a narrow results table shows first; the rest follow, reached by scrolling.
TABLE_FIRST = ("id", "data_label", "subset_label", "aperture_sum", "aperture_sum_err", "aperture_sum_mag", "npix",
               "npix_bad")
# Shown after the value they qualify ("1.3566e-11 ± 2.1e-13 MJy"), not as lines of their own.
ERROR_OF = {"aperture_sum": "aperture_sum_err", "aperture_sum_counts": "aperture_sum_counts_err",
            "background": "background_err"}
# Magnitudes as astronomers read them (21.069), never in scientific notation.
FORMATS = {"npix": ".1f", "xcenter": ".2f", "ycenter": ".2f", "snr": ".1f", "aperture_sum_mag": ".3f",
           "fwhm": ".3f", "semimajor_axis": ".3f", "semiminor_axis": ".3f", "orientation": ".2f",
           "eccentricity": ".3f"}


# Characters that act on a terminal or hide and reorder text: C0 controls, DEL, C1 controls (Cc), Unicode format
# characters such as bidi overrides and isolates, zero-width spaces and joiners, the BOM and tag characters (Cf),
# line and paragraph separators (Zl, Zp) and lone surrogates (Cs). A test checks this set against unicodedata.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\ud800-\udfff]"
)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe_text(text, keep_newlines: bool = False) -> str:
    """Text from a file, a header or typing, made safe to show on a terminal: every control or invisible
    formatting character becomes a visible escape (ESC -> \\x1b, RLO -> \\u202e); everything else is kept
    (`Étoile ★ α`). `keep_newlines` leaves line breaks of our own multi-line messages."""
    text = str(text)
    if text.isprintable():  # Python calls every character _UNSAFE matches unprintable: nothing to escape
        return text
    if keep_newlines:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in text.split("\n"))
    return _UNSAFE.sub(_escape, text)


def unit_text(unit) -> str:
    """Compact: 'MJy/sr', 'electron/(ct s)', so values fit a narrow panel without wrapping."""
    if unit is None or unit == u.dimensionless_unscaled:
        return ""
    return unit.to_string().replace(" / ", "/")


def counted(n: int, noun: str) -> str:
    """'1 row', '2 rows', '1,200 rows': a count and its noun, in the plural unless it is one."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def number(value: float, fmt: str = ".4e") -> str:
    return "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


NO_SKY = "none"  # a centre the WCS puts on no sky: off an all-sky map's projection, or behind a TAN's tangent point


def sky_text(coord: SkyCoord) -> str:
    sph = coord.icrs.spherical if coord.frame.name not in ("icrs", "fk5") else coord.spherical
    lon, lat = float(sph.lon.deg), float(sph.lat.deg)
    return f"{lon:.6f} {lat:+.6f}" if math.isfinite(lon) and math.isfinite(lat) else NO_SKY


def value_text(name: str, value, with_unit: bool = True) -> str:
    """One value as text; None as an empty string."""
    if value is None:
        return ""
    if isinstance(value, SkyCoord):
        return sky_text(value)
    if isinstance(value, Time):
        return (value if value.scale == "utc" else value.utc).iso[:19]
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, (int, np.integer)) or name == "id":
        return str(int(value))
    fmt = FORMATS.get(name, ".4e")
    if isinstance(value, u.Quantity):
        text = number(float(value.value), fmt)
        if not with_unit:
            return text  # unit_text costs an astropy unit comparison: tables put units in their headers
        unit = unit_text(value.unit)
        return f"{text} {unit}" if unit else text
    return number(float(value), fmt)


def column_texts(name: str, values: list) -> list[str]:
    """value_text of each value of one column (plain numbers, ints or text; the units are in its title), with the
    kind of value looked at once rather than per cell: a 10^5-row table prints in a fraction of a second."""
    if values and isinstance(values[0], str):
        return [safe_text(v) for v in values]
    if values and (isinstance(values[0], (int, np.integer)) or name == "id"):
        return [str(int(v)) for v in values]
    if values and isinstance(values[0], float):
        fmt = FORMATS.get(name, ".4e")
        return [number(v, fmt) for v in values]
    return [value_text(name, v, with_unit=False) for v in values]


def _plain(value) -> float:
    return float(value.value if isinstance(value, u.Quantity) else value)


def with_error(value, err) -> str:
    """'1.3566e-11 ± 2.1e-13 MJy'; the error is left out when it is unknown (NaN)."""
    text = number(_plain(value))
    if err is not None and math.isfinite(_plain(err)):
        text += f" ± {number(_plain(err), '.2g')}"  # two significant digits: an error's own precision
    unit = unit_text(value.unit) if isinstance(value, u.Quantity) else ""
    return f"{text} {unit}" if unit else text


def result_lines(row: dict) -> list[tuple[str, str | None]]:
    """(name, text) pairs for the result panel, skipping columns that do not apply (None) or say nothing
    (an unknown SNR, no bad pixels); then each section of RESULT_SECTIONS as (heading, None) and its fields, or
    one line saying why there are none when all are NaN."""
    lines = []
    for name in RESULT_FIELDS:
        value = row.get(name)
        if value is None or (name == "snr" and math.isnan(value)) or (name in ("npix_bad", "background_npix")
                                                                         and not value):
            continue
        if name in ERROR_OF:
            text = with_error(value, row.get(ERROR_OF[name]))
        elif name == "sky_center":
            text = value_text(name, value)
            text = "none: the WCS puts this centre on no sky" if text == NO_SKY else \
                f"RA {text.replace(' ', ', Dec ')} deg"
        elif name == "background_npix":
            text = f"{value} ({row['background_stat']})"
        else:
            text = value_text(name, value)
        lines.append((name, text))
    for heading, names, when_none in RESULT_SECTIONS:
        present = [name for name in names if row.get(name) is not None]
        if present:
            lines.append((heading, None))
            if all(math.isnan(_plain(row[name])) for name in present):
                lines.append(("none", when_none))
            else:
                lines += [(name, value_text(name, row[name])) for name in present]
    return lines


def column_order(row: dict) -> list[str]:
    """Columns for a results view: the readable ones first, columns that do not apply (None) left out."""
    rest = [name for name in row if name not in TABLE_FIRST]
    return [name for name in (*TABLE_FIRST, *rest) if name in row and row[name] is not None]


def column_title(name: str, sample) -> str:
    unit = unit_text(sample.unit) if isinstance(sample, u.Quantity) else ""
    return f"{name} [{unit}]" if unit else name


def glimpse(most: int) -> tuple[int, int]:
    """How many first and last rows a table longer than `most` rows shows of itself."""
    tail = min(5, most // 4)
    return most - tail, tail


def padded(text: str, width: int, right: bool = False) -> str:
    """The text and spaces to fill `width` terminal cells (a CJK character takes two, an accent typed after its
    letter none); `right`: the spaces first."""
    room = " " * max(width - cell_len(text), 0)
    return room + text if right else text + room


def summary(table: QTable, most: int | None = None, total: int | None = None) -> str:
    """A plain-text table of the main columns, for the terminal; with `most`, a longer table shows its first and
    last rows (glimpse) around a line that says how many are left out. `total`: how many rows there are when
    `table` holds only those ends (Session.results_ends)."""
    total = len(table) if total is None else total
    left_out = 0
    if most is not None and total > most:
        head, tail = glimpse(most)
        left_out = total - most
        if len(table) > most:
            table = vstack([table[:head], table[len(table) - tail:]], join_type="exact")
    names = [n for n in ("id", "data_label", "subset_label", "xcenter", "ycenter", "npix", "npix_bad",
                         "aperture_sum", "aperture_sum_err", "aperture_sum_counts", "aperture_sum_mag")
             if n in table.colnames]
    first = {n: table[n][0] for n in names}
    names = [n for n in names if first[n] is not None]
    header = [column_title(n, first[n]) for n in names]
    # Plain values column by column (the units are in the header): no Quantity per cell.
    columns = [table[n].value.tolist() if isinstance(table[n], u.Quantity) else list(table[n]) for n in names]
    body = list(zip(*(column_texts(n, values) for n, values in zip(names, columns))))
    widths = [max(len(h), *(cell_len(b[i]) for b in body)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(padded(c, w, right=i not in (1, 2)) for i, (c, w) in enumerate(zip(b, widths)))
              for b in body]
    if left_out:
        lines.insert(len(lines) - tail, f"... {left_out:,} more rows ...")
    return "\n".join(lines)
