"""Hostile text from files, damaged journals and failing disks (issue 12)."""

import base64
import json
import os
import stat
import subprocess
import sys
import unicodedata

import numpy as np
import pytest
from astropy.table import QTable
from regions import CirclePixelRegion, PixCoord

from tui.core import Session, read_results
from tui.core.export import write_table
from tui.core.formatting import safe_text, summary
from tui.core.journal import Journal, JournalStore, read_journal
from tui.core.journal_lines import row_line
from tests.conftest import first_format_line, tan_wcs

# What collaborators' files can hold: terminal title, clipboard (OSC 52) and hyperlink (OSC 8) sequences, a CSI
# colour, bidi overrides and isolates, zero-width characters, C1 CSI, Rich markup and a Textual action link.
HOSTILE = [
    "A\x1b]0;PWNED\x07B",
    "\x1b]52;c;SGVsbG8=\x07",
    "\x1b]8;;http://example.invalid\x1b\\link\x1b]8;;\x1b\\",
    "red\x1b[31mtext",
    "\u202eevil\u2066iso\u2069",
    "zero\u200bwidth\u200d",
    "c1\x9b2J",
    "[bold red]x[/]",
    "[@click=app.quit]quit[/]",
]
FRIENDLY = "Étoile ★ α"
TERMINAL_ACTIVE = ["\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u2069", "\u200b", "\u200d"]


def test_safe_text_escapes_every_control_and_format_character():
    unsafe = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp", "Cs")]
    for ch in unsafe:
        shown = safe_text(f"a{ch}b")
        assert ch not in shown and shown.startswith("a\\") and shown.endswith("b"), hex(ord(ch))
    assert safe_text("A\x1b]0;PWNED\x07B") == "A\\x1b]0;PWNED\\x07B"
    assert safe_text("\u202eevil") == "\\u202eevil"
    assert safe_text(FRIENDLY) == FRIENDLY
    assert safe_text("[bold red]x[/]") == "[bold red]x[/]"  # markup is the widgets' business: shown as text
    assert safe_text(safe_text(HOSTILE[0])) == safe_text(HOSTILE[0])
    assert safe_text("two\nlines\x1b", keep_newlines=True) == "two\nlines\\x1b"


def hostile_session(journal=None):
    s = Session(journal=journal)
    s.load_data(np.ones((30, 30)), label="img\x1b]0;T\x07[SCI,1]")
    for label in HOSTILE + [FRIENDLY]:
        s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3), label=label)
        s.calculate(subset=label)
    return s


@pytest.mark.parametrize("ext", ["ecsv", "csv", "fits", "vot", "txt"])
def test_labels_round_trip_exactly_in_every_format(tmp_path, ext):
    s = hostile_session()
    back = read_results(s.export_results(tmp_path / f"out.{ext}"))
    assert [str(v) for v in back["subset_label"]] == HOSTILE + [FRIENDLY]
    assert set(str(v) for v in back["data_label"]) == {"img\x1b]0;T\x07[SCI,1]"}


# What readers strip or misread in a text cell: whitespace (a tab, a no-break or ideographic space) at its ends and
# around its line breaks, a blank line, a line starting with '#', and NUL and \x01, which astropy's readers refuse
# or take for a missing value.
STRIPPED = ["\tlead", "trail\t", "\xa0nbsp\u3000", "two \nlines", "two\n lines", "blank\n\nline", "end\n",
            "\n#not a comment", "nul\x00mid", "\x01start", "\u3000", "kept\nas\tit is"]


@pytest.mark.parametrize("ext", ["ecsv", "csv", "fits", "vot", "txt"])
def test_whitespace_a_reader_would_strip_round_trips_exactly(tmp_path, ext):
    s = Session()
    s.load_data(np.ones((30, 30)), label="img")
    for label in STRIPPED:
        s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3), label=label)
        s.calculate(subset=label)
    path = s.export_results(tmp_path / f"out.{ext}")
    assert [str(v) for v in read_results(path)["subset_label"]] == STRIPPED
    if ext == "ecsv":  # escaped only where a reader would lose it: a tab or line break between words stays raw
        assert '"kept\nas\tit is"' in path.read_text(encoding="utf-8")


