"""The four input fields: their values, where auto-filled ones came from, and validation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from tui.core.errors import PhotometryError

FIELD_TITLES = {
    "background": "Background value",
    "pixel_area": "Pixel area",
    "counts_factor": "Counts conversion factor",
    "flux_scaling": "Flux scaling",
}


def typed_number(text: str) -> float:
    """Typed text as a float, or ValueError saying why not in words for every field: a comma gets a hint, as many
    locales write decimals with one (1,5) and others group thousands with it (1,000); 1e400 is too large, where
    float() would give inf."""
    try:
        number = float(text)
    except ValueError:
        hint = " (decimals take a point, thousands no separator)" if "," in text else ""
        raise ValueError(f"{text!r} is not a number{hint}") from None
    if math.isinf(number) and "inf" not in text.lower():
        raise ValueError(f"{text.strip()!r} is too large for a number (at most about 1.8e308)")
    return number


def parse_field(name: str, value) -> float:
    """A field's value as a float; empty means 0 ("not set"). Raises with the field's name."""
    title = FIELD_TITLES[name]
    if value is None:
        return 0.0
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            number = typed_number(text)
        except ValueError as exc:
            raise PhotometryError(f"{title}: {exc}") from None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PhotometryError(f"{title}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise PhotometryError(f"{title}: must be a finite number, not {number}")
    if name != "background" and number < 0:
        raise PhotometryError(f"{title}: must not be negative (got {number:g}); use 0 for 'not set'")
    return number


@dataclass
class Inputs:
    """What the fields hold. Values may be typed text; `validated()` turns them into floats."""

    background: float | str = 0.0
    pixel_area: float | str = 0.0
    counts_factor: float | str = 0.0
    flux_scaling: float | str = 0.0
    background_region: str | None = None  # a subset label: background = median of that region
    background_stat: str = "median"  # or "sigma-clip": how the region's pixels become one value
    sources: dict[str, str] = field(default_factory=dict)  # field name -> "from PIXAR_A2", ...

    def validated(self, **overrides) -> "Inputs":
        """A copy with every field parsed; `overrides` (not None) replace fields first."""
        values = {name: getattr(self, name) for name in FIELD_TITLES}
        values.update({k: v for k, v in overrides.items() if v is not None})
        parsed = {name: parse_field(name, value) for name, value in values.items()}
        return replace(self, sources=dict(self.sources), **parsed)
