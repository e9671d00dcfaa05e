"""Loading FITS files, HDUs and arrays into one image type."""

from __future__ import annotations

import os
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.io.fits.verify import VerifyError, VerifyWarning
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS, FITSFixedWarning
from astropy.wcs.utils import wcs_to_celestial_frame

from tui.core import headers, quality
from tui.core.errors import PhotometryError
from tui.core.quality import DataQuality, Uncertainty
from tui.filekinds import not_a_file, not_a_plain_file

# BUNIT spellings used by HST pipelines that astropy's parser does not know.
_UNIT_ALIASES = {
    "ELECTRONS": "electron",
    "ELECTRONS/S": "electron/s",
    "ELECTRONS/SEC": "electron/s",
    "COUNTS": "count",
    "COUNTS/S": "count/s",
    "COUNTS/SEC": "count/s",
    "ADU": "adu",  # astropy knows adu in lower case only
    "ADU/S": "adu/s",
    "E-": "electron",
    "E-/S": "electron/s",
    "E/S": "electron/s",
}
_SKY_AXIS = re.compile(r"^(RA|DEC|GLON|GLAT|ELON|ELAT)-", re.IGNORECASE)  # a celestial CTYPE
_AMPERE = re.compile(r"(?<![A-Za-z])A(?![A-Za-z])")
_LTM = ("LTM1_1", "LTM2_2", "LTM1_2", "LTM2_1", "LTV1", "LTV2")
_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fz", ".gz", ".bz2")
# file.fits[SCI,2], file.fits[1], and a plane of a cube: file.fits[SCI,1][0]
_SELECTION = re.compile(r"^(?P<path>.+?)\[(?P<ext>[^\[\]]+)\](?:\[(?P<plane>\d+)\])?$")


@dataclass
class Image:
    """A 2-D image with what photometry needs from its file."""

    data: np.ndarray
    label: str
    unit: u.UnitBase | None = None
    wcs: WCS | None = None  # celestial WCS only, or None
    header: fits.Header = field(default_factory=fits.Header)
    primary_header: fits.Header = field(default_factory=fits.Header)
    notes: list[str] = field(default_factory=list)  # things the user should be told about loading
    source: str = ""  # the file, extension and plane read (file.fits[2][0]), for telling one opened twice
    plane: int | None = None  # the plane of a cube this image is (one integration of a _calints), else None
    uncertainty: "Uncertainty | None" = None  # per-pixel sigma (ERR, or VAR_* summed)
    dq: "DataQuality | None" = None  # data-quality flags; which ones are bad is chosen at measurement
    mask: np.ndarray | None = None  # bad pixels given through the API (True = bad)

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape

    def keyword(self, name: str):
        """A header keyword from the image's own header first, then the primary header."""
        return headers.keyword((self.header, self.primary_header), name)

    @cached_property
    def ltm(self) -> tuple[float, ...]:
        """IRAF's LTM1_1, LTM2_2, LTM1_2, LTM2_1, LTV1 and LTV2, which place DS9's physical pixels on this image
        (physical.py), the identity where they are absent or unreadable: read once, not for each region."""
        return tuple(default if (value := headers.finite(self.keyword(name))) is None else value
                     for name, default in zip(_LTM, (1.0, 1.0, 0.0, 0.0, 0.0, 0.0)))


def plain_unit(text: str) -> u.UnitBase:
    """astropy's unit for the text; a ValueError for what is no unit of numbers (a comma makes a structured unit,
    of records: a BUNIT of "MJy, sr")."""
    unit = u.Unit(text, parse_strict="raise")
    if not isinstance(unit, u.UnitBase):
        raise ValueError(f"{text!r} is a unit of records, not of numbers")
    return unit


