"""An append-as-you-go record of every result, so a crash or a dropped SSH connection loses nothing.

One JSON object per line: a torn last line (a crash mid-write) is skipped on restore.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from tui.core.errors import PhotometryError


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
        return float(value["value"]) * u.Unit(value["unit"])
    if value in ("nan", "inf", "-inf"):
        return float(value)
    return value


class Journal:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise PhotometryError(f"journal {self.path}: cannot write ({exc.strerror})") from None

    def append(self, row: dict) -> None:
        record = {name: encode(value) for name, value in row.items() if name != "id"}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()  # flushed to the OS: survives a crash of this process or a dropped SSH session

    def close(self) -> None:
        self._file.close()


def read_journal(path: str | os.PathLike) -> list[dict]:
    """The rows recorded in a journal, oldest first."""
    path = Path(path).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise PhotometryError(f"journal {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PhotometryError(f"journal {path}: cannot read ({exc})") from None
    rows = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line torn by a crash
        rows.append({name: decode(value) for name, value in record.items()})
    return rows


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
        live.parent.mkdir(parents=True, exist_ok=True)
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
