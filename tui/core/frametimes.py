"""When a frame was taken, from its headers: mid-exposure JD (UTC), BJD_TDB and airmass.

The keyword chains are those JWST, HST and ground software write (shared/spec/TIMESERIES.md):
- a JWST time-series cube's INT_TIMES table, one row per integration (its BJD columns are BJD_TDB - 2400000.5);
- HST (and JWST 2-D files): (EXPSTART + EXPEND) / 2, both MJD UTC; not EXPSTART + EXPTIME / 2, which is wrong for
  interrupted exposures;
- FITS 4.0's mid-exposure MJD-AVG or DATE-AVG;
- otherwise the start, DATE-OBS (with TIME-OBS or UT when it holds a date only), MJD-OBS or JD (a date alone is
  midnight only when neither is given), plus half of EXPTIME, EXPOSURE or EFFINTTM, as AstroImageJ does (EXOTIC
  adds it only when a comment says "start", and so stamps most frames half an exposure early), unless the comment
  of the keyword that holds the time of day calls it the middle.
A plane of a cube without INT_TIMES (a ground camera's burst, an EMCCD or sCMOS cube) is its place in the cube
after the start: EXPSTART..EXPEND cut into its NINTS integrations, else the start plus the plane's number of
cycles (Andor's KCT, the kinetic cycle time; the FITS TIMEDEL, in TIMEUNIT), else of exposures, back to back.
Each frame says which keywords its time came from.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from tui.core.errors import PhotometryError
from tui.core.headers import comment, finite, keyword, unreadable

MJD_ZERO = 2400000.5
EXPOSURE_KEYWORDS = ("EXPTIME", "EXPOSURE", "EFFINTTM")
LOOKED_FOR = "INT_TIMES, EXPSTART+EXPEND, MJD-AVG, DATE-AVG, DATE-OBS (+TIME-OBS/UT), MJD-OBS, JD"
TIME_KEYWORDS = ("EXPSTART", "EXPEND", "MJD-AVG", "DATE-AVG", "DATE-OBS", "TIME-OBS", "UT", "MJD-OBS", "JD")


@dataclass(frozen=True)
class FrameTime:
    jd_utc: float  # mid-exposure, Julian date, UTC
    source: str  # which keywords it came from
    bjd_tdb: float = math.nan  # the pipeline's own, when it gives one (JWST INT_TIMES)


def _timesys(headers) -> str:
    system = str(keyword(headers, "TIMESYS") or "UTC").strip().lower()
    return system if system in ("utc", "tt", "tdb", "tai") else "utc"


# The years a frame can have been taken in: the first astronomical photographs are from the 1840s, and a date
# beyond 2200 is a placeholder or a number in the wrong unit. ERFA refuses some dates outside them (the year
# 13,000,000 of an MJD-AVG of 5e9), and calls times before 1960 or far ahead dubious.
EARLIEST, LATEST = 2378496.5, 2524593.5  # JD of 1800-01-01 and 2200-01-01
UTC_FROM = 2436934.5  # JD of 1960-01-01: before it UTC had no defined offset from atomic time


@contextmanager
def erfa_quiet():
    """ERFA's "dubious year" said in words by whoever needs it (Series' note on frames before 1960), not printed
    as a Python warning: beyond its leap-second table (2029 on with pyerfa 2.0.1.5) it says so of every date."""
    from erfa import ErfaWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ErfaWarning)
        warnings.filterwarnings("error", ".*after end of day", ErfaWarning)  # checked first: filters go in front
        yield


@functools.lru_cache(maxsize=256)  # a cube's planes share their start: 10,000 planes, one astropy Time
def _to_utc_jd(value, fmt: str, scale: str) -> float:
    from astropy.time import Time
    from erfa import ErfaWarning

    try:
        with erfa_quiet():
            t = Time(value, format=fmt, scale=scale)
            return float(t.utc.jd) if scale != "utc" else float(t.jd)
    except ErfaWarning:
        raise ValueError(f"{value}: second 60 of a minute without a leap second") from None


_OLD_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{2})$")  # DD/MM/YY, before the FITS Y2K agreement: 19YY
_SPACED = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}) +(\d)")  # Python's str(datetime): a space for the T


def _iso_text(value) -> str:
    """A header's date-time as ISO text, with the T where Python's str(datetime) writes a space."""
    return _SPACED.sub(r"\1T\2", str(value).strip())
_OFFSET = re.compile(r"^(.*T[0-9:.]+)(Z|[+-]\d{2}:?\d{2})$")  # ...+00:00 (datetime.isoformat()), -07:00, Z


def _utc_offset(text: str) -> tuple[str, float]:
    """An ISO date-time without its UTC offset, and the offset in minutes (local = UTC + offset)."""
    if not (match := _OFFSET.match(text)) or match[2] == "Z":
        return (match[1] if match else text), 0.0
    digits = match[2][1:].replace(":", "")
    return match[1], (1 if match[2][0] == "+" else -1) * (int(digits[:2]) * 60 + int(digits[2:]))


def _iso_start(headers, midnight: bool = False) -> tuple[str, str] | None:
    """(ISO date-time of the start, the keywords used), from DATE-OBS and, for a date alone, TIME-OBS or UT; a
    date alone with neither is midnight only when `midnight` (MJD-OBS or JD, when given, tell the time)."""
    date = keyword(headers, "DATE-OBS")
    if date is None:
        return None
    date = _iso_text(date)
    if match := _OLD_DATE.match(date):
        day, month, year = match.groups()
        date = f"19{year}-{month}-{day}"
    if "T" in date:
        return date, "DATE-OBS"
    for name in ("TIME-OBS", "UT"):
        time_of_day = keyword(headers, name)
        if time_of_day is not None:
            return f"{date}T{str(time_of_day).strip()}", f"DATE-OBS+{name}"
    return (f"{date}T00:00:00", "DATE-OBS (a date alone: midnight)") if midnight else None


def _iso_jd(text: str, scale: str) -> tuple[float, str]:
    """The UTC Julian date of an ISO date-time in `scale`, with a UTC offset taken off (and words saying so)."""
    bare, minutes = _utc_offset(text)
    jd = _to_utc_jd(bare, "isot" if "T" in bare else "iso", scale) - minutes / 1440.0
    return jd, (f" (its UTC offset {text[len(bare):]} taken off)" if minutes else "")


def _mid_keyword(headers, scale) -> FrameTime | None:
    """FITS 4.0's mid-exposure keywords: MJD-AVG, DATE-AVG."""
    if (mjd := finite(keyword(headers, "MJD-AVG"))) is not None:
        return FrameTime(_to_utc_jd(mjd, "mjd", scale), "MJD-AVG")
    if (date := keyword(headers, "DATE-AVG")) is not None and "T" in (text := _iso_text(date)):
        jd, taken_off = _iso_jd(text, scale)
        return FrameTime(jd, f"DATE-AVG{taken_off}")
    return None


