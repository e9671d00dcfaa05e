"""`aperphot-tui series`: a light curve from a sequence of frames, streamed to OUT as frames are measured."""

from __future__ import annotations

import argparse
import contextlib
import math
import time

from tui.cli import (FLUSH_SECONDS, FROM_THE_APP, INTERRUPTED, _client, _dq_flags, _fail, _floats,
                     _glue_negative_numbers, _number, _positive_int, _progress, _say, _site, check_output,
                     interrupt_held)

SHOWN = 12  # rows of the light curve printed (first and last); the file written holds them all


def _pair(text: str) -> tuple[float, float]:
    return _floats(text, 2)


def _at_least(low: float, strict: bool, what: str):
    """An argparse type: a finite number above `low` (or from it, when not strict)."""
    def number(text: str) -> float:
        value = _number(text)
        if not (math.isfinite(value) and (value > low if strict else value >= low)):
            raise argparse.ArgumentTypeError(f"{what} must be {'above' if strict else 'at least'} {low:g}, not {text}")
        return value
    return number


def _annulus(text: str) -> tuple[float, float]:
    inner, outer = _pair(text)
    if not 0 <= inner < outer:
        raise argparse.ArgumentTypeError(f"the annulus runs from an inner radius of 0 or more to a larger outer one, "
                                         f"not {text}")
    return inner, outer


def _limb_darkening(text: str) -> tuple[float, float]:
    u1, u2 = _pair(text)
    if not (u1 >= 0 and u1 + u2 <= 1 and u1 + 2 * u2 >= 0):  # a star brightest at its centre, nowhere negative
        raise argparse.ArgumentTypeError(f"{text!r} is not a physical quadratic law (u1 >= 0, u1 + u2 <= 1, "
                                         f"u1 + 2 u2 >= 0)")
    return u1, u2


def _aperture(text: str):
    if text == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a radius in pixels nor 'auto'") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"the aperture must be a positive radius, not {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aperphot-tui series",
        description="A light curve: the target and comparison stars on every frame (FITS files, and cubes of "
                    "integrations such as JWST _calints), relative fluxes, BJD_TDB times, and optionally a transit "
                    "fit. Columns use AstroImageJ's names (T1 = the target, C2, C3, ... the comparisons).")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="FITS frames and/or cubes (one frame per plane); a folder: its FITS files")
    p.add_argument("-r", "--regions", required=True, metavar="FILE",
                   help=f"DS9 or CRTF file naming the stars (circles or points); {FROM_THE_APP}")
    p.add_argument("--target", required=True, metavar="LABEL", help="the target star's region label")
    p.add_argument("--comparisons", required=True, metavar="LABEL[,LABEL...]",
                   type=lambda t: [s.strip() for s in t.split(",") if s.strip()],
                   help="the comparison stars' region labels, comma-separated")
    p.add_argument("-o", "--output", metavar="OUT", help="write the light curve (.ecsv .csv .fits .vot .html .txt)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    again.add_argument("--resume", action="store_true",
                       help="skip the frames OUT (ECSV or CSV) holds and append the rest")
    p.add_argument("--aperture", type=_aperture, default=None, metavar="R|auto",
                   help="aperture radius in pixels; auto (default): where the target's profile on the first frame "
                        "falls to 1%% of its peak")
    p.add_argument("--annulus", type=_annulus, metavar="RIN,ROUT", help="sky annulus in pixels (default 1.5R, 2.5R)")
    p.add_argument("--no-recentre", dest="recentre", action="store_false", help="keep the region centres")
    p.add_argument("--gain", type=_at_least(0, True, "the gain"), metavar="G",
                   help="e-/ADU for the CCD equation (default: GAIN keyword)")
    p.add_argument("--read-noise", type=_at_least(0, False, "the read noise"), metavar="R",
                   help="e- (default: RDNOISE keyword, else 0)")
    p.add_argument("--dark", type=_at_least(0, False, "the dark"), default=0.0, metavar="D",
                   help="dark e-/pixel in an exposure (default 0)")
    p.add_argument("--saturation", type=_at_least(0, True, "the saturation level"), metavar="ADU",
                   help="peak level that flags a star as saturated (default: SATURATE keyword)")
    p.add_argument("--site", type=_site, metavar="LAT,LON,HEIGHT",
                   help="observatory: degrees north, degrees east, metres (default: SITELAT/SITELONG/SITEELEV, "
                        "else the geocentre)")
    p.add_argument("--dq-flags", type=_dq_flags, metavar="FLAGS", default=None,
                   help="DQ flag values that make a pixel bad (default: per telescope, as for measure)")
    p.add_argument("--fit", choices=["transit"], help="fit a transit (optional extra: pip install -e '.[transit]')")
    p.add_argument("--detrend", default=None, metavar="auto|none|COL[,COL...]",
                   help="with --fit: baseline regressors beside a line in time: columns such as "
                        "AIRMASS,Width_T1,X(IJ)_T1; auto (default) picks the set with the lowest BIC")
    p.add_argument("--period", type=_at_least(0, True, "the period"), default=None, metavar="DAYS",
                   help="with --fit: orbital period (default 3 d: one transit's shape does not need it)")
    p.add_argument("--limb-darkening", type=_limb_darkening, default=None, metavar="U1,U2",
                   help="with --fit: quadratic limb darkening (default 0.40,0.26)")
    cluster = p.add_mutually_exclusive_group()
    cluster.add_argument("--workers", type=_positive_int, metavar="N",
                         help="measure on a local dask.distributed cluster of N worker processes (extra: dask)")
    cluster.add_argument("--scheduler", metavar="ADDRESS", help="measure on a running dask.distributed scheduler")
    p.add_argument("--timeout", default="10s", metavar="T", help=argparse.SUPPRESS)
    return p


