"""Regions ("subsets"): reading region files, labels, and sky -> pixel per image."""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import astropy.units as u
import regions as rg

from tui.core import physical
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


def same_shape(a, b) -> bool:
    """Whether two regions are one aperture: the same kind, centre and sizes (to regions' own tolerance), whatever
    their text and colours."""
    bare = {"meta": rg.RegionMeta(), "visual": rg.RegionVisual()}
    return (type(a) is type(b) and physical.is_physical(a) == physical.is_physical(b)
            and a.copy(**bare) == b.copy(**bare))


SAID_APART = 3  # notes about a region file's left-out lines, at most; more are said as one
_DS9_FRAMES = ("image", "physical", "fk4", "fk5", "icrs", "galactic", "ecliptic", "j2000", "b1950", "wcs",
               "linear", "amplifier", "detector")


def _ds9_line_by_line(path: Path) -> tuple[list, list[str]]:
    """The regions of a DS9 file read a line at a time, each with the coordinate frame and `global` line before
    it, and why each line that could not be read was skipped. Regions in physical coordinates are read as image
    regions marked physical.FRAME (see physical.py)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return [], []
    found, skipped, frame, defaults = [], [], "", ""
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        head, _, rest = text.partition(";")
        if head.strip().lower() in _DS9_FRAMES:  # "fk5" alone, or "fk5; circle(...)": the frame holds on after it
            frame, text = head.strip().lower(), rest.strip()
            if not text:
                continue
        if text.lower().startswith("global"):
            defaults = text
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                as_read = "image" if frame == physical.FRAME else frame
                parsed = list(rg.Regions.parse(f"{defaults}\n{as_read}\n{text}", format="ds9"))
        except Exception as exc:  # noqa: BLE001 - as for the whole file: the line is not one regions can read
            skipped.append(f"skipped line {number} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
            continue
        skipped += [f"skipped line {number} ({str(w.message).splitlines()[0]})" for w in caught]
        for region in parsed if frame == physical.FRAME else ():
            region.meta["frame"] = physical.FRAME
        found += parsed
    return found, skipped


_PHYSICAL_LINE = re.compile(r"^\s*physical\s*(;|#|$)", re.IGNORECASE | re.MULTILINE)


def _in_physical(path: Path) -> bool:
    """Whether a DS9 file gives regions in physical coordinates (on some line)."""
    try:
        return bool(_PHYSICAL_LINE.search(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False  # reading it as regions does will say why it cannot be read


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
            # The angles as stored: a region file's centres are spherical already, and converting them
            # (point.spherical) costs 20 us a number, paid for every region on every image of a batch.
            angles = point.data if hasattr(point.data, "lon") else point.spherical
            yield f"{what} longitude", float(angles.lon.deg)
            yield f"{what} latitude", float(angles.lat.deg)
    for name in _SIZES:
        value = getattr(region, name, None)
        if value is not None:
            yield name.replace("_", " "), float(getattr(value, "value", value))


def check_shape(region, name: str | None = None) -> None:
    """Refuse what cannot be measured: not a region, an unsupported shape, a NaN or infinite number."""
    if not isinstance(region, rg.Region):
        raise PhotometryError(f"not a region: {type(region).__name__}")
    if not isinstance(region, APERTURE_SHAPES + ANNULUS_SHAPES):
        raise PhotometryError(f"{f'{name}: ' if name else ''}{shape_name(region)} regions are not supported; use a "
                              f"circle, ellipse, rectangle, polygon or annulus")
    if region.meta.get("include", True) in (0, False):  # DS9's "-circle(...)": the pixels a neighbour leaves out
        raise PhotometryError(f"{name or shape_name(region)}: an exclusion region (DS9's '-') is not a source")
    for what, value in _numbers(region):
        if not np.isfinite(value):
            raise PhotometryError(f"{name or shape_name(region)}: its {what} is {value}, not a finite number")
    if isinstance(region, rg.PolygonPixelRegion):  # all its points on one line: it was said to lie off the image
        x, y = np.asarray(region.vertices.x, float), np.asarray(region.vertices.y, float)
        if x.size < 3 or np.dot(x, np.roll(y, 1)) == np.dot(y, np.roll(x, 1)):
            raise PhotometryError(f"{name or shape_name(region)}: its vertices enclose no area")


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
    caught: list = []
    if fmt == "ds9" and _in_physical(path):
        found, skipped = _ds9_line_by_line(path)  # regions reads no physical regions: they are read here
    else:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                found, skipped = rg.Regions.read(str(path), format=fmt), []
        except Exception as exc:  # the parsers raise many types; all mean "not a region file we can read"
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            # One bad line (a negative radius) makes regions refuse a whole DS9 file: a catalogue keeps the rest.
            caught, (found, skipped) = [], _ds9_line_by_line(path) if fmt == "ds9" else ([], [])
            if not found:
                raise PhotometryError(f"{path.name}: not a readable {fmt.upper()} region file ({first})") from None
    # The parsers warn about each line they skip: the user should hear of it, once, in our words.
    reasons = [str(w.message) for w in caught] + skipped
    usable = []
    for number, region in enumerate(found, start=1):
        text = region_text(region)
        try:
            check_shape(region, f"region {number} ({shape_name(region)}{f' {text!r}' if text else ''})")
        except PhotometryError as exc:
            reasons.append(f"skipped {exc}")
            continue
        usable.append(region)
    notes = [f"{path.name}: {why}" for why in reasons]
    if not usable:
        raise PhotometryError(f"{path.name}: no usable regions in this file" + (f" ({notes[0]})" if notes else ""))
    if len(reasons) > SAID_APART:  # a catalogue with many bad lines: one note, not a toast for each
        notes = [f"{path.name}: {len(reasons)} lines or regions left out: {'; '.join(reasons[:2])}; ..."]
    texts = [region_text(r) for r in usable]
    counts = Counter(texts)
    unique = [t if t is not None and counts[t] == 1 else None for t in texts]
    return list(zip(usable, unique)), notes


def pixel_region(subset: Subset, image: Image) -> rg.PixelRegion:
    """The subset in this image's pixel coordinates."""
    if physical.is_physical(subset.region):
        return physical.to_image(subset.region, image, subset.label)
    if subset.is_sky:
        if image.wcs is None:
            raise PhotometryError(
                f"{subset.label} is in sky coordinates but {image.label} has no celestial WCS"
            )
        beyond = f"{subset.label}: cannot place it on {image.label} (its sky position lies beyond the image's " \
                 f"projection)"
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):  # NaN arithmetic, said below instead
                warnings.simplefilter("ignore", RuntimeWarning)
                region = subset.region.to_pixel(image.wcs)
        except Exception as exc:
            if not _on_projection(subset.region, image.wcs):
                raise PhotometryError(beyond) from None
            raise PhotometryError(f"{subset.label}: cannot place it on {image.label} ({exc})") from None
        try:
            region.bounding_box  # NaN where the WCS has no pixel for the sky position: regions then raises
        except (ValueError, OverflowError):
            raise PhotometryError(beyond) from None
        return region
    return subset.region


