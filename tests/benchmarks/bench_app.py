"""App speed figures (issue 3). Run by hand: python tests/benchmarks/bench_app.py

Prints: launch to first painted frame in a pseudo-terminal (next to a bare `import textual.app`); F5 to result
painted for r=50 and r=200 on 4096^2, and the same with the ten Imviz 5 columns left out (issue 20); thumbnail
render of 8192^2 at 80x24 and 200x60; a journal of 10,000 and 100,000 rows from the file on disk to its last row
on screen (`--resume` in a pty); adding a row, scrolling and sorting with 10,000 and 100,000 rows in the table;
the profile view's numbers and repaint; the light curve (F9) on 120 frames and on 10,000; what journaling one row
(one write and an fsync) costs; start-up and F5 with a 5000-star catalogue.
`python tests/benchmarks/bench_app.py resume` (or `keys`, `crowded`, `lightcurve`, `pixels`) runs that part alone.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tui.cli import keep_freed_memory, one_blas_thread

one_blas_thread()  # before NumPy loads, as aperphot-tui runs
import numpy as np  # noqa: E402
from astropy.io import fits  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
from bench_core import imviz5_columns  # noqa: E402


def time_to_output(argv: list[str], marker: bytes, timeout: float = 20.0) -> float:
    """Seconds from spawn until `marker` has been written to the pty (80x24, 256 colours)."""
    return times_to_outputs(argv, [marker], timeout)[0]


# What xterm answers to Primary Device Attributes. The app asks it (after its pixel-protocol questions) before
# starting and waits up to a quarter of a second for the answer; every terminal gives it at once, a bare pty never.
DA1, DA1_ANSWER = b"\x1b[c", b"\x1b[?64;1;2;6;9;15;18;21;22c"


def times_to_outputs(argv: list[str], markers: list[bytes], timeout: float = 30.0, env=None,
                     size=(80, 24)) -> list[float]:
    """Seconds from spawn until each marker has been written to the pty (80x24 unless told, 256 colours), which
    answers the app's terminal query as a terminal does."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", COLUMNS=str(size[0]), LINES=str(size[1]), **(env or {}))
        os.environ.pop("COLORTERM", None)
        os.execvp(argv[0], argv)
    t0 = time.perf_counter()
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    seen, found = b"", {}
    try:
        while time.perf_counter() - t0 < timeout and len(found) < len(markers):
            ready, _, _ = select.select([fd], [], [], 0.02)
            if ready:
                try:
                    seen += os.read(fd, 1 << 20)
                except OSError:
                    break
                if DA1 in seen:  # answered as a terminal does, once
                    os.write(fd, DA1_ANSWER)
                    seen = seen.replace(DA1, b"")
                for marker in markers:
                    if marker not in found and marker in seen:
                        found[marker] = time.perf_counter() - t0
        return [found.get(marker, float("nan")) for marker in markers]
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def journal_of(folder: Path, n: int) -> Path:
    """A journal of n distinct rows as the app writes it: n circles measured together on a 2048^2 image."""
    from regions import CirclePixelRegion, PixCoord

    from tui.core import Session

    path = folder / f"journal{n}.jsonl"
    if path.exists():
        return path
    rng = np.random.default_rng(n)
    s = Session(journal=path)
    s.load_data(big_fits(folder, 2048, f"img2048_{n}.fits"))
    for k in range(n):
        s.add_subset(CirclePixelRegion(PixCoord(*rng.uniform(20, 2028, 2)), rng.uniform(2, 10)), label=f"S{k}")
    s.calculate_many()
    s.close()
    return path


