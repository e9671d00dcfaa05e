"""DS9 regions in physical coordinates, placed on each image by its LTV/LTM keywords (IRAF's image = LTM phys + LTV)."""

import numpy as np
import pytest
from astropy.io import fits

from tui.core import PhotometryError, Session
from tui.core.images import load_fits
from tui.core.series import SeriesStar

COLUMNS = ("xcenter", "ycenter", "npix", "aperture_sum", "mean", "fwhm")


def star_field(path, keywords):
    y, x = np.mgrid[:60, :70]
    data = 5.0 + 900.0 * np.exp(-((x - 31.3) ** 2 + (y - 24.6) ** 2) / 8.0) + 0.01 * x
    fits.PrimaryHDU(data, fits.Header({"BUNIT": "electron/s", **keywords})).writeto(path)
    return path


def regions(tmp_path, name, frame, shift=(0.0, 0.0), scale=1.0):
    """Four shapes around the star, as DS9 writes them (1-based): in `frame` coordinates, which are the image's
    through image = scale * frame + shift."""
    def at(x, y):
        return f"{(x - shift[0]) / scale:g},{(y - shift[1]) / scale:g}"

    k = 1.0 / scale
    path = tmp_path / name
    path.write_text(f"# Region file format: DS9 version 4.1\nglobal color=green\n{frame}\n"
                    f"circle({at(32, 25)},{4 * k:g}) # text={{Star}}\n"
                    f"ellipse({at(32, 25)},{5 * k:g},{3 * k:g},20) # text={{Gal}}\n"
                    f"box({at(32, 25)},{4 * k:g},{6 * k:g},30) # text={{Box}}\n"
                    f"polygon({at(28, 21)},{at(38, 22)},{at(33, 31)}) # text={{Tri}}\n")
    return path


@pytest.mark.parametrize("keywords, shift, scale", [
    ({"LTV1": -200.0, "LTV2": -300.0}, (-200.0, -300.0), 1.0),  # a subarray cut at (201, 301) of the detector
    ({"LTV1": 0.25, "LTV2": 0.25, "LTM1_1": 0.5, "LTM2_2": 0.5}, (0.25, 0.25), 0.5),  # binned 2x2
    ({}, (0.0, 0.0), 1.0),  # no keywords: physical is image
])
def test_physical_regions_measure_what_the_same_regions_in_image_coordinates_do(tmp_path, keywords, shift, scale):
    image = star_field(tmp_path / "sub.fits", keywords)
    s = Session(warn=False)
    data = s.load_data(str(image))
    in_image = s.load_regions(regions(tmp_path, "image.reg", "image"))
    in_physical = s.load_regions(regions(tmp_path, "phys.reg", "physical", shift, scale))
    assert in_physical == [f"{label} (2)" for label in in_image]  # other regions than the image ones
    for a, b in zip(in_image, in_physical):
        want, got = s.calculate(data=data, subset=a), s.calculate(data=data, subset=b)
        for column in COLUMNS:
            assert float(np.asarray(getattr(got[column], "value", got[column]))) == pytest.approx(
                float(np.asarray(getattr(want[column], "value", want[column]))), rel=1e-12, abs=1e-9), (a, column)


def test_an_ltm_that_flips_or_stretches_is_refused_on_that_image_only(tmp_path):
    s = Session(warn=False)
    flipped = s.load_data(str(star_field(tmp_path / "flip.fits", {"LTM1_1": -1.0})))
    stretched = s.load_data(str(star_field(tmp_path / "stretch.fits", {"LTM1_1": 0.5, "LTM2_2": 1.0})))
    plain = s.load_data(str(star_field(tmp_path / "plain.fits", {})))
    s.load_regions(regions(tmp_path, "phys.reg", "physical"))
    for data in (flipped, stretched):
        with pytest.raises(PhotometryError) as refused:
            s.calculate(data=data, subset="Star")
        assert str(refused.value) == f"Star is in DS9 physical coordinates, which {data}'s LTM keywords flip, turn " \
                                     f"or stretch: save the regions in image or sky coordinates"
    assert s.calculate(data=plain, subset="Star")["xcenter"].value == 31.0


def test_a_physical_line_among_others_and_a_physical_prefix(tmp_path):
    # regions skipped the physical lines with a warning: a file of them gave "no usable regions"
    image = star_field(tmp_path / "sub.fits", {"LTV1": -10.0, "LTV2": -20.0})
    path = tmp_path / "mixed.reg"
    path.write_text("image\ncircle(32,25,3) # text={I}\nphysical; circle(42,45,3) # text={P}\n"
                    "circle(12,15,3) # text={Q}\npanda(1,1,0,90,2,1,2,1)\n")
    s = Session(warn=False)
    data = s.load_data(str(image))
    assert s.load_regions(path) == ["I", "P", "Q"]
    assert any("skipped line 5" in note for note in s.pop_notices())
    assert [s.pixel_region(label, data).center.xy for label in ("I", "P", "Q")] == [(31, 24), (31, 24), (1, -6)]


def test_recentring_keeps_a_physical_region_in_physical_coordinates(tmp_path):
    s = Session(warn=False)
    sub = s.load_data(str(star_field(tmp_path / "sub.fits", {"LTV1": -200.0, "LTV2": -300.0})))
    s.load_regions(regions(tmp_path, "phys.reg", "physical", (-200.0, -300.0)))
    dx, dy = s.recenter("Star", sub)
    x, y = s.pixel_region("Star", sub).center.xy
    assert (x, y) == pytest.approx(s.centroid(sub, "Star"), abs=0.02)
    assert (x - 31.0, y - 24.0) == pytest.approx((dx, dy), abs=1e-12)
    assert s.subsets["Star"].region.center.xy == pytest.approx((231.0 + dx, 324.0 + dy), abs=1e-12)


def test_a_series_star_in_physical_coordinates_is_placed_on_each_frame(tmp_path):
    frame = load_fits(star_field(tmp_path / "sub.fits", {"LTV1": -200.0, "LTV2": -300.0}))
    s = Session(warn=False)
    s.load_regions(regions(tmp_path, "phys.reg", "physical", (-200.0, -300.0)))
    star = SeriesStar("Star", "T1", s.subsets["Star"].region)
    assert star.nominal(frame) == (31.0, 24.0)
    assert star.on(frame).radius == 4.0
