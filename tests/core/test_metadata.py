import math

import numpy as np
import pytest
import astropy.units as u

from regions import CirclePixelRegion, PixCoord

from tests.conftest import tan_wcs
from tui.core import Session
from tui.core.metadata import ARCSEC2_PER_SR


def load(write_fits, name, header=None, primary=None, shape=(10, 10)):
    s = Session()
    label = s.load_data(write_fits(name, np.ones(shape, dtype=np.float32), header, primary))
    s.select_data(label)
    return s


def test_pixel_area_from_pixar_a2_first(write_fits):
    s = load(write_fits, "a.fits", {"PIXAR_A2": 0.0009, "PIXAR_SR": 1e-10})
    assert s.inputs.pixel_area == 0.0009 and s.inputs.sources["pixel_area"] == "from PIXAR_A2"


def test_pixel_area_from_pixar_sr(write_fits):
    s = load(write_fits, "a.fits", {"PIXAR_SR": 2.0e-14})
    assert s.inputs.pixel_area == pytest.approx(2.0e-14 * (648000 / math.pi) ** 2)
    assert s.inputs.sources["pixel_area"] == "from PIXAR_SR"


def test_pixel_area_from_wcs(write_fits):
    s = load(write_fits, "a.fits", dict(tan_wcs((10, 10), scale_arcsec=0.1).to_header()))
    assert s.inputs.pixel_area == pytest.approx(0.01, rel=1e-6)
    assert s.inputs.sources["pixel_area"] == "from WCS"


@pytest.mark.parametrize("instrument,detector,area", [
    ("ACS", "WFC", 0.0025), ("ACS", "HRC", 0.0007), ("ACS", "SBC", 0.00102),
    ("WFC3", "UVIS", 0.0016), ("WFC3", "IR", 0.0164)])
def test_pixel_area_from_hst_nominal_scales(write_fits, instrument, detector, area):
    s = load(write_fits, "h.fits", primary={"INSTRUME": instrument, "DETECTOR": detector})
    assert s.inputs.pixel_area == area


def test_jwst_counts_factor_prefers_effexptm(write_fits):
    hdr = {"BUNIT": "MJy/sr", "PHOTMJSR": 0.5, "PIXAR_A2": 0.001}
    s = load(write_fits, "j.fits", hdr, primary={"EFFEXPTM": 100.0, "EXPTIME": 200.0})
    assert s.inputs.counts_factor == 0.5 / 100.0
    s2 = load(write_fits, "j2.fits", hdr, primary={"EXPTIME": 200.0})
    assert s2.inputs.counts_factor == 0.5 / 200.0


def test_a_plane_of_a_cube_of_integrations_counts_one_integration(write_fits):
    """A _calints plane is one integration's rate: PHOTMJSR / EFFINTTM, not the whole exposure's EFFEXPTM
    (which would make aperture_sum_counts NINTS times too large); a 2-D image keeps EFFEXPTM."""
    hdr = {"BUNIT": "MJy/sr", "PHOTMJSR": 0.5, "PIXAR_A2": 0.001}
    times = {"EFFEXPTM": 4000.0, "EFFINTTM": 100.0, "NINTS": 40}
    cube = write_fits("c_calints.fits", np.ones((3, 10, 10), dtype=np.float32), hdr, times)
    s = Session()
    s.select_data(s.load_data(f"{cube}[SCI,1][2]"))
    assert s.inputs.counts_factor == 0.5 / 100.0
    assert s.inputs.sources["counts_factor"] == "from PHOTMJSR/EFFINTTM"
    flat = load(write_fits, "c_cal.fits", hdr, times)
    assert flat.inputs.counts_factor == 0.5 / 4000.0
    assert flat.inputs.sources["counts_factor"] == "from PHOTMJSR/EFFEXPTM"
    bare = write_fits("c2_calints.fits", np.ones((3, 10, 10), dtype=np.float32), hdr, {"EFFEXPTM": 4000.0})
    s.select_data(s.load_data(f"{bare}[1][0]"))
    assert s.inputs.counts_factor == 0.0 and s.inputs.sources["counts_factor"] == "reset: no metadata"


def test_jwst_flux_scaling_is_ab_per_pixel_solid_angle(write_fits):
    s = load(write_fits, "j.fits", {"BUNIT": "MJy/sr", "PIXAR_A2": 0.001})
    assert s.inputs.flux_scaling == pytest.approx(0.003631 / (0.001 / ARCSEC2_PER_SR), rel=1e-14)


def test_hst_counts_factor_and_ab_flux_scaling(write_fits):
    s = load(write_fits, "h.fits", {"BUNIT": "ELECTRONS/S", "PHOTFLAM": 1e-19, "PHOTPLAM": 5000.0},
             {"EXPTIME": 400.0})
    assert s.inputs.counts_factor == 1 / 400.0
    zp = -2.5 * math.log10(1e-19) - 5 * math.log10(5000.0) - 2.408
    assert s.inputs.flux_scaling == pytest.approx(10 ** (0.4 * zp), rel=1e-14)


