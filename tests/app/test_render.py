"""The thumbnail renderer: a pure function from an array and view settings to lines of styled text."""

import subprocess
import sys

import numpy as np
import pytest
from regions import CirclePixelRegion, PixCoord, RectanglePixelRegion

from tui.app.widgets.render import RAMP, Overlay, Preview, View, geometry, normalise, render


def gradient(ny=40, nx=80):
    return np.tile(np.arange(nx, dtype=float), (ny, 1))


def test_linear_stretch_maps_limits_to_0_and_1_and_clips():
    out = normalise(np.array([-5.0, 0.0, 5.0, 10.0, 20.0]), (0.0, 10.0), "linear")
    assert out.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_sqrt_and_log_stretches_lift_faint_values():
    v = np.array([0.25])
    assert normalise(v, (0, 1), "sqrt")[0] == pytest.approx(0.5)
    assert normalise(v, (0, 1), "log")[0] > normalise(v, (0, 1), "linear")[0]
    assert normalise(v, (0, 1), "asinh")[0] > 0.25


def test_percentile_limits_ignore_outliers_and_nan():
    data = np.zeros((100, 100))
    data[:, 50:] = 1.0
    data[0, 0] = 1e9
    data[1, 1] = np.nan
    lo, hi = Preview(data).limits("99.5%")
    assert lo == 0.0 and hi == 1.0


def test_fit_geometry_downsamples_whole_image_into_the_cells():
    geo = geometry((400, 800), View(), 80, 20)  # 800 px across 80 cells: 10 px per cell
    assert geo.scale == 10.0
    # the top-left cell spans x -0.5..9.5 and y 379.5..399.5 (a cell is twice as tall as wide)
    assert geo.pixel_of(0, 0) == pytest.approx((4.5, 389.5))
    assert geo.cell_of(399.5, 199.5) == (40, 10)


def test_ascii_ramp_follows_a_linear_gradient():
    pic = render(Preview(gradient()), View(stretch="linear", interval="minmax", ascii=True), 80, 20)
    row = pic.texts[10]
    assert len(row) == 80
    assert row[0] == RAMP[0] and row[-1] == RAMP[-1]
    levels = [RAMP.index(ch) for ch in row]
    assert levels == sorted(levels)  # brighter to the right


def test_half_blocks_carry_two_samples_per_cell():
    data = np.zeros((40, 80))
    data[20:, :] = 1.0  # bottom half bright (y up: rows 20.. are the top of the display)
    pic = render(Preview(data), View(stretch="linear", interval="minmax"), 80, 20)
    assert set(pic.texts[0]) == {"▀"}
    top, bottom = pic.lines[0][0].style, pic.lines[-1][0].style
    assert top.color.triplet.red == 255 and bottom.color.triplet.red == 0


def test_outline_is_drawn_at_the_regions_pixels():
    data = np.zeros((40, 80))
    box = RectanglePixelRegion(PixCoord(39.5, 19.5), width=20, height=20)  # x 29.5..49.5, y 9.5..29.5
    pic = render(Preview(data), View(ascii=True), 80, 20, (Overlay(box, "selected"),))
    # 1 px per column, 2 px per row: columns 30..49 and rows 5..14 hold the box.
    rows_with_o = [r for r, text in enumerate(pic.texts) if "O" in text]
    assert rows_with_o[0] == 5 and rows_with_o[-1] == 14
    top = pic.texts[5]
    assert top.index("O") == 30 and top.rindex("O") == 49
    assert pic.texts[10][31:49].strip() == ""  # inside is not filled


def test_labels_and_small_regions_and_cursor():
    data = np.zeros((40, 80))
    tiny = CirclePixelRegion(PixCoord(10, 30), 0.1)  # smaller than a sample: still shown as a dot
    other = CirclePixelRegion(PixCoord(60, 20), 4)
    pic = render(Preview(data), View(ascii=True), 80, 20, (Overlay(tiny, "other", ""),
                                                          Overlay(other, "other", "Star")),
                 cursor=(20.0, 20.0))
    assert "o" in pic.texts[geometry((40, 80), View(ascii=True), 80, 20).cell_of(10, 30)[1]]
    assert any("Star" in t for t in pic.texts)
    col, row = pic.geo.cell_of(20.0, 20.0)
    assert pic.texts[row][col] == "+"


def test_zoom_reads_the_full_image_not_the_preview():
    big = np.zeros((3000, 3000), dtype=np.float32)
    big[1501, 1501] = 100.0  # a single hot pixel the strided preview (step 3) misses
    preview = Preview(big)
    assert preview.step == 3 and preview.preview.max() == 0
    pic = render(preview, View(zoom=300, cx=1501, cy=1501, interval="minmax", ascii=True), 20, 10)
    assert "@" in "".join(pic.texts)


def test_app_module_does_not_import_astropy_before_first_paint():
    code = ("import sys, tui.app.app, tui.cli; heavy = [m for m in ('astropy', 'regions', 'numpy') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
