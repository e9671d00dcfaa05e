"""Exports every table tool opens, and the batch command's rough edges (issue 10)."""

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from regions import CirclePixelRegion, PixCoord

from tests.conftest import tan_wcs
from tui.core import PhotometryError, Session, read_results

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ["ecsv", "csv", "fits", "vot", "xml", "html", "txt"]


def measured(frame_wcs=None):
    s = Session()
    s.load_data(np.full((30, 30), 2.0) * u.MJy / u.sr, label="img[SCI,1]", wcs=frame_wcs or tan_wcs((30, 30)),
                error=np.full((30, 30), 0.1))
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3), label="Star A")
    for _ in range(2):
        s.calculate(pixel_area=0.01, counts_factor=0.5, flux_scaling=0)  # no magnitude: missing values
    return s


def test_ecsv_is_standard_with_no_astropy_tags(tmp_path):
    text = measured().export_results(tmp_path / "out.ecsv").read_text()
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert header.startswith("# %ECSV 1.0")
    assert "!astropy" not in header and "__serialized_columns__" not in header
    assert "{name: aperture_sum, unit: MJy, datatype: float64}" in header
    assert "sky_center_ra, unit: deg" in header and "(frame: icrs)" in header
    assert "{name: timestamp, datatype: string" in header
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", body[1])  # ISO time in UTC


def test_missing_values_are_blank_in_ecsv(tmp_path):
    body = [line for line in measured().export_results(tmp_path / "out.ecsv").read_text().splitlines()
            if not line.startswith("#")]
    header, first = body[0].split(" "), body[1].split(" ")
    assert first[header.index("aperture_sum_mag")] == '""'  # no flux scaling: an empty field, not "nan" or "--"


@pytest.mark.parametrize("ext", ["ecsv", "csv", "vot", "fits"])
def test_read_results_rebuilds_sky_and_time(tmp_path, ext):
    wcs = tan_wcs((30, 30))
    wcs.wcs.radesys = "FK5"
    wcs.wcs.equinox = 2000.0
    s = measured(wcs)
    orig = s.get_aperture_photometry_results(extended=True)
    back = read_results(s.export_results(tmp_path / f"out.{ext}"))
    assert back.colnames == orig.colnames
    assert isinstance(back["sky_center"], SkyCoord)
    # CSV has no column descriptions, so no frame: ICRS is assumed (README says so).
    assert back["sky_center"].frame.name == ("icrs" if ext == "csv" else "fk5")
    np.testing.assert_allclose(back["sky_center"].spherical.lon.deg, orig["sky_center"].spherical.lon.deg, rtol=1e-14)
    assert isinstance(back["timestamp"], Time)
    assert abs((back["timestamp"][1] - orig["timestamp"][1]).sec) < 1e-3
    if ext != "csv":  # CSV holds no units
        assert back["aperture_sum"].unit == u.MJy
    np.testing.assert_allclose(np.asarray(getattr(back["aperture_sum_err"], "value", back["aperture_sum_err"])),
                               orig["aperture_sum_err"].value, rtol=1e-12)


@pytest.mark.skipif(shutil.which("stilts") is None, reason="stilts is not on PATH (apt-get install stilts)")
def test_stilts_reads_every_format_it_knows(tmp_path):
    from tests.core.test_hostile import hostile_session

    for name, session in (("plain", measured()), ("hostile", hostile_session())):
        for ext in ("ecsv", "csv", "fits", "vot"):
            path = session.export_results(tmp_path / f"{name}.{ext}")
            done = subprocess.run(["stilts", "tpipe", f"in={path}", "omode=count"], capture_output=True,
                                  text=True, timeout=120)
            assert done.returncode == 0, (path.name, done.stderr)
            columns, rows = (int(n) for n in re.findall(r"\d+", done.stdout)[:2])
            assert rows == len(session.result_rows), (path.name, done.stdout)
    meta = subprocess.run(["stilts", "tpipe", f"in={tmp_path / 'plain.ecsv'}", "omode=meta"], capture_output=True,
                          text=True, timeout=120).stdout
    assert re.search(r"aperture_sum\(Double\)/MJy", meta) and "sky_center_ra(Double)/deg" in meta


def readme_batch_example() -> str:
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- batch-example -->", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return block.strip()


def test_readme_batch_example_runs_clean_on_the_demo(tmp_path):
    command = readme_batch_example()
    assert command.startswith("aperphot-tui measure ")
    command = command.replace("aperphot-tui", f"{sys.executable} -m tui", 1)
    command = command.replace("demo_data/", f"{ROOT / 'demo_data'}/")
    done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "skipped" not in done.stderr
    assert read_results(next(tmp_path.glob("results*.ecsv")))["aperture_sum"].unit is not None
    again = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr  # the example can be run twice


def write_regions(tmp_path, lines):
    path = tmp_path / "r.reg"
    path.write_text("image\n" + "\n".join(lines) + "\n")
    return path


def test_non_finite_regions_are_refused_by_name_and_value(tmp_path):
    path = write_regions(tmp_path, ["circle(nan,10,5) # text={NaN star}", "circle(10,10,inf)",
                                    "polygon(1,1,5,1,nan,5)", "circle(10,10,5) # text={Good}"])
    s = Session()
    assert s.load_regions(path) == ["Good"]
    notes = s.pop_notices()
    assert "r.reg: skipped region 1 (circle 'NaN star'): its centre x is nan, not a finite number" in notes
    assert "r.reg: skipped region 2 (circle): its radius is inf, not a finite number" in notes
    assert "r.reg: skipped region 4 (polygon): its vertex 3 x is nan, not a finite number" not in notes
    assert any("region 3 (polygon): its vertex 3 x is nan" in n for n in notes)
    with pytest.raises(PhotometryError, match="Far: its centre y is inf"):
        s.add_subset(CirclePixelRegion(PixCoord(3, math.inf), 2), label="Far")
    only_bad = write_regions(tmp_path, ["circle(nan,10,5)"])
    with pytest.raises(PhotometryError, match="no usable regions.*centre x is nan"):
        s.load_regions(only_bad)


@pytest.mark.parametrize("field, value, unit, message", [
    ("background", 1e308, None, "Background value: 1e+308 makes the background-subtracted values"),
    ("counts_factor", 1e-320, "electron/s", "Counts conversion factor: 9.99989e-321 makes aperture_sum_counts"),
    ("flux_scaling", 1e-320, None, "Flux scaling: 9.99989e-321 makes aperture_sum_mag"),
    ("pixel_area", 1e308, "MJy/sr", "Pixel area: 1e+308 makes aperture_sum"),
])
def test_inputs_that_overflow_are_refused_by_field(field, value, unit, message):
    s = Session()
    s.load_data(np.full((30, 30), 1e10), label="img", unit=unit)
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    with pytest.raises(PhotometryError, match=re.escape(message)):
        s.calculate(**{field: value})
    assert len(s.result_rows) == 0  # nothing added


def test_measure_takes_negative_numbers_in_scientific_notation(tmp_path):
    from astropy.io import fits

    image = tmp_path / "img.fits"
    fits.PrimaryHDU(np.ones((30, 30), np.float32)).writeto(image)
    reg = write_regions(tmp_path, ["box(10.5,10.5,4,4,0) # text={Box}"])
    done = subprocess.run([sys.executable, "-m", "tui", "measure", str(image), "--regions", str(reg),
                           "--background", "-1.5e-1", "-o", str(tmp_path / "o.ecsv")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert read_results(tmp_path / "o.ecsv")["aperture_sum"][0] == pytest.approx(16 * 1.15)
