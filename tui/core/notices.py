"""What the core tells the user about a result, made once here and shown as it is by every front end.

A Notice is the message itself (a str), plus what it concerns: its warning category, and the subset and data of
the row it is about. The Session keeps notices for a UI to show (`pop_notices()`) and, for scripts and notebooks,
also issues each per-row notice as a Python warning of its category.
"""

from __future__ import annotations

from astropy.utils.exceptions import AstropyUserWarning


class PhotometryWarning(AstropyUserWarning):
    """Something about a result the user should know; the result was still computed and stored."""


class DamagedApertureWarning(PhotometryWarning):
    """NaN or DQ-flagged pixels inside an aperture: the sum misses their flux (npix_bad counts them)."""


class OffImageWarning(PhotometryWarning):
    """Part of an aperture lies off the image: the sum and npix cover only the part on it (SPEC's rule)."""


# What a front end shows next to the row itself: the sum misses flux the aperture covers.
INCOMPLETE_SUM = (DamagedApertureWarning, OffImageWarning)


class NewTableWarning(PhotometryWarning):
    """A result whose columns or units differ from the table's started a new table; the old one is archived."""


class PixelCoordinatesWarning(PhotometryWarning):
    """A pixel region drawn on one image was used unchanged on another with no common sky frame."""


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


def damaged_aperture(npix_bad: int, subset: str, data: str) -> Notice | None:
    """What the user must be told when bad pixels inside the aperture left their flux out of the sum."""
    if not npix_bad:
        return None
    pixels, verb = ("1 pixel", "is") if npix_bad == 1 else (f"{npix_bad} pixels", "are")
    return about_row(f"{pixels} inside the aperture {verb} NaN or flagged (saturated core?); the sum misses their "
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
