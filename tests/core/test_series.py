"""Light curves (issue 17): frame times, relative fluxes with AstroImageJ's names, a recovered transit, the CLI."""

import math
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.io import fits
from astropy.stats import sigma_clip
from astropy.table import Table
from astropy.time import Time
import astropy.units as u

from tests.conftest import site_written_west_positive
from tui.core import PhotometryError
from tui.core import frametimes
from tui.core.frames import list_frames
from tui.core.series import Series, relative_fluxes
from tui.core import starphot
from tui.core.images import from_array
from tui.core.starphot import Apertures, Detector, ccd_variance, clipped_median
from tui.demo_series import SITE, TARGET, make_cube, make_sequence

COMPS = ["Comp1", "Comp2", "Comp3"]


@pytest.fixture(scope="module")
def sequence(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seq")
    return make_sequence(folder, n_frames=120)


@pytest.fixture(scope="module")
def measured(sequence):
    paths, regions, truth = sequence
    s = Series(paths, regions, "Target", COMPS)
    return s, s.run_all(), truth


def series_cli(*args):
    return subprocess.run([sys.executable, "-m", "tui", "series", *map(str, args)], capture_output=True, text=True)


# -- times -------------------------------------------------------------------------------------------------------
def header(**cards):
    h = fits.Header()
    for key, value in cards.items():
        h[key.replace("_", "-")] = value
    return h


@pytest.mark.parametrize("cards, jd, source", [
    ({"DATE_OBS": "2024-03-01T02:00:00", "EXPTIME": 60.0}, Time("2024-03-01T02:00:30").jd, "DATE-OBS + EXPTIME/2"),
    ({"DATE_OBS": "2024-03-01", "TIME_OBS": "02:00:00", "EXPOSURE": 120.0}, Time("2024-03-01T02:01:00").jd,
     "DATE-OBS+TIME-OBS + EXPOSURE/2"),
    ({"DATE_OBS": "2024-03-01", "UT": "02:00:00", "EFFINTTM": 20.0}, Time("2024-03-01T02:00:10").jd,
     "DATE-OBS+UT + EFFINTTM/2"),
    ({"DATE_OBS": "01/03/98", "TIME_OBS": "02:00:00", "EXPTIME": 0.0}, Time("1998-03-01T02:00:00").jd,
     "DATE-OBS+TIME-OBS + EXPTIME/2"),
    ({"MJD_OBS": 60370.5, "EXPTIME": 86.4}, 60370.5 + 2400000.5 + 0.0005, "MJD-OBS + EXPTIME/2"),
    ({"JD": 2460370.5}, 2460370.5, "JD (no EXPTIME/EXPOSURE/EFFINTTM: the start)"),
    ({"DATE_OBS": "2024-03-01", "MJD_OBS": 60370.25, "EXPTIME": 86.4}, 60370.25 + 2400000.5 + 0.0005,
     "MJD-OBS + EXPTIME/2"),  # a date alone said midnight, six hours early, though MJD-OBS gave the time
    ({"DATE_OBS": "2024-03-01", "EXPTIME": 86.4}, 2460370.5 + 0.0005, "DATE-OBS (a date alone: midnight) + EXPTIME/2"),
    ({"EXPSTART": 60370.25, "EXPEND": 60370.26, "EXPTIME": 100.0, "DATE_OBS": "2024-03-01"},
     2400000.5 + 60370.255, "(EXPSTART+EXPEND)/2"),  # HST: not EXPSTART + EXPTIME/2
])
def test_the_time_keyword_conventions(cards, jd, source):
    found = frametimes.frame_time(header(**cards), None, None, "f.fits")
    assert found.jd_utc == pytest.approx(jd, abs=1e-9) and found.source == source


@pytest.mark.parametrize("written, utc, source", [
    ("2025-01-01 03:00:00", "2025-01-01T03:00:00", "DATE-OBS"),  # str(datetime): a space for the T
    ("2025-01-01T03:00:00+00:00", "2025-01-01T03:00:00", "DATE-OBS"),  # datetime.isoformat() of an aware time
    ("2025-01-01T03:00:00-07:00", "2025-01-01T10:00:00", "DATE-OBS (its UTC offset -07:00 taken off)"),
    ("2025-01-01T10:30:00+0530", "2025-01-01T05:00:00", "DATE-OBS (its UTC offset +0530 taken off)"),
])
def test_a_date_obs_as_python_writes_it_is_read(written, utc, source):
    # each was "its time keywords cannot be read": the frame was left out of the light curve
    found = frametimes.frame_time(header(DATE_OBS=written, EXPTIME=60.0), None, None, "f.fits")
    assert found.jd_utc == pytest.approx(Time(utc).jd + 30 / 86400, abs=1e-9)
    assert found.source == f"{source} + EXPTIME/2"


def test_mid_exposure_keywords_are_taken_as_they_are():
    """FITS 4.0's MJD-AVG and DATE-AVG are the mid-exposure, and a start keyword whose comment says it is the
    middle (MJD-OBS is the start "not always; check the comment") gets no half exposure added."""
    start = Time("2024-03-01T02:00:00")
    for cards, source in (({"MJD_AVG": start.mjd}, "MJD-AVG"), ({"DATE_AVG": "2024-03-01T02:00:00"}, "DATE-AVG")):
        found = frametimes.frame_time(header(DATE_OBS="2024-03-01T01:59:00", EXPTIME=120.0, **cards), None, None, "f")
        assert (found.jd_utc, found.source) == (pytest.approx(start.jd, abs=1e-9), source)
    for comment, mid in (("MJD at mid-exposure", True), ("MJD at the centre of the exposure", True),
                         ("MJD at start of exposure", False), ("modified Julian date", False),
                         ("date at midnight", False), ("MJD, middle of the night", False)):
        h = header(EXPTIME=120.0)
        h["MJD-OBS"] = (start.mjd, comment)
        found = frametimes.frame_time(h, None, None, "f")
        assert found.jd_utc == pytest.approx(start.jd + (0 if mid else 60 / 86400), abs=1e-9), comment
        assert found.source == ("MJD-OBS (mid-exposure, as its comment says)" if mid else "MJD-OBS + EXPTIME/2")
    h = header(DATE_OBS="2024-03-01", EXPTIME=120.0)
    h["TIME-OBS"] = ("02:00:00", "UT at mid exposure")
    assert frametimes.frame_time(h, None, None, "f").source == "DATE-OBS+TIME-OBS (mid-exposure, as its comment says)"
    h["DATE-OBS"] = ("2024-03-01", "date at the middle of the exposure")  # the date: not what says the time
    h["TIME-OBS"] = ("02:00:00", "UT")
    assert frametimes.frame_time(h, None, None, "f").source == "DATE-OBS+TIME-OBS + EXPTIME/2"


def test_a_time_system_other_than_utc_is_converted():
    tt = frametimes.frame_time(header(DATE_OBS="2024-03-01T02:00:00", TIMESYS="TT"), None, None, "f")
    assert (Time("2024-03-01T02:00:00", scale="tt").utc.jd - tt.jd_utc) == pytest.approx(0, abs=1e-9)


def test_a_frame_without_a_time_names_the_keywords():
    with pytest.raises(PhotometryError, match=r"f\.fits: no time found \(looked for INT_TIMES, EXPSTART\+EXPEND, "
                                              r"MJD-AVG, DATE-AVG, DATE-OBS \(\+TIME-OBS/UT\), MJD-OBS, JD\)"):
        frametimes.frame_time(header(EXPTIME=10.0), None, None, "f.fits")


@pytest.mark.parametrize("cards, message", [
    ({"MJD_AVG": 5e9}, "its time, JD 5002400000, is not when a frame was taken (1800 to 2200); it came from MJD-AVG"),
    ({"DATE_OBS": "9999-12-31T23:59:59"}, "its time, JD 5373484.5 (about the year 10000), is not when a frame was "
                                          "taken (1800 to 2200); it came from DATE-OBS (no EXPTIME/EXPOSURE/"
                                          "EFFINTTM: the start)"),
    ({"MJD_OBS": 60370.5, "EXPTIME": 1e300}, "its time, JD 5.787037037e+294, is not when a frame was taken (1800 to "
                                             "2200); it came from MJD-OBS + EXPTIME/2"),
    ({"DATE_OBS": "2024-03-01T04:05:60.5"}, "its time keywords cannot be read (2024-03-01T04:05:60.5: second 60 of a "
                                            "minute without a leap second)"),
])
def test_a_time_no_frame_was_taken_at_is_refused_in_words(cards, message):
    """Such times ended `series` in ERFA's "unacceptable date" traceback, or went through with a Python warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PhotometryError) as refused:
            frametimes.frame_time(header(**cards), None, None, "f.fits")
        assert str(refused.value) == f"f.fits: {message}"
        leap = frametimes.frame_time(header(DATE_OBS="2016-12-31T23:59:60.5"), None, None, "f.fits")  # one there was
    assert leap.jd_utc == pytest.approx(Time("2017-01-01T00:00:00").jd - 0.5 / 86400, abs=1e-9)


def test_a_frame_whose_time_was_refused_is_left_out_saying_why(sequence, tmp_path):
    """The app lists frames without a time too: a light curve leaves them out, and its note said "looked for
    INT_TIMES, ..." of a frame that had MJD-AVG, only an absurd one."""
    paths, regions, _ = sequence
    copies = []
    for k, path in enumerate(paths[:3]):
        with fits.open(path) as hdul:
            if k == 1:
                hdul[0].header["MJD-AVG"] = 5e9
            hdul.writeto(tmp_path / path.name)
        copies.append(tmp_path / path.name)
    s = Series(list_frames(copies, require_time=False), regions, "Target", ["Comp1"])
    assert [f.label for f in s.frames] == [copies[0].name, copies[2].name]
    assert "1 frame without a time left out (frame_0001.fits): frame_0001.fits: its time, JD 5002400000, is not " \
           "when a frame was taken (1800 to 2200); it came from MJD-AVG" in s.notes


def test_frames_before_1960_and_beyond_erfas_leap_seconds_are_timed_without_a_warning(sequence, tmp_path):
    """A plate from 1890 (UTC was not defined) and a frame from 2031 (beyond the leap-second table pyerfa 2.0.1.5
    knows: it calls every date from 2029 on dubious) printed ERFA's Python warnings; the early ones now get one note
    of what their BJD_TDB can be off by."""
    paths, regions, _ = sequence
    dated = []
    for path, date in zip(paths[:4], ["1890-05-01T03:00:00", "1890-05-01T03:10:00", "2031-05-01T03:00:00",
                                      "2031-05-01T03:10:00"]):
        with fits.open(path) as hdul:
            hdul[0].header["DATE-OBS"] = date
            hdul.writeto(tmp_path / path.name)
        dated.append(tmp_path / path.name)
    done = series_cli(*dated, "-r", regions, "--target", "Target", "--comparisons", "Comp1")
    assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr
    assert [line for line in done.stderr.splitlines() if "1960" in line] == [
        "note: 2 frames taken before 1960, when UTC had no defined offset from atomic time: their BJD_TDB takes "
        "TT - UTC as 32.184 s, and may be off by up to a minute"]
    s = Series(dated, regions, "Target", ["Comp1"])
    offset = (s.bjd_tdb - s.jd_utc) * 86400  # TDB - UTC, plus at most 8.3 min of light time
    assert np.abs(offset - [32.184, 32.184, 69.184, 69.184]).max() < 500


@pytest.mark.parametrize("site", [SITE, (-24.6, -70.4, 2635.0), None])
def test_bjd_tdb_agrees_with_astropy(site):
    jd = Time("2025-11-20T04:00:00").jd + np.linspace(0, 0.2, 40)
    target = SkyCoord(*TARGET, unit="deg")
    ours = frametimes.barycentric(jd, target, site)
    location = EarthLocation.from_geocentric(0, 0, 0, unit=u.m) if site is None else \
        EarthLocation.from_geodetic(site[1] * u.deg, site[0] * u.deg, site[2] * u.m)
    t = Time(jd, format="jd", scale="utc", location=location)
    theirs = (t.tdb + t.light_travel_time(target, kind="barycentric")).jd
    assert np.abs(ours - theirs).max() * 86400 < 1e-4  # a float64 JD resolves 40 us
    assert np.abs((ours - jd) * 86400 - 69.18).max() < 500  # TDB - UTC, plus at most 8.3 min of light time


def test_dense_sequences_interpolate_the_correction_within_a_float64_step():
    jd = Time("2025-11-20T00:00:00").jd + np.linspace(0, 3.0, 10_000)  # 26 s apart over three nights
    jd[17] = np.nan  # a frame without a time stays without one
    target = SkyCoord(*TARGET, unit="deg")
    fast = frametimes.barycentric(jd, target, SITE)
    known = np.isfinite(jd)
    exact = frametimes._barycentric(jd[known], target, SITE)
    assert np.isnan(fast[17]) and np.abs(fast[known] - exact).max() * 86400 < 1e-4  # a float64 JD resolves 40 us


def test_airmass_follows_the_altitude():
    jd = Time("2025-11-20T04:00:00").jd + np.linspace(0, 0.3, 30)
    target = SkyCoord(*TARGET, unit="deg")
    ours = frametimes.airmass(jd, target, SITE)
    location = EarthLocation.from_geodetic(SITE[1] * u.deg, SITE[0] * u.deg, SITE[2] * u.m)
    alt = target.transform_to(AltAz(obstime=Time(jd, format="jd"), location=location)).alt.rad
    s = 1 / np.sin(alt)
    c = (2.879465e-3, 3.033104e-3, 1.351167e-3, -4.716679e-5)  # Snell & Heiser, as AstroImageJ has them
    expected = s - sum(ci * (s - 1) ** (i + 1) for i, ci in enumerate(c))
    assert np.allclose(ours, expected, rtol=1e-4) and ours.max() > 2  # down to 25 degrees of altitude


def test_int_times_map_a_segment_to_its_integrations(tmp_path):
    cube, _, truth = make_cube(tmp_path, n_int=20, segment=2, intstart=41)
    with fits.open(cube) as hdul:
        rows = frametimes.int_times_rows(hdul, 20)
        table = hdul["INT_TIMES"].data
    assert [r[2] for r in rows] == list(range(41, 61))  # plane k is integration INTSTART + k
    k = list(table["integration_number"]).index(41)
    assert rows[0][:2] == (table["int_mid_MJD_UTC"][k], table["int_mid_BJD_TDB"][k])


@pytest.mark.parametrize("cards, step_s, source", [
    ({"KCT": 0.6, "EXPTIME": 0.5}, 0.6, "DATE-OBS + 7 x KCT + EXPTIME/2"),  # Andor's kinetic cycle time
    ({"TIMEDEL": 0.6 / 86400, "TIMEUNIT": "d", "EXPOSURE": 0.5}, 0.6, "DATE-OBS + 7 x TIMEDEL + EXPOSURE/2"),
    ({"EXPTIME": 0.5}, 0.5, "DATE-OBS + 7 x EXPTIME (back to back: no KCT or TIMEDEL) + EXPTIME/2"),
])
def test_a_plane_of_a_cube_without_int_times_is_timed_by_its_place(cards, step_s, source):
    """Every plane of a ground camera's cube had the cube's one time: the light curve was a vertical line."""
    found = frametimes.frame_time(header(DATE_OBS="2025-01-01T03:00:00", **cards), None, None, "c[7]", 7, 50)
    assert found.source == source
    assert (found.jd_utc - Time("2025-01-01T03:00:00").jd) * 86400 == pytest.approx(7 * step_s + 0.25, abs=1e-4)
    alone = frametimes.frame_time(header(DATE_OBS="2025-01-01T03:00:00", **cards), None, None, "c")  # 2-D: as before
    assert alone.source == f"DATE-OBS + {source.rsplit(' + ', 1)[1]}"
    with pytest.raises(PhotometryError, match=r"c\[7\]: no time of its own: its cube has no INT_TIMES, no cycle "
                                              r"time \(KCT, TIMEDEL\) and no exposure time"):
        frametimes.frame_time(header(DATE_OBS="2025-01-01T03:00:00"), None, None, "c[7]", 7, 50)


def test_a_jwst_cube_without_int_times_cuts_its_exposure_into_integrations(tmp_path):
    cube, _, _ = make_cube(tmp_path, n_int=20, segment=2, intstart=41)
    with fits.open(cube) as hdul:
        table = hdul["INT_TIMES"].data
        start, end = table["int_start_MJD_UTC"][0], table["int_end_MJD_UTC"][hdul[0].header["NINTS"] - 1]
        hdul[0].header.update(EXPSTART=start, EXPEND=end)
        expected = [table["int_mid_MJD_UTC"][list(table["integration_number"]).index(n)] for n in range(41, 61)]
        fits.HDUList([h for h in hdul if h.name != "INT_TIMES"]).writeto(tmp_path / "older_calints.fits")
    frames = list_frames([tmp_path / "older_calints.fits"])
    assert [f.time.source for f in frames[:2]] == [f"EXPSTART..EXPEND in 60 equal integrations (integration {n})"
                                                   for n in (41, 42)]
    assert np.allclose([f.time.jd_utc - frametimes.MJD_ZERO for f in frames], expected, rtol=0, atol=1e-9)


def test_a_cube_timed_back_to_back_is_said_once(tmp_path):
    yy, xx = np.mgrid[:60, :60]
    star = lambda x, y: 2000 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 8.0)  # noqa: E731
    cube = np.array([100 + star(20, 20) + star(40, 35) + k for k in range(6)], np.float32)
    fits.PrimaryHDU(cube, fits.Header({"DATE-OBS": "2025-01-01T03:00:00", "EXPTIME": 2.0})).writeto(
        tmp_path / "burst.fits")
    regions = tmp_path / "s.reg"
    regions.write_text("image\ncircle(21,21,4) # text={T}\ncircle(41,36,4) # text={C}\n")
    s = Series([tmp_path / "burst.fits"], regions, "T", ["C"], aperture=4.0)
    assert [n for n in s.notes if "back to back" in n] == [
        "burst.fits: no time for each plane (no INT_TIMES, nor a cycle time in KCT or TIMEDEL), so the planes are "
        "taken as exposures back to back from the start; time_source says which"]
    assert np.allclose(np.diff(s.jd_utc) * 86400, 2.0, atol=1e-4)


