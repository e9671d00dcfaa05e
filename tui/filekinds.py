"""Which files are which, by their names: shared by the command line and the app's open dialog, and light to import
(the app's first frame waits on whatever the command line imports)."""

import glob
import os
import stat

REGION_SUFFIXES = (".reg", ".crtf")  # DS9 and CASA region files
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fz", ".gz")
# In a folder, only names that say FITS: a .gz there may be anything
FOLDER_FITS = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz", ".fits.fz")


def is_region_file(name: str) -> bool:
    return name.lower().endswith(REGION_SUFFIXES)


def expand_folders(names) -> list[str]:
    """The names, with each folder replaced by the FITS files in it, by name (AstroImageJ opens a folder as a
    sequence: `aperphot-tui series night1/ ...`). A folder with none stays, for the reader to say what it is."""
    out = []
    for name in names:
        name = str(name)
        if os.path.isdir(name):
            found = sorted(entry.path for entry in os.scandir(name)
                           if entry.name.lower().endswith(FOLDER_FITS) and entry.is_file())
            out += found or [name]
        else:
            out.append(name)
    return out


EVERY = "[*]"  # file.fits[*]: every image of the file, as in Imviz


def every_image(names) -> list[str]:
    """The names, with each `file.fits[*]` replaced by a name for each image in it (images.measurable: every SCI
    extension, as ERR and DQ go with their SCI, else every image HDU; Imviz's [*] opens ERR and DQ as images
    too). A file that cannot be read stays as named, for the reader to say why."""
    out = []
    for name in map(str, names):
        path = name[:-len(EVERY)]
        if not name.endswith(EVERY) or not (os.path.isfile(path) or glob.has_magic(path)):
            out.append(name)
            continue
        # '*_flt.fits[*]': the shell leaves a quoted pattern alone, and unquoted, [*] is a pattern of its own
        out += [image for found in (sorted(glob.glob(path)) or [path]) for image in _images_of(found)]
    return out


def _images_of(path: str) -> list[str]:
    from astropy.io import fits  # only here: this module stays light to import

    from tui.core.images import address, measurable

    try:
        with fits.open(path) as hdul:
            return [f"{path}[{address(hdul, hdu)}]" for hdu in measurable(hdul)] or [path + EVERY]
    except Exception:  # noqa: BLE001 - not FITS, truncated, ...: the image reader says which, in its words
        return [path + EVERY]


def regions_in_folders(names) -> list[str]:
    """The region files in the folders among the names: a folder stands for its FITS files, but a sequence's
    stars are often kept beside them (night1/stars.reg), and a user who named no region file is told of them."""
    return sorted(entry.path for name in map(str, names) if os.path.isdir(name)
                  for entry in os.scandir(name) if is_region_file(entry.name) and entry.is_file())


def named_once(names) -> tuple[list[str], list[str]]:
    """The names with each file kept once, in order, and those given again (a shell pattern and a folder that
    overlap, `night1/ night1/frame_0001.fits`): measured twice, a file gave every row twice, and a light curve
    two points at one time. Names are the same file when they lead to the same path (a name with an extension,
    file.fits[SCI,2], leads to no file: its folder part is resolved, the rest compared as written)."""
    kept, again, seen = [], [], set()
    for name in map(str, names):
        key = os.path.realpath(name)
        (again if key in seen else kept).append(name)
        seen.add(key)
    return kept, again


def not_a_plain_file(path, advice: str = "save what it holds to a file and name that") -> str | None:
    """Why a path that exists is no file to read images or regions from, in a sentence after its name: a pipe
    (`<(gunzip -c a.fits.gz)`, a named pipe no program writes to), a device (/dev/zero) or a socket. Read as one, it
    would wait forever, never end, or fail to seek. None for a file, a folder (not_a_file says why), or nothing."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    for kind, what in ((stat.S_ISFIFO, "a pipe"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a disk device"),
                       (stat.S_ISSOCK, "a socket")):
        if kind(mode):
            return f"is {what}, not a file: {advice}"
    return None


def not_a_file(path) -> str:
    """Why a folder given as an image cannot be read: one sentence, after its name."""
    if any(name.lower().endswith(FOLDER_FITS) for name in os.listdir(path)):
        return "is a folder, not a FITS file: name the files in it"
    return "is a folder with no FITS file in it (.fits, .fit or .fts)"