def test_an_ecsv_row_starting_with_a_hash_is_not_a_comment(tmp_path):
    # A light curve's first column is the frame's name: frames named '#0001.fits' made every row a comment.
    table = QTable({"Label": ["#0001.fits", "# 2", "x#"], "flux": [1.0, 2.0, 3.0]})
    back = read_results(write_table(table, tmp_path / "lc.ecsv"))
    assert list(back["Label"]) == ["#0001.fits", "# 2", "x#"] and list(back["flux"]) == [1.0, 2.0, 3.0]


def test_formats_that_cannot_hold_controls_write_them_escaped(tmp_path):
    s = hostile_session()
    vot = s.export_results(tmp_path / "out.vot").read_text(encoding="utf-8")
    assert "\x1b" not in vot and "\x07" not in vot and "A\\x1b]0;PWNED\\x07B" in vot
    html = s.export_results(tmp_path / "out.html").read_text(encoding="utf-8")
    assert "\x1b" not in html and FRIENDLY in html
    fits_bytes = s.export_results(tmp_path / "out.fits").read_bytes()
    assert b"A\x1b]0;PWNED" not in fits_bytes and b"A\\x1b]0;PWNED\\x07B" in fits_bytes
    assert b"\\xc9toile \\u2605" in fits_bytes  # FITS strings are printable ASCII
    ecsv = s.export_results(tmp_path / "out.ecsv").read_text(encoding="utf-8")
    assert "A\x1b]0;PWNED\x07B" in ecsv  # ECSV holds them: kept exactly as they were


def test_journal_keeps_labels_exactly(tmp_path):
    hostile_session(journal=tmp_path / "j.jsonl").close()
    text = (tmp_path / "j.jsonl").read_text(encoding="ascii")  # JSON escapes: the file itself is inert
    assert "\x1b" not in text
    rows = read_journal(tmp_path / "j.jsonl").rows
    assert [r["subset_label"] for r in rows] == HOSTILE + [FRIENDLY]


def test_printed_table_is_inert():
    text = summary(hostile_session().get_aperture_photometry_results())
    assert not any(ch in text for ch in TERMINAL_ACTIVE)
    assert "A\\x1b]0;PWNED\\x07B" in text and FRIENDLY in text


def test_measure_prints_nothing_raw(tmp_path):
    reg = tmp_path / "hostile.reg"
    reg.write_text("image\n" + "".join(f"circle(10,10,3) # text={{{label}}}\n" for label in HOSTILE[:4] + HOSTILE[6:])
                   + "circle(500,500,3) # text={off\x1b]0;X\x07}\n", encoding="utf-8")
    image = tmp_path / "img\x1b]0;PWNED\x07.fits"
    from astropy.io import fits
    fits.PrimaryHDU(np.ones((30, 30), np.float32)).writeto(image)
    done = subprocess.run([sys.executable, "-m", "tui", "measure", str(image), "--regions", str(reg)],
                          capture_output=True, text=True)
    assert done.returncode == 1  # the off-image region was skipped
    for stream in (done.stdout, done.stderr):
        assert not any(ch in stream for ch in TERMINAL_ACTIVE), stream
    assert "img\\x1b]0;PWNED\\x07[PRIMARY,1]" in done.stdout
    assert "skipped: off\\x1b]0;X\\x07 on img\\x1b]0;PWNED\\x07[PRIMARY,1] is outside the image" in done.stderr
    missing = subprocess.run([sys.executable, "-m", "tui", "measure", str(tmp_path / "no\x1b[2Jfile.fits"),
                              "--regions", str(reg)], capture_output=True, text=True)
    assert missing.returncode == 2 and "\x1b" not in missing.stderr and "no\\x1b[2Jfile.fits" in missing.stderr


# -- damaged journals --------------------------------------------------------------------------------------------
def good_rows(n=3, wcs=False):
    s = Session()
    s.load_data(np.ones((30, 30)), label="img", unit="MJy/sr", wcs=tan_wcs((30, 30)) if wcs else None)
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    return [s.calculate() for _ in range(n)]


