"""Core speed figures. Run by hand: python tests/benchmarks/bench_core.py

Prints: calculate vs the bare `regions` sequence and vs the floor (a numpy bounding-box sum + an np.partition
median of the centre pixels) on 4096^2 float32, with a check that the numbers are regions' (issue 8); what an
error array and a DQ array add to calculate (issue 7); profile, curve of growth and fit (issue 6); opening an
8192^2 FITS and measuring one r=50 aperture (wall time, peak RSS, in a fresh process); 1000 r=10 apertures one by
one, together, and with photutils' ApertureStats (issue 8); what the current Imviz plugin's ten extra columns add
to calculate and to many apertures, timed in the same run with their own calls left out, what one NumPy pass, a
dot and the MAD's selection cost at r=200, the floor those columns stand on, what two stages both versions have (the
row's timestamp, the footprint) cost inside calculate and alone, and the same figures on the product before them
(imviz5_before.py, issue 20).

The process keeps freed memory for reuse and runs OpenBLAS on one thread, as aperphot-tui does
(tui.cli.keep_freed_memory, one_blas_thread); the 1000 apertures are also timed in a fresh process with the default
allocator, and the ten columns' cost with OpenBLAS's own threads (`imviz5 --blas-threads`, what a script gets).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tui.cli import BLAS_THREADS, keep_freed_memory, one_blas_thread

if "--blas-threads" not in sys.argv:
    one_blas_thread()  # before NumPy loads
import numpy as np  # noqa: E402
from regions import CirclePixelRegion, PixCoord  # noqa: E402

from tui.core import Session  # noqa: E402
from tui.core.quality import DataQuality  # noqa: E402
from tui.core.robust import EXTRA  # noqa: E402

from imviz5_before import BEFORE, best, typical  # noqa: E402  (this folder: both benchmarks time alike)


def bare_regions(data, region):
    """What SPEC requires, written directly against regions: exact-mask sum + centre-mask statistics."""
    exact = region.to_mask(mode="exact")
    total = np.nansum(exact.get_values(data))
    values = region.to_mask(mode="center").get_values(data)
    return total, np.nanmean(values), np.nanstd(values), np.nanmedian(values), np.nanmin(values), np.nanmax(values)


def bbox_sum(data, region):
    bb = region.bounding_box
    return float(np.sum(data[max(bb.iymin, 0):bb.iymax, max(bb.ixmin, 0):bb.ixmax]))


def partition_median(values):
    mid = values.size // 2
    return np.partition(values, mid)[mid]


def same_as_regions(row, data, region) -> bool:
    """sum and npix within 1e-12 of regions' exact masks, statistics bit-identical to NumPy on its centre mask."""
    exact = region.to_mask(mode="exact")
    weights = exact.data
    cutout = exact.cutout(data.astype(np.float64))
    total, npix = float(np.sum(weights * cutout)), float(weights.sum())
    values = region.to_mask(mode="center").get_values(data.astype(np.float64))
    stats = (values.mean(), values.std(), np.median(values), values.min(), values.max())
    close = lambda a, b: abs(a - b) <= 1e-12 * abs(b)
    return (close(row["aperture_sum"], total) and close(row["npix"].value, npix)
            and (row["mean"], row["stddev"], row["median"], row["min"], row["max"]) == stats)


def calculate_vs_bare():
    rng = np.random.default_rng(1)
    data = rng.normal(10.0, 1.0, (4096, 4096)).astype(np.float32)
    s = Session()
    s.load_data(data, label="big")
    print("calculate on 4096x4096 float32 (best of N, ms). floor = numpy bbox sum + np.partition median of the "
          "centre pixels as float64 (the statistics' values); floor32: the same on the float32 pixels")
    print(f"{'radius':>7} {'calculate':>10} {'bare regions':>13} {'ratio':>6} {'numpy bbox':>11} {'floor':>8} "
          f"{'calc/floor':>10} {'floor32':>8} {'calc/floor32':>12} {'same as regions':>16}")
    for radius in (5, 50, 200, 1000):
        region = CirclePixelRegion(PixCoord(2048.3, 2047.6), radius)
        label = s.add_subset(region)
        repeat = 200 if radius <= 50 else 100 if radius <= 200 else 10
        t_calc = best(lambda: s.calculate(subset=label), repeat)
        t_bare = best(lambda: bare_regions(data, region), repeat)
        t_np = best(lambda: bbox_sum(data, region), repeat)
        centre = region.to_mask(mode="center")
        centre32 = centre.cutout(data)[centre.data > 0]  # get_values would give float64
        centre64 = centre32.astype(np.float64)
        t_floor = t_np + best(lambda: partition_median(centre64), repeat)
        t_floor32 = t_np + best(lambda: partition_median(centre32), repeat)
        same = same_as_regions(s.calculate(subset=label), data, region)
        print(f"{radius:>7} {t_calc * 1e3:>10.2f} {t_bare * 1e3:>13.2f} {t_calc / t_bare:>6.2f} {t_np * 1e3:>11.3f} "
              f"{t_floor * 1e3:>8.2f} {t_calc / t_floor:>10.2f} {t_floor32 * 1e3:>8.2f} "
              f"{t_calc / t_floor32:>12.2f} {'yes' if same else 'NO':>16}")


