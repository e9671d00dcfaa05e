"""Regions ("subsets"): reading region files, labels, and sky -> pixel per image."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import astropy.units as u
import regions as rg

from tui.core.errors import PhotometryError
from tui.core.images import Image

APERTURE_SHAPES = (
    rg.CirclePixelRegion, rg.CircleSkyRegion,
    rg.EllipsePixelRegion, rg.EllipseSkyRegion,
    rg.RectanglePixelRegion, rg.RectangleSkyRegion,
    rg.PolygonPixelRegion, rg.PolygonSkyRegion,
)
ANNULUS_SHAPES = (
    rg.CircleAnnulusPixelRegion, rg.CircleAnnulusSkyRegion,
    rg.EllipseAnnulusPixelRegion, rg.EllipseAnnulusSkyRegion,
    rg.RectangleAnnulusPixelRegion, rg.RectangleAnnulusSkyRegion,
)


@dataclass
class Subset:
    label: str
    region: rg.Region  # a PixelRegion, or a SkyRegion converted per image
    origin: str | None = None  # the data label a pixel region was drawn on, if known

    @property
    def is_annulus(self) -> bool:
        return isinstance(self.region, ANNULUS_SHAPES)

    @property
    def is_sky(self) -> bool:
        return isinstance(self.region, rg.SkyRegion)

    @property
    def shape_name(self) -> str:
        return shape_name(self.region)


def shape_name(region) -> str:
    """'circle', 'circleannulus', 'point', ...: the class name without Pixel/Sky."""
    return type(region).__name__.replace("PixelRegion", "").replace("SkyRegion", "").lower()


_SIZES = ("radius", "inner_radius", "outer_radius", "width", "height", "inner_width", "outer_width",
          "inner_height", "outer_height", "angle")


def _numbers(region):
    """(what, value) for every number that defines a region."""
    center = getattr(region, "center", None)
    points = [("centre", center)] if center is not None else []
    vertices = getattr(region, "vertices", None)
    if vertices is not None:
        points += [(f"vertex {i + 1}", v) for i, v in enumerate(vertices)]
    for what, point in points:
        if isinstance(point, rg.PixCoord):
            yield f"{what} x", float(point.x)
            yield f"{what} y", float(point.y)
        else:
            yield f"{what} longitude", float(point.spherical.lon.deg)
            yield f"{what} latitude", float(point.spherical.lat.deg)
    for name in _SIZES:
        value = getattr(region, name, None)
        if value is not None:
            yield name.replace("_", " "), float(getattr(value, "value", value))


def check_shape(region, name: str | None = None) -> None:
    """Refuse what cannot be measured: not a region, an unsupported shape, a NaN or infinite number."""
    if not isinstance(region, rg.Region):
        raise PhotometryError(f"not a region: {type(region).__name__}")
    if not isinstance(region, APERTURE_SHAPES + ANNULUS_SHAPES):
        raise PhotometryError(
            f"{shape_name(region)} regions are not supported; use a circle, ellipse, rectangle, polygon or annulus"
        )
    for what, value in _numbers(region):
        if not np.isfinite(value):
            raise PhotometryError(f"{name or shape_name(region)}: its {what} is {value}, not a finite number")


def region_text(region) -> str | None:
    meta = getattr(region, "meta", None) or {}
    text = meta.get("text") or meta.get("label")
    return str(text).strip() or None if text else None


# (path, size, mtime) -> what read_region_file gave: a batch parses a file once per process, not once per image
_PARSED: dict[tuple, tuple] = {}


def read_region_file(path: str | Path) -> tuple[list[tuple[rg.Region, str | None]], list[str]]:
    """((region, text label or None) for each usable region, notes about skipped ones)."""
    path = Path(path)
    if not path.exists():
        raise PhotometryError(f"{path}: no such file")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _PARSED:
        if len(_PARSED) >= 8:  # a batch names a few files: memory stays flat
            _PARSED.clear()
        _PARSED[key] = _parse_region_file(path)
    found, notes = _PARSED[key]
    return list(found), list(notes)


def _parse_region_file(path: Path):
    fmt = "crtf" if path.suffix.lower() == ".crtf" else "ds9"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = rg.Regions.read(str(path), format=fmt)
    except Exception as exc:  # the parsers raise many types; all mean "not a region file we can read"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PhotometryError(f"{path.name}: not a readable {fmt.upper()} region file ({first})") from None
    # The parsers warn about each line they skip: the user should hear of it, once, in our words.
    notes = [f"{path.name}: {w.message}" for w in caught]
    usable = []
    for number, region in enumerate(found, start=1):
        text = region_text(region)
        try:
            check_shape(region, f"region {number} ({shape_name(region)}{f' {text!r}' if text else ''})")
        except PhotometryError as exc:
            notes.append(f"{path.name}: skipped {exc}")
            continue
        usable.append(region)
    if not usable:
        raise PhotometryError(f"{path.name}: no usable regions in this file" + (f" ({notes[0]})" if notes else ""))
    texts = [region_text(r) for r in usable]
    unique = [t if t is not None and texts.count(t) == 1 else None for t in texts]
    return list(zip(usable, unique)), notes


def pixel_region(subset: Subset, image: Image) -> rg.PixelRegion:
    """The subset in this image's pixel coordinates."""
    if subset.is_sky:
        if image.wcs is None:
            raise PhotometryError(
                f"{subset.label} is in sky coordinates but {image.label} has no celestial WCS"
            )
        try:
            return subset.region.to_pixel(image.wcs)
        except Exception as exc:
            raise PhotometryError(f"{subset.label}: cannot place it on {image.label} ({exc})") from None
    return subset.region



def moved_sky(region: rg.SkyRegion, wcs, dx: float, dy: float) -> rg.SkyRegion:
    """A sky region shifted by (dx, dy) pixels of an image, staying in sky coordinates: only its centre (or its
    vertices) move, so its size stays as it was given."""
    if isinstance(region, rg.PolygonSkyRegion):
        x, y = wcs.world_to_pixel(region.vertices)
        return rg.PolygonSkyRegion(wcs.pixel_to_world(x + dx, y + dy), meta=region.meta, visual=region.visual)
    x, y = wcs.world_to_pixel(region.center)
    return region.copy(center=wcs.pixel_to_world(float(x) + dx, float(y) + dy))


DRAWN_SHAPES = ("circle", "ellipse", "rectangle")


def make_region(shape: str, x: float, y: float, size: float, size2: float | None = None,
                angle: float = 0.0) -> rg.PixelRegion:
    """A pixel region from typed numbers: circle radius, ellipse/rectangle full width and height."""
    if shape not in DRAWN_SHAPES:
        raise PhotometryError(f"shape must be one of {', '.join(DRAWN_SHAPES)}, not {shape!r}")
    for name, value in (("x", x), ("y", y), ("size", size), ("second size", size2), ("angle", angle)):
        if value is not None and not np.isfinite(value):
            raise PhotometryError(f"{name} must be a finite number")
    if size <= 0 or (size2 is not None and size2 <= 0):
        raise PhotometryError("region sizes must be positive")
    center = rg.PixCoord(x, y)
    if shape == "circle":
        return rg.CirclePixelRegion(center, size)
    cls = rg.EllipsePixelRegion if shape == "ellipse" else rg.RectanglePixelRegion
    return cls(center, size, size2 if size2 is not None else size, angle=angle * u.deg)
