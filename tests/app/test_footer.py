"""The key footer at 80x24: on every screen and whatever is focused, the keys shown fit on the line (none runs
under the palette key), F1 is among them, and the keys of what is in front come before the app's."""

import pytest

from tests.app.conftest import light_curve_measured, ready, screen_text
from tui.app.widgets.footer import KeyFooter


def footer_line(app) -> list[str]:
    """The footer's keys as (key, description) texts, after checking that they all lie left of the palette key."""
    footer = app.screen.query_one(KeyFooter)
    keys = [k for k in footer.children if not k.has_class("-command-palette")]
    palette = footer.query_one(".-command-palette")
    assert all(k.region.right < palette.region.x for k in keys), [(k.key, k.region) for k in keys]
    line = screen_text(app).splitlines()[-1]
    assert line.rstrip().endswith("^p palette")
    return [f"{k.key_display} {k.description}" for k in keys]


@pytest.mark.parametrize("focus, first", [("#data", "f5 Calculate"), ("#thumbnail", "+/- Zoom"),
                                          ("#results", "s Sort by column")])
async def test_main_screen(make_app, focus, first):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        app.screen.query_one(focus).focus()
        for _ in range(20):  # the footer recomposes after the focus change: a frame or two, more on a busy machine
            await pilot.pause()
            if first in footer_line(app):
                break
        shown = footer_line(app)
        assert first in shown and "f1 Help" in shown
        if focus != "#data":
            assert shown.index(first) < shown.index("f1 Help")  # the focused widget's keys first


async def test_full_screens(make_app, sequence):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert {"esc Back", "+/- Zoom", "c/e/r Draw", "f1 Help"} <= set(footer_line(app))
        await pilot.press("escape", "f6")
        await pilot.pause()
        assert {"esc Back", "r Recentre", "^s Export", "f1 Help"} <= set(footer_line(app))
        await pilot.press("f6")  # F6 again returns, as F9 does from the light curve
        await pilot.pause()
        assert app.screen.query_one("#data")
    paths, regions, _ = sequence
    app = make_app(images=paths[:12], regions=[regions])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f9")
        await light_curve_measured(app, pilot)
        assert {"esc Back", "f Fit", "space In/out", "s Stop/go", "f1 Help"} <= set(footer_line(app))


async def test_a_wider_terminal_shows_more_keys_and_a_narrower_one_fewer(make_app):
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(app, pilot)
        app.screen.query_one("#thumbnail").focus()
        await pilot.pause()
        assert {"^o Open", "^s Export", "f5 Calculate"} <= set(footer_line(app))
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        shown = footer_line(app)
        assert "f1 Help" in shown and "^o Open" not in shown


async def test_drawing_a_region_shows_its_keys_and_its_size(make_app):
    """While a region is drawn at 80x24 the footer and the line under the image say how to size, turn, add and
    cancel it (the line is cut after about 33 cells, so the region's size comes first); a circle has nothing to
    turn; Esc puts the view's keys back."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        app.screen.query_one("#thumbnail").focus()
        await pilot.pause()
        assert "esc Cancel" not in footer_line(app) and "c/e/r Draw" in footer_line(app)
        await pilot.press("e", "right_square_bracket", "greater_than_sign")
        await pilot.pause()
        shown = footer_line(app)
        assert shown[:5] == ["⏎ Add", "esc Cancel", "] [ Size", "} { Height", "> < Turn"]
        draft = app.screen.query_one("#thumbnail").draft
        assert str(app.screen.query_one("#viewinfo").render()).startswith(
            f"ellipse {draft.size:.3g}×{draft.size2:.3g} px 15° · enter add · esc cancel")
        await pilot.press("escape", "c")
        await pilot.pause()
        assert footer_line(app)[:3] == ["⏎ Add", "esc Cancel", "] [ Size"] and "> < Turn" not in footer_line(app)
        radius = app.screen.query_one("#thumbnail").draft.size
        assert str(app.screen.query_one("#viewinfo").render()).startswith(f"circle r {radius:.3g} px · enter add")
        await pilot.press("escape")
        await pilot.pause()
        assert "esc Cancel" not in footer_line(app) and "c/e/r Draw" in footer_line(app)
        assert str(app.screen.query_one("#viewinfo").render()).startswith("zoom 1×")
