"""An append-as-you-go record of every result, so a crash, a dropped SSH connection or a full disk loses nothing.

One JSON object per line: a damaged line (torn by a crash, edited, not UTF-8) is skipped on restore and reported.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from tui.core.errors import PhotometryError
from tui.core.photometry import COLUMNS


def encode(value):
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, SkyCoord):
        sph = value.spherical
        return {"sky": [sph.lon.deg, sph.lat.deg], "frame": value.frame.name}
    if isinstance(value, Time):
        return {"time": value.utc.isot}
    if isinstance(value, u.Quantity):
        return {"value": _num(value.value), "unit": value.unit.to_string()}
    return _num(value)


def _num(x):
    x = float(x)
    return x if math.isfinite(x) else str(x)  # strict JSON has no NaN or inf


def decode(value):
    if isinstance(value, dict):
        if "sky" in value:
            return SkyCoord(*value["sky"], unit="deg", frame=value["frame"])
        if "time" in value:
            return Time(value["time"], format="isot", scale="utc")
        return float(value["value"]) * u.Unit(value["unit"], parse_strict="raise")
    if value in ("nan", "inf", "-inf"):
        return float(value)
    return value


# What each column must hold once decoded; anything else is a damaged line, not a reason to start a new table.
_TEXT = ("data_label", "subset_label", "background_stat")
_COUNTS = ("npix_bad", "background_npix")


def _check(name: str, value) -> None:
    if name in _TEXT:
        ok = isinstance(value, str)
    elif name == "timestamp":
        ok = isinstance(value, Time) and value.isscalar
    elif name == "sky_center":
        ok = value is None or (isinstance(value, SkyCoord) and value.isscalar)
    elif name in _COUNTS:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = value is None or (isinstance(value, (float, int, u.Quantity)) and not isinstance(value, bool)
                               and np.ndim(value) == 0)
    if not ok:
        raise ValueError(f"column {name} holds {type(value).__name__}")


def decode_row(record) -> dict:
    """A journal record as a result row; raises ValueError (with the reason) for anything damaged."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    missing = [name for name in COLUMNS[1:] if name not in record]
    if missing:
        raise ValueError(f"no column {missing[0]}")
    row = {}
    for name, value in record.items():
        try:
            row[name] = decode(value)
        except Exception as exc:  # astropy raises several types for a bad unit, position or time
            raise ValueError(f"column {name}: {_first_line(exc)}") from None
        _check(name, row[name])
    return row


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:80] if text else type(exc).__name__


@dataclass
class Replay:
    """What a journal gave back: its good rows, and (line number, reason) for each line skipped."""

    rows: list[dict]
    skipped: list[tuple[int, str]] = field(default_factory=list)
    damaged: Path | None = None  # where a journal with skipped lines was kept, once its good rows moved on

    def describe(self, path) -> str | None:
        """A notice for the user, or None when nothing was skipped."""
        if not self.skipped:
            return None
        shown = "; ".join(f"line {n}: {reason}" for n, reason in self.skipped[:5])
        more = f"; and {len(self.skipped) - 5} more" if len(self.skipped) > 5 else ""
        kept = f" The original is kept as {self.damaged}." if self.damaged else ""
        return (f"Journal {Path(path).name}: restored {len(self.rows)} result(s), skipped {len(self.skipped)} "
                f"damaged line(s) ({shown}{more}).{kept}")


def read_journal(path: str | os.PathLike) -> Replay:
    """The rows recorded in a journal, oldest first. Each line is decoded on its own: a damaged one (torn by a
    crash, not UTF-8, not JSON, an unknown unit, a bad position or time) is skipped and reported."""
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PhotometryError(f"journal {path}: no such file") from None
    except OSError as exc:
        raise PhotometryError(f"journal {path}: cannot read ({exc.strerror or exc})") from None
    replay = Replay([])
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue  # a blank line: what a failed write leaves before the next good one
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            replay.skipped.append((number, "not UTF-8 text"))
            continue
        except json.JSONDecodeError:
            replay.skipped.append((number, "not JSON (torn by a crash?)"))
            continue
        try:
            replay.rows.append(decode_row(record))
        except ValueError as exc:
            replay.skipped.append((number, str(exc)))
    return replay