_MID = re.compile(r"\bmid|\bcent(?:er|re)\b")


def _says_mid(headers, names) -> bool:
    """Whether the time keywords' comments call them mid-exposure (MJD-OBS is the start "not always; check the
    comment"), and not the start."""
    text = " ".join(comment(headers, name) for name in names).lower()
    return bool(_MID.search(text)) and not re.search(r"\bstart|\bbegin|\bopen|night", text)  # "middle of night"


def exposure_seconds(headers) -> tuple[float | None, str | None]:
    for name in EXPOSURE_KEYWORDS:
        value = finite(keyword(headers, name))
        if value is not None and value >= 0:
            return value, name
    return None, None


BACK_TO_BACK = "back to back"  # in the source of a cube plane's time when nothing gave the cadence


def cycle_seconds(headers) -> tuple[float | None, str | None]:
    """The time from one plane of a cube to the next, in seconds: Andor's KCT, else TIMEDEL in TIMEUNIT."""
    if (kct := finite(keyword(headers, "KCT"))) is not None and kct > 0:
        return kct, "KCT"
    if (step := finite(keyword(headers, "TIMEDEL"))) is not None and step > 0:
        import astropy.units as u

        try:
            return step * u.Unit(str(keyword(headers, "TIMEUNIT") or "s").strip()).to(u.s), "TIMEDEL"
        except (ValueError, TypeError, u.UnitConversionError):
            return None, None
    return None, None