def test_own_header_wins_over_primary(write_fits):
    s = load(write_fits, "a.fits", {"PIXAR_A2": 0.002}, {"PIXAR_A2": 0.5})
    assert s.inputs.pixel_area == 0.002


def test_changing_data_keeps_background_and_resets_the_rest(write_fits):
    s = Session()
    jw = s.load_data(write_fits("j.fits", np.ones((10, 10)), {"BUNIT": "MJy/sr", "PIXAR_A2": 0.001,
                                                               "PHOTMJSR": 0.5, "EXPTIME": 10.0}))
    plain = s.load_data(write_fits("p.fits", np.ones((10, 10))))
    s.select_data(jw)
    s.inputs.background = 0.25
    s.inputs.counts_factor = 99.0  # typed by the user, then the data changes
    s.select_data(plain)
    assert s.inputs.background == 0.25
    assert (s.inputs.pixel_area, s.inputs.counts_factor, s.inputs.flux_scaling) == (0.0, 0.0, 0.0)
    assert s.inputs.sources["counts_factor"] == "reset: no metadata"


def test_calculate_on_other_data_autofills_like_selecting_it(write_fits):
    s = Session()
    plain = s.load_data(write_fits("p.fits", np.ones((10, 10))))
    jw = s.load_data(write_fits("j.fits", np.ones((10, 10)), {"BUNIT": "MJy/sr", "PIXAR_A2": 0.001}))
    from regions import CirclePixelRegion, PixCoord
    s.add_subset(CirclePixelRegion(PixCoord(5, 5), 2))
    assert s.selected_data == plain
    row = s.calculate(data=jw)
    assert s.selected_data == jw and s.inputs.pixel_area == 0.001
    assert row["pixarea_tot"].unit == u.sr


def test_per_steradian_data_without_a_pixel_area_are_said_to_sum_surface_brightness(write_fits):
    """SPEC leaves aperture_sum in MJy/sr when no pixel area is known (no PIXAR_*, no WCS): a sum of surface
    brightnesses the user could take for a flux. calculate says so once per row, calculate_many once, as a
    warning to scripts; a pixel area (auto-filled or typed) silences it, and data not per steradian never have it."""
    import warnings

    from tui.core.notices import ABOUT_THE_SUM, NewTableWarning, SurfaceBrightnessWarning

    s = load(write_fits, "sb.fits", {"BUNIT": "MJy/sr"}, shape=(30, 30))
    s.add_subset(CirclePixelRegion(PixCoord(14.0, 14.0), 4), label="Star")
    s.add_subset(CirclePixelRegion(PixCoord(8.0, 8.0), 3), label="Other")
    said = ("per-steradian data and no pixel area: aperture_sum adds up MJy/sr, not a flux; set the pixel area")
    with pytest.warns(SurfaceBrightnessWarning) as caught:
        row = s.calculate(subset="Star")
    assert row["aperture_sum"].unit == u.MJy / u.sr and row["aperture_sum"].value == pytest.approx(16 * math.pi)
    assert [str(w.message) for w in caught] == [f"Star on sb[SCI,1]: {said}"]
    notice, = s.pop_notices()
    assert notice.detail == said and notice.category in ABOUT_THE_SUM and notice.subset == "Star"
    with pytest.warns(SurfaceBrightnessWarning):
        s.calculate_many()
    assert [(n, n.subset) for n in s.pop_notices()] == [(f"sb[SCI,1]: {said}", None)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", SurfaceBrightnessWarning)
        row = s.calculate(subset="Star", pixel_area=0.01)  # in MJy: a new table, and that is all it says
        assert row["aperture_sum"].unit == u.MJy
        s.calculate_many(pixel_area=0.01)
        other = load(write_fits, "flam.fits", {"BUNIT": "electron/s"}, shape=(30, 30))
        other.add_subset(CirclePixelRegion(PixCoord(14.0, 14.0), 4), label="Star")
        other.calculate()
    assert {n.category for n in s.pop_notices() + other.pop_notices()} == {NewTableWarning}


def test_measure_notes_once_per_image_that_sums_surface_brightness(tmp_path):
    import subprocess
    import sys

    from astropy.io import fits

    image, regions = tmp_path / "sb.fits", tmp_path / "two.reg"
    fits.PrimaryHDU(np.ones((30, 30), np.float32), fits.Header({"BUNIT": "MJy/sr"})).writeto(image)
    regions.write_text("image\ncircle(10,10,3) # text={A}\ncircle(20,20,3) # text={B}\n")
    run = [sys.executable, "-m", "tui", "measure", str(image), "-r", str(regions)]
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0 and [line for line in done.stderr.splitlines() if "per-steradian" in line] == [
        "note: sb[PRIMARY,1]: per-steradian data and no pixel area: aperture_sum adds up MJy/sr, not a flux; set "
        "the pixel area"]
    done = subprocess.run(run + ["--pixel-area", "0.01"], capture_output=True, text=True)
    assert done.returncode == 0 and "per-steradian" not in done.stderr and "[MJy]" in done.stdout
