"""Masks over the image only (issue 8): the weights regions gives, without allocating beyond the image."""

import tracemalloc

import numpy as np
import pytest
import astropy.units as u
from regions import (CircleAnnulusPixelRegion, CirclePixelRegion, EllipseAnnulusPixelRegion, EllipsePixelRegion,
                     PixCoord, PolygonPixelRegion, RectanglePixelRegion)

from tui.core import PhotometryError, Session
from tui.core.masks import on_image_mask
from tui.core.photometry import sum_weights

SHAPE = (300, 400)
STICKING_OUT = [
    CirclePixelRegion(PixCoord(5.3, 290.2), 30),
    EllipsePixelRegion(PixCoord(398, 10), 60, 30, angle=33 * u.deg),
    RectanglePixelRegion(PixCoord(-10, 150), 50, 40, angle=20 * u.deg),
    PolygonPixelRegion(PixCoord([-20, 50, 30], [-10, 20, 80])),
    CircleAnnulusPixelRegion(PixCoord(395, 295), 10, 25),
    EllipseAnnulusPixelRegion(PixCoord(0, 0), 10, 40, 6, 30, angle=10 * u.deg),
]


@pytest.mark.parametrize("region", STICKING_OUT, ids=lambda r: type(r).__name__)
def test_clipped_masks_are_regions_own_masks_on_the_image(region):
    centre = region.to_mask(mode="center").to_image(SHAPE)
    assert np.array_equal(on_image_mask(region, SHAPE, "center").to_image(SHAPE), centre)
    if "Annulus" in type(region).__name__:
        return  # annuli are background regions: centre masks only
    mode, sub = ("subpixels", 32) if isinstance(region, RectanglePixelRegion) else ("exact", 1)
    ours = sum_weights(region, SHAPE)
    assert ours.data.shape[0] <= SHAPE[0] and ours.data.shape[1] <= SHAPE[1]  # nothing off the image
    np.testing.assert_allclose(ours.to_image(SHAPE), region.to_mask(mode=mode, subpixels=sub).to_image(SHAPE),
                               rtol=0, atol=1e-12)


def test_a_region_wholly_on_the_image_gets_regions_mask_itself():
    region = CirclePixelRegion(PixCoord(100.2, 120.7), 9)
    assert np.array_equal(sum_weights(region, SHAPE).data, region.to_mask(mode="exact").data)


@pytest.mark.parametrize("radius", [1e6, 1e300])
def test_an_aperture_larger_than_the_image_measures_the_whole_image(radius):
    data = np.random.default_rng(3).normal(5, 1, SHAPE)
    data[10, 10] = np.nan
    s = Session()
    s.load_data(data, label="img")
    s.add_subset(CirclePixelRegion(PixCoord(200, 150), radius), label="huge")
    tracemalloc.start()
    row = s.calculate(subset="huge")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert row["npix"].value == SHAPE[0] * SHAPE[1] and row["npix_bad"] == 1
    assert row["aperture_sum"] == pytest.approx(np.nansum(data), rel=1e-12)
    assert peak < 40e6  # a few copies of the image, not the 29 TiB mask of the whole circle
    assert s.pop_notices()[-1].startswith("huge on img: more than 99% of the aperture lies off the image")


def test_far_off_the_image_is_still_outside():
    s = Session()
    s.load_data(np.ones(SHAPE), label="img")
    s.add_subset(CirclePixelRegion(PixCoord(-500, -500), 10), label="far")
    with pytest.raises(PhotometryError, match="outside the image"):
        s.calculate(subset="far")