def frame_time(header, primary=None, int_times_row=None, label: str = "frame", plane: int | None = None,
               planes: int = 1) -> FrameTime:
    """The mid-exposure time of a frame, or of `plane` (0-based) of a cube of `planes`; raises PhotometryError
    naming the frame and the keywords looked for, or the time found when it is no year a frame was taken in."""
    found = _frame_time(header, primary, int_times_row, label, plane, planes)
    jd = found.jd_utc
    if not EARLIEST <= jd <= LATEST and not math.isnan(jd):  # NaN: INT_TIMES without this integration's time
        year = 2000.0 + (jd - 2451545.0) / 365.25
        when = f"JD {jd:.10g}" + (f" (about the year {year:.0f})" if abs(year) < 1e6 else "")
        raise PhotometryError(f"{label}: its time, {when}, is not when a frame was taken (1800 to 2200); it came "
                              f"from {found.source}")
    return found


def _frame_time(header, primary, int_times_row, label: str, plane: int | None, planes: int) -> FrameTime:
    if int_times_row is not None:
        mjd_mid, bjd_mid, number = int_times_row
        if math.isnan(mjd_mid):
            return FrameTime(math.nan, f"{label}: its INT_TIMES gives no int_mid_MJD_UTC for integration {number}")
        return FrameTime(mjd_mid + MJD_ZERO, f"INT_TIMES int_mid_MJD_UTC (integration {number})",
                         bjd_mid + MJD_ZERO if math.isfinite(bjd_mid) else math.nan)
    headers = (header, primary)
    start, end = finite(keyword(headers, "EXPSTART")), finite(keyword(headers, "EXPEND"))
    if start is not None and end is not None and end >= start:
        if plane is None:
            return FrameTime((start + end) / 2 + MJD_ZERO, "(EXPSTART+EXPEND)/2")
        # the exposure holds NINTS integrations, of which a segment file's planes start at INTSTART
        total = int(finite(keyword(headers, "NINTS")) or planes)
        number = int(finite(keyword(headers, "INTSTART")) or 1) + plane
        if 1 <= number <= total:
            return FrameTime(start + (number - 0.5) * (end - start) / total + MJD_ZERO,
                             f"EXPSTART..EXPEND in {total} equal integrations (integration {number})")
    scale = _timesys(headers)
    found = None
    try:
        if plane is None and (mid := _mid_keyword(headers, scale)) is not None:
            return mid
        if iso := _iso_start(headers):
            jd, taken_off = _iso_jd(iso[0], scale)
            found = (jd, iso[1] + taken_off, iso[1].split("+")[-1:])  # the keyword that holds the time of day
        elif (mjd := finite(keyword(headers, "MJD-OBS"))) is not None:
            found = (_to_utc_jd(mjd, "mjd", scale), "MJD-OBS", ["MJD-OBS"])
        elif (jd := finite(keyword(headers, "JD"))) is not None:
            found = (_to_utc_jd(jd, "jd", scale), "JD", ["JD"])
        elif iso := _iso_start(headers, midnight=True):
            found = (_iso_jd(iso[0], scale)[0], iso[1], ["DATE-OBS"])
    except ValueError as exc:
        raise PhotometryError(f"{label}: its time keywords cannot be read ({str(exc).splitlines()[0][:80]})") \
            from None
    if found is None:
        bad = unreadable(headers, TIME_KEYWORDS)
        raise PhotometryError(f"{label}: no time found (looked for {LOOKED_FOR}" +
                              (f"; {', '.join(bad)} not readable: not in FITS form" if bad else "") + ")")
    jd, source, names = found
    if plane is None and _says_mid(headers, names):
        return FrameTime(jd, f"{source} (mid-exposure, as its comment says)")
    exposure, exposure_name = exposure_seconds(headers)
    if plane is not None:
        cycle, cycle_name = cycle_seconds(headers)
        if cycle is None and exposure is not None:
            cycle, cycle_name = exposure, f"{exposure_name} ({BACK_TO_BACK}: no KCT or TIMEDEL)"
        if cycle is None:
            raise PhotometryError(f"{label}: no time of its own: its cube has no INT_TIMES, no cycle time (KCT, "
                                  f"TIMEDEL) and no exposure time ({'/'.join(EXPOSURE_KEYWORDS)}) to step from the "
                                  f"start")
        jd += plane * cycle / 86400.0
        source = f"{source} + {plane} x {cycle_name}"
    if exposure is None:
        return FrameTime(jd, f"{source} (no EXPTIME/EXPOSURE/EFFINTTM: the start)")
    return FrameTime(jd + exposure / 2 / 86400.0, f"{source} + {exposure_name}/2")


