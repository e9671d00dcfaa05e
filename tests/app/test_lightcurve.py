"""The light-curve view (F9) on a synthetic night, driven by keys (issue 18): the ensemble toggled without measuring
again, frames excluded, a transit fitted and exported, the light curve taken back after leaving or a crash, and the
bad cases (no comparisons, frames without times, a star lost on some frames)."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tests.app.conftest import light_curve_fitted, light_curve_measured, ready, screen_text, type_text
from tests.app.test_workflow import open_palette_command
from tests.conftest import site_written_west_positive
from tui.app.screens.lightcurve import LightCurveScreen, percent5
from tui.core import read_results
from tui.core.lightcurve import fit_table

pytest.importorskip("exoplanet_core")


def notices(app) -> str:
    return " ".join(str(n.message) for n in app._notifications)


def relative(flux, comps):
    """AstroImageJ's rel_flux_T1 by hand: the target over the sum of the comparisons, normalised to its median."""
    rel = flux[:, 0] / flux[:, comps].sum(axis=1)
    return rel / np.median(rel[np.isfinite(rel)])


async def test_f9_measures_every_frame_and_space_changes_the_ensemble_without_measuring_again(make_app, sequence):
    paths, regions, _ = sequence
    app = make_app(images=paths, regions=[regions])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert app.session.selected_subset == "Target"
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        screen = app.screen
        assert isinstance(screen, LightCurveScreen)
        curve, series = screen.curve, screen.curve.series
        text = screen_text(app)
        assert "Light curve of Target (T1) on 60 frames" in text and "60/60 frames" in text
        assert [line.split()[2] for line in text.splitlines() if "Comp" in line and "comp" in line] != []
        flux = series.data["source_sky"]
        np.testing.assert_allclose(curve.curve().flux, relative(flux, [1, 2, 3]), rtol=1e-12)

        measured = list(series.results)
        await pilot.press("space")  # the cursor starts on the first comparison (C2 = Comp1)
        await pilot.pause()
        assert curve.role(1) == "off" and curve.comparisons == [2, 3]
        np.testing.assert_allclose(curve.curve().flux, relative(flux, [2, 3]), rtol=1e-12)
        assert all(a is b for a, b in zip(measured, series.results))  # not one frame measured again
        row = next(line for line in screen_text(app).splitlines() if "Comp1" in line)
        assert " off " in row
        await pilot.press("down", "space")  # Comp2 out as well
        await pilot.pause()
        np.testing.assert_allclose(curve.curve().flux, relative(flux, [3]), rtol=1e-12)
        await pilot.press("up", "space", "down", "space")  # both back in
        await pilot.pause()
        assert curve.comparisons == [1, 2, 3]

        await pilot.press("home")  # the time cursor reads out the frame under it
        await pilot.pause()
        readout = str(screen.query_one("#lc-readout").content)
        value = curve.curve().flux[0]
        assert readout.startswith(f"frame 1/60  BJD_TDB {series.bjd_tdb[0]:.5f}  rel flux {value:.5f}")
        assert readout.endswith("  frame_0000.fits")  # the name last: a long one cuts nothing that matters
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LightCurveScreen)


