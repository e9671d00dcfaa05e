import json
import os

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from regions import CirclePixelRegion, PixCoord

from tests.conftest import tan_wcs
from tui.core import PhotometryError, Session, read_results


def measured(journal=None, n=2):
    s = Session(journal=journal)
    s.load_data(np.full((30, 30), 2.0) * u.MJy / u.sr, label="img[SCI,1]", wcs=tan_wcs((30, 30)))
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    for _ in range(n):
        s.calculate(pixel_area=0.01, counts_factor=0.5, flux_scaling=0)  # no magnitude: None cells
    return s


@pytest.mark.parametrize("ext", ["ecsv", "fits"])
def test_ecsv_and_fits_round_trip(tmp_path, ext):
    s = measured()
    path = s.export_results(tmp_path / f"out.{ext}")
    back = read_results(path)
    orig = s.get_aperture_photometry_results(extended=True)
    assert back.colnames == orig.colnames
    assert back["aperture_sum"].unit == u.MJy
    np.testing.assert_allclose(back["aperture_sum"].value, orig["aperture_sum"].value, rtol=1e-15)
    assert isinstance(back["sky_center"], SkyCoord)
    assert back["sky_center"][0].separation(orig["sky_center"][0]).arcsec < 1e-9
    assert isinstance(back["timestamp"], Time) and back["timestamp"].format == "isot"  # FITS's JD too
    assert abs((back["timestamp"][0] - orig["timestamp"][0]).sec) < 1e-3
    assert list(back["data_label"]) == ["img[SCI,1]"] * 2
    assert back["aperture_sum_mag"].mask.all()  # None cells become missing values


@pytest.mark.parametrize("ext", ["csv", "vot", "votable", "xml", "html", "txt"])
def test_other_formats_are_written(tmp_path, ext):
    s = measured()
    path = s.export_results(tmp_path / f"out.{ext}")
    text = path.read_text()
    assert "aperture_sum" in text and "img[SCI,1]" in text
    ra = s.get_aperture_photometry_results()["sky_center"][0].ra.deg
    assert "sky_center_ra" in text and f"{ra:.6f}"[:9] in text  # sky position as plain degree columns
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temporary file left


def test_a_file_that_cannot_be_read_back_is_one_clear_message(tmp_path):
    s = measured()
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,aperture_sum\n1,2,3\n")
    with pytest.raises(PhotometryError, match=r"^.*ragged.csv: not a results table \([^\n]*\)$"):
        read_results(ragged)
    with pytest.raises(PhotometryError, match=r"gone.ecsv: cannot read \(No such file or directory\)"):
        read_results(tmp_path / "gone.ecsv")
    import importlib.util

    if importlib.util.find_spec("bs4") is None:  # astropy reads HTML with BeautifulSoup only: say what to install
        with pytest.raises(PhotometryError, match="out.html: cannot read it back here .*pip install beautifulsoup4"):
            read_results(s.export_results(tmp_path / "out.html"))


def test_existing_file_is_kept_unless_overwrite(tmp_path):
    s = measured()
    path = tmp_path / "out.ecsv"
    path.write_text("precious")
    with pytest.raises(PhotometryError, match="file exists"):
        s.export_results(path)
    assert path.read_text() == "precious"
    s.export_results(path, overwrite=True)
    assert len(read_results(path)) == 2


def test_unwritable_paths(tmp_path):
    s = measured()
    with pytest.raises(PhotometryError, match="no such directory"):
        s.export_results(tmp_path / "missing" / "out.ecsv")
    with pytest.raises(PhotometryError, match="unknown format"):
        s.export_results(tmp_path / "out.xlsx")
    with pytest.raises(PhotometryError, match=r"is a folder: name a file in it \("):
        s.export_results(tmp_path)
    with pytest.raises(PhotometryError, match="cannot write"):
        s.export_results("/proc/out.ecsv")  # a read-only place even for root