# -- measuring ---------------------------------------------------------------------------------------------------
def test_clipped_median_is_astropys_sigma_clip():
    rng = np.random.default_rng(3)
    for _ in range(20):
        values = np.concatenate([rng.normal(100, 5, 300), rng.uniform(150, 900, 12)])
        kept = sigma_clip(values, sigma=3.0, masked=False)
        assert clipped_median(values)[:3:2] == (float(np.median(kept)), kept.size)


def test_the_ccd_equation_by_hand():
    d = Detector(gain=2.0, read_noise=8.0, dark=3.0)
    n_pix, n_sky, f, b = 78.5, 320, 300000.0, 200.0
    by_hand = (2.0 * f + n_pix * (1 + n_pix / n_sky) * (2.0 * b + 3.0 + 64.0 + 4.0 * 0.289**2)) / 4.0
    assert ccd_variance(f, n_pix, b, n_sky, d) == pytest.approx(by_hand, rel=1e-15)
    assert ccd_variance(-5.0, n_pix, -1.0, 0, d) == pytest.approx(n_pix * (3.0 + 64.0 + 4 * 0.289**2) / 4.0)
    tiny = Detector(gain=1e-200, read_noise=0.0)  # its square is zero: a ZeroDivisionError ended `series`
    assert ccd_variance(f, n_pix, b, 0, tiny) == pytest.approx(f / 1e-200 + n_pix * (b / 1e-200 + 0.289**2),
                                                               rel=1e-15)