def int_times_rows(hdul, planes: int) -> list[tuple[float, float, int]] | None:
    """(int_mid_MJD_UTC, int_mid_BJD_TDB, integration number) for each plane of a JWST cube, or None.

    A segment file (`_segNNN_`) holds planes INTSTART..INTEND; its INT_TIMES may hold more rows, so plane k is the
    row whose integration_number is INTSTART + k (jwst's own rule)."""
    if "INT_TIMES" not in hdul:
        return None
    table = hdul["INT_TIMES"].data
    names = {name.lower(): name for name in table.columns.names}
    if "int_mid_mjd_utc" not in names:
        return None
    numbers = np.asarray(table[names["integration_number"]]) if "integration_number" in names \
        else np.arange(1, len(table) + 1)
    mjd = np.asarray(table[names["int_mid_mjd_utc"]], dtype=float)
    bjd = np.asarray(table[names["int_mid_bjd_tdb"]], dtype=float) if "int_mid_bjd_tdb" in names \
        else np.full(len(table), math.nan)
    start = int(finite(keyword((hdul[0].header,), "INTSTART")) or 1)
    rows = {int(n): k for k, n in enumerate(numbers.tolist())}
    out = []
    for plane in range(planes):
        k = rows.get(start + plane)
        if k is None:
            return None
        out.append((float(mjd[k]), float(bjd[k]), start + plane))
    return out


# -- where the observer is, where the target is ---------------------------------------------------------------
def _angle(value, hours: bool = False) -> float | None:
    """Degrees from a number or a sexagesimal string ('12:34:56.7', '12 34 56.7', '-05:06:07')."""
    if (number := finite(value)) is not None:
        return number * (15.0 if hours else 1.0)
    if value is None:
        return None
    from astropy.coordinates import Angle

    try:
        return float(Angle(str(value).strip().replace(" ", ":"), unit="hourangle" if hours else "deg").deg)
    except (ValueError, TypeError):
        return None


def header_site(headers) -> tuple[float, float, float] | None:
    """(latitude, longitude east-positive, height m) from SITELAT/SITELONG/SITEELEV (or LATITUDE/LONGITUD)."""
    lat = _angle(keyword(headers, "SITELAT") or keyword(headers, "LATITUDE"))
    lon = _angle(keyword(headers, "SITELONG") or keyword(headers, "LONGITUD"))
    if lat is None or lon is None:
        return None
    height = finite(keyword(headers, "SITEELEV") or keyword(headers, "ALTITUDE")) or 0.0
    return lat, lon, height


def header_target(headers):
    """The target's ICRS position from RA/DEC (hours if sexagesimal), OBJCTRA/OBJCTDEC or RA_OBJ/DEC_OBJ."""
    from astropy.coordinates import SkyCoord

    for ra_name, dec_name in (("RA_OBJ", "DEC_OBJ"), ("OBJCTRA", "OBJCTDEC"), ("RA", "DEC")):
        ra, dec = keyword(headers, ra_name), keyword(headers, dec_name)
        if ra is None or dec is None:
            continue
        sexagesimal = isinstance(ra, str) and finite(ra) is None
        ra_deg, dec_deg = _angle(ra, hours=sexagesimal), _angle(dec)
        if ra_deg is not None and dec_deg is not None and -90 <= dec_deg <= 90:
            return SkyCoord(ra_deg, dec_deg, unit="deg", frame="icrs"), f"{ra_name}/{dec_name}"
    return None


def _site_vectors(site):
    """(longitude, latitude in radians, height m, ITRS position m) of a site; the geocentre for None."""
    import erfa

    if site is None:
        return 0.0, 0.0, 0.0, np.zeros(3)
    lat, lon, height = (float(v) for v in site)
    elong, phi = math.radians(lon), math.radians(lat)
    return elong, phi, height, np.asarray(erfa.gd2gc(1, elong, phi, height))


GRID = 0.002  # days (3 minutes): dense sequences interpolate the correction between these, off by under 0.2 us


