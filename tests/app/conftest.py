import os

import pytest

# The app picks half-blocks or ASCII from the terminal's colours: tests pin a truecolor terminal so that they,
# and the snapshots, do not depend on the TERM of whoever runs them. Tests of other terminals set their own.
os.environ["TERM"] = "xterm-256color"
os.environ["COLORTERM"] = "truecolor"
os.environ.pop("NO_COLOR", None)

from tui.demo import demo_files


@pytest.fixture
def demo():
    images, regions = demo_files()
    return [str(p) for p in images], [str(p) for p in regions]


@pytest.fixture
def make_app(tmp_path, demo):
    """A fresh app on the demo files with its own journal folder."""
    from tui.app.app import AperPhotApp

    def make(images=None, regions=None, **kwargs):
        kwargs.setdefault("state_dir", str(tmp_path / "state"))
        return AperPhotApp(images=demo[0] if images is None else images,
                           region_files=demo[1] if regions is None else regions, **kwargs)

    return make


async def ready(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def type_text(pilot, text: str):
    for ch in text:
        await pilot.press(ch)


def screen_text(app) -> str:
    """Everything on screen as plain text (what the user reads)."""
    app.screen._compositor.render_update(full=True)
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
