"""Core speed figures (issue 2). Run by hand: python tests/benchmarks/bench_core.py

Prints: calculate vs the bare `regions` sequence vs a numpy bounding-box sum on 4096^2 float32; what an error
array and a DQ array add to calculate (issue 7); profile, curve of growth and fit (issue 6); opening an 8192^2 FITS and measuring one r=50 aperture (wall time,
peak RSS, in a fresh process); 1000 r=10 apertures.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from regions import CirclePixelRegion, PixCoord

from tui.core import Session
from tui.core.quality import DataQuality


def best(fn, repeat):
    """Fastest of `repeat` runs, with the garbage collector off while timing, as timeit does."""
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return min(times)


def bare_regions(data, region):
    """What SPEC requires, written directly against regions: exact-mask sum + centre-mask statistics."""
    exact = region.to_mask(mode="exact")
    total = np.nansum(exact.get_values(data))
    values = region.to_mask(mode="center").get_values(data)
    return total, np.nanmean(values), np.nanstd(values), np.nanmedian(values), np.nanmin(values), np.nanmax(values)


def bbox_sum(data, region):
    bb = region.bounding_box
    return float(np.sum(data[max(bb.iymin, 0):bb.iymax, max(bb.ixmin, 0):bb.ixmax]))


def calculate_vs_bare():
    rng = np.random.default_rng(1)
    data = rng.normal(10.0, 1.0, (4096, 4096)).astype(np.float32)
    s = Session()
    s.load_data(data, label="big")
    print("calculate on 4096x4096 float32 (best of N, ms)")
    print(f"{'radius':>7} {'calculate':>10} {'bare regions':>13} {'ratio':>6} {'numpy bbox':>11}")
    for radius in (5, 50, 200, 1000):
        region = CirclePixelRegion(PixCoord(2048.3, 2047.6), radius)
        label = s.add_subset(region)
        repeat = 200 if radius <= 50 else 10 if radius <= 200 else 3
        t_calc = best(lambda: s.calculate(subset=label), repeat)
        t_bare = best(lambda: bare_regions(data, region), repeat)
        t_np = best(lambda: bbox_sum(data, region), repeat)
        print(f"{radius:>7} {t_calc * 1e3:>10.2f} {t_bare * 1e3:>13.2f} {t_calc / t_bare:>6.2f} {t_np * 1e3:>11.3f}")


def error_and_dq_cost():
    """calculate on the same image without and with a sigma array and a JWST-style DQ array (issue 7)."""
    rng = np.random.default_rng(4)
    shape = (4096, 4096)
    data = rng.normal(10.0, 1.0, shape).astype(np.float32)
    sigma = np.full(shape, 0.5, np.float32)
    dq = DataQuality((rng.random(shape) < 0.01).astype(np.uint32))  # 1% DO_NOT_USE
    plain, full = Session(), Session()
    plain.load_data(data, label="plain")
    full.load_data(data, label="full", error=sigma, meta={"TELESCOP": "JWST"})
    full.images["full"].dq = dq
    print("error propagation + DQ masking on 4096x4096 float32 (best of N, ms)")
    print(f"{'radius':>7} {'plain':>8} {'err+DQ':>8} {'added':>7}")
    for radius in (50, 200):
        region = CirclePixelRegion(PixCoord(2048.3, 2047.6), radius)
        a, b = plain.add_subset(region), full.add_subset(region)
        repeat = 200 if radius <= 50 else 20
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


def many_apertures():
    rng = np.random.default_rng(3)
    data = rng.normal(10.0, 1.0, (2048, 2048)).astype(np.float32)
    s = Session()
    s.load_data(data, label="img")
    labels = [s.add_subset(CirclePixelRegion(PixCoord(*rng.uniform(20, 2028, 2)), 10)) for _ in range(1000)]
    t0 = time.perf_counter()
    for label in labels:
        s.calculate(subset=label)
    total = time.perf_counter() - t0
    t1 = time.perf_counter()
    table = s.get_aperture_photometry_results()
    build = time.perf_counter() - t1
    print(f"1000 r=10 apertures: {total:.3f} s ({total:.3f} ms each); results table of {len(table)} rows "
          f"built in {build * 1e3:.0f} ms")


if __name__ == "__main__":
    calculate_vs_bare()
    error_and_dq_cost()
    profile_cost()
    open_big_fits()
    many_apertures()
