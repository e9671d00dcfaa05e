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


def test_a_glimpse_is_made_from_the_ends_alone():
    """measure -o prints a long table's ends, made from the pieces that hold them (rows from calculate, tables from
    calculate_many): the same rows and text as the whole table's."""
    from tui.core.formatting import glimpse, summary

    s = Session()
    s.load_data(np.arange(10000.0).reshape(100, 100), label="img")
    labels = [s.add_subset(CirclePixelRegion(PixCoord(10 + k, 50), 2)) for k in range(60)]
    for label in labels[:3]:
        s.calculate(subset=label)
    s.calculate_many(subsets=labels[3:40])
    s.calculate(subset=labels[40])
    s.calculate_many(subsets=labels[41:])
    whole = s.get_aperture_photometry_results(extended=True)
    assert s.result_count == len(whole) == 60
    for head, tail in ((2, 1), (3, 20), *(glimpse(most) for most in (12, 50))):
        ends = s.results_ends(head, tail)
        assert list(ends["id"]) == [*range(1, head + 1), *range(61 - tail, 61)]
        assert list(ends["aperture_sum"]) == [*whole["aperture_sum"][:head], *whole["aperture_sum"][60 - tail:]]
        assert ends.colnames == whole.colnames
    assert summary(s.results_ends(*glimpse(12)), 12, 60) == summary(whole, 12)
    assert s.results_ends(50, 10) is not None and len(s.results_ends(50, 10)) == 60  # no more rows: all of them


def test_a_table_added_is_copied_unless_adopted():
    """add_table numbers a table's rows; the caller's table is left as given, unless it is handed over (adopt),
    when it is kept itself: measure_many's and a batch worker's tables, made for the session alone."""
    s = two_unit_session()
    s.calculate(data="jy")  # a row first: later ones are converted to its unit
    rows, _ = s.calculate_many(data="mjy")
    assert rows["aperture_sum"].unit == u.Jy and list(rows["id"]) == [2]
    given = rows.copy()
    given.remove_column("id")
    before = [list(given[name]) for name in ("aperture_sum", "subset_label")]
    stored = s.add_table(given)
    assert stored is not given and "id" not in given.colnames
    assert [list(given[name]) for name in ("aperture_sum", "subset_label")] == before
    assert list(stored["id"]) == [3]
    handed = given.copy()
    assert s.add_table(handed, adopt=True) is handed and list(handed["id"]) == [4]
    assert list(s.get_aperture_photometry_results()["id"]) == [1, 2, 3, 4]
    assert s.get_aperture_photometry_results()["aperture_sum"][3] == stored["aperture_sum"][0]


def test_printed_tables_line_up_under_wide_and_accented_labels():
    """measure's and series' printed tables pad by terminal cells: a CJK label takes two a character, an accent
    typed after its letter (as macOS writes file names) none."""
    from rich.cells import cell_len

    from tui.core.formatting import summary
    from tui.series_cli import _glimpse

    labels = ["明るい星", "E\u0301toile", "plain"]
    s = Session()
    s.load_data(np.ones((30, 30)), label="星の画像")
    for label in labels:
        s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3), label=label)
        s.calculate(subset=label)
    lines = summary(s.get_aperture_photometry_results()).splitlines()
    assert {cell_len(line) for line in lines} == {cell_len(lines[0])}
    assert len({cell_len(line[:line.index("10.00")]) for line in lines[2:]}) == 1  # xcenter starts in one column
    table = QTable({"Label": labels, "BJD_TDB": [2460000.5] * 3, "rel_flux_T1": [1.0] * 3})
    lines = _glimpse(table, str, None).splitlines()
    assert {cell_len(line) for line in lines} == {cell_len(lines[0])}
    assert lines[1].startswith(" " * 7 + "明るい星  ")  # right-aligned in 15 cells