def error_and_dq_cost():
    """calculate on the same image without and with a sigma array and a JWST-style DQ array (issue 7)."""
    rng = np.random.default_rng(4)
    shape = (4096, 4096)
    data = rng.normal(10.0, 1.0, shape).astype(np.float32)
    sigma = np.full(shape, 0.5, np.float32)
    dq = DataQuality((rng.random(shape) < 0.01).astype(np.uint32))  # 1% DO_NOT_USE
    plain, full = Session(warn=False), Session(warn=False)  # the flagged pixels are meant
    plain.load_data(data, label="plain")
    full.load_data(data, label="full", error=sigma, meta={"TELESCOP": "JWST"})
    full.images["full"].dq = dq
    print("error propagation + DQ masking on 4096x4096 float32 (best of N, ms)")
    print(f"{'radius':>7} {'plain':>8} {'err+DQ':>8} {'added':>7}")
    for radius in (50, 200):
        region = CirclePixelRegion(PixCoord(2048.3, 2047.6), radius)
        a, b = plain.add_subset(region), full.add_subset(region)
        repeat = 200 if radius <= 50 else 100
        t_plain = best(lambda: plain.calculate(subset=a), repeat)
        t_full = best(lambda: full.calculate(subset=b), repeat)
        print(f"{radius:>7} {t_plain * 1e3:>8.2f} {t_full * 1e3:>8.2f} {(t_full / t_plain - 1) * 100:>6.0f}%")


def profile_cost():
    """Radial profile + curve of growth + Gaussian fit about one aperture (issue 6: under 30 ms at r=50, 100 at 200)."""
    rng = np.random.default_rng(6)
    size = 4096
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    data = rng.normal(10.0, 1.0, (size, size)).astype(np.float32)
    data += (1000 * np.exp(-((xx - 2048.3) ** 2 + (yy - 2047.6) ** 2) / (2 * 3.0**2))).astype(np.float32)
    del xx, yy
    s = Session()
    s.load_data(data, label="big")
    print("profile + curve of growth + fit on 4096x4096 float32 (best of N, ms)")
    print(f"{'radius':>7} {'profile':>8} {'growth':>8} {'fit':>8} {'all':>8} {'summary':>8}")
    for radius in (50, 200):
        label = s.add_subset(CirclePixelRegion(PixCoord(2048.3, 2047.6), radius))
        repeat = 20 if radius <= 50 else 5
        t_p = best(lambda: s.radial_profile(subset=label, background=10.0), repeat)
        t_g = best(lambda: s.curve_of_growth(subset=label, background=10.0), repeat)
        t_f = best(lambda: s.profile_fit(subset=label, background=10.0), repeat)
        t_s = best(lambda: s.profile_summary(subset=label, background=10.0), repeat)
        print(f"{radius:>7} {t_p * 1e3:>8.1f} {t_g * 1e3:>8.1f} {t_f * 1e3:>8.1f} {(t_p + t_g + t_f) * 1e3:>8.1f} "
              f"{t_s * 1e3:>8.1f}")


CHILD = """
import sys, time
t0 = time.perf_counter()
from tui.core import Session
from regions import CirclePixelRegion, PixCoord
t1 = time.perf_counter()
s = Session()
label = s.load_data(sys.argv[1])
s.add_subset(CirclePixelRegion(PixCoord(4100.2, 4090.7), 50))
row = s.calculate()
t2 = time.perf_counter()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork/exec.
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {rss:.0f}")
"""