def private_folder(folder: Path) -> None:
    """Create a folder only its owner can read (an existing one is left as it is)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def _line(row: dict) -> bytes:
    record = {name: encode(value) for name, value in row.items() if name != "id"}
    return (json.dumps(record) + "\n").encode("utf-8")  # ensure_ascii: control characters stay escaped


def _encoded_column(col) -> list:
    """encode() of each value of a table column, worked out once per column (a unit's text, a Time's ISO
    strings, a SkyCoord's angles) rather than once per cell: the same values, a tenth of the time."""
    if isinstance(col, SkyCoord):
        sph, frame = col.spherical, col.frame.name
        return [{"sky": [lon, lat], "frame": frame} for lon, lat in zip(sph.lon.deg.tolist(), sph.lat.deg.tolist())]
    if isinstance(col, Time):
        return [{"time": text} for text in col.utc.isot.tolist()]
    if isinstance(col, u.Quantity):
        unit = col.unit.to_string()
        return [{"value": _num(v), "unit": unit} for v in col.value.tolist()]
    values = col.tolist()
    return [encode(v) for v in values]


def table_lines(table) -> list[bytes]:
    """The journal lines of a table's rows: the bytes _line() writes for each of them as a row."""
    names = [name for name in table.colnames if name != "id"]
    columns = [_encoded_column(table[name]) for name in names]
    return [(json.dumps(dict(zip(names, values))) + "\n").encode("utf-8") for values in zip(*columns)]


class Journal:
    """Appends each row as one line in one write, followed by fsync, to a file only its owner can read.

    A failed write (disk full, quota, read-only, I/O error, the file removed) never raises: the journal records
    why in `error`, keeps the line, and writes every line it missed with the next append that succeeds. A file
    removed meanwhile is created again and written whole.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()
        self.error: str | None = None
        self._lines: list[bytes] = []  # this session's lines: enough to write a removed file again
        self._written = 0  # self._lines[:_written] are in the file
        self._torn = False  # a failed write may have left part of a line: start the next on a new line
        self._fd: int | None = None
        try:
            self._open()
        except OSError as exc:
            raise PhotometryError(f"journal {self.path}: cannot write ({exc.strerror or exc})") from None

    def _open(self) -> None:
        private_folder(self.path.parent)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def _gone(self) -> bool:
        """Whether the open file is no longer the one at `path` (removed, or replaced)."""
        try:
            here = os.stat(self.path)
        except FileNotFoundError:
            return True
        mine = os.fstat(self._fd)
        return (here.st_dev, here.st_ino) != (mine.st_dev, mine.st_ino)

    def append(self, row: dict) -> bool:
        """Record a row; True when it (and every line missed before it) reached the disk."""
        self._lines.append(_line(row))
        return self.flush()

    def append_many(self, rows) -> bool:
        self._lines.extend(_line(row) for row in rows)
        return self.flush()

    def append_table(self, table) -> bool:
        """Record a table's rows (many measured at once), as append_many would their dicts."""
        self._lines.extend(table_lines(table))
        return self.flush()

    def flush(self) -> bool:
        try:
            if self._fd is None or self._gone():
                self._close_fd()
                self._open()
                self._written, self._torn = 0, False
            for line in self._lines[self._written:]:
                self._write(b"\n" + line if self._torn else line)
                self._torn = False
                self._written += 1
            os.fsync(self._fd)  # on disk, not only with the OS: survives a crash of the node as well
        except OSError as exc:
            self.error = f"{exc.strerror or exc} ({self.path})"
            return False
        self.error = None
        return True

    def _write(self, data: bytes) -> None:
        sent = 0
        try:
            while sent < len(data):
                sent += os.write(self._fd, data[sent:])
        except OSError:
            self._torn = self._torn or sent > 0
            raise

    def _close_fd(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.close(fd)
            except OSError:
                pass  # nothing left to lose: every line was fsync-ed or is still pending

    @property
    def pending(self) -> int:
        """Rows not yet in the file."""
        return len(self._lines) - self._written

    def close(self) -> bool:
        """Write what is missing and close; False (with `error` set) when something could not be written."""
        ok = self.flush() if self.pending else True
        self._close_fd()
        return ok


class JournalStore:
    """Journal files of app sessions in one folder: `live-<pid>.jsonl` while running, `done-<time>.jsonl` after.

    A live journal whose process is gone was left by a crash or a dropped connection: the next start offers it.
    The newest finished journals are kept (`--resume` restores the last one); older ones are removed.
    """

    KEEP_DONE = 20

    def __init__(self, folder: str | os.PathLike | None = None):
        default = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "aperphot-tui"
        self.folder = Path(folder or os.environ.get("APERPHOT_STATE_DIR") or default)

    def live_path(self) -> Path:
        return self.folder / f"live-{os.getpid()}.jsonl"

    def privacy_notice(self) -> str | None:
        """A one-line notice when the folder already exists and others may read it (it is never changed)."""
        try:
            mode = self.folder.stat().st_mode & 0o777
        except OSError:
            return None
        if mode & 0o077:
            return (f"The journal folder {self.folder} can be read by other users (mode {mode:o}); "
                    f"'chmod 700' it to keep results private.")
        return None

    def orphans(self) -> list[Path]:
        """Non-empty live journals of processes that no longer run, newest first."""
        found = []
        for path in self.folder.glob("live-*.jsonl"):
            try:
                pid = int(path.stem.split("-", 1)[1])
            except ValueError:
                continue
            if pid != os.getpid() and not _running(pid) and path.stat().st_size > 0:
                found.append(path)
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    def newest_done(self) -> Path | None:
        done = self._done()
        return done[0] if done else None

    def adopt(self, path: Path) -> Path:
        """Make an earlier journal this process's live one, so restored results stay journaled."""
        live = self.live_path()
        private_folder(live.parent)
        path.rename(live)
        return live

    def retire(self, path: Path) -> Path | None:
        """Keep a finished journal as `done-<time>.jsonl` (an empty one is removed)."""
        if not path.exists():
            return None
        if path.stat().st_size == 0:
            path.unlink()
            return None
        from datetime import datetime

        target = self.folder / f"done-{datetime.now():%Y%m%d-%H%M%S}-{path.stem.split('-', 1)[-1]}.jsonl"
        path.rename(target)
        for old in self._done()[self.KEEP_DONE:]:
            old.unlink(missing_ok=True)
        return target

    def _done(self) -> list[Path]:
        return sorted(self.folder.glob("done-*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True)


def _running(pid: int) -> bool:
    """Whether an aperphot-tui process with this pid still runs (and so still owns its live journal).

    A killed process can linger as a zombie, which os.kill(pid, 0) still reports alive, and after a reboot its
    pid may belong to another program: on Linux, /proc tells both apart.
    """
    proc = Path("/proc") / str(pid)
    if Path("/proc/self").exists():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        except PermissionError:
            return True
        return state != "Z" and (b"aperphot" in cmdline or b"tui" in cmdline)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
