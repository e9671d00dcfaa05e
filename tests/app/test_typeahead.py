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


async def test_a_screen_that_never_falls_quiet_holds_each_key_a_moment_only(make_app):
    """A busy screen (a light curve being measured posts to its widgets all the time) is never quiet: each key
    waits MAX_WAIT at most, then goes on, in order."""
    from textual.message import Message

    from tui.app.typeahead import MAX_WAIT

    class Tick(Message):
        """Handled by nobody: the widget has one message after another to deal with."""

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        thumbnail = app.screen.query_one("#thumbnail")
        app.set_interval(0.001, lambda: thumbnail.post_message(Tick()))
        focused = app.focused
        started = time.monotonic()
        burst(app, "tab", "tab", "shift+tab")
        while app.focused is focused and time.monotonic() - started < 10:
            await pilot.pause(0.01)
        for _ in range(int(3 * MAX_WAIT / 0.01)):
            await pilot.pause(0.01)
        assert app.focused.id == "subset"  # Data, then Subset, Background, and back to Subset


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
