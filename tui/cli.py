"""Command line: launch the app, or `measure` in batch with the same core."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import time
from pathlib import Path

from tui.filekinds import every_image, expand_folders, is_region_file, named_once, regions_in_folders

# Rows reach OUT (appended and synced to disk) at most this often: a killed run loses at most this much work,
# which --resume measures again, and a shared file system is not asked to sync after every small image.
FLUSH_SECONDS = 1.0
SHOWN_WITH_OUT = 50
EPILOG = """commands:
  aperphot-tui measure IMAGE... -r FILE [options]
      every region on every image, in batch (aperphot-tui measure -h)
  aperphot-tui series FRAME... -r FILE --target LABEL --comparisons LABEL,...
      a light curve from frames or cubes (aperphot-tui series -h)"""
REGIONS_HELP = "DS9 or CRTF region file (repeatable; .reg and .crtf files named with the images count too)"
FROM_THE_APP = "the app saves the regions drawn, typed or recentred in it (ctrl+s, as .reg)"


def parse_files(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Images and region files in any order: `-r a.reg b.reg` (what `-r *.reg` becomes in the shell) and
    `*.fits *.reg` both work, as do images after the options. A file named among the images whose name ends in
    .reg or .crtf is a region file; a folder stands for the FITS files in it, file.fits[*] for each image in the
    file. An image named again is read once (args.repeated: the names left out)."""
    args = parser.parse_intermixed_args(argv)
    args.beside = regions_in_folders(args.images)
    named, args.images = every_image(expand_folders(args.images)), []
    for name in named:
        (args.regions if is_region_file(name) else args.images).append(name)
    args.images, args.repeated = named_once(args.images)
    return args


def _floats(text: str, n: int) -> tuple:
    parts = [p for p in text.replace(" ", "").split(",") if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {n} numbers separated by commas") from None
    if len(values) != n or not all(map(math.isfinite, values)):
        raise argparse.ArgumentTypeError(f"{text!r} is not {n} numbers separated by commas")
    return values


def _site(text: str) -> tuple[float, float, float]:
    lat, lon, height = _floats(text, 3)
    if not (-90 <= lat <= 90 and -180 <= lon <= 360):
        raise argparse.ArgumentTypeError(f"{text!r}: the latitude lies within ±90 degrees and the longitude within "
                                         f"-180 to 360 (degrees east)")
    return lat, lon, height


def app_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aperphot-tui",
        description="Simple aperture photometry in the terminal.\nWith no arguments, opens the demo data.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keeps the lines of the description and epilog
    )
    p.add_argument("images", nargs="*", metavar="IMAGE",
                   help="FITS images to load (and region files; a folder: its FITS files; file.fits[SCI,2]: that "
                        "extension; 'file.fits[*]': each SCI extension)")
    p.add_argument("-r", "--regions", action="append", default=[], metavar="FILE", help=REGIONS_HELP)
    p.add_argument("--resume", action="store_true", help="restore the results of an interrupted session")
    p.add_argument("--colors", choices=["auto", "truecolor", "256", "16", "none"], default="auto",
                   help="colour system (default: from the terminal); 'none' draws the image in ASCII")
    p.add_argument("--ascii", action="store_true", help="draw the image with an ASCII density ramp")
    p.add_argument("--graphics", choices=["auto", "kitty", "sixel", "none"], default=None,
                   help="draw real pixels with the kitty graphics protocol or sixel; none: half-blocks "
                        "(default: auto, asked of the terminal; the APERPHOT_GRAPHICS variable sets a default)")
    p.add_argument("--site", type=_site, metavar="LAT,LON,HEIGHT",
                   help="the observatory for light curves (F9): degrees north and east, metres; where the frames' "
                        "headers lack SITELAT/SITELONG or give it wrong")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    return p


