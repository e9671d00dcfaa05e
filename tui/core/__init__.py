"""The shared core: loading, photometry, results and export. It never imports Textual."""

from tui.core.errors import PhotometryError
from tui.core.export import read_table as read_results
from tui.core.session import Session

__all__ = ["Session", "PhotometryError", "read_results"]
