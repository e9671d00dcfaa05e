"""The current Imviz plugin's ten extra columns (issue 20): the numbers photutils' ApertureStats gives jdaviz 5,
in the units Imviz shows, in every row and every file."""

import json
import math
import warnings

import numpy as np
import photutils
import pytest
import astropy.units as u
from astropy.utils import minversion
from photutils.aperture import ApertureStats
from regions import (CircleAnnulusPixelRegion, CirclePixelRegion, EllipsePixelRegion, PixCoord,
                     RectanglePixelRegion)

from tests.conftest import over_subtracted_core, tan_wcs
from tui.core import Session, read_results
from tui.core.photometry import COLUMNS
from tui.core.robust import EXTRA, SHAPE as SHAPE_COLUMNS

SHAPE = (120, 140)


def star_field(seed=4):
    """Noise with two elongated stars; a NaN in the first star's wing."""
    rng = np.random.default_rng(seed)
    data = rng.normal(3.0, 0.5, SHAPE)
    yy, xx = np.mgrid[:SHAPE[0], :SHAPE[1]]
    for x0, y0, sx, sy, peak in ((60.3, 55.7, 2.2, 1.4, 400.0), (100.6, 90.2, 1.5, 1.5, 90.0)):
        data += peak * np.exp(-((xx - x0) ** 2 / (2 * sx**2) + (yy - y0) ** 2 / (2 * sy**2)))
    data[57, 63] = np.nan
    return data


