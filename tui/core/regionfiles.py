"""Reading DS9 and CRTF region files (the usable regions with their labels, and a note for each line left out),
and writing the regions a session holds as a DS9 file that DS9, `measure` and `series` read back.

regions parses; what it misreads or refuses as a file is handled here: a file saved with a byte-order mark or in
Latin-1, one bad line (the rest is read a line at a time), DS9's physical coordinates (physical.py places them),
and CRTF coordinates with units but no frame, which regions would take for pixels.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from pathlib import Path

import regions as rg

from tui.core import physical
from tui.core.errors import PhotometryError
from tui.core.export import write_atomically
from tui.core.subsets import Subset, bare, check_shape, shape_name
from tui.filekinds import not_a_plain_file

SAID_APART = 3  # notes about a region file's left-out lines, at most; more are said as one
_DS9_FRAMES = ("image", "physical", "fk4", "fk5", "icrs", "galactic", "ecliptic", "j2000", "b1950", "wcs",
               "linear", "amplifier", "detector")
_PHYSICAL_LINE = re.compile(r"^\s*physical\s*(;|#|$)", re.IGNORECASE | re.MULTILINE)

# (path, size, mtime) -> what read_region_file gave: a batch parses a file once per process, not once per image
_PARSED: dict[tuple, tuple] = {}


def region_text(region) -> str | None:
    meta = getattr(region, "meta", None) or {}
    text = meta.get("text") or meta.get("label")
    return str(text).strip() or None if text else None


def read_region_file(path: str | Path, points: bool = False) -> tuple[list[tuple[rg.Region, str | None]], list[str]]:
    """((region, text label or None) for each usable region, notes about skipped ones). Points are usable with
    `points` (a light curve's stars are places: its apertures are its own)."""
    path = Path(path)
    if not os.path.exists(path):  # nor a name the system cannot look up: os.path never raises
        raise PhotometryError(f"{path}: no such file")
    if why := not_a_plain_file(path):
        raise PhotometryError(f"{path}: {why}")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, points)
    if key not in _PARSED:
        if len(_PARSED) >= 8:  # a batch names a few files: memory stays flat
            _PARSED.clear()
        _PARSED[key] = _parse(path, points)
    found, notes = _PARSED[key]
    return list(found), list(notes)


