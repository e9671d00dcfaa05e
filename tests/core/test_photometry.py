"""Each SPEC formula against numbers worked out by hand."""

import math

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from regions import (CircleAnnulusPixelRegion, CirclePixelRegion, EllipsePixelRegion, PixCoord,
                     PolygonPixelRegion, RectanglePixelRegion)

from tests.conftest import tan_wcs
from tui.core import PhotometryError, Session
from tui.core.photometry import COLUMNS, EXTENDED

# A 4x6 rectangle whose edges lie on pixel boundaries: 24 whole pixels, weights exactly 1.
BOX = RectanglePixelRegion(PixCoord(10.5, 10.5), width=4, height=6)
BOX_PIXELS = (slice(8, 14), slice(9, 13))  # rows y 8..13, columns x 9..12


def session_with(data, unit=None, wcs=None, meta=None, region=BOX):
    s = Session()
    s.load_data(data, label="img", unit=unit, wcs=wcs, meta=meta)
    s.add_subset(region)
    return s


def test_columns_in_spec_order():
    s = session_with(np.ones((30, 30)))
    row = s.calculate()
    assert tuple(row) == COLUMNS + EXTENDED  # the extended columns after the 21 Imviz ones
    assert len(COLUMNS) == 21
    assert s.get_aperture_photometry_results().colnames == list(COLUMNS)  # the Imviz API is unchanged
    assert s.get_aperture_photometry_results(extended=True).colnames == list(COLUMNS + EXTENDED)


def test_aligned_rectangle_sum_and_npix_are_whole_pixels():
    row = session_with(np.full((30, 30), 2.0)).calculate()
    assert row["npix"] == 24 * u.pix
    assert row["aperture_sum"] == pytest.approx(48.0, rel=1e-15)


def test_circle_uses_exact_overlap():
    row = session_with(np.full((40, 40), 3.0), region=CirclePixelRegion(PixCoord(20.3, 19.7), 5)).calculate()
    assert row["npix"].value == pytest.approx(math.pi * 25, rel=1e-12)
    assert row["aperture_sum"] == pytest.approx(3 * math.pi * 25, rel=1e-12)


def test_ellipse_and_polygon_use_exact_overlap():
    ell = session_with(np.ones((40, 40)), region=EllipsePixelRegion(PixCoord(20, 20), 10, 6, angle=30 * u.deg))
    assert ell.calculate()["npix"].value == pytest.approx(math.pi * 5 * 3, rel=1e-12)
    tri = PolygonPixelRegion(PixCoord([1.2, 9.2, 9.2], [1.4, 1.4, 7.4]))  # legs 8 and 6: area 24
    row = session_with(np.ones((20, 20)), region=tri).calculate()
    assert row["npix"].value == pytest.approx(24.0, rel=1e-12)
    assert (row["xcenter"].value, row["ycenter"].value) == pytest.approx(((1.2 + 9.2 + 9.2) / 3, (1.4 * 2 + 7.4) / 3))


def test_rotated_rectangle_uses_32_subpixels_not_exact():
    # A 4x6 box rotated by 45 deg: its true area is 24, but the SPEC asks for 32x32 subpixel sampling.
    box = RectanglePixelRegion(PixCoord(15.0, 15.0), 4, 6, angle=45 * u.deg)
    row = session_with(np.ones((30, 30)), region=box).calculate()
    sub = box.to_mask(mode="subpixels", subpixels=32).data.sum()
    assert row["npix"].value == sub
    assert row["npix"].value == pytest.approx(24.0, abs=0.05)


def test_background_is_subtracted_per_weighted_pixel():
    row = session_with(np.full((30, 30), 5.0)).calculate(background=1.5)
    assert row["aperture_sum"] == pytest.approx(24 * 3.5)
    assert row["background"] == 1.5
    assert row["mean"] == pytest.approx(3.5) and row["median"] == pytest.approx(3.5)


def test_nan_pixels_count_in_npix_but_add_nothing_to_the_sum():
    data = np.full((30, 30), 2.0)
    data[10, 10] = np.nan
    row = session_with(data).calculate(background=0.5)
    assert row["npix"] == 24 * u.pix
    assert row["aperture_sum"] == pytest.approx(23 * 1.5)  # the NaN pixel contributes 0, not -bg
    assert row["mean"] == pytest.approx(1.5) and row["stddev"] == 0