async def test_exclude_fit_export_and_copy(make_app, sequence, tmp_path):
    paths, regions, truth = sequence
    app = make_app(images=paths, regions=[regions])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        screen = app.screen
        curve, series = screen.curve, screen.curve.series
        await pilot.press("f")
        await light_curve_fitted(app, pilot)
        first = curve.fitted
        assert first is not None
        assert abs(first.t0 - truth["t0"]) < 3 * first.t0_err
        fit_text = str(screen.query_one("#lc-fit").render())
        assert f"t0 {first.t0:.5f}±{first.t0_err:.5f} BJD_TDB" in fit_text and "detrend" in fit_text
        assert "residuals" in screen_text(app)  # the lower panel shows them once fitted
        told = [n for n in app._notifications if n.title == "Fitted"]
        assert len(told) == 1 and "ctrl+y copies the fit's summary" in told[0].message

        await pilot.press("home", *["right"] * 5, "x")  # frame 6 excluded: the fit runs again without it
        await light_curve_fitted(app, pilot)
        assert curve.excluded.tolist() == [k == 5 for k in range(60)]
        expected = fit_table(series.table(comparisons=[1, 2, 3]), "auto", use=~curve.excluded)
        assert curve.fitted is not first and curve.fitted.t0 == expected.t0 and curve.fitted.bic == expected.bic
        assert "1 excluded" in screen_text(app) and "EXCLUDED" in str(screen.query_one("#lc-readout").content)
        assert len([n for n in app._notifications if n.title == "Fitted"]) == 1  # the refit does not say it again

        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.clipboard == curve.fitted.summary()

        await pilot.press("ctrl+s")
        await pilot.pause()
        field = app.screen.query_one("#path")
        assert field.value == "lightcurve_Target.ecsv"
        field.value = ""
        await type_text(pilot, str(tmp_path / "lc.ecsv"))
        await pilot.press("enter")
        await pilot.pause()
        table = read_results(tmp_path / "lc.ecsv")
        assert len(table) == 60 and table["excluded"].tolist() == curve.excluded.tolist()
        flux = series.data["source_sky"]
        np.testing.assert_allclose(table["rel_flux_T1"], flux[:, 0] / flux[:, 1:].sum(axis=1), rtol=1e-12)
        assert table.meta["fit_summary"] == curve.fitted.summary()
        assert table.meta["fit"]["t0"] == curve.fitted.t0 and table.meta["comparisons"] == ["C2", "C3", "C4"]
        np.testing.assert_array_equal(table["transit_model"], curve.fitted.model)


async def test_measured_frames_and_choices_come_back_without_measuring(make_app, sequence):
    paths, regions, _ = sequence
    app = make_app(images=paths, regions=[regions])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        await pilot.press("space", "home", "right", "right", "x")
        await pilot.pause()
        first = {name: values.copy() for name, values in app.screen.curve.series.data.items()}
    again = make_app(images=paths, regions=[regions], resume=True)
    async with again.run_test(size=(100, 30)) as pilot:
        await ready(again, pilot)
        await pilot.press("f9")
        await light_curve_measured(again, pilot)
        curve = again.screen.curve
        assert curve.series.done.all() and all(result is None for result in curve.series.results)  # none measured
        for name, values in first.items():  # positions pass through ImageJ's convention: within an ulp
            np.testing.assert_allclose(curve.series.data[name], values, rtol=2e-16 if name in "xy" else 0, atol=0)
        assert curve.comparisons == [2, 3] and np.flatnonzero(curve.excluded).tolist() == [2]
        assert "60 frames taken back from the state folder" in notices(again)


async def test_a_target_without_comparisons_is_told_so(make_app, sequence, tmp_path):
    paths, regions, _ = sequence
    lonely = tmp_path / "one.reg"
    lonely.write_text("image\n" + next(line for line in open(regions) if "Target" in line))
    app = make_app(images=paths[:10], regions=[str(lonely)])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        assert "no comparison stars" in screen_text(app)
        await pilot.press("x", "f")  # keys say what is missing instead of failing
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LightCurveScreen)


async def test_frames_without_times_are_named_and_left_out(make_app, sequence, tmp_path):
    paths, regions, _ = sequence
    copies = []
    for k, path in enumerate(paths[:8]):
        copies.append(str(shutil.copy(path, tmp_path)))
        if k in (2, 5):
            with fits.open(copies[-1], mode="update") as hdul:
                del hdul[0].header["DATE-OBS"]
    app = make_app(images=copies, regions=[regions])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        assert len(app.screen.curve.series.frames) == 6
        assert "2 frames without a time left out (frame_0002.fits, frame_0005.fits)" in notices(app)