def test_relative_fluxes_by_hand():
    flux = np.array([[100.0, 50.0, 30.0, 20.0]])
    error = np.array([[10.0, 5.0, 3.0, 2.0]])
    rel = relative_fluxes(flux, error, 0, [1, 2, 3])
    assert rel[0][0][0] == 1.0 and rel[0][1][0] == pytest.approx(math.sqrt(0.01 + (25 + 9 + 4) / 100**2))
    assert rel[1][0][0] == 1.0 and rel[2][0][0] == pytest.approx(30 / 70) and rel[3][0][0] == pytest.approx(20 / 80)
    assert rel[2][1][0] == pytest.approx(30 / 70 * math.sqrt(0.01 + (25 + 4) / 70**2))
    assert np.isnan(relative_fluxes(np.array([[1.0, np.nan, 2.0]]), np.ones((1, 3)), 0, [1, 2])[0][0][0])


def test_a_light_curve_with_astroimagejs_columns(measured):
    s, table, truth = measured
    assert len(table) == 120 and table.meta["stars"] == {"T1": "Target", "C2": "Comp1", "C3": "Comp2",
                                                        "C4": "Comp3"}
    for role in ("T1", "C2", "C3", "C4"):
        for name in ("rel_flux", "rel_flux_err", "Source-Sky", "Source_Error", "Sky/Pixel", "Peak", "Width",
                     "X(IJ)", "Y(IJ)", "N_Src_Pixels", "Saturated"):
            assert f"{name}_{role}" in table.colnames
    f = {r: np.asarray(table[f"Source-Sky_{r}"]) for r in ("T1", "C2", "C3", "C4")}
    assert np.allclose(table["rel_flux_T1"], f["T1"] / (f["C2"] + f["C3"] + f["C4"]), rtol=1e-14)
    assert np.allclose(table["rel_flux_C2"], f["C2"] / (f["C3"] + f["C4"]), rtol=1e-14)
    # the ensemble again, no re-measuring
    assert np.allclose(s.relative(["Comp1"])[0][0], f["T1"] / f["C2"], rtol=1e-14)
    # BJD_TDB and AIRMASS of the mid-exposure: the generator's own (from astropy there), to a float64 JD
    assert np.abs(table["BJD_TDB"] - truth["bjd"]).max() * 86400 < 1e-4
    assert np.allclose(table["AIRMASS"], truth["airmass"]) and set(table["time_source"]) == {"DATE-OBS + EXPTIME/2"}
    assert not any(r.messages for r in s.results)
    # ImageJ coordinates: X(IJ) = x + 0.5, Y(IJ) = NAXIS2 - y - 0.5; the target jumps by (4, 3) px mid-way, and the
    # others follow
    x0, y0 = truth["positions"][0]
    x, y = np.asarray(table["X(IJ)_T1"]) - 0.5, 256 - np.asarray(table["Y(IJ)_T1"]) - 0.5
    assert abs(x[0] - x0) < 0.05 and abs(y[0] - y0) < 0.05
    assert abs((x[60] - x[59]) - 4.02) < 0.1 and abs((y[60] - y[59]) - 2.985) < 0.1
    # seeing breathes: the widths follow it, and nothing is saturated
    assert 3.5 < np.median(table["Width_T1"]) < 5.0 and not table["Saturated_T1"].any()