def measure_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aperphot-tui measure",
        description="Measure every region on every image, print the table, and optionally write it.",
    )
    p.add_argument("images", nargs="+", metavar="IMAGE",
                   help="FITS images to measure (and region files; a folder: its FITS files; 'file.fits[*]': each "
                        "SCI extension)")
    p.add_argument("-r", "--regions", action="append", default=[], metavar="FILE",
                   help=f"{REGIONS_HELP}; {FROM_THE_APP}")
    bg = p.add_mutually_exclusive_group()
    bg.add_argument("--background", type=_number, metavar="V", help="background value in the data unit")
    bg.add_argument("--background-region", metavar="LABEL", help="background = median of this region")
    p.add_argument("--background-stat", choices=["median", "sigma-clip"], default=None,
                   help="with --background-region: its median (default) or 3-sigma clipped median")
    p.add_argument("--dq-flags", type=_dq_flags, metavar="FLAGS", default=None,
                   help="DQ flag values that make a pixel bad, e.g. 1,4,256; 'none' ignores DQ "
                        "(default: JWST DO_NOT_USE; HST all but 16 and 64; other missions any flag)")
    p.add_argument("--pixel-area", type=_number, metavar="A", help="arcsec^2 per pixel (default: auto-fill)")
    p.add_argument("--counts-factor", type=_number, metavar="C", help="data unit per count (default: auto-fill)")
    p.add_argument("--flux-scaling", type=_number, metavar="F", help="in the data unit (default: auto-fill)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the table (.ecsv .csv .fits .vot .html .txt)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--overwrite", action="store_true", help="replace OUT (and profile files) if they exist")
    again.add_argument("--resume", action="store_true",
                       help="skip the (image, region) pairs already in OUT (ECSV or CSV) and append the rest")
    cluster = p.add_mutually_exclusive_group()
    cluster.add_argument("--workers", type=_positive_int, metavar="N",
                         help="measure on a local dask.distributed cluster of N worker processes (extra: dask)")
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="measure on a running dask.distributed scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--timeout", default="10s", metavar="T", help=argparse.SUPPRESS)
    p.add_argument("--profiles", metavar="DIR",
                   help="also write each (image, region)'s radial profile and curve of growth as ECSV files in DIR")
    return p


def _number(text: str) -> float:
    """An argparse type: a float, refused in the words the app's fields use (a decimal comma gets a hint)."""
    from tui.core.inputs import typed_number

    try:
        return typed_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _dq_flags(text: str):
    from tui.core import PhotometryError
    from tui.core.quality import parse_dq_flags

    try:
        return parse_dq_flags(text)
    except PhotometryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _version() -> str:
    from tui import __version__
    return __version__


def _say(kind: str, message: str) -> None:
    """One line on stderr; text from files in it is escaped, never sent to the terminal raw."""
    from tui.core.formatting import safe_text

    print(f"{kind}: {safe_text(message)}", file=sys.stderr)


INTERRUPTED = 130  # the shell's code for a command stopped by ctrl+c (128 + SIGINT)


@contextlib.contextmanager
def interrupt_held():
    """ctrl+c waits for the end of the block, then stops the run as it would have. Rows written to OUT and the
    record of them are never cut apart: ctrl+c between the two made the stop write the same rows again."""
    held: list[int] = []
    try:
        before = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    except ValueError:  # not the main thread (a script calling main() from one): nothing to hold it with
        holding = False
    else:
        holding = True
    try:
        yield
    finally:
        if holding:
            signal.signal(signal.SIGINT, before)
    if held:
        raise KeyboardInterrupt


def _fail(message: str) -> int:
    _say("aperphot-tui: error", message)
    return 2


NUMBER_OPTIONS = ("--background", "--pixel-area", "--counts-factor", "--flux-scaling")


