"""measure streams rows to OUT, resumes, reports unreadable images and shows progress only on a terminal (issue 8)."""

import errno
import os
import pty
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from astropy.io import fits
from regions import CirclePixelRegion, PixCoord

from tui.core import Session, read_results
from tui.core.batch import TableStream
from tui.core.notices import Alike
from tui.demo import demo_files


def images(tmp_path, n):
    paths = []
    for i in range(n):
        path = tmp_path / f"img{i}.fits"
        data = np.full((60, 60), 1.0 + i, np.float32)
        fits.PrimaryHDU(data, fits.Header({"BUNIT": "electron/s"})).writeto(path)
        paths.append(path)
    reg = tmp_path / "r.reg"
    reg.write_text("image\ncircle(20,20,5) # text={A}\ncircle(40,40,5) # text={B}\n")
    return paths, reg


def measure(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "tui", "measure", *map(str, args)], capture_output=True,
                          text=True, **kwargs)


def test_each_images_rows_reach_out_before_the_next_is_measured(tmp_path):
    paths, reg = images(tmp_path, 3)
    s = Session()
    s.load_regions(reg)
    stream = TableStream(tmp_path / "out.ecsv")
    for count, path in enumerate(paths, start=1):
        label = s.load_data(str(path))
        s.calculate(data=label, subset="A")
        s.calculate(data=label, subset="B")
        stream.flush(s)
        table = read_results(tmp_path / "out.ecsv")  # a valid file after every image: a kill keeps it all
        assert list(table["id"]) == list(range(1, 2 * count + 1))
    assert list(table["aperture_sum"].value) == pytest.approx(
        [s.result_rows[i]["aperture_sum"].value for i in range(6)], rel=1e-15)


