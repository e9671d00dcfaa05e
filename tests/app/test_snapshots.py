"""Snapshots of the main screen (pytest-textual-snapshot; plain `def` tests). Update: pytest --snapshot-update"""

import pytest

from tui.app.app import AperPhotApp
from tui.demo import demo_files


@pytest.fixture
def app(tmp_path):
    def make(ascii_mode=False):
        images, regions = demo_files()
        return AperPhotApp(images=images, region_files=regions, ascii_mode=ascii_mode,
                           state_dir=str(tmp_path / "state"))
    return make


async def loaded_and_calculated(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("f5")
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


def test_main_screen_80x24(snap_compare, app):
    assert snap_compare(app(), terminal_size=(80, 24), run_before=loaded_and_calculated)


def test_main_screen_120x40(snap_compare, app):
    assert snap_compare(app(), terminal_size=(120, 40), run_before=loaded_and_calculated)


def test_ascii_mode_80x24(snap_compare, app):
    assert snap_compare(app(ascii_mode=True), terminal_size=(80, 24), run_before=loaded_and_calculated)


async def full_screen_image(pilot):
    await loaded_and_calculated(pilot)
    await pilot.press("f8")
    await pilot.pause()
    await pilot.pause()


def test_image_view_80x24(snap_compare, app):
    assert snap_compare(app(), terminal_size=(80, 24), run_before=full_screen_image)


async def many_results_scrolled(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for subset in ("Star A", "Galaxy", "Star B box", "Star C"):
        pilot.app.select_subset(subset)
        await pilot.press("f5")
    pilot.app.main("#results").focus()
    for _ in range(3):
        await pilot.press("right")  # a column a press: the first three leave, and a marker says so
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


def test_table_with_many_columns_120x40(snap_compare, app):
    assert snap_compare(app(), terminal_size=(120, 40), run_before=many_results_scrolled)


async def profile_view(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("f6")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_profile_view_80x24(snap_compare, app):
    assert snap_compare(app(), terminal_size=(80, 24), run_before=profile_view)


async def crowded_field(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_crowded_catalogue_80x24(snap_compare, crowded, tmp_path):
    image, regions = crowded
    app = AperPhotApp(images=[image], region_files=[regions], state_dir=str(tmp_path / "state"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=crowded_field)


async def light_curve_fitted(pilot):
    from tests.app.conftest import light_curve_fitted, light_curve_measured

    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("f9")
    await light_curve_measured(pilot.app, pilot)
    await pilot.press("f")
    await light_curve_fitted(pilot.app, pilot)
    await pilot.press("home", "right", "right", "right", "x")  # an excluded frame, fitted again without it
    await light_curve_fitted(pilot.app, pilot)
    await pilot.press("b", "b")  # points binned by 5
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_light_curve_with_a_fitted_transit(snap_compare, sequence, tmp_path, size):
    pytest.importorskip("exoplanet_core")
    paths, regions, _ = sequence
    app = AperPhotApp(images=paths, region_files=[regions], state_dir=str(tmp_path / "state"))
    assert snap_compare(app, terminal_size=size, run_before=light_curve_fitted)
