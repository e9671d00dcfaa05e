"""DS9's physical coordinates: the pixels of the detector an image was cut from or binned on.

IRAF's LTV1, LTV2 and LTM1_1 ... LTM2_2 keywords map them onto the image's own pixels: image = LTM physical + LTV,
both counted from 1. HST's subarrays and trimmed or binned ground-based images carry them, and DS9 saves regions
in physical coordinates by default on an image without a WCS. Where the keywords are absent the two are the same.
The regions package reads no physical regions: regionfiles.py reads them as image regions marked with FRAME, and
each is placed on each image here, as sky regions are through each image's WCS.
"""

from __future__ import annotations

import regions as rg

from tui.core.errors import PhotometryError
from tui.core.images import Image
from tui.core.photometry import region_center

FRAME = "physical"  # region.meta["frame"] of a region read in physical coordinates
SIZES = ("radius", "inner_radius", "outer_radius", "width", "height", "inner_width", "outer_width",
         "inner_height", "outer_height")  # a region's lengths, in the regions package's names


def is_physical(region) -> bool:
    return region.meta.get("frame") == FRAME


def transform(image: Image, label: str) -> tuple[float, float, float]:
    """(scale, LTV1, LTV2) of the image; a region cannot keep its shape under an LTM that is not one positive scale
    on both axes (a flip, a rotation, other binning across than along): refused, naming what to do instead."""
    m11, m22, m12, m21, ltv1, ltv2 = image.ltm
    if m12 or m21 or m11 != m22 or not m11 > 0:
        raise PhotometryError(f"{label} is in DS9 physical coordinates, which {image.label}'s LTM keywords flip, "
                              f"turn or stretch: save the regions in image or sky coordinates")
    return m11, ltv1, ltv2


def to_image(region: rg.PixelRegion, image: Image, label: str) -> rg.PixelRegion:
    """A physical region in the image's pixel coordinates (0-based, as regions keeps them)."""
    scale, ltv1, ltv2 = transform(image, label)
    if (scale, ltv1, ltv2) == (1.0, 0.0, 0.0):
        return region

    def place(x, y):
        return rg.PixCoord(scale * (x + 1) + ltv1 - 1, scale * (y + 1) + ltv2 - 1)

    if isinstance(region, rg.PolygonPixelRegion):
        return rg.PolygonPixelRegion(place(region.vertices.x, region.vertices.y), meta=region.meta,
                                     visual=region.visual)
    sizes = {name: getattr(region, name) * scale for name in SIZES if hasattr(region, name)}
    return region.copy(center=place(region.center.x, region.center.y), **sizes)


def shifted(region: rg.PixelRegion, image: Image, label: str, dx: float, dy: float) -> tuple[float, float]:
    """Where a physical region's centre goes when it moves by (dx, dy) pixels of the image."""
    scale = transform(image, label)[0]
    x, y = region_center(region)
    return x + dx / scale, y + dy / scale