def test_the_aperture_chosen_where_the_profile_falls_to_one_percent(measured):
    s, _, _ = measured
    sigma = 1.6  # the seeing on the first frame
    assert abs(s.apertures.radius - sigma * math.sqrt(2 * math.log(100))) < 0.35
    assert "falls to 1% of its peak" in s.aperture_note
    assert (s.apertures.inner, s.apertures.outer) == (1.5 * s.apertures.radius, 2.5 * s.apertures.radius)


def test_the_scatter_matches_the_stated_errors(measured):
    _, table, _ = measured
    for role in ("T1", "C2", "C3", "C4"):
        rel, err = np.asarray(table[f"rel_flux_{role}"]), np.asarray(table[f"rel_flux_err_{role}"])
        point_to_point = np.std(np.diff(rel)) / math.sqrt(2)  # slow trends (the transit, seeing) left out
        assert 0.75 < point_to_point / np.median(err) < 1.35, role


@pytest.mark.parametrize("period", ["truth", "default"])
def test_the_transit_is_recovered_within_its_errors(measured, period):
    """With the injected period and with the default one that F9's fit starts from (a/R* takes up the difference).
    The fit once searched t0 in BJD itself: least_squares' slope steps (1.5e-8 of 2.46e6 days, 53 minutes) were
    longer than the transit, and it stopped 15 minutes off, with twice the scatter the errors allow."""
    from tui.core.transit import DEFAULT_PERIOD, fit

    _, table, truth = measured
    columns = {c: np.asarray(table[c], float) for c in table.colnames if c not in ("Label", "time_source")}
    result = fit(table["BJD_TDB"], table["rel_flux_T1"], table["rel_flux_err_T1"], columns, "auto",
                 truth["period"] if period == "truth" else DEFAULT_PERIOD, truth["limb_darkening"])
    depth = 1 - truth["transit"].min()
    assert abs(result.depth - depth) < 3 * result.depth_err and result.depth_err < depth / 10
    assert abs(result.t0 - truth["t0"]) < 3 * result.t0_err and result.t0_err * 86400 < 60
    assert abs(result.rp_rs - truth["rp"]) < 3 * result.rp_rs_err
    # the comparisons share the target's seeing and airmass: nothing is left for a detrend set to take up
    assert result.bic == min(result.tried.values()) and 0.8 < result.rms / result.expected_rms < 1.25


def test_a_jwst_cube_with_int_times(tmp_path):
    cube, regions, truth = make_cube(tmp_path, n_int=40, segment=1, intstart=1)
    s = Series([cube], regions, "T", ["C1", "C2"], aperture=4.0)
    table = s.run_all()
    assert len(table) == 40 and list(table["Label"][:2]) == [f"{cube.stem.replace('_calints', '')}_calints[0]",
                                                              f"{cube.stem.replace('_calints', '')}_calints[1]"]
    assert np.array_equal(table["BJD_TDB"], truth["bjd"])  # the pipeline's INT_TIMES, as given
    assert set(table["time_source"]) >= {"INT_TIMES int_mid_MJD_UTC (integration 1)"}
    # the ERR plane gives the errors: sqrt(sum sigma^2) over the aperture (0.3 MJy/sr a pixel), and the sky's own
    # uncertainty over the aperture's area (0.3 x 1.25 / sqrt(~200) per pixel)
    aperture = 0.3 * math.sqrt(math.pi * 16)
    sky = math.pi * 16 * 0.3 * math.sqrt(math.pi / 2) / math.sqrt(math.pi * (100 - 36))
    assert np.median(table["Source_Error_T1"]) == pytest.approx(math.hypot(aperture, sky), rel=0.05)
    rel = np.asarray(table["rel_flux_T1"]) / np.median(table["rel_flux_T1"][:5])
    dip = 1 - truth["transit"].min()
    assert abs((1 - rel.min()) - dip) < 0.5 * dip  # the dip is there, in the right place
    assert abs(int(np.argmin(rel)) - int(np.argmin(truth["transit"]))) <= 3


# -- the command line -------------------------------------------------------------------------------------------
def test_series_writes_a_light_curve_and_a_fit(sequence, tmp_path):
    paths, regions, truth = sequence
    out = tmp_path / "lc.ecsv"
    done = series_cli(*paths, "--regions", regions, "--target", "Target", "--comparisons", ",".join(COMPS),
                      "-o", out, "--fit", "transit", "--period", truth["period"])
    assert done.returncode == 0, done.stderr
    assert "T1 = Target, C2 = Comp1, C3 = Comp2, C4 = Comp3" in done.stderr and "fit: depth" in done.stderr
    table = Table.read(out)
    fit = table.meta["fit"]
    assert {"t0", "t0_err", "depth", "depth_err", "rp_rs", "rp_rs_err", "duration", "rms", "expected_rms", "bic",
            "coefficients", "detrend"} <= set(fit)
    assert abs(fit["t0"] - truth["t0"]) < 3 * fit["t0_err"]
    assert {"rel_flux_T1_detrended", "transit_model"} <= set(table.colnames) and len(table) == 120


def test_the_glimpse_says_where_the_rows_it_leaves_out_are(sequence, tmp_path):
    from tui.series_cli import SHOWN

    paths, regions, _ = sequence
    common = (*paths, "--regions", regions, "--target", "Target", "--comparisons", "Comp1")
    out = tmp_path / "lc.csv"
    written, shown = series_cli(*common, "-o", out), series_cli(*common)
    assert written.returncode == 0 and shown.returncode == 0, (written.stderr, shown.stderr)
    left_out = len(paths) - SHOWN + 1
    assert f"({left_out} rows more, in {out})" in written.stdout
    assert f"({left_out} rows more, not shown: -o OUT writes them all)" in shown.stdout


