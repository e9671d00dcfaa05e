"""Hostile labels and file names on screen, a full disk and damaged journals, driven as a user would (issue 12)."""

import os

import numpy as np
from astropy.io import fits

from tests.app.conftest import ready, screen_text
from tests.core.test_hostile import HOSTILE, TERMINAL_ACTIVE, damaged_journal
from tui.app.widgets.results_table import ResultsTable


def hostile_files(tmp_path):
    image = tmp_path / "img\x1b]0;PWNED\x07.fits"
    yy, xx = np.mgrid[0:60, 0:80]
    fits.PrimaryHDU((10 + 100 * np.exp(-((xx - 30) ** 2 + (yy - 30) ** 2) / 8)).astype(np.float32)).writeto(image)
    reg = tmp_path / "hostile.reg"
    reg.write_text("image\n" + "".join(f"circle({10 + 6 * i},30,3) # text={{{label}}}\n"
                                       for i, label in enumerate(HOSTILE)), encoding="utf-8")
    return image, reg


def assert_inert(text: str) -> None:
    found = [repr(ch) for ch in TERMINAL_ACTIVE if ch in text]
    assert not found, found


async def test_hostile_labels_and_file_name_are_shown_inert(make_app, tmp_path):
    image, reg = hostile_files(tmp_path)
    app = make_app(images=[str(image)], regions=[str(reg)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        for label in HOSTILE:
            app.session.select_subset(label)
            await pilot.press("f5")
            await pilot.pause()
        assert len(app.session.result_rows) == len(HOSTILE)
        assert app.is_running  # the [@click=app.quit] label did not act
        text = screen_text(app)
        assert_inert(text)
        assert "img\\x1b]0;PWNED\\x07[PRIMARY,1]" in text  # the data label, escaped
        app.screen.query_one("#subset").focus()
        await pilot.press("enter")  # the open list shows every label
        await pilot.pause()
        listed = screen_text(app)
        assert_inert(listed)
        assert "[bold red]x[/]" in listed and "[@click=app.quit]quit[/]" in listed  # markup shown literally
        assert "A\\x1b]0;PWNED\\x07B" in listed and "\\u202eevil\\u2066iso\\u2069" in listed
        await pilot.press("escape")
        app.notify(f"about {HOSTILE[0]} and {HOSTILE[8]}")  # toasts quote file text too
        await pilot.pause()
        assert_inert(screen_text(app))
        table = app.screen.query_one(ResultsTable)
        cells = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
        assert_inert(" ".join(cells))
        assert app.session.result_rows[0]["subset_label"] == HOSTILE[0]  # the data itself is exact


async def test_a_full_disk_shows_a_lasting_warning_and_loses_nothing(make_app, tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    live = state / f"live-{os.getpid()}.jsonl"
    live.symlink_to("/dev/full")  # the journal's writes fail with ENOSPC, as on a full disk
    app = make_app(state_dir=str(state))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert len(app.session.result_rows) == 2 and app.screen.query_one(ResultsTable).row_count == 2
        text = screen_text(app)
        assert "Results are not being journaled: No space left on device" in text
        assert "ctrl+s exports them" in text
        await pilot.pause(1)
        assert "Results are not being journaled" in screen_text(app)  # not a toast that goes away
        live.unlink()  # space again
        await pilot.press("f5")
        await pilot.pause()
        assert "not being journaled" not in screen_text(app)
        from tui.core.journal import read_journal
        assert len(read_journal(live).rows) == 3  # the two missed rows were written too
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert "3 results were not exported. They stay in the journal" in screen_text(app)  # quitting still asks


async def test_a_journal_folder_that_is_a_file_is_said_and_keeps_being_said(make_app, tmp_path):
    """It was "can be read by other users (mode 644)", and after F5 nothing at all, while nothing was journaled."""
    state = tmp_path / "state"
    state.write_text("a file where the journal's folder should be")
    state.chmod(0o644)
    app = make_app(state_dir=str(state))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        warning = f"Results are not being journaled: a file, not a folder ({state})"
        assert warning in " ".join(screen_text(app).split())  # wrapped over lines
        assert not any("other users" in n.message for n in app._notifications)
        await pilot.press("f5")
        await pilot.pause()
        assert warning in " ".join(screen_text(app).split()) and len(app.session.result_rows) == 1
        state.unlink()  # the folder can be made now: the next calculate journals both rows
        await pilot.press("f5")
        await pilot.pause()
        assert "not being journaled" not in screen_text(app)
        from tui.core.journal import read_journal
        assert len(read_journal(state / f"live-{os.getpid()}.jsonl").rows) == 2


async def test_resume_from_a_damaged_journal_restores_the_good_rows(make_app, tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    damaged = damaged_journal(state)
    damaged.rename(state / "done-20260101-000000-1.jsonl")
    app = make_app(state_dir=str(state), resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert len(app.session.result_rows) == 4
        messages = " ".join(n.message for n in app._notifications)
        assert "restored 4 results, skipped 13 damaged lines" in messages
        assert list(state.glob("*.damaged"))
    app = make_app(state_dir=str(state))  # the next start: nothing to offer, nothing to skip
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert "skipped" not in " ".join(n.message for n in app._notifications)


async def test_a_state_folder_others_can_read_gets_a_notice(make_app, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(state, 0o755)
    app = make_app(state_dir=str(state))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert any("can be read by other users (mode 755)" in n.message for n in app._notifications)