def open_big_fits():
    from astropy.io import fits
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.fits"
        data = np.random.default_rng(2).normal(10.0, 1.0, (8192, 8192)).astype(np.float32)
        fits.PrimaryHDU(data, fits.Header({"BUNIT": "MJy/sr", "PIXAR_A2": 0.001})).writeto(path)
        del data
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
        imports, work, rss = out.stdout.split()
        print(f"open 8192x8192 float32 FITS + one r=50 aperture: {float(work):.3f} s "
              f"(imports before it: {float(imports):.2f} s), peak RSS {rss} MB (whole process, imports included)")


def many_apertures(compare: bool = True):
    """1000 r=10 circles on a 2048^2 float32 image: one by one, together (the core and through a Session, which
    keeps the rows), and photutils' ApertureStats on the same apertures (sum, mean, median, std, min, max)."""
    from tui.core.many import measure_many

    rng = np.random.default_rng(3)
    data = rng.normal(10.0, 1.0, (2048, 2048)).astype(np.float32)
    centres = rng.uniform(20, 2028, (1000, 2))
    regions = [CirclePixelRegion(PixCoord(x, y), 10) for x, y in centres]
    s = Session()
    s.load_data(data, label="img")
    labels = [s.add_subset(region) for region in regions]
    inputs, image = s.inputs.validated(), s.images["img"]
    t_core = best(lambda: measure_many(image, regions, inputs, labels), 20)
    if not compare:
        print(f"1000 r=10 apertures together, default allocator: {t_core * 1e3:.1f} ms")
        return
    t_one = best(lambda: [s.calculate(subset=label) for label in labels], 3)
    t_session = best(lambda: s.calculate_many(subsets=labels), 5)
    one = Session()
    one.load_data(data, label="img")
    for region in regions:
        one.add_subset(region)
    for label in labels:
        one.calculate(subset=label)
    reference = one.get_aperture_photometry_results(extended=True)
    table, _ = measure_many(image, regions, inputs, labels)
    identical = all(np.array_equal(np.asarray(getattr(reference[n], "value", reference[n])),
                                   np.asarray(getattr(table[n], "value", table[n])), equal_nan=True)
                    for n in table.colnames if n not in ("timestamp", "sky_center") and table[n].dtype.kind == "f")
    print("1000 r=10 apertures on 2048x2048 float32 (best of N, ms)")
    print(f"  calculate one by one      {t_one * 1e3:8.1f}")
    print(f"  together (measure_many)   {t_core * 1e3:8.1f}   "
          f"rows identical to one by one: {'yes' if identical else 'NO'}")
    print(f"  together, rows kept       {t_session * 1e3:8.1f}   (Session.calculate_many)")
    try:
        import photutils
        from photutils.aperture import ApertureStats, CircularAperture
    except ImportError:
        print("  photutils not installed: pip install -e '.[test]'")
        return
    aperture = CircularAperture(centres, 10)

    def photutils_stats():
        stats = ApertureStats(data, aperture)
        return stats.sum, stats.mean, stats.median, stats.std, stats.min, stats.max

    t_photutils = best(photutils_stats, 5)
    print(f"  photutils ApertureStats   {t_photutils * 1e3:8.1f}   (sum, mean, median, std, min, max; photutils "
          f"{photutils.__version__}): {t_photutils / t_core:.1f}x measure_many's time")

    def photutils_all():
        stats = ApertureStats(data, aperture)
        return [getattr(stats, name) for name in ("sum", "mean", "median", "std", "min", "max", *EXTRA)]

    t_all = best(photutils_all, 5)
    print(f"  photutils ApertureStats   {t_all * 1e3:8.1f}   (the same and Imviz 5's ten: mode ... eccentricity): "
          f"{t_all / t_core:.1f}x the time of measure_many, which gives them all")


