import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.core import read_results
from tui.demo import demo_files

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, cwd=ROOT)


def test_core_never_imports_textual():
    code = ("import sys, tui.core, tui.core.session, tui.core.formatting, tui.cli, tui.demo; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui.app')]; "
            "print(bad); sys.exit(1 if bad or 'tui.app' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_measure_prints_and_writes(tmp_path):
    images, regions = demo_files()
    out = tmp_path / "res.ecsv"
    done = run("measure", str(images[0]), "--regions", str(regions[0]), "--background-region", "Sky A",
               "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "Star A" in done.stdout and "Galaxy" in done.stdout
    table = read_results(out)
    assert list(table["subset_label"]) == ["Star A", "Galaxy", "Star B box", "Star C"]
    assert table["pixarea_tot"].unit == "sr"  # auto-filled pixel area from PIXAR_A2


def test_measure_flags_override_autofill(tmp_path):
    images, regions = demo_files()
    out = tmp_path / "res.csv"
    done = run("measure", str(images[1]), "-r", str(regions[0]), "--counts-factor", "0.5", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "0.5" in text


def test_what_an_image_notes_is_said_once(tmp_path):
    import numpy as np
    from astropy.io import fits

    image = tmp_path / "odd.fits"
    fits.PrimaryHDU(np.ones((20, 20), np.float32), fits.Header({"BUNIT": "furlongs per fortnight"})).writeto(image)
    reg = tmp_path / "r.reg"
    reg.write_text("image\ncircle(10,10,3) # text={S}\n")
    done = run("measure", str(image), "-r", str(reg))  # one image is read first, for a one-line error: noted twice
    assert done.returncode == 0 and done.stderr == (
        "note: odd[PRIMARY,1]: unit 'furlongs per fortnight' could not be parsed; the image is treated as unitless\n")


@pytest.mark.parametrize("args,message", [
    (["measure", "nothere.fits", "--regions", "x.reg"], "nothere.fits: no such file"),
    (["measure", "{text}", "--regions", "x.reg"], "not a readable FITS file"),
    (["measure", "{image}", "--regions", "{text}"], "no usable regions"),
    (["measure", "{image}", "--regions", "{reg}", "--pixel-area", "-1"], "Pixel area: must not be negative"),
    # names longer than a file system takes were tracebacks (pathlib's exists() raises for them)
    (["measure", "{long}.fits", "--regions", "{reg}"], "x.fits: no such file"),
    (["measure", "{image}", "--regions", "{long}.reg"], "x.reg: no such file"),
    (["series", "{long}.fits", "-r", "{reg}", "--target", "Star A", "--comparisons", "Star C"], "no such file"),
    (["measure", "{image}", "--regions", "{reg}", "-o", "{long}.csv"], "x.csv: cannot write here"),
    (["measure", "{image}", "--regions", "{reg}", "-o", "{tmp}/{long}/out.csv"], "out.csv: cannot write here"),
    (["measure", "{image}", "--regions", "{reg}", "--profiles", "{tmp}/{long}"], "cannot make this folder"),
])
def test_measure_errors_are_one_line_exit_2(tmp_path, args, message):
    text = tmp_path / "notes.txt"
    text.write_text("plain words, not FITS\n")
    done = run(*[a.format(text=text, image=demo_files()[0][0], reg=demo_files()[1][0], long="x" * 300, tmp=tmp_path)
                 for a in args])
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_library_too_old_is_one_line_exit_2_and_other_import_errors_keep_their_traceback(monkeypatch, capsys):
    """An old regions (before 0.12) fails the core's import with MissingDependency, whose message says what to
    install: one line, as for bad input. Any other ImportError is a bug, and keeps its traceback."""
    from tui import cli
    from tui.core.errors import MissingDependency

    def raising(error):
        def command(argv):
            raise error
        return command

    message = "regions 0.10 is too old: aperphot-tui needs 0.12 or newer (pip install --upgrade 'regions>=0.12')"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # main sets it when unset: not for the tests' later processes
    monkeypatch.setattr(cli, "measure", raising(MissingDependency(message)))
    assert cli.main(["measure", "image.fits"]) == 2
    assert capsys.readouterr().err == f"aperphot-tui: error: {message}\n"
    monkeypatch.setattr(cli, "measure", raising(ImportError("cannot import name 'x' from 'tui.core.y'")))
    with pytest.raises(ImportError, match="cannot import name"):
        cli.main(["measure", "image.fits"])


def test_a_decimal_comma_on_the_command_line_gets_the_fields_hint():
    # argparse said "invalid float value: '0,04'"
    done = run("measure", demo_files()[0][0], "--regions", demo_files()[1][0], "--pixel-area", "0,04")
    assert done.returncode == 2 and done.stderr.splitlines()[-1] == (
        "aperphot-tui measure: error: argument --pixel-area: '0,04' is not a number (decimals take a point, "
        "thousands no separator)")
    # float() reads 1e400 as inf, which the check for finite numbers then called "not inf": not what was typed
    done = run("series", demo_files()[0][0], "-r", demo_files()[1][0], "--target", "Star A", "--comparisons",
               "Star B", "--gain", "1e400")
    assert done.returncode == 2 and done.stderr.splitlines()[-1] == (
        "aperphot-tui series: error: argument --gain: '1e400' is too large for a number (at most about 1.8e308)")


@pytest.mark.parametrize("command", ["measure", "series"])
def test_resume_without_out_and_an_empty_out_are_refused(command):
    # both printed the table and wrote it nowhere, without a word (-o "$OUT" with OUT unset gives -o "")
    stars = ["--target", "Star A", "--comparisons", "Star B"] if command == "series" else []
    for args, message in ((["--resume"], "--resume goes on with OUT: give -o OUT"),
                          (["-o", ""], "-o: the name of OUT is empty")):
        done = run(command, demo_files()[0][0], "-r", demo_files()[1][0], *stars, *args)
        assert done.returncode == 2 and done.stderr.splitlines()[-1] == f"aperphot-tui {command}: error: {message}"


def test_images_and_region_files_in_any_order():
    from tui.cli import app_parser, parse_files

    args = parse_files(app_parser(), ["a.fits", "-r", "one.reg", "two.reg", "Three.CRTF", "b.fits[SCI,2]"])
    assert args.images == ["a.fits", "b.fits[SCI,2]"]  # what `-r *.reg` gives the shell, images after it
    assert args.regions == ["one.reg", "two.reg", "Three.CRTF"]
    args = parse_files(app_parser(), ["a.fits", "stars.reg", "--resume"])
    assert (args.images, args.regions, args.resume) == (["a.fits"], ["stars.reg"], True)


def test_measure_takes_region_files_as_a_shell_glob_gives_them(tmp_path):
    images, (demo_reg, plain_reg) = demo_files()
    plain = str(images[2])
    for args in ([plain, "-r", str(demo_reg), str(plain_reg)], [plain, str(plain_reg), "-r", str(demo_reg)]):
        out = tmp_path / "res.ecsv"
        done = run("measure", *args, "-o", str(out), "--overwrite")
        assert done.returncode == 1, done.stderr  # demo.reg's sky regions: skipped on this image without WCS
        assert "skipped: Star A is in sky coordinates" in done.stderr
        assert list(read_results(out)["subset_label"]) == ["Bright", "Medium"]
    done = run("measure", plain)
    assert done.returncode == 2 and done.stderr.splitlines()[-1] == (
        "aperphot-tui measure: error: no region file: give one with -r FILE (or name a .reg or .crtf file)")
    done = run("measure", str(plain_reg))
    assert done.returncode == 2 and done.stderr.splitlines()[-1].endswith("error: no image: name one or more "
                                                                          "FITS images")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_or_a_device_named_as_a_file_is_one_line(tmp_path):
    """A named pipe no program writes to made `measure` and `series` wait forever (as OUT too, with --resume);
    /dev/zero as an image did too, and as a region file it ended in a MemoryError once it had taken every byte of
    memory; `<(gunzip -c a.fits.gz)` was "not seekable", or "no such file" for a region file."""
    images, (_, plain_reg) = demo_files()
    pipe, out_pipe = tmp_path / "night.fits", tmp_path / "res.csv"
    os.mkfifo(pipe)
    os.mkfifo(out_pipe)
    why = "not a file: save what it holds to a file and name that"
    for args, said in (
            (["measure", images[2], "-r", plain_reg, "-o", out_pipe, "--resume"],
             f"{out_pipe}: is a pipe, not a file: --resume reads OUT to continue it; name a file"),
            (["measure", pipe, "-r", plain_reg], f"{pipe}: is a pipe, {why}"),
            (["measure", images[2], "-r", pipe], f"{pipe}: is a pipe, {why}"),
            (["measure", images[2], "-r", os.devnull], f"{os.devnull}: is a device, {why}"),
            (["series", pipe, "-r", plain_reg, "--target", "Bright", "--comparisons", "Medium"],
             f"{pipe}: is a pipe, {why}")):
        done = subprocess.run([sys.executable, "-m", "tui", *map(str, args)], capture_output=True, text=True,
                              cwd=ROOT, timeout=60)
        assert done.returncode == 2 and done.stderr.splitlines()[-1] == f"aperphot-tui: error: {said}", args
    out = tmp_path / "res.ecsv"
    done = run("measure", str(images[2]), str(pipe), "-r", str(plain_reg), "-o", str(out))  # the others measured
    assert done.returncode == 1 and f"skipped: {pipe}: is a pipe, {why}" in done.stderr.splitlines()
    assert set(read_results(out)["data_label"]) == {"plain_demo[PRIMARY,1]"}


def test_a_folder_stands_for_the_fits_files_in_it(tmp_path):
    """As AstroImageJ opens a folder as a sequence: `aperphot-tui night1/`, `measure night1/ -r stars.reg`."""
    import shutil

    from tui.cli import app_parser, parse_files

    images, (demo_reg, plain_reg) = demo_files()
    night = tmp_path / "night"
    night.mkdir()
    for name in ("b.fits", "a.FITS", "c.fits.gz"):
        (night / name).write_bytes(b"")
    (night / "notes.txt").write_text("not an image")
    (night / "sub.fits").mkdir()  # a folder named like a file is not one
    args = parse_files(app_parser(), [str(night), "-r", "s.reg"])
    assert args.images == [str(night / n) for n in ("a.FITS", "b.fits", "c.fits.gz")] and args.regions == ["s.reg"]
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(images[2], plain / "one.fits")
    shutil.copy(images[2], plain / "two.fits")
    out = tmp_path / "res.ecsv"
    done = run("measure", str(plain), "-r", str(plain_reg), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(set(read_results(out)["data_label"])) == ["one[PRIMARY,1]", "two[PRIMARY,1]"]
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run("measure", str(empty), "-r", str(plain_reg))
    assert done.returncode == 2 and done.stderr.strip() == (
        f"aperphot-tui: error: {empty}: is a folder with no FITS file in it (.fits, .fit or .fts)")
    # the folder's own region file is not read unless named; with none named, the error points at it
    shutil.copy(plain_reg, plain / "stars.reg")
    assert parse_files(app_parser(), [str(plain)]).beside == [str(plain / "stars.reg")]
    done = run("measure", str(plain))
    assert done.returncode == 2 and done.stderr.strip().splitlines()[-1] == (
        "aperphot-tui measure: error: no region file: give one with -r FILE (or name a .reg or .crtf file); "
        f"{plain / 'stars.reg'} is beside the images")


def test_a_file_named_twice_is_measured_once(tmp_path):
    """A folder and a pattern that overlap (`plain/ plain/one.fits`, or ./plain/one.fits) name a file twice: it
    is measured once, and a note says so."""
    import shutil

    images, (_, plain_reg) = demo_files()
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(images[2], plain / "one.fits")
    shutil.copy(images[2], plain / "two.fits")
    out = tmp_path / "res.ecsv"
    again = str(plain / "one.fits")
    done = run("measure", str(plain), again, str(plain / "." / "two.fits"), "-r", str(plain_reg), "-o", str(out))
    assert done.returncode == 0, done.stderr
    table = read_results(out)
    apertures = len(set(table["subset_label"]))
    assert len(table) == 2 * apertures and sorted(set(table["data_label"])) == ["one[PRIMARY,1]", "two[PRIMARY,1]"]
    notes = [line for line in done.stderr.splitlines() if "named more than once" in line]
    assert notes == [f"note: {again} is named more than once: measured once",
                     f"note: {plain / '.' / 'two.fits'} is named more than once: measured once"]


def test_app_refuses_dumb_terminal():
    done = subprocess.run([sys.executable, "-m", "tui"], capture_output=True, text=True, cwd=ROOT,
                          env={"TERM": "dumb", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "measure" in done.stderr


def test_help_lists_each_command_on_its_own_lines_within_80_columns():
    done = subprocess.run([sys.executable, "-m", "tui", "--help"], capture_output=True, text=True, cwd=ROOT,
                          env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    commands = [line.strip() for line in lines if line.strip().startswith("aperphot-tui ")]
    assert [c.split()[1] for c in commands] == ["measure", "series"]
    assert max(map(len, lines)) <= 80


def _numpy_blas() -> str:
    import numpy as np

    return np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2
                    or "openblas" not in _numpy_blas(),
                    reason="counts OpenBLAS's threads in /proc: Linux, more than one CPU, NumPy built on OpenBLAS")
def test_aperphot_tui_runs_blas_on_one_thread_unless_the_user_chose(tmp_path):
    """OpenBLAS starts a thread per CPU when NumPy loads, and spreads a long dot product over them: slower for the
    dots over one aperture (tui.cli.one_blas_thread). Counted after a whole `measure`, against the same run told
    one thread explicitly, and against a user's own choice of two."""
    images, regions = demo_files()
    script = ("import os, sys\nfrom tui.cli import main\nassert 'numpy' not in sys.modules\n"
              f"code = main(['measure', {str(images[0])!r}, '-r', {str(regions[0])!r}, '-o', sys.argv[1]])\n"
              "print(code, len(os.listdir('/proc/self/task')), os.environ.get('OPENBLAS_NUM_THREADS'))")
    bare = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                                                               "OMP_NUM_THREADS")}

    def run(name: str, **env) -> list[str]:
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / name)], env={**bare, **env},
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[-1].split()  # after the table measure prints

    ours, told_one, chose_two = run("a.ecsv"), run("b.ecsv", OPENBLAS_NUM_THREADS="1"), \
        run("c.ecsv", OMP_NUM_THREADS="2")
    assert ours == told_one == ["0", told_one[1], "1"]
    assert int(chose_two[1]) > int(ours[1]) and chose_two[2] == "None"
    assert len(read_results(tmp_path / "a.ecsv")) == len(read_results(tmp_path / "c.ecsv")) > 0
