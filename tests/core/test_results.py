import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from astropy.time import Time
from regions import CirclePixelRegion, PixCoord

from tests.conftest import tan_wcs
from tui.core import Session
from tui.core.photometry import COLUMNS


def two_unit_session():
    s = Session()
    s.load_data(np.ones((30, 30)) * u.Jy, label="jy")
    s.load_data(np.ones((30, 30)) * u.mJy, label="mjy")
    s.load_data(np.ones((30, 30)) * u.electron / u.s, label="es")
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    return s


def test_empty_results_are_none():
    assert Session().get_aperture_photometry_results() is None


def test_compatible_rows_share_a_table_in_the_first_unit():
    s = two_unit_session()
    s.calculate(data="jy")
    s.calculate(data="mjy")
    table = s.get_aperture_photometry_results()
    assert isinstance(table, QTable) and table.colnames == list(COLUMNS)
    assert table["aperture_sum"].unit == u.Jy
    assert table["aperture_sum"][1].value == pytest.approx(np.pi * 9 / 1000, rel=1e-12)
    assert list(table["id"]) == [1, 2]


def test_incompatible_row_starts_a_new_table_and_archives_the_old():
    s = two_unit_session()
    s.calculate(data="jy")
    s.calculate(data="mjy")
    row = s.calculate(data="es")
    assert row["id"] == 1
    table = s.get_aperture_photometry_results()
    assert len(table) == 1 and table["aperture_sum"].unit == u.electron / u.s
    assert len(s.archived_results) == 1 and len(s.archived_results[0]) == 2
    assert any("new table" in n for n in s.pop_notices())


def test_none_ness_and_skycoord_must_agree():
    s = Session()
    s.load_data(np.ones((30, 30)), label="nowcs")
    s.load_data(np.ones((30, 30)), label="wcs", wcs=tan_wcs((30, 30)))
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    s.calculate(data="nowcs")
    s.calculate(data="wcs")
    assert len(s.archived_results) == 1
    s.calculate(data="wcs", flux_scaling=2.0)  # magnitude column turns from None to a value
    assert len(s.archived_results) == 2


def test_table_column_types():
    s = Session()
    s.load_data(np.ones((30, 30)) * u.MJy / u.sr, wcs=tan_wcs((30, 30)))
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    s.calculate(pixel_area=0.01)
    s.calculate(pixel_area=0.01)
    t = s.get_aperture_photometry_results()
    assert isinstance(t["sky_center"], SkyCoord) and isinstance(t["timestamp"], Time)
    assert t["aperture_sum"].unit == u.MJy and t["npix"].unit == u.pix
    assert list(t["aperture_sum_counts"]) == [None, None]


def test_a_long_printed_table_shows_its_ends():
    from tui.core.formatting import summary

    s = Session()
    s.load_data(np.ones((100, 100)), label="img")
    for k in range(60):
        s.add_subset(CirclePixelRegion(PixCoord(10 + k, 50), 2))
    s.calculate_many()
    table = s.get_aperture_photometry_results()
    lines = summary(table, most=12).splitlines()
    assert len(lines) == 2 + 12 + 1 and lines[11] == "... 48 more rows ..."
    assert [line.split()[0] for line in lines[2:11] + lines[12:]] == [*map(str, range(1, 10)), "58", "59", "60"]
    assert len(summary(table).splitlines()) == 62  # all of it without a limit
