"""Light-curve speed figures (issue 17). Run by hand: python tests/benchmarks/bench_series.py [--frames N]

Prints, for synthetic sequences with a transit (tui.demo_series):
- `aperphot-tui series` on 120 frames of 256x256 with 4 stars, start-up, reading and writing OUT included, and
  with --fit transit (EXOTIC took 255 s on this kind of data);
- 1,000 frames of 2048x2048 with 20 stars in one process: frames per second, reading included (the frames are
  sparse files: only boxes around the stars are on disk, as the rest is never read), and the peak memory of the
  run at 250 and 1,000 frames (flat in the number of frames);
- the same frames on a 2-worker dask cluster: rows identical to one process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LABELS = lambda n: ",".join(f"Comp{k}" for k in range(1, n))  # noqa: E731


def run_cli(args: list[str]) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "tui", "series", *args],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kb, done.stderr


def small(folder: Path) -> None:
    from tui.demo_series import make_sequence

    paths, regions, _ = make_sequence(folder / "small", n_frames=120)
    base = [*map(str, paths), "--regions", str(regions), "--target", "Target", "--comparisons", LABELS(4)]
    for extra, what in (([], "light curve"), (["--fit", "transit", "--period", "1.5"], "and a transit fit")):
        times = [run_cli([*base, "-o", str(folder / "small.ecsv"), "--overwrite", *extra])[0] for _ in range(3)]
        print(f"120 frames 256x256, 4 stars, {what}: {min(times):.2f} s (aperphot-tui series, start-up included)")


def large(folder: Path, frames: int) -> None:
    from tui.demo_series import make_sequence

    t0 = time.perf_counter()
    paths, regions, _ = make_sequence(folder / "large", n_frames=frames, shape=(2048, 2048), n_stars=20,
                                      cadence_s=10.0, exptime=5.0, sparse=True)
    print(f"(made {frames} sparse 2048x2048 frames in {time.perf_counter() - t0:.1f} s)")
    base = ["--regions", str(regions), "--target", "Target", "--comparisons", LABELS(20), "--aperture", "6"]
    for n in sorted({min(250, frames), frames}):
        out = folder / f"large{n}.ecsv"
        seconds, peak, _ = run_cli([*map(str, paths[:n]), *base, "-o", str(out), "--overwrite"])
        print(f"{n} frames 2048x2048, 20 stars, one process: {seconds:.1f} s = {n / seconds:.0f} frames/s "
              f"(start-up included); peak memory {peak / 1024:.0f} MB")
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("dask.distributed not installed: pip install -e '.[dask]'")
        return
    n = min(200, frames)
    one, two = folder / "one.ecsv", folder / "two.ecsv"
    run_cli([*map(str, paths[:n]), *base, "-o", str(one), "--overwrite"])
    seconds, _, _ = run_cli([*map(str, paths[:n]), *base, "-o", str(two), "--overwrite", "--workers", "2"])
    from astropy.table import Table

    a, b = Table.read(one), Table.read(two)
    same = a.colnames == b.colnames and all((a[c] == b[c]).all() or (a[c].dtype.kind == "f" and (
        (a[c] == b[c]) | (a[c] != a[c]) & (b[c] != b[c])).all()) for c in a.colnames)
    print(f"{n} frames on 2 dask workers: {seconds:.1f} s; rows identical to one process: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=1000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small(Path(tmp))
        large(Path(tmp), args.frames)