@contextmanager
def imviz5_columns(computed: bool):
    """Within it, the ten Imviz 5 columns are computed (True) or left out, NaN (False): what a row cost before."""
    import math

    from tui.core import photometry, robust

    real = (photometry.extras, robust.robust, robust.shape)
    if not computed:
        photometry.extras = lambda sample, stats: dict.fromkeys(EXTRA, math.nan)
        robust.robust = lambda shifted, median, *rest: {n: np.full(median.size, math.nan) for n in robust.ROBUST}
        robust.shape = lambda shifted, *rest: {n: np.full(shifted.shape[0], math.nan) for n in robust.SHAPE}
    try:
        yield
    finally:
        photometry.extras, robust.robust, robust.shape = real


ROUNDS = 6


def imviz5_before_and_after():
    """Issue 20's comparison: the figures it bounds on this checkout and on the product before the ten columns
    (imviz5_before.BEFORE, extracted from git), each in fresh processes, alternated, best of six (on a shared VM
    the best of three still moved by 2 ms in 20 on the many-aperture figures)."""
    import io
    import json
    import math
    import tarfile

    here = Path(__file__).resolve().parent
    archive = subprocess.run(["git", "-C", str(here.parents[1]), "archive", BEFORE, "tui"], capture_output=True)
    if archive.returncode:
        print(f"Before the ten columns: skipped, no git history with {BEFORE} here")
        return
    with tempfile.TemporaryDirectory() as before:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python 3.11.4 on
        tarfile.open(fileobj=io.BytesIO(archive.stdout)).extractall(before, **safe)
        trees, found = {"before": before, "now": str(here.parents[1])}, {}
        for _ in range(ROUNDS):
            for name, tree in trees.items():
                run = subprocess.run([sys.executable, str(here / "imviz5_before.py"), tree], capture_output=True,
                                     text=True, check=True)
                for case, ms in json.loads(run.stdout).items():
                    found[case, name] = min(found.get((case, name), math.inf), ms)
    print(f"Imviz 5's ten columns against the product before them ({BEFORE}), fresh processes, best of {ROUNDS} (ms)")
    for case in dict.fromkeys(case for case, _ in found):
        now, then = found[case, "now"], found[case, "before"]
        print(f"  {case:<27} now {now:7.3f}  before {then:7.3f}  {(now / then - 1) * 100:+.0f}%")


@contextmanager
def stand_in(stage: str):
    """Within it, one stage of calculate that the ten columns do not touch costs (nearly) nothing: "timestamp", the
    row's Time.now() replaced by one fixed Time; "footprint", each aperture's footprint made once and reused."""
    from astropy.time import Time

    from tui.core import photometry

    real = photometry.Time, photometry._footprint_on
    if stage == "timestamp":
        fixed = Time.now()
        photometry.Time = type("FixedTime", (), {"now": staticmethod(lambda: fixed)})
    elif stage == "footprint":
        made = {}

        def reused(image, region, what):
            key = (image.label, str(region))
            if key not in made:
                made[key] = real[1](image, region, what)
            return made[key]

        photometry._footprint_on = reused
    try:
        yield
    finally:
        photometry.Time, photometry._footprint_on = real


def shared_stages():
    """What two stages both versions have cost inside calculate (r=50 and r=200 on 4096^2), next to their cost timed
    alone: inside, the whole pipeline runs more code than the CPU's caches hold, so a stage of Python code costs
    two or three times what it costs alone (issue 20's r=50 figure turns on this)."""
    import math

    from astropy.time import Time

    from tui.core import photometry

    rng = np.random.default_rng(1)
    s = Session(warn=False)
    s.load_data(rng.normal(10.0, 1.0, (4096, 4096)).astype(np.float32), label="big")
    image = s.images["big"]
    print("Stages both versions have, inside calculate and alone (best of N, ms)")
    for radius, repeat in ((50, 300), (200, 100)):
        region = CirclePixelRegion(PixCoord(2048.3, 2047.6), radius)
        label = s.add_subset(region)
        found = {}
        for _ in range(3):
            for stage in ("none", "timestamp", "footprint"):
                with stand_in(stage):
                    found[stage] = min(found.get(stage, math.inf), best(lambda: s.calculate(subset=label), repeat))
        alone = {"timestamp": best(Time.now, repeat),
                 "footprint": best(lambda: photometry._footprint_on(image, region, "x"), repeat)}
        print(f"  calculate r={radius:<4} {found['none'] * 1e3:6.3f}; " + "; ".join(
            f"with no {stage} cost {found[stage] * 1e3:6.3f} (inside: {(found['none'] - found[stage]) * 1e3:.3f}, "
            f"alone: {alone[stage] * 1e3:.3f})" for stage in ("timestamp", "footprint")))


