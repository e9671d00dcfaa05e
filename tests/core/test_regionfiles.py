"""Region files as editors and CASA save them: a byte-order mark, Latin-1 labels, CRTF without a frame."""

import pytest
from regions import CirclePixelRegion, CircleSkyRegion, EllipsePixelRegion

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