def parse_unit(text: str | None) -> tuple[u.UnitBase | None, str | None]:
    """(unit, problem): an unparseable unit gives (None, a message)."""
    if text is None or not str(text).strip():
        return None, None
    text = str(text).strip()
    text = _UNIT_ALIASES.get(text.upper(), text)
    try:
        with warnings.catch_warnings():  # "erg/s/cm2/A contains multiple slashes": parsed all the same
            warnings.simplefilter("ignore", u.UnitsWarning)
            unit = plain_unit(text)
            if u.A in unit.decompose().bases:  # "erg/s/cm2/A" (HST's FLAM) means Angstrom: no image is in amperes
                unit = plain_unit(_AMPERE.sub("Angstrom", text))
    except (ValueError, TypeError):
        return None, f"unit {text!r} could not be parsed; the image is treated as unitless"
    if unit == u.dimensionless_unscaled:
        return None, None
    problem = unusable(unit)
    return (None, f"{problem}; the image is treated as unitless") if problem else (unit, None)


def unusable(unit: u.UnitBase) -> str | None:
    """Why a unit cannot be an image's, or None: the variances are in its square, which a scale beyond 1e154 (or
    below 1e-154 and negative: zero) cannot have (a BUNIT of "1e300")."""
    try:
        unit**2
    except (OverflowError, ValueError):
        return f"unit {unit.to_string()!r} has a scale whose square is beyond floating point"
    return None


_CD = re.compile(r"^CD(\d+)_(\d+)$")


def zero_scale(header: fits.Header) -> bool:
    """Whether a celestial axis has no pixel scale: a CD matrix with its row all zero (or left out), or no CD and
    no CDELT. Such a header holds a pointing, or a pipeline's placeholder for a failed astrometric solution, yet
    wcslib makes the axis 1 degree a pixel (the FITS default, and cdfix's for a zero row): a pixel area of 13
    million arcsec^2, and sky regions a ten-thousandth of a pixel wide."""
    rows: dict[int, list] = {}
    for key in header:
        if match := _CD.match(key):
            rows.setdefault(int(match[1]), []).append(headers.finite(header[key]))
    sky_axes = [i for i in range(1, int(header.get("NAXIS", 2) or 2) + 1)
                if _SKY_AXIS.match(str(header.get(f"CTYPE{i}", "")))]
    if rows:
        return any(not any(rows.get(i, [])) for i in sky_axes)
    return any(not headers.finite(header.get(f"CDELT{i}")) for i in sky_axes)


def celestial_wcs(header: fits.Header) -> WCS | None:
    if zero_scale(header):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        warnings.simplefilter("ignore", VerifyWarning)  # a card astropy had to fix, outside the WCS or in it
        try:
            wcs = WCS(header)
        except Exception:  # a broken WCS is as good as none for photometry
            return None
    if not wcs.has_celestial:
        return None
    celestial = wcs.celestial
    try:  # a frame astropy does not know (RADESYS 'FOO') gives angles, not sky positions: no use for regions
        wcs_to_celestial_frame(celestial)
    except ValueError:
        return None
    return celestial


def as_2d(data: np.ndarray, what: str, plane: int | None = None) -> np.ndarray:
    """Squeeze length-1 axes, or take one plane of a cube; refuse anything that is not then 2-D."""
    if data is None:
        raise PhotometryError(f"{what} holds no image data")
    if plane is not None and data.ndim == 3:
        if not 0 <= plane < data.shape[0]:
            raise PhotometryError(f"{what} has planes 0 to {data.shape[0] - 1}, not {plane}")
        data = data[plane]
    if data.ndim > 2:
        squeezed = np.squeeze(data)
        if squeezed.ndim != 2:
            how = ("name one of its planes (file.fits[EXT][N]), or follow stars over all of them with "
                   "'aperphot-tui series'") if data.ndim == 3 else "only 2-D images and 3-D cubes are read"
            raise PhotometryError(f"{what} is a {data.ndim}-D cube of shape {data.shape}: {how}")
        data = squeezed
    if data.ndim != 2:
        raise PhotometryError(f"{what} has shape {data.shape}; a 2-D image is needed")
    return data


def file_stem(path: Path) -> str:
    name = path.name
    while True:
        for suffix in _FITS_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
        else:
            return name