def _on_projection(region: rg.SkyRegion, wcs) -> bool:
    """Whether the WCS gives a pixel for the region's centre (or first vertex): one on the far side of the sky from
    a TAN projection has none."""
    where = region.vertices[0] if isinstance(region, rg.PolygonSkyRegion) else getattr(region, "center", None)
    if where is None:
        return True
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        x, y = wcs.world_to_pixel(where)
    return bool(np.isfinite(x) and np.isfinite(y))



def pixel_regions(subsets: list[Subset], image: Image) -> list:
    """pixel_region of many subsets: each a pixel region, or the PhotometryError that converting it raised.

    Sky circles, a survey's usual apertures, are converted together: regions' CircleSkyRegion.to_pixel costs
    about 3 ms a circle (a dozen WCS and coordinate calls), so 1000 of them would take 100 times the photometry.
    Its arithmetic (sky_to_pixel_mean_scale: the offset method without distortion, the Jacobian's singular
    values with) is applied to arrays here, which gives the same numbers (tests/core/test_subsets.py checks them
    against to_pixel). Circles of one frame form one batch; anything else goes one by one.
    """
    out: list = [None] * len(subsets)
    batches: list[list[int]] = []
    if image.wcs is not None:
        for k, subset in enumerate(subsets):
            if type(subset.region) is rg.CircleSkyRegion:
                frame = subset.region.center.frame
                batch = next((b for b in batches if subsets[b[0]].region.center.frame.is_equivalent_frame(frame)),
                             None)
                if batch is None:
                    batches.append([k])
                else:
                    batch.append(k)
    for batch in batches:
        if len(batch) < 2:
            continue
        try:
            circles = _sky_circles_to_pixel([subsets[k].region for k in batch], image.wcs)
        except Exception:  # noqa: BLE001 - whatever the batch trips on, one by one says it per region
            continue
        for k, circle in zip(batch, circles):
            if math.isfinite(circle.center.x + circle.center.y + circle.radius):
                out[k] = circle  # else one by one below, which says why
    for k, subset in enumerate(subsets):
        if out[k] is None:
            try:
                out[k] = pixel_region(subset, image)
            except PhotometryError as exc:
                out[k] = exc
    return out


