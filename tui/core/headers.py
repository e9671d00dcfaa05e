"""FITS header keywords read as values, for every module that reads them (times, units, calibration).

A card astropy cannot parse (a value some software writes outside the standard, `DATE-OBS= 2024-03-01 / no quotes`)
raises VerifyError when read; here it counts as absent, so one bad card never stops an image from loading.
"""

from __future__ import annotations

import math

from astropy.io.fits.verify import VerifyError


_UNREADABLE = object()


def _value(header, name: str):
    """The card's value; None when the header has no such card, _UNREADABLE when astropy cannot parse it."""
    if header is None or name not in header:
        return None
    try:
        return header[name]
    except (VerifyError, ValueError):
        return _UNREADABLE


def keyword(headers, name: str):
    """The keyword's first usable value in the headers, in their order (the image's own, then the primary); None
    when none has one."""
    for header in headers:
        value = _value(header, name)
        if value is not _UNREADABLE and value not in (None, ""):
            return value
    return None


def comment(headers, name: str) -> str:
    """The comment of the card keyword() takes the value of; "" when there is none."""
    for header in headers:
        value = _value(header, name)
        if value is not _UNREADABLE and value not in (None, ""):
            return str(header.comments[name])
    return ""


def unreadable(headers, names) -> list[str]:
    """Which of the keywords the headers hold in cards astropy cannot parse: worth naming when a value was looked
    for and not found."""
    return [name for name in names if any(_value(header, name) is _UNREADABLE for header in headers)]


def finite(value) -> float | None:
    """A header value as a finite number; None when it is none (absent, text, NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