def folders_apart(files: dict[str, str]) -> dict[str, str]:
    """For files whose images would be labelled alike (night1/frame_0001.fits and night2/frame_0001.fits; `files`
    maps each path to what its labels begin with), the folders to put before their labels (night1/), as few as
    tell each apart, keyed by absolute path: rows, --resume and light curves know images by their labels.
    Nothing is opened."""
    alike: dict[str, set[str]] = {}
    for path, name in files.items():
        alike.setdefault(name, set()).add(os.path.abspath(path))
    out = {}
    for group in (sorted(paths) for paths in alike.values() if len(paths) > 1):
        parents = {path: Path(path).parent.parts for path in group}
        for path, parts in parents.items():
            out[path] = f"{Path(path).name}:"  # one folder (img.fits and img.fits.gz): the whole name
            for depth in range(1, len(parts) + 1):
                mine = parts[-depth:]
                if all(theirs[-depth:] != mine for other, theirs in parents.items() if other != path):
                    out[path] = "/".join(mine) + "/"
                    break
    return out


def file_part(name: str) -> str:
    """The file of an image named as typed (file.fits of file.fits[SCI,2], or of a source, file.fits[1][0])."""
    match = _SELECTION.match(name)
    return match["path"] if match and not os.path.exists(name) else name


def folders_of(names: list[str]) -> dict[str, str]:
    """folders_apart for images named as typed (night1/frame.fits, file.fits[SCI,2]): what goes before the label
    of each name whose label would be another file's."""
    files = {name: os.path.abspath(file_part(name)) for name in names}
    apart = folders_apart({file: file_stem(Path(file)) for file in files.values()})
    return {name: apart[file] for name, file in files.items() if file in apart}


def _is_image_hdu(hdu) -> bool:
    return isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) and hdu.header.get("NAXIS", 0) >= 2


def pick_hdu(hdul: fits.HDUList, ext: str | None = None):
    """The extension asked for (`SCI,2`, `SCI`, `1`), else the first SCI image, else the first image."""
    if ext is not None:
        name, _, ver = ext.partition(",")
        key = int(name) if name.strip().isdigit() and not ver else (name.strip(), int(ver) if ver else 1)
        try:
            hdu = hdul[key]
        except (KeyError, IndexError, ValueError):
            raise PhotometryError(f"no extension [{ext}] in this file{_images_in(hdul)}") from None
        if not _is_image_hdu(hdu):
            raise PhotometryError(f"extension [{ext}] holds no image{_images_in(hdul)}")
        return hdu
    images = measurable(hdul)
    if not images:
        raise PhotometryError("no image found in this FITS file (no HDU holds a 2-D array)")
    return images[0]


def _images_in(hdul: fits.HDUList, most: int = 8) -> str:
    """'; its images: [SCI,1], [SCI,2], ...' (what can be asked for instead), or '; it holds no image'."""
    found = [f"[{address(hdul, hdu)}]" for hdu in hdul if _is_image_hdu(hdu)]
    if not found:
        return "; it holds no image"
    more = f" and {len(found) - most} more" if len(found) > most else ""
    return f"; its images: {', '.join(found[:most])}{more}"


def measurable(hdul: fits.HDUList) -> list:
    """The images a file holds to measure: its SCI extensions (their ERR and DQ go with them), else every image
    HDU; the first is the one opened when no extension is named."""
    images = [hdu for hdu in hdul if _is_image_hdu(hdu)]
    return [hdu for hdu in images if hdu.name.upper() == "SCI"] or images


def _named_apart(hdul: fits.HDUList, hdu) -> bool:
    """Whether the HDU's EXTNAME and EXTVER tell it from the file's other HDUs (fpack names every HDU
    COMPRESSED_IMAGE)."""
    return bool(hdu.name) and sum((other.name, other.ver) == (hdu.name, hdu.ver) for other in hdul) == 1


def address(hdul: fits.HDUList, hdu) -> str:
    """What to write in file.fits[...] to open this HDU: SCI,2, or its number where its name does not tell it
    apart."""
    return f"{hdu.name},{hdu.ver}" if _named_apart(hdul, hdu) and hdu is not hdul[0] else str(hdul.index_of(hdu))


