import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from regions import CirclePixelRegion, CircleSkyRegion, PixCoord, PointPixelRegion, RectangleSkyRegion

from tests.conftest import tan_wcs
from tui.core import PhotometryError, Session
from tui.core.images import Image

DS9 = """# Region file format: DS9 version 4.1
image
circle(20,20,4) # text={Star}
ellipse(30,15,5,3,20) # text={Gal}
box(10,30,4,6,30) # text={Box}
polygon(2,2,8,2,8,7)
annulus(20,20,6,9) # text={Sky}
"""


def test_region_file_labels_and_shapes(tmp_path):
    path = tmp_path / "r.reg"
    path.write_text(DS9)
    s = Session()
    assert s.load_regions(path) == ["Star", "Gal", "Box", "Subset 4", "Sky"]
    assert s.subsets["Sky"].is_annulus and s.subsets["Box"].shape_name == "rectangle"


def test_duplicate_text_labels_fall_back_to_numbers(tmp_path):
    path = tmp_path / "r.reg"
    path.write_text("image\ncircle(5,5,2) # text={A}\ncircle(9,9,2) # text={A}\n")
    s = Session(warn=False)
    assert s.load_regions(path) == ["Subset 1", "Subset 2"]
    assert s.pop_notices() == ["r.reg: 2 regions share a label ('A'): each is named Subset N instead"]
    many = "".join(f"circle({x},5,2) # text={{{name}}}\n" for x, name in enumerate("BBCCDDEEF", start=3))
    path.write_text("image\n" + many)
    assert s.load_regions(path) == [f"Subset {n}" for n in range(3, 11)] + ["F"]
    assert s.pop_notices() == ["r.reg: 8 regions share 4 labels ('B', 'C', 'D', ...): each is named Subset N instead"]


def test_a_region_file_opened_again_adds_only_what_is_new(tmp_path):
    path = tmp_path / "r.reg"
    path.write_text(DS9)
    s = Session(warn=False)
    s.load_regions(path)
    s.pop_notices()
    # in DS9: Star moved, Gal recoloured, a star added
    path.write_text(DS9.replace("circle(20,20,4)", "circle(21,20,4)").replace("{Gal}", "{Gal} color=red")
                    + "circle(5,25,3) # text={New}\n")
    assert s.load_regions(path) == ["Star (2)", "Subset 7", "New"]
    assert s.pop_notices() == ["r.reg: 3 regions loaded already, not added again (Gal, Box, Sky)"]
    assert s.subsets["Star (2)"].region.center.x == 20 and s.subsets["Star"].region.center.x == 19  # DS9: from 1
    assert s.load_regions(path) == ["Subset 9"]  # the unlabelled polygon: no label to know it by
    assert s.pop_notices() == ["r.reg: 5 regions loaded already, not added again (Star, Gal, Box ...)"]


def test_one_bad_line_does_not_cost_a_ds9_file_its_other_regions(tmp_path):
    path = tmp_path / "catalogue.reg"
    path.write_text("# Region file format: DS9 version 4.1\nglobal color=green\nimage\n"
                    "circle(20,20,4) # text={Star}\ncircle(30,30,-3) # text={Typo}\n"
                    "fk5; circle(150.0,2.0,1\") # text={Sky star}\ncircle(150.001,2.0,1\") # text={Next}\n"
                    "annulus(20,20,9,6) # text={Back to front}\n")
    s = Session(warn=False)
    assert s.load_regions(path) == ["Star", "Sky star", "Next"]  # regions refused the whole file for one line
    assert s.pop_notices() == ["catalogue.reg: skipped line 5 ('radius' must be a strictly positive scalar)",
                               "catalogue.reg: skipped line 8 (outer_radius must be greater than inner_radius)"]
    assert s.subsets["Next"].is_sky  # in fk5, the frame the line before set
    flat = tmp_path / "flat.reg"
    flat.write_text("image\npolygon(10,10,20,20,30,30) # text={Line}\ncircle(5,5,2) # text={Dot}\n")
    assert s.load_regions(flat) == ["Dot"]  # the polygon "lay outside the image" at F5
    assert s.pop_notices()[-1] == "flat.reg: skipped region 1 (polygon 'Line'): its vertices enclose no area"


