"""The figures issue 20 bounds, timed on the code in a given tree: python imviz5_before.py TREE prints them as JSON.

bench_core.py runs it, each time in a fresh process, on this checkout and on the product as it was before the ten
Imviz 5 columns (BEFORE, extracted from git), so the comparison holds everything those columns brought with them:
the coordinates the moments need, the gathers, the wider table, and not only their own calls. Only API that both
versions have is used here; the process is set up as aperphot-tui sets up its own (one BLAS thread, freed memory
kept).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time

BEFORE = "2390c71"  # the parent of 6b727da, which added the ten columns


def best(fn, repeat: int) -> float:
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


def typical(fn, args) -> float:
    """The median time of fn(arg) over args, each called once, with the garbage collector off."""
    times = []
    gc.collect()
    gc.disable()
    try:
        for arg in args:
            t0 = time.perf_counter()
            fn(arg)
            times.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return sorted(times)[len(times) // 2]


def timings() -> dict[str, float]:
    """Best times in ms: calculate at r=50 and r=200 on 4096^2 float32, 1000 r=10 apertures together (the core's
    measure_many and Session.calculate_many) on 2048^2, each data as bench_core.py makes them. Also calculate's
    median time on apertures each measured once, as F5 on a new aperture is: timed again and again on one
    aperture, the CPU learns the branches of the selections and of the footprint, which it cannot on new pixels."""
    import numpy as np
    from regions import CirclePixelRegion, PixCoord

    from tui.core import Session
    from tui.core.many import measure_many

    out = {}
    rng = np.random.default_rng(1)
    s = Session(warn=False)
    s.load_data(rng.normal(10.0, 1.0, (4096, 4096)).astype(np.float32), label="big")
    for radius, repeat in ((50, 300), (200, 100)):
        label = s.add_subset(CirclePixelRegion(PixCoord(2048.3, 2047.6), radius))
        out[f"calculate r={radius}"] = best(lambda: s.calculate(subset=label), repeat)
    for radius, spacing in ((50, 120), (200, 420)):
        centres = [(spacing * (i + 0.5) + 0.3, spacing * (j + 0.5) + 0.6) for j in range(4096 // spacing)
                   for i in range(4096 // spacing)][:300]
        labels = [s.add_subset(CirclePixelRegion(PixCoord(x, y), radius)) for x, y in centres]
        s.calculate(subset=labels[-1])
        out[f"calculate r={radius}, new each"] = typical(lambda label: s.calculate(subset=label), labels[:-1])
    rng = np.random.default_rng(3)
    s = Session(warn=False)
    s.load_data(rng.normal(10.0, 1.0, (2048, 2048)).astype(np.float32), label="img")
    regions = [CirclePixelRegion(PixCoord(x, y), 10) for x, y in rng.uniform(20, 2028, (1000, 2))]
    labels = [s.add_subset(region) for region in regions]
    inputs, image = s.inputs.validated(), s.images["img"]
    out["1000 r=10, measure_many"] = best(lambda: measure_many(image, regions, inputs, labels), 15)
    out["1000 r=10, calculate_many"] = best(lambda: s.calculate_many(data="img", subsets=labels), 15)
    return {name: seconds * 1e3 for name, seconds in out.items()}


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads; the old tree has no one_blas_thread
    import tui
    from tui.cli import keep_freed_memory

    assert os.path.abspath(tui.__file__).startswith(os.path.abspath(sys.argv[1])), tui.__file__  # not the installed
    keep_freed_memory()
    print(json.dumps(timings()))