def test_read_only_directory(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only directories; /proc covers this case")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(PhotometryError, match="cannot write"):
        measured().export_results(ro / "out.ecsv")


def test_export_before_any_result():
    with pytest.raises(PhotometryError, match="no results"):
        Session().export_results("/tmp/never.ecsv")


def test_archived_table_can_be_exported(tmp_path):
    s = measured()
    s.load_data(np.ones((30, 30)), label="plain")
    s.calculate(data="plain")
    s.export_results(tmp_path / "old.ecsv", archived=0)
    assert len(read_results(tmp_path / "old.ecsv")) == 2


def test_journal_records_each_result_and_restores(tmp_path):
    journal = tmp_path / "j.jsonl"
    s = measured(journal=journal, n=3)
    assert len(journal.read_text().splitlines()) == 3
    s.load_data(np.ones((30, 30)), label="plain")
    s.calculate(data="plain")  # incompatible: archived on restore as it was live
    with open(journal, "a") as f:
        f.write('{"xcenter": {"value": 1')  # a line torn by a crash
    restored = Session.restore(journal)
    assert len(restored.archived_results) == 1 and len(restored.archived_results[0]) == 3
    table, orig = restored.get_aperture_photometry_results(), s.get_aperture_photometry_results()
    assert list(table["id"]) == [1] and table["aperture_sum"][0] == orig["aperture_sum"][0]
    old = restored.archived_results[0]
    assert old["aperture_sum"].unit == u.MJy and isinstance(old["sky_center"], SkyCoord)
    assert old["timestamp"][0].isot == s.archived_results[0]["timestamp"][0].isot


def test_journal_keeps_nan(tmp_path):
    journal = tmp_path / "j.jsonl"
    s = Session(journal=journal)
    s.load_data(np.full((30, 30), -1.0) * u.electron / u.s)
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    s.calculate(counts_factor=1.0)
    json.loads(journal.read_text())  # strict JSON
    row = Session.restore(journal).result_rows[0]
    assert np.isnan(row["aperture_sum_counts_err"].value)


def test_journals_of_dead_zombie_or_foreign_processes_are_orphans(tmp_path):
    import subprocess
    import sys

    from tui.core.journal import JournalStore

    store = JournalStore(tmp_path)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])  # exits; not waited for: a zombie
    foreign = subprocess.Popen(["sleep", "30"])  # a running process that is not aperphot-tui
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "aperphot-tui"])
    try:
        import time
        time.sleep(0.5)
        for pid in (zombie.pid, foreign.pid, ours.pid, 999_999_999):
            (tmp_path / f"live-{pid}.jsonl").write_text('{"x": 1}\\n')
        (tmp_path / "live-424242.jsonl").write_text("")  # empty: nothing to restore
        found = {int(p.stem.split("-")[1]) for p in store.orphans()}
        assert found == {zombie.pid, foreign.pid, 999_999_999}
    finally:
        for proc in (zombie, foreign, ours):
            proc.kill()
            proc.wait()


def test_finished_journals_are_kept_up_to_a_limit(tmp_path):
    import os

    from tui.core.journal import JournalStore

    store = JournalStore(tmp_path)
    for i in range(JournalStore.KEEP_DONE + 5):
        live = tmp_path / f"live-{i}.jsonl"
        live.write_text(f'{{"n": {i}}}\n')
        os.utime(live, (1_000_000 + i, 1_000_000 + i))
        done = store.retire(live)
        os.rename(done, tmp_path / f"done-{i:04d}.jsonl")  # distinct names: retire() stamps to the second
    assert len(list(tmp_path.glob("done-*.jsonl"))) <= JournalStore.KEEP_DONE + 1
    assert store.newest_done().read_text() == f'{{"n": {JournalStore.KEEP_DONE + 4}}}\n'
    empty = tmp_path / "live-7.jsonl"
    empty.write_text("")
    assert store.retire(empty) is None and not empty.exists()  # nothing to keep


def test_rows_measured_together_are_journaled_as_rows_and_restored(tmp_path):
    from tui.core.journal_lines import row_line, table_lines
    from tui.core.results import table_rows

    journal = tmp_path / "j.jsonl"
    s = Session(journal=journal)
    data = np.random.default_rng(4).normal(10, 1, (50, 60))
    data[20, 24] = np.nan  # inside s2
    s.load_data(data, label="img", unit="MJy/sr", wcs=tan_wcs((50, 60)))
    for k in range(6):
        s.add_subset(CirclePixelRegion(PixCoord(10 + 7 * k, 20.3), 3), label=f"s{k} \x1b[31m")
    table, _ = s.calculate_many(pixel_area=0.01)
    assert table_lines(table) == [row_line(row) for row in table_rows(table)]
    restored = Session.restore(journal, journal=False).get_aperture_photometry_results(extended=True)
    assert list(restored["subset_label"]) == list(table["subset_label"])
    assert np.array_equal(restored["aperture_sum"].value, table["aperture_sum"].value)
    assert list(restored["npix_bad"]) == list(table["npix_bad"]) == [0, 0, 1, 0, 0, 0]
