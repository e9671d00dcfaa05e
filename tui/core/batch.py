"""Result tables written as their rows come, so that a killed batch run keeps what it measured and can resume.

The first table goes to OUT, tables the compatibility rule starts later to OUT.2.ext, OUT.3.ext, ... ECSV and CSV are
line formats: new rows are appended after each image (and the file is valid after every append). Other formats hold
the whole table in one structure (FITS, VOTable, HTML, text) and are written at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from astropy.table import QTable

from tui.core.errors import PhotometryError
from tui.core.export import folder_for, format_for, read_table, writable, write_table
from tui.core.images import load_fits
from tui.filekinds import not_a_plain_file

LINE_FORMATS = ("ascii.ecsv", "ascii.csv")


# The data lines of ECSV and CSV are those of astropy's fast C writers for these formats: the same text as the
# ECSV and CSV writers' own lines (tests/core/test_batch.py checks it on hostile labels), five times faster, which
# is what bounds a batch run's rate: every row passes through the one process that writes OUT.
_FAST_LINES = {"ascii.ecsv": {"format": "ascii.basic", "delimiter": " "}, "ascii.csv": {"format": "ascii.csv"}}


def _text(table: QTable, fmt: str, fast: bool = True) -> tuple[str, list[str]]:
    """(header, data lines) of a table written in a line format."""
    out = writable(table, fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fast:
            header, data = io.StringIO(), io.StringIO()
            out[:0].write(header, format=fmt)
            out.write(data, fast_writer="force", **_FAST_LINES[fmt])
            return header.getvalue(), data.getvalue().splitlines(keepends=True)[1:]  # after the names line
        buffer = io.StringIO()
        out.write(buffer, format=fmt)
    lines = buffer.getvalue().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if not line.startswith("#")) + 1  # after the names line
    return "".join(lines[:start]), lines[start:]


def _header(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:  # bytes that are no UTF-8: a header no run's equals
        lines = []
        for line in f:
            lines.append(line)
            if not line.startswith("#"):
                return "".join(lines)
    return "".join(lines)


def resumed(path: Path, needs: tuple[str, ...]) -> tuple[QTable, str | None]:
    """What OUT holds, to resume after, and a note when its last row had been cut short: a run stopped while
    appending (killed, the disk full) can leave a row without its newline. That row is cut off the file, to be
    measured again, once the rows before it have read as a table with the columns `needs` (a file of another
    kind is refused, never changed)."""
    if why := not_a_plain_file(path, "--resume reads OUT to continue it; name a file"):
        raise PhotometryError(f"{path}: {why}")
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(size - 1, 0))
            whole = size == 0 or f.read(1) == b"\n"
            data = b""
            if not whole:  # only then is a long OUT read here as well as by the table reader
                f.seek(0)
                data = f.read()
    except OSError as exc:
        raise PhotometryError(f"{path}: cannot read ({exc.strerror or exc})") from None
    end = data.rfind(b"\n") + 1
    whole = whole or end == 0  # (a file of one line without its newline is no table of ours either)
    table = read_table(path, None if whole else data[:end].decode("utf-8", "replace"))
    missing = [name for name in needs if name not in table.colnames]
    if missing:
        raise PhotometryError(f"{path}: not a table this command wrote (no {missing[0]} column): --resume "
                              f"cannot continue it; name another OUT, or --overwrite to replace it")
    if whole:
        return table, None
    try:
        with open(path, "r+b") as f:
            f.truncate(end)
    except OSError as exc:
        raise PhotometryError(f"{path}: cannot drop its last row, cut short ({exc.strerror or exc})") from None
    return table, (f"{path}: its last row was cut short (the run was stopped while writing it): dropped, and "
                   f"measured again")


def append_lines(path: Path, lines: list[str]) -> None:
    """Rows appended and synced, so that a killed run keeps every row it reported; rows written in part (the disk
    full) are taken back, so the file stays a whole table."""
    data = memoryview("".join(lines).encode("utf-8"))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        raise PhotometryError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, start)
        raise PhotometryError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


class TableStream:
    def __init__(self, out: str | os.PathLike, overwrite: bool = False, resume: bool = False):
        self.out = Path(out).expanduser()
        self.fmt = format_for(self.out)
        folder_for(self.out)
        self.streams = self.fmt in LINE_FORMATS
        self.overwrite, self.resume = overwrite, resume
        self.done: set[tuple[str, str]] = set()
        self.offset = 0  # ids already in OUT, when resuming
        self._written: list[int] = []  # rows of each session table already in their file
        self._paths: list[Path] = []
        self._started: set[Path] = set()  # files this run has written
        self._counts: dict[Path, int] = {}  # rows this run wrote to each file
        self.notes: list[str] = []  # what the user is told of OUT before the run
        if resume:
            if not self.streams:
                raise PhotometryError(f"--resume needs OUT in ECSV or CSV (rows are appended), not {self.out.suffix}")
            for path in self._existing():
                table, note = resumed(path, ("id", "data_label", "subset_label"))
                self.notes += [note] if note else []
                self.done |= {(str(d), str(s)) for d, s in zip(table["data_label"], table["subset_label"])}
                if path == self.out and len(table):
                    self.offset = int(max(table["id"]))
        elif self.out.exists() and not overwrite:
            raise PhotometryError(f"{self.out}: file exists (use --overwrite to replace it, or --resume)")

    def _existing(self) -> list[Path]:
        found = [self.out] if self.out.exists() else []
        n = 2
        while (path := self._numbered(n)).exists():
            found.append(path)
            n += 1
        return found

    def _numbered(self, n: int) -> Path:
        return self.out.with_name(f"{self.out.stem}.{n}{self.out.suffix}")

    def files(self) -> list[Path]:
        return [path for path in self._paths if path in self._started]

    def rows(self, path: Path) -> int:
        return self._counts.get(path, 0)

    def flush(self, session) -> list[tuple[Path, int]]:
        """Write the rows the session measured since the last flush; returns (file, rows added) per file.
        Formats that cannot be appended to wait for close(): the session holds their rows meanwhile."""
        if not self.streams:
            return []
        tables = list(session.archived_results)
        added = []
        while len(self._written) < len(tables) + 1:
            self._written.append(0)
        for k, table in enumerate(tables):
            if self._written[k] < len(table):
                added.append(self._add(k, table[self._written[k]:]))
                self._written[k] = len(table)
        k, count = len(tables), session.result_count
        if self._written[k] < count:
            added.append(self._add(k, session.results_since(self._written[k])))
            self._written[k] = count
        return added

    def _add(self, k: int, table: QTable) -> tuple[Path, int]:
        if k == 0 and self.offset:
            table = table.copy()
            table["id"] += self.offset
        header, lines = _text(table, self.fmt)
        path = self._path(k)
        while path not in self._started and path.exists() and self.resume and _header(path) != header:
            path = self._paths[k] = self._next_free(path)  # other columns or units: the next file
        if path in self._started or (self.resume and path.exists()):
            append_lines(path, lines)
        else:
            write_table(table, path, overwrite=self.overwrite)
        self._started.add(path)
        self._counts[path] = self._counts.get(path, 0) + len(table)
        return path, len(table)

    def _next_free(self, after: Path) -> Path:
        n = 2
        while (path := self._numbered(n)) in self._paths or path == after:
            n += 1
        return path

    def _path(self, k: int) -> Path:
        """The file of the k-th table of this run: OUT, then OUT.2.ext, OUT.3.ext, ..."""
        while len(self._paths) <= k:
            self._paths.append(self.out if not self._paths else self._next_free(self._paths[-1]))
        return self._paths[k]

    def close(self, session) -> None:
        """Write the tables of formats that cannot be appended to (FITS, VOTable, HTML, text), whole."""
        if self.streams:
            return
        tables = [*session.archived_results, session.get_aperture_photometry_results(extended=True)]
        for k, table in enumerate(t for t in tables if t is not None):
            path = write_table(table, self._path(k), overwrite=self.overwrite)
            self._started.add(path)
            self._counts[path] = len(table)


class LineStream:
    """One table written as its rows come (a light curve): the header and the first rows at once, then rows
    appended and synced; `--resume` skips the rows OUT holds (by `key`) and appends after them. Formats that cannot
    be appended to are written whole by finish()."""

    def __init__(self, out, overwrite: bool = False, resume: bool = False, key: str = "Label"):
        self.out = Path(out).expanduser()
        self.fmt = format_for(self.out)
        folder_for(self.out)
        self.streams = self.fmt in LINE_FORMATS
        self.overwrite = overwrite
        self.previous: QTable | None = None  # what OUT held when resuming
        self.done: set[str] = set()
        self._header: str | None = None
        self.notes: list[str] = []  # what the user is told of OUT before the run
        if resume:
            if not self.streams:
                raise PhotometryError(f"--resume needs OUT in ECSV or CSV (rows are appended), not {self.out.suffix}")
            if self.out.exists():
                self.previous, note = resumed(self.out, (key,))
                self.notes += [note] if note else []
                self.done = {str(v) for v in self.previous[key]}
                self._header = _header(self.out)
        elif self.out.exists() and not overwrite:
            raise PhotometryError(f"{self.out}: file exists (use --overwrite to replace it, or --resume)")

    @property
    def last_row(self):
        return None if self.previous is None or not len(self.previous) else self.previous[-1]

    def append(self, table: QTable) -> None:
        if not self.streams or not len(table):
            return
        header, lines = _text(table, self.fmt)
        if self._header is None:
            write_table(table, self.out, overwrite=True)
            self._header = header
            return
        append_lines(self.out, lines)

    def finish(self, table: QTable, rewrite: bool = False) -> Path:
        """The whole table (previous rows and this run's), written again when rows were not appended or when
        columns came after them (a fit); returns OUT."""
        if rewrite or not self.streams:
            return write_table(table, self.out, overwrite=True)
        return self.out


@dataclass(frozen=True)
class Settings:
    """What `measure` applies to every image: plain values, so a cluster worker gets them in a few bytes."""

    region_files: tuple[str, ...]
    background: float | None = None
    background_region: str | None = None
    background_stat: str = "median"
    dq_flags: int | None = None
    pixel_area: float | None = None
    counts_factor: float | None = None
    flux_scaling: float | None = None
    profiles: str | None = None
    overwrite: bool = False


@dataclass
class ImageResult:
    """One image's measurements, without ids (the coordinator numbers them), and what the user must be told."""

    path: str
    table: QTable | None = None
    messages: list[tuple[str, str]] = field(default_factory=list)  # ("skipped" | "warning" | "note", text)
    notes: list[str] = field(default_factory=list)  # about the image itself, as it was read (alike across images)
    label: str = ""  # the image's data label, once read
    source: str = ""  # the file and HDU read (Image.source): one image may be named two ways
    failures: int = 0
    attempted: int = 0
    unreadable: str | None = None  # why the image could not be read


def bare_labels(labels: list[str], now: str) -> str:
    """Why OUT cannot be resumed when it names files without the folders that now tell them from others of their
    name (it was measured on fewer files; `now`: what the first is called now): they would be measured again
    under new labels, and be in it twice."""
    return (f"names {labels[0]}{' ...' if len(labels) > 1 else ''} without a folder, as a run on fewer files did; "
            f"files of that name are now labelled by folder ({now}): give --overwrite to measure them anew, or "
            f"another OUT")


def measure_image(path: str, settings: Settings, done: frozenset = frozenset(), advance=None,
                  folders: dict[str, str] | None = None) -> ImageResult:
    """Every region of the settings on one image, in a Session of its own: the same code in one process and on a
    dask.distributed worker, which opens the image from its path (pixels are never shipped). `folders`: what goes
    before the label of an image whose label would be another's (images.folders_of)."""
    from tui.core.notices import INCOMPLETE_SUM, Alike
    from tui.core.session import Session

    result = ImageResult(str(path))
    s = Session(warn=False)  # what the Session notices is said on the coordinator's stderr, as messages
    s.dq_flags = settings.dq_flags
    s.inputs.background_stat = settings.background_stat
    subsets = [label for name in settings.region_files for label in s.load_regions(name)]
    s.pop_notices()  # the coordinator read the region files and said what there was to say
    try:
        image = load_fits(str(path))
        data = result.label = s.load_data(image, label=(folders or {}).get(path, "") + image.label)
        result.source = image.source
    except PhotometryError as exc:
        result.unreadable = str(exc)
        result.messages.append(("skipped", str(exc)))
        result.failures = 1
        return result
    result.notes += map(str, s.pop_notices())
    if settings.background_region is not None:
        s.inputs.background_region = settings.background_region
    elif settings.background is not None:
        s.inputs.background = settings.background
    apertures = [subset for subset in subsets if not s.subsets[subset].is_annulus
                 and subset != settings.background_region and (data, subset) not in done]
    result.attempted = len(apertures)
    said: dict[str, list[tuple[str, str]]] = {subset: [] for subset in apertures}
    try:
        table, skipped = s.calculate_many(data=data, subsets=apertures, pixel_area=settings.pixel_area,
                                          counts_factor=settings.counts_factor, flux_scaling=settings.flux_scaling)
    except PhotometryError as exc:  # what every aperture needs failed (the background region, an input)
        table, skipped = None, [(subset, str(exc)) for subset in apertures]
    for subset, why in skipped:
        said[subset].append(("skipped", why))
    for notice in s.pop_notices():
        kind = "warning" if notice.category in INCOMPLETE_SUM else "note"
        said.get(notice.subset, result.messages).append((kind, str(notice)))
    result.failures += len(skipped)
    if table is not None:
        # The session ends with this function: its table is handed over as it is, without its ids (a copy would
        # cost 20 us a column, as much as measuring the image's first 20 apertures).
        result.table = table
        table.remove_column("id")
        for subset in table["subset_label"].tolist() if settings.profiles else ():
            try:
                write_profiles(s, data, subset, Path(settings.profiles), settings.overwrite)
            except PhotometryError as exc:
                result.failures += 1
                said[subset].append(("skipped", f"profiles of {subset} on {data}: {exc}"))
    alike = Alike()
    for subset, messages in said.items():
        result.messages += [(kind, text) for kind, text in messages if alike.first(kind, text, subset)]
    result.messages += alike.counted("regions")
    if advance is not None:
        for _ in apertures:
            advance()
    return result


_NOT_IN_NAMES = re.compile(r'[<>:"/\\|?*]')  # path separators, and what Windows refuses in a file name
_LABEL_BYTES = 100  # two labels, "__" and ".profile.ecsv" stay within the 255 bytes file systems allow


def file_label(text: str) -> str:
    """A label as part of a file name any system takes: control characters escaped, path separators and the
    characters Windows refuses replaced by '_', cut at 100 bytes. A label so changed ends in 8 hex digits of its
    hash, so 'a/b' and 'a_b' never write over each other's files and a rerun names the same file; the exact
    label is in the file (its `subset` meta)."""
    from tui.core.formatting import safe_text

    name = _NOT_IN_NAMES.sub("_", safe_text(text))
    if name == text and len(name.encode()) <= _LABEL_BYTES:
        return name
    name = name.encode()[:_LABEL_BYTES].decode(errors="ignore")
    return f"{name}~{hashlib.sha1(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def profiles_folder(folder: Path) -> None:
    """The folder --profiles names, made when missing."""
    try:
        if folder.exists() and not folder.is_dir():
            raise PhotometryError(f"--profiles {folder}: a file, not a folder: name a folder for the profiles")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PhotometryError(f"--profiles {folder}: cannot make this folder ({exc.strerror or exc})") from None


def write_profiles(session, data: str, subset: str, folder: Path, overwrite: bool) -> None:
    """`<image>__<region>.profile.ecsv` and `.growth.ecsv` in a folder."""
    profiles_folder(folder)
    stem = f"{file_label(data)}__{file_label(subset)}"
    write_table(session.radial_profile(data=data, subset=subset), folder / f"{stem}.profile.ecsv", overwrite)
    write_table(session.curve_of_growth(data=data, subset=subset), folder / f"{stem}.growth.ecsv", overwrite)
