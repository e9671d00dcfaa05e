import math
import warnings

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from regions import CirclePixelRegion, PixCoord

from tui.core import PhotometryError, Session


def test_sci_extension_is_chosen_and_labelled(tmp_path):
    path = tmp_path / "jw01_cal.fits"
    fits.HDUList([fits.PrimaryHDU(np.zeros((4, 4))), fits.ImageHDU(np.ones((5, 6)), name="ERR"),
                  fits.ImageHDU(np.full((7, 8), 2.0), name="SCI")]).writeto(path)
    s = Session()
    label = s.load_data(path)
    assert label == "jw01_cal[SCI,1]"
    assert s.images[label].shape == (7, 8)


def test_primary_image_label_and_memory_mapping(write_fits):
    path = write_fits("plain.fits", np.arange(12.0).reshape(3, 4), ext=False)
    s = Session()
    label = s.load_data(path)
    assert label == "plain[PRIMARY,1]"
    bases, base = [], s.images[label].data
    while base is not None:
        bases.append(type(base).__name__)
        base = getattr(base, "base", None)
    assert "mmap" in bases  # the pixels stay in the file until a region reads them


def test_scaled_integers_read_as_floats(tmp_path):
    hdu = fits.PrimaryHDU(np.array([[10.0, 11.0], [12.0, 13.0]]))
    hdu.scale("int16", bscale=0.5, bzero=10.0)  # stored on disk as 0, 2, 4, 6
    path = tmp_path / "scaled.fits"
    hdu.writeto(path)
    assert fits.getdata(path, do_not_scale_image_data=True).tolist() == [[0, 2], [4, 6]]
    s = Session()
    data = s.images[s.load_data(path)].data
    assert np.issubdtype(data.dtype, np.floating)
    assert data.tolist() == [[10.0, 11.0], [12.0, 13.0]]


def test_tile_compressed_image(tmp_path):
    path = tmp_path / "comp.fits"
    data = np.arange(64.0, dtype=np.float32).reshape(8, 8)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data, name="SCI", quantize_level=0.0)]).writeto(path)
    s = Session()
    label = s.load_data(path)
    assert label == "comp[SCI,1]"
    np.testing.assert_array_equal(s.images[label].data, data)


def test_length_one_cube_axis_is_squeezed(write_fits):
    s = Session()
    label = s.load_data(write_fits("cube1.fits", np.ones((1, 5, 6))))
    assert s.images[label].shape == (5, 6)


def test_real_cube_is_refused_with_its_shape(write_fits):
    with pytest.raises(PhotometryError, match=r"3-D cube of shape \(3, 5, 6\)"):
        Session().load_data(write_fits("cube.fits", np.ones((3, 5, 6))))


def test_a_file_cut_short_says_so_in_one_message(write_fits, tmp_path, recwarn):
    """A copy or download that stopped: the header is whole, the pixels are not. astropy warns that the file
    "may have been truncated" and then fails on a buffer too small; the user reads one message, in words."""
    whole = write_fits("whole.fits", np.ones((60, 60))).read_bytes()
    cut = tmp_path / "cut.fits"
    cut.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(PhotometryError) as caught:
        Session().load_data(str(cut))
    assert str(caught.value) == f"{cut}: could not read the image (the file is cut short: {len(whole) // 2:,} of " \
                                f"its {len(whole):,} bytes)"
    assert not [w for w in recwarn if "truncated" in str(w.message)]


@pytest.mark.parametrize("bunit", ["furlongs per fortnight", "MJy, sr"])
def test_unparseable_bunit_is_reported_and_data_is_unitless(write_fits, bunit):
    # "MJy, sr" parses as astropy's structured unit (of records), which has no bases: loading ended in an
    # AttributeError
    s = Session()
    label = s.load_data(write_fits("odd.fits", np.ones((5, 5)), {"BUNIT": bunit}))
    assert s.images[label].unit is None
    assert [str(n) for n in s.pop_notices()] == [f"{label}: unit {bunit!r} could not be parsed; the image is "
                                                 f"treated as unitless"]