def _glue_negative_numbers(argv: list[str], options=NUMBER_OPTIONS) -> list[str]:
    """`--background -1.5e-3` as `--background=-1.5e-3`, `--site -30.2,-70.7,2715` as `--site=-30.2,-70.7,2715`:
    argparse takes a value that starts with a minus sign (in scientific notation, or a list) for an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in options and arg.startswith("-"):
            try:
                [float(part) for part in arg.split(",")]
            except ValueError:
                pass
            else:
                out[-1] = f"{out[-1]}={arg}"
                continue
        out.append(arg)
    return out


def _stem(name: str) -> str:
    """The file's part of an image's label: f1 for f1.fits[SCI,2]."""
    from tui.core.images import file_part, file_stem

    return file_stem(Path(file_part(name)))


def _annuli_left_out(labels: list[str], hint: bool) -> str:
    """Why the annuli of the region files are not measured: a file of apertures and annuli would otherwise lose
    the annuli in silence."""
    shown = ", ".join(labels[:3]) + (", ..." if len(labels) > 3 else "")
    which = f"{shown} is" if len(labels) == 1 else f"{len(labels):,} annuli are"
    return (f"{which} not measured{'' if len(labels) == 1 else f' ({shown})'}: an annulus gives a background" +
            (f" (--background-region {labels[0] if len(labels) == 1 else 'LABEL'})" if hint else ""))


def check_output(parser: argparse.ArgumentParser, args) -> None:
    """OUT as measure and series need it: `-o ""` (an unset shell variable) and --resume without -o were taken
    for no OUT at all, and the table was printed and written nowhere without a word."""
    if args.output is not None and not args.output.strip():
        parser.error("-o: the name of OUT is empty")
    if args.resume and args.output is None:
        parser.error("--resume goes on with OUT: give -o OUT")


def measure(argv: list[str]) -> int:
    parser = measure_parser()
    args = parse_files(parser, _glue_negative_numbers(argv))
    check_output(parser, args)
    if not args.regions:
        parser.error("no region file: give one with -r FILE (or name a .reg or .crtf file)" +
                     (f"; {args.beside[0]} is beside the images" if args.beside else ""))
    if not args.images:
        parser.error("no image: name one or more FITS images")
    if args.background_stat is not None and args.background_region is None:  # else taken without a word
        parser.error("--background-stat is how --background-region's pixels become one value: name that region "
                     "too")
    from tui.core import PhotometryError, Session
    from tui.core.batch import Settings, TableStream, bare_labels, measure_image, profiles_folder
    from tui.core.formatting import counted, glimpse, summary
    from tui.core.images import folders_of
    from tui.core.inputs import Inputs
    from tui.core.notices import Alike

    session = Session(warn=False)  # its notices are printed as note: lines
    try:
        # A bad flag, an unreadable region file or an unknown label is one error up front, not one per image.
        Inputs().validated(background=args.background, pixel_area=args.pixel_area,
                           counts_factor=args.counts_factor, flux_scaling=args.flux_scaling)
        if len(args.images) == 1:  # one image: its problem is the one-line error, before any other
            session.load_data(args.images[0])
            session.pop_notices()  # what it notes (an unknown unit, say) is said once, when it is measured
        subsets = [label for path in args.regions for label in session.load_regions(path)]
        if args.background_region is not None and args.background_region not in session.subsets:
            raise PhotometryError(f"--background-region: no region labelled {args.background_region!r} "
                                  f"(labels: {', '.join(session.subsets)})")
        stream = TableStream(args.output, args.overwrite, args.resume) if args.output else None
        if args.profiles:
            profiles_folder(Path(args.profiles))
    except PhotometryError as exc:
        return _fail(str(exc))
    for notice in session.pop_notices():
        _say("note", notice)
    for name in args.repeated:
        _say("note", f"{name} is named more than once: measured once")
    for note in stream.notes if stream is not None else ():
        _say("note", note)
    settings = Settings(tuple(str(Path(p).resolve()) for p in args.regions), args.background,
                        args.background_region, args.background_stat or "median", args.dq_flags, args.pixel_area,
                        args.counts_factor, args.flux_scaling, args.profiles,
                        args.overwrite or args.resume)  # resumed: the profiles of a pair measured again are new
    apertures = [s for s in subsets if not session.subsets[s].is_annulus and s != args.background_region]
    annuli = [s for s in subsets if session.subsets[s].is_annulus and s != args.background_region]
    if not apertures:
        return _fail("nothing to measure: " + ("the only region is the background region" if not annuli else
                                               "an annulus gives a background, not a source; add a circle, "
                                               "ellipse, rectangle or polygon"))
    if annuli:
        _say("note", _annuli_left_out(annuli, args.background_region is None))
    done = frozenset(stream.done) if stream is not None else frozenset()
    if done:
        _say("note", f"--resume: {args.output} holds {counted(len(done), 'measurement')} already; they are skipped")
    images = [str(Path(p).resolve()) if os.path.isfile(p) else p for p in args.images]  # else the reader says why
    folders = folders_of(images)
    prefixed: dict[str, str] = {}  # a label begins with its file's stem and "["; the first file of each stem
    for name in folders:
        prefixed.setdefault(_stem(name), folders[name])
    bare = sorted({label for label, _ in done if label.partition("[")[0] in prefixed})
    if bare:  # OUT was measured on fewer files, when nothing shared their names: the same images twice
        now = prefixed[bare[0].partition("[")[0]] + bare[0]
        return _fail(f"--resume: {args.output} {bare_labels(bare, now)}")
    cleanup = contextlib.ExitStack()
    try:
        client = _client(args, cleanup)
    except PhotometryError as exc:
        return _fail(str(exc))
    failures, unreadable, interrupted, alike_images = 0, 0, False, Alike()
    measured: dict[str, str] = {}  # the images read, by source: what named each
    typed = dict(zip(images, args.images))
    next_flush = time.monotonic()  # the first image's rows are written at once, then at most once a second
    with _progress(len(images) * len(apertures)) as advance:
        if client is None:
            results = (measure_image(path, settings, done, advance, folders) for path in images)
        else:
            # Workers open the images from their paths; results are taken in image order, so ids, tables and
            # streaming are those of a single-process run.
            futures = client.map(measure_image, images, settings=settings, done=done, folders=folders, pure=False)
            results = (future.result() for future in futures)
        try:
            for result in results:
                with interrupt_held():  # the rows, OUT and OUT's record of them move together
                    if result.unreadable is not None and len(images) == 1:
                        return _fail(result.unreadable)
                    if result.source in measured:  # a/img.fits and a/img.fits[SCI,1]: its rows once, not twice
                        _say("note", f"{typed[result.path]} is {typed[measured[result.source]]} named again: measured "
                                     f"once")
                        continue
                    if result.source:
                        measured[result.source] = result.path
                    # A note on each of 500 _flt files, or a warning of the same star on each, would bury the rest:
                    # three are said, the others counted at the end. What was skipped is said for every image.
                    for text in result.notes:
                        if alike_images.first("note", text, _stem(result.path), everywhere=True):
                            _say("note", text)
                    for kind, text in result.messages:
                        if kind == "skipped" or alike_images.first(kind, text, result.label, everywhere=True):
                            _say(kind, text)
                    failures += result.failures
                    unreadable += result.unreadable is not None
                    if result.table is not None:
                        session.add_table(result.table, adopt=True)  # measure_image made it for this run alone
                    if client is not None:
                        for _ in range(len(apertures)):
                            advance()
                    if stream is not None and time.monotonic() >= next_flush:
                        stream.flush(session)
                        next_flush = time.monotonic() + FLUSH_SECONDS
            if stream is not None:
                with interrupt_held():
                    stream.flush(session)
        except PhotometryError as exc:
            return _fail(str(exc))
        except KeyboardInterrupt:  # ctrl+c: what was measured is shown and written as at the end, no traceback
            interrupted = True
            if stream is not None:
                with contextlib.suppress(PhotometryError, KeyboardInterrupt), interrupt_held():  # ctrl+c again
                    stream.flush(session)
        finally:
            cleanup.close()
    for kind, text in alike_images.counted("images"):
        _say(kind, text)
    # With OUT, the terminal gets a glimpse of a long table (OUT holds it all), made from its ends alone; without,
    # every row.
    most = SHOWN_WITH_OUT if args.output else None
    tables = [(table, len(table)) for table in session.archived_results]
    if count := session.result_count:
        tables.append((session.results_ends(*glimpse(most)) if most else
                       session.get_aperture_photometry_results(extended=True), count))
    if interrupted:
        _say("interrupted", f"{counted(sum(n for _, n in tables), 'measurement')} made before ctrl+c" +
             (f"; --resume -o {args.output} measures the rest" if stream is not None and stream.streams else ""))
        if not tables:
            return INTERRUPTED
    elif unreadable == len(images):
        return _fail("no image could be read")
    if not tables and not done:
        return _fail("no measurement succeeded")
    for table, count in tables:
        print(summary(table, most, count))
        print()
    if stream is not None:
        try:
            stream.close(session)
        except PhotometryError as exc:
            return _fail(str(exc))
        for path in stream.files():
            _say("wrote", f"{path} ({counted(stream.rows(path), 'row')} this run)")
    return INTERRUPTED if interrupted else 1 if failures else 0


def _client(args, cleanup):
    """A dask.distributed client for --workers N (a local cluster) or --scheduler ADDRESS, closed (with its
    cluster) by `cleanup`; None otherwise."""
    if args.workers is None and args.scheduler is None:
        return None
    from tui.core import PhotometryError

    try:
        import logging

        from distributed import Client, LocalCluster
    except ImportError:
        raise PhotometryError("--workers and --scheduler need dask.distributed: pip install -e '.[dask]'") from None
    if args.scheduler is not None:
        try:
            client = cleanup.enter_context(Client(args.scheduler, timeout=args.timeout))
            _quiet_cluster_logs()
            return client
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise PhotometryError(f"cannot reach the scheduler at {args.scheduler} ({reason})") from None
    # ctrl+c reaches every process of the terminal's foreground group: the workers, started with SIGINT ignored
    # (which a new process keeps), leave it to this one, which stops the run and closes them; else each printed
    # its own traceback.
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cluster = cleanup.enter_context(LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                                     dashboard_address=None, silence_logs=logging.ERROR))
    finally:
        signal.signal(signal.SIGINT, before)
    _quiet_cluster_logs()
    return cleanup.enter_context(Client(cluster))


def _quiet_cluster_logs() -> None:
    """dask.distributed's own loggers, quiet: a run stopped by ctrl+c makes its scheduler and event loop log
    errors and tracebacks of their own (a task forgotten, a callback of its `sync` that fails), noise after the
    one line that says what was kept."""
    import logging

    for name in ("distributed", "tornado.application"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _progress(total: int):
    """A progress bar on stderr when it is a terminal (rich comes with Textual); nothing otherwise."""
    if not sys.stderr.isatty() or total < 2:
        return contextlib.nullcontext(lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    @contextlib.contextmanager
    def bar():
        with Progress("measuring", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("measure", total=total)
            yield lambda: progress.advance(task)

    return bar()


def run_app(argv: list[str]) -> int:
    args = parse_files(app_parser(), _glue_negative_numbers(argv, ("--site",)))
    if os.environ.get("TERM", "") in ("dumb", "unknown") or not sys.stdout.isatty():
        return _fail("this terminal cannot show the app (TERM=dumb or no terminal); "
                     "use 'aperphot-tui measure IMAGE... --regions FILE' instead")
    if args.colors != "auto":
        # Textual reads this once, when first imported: it must be set before any Textual import.
        os.environ["TEXTUAL_COLOR_SYSTEM"] = {"none": "standard", "16": "standard"}.get(args.colors, args.colors)
    graphics = _graphics(args)
    from tui.app.app import AperPhotApp

    # NO_COLOR and 16-colour terminals are detected by the app from Textual's colour system.
    app = AperPhotApp(images=args.images, region_files=args.regions, resume=args.resume,
                      ascii_mode=args.ascii or args.colors == "none", graphics=graphics,
                      regions_beside=[] if args.regions else args.beside, site=args.site)
    try:
        app.run()
    finally:
        if graphics.kind == "kitty":  # no image left behind, also after ctrl+c
            _to_terminal(_kitty_cleanup(graphics))
    return app.return_code or 0


def _graphics(args):
    """The terminal's pixel protocol (tui.app.graphics.detect), asked before Textual starts."""
    from tui.app.graphics.detect import Graphics, detect

    if args.ascii or args.colors in ("none", "16") or "NO_COLOR" in os.environ:
        return Graphics("none")
    graphics = detect(args.graphics or "auto")  # "auto" reads APERPHOT_GRAPHICS
    if graphics.kind == "kitty":
        # images a dropped connection left behind; and in tmux, 256-colour placeholders (image ids) survive
        # whatever tmux knows of the terminal outside, 24-bit ones only when it passes RGB on
        _to_terminal(_kitty_cleanup(graphics))
        if graphics.tmux and args.colors == "auto":
            os.environ["TEXTUAL_COLOR_SYSTEM"] = "256"
    return graphics