def resume_from_disk(folder: Path):
    """What a user waits for after a crash: from a journal file on disk to its last row on screen.

    Session.restore in a script (read, decode column by column, add), and `aperphot-tui --resume` in a pty at
    80x24: first painted frame, and the last row's "row N of N" on screen (the journal read in a worker and the
    table painted, while the demo images load)."""
    import shutil

    from tui.core import Session

    for n in (10_000, 100_000):
        source = journal_of(folder, n)
        restores = []
        for _ in range(3):
            copy = folder / "restore.jsonl"
            shutil.copy(source, copy)
            t0 = time.perf_counter()
            Session.restore(copy).close()
            restores.append(time.perf_counter() - t0)
        frames, rows = [], []
        for _ in range(3):
            state = folder / f"state-resume{n}"
            shutil.rmtree(state, ignore_errors=True)
            state.mkdir(mode=0o700)
            shutil.copy(source, state / "done-20260101-000000-1.jsonl")
            first, last = times_to_outputs([sys.executable, "-m", "tui", "--resume"],
                                           [b"CALCULATE", f"row {n:,} of {n:,}".encode()],
                                           env={"APERPHOT_STATE_DIR": str(state)})
            frames.append(first)
            rows.append(last)
        best = min(range(3), key=lambda k: rows[k])
        print(f"{n:,}-row journal ({source.stat().st_size / 1e6:.0f} MB) -> screen: Session.restore "
              f"{min(restores):.2f} s; aperphot-tui --resume: first frame {frames[best]:.2f} s, row {n:,} on screen "
              f"{rows[best]:.2f} s after launch = {rows[best] - frames[best]:.2f} s after the first frame")


def crowded_field(folder: Path, n: int = 5000) -> tuple[Path, Path]:
    """A 4096x4096 image with n stars and a DS9 catalogue of them (circles labelled S0, S1, ...)."""
    image, catalogue = folder / "crowded4096.fits", folder / "crowded.reg"
    if image.exists():
        return image, catalogue
    rng = np.random.default_rng(5)
    data = rng.normal(1.0, 0.1, (4096, 4096)).astype(np.float32)
    xs, ys, flux = rng.uniform(20, 4076, n), rng.uniform(20, 4076, n), rng.uniform(50, 5000, n)
    yy, xx = np.mgrid[-6:7, -6:7]
    psf = np.exp(-(xx**2 + yy**2) / 4.5)
    for x, y, f in zip(xs, ys, flux):
        data[int(y) - 6:int(y) + 7, int(x) - 6:int(x) + 7] += f * psf / psf.sum()
    fits.PrimaryHDU(data).writeto(image)
    catalogue.write_text("image\n" + "".join(f"circle({x + 1:.2f},{y + 1:.2f},5) # text={{S{k}}}\n"
                                             for k, (x, y) in enumerate(zip(xs, ys))))
    return image, catalogue


async def crowded_keys(image: Path, catalogue: Path, folder: Path) -> str:
    """F5 to result painted and a cursor step on the image, with the crowded catalogue loaded, at 120x40."""
    from tui.app.app import AperPhotApp
    from tui.app.widgets.thumbnail import Thumbnail

    app = AperPhotApp(images=[image], region_files=[catalogue], state_dir=str(folder / "state-crowded"))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        f5 = [await until_painted(app, app.action_calculate) for _ in range(10)]
        thumb = app.screen.query_one(Thumbnail)
        steps = [await until_painted(app, lambda: thumb.action_move(1, 0)) for _ in range(10)]
        return (f"F5 to result painted median {statistics.median(f5) * 1e3:.0f} ms; a cursor step on the image "
                f"median {statistics.median(steps) * 1e3:.0f} ms")


def crowded(folder: Path):
    """Start-up to a usable screen (the image drawn with its labels) with a 5000-star catalogue at 120x40 and
    80x24, and F5 there (issue 16)."""
    image, catalogue = crowded_field(folder)
    for size in ((120, 40), (80, 24)):
        starts = [times_to_outputs([sys.executable, "-m", "tui", str(image), "--regions", str(catalogue)],
                                   [b"zoom 1"], size=size,
                                   env={"APERPHOT_STATE_DIR": str(folder / "state-crowded")})[0] for _ in range(5)]
        print(f"5000-star catalogue on 4096x4096, {size[0]}x{size[1]}: start-up to the image drawn with its labels "
              f"{min(starts):.2f} s")
    print(f"5000-star catalogue, 120x40: {asyncio.run(crowded_keys(image, catalogue, folder))}")


def launch():
    state = tempfile.mkdtemp()
    os.environ["APERPHOT_STATE_DIR"] = state
    bare = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
        bare.append(time.perf_counter() - t0)
    first, loaded = [], []
    for _ in range(3):
        first.append(time_to_output([sys.executable, "-m", "tui"], b"CALCULATE"))
        loaded.append(time_to_output([sys.executable, "-m", "tui"], b"PIXAR_A2"))  # the field hint: data loaded
    print(f"launch to first painted frame (demo, pty 80x24): {min(first):.2f} s "
          f"(bare 'import textual.app': {min(bare):.2f} s); demo loaded and shown: {min(loaded):.2f} s")