@pytest.mark.parametrize("bunit", ["1e+300", "1e200 Jy", "-1e-300"])
def test_a_unit_whose_square_is_beyond_floats_is_reported_and_data_is_unitless(write_fits, bunit):
    """var and biweight_midvariance are in the unit's square: a BUNIT of 1e300 cannot have one, and calculate
    raised OverflowError."""
    s = Session()
    label = s.load_data(write_fits("scaled.fits", np.full((9, 9), 2.0), {"BUNIT": bunit}))
    assert s.images[label].unit is None
    assert any("square is beyond floating point" in n for n in s.pop_notices())
    row = s.calculate(subset=s.add_subset(CirclePixelRegion(PixCoord(4.0, 4.0), 2.0)))
    assert row["aperture_sum"] == pytest.approx(2.0 * math.pi * 4.0, rel=1e-12)
    assert row["var"] == 0.0
    with pytest.raises(PhotometryError, match="1e\\+200 Jy' has a scale whose square"):
        s.load_data(np.ones((5, 5)), unit=u.Unit("1e200 Jy"))


def test_hst_bunit_spelling_is_understood(write_fits):
    s = Session()
    label = s.load_data(write_fits("hst.fits", np.ones((5, 5)), {"BUNIT": "ELECTRONS/S"}))
    assert s.images[label].unit == u.electron / u.s


