"""Radial profile, curve of growth, Gaussian fit and centroid (issue 6), against numbers computed here."""

import math
import subprocess
import sys

import numpy as np
import pytest
import astropy.units as u
from regions import (CircleAnnulusPixelRegion, CirclePixelRegion, EllipsePixelRegion, PixCoord, PolygonPixelRegion,
                     RectanglePixelRegion)

from tests.conftest import tan_wcs
from tui.core import PhotometryError, Session, read_results
from tui.core.photometry import ARCSEC_TO_RAD

X0, Y0, SIGMA = 41.37, 38.82, 2.0


def gaussian(amplitude=1000.0, background=0.0, shape=(80, 90)):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return background + amplitude * np.exp(-((xx - X0) ** 2 + (yy - Y0) ** 2) / (2 * SIGMA**2))


def session(data, region, label="ap", **kwargs):
    s = Session()
    s.load_data(data, label="img", **kwargs)
    s.add_subset(region, label=label)
    return s


def test_binned_profile_is_the_mean_per_bin_of_pixel_centre_distances():
    data = gaussian(background=5.0)
    s = session(data, CirclePixelRegion(PixCoord(X0, Y0), 6))
    table = s.radial_profile(background=5.0, bin_width=1.5)
    yy, xx = np.mgrid[0:80, 0:90]
    dist = np.hypot(xx - X0, yy - Y0)
    for row in table:
        k = int(row["radius"].value // 1.5)
        inside = (dist >= k * 1.5) & (dist < (k + 1) * 1.5)
        assert row["radius"].value == pytest.approx((k + 0.5) * 1.5)
        assert row["npix"] == inside.sum()
        assert row["profile"] == pytest.approx(np.mean(data[inside] - 5.0), rel=1e-12)
    assert table["radius"].max().value < 12  # twice the radius by default
    raw = s.radial_profile(background=5.0, raw=True, max_radius=4)
    assert len(raw) == int((dist < 4).sum()) and np.all(np.diff(raw["radius"].value) >= 0)


def test_nan_pixels_are_left_out_and_counted():
    data = gaussian()
    data[39, 41] = data[40, 42] = np.nan
    table = session(data, CirclePixelRegion(PixCoord(X0, Y0), 6)).radial_profile()
    assert table.meta["npix_bad"] == 2
    assert np.all(np.isfinite(table["profile"]))


def test_fwhm_of_a_sigma_2_gaussian_and_its_arcsec_width():
    s = session(gaussian(), CirclePixelRegion(PixCoord(X0, Y0), 8))
    fit = s.profile_fit()
    assert fit["success"], fit["message"]
    assert fit["fwhm"].unit == u.pix
    assert fit["fwhm"].value == pytest.approx(2 * math.sqrt(2 * math.log(2)) * SIGMA, rel=0.02)  # 4.71 pix
    assert fit["sigma"].value == pytest.approx(SIGMA, rel=0.02)
    s.inputs.pixel_area = 0.04  # 0.2" pixels
    assert s.profile_fit()["fwhm_arcsec"].value == pytest.approx(fit["fwhm"].value * 0.2, rel=1e-9)


@pytest.mark.parametrize("scale", [1e-18, 1e12])  # erg/s/cm^2/A-like and counts-like images
def test_the_fit_does_not_depend_on_the_data_unit_scale(scale):
    """The fitter's tolerances are absolute: a 1e-18 profile once came back as its first guess, 'converged'."""
    rng = np.random.default_rng(4)
    data = gaussian() + rng.normal(0.0, 2.0, (80, 90))
    plain = session(data, CirclePixelRegion(PixCoord(X0, Y0), 8)).profile_fit()
    scaled = session(data * scale, CirclePixelRegion(PixCoord(X0, Y0), 8)).profile_fit()
    assert scaled["success"], scaled["message"]
    assert scaled["fwhm"].value == pytest.approx(plain["fwhm"].value, rel=1e-6)
    assert scaled["amplitude"] == pytest.approx(plain["amplitude"] * scale, rel=1e-6)
    assert scaled["model"](0.0) == pytest.approx(scaled["amplitude"], rel=1e-12)  # what the plot draws
    assert plain["fwhm"].value == pytest.approx(2 * math.sqrt(2 * math.log(2)) * SIGMA, rel=0.02)


def test_a_fit_that_cannot_work_says_why():
    flat = session(np.zeros((40, 40)), CirclePixelRegion(PixCoord(20, 20), 5))
    fit = flat.profile_fit()
    assert fit["success"] is False and "no peak" in fit["message"]
    tiny = session(gaussian(), CirclePixelRegion(PixCoord(X0, Y0), 0.6))
    assert tiny.profile_fit()["success"] is False


def test_centroid_from_two_pixels_off():
    s = session(gaussian(background=3.0), CirclePixelRegion(PixCoord(X0 + 1.6, Y0 - 1.2), 7))
    x, y = s.centroid(background=3.0)
    assert abs(x - X0) < 0.01 and abs(y - Y0) < 0.01


def test_centroid_refuses_no_signal_and_a_centroid_off_the_image():
    s = session(np.full((40, 40), -1.0), CirclePixelRegion(PixCoord(20, 20), 5))
    with pytest.raises(PhotometryError, match="no positive signal"):
        s.centroid()
    data = np.zeros((40, 40))
    data[:, 0] = 100.0  # the light lies at the edge: the aperture walks off
    edge = session(data, CirclePixelRegion(PixCoord(1.0, 20), 3))
    x, _ = edge.centroid()
    assert x == pytest.approx(0.0, abs=0.01)


def test_recenter_moves_pixel_and_sky_subsets_and_keeps_old_rows():
    s = session(gaussian(), CirclePixelRegion(PixCoord(X0 + 1.6, Y0 - 1.2), 7), wcs=tan_wcs((80, 90)))
    row = s.calculate()
    dx, dy = s.recenter("ap")
    assert (dx, dy) == pytest.approx((-1.6, 1.2), abs=0.01)
    assert (s.subsets["ap"].region.center.x, s.subsets["ap"].region.center.y) == pytest.approx((X0, Y0), abs=0.01)
    assert row["xcenter"].value == pytest.approx(X0 + 1.6)  # the measured row keeps its centre
    wcs = tan_wcs((80, 90))
    sky = CirclePixelRegion(PixCoord(X0 - 1.5, Y0 + 1.0), 7).to_sky(wcs)
    s.add_subset(sky, label="sky")
    s.recenter("sky")
    moved = s.subsets["sky"].region
    assert s.subsets["sky"].is_sky and moved.radius == sky.radius  # still in the sky, same size
    x, y = wcs.world_to_pixel(moved.center)
    assert (float(x), float(y)) == pytest.approx((X0, Y0), abs=0.01)


def test_flat_image_curve_of_growth_is_pi_r2_times_the_value():
    s = session(np.full((100, 100), 3.5), CirclePixelRegion(PixCoord(50.3, 49.8), 20))
    growth = s.curve_of_growth()
    assert list(growth["radius"].value) == list(range(1, 21))
    np.testing.assert_allclose(growth["aperture_sum"], np.pi * growth["radius"].value ** 2 * 3.5, rtol=1e-9)
    assert growth["fraction"][-1] == 1.0


def test_circle_own_radius_reproduces_calculate_and_per_steradian_rule():
    data = gaussian(background=2.0) * u.MJy / u.sr
    s = session(data, CirclePixelRegion(PixCoord(X0 + 0.3, Y0 - 0.2), 9.37))
    s.inputs.pixel_area = 0.01  # the field, as the user set it: calculate and the curve of growth both use it
    row = s.calculate(background=1.5)
    growth = s.curve_of_growth(background=1.5, radii=[3, 9.37])
    assert growth["aperture_sum"].unit == u.MJy
    assert growth["aperture_sum"][1].value == pytest.approx(row["aperture_sum"].value, rel=1e-9)
    omega = 0.01 * ARCSEC_TO_RAD**2
    raw = session(data.value, CirclePixelRegion(PixCoord(X0 + 0.3, Y0 - 0.2), 9.37)).curve_of_growth(
        background=1.5, radii=[3, 9.37])
    np.testing.assert_allclose(growth["aperture_sum"].value, raw["aperture_sum"] * omega, rtol=1e-12)


def test_matches_photutils_profiles():
    profiles = pytest.importorskip("photutils.profiles")
    data = gaussian(background=1.0)
    s = session(data, CirclePixelRegion(PixCoord(X0, Y0), 8))
    growth = s.curve_of_growth(background=0.0, radii=np.arange(1, 13, 1.0))
    ref = profiles.CurveOfGrowth(data, (X0, Y0), np.arange(1, 13, 1.0), method="exact")
    np.testing.assert_allclose(growth["aperture_sum"], ref.profile, rtol=1e-9)
    ours = s.radial_profile(background=0.0, max_radius=12)
    ref = profiles.RadialProfile(data, (X0, Y0), np.arange(0, 13, 1.0), method="center")
    np.testing.assert_allclose(ours["profile"], ref.profile, rtol=1e-9)


@pytest.mark.parametrize("region, semi", [
    (EllipsePixelRegion(PixCoord(X0, Y0), 10, 6), 5.0),
    (RectanglePixelRegion(PixCoord(X0, Y0), 4, 12), 6.0),
    (PolygonPixelRegion(PixCoord([X0 - 3, X0 + 3, X0], [Y0 - 2, Y0 - 2, Y0 + 4])), None),
])
def test_max_radius_is_twice_the_largest_semi_axis(region, semi):
    s = session(gaussian(), region)
    table = s.radial_profile(raw=True)
    if semi is None:  # polygon: its farthest vertex from the mean of its vertices
        cx, cy = np.mean(region.vertices.x), np.mean(region.vertices.y)
        semi = np.max(np.hypot(region.vertices.x - cx, region.vertices.y - cy))
    assert table.meta["max_radius"] == pytest.approx(2 * semi)
    assert table["radius"].max().value < 2 * semi


def test_bad_subsets_are_refused_clearly():
    s = session(gaussian(), CircleAnnulusPixelRegion(PixCoord(X0, Y0), 3, 6), label="ring")
    with pytest.raises(PhotometryError, match="ring is an annulus"):
        s.radial_profile(subset="ring")
    s.add_subset(CirclePixelRegion(PixCoord(500, 500), 5), label="far")
    for method in (s.radial_profile, s.curve_of_growth, s.centroid, s.profile_fit):
        with pytest.raises(PhotometryError, match="outside the image"):
            method(subset="far")
    nan = session(np.full((40, 40), np.nan), CirclePixelRegion(PixCoord(20, 20), 5))
    with pytest.raises(PhotometryError, match="no valid pixels"):
        nan.radial_profile()


def test_summary_for_the_user():
    s = session(gaussian(), CirclePixelRegion(PixCoord(X0 + 0.5, Y0), 3.0))
    result = s.profile_summary()
    assert result["hwhm"].value == pytest.approx(result["fit"]["fwhm"].value / 2)
    growth = s.curve_of_growth(radii=result["growth"]["radius"])
    assert result["outer_radius"].value == 6.0
    ratio = s.calculate()["aperture_sum"] / growth["aperture_sum"][-1]
    assert result["aperture_fraction"] == pytest.approx(ratio, rel=1e-9)
    assert f"the aperture holds {ratio:.1%} of the flux within r=6" in result["text"]
    assert result["centroid_offset"] == pytest.approx((-0.5, 0.0), abs=0.01)
    # A Gaussian of sigma 2 holds 90% within r = sigma * sqrt(2 ln 10) = 4.29 (less the part beyond r=6)
    assert 3.5 < result["r90"].value < 4.5


def test_an_aperture_below_the_background_says_so_rather_than_a_negative_share():
    """Empty sky once read 'the aperture holds -75.6% of the flux within r=16'."""
    data = np.full((60, 60), 10.0)
    data[25:35, 25:35] = 9.5  # a dip under the aperture; the flux within r=10 is still above the background
    s = session(data, CirclePixelRegion(PixCoord(30, 30), 5))
    result = s.profile_summary(background=9.8)
    assert result["aperture_fraction"] < 0
    assert "holds" not in result["text"] and "the aperture's sum is below the background" in result["text"]


def test_measure_writes_profiles(tmp_path):
    from astropy.io import fits

    image = tmp_path / "star.fits"
    fits.PrimaryHDU(gaussian().astype(np.float32)).writeto(image)
    reg = tmp_path / "r.reg"
    reg.write_text(f"image\ncircle({X0 + 1},{Y0 + 1},6) # text={{Star A}}\n")
    done = subprocess.run([sys.executable, "-m", "tui", "measure", str(image), "--regions", str(reg),
                           "--profiles", str(tmp_path / "prof")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    profile = read_results(tmp_path / "prof" / "star[PRIMARY,1]__Star A.profile.ecsv")
    growth = read_results(tmp_path / "prof" / "star[PRIMARY,1]__Star A.growth.ecsv")
    assert profile.colnames == ["radius", "profile", "npix"] and len(growth) == 6
    s = Session()
    s.load_data(str(image))
    s.load_regions(reg)
    np.testing.assert_allclose(growth["aperture_sum"], s.curve_of_growth(subset="Star A")["aperture_sum"],
                               rtol=1e-12)
    assert "profile" not in done.stdout  # the printed table gains nothing


def test_profile_files_of_labels_alike_in_a_file_name_are_kept_apart(tmp_path):
    """'a/b' was written as a_b, over the profile of the region named a_b; ':' and '*' made names Windows refuses."""
    from astropy.io import fits

    image = tmp_path / "star.fits"
    fits.PrimaryHDU(gaussian().astype(np.float32)).writeto(image)
    reg = tmp_path / "r.reg"
    labels = ["a/b", "a_b", "t:1*", "x" * 300]
    reg.write_text("image\n" + "".join(f"circle({X0 + 1 + i},{Y0 + 1},{4 + i}) # text={{{label}}}\n"
                                         for i, label in enumerate(labels)))
    command = [sys.executable, "-m", "tui", "measure", str(image), "--regions", str(reg), "--profiles",
               str(tmp_path / "prof"), "--overwrite"]
    for _ in range(2):  # a rerun writes over the same files, no more
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        files = sorted((tmp_path / "prof").iterdir())
        assert len(files) == 2 * len(labels)
    profiles = [read_results(f) for f in files if f.name.endswith(".profile.ecsv")]
    assert sorted(p.meta["subset"] for p in profiles) == sorted(f"{label} on star[PRIMARY,1]" for label in labels)
    assert sorted(p.meta["x"] for p in profiles) == [X0 + i for i in range(len(labels))]
    assert not any(set(f.name) & set('<>:"\\|?*') or len(f.name.encode()) > 255 for f in files)
    assert "star[PRIMARY,1]__a_b.profile.ecsv" in [f.name for f in files]  # a label that needs no change keeps it


def test_measure_says_when_the_profiles_folder_cannot_be(tmp_path):
    from astropy.io import fits

    image = tmp_path / "star.fits"
    fits.PrimaryHDU(gaussian().astype(np.float32)).writeto(image)
    reg = tmp_path / "r.reg"
    reg.write_text(f"image\ncircle({X0 + 1},{Y0 + 1},6) # text={{Star A}}\n")
    (tmp_path / "notes.txt").write_text("mine")
    for folder, why in ((tmp_path / "notes.txt", "a file, not a folder: name a folder for the profiles"),
                        (tmp_path / "notes.txt" / "prof", "cannot make this folder (Not a directory)")):
        done = subprocess.run([sys.executable, "-m", "tui", "measure", str(image), "--regions", str(reg),
                               "--profiles", str(folder)], capture_output=True, text=True)
        assert done.returncode == 2 and done.stderr == f"aperphot-tui: error: --profiles {folder}: {why}\n"
    assert (tmp_path / "notes.txt").read_text() == "mine"