def test_statistics_use_centre_mode_pixels_of_data_minus_background():
    data = np.zeros((30, 30))
    values = np.arange(24, dtype=float).reshape(6, 4) ** 2
    data[BOX_PIXELS] = values
    # A circle whose centre-mode pixels are exactly the 3x3 block around (11, 11): radius 1.45
    s = session_with(data, region=CirclePixelRegion(PixCoord(11, 11), 1.45))
    row = s.calculate(background=1.0)
    block = data[10:13, 10:13].ravel() - 1.0
    assert row["mean"] == pytest.approx(block.mean())
    assert row["stddev"] == pytest.approx(math.sqrt(((block - block.mean()) ** 2).mean()))  # ddof=0
    assert row["median"] == pytest.approx(np.sort(block)[4])
    assert (row["min"], row["max"]) == (block.min(), block.max())


def test_region_partly_off_the_image_counts_only_pixels_on_it():
    box = RectanglePixelRegion(PixCoord(0.5, 10.5), width=4, height=6)  # columns -1..2: 3 of 4 on the image
    row = session_with(np.ones((30, 30)), region=box).calculate()
    assert row["npix"] == 18 * u.pix
    assert row["aperture_sum"] == pytest.approx(18.0)


def test_region_entirely_off_the_image_is_an_error_and_adds_nothing():
    s = session_with(np.ones((30, 30)))
    s.calculate()
    s.add_subset(CirclePixelRegion(PixCoord(100, 100), 5), label="far")
    with pytest.raises(PhotometryError, match="outside the image"):
        s.calculate(subset="far")
    assert len(s.get_aperture_photometry_results()) == 1
    assert s.selected_subset == "Subset 1"


def test_per_steradian_data_with_pixel_area():
    area = 0.0009  # arcsec^2
    row = session_with(np.full((30, 30), 2.0), unit=u.MJy / u.sr).calculate(pixel_area=area)
    omega = area * (math.pi / 648000) ** 2
    assert row["aperture_sum"].unit == u.MJy
    assert row["aperture_sum"].value == pytest.approx(48.0 * omega, rel=1e-14)  # not 48 * npix * omega
    assert row["pixarea_tot"].unit == u.sr
    assert row["pixarea_tot"].value == pytest.approx(24 * omega, rel=1e-14)


def test_per_steradian_data_without_pixel_area_keeps_the_data_unit():
    row = session_with(np.full((30, 30), 2.0), unit=u.MJy / u.sr).calculate()
    assert row["aperture_sum"] == 48.0 * u.MJy / u.sr
    assert row["pixarea_tot"] is None


def test_counts_use_the_raw_sum_and_poisson_error():
    s = session_with(np.full((30, 30), 2.0), unit=u.MJy / u.sr)
    row = s.calculate(pixel_area=0.01, counts_factor=0.25)
    assert row["aperture_sum_counts"].unit == u.count
    assert row["aperture_sum_counts"].value == pytest.approx(48.0 / 0.25)  # rawsum, not the sr sum
    assert row["aperture_sum_counts_err"].value == pytest.approx(math.sqrt(192.0))
    assert row["counts_fac"] == 0.25 * u.MJy / u.sr / u.count


def test_negative_counts_have_nan_error():
    row = session_with(np.full((30, 30), -1.0), unit=u.electron / u.s).calculate(counts_factor=0.5)
    assert row["aperture_sum_counts"].value == pytest.approx(-48.0)
    assert math.isnan(row["aperture_sum_counts_err"].value)


def test_count_data_or_unset_factor_give_no_counts():
    assert session_with(np.ones((30, 30)), unit=u.count).calculate(counts_factor=2)["aperture_sum_counts"] is None
    row = session_with(np.ones((30, 30)), unit=u.Jy).calculate(counts_factor=0)
    assert row["aperture_sum_counts"] is None and row["counts_fac"] is None and row["aperture_sum_counts_err"] is None


def test_magnitude_from_raw_sum_and_flux_scaling():
    row = session_with(np.full((30, 30), 1.0), unit=u.MJy / u.sr).calculate(pixel_area=0.01, flux_scaling=10.0)
    assert row["aperture_sum_mag"].unit == u.mag
    assert row["aperture_sum_mag"].value == pytest.approx(-2.5 * math.log10(24 / 10.0))
    assert row["flux_scaling"] == 10.0 * u.MJy / u.sr
    negative = session_with(np.full((30, 30), -1.0)).calculate(flux_scaling=1.0)
    assert math.isnan(negative["aperture_sum_mag"].value)


def test_unitless_data_gives_plain_floats_and_none_columns():
    row = session_with(np.full((30, 30), 3.0)).calculate(background=1.0, pixel_area=0.01, counts_factor=2,
                                                         flux_scaling=4)
    assert isinstance(row["background"], float) and not isinstance(row["background"], u.Quantity)
    assert isinstance(row["aperture_sum"], float) and row["aperture_sum"] == pytest.approx(48.0)
    assert row["pixarea_tot"] is None and row["aperture_sum_counts"] is None and row["counts_fac"] is None
    assert row["aperture_sum_mag"].value == pytest.approx(-2.5 * math.log10(48.0 / 4))


