"""The profile view (F6), recentring (F7, r) and profile exports, driven by keys (issue 6)."""

import pytest

from tests.app.conftest import press_and_settle, ready, screen_text, type_text
from tests.conftest import over_subtracted_files
from tests.app.test_workflow import choose, open_palette_command
from tui.app.screens.profile import ProfileScreen
from tui.app.widgets.plot import Figure, Marker, Series, render_figure
from tui.core import read_results


async def open_profile(app, pilot):
    await press_and_settle(app, pilot, "f6")


async def test_profile_view_shows_the_sessions_numbers_and_returns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await open_profile(app, pilot)
        assert isinstance(app.screen, ProfileScreen)
        expected = app.session.profile_summary()
        text = screen_text(app)
        assert "Profile of Star A on jwst_nircam_demo[SCI,1]" in text
        summary = str(app.screen.query_one("#profile-summary").render())
        assert f"Gaussian FWHM {expected['fit']['fwhm'].value:.2f} pix" in summary
        assert f"moments FWHM {expected['moment_fwhm'].value:.2f} pix" in summary  # photutils' ApertureStats
        assert expected["text"] in summary and f"the aperture holds {expected['aperture_fraction']:.1%}" in summary
        assert "radial profile [MJy/sr]" in text and "curve of growth" in text and "|aperture" in text
        dx, dy = expected["centroid_offset"]
        assert f"centroid offset dx {dx:+.2f} dy {dy:+.2f} pix" in summary
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ProfileScreen)


async def test_an_aperture_whose_moments_describe_no_shape_says_so(make_app, tmp_path):
    """An over-subtracted core in a ring of light: net negative flux, a covariance that is not positive
    semidefinite, so no moment FWHM (photutils 3.1 gives NaN) and no share of the flux: said in words, not
    'nan pix' and 'nan%'."""
    images, regions = over_subtracted_files(tmp_path)
    app = make_app(images=images, regions=regions)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await open_profile(app, pilot)
        summary = str(app.screen.query_one("#profile-summary").render())
        assert "no moments FWHM (the moments describe no shape)" in summary and "nan" not in summary.split("·")[1]
        assert "no curve of growth: the sum within r=" in summary and "nan" not in screen_text(app)