def _text(path: Path) -> str:
    """The file's text: UTF-8 (a Windows editor's byte-order mark left out), else Latin-1, in which some systems
    save accented labels, and which reads any bytes (a file that is no region file then fails as one)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PhotometryError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    if data.startswith(b"SIMPLE  ="):
        raise PhotometryError(f"{path.name}: a FITS file, not a region file: name it among the images")
    if b"\0" in data[:4096]:  # regions would quote a "line" of it back
        raise PhotometryError(f"{path.name}: not a region file (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _parse(path: Path, points: bool):
    fmt = "crtf" if path.suffix.lower() == ".crtf" else "ds9"
    text = _text(path)
    caught: list = []
    skipped: list[str] = []
    lines = None  # each region's line in the file, where it was read a line at a time
    if fmt == "ds9" and _PHYSICAL_LINE.search(text):
        found, skipped, lines = _ds9_line_by_line(text)  # regions reads no physical regions: they are read here
    else:
        if fmt == "crtf":
            text, skipped = _crtf_framed(text)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                found = _parse_regions(text, fmt)
        except Exception as exc:  # the parsers raise many types; all mean "not a region file we can read"
            first = _short(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            # One bad line (a negative radius) makes regions refuse a whole DS9 file: a catalogue keeps the rest.
            caught, (found, skipped, lines) = [], _ds9_line_by_line(text) if fmt == "ds9" else ([], [], None)
            if not found:
                if skipped:  # the first line's reason in our words: "line 2: box: its height is missing"
                    first = re.sub(r"^skipped (line \d+) \((.*)\)$", r"\1: \2", skipped[0])
                raise PhotometryError(f"{path.name}: not a readable {fmt.upper()} region file ({first})") from None
    # The parsers warn about each line they skip: the user should hear of it, once, in our words.
    reasons = [_short(why) for why in skipped + [str(w.message) for w in caught]]
    usable = []
    for number, region in enumerate(found, start=1):
        label = region_text(region)
        where = f"line {lines[number - 1]}" if lines else f"region {number}"
        try:
            check_shape(region, f"{where} ({shape_name(region)}{f' {label!r}' if label else ''})", points)
        except PhotometryError as exc:
            reasons.append(f"skipped {exc}")
            continue
        usable.append(region)
    notes = [f"{path.name}: {why}" for why in reasons]
    if not usable:
        raise PhotometryError(f"{path.name}: no usable regions in this file" + (f" ({notes[0]})" if notes else ""))
    if len(reasons) > SAID_APART:  # a catalogue with many bad lines: one note, not a toast for each
        shown = "; ".join(why.rstrip(".") for why in reasons[:2])  # regions' own end in "skipping."
        notes = [f"{path.name}: {len(reasons)} lines or regions left out: {shown}; ..."]
    labels = [region_text(r) for r in usable]
    counts = Counter(labels)
    unique = [t if t is not None and counts[t] == 1 else None for t in labels]
    shared = [t for t, n in counts.items() if t is not None and n > 1]
    if shared:  # SPEC: such a label names no one region; the user should hear why the names are numbers
        names = ", ".join(map(repr, shared[:3])) + (", ..." if len(shared) > 3 else "")
        notes.append(f"{path.name}: {sum(counts[t] for t in shared)} regions share "
                     f"{'a label' if len(shared) == 1 else f'{len(shared)} labels'} ({names}): "
                     "each is named Subset N instead")
    return list(zip(usable, unique)), notes


def _short(reason: str, most: int = 160) -> str:
    """A reason regions gave, cut to a length a note can show: it quotes whole lines of the file back."""
    reason = reason.replace(_KEPT, "")
    return reason if len(reason) <= most else reason[:most - 1] + "…"


# regions reads a DS9 text that looks like a number as that number: text={007} as 7, text={12.50} as 12.5 and
# text={0} as 0, which then names nothing. A mark after each text's opening delimiter keeps every text a text.
_KEPT = "\ufdd0"  # a Unicode noncharacter, which no label holds
_TEXT_OPENING = re.compile(r"\btext\s*=\s*[{\"']")


def _parse_regions(text: str, fmt: str) -> list:
    """regions' parse of a region file's text, DS9 labels kept as written (_KEPT)."""
    if fmt != "ds9":
        return list(rg.Regions.parse(text, format=fmt))
    found = list(rg.Regions.parse(_TEXT_OPENING.sub(lambda m: m.group() + _KEPT, text), format="ds9"))
    for region in found:
        if isinstance(region.meta.get("text"), str):
            region.meta["text"] = region.meta["text"].replace(_KEPT, "")
    return found


def _ds9_line_by_line(text: str) -> tuple[list, list[str], list[int]]:
    """The regions of a DS9 file read a line at a time, each with the coordinate frame and `global` line before
    it; why each line that could not be read was skipped; and each region's line number. Regions in physical
    coordinates are read as image regions marked physical.FRAME (see physical.py)."""
    found, skipped, lines, frame, defaults = [], [], [], "", ""
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition(";")
        if head.strip().lower() in _DS9_FRAMES:  # "fk5" alone, or "fk5; circle(...)": the frame holds on after it
            frame, line = head.strip().lower(), rest.strip()
            if not line:
                continue
        if line.lower().startswith("global"):
            defaults = line
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                as_read = "image" if frame == physical.FRAME else frame
                parsed = _parse_regions(f"{defaults}\n{as_read}\n{line}", "ds9")
        except Exception as exc:  # noqa: BLE001 - as for the whole file: the line is not one regions can read
            skipped.append(f"skipped line {number} ({_why(exc, line)})")
            continue
        skipped += [f"skipped line {number} ({str(w.message).splitlines()[0]})" for w in caught]
        for region in parsed if frame == physical.FRAME else ():
            region.meta["frame"] = physical.FRAME
        found += parsed
        lines += [number] * len(parsed)
    return found, skipped, lines


# A shape given too few or too many numbers reaches the region class's constructor, whose TypeError names Python's
# arguments ("RectanglePixelRegion.__init__() missing 1 required positional argument: 'height'")
_ARGUMENTS = re.compile(r"missing \d+ required positional arguments?: (?P<missing>.+)"
                        r"|takes \d+ positional arguments? but")

_NOT_A_NUMBER = "could not convert string to float: "


def _why(exc: Exception, line: str) -> str:
    """Why regions could not read a line, in the file's words where its message is Python's."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, ValueError) and text.startswith(_NOT_A_NUMBER):
        return f"{text.removeprefix(_NOT_A_NUMBER)} is not a number"
    found = _ARGUMENTS.search(text) if isinstance(exc, TypeError) else None
    if found is None:
        return text
    shape = line.split("(")[0].strip().lstrip("+-") or "the region"
    if found["missing"] is None:
        return f"{shape}: more numbers than it takes"
    missing = found["missing"].replace("'", "").replace("_", " ")
    return f"{shape}: its {missing} {'are' if ' and ' in missing else 'is'} missing"


_CRTF_COORD = re.compile(r"\bcoord\s*=", re.IGNORECASE)
_CRTF_SHAPE = re.compile(r"^\s*[+-]?\s*(\w+)\s*(\[.*\])", re.IGNORECASE)
_IN_PIXELS = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(pix)?$", re.IGNORECASE)
_TURNED = ("ellipse", "rotbox")  # shapes whose last number is a position angle, in degrees whatever the frame


