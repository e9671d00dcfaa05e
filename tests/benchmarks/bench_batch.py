"""Batch speed (issue 8). Run by hand: python tests/benchmarks/bench_batch.py

Writes 300 images (512x512 float32, BUNIT electron/s) and a file of 100 circular regions, then times
`aperphot-tui measure` on them in one process and with --workers 2 (a local dask.distributed cluster):
wall time and measurements per second, each writing a streamed ECSV table.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits

N_IMAGES, N_REGIONS, SIZE = 300, 100, 512


def make(folder: Path) -> tuple[list[Path], Path]:
    rng = np.random.default_rng(8)
    paths = []
    for i in range(N_IMAGES):
        path = folder / f"img{i:03d}.fits"
        data = rng.normal(1.0, 0.1, (SIZE, SIZE)).astype(np.float32)
        fits.PrimaryHDU(data, fits.Header({"BUNIT": "electron/s", "EXPTIME": 100.0})).writeto(path)
        paths.append(path)
    reg = folder / "regions.reg"
    centres = rng.uniform(20, SIZE - 20, (N_REGIONS, 2))
    reg.write_text("image\n" + "".join(f"circle({x + 1:.2f},{y + 1:.2f},6) # text={{s{i}}}\n"
                                       for i, (x, y) in enumerate(centres)))
    return paths, reg


def run(paths, reg, out: Path, *extra) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tui", "measure", *map(str, paths), "--regions", str(reg),
                           "-o", str(out), *extra], capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return elapsed


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths, reg = make(folder)
        n = N_IMAGES * N_REGIONS
        print(f"{N_IMAGES} images of {SIZE}x{SIZE} x {N_REGIONS} regions = {n:,} measurements")
        for label, extra in (("one process", ()), ("--workers 2", ("--workers", "2"))):
            seconds = run(paths, reg, folder / f"out{len(extra)}.ecsv", *extra)
            print(f"{label:>12}: {seconds:6.1f} s wall, {n / seconds:7.0f} measurements/s, "
                  f"{seconds / n * 1e3:.2f} ms each")