def imviz5_cost():
    """calculate (r=50, r=200 on 4096^2) and 1000 r=10 apertures together, with the ten columns of the current
    Imviz plugin and with their own calls left out, alternated, best of each: what their computation costs. What
    they cost in all, against the product before them, is imviz5_before_and_after's."""
    import math

    from tui.core import robust
    from tui.core.many import measure_many

    def timed(fn, repeat):
        out = {}
        for _ in range(3):
            for name, ten in (("with", True), ("without", False)):
                with imviz5_columns(ten):
                    out[name] = min(out.get(name, math.inf), best(fn, repeat))
        return out

    rng = np.random.default_rng(1)
    data = rng.normal(10.0, 1.0, (4096, 4096)).astype(np.float32)
    s = Session(warn=False)
    s.load_data(data, label="big")
    print("Imviz 5's ten columns, their own calls (best of N, ms; 'without' skips the robust and shape calls, not the "
          "coordinates, gathers and columns they need: the comparison with the product before them follows)")
    for radius, repeat in ((50, 300), (200, 100)):
        label = s.add_subset(CirclePixelRegion(PixCoord(2048.3, 2047.6), radius))
        t = timed(lambda: s.calculate(subset=label), repeat)
        print(f"  calculate r={radius:<4} with {t['with'] * 1e3:7.3f}  without {t['without'] * 1e3:7.3f}  "
              f"+{(t['with'] / t['without'] - 1) * 100:.0f}%")
    # What NumPy's floor is at r=200: the ten need one exact selection (the MAD) and some twenty passes
    values = rng.normal(0.0, 1.0, 125_669)
    out = np.empty_like(values)
    one_pass = best(lambda: np.multiply(values, 0.5, out=out), 300)
    dot = best(lambda: np.vecdot(values, out), 300)
    # on fresh values, each selected once: selected again and again, one array's branches are learnt by the CPU
    selection = typical(robust.middle, [np.abs(rng.normal(0.0, 1.0, 125_669)) for _ in range(101)])
    method = "in place" if robust.WINDOWED == math.inf else f"a window from {robust.WINDOWED:,} values"
    print(f"  at r=200 (125,669 values) one NumPy pass takes {one_pass * 1e3:.3f} ms, a dot {dot * 1e3:.3f} ms, "
          f"the MAD's selection {selection * 1e3:.3f} ms on new values (medians: {method}, by this CPU)")
    rng = np.random.default_rng(3)
    data = rng.normal(10.0, 1.0, (2048, 2048)).astype(np.float32)
    regions = [CirclePixelRegion(PixCoord(x, y), 10) for x, y in rng.uniform(20, 2028, (1000, 2))]
    s = Session(warn=False)
    s.load_data(data, label="img")
    labels = [s.add_subset(region) for region in regions]
    inputs, image = s.inputs.validated(), s.images["img"]
    t = timed(lambda: measure_many(image, regions, inputs, labels), 10)
    print(f"  1000 r=10 together    with {t['with'] * 1e3:7.2f}  without {t['without'] * 1e3:7.2f}  "
          f"+{(t['with'] / t['without'] - 1) * 100:.0f}%")


if __name__ == "__main__":
    if sys.argv[1:] == ["--many-default-allocator"]:
        many_apertures(compare=False)
        sys.exit()
    keep_freed_memory()
    if sys.argv[1:2] == ["imviz5"]:
        imviz5_cost()
        shared_stages()
        if "--blas-threads" not in sys.argv:
            imviz5_before_and_after()
    else:
        calculate_vs_bare()
        error_and_dq_cost()
        profile_cost()
        open_big_fits()
        many_apertures()
        imviz5_cost()
        shared_stages()
        imviz5_before_and_after()
        subprocess.run([sys.executable, __file__, "--many-default-allocator"], check=True)
    if "--blas-threads" not in sys.argv:
        print("The same with OpenBLAS's own threads (one per CPU), which a script that imports tui.core gets:")
        own = {name: value for name, value in os.environ.items() if name not in BLAS_THREADS}
        subprocess.run([sys.executable, __file__, "imviz5", "--blas-threads"], check=True, env=own)