def _crtf_framed(text: str) -> tuple[str, list[str]]:
    """The CRTF text without the region lines regions would misread, and why each is left out: a line with no
    coord= (nor a global one before it) is read in pixels, its degrees, sexagesimal and arcseconds taken for
    pixel numbers (150.1deg became x = 150.1). CASA would take the image's own frame, which a region file
    cannot know: the user is told to name it."""
    kept, skipped, framed = [], [], False
    for number, line in enumerate(text.splitlines(), start=1):
        shape = _CRTF_SHAPE.match(line)
        if line.strip().lower().startswith("global"):
            framed = framed or bool(_CRTF_COORD.search(line))
        elif shape is not None and not framed and not _CRTF_COORD.search(line):
            values = [v for v in re.split(r"[\[\],\s]+", _brackets(shape.group(2))) if v]
            values = values[:-1] if shape.group(1).lower() in _TURNED else values
            units = next((v for v in values if not _IN_PIXELS.match(v)), None)
            if units is not None:
                skipped.append(f"skipped line {number} ({units} with no coord=: add coord=J2000, or the frame "
                               f"of the image, as CASA writes it)")
                line = ""
        kept.append(line)
    return "\n".join(kept), skipped


def _brackets(text: str) -> str:
    """The shape's bracketed numbers: from the first '[' to the one that closes it."""
    depth = 0
    for end, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0:
            return text[:end + 1]
    return text


# --- writing ----------------------------------------------------------------------------------------------------
REGION_SUFFIX = ".reg"
_NUMBER = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")
_DELIMITERS = (("{", "}"), ('"', '"'), ("'", "'"))  # DS9's three ways of quoting a text


def ds9_lines(subsets: list[Subset]) -> tuple[list[str], list[str]]:
    """The DS9 lines of the subsets, each in its own frame (image, physical, or its sky frame) and labelled with
    text={...}, and a note for each label DS9 cannot hold as it is.

    regions writes the shapes, in fixed decimals, which are written here as Python writes the float they read
    back as: sky positions and sizes (a radius in degrees keeps its digits) read back to the last bit, and pixel
    positions, which DS9 counts from 1, within a unit in the last place. The label is quoted here: regions writes
    it inside braces whatever it holds.
    """
    from tui import __version__

    lines, notes = ["# Region file format: DS9 version 4.1", f"# aperphot-tui {__version__}"], []
    for subset in subsets:
        frame, shape = bare(subset.region).serialize(format="ds9", precision=20).splitlines()[-2:]
        if physical.is_physical(subset.region):
            frame = physical.FRAME  # read as image numbers (regionfiles), so written as they were read
        text, written = ds9_text(subset.label)
        if written != subset.label:
            notes.append(f"{subset.label!r} is saved as {written!r}: DS9 cannot hold the label as it is")
        lines.append(f"{frame}; {_NUMBER.sub(lambda m: repr(float(m.group())), shape)} # {text}")
    return lines, notes


def ds9_text(label: str) -> tuple[str, str]:
    """(text=... holding the label, the label it reads back as). A label is read back by regions' own parser
    (as read_region_file reads it) in the first quoting that gives it exactly; a label none does (braces and both
    quotes, a line break, spaces at an end) is saved without what stops it."""
    if _SAFE.fullmatch(label):
        return f"text={{{label}}}", label
    if len(f"<{label}>".splitlines()) == 1:  # a line break would end the DS9 line
        for opening, closing in _DELIMITERS:
            text = f"text={opening}{label}{closing}"
            if _reads_back(text) == label:
                return text, label
    label = _plain(label)
    return f"text={{{label}}}", label


# Labels of these characters read back in braces as they are, with no parse to tell (the tests check the rule
# against the parser): nearly every label.
_SAFE = re.compile(r"(?! )[\w .,:+\-\[\]()/*@!?%&<>|~^$]+(?<! )")


def _plain(label: str) -> str:
    return " ".join(re.sub(r"[{}\"']", "_", label).split()) or "region"


def _reads_back(text: str) -> str | None:
    """The label a text=... reads back as, as read_region_file reads it; None if it does not read as one."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parsed = _parse_regions(f"image\ncircle(1,1,1) # {text}\n", "ds9")
    except Exception:  # noqa: BLE001 - any failure of the parser means: not this quoting
        return None
    return region_text(parsed[0]) if len(parsed) == 1 and not caught else None


def write_region_file(subsets: list[Subset], path: str | os.PathLike,
                      overwrite: bool = False) -> tuple[Path, list[str]]:
    """Write the subsets as a DS9 region file (ds9_lines), atomically; returns the path and ds9_lines' notes."""
    path = Path(path).expanduser()
    if path.suffix.lower() != REGION_SUFFIX:
        if path.is_dir():
            raise PhotometryError(f"{path} is a folder: name a file in it ({path / 'regions.reg'}, say)")
        raise PhotometryError(f"{path.name}: regions are saved as DS9 files: name it {path.stem or 'regions'}.reg")
    if not subsets:
        raise PhotometryError("there are no regions to save yet")
    lines, notes = ds9_lines(subsets)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            out.write("\n".join(lines) + "\n")

    return write_atomically(path, write, "DS9", overwrite), notes
