"""Region masks built over the image only, with the grid functions `regions` itself uses.

`region.to_mask()` fills the whole bounding box, so an aperture of radius 1e6 asks for terabytes. Here a region that
lies wholly on the image gets exactly `region.to_mask()`; one that sticks out gets the same grid function evaluated
over the part of its bounding box on the image, so the weights are those of `to_mask` (the pixel edges are the same
numbers, up to the last bit of their offset) and an aperture larger than the image measures the whole image.
"""

from __future__ import annotations

import numpy as np
import astropy.units as u
import regions as rg
from regions import RegionBoundingBox, RegionMask

from tui.core.errors import MissingDependency

# The grid functions behind regions' own to_mask (here for the whole core), under the names regions 0.12 gave them.
try:
    from regions._geometry import (circle_overlap_grid, ellipse_overlap_grid, polygon_overlap_grid,
                                   rectangle_overlap_grid)
except ImportError as exc:  # before 0.12: circular_overlap_grid and so on (pip installs 0.12 on, unless told not to)
    raise MissingDependency(f"regions {rg.__version__} is too old: aperphot-tui needs 0.12 or newer "
                            "(pip install --upgrade 'regions>=0.12')") from exc

_ANNULI = {
    rg.CircleAnnulusPixelRegion: lambda a: (rg.CirclePixelRegion(a.center, a.outer_radius),
                                            rg.CirclePixelRegion(a.center, a.inner_radius)),
    rg.EllipseAnnulusPixelRegion: lambda a: (rg.EllipsePixelRegion(a.center, a.outer_width, a.outer_height, a.angle),
                                             rg.EllipsePixelRegion(a.center, a.inner_width, a.inner_height, a.angle)),
    rg.RectangleAnnulusPixelRegion: lambda a: (
        rg.RectanglePixelRegion(a.center, a.outer_width, a.outer_height, a.angle),
        rg.RectanglePixelRegion(a.center, a.inner_width, a.inner_height, a.angle)),
}


def on_image_box(bbox: RegionBoundingBox, shape: tuple[int, int]) -> RegionBoundingBox | None:
    """The part of a bounding box on an image of `shape` (the grid every mask here is made on); None when the box
    misses the image."""
    ix0, ix1 = max(bbox.ixmin, 0), min(bbox.ixmax, shape[1])
    iy0, iy1 = max(bbox.iymin, 0), min(bbox.iymax, shape[0])
    return None if ix0 >= ix1 or iy0 >= iy1 else RegionBoundingBox(ix0, ix1, iy0, iy1)


def on_image_mask(region: rg.PixelRegion, shape: tuple[int, int], mode: str = "exact",
                  subpixels: int = 1) -> RegionMask | None:
    """The region's mask over the part of its bounding box on an image of `shape`; None when it misses the image."""
    bbox = region.bounding_box
    clipped = on_image_box(bbox, shape)
    if clipped is None:
        return None
    if clipped == bbox:
        return region.to_mask(mode=mode, subpixels=subpixels)
    if type(region) in _ANNULI:
        outer, inner = (fraction(r, clipped, mode, subpixels) for r in _ANNULI[type(region)](region))
        if mode == "exact":
            weights = np.clip(outer - inner, 0.0, None)
        else:  # what regions' compound (xor) mask gives for centre and subpixel sampling
            weights = np.logical_xor(outer > 0, inner > 0).astype(float)
    else:
        weights = fraction(region, clipped, mode, subpixels)
    return RegionMask(weights, bbox=clipped)


def fraction(region, bbox: RegionBoundingBox, mode: str, subpixels: int) -> np.ndarray:
    if mode == "center":
        mode, subpixels = "subpixels", 1
    use_exact = 1 if mode == "exact" else 0
    ny, nx = bbox.shape
    if isinstance(region, rg.PolygonPixelRegion):
        return polygon_overlap_grid(float(bbox.ixmin) - 0.5, float(bbox.ixmax) - 0.5, float(bbox.iymin) - 0.5,
                                    float(bbox.iymax) - 0.5, nx, ny, np.asarray(region.vertices.x, float),
                                    np.asarray(region.vertices.y, float), use_exact, subpixels)
    xmin = float(bbox.ixmin) - 0.5 - region.center.x
    xmax = float(bbox.ixmax) - 0.5 - region.center.x
    ymin = float(bbox.iymin) - 0.5 - region.center.y
    ymax = float(bbox.iymax) - 0.5 - region.center.y
    if isinstance(region, rg.CirclePixelRegion):
        return circle_overlap_grid(xmin, xmax, ymin, ymax, nx, ny, region.radius, use_exact, subpixels)
    angle = region.angle.to_value(u.radian)
    if isinstance(region, rg.EllipsePixelRegion):
        return ellipse_overlap_grid(xmin, xmax, ymin, ymax, nx, ny, 0.5 * region.width, 0.5 * region.height,
                                    angle, use_exact, subpixels)
    if isinstance(region, rg.RectanglePixelRegion):
        return rectangle_overlap_grid(xmin, xmax, ymin, ymax, nx, ny, region.width, region.height, angle,
                                      use_exact, subpixels)
    raise TypeError(f"no mask for a {type(region).__name__}")