def test_a_line_skipped_says_why_in_the_files_words_and_where(tmp_path):
    """Too few numbers reached the region class as Python's TypeError ("RectanglePixelRegion.__init__() missing 1
    required positional argument: 'height'"), a word as float()'s ValueError; a region refused after reading was
    "region 2" where the lines around it were numbered."""
    path = tmp_path / "typos.reg"
    path.write_text("image\ncircle(20,20,4) # text={Star}\nbox(50,50,10)\ncircle(30,abc,3)\nbox(5,5)\n"
                    "polygon(1,2,3,4,5,6) # text={Flat}\nannulus(9,9,3)\n")
    s = Session(warn=False)
    assert s.load_regions(path) == ["Star"]
    assert s.pop_notices() == ["typos.reg: 5 lines or regions left out: skipped line 3 (box: its height is missing); "
                               "skipped line 4 ('abc' is not a number); ..."]
    path.write_text("image\nbox(5,5)\nannulus(9,9,3)\npolygon(1,2,3,4,5,6) # text={Flat}\n"
                    "circle(20,20,4) # text={Star}\n")
    s = Session(warn=False)
    assert s.load_regions(path) == ["Star"]
    assert s.pop_notices() == ["typos.reg: skipped line 2 (box: its width and height are missing)",
                               "typos.reg: skipped line 3 (annulus: its outer radius is missing)",
                               "typos.reg: skipped line 4 (polygon 'Flat'): its vertices enclose no area"]
    path.write_text("image\nbox(50,50,10)\n")
    with pytest.raises(PhotometryError, match=r"^typos.reg: not a readable DS9 region file \(line 2: box: its height "
                                              r"is missing\)$"):
        s.load_regions(path)


def test_many_lines_left_out_are_one_note(tmp_path):
    path = tmp_path / "catalogue.reg"
    path.write_text("image\ncircle(20,20,4) # text={Star}\n" + "circle(30,30,-3)\n" * 40 + "point(5,5)\n")
    s = Session(warn=False)
    assert s.load_regions(path) == ["Star"]
    assert s.pop_notices() == [  # forty-one toasts buried the screen
        "catalogue.reg: 41 lines or regions left out: skipped line 3 ('radius' must be a strictly positive "
        "scalar); skipped line 4 ('radius' must be a strictly positive scalar); ..."]
    frames = tmp_path / "frames.reg"  # DS9's own "wcs" and "linear" systems, which regions does not read
    frames.write_text("image\ncircle(20,20,4) # text={Star}\n" + "wcs\ncircle(10,10,3)\nlinear\ncircle(9,9,3)\n" * 2)
    s = Session(warn=False)
    assert s.load_regions(frames) == ["Star"]
    note, = s.pop_notices()  # regions' warnings end in "skipping.", which read ".;" where they were joined
    assert note.startswith('frames.reg: 8 lines or regions left out: "wcs" frame or shape is not supported by the '
                           'regions package, skipping; A coordinate frame was not found for region')
    assert ".;" not in note


def test_crtf_file(tmp_path):
    path = tmp_path / "r.crtf"
    path.write_text("#CRTFv0\ncircle [[10pix, 12pix], 3pix]\n")
    s = Session()
    [label] = s.load_regions(path)
    s.load_data(np.ones((30, 30)))
    assert s.calculate(subset=label)["npix"].value == pytest.approx(np.pi * 9)


@pytest.mark.parametrize("text,message", [
    ("", "not a readable DS9|no usable regions"),
    ("this is { not a region file", "not a readable DS9|no usable regions"),
])
def test_empty_or_corrupt_region_file(tmp_path, text, message):
    path = tmp_path / "bad.reg"
    path.write_text(text)
    s = Session()
    with pytest.raises(PhotometryError, match=message):
        s.load_regions(path)
    assert s.subsets == {}


def test_unsupported_shapes_are_skipped_with_a_note_or_refused(tmp_path):
    path = tmp_path / "p.reg"
    path.write_text("image\npoint(5,5)\ncircle(9,9,2)\nline(1,1,4,4) # text={Cut}\n")
    s = Session()
    assert s.load_regions(path) == ["Subset 1"]
    notes = s.pop_notices()
    assert "p.reg: skipped region 1 (point): point regions are not supported; use a circle, ellipse, rectangle, " \
           "polygon or annulus" in notes
    assert any(n.startswith("p.reg: skipped region 3 (line 'Cut'): line regions are not supported") for n in notes)
    only = tmp_path / "only.reg"
    only.write_text("image\npoint(5,5)\n")
    with pytest.raises(PhotometryError, match="no usable regions"):
        Session().load_regions(only)
    with pytest.raises(PhotometryError, match="point regions are not supported"):
        Session().add_subset(PointPixelRegion(PixCoord(1, 1)))


