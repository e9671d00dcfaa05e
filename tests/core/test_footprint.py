"""Footprints (issue 8): the centre-mode pixels and sum weights of regions' own masks, read without a weight array
the size of the bounding box; statistics bit-identical to NumPy on regions' centre-mode values."""

import math

import numpy as np
import pytest
import astropy.units as u
from regions import (CirclePixelRegion, EllipsePixelRegion, PixCoord, PolygonPixelRegion,
                     RectanglePixelRegion)

from tui.core import Session
from tui.core.footprint import footprint
from tui.core.masks import on_image_mask

SHAPE = (700, 900)


def as_images(fp, shape):
    """(centre-mode mask, sum weights) of a footprint as whole images."""
    centre = np.zeros(shape, bool)
    cut = centre[fp.large]
    if fp.inside is not None:
        cut[fp.inside] = True
    else:
        for row, start, stop in fp.runs:
            cut[row, start:stop] = True
    weights = centre.astype(float)
    weights[fp.large][fp.edge_y, fp.edge_x] = fp.edge_weight
    assert np.array_equal(cut[fp.edge_y, fp.edge_x], fp.edge_inside)
    return centre, weights


LARGE_CIRCLES = [
    CirclePixelRegion(PixCoord(450.3, 350.7), 200.4),
    CirclePixelRegion(PixCoord(450.0, 350.0), 65.0),  # 3-4-5 triples: pixel centres exactly on the circle
    CirclePixelRegion(PixCoord(450.5, 350.5), 100.0),
    CirclePixelRegion(PixCoord(20.2, 680.9), 150.0),  # sticks out of two sides
    CirclePixelRegion(PixCoord(-100.0, 300.0), 140.0),  # centre off the image
    CirclePixelRegion(PixCoord(450.2, 350.1), 700.0),  # covers the image: its edge, and every band pixel, off it
]


@pytest.mark.parametrize("region", LARGE_CIRCLES, ids=lambda r: f"{r.center.x},{r.center.y},r={r.radius}")
def test_large_circles_match_regions_masks(region, monkeypatch):
    monkeypatch.setattr("tui.core.footprint.SMALL", 64 * 64)  # the edge-only construction, at sizes that test fast
    bbox = region.bounding_box
    assert bbox.shape[0] * bbox.shape[1] >= 64 * 64
    fp = footprint(region, SHAPE)
    assert fp.runs is not None
    centre, weights = as_images(fp, SHAPE)
    assert np.array_equal(centre, region.to_mask(mode="center").to_image(SHAPE) > 0)
    np.testing.assert_allclose(weights, region.to_mask(mode="exact").to_image(SHAPE), rtol=0, atol=1e-13)
    assert fp.count == np.count_nonzero(centre)


def test_many_random_large_circles_match_regions_masks(monkeypatch):
    monkeypatch.setattr("tui.core.footprint.SMALL", 64 * 64)
    rng = np.random.default_rng(8)
    for _ in range(40):
        region = CirclePixelRegion(PixCoord(*rng.uniform(-50, 950, 2)), rng.uniform(33, 300))
        fp = footprint(region, SHAPE)
        if fp is None:
            continue
        centre, weights = as_images(fp, SHAPE)
        assert np.array_equal(centre, region.to_mask(mode="center").to_image(SHAPE) > 0)
        np.testing.assert_allclose(weights, region.to_mask(mode="exact").to_image(SHAPE), rtol=0, atol=1e-13)


SMALL_CIRCLES = [
    CirclePixelRegion(PixCoord(450.0, 350.0), 5.0),  # 3-4-5: pixel centres exactly on the circle
    CirclePixelRegion(PixCoord(450.5, 350.5), 0.5),
    CirclePixelRegion(PixCoord(450.0, 350.0), 0.3),  # within one pixel
    CirclePixelRegion(PixCoord(3.2, 696.9), 40.0),  # sticks out of two sides
]


def test_small_circles_match_regions_masks():
    """Small circles take one grid call (exact weights) and read the centre-mode mask from it: the same pixels as
    regions' centre mode, and regions' own weights."""
    rng = np.random.default_rng(9)
    random = [CirclePixelRegion(PixCoord(*rng.uniform(-20, 920, 2)), rng.uniform(0.2, 110)) for _ in range(150)]
    rounded = [CirclePixelRegion(PixCoord(*np.round(rng.uniform(0, 900, 2) * 2) / 2), float(rng.integers(1, 60)))
               for _ in range(50)]  # integer radii on whole and half pixels: many centres on the edge
    checked = 0
    for region in SMALL_CIRCLES + random + rounded:
        fp = footprint(region, SHAPE)
        if fp is None:
            continue
        assert fp.inside is not None
        centre, weights = as_images(fp, SHAPE)
        assert np.array_equal(centre, region.to_mask(mode="center").to_image(SHAPE) > 0)
        np.testing.assert_allclose(weights, region.to_mask(mode="exact").to_image(SHAPE), rtol=0, atol=1e-13)
        assert fp.count == np.count_nonzero(centre)
        checked += 1
    assert checked > 150