def _kitty_cleanup(graphics) -> str:
    from tui.app.graphics.layer import cleanup

    return cleanup(graphics.tmux)


def _to_terminal(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError:
        pass


def keep_freed_memory(limit: int = 64 << 20) -> bool:
    """Have glibc keep up to `limit` bytes of freed memory for reuse. By default it hands the few megabytes of
    temporaries each measurement frees back to the system and faults them in again for the next one, which costs
    a third of the time of 1000 small apertures (tests/benchmarks/bench_core.py). Process-wide, so only this
    program's own processes ask for it, not scripts that import tui.core. False where there is no glibc."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, min(limit, 32 << 20)) and libc.mallopt(m_trim_threshold, limit))
    except (OSError, AttributeError):
        return False


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")  # what OpenBLAS reads, in its order


def one_blas_thread() -> None:
    """Have OpenBLAS (which NumPy's wheels use for dot products) run each call on one thread, unless the user
    chose a number; it must come before NumPy loads. The dots here run over at most a few hundred thousand values
    just written: spread over threads, each one waits for the others to wake and to fetch those values from this
    core's cache, which made the ten Imviz 5 columns twice as slow at r=200 (tests/benchmarks/bench_core.py), and
    more with more cores. dask gives its workers one thread for the same reason. Only this program's processes
    ask for it, as with keep_freed_memory."""
    if not any(name in os.environ for name in BLAS_THREADS):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    one_blas_thread()
    keep_freed_memory()
    try:
        if argv[:1] == ["measure"]:
            return measure(argv[1:])
        if argv[:1] == ["series"]:
            from tui.series_cli import run

            return run(argv[1:])
        return run_app(argv)
    except ImportError as exc:
        if not getattr(exc, "for_the_user", False):  # tui.core.errors.MissingDependency: a library too old
            raise
        print(f"aperphot-tui: error: {exc}", file=sys.stderr)  # our own words: _say's escaping needs the core
        return 2
    except KeyboardInterrupt:  # ctrl+c before measuring began (reading headers, say): nothing to keep
        batch = argv[:1] in (["measure"], ["series"])
        _say("interrupted", "stopped by ctrl+c" + (" before anything was measured" if batch else ""))
        return INTERRUPTED