def test_exclusion_regions_are_skipped_with_a_note(tmp_path):
    path = tmp_path / "x.reg"
    path.write_text("image\ncircle(9,9,4) # text={Star}\n-circle(10,10,1) # text={Cosmic ray}\n"
                    "box(20,20,4,4,0) # include=0\n")
    s = Session()
    assert s.load_regions(path) == ["Star"]
    assert s.pop_notices()[:2] == ["x.reg: skipped region 2 (circle 'Cosmic ray'): an exclusion region (DS9's '-') "
                                   "is not a source",
                                   "x.reg: skipped region 3 (rectangle): an exclusion region (DS9's '-') is not a "
                                   "source"]


def test_sky_region_follows_each_image_wcs():
    s = Session()
    a = s.load_data(np.ones((40, 40)), label="a", wcs=tan_wcs((40, 40), 0.1))
    b = s.load_data(np.ones((80, 80)), label="b", wcs=tan_wcs((80, 80), 0.05))
    s.add_subset(CircleSkyRegion(SkyCoord(150.0, 2.0, unit="deg"), 0.5 * u.arcsec))
    ra = s.calculate(data=a)
    rb = s.calculate(data=b)
    assert ra["npix"].value == pytest.approx(np.pi * 25, rel=1e-3)   # 5 px radius at 0.1"/px
    assert rb["npix"].value == pytest.approx(np.pi * 100, rel=1e-3)  # 10 px radius at 0.05"/px
    assert rb["sky_center"].separation(ra["sky_center"]).arcsec < 1e-6


def test_rotated_sky_rectangle_becomes_a_pixel_rectangle():
    s = Session()
    s.load_data(np.ones((60, 60)), wcs=tan_wcs((60, 60), 0.1))
    s.add_subset(RectangleSkyRegion(SkyCoord(150.0, 2.0, unit="deg"), 1 * u.arcsec, 2 * u.arcsec, 30 * u.deg))
    assert s.calculate()["npix"].value == pytest.approx(200.0, rel=1e-2)


def test_sky_region_on_image_without_wcs():
    s = Session()
    s.load_data(np.ones((10, 10)))
    s.add_subset(CircleSkyRegion(SkyCoord(150.0, 2.0, unit="deg"), 1 * u.arcsec))
    with pytest.raises(PhotometryError, match="no celestial WCS"):
        s.calculate()
    assert s.get_aperture_photometry_results() is None


def test_a_subset_wholly_off_an_image_is_told_apart_from_one_partly_on_it():
    """What the app warns of when a typed region cannot be measured on the image it was typed on: its bounding box,
    in 0-based pixels, misses the image. A region it cannot place there at all is calculate's to explain."""
    s = Session()
    s.load_data(np.ones((30, 40)), label="plain")  # 40 wide, 30 high
    s.load_data(np.ones((30, 40)), label="sky", wcs=tan_wcs((30, 40), 0.1))
    inside = s.add_drawn_region("circle", "plain", 20.0, 15.0, 3.0)
    astride = s.add_drawn_region("circle", "plain", 41.0, 15.0, 3.0)  # the box reaches column 38
    beyond_x = s.add_drawn_region("circle", "plain", 43.0, 15.0, 3.0)  # the box starts at column 40, off it
    beyond_y = s.add_drawn_region("rectangle", "plain", 20.0, -5.0, 4.0, 6.0)
    assert [s.misses_image(label, "plain") for label in (inside, astride, beyond_x, beyond_y)] == [
        False, False, True, True]
    on_sky = s.add_drawn_region("circle", "sky", 500.0, 15.0, 3.0)  # kept on the sky, placed through the WCS
    assert s.misses_image(on_sky, "sky")
    assert not s.misses_image(on_sky, "plain")  # no WCS there: not placed at all, so calculate explains
    with pytest.raises(PhotometryError, match="no celestial WCS"):
        s.calculate(data="plain", subset=on_sky)