def test_frames_may_come_before_and_after_the_options(sequence, tmp_path):
    paths, regions, _ = sequence
    out = tmp_path / "lc.csv"
    done = series_cli(paths[0], "-r", regions, paths[1], "--target", "Target", "--comparisons", "Comp1", paths[2],
                      "--aperture", "5", "-o", out)
    assert done.returncode == 0, done.stderr
    assert list(Table.read(out)["Label"]) == [Path(p).name for p in paths[:3]]


def test_a_folder_of_frames_is_the_sequence(sequence, tmp_path):
    paths, regions, _ = sequence
    out = tmp_path / "lc.csv"
    done = series_cli(Path(paths[0]).parent, "-r", regions, "--target", "Target", "--comparisons", "Comp1",
                      "--aperture", "5", "-o", out)
    assert done.returncode == 0, done.stderr
    assert list(Table.read(out)["Label"]) == [Path(p).name for p in paths]  # stars.reg beside them is no frame


def test_a_frame_named_twice_is_one_point(sequence, tmp_path):
    paths, regions, _ = sequence
    out = tmp_path / "lc.csv"
    done = series_cli(*paths[:3], paths[1], "-r", regions, "--target", "Target", "--comparisons", "Comp1",
                      "--aperture", "5", "-o", out)
    assert done.returncode == 0, done.stderr
    assert list(Table.read(out)["Label"]) == [Path(p).name for p in paths[:3]]
    assert f"note: {paths[1]} is named more than once: measured once" in done.stderr.splitlines()


def test_resume_appends_what_is_missing(sequence, tmp_path):
    paths, regions, _ = sequence
    common = ["--regions", regions, "--target", "Target", "--comparisons", ",".join(COMPS), "--aperture", "5"]
    whole, part = tmp_path / "whole.csv", tmp_path / "part.csv"
    assert series_cli(*paths[:40], *common, "-o", whole).returncode == 0
    assert series_cli(*paths[:25], *common, "-o", part).returncode == 0
    done = series_cli(*paths[:40], *common, "-o", part, "--resume")
    assert done.returncode == 0 and "holds 25 frames already" in done.stderr
    a, b = Table.read(whole), Table.read(part)
    assert list(a["Label"]) == list(b["Label"])
    assert np.allclose(a["rel_flux_T1"], b["rel_flux_T1"], rtol=1e-12)


def test_ctrl_c_keeps_the_frames_measured_and_says_how_to_go_on(sequence, tmp_path, capsys):
    # ctrl+c raises KeyboardInterrupt in the main thread, as _thread.interrupt_main() does here once OUT holds a row.
    import _thread
    import threading

    from tui.core.formatting import counted
    from tui.series_cli import run

    paths, regions, _ = sequence
    out = tmp_path / "lc.csv"

    def interrupt_once_a_row_is_written():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.exists() and out.read_text().count("\n") >= 2):
            time.sleep(0.001)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_a_row_is_written, daemon=True).start()
    code = run([*map(str, paths), "--regions", str(regions), "--target", "Target", "--comparisons", "Comp1,Comp2",
                "--aperture", "5", "-o", str(out), "--fit", "transit"])
    err = capsys.readouterr().err
    kept = len(Table.read(out))
    assert code == 130 and 1 <= kept < len(paths)
    assert f"interrupted: {counted(kept, 'frame')} of {len(paths)} measured before ctrl+c; --resume -o {out} " \
           f"measures the rest; no fit\n" in err
    assert f"wrote: {out} ({counted(kept, 'frame')} this run)" in err
    done = series_cli(*paths, "--regions", regions, "--target", "Target", "--comparisons", "Comp1,Comp2",
                      "--aperture", "5", "-o", out, "--resume")
    assert done.returncode == 0 and len(Table.read(out)) == len(paths)


def test_ctrl_c_between_writing_frames_and_recording_them_writes_them_once(sequence, tmp_path, monkeypatch,
                                                                            capsys):
    """ctrl+c right after frames reached OUT, before they were taken off what was still to write, made the stop
    write them again. The signal is raised at that very point, as the terminal would send it."""
    import signal

    from tui.core.batch import LineStream
    from tui.series_cli import run

    paths, regions, _ = sequence
    out = tmp_path / "lc.csv"
    append, pressed = LineStream.append, []

    def append_then_ctrl_c(self, table):
        append(self, table)
        if not pressed:  # once: the stop's own write is left alone
            pressed.append(True)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(LineStream, "append", append_then_ctrl_c)
    code = run([*map(str, paths), "--regions", str(regions), "--target", "Target", "--comparisons", "Comp1,Comp2",
                "--aperture", "5", "-o", str(out)])
    err = capsys.readouterr().err
    labels = [str(label) for label in Table.read(out)["Label"]]
    assert code == 130 and labels == [Path(p).name for p in paths[:len(labels)]] and len(labels) < len(paths)
    assert f"interrupted: {len(labels)} frame{'s' * (len(labels) > 1)} of {len(paths)} measured before ctrl+c" in err


def test_resume_after_a_row_cut_short_measures_that_frame_again(sequence, tmp_path):
    paths, regions, _ = sequence
    common = ["--regions", regions, "--target", "Target", "--comparisons", "Comp1,Comp2", "--aperture", "5"]
    whole, part = tmp_path / "whole.csv", tmp_path / "part.csv"
    assert series_cli(*paths[:8], *common, "-o", whole).returncode == 0
    assert series_cli(*paths[:5], *common, "-o", part).returncode == 0
    text = part.read_text()
    part.write_text(text[:text.rindex("\n", 0, -1) + 40])  # the run was killed while writing frame 5's row
    done = series_cli(*paths[:8], *common, "-o", part, "--resume")
    assert done.returncode == 0, done.stderr
    assert f"note: {part}: its last row was cut short (the run was stopped while writing it): dropped, and " \
           "measured again" in done.stderr and "holds 4 frames already" in done.stderr
    a, b = Table.read(whole), Table.read(part)
    assert list(b["Label"]) == list(a["Label"])
    np.testing.assert_allclose(b["rel_flux_T1"], a["rel_flux_T1"], rtol=1e-12)