def edited(line: bytes, **changes) -> bytes:
    record = json.loads(line)
    for key, (old, new) in changes.items():
        record[key] = record[key].replace(old, new) if isinstance(old, str) else new
    return json.dumps(record).encode() + b"\n"


def damaged_journal(tmp_path):
    rows = good_rows(3, wcs=True)
    good = [row_line(r) for r in rows]
    old = first_format_line(rows[0])
    record = json.loads(old)
    lines = [
        good[0],
        b"[1, 2, 3]\n",  # 2
        edited(good[0], columns=("aperture_sum:q:MJy", "aperture_sum:q:furlongs_per_fortnight")),  # 3
        good[1],
        edited(good[0], columns=("sky_center:s:icrs", "sky_center:s:nowhere")),  # 5
        edited(good[0], text=(None, ["img[SCI,1]", "Star", "yesterday", "value"])),  # 6
        b"\xff\xfe not utf-8\n",  # 7
        edited(good[0], columns=("xcenter:q:pix", "xcenter:x")),  # 8
        good[2],
        edited(good[0], numbers=(None, "not base64!")),  # 10
        edited(good[0], numbers=(None, "AAAAAAAAAAA=")),  # 11: one number for a row of many
        old,  # 12: a journal line of the first format is read too
        json.dumps(dict(record, aperture_sum={"value": 1.0, "unit": "furlongs_per_fortnight"})).encode() + b"\n",
        json.dumps(dict(record, timestamp={"time": "yesterday"})).encode() + b"\n",  # 14
        json.dumps(dict(record, xcenter="left")).encode() + b"\n",  # 15
        edited(good[0], columns=("aperture_sum:q:MJy", "aperture_sum:q:MJy , sr")),  # 16: a structured unit
        b'{"torn": ',  # 17
    ]
    path = tmp_path / "live-999999999.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def test_damaged_lines_are_skipped_with_reasons(tmp_path):
    replay = read_journal(damaged_journal(tmp_path))
    assert replay.count == 4 and len(replay.tables) == 1  # both formats hold the same columns: one table
    reasons = dict(replay.skipped)
    assert reasons[2] == "not a JSON object"
    assert "column aperture_sum" in reasons[3] and "furlongs" in reasons[3]
    assert reasons[5] == "column sky_center: unknown coordinate frame 'nowhere'"
    assert reasons[6].startswith("column timestamp: ") and "yesterday" in reasons[6]
    assert reasons[7] == "not UTF-8 text"
    assert reasons[8] == "column xcenter holds text"
    assert reasons[10] == "its numbers are not base64"
    assert reasons[11] == "its values do not match its columns"
    assert "column aperture_sum" in reasons[13] and "furlongs" in reasons[13]
    assert reasons[14].startswith("column timestamp: ")
    assert reasons[15] == "column xcenter holds str"
    assert reasons[16] == "column aperture_sum: 'MJy , sr' is a unit of records, not of numbers"
    assert reasons[17] == "not JSON (torn by a crash?)"
    assert sorted(reasons) == [2, 3, 5, 6, 7, 8, 10, 11, 13, 14, 15, 16, 17]


def test_both_formats_restore_the_same_values(tmp_path):
    rows = good_rows(2, wcs=True)
    path = tmp_path / "j.jsonl"
    path.write_bytes(row_line(rows[0]) + first_format_line(rows[1]))
    back = read_journal(path).rows
    for row, restored in zip(rows, back):
        for name, value in row.items():
            if name == "id":
                continue
            if hasattr(value, "frame"):
                assert value.separation(restored[name]).arcsec == 0
            elif hasattr(value, "isot"):
                assert restored[name].isot == value.isot
            elif isinstance(value, float) and np.isnan(value):
                assert np.isnan(restored[name])
            else:
                assert restored[name] == value or np.isnan(value), name