def test_small_circles_over_the_image_edge_keep_every_pixel():
    """On the grid of the part of the bounding box on the image, a pixel wholly inside a circle can weigh
    1 + 2e-16: it is still a centre-mode pixel, and its value is still summed. (One circle in ten centred near the
    edge lost such pixels, from its sum, npix and statistics.) Compared with regions' masks on that same grid
    (on_image_mask): on the whole bounding box's grid a pixel centre on the circle can fall the other way."""
    shape = (200, 200)
    for cx in np.round(np.arange(-0.1, -6.0, -0.1), 1):
        for cy, r in ((100.3, 12.5), (100.7, 20.5), (100.3, 30.3), (100.7, 40.7)):
            region = CirclePixelRegion(PixCoord(float(cx), cy), r)
            centre, weights = as_images(footprint(region, shape), shape)
            regions_centre = on_image_mask(region, shape, "center").to_image(shape) > 0
            assert np.array_equal(centre, regions_centre), (cx, cy, r)
            assert np.array_equal(weights, on_image_mask(region, shape, "exact").to_image(shape)), (cx, cy, r)

    # On an image of ones the sum is the circle's area on the image: the circle less the segment beyond x = -0.5
    s = Session(warn=False)
    s.load_data(np.ones(shape), label="ones")
    r, cx, d = 12.5, -0.2, 0.3  # d: from the centre to the image's edge
    area = math.pi * r * r - (r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d))
    label = s.add_subset(CirclePixelRegion(PixCoord(cx, 100.3), r))
    row = s.calculate(subset=label)
    many, _ = s.calculate_many(subsets=[label])
    for found in (row, many[-1]):
        assert found["aperture_sum"] == pytest.approx(area, rel=1e-12)
        assert found["npix"].value == pytest.approx(area, rel=1e-12)

def regions_reference(data, region, bg):
    """What SPEC asks for, straight from regions' masks: exact (rectangles 32x32 subpixel) weighted sum of good
    pixels, npix, and NumPy's statistics of the good centre-mode values as float64 minus bg."""
    data64 = data.astype(np.float64)
    mode, sub = ("subpixels", 32) if isinstance(region, RectanglePixelRegion) else ("exact", 1)
    w = region.to_mask(mode=mode, subpixels=sub).to_image(data.shape)
    good = np.isfinite(data64)
    total = float(np.sum(w * np.where(good, data64 - bg, 0.0)))
    values = region.to_mask(mode="center").get_values(data64)
    values = values[np.isfinite(values)] - bg
    return total, float(w.sum()), (values.mean(), values.std(), np.median(values), values.min(), values.max())


SHAPES = [
    CirclePixelRegion(PixCoord(300.3, 200.8), 5.5),
    CirclePixelRegion(PixCoord(300.0, 200.0), 130.0),
    CirclePixelRegion(PixCoord(310.7, 250.2), 210.0),
    EllipsePixelRegion(PixCoord(400.2, 300.6), 80, 35, angle=27 * u.deg),
    RectanglePixelRegion(PixCoord(200.5, 400.1), 40, 25, angle=-15 * u.deg),
    PolygonPixelRegion(PixCoord([100, 180, 150, 120], [100, 110, 190, 150])),
]


@pytest.mark.parametrize("dtype", [np.float32, ">f4", np.float64, np.int16])
@pytest.mark.parametrize("region", SHAPES, ids=lambda r: type(r).__name__)
def test_results_match_regions_masks_and_numpy(region, dtype):
    rng = np.random.default_rng(5)
    data = (rng.normal(100.0, 30.0, SHAPE)).astype(dtype)
    if np.issubdtype(np.dtype(dtype), np.floating):
        data[rng.random(SHAPE) < 0.01] = np.nan
    bg = 3.7
    s = Session()
    s.load_data(data, label="img")
    s.add_subset(region, label="ap")
    row = s.calculate(subset="ap", background=bg)
    total, npix, stats = regions_reference(data, region, bg)
    assert row["aperture_sum"] == pytest.approx(total, rel=1e-12)
    assert row["npix"].value == pytest.approx(npix, rel=1e-12)
    assert (row["mean"], row["stddev"], row["median"], row["min"], row["max"]) == stats  # bit for bit


@pytest.mark.parametrize("n", [1, 2, 7, 80, 1001])
def test_statistics_of_odd_and_even_counts(n):
    """Medians of odd and even counts, on float32 data whose order statistics are found in float32."""
    rng = np.random.default_rng(n)
    data = rng.normal(size=(1, n)).astype(np.float32) * 1e3
    region = RectanglePixelRegion(PixCoord((n - 1) / 2, 0), n, 1)
    s = Session()
    s.load_data(data, label="row")
    s.add_subset(region, label="all")
    got = s.calculate(subset="all", background=0.25)
    values = data[0].astype(np.float64) - 0.25
    assert got["npix"].value == n
    assert (got["mean"], got["stddev"], got["median"], got["min"], got["max"]) == (
        values.mean(), values.std(), np.median(values), values.min(), values.max())


def test_nan_and_flagged_pixels_in_a_large_aperture():
    data = np.full(SHAPE, 2.0)
    data[350, 450] = np.nan  # in the interior
    mask = np.zeros(SHAPE, bool)
    mask[350, 451:455] = True
    s = Session()
    s.load_data(data, label="img", mask=mask)
    s.add_subset(CirclePixelRegion(PixCoord(450.2, 350.1), 120.0), label="big")
    row = s.calculate(subset="big")
    reference = CirclePixelRegion(PixCoord(450.2, 350.1), 120.0).to_mask(mode="exact").to_image(SHAPE)
    assert row["npix_bad"] == 5
    assert row["aperture_sum"] == pytest.approx(2.0 * (reference.sum() - 5), rel=1e-12)
    assert row["npix"].value == pytest.approx(reference.sum(), rel=1e-12)
    assert row["median"] == 2.0 and math.isfinite(row["stddev"])