async def test_profile_view_follows_subset_and_data_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await open_profile(app, pilot)
        await pilot.press("n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        subset = app.session.selected_subset
        assert subset != "Star A" and f"Profile of {subset} on" in screen_text(app)
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.selected_data == "hst_acs_demo[SCI,1]"
        assert f"Profile of {subset} on hst_acs_demo[SCI,1]" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#data").value == "hst_acs_demo[SCI,1]"  # the main screen followed
        assert app.screen.query_one("#subset").value == subset


async def test_a_bad_subset_gets_a_message_in_the_view(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await choose(pilot, "data", "plain_demo[PRIMARY,1]")  # the sky regions cannot apply: no WCS
        await open_profile(app, pilot)
        assert "Star A is in sky coordinates but plain_demo[PRIMARY,1] has no celestial WCS" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("f5")  # the rest of the app is untouched
        await pilot.pause()
        assert app.is_running


async def test_recentre_moves_the_subset_and_says_how_far(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        x, y = app.session.centroid()
        await pilot.press("f7")
        await pilot.pause()
        after = app.session.pixel_region("Star A", app.session.selected_data).center
        assert (after.x, after.y) == pytest.approx((x, y), abs=1e-6)
        assert any(n.title == "Recentred" and "Star A moved" in n.message for n in app._notifications)
        thumb = app.screen.query_one("#thumbnail")
        drawn = [o for o in thumb._overlays.overlays if o.label == "Star A"][0]
        assert (drawn.region.center.x, drawn.region.center.y) == pytest.approx((x, y), abs=1e-6)
        await open_profile(app, pilot)
        await pilot.press("r")  # again from the view: already centred, it hardly moves
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "centroid offset dx +0.00 dy +0.00 pix" in screen_text(app) or \
               "centroid offset dx -0.00" in screen_text(app)


async def test_export_the_profile_and_the_curve_of_growth(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await open_profile(app, pilot)  # ctrl+s in the profile view offers the profile first, named for it
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.tables[0][0] == "radial profile of Star A on jwst_nircam_demo[SCI,1]"
        assert app.screen.query_one("#path").value == "profile_Star_A.ecsv"
        assert "Export to" in screen_text(app) and "Export results to" not in screen_text(app)
        await choose(pilot, "which", "curve of growth of Star A on jwst_nircam_demo[SCI,1]", value=2)
        assert app.screen.query_one("#path").value == "growth_Star_A.ecsv"  # the name offered follows the pick
        await pilot.press("escape")
        await press_and_settle(app, pilot, "v")  # every pixel shown: that profile comes first, and is written
        points = app.screen.query_one("#profile-plot").figure.series[0]
        assert "radial profile, every pixel [MJy/sr]" in screen_text(app) and ". pixel" in screen_text(app)
        assert points.x.size == len(app.session.radial_profile(raw=True))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.tables[0][0] == "radial profile of Star A on jwst_nircam_demo[SCI,1], every pixel"
        app.screen.query_one("#path").value = str(tmp_path / "raw.ecsv")
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await pilot.pause()
        raw = read_results(tmp_path / "raw.ecsv")
        assert len(raw) == len(app.session.radial_profile(raw=True)) and list(raw.colnames) == ["radius", "profile"]
        await pilot.press("escape")
        await pilot.press("f5")  # with results, the main screen offers them first and the profiles after
        for which, name in (("radial profile of Star A", "prof.csv"), ("curve of growth of Star A", "cog.ecsv")):
            await pilot.press("ctrl+s")
            await pilot.pause()
            labels = [text for text, _ in app.screen.tables]
            full = next(text for text in labels if text.startswith(which))
            await choose(pilot, "which", full, value=labels.index(full))
            app.screen.query_one("#path").focus()
            await type_text(pilot, str(tmp_path / name))
            await pilot.press("enter")
            await pilot.pause()
        profile = read_results(tmp_path / "prof.csv")
        growth = read_results(tmp_path / "cog.ecsv")
        expected = app.session.curve_of_growth()
        assert list(profile.colnames) == ["radius", "profile", "npix"]
        assert growth["aperture_sum"][-1].value == pytest.approx(expected["aperture_sum"][-1].value, rel=1e-12)
        await pilot.press("ctrl+s")  # the results' name, once given, is offered for the results only
        await pilot.pause()
        app.screen.query_one("#path").value = str(tmp_path / "res.ecsv")
        await pilot.press("enter")
        await pilot.pause()
        await open_profile(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.query_one("#path").value == "profile_Star_A.ecsv"  # was res.ecsv: replace it?
        await choose(pilot, "which", "current table (1 row)", value=3)
        assert app.screen.query_one("#path").value == str(tmp_path / "res.ecsv")


async def test_palette_lists_the_profile_and_recentre(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await open_palette_command(pilot, "Profile view")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)


async def test_no_color_profile_view_is_ascii(make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await open_profile(app, pilot)
        lines = screen_text(app).splitlines()
        plots = lines[5:-1]  # below the title and summary, above the footer
        assert any("|aperture" in line for line in plots)
        assert all(ord(ch) < 128 for line in plots for ch in line), [l for l in plots if any(ord(c) > 127 for c in l)]


def test_render_figure_places_points_lines_and_markers():
    import numpy as np

    figure = Figure([Series(np.array([0.0, 10.0]), np.array([0.0, 10.0]), "points", "o"),
                     Series(np.array([0.0, 10.0]), np.array([10.0, 0.0]), "line", "-")],
                    [Marker(5.0, "mid", "|")], xlabel="x", ylabel="y", ylim=(0.0, 10.0))
    lines = [str(line) for line in render_figure(figure, 40, 12)]
    assert len(lines) == 12 and all(len(line) <= 40 for line in lines)
    plot = [line[10:] for line in lines[1:10]]  # 9 plot rows, after the y labels and the axis bar
    assert plot[-1].index("o") < plot[0].index("o")  # (0, 0) bottom left of (10, 10): y limits are exact
    assert plot[0].index("-") < plot[-1].index("-")  # the falling line
    column = plot[1].index("|")
    assert all(row[column] in "|-o" for row in plot) and plot[0][column + 1: column + 4] == "mid"
    assert lines[1].startswith("      10 |") and lines[9].startswith("       0 |")


def test_marker_labels_a_few_columns_apart_both_show_whole():
    """The aperture (r=150) and the 90% radius (r=164) of a galaxy: '90%' wrote over 'aperture 89%'."""
    import numpy as np

    r = np.linspace(0.0, 315.0, 60)
    figure = Figure([Series(r, 1 - np.exp(-r / 60), "points", "o")],
                    [Marker(150.0, "aperture 89%", "|"), Marker(164.3, "90%", ":"), Marker(330.0, "edge", "|")],
                    xlabel="radius [pix]", ylabel="curve of growth")
    plot = [str(line)[10:] for line in render_figure(figure, 80, 10)[1:8]]
    aperture, r90, edge = plot[4].index("|"), plot[4].index(":"), plot[4].rindex("|")  # below the curve
    assert plot[0][aperture + 1:].startswith("aperture 89%") and "90%" not in plot[0]
    assert plot[1][r90 + 1:].startswith("90%")  # a row lower, right of its own line
    assert plot[0][:edge].endswith("edge")  # no room on its right: left of its line


def test_an_axis_label_that_hides_ticks_goes_to_the_top_line():
    """A time axis in the light curve's 55-column plot kept two of its five ticks beside "BJD_TDB-2460999"."""
    import numpy as np

    t = np.linspace(0.6675, 0.755, 120)
    figure = Figure([Series(t, 1 - 0.01 * np.exp(-((t - 0.71) / 0.01) ** 2), "points", "o")],
                    xlabel="BJD_TDB-2460999", ylabel="relative flux", legend="o flux  - transit", x_from_zero=False)
    lines = [str(line) for line in render_figure(figure, 55, 10)]
    assert lines[0].startswith("relative flux vs BJD_TDB-2460999") and lines[0].rstrip().endswith("- transit")
    ticks = lines[-1].split()
    assert len(ticks) == 5 and [float(v) for v in ticks] == sorted(float(v) for v in ticks)
    assert all(len(line) <= 55 for line in lines)
    # with no room on top beside a long legend, and three ticks left, the label stays under the axis
    busy = Figure(figure.series, xlabel="BJD_TDB-2460999", ylabel="detrended flux", x_from_zero=False,
                  legend="o flux  - transit  x excluded  O bin 5")
    lines = [str(line) for line in render_figure(busy, 55, 10)]
    assert "vs" not in lines[0] and lines[-1].rstrip().endswith("  BJD_TDB-2460999") and len(lines[-1].split()) == 4


def test_time_ticks_take_the_decimals_their_spacing_needs():
    """A 25-second burst of a cube's planes, in days after the JD offset, read 0.625 at every tick."""
    import numpy as np

    t = 0.625 + np.arange(50) * 0.5 / 86400
    figure = Figure([Series(t, np.ones(50), "points", "o")], xlabel="JD_UTC-2460676", ylabel="relative flux",
                    x_from_zero=False, xfixed=True)
    ticks = [str(line) for line in render_figure(figure, 55, 10)][-1].split()
    assert len(ticks) == 5 and len(set(ticks)) == 5 and ticks[0] == "0.62499"
    assert [float(v) for v in ticks] == sorted(float(v) for v in ticks)
    night = Figure([Series(np.linspace(0.6675, 0.755, 120), np.ones(120))], xlabel="BJD_TDB-2460999",
                   ylabel="relative flux", x_from_zero=False, xfixed=True)
    assert [str(line) for line in render_figure(night, 55, 10)][-1].split()[:2] == ["0.663", "0.687"]  # as before


def test_the_fitters_are_imported_in_the_background_once_the_screen_is_up(tmp_path):
    """The first F6 would otherwise wait about 0.3 s for astropy.modeling and scipy.optimize. In a fresh process
    (this one has imported them already): not imported when the app is ready, imported a second and a bit later,
    with no key pressed."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import asyncio, sys
        from tui.app.app import AperPhotApp

        async def main():
            app = AperPhotApp(state_dir={str(tmp_path / "state")!r})
            async with app.run_test(size=(80, 24)) as pilot:
                await app.workers.wait_for_complete()
                await pilot.pause()
                assert app.session is not None
                print("at once", "astropy.modeling.fitting" in sys.modules, "scipy.optimize" in sys.modules)
                await asyncio.sleep(1.5)
                await app.workers.wait_for_complete()
                print("later", "astropy.modeling.fitting" in sys.modules, "scipy.optimize" in sys.modules)

        asyncio.run(main())
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == ["at once False False", "later True True"]