@erfa_quiet()
def barycentric(jd_utc: np.ndarray, target, site: tuple[float, float, float] | None) -> np.ndarray:
    """BJD_TDB of mid-exposure UTC Julian dates toward a target, seen from a site (else the geocentre).

    Frames closer together than GRID (10,000 over a few nights) get the correction worked out every GRID and
    interpolated: it varies over a day (the site's turn) and a year, so the straight line between points 3 minutes
    apart is off by under 0.2 us, far below what a float64 Julian date resolves (40 us), at a fraction of the
    cost (10,000 frames: 0.9 s exact)."""
    jd = np.asarray(jd_utc, dtype=float)
    known = np.isfinite(jd)
    if known.sum() > 256:
        low, high = float(jd[known].min()), float(jd[known].max())
        points = int(math.ceil((high - low) / GRID)) + 1
        if points < known.sum() // 2:
            grid = np.linspace(low, high, max(points, 2))
            out = np.full(jd.shape, np.nan)
            out[known] = jd[known] + np.interp(jd[known], grid, _barycentric(grid, target, site) - grid)
            return out
    return _barycentric(jd, target, site)


def _barycentric(jd_utc: np.ndarray, target, site: tuple[float, float, float] | None) -> np.ndarray:
    """BJD_TDB of mid-exposure UTC Julian dates, each worked out.

    As astropy's Time.tdb + light_travel_time(kind="barycentric") computes it (the Roemer delay toward the target
    from the observer's barycentric position, epv00 for the Earth), through ERFA directly: the site is turned from
    the terrestrial frame with UT1 = UTC and no polar motion, which moves it by under a kilometre (3 us of light
    time) and needs no IERS table, so nothing is downloaded or parsed (a second of start-up) and dates beyond the
    installed tables work the same. tests/core/test_series.py checks it against astropy to 5 us."""
    import erfa

    jd = np.asarray(jd_utc, dtype=float)
    utc1, utc2 = np.floor(jd - 0.5) + 0.5, jd - (np.floor(jd - 0.5) + 0.5)
    tai1, tai2 = erfa.utctai(utc1, utc2)
    tt1, tt2 = erfa.taitt(tai1, tai2)
    elong, phi, height, itrs = _site_vectors(site)
    u_km, v_km = math.hypot(itrs[0], itrs[1]) / 1000.0, itrs[2] / 1000.0
    tdb2 = tt2 + erfa.dtdb(tt1, tt2, np.mod(utc2 + 0.5, 1.0), elong, u_km, v_km) / 86400.0
    _, bary = erfa.epv00(tt1, tdb2)  # barycentric Earth (AU, AU/d); TT for TDB: a 2 ms slip moves it by 60 m
    earth = bary["p"] * erfa.DAU
    c2t = erfa.c2t06a(tt1, tt2, utc1, utc2, 0.0, 0.0)
    observer = earth + np.einsum("nji,j->ni", c2t, itrs)  # c2t transposed: terrestrial to celestial
    icrs = target.icrs
    direction = np.array(erfa.s2c(icrs.ra.rad, icrs.dec.rad))
    delay = observer @ direction / erfa.CMPS
    return tt1 + tdb2 + delay / 86400.0


@erfa_quiet()
def airmass(jd_utc: np.ndarray, target, site: tuple[float, float, float]) -> np.ndarray:
    """Airmass by AstroImageJ's formula (Snell & Heiser 1968, as in skycalc): with s = sec z,
    X = s - sum c_i (s - 1)^(i+1); NaN below the horizon. The zenith distance is ERFA's atco13 without refraction
    (UT1 = UTC, no polar motion: no IERS table needed)."""
    import erfa

    jd = np.asarray(jd_utc, dtype=float)
    utc1, utc2 = np.floor(jd - 0.5) + 0.5, jd - (np.floor(jd - 0.5) + 0.5)
    elong, phi, height, _ = _site_vectors(site)
    icrs = target.icrs
    zenith = erfa.atco13(icrs.ra.rad, icrs.dec.rad, 0.0, 0.0, 0.0, 0.0, utc1, utc2, 0.0, elong, phi, height,
                         0.0, 0.0, 0.0, 0.0, 0.0, 0.0)[1]
    altitude = np.pi / 2 - zenith
    with np.errstate(divide="ignore", invalid="ignore"):
        s = 1.0 / np.sin(altitude)
        c = (2.879465e-3, 3.033104e-3, 1.351167e-3, -4.716679e-5)
        x = s - sum(ci * (s - 1.0) ** (i + 1) for i, ci in enumerate(c))
        x = np.where(s > 12, s - 1.5, x)
    return np.where(altitude > 0, x, np.nan)
