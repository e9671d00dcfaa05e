"""Keys typed ahead (tui/app/typeahead.py). Over SSH, keys typed while the screen lags arrive together; the driver
posts them to the app at once, as these tests do. Each must reach what it was typed for, in order: the field a Tab
moved to, a dialog still being built, the main screen once the dialog the Enter closed is gone."""

import time

import pytest
from textual import events

from tests.app.conftest import ready
from tui.core import read_results


def burst(app, *keys: str) -> None:
    """Keys posted to the app together, as the terminal driver posts what it read in one go."""
    special = {"tab": "\t", "enter": "\r"}
    for key in keys:
        app.post_message(events.Key(key, special.get(key, key if len(key) == 1 else None)))


async def settle(app, pilot) -> None:
    for _ in range(8):
        await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_form_filled_in_one_burst_then_f5_measures_the_new_region(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        burst(app, "ctrl+n", "tab", "8", "0", "tab", "9", "0", "tab", "6", "tab", "tab", "tab", "T", "enter", "f5")
        await settle(app, pilot)
        row = app.session.result_rows[-1]
        assert row["subset_label"] == "T"  # not the region selected before the Enter added T
        assert (row["xcenter"].value, row["ycenter"].value) == pytest.approx((80, 90), abs=1e-6)
        assert len(app.session.result_rows) == 1


async def test_a_name_typed_into_the_export_dialog_as_it_opens_is_the_file_written(make_app, tmp_path):
    app = make_app()
    target = tmp_path / "typed.csv"
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        burst(app, "f5", "ctrl+s", *str(target), "enter", "ctrl+n")
        await settle(app, pilot)
        assert target.exists() and not list(tmp_path.glob("aperphot_results_*"))
        assert list(read_results(target)["subset_label"]) == ["Star A"]
        assert type(app.screen).__name__ == "RegionFormScreen"  # ctrl+n came after the export, not over it
        assert len(app.screen_stack) == 2


async def test_on_a_screen_that_never_falls_quiet_keys_wait_a_moment_only(make_app):
    """A busy screen (a light curve being measured posts to its widgets all the time) is never quiet: keys wait
    MAX_WAIT at most, then all go on in order, so that 20 repeats of an arrow key held down act within a moment,
    not one every MAX_WAIT."""
    from textual.message import Message

    from tui.app.typeahead import MAX_WAIT, NEW_SCREEN_WAIT

    class Tick(Message):
        """Handled by nobody: the widget has one message after another to deal with."""

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        thumbnail = app.screen.query_one("#thumbnail")
        thumbnail.focus()
        await pilot.press("right")  # the screen settles
        app.set_interval(0.001, lambda: [thumbnail.post_message(Tick()) for _ in range(50)])
        x = thumbnail.cursor[0]
        step = thumbnail._picture.geo.scale
        started = time.monotonic()
        burst(app, *["right"] * 20)
        while thumbnail.cursor[0] < x + 20 * step - 1e-9 and time.monotonic() - started < 10:
            await pilot.pause(0.01)
        assert thumbnail.cursor[0] == pytest.approx(x + 20 * step)
        assert time.monotonic() - started < 3 * MAX_WAIT + 0.5 < 20 * MAX_WAIT
        burst(app, "tab", "shift+tab", "shift+tab")  # from the image: the table, the image again, the result
        started = time.monotonic()
        while time.monotonic() - started < NEW_SCREEN_WAIT + 3 * MAX_WAIT:
            await pilot.pause(0.05)
        assert app.focused.id == "result"


async def test_a_path_pasted_as_the_export_dialog_opens_is_the_file_written(make_app, tmp_path):
    app = make_app()
    target = tmp_path / "pasted.ecsv"
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        burst(app, "f5", "ctrl+s")
        app.post_message(events.Paste(str(target)))
        burst(app, "enter")
        await settle(app, pilot)
        assert list(read_results(target)["subset_label"]) == ["Star A"]
