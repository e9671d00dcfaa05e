"""Region files as editors and CASA save them: a byte-order mark, Latin-1 labels, CRTF without a frame."""

import numpy as np
import pytest
import astropy.units as u
from regions import CirclePixelRegion, CircleSkyRegion, EllipsePixelRegion

import tui
from tui.core import PhotometryError, Session
from tui.core.regionfiles import read_region_file


def regions_of(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return read_region_file(path)


def test_a_byte_order_mark_and_windows_line_ends(tmp_path):
    # Notepad's UTF-8 begins with a byte-order mark: the file was "not a readable DS9 region file"
    found, notes = regions_of(tmp_path, "bom.reg", b"\xef\xbb\xbfimage\r\ncircle(10,12,3) # text={\xc3\x89toile}\r\n")
    [(region, label)] = found
    assert (label, region.center.xy, region.radius, notes) == ("Étoile", (9, 11), 3, [])


def test_latin1_labels_are_read_as_written(tmp_path):
    found, _ = regions_of(tmp_path, "latin.reg", b"image\ncircle(10,12,3) # text={\xe9toile \xb0}\n")
    assert [label for _, label in found] == ["étoile °"]


def test_crtf_coordinates_with_units_but_no_frame_are_left_out_with_a_note(tmp_path):
    # regions read them as pixels: [[150.1deg, 2.2deg], 1arcsec] became a circle of radius 1 at x=150.1, y=2.2
    found, notes = regions_of(tmp_path, "r.crtf", b"#CRTFv0\n"
                              b"circle[[150.1deg, 2.2deg], 1arcsec], label=\"Sky\"\n"
                              b"circle[[10:00:24.0, +02.12.00], 2arcsec]\n"
                              b"circle[[40pix, 50pix], 1arcsec]\n"
                              b"circle[[40pix, 50pix], 6pix], label=\"Pix\"\n"
                              b"ellipse[[40pix, 50pix], [6pix, 3pix], 30deg]\n"
                              b"circle[[150.1deg, 2.2deg], 1arcsec], coord=ICRS, label=\"Framed\"\n")
    assert notes == [
        "r.crtf: skipped line 2 (150.1deg with no coord=: add coord=J2000, or the frame of the image, as CASA "
        "writes it)",
        "r.crtf: skipped line 3 (10:00:24.0 with no coord=: add coord=J2000, or the frame of the image, as CASA "
        "writes it)",
        "r.crtf: skipped line 4 (1arcsec with no coord=: add coord=J2000, or the frame of the image, as CASA "
        "writes it)"]
    assert [(type(r), label) for r, label in found] == [(CirclePixelRegion, "Pix"), (EllipsePixelRegion, None),
                                                        (CircleSkyRegion, "Framed")]
    assert found[1][0].angle.value == 30.0


def test_a_global_crtf_frame_holds_for_the_lines_after_it(tmp_path):
    found, notes = regions_of(tmp_path, "g.crtf", b"#CRTFv0\nglobal coord=ICRS\ncircle[[150.1deg, 2.2deg], 1arcsec]\n")
    assert notes == [] and isinstance(found[0][0], CircleSkyRegion)
    assert found[0][0].center.frame.name == "icrs"


def test_only_frameless_crtf_lines_is_no_usable_region(tmp_path):
    path = tmp_path / "only.crtf"
    path.write_text("#CRTFv0\ncircle[[150.1deg, 2.2deg], 1arcsec]\n")
    with pytest.raises(PhotometryError, match=r"^only.crtf: no usable regions in this file \(only.crtf: skipped "
                                              r"line 2 \(150.1deg with no coord="):
        Session().load_regions(path)


def test_a_folder_named_as_a_region_file_is_one_line(tmp_path):
    folder = tmp_path / "stars.reg"
    folder.mkdir()
    with pytest.raises(PhotometryError, match=r"^stars.reg: cannot be read \("):
        Session().load_regions(folder)


def test_an_image_or_binary_file_given_as_regions_is_named_for_what_it_is(tmp_path):
    # regions quoted a "line" of the binary back: 'Unable to parse line "ó>'
    from astropy.io import fits

    image = tmp_path / "img.fits"
    fits.PrimaryHDU().writeto(image)
    with pytest.raises(PhotometryError) as refused:
        read_region_file(image)
    assert str(refused.value) == "img.fits: a FITS file, not a region file: name it among the images"
    with pytest.raises(PhotometryError) as refused:
        regions_of(tmp_path, "bin.reg", bytes(range(256)) * 4)
    assert str(refused.value) == "bin.reg: not a region file (it holds binary data)"


def test_a_long_line_quoted_back_is_cut_short(tmp_path):
    with pytest.raises(PhotometryError) as refused:
        regions_of(tmp_path, "long.reg", b"circle(" + b"x" * 5000 + b")\n")
    assert len(str(refused.value)) < 300 and str(refused.value).endswith("…)")


# --- saving regions ------------------------------------------------------------------------------------------------
def _row_numbers(row) -> dict:
    return {name: getattr(value, "value", value) for name, value in row.items()
            if name not in ("timestamp", "sky_center", "data_label", "subset_label", "background_stat")}


def test_saved_regions_read_back_as_the_same_regions_and_measure_the_same_to_the_bit(tmp_path):
    """Every shape of the demo (sky and pixel, annuli), regions in physical coordinates, one recentred on the sky,
    one typed with many digits, and labels that look like numbers: read back from the saved file, each is the same
    region under the same label (sky numbers to the last bit; pixel positions, which DS9 counts from 1, within
    1e-12 pixel), and measures the same numbers."""
    from regions import CirclePixelRegion, EllipsePixelRegion, PixCoord
    from tui.demo import demo_files

    images, files = demo_files()
    physical = tmp_path / "phys.reg"
    physical.write_text("physical\ncircle(50.5,40.25,4.5) # text={Phys}\nbox(60,50,6,4,15) # text={Phys box}\n")
    s = Session(warn=False)
    labels = [s.load_data(str(path)) for path in images]
    for path in [*files, physical]:
        s.load_regions(str(path))
    s.recenter("Star A", labels[0])  # a sky circle, moved through the WCS
    s.add_subset(CirclePixelRegion(PixCoord(60.123456789012345, 70.98765432109876), 3.3333333333333335), "0")
    s.add_subset(EllipsePixelRegion(PixCoord(90.1, 30.7), 9.5, 4.25, angle=33.3 * u.deg), "007")
    s.add_subset(CirclePixelRegion(PixCoord(100, 100), 5), "12.50")
    saved = s.save_regions(tmp_path / "saved.reg")
    text = saved.read_text()
    assert text.splitlines()[:2] == ["# Region file format: DS9 version 4.1", f"# aperphot-tui {tui.__version__}"]
    assert "physical; circle(50.5,40.25,4.5) # text={Phys}" in text
    x, y = 60.123456789012345 + 1, 70.98765432109876 + 1  # DS9 counts pixels from 1
    assert f"image; circle({x!r},{y!r},3.3333333333333335) # text={{0}}" in text

    found, notes = read_region_file(saved)
    assert notes == [] and [label for _, label in found] == list(s.subsets)
    for (region, _), subset in zip(found, s.subsets.values()):
        assert type(region) is type(subset.region) and region.meta.get("frame") == subset.region.meta.get("frame")
        for name in region._params:
            got, want = getattr(region, name), getattr(subset.region, name)
            if hasattr(want, "spherical"):  # a sky position: the same to the last bit in its own frame
                assert got.frame.name == want.frame.name
                assert np.array_equal(got.spherical.lon.deg, want.spherical.lon.deg)
                assert np.array_equal(got.spherical.lat.deg, want.spherical.lat.deg)
            elif hasattr(want, "xy"):  # x + 1 written, read back less 1: within an ulp
                np.testing.assert_allclose(got.xy, want.xy, rtol=0, atol=1e-12, err_msg=f"{subset.label} {name}")
            else:
                assert u.Quantity(got).to_value(u.Quantity(want).unit) == u.Quantity(want).value, (subset.label, name)

    again = Session(warn=False)
    for path in images:
        again.load_data(str(path))
    assert again.load_regions(str(saved)) == list(s.subsets)
    measured = 0
    for data in labels:
        for label, subset in s.subsets.items():
            if subset.is_annulus:
                continue
            try:
                want = s.calculate(data=data, subset=label)
            except PhotometryError:  # off this image, or a sky region on an image without a WCS: refused alike
                with pytest.raises(PhotometryError):
                    again.calculate(data=data, subset=label)
                continue
            assert _row_numbers(again.calculate(data=data, subset=label)) == pytest.approx(
                _row_numbers(want), rel=1e-12, abs=0, nan_ok=True), (data, label)
            measured += 1
    assert measured >= 20


def test_ds9_labels_that_look_like_numbers_are_read_as_written(tmp_path):
    # regions alone reads text={007} as 7 and text={0} as 0 (which then named nothing: "Subset 1")
    found, notes = regions_of(tmp_path, "n.reg", b"image\ncircle(10,10,3) # text={0}\ncircle(20,10,3) # text={007}\n"
                              b"circle(30,10,3) # text=\"12.50\"\ncircle(40,10,3) # text={1e3}\n"
                              b"circle(50,10,3) # text='nan'\ncircle(60,10,3) # color=red text = {-3} width=2\n")
    assert [label for _, label in found] == ["0", "007", "12.50", "1e3", "nan", "-3"] and notes == []


@pytest.mark.parametrize("label, saved_as", [
    ("Star A", "Star A"), ("tag={t", "tag={t"), ("a}b", "a}b"), ('q"uo}te', 'q"uo}te'), ("x{\"y", "x{\"y"),
    ("a # b; c=d", "a # b; c=d"), ("é ☃\tcat", "é ☃\tcat"), ("\x1b[31mred", "\x1b[31mred"),
    ("{x}", "_x_"), ("ends}", "ends_"), ("q\"uo}te'", "q_uo_te_"), ("two\nlines", "two lines"), ("  pad ", "pad"),
])
def test_a_label_is_saved_as_it_is_or_as_near_as_ds9_holds_and_said(tmp_path, label, saved_as):
    from regions import CirclePixelRegion, PixCoord

    s = Session(warn=False)
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3), label)
    path = s.save_regions(tmp_path / "l.reg")
    [(_, read)], _ = read_region_file(path)
    assert read == saved_as
    said = [str(n) for n in s.pop_notices()]
    assert said == ([] if saved_as == label else [f"l.reg: {label!r} is saved as {saved_as!r}: DS9 cannot hold the "
                                                   f"label as it is"])