def from_hdu(hdu, stem: str, primary_header: fits.Header | None = None, plane: int | None = None,
             with_wcs: bool = True, index: int | None = None) -> Image:
    """An HDU (a plane of it for a cube) as an Image; `with_wcs=False` skips building the WCS (about 2 ms), for
    frames whose stars are placed in pixels. `index`: its number in the file, to label it by where its name does
    not tell it apart."""
    where = f"{hdu.name or 'PRIMARY'},{hdu.ver}" if index is None else str(index)
    label = f"{stem}[{where}]" + (f"[{plane}]" if plane is not None else "")
    raw = hdu.data
    data = as_2d(raw, label, plane)
    if not np.issubdtype(data.dtype, np.floating):
        # Scaled integers are scaled by astropy already; plain integers become floats so NaN and
        # background subtraction behave.
        data = data.astype(np.float64)
    header = hdu.header
    unit, problem = parse_unit(headers.keyword((header, primary_header), "BUNIT"))
    image = Image(
        data=data,
        label=label,
        unit=unit,
        wcs=celestial_wcs(header) if with_wcs else None,
        header=header,
        primary_header=primary_header if primary_header is not None else fits.Header(),
        plane=plane if raw.ndim == 3 else None,
    )
    if problem:
        image.notes.append(f"{label}: {problem}")
    ctype = str(headers.keyword((header,), "CTYPE1") or "")
    if with_wcs and image.wcs is None and _SKY_AXIS.match(ctype):
        why = "its WCS gives no pixel scale (no CDELT or CD, or zeros)" if zero_scale(header) else \
            f"its WCS cannot be read (CTYPE1 {ctype!r})"
        image.notes.append(f"{label}: {why}; sky regions cannot be placed on it")
    return image


def load_fits(path: str | Path) -> Image:
    """A FITS image; `file.fits[SCI,2]` picks an extension and `file.fits[1][0]` a plane of a cube."""
    path, ext, plane = Path(path), None, None
    if not os.path.exists(path) and (match := _SELECTION.match(str(path))):
        path, ext = Path(match["path"]), match["ext"]
        plane = int(match["plane"]) if match["plane"] is not None else None
    if not os.path.exists(path):  # nor a name the system cannot look up (too long, say): os.path never raises
        raise PhotometryError(f"{path}: no such file")
    if os.path.isdir(path):
        raise PhotometryError(f"{path}: {not_a_file(path)}")
    if why := not_a_plain_file(path):
        raise PhotometryError(f"{path}: {why}")
    try:
        return _read_image(path, ext, plane, memmap=True)
    except _Unmappable:
        # Scaled integers (BSCALE/BZERO/BLANK) cannot be memory-mapped: astropy must scale them in memory.
        return _read_image(path, ext, plane, memmap=False)


class _Unmappable(Exception):
    pass


def cut_short(path, hdu) -> str | None:
    """Why an HDU's pixels cannot be read when its file ends before they do (a copy or download that stopped):
    astropy's own error then only says that a buffer is too small."""
    try:
        info = hdu.fileinfo()
        expected, size = info["datLoc"] + info["datSpan"], os.path.getsize(path)
    except (OSError, TypeError, KeyError, AttributeError):
        return None
    return f"the file is cut short: {size:,} of its {expected:,} bytes" if size < expected else None


def unread(path, hdu, exc: Exception) -> str:
    """Why an image's pixels could not be read, in words."""
    return f"could not read the image ({cut_short(path, hdu) or why_unreadable(exc)})"


# What astropy raises for a file it cannot open as FITS: a KeyError when a header lost a NAXISn its data needs;
# VerifyError when a card the structure hangs on (EXTNAME) cannot be parsed.
UNREADABLE = (OSError, ValueError, TypeError, KeyError, VerifyError)


def why_unreadable(exc: Exception) -> str:
    """astropy's reason, in words: its first sentence (the rest is advice for programmers)."""
    if isinstance(exc, KeyError) and exc.args:
        return f"its header has no {exc.args[0]} keyword"
    return str(exc).split(". ")[0].split(", fix it")[0].rstrip(".")