def test_centre_and_sky_centre():
    shape = (30, 30)
    wcs = tan_wcs(shape)
    # The reference pixel (crpix 15.5, 1-based) is 0-based pixel 14.5: its sky position is crval.
    s = session_with(np.ones(shape), wcs=wcs, region=CirclePixelRegion(PixCoord(14.5, 14.5), 3))
    row = s.calculate()
    assert row["xcenter"] == 14.5 * u.pix and row["ycenter"] == 14.5 * u.pix
    assert isinstance(row["sky_center"], SkyCoord)
    assert row["sky_center"].ra.deg == pytest.approx(150.0) and row["sky_center"].dec.deg == pytest.approx(2.0)
    assert session_with(np.ones(shape)).calculate()["sky_center"] is None


def test_a_centre_on_no_sky_reads_none():
    """An all-sky map's corner lies off its projection (AIT): the row's sky_center is NaN, as the WCS gives it; the
    panel and the table said 'RA nan, Dec +nan deg', and the cursor's readout 'RA nan Dec +nan'."""
    from astropy.wcs import WCS

    from tui.core.formatting import column_texts, result_lines

    wcs = WCS(naxis=2)
    wcs.wcs.ctype, wcs.wcs.crpix, wcs.wcs.cdelt = ["RA---AIT", "DEC--AIT"], [50.5, 50.5], [-4.0, 4.0]
    s = Session(warn=False)
    s.load_data(np.ones((100, 100)), label="allsky", unit="Jy", wcs=wcs)
    row = s.calculate(subset=s.add_subset(CirclePixelRegion(PixCoord(2.0, 2.0), 2.0)))
    assert np.isnan(row["sky_center"].ra.deg) and row["aperture_sum"].value == pytest.approx(4 * math.pi)
    assert ("sky_center", "none: the WCS puts this centre on no sky") in result_lines(row)
    assert column_texts("sky_center", [row["sky_center"]]) == ["none"]
    assert s.pixel_info("allsky", 1.0, 1.0)["sky"] is None
    assert s.pixel_info("allsky", 50.0, 50.0)["sky"].ra.deg == pytest.approx(357.999, abs=1e-3)


def test_signalling_nans_are_nan_pixels_without_a_warning():
    """A NaN whose quiet bit is clear (bytes an odd writer or a damaged file left) printed NumPy's "invalid value
    encountered in cast" from every measurement that cast the pixels: it is a NaN pixel like any other."""
    import warnings

    quiet = np.random.default_rng(4).normal(10.0, 1.0, (60, 60)).astype(np.float32)
    spots = ([20, 22, 25, 31, 40], [20, 17, 25, 22, 40])
    quiet[spots] = np.nan
    signalling = quiet.copy()
    signalling.view(np.uint32)[spots] = [0x7F800001, 0x7F800002, 0x7FA00000, 0xFF800001, 0x7F812345]
    assert np.isnan(signalling[spots]).all() and not (signalling.view(np.uint32)[spots] & 0x400000).any()
    sessions = []
    for data in (quiet, signalling):
        s = Session(warn=False)
        s.load_data(data, label="img", unit="Jy")
        label = s.add_subset(CirclePixelRegion(PixCoord(22.3, 22.2), 6.0))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s.calculate(subset=label)
            s.calculate_many(subsets=[label])
            found = (s.radial_profile(subset=label), s.curve_of_growth(subset=label), s.recenter(subset=label))
            s.profile_summary(subset=label)
        sessions.append((s, found))
    (a, found_a), (b, found_b) = sessions
    rows_a, rows_b = (s.get_aperture_photometry_results(extended=True) for s in (a, b))
    for name in ("aperture_sum", "npix", "npix_bad", "mean", "median", "biweight_location", "fwhm"):
        assert np.array_equal(np.asarray(rows_a[name]), np.asarray(rows_b[name]), equal_nan=True), name
    assert rows_a["npix_bad"][0] == 3  # the three spots inside the aperture, either way
    assert np.array_equal(found_a[0]["profile"], found_b[0]["profile"], equal_nan=True)
    assert found_a[2] == found_b[2]


def test_ids_labels_and_timestamp():
    s = session_with(np.ones((30, 30)))
    before = Time.now()
    rows = [s.calculate() for _ in range(3)]
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert rows[0]["data_label"] == "img" and rows[0]["subset_label"] == "Subset 1"
    assert rows[0]["timestamp"].scale == "utc" and rows[0]["timestamp"] >= before