NUMBERS = ("--gain", "--read-noise", "--dark", "--saturation", "--period", "--site", "--annulus", "--limb-darkening")


def run(argv: list[str]) -> int:
    argparser = parser()
    args = argparser.parse_intermixed_args(_glue_negative_numbers(argv, NUMBERS))  # frames after options too
    check_output(argparser, args)
    shaping = [name for name in ("detrend", "period", "limb_darkening") if getattr(args, name) is not None]
    if shaping and not args.fit:  # else taken without a word, and no fit made
        argparser.error(f"{', '.join('--' + n.replace('_', '-') for n in shaping)} "
                        f"{'shapes' if len(shaping) == 1 else 'shape'} the transit fit: add --fit transit")
    from tui.core import PhotometryError
    from tui.core.batch import LineStream, bare_labels
    from tui.core.formatting import counted
    from tui.core.notices import Alike
    from tui.core.series import Series, ensemble_gaps

    try:
        series = Series(args.inputs, args.regions, args.target, args.comparisons, aperture=args.aperture,
                        annulus=args.annulus, recentre=args.recentre, gain=args.gain, read_noise=args.read_noise,
                        dark=args.dark, saturation=args.saturation, site=args.site, dq_flags=args.dq_flags)
        stream = LineStream(args.output, args.overwrite, args.resume, key="Label") if args.output else None
        if args.fit:
            _check_detrend(series, _detrend(args))
    except PhotometryError as exc:
        return _fail(str(exc))
    roles = ", ".join(f"{s.role} = {s.label}" for s in series.stars)
    _say("note", f"{len(series.frames)} frames; {roles}")
    _say("note", f"aperture {series.aperture_note}; sky annulus {series.apertures.inner:g} to "
                 f"{series.apertures.outer:g} px")
    if series.time_note:  # without one, a note among series.notes says why there is no BJD_TDB
        _say("note", series.time_note)
    for note in [*series.notes, *(stream.notes if stream is not None else ())]:
        _say("note", note)
    for problem in series.skipped:
        _say("skipped", problem)
    done = stream.done if stream is not None else set()
    loaded = 0
    if done:
        try:
            loaded = series.load(stream.previous)  # where the next frame starts; and the fit sees every frame
        except PhotometryError as exc:
            return _fail(f"--resume: {args.output} {exc}")
        _say("note", f"--resume: {args.output} holds {counted(len(done), 'frame')} already; they are skipped")
        labels = {f.label for f in series.frames}
        # each label that has a folder before it (night1/ or img.fits:), by what it is without
        prefixed = {x.rsplit(sep, 1)[1]: x for x in sorted(labels, reverse=True) for sep in "/:" if sep in x}
        bare = sorted(d for d in done if d not in labels and d in prefixed)
        if bare:  # OUT was measured on fewer files, when nothing shared their names: the same frames twice
            return _fail(f"--resume: {args.output} {bare_labels(bare, prefixed[bare[0]])}")
    cleanup = contextlib.ExitStack()
    try:
        client = _client(args, cleanup)
    except PhotometryError as exc:
        return _fail(str(exc))
    todo = [k for k, f in enumerate(series.frames) if f.label not in done]
    index = {f.label: k for k, f in enumerate(series.frames)}
    problems, alike, interrupted = 0, Alike(), False
    next_flush, pending = time.monotonic(), []
    with _progress(len(todo)) as advance:
        results = series.run(progress=advance) if client is None else _on_cluster(client, series, todo, advance)
        try:
            for result in results:
                with interrupt_held():  # the frames, OUT and what is still to write move together
                    for message in result.messages:
                        if alike.first("skipped", message, result.frame.label):
                            _say("skipped", message)
                    problems += bool(result.messages)
                    pending.append(index[result.frame.label])
                    if stream is not None and time.monotonic() >= next_flush:
                        stream.append(series.table(pending))
                        pending, next_flush = [], time.monotonic() + FLUSH_SECONDS
            if stream is not None and pending:
                with interrupt_held():
                    stream.append(series.table(pending))
                    pending = []
        except PhotometryError as exc:
            return _fail(str(exc))
        except KeyboardInterrupt:  # ctrl+c: the frames measured are shown and written as at the end
            interrupted = True
            if stream is not None and pending:
                with contextlib.suppress(PhotometryError, KeyboardInterrupt), interrupt_held():  # ctrl+c again
                    stream.append(series.table(pending))
        finally:
            cleanup.close()
            for kind, text in alike.counted("frames"):
                _say(kind, text)
    if interrupted:
        _say("interrupted", f"{counted(int(series.done.sum()), 'frame')} of {len(series.frames)} measured before "
                            f"ctrl+c" + (f"; --resume -o {args.output} measures the rest" if stream is not None
                                          and stream.streams else "") + ("; no fit" if args.fit else ""))
        if not series.done.any():
            return INTERRUPTED
    if not series.done.any():
        return _fail("no frame could be measured")
    table = series.table()
    if args.fit and not interrupted:  # a fit to part of the transit would mislead
        try:
            table = _fitted(table, args)
        except PhotometryError as exc:
            return _fail(str(exc))
        _say("fit", table.meta["fit_summary"])
    from tui.core.formatting import safe_text

    print(_glimpse(table, safe_text, args.output))
    if gaps := ensemble_gaps(table):
        _say("note", gaps)
    if stream is not None:
        try:
            path = stream.finish(table, rewrite=bool(args.fit))
        except PhotometryError as exc:
            return _fail(str(exc))
        _say("wrote", f"{path} ({counted(int(series.done.sum()) - loaded, 'frame')} this run)")
    return INTERRUPTED if interrupted else 1 if problems or series.skipped else 0


