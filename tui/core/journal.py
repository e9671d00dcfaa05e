"""An append-as-you-go record of every result, so a crash, a dropped SSH connection or a full disk loses nothing.

One JSON object per line: a damaged line (torn by a crash, edited, not UTF-8) is skipped on restore and reported.
"""

from __future__ import annotations

import errno
import gc
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from astropy.table import QTable

from tui.core.errors import PhotometryError
from tui.core.formatting import counted
from tui.core.journal_lines import Reader, build, row_line, table_lines


@dataclass
class Replay:
    """What a journal gave back: its good rows as tables (a table per run of lines with the same columns and
    units), and (line number, reason) for each line skipped."""

    tables: list[QTable] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    damaged: Path | None = None  # where a journal with skipped lines was kept, once its good rows moved on

    @property
    def count(self) -> int:
        return sum(len(table) for table in self.tables)

    @property
    def rows(self) -> list[dict]:
        """The good rows as dicts (as calculate returns them, without ids)."""
        from tui.core.results import table_rows

        return [row for table in self.tables for row in table_rows(table)]

    def describe(self, path) -> str | None:
        """A notice for the user, or None when nothing was skipped."""
        if not self.skipped:
            return None
        shown = "; ".join(f"line {n}: {reason}" for n, reason in self.skipped[:5])
        more = f"; and {len(self.skipped) - 5} more" if len(self.skipped) > 5 else ""
        kept = f" The original is kept as {self.damaged}." if self.damaged else ""
        return (f"Journal {Path(path).name}: restored {counted(self.count, 'result')}, skipped "
                f"{counted(len(self.skipped), 'damaged line')} ({shown}{more}).{kept}")


def read_journal(path: str | os.PathLike) -> Replay:
    """The rows recorded in a journal, oldest first, decoded column by column (journal_lines). A damaged line
    (torn by a crash, not UTF-8, not JSON, an unknown unit, a bad position or time) is skipped and reported."""
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PhotometryError(f"journal {path}: no such file") from None
    except OSError as exc:
        raise PhotometryError(f"journal {path}: cannot read ({exc.strerror or exc})") from None
    with _no_cycle_collection():
        return _replay(data)


@contextmanager
def _no_cycle_collection():
    """Reading makes a few small containers per line and no cycles; the cycle collector, triggered by their
    number, would go through every object of the process again and again (a third of a restore's time in the
    app, which holds many). Off while reading, back as it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _replay(data: bytes) -> Replay:
    replay, reader = Replay(), Reader()
    run: list = []  # consecutive good lines with one schema: (line number, numbers, texts)
    schema = None

    def close_run() -> None:
        if run:
            table, bad = build(reader, schema, [numbers for _, numbers, _ in run], [texts for _, _, texts in run])
            replay.skipped.extend((run[k][0], reason) for k, reason in bad.items())
            if len(table):
                replay.tables.append(table)
            run.clear()

    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue  # a blank line: what a failed write leaves before the next good one
        try:
            columns, numbers, texts = reader.line(raw)
            found = reader.schema(columns)
            if len(numbers) != 8 * found.numbers or len(texts) != found.texts:
                raise ValueError("its values do not match its columns")
        except ValueError as exc:
            replay.skipped.append((number, str(exc)))
            continue
        if found is not schema:
            close_run()
            schema = found
        run.append((number, numbers, texts))
    close_run()
    replay.skipped.sort()
    return replay


def private_folder(folder: Path) -> None:
    """Create a folder only its owner can read (an existing one is left as it is)."""
    if os.path.exists(folder) and not os.path.isdir(folder):  # mkdir would say "File exists", which misleads
        raise NotADirectoryError(errno.ENOTDIR, "a file, not a folder", str(folder))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


class Journal:
    """Appends each row as one line in one write, followed by fsync, to a file only its owner can read.

    A failed write (disk full, quota, read-only, I/O error, the file removed) never raises: the journal records
    why in `error`, keeps the line, and writes every line it missed with the next append that succeeds. A file
    removed meanwhile is created again and written whole; one that cannot be made at first (its folder is a
    file, say) is tried again with each append in the same way.
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
            self.error = self._why(exc)

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
        self._lines.append(row_line(row))
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
            self.error = self._why(exc)
            return False
        self.error = None
        return True

    def _why(self, exc: OSError) -> str:
        return f"{exc.strerror or exc} ({exc.filename or self.path})"  # the folder, when it is the folder's fault

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
            mode = self.folder.stat().st_mode
        except OSError:
            return None
        if not stat.S_ISDIR(mode) or not mode & 0o077:  # a file there is the journal's own error to say
            return None
        return (f"The journal folder {self.folder} can be read by other users (mode {mode & 0o777:o}); "
                f"'chmod 700' it to keep results private.")

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