def photutils_stats(data, region, bg, mask=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its note that NaN pixels are masked
        return ApertureStats(data, region, local_bkg=bg, mask=mask)


# The current Imviz (jdaviz 5.0.5, on Python 3.12 or newer) computes with photutils 3.1, whose moment shape is NaN
# for a covariance that is not positive semidefinite and floors each axis's variance at a pixel's (1/12) keeping the
# axes; 3.0 (the newest on Python 3.11) only NaN'd a negative determinant and added 1/12 to the diagonal.
PHOTUTILS_31 = minversion(photutils, "3.1")


def raw_covariance(theirs) -> np.ndarray:
    """The covariance of ApertureStats' central moments, before any rule: [[mu_xx, mu_xy], [mu_xy, mu_yy]]."""
    mu = np.asarray(theirs.moments_central, dtype=np.float64)  # mu[i, j]: y^i x^j
    return np.array([[mu[0, 2], mu[1, 1]], [mu[1, 1], mu[2, 0]]]) / mu[0, 0]


def shape_by_rule_31(theirs) -> dict:
    """photutils 3.1's moment shape from ApertureStats' raw central moments, by another road than ours: the
    covariance's eigen-decomposition by LAPACK (numpy.linalg.eigh), eigenvalues floored at 1/12 with their
    eigenvectors kept, NaN when the covariance is not positive semidefinite."""
    cov = raw_covariance(theirs)
    trace = cov[0, 0] + cov[1, 1]
    if not np.isfinite(cov).all() or np.linalg.det(cov) < -1000 * np.finfo(float).eps * trace**2 or trace < 0:
        return dict.fromkeys(SHAPE_COLUMNS, math.nan)
    w, v = np.linalg.eigh(cov)  # ascending; the major axis is the last column
    b2, a2 = np.maximum(w, 1 / 12)
    angle = 0.0 if a2 == b2 else math.degrees(math.atan2(v[1, 1], v[0, 1]))
    angle = (angle + 90.0) % 180.0 - 90.0
    return {"fwhm": 2 * math.sqrt(math.log(2) * (a2 + b2)), "semimajor_axis": math.sqrt(a2),
            "semiminor_axis": math.sqrt(b2), "orientation": 90.0 if angle == -90.0 else angle,
            "eccentricity": math.sqrt(1 - b2 / a2)}


def expected(theirs) -> dict:
    """ApertureStats' ten under photutils 3.1's rules: its own numbers on 3.1 or newer, or where the two rules agree
    (a covariance positive semidefinite with both variances of a pixel or more); shape_by_rule_31 elsewhere."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's biweights on values with no spread (MAD 0) divide by zero
        values = {column: float(getattr(getattr(theirs, column), "value", getattr(theirs, column)))
                  for column in EXTRA}
    if not PHOTUTILS_31:
        cov = raw_covariance(theirs)
        w = np.linalg.eigvalsh(cov) if np.isfinite(cov).all() else np.array([math.nan])
        if not (w.min() >= 1 / 12):
            values.update(shape_by_rule_31(theirs))
    return values


def close(ours, theirs, name, scale):
    """Within 1e-9 relative, or (for values near 0, which no method pins down better) 1e-12 of the data's scale."""
    ours, theirs = float(getattr(ours, "value", ours)), float(getattr(theirs, "value", theirs))
    if math.isnan(theirs):
        assert math.isnan(ours), name
        return
    assert abs(ours - theirs) <= max(1e-9 * abs(theirs), 1e-12 * scale), (name, ours, theirs)


APERTURES = {
    "circle": CirclePixelRegion(PixCoord(60.3, 55.7), 9),
    "ellipse": EllipsePixelRegion(PixCoord(60, 56), 22, 12, angle=35 * u.deg),
    "rotated rectangle": RectanglePixelRegion(PixCoord(60.5, 55.5), 16, 9, angle=25 * u.deg),
    "over the edge": CirclePixelRegion(PixCoord(3.2, 60.0), 8),
    "faint star": CirclePixelRegion(PixCoord(100.6, 90.2), 6),
    "large circle": CirclePixelRegion(PixCoord(70.4, 60.1), 130),  # measured from its edge (footprint runs)
    "sky only": CirclePixelRegion(PixCoord(25.0, 100.0), 7),
}


@pytest.mark.parametrize("name", list(APERTURES))
@pytest.mark.parametrize("background", ["manual", "annulus"])
def test_the_ten_are_those_of_apertures_stats(name, background):
    assert_the_ten_are_those_of_apertures_stats(star_field(), APERTURES[name], background)


@pytest.mark.parametrize("background", ["manual", "annulus"])
def test_a_large_circle_with_every_pixel_good(background):
    """Every pixel of a large circle good: the y moments come from its rows' sums (robust.run_moments)."""
    data = star_field()
    data[57, 63] = 3.0
    assert_the_ten_are_those_of_apertures_stats(data, APERTURES["large circle"], background)


def assert_the_ten_are_those_of_apertures_stats(data, region, background):
    s = Session(warn=False)
    s.load_data(data, label="img")
    label = s.add_subset(region)
    if background == "annulus":
        s.add_subset(CircleAnnulusPixelRegion(PixCoord(60.3, 55.7), 14, 20), label="sky")
        s.inputs.background_region = "sky"
    row = s.calculate(subset=label, background=2.9 if background == "manual" else None)
    bg = row["background"]
    theirs = expected(photutils_stats(data, region, bg))
    for column in EXTRA:
        close(row[column], theirs[column], column, scale=np.nanmax(data))


def test_per_steradian_data_with_err_and_dq(tmp_path):
    """JWST-like: MJy/sr with ERR and DQ; flagged pixels are left out as for the other statistics."""
    data = star_field().astype(np.float32) * 0.01
    dq = np.zeros(SHAPE, np.uint32)
    dq[54:57, 58:61] = 1  # DO_NOT_USE on the star's core
    s = Session(warn=False)
    header = tan_wcs(SHAPE).to_header()
    header.update(BUNIT="MJy/sr", TELESCOP="JWST", PIXAR_A2=0.0009)
    s.load_data(data, label="jw", unit="MJy/sr", wcs=tan_wcs(SHAPE), error=np.full(SHAPE, 0.002),
                mask=dq.astype(bool))
    label = s.add_subset(APERTURES["circle"])
    row = s.calculate(subset=label, background=0.03)
    assert row["npix_bad"] > 0
    theirs = expected(photutils_stats(data.astype(np.float64), APERTURES["circle"], 0.03, mask=dq.astype(bool)))
    for column in EXTRA:
        close(row[column], theirs[column], column, scale=float(np.nanmax(data)))
    # the units Imviz gives: the data unit (per steradian, like the mean), its square, pixels, degrees, none
    assert row["mode"].unit == row["mad_std"].unit == row["biweight_location"].unit == u.MJy / u.sr
    assert row["var"].unit == row["biweight_midvariance"].unit == (u.MJy / u.sr) ** 2
    assert row["fwhm"].unit == row["semimajor_axis"].unit == row["semiminor_axis"].unit == u.pix
    assert row["orientation"].unit == u.deg and type(row["eccentricity"]) is float
    assert row["aperture_sum"].unit == u.MJy  # the sum is still times the pixel solid angle


def test_unitless_data_give_plain_numbers_and_pixels():
    s = Session(warn=False)
    s.load_data(star_field(), label="img")
    row = s.calculate(subset=s.add_subset(APERTURES["circle"]))
    assert all(type(row[c]) is float for c in ("mode", "mad_std", "var", "biweight_location",
                                                "biweight_midvariance", "eccentricity"))
    assert row["fwhm"].unit == u.pix and row["orientation"].unit == u.deg


def test_degenerate_apertures_give_nan_where_photutils_does_and_never_raise():
    data = star_field()
    data[10:20, 10:20] = np.nan
    data[30:40, 10:20] = 7.0
    s = Session(warn=False)
    s.load_data(data, label="img")
    cases = {"one pixel": CirclePixelRegion(PixCoord(60.0, 56.0), 0.4),
             "all NaN": CirclePixelRegion(PixCoord(14.5, 14.5), 3),
             "flat": CirclePixelRegion(PixCoord(14.5, 34.5), 3)}
    for name, region in cases.items():
        row = s.calculate(subset=s.add_subset(region, label=name))
        theirs = expected(photutils_stats(data, region, 0.0))
        for column in EXTRA:
            close(row[column], theirs[column], f"{name} {column}", scale=100.0)
    one = s.result_rows[0]
    assert one["mad_std"] == 0 and one["biweight_midvariance"] == 0  # a single value has no spread
    assert one["semimajor_axis"].value == pytest.approx(math.sqrt(1 / 12))  # a pixel's variance on both axes


def test_a_covariance_that_is_not_positive_semidefinite_gives_no_shape_not_even_an_orientation():
    """An over-subtracted core in a ring of light: the covariance's variances are negative, which describes no
    shape (photutils 3.1): all five are NaN while the robust statistics stand."""
    data = over_subtracted_core((60, 60), 30.2, 29.7)
    s = Session(warn=False)
    s.load_data(data, label="residual")
    region = CirclePixelRegion(PixCoord(30.2, 29.7), 8)
    row = s.calculate(subset=s.add_subset(region), background=0.0)
    assert row["aperture_sum"] < 0
    assert all(math.isnan(getattr(row[c], "value", row[c])) for c in SHAPE_COLUMNS)
    assert all(math.isfinite(getattr(row[c], "value", row[c])) for c in EXTRA if c not in SHAPE_COLUMNS)
    theirs = expected(photutils_stats(data, region, 0.0))
    for column in EXTRA:
        close(row[column], theirs[column], column, scale=60.0)


def test_a_source_thinner_than_a_pixel_keeps_its_length_and_its_angle():
    """A line of pixels at slope 1/2 (a streak): its covariance [[16, 8], [8, 4]] has variances 20 along it and 0
    across; only the one across is raised to a pixel's 1/12 (3.0 added 1/12 to both)."""
    data = np.zeros((60, 60))
    for k in range(-3, 4):
        data[30 + k, 30 + 2 * k] = 1.0
    s = Session(warn=False)
    s.load_data(data, label="streak")
    region = CirclePixelRegion(PixCoord(30.0, 30.0), 8)
    row = s.calculate(subset=s.add_subset(region), background=0.0)
    hand = {"fwhm": 2 * math.sqrt(math.log(2) * (20 + 1 / 12)), "semimajor_axis": math.sqrt(20),
            "semiminor_axis": math.sqrt(1 / 12), "orientation": math.degrees(math.atan2(1, 2)),
            "eccentricity": math.sqrt(1 - (1 / 12) / 20)}
    theirs = expected(photutils_stats(data, region, 0.0))
    for column, value in hand.items():
        close(row[column], value, column, scale=1.0)
        close(row[column], theirs[column], column, scale=1.0)


def test_unresolved_shapes_beside_a_resolved_one_in_a_shared_block_keep_their_bits():
    """A streak, an over-subtracted core and a round star, each in an r=8 circle placed alike (one block in
    calculate_many, where the resolved row goes through the rules for the others too): the rows calculate gives."""
    yy, xx = np.mgrid[:60, :150]
    data = 40.0 * np.exp(-((xx - 115.2) ** 2 + (yy - 29.7) ** 2) / (2 * 2.0**2))
    for k in range(-3, 4):
        data[30 + k, 30 + 2 * k] = 1.0
    data += over_subtracted_core(data.shape, 75.2, 29.7)
    regions = [CirclePixelRegion(PixCoord(x, 29.7), 8) for x in (30.2, 75.2, 115.2)]
    one, many = Session(warn=False), Session(warn=False)
    for s in (one, many):
        s.load_data(data, label="img")
        labels = [s.add_subset(region) for region in regions]
    rows = [one.calculate(subset=label, background=0.0) for label in labels]
    table, skipped = many.calculate_many(subsets=labels, background=0.0)
    assert not skipped and len({int(row["npix"].value) for row in rows}) == 1  # one block
    for row, theirs, region in zip(rows, table, regions):
        for column in SHAPE_COLUMNS:
            ours = float(getattr(row[column], "value", row[column]))
            assert np.array_equal(ours, float(getattr(theirs[column], "value", theirs[column])), equal_nan=True)
        reference = expected(photutils_stats(data, region, 0.0))
        for column in SHAPE_COLUMNS:
            close(row[column], reference[column], column, scale=40.0)
    assert math.isnan(rows[1]["orientation"].value) and 0 < rows[2]["eccentricity"] < 0.05


def test_a_flat_aperture_among_others_keeps_its_numbers_in_a_shared_block():
    """Apertures with as many pixels go through one (k, n) block in calculate_many: a row with no spread (MAD 0)
    beside rows with spread must still get the median and 0, and every row the bits calculate gives it."""
    data = star_field()
    data[30:40, 10:20] = 7.0
    data[34, 14], data[35, 15] = 50.0, -3.0  # a few values apart: the MAD is still 0
    regions = [CirclePixelRegion(PixCoord(14.5, 34.5), 3), CirclePixelRegion(PixCoord(60.5, 55.5), 3),
               CirclePixelRegion(PixCoord(30.5, 100.5), 3)]
    one, many = Session(warn=False), Session(warn=False)
    for s in (one, many):
        s.load_data(data, label="img")
        labels = [s.add_subset(region) for region in regions]
    rows = [one.calculate(subset=label) for label in labels]
    table, skipped = many.calculate_many(subsets=labels)
    assert not skipped and len({int(row["npix"].value) for row in rows}) == 1  # one block
    for row, theirs in zip(rows, table):
        for column in EXTRA:
            ours = float(getattr(row[column], "value", row[column]))
            assert np.array_equal(ours, float(getattr(theirs[column], "value", theirs[column])), equal_nan=True)
    assert rows[0]["biweight_location"] == 7.0 and rows[0]["biweight_midvariance"] == 0.0
    assert rows[1]["mad_std"] > 0 and rows[2]["mad_std"] > 0


def test_the_journal_and_every_export_keep_the_ten(tmp_path):
    s = Session(journal=tmp_path / "j.jsonl", warn=False)
    s.load_data(star_field(), label="img", unit="MJy/sr", wcs=tan_wcs(SHAPE))
    s.add_subset(APERTURES["circle"], label="a")
    s.add_subset(APERTURES["ellipse"], label="b")
    s.calculate(subset="a", pixel_area=0.01)
    s.calculate_many(subsets=["a", "b"], pixel_area=0.01)
    s.close()
    orig = s.get_aperture_photometry_results(extended=True)
    restored = Session.restore(tmp_path / "j.jsonl", journal=False).get_aperture_photometry_results(extended=True)
    for column in EXTRA:
        assert getattr(restored[column], "unit", None) == getattr(orig[column], "unit", None), column
        assert np.array_equal(np.asarray(getattr(restored[column], "value", restored[column])),
                              np.asarray(getattr(orig[column], "value", orig[column])), equal_nan=True), column
    for ext in ("ecsv", "csv", "fits", "vot", "txt"):  # HTML is written, not read back (astropy needs bs4)
        back = read_results(s.export_results(tmp_path / f"out.{ext}"))
        for column in EXTRA:
            got = np.asarray(getattr(back[column], "value", back[column]), float)
            want = np.asarray(getattr(orig[column], "value", orig[column]), float)
            np.testing.assert_allclose(got, want, rtol=1e-6 if ext == "txt" else 1e-15, err_msg=f"{ext} {column}")
            if ext in ("ecsv", "fits", "vot") and hasattr(orig[column], "unit"):
                assert back[column].unit == orig[column].unit, (ext, column)
    assert s.get_aperture_photometry_results().colnames == list(COLUMNS)  # the 21 Imviz v2.1 columns, as before
    record = json.loads((tmp_path / "j.jsonl").read_text().splitlines()[0])
    assert "fwhm:q:pix" in record["columns"] and "eccentricity:f" in record["columns"]


def test_a_section_that_is_all_nan_is_one_line_in_the_result_panel():
    from tui.core.formatting import result_lines

    data = star_field()
    data[10:20, 10:20] = np.nan
    s = Session(warn=False)
    s.load_data(data, label="img")
    nan_row = s.calculate(subset=s.add_subset(CirclePixelRegion(PixCoord(14.5, 14.5), 3)))
    assert result_lines(nan_row)[-4:] == [("robust", None), ("none", "no usable pixel centred inside"),
                                          ("shape", None), ("none", "the moments describe no shape")]
    star = result_lines(s.calculate(subset=s.add_subset(APERTURES["circle"])))
    assert [name for name, _ in star[-12:]] == ["robust", *EXTRA[:5], "shape", *EXTRA[5:]]
