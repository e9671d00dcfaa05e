"""aperphot-tui: Imviz-style simple aperture photometry in the terminal."""

__version__ = "0.1.0"