def test_labels_of_the_characters_saved_unchecked_read_back_as_they_are():
    """ds9_text writes labels of _SAFE's characters in braces without asking the parser: the parser agrees."""
    import random
    import string

    from tui.core.regionfiles import _SAFE, _reads_back, ds9_text

    rng = random.Random(3)
    alphabet = string.ascii_letters + string.digits + " .,:+-[]()/*@!?%&<>|~^$_éßΩ星"
    labels = ["0", "1.5e3", "-", ".", "()", "[SCI,1]"]
    labels += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))).strip() or "x" for _ in range(400)]
    for label in labels:
        assert _SAFE.fullmatch(label), label
        text, written = ds9_text(label)
        assert (text, written) == (f"text={{{label}}}", label) and _reads_back(text) == label, label


def test_saving_regions_refuses_what_it_cannot_write_and_keeps_an_existing_file(tmp_path):
    from regions import CirclePixelRegion, PixCoord

    s = Session(warn=False)
    with pytest.raises(PhotometryError, match="there are no regions to save yet"):
        s.save_regions(tmp_path / "none.reg")
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3), "A")
    with pytest.raises(PhotometryError, match=r"stars.txt: regions are saved as DS9 files: name it stars.reg"):
        s.save_regions(tmp_path / "stars.txt")
    with pytest.raises(PhotometryError, match="is a folder"):
        s.save_regions(tmp_path)
    with pytest.raises(PhotometryError, match="no such directory"):
        s.save_regions(tmp_path / "missing" / "a.reg")
    (tmp_path / "old.reg").write_text("keep me\n")
    with pytest.raises(PhotometryError, match="file exists"):
        s.save_regions(tmp_path / "old.reg")
    assert (tmp_path / "old.reg").read_text() == "keep me\n"
    s.add_subset(CirclePixelRegion(PixCoord(20, 10), 3), "B")
    with pytest.raises(PhotometryError, match="C"):
        s.save_regions(tmp_path / "old.reg", overwrite=True, subsets=["B", "C"])
    assert (tmp_path / "old.reg").read_text() == "keep me\n"
    s.save_regions(tmp_path / "old.reg", overwrite=True, subsets=["B"])
    assert [label for _, label in read_region_file(tmp_path / "old.reg")[0]] == ["B"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.reg"]  # no temporary file left behind
