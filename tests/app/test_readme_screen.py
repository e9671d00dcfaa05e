"""README shows the demo at 80x24 in a terminal without colours: that picture is the app's, not an old one."""

from pathlib import Path

from tests.app.conftest import ready, screen_text

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_picture() -> list[str]:
    """The block after the line that introduces the demo at 80x24, as README prints it."""
    lines = README.read_text(encoding="utf-8").splitlines()
    intro = next(i for i, line in enumerate(lines) if line.startswith("The demo at 80x24 with `NO_COLOR=1`"))
    start = lines.index("```", intro) + 1
    return lines[start:lines.index("```", start)]


async def test_the_readme_picture_is_what_the_demo_shows_after_f5(make_app):
    app = make_app(ascii_mode=True)  # what NO_COLOR gives: the ASCII ramp
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = [line.rstrip() for line in screen_text(app).splitlines()]
    assert shown == readme_picture()