def test_resume_on_a_light_curve_edited_or_torn_says_what_is_wrong(sequence, tmp_path):
    """A cell that is no number, a column renamed, a name torn into bytes that are no UTF-8: each ended --resume in
    a traceback (ValueError, KeyError, UnicodeDecodeError). They are said in a line, and OUT is left as it is; an
    empty cell is a missing value, and a Saturated flag read back as NaN is no NumPy warning."""
    paths, regions, _ = sequence
    common = ["--regions", regions, "--target", "Target", "--comparisons", "Comp1,Comp2", "--aperture", "5"]
    written = tmp_path / "lc.csv"
    assert series_cli(*paths[:3], *common, "-o", written).returncode == 0
    names, first, second, *rest = written.read_text().splitlines(keepends=True)
    peak, saturated = (names.split(",").index(name) for name in ("Peak_C2", "Saturated_C2"))

    def with_peak(cell, flag="0"):
        row = second.split(",")
        row[peak], row[saturated] = cell, flag
        return "".join([names, first, ",".join(row), *rest])

    # torn: a byte of the names changed and the last row cut short, as a run killed on a failing disk leaves it
    torn = written.read_bytes().replace(b"Peak_C2", b"Peak_C2\xf0")
    for name, data, message in (
            ("text.csv", with_peak("abc").encode(), "has 'abc' in Peak_C2 on the row of frame_0001.fits, which is "
                                                    "no number"),
            ("renamed.csv", "".join([names.replace("Peak_C2", "Peek_C2"), first, second, *rest]).encode(),
             "has no Peak_C2 column"),
            ("torn.csv", torn[:-20], "has no Peak_C2 column")):
        out = tmp_path / name
        out.write_bytes(data)
        done = series_cli(*paths[:5], *common, "-o", out, "--resume")
        assert done.returncode == 2 and done.stderr.splitlines()[-1] == (
            f"aperphot-tui: error: --resume: {out} {message}: fix the file, name another OUT, or --overwrite to "
            f"measure every frame again"), name
        assert out.read_bytes() == data[:data.rindex(b"\n") + 1], name  # all but a row cut short, as it was
    out = tmp_path / "empty.csv"
    out.write_text(with_peak("", flag="nan"))
    done = series_cli(*paths[:5], *common, "-o", out, "--resume")
    assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr
    table = Table.read(out)
    assert list(table["Label"]) == [Path(p).name for p in paths[:5]] and table["Peak_C2"].mask[1]  # as it was


@pytest.mark.parametrize("ext, args, message", [
    ("csv", ["--comparisons", "Comp1,Comp3"], "has its C3 144 px from where Comp3 is: another run's light curve"),
    ("ecsv", ["--comparisons", "Comp1,Comp3"], "has 'Comp2' as C3, this run 'Comp3': another run's light curve"),
    ("csv", ["--comparisons", "Comp1,Comp2,Comp3"], "holds the stars T1, C2, C3, this run measures T1, C2, C3, C4"),
    ("csv", ["--comparisons", "Comp1,Comp2", "--aperture", "6"],
     "was measured with the aperture 5 px, this run's is 6 px: give --aperture 5 as that run did"),
    ("ecsv", ["--comparisons", "Comp1,Comp2", "--annulus", "8,14"],
     "was measured with the annulus 7.5 to 12.5 px, this run's is 8 to 14 px: give --annulus 7.5,12.5"),
])
def test_resume_refuses_another_runs_light_curve(sequence, tmp_path, ext, args, message):
    paths, regions, _ = sequence
    out = tmp_path / f"lc.{ext}"
    first = series_cli(*paths[:3], "--regions", regions, "--target", "Target", "--comparisons", "Comp1,Comp2",
                       "--aperture", "5", "-o", out)
    assert first.returncode == 0, first.stderr
    before = out.read_bytes()
    done = series_cli(*paths[:5], "--regions", regions, "--target", "Target", "--aperture", "5", *args, "-o", out,
                      "--resume")
    assert done.returncode == 2 and f"error: --resume: {out} {message}" in done.stderr
    assert out.read_bytes() == before  # refused before anything was written


@pytest.mark.parametrize("args, message", [
    (["--gain", "0"], "argument --gain: the gain must be above 0, not 0"),
    (["--gain", "-1"], "argument --gain: the gain must be above 0, not -1"),
    (["--read-noise", "-3"], "argument --read-noise: the read noise must be at least 0, not -3"),
    (["--dark", "-1"], "argument --dark: the dark must be at least 0, not -1"),
    (["--saturation", "0"], "argument --saturation: the saturation level must be above 0, not 0"),
    (["--period", "-1"], "argument --period: the period must be above 0, not -1"),
    (["--limb-darkening", "2,3"], "argument --limb-darkening: '2,3' is not a physical quadratic law"),
    (["--site", "100,0,0"], "argument --site: '100,0,0': the latitude lies within ±90 degrees"),
    (["--annulus", "-1,5"], "argument --annulus: the annulus runs from an inner radius of 0 or more"),
])
def test_impossible_detector_sky_and_fit_settings_are_refused(sequence, args, message):
    # each was taken: a gain of 0 or a period of -1 day gave numbers (a transit lasting -0.16 h) instead of an error
    paths, regions, _ = sequence
    done = series_cli(*paths[:3], "--regions", regions, "--target", "Target", "--comparisons", "Comp1", *args)
    assert done.returncode == 2 and message in done.stderr.splitlines()[-1]


def test_fit_settings_without_a_fit_or_naming_no_column_are_said_before_measuring(sequence, tmp_path):
    # --detrend, --period and --limb-darkening without --fit were taken without a word and no fit made; a --detrend
    # column the light curve lacks was said only once every frame had been measured.
    paths, regions, _ = sequence
    common = [*paths[:3], "--regions", regions, "--target", "Target", "--comparisons", "Comp1"]
    done = series_cli(*common, "--detrend", "AIRMASS", "--period", "2")
    assert done.returncode == 2 and done.stderr.splitlines()[-1].endswith(
        "error: --detrend, --period shape the transit fit: add --fit transit")
    out = tmp_path / "lc.ecsv"
    done = series_cli(*common, "--fit", "transit", "--detrend", "AIRMASS,Widht_T1", "-o", out)
    assert done.returncode == 2 and not out.exists() and "Label" not in done.stdout
    assert done.stderr.splitlines()[-1] == "aperphot-tui: error: --detrend: no column 'Widht_T1' in the light " \
                                           "curve (columns such as AIRMASS, Width_T1, X(IJ)_T1, Y(IJ)_T1, Sky/Pixel_T1)"


def test_a_site_south_and_west_is_taken_as_typed(sequence):
    # "--site -30.24,-70.74,2715" (Cerro Pachon) was "argument --site: expected one argument"
    paths, regions, _ = sequence
    done = series_cli(*paths[:3], "--regions", regions, "--target", "Target", "--comparisons", "Comp1",
                      "--site", "-30.24,-70.74,2715", "--annulus", "8,14")
    assert done.returncode == 0, done.stderr
    assert "note: BJD_TDB toward the target (the first frame's WCS) from the site given (--site)" in done.stderr


def test_frames_without_a_target_position_say_once_why_there_is_no_bjd(sequence, tmp_path):
    paths, regions, _ = sequence
    bare = []
    for path in paths[:3]:
        with fits.open(path) as hdul:
            kept = {key: hdul[0].header[key] for key in ("DATE-OBS", "EXPTIME", "GAIN")}
            fits.PrimaryHDU(hdul[0].data, fits.Header(kept)).writeto(tmp_path / path.name)
        bare.append(tmp_path / path.name)
    done = series_cli(*bare, "-r", regions, "--target", "Target", "--comparisons", "Comp1")
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "BJD" in line] == [  # and "note: no BJD_TDB" before it
        "note: no target position (no WCS, no RA/DEC keywords): BJD_TDB is left empty"]