def test_annulus_is_refused_as_aperture_but_gives_a_background_median():
    data = np.zeros((40, 40))
    yy, xx = np.mgrid[:40, :40]
    r = np.hypot(xx - 20, yy - 20)
    data[(r > 5) & (r < 9)] = 7.0
    data[data == 0] = 100.0
    s = session_with(data, region=CirclePixelRegion(PixCoord(20, 20), 3))
    s.add_subset(CircleAnnulusPixelRegion(PixCoord(20, 20), 6, 8), label="sky")
    with pytest.raises(PhotometryError, match="annulus"):
        s.calculate(subset="sky")
    s.inputs.background_region = "sky"
    assert s.background_median() == 7.0
    row = s.calculate(subset="Subset 1")
    assert row["background"] == 7.0
    assert row["aperture_sum"] == pytest.approx(93.0 * math.pi * 9, rel=1e-12)
    assert s.inputs.background == 7.0  # shown in the Background field


def test_float32_data_is_summed_in_double_precision():
    data = np.full((30, 30), 1.1, dtype=np.float32)
    row = session_with(data).calculate(background=0.1)
    assert row["aperture_sum"] == 24 * (float(np.float32(1.1)) - 0.1)


@pytest.mark.parametrize("windowed", [4096, 32768, math.inf], ids=["zen4", "scalar", "whole"])
@pytest.mark.parametrize("kind", ["normal", "ties", "sorted", "sample_fooled", "float32", "int16"])
@pytest.mark.parametrize("n", [1, 2, 3, 4095, 4096, 4097, 32768, 100_001, 250_000])
def test_middle_values_are_those_np_partition_places(kind, n, windowed, monkeypatch):
    """Both ways of finding them (which one runs depends on the CPU) give np.partition's elements."""
    from tui.core import robust
    from tui.core.robust import middle

    monkeypatch.setattr(robust, "WINDOWED", windowed)

    rng = np.random.default_rng(n)
    values = {"normal": lambda: rng.normal(size=n), "ties": lambda: rng.integers(0, 5, n).astype(float),
              "sorted": lambda: np.sort(rng.normal(size=n)), "float32": lambda: rng.normal(size=n).astype(np.float32),
              "int16": lambda: rng.integers(-300, 300, n).astype(np.int16),
              "sample_fooled": lambda: np.zeros(n)}[kind]()
    if kind == "sample_fooled" and n > 1:
        values[:: max(n // 1024, 1)] = 1e9  # the sample sees only these: the window misses, all is partitioned
    ranked = np.sort(values)
    lower, upper = middle(values.copy())
    assert upper == ranked[n // 2]
    assert (lower == ranked[n // 2 - 1]) if n > 1 else math.isnan(lower)


@pytest.mark.parametrize("windowed", [4096, math.inf], ids=["zen4", "whole"])
@pytest.mark.parametrize("kind", ["normal", "ties", "skewed"])
@pytest.mark.parametrize("fraction", [0.0, 0.001, 1 / 7, 0.5, 0.9, 0.9999])
def test_any_rank_is_found_as_np_partition_places_it(kind, fraction, windowed, monkeypatch):
    """A window still large is cut again around the rank it holds, which need not be its middle."""
    from tui.core import robust

    monkeypatch.setattr(robust, "WINDOWED", windowed)
    rng = np.random.default_rng(7)
    n = 200_003
    values = {"normal": lambda: rng.normal(size=n), "ties": lambda: rng.integers(0, 40, n).astype(float),
              "skewed": lambda: rng.exponential(size=n) ** 3}[kind]()
    k = int(fraction * n)
    ranked = np.sort(values)
    lower, upper = robust._ranks(values.copy(), k)
    assert upper == ranked[k]
    assert (lower == ranked[k - 1]) if k else math.isnan(lower)


@pytest.mark.parametrize("cpu, zen3_or_4", [
    ("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n", True),
    ("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n", False),  # Zen 5
    ("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\n", False),
    ("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 250\n", False),
    ("AMD64 Family 25 Model 17 Stepping 1, AuthenticAMD", True),  # Windows' platform.processor()
    ("Intel64 Family 6 Model 143 Stepping 8, GenuineIntel", False),
    ("arm", False),
])
def test_zen4_is_told_from_the_cpu_description(cpu, zen3_or_4):
    """Zen 4 (AMD family 19h with AVX-512) is where np.partition's AVX-512 path is slow and the window serves."""
    from tui.core.robust import amd_family_19h

    assert amd_family_19h(cpu) is zen3_or_4
