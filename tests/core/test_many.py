"""Many apertures at once (issue 8): calculate_many gives the rows calculate gives one by one, bit for bit, and the
same reasons for the ones it skips."""

import math

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from regions import (CirclePixelRegion, CircleSkyRegion, EllipsePixelRegion, PixCoord, PolygonPixelRegion,
                     RectanglePixelRegion)

from tests.conftest import tan_wcs
from tui.core import Session
from tui.core.photometry import ALL_COLUMNS

SHAPE = (300, 400)


def wcs():
    return tan_wcs(SHAPE, scale_arcsec=0.036, crval=(150.1, 2.2))


def apertures(rng):
    found = [CirclePixelRegion(PixCoord(rng.uniform(-8, 408), rng.uniform(-8, 308)), rng.choice([0.7, 3.0, 4.5, 10.2]))
             for _ in range(60)]
    found += [
        CirclePixelRegion(PixCoord(100.0, 100.0), 5.0),  # pixel centres exactly on the circle (3-4-5)
        CirclePixelRegion(PixCoord(200.0, 150.0), 130.0),  # large: measured one by one, in its place
        CirclePixelRegion(PixCoord(-50.0, -50.0), 10.0),  # off the image
        CirclePixelRegion(PixCoord(-10.6, 50.0), 10.0),  # its box touches the image, the circle does not
        EllipsePixelRegion(PixCoord(150.2, 80.7), 14, 6, angle=33 * u.deg),
        RectanglePixelRegion(PixCoord(398.0, 20.5), 9, 5, angle=10 * u.deg),
        PolygonPixelRegion(PixCoord([30, 42, 36], [200, 204, 215])),
    ]
    return found


def loaded(data, **kwargs):
    s = Session()
    s.load_data(data, label="img", **kwargs)
    return s


def same(a: QTable, b: QTable) -> None:
    """Every column equal, NaN where NaN, except the timestamps."""
    assert len(a) == len(b)
    for name in ALL_COLUMNS:
        if name == "timestamp":
            continue
        x, y = a[name], b[name]
        if isinstance(x, SkyCoord):
            assert np.array_equal(x.ra.deg, y.ra.deg) and np.array_equal(x.dec.deg, y.dec.deg), name
        elif isinstance(x, u.Quantity):
            assert x.unit == y.unit and np.array_equal(x.value, y.value, equal_nan=True), name
        elif x.dtype.kind == "f":
            assert np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True), name
        else:
            assert list(x) == list(y), name


def both_ways(make_session, regions, **fields):
    """(table and skipped from calculate_many, the same from calculate one by one) on fresh sessions."""
    one = make_session()
    labels = [one.add_subset(r) for r in regions]
    rows, skipped = [], []
    for label in labels:
        try:
            rows.append(one.calculate(subset=label, **fields))
        except Exception as exc:  # noqa: BLE001 - the message is what is compared
            skipped.append((label, str(exc)))
    many = make_session()
    for r in regions:
        many.add_subset(r)
    table, skipped_many = many.calculate_many(subsets=labels, **fields)
    assert skipped_many == skipped
    assert [r["id"] for r in rows] == list(table["id"])
    return table, one.get_aperture_photometry_results(extended=True)


@pytest.mark.parametrize("dtype", [np.float32, ">f4", np.float64, np.int16])
def test_rows_are_those_of_calculate_one_by_one(dtype):
    rng = np.random.default_rng(12)
    data = rng.normal(50, 10, SHAPE).astype(dtype)
    if np.dtype(dtype).kind == "f":
        data[rng.random(SHAPE) < 0.02] = np.nan
    regions = apertures(rng)
    table, reference = both_ways(lambda: loaded(data, unit="MJy/sr", wcs=wcs()), regions, background=2.5,
                                 pixel_area=0.0009, flux_scaling=3e-3)
    assert len(table) >= 55
    same(table, reference)