def test_a_site_that_puts_the_target_below_the_horizon_is_said(sequence, tmp_path):
    """IRAF writes longitudes west-positive, FITS and AstroImageJ east-positive: read the wrong way, the site moves
    to the other side of the Earth, where the target had set. AIRMASS came out empty without a word."""
    paths, regions, truth = sequence
    flipped = site_written_west_positive(paths[:3], tmp_path)
    s = Series(flipped, regions, "Target", ["Comp1"])
    lat, lon, height = SITE
    said = [n for n in s.notes if "horizon" in n]
    assert said == [f"the target is below the horizon on 3 of 3 frames from the site (latitude {lat:g}, longitude "
                    f"{-lon:g} east) in SITELAT/SITELONG: AIRMASS is left empty there, and BJD_TDB may be off by up "
                    f"to 43 ms (the Earth's width in light time); if the longitude was written west-positive, the "
                    f"site is {lat:g},{lon:g},{height:g} (--site takes it)"]
    assert np.isnan(s.airmass).all()
    done = series_cli(*flipped, "-r", regions, "--target", "Target", "--comparisons", "Comp1", "--site",
                      f"{lat},{lon},{height}")
    assert done.returncode == 0 and "horizon" not in done.stderr  # the site as it should have been read
    s = Series(paths[:3], regions, "Target", ["Comp1"], site=(lat, -lon, height))  # every AIRMASS in the headers
    assert [n.split(":")[0] for n in s.notes if "horizon" in n] == [
        f"the target is below the horizon on the first frame from the site (latitude {lat:g}, longitude {-lon:g} "
        f"east) given (--site)"]
    assert np.allclose(s.airmass, truth["airmass"][:3])  # from the headers, as before
    assert not any("horizon" in n for n in Series(paths[:3], regions, "Target", ["Comp1"]).notes)


@pytest.mark.parametrize("args, message", [
    (["--target", "Nobody", "--comparisons", "Comp1"], "no region labelled 'Nobody' in the region file"),
    (["--target", "Target", "--comparisons", "Comp1,Target"], "cannot be one of its own comparisons"),
])
def test_bad_labels_are_one_line_and_exit_2(sequence, args, message):
    paths, regions, _ = sequence
    done = series_cli(*paths[:3], "--regions", regions, *args)
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_label_several_regions_hold_is_said_so(sequence, tmp_path):
    # it read "no region labelled 'Comp1' in the region file (labels: Target, Comp2, ...)", with Comp1 right there
    paths, regions, _ = sequence
    twice = tmp_path / "twice.reg"
    text = Path(regions).read_text()
    twice.write_text(text + next(line for line in text.splitlines() if "{Comp1}" in line).replace("(", "(1", 1) + "\n")
    done = series_cli(*paths[:3], "--regions", twice, "--target", "Target", "--comparisons", "Comp1")
    assert done.returncode == 2 and done.stderr == (
        "aperphot-tui: error: several regions in the region file are labelled 'Comp1': give each star its own label\n")


def test_stars_given_as_points_make_the_light_curve_circles_make(sequence, tmp_path):
    # a star list from a catalogue is points; they were "point regions are not supported", and no star was found
    import re

    paths, regions, _ = sequence
    points = tmp_path / "points.reg"
    points.write_text(re.sub(r"circle\(([^,]+),([^,]+),[^)]+\)", r"point(\1,\2)", regions.read_text()))
    assert "point(" in points.read_text() and "circle(" not in points.read_text()
    outs = []
    for k, stars in enumerate((regions, points)):
        out = tmp_path / f"lc{k}.csv"
        done = series_cli(*paths[:6], "--regions", stars, "--target", "Target", "--comparisons", "Comp1,Comp2",
                          "-o", out)
        assert done.returncode == 0, done.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_two_nights_of_frames_with_the_same_names_stay_apart(sequence, tmp_path):
    # night1/frame_0000.fits and night2/frame_0000.fits shared one label: the CSV gave night 2's times to night
    # 1's rows and a NaN flux, and --resume would take one night's frames for the other's
    import astropy.units as u
    from astropy.time import Time

    from tui.core import read_results

    paths, regions, _ = sequence
    for night, days in (("night1", 0), ("night2", 30)):
        (tmp_path / night).mkdir()
        for path in paths[:3]:
            with fits.open(path) as hdul:
                hdul[0].header["DATE-OBS"] = (Time(hdul[0].header["DATE-OBS"]) + days * u.day).isot
                hdul.writeto(tmp_path / night / path.name)
    out = tmp_path / "lc.csv"
    done = series_cli(tmp_path / "night1", tmp_path / "night2", "--regions", regions, "--target", "Target",
                      "--comparisons", "Comp1", "-o", out)
    assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr
    table = read_results(out)
    assert table["Label"].tolist() == [f"{night}/{path.name}" for night in ("night1", "night2") for path in paths[:3]]
    jd = np.asarray(table["JD_UTC"], float)
    assert np.allclose(jd[3:] - jd[:3], 30.0) and np.isfinite(np.asarray(table["rel_flux_T1"], float)).all()
    again = series_cli(tmp_path / "night1", tmp_path / "night2", "--regions", regions, "--target", "Target",
                       "--comparisons", "Comp1", "-o", out, "--resume")
    assert again.returncode == 0 and len(read_results(out)) == 6, again.stderr
    first = tmp_path / "first.csv"  # a run on night 1 alone knew its frames without their folder
    assert series_cli(tmp_path / "night1", "--regions", regions, "--target", "Target", "--comparisons", "Comp1",
                      "-o", first).returncode == 0
    both = series_cli(tmp_path / "night1", tmp_path / "night2", "--regions", regions, "--target", "Target",
                      "--comparisons", "Comp1", "-o", first, "--resume")
    assert both.returncode == 2 and both.stderr.splitlines()[-1] == (
        f"aperphot-tui: error: --resume: {first} names {paths[0].name} ... without a folder, as a run on fewer files "
        f"did; files of that name are now labelled by folder (night1/{paths[0].name}): give --overwrite to measure "
        f"them anew, or another OUT")
    assert len(read_results(first)) == 3


def test_an_annulus_named_as_a_star_is_refused_in_words(sequence, tmp_path):
    # it was "a CircleAnnulusPixelRegion has no profile", from deep in the first frame's measurement
    paths, regions, _ = sequence
    ringed = tmp_path / "ringed.reg"
    ringed.write_text(regions.read_text() + "\nimage\nannulus(129.3,128.6,10,15) # text={Sky}\n")
    done = series_cli(*paths[:3], "--regions", ringed, "--target", "Target", "--comparisons", "Comp1,Sky")
    assert (done.returncode, done.stderr) == (2, "aperphot-tui: error: 'Sky' is an annulus: a star's region is a "
                                                 "point, circle, ellipse, rectangle or polygon (each star's sky "
                                                 "annulus is --annulus)\n")