def test_unknown_labels_and_bad_fields_change_nothing():
    s = Session()
    s.load_data(np.ones((30, 30)), label="img")
    from regions import CirclePixelRegion
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    s.calculate()
    for kwargs, message in [({"data": "nope"}, "no data named 'nope'"),
                            ({"subset": "nope"}, "no subset named 'nope'"),
                            ({"background": "abc"}, "Background value: 'abc' is not a number$"),
                            ({"background": "1,5"}, r"Background value: '1,5' is not a number \(decimals take a "
                                                    r"point, thousands no separator\)$"),
                            ({"pixel_area": -1}, "Pixel area: must not be negative"),
                            ({"counts_factor": "1e"}, "Counts conversion factor"),
                            ({"flux_scaling": "inf"}, "Flux scaling: must be a finite number"),
                            ({"flux_scaling": "-1e400"}, r"Flux scaling: '-1e400' is too large for a number \(at "
                                                         r"most about 1.8e308\)$")]:
        with pytest.raises(PhotometryError, match=message):
            s.calculate(**kwargs)
    assert len(s.get_aperture_photometry_results()) == 1
    s.inputs.pixel_area = "twelve"
    with pytest.raises(PhotometryError, match="Pixel area: 'twelve' is not a number"):
        s.calculate()
    s.inputs.pixel_area = ""  # empty means "not set"
    assert s.calculate()["id"] == 2


def test_pixel_region_drawn_on_one_image_used_on_another_says_so():
    s = Session()
    s.load_data(np.ones((20, 20)), label="a")
    s.load_data(np.ones((20, 20)), label="b")
    from regions import CirclePixelRegion
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 2), origin="a")
    s.calculate(data="b")
    assert any("pixel coordinates of a" in n for n in s.pop_notices())


def sip_wcs(shape):
    """A TAN-SIP WCS: a distortion, so regions takes its Jacobian path."""
    from astropy.wcs import Sip

    w = tan_wcs(shape)
    w.wcs.ctype = ["RA---TAN-SIP", "DEC--TAN-SIP"]
    a = np.zeros((3, 3))
    b = np.zeros((3, 3))
    a[2, 0], a[0, 2], b[1, 1] = 2e-5, -1e-5, 3e-5
    w.sip = Sip(a, b, None, None, w.wcs.crpix)
    return w


@pytest.mark.parametrize("make_wcs", [tan_wcs, sip_wcs], ids=["tan", "sip"])
def test_sky_circles_converted_together_are_regions_own(make_wcs):
    from tui.core.subsets import Subset, pixel_regions

    shape = (400, 500)
    wcs = make_wcs(shape)
    assert wcs.has_distortion == (make_wcs is sip_wcs)
    rng = np.random.default_rng(2)
    subsets = []
    for k in range(40):
        frame = ("icrs", "fk5", "galactic")[k % 3]
        centre = SkyCoord(150 + rng.uniform(-0.01, 0.01), 2 + rng.uniform(-0.01, 0.01), unit="deg")
        subsets.append(Subset(f"s{k}", CircleSkyRegion(centre.transform_to(frame), rng.uniform(0.1, 3) * u.arcsec)))
    subsets.append(Subset("box", RectangleSkyRegion(SkyCoord(150, 2, unit="deg"), 2 * u.arcsec, 1 * u.arcsec)))
    image = Image(np.zeros(shape), label="img", wcs=wcs)
    for subset, region in zip(subsets, pixel_regions(subsets, image)):
        expected = subset.region.to_pixel(wcs)
        assert type(region) is type(expected)
        assert (region.center.x, region.center.y) == (expected.center.x, expected.center.y)
        if isinstance(region, CirclePixelRegion):
            assert region.radius == expected.radius  # bit for bit


def test_sky_circles_go_one_by_one_when_regions_converts_otherwise(monkeypatch):
    """regions 0.13 changed how a sky circle's radius becomes pixels; should a later release change it again, the
    batch's first circle differs from to_pixel's and every circle is converted by regions itself."""
    from tui.core import subsets as module
    from tui.core.subsets import Subset, pixel_regions

    wcs = tan_wcs((400, 500))
    circles = [CircleSkyRegion(SkyCoord(150 + k * 1e-3, 2, unit="deg"), (1 + k) * u.arcsec) for k in range(5)]
    same = [region.radius for region in pixel_regions([Subset(f"s{k}", c) for k, c in enumerate(circles)],
                                                       Image(np.zeros((400, 500)), label="img", wcs=wcs))]
    scale = module._pixels_per_arcsec
    monkeypatch.setattr(module, "_pixels_per_arcsec", lambda *args: scale(*args) * (1 + 1e-12))
    converted = pixel_regions([Subset(f"s{k}", c) for k, c in enumerate(circles)],
                              Image(np.zeros((400, 500)), label="img", wcs=wcs))
    assert [region.radius for region in converted] == [c.to_pixel(wcs).radius for c in circles] == same