def big_fits(folder: Path, n: int, name: str) -> Path:
    path = folder / name
    data = np.random.default_rng(n).normal(1.0, 0.1, (n, n)).astype(np.float32)
    fits.PrimaryHDU(data, fits.Header({"BUNIT": "MJy/sr", "PIXAR_A2": 0.001})).writeto(path)
    return path


async def until_painted(app, action) -> float:
    """Seconds from running the key's action to the end of the frame that shows its outcome."""
    done = asyncio.Event()
    t0 = time.perf_counter()
    action()
    app.call_after_refresh(done.set)
    await done.wait()
    return time.perf_counter() - t0


async def keypress_to_result(folder: Path):
    from tui.app.app import AperPhotApp

    keep_freed_memory()  # as aperphot-tui does at start

    path = big_fits(folder, 4096, "img4096.fits")
    reg = folder / "r.reg"
    reg.write_text("image\ncircle(2048,2048,50) # text={r50}\ncircle(2048,2048,200) # text={r200}\n")
    app = AperPhotApp(images=[path], region_files=[reg], state_dir=str(folder / "state"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        noop = []
        for _ in range(10):
            t0 = time.perf_counter()
            await pilot.press("f12")  # bound to nothing: what the Pilot itself costs
            await pilot.pause()
            noop.append(time.perf_counter() - t0)
        for label in ("r50", "r200"):
            app.session.select_subset(label)
            painted, piloted, before = [], [], []
            for i in range(16):
                for ten in (True, False) if i % 2 else (False, True):  # either first in turn: the frame clock
                    with imviz5_columns(ten):                           # favours one place in a pair
                        (painted if ten else before).append(await until_painted(app, app.action_calculate))
                t0 = time.perf_counter()
                await pilot.press("f5")
                await pilot.pause()
                piloted.append(time.perf_counter() - t0)
            print(f"F5 to result painted, {label}: median {statistics.median(painted) * 1e3:.0f} ms "
                  f"(through the Pilot: {statistics.median(piloted) * 1e3:.0f} ms, of which a key bound to "
                  f"nothing costs {statistics.median(noop) * 1e3:.0f} ms; with the ten Imviz 5 columns left out: "
                  f"{statistics.median(before) * 1e3:.0f} ms)")


def thumbnail_render(folder: Path):
    from tui.app.widgets.render import Preview, View, render
    from tui.core import Session

    path = big_fits(folder, 8192, "img8192.fits")
    s = Session()
    label = s.load_data(path)
    t0 = time.perf_counter()
    preview = Preview(s.images[label].data)
    preview.limits("99.5%")
    once = time.perf_counter() - t0
    print(f"8192x8192 thumbnail: preview + limits once per image {once * 1e3:.0f} ms; then per render:")
    for width, height in ((80, 24), (200, 60)):
        times = []
        for zoom in (1.0, 1.0, 1.0, 8.0, 64.0):
            t0 = time.perf_counter()
            render(preview, View(zoom=zoom, stretch="sqrt"), width, height)
            times.append(time.perf_counter() - t0)
        print(f"  {width}x{height}: fit {min(times[:3]) * 1e3:.0f} ms, zoom 8x {times[3] * 1e3:.0f} ms, "
              f"zoom 64x {times[4] * 1e3:.0f} ms")


async def many_rows(folder: Path):
    """The table's part of a restore (rows already in memory: reset to painted), adding a row, scrolling and
    sorting, at 10,000 and 100,000 rows. resume_from_disk() times the whole path from the journal file."""
    from regions import CirclePixelRegion, PixCoord

    from tui.app.app import AperPhotApp
    from tui.app.widgets.results_table import ResultsTable
    from tui.core.photometry import ALL_COLUMNS
    from tui.core.results import build_table

    path = big_fits(folder, 512, "img512.fits")
    for n in (10_000, 100_000):
        app = AperPhotApp(images=[path], region_files=[], state_dir=str(folder / f"state{n}"))
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            s = app.session
            s.add_subset(CirclePixelRegion(PixCoord(256, 256), 10))
            first = s.calculate()
            # n rows without n photometry runs: the table's cost is what is measured here
            s.add_table(build_table([first] * (n - 1), ALL_COLUMNS[1:]))
            table = app.screen.query_one(ResultsTable)
            restore = await until_painted(app, lambda: table.reset(s.result_rows))
            adds = [await until_painted(app, app.action_calculate) for _ in range(10)]
            table_adds = []
            for _ in range(10):
                row = s.calculate()  # computed first: only the table's part is timed
                table_adds.append(await until_painted(app, lambda: table.add_result(row)))
            table.focus()
            await pilot.pause()
            scrolls = [await until_painted(app, action) for action in
                       (lambda: table.action_page(-1), lambda: table.action_page(-1), lambda: table.action_move(-1),
                        lambda: table.action_edge(0), lambda: table.action_edge(1), lambda: table.action_page(-1),
                        lambda: table.action_move(1), table.action_cursor_right, table.action_cursor_left)]
            sort = await until_painted(app, lambda: table.sort_all("aperture_sum", True))
            print(f"{n:,} rows in memory: table reset and painted in {restore * 1e3:.0f} ms; adding a row median "
                  f"{statistics.median(table_adds) * 1e3:.0f} ms (F5 with photometry and result panel: "
                  f"{statistics.median(adds) * 1e3:.0f} ms); scrolling a key median "
                  f"{statistics.median(scrolls) * 1e3:.0f} ms (max {max(scrolls) * 1e3:.0f} ms); sorting every row "
                  f"{sort * 1e3:.0f} ms")


async def profile_view(folder: Path):
    """F6 on a 4096x4096 image: the numbers (in a worker) and the view's repaint, at 80x24 and 200x60 (issue 6).
    The first F6 comes a second and a half after start-up, as a user reads the screen first: from a second on, the
    app imports the fitters in the background (pressed at once, the first F6 waits about 0.3 s more for them)."""
    from tui.app.app import AperPhotApp
    from tui.app.widgets.plot import PlotView

    path = folder / "img4096.fits"
    if not path.exists():
        big_fits(folder, 4096, path.name)
    reg = folder / "p.reg"
    reg.write_text("image\ncircle(2048.3,2047.6,50) # text={r50}\ncircle(2048.3,2047.6,200) # text={r200}\n")
    for size in ((80, 24), (200, 60)):
        app = AperPhotApp(images=[path], region_files=[reg], state_dir=str(folder / "state"))
        async with app.run_test(size=size) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await asyncio.sleep(1.5)
            await app.workers.wait_for_complete()
            for label in ("r50", "r200"):
                app.session.select_subset(label)
                t0 = time.perf_counter()
                await pilot.press("f6")
                await app.workers.wait_for_complete()
                await pilot.pause()
                opened = time.perf_counter() - t0
                plots = list(app.screen.query(PlotView))
                repaints = [await until_painted(app, lambda: [p.refresh() for p in plots]) for _ in range(10)]
                print(f"profile view {size[0]}x{size[1]}, {label}: open with numbers {opened * 1e3:.0f} ms "
                      f"(through the Pilot); repaint median {statistics.median(repaints) * 1e3:.1f} ms, "
                      f"max {max(repaints) * 1e3:.1f} ms")
                await pilot.press("escape")
                await pilot.pause()


def journal_row_cost(folder: Path):
    """One journal line written and fsync-ed, in the state folder's file system and in a temporary one."""
    from regions import CirclePixelRegion, PixCoord

    from tui.core import Session
    from tui.core.journal import Journal, JournalStore

    s = Session()
    s.load_data(np.ones((50, 50)), label="img")
    s.add_subset(CirclePixelRegion(PixCoord(20, 20), 5))
    row = s.calculate()
    for where in (JournalStore().folder / "bench", folder / "bench"):
        journal = Journal(where / "bench.jsonl")
        times = []
        for _ in range(200):
            t0 = time.perf_counter()
            journal.append(row)
            times.append(time.perf_counter() - t0)
        journal.close()
        (where / "bench.jsonl").unlink()
        where.rmdir()
        print(f"journal a row (write + fsync) in {where.parent}: median {statistics.median(times) * 1e3:.2f} ms, "
              f"max {max(times) * 1e3:.2f} ms")


async def light_curve(folder: Path):
    """F9 (issue 18): from the key to the first points on screen and to every frame measured, on 120 frames of
    256x256; then 10,000 frames taken back from the state folder: F9 to all of them on screen, a repaint, a
    comparison toggled and a cursor step, each to the end of the frame that shows it."""
    import dataclasses

    from tui.app.app import AperPhotApp
    from tui.app.screens.lightcurve import LightCurveScreen
    from tui.core.frametimes import FrameTime
    from tui.core.journal import private_folder
    from tui.core.lightcurve import CurveStore, LightCurve
    from tui.demo_series import make_sequence

    many, many_regions, _ = make_sequence(folder / "many", n_frames=1000, cadence_s=20.0, sparse=True)
    launch = times_to_outputs([sys.executable, "-m", "tui", *map(str, many), "--regions", str(many_regions)],
                              [b"CALCULATE", b"frame_0000.fits"], env={"APERPHOT_STATE_DIR": str(folder / "s1k")})
    print(f"1000 frames on the command line: first frame {launch[0]:.2f} s, the first frame's image and the frame "
          f"list usable {launch[1]:.2f} s after launch")
    paths, regions, _ = make_sequence(folder / "night", n_frames=120)

    async def wait_until(app, pilot, condition, timeout=120.0):
        t0 = time.perf_counter()
        while not condition() and time.perf_counter() - t0 < timeout:
            await asyncio.sleep(0.002)
        done = asyncio.Event()
        app.call_after_refresh(done.set)
        await done.wait()

    def points(app):
        screen = app.screen
        return isinstance(screen, LightCurveScreen) and screen._view is not None and len(screen._view.index) > 0

    for size in ((80, 24), (120, 40)):
        app = AperPhotApp(images=paths, region_files=[regions], state_dir=str(folder / f"state{size[0]}"))
        async with app.run_test(size=size) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            t0 = time.perf_counter()
            app.action_light_curve()
            await wait_until(app, pilot, lambda: points(app))
            first = time.perf_counter() - t0
            await wait_until(app, pilot, lambda: app.screen.curve.series.done.all() and not app.screen.measuring)
            every = time.perf_counter() - t0
            t0 = time.perf_counter()
            app.screen.action_fit()
            await wait_until(app, pilot, lambda: not app.screen._fitting)
            fitted = time.perf_counter() - t0
            measured = app.screen.curve.series
        print(f"light curve {size[0]}x{size[1]}, 120 frames of 256x256: F9 to first points on screen "
              f"{first * 1e3:.0f} ms, to all 120 measured {every:.2f} s ({120 / every:.0f} frames/s); f to the "
              f"fitted transit shown {fitted:.2f} s")

    # 10,000 frames: the 120 measured ones' numbers over a longer night, written to the state folder as F9 leaves
    # them, so that F9 takes them back; what is timed is the path from the file to the screen, and the keys.
    n = 10_000
    fake = [dataclasses.replace(measured.frames[k % 120], label=f"frame{k:05d}",
                                time=FrameTime(measured.frames[0].time.jd_utc + k * 30 / 86400, "bench"))
            for k in range(n)]
    session_subsets = app.session.subsets
    state = folder / "state10k"
    private_folder(state)  # as the app makes its state folder, before F9 writes a curve there
    curve = LightCurve.from_subsets(fake, session_subsets, "Target")
    rng = np.random.default_rng(3)
    for name, values in measured.data.items():
        tiled = np.resize(values, (n, values.shape[1]))
        curve.series.data[name][:] = tiled * (1 + 1e-3 * rng.standard_normal(tiled.shape)) \
            if name in ("source_sky", "sky") else tiled
    curve.series.done[:] = True
    CurveStore(state, curve.series).append(curve.series, list(range(n)))
    app = AperPhotApp(images=paths, region_files=[regions], state_dir=str(state))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.frames = {f.label: f for f in fake}
        t0 = time.perf_counter()
        app.action_light_curve()
        await wait_until(app, pilot, lambda: points(app))
        restored = time.perf_counter() - t0
        screen = app.screen
        assert len(screen._view.index) == n and all(r is None for r in screen.curve.series.results)
        nothing = [await until_painted(app, lambda: screen.refresh()) for _ in range(10)]
        repaint = [await until_painted(app, screen.redraw) for _ in range(10)]
        if os.environ.get("PROFILE"):
            import cProfile
            import pstats
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(5):
                await until_painted(app, screen.redraw)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        toggle = [await until_painted(app, screen.action_toggle) for _ in range(10)]
        step = [await until_painted(app, lambda: screen.action_step(1)) for _ in range(10)]
    print(f"light curve of 10,000 frames, 120x40: F9 to every point on screen from the state folder "
          f"{restored:.2f} s; repaint median {statistics.median(repaint) * 1e3:.0f} ms (max "
          f"{max(repaint) * 1e3:.0f}); a comparison toggled {statistics.median(toggle) * 1e3:.0f} ms (max "
          f"{max(toggle) * 1e3:.0f}); a cursor step {statistics.median(step) * 1e3:.0f} ms; a frame with nothing "
          f"changed {statistics.median(nothing) * 1e3:.0f} ms")


async def pixels(folder: Path):
    """Bytes sent to draw real pixels (issue 19): a 512x512 Gaussian-sky image with stars at 120x40, cells 10x21
    pixels; with kitty, the upload and each pan or zoom step after it; with sixel, a whole panel and a step; and
    what a calculate (F5) sends. Times: from a key to its bytes written."""
    from astropy.io import fits

    from tui.app.app import AperPhotApp
    from tui.app.graphics.detect import Graphics

    rng = np.random.default_rng(4)
    data = rng.normal(100.0, 5.0, (512, 512)).astype(np.float32)
    for x, y in rng.uniform(20, 490, (60, 2)):
        data[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3] += rng.uniform(50, 2000)
    image, regions = folder / "sky512.fits", folder / "sky512.reg"
    fits.PrimaryHDU(data).writeto(image, overwrite=True)
    regions.write_text("image\ncircle(200,200,8) # text={A}\ncircle(300,320,8) # text={B}\n")
    print("Real pixels: characters written to the terminal (120x40, 512x512 image)")
    for kind in ("kitty", "sixel"):
        out: list[str] = []
        app = AperPhotApp(images=[str(image)], region_files=[str(regions)], state_dir=str(folder / f"px-{kind}"),
                          graphics=Graphics(kind, (10, 21)), graphics_write=out.append)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause(0.2)
            if app.graphics is None:  # TERM=xterm is 16 colours to Textual, and there the image is ASCII
                print(f"  {kind}: not drawn, as this terminal has {app.console.color_system} colours to Textual; "
                      f"run with TERM=xterm-256color")
                return
            thumb = app.query_one("#thumbnail")
            first = sum(map(len, out))
            thumb.focus()
            await pilot.pause()
            steps = {}
            for key in ("shift+right", "shift+up", "plus", "plus", "minus", "down", "f5"):
                before = len(out)
                start = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                steps.setdefault(key, []).append((sum(map(len, out[before:])), time.perf_counter() - start))
            shown = ", ".join(f"{k} {' / '.join(f'{b / 1e3:.1f} KB' for b, _ in v)}" for k, v in steps.items())
            print(f"  {kind:5}  first view {first / 1e3:6.1f} KB   then: {shown}")


if __name__ == "__main__":
    parts = {"resume": resume_from_disk, "keys": lambda f: asyncio.run(keypress_to_result(f)), "crowded": crowded,
             "lightcurve": lambda f: asyncio.run(light_curve(f)),
             "pixels": lambda f: asyncio.run(pixels(f))}
    if sys.argv[1:2] and sys.argv[1] in parts:
        with tempfile.TemporaryDirectory() as tmp:
            parts[sys.argv[1]](Path(tmp))
        sys.exit()
    launch()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        asyncio.run(keypress_to_result(folder))
        thumbnail_render(folder)
        resume_from_disk(folder)
        crowded(folder)
        asyncio.run(many_rows(folder))
        asyncio.run(profile_view(folder))
        asyncio.run(light_curve(folder))
        asyncio.run(pixels(folder))
        journal_row_cost(folder)