@contextmanager
def truncation_unsaid():
    """astropy warns, once a file is opened, that it may have been truncated; reading its pixels then fails, and
    unread() says so in its place: one message, not a warning before it. A context, or a function's decorator."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "File may have been truncated", AstropyUserWarning)
        yield


@truncation_unsaid()
def _read_image(path: Path, ext: str | None, plane: int | None, memmap: bool) -> Image:
    try:
        # lazy_load_hdus=False reads every header now, so a truncated file fails here, not later.
        hdul = fits.open(path, memmap=memmap, lazy_load_hdus=False)
    except UNREADABLE as exc:
        raise PhotometryError(f"{path}: not a readable FITS file ({why_unreadable(exc)})") from None
    hdu = None
    try:
        hdu = pick_hdu(hdul, ext)
        image = from_hdu(hdu, file_stem(path), hdul[0].header, plane,
                         index=None if _named_apart(hdul, hdu) else hdul.index_of(hdu))
        quality.attach(image, path, hdu, plane)
        image.source = f"{path.resolve()}[{hdul.index_of(hdu)}]" + ("" if plane is None else f"[{plane}]")
        if ext is None and len(images := measurable(hdul)) > 1:  # Imviz says so too: the others are easily missed
            others = ", ".join(f"[{address(hdul, other)}]" for other in images[1:3]) + \
                (", ..." if len(images) > 3 else "")
            image.notes.append(f"{path.name} holds {len(images)} images: {image.label} is opened; name "
                               f"{path.name}[*] for all of them (or {others})")
        return image
    except PhotometryError as exc:  # named already when it starts with the image's label (file[SCI,1])
        named = str(exc).startswith(file_stem(path))
        raise PhotometryError(str(exc) if named else f"{path.name}: {exc}") from None
    except VerifyError as exc:
        raise PhotometryError(f"{path}: not a readable FITS file ({why_unreadable(exc)})") from None
    except UNREADABLE as exc:
        if memmap and "memory-mapped" in str(exc):
            raise _Unmappable() from None
        raise PhotometryError(f"{path}: {unread(path, hdu, exc)}") from None


def with_quality(image: Image, error=None, mask=None) -> Image:
    """Attach a sigma array and a bad-pixel mask given through the API (each the image's shape)."""
    for name, array in (("error", error), ("mask", mask)):
        if array is None:
            continue
        if isinstance(array, u.Quantity):
            array = array.to_value(image.unit) if image.unit is not None else array.value
        array = np.asanyarray(array)
        if array.shape != image.shape:
            raise PhotometryError(f"{image.label}: {name} has shape {array.shape}, the image {image.shape}")
        if name == "error":
            image.uncertainty = Uncertainty((array,), variances=False, source="error array")
        else:
            image.mask = array.astype(bool)
    return image


def from_array(data, label: str, unit=None, wcs=None, meta=None) -> Image:
    if isinstance(data, u.Quantity):
        if unit is None:
            unit = data.unit
        data = data.value
    data = np.asanyarray(data)
    if not np.issubdtype(data.dtype, np.number):
        raise PhotometryError(f"{label}: image data must be numeric, not {data.dtype}")
    data = as_2d(data, label)
    if not np.issubdtype(data.dtype, np.floating):
        data = data.astype(np.float64)
    if isinstance(unit, str):
        unit, problem = parse_unit(unit)
        if problem:
            raise PhotometryError(f"{label}: {problem}")
    elif unit is not None:
        unit = u.Unit(unit)
        if problem := unusable(unit):
            raise PhotometryError(f"{label}: {problem}")
    if wcs is not None:
        if not getattr(wcs, "has_celestial", False):
            wcs = None
        else:
            wcs = wcs.celestial
    header = fits.Header()
    for key, value in (meta or {}).items():
        try:
            header[key] = value
        except (ValueError, TypeError):
            continue  # metadata that cannot be a FITS card is not used for auto-fill anyway
    return Image(data=data, label=label, unit=unit, wcs=wcs, header=header)