def test_sky_circles_on_an_image_without_wcs_are_refused_one_by_one():
    from tui.core.subsets import Subset, pixel_regions

    subsets = [Subset(f"s{k}", CircleSkyRegion(SkyCoord(150, 2, unit="deg"), 1 * u.arcsec)) for k in range(3)]
    out = pixel_regions(subsets, Image(np.zeros((10, 10)), label="plain"))
    assert [str(e) for e in out] == [f"s{k} is in sky coordinates but plain has no celestial WCS" for k in range(3)]


def test_a_sky_region_on_the_far_side_of_a_projection_is_refused_by_name():
    """A TAN image's WCS has no pixel for the sky opposite its centre: the region came back with NaN coordinates,
    and drawing or measuring it raised ValueError (the app's image panel crashed on a catalogue of the other side
    of the sky)."""
    import warnings

    from regions import CircleAnnulusSkyRegion, EllipseSkyRegion

    s = Session()
    s.load_data(np.ones((50, 60)), label="img", wcs=tan_wcs((50, 60), crval=(150.0, 2.0)))
    far = SkyCoord(330.0, -2.0, unit="deg")  # the antipode of the image's centre
    near = SkyCoord(150.0, 2.0, unit="deg")
    for label, region in (("c1", CircleSkyRegion(far, 1 * u.arcsec)), ("c2", CircleSkyRegion(far, 2 * u.arcsec)),
                          ("near", CircleSkyRegion(near, 1 * u.arcsec)),
                          ("ell", EllipseSkyRegion(far, 2 * u.arcsec, 1 * u.arcsec)),
                          ("box", RectangleSkyRegion(far, 2 * u.arcsec, 1 * u.arcsec)),
                          ("ann", CircleAnnulusSkyRegion(far, 1 * u.arcsec, 2 * u.arcsec))):
        s.add_subset(region, label=label)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning on the way either
        placed = s.pixel_regions(list(s.subsets), "img")
    said = {label: str(p) for label, p in zip(s.subsets, placed) if isinstance(p, PhotometryError)}
    assert set(said) == {"c1", "c2", "ell", "box", "ann"}
    assert all(text == f"{label}: cannot place it on img (its sky position lies beyond the image's projection)"
               for label, text in said.items())
    with pytest.raises(PhotometryError, match="beyond the image's projection"):
        s.calculate(subset="c1")
    assert s.calculate(subset="near")["npix"].value > 0


def test_a_background_annulus_around_a_sky_star_follows_it_onto_each_image_and_gives_its_median():
    """The annulus is made on the sky, 1.5 to 2.5 times the star's radius on the selected image; on another image
    of another scale it lies around the same star, and the background is the median of its centre-mode pixels
    (regions' own mask, read independently here)."""
    from regions import CircleAnnulusPixelRegion, CircleAnnulusSkyRegion

    rng = np.random.default_rng(4)
    s = Session(warn=False)
    a = s.load_data(rng.normal(10, 1, (60, 60)), label="a", wcs=tan_wcs((60, 60), 0.1))
    b = s.load_data(rng.normal(20, 1, (120, 120)), label="b", wcs=tan_wcs((120, 120), 0.05))
    s.select_data(a)
    star = s.add_subset(CircleSkyRegion(SkyCoord(150.0, 2.0, unit="deg"), 0.4 * u.arcsec), "Star")
    label = s.add_background_annulus()
    annulus = s.subsets[label].region
    assert label == "Star sky" and s.inputs.background_region == label and isinstance(annulus, CircleAnnulusSkyRegion)
    assert annulus.inner_radius.to_value(u.arcsec) == pytest.approx(0.6, rel=1e-9)  # 6 and 10 pixels of a
    assert annulus.outer_radius.to_value(u.arcsec) == pytest.approx(1.0, rel=1e-9)
    assert annulus.center.separation(s.subsets[star].region.center).arcsec < 1e-9
    for data, scale in ((a, 0.1), (b, 0.05)):
        image = s.images[data]
        x, y = image.wcs.world_to_pixel(annulus.center)
        pixels = CircleAnnulusPixelRegion(PixCoord(float(x), float(y)), 0.6 / scale, 1.0 / scale)
        expected = np.median(pixels.to_mask("center").get_values(image.data))
        row = s.calculate(data=data, subset=star)
        assert row["background"] == pytest.approx(expected, rel=1e-12) and row["background_stat"] == "median"
    assert s.add_background_annulus() == "Star sky (2)"  # a second one does not take the first's name


