"""Uncertainties from ERR/VAR arrays, DQ flags, bad-pixel counts and warnings (issue 7)."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning
from regions import (CircleAnnulusPixelRegion, CirclePixelRegion, EllipsePixelRegion, PixCoord,
                     RectanglePixelRegion)

from tui.core import PhotometryError, Session, read_results
from tui.core.footprint import share_off_image, sum_mode
from tui.core.masks import on_image_mask
from tui.core.notices import DamagedApertureWarning, OffImageWarning
from tui.core.photometry import ARCSEC_TO_RAD, COLUMNS, EXTENDED
from tui.core.quality import HST_BAD_FLAGS, parse_dq_flags
from tui.demo import demo_files

RNG = np.random.default_rng(7)


def exact_error(sigma, region, bad=None):
    """sqrt(sum w^2 sigma^2) over good pixels, straight from the regions mask (the independent computation)."""
    mask = region.to_mask(mode="exact")
    w = mask.to_image(sigma.shape)
    good = np.ones(sigma.shape, bool) if bad is None else ~bad
    return math.sqrt(np.sum((w * sigma) ** 2 * good))


def random_regions(n, shape):
    for _ in range(n):
        x, y = RNG.uniform(12, shape[1] - 12), RNG.uniform(12, shape[0] - 12)
        if RNG.random() < 0.5:
            yield CirclePixelRegion(PixCoord(x, y), RNG.uniform(1.5, 9))
        else:
            yield EllipsePixelRegion(PixCoord(x, y), RNG.uniform(3, 18), RNG.uniform(3, 18),
                                     angle=RNG.uniform(0, 180) * u.deg)


def test_error_is_sqrt_sum_w2_sigma2_over_random_apertures():
    shape = (80, 90)
    data, sigma = RNG.normal(5, 1, shape), RNG.uniform(0.1, 2.0, shape)
    data[40, 45] = np.nan  # a bad pixel inside some apertures
    s = Session()
    s.load_data(data, label="img", error=sigma)
    for region in random_regions(30, shape):
        row = s.calculate(subset=s.add_subset(region))
        expected = exact_error(sigma, region, bad=~np.isfinite(data))
        assert row["aperture_sum_err"] == pytest.approx(expected, rel=1e-12)
        assert row["snr"] == pytest.approx(row["aperture_sum"] / expected, rel=1e-12)


def test_error_and_sum_agree_with_photutils():
    photutils = pytest.importorskip("photutils.aperture")
    shape = (80, 90)
    data, sigma = RNG.normal(5, 1, shape), RNG.uniform(0.1, 2.0, shape)
    s = Session()
    s.load_data(data, label="img", error=sigma)
    for region in random_regions(20, shape):
        row = s.calculate(subset=s.add_subset(region))
        aperture = region_to_aperture(region, photutils)
        ref = photutils.aperture_photometry(data, aperture, error=sigma, method="exact")
        assert row["aperture_sum"] == pytest.approx(float(ref["aperture_sum"][0]), rel=1e-9)
    # photutils 3.0.0 propagates w * sigma rather than w^2 * sigma^2 (fixed upstream later, see SPEC): the errors
    # agree where every weight is 0 or 1, as on a rectangle whose edges lie on pixel boundaries.
    box = RectanglePixelRegion(PixCoord(30.5, 40.5), 8, 6)
    row = s.calculate(subset=s.add_subset(box))
    ref = photutils.aperture_photometry(data, photutils.RectangularAperture((30.5, 40.5), 8, 6), error=sigma,
                                        method="exact")
    assert row["aperture_sum_err"] == pytest.approx(float(ref["aperture_sum_err"][0]), rel=1e-9)


def region_to_aperture(region, photutils):
    center = (region.center.x, region.center.y)
    if isinstance(region, CirclePixelRegion):
        return photutils.CircularAperture(center, region.radius)
    return photutils.EllipticalAperture(center, region.width / 2, region.height / 2, theta=region.angle)


def write_cal(path, telescope, dq, err=True, variances=(), dq_dtype=None, shape=(40, 40)):
    data = np.full(shape, 2.0, np.float32)
    hdus = [fits.PrimaryHDU(header=fits.Header({"TELESCOP": telescope})),
            fits.ImageHDU(data, fits.Header({"BUNIT": "MJy/sr"}), name="SCI")]
    if err:
        hdus.append(fits.ImageHDU(np.full(shape, 0.5, np.float32), name="ERR"))
    for name, value in variances:
        hdus.append(fits.ImageHDU(np.full(shape, value, np.float32), name=name))
    if dq is not None:
        hdus.append(fits.ImageHDU(dq.astype(dq_dtype or dq.dtype), name="DQ"))
    fits.HDUList(hdus).writeto(path)
    return path


BOX = RectanglePixelRegion(PixCoord(20.5, 20.5), 4, 4)  # 16 whole pixels: x, y 19..22


def test_jwst_default_flags_only_do_not_use_and_unsigned_dq_stays_mapped(tmp_path):
    dq = np.zeros((40, 40), np.uint32)
    dq[20, 20] = 1 | 2  # DO_NOT_USE | SATURATED: bad
    dq[21, 21] = 4  # JUMP_DET alone: good for JWST
    dq[19, 19] = 2**31 | 2**30  # high bits of an unsigned array (stored with BZERO): not DO_NOT_USE
    path = write_cal(tmp_path / "jw_cal.fits", "JWST", dq)
    s = Session()
    label = s.load_data(str(path))
    assert s.images[label].dq.flip == 2**31  # read through the sign-bit flip, not scaled into memory
    s.add_subset(BOX)
    row = s.calculate()
    assert row["npix_bad"] == 1
    assert row["npix"].value == 16  # bad pixels still count in npix, as NaN does in the reference
    assert row["aperture_sum"].unit == u.MJy / u.sr  # no pixel area given
    assert row["aperture_sum"].value == pytest.approx(30.0, rel=1e-15)
    assert row["aperture_sum_err"].value == pytest.approx(math.sqrt(15) * 0.5, rel=1e-12)
    s.dq_flags = parse_dq_flags("4")
    assert s.calculate()["npix_bad"] == 1  # now JUMP_DET is the bad one
    s.dq_flags = parse_dq_flags(str(2**30))
    assert s.calculate()["npix_bad"] == 1  # high bits come back exactly
    s.dq_flags = parse_dq_flags("none")
    assert s.calculate()["npix_bad"] == 0
    assert s.calculate()["aperture_sum"].value == pytest.approx(32.0, rel=1e-15)


def test_hst_default_flags_keep_hot_and_warm_pixels(tmp_path):
    dq = np.zeros((40, 40), np.int16)
    dq[19, 19], dq[19, 20], dq[19, 21] = 16, 64, 16 | 64  # hot, warm: good by default
    dq[20, 20], dq[21, 21] = 256, 8192  # saturated, cosmic ray: bad
    path = write_cal(tmp_path / "acs_flt.fits", "HST", dq)
    s = Session()
    s.load_data(str(path))
    s.add_subset(BOX)
    assert s.calculate()["npix_bad"] == 2
    s.dq_flags = HST_BAD_FLAGS | 16
    assert s.calculate()["npix_bad"] == 4


def test_flagged_pixels_leave_the_statistics_and_the_background_median(tmp_path):
    dq = np.zeros((40, 40), np.int16)
    dq[20, 20] = 4
    path = tmp_path / "x.fits"
    data = np.full((40, 40), 2.0, np.float32)
    data[20, 20] = 1000.0  # flagged: must not show as max, nor shift the median
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI"), fits.ImageHDU(dq, name="DQ")]).writeto(path)
    s = Session()
    s.load_data(str(path))
    s.add_subset(BOX)
    row = s.calculate()
    assert row["max"] == 2.0 and row["npix_bad"] == 1
    s.add_subset(CirclePixelRegion(PixCoord(20, 20), 1.2), label="bg")
    s.inputs.background_region = "bg"
    assert s.background_median() == 2.0


def test_variances_are_summed_when_there_is_no_err(tmp_path):
    path = write_cal(tmp_path / "v.fits", "JWST", None, err=False,
                     variances=(("VAR_POISSON", 0.09), ("VAR_RNOISE", 0.16), ("VAR_FLAT", 0.0)))
    s = Session()
    label = s.load_data(str(path))
    assert s.images[label].uncertainty.source == "VAR_POISSON+VAR_RNOISE+VAR_FLAT"
    s.add_subset(BOX)
    assert s.calculate()["aperture_sum_err"].value == pytest.approx(math.sqrt(16 * 0.25), rel=1e-6)


def test_mismatched_err_is_left_out_with_a_notice(tmp_path):
    path = tmp_path / "m.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((40, 40), np.float32), name="SCI"),
                  fits.ImageHDU(np.ones((20, 20), np.float32), name="ERR")]).writeto(path)
    s = Session()
    label = s.load_data(str(path))
    assert s.images[label].uncertainty is None
    assert any("ERR,1 has shape (20, 20)" in n for n in s.pop_notices())
    s.add_subset(BOX)
    assert math.isnan(s.calculate()["aperture_sum_err"])  # nothing known: missing, not an error


def test_chip_picks_its_own_err_and_dq():
    images, _ = demo_files()
    s = Session()
    chip2 = s.load_data(str(images[5]))  # hst_acs_demo_flt.fits[SCI,2]
    assert chip2 == "hst_acs_demo_flt[SCI,2]"
    image = s.images[chip2]
    assert image.uncertainty.source == "ERR,2" and image.dq.source == "DQ,2"
    with fits.open(str(images[5]).split("[")[0]) as hdul:
        np.testing.assert_array_equal(image.uncertainty.arrays[0], hdul["ERR", 2].data)


def test_per_steradian_error_takes_the_same_solid_angle():
    s = Session()
    s.load_data(np.full((30, 30), 3.0), label="img", unit="MJy/sr", error=np.full((30, 30), 0.2))
    s.add_subset(BOX.copy(center=PixCoord(10.5, 10.5)))
    row = s.calculate(pixel_area=0.04)
    omega = 0.04 * ARCSEC_TO_RAD**2
    assert row["aperture_sum_err"].unit == u.MJy
    assert row["aperture_sum_err"].value == pytest.approx(math.sqrt(16) * 0.2 * omega, rel=1e-12)


def test_without_an_error_array_poisson_and_background_scatter():
    rng = np.random.default_rng(3)
    data = rng.normal(10.0, 1.0, (60, 60))
    s = Session()
    s.load_data(data, label="img", unit="electron/s")
    s.add_subset(BOX.copy(center=PixCoord(30.5, 30.5)), label="ap")
    s.add_subset(CircleAnnulusPixelRegion(PixCoord(30.5, 30.5), 8, 14), label="sky")
    row = s.calculate(subset="ap", counts_factor=0.5)  # typed background: Poisson only
    assert row["aperture_sum_err"].value == pytest.approx(math.sqrt(row["aperture_sum"].value * 0.5), rel=1e-12)
    assert row["background_stat"] == "value" and row["background_npix"] == 0
    s.inputs.background_region = "sky"
    row = s.calculate(subset="ap", counts_factor=0)  # background region only
    mask = CircleAnnulusPixelRegion(PixCoord(30.5, 30.5), 8, 14).to_mask(mode="center")
    values = mask.get_values(data)
    assert row["background"].value == np.median(values)
    assert row["background_npix"] == values.size and row["background_stat"] == "median"
    assert row["background_err"].value == pytest.approx(
        math.sqrt(math.pi / 2) * values.std() / math.sqrt(values.size), rel=1e-12)
    assert row["aperture_sum_err"].value == pytest.approx(math.sqrt(16) * values.std(), rel=1e-12)


def test_sigma_clipped_background_is_chosen_and_recorded():
    from astropy.stats import sigma_clip

    data = np.random.default_rng(5).normal(10.0, 1.0, (60, 60))
    data[20, 30] = 500.0  # a star in the sky annulus
    s = Session()
    s.load_data(data, label="img")
    s.add_subset(BOX.copy(center=PixCoord(30.5, 30.5)), label="ap")
    s.add_subset(CircleAnnulusPixelRegion(PixCoord(30.5, 30.5), 8, 14), label="sky")
    s.inputs.background_region, s.inputs.background_stat = "sky", "sigma-clip"
    row = s.calculate(subset="ap")
    values = CircleAnnulusPixelRegion(PixCoord(30.5, 30.5), 8, 14).to_mask(mode="center").get_values(data)
    kept = sigma_clip(values, sigma=3.0, masked=False)
    assert kept.size < values.size
    assert row["background"] == np.median(kept) and row["background_npix"] == kept.size
    assert row["background_stat"] == "sigma-clipped median"


def test_rows_with_and_without_errors_share_one_table():
    s = Session()
    s.load_data(np.ones((30, 30)), label="a", error=np.ones((30, 30)))
    s.load_data(np.ones((30, 30)), label="b")
    s.add_subset(BOX.copy(center=PixCoord(10.5, 10.5)))
    s.calculate(data="a")
    s.calculate(data="b")
    table = s.get_aperture_photometry_results(extended=True)
    assert len(table) == 2 and not s.archived_results
    assert table["aperture_sum_err"][0] == 4.0 and math.isnan(table["aperture_sum_err"][1])


def test_damage_warning_on_the_saturated_demo_star():
    images, regions = demo_files()
    s = Session()
    label = s.load_data(str(images[3]))
    s.load_regions(str(regions[0]))
    s.pop_notices()
    with pytest.warns(DamagedApertureWarning) as caught:
        row = s.calculate(data=label, subset="Star A")
    text = (f"Star A on jwst_nircam_demo_cal[SCI,1]: {row['npix_bad']} pixels inside the aperture are NaN or "
            f"flagged (saturated core?); the sum misses their flux.")
    assert row["npix_bad"] > 0 and [str(w.message) for w in caught] == [text]
    assert caught[0].filename == __file__  # the warning points at the script's call, not into the core
    assert issubclass(DamagedApertureWarning, AstropyUserWarning)
    notices = s.pop_notices()
    assert notices == [text] and notices[0].category is DamagedApertureWarning
    assert (notices[0].subset, notices[0].data) == ("Star A", label)
    assert notices[0].detail == text.split(": ", 1)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean aperture warns of nothing
        s.calculate(data=label, subset="Star C")
    assert not s.pop_notices()


def test_three_bad_pixels_are_noticed_by_calculate_and_calculate_many():
    data = np.ones((40, 40))
    data[10, 10:13] = np.nan  # three bad pixels inside "a"
    for quiet in (False, True):
        s = Session(warn=not quiet)
        s.load_data(data, label="img")
        s.add_subset(CirclePixelRegion(PixCoord(11, 10), 4), label="a")
        s.add_subset(CirclePixelRegion(PixCoord(30, 30), 4), label="b")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s.calculate(subset="a")
            s.calculate_many()
        expected = "a on img: 3 pixels inside the aperture are NaN or flagged (saturated core?); the sum misses " \
                   "their flux."
        assert s.pop_notices() == [expected, expected]  # once for calculate, once for a in calculate_many
        assert [str(w.message) for w in caught] == ([] if quiet else [expected, expected])


@pytest.mark.parametrize("unit", [None, u.electron / u.s])
def test_an_aperture_with_no_usable_centre_pixel_is_not_called_a_saturated_core(unit):
    """An empty (all-NaN) field or a masked-out patch: every statistic is NaN, which the notice says, and it does
    not guess at a saturated star. A pixel lost at the edge of a good aperture keeps the usual wording. With and
    without a unit: the means are then a Quantity column."""
    data = np.ones((40, 40))
    data[:, 20:] = np.nan
    s = Session(warn=False)
    s.load_data(data, label="img", unit=unit)
    s.add_subset(CirclePixelRegion(PixCoord(30, 20), 3), label="empty")
    s.add_subset(CirclePixelRegion(PixCoord(16, 20), 3.8), label="edge")  # touches column 20 only at its rim
    rows = [s.calculate(subset="empty"), s.calculate(subset="edge")]
    lost = (f"empty on img: {rows[0]['npix_bad']} pixels inside the aperture are NaN or flagged, and no pixel "
            f"centred in it is usable: the statistics are NaN and the sum misses their flux.")
    rim = (f"edge on img: {rows[1]['npix_bad']} pixels inside the aperture are NaN or flagged (saturated core?); "
           f"the sum misses their flux.")
    means = [float(getattr(row["mean"], "value", row["mean"])) for row in rows]
    assert math.isnan(means[0]) and means[1] == 1.0
    assert rows[0]["npix_bad"] == 45 and rows[1]["npix_bad"] > 0
    assert s.pop_notices() == [lost, rim]
    s.calculate_many()
    assert s.pop_notices() == [lost, rim]


def test_measure_prints_the_warning_and_takes_the_flags(tmp_path):
    images, regions = demo_files()
    out = tmp_path / "o.ecsv"
    run = lambda *a: subprocess.run([sys.executable, "-m", "tui", "measure", *map(str, a)],
                                    capture_output=True, text=True)
    done = run(images[3], "--regions", regions[0], "--background-region", "Sky A", "--background-stat",
               "sigma-clip", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "warning: Star A on jwst_nircam_demo_cal[SCI,1]: 8 pixels inside the aperture" in done.stderr
    table = read_results(out)
    assert set(EXTENDED) <= set(table.colnames)
    assert list(table["background_stat"]) == ["sigma-clipped median"] * len(table)
    done = run(images[3], "--regions", regions[0], "--dq-flags", "none")
    assert "warning: Star A" in done.stderr  # the NaN core stays bad whatever the flags
    bad = run(images[3], "--regions", regions[0], "--dq-flags", "lots")
    assert bad.returncode == 2 and "DQ flags: 'lots' is not a number" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("words, flags", [("default", None), ("", None), ("none", 0), ("0", 0), ("1,4,256", 261),
                                          ("260", 260), ("0x104", 260), ("1 + 2", 3)])
def test_parse_dq_flags(words, flags):
    assert parse_dq_flags(words) == flags


def test_parse_dq_flags_refuses_nonsense():
    with pytest.raises(PhotometryError, match="DQ flags"):
        parse_dq_flags("1,x")
    with pytest.raises(PhotometryError, match="negative"):
        parse_dq_flags("-4")


def test_extended_columns_in_the_html_export(tmp_path):
    s = Session()
    s.load_data(np.ones((30, 30)), label="img", error=np.full((30, 30), 0.25))
    s.add_subset(BOX.copy(center=PixCoord(10.5, 10.5)))
    s.calculate()
    text = s.export_results(tmp_path / "out.html").read_text()  # reading HTML back needs BeautifulSoup
    assert all(f"<th>{name}</th>" in text for name in EXTENDED)
    assert "<td>1.0</td>" in text  # aperture_sum_err = sqrt(16 * 0.25^2)


@pytest.mark.parametrize("ext", ["ecsv", "fits", "csv", "vot", "txt"])
def test_extended_table_round_trips_in_every_format(tmp_path, ext):
    images, regions = demo_files()
    s = Session()
    s.load_data(str(images[3]))
    s.load_regions(str(regions[0]))
    s.inputs.background_region = "Sky A"
    s.calculate(subset="Star A")
    s.calculate(subset="Star C")
    orig = s.get_aperture_photometry_results(extended=True)
    back = read_results(s.export_results(tmp_path / f"out.{ext}"))
    for name in EXTENDED:
        if name == "background_stat":
            assert list(back[name]) == list(orig[name])
            continue
        got = back[name].value if hasattr(back[name], "unit") and back[name].unit else np.asarray(back[name])
        want = orig[name].value if hasattr(orig[name], "unit") else np.asarray(orig[name])
        np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=1e-9 if ext != "txt" else 1e-6)
    assert set(COLUMNS) - {"sky_center"} <= set(back.colnames)


# -- apertures partly off the image ------------------------------------------------------------------------------
def test_share_off_image_from_the_whole_apertures_weights():
    shape = (100, 120)
    whole = lambda region: region.to_mask(*sum_mode(region)).data.sum()  # the aperture as if the image went on
    on = lambda region: on_image_mask(region, shape, *sum_mode(region)).data.sum()
    half = CirclePixelRegion(PixCoord(-0.5, 50.0), 10)  # centred on the image's left edge: exactly half on it
    assert share_off_image(half, shape, on(half)) == pytest.approx(0.5, abs=1e-12)
    corner = CirclePixelRegion(PixCoord(2.3, 96.1), 7)
    assert share_off_image(corner, shape, on(corner)) == pytest.approx(1 - on(corner) / whole(corner), rel=1e-12)
    box = RectanglePixelRegion(PixCoord(0.5, 10.5), width=4, height=6)  # columns -1..2: 1 of 4 off
    assert share_off_image(box, shape, on(box)) == 0.25
    for inside in (CirclePixelRegion(PixCoord(9.5, 50.0), 10),  # touches the edge, does not cross it
                   RectanglePixelRegion(PixCoord(20.17, 30.0), width=3.3, height=2.9, angle=17 * u.deg),
                   RectanglePixelRegion(PixCoord(4.4, 50.0), width=9.0, height=3.0)):  # to x = -0.1: on pixel 0
        assert share_off_image(inside, shape, on(inside)) == 0.0
    huge = CirclePixelRegion(PixCoord(50.0, 50.0), 1e4)  # its mask would be 20000^2: its area stands in
    assert share_off_image(huge, shape, on(huge)) == pytest.approx(1 - 12000 / (math.pi * 1e8), rel=1e-12)


def test_an_aperture_over_the_edge_is_noticed_by_calculate_and_calculate_many():
    data = np.ones((40, 40))
    for quiet in (False, True):
        s = Session(warn=not quiet)
        s.load_data(data, label="img")
        s.add_subset(CirclePixelRegion(PixCoord(-0.5, 20.0), 4), label="edge")  # half of it off
        s.add_subset(CirclePixelRegion(PixCoord(20.0, 20.0), 4), label="in")
        s.add_subset(CirclePixelRegion(PixCoord(20.0, 35.6), 4), label="rim")  # 0.1 pixel (0.2%) beyond the top
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            row = s.calculate(subset="edge")
            s.calculate_many()
        assert row["npix"].value == pytest.approx(8 * math.pi)  # SPEC: the part on the image, as before
        half = "edge on img: 50% of the aperture lies off the image; the sum and npix cover only the part on it."
        sliver = "rim on img: less than 1% of the aperture lies off the image; the sum and npix cover only the " \
                 "part on it."
        notices = s.pop_notices()
        assert notices == [half, half, sliver] and {n.category for n in notices} == {OffImageWarning}
        assert [str(w.message) for w in caught] == ([] if quiet else [half, half, sliver])
    assert issubclass(OffImageWarning, AstropyUserWarning)


def test_measure_warns_of_an_aperture_over_the_edge(tmp_path):
    image, regions = tmp_path / "flat.fits", tmp_path / "edge.reg"
    fits.PrimaryHDU(np.ones((40, 50), dtype=np.float32)).writeto(image)
    regions.write_text("image\ncircle(1.5,20,6) # text={Edge}\ncircle(25,20,6) # text={Middle}\n")
    # 0-based centre x = 0.5, the image's edge at x = -0.5: a segment of the circle 5 pixels deep is off it
    segment = 36 * math.acos(1 / 6) - math.sqrt(35)
    done = subprocess.run([sys.executable, "-m", "tui", "measure", str(image), "-r", str(regions)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert warned == [f"warning: Edge on flat[PRIMARY,1]: {segment / (36 * math.pi):.0%} of the aperture lies off "
                      f"the image; the sum and npix cover only the part on it."]


def test_one_bad_pixel_is_told_in_the_singular():
    from tui.core.notices import damaged_aperture

    assert damaged_aperture(1, "Galaxy", "img").endswith(
        "1 pixel inside the aperture is NaN or flagged (saturated core?); the sum misses its flux.")
    assert damaged_aperture(0, "Galaxy", "img") is None
