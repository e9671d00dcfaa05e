"""Journals restored at scale (issue 16): decoded column by column, every value exactly as measured."""

import json

import numpy as np
import astropy.units as u
from regions import CirclePixelRegion, PixCoord

from tests.conftest import first_format_line, tan_wcs
from tui.core import Session
from tui.core import journal_lines
from tui.core.journal import read_journal
from tui.core.photometry import COLUMNS
from tui.core.results import table_rows


def measured(journal, n=300, seed=3):
    """A session that measured n circles together on an MJy/sr image with a WCS, then two one by one."""
    rng = np.random.default_rng(seed)
    s = Session(journal=journal)
    data = rng.normal(10, 1, (120, 140))
    data[60, 70] = np.nan
    s.load_data(data, label="img", unit="MJy/sr", wcs=tan_wcs(data.shape))
    for k in range(n):
        s.add_subset(CirclePixelRegion(PixCoord(*rng.uniform(5, 115, 2)), rng.uniform(1, 6)), label=f"c{k}")
    fields = dict(pixel_area=0.01, counts_factor=2e-3, flux_scaling=3e-3)
    s.calculate_many(**fields)
    s.calculate(subset="c1", **fields)
    s.calculate(subset="c2", background=0.5, **fields)
    return s


def same_tables(a, b):
    assert a.colnames == b.colnames and len(a) == len(b)
    for name in a.colnames:
        x, y = a[name], b[name]
        if hasattr(x, "frame"):
            assert np.array_equal(x.spherical.lon.deg, y.spherical.lon.deg, equal_nan=True), name
            assert np.array_equal(x.spherical.lat.deg, y.spherical.lat.deg, equal_nan=True), name
        elif hasattr(x, "isot"):
            assert list(x.isot) == list(y.isot), name
        elif hasattr(x, "unit") and x.unit is not None:
            assert x.unit == y.unit and np.array_equal(x.value, y.value, equal_nan=True), name
        elif x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert list(x) == list(y), name


def test_a_restored_journal_holds_every_value_exactly(tmp_path):
    s = measured(tmp_path / "j.jsonl")
    s.close()
    restored = Session.restore(tmp_path / "j.jsonl", journal=False)
    same_tables(restored.get_aperture_photometry_results(extended=True),
                s.get_aperture_photometry_results(extended=True))


def test_a_centre_on_no_sky_is_restored_as_measured(tmp_path):
    """An all-sky map's corners lie off its projection: the WCS puts an aperture there on no sky, and its row's
    sky_center is NaN. The journal wrote it, but a restore skipped the row as "not a sky position": lost."""
    from astropy.wcs import WCS

    wcs = WCS(naxis=2)
    wcs.wcs.ctype, wcs.wcs.crpix, wcs.wcs.cdelt = ["RA---AIT", "DEC--AIT"], [50.5, 50.5], [-4.0, 4.0]
    s = Session(journal=tmp_path / "j.jsonl")
    s.load_data(np.ones((100, 100)), label="allsky", unit="Jy", wcs=wcs)
    corner, centre = (s.add_subset(CirclePixelRegion(PixCoord(x, x), 2.0)) for x in (2.0, 50.0))
    s.calculate(subset=corner)
    s.calculate_many(subsets=[corner, centre])
    s.close()
    measured_rows = s.get_aperture_photometry_results(extended=True)
    assert np.isnan(measured_rows["sky_center"].ra.deg[[0, 1]]).all() and measured_rows["sky_center"][2].dec.deg > 0
    replay = read_journal(tmp_path / "j.jsonl")
    assert replay.skipped == []
    same_tables(Session.restore(tmp_path / "j.jsonl", journal=False).get_aperture_photometry_results(extended=True),
                measured_rows)


def test_tables_and_archives_come_back_as_they_were(tmp_path):
    s = measured(tmp_path / "j.jsonl", n=20)
    s.load_data(np.ones((30, 30)), label="plain")  # unitless: a new table starts
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3), label="p")
    s.calculate(data="plain", subset="p")
    s.calculate(data="img", subset="c3", pixel_area=0.01, counts_factor=2e-3, flux_scaling=3e-3)  # a new table
    s.close()
    replay = read_journal(tmp_path / "j.jsonl")
    assert [len(t) for t in replay.tables] == [22, 1, 1]  # a table per run of lines with the same columns
    restored = Session.restore(tmp_path / "j.jsonl", journal=False)
    assert [len(t) for t in restored.archived_results] == [22, 1]
    for mine, theirs in zip(restored.archived_results, s.archived_results):
        same_tables(mine, theirs)
    same_tables(restored.get_aperture_photometry_results(extended=True),
                s.get_aperture_photometry_results(extended=True))


def test_a_unit_string_is_parsed_once_however_many_rows_hold_it(tmp_path, monkeypatch):
    parsed = []
    parse = journal_lines.plain_unit

    def counting(text):
        parsed.append(text)
        return parse(text)

    s = measured(tmp_path / "j.jsonl", n=500)
    s.close()
    monkeypatch.setattr(journal_lines, "plain_unit", counting)
    replay = read_journal(tmp_path / "j.jsonl")
    assert replay.count == 502
    units = set()
    for line in (tmp_path / "j.jsonl").read_text().splitlines():
        units |= {token.split(":", 2)[2] for token in json.loads(line)["columns"].split("|")
                  if token.split(":")[1] == "q"}
    assert units == {"pix", "MJy", "MJy / sr", "sr", "ct", "mag", "MJy / (ct sr)", "MJy2 / sr2", "deg"}
    assert sorted(parsed) == sorted(units)  # each once, for 502 rows and 23 quantity columns a row


def test_rows_are_made_only_when_asked_for_and_stay_the_same_objects(tmp_path):
    s = measured(tmp_path / "j.jsonl", n=50)
    rows = s.result_rows
    assert len(rows) == 52
    last = rows[-1]
    assert last is rows[51] and last["subset_label"] == "c2" and last["id"] == 52
    table = s.get_aperture_photometry_results(extended=True)
    for k in (0, 17, 49):
        row = rows[k]
        assert row is rows[k]  # made once: the results table finds a row again by identity
        expected = table_rows(table[k:k + 1])[0]
        assert row.keys() == expected.keys()
        assert all(type(row[name]) is type(expected[name]) and repr(row[name]) == repr(expected[name])
                   for name in row)
        assert type(row["npix_bad"]) is int and type(row["subset_label"]) is str
        assert isinstance(row["aperture_sum"], u.Quantity) and row["aperture_sum"].unit == u.MJy
    assert [r["subset_label"] for r in rows[1:4]] == ["c1", "c2", "c3"]
    assert list(rows.column("subset_label")[-2:]) == ["c1", "c2"]


def test_a_journal_from_before_the_extended_columns_is_filled_as_unknown(tmp_path):
    row = measured(tmp_path / "j.jsonl", n=3).result_rows[0]
    old = {name: value for name, value in row.items() if name in COLUMNS}  # as journals were before issue 7
    path = tmp_path / "old.jsonl"
    path.write_bytes(first_format_line(old) * 2)
    back = read_journal(path).rows
    assert len(back) == 2
    assert np.isnan(back[0]["aperture_sum_err"].value) and back[0]["aperture_sum_err"].unit == u.MJy
    assert back[0]["npix_bad"] == 0 and np.isnan(back[0]["snr"]) and back[0]["background_stat"] == "value"
    assert back[0]["background_err"].unit == u.MJy / u.sr and back[0]["background_npix"] == 0
    assert back[0]["aperture_sum"] == row["aperture_sum"] and back[0]["subset_label"] == "c0"
