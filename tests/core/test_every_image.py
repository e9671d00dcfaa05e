"""A file of several images (ACS/WFC's two chips): the first is opened and the others are pointed at; file.fits[*]
opens each (Imviz's note and suffix)."""

import subprocess
import sys

import numpy as np
from astropy.io import fits

from tui.core.images import load_fits
from tui.demo import FILES, demo_dir
from tui.filekinds import every_image

FLT = str(demo_dir() / FILES[6])  # SCI, ERR, DQ for each of two chips


def test_every_image_names_each_sci_extension_or_else_each_image(tmp_path):
    assert every_image([f"{FLT}[*]"]) == [f"{FLT}[SCI,1]", f"{FLT}[SCI,2]"]
    mosaic = tmp_path / "mosaic.fits"  # no SCI: every image HDU, the unnamed ones by number
    fits.HDUList([fits.PrimaryHDU(np.zeros((4, 5))), fits.ImageHDU(np.ones((4, 5))),
                  fits.BinTableHDU.from_columns([fits.Column("a", "E", array=[1.0])]),
                  fits.ImageHDU(np.ones((4, 5)), name="CCD3")]).writeto(mosaic)
    assert every_image([f"{mosaic}[*]"]) == [f"{mosaic}[0]", f"{mosaic}[1]", f"{mosaic}[CCD3,1]"]
    assert [load_fits(name).label for name in every_image([f"{mosaic}[*]"])] == \
        ["mosaic[PRIMARY,1]", "mosaic[1]", "mosaic[CCD3,1]"]  # not two PRIMARY,1
    packed = tmp_path / "two.fits.fz"  # fpack names every HDU COMPRESSED_IMAGE: by number, and labelled so
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(np.ones((4, 5), np.float32)),
                  fits.CompImageHDU(np.full((4, 5), 2.0, np.float32))]).writeto(packed)
    assert every_image([f"{packed}[*]"]) == [f"{packed}[1]", f"{packed}[2]"]
    assert [(image.label, float(image.data[0, 0])) for image in map(load_fits, every_image([f"{packed}[*]"]))] == \
        [("two[1]", 1.0), ("two[2]", 2.0)]
    assert load_fits(str(packed)).notes == ["two.fits.fz holds 2 images: two[1] is opened; name two.fits.fz[*] for "
                                            "all of them (or [2])"]
    other = tmp_path / "b_flt.fits"
    other.write_bytes(open(FLT, "rb").read())
    pattern = str(tmp_path / "*_flt.fits[*]")  # quoted for the shell: the pattern is ours to expand
    assert every_image([pattern]) == [f"{other}[SCI,1]", f"{other}[SCI,2]"]
    text = tmp_path / "notes.txt"
    text.write_text("not FITS")
    assert every_image([f"{text}[*]", FLT, str(tmp_path / "none*.fits[*]")]) == \
        [f"{text}[*]", FLT, str(tmp_path / "none*.fits[*]")]  # left for the image reader to say why


def test_the_first_of_several_images_says_where_the_others_are():
    assert load_fits(FLT).notes == [f"{FILES[6]} holds 2 images: hst_acs_demo_flt[SCI,1] is opened; name "
                                    f"{FILES[6]}[*] for all of them (or [SCI,2])"]
    assert load_fits(f"{FLT}[SCI,2]").notes == []
    assert load_fits(str(demo_dir() / FILES[5])).notes == []  # one SCI with its ERR, DQ and variances


def test_measure_with_every_image_measures_both_chips():
    done = subprocess.run([sys.executable, "-m", "tui", "measure", f"{FLT}[*]", "-r", str(demo_dir() / FILES[3]),
                          ], capture_output=True, text=True)
    rows = [line.split()[1] for line in done.stdout.splitlines()[2:] if line.strip()]
    assert set(rows) == {"hst_acs_demo_flt[SCI,1]", "hst_acs_demo_flt[SCI,2]"}
    assert "holds 2 images" not in done.stderr
