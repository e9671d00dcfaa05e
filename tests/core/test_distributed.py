"""measure on dask.distributed: a 2-worker local cluster gives the single-process rows (issue 8)."""

import time

import numpy as np
import pytest

from tests.core.test_batch import images, measure
from tui.core import read_results

pytest.importorskip("distributed")


def test_two_workers_give_the_single_process_rows(tmp_path):
    paths, reg = images(tmp_path, 4)
    single = measure(*paths, "--regions", reg, "-o", tmp_path / "one.ecsv")
    cluster = measure(*paths, "--regions", reg, "-o", tmp_path / "two.ecsv", "--workers", "2")
    assert single.returncode == 0 and cluster.returncode == 0, cluster.stderr
    a, b = read_results(tmp_path / "one.ecsv"), read_results(tmp_path / "two.ecsv")
    assert a.colnames == b.colnames and len(a) == len(b) == 8
    for name in a.colnames:
        if name == "timestamp":
            continue
        left, right = (np.asarray(getattr(t[name], "value", t[name])) for t in (a, b))
        assert np.array_equal(left, right) or np.allclose(left.astype(float), right.astype(float), rtol=0,
                                                          equal_nan=True), name
    assert list(b["data_label"]) == [f"img{i}[PRIMARY,1]" for i in range(4) for _ in "AB"]  # image order


def test_resume_on_a_cluster(tmp_path):
    paths, reg = images(tmp_path, 3)
    out = tmp_path / "out.csv"
    assert measure(paths[0], "--regions", reg, "-o", out).returncode == 0
    done = measure(*paths, "--regions", reg, "-o", out, "--resume", "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert list(read_results(out)["id"]) == [1, 2, 3, 4, 5, 6]


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    paths, reg = images(tmp_path, 1)
    start = time.monotonic()
    done = measure(*paths, "--regions", reg, "--scheduler", "tcp://127.0.0.1:9", "--timeout", "2s")
    assert done.returncode == 2 and time.monotonic() - start < 60
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("aperphot-tui: error: cannot reach the scheduler at tcp://127.0.0.1:9")


@pytest.mark.parametrize("value, message", [("0", "must be 1 or more, not 0"), ("two", "'two' is not a whole number")])
def test_workers_must_be_a_positive_number(tmp_path, value, message):
    paths, reg = images(tmp_path, 1)
    done = measure(*paths, "--regions", reg, "--workers", value)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_a_light_curve_on_two_workers_is_the_single_process_one(tmp_path):
    import subprocess
    import sys

    from astropy.table import Table

    from tui.demo_series import make_sequence

    paths, regions, _ = make_sequence(tmp_path, n_frames=16, shape=(128, 128), n_stars=3)
    args = [sys.executable, "-m", "tui", "series", *map(str, paths), "--regions", str(regions), "--target", "Target",
            "--comparisons", "Comp1,Comp2"]
    one = subprocess.run([*args, "-o", str(tmp_path / "one.ecsv")], capture_output=True, text=True)
    two = subprocess.run([*args, "-o", str(tmp_path / "two.ecsv"), "--workers", "2"], capture_output=True, text=True)
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    a, b = Table.read(tmp_path / "one.ecsv"), Table.read(tmp_path / "two.ecsv")
    assert a.colnames == b.colnames and len(a) == len(b) == 16
    for name in a.colnames:
        assert list(a[name]) == list(b[name]), name  # the same numbers, bit for bit


def test_ctrl_c_stops_a_cluster_run_without_the_workers_tracebacks(tmp_path):
    # ctrl+c sends SIGINT to the terminal's whole foreground group, the workers too: each printed a traceback.
    import os
    import signal
    import subprocess
    import sys

    paths, reg = images(tmp_path, 400)
    out = tmp_path / "out.csv"
    run = subprocess.Popen([sys.executable, "-m", "tui", "measure", *map(str, paths), "--regions", str(reg), "-o",
                            str(out), "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline:  # the first image's rows: the workers are at work
        time.sleep(0.01)
    os.killpg(run.pid, signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130 and "Traceback" not in stderr, stderr
    kept = len(read_results(out))
    assert 2 <= kept < 800 and f"interrupted: {kept:,} measurements made before ctrl+c" in stderr