def test_a_background_annulus_around_a_pixel_region_stays_in_its_pixels():
    from regions import CircleAnnulusPixelRegion, EllipsePixelRegion

    s = Session(warn=False)
    s.load_data(np.ones((80, 80)), label="img", wcs=tan_wcs((80, 80), 0.1))
    s.add_subset(EllipsePixelRegion(PixCoord(30.5, 40.25), 8, 4, angle=30 * u.deg), "Gal", origin="img")
    label = s.add_background_annulus(inner=7, outer=11)
    annulus = s.subsets[label].region
    assert isinstance(annulus, CircleAnnulusPixelRegion) and s.subsets[label].origin == "img"
    assert (annulus.center.xy, annulus.inner_radius, annulus.outer_radius) == ((30.5, 40.25), 7, 11)
    with pytest.raises(PhotometryError, match="outer radius larger than its inner radius"):
        s.add_background_annulus(inner=5, outer=5)
    with pytest.raises(PhotometryError, match="no subset named"):
        s.add_background_annulus("nothing")
    assert s.inputs.background_region == label  # unchanged by the refusals


def test_a_background_annulus_around_a_physical_region_is_in_physical_pixels(tmp_path):
    from astropy.io import fits

    path = tmp_path / "sub.fits"
    fits.PrimaryHDU(np.ones((60, 60)), fits.Header({"LTV1": -100.0, "LTV2": -200.0})).writeto(path)
    regions = tmp_path / "phys.reg"
    regions.write_text("physical\ncircle(131,226,4) # text={Star}\n")
    s = Session(warn=False)
    s.load_data(str(path))
    s.load_regions(str(regions))
    label = s.add_background_annulus()
    annulus = s.subsets[label].region
    assert annulus.meta.get("frame") == "physical" and annulus.center.xy == (130, 225)
    assert (annulus.inner_radius, annulus.outer_radius) == (6, 10)
    x, y = s.pixel_regions([label], s.selected_data)[0].center.xy
    assert (x, y) == (30, 25)  # on the image: physical less the LTV offsets


def test_a_region_centred_too_far_away_to_place_its_edge_is_refused_in_words():
    # A radius of 1e17 around a centre at x = -1e17 reaches the image, but float64 spaces numbers there 16 pixels
    # apart: the large-circle footprint divided by zero and ended in a ValueError, other shapes summed wrong pixels.
    from regions import PolygonPixelRegion, RectanglePixelRegion

    s = Session(warn=False)
    s.load_data(np.ones((30, 30)), label="img")
    far = {"circle": CirclePixelRegion(PixCoord(-1e17, 10), 1e17),
           "box": RectanglePixelRegion(PixCoord(-1e16, 10), 2e16 + 8, 10),
           "wedge": PolygonPixelRegion(PixCoord([-1e16, 4, 4], [5, 5, 15]))}
    for label, region in far.items():
        s.add_subset(region, label=label)
        what = "vertex" if label == "wedge" else "centre"
        with pytest.raises(PhotometryError, match=rf"^{label}: its {what} lies 1e\+1[67] pixels off img, too far to "
                                                  "place its edge on the image's pixels; use a smaller region nearer"):
            s.calculate(subset=label)
    rows, skipped = s.calculate_many(subsets=list(far))
    assert rows is None and [label for label, _ in skipped] == list(far)
    # Off the image, however far, is said as before; a huge radius around a near centre is the whole image; and a
    # billion pixels away the edge is still placed (the arc is straight to 2e-7 of a pixel over 30 rows).
    s.add_subset(CirclePixelRegion(PixCoord(-1e17, 10), 3), label="gone")
    with pytest.raises(PhotometryError, match="gone on img is outside the image"):
        s.calculate(subset="gone")
    s.add_subset(CirclePixelRegion(PixCoord(15, 15), 1e300), label="all")
    assert s.calculate(subset="all")["aperture_sum"] == 900.0
    s.add_subset(CirclePixelRegion(PixCoord(-1e9, 10), 1e9 + 4), label="edge")
    assert s.calculate(subset="edge")["aperture_sum"] == pytest.approx(4.5 * 30, abs=1e-5)