def _on_cluster(client, series, todo: list[int], advance):
    """Frames on the cluster with the starts a single process would use: the target is followed frame by frame
    here (as measure_frame's first step does it), and each frame goes out with its start."""
    from tui.core.frames import FrameReader
    from tui.core.series import measure_frame, needs_wcs

    futures = []
    offset = series._offset_before(todo[0]) if todo else (0.0, 0.0)
    with FrameReader(with_wcs=needs_wcs(series.stars)) as reader:
        for k in todo:
            frame = series.frames[k]
            futures.append((k, client.submit(measure_frame, frame, series.stars, series.settings, offset,
                                             pure=False)))
            offset = measure_frame(frame, series.stars[:1], series.settings, offset, reader).offset
    for k, future in futures:
        result = future.result()
        series.store(k, result)
        advance()
        yield result


def _detrend(args):
    """--detrend as fit_table takes it: "auto", () for none, or column names."""
    text = args.detrend or "auto"
    return () if text == "none" else "auto" if text == "auto" else tuple(c.strip() for c in text.split(",")
                                                                           if c.strip())


def _check_detrend(series, detrend) -> None:
    """The fit's own check of --detrend, against the columns the light curve will have, before any frame is
    measured (the fit, after them all, said it too late)."""
    import numpy as np

    from tui.core.transit import check_detrend

    check_detrend(detrend, series.table(indices=np.array([], dtype=int)).colnames)


def _fitted(table, args):
    from tui.core.lightcurve import fit_table, with_fit

    return with_fit(table, fit_table(table, _detrend(args), args.period, args.limb_darkening))


def _glimpse(table, safe, output: str | None) -> str:
    """The first and last frames' main columns; the rows between are in the file written, if one is."""
    from tui.core.formatting import padded

    names = [n for n in ("Label", "BJD_TDB", "AIRMASS", "rel_flux_T1", "rel_flux_err_T1", "Width_T1")
             if n in table.colnames]
    rows = list(range(len(table)))
    if len(rows) > SHOWN:
        rows = rows[:SHOWN - 3] + [None] + rows[-2:]
    lines = ["  ".join(f"{n:>15}" for n in names)]
    for k in rows:
        if k is None:
            where = f"in {safe(output)}" if output else "not shown: -o OUT writes them all"
            lines.append(f"{'...':>15}  ({len(table) - SHOWN + 1} rows more, {where})")
            continue
        cells = []
        for n in names:
            v = table[n][k]
            cells.append(padded(safe(str(v)), 15, right=True) if n == "Label" else f"{float(v):15.6f}" if n == "BJD_TDB"
                         else f"{float(v):15.5g}")
        lines.append("  ".join(cells))
    return "\n".join(lines)