def _sky_circles_to_pixel(circles: list, wcs) -> list:
    """CircleSkyRegion.to_pixel(wcs) of circles of one frame, computed for all at once (see pixel_regions)."""
    from astropy.coordinates import SkyCoord, UnitSphericalRepresentation

    # The centres as one array of the same angles (concatenate would pass them through Cartesian coordinates,
    # which moves them by a few 1e-16 rad).
    points = [circle.center.data for circle in circles]
    lon_unit, lat_unit = points[0].lon.unit, points[0].lat.unit
    if not all(type(p) is UnitSphericalRepresentation and p.lon.unit == lon_unit and p.lat.unit == lat_unit
               for p in points):
        raise ValueError("centres with distances, or in other units")
    lon = u.Quantity([p.lon.value for p in points], lon_unit)
    lat = u.Quantity([p.lat.value for p in points], lat_unit)
    centres = SkyCoord(circles[0].center.frame.realize_frame(UnitSphericalRepresentation(lon, lat)))
    radius = np.array([circle.radius.to_value(u.arcsec) for circle in circles])
    if getattr(wcs, "has_distortion", True):
        # Inverting a distortion iterates until every point of the call converges, so an array's points get
        # other iterations than each would alone: one point at a time, as to_pixel does.
        x, y = (np.array(axis, dtype=np.float64)
                for axis in zip(*(wcs.world_to_pixel(centres[k]) for k in range(len(circles)))))
    else:
        x, y = wcs.world_to_pixel(centres)
    sky0 = wcs.pixel_to_world(x, y)
    sky_x = wcs.pixel_to_world(x + 1, y)
    sky_y = wcs.pixel_to_world(x, y + 1)
    if not getattr(wcs, "has_distortion", True):  # regions' wcs_pixel_scale_angle
        scale = np.sqrt(sky0.separation(sky_x).arcsec * sky0.separation(sky_y).arcsec)
        mean_scale = 1.0 / scale
    else:  # regions' compute_local_wcs_jacobian and jacobian_sky_to_pixel_mean_scale
        arcsec_per_rad = 3600.0 * np.degrees(1)
        sep_x, pa_x = sky0.separation(sky_x).rad, sky0.position_angle(sky_x).rad
        sep_y, pa_y = sky0.separation(sky_y).rad, sky0.position_angle(sky_y).rad
        forward = np.empty((len(circles), 2, 2))
        forward[:, 0, 0] = sep_x * np.sin(pa_x) * arcsec_per_rad
        forward[:, 0, 1] = sep_y * np.sin(pa_y) * arcsec_per_rad
        forward[:, 1, 0] = sep_x * np.cos(pa_x) * arcsec_per_rad
        forward[:, 1, 1] = sep_y * np.cos(pa_y) * arcsec_per_rad
        scales = np.linalg.svd(np.linalg.inv(forward), compute_uv=False)
        mean_scale = np.mean(scales, axis=1)
    radii = radius * mean_scale
    # Only what is measured: labels and styles stay with the subsets.
    return [rg.CirclePixelRegion(rg.PixCoord(cx, cy), r) for cx, cy, r in zip(x.tolist(), y.tolist(), radii.tolist())]


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
