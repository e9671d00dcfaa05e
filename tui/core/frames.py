"""The frames of a time series: files of one image each, and cubes of one frame per plane (JWST `_calints`).

Listing reads headers only (a cube's integrations become frames without their pixels being read); a frame's
pixels are memory-mapped when it is measured, with its ERR and DQ planes.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

from astropy.io import fits

from tui.core import quality
from tui.core.errors import PhotometryError
from tui.core.frametimes import FrameTime, frame_time, header_site, int_times_rows
from tui.core.headers import keyword
from tui.core.images import (UNREADABLE, Image, file_stem, folders_apart, from_hdu, pick_hdu, truncation_unsaid,
                             unread, why_unreadable)
from tui.filekinds import not_a_file, not_a_plain_file

@dataclass(frozen=True)
class Frame:
    path: str
    plane: int | None  # a cube's plane (0-based), or None for a 2-D image
    label: str  # what the table calls it: the file name, with [k] for a plane
    time: FrameTime
    shape: tuple[int, int]
    has_wcs: bool = False
    airmass: float = math.nan  # the AIRMASS keyword
    site: tuple[float, float, float] | None = None  # SITELAT, SITELONG, SITEELEV


def list_frames(paths, skipped: list[str] | None = None, require_time: bool = True) -> list[Frame]:
    """Every frame of the inputs, ordered by mid-exposure time. A file that cannot be read (missing, not FITS, no
    image) is left out and said in `skipped` when a list is given; a frame without a time raises PhotometryError
    (one line naming the file and the keywords looked for), its place in the sequence being unknown, unless
    `require_time` is False (the app lists any images): it then has a NaN time, after the others, and its `time`
    says why."""
    frames: list[Frame] = []
    for path in paths:
        try:
            frames += _frames_of(Path(path), require_time)
        except _Unreadable as exc:
            if skipped is None:
                raise PhotometryError(str(exc)) from None
            skipped.append(str(exc))
    # Each night's frame_0001.fits, or each visit's cube of one name: the labels are keys (rows, --resume)
    folders = folders_apart({frame.path: frame.label.partition("[")[0] for frame in frames})
    frames = [replace(f, label=folders[os.path.abspath(f.path)] + f.label) if os.path.abspath(f.path) in folders
              else f for f in frames]
    frames.sort(key=lambda f: (math.isnan(f.time.jd_utc), f.time.jd_utc if not math.isnan(f.time.jd_utc) else 0.0))
    return frames


class _Unreadable(PhotometryError):
    pass


def _frames_of(path: Path, require_time: bool = True) -> list[Frame]:
    def when(header, primary, row, label, plane=None, planes=1) -> FrameTime:
        try:
            return frame_time(header, primary, row, label, plane, planes)
        except PhotometryError as exc:
            if require_time:
                raise
            return FrameTime(math.nan, str(exc))

    if not os.path.exists(path):  # nor a name the system cannot look up: os.path never raises
        raise _Unreadable(f"{path}: no such file")
    if os.path.isdir(path):
        raise _Unreadable(f"{path}: {not_a_file(path)}")
    if why := not_a_plain_file(path):
        raise _Unreadable(f"{path}: {why}")
    try:
        with truncation_unsaid(), fits.open(path, memmap=True, lazy_load_hdus=False) as hdul:
            try:
                hdu = pick_hdu(hdul, _cube_ext(hdul))
            except PhotometryError as exc:
                raise _Unreadable(f"{path.name}: {exc}") from None
            header, primary = hdu.header, hdul[0].header
            naxis = header.get("NAXIS", 0)
            shape = (int(header.get("NAXIS2", 0)), int(header.get("NAXIS1", 0)))
            common = dict(shape=shape, has_wcs="CTYPE1" in header or "CTYPE1" in primary,
                          airmass=_airmass(header, primary), site=header_site((header, primary)))
            if naxis == 3 and int(header.get("NAXIS3", 1)) > 1:
                planes = int(header["NAXIS3"])
                rows = int_times_rows(hdul, planes)
                stem = file_stem(path)
                return [Frame(str(path), k, f"{stem}[{k}]",
                              when(header, primary, rows[k] if rows else None, f"{stem}[{k}]", k, planes), **common)
                        for k in range(planes)]
            return [Frame(str(path), None, path.name, when(header, primary, None, path.name), **common)]
    except PhotometryError:
        raise  # said already: a frame without a time, or a file without an image
    except UNREADABLE as exc:
        raise _Unreadable(f"{path}: not a readable FITS file ({why_unreadable(exc)})") from None


def _airmass(header, primary) -> float:
    for h in (header, primary):
        try:
            value = float(keyword((h,), "AIRMASS"))
        except (TypeError, ValueError):
            continue
        if math.isfinite(value) and value >= 1:
            return value
    return math.nan


def _cube_ext(hdul) -> str | None:
    """The SCI cube of a JWST file, else the first 3-D image."""
    for hdu in hdul:
        if hdu.header.get("NAXIS", 0) == 3 and (hdu.name or "").upper() == "SCI":
            return f"SCI,{hdu.ver}"
    for k, hdu in enumerate(hdul):
        if hdu.header.get("NAXIS", 0) == 3:
            return str(k)
    return None


class FrameReader:
    """Opens each file once (a cube's planes share it) and gives a frame as an Image, pixels memory-mapped.
    `with_wcs=False`: no WCS is built (stars placed in pixels do not need one)."""

    def __init__(self, with_wcs: bool = True) -> None:
        self._open: dict[str, tuple] = {}
        self.with_wcs = with_wcs

    @truncation_unsaid()
    def image(self, frame: Frame) -> Image:
        opened = self._open.get(frame.path)
        if opened is None:
            self.close()  # frames come in time order: one file at a time stays open
            try:
                hdul = fits.open(frame.path, memmap=True)
                raw = fits.open(frame.path, memmap=True, do_not_scale_image_data=True)
            except (OSError, ValueError, TypeError) as exc:
                raise PhotometryError(f"{frame.label}: cannot be read ({str(exc).split('. ')[0]})") from None
            ext = _cube_ext(hdul) if frame.plane is not None else None
            opened = self._open[frame.path] = (hdul, raw, pick_hdu(hdul, ext))
        hdul, raw, hdu = opened
        try:
            image = from_hdu(hdu, file_stem(Path(frame.path)), hdul[0].header, frame.plane, self.with_wcs)
            image.label = frame.label
            quality.attach(image, frame.path, hdu, frame.plane, raw)
        except PhotometryError as exc:
            raise PhotometryError(f"{frame.label}: {exc}") from None
        except (OSError, ValueError, TypeError) as exc:  # pixels are read only now: a file cut short fails here
            raise PhotometryError(f"{frame.label}: {unread(frame.path, hdu, exc)}") from None
        return image

    def close(self) -> None:
        for hdul, raw, _ in self._open.values():
            hdul.close()
            raw.close()
        self._open.clear()

    def __enter__(self) -> "FrameReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