def test_resume_skips_what_out_holds_and_continues_the_ids(tmp_path):
    paths, reg = images(tmp_path, 3)
    out = tmp_path / "out.ecsv"
    first = measure(paths[0], "--regions", reg, "-o", out)
    assert first.returncode == 0, first.stderr
    again = measure(*paths, "--regions", reg, "-o", out)
    assert again.returncode == 2 and "file exists (use --overwrite to replace it, or --resume)" in again.stderr
    resumed = measure(*paths, "--regions", reg, "-o", out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"--resume: {out} holds 2 measurements already; they are skipped" in resumed.stderr
    table = read_results(out)
    assert list(table["id"]) == [1, 2, 3, 4, 5, 6]
    assert [(str(d), str(s)) for d, s in zip(table["data_label"], table["subset_label"])] == [
        (f"img{i}[PRIMARY,1]", r) for i in range(3) for r in "AB"]
    nothing_left = measure(*paths, "--regions", reg, "-o", out, "--resume")
    assert nothing_left.returncode == 0 and len(read_results(out)) == 6
    fits_out = measure(*paths, "--regions", reg, "-o", tmp_path / "out.fits", "--resume")
    assert fits_out.returncode == 2 and "--resume needs OUT in ECSV or CSV" in fits_out.stderr


def test_resume_after_a_row_cut_short_measures_it_again(tmp_path):
    paths, reg = images(tmp_path, 2)
    out = tmp_path / "out.csv"
    assert measure(*paths, "--regions", reg, "-o", out).returncode == 0
    text = out.read_text()
    whole = read_results(out)
    out.write_text(text[:-15])  # the run was killed while writing its last row
    resumed = measure(*paths, "--regions", reg, "-o", out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"note: {out}: its last row was cut short (the run was stopped while writing it): dropped, and measured " \
           "again" in resumed.stderr
    assert f"--resume: {out} holds 3 measurements already" in resumed.stderr
    again = read_results(out)  # the row measured again is the row that was cut
    for name in ("id", "data_label", "subset_label", "aperture_sum"):
        assert list(again[name]) == list(whole[name])


def test_resume_reads_an_out_whose_sky_positions_were_edited(tmp_path):
    # A declination edited to 113.5 (or a cell that is no number) ended --resume, and read_results, in astropy's
    # ValueError: such positions now stay plain columns, and the rows are still known as measured.
    import csv

    imgs, regs = demo_files()
    image, reg = next(str(p) for p in imgs if "nircam_demo.fits" in str(p)), str(regs[0])
    out = tmp_path / "out.csv"
    assert measure(image, "--regions", reg, "-o", out).returncode == 0
    rows = list(csv.reader(out.open()))
    rows[2][rows[0].index("sky_center_dec")], rows[3][rows[0].index("sky_center_ra")] = "113.5", "n/a"
    with out.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    back = read_results(out)
    assert list(back["sky_center_dec"])[1] == 113.5 and "sky_center" not in back.colnames
    done = measure(image, "--regions", reg, "-o", out, "--resume")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert f"--resume: {out} holds {len(rows) - 1} measurements already; they are skipped" in done.stderr


@pytest.mark.parametrize("content, message", [
    ("a,b\n1,2\n", "not a table this command wrote (no id column): --resume cannot continue it; name another OUT, "
                    "or --overwrite to replace it"),
    ("id,data_label\n1,x,y,z\n", "not a results table ("),
])
def test_resume_refuses_a_file_it_did_not_write_and_leaves_it_alone(tmp_path, content, message):
    paths, reg = images(tmp_path, 1)
    out = tmp_path / "out.csv"
    out.write_text(content)
    resumed = measure(*paths, "--regions", reg, "-o", out, "--resume")
    assert resumed.returncode == 2 and len(resumed.stderr.strip().splitlines()) == 1
    assert resumed.stderr.startswith(f"aperphot-tui: error: {out}: {message}")
    assert out.read_text() == content


def test_rows_written_in_part_are_taken_back(tmp_path):
    # A file size limit (RLIMIT_FSIZE) makes the write stop part way, as a full disk does: the rows are refused
    # whole, and the file stays a table.
    out = tmp_path / "out.csv"
    out.write_text("id,x\n1,2\n")
    script = f"""
import resource, signal
from pathlib import Path
from tui.core.batch import append_lines
from tui.core.errors import PhotometryError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (20, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    append_lines(Path({str(out)!r}), ["2,3\\n", "3,4444444444\\n", "4,5\\n"])
except PhotometryError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == f"{out}: cannot write (File too large)", done.stderr
    assert out.read_text() == "id,x\n1,2\n"


def test_other_formats_are_written_at_the_end(tmp_path):
    paths, reg = images(tmp_path, 2)
    done = measure(*paths, "--regions", reg, "-o", tmp_path / "out.fits")
    assert done.returncode == 0, done.stderr
    assert len(read_results(tmp_path / "out.fits")) == 4


def test_an_unreadable_image_among_many_is_reported_and_the_rest_measured(tmp_path):
    paths, reg = images(tmp_path, 2)
    broken = tmp_path / "broken.fits"
    broken.write_bytes(b"SIMPLE  =                    T" + b"\0" * 50)
    done = measure(paths[0], tmp_path / "missing.fits", broken, paths[1], "--regions", reg, "-o",
                   tmp_path / "out.csv")
    assert done.returncode == 1
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 2 and "missing.fits: no such file" in skipped[0] and "broken.fits" in skipped[1]
    assert len(read_results(tmp_path / "out.csv")) == 4
    none = measure(tmp_path / "missing.fits", broken, "--regions", reg)
    assert none.returncode == 2 and "no image could be read" in none.stderr


def test_progress_bar_only_on_a_terminal(tmp_path):
    paths, reg = images(tmp_path, 3)
    plain = measure(*paths, "--regions", reg)
    assert "measuring" not in plain.stderr and "\x1b" not in plain.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tui", "measure", *map(str, paths), "--regions", str(reg)],
                            stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "TERM": "xterm"})
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 0 and b"measuring" in seen


def test_readme_example_streams_two_tables(tmp_path):
    imgs, regs = demo_files()
    done = measure(*imgs[:2], "--regions", regs[0], "-o", tmp_path / "r.ecsv")
    assert done.returncode == 0, done.stderr
    assert len(read_results(tmp_path / "r.ecsv")) == 4 and len(read_results(tmp_path / "r.2.ecsv")) == 4


@pytest.mark.parametrize("fmt", ["ascii.ecsv", "ascii.csv"])
def test_streamed_lines_are_astropys_own(fmt):
    """The fast writer's data lines are exactly what the ECSV and CSV writers write, for awkward labels too."""
    from tui.core.batch import _text

    s = Session()
    s.load_data(np.arange(400.0).reshape(20, 20), label='a "quoted", spaced label', unit="MJy/sr")
    labels = ["plain", "two words", 'say "hi"', "", " lead", "comma,semi;colon", "Étoile ★ α", "tab\there",
              "back\\slash", "#hash", "line\nbreak", "vt\x0bhere"]
    for k, text in enumerate(labels):
        s.add_subset(CirclePixelRegion(PixCoord(5 + k, 9.5), 2), label=text or None)
    s.calculate_many(background=0.5)
    table = s.get_aperture_photometry_results(extended=True)
    table["npix"][3] = np.nan
    assert _text(table, fmt) == _text(table, fmt, fast=False)


def test_many_alike_messages_on_an_image_are_counted_on_one_line(tmp_path):
    """A catalogue wider than the image: three "outside the image" lines, then one counting and naming the rest."""
    image, regions = tmp_path / "chip.fits", tmp_path / "mosaic.reg"
    fits.PrimaryHDU(np.ones((40, 40), dtype=np.float32)).writeto(image)
    far = "".join(f"circle({100 + 10 * k},20,3) # text={{Far{k}}}\n" for k in range(12))
    edge = "".join(f"circle(1.5,{8 + 6 * k},{2 + k}) # text={{Edge{k}}}\n" for k in range(5))  # all over the edge
    regions.write_text("image\ncircle(20,20,3) # text={Inside}\n" + far + edge)
    done = measure(image, "-r", regions)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    skipped = [line for line in lines if line.startswith("skipped:")]
    assert skipped == [f"skipped: Far{k} on chip[PRIMARY,1] is outside the image" for k in range(3)] + [
        'skipped: 9 more regions like "Far2 on chip[PRIMARY,1] is outside the image": Far3, Far4, Far5, Far6, Far7, '
        'Far8, Far9, Far10, ...']
    warned = [line for line in lines if line.startswith("warning:")]
    # the shares differ (the numbers), the words do not: alike
    assert [line.split(": ")[1] for line in warned[:3]] == [f"Edge{k} on chip[PRIMARY,1]" for k in range(3)]
    assert warned[3:] == [f'warning: 2 more regions like "{warned[2].removeprefix("warning: ")}": Edge3, Edge4']
    assert "Inside" in done.stdout and "Edge4" in done.stdout  # the warned rows are in the table


def test_alike_messages_differ_in_a_name_and_numbers_only():
    alike = Alike()
    said = [(f"{star} on f{k}.fits: {10 + k}% of the aperture lies off the frame", f"f{k}.fits")
            for star in ("Comp1 (C2)", "Comp2 (C3)") for k in range(5)]
    assert [alike.first("skipped", text, name) for text, name in said] == [True] * 3 + [False] * 2 + [True] * 3 + [
        False] * 2  # Comp1 and Comp2 are told apart: the digits in names are words
    assert alike.first("skipped", "Comp1 (C2) on f9.fits: less than 1% of the aperture lies off the frame", "f9.fits")
    assert alike.counted("frames") == [
        ("skipped", '2 more frames like "Comp1 (C2) on f2.fits: 12% of the aperture lies off the frame": f3.fits, '
                    'f4.fits'),
        ("skipped", '2 more frames like "Comp2 (C3) on f2.fits: 12% of the aperture lies off the frame": f3.fits, '
                    'f4.fits')]


def test_one_message_beyond_the_three_is_said_in_full():
    """"1 more regions like ...": a line counting one is no shorter than the line itself."""
    alike = Alike()
    said = [f"Star{k} is in sky coordinates but chip has no celestial WCS" for k in range(4)]
    assert [alike.first("skipped", text, f"Star{k}") for k, text in enumerate(said)] == [True] * 3 + [False]
    assert alike.counted("regions") == [("skipped", said[3])]


def test_out_in_a_missing_folder_is_refused_before_measuring(tmp_path):
    paths, reg = images(tmp_path, 2)
    for name in ("out.fits", "out.ecsv"):  # FITS would only be written once every image was measured
        done = measure(*paths, "--regions", reg, "-o", tmp_path / "nodir" / name)
        assert done.returncode == 2 and done.stderr == f"aperphot-tui: error: {tmp_path / 'nodir'}: no such directory\n"
        assert done.stdout == ""  # nothing measured, no table printed


def test_overwrite_and_resume_together_are_refused(tmp_path):
    paths, reg = images(tmp_path, 1)
    done = measure(*paths, "--regions", reg, "-o", tmp_path / "out.csv", "--overwrite", "--resume")
    assert done.returncode == 2 and "not allowed with argument" in done.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_background_stat_without_a_background_region_is_refused(tmp_path):
    # It was taken without a word: the rows then said "value" (no background) where sigma-clipping was asked for.
    paths, reg = images(tmp_path, 1)
    done = measure(*paths, "--regions", reg, "--background-stat", "sigma-clip")
    assert done.returncode == 2 and done.stdout == "" and done.stderr.splitlines()[-1] == (
        "aperphot-tui measure: error: --background-stat is how --background-region's pixels become one value: "
        "name that region too")


def test_ctrl_c_keeps_and_writes_what_was_measured(tmp_path):
    # The run stops as it reads the third image, after two: ctrl+c there.
    paths, reg = images(tmp_path, 3)
    slow = tmp_path / "slow.fits"
    slow.write_bytes(paths[2].read_bytes())
    out = tmp_path / "out.fits"  # a format written whole at the end: without this, nothing was written
    code, stdout, stderr = ctrl_c_at(slow, paths[0], paths[1], slow, paths[2], "--regions", reg, "-o", out)
    assert code == 130 and "Traceback" not in stderr
    assert "interrupted: 4 measurements made before ctrl+c\n" in stderr and f"wrote: {out} (4 rows" in stderr
    assert [str(d) for d in read_results(out)["data_label"]] == ["img0[PRIMARY,1]"] * 2 + ["img1[PRIMARY,1]"] * 2
    assert "img1[PRIMARY,1]" in stdout  # the rows measured are shown, as at the end of a run


def test_ctrl_c_between_writing_rows_and_recording_them_writes_them_once(tmp_path, monkeypatch, capsys):
    """ctrl+c that came right after rows reached OUT, before the stream recorded them, made the stop write them
    again: a cluster run under load ended with every row of its first image twice. The signal is raised here at
    that very point (after TableStream's write), as the terminal would send it."""
    from tui.cli import measure as measure_command

    paths, reg = images(tmp_path, 3)
    out = tmp_path / "out.csv"
    write, pressed = TableStream._add, []

    def write_then_ctrl_c(self, k, table):
        written = write(self, k, table)
        if not pressed:  # once: the stop's own write is left alone
            pressed.append(True)
            signal.raise_signal(signal.SIGINT)
        return written

    monkeypatch.setattr(TableStream, "_add", write_then_ctrl_c)
    code = measure_command([*map(str, paths), "--regions", str(reg), "-o", str(out)])
    err = capsys.readouterr().err
    rows = read_results(out)
    assert code == 130 and list(rows["id"]) == [1, 2] and list(rows["subset_label"]) == ["A", "B"]
    assert "interrupted: 2 measurements made before ctrl+c" in err and f"wrote: {out} (2 rows this run)" in err


def test_ctrl_c_before_measuring_is_one_line(tmp_path):
    paths, reg = images(tmp_path, 1)
    code, _, stderr = ctrl_c_at(reg, paths[0], "--regions", reg)  # the region file is read first: ctrl+c then
    assert code == 130 and stderr == "interrupted: stopped by ctrl+c before anything was measured\n"


# `measure`, in a process of its own, whose reading of one file (an image or a region file) waits on a FIFO
# first: a FIFO named as the file itself is refused, as it would wait forever.
_WAITING = """
import sys
from tui.core import images, regionfiles
from tui.cli import main

gate, slow = sys.argv[1:3]

def waits(read):
    def reading(path, *args, **kwargs):
        if str(path).endswith(slow):
            with open(gate, "rb") as f:
                f.read()
        return read(path, *args, **kwargs)
    return reading

images.load_fits, regionfiles._text = waits(images.load_fits), waits(regionfiles._text)
sys.exit(main(["measure", *sys.argv[3:]]))
"""


def ctrl_c_at(slow, *args):
    """(exit status, stdout, stderr) of `measure ARGS` sent SIGINT, as ctrl+c sends it, once it waits on reading
    the file `slow`: its read waits on a FIFO that gets a writer but no data."""
    gate = slow.parent / "gate"
    os.mkfifo(gate)
    run = subprocess.Popen([sys.executable, "-c", _WAITING, str(gate), str(slow.name), *map(str, args)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            writer = os.open(gate, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:  # ENXIO: no reader yet
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                run.kill()
                raise
            time.sleep(0.01)
    try:
        run.send_signal(signal.SIGINT)
        try:
            stdout, stderr = run.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            # The signal came between the FIFO's open and the read that waits on it: Python noted it, but checks
            # only once the read returns. A second one interrupts the read (one KeyboardInterrupt for the two).
            run.send_signal(signal.SIGINT)
            stdout, stderr = run.communicate(timeout=60)
    finally:
        os.close(writer)
    return run.returncode, stdout, stderr


def test_annuli_are_said_to_be_left_out_and_alone_are_nothing_to_measure(tmp_path):
    paths, _ = images(tmp_path, 1)
    reg = tmp_path / "mixed.reg"
    reg.write_text("image\ncircle(20,20,5) # text={A}\nannulus(20,20,7,9) # text={Sky A}\n"
                   "annulus(40,40,7,9) # text={Sky B}\n")
    done = measure(paths[0], "-r", reg)
    assert done.returncode == 0, done.stderr
    assert "note: 2 annuli are not measured (Sky A, Sky B): an annulus gives a background " \
           "(--background-region LABEL)" in done.stderr
    assert [line.split()[2] for line in done.stdout.splitlines()[2:] if line.strip()] == ["A"]
    with_background = measure(paths[0], "-r", reg, "--background-region", "Sky A")
    assert "note: Sky B is not measured: an annulus gives a background\n" in with_background.stderr
    only = tmp_path / "only.reg"
    only.write_text("image\nannulus(20,20,7,9) # text={Sky A}\n")
    alone = measure(paths[0], "-r", only)
    assert (alone.returncode, alone.stdout) == (2, "")
    assert alone.stderr == "aperphot-tui: error: nothing to measure: an annulus gives a background, not a source; " \
                           "add a circle, ellipse, rectangle or polygon\n"


def test_a_note_on_every_image_is_said_three_times_then_counted(tmp_path):
    # 500 _flt files gave 500 "holds 2 images" notes, and 500 warnings of a star on the edge of each
    import re
    import shutil

    from tui.demo import FILES, demo_dir

    paths = []
    for k in range(5):
        paths.append(tmp_path / f"j{k}_flt.fits")
        shutil.copy(demo_dir() / FILES[6], paths[-1])
    reg = tmp_path / "r.reg"
    reg.write_text("image\ncircle(40,40,5) # text={A}\ncircle(1,1,5) # text={Edge}\n")
    done = measure(*paths, "-r", reg)
    edge = [re.sub(r"\d+%", "N%", line) for line in done.stderr.splitlines() if "Edge on" in line]  # alike too
    assert edge[:3] == [f"warning: Edge on j{k}_flt[SCI,1]: N% of the aperture lies off the image; the sum and "
                        f"npix cover only the part on it." for k in range(3)]
    assert edge[3:] == ['warning: 2 more images like "Edge on j2_flt[SCI,1]: N% of the aperture lies off the image; '
                        'the sum and npix cover only the part on it.": j3_flt[SCI,1], j4_flt[SCI,1]']
    notes = [line for line in done.stderr.splitlines() if "holds 2 images" in line]
    assert notes == [f"note: j{k}_flt.fits holds 2 images: j{k}_flt[SCI,1] is opened; name j{k}_flt.fits[*] for all "
                     f"of them (or [SCI,2])" for k in range(3)] + [
        'note: 2 more images like "j2_flt.fits holds 2 images: j2_flt[SCI,1] is opened; name j2_flt.fits[*] for all '
        'of them (or [SCI,2])": j3_flt, j4_flt']
    assert len(done.stdout.strip().splitlines()) == 2 + 2 * 5  # two rows from each image


def test_images_of_one_name_in_other_folders_are_told_apart(tmp_path):
    # night1/frame.fits and night2/frame.fits were both "frame[PRIMARY,1]": one row could not be told from the
    # other, and --resume took the second night for measured
    from tui.core.images import folders_apart

    paths, reg = images(tmp_path, 1)
    for night in ("night1", "night2", "x/deep", "y/deep"):
        (tmp_path / night).mkdir(parents=True)
        (tmp_path / night / "frame.fits").write_bytes(paths[0].read_bytes())
    names = [str(tmp_path / night / "frame.fits") for night in ("night1", "night2", "x/deep", "y/deep")]
    assert folders_apart({**{name: "frame" for name in names}, str(paths[0]): "img0"}) == {
        names[0]: "night1/", names[1]: "night2/", names[2]: "x/deep/", names[3]: "y/deep/"}
    gz = str(tmp_path / "night1" / "frame.fits.gz")  # one folder: the files' whole names
    assert folders_apart({names[0]: "frame", gz: "frame"}) == {names[0]: "frame.fits:", gz: "frame.fits.gz:"}
    out = tmp_path / "out.ecsv"
    done = measure(*names[:2], "-r", reg, "-o", out)
    assert done.returncode == 0, done.stderr
    assert read_results(out)["data_label"].tolist() == ["night1/frame[PRIMARY,1]"] * 2 + ["night2/frame[PRIMARY,1]"] * 2
    again = measure(*names, "-r", reg, "-o", out, "--resume")
    assert "holds 4 measurements already" in again.stderr
    assert read_results(out)["data_label"].tolist()[4:] == ["x/deep/frame[PRIMARY,1]"] * 2 + \
        ["y/deep/frame[PRIMARY,1]"] * 2


def test_resuming_a_run_made_before_files_shared_a_name_is_refused(tmp_path):
    # it measured the first file again under its new label: the same image twice in OUT
    paths, reg = images(tmp_path, 1)
    names = []
    for night in ("night1", "night2"):
        (tmp_path / night).mkdir()
        names.append(tmp_path / night / "frame.fits")
        names[-1].write_bytes(paths[0].read_bytes())
    out = tmp_path / "out.ecsv"
    assert measure(names[0], "-r", reg, "-o", out).returncode == 0
    before = out.read_bytes()
    again = measure(*names, "-r", reg, "-o", out, "--resume")
    assert again.returncode == 2 and again.stderr.splitlines()[-1] == (
        f"aperphot-tui: error: --resume: {out} names frame[PRIMARY,1] without a folder, as a run on fewer files did; "
        f"files of that name are now labelled by folder (night1/frame[PRIMARY,1]): give --overwrite to measure them "
        f"anew, or another OUT")
    assert out.read_bytes() == before


def test_one_image_named_two_ways_is_measured_once(tmp_path):
    # img0.fits and img0.fits[PRIMARY,1] are one image: its rows came twice
    paths, reg = images(tmp_path, 2)
    out = tmp_path / "out.ecsv"
    done = measure(paths[0], f"{paths[0]}[PRIMARY,1]", tmp_path / "missing.fits", paths[1], "-r", reg, "-o", out)
    assert f"note: {paths[0]}[PRIMARY,1] is {paths[0]} named again: measured once" in done.stderr.splitlines()
    assert "skipped: " in done.stderr  # the missing file is said, and not taken for another
    assert read_results(out)["data_label"].tolist() == ["img0[PRIMARY,1]"] * 2 + ["img1[PRIMARY,1]"] * 2


def test_a_long_run_prints_its_ends_and_out_holds_every_row(tmp_path):
    """With OUT, the terminal shows the first 45 and last 5 rows of a long run, ids in order across images, and
    how many more there are; OUT holds them all. Without, every row is printed."""
    paths, _ = images(tmp_path, 4)
    reg = tmp_path / "many.reg"
    reg.write_text("image\n" + "".join(f"circle({8 + 3 * k},{10 + (k % 7) * 6},1.5) # text={{s{k}}}\n"
                                       for k in range(15)))
    out = tmp_path / "out.ecsv"
    done = measure(*paths, "--regions", reg, "-o", out)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    ids = [int(line.split()[0]) for line in lines if line[:1] == " " or line[:1].isdigit()]
    assert ids == [*range(1, 46), *range(56, 61)]
    assert "... 10 more rows ..." in lines and lines.index("... 10 more rows ...") == 2 + 45
    written = read_results(out)
    assert list(written["id"]) == list(range(1, 61))
    assert [line.split()[2] for line in lines[2:4]] == ["s0", "s1"] and lines[-2].split()[2] == "s14"
    everything = measure(*paths, "--regions", reg)
    assert sum(line.strip()[:1].isdigit() for line in everything.stdout.splitlines()) == 60
