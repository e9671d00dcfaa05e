import gc
import os

import numpy as np
import pytest
from astropy.io import fits

# The app picks half-blocks or ASCII from the terminal's colours: tests pin a truecolor terminal so that they,
# and the snapshots, do not depend on the TERM of whoever runs them. Tests of other terminals set their own.
os.environ["TERM"] = "xterm-256color"
os.environ["COLORTERM"] = "truecolor"
os.environ.pop("NO_COLOR", None)

from tui.demo import demo_files

CROWDED = 5000  # stars in the crowded catalogue


def catalogue(n=CROWDED, size=1024, seed=5):
    rng = np.random.default_rng(seed)
    return rng.uniform(10, size - 10, n), rng.uniform(10, size - 10, n)


@pytest.fixture
def crowded(tmp_path):
    """A 1024x1024 star field and a DS9 catalogue of its 5000 stars, labelled S0..S4999."""
    xs, ys = catalogue()
    rng = np.random.default_rng(1)
    data = rng.normal(1.0, 0.1, (1024, 1024)).astype(np.float32)
    data[ys.astype(int), xs.astype(int)] += rng.uniform(5, 50, CROWDED).astype(np.float32)
    image, regions = tmp_path / "field.fits", tmp_path / "stars.reg"
    fits.PrimaryHDU(data).writeto(image)
    regions.write_text("image\n" + "".join(f"circle({x + 1:.2f},{y + 1:.2f},3) # text={{S{k}}}\n"
                                           for k, (x, y) in enumerate(zip(xs, ys))))
    return image, regions


@pytest.fixture(autouse=True)
def unfreeze():
    """The app freezes what it loaded (gc.freeze) for its run; many apps share this process, so let it go after."""
    yield
    gc.unfreeze()


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


async def press_and_settle(app, pilot, key: str):
    """Press a key whose work runs in a worker (F5, F6), and wait until what it shows is on screen."""
    await pilot.press(key)
    await pilot.pause()
    await ready(app, pilot)


async def type_text(pilot, text: str):
    for ch in text:
        await pilot.press(ch)


def screen_text(app) -> str:
    """Everything on screen as plain text (what the user reads)."""
    app.screen._compositor.render_update(full=True)
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.fixture(scope="session")
def sequence(tmp_path_factory):
    """60 frames, 2 minutes apart, of a night with a transit on 'Target' and three comparisons (Comp1-3), 128x128
    pixels."""
    from tui.demo_series import make_sequence

    paths, regions, truth = make_sequence(tmp_path_factory.mktemp("sequence"), n_frames=60, shape=(128, 128),
                                          cadence_s=120.0)
    return [str(p) for p in paths], str(regions), truth


async def light_curve_measured(app, pilot, timeout: float = 60.0) -> None:
    """F9 pressed: wait until every frame is measured (or the screen said why not)."""
    from tui.app.screens.lightcurve import LightCurveScreen

    for _ in range(int(timeout / 0.05)):
        await pilot.pause(0.05)
        screen = app.screen
        if isinstance(screen, LightCurveScreen) and (screen.problem or (
                screen.curve is not None and not screen.measuring and screen.curve.series.done.all())):
            break
    await app.workers.wait_for_complete()
    await pilot.pause()


async def light_curve_fitted(app, pilot, timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.05)):
        await pilot.pause(0.05)
        if not app.screen._fitting:
            break
    await app.workers.wait_for_complete()
    await pilot.pause()
