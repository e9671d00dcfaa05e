"""Regions ("subsets"): the shapes measured, their labels, and their place on each image (sky and physical ->
pixel)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import astropy.units as u
import regions as rg

from tui.core import physical
from tui.core.errors import PhotometryError
from tui.core.images import Image
from tui.core.masks import on_image_box

try:  # regions 0.13 on converts sky circles by the local Jacobian, which it computes for arrays itself
    from regions._utils.wcs_helpers import compute_pixel_to_sky_jacobians
except ImportError:  # regions 0.12
    compute_pixel_to_sky_jacobians = None

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

    @cached_property  # regions' shapes are abstract-base classes: each isinstance against six costs a microsecond
    def is_annulus(self) -> bool:
        return isinstance(self.region, ANNULUS_SHAPES)

    @property
    def is_sky(self) -> bool:
        return isinstance(self.region, rg.SkyRegion)

    @property
    def shape_name(self) -> str:
        return shape_name(self.region)


def bare(region):
    """A copy of the region without its text, colours and tags: its shape alone."""
    return region.copy(meta=rg.RegionMeta(), visual=rg.RegionVisual())


def same_shape(a, b) -> bool:
    """Whether two regions are one aperture: the same kind, centre and sizes (to regions' own tolerance), whatever
    their text and colours."""
    return type(a) is type(b) and physical.is_physical(a) == physical.is_physical(b) and bare(a) == bare(b)


def shape_name(region) -> str:
    """'circle', 'circleannulus', 'point', ...: the class name without Pixel/Sky."""
    return type(region).__name__.replace("PixelRegion", "").replace("SkyRegion", "").lower()


_SIZES = physical.SIZES + ("angle",)


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


POINT_SHAPES = (rg.PointPixelRegion, rg.PointSkyRegion)  # a star's place, for a light curve's stars only


def check_shape(region, name: str | None = None, points: bool = False) -> None:
    """Refuse what cannot be measured: not a region, an unsupported shape (a point, unless `points`), a NaN or
    infinite number."""
    if not isinstance(region, rg.Region):
        raise PhotometryError(f"not a region: {type(region).__name__}")
    if not isinstance(region, APERTURE_SHAPES + ANNULUS_SHAPES + (POINT_SHAPES if points else ())):
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


def pixel_region(subset: Subset, image: Image) -> rg.PixelRegion:
    """The subset in this image's pixel coordinates."""
    return placeable(_pixel_region(subset, image), subset.label, image)


# Pixels from the image beyond which a region that still reaches it is refused: float64 places a pixel edge there
# only to 1e-7 of a pixel (and a large circle's edge at 1e16 not at all), while the apertures anyone measures lie
# within a few thousand pixels of the image.
FAR = 1e9


def placeable(region: rg.PixelRegion, label: str, image: Image) -> rg.PixelRegion:
    """The region, unless its centre (or a vertex) lies more than FAR pixels from the image and it reaches the image
    all the same (a typed radius of 1e17 around a centre at -1e17)."""
    ny, nx = image.shape
    vertices = isinstance(region, rg.PolygonPixelRegion)
    if vertices:
        xs, ys = region.vertices.x.tolist(), region.vertices.y.tolist()
    else:  # plain floats, and one test for nearly every centre: 1000 apertures at once pay it 1000 times
        centre = region.center
        x, y = float(centre.x), float(centre.y)
        if -FAR <= x <= nx + FAR and -FAR <= y <= ny + FAR:
            return region
        xs, ys = [x], [y]
    off = max(-min(xs), max(xs) - nx, -min(ys), max(ys) - ny)
    if off > FAR and on_image_box(region.bounding_box, image.shape) is not None:
        raise PhotometryError(f"{label}: its {'vertex' if vertices else 'centre'} lies {off:.3g} pixels off "
                              f"{image.label}, too far to place its edge on the image's pixels; use a smaller "
                              f"region nearer the image")
    return region


def _pixel_region(subset: Subset, image: Image) -> rg.PixelRegion:
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
    0.5 to 2 ms a circle (regions 0.13, 0.12), so 1000 of them would take 25 to 100 times the photometry. Its
    arithmetic is applied to arrays here, which gives the same numbers (tests/core/test_subsets.py checks them
    against to_pixel), and the first circle of each batch is checked against to_pixel itself: should a regions
    release convert otherwise, its circles go one by one. Circles of one frame form one batch; anything else goes
    one by one.
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
                try:
                    out[k] = placeable(circle, subsets[k].label, image)
                except PhotometryError as exc:
                    out[k] = exc
            # else one by one below, which says why
    for k, subset in enumerate(subsets):
        if out[k] is None:
            try:
                out[k] = pixel_region(subset, image)
            except PhotometryError as exc:
                out[k] = exc
    return out


def _sky_circles_to_pixel(circles: list, wcs) -> list:
    """CircleSkyRegion.to_pixel(wcs) of circles of one frame, computed for all at once (see pixel_regions); a
    ValueError when the first of them is not what to_pixel gives."""
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
    radii = radius * _pixels_per_arcsec(wcs, x, y)
    # Only what is measured: labels and styles stay with the subsets.
    out = [rg.CirclePixelRegion(rg.PixCoord(cx, cy), r) for cx, cy, r in zip(x.tolist(), y.tolist(), radii.tolist())]
    theirs = circles[0].to_pixel(wcs)
    if (out[0].center.x, out[0].center.y, out[0].radius) != (theirs.center.x, theirs.center.y, theirs.radius):
        raise ValueError("this regions release converts sky circles otherwise")
    return out


def _pixels_per_arcsec(wcs, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The isotropic scale regions' sky_to_pixel_mean_scale gives at each pixel position, for arrays."""
    if compute_pixel_to_sky_jacobians is not None:  # regions 0.13 on: the local Jacobian's
        f = compute_pixel_to_sky_jacobians(wcs, x, y)
        det = f[:, 0, 0] * f[:, 1, 1] - f[:, 0, 1] * f[:, 1, 0]
        # the inverse as _sky_to_pixel_jacobian writes it; the geometric mean of its singular values
        i00, i01, i10, i11 = f[:, 1, 1] / det, -f[:, 0, 1] / det, -f[:, 1, 0] / det, f[:, 0, 0] / det
        return np.sqrt(np.abs(i00 * i11 - i01 * i10))
    sky0 = wcs.pixel_to_world(x, y)
    sky_x = wcs.pixel_to_world(x + 1, y)
    sky_y = wcs.pixel_to_world(x, y + 1)
    if not getattr(wcs, "has_distortion", True):  # regions 0.12's wcs_pixel_scale_angle
        return 1.0 / np.sqrt(sky0.separation(sky_x).arcsec * sky0.separation(sky_y).arcsec)
    # regions 0.12's compute_local_wcs_jacobian and jacobian_sky_to_pixel_mean_scale
    arcsec_per_rad = 3600.0 * np.degrees(1)
    sep_x, pa_x = sky0.separation(sky_x).rad, sky0.position_angle(sky_x).rad
    sep_y, pa_y = sky0.separation(sky_y).rad, sky0.position_angle(sky_y).rad
    forward = np.empty((len(x), 2, 2))
    forward[:, 0, 0] = sep_x * np.sin(pa_x) * arcsec_per_rad
    forward[:, 0, 1] = sep_y * np.sin(pa_y) * arcsec_per_rad
    forward[:, 1, 0] = sep_x * np.cos(pa_x) * arcsec_per_rad
    forward[:, 1, 1] = sep_y * np.cos(pa_y) * arcsec_per_rad
    return np.mean(np.linalg.svd(np.linalg.inv(forward), compute_uv=False), axis=1)


def moved_sky(region: rg.SkyRegion, wcs, dx: float, dy: float) -> rg.SkyRegion:
    """A sky region shifted by (dx, dy) pixels of an image, staying in sky coordinates: only its centre (or its
    vertices) move, so its size stays as it was given."""
    if isinstance(region, rg.PolygonSkyRegion):
        x, y = wcs.world_to_pixel(region.vertices)
        return rg.PolygonSkyRegion(wcs.pixel_to_world(x + dx, y + dy), meta=region.meta, visual=region.visual)
    x, y = wcs.world_to_pixel(region.center)
    return region.copy(center=wcs.pixel_to_world(float(x) + dx, float(y) + dy))


DRAWN_SHAPES = ("circle", "ellipse", "rectangle", "annulus")


def make_region(shape: str, x: float, y: float, size: float, size2: float | None = None,
                angle: float = 0.0) -> rg.PixelRegion:
    """A pixel region from typed numbers: circle radius, ellipse/rectangle full width and height, annulus inner
    and outer radius."""
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
    if shape == "annulus":
        if size2 is None or size2 <= size:
            raise PhotometryError("an annulus needs an outer radius larger than its inner radius")
        return rg.CircleAnnulusPixelRegion(center, size, size2)
    cls = rg.EllipsePixelRegion if shape == "ellipse" else rg.RectanglePixelRegion
    return cls(center, size, size2 if size2 is not None else size, angle=angle * u.deg)