@pytest.mark.parametrize("bunit, unit", [
    ("ADU", u.adu), ("ADU/S", u.adu / u.s), ("e-/s", u.electron / u.s), ("E/S", u.electron / u.s),
    ("erg/s/cm2/A", u.erg / u.s / u.cm**2 / u.AA),  # HST's FLAM: A is Angstrom here, never ampere
    ("erg/cm**2/s/Angstrom", u.erg / u.s / u.cm**2 / u.AA),
])
def test_ground_and_hst_bunit_spellings_are_understood_without_a_warning(write_fits, bunit, unit):
    s = Session(warn=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", u.UnitsWarning)  # "contains multiple slashes" went straight to the terminal
        label = s.load_data(write_fits("img.fits", np.ones((5, 5)), {"BUNIT": bunit}))
    assert s.images[label].unit == unit and s.pop_notices() == []


def with_card(path, card: bytes, replacing: bytes | None = None) -> None:
    """A raw 80-character card written into the file's first header, in place of `replacing` or before END."""
    raw = bytearray(path.read_bytes())
    if replacing is None:
        at = raw.index(b"END" + b" " * 77)
        raw[at:at + 160] = card.ljust(80) + b"END".ljust(80)
    else:
        at = raw.index(replacing.ljust(8))
        raw[at:at + 80] = card.ljust(80)
    path.write_bytes(bytes(raw))


def test_a_wcs_whose_frame_astropy_does_not_know_is_said_and_sky_regions_refused(tmp_path):
    from regions import CircleSkyRegion
    from astropy.coordinates import SkyCoord

    from tests.conftest import tan_wcs

    path = tmp_path / "img.fits"
    header = tan_wcs((40, 40)).to_header()
    header["RADESYS"] = "ICRS"
    fits.PrimaryHDU(np.ones((40, 40), np.float32), header).writeto(path)
    with_card(path, b"RADESYS = 'FOO     '", replacing=b"RADESYS")
    s = Session(warn=False)
    label = s.load_data(str(path))
    assert s.pop_notices() == [f"{label}: its WCS cannot be read (CTYPE1 'RA---TAN'); sky regions cannot be placed "
                               "on it"]
    s.add_subset(CircleSkyRegion(SkyCoord(150.0, 2.0, unit="deg"), 0.5 * u.arcsec), label="Star")
    with pytest.raises(PhotometryError, match="Star is in sky coordinates but img.PRIMARY,1. has no celestial WCS"):
        s.calculate(subset="Star")  # was astropy's ValueError from world_to_pixel


@pytest.mark.parametrize("scale", [
    {"CD1_1": 0.0, "CD1_2": 0.0, "CD2_1": 0.0, "CD2_2": 0.0},  # a failed plate solution's placeholder
    {"CD1_1": -1e-4, "CD1_2": 0.0, "CD2_1": 0.0, "CD2_2": 0.0},  # one axis without a scale
    {"CDELT1": 0.0, "CDELT2": 0.0},
    {},  # a pointing, no scale at all
])
def test_a_celestial_wcs_without_a_pixel_scale_is_no_wcs(tmp_path, scale):
    """wcslib makes such an axis 1 degree a pixel: the pixel area auto-filled 12,960,000 arcsec^2 and a 1" sky
    circle was measured as a ten-thousandth of a pixel, with no word."""
    from regions import CircleSkyRegion
    from astropy.coordinates import SkyCoord

    path = tmp_path / "img.fits"
    header = fits.Header({"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRVAL1": 10.0, "CRVAL2": 20.0,
                          "CRPIX1": 20.0, "CRPIX2": 20.0, "BUNIT": "MJy/sr", **scale})
    fits.PrimaryHDU(np.ones((40, 40), np.float32), header).writeto(path)
    s = Session(warn=False)
    label = s.load_data(str(path))
    assert s.images[label].wcs is None and s.inputs.pixel_area == 0
    assert s.pop_notices() == [f"{label}: its WCS gives no pixel scale (no CDELT or CD, or zeros); sky regions "
                               f"cannot be placed on it"]
    s.add_subset(CircleSkyRegion(SkyCoord(10.0, 20.0, unit="deg"), 1 * u.arcsec), label="Star")
    with pytest.raises(PhotometryError, match="Star is in sky coordinates but img.PRIMARY,1. has no celestial WCS"):
        s.calculate(subset="Star")
    rotated = dict(header, CD1_1=0.0, CD1_2=-1e-4, CD2_1=1e-4, CD2_2=0.0)  # turned 90 degrees: a scale
    for key in ("CDELT1", "CDELT2"):
        rotated.pop(key, None)
    fits.PrimaryHDU(np.ones((40, 40), np.float32), fits.Header(rotated)).writeto(tmp_path / "turned.fits")
    s.select_data(label := s.load_data(str(tmp_path / "turned.fits")))
    assert s.images[label].wcs is not None and s.inputs.pixel_area == pytest.approx(0.1296)


def test_an_unparsable_extname_is_one_line_and_an_unparsable_airmass_is_absent(tmp_path):
    from tui.core.frames import list_frames

    path = tmp_path / "mef.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((10, 10), np.float32), name="SCI")]).writeto(path)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"EXTNAME = 'SCI")
    raw[at:at + 80] = b"EXTNAME = SCI / no quotes".ljust(80)
    path.write_bytes(bytes(raw))
    with pytest.raises(PhotometryError, match=r"mef.fits: not a readable FITS file \(Unparsable card \(EXTNAME\)\)$"):
        Session().load_data(str(path))
    timed = tmp_path / "timed.fits"
    fits.PrimaryHDU(np.ones((10, 10), np.float32), fits.Header({"DATE-OBS": "2024-03-01T02:00:00"})).writeto(timed)
    with_card(timed, b"AIRMASS = 1.2.3")
    [frame] = list_frames([timed])
    assert np.isnan(frame.airmass) and frame.time.jd_utc > 0


def test_a_header_that_lost_a_naxis_keyword_is_one_line(tmp_path):
    """A byte changed in NAXIS1's name: astropy's KeyError ended `measure`, `series` and the app's load."""
    from tui.core.frames import list_frames

    path = tmp_path / "torn.fits"
    fits.PrimaryHDU(np.ones((20, 30), np.float32), fits.Header({"DATE-OBS": "2024-03-01T02:00:00"})).writeto(path)
    path.write_bytes(path.read_bytes().replace(b"NAXIS1  =", b"NAXIZ1  =", 1))
    said = f"{path}: not a readable FITS file (its header has no NAXIS1 keyword)"
    with pytest.raises(PhotometryError) as refused:
        Session().load_data(str(path))
    assert str(refused.value) == said
    with pytest.raises(PhotometryError) as refused:
        list_frames([path])
    assert str(refused.value) == said


def test_a_header_card_astropy_cannot_parse_counts_as_absent(tmp_path):
    import subprocess
    import sys

    from tui.core.frames import list_frames

    path = tmp_path / "odd.fits"
    fits.PrimaryHDU(np.ones((20, 20), np.float32), fits.Header({"BUNIT": "MJy/sr"})).writeto(path)
    with_card(path, b"DATE-OBS= 2024-03-01T02:00:00 / no quotes")  # some software writes a date without quotes
    s = Session(warn=False)
    label = s.load_data(str(path))  # was astropy's VerifyError, which closed the app
    assert s.images[label].unit == u.MJy / u.sr
    [frame] = list_frames([path], require_time=False)
    assert frame.time.source == ("odd.fits: no time found (looked for INT_TIMES, EXPSTART+EXPEND, MJD-AVG, DATE-AVG, "
                                 "DATE-OBS (+TIME-OBS/UT), MJD-OBS, JD; DATE-OBS not readable: not in FITS form)")
    reg = tmp_path / "r.reg"
    reg.write_text("image\ncircle(10,10,3) # text={S}\n")
    done = subprocess.run([sys.executable, "-m", "tui", "measure", str(path), "-r", str(reg), "--pixel-area", "0.01"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""  # astropy's own warnings about the card reached the terminal


def test_not_a_fits_file(tmp_path):
    path = tmp_path / "notes.fits"
    path.write_text("hello, I am text\n" * 10)
    with pytest.raises(PhotometryError, match="not a readable FITS file"):
        Session().load_data(path)


def test_fits_with_no_image(tmp_path):
    path = tmp_path / "table.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([fits.Column("a", "E", array=[1.0])])]
                 ).writeto(path)
    with pytest.raises(PhotometryError, match="no image found"):
        Session().load_data(path)


def test_missing_file():
    with pytest.raises(PhotometryError, match="no such file"):
        Session().load_data("/nonexistent/x.fits")


def test_arrays_quantities_and_hdus():
    s = Session()
    assert s.load_data(np.ones((3, 3))) == "Array 1"
    label = s.load_data(np.ones((3, 3)) * u.Jy, label="q")
    assert s.images[label].unit == u.Jy
    assert s.load_data(fits.ImageHDU(np.ones((3, 3)), name="SCI")) == "HDU[SCI,1]"
    assert s.load_data(np.ones((3, 3)), label="q") == "q (2)"  # labels stay unique
    with pytest.raises(PhotometryError, match="2-D"):
        s.load_data(np.ones(5))


def test_choose_an_extension_or_a_cube_plane(tmp_path):
    path = tmp_path / "flt.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.full((4, 4), 1.0), name="SCI", ver=1),
                  fits.ImageHDU(np.full((4, 4), 2.0), name="SCI", ver=2),
                  fits.ImageHDU(np.arange(3 * 16.0).reshape(3, 4, 4), name="CUBE")]).writeto(path)
    s = Session()
    assert s.load_data(f"{path}[SCI,2]") == "flt[SCI,2]"
    assert s.images["flt[SCI,2]"].data[0, 0] == 2.0
    assert s.load_data(path) == "flt[SCI,1]"  # by default the first SCI
    label = s.load_data(f"{path}[CUBE][2]")
    assert label == "flt[CUBE,1][2]" and s.images[label].data[0, 0] == 32.0
    assert s.load_data(f"{path}[3][0]") == "flt[CUBE,1][0]"
    with pytest.raises(PhotometryError, match=r"no extension \[SCI,7\] in this file; its images: \[SCI,1\], "
                                              r"\[SCI,2\], \[CUBE,1\]$"):
        s.load_data(f"{path}[SCI,7]")
    with pytest.raises(PhotometryError, match=r"extension \[0\] holds no image; its images: \[SCI,1\]"):
        s.load_data(f"{path}[0]")
    with pytest.raises(PhotometryError, match=r"planes 0 to 2, not 5"):
        s.load_data(f"{path}[CUBE][5]")
    with pytest.raises(PhotometryError, match=r"file.fits\[EXT\]\[N\]"):
        s.load_data(f"{path}[CUBE]")