def test_frames_without_times_or_of_other_shapes(sequence, tmp_path):
    paths, regions, _ = sequence
    timeless = tmp_path / "timeless.fits"
    fits.PrimaryHDU(np.zeros((256, 256), np.float32)).writeto(timeless)
    done = series_cli(paths[0], timeless, "--regions", regions, "--target", "Target", "--comparisons", "Comp1")
    assert done.returncode == 2 and "timeless.fits: no time found (looked for INT_TIMES" in done.stderr
    # A frame of another shape than most is set aside and named; the others are measured (it ended the run)
    other = tmp_path / "other.fits"
    fits.PrimaryHDU(np.zeros((100, 120), np.float32), fits.Header({"DATE-OBS": "2025-11-20T05:00:00"})).writeto(other)
    out = tmp_path / "lc.ecsv"
    done = series_cli(paths[0], other, *paths[1:3], "--regions", regions, "--target", "Target", "--comparisons",
                      "Comp1", "-o", out)
    assert done.returncode == 1
    assert "skipped: other.fits: 120x100 pixels, not the 256x256 of 3 frames: the stars, in pixels, cannot be " \
           "placed alike on frames of two shapes\n" in done.stderr
    assert list(Table.read(out)["Label"]) == [Path(p).name for p in paths[:3]]
    many = []
    for i in range(4):
        many.append(tmp_path / f"sub{i}.fits")
        fits.PrimaryHDU(np.zeros((100, 120), np.float32),
                        fits.Header({"DATE-OBS": f"2025-11-20T05:0{i}:00"})).writeto(many[-1])
    done = series_cli(*paths[:5], *many, "--regions", regions, "--target", "Target", "--comparisons", "Comp1")
    assert done.returncode == 1 and "skipped: 4 frames of other shapes set aside (sub0.fits, sub1.fits, sub2.fits " \
                                    "...): not the 256x256 of 5 frames" in done.stderr



def test_a_frame_cut_short_is_a_missing_point_not_a_traceback(sequence, tmp_path):
    """Its header reads whole, so it is listed and timed; its pixels fail only when measured (astropy reads them
    then): that frame is missing, said in one line, and the others are measured."""
    paths, regions, _ = sequence
    cut = tmp_path / Path(paths[1]).name
    whole = Path(paths[1]).read_bytes()
    cut.write_bytes(whole[:len(whole) // 2])
    out = tmp_path / "lc.ecsv"
    done = series_cli(paths[0], cut, paths[2], "--regions", regions, "--target", "Target", "--comparisons",
                      "Comp1", "-o", out)
    assert "Traceback" not in done.stderr and "WARNING" not in done.stderr  # said once, by us
    assert f"skipped: {cut.name}: could not read the image (the file is cut short: {len(whole) // 2:,} of its " \
           f"{len(whole):,} bytes)\n" in done.stderr
    table = Table.read(out)
    assert list(table["Label"]) == [Path(p).name for p in paths[:3]]
    assert np.isnan(table["rel_flux_T1"][1]) and np.isfinite(table["rel_flux_T1"][[0, 2]]).all()

def test_a_comparison_missing_on_every_frame_is_named_with_the_ones_to_keep(sequence, tmp_path):
    """The ensemble sums every comparison, so one in a corner (its aperture partly off each frame) left
    rel_flux_T1 empty on every frame, and the only lines about it were a 'skipped' per frame."""
    paths, regions, _ = sequence
    with_corner = tmp_path / "corner.reg"
    with_corner.write_text(Path(regions).read_text() + "circle(1.5,2.0,6) # text={Corner star}\n")
    done = series_cli(*paths[:4], "--regions", with_corner, "--target", "Target", "--comparisons",
                      "Comp1,Corner star,Comp2")
    assert "note: rel_flux_T1 is missing on 4 of the 4 frames where the target was measured, as a comparison is " \
           "missing there: Corner star (C3) on 4; measured on every one: Comp1, Comp2 (--comparisons Comp1,Comp2)\n" \
           in done.stderr
    done = series_cli(*paths[:4], "--regions", with_corner, "--target", "Target", "--comparisons", "Comp1,Comp2")
    assert done.returncode == 0 and "rel_flux_T1 is missing" not in done.stderr


def test_a_star_off_some_frames_is_missing_there(tmp_path):
    paths, regions, truth = make_sequence(tmp_path, n_frames=12, shape=(128, 128), n_stars=3)
    from astropy.wcs import WCS

    x, y = truth["positions"][2]
    sky = WCS(fits.getheader(paths[0])).pixel_to_world(x, y)
    lines = regions.read_text().splitlines()
    mixed = tmp_path / "mixed.reg"  # Comp2 in sky coordinates: it follows each frame's WCS
    mixed.write_text("\n".join(lines[:3]) + f"\nfk5\ncircle({sky.ra.deg},{sky.dec.deg},3\") # text={{Comp2}}\n")
    for path in paths[6:]:  # later frames' WCS put Comp2 300 pixels away
        with fits.open(path, mode="update") as hdul:
            hdul[0].header["CRPIX1"] += 300
    out = tmp_path / "lc.ecsv"
    done = series_cli(*paths, "--regions", mixed, "--target", "Target", "--comparisons", "Comp1,Comp2",
                      "--aperture", "4", "-o", out)
    assert done.returncode == 1
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 4 and all("Comp2 (C3) on frame_00" in line for line in skipped)
    assert skipped[3].startswith("skipped: 3 more frames like ")  # three alike in full, then counted
    assert skipped[3].endswith(": frame_0009.fits, frame_0010.fits, frame_0011.fits")
    table = Table.read(out)
    assert len(table) == 12
    missing = np.isnan(table["Source-Sky_C3"])
    assert list(missing) == [False] * 6 + [True] * 6
    assert list(np.isnan(table["rel_flux_T1"])) == list(missing)  # the ensemble needs every comparison
    assert np.isfinite(table["Source-Sky_T1"]).all() and np.isfinite(table["Source-Sky_C2"]).all()


def test_a_star_partly_off_the_frame_is_missing_with_the_share():
    yy, xx = np.mgrid[:64, :64]
    frame = from_array(100.0 + 5000.0 * np.exp(-((xx - 2.0) ** 2 + (yy - 30.0) ** 2) / 4.5), "f1")
    apertures = Apertures(4.0, 8.0, 14.0)
    edge = starphot.measure(frame, 2.0, 30.0, apertures, Detector(), None, "Star (T1) on f1", moves=False)
    # the circle's centre 2.5 pixels from the frame's edge (x = -0.5): a segment 1.5 pixels deep is off it
    segment = 16 * math.acos(2.5 / 4) - 2.5 * math.sqrt(16 - 2.5**2)
    assert edge.problem == f"Star (T1) on f1: {segment / (16 * math.pi):.0%} of the aperture lies off the frame"
    assert math.isnan(edge.source_sky)  # not a flux 13% short, which the light curve would draw as a dip
    inside = starphot.measure(frame, 3.5, 30.0, apertures, Detector(), None, "Star (T1) on f1", moves=False)
    assert inside.problem is None and inside.n_src == pytest.approx(16 * math.pi)  # touches the edge: whole


def test_the_readme_example_runs(tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = text.split("<!-- series-example -->", 1)[1].split("```sh", 1)[1].split("```", 1)[0].strip()
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands[0].startswith(".venv/bin/python -m tui.demo_series") and commands[1].startswith("aperphot-tui")
    script = "\n".join([commands[0].replace(".venv/bin/python", sys.executable, 1),
                         commands[1].replace("aperphot-tui", f"{sys.executable} -m tui", 1)])
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "fit: depth" in done.stderr and Table.read(tmp_path / "lc.ecsv").meta["fit"]["t0"] > 2.46e6