def test_values_no_row_can_hold_are_damage(tmp_path):
    line = row_line(good_rows(1, wcs=True)[0])
    record = json.loads(line)
    starts, k = {}, 0  # where each column's numbers start in the row's numbers (a sky position holds two)
    for token in record["columns"].split("|"):
        name, kind = token.split(":")[:2]
        if kind in "qfis":
            starts[name] = k
            k += 2 if kind == "s" else 1
    numbers = np.frombuffer(base64.b64decode(record["numbers"]), "<f8")
    fraction, off_sky = numbers.copy(), numbers.copy()
    fraction[starts["npix_bad"]] = 0.5
    off_sky[starts["sky_center"] + 1] = 91.0  # latitude
    encode = lambda values: base64.b64encode(values.tobytes()).decode()
    path = tmp_path / "j.jsonl"
    path.write_bytes(line + edited(line, numbers=(None, encode(fraction)))
                     + edited(line, numbers=(None, encode(off_sky))) + line)
    replay = read_journal(path)
    assert replay.count == 2
    assert replay.skipped == [(2, "column npix_bad holds a fraction"), (3, "column sky_center: not a sky position")]


def test_restore_keeps_the_damaged_file_and_journals_the_good_rows(tmp_path):
    path = damaged_journal(tmp_path)
    original = path.read_bytes()
    s = Session()
    replay = s.restore_journal(path)
    assert len(s.result_rows) == 4 and len(replay.skipped) == 13
    assert replay.damaged == path.with_name(path.name + ".damaged")
    assert replay.damaged.read_bytes() == original  # kept as it was
    notice = " ".join(s.pop_notices())
    assert f"Journal {path.name}: restored 4 results, skipped 13 damaged lines" in notice
    assert "line 2: not a JSON object" in notice and str(replay.damaged) in notice
    again = read_journal(path)  # the new journal holds the good rows only: the next start skips nothing
    assert again.count == 4 and not again.skipped
    restored = Session.restore(path)
    assert len(restored.result_rows) == 4 and not restored.pop_notices()


# -- failing disks -----------------------------------------------------------------------------------------------
def measuring_session(journal):
    s = Session(journal=journal)
    s.load_data(np.ones((30, 30)), label="img")
    s.add_subset(CirclePixelRegion(PixCoord(10, 10), 3))
    return s


def test_a_full_disk_never_stops_a_calculate_and_missed_rows_are_written_later(tmp_path):
    path = tmp_path / "j.jsonl"
    path.symlink_to("/dev/full")  # every write: ENOSPC, as on a full disk or quota
    s = measuring_session(path)
    for _ in range(3):
        s.calculate()
    assert len(s.result_rows) == 3
    assert s.journal_error.startswith("No space left on device")
    path.unlink()  # space again: the next calculate writes what was missed, then its own row
    s.calculate()
    assert s.journal_error is None
    assert [r["id"] for r in Session.restore(path, journal=False).result_rows] == [1, 2, 3, 4]
    assert s.close()


def test_a_removed_journal_is_written_again_whole(tmp_path):
    path = tmp_path / "j.jsonl"
    s = measuring_session(path)
    s.calculate()
    s.calculate()
    path.unlink()
    s.calculate()
    assert len(read_journal(path).rows) == 3


def test_closing_a_journal_that_cannot_be_written_reports_it(tmp_path):
    path = tmp_path / "j.jsonl"
    path.symlink_to("/dev/full")
    journal = Journal(path)
    assert journal.append({"x": 1}) is False and journal.pending == 1
    assert journal.close() is False and "No space left" in journal.error


def test_a_torn_write_never_swallows_the_next_row(tmp_path):
    path = tmp_path / "j.jsonl"
    s = measuring_session(path)
    s.calculate()
    with open(path, "ab") as f:
        f.write(b'{"xcenter": {"val')  # what a write cut short by a full disk leaves
    s._journal._torn = True
    s.calculate()
    replay = read_journal(path)
    assert len(replay.rows) == 2 and len(replay.skipped) == 1


def test_state_folder_and_journal_are_private(tmp_path):
    folder = tmp_path / "state"
    store = JournalStore(folder)
    journal = Journal(store.live_path())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.live_path().stat().st_mode) == 0o600
    journal.close()
    assert store.privacy_notice() is None
    wide = tmp_path / "wide"
    wide.mkdir(mode=0o755)
    os.chmod(wide, 0o755)
    notice = JournalStore(wide).privacy_notice()
    assert notice.startswith(f"The journal folder {wide} can be read by other users (mode 755)")
    assert stat.S_IMODE(wide.stat().st_mode) == 0o755  # told, not changed
