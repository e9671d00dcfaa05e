"""Batch speed (issue 8). Run by hand: python tests/benchmarks/bench_batch.py

Writes 300 images (512x512 float32, BUNIT electron/s) and a file of 100 circular regions, then times
`aperphot-tui measure` on them in one process and with --workers 2 (a local dask.distributed cluster):
wall time and measurements per second, each writing a streamed ECSV table. Then a survey-like density:
20 images of 2048x2048 with 1000 regions each, in pixel and in fk5 coordinates, in one process, for the
per-measurement cost a survey pays.
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


def make(folder: Path, n_images=N_IMAGES, n_regions=N_REGIONS, size=SIZE, sky=False) -> tuple[list[Path], Path]:
    """Images and a region file; `sky`: the images have a TAN WCS (0.05"/pix) and the regions are fk5 circles."""
    rng = np.random.default_rng(8)
    header = fits.Header({"BUNIT": "electron/s", "EXPTIME": 100.0})
    if sky:
        header.update({"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRVAL1": 150.0, "CRVAL2": 2.0,
                       "CRPIX1": size / 2, "CRPIX2": size / 2, "CDELT1": -0.05 / 3600, "CDELT2": 0.05 / 3600})
    paths = []
    for i in range(n_images):
        path = folder / f"img{i:03d}.fits"
        data = rng.normal(1.0, 0.1, (size, size)).astype(np.float32)
        fits.PrimaryHDU(data, header).writeto(path)
        paths.append(path)
    reg = folder / "regions.reg"
    centres = rng.uniform(20, size - 20, (n_regions, 2))
    if sky:
        from astropy.wcs import WCS

        ra, dec = WCS(header).all_pix2world(centres[:, 0], centres[:, 1], 0)
        reg.write_text("fk5\n" + "".join(f'circle({a:.8f},{d:.8f},0.3") # text={{s{i}}}\n'
                                          for i, (a, d) in enumerate(zip(ra, dec))))
    else:
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
    for sky in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            paths, reg = make(folder, 20, 1000, 2048, sky)
            n = 20 * 1000
            seconds = run(paths, reg, folder / "out.ecsv")
            print(f"20 images of 2048x2048 x 1000 {'fk5' if sky else 'pixel'} circles, one process: "
                  f"{seconds:.1f} s wall, {n / seconds:.0f} measurements/s, {seconds / n * 1e3:.3f} ms each; "
                  f"10^4 images x 10^3 regions at this rate: {seconds / n * 1e7 / 3600:.1f} h")
