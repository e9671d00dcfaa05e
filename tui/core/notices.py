"""What the core tells the user about a result, made once here and shown as it is by every front end.

A Notice is the message itself (a str), plus what it concerns: its warning category, and the subset and data of
the row it is about. The Session keeps notices for a UI to show (`pop_notices()`) and, for scripts and notebooks,
also issues each per-row notice as a Python warning of its category. Alike counts the many messages a batch
says alike (a catalogue wider than the image, a star off thousands of frames) on one line.
"""

from __future__ import annotations

import re

from astropy.utils.exceptions import AstropyUserWarning


class PhotometryWarning(AstropyUserWarning):
    """Something about a result the user should know; the result was still computed and stored."""


class DamagedApertureWarning(PhotometryWarning):
    """NaN or DQ-flagged pixels inside an aperture: the sum misses their flux (npix_bad counts them)."""


class OffImageWarning(PhotometryWarning):
    """Part of an aperture lies off the image: the sum and npix cover only the part on it (SPEC's rule)."""


# What a front end shows next to the row itself: the sum misses flux the aperture covers.
INCOMPLETE_SUM = (DamagedApertureWarning, OffImageWarning)


class SurfaceBrightnessWarning(PhotometryWarning):
    """Per-steradian data measured with no pixel area: aperture_sum adds surface brightnesses, not a flux."""


# What the result panel says under the numbers: what makes aperture_sum other than the flux it seems to be.
ABOUT_THE_SUM = INCOMPLETE_SUM + (SurfaceBrightnessWarning,)


class NewTableWarning(PhotometryWarning):
    """A result whose columns or units differ from the table's started a new table; the old one is archived."""


class PixelCoordinatesWarning(PhotometryWarning):
    """A pixel region drawn on one image was used unchanged on another with no common sky frame."""


class RegionLabelWarning(PhotometryWarning):
    """A region saved to a DS9 file under another label than its own, which DS9 cannot hold as it is."""


class Notice(str):
    """A message for the user, with its category and the row it concerns (subset and data labels, or None)."""

    category: type[PhotometryWarning] | None
    subset: str | None
    data: str | None
    detail: str  # the message without naming the row, for a place that names it already

    def __new__(cls, text: str, category: type[PhotometryWarning] | None = None, subset: str | None = None,
                data: str | None = None, detail: str | None = None) -> "Notice":
        notice = super().__new__(cls, text)
        notice.category, notice.subset, notice.data = category, subset, data
        notice.detail = text if detail is None else detail
        return notice


def about_row(detail: str, category: type[PhotometryWarning], subset: str, data: str) -> Notice:
    """A notice about one result row, named as "<subset> on <data>: <detail>"."""
    return Notice(f"{subset} on {data}: {detail}", category, subset, data, detail)


def damaged_aperture(npix_bad: int, subset: str, data: str, centre_lost: bool = False) -> Notice | None:
    """What the user must be told when bad pixels inside the aperture left their flux out of the sum;
    `centre_lost`: none of the pixels centred in it is usable, so the statistics (mean, median...) are NaN."""
    if not npix_bad:
        return None
    pixels, verb, whose = ("1 pixel", "is", "its") if npix_bad == 1 else (f"{npix_bad} pixels", "are", "their")
    if centre_lost:  # an empty or masked-out field, not a saturated star: the guess below would mislead
        return about_row(f"{pixels} inside the aperture {verb} NaN or flagged, and no pixel centred in it is usable: "
                         f"the statistics are NaN and the sum misses {whose} flux.", DamagedApertureWarning, subset,
                         data)
    return about_row(f"{pixels} inside the aperture {verb} NaN or flagged (saturated core?); the sum misses {whose} "
                     f"flux.", DamagedApertureWarning, subset, data)


def share_text(share: float) -> str:
    """A share between 0 and 1 (both excluded) as a percentage that never reads 0% or 100%."""
    return "less than 1%" if share < 0.01 else "more than 99%" if share > 0.99 else f"{share * 100:.0f}%"


def off_image(share: float, subset: str, data: str) -> Notice | None:
    """What the user must be told when part of the aperture (`share` of its weight, 0 to 1) lies off the image."""
    if not share:
        return None
    return about_row(f"{share_text(share)} of the aperture lies off the image; the sum and npix cover only the part "
                     f"on it.", OffImageWarning, subset, data)


def surface_brightness_sum(unit: str, data: str, subset: str | None = None) -> Notice:
    """What the user must be told when per-steradian data (in `unit`, as shown) are summed without a pixel area
    to turn them into a flux (SPEC: aperture_sum then stays in the data unit). About one row, or (no subset)
    about every row of `data` measured together."""
    detail = f"per-steradian data and no pixel area: aperture_sum adds up {unit}, not a flux; set the pixel area"
    if subset is not None:
        return about_row(detail, SurfaceBrightnessWarning, subset, data)
    return Notice(f"{data}: {detail}", SurfaceBrightnessWarning, None, data, detail)


ALIKE_NAMED = 3  # alike messages said in full before the rest are counted


class Alike:
    """Messages that say the same of different things (the same words but for a name and the numbers): the first
    ALIKE_NAMED of each kind are said in full, the rest counted and named on one line at the end. A catalogue
    covering a mosaic, measured on one chip, or a star off 10,000 frames would otherwise bury the few messages that
    matter under thousands alike."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list] = {}  # key -> [times said in full, the last said, (name, text) after]

    def first(self, kind: str, text: str, name: str, everywhere: bool = False) -> bool:
        """Note a message about `name` (named once in it, or `everywhere`: a file's name in its images' labels):
        whether it is among the first of its kind, to be said in full."""
        # numbers standing alone (42%, 8 pixels), not those in names (Comp2, C3): stars stay apart
        words = re.sub(r"(?<![\w.])\d+(?:\.\d+)?(?!\w)", "#", text.replace(name, "\0", -1 if everywhere else 1))
        seen = self.seen.setdefault((kind, words), [0, "", []])
        if seen[0] < ALIKE_NAMED:
            seen[0], seen[1] = seen[0] + 1, text
            return True
        seen[2].append((name, text))
        return False

    def counted(self, what: str) -> list[tuple[str, str]]:
        """A line for each kind with more than ALIKE_NAMED; `what` the rest are ("regions", "frames"). One more
        alone is said in full: a line counting it would be no shorter."""
        out = []
        for (kind, _), (_, last, rest) in self.seen.items():
            if len(rest) == 1:
                out.append((kind, rest[0][1]))
            elif rest:
                names = [name for name, _ in rest]
                named = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
                out.append((kind, f'{len(rest)} more {what} like "{last}": {named}'))
        return out
