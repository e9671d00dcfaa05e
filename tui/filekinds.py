"""Which files are which, by their names: shared by the command line and the app's open dialog, and light to import
(the app's first frame waits on whatever the command line imports)."""

REGION_SUFFIXES = (".reg", ".crtf")  # DS9 and CASA region files
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fz", ".gz")


def is_region_file(name: str) -> bool:
    return name.lower().endswith(REGION_SUFFIXES)