def test_errors_dq_counts_and_a_background_region():
    rng = np.random.default_rng(13)
    data = rng.normal(50, 10, SHAPE).astype(np.float32)
    sigma = np.full(SHAPE, 2.0, np.float32)
    sigma[rng.random(SHAPE) < 0.01] = np.nan  # a NaN sigma on a good pixel: left out of the variance
    mask = rng.random(SHAPE) < 0.03

    def session():
        s = loaded(data, unit="electron/s", error=sigma, mask=mask)
        s.add_subset(CirclePixelRegion(PixCoord(200, 150), 40), label="sky")
        s.inputs.background_region = "sky"
        s.inputs.background_stat = "sigma-clip"
        return s

    regions = apertures(rng)
    table, reference = both_ways(session, regions, counts_factor=0.5)
    same(table, reference)
    assert table["npix_bad"].sum() > 0 and np.isfinite(table["aperture_sum_err"].value).any()
    assert table["background_stat"][0] == "sigma-clipped median"


def test_unitless_data_and_an_overflow_are_as_calculate_has_them():
    data = np.random.default_rng(14).normal(5, 1, SHAPE)
    data[100:110, 100:110] = 1e308  # their sum overflows: that aperture is refused, by name

    regions = [CirclePixelRegion(PixCoord(105, 105), 4), CirclePixelRegion(PixCoord(50.3, 60.2), 4),
               CirclePixelRegion(PixCoord(300.5, 200.5), 3)]
    table, reference = both_ways(lambda: loaded(data), regions)
    same(table, reference)
    assert len(table) == 2 and table["aperture_sum"].dtype.kind == "f"


def test_sky_regions_and_an_image_without_wcs():
    sky = CircleSkyRegion(SkyCoord(150.1, 2.2, unit="deg"), 0.1 * u.arcsec)
    data = np.ones(SHAPE)
    table, reference = both_ways(lambda: loaded(data, wcs=wcs()), [sky, CirclePixelRegion(PixCoord(5, 5), 2)])
    same(table, reference)
    s = loaded(data)
    label = s.add_subset(sky)
    table, skipped = s.calculate_many(subsets=[label])
    assert table is None and skipped == [(label, f"{label} is in sky coordinates but img has no celestial WCS")]


def test_many_then_one_share_a_table_and_its_ids():
    s = loaded(np.ones(SHAPE), unit="MJy/sr")
    labels = [s.add_subset(CirclePixelRegion(PixCoord(50 + 10 * k, 50), 3)) for k in range(5)]
    table, _ = s.calculate_many(subsets=labels[:4])
    row = s.calculate(subset=labels[4])
    assert list(table["id"]) == [1, 2, 3, 4] and row["id"] == 5
    assert [r["id"] for r in s.result_rows] == [1, 2, 3, 4, 5]
    whole = s.get_aperture_photometry_results()
    assert list(whole["id"]) == [1, 2, 3, 4, 5]
    assert whole["aperture_sum"][0] == row["aperture_sum"]  # same position in the pixel grid: same numbers
    assert row["aperture_sum"].to_value(u.MJy / u.sr) == pytest.approx(9 * math.pi, rel=1e-12)
    assert s.result_rows[0]["aperture_sum"] == row["aperture_sum"]


def test_an_image_of_another_unit_starts_a_new_table():
    s = Session()
    s.load_data(np.ones(SHAPE), label="a", unit="MJy/sr")
    s.load_data(np.ones(SHAPE), label="b", unit="electron/s")
    label = s.add_subset(CirclePixelRegion(PixCoord(50, 50), 3))
    s.calculate_many(data="a", subsets=[label])
    table, _ = s.calculate_many(data="b", subsets=[label])
    assert len(s.archived_results) == 1 and list(table["id"]) == [1]
    assert "new table was started" in " ".join(s.pop_notices())


def test_apertures_measured_in_chunks_keep_their_order(monkeypatch):
    monkeypatch.setattr("tui.core.many.CHUNK", 600)  # a few small circles per chunk
    rng = np.random.default_rng(15)
    data = rng.normal(50, 10, SHAPE).astype(np.float32)
    table, reference = both_ways(lambda: loaded(data), apertures(rng), background=1.0)
    same(table, reference)


def test_absurd_sizes_and_positions_are_as_calculate_has_them():
    regions = [CirclePixelRegion(PixCoord(*centre), radius) for centre, radius in
               (((20, 15), 1e6), ((20, 15), 1e18), ((20, 15), 1e300), ((1e300, 5), 3), ((-1e300, 5), 1e300))]
    with np.errstate(all="raise"):
        table, reference = both_ways(lambda: loaded(np.ones(SHAPE)), regions)
    same(table, reference)
    assert list(table["npix"].value[:3]) == [SHAPE[0] * SHAPE[1]] * 3
