"""Per-pixel uncertainties and data-quality flags: where they come from in a file, and which pixels are bad.

Both stay memory-mapped and are read one cutout at a time, like the science array.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from astropy.io import fits

from tui.core.errors import PhotometryError

JWST_DO_NOT_USE = 1
# HST (ACS, WFC3, STIS) DQ bits that mark a pixel bad by default: every bit except 16 (hot) and 64 (warm), the
# pixels dark subtraction corrects. That is AstroDrizzle's default `final_bits="16,64"` for ACS/WFC and WFC3/UVIS.
HST_GOOD_BITS = 16 | 64
HST_BAD_FLAGS = 0xFFFF & ~HST_GOOD_BITS
ANY_FLAG = 0xFFFFFFFF  # a DQ array from another mission: any flag at all means bad
VARIANCE_EXTENSIONS = ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")


@dataclass
class Uncertainty:
    """Per-pixel sigma: one ERR array, or the sum of variance arrays."""

    arrays: tuple[np.ndarray, ...]
    variances: bool  # True: the arrays are variances to add; False: arrays[0] is sigma
    source: str  # "ERR,1" or "VAR_POISSON+VAR_RNOISE": what the user is told

    def variance(self, pick) -> np.ndarray:
        """The variance (float64) at the pixels `pick` selects from a 2-D array (a cutout, or a footprint's
        pixels): only those are read from the memory-mapped arrays."""
        if not self.variances:
            return np.square(pick(self.arrays[0]), dtype=np.float64)
        total = pick(self.arrays[0]).astype(np.float64)
        for array in self.arrays[1:]:
            total += pick(array)
        return total


@dataclass
class DataQuality:
    """A DQ array, with the sign-bit flip that turns FITS unsigned integers (BZERO = 2^(n-1)) stored as signed
    ones back into their bits, so the array can stay memory-mapped instead of being scaled in memory."""

    array: np.ndarray
    flip: int = 0
    source: str = "DQ"
    default_flags: int | None = None  # the telescope's default, looked up once (header lookups are not free)

    def flagged(self, pick, flags: int) -> np.ndarray:
        """True where any of `flags` is set, at the pixels `pick` selects from a 2-D array (see
        Uncertainty.variance); no widened copy of the DQ array."""
        raw = pick(self.array)
        unsigned = raw.view(raw.dtype.str.replace("i", "u"))  # same byte order; the bits, whatever the sign
        if self.flip:
            unsigned = unsigned ^ self.flip
        return (unsigned & (flags & ((1 << (8 * raw.dtype.itemsize)) - 1))) != 0


def default_dq_flags(telescope) -> int:
    """The flags that make a pixel bad unless the user chose others."""
    name = str(telescope or "").strip().upper()
    if name == "JWST":
        return JWST_DO_NOT_USE
    if name == "HST":
        return HST_BAD_FLAGS
    return ANY_FLAG


def parse_dq_flags(text) -> int | None:
    """'default' or '' -> None (per telescope); 'none' or '0' -> 0 (DQ ignored); '1,4,256', '260' or '0x104' -> bits.

    Raises PhotometryError with a message for the user.
    """
    if text is None:
        return None
    if isinstance(text, int):
        value = text
    else:
        words = [w for w in re.split(r"[\s,+|]+", str(text).strip().lower()) if w]
        if not words or words == ["default"]:
            return None
        if words == ["none"]:
            return 0
        value = 0
        for word in words:
            try:
                value |= int(word, 0)
            except ValueError:
                raise PhotometryError(
                    f"DQ flags: {word!r} is not a number (give flag values such as 1,4,256, 'default' or 'none')"
                ) from None
    if value < 0:
        raise PhotometryError(f"DQ flags: must not be negative (got {value})")
    return value


def describe_flags(flags: int | None) -> str:
    if flags is None:
        return "default (JWST: 1 DO_NOT_USE; HST: all but 16 and 64; other: any)"
    if flags == 0:
        return "none (DQ ignored)"
    return ",".join(str(1 << b) for b in range(flags.bit_length()) if flags >> b & 1)


def _sibling(hdul, name: str, ver: int, shape, plane, notes: list[str], label: str):
    """An extension beside SCI with the same EXTVER, as a 2-D array of SCI's shape, or None."""
    from tui.core.images import as_2d

    try:
        hdu = hdul[(name, ver)]
    except (KeyError, IndexError):
        return None, None
    try:
        data = as_2d(hdu.data, f"{name},{ver}", plane)
    except (PhotometryError, OSError, ValueError, TypeError):
        data = None
    if data is None or data.shape != shape:
        got = "no data" if data is None else f"shape {data.shape}"
        notes.append(f"{label}: {name},{ver} has {got}, not {shape}; it is not used")
        return None, None
    return data, hdu.header


def attach(image, path, hdu, plane, raw=None) -> None:
    """Find ERR (else VAR_*) and DQ beside a SCI extension, memory-mapped; a mismatch is a notice, never an error.
    `raw`: the file already opened unscaled (a cube's planes share one)."""
    if (hdu.name or "").upper() != "SCI":
        return
    ver = hdu.ver
    if raw is None:
        try:
            # Unscaled, so that unsigned DQ stays a memory map (its bits are restored per cutout).
            raw = fits.open(path, memmap=True, do_not_scale_image_data=True)
        except (OSError, ValueError, TypeError):
            return
    notes = image.notes
    err, _ = _sibling(raw, "ERR", ver, image.shape, plane, notes, image.label)
    if err is not None and np.issubdtype(err.dtype, np.floating):
        image.uncertainty = Uncertainty((err,), variances=False, source=f"ERR,{ver}")
    else:
        parts = [(n, _sibling(raw, n, ver, image.shape, plane, notes, image.label)[0])
                 for n in VARIANCE_EXTENSIONS]
        parts = [(n, a) for n, a in parts if a is not None and np.issubdtype(a.dtype, np.floating)]
        if parts:
            image.uncertainty = Uncertainty(tuple(a for _, a in parts), variances=True,
                                            source="+".join(n for n, _ in parts))
    dq, header = _sibling(raw, "DQ", ver, image.shape, plane, notes, image.label)
    if dq is not None and np.issubdtype(dq.dtype, np.integer):
        bits = dq.dtype.itemsize * 8
        unsigned = header.get("BZERO") == 2 ** (bits - 1) and header.get("BSCALE", 1) == 1
        image.dq = DataQuality(dq, flip=(1 << (bits - 1)) if unsigned else 0, source=f"DQ,{ver}")


def bad_pixels(image, slices, cutout: np.ndarray, flags: int | None) -> np.ndarray:
    """True where a pixel of the cutout is bad: not finite, flagged in DQ by `flags`, or in the user's mask."""
    bad = ~np.isfinite(cutout)
    marked = flagged(image, lambda array: array[slices], flags)
    return bad if marked is None else bad | marked


def flagged(image, pick, flags: int | None) -> np.ndarray | None:
    """True where a pixel `pick` selects from a 2-D array (a cutout, or a footprint's pixels) is flagged in DQ by
    `flags` or in the user's mask; None when the image has neither (then only non-finite values are bad)."""
    marked = None
    if image.dq is not None:
        if flags is None and image.dq.default_flags is None:
            image.dq.default_flags = default_dq_flags(image.keyword("TELESCOP"))
        chosen = image.dq.default_flags if flags is None else flags
        if chosen:
            marked = image.dq.flagged(pick, chosen)
    if image.mask is not None:
        marked = pick(image.mask) if marked is None else marked | pick(image.mask)
    return marked