async def test_a_star_lost_on_some_frames_leaves_those_points_missing(make_app, sequence, tmp_path):
    paths, regions, truth = sequence
    copies = [str(shutil.copy(path, tmp_path)) for path in paths[:20]]
    x, y = truth["positions"][1]  # Comp1: a satellite trail's NaNs over it on frames 10 to 12
    for k in (10, 11, 12):
        with fits.open(copies[k], mode="update") as hdul:
            hdul[0].data[int(y) - 20: int(y) + 20, int(x) - 20: int(x) + 20] = np.nan
    app = make_app(images=copies, regions=[regions])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        curve = app.screen.curve
        view = curve.curve()
        assert np.flatnonzero(view.missing).tolist() == [10, 11, 12]
        assert "? missing" in screen_text(app)
        await pilot.press("home", *["right"] * 10)
        await pilot.pause()
        readout = str(app.screen.query_one("#lc-readout").content)
        assert readout.startswith("frame 11/20  ") and "missing: Comp1 (C2) on frame_0010.fits" in readout
        assert readout.count("frame_0010.fits") == 1  # named once, in the reason
        await pilot.press("space")  # Comp1 out of the ensemble: those frames have a relative flux again
        await pilot.pause()
        assert not curve.curve().missing.any()



async def test_a_frame_cut_short_is_not_shown_as_selected_and_is_a_missing_point(make_app, sequence, tmp_path):
    """Its header reads whole, so it is listed; its pixels fail when it is shown or measured. The Data selector
    went on naming it while the image, and what F5 measured, stayed the one before."""
    from textual.widgets import Select

    paths, regions, _ = sequence
    copies = [str(shutil.copy(path, tmp_path)) for path in paths[:16]]  # more than 12: read when shown
    whole = Path(copies[3]).read_bytes()
    Path(copies[3]).write_bytes(whole[:len(whole) // 2])
    app = make_app(images=copies, regions=[regions])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        labels = list(app.frames)
        app.main("#data", Select).value = labels[3]
        await pilot.pause()
        told = [n.message for n in app._notifications if n.title == "Not loaded"]
        assert len(told) == 1 and "could not read the image (the file is cut short" in told[0]
        assert app.main("#data", Select).value == labels[0] == app.session.selected_data
        await pilot.press("f5")
        await pilot.pause()
        assert [row["data_label"] for row in app.session.result_rows] == [labels[0]]
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        assert np.flatnonzero(app.screen.curve.curve().missing).tolist() == [3]
        await pilot.press("home", *["right"] * 3)
        await pilot.pause()
        readout = str(app.screen.query_one("#lc-readout").content)
        assert readout.startswith("frame 4/16  ") and "the file is cut short" in readout

async def test_f9_needs_a_sequence_and_is_in_the_palette_and_help(make_app, sequence, demo):
    app = make_app(images=demo[0][:1])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await pilot.pause()
        assert not isinstance(app.screen, LightCurveScreen)
        assert "A light curve needs a sequence" in notices(app)
        await pilot.press("f1", "pagedown")
        await pilot.pause()
        assert any("F9" in line and "light curve" in line for line in screen_text(app).splitlines())
    paths, regions, _ = sequence
    app = make_app(images=paths[:12], regions=[regions])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await open_palette_command(pilot, "Light curve")
        await light_curve_measured(app, pilot)
        assert isinstance(app.screen, LightCurveScreen)
        assert "Calculate" not in screen_text(app).splitlines()[-1]  # the footer shows this screen's keys
        await pilot.press("f1")  # the help opens at this view's keys
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert "Help: Light curve · Home: from the start" in lines[1]
        assert "Light curve (F9" in lines[2] and "space" in screen_text(app) and "Workflow" not in screen_text(app)


async def test_a_cube_opens_as_a_sequence_of_its_integrations(make_app, tmp_path):
    from tui.demo_series import make_cube

    cube, regions, _ = make_cube(tmp_path, n_int=30)
    app = make_app(images=[str(cube)], regions=[str(regions)])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        labels = list(app.frames)
        assert len(labels) == 30 and labels[7].endswith("_calints[7]")
        assert list(app.session.images) == [labels[0]]  # the others are read when shown
        app.select_data(labels[7])
        await pilot.pause()
        assert app.session.selected_data == labels[7]
        np.testing.assert_array_equal(app.session.images[labels[7]].data, fits.getdata(cube, "SCI")[7])
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        assert app.screen.curve.series.done.all() and "BJD_TDB from the pipeline" in screen_text(app)
        await pilot.press("home", *["right"] * 7)
        await pilot.pause()
        # the plane's name is cut in the middle: its end (the plane) stays on the line with the time and flux
        line = next(line for line in screen_text(app).splitlines() if line.startswith("frame 8/30  BJD_TDB"))
        assert " ± " in line and "…" in line and line.rstrip().endswith("nrcb1_calints[7]"), line


async def test_hostile_labels_stay_inert_on_the_light_curve(make_app, sequence, tmp_path):
    paths, regions, _ = sequence
    hostile = "\x1b]0;pwned\x07[bold red]Comp"
    text = open(regions).read().replace("Comp1", hostile)
    reg = tmp_path / "hostile.reg"
    reg.write_text(text)
    app = make_app(images=paths[:13], regions=[str(reg)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        assert hostile in [s.label for s in app.screen.curve.series.stars]
        shown = screen_text(app)
        assert "\x1b" not in shown and "\x07" not in shown and "\\x1b" in shown


async def test_a_comparison_on_empty_sky_keeps_its_scatter_on_its_line(make_app, sequence, tmp_path):
    """Its relative flux scatters by hundreds of percent: the rms% must fit its five cells, not wrap the list."""
    paths, regions, truth = sequence
    grid = [(x, y) for x in range(20, 108, 4) for y in range(20, 108, 4)]
    far = max(grid, key=lambda p: min(np.hypot(p[0] - x, p[1] - y) for x, y in truth["positions"]))
    blank = tmp_path / "blank.reg"
    blank.write_text(f"image\ncircle({far[0] + 1},{far[1] + 1},4) # text={{Blank}}\n")
    app = make_app(images=paths, regions=[regions, str(blank)])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        curve = app.screen.curve
        blank_index = len(truth["positions"])  # after the target and the three comparisons
        scatter = curve.scatter()[blank_index] * 100
        assert scatter >= 100  # the case this test is about: six characters at two decimals
        lines = screen_text(app).splitlines()
        row = next(line for line in lines if "Blank" in line)
        assert row.split("▕")[0].split()[-2:] == ["comp", percent5(scatter).strip()]
        assert lines[lines.index(row) + 1].startswith("space: in/out")  # nothing wrapped onto the next line


async def test_a_fit_comes_back_with_the_curve(make_app, sequence):
    """Esc to look at the image, F9 again (or the app started again): the transit fitted before is shown again,
    made anew from the frames and choices kept, without f pressed."""
    paths, regions, _ = sequence
    app = make_app(images=paths, regions=[regions])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        await pilot.press("f")
        await light_curve_fitted(app, pilot)
        first = app.screen.curve.fitted
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        await light_curve_fitted(app, pilot)
        back = app.screen.curve.fitted
        assert back is not None and back is not first and (back.t0, back.bic) == (first.t0, first.bic)
        assert f"t0 {first.t0:.5f}±{first.t0_err:.5f}" in str(app.screen.query_one("#lc-fit").render())
    again = make_app(images=paths, regions=[regions], resume=True)
    async with again.run_test(size=(100, 30)) as pilot:
        await ready(again, pilot)
        await pilot.press("f9")
        await light_curve_measured(again, pilot)
        await light_curve_fitted(again, pilot)
        assert again.screen.curve.fitted is not None and again.screen.curve.fitted.t0 == first.t0


async def test_a_folder_opened_with_ctrl_o_joins_as_frames(make_app, sequence, tmp_path):
    """As a folder named at start: its FITS files become the sequence's frames, in time order (the region file
    beside them is not one); the images open before stay; F9 makes the light curve. A folder with no FITS file
    says so, and an unreadable file in a folder is named."""
    paths, regions, _ = sequence
    folder = str(Path(paths[0]).parent)
    (tmp_path / "empty").mkdir()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        said = []
        for path in (str(tmp_path / "empty"), folder, regions):
            app.clear_notifications()
            await pilot.press("ctrl+o")
            await pilot.pause()
            app.screen.query_one("#open-path").value = path  # typing a long path is tested elsewhere
            await pilot.press("enter")
            await pilot.pause()
            said += [n.message for n in app._notifications]
        assert f"{tmp_path / 'empty'}: is a folder with no FITS file in it (.fits, .fit or .fts)" in said
        assert f"Opened the 60 FITS files in {Path(folder).name} as frames (F9: a light curve)" in said
        data = app.screen.query_one("#data")
        labels = [value for _, value in data._options]
        assert labels[:60] == [Path(p).name for p in paths] and data.value == Path(paths[0]).name
        assert "jwst_nircam_demo[SCI,1]" in labels
        app.select_subset("Target")
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        assert len(app.screen.curve.series.results) == 60


async def test_a_fit_asked_for_before_every_frame_is_measured_follows(make_app, sequence):
    """F9 f typed at once (f before the curve is built), as f while frames are measured: it said the fit waits,
    and then never made it."""
    from tests.app.test_typeahead import burst

    paths, regions, _ = sequence
    app = make_app(images=paths, regions=[regions])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        app.select_subset("Target")
        burst(app, "f9", "f")
        await pilot.pause()
        await light_curve_measured(app, pilot)
        await light_curve_fitted(app, pilot)
        curve = app.screen.curve
        assert curve.series.done.all() and curve.fitted is not None and curve.wants_fit


async def test_stars_moved_and_toggled_with_f9_typed_at_once(make_app, sequence):
    """F9 down space typed together: the keys came before the stars were known, and were lost."""
    from tests.app.test_typeahead import burst

    paths, regions, _ = sequence
    app = make_app(images=paths, regions=[regions])
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        app.select_subset("Target")
        burst(app, "f9", "down", "space")  # the cursor starts on C2: C3 out
        await pilot.pause()
        await light_curve_measured(app, pilot)
        curve = app.screen.curve
        assert app.screen.star == 2 and [curve.role(i) for i in (1, 2, 3)] == ["comparison", "off", "comparison"]


async def test_a_site_given_on_the_command_line_serves_f9(make_app, sequence, tmp_path):
    """Frames whose SITELONG was written west-positive put the target below the horizon: F9 said so and named the
    site to give, which the app had no way to take (only `series --site` had). `--site` now serves F9 too."""
    from tui.cli import _glue_negative_numbers, app_parser, parse_files
    from tui.demo_series import SITE

    paths, regions, truth = sequence
    flipped = [str(p) for p in site_written_west_positive(paths[:4], tmp_path)]
    def parsed(*argv):
        return parse_files(app_parser(), _glue_negative_numbers(list(argv), ("--site",)))

    assert parsed("--site", "-30.24,-70.74,2715").site == (-30.24, -70.74, 2715.0)  # a leading minus: the value
    typed = f"{SITE[0]},{SITE[1]},{SITE[2]:g}"
    args = parsed(*flipped, "-r", regions, "--site", typed)
    assert args.site == SITE and args.images == flipped

    for site in (None, args.site):
        app = make_app(images=flipped, regions=[regions], site=site, state_dir=str(tmp_path / f"state{site is None}"))
        async with app.run_test(size=(100, 30)) as pilot:
            await ready(app, pilot)
            await pilot.press("f9")
            await light_curve_measured(app, pilot)
            series = app.screen.curve.series
            if site is None:
                assert "below the horizon" in notices(app) and f"the site is {typed} (--site takes it)" in notices(app)
                assert np.isnan(series.airmass).all()
            else:
                assert "horizon" not in notices(app) and series.site_source == "the site given (--site)"
                np.testing.assert_allclose(series.airmass, truth["airmass"][:4], rtol=1e-3)
