import json

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS


@pytest.fixture(autouse=True, scope="session")
def no_downloads():
    """The tests never reach the network. The app needs no IERS table (frametimes), but the tests' astropy
    references for BJD and airmass do (UT1, polar motion): they use the tables astropy-iers-data bundles, however
    old, rather than trying a download 30 days after that release (a warning offline, a stall behind a firewall)."""
    from astropy.utils import iers

    with iers.conf.set_temp("auto_download", False):
        yield


def tan_wcs(shape, scale_arcsec=0.1, crval=(150.0, 2.0)):
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = list(crval)
    w.wcs.crpix = [shape[1] / 2 + 0.5, shape[0] / 2 + 0.5]
    w.wcs.cdelt = [-scale_arcsec / 3600, scale_arcsec / 3600]
    return w


def over_subtracted_core(shape, x0, y0) -> np.ndarray:
    """A ring of light around an over-subtracted core (a residual after PSF subtraction), centred at (x0, y0): net
    negative flux within 8 pixels while the ring's moments are positive, so the moments' covariance is not
    positive semidefinite and describes no shape (photutils 3.1)."""
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    r = np.hypot(xx - x0, yy - y0)
    return np.where(np.abs(r - 5) < 0.5, 1.0, 0.0) + np.where(r < 1.5, -60.0, 0.0) + 0.01 * np.sin(xx + 2 * yy)


def over_subtracted_files(folder) -> tuple[list[str], list[str]]:
    """([an 80x80 FITS image of over_subtracted_core at (40.2, 39.7)], [a DS9 file with the circle 'core' of r=8
    on it]): as the app is given them."""
    fits.PrimaryHDU(over_subtracted_core((80, 80), 40.2, 39.7)).writeto(folder / "resid.fits")
    (folder / "core.reg").write_text("image\ncircle(41.2,40.7,8) # text={core}\n")
    return [str(folder / "resid.fits")], [str(folder / "core.reg")]


def site_written_west_positive(paths, folder) -> list:
    """Copies of frames in `folder` with SITELONG negated (as IRAF writes it) and no AIRMASS: read east-positive,
    the site lies on the other side of the Earth."""
    from pathlib import Path

    flipped = []
    for path in map(Path, paths):
        with fits.open(path) as hdul:
            hdul[0].header["SITELONG"] = -hdul[0].header["SITELONG"]
            del hdul[0].header["AIRMASS"]
            hdul.writeto(Path(folder) / path.name)
        flipped.append(Path(folder) / path.name)
    return flipped


def first_format_line(row) -> bytes:
    """A line as journals were written before the column-by-column format: one object per cell."""
    def cell(value):
        if hasattr(value, "frame"):
            return {"sky": [value.ra.deg, value.dec.deg], "frame": value.frame.name}
        if hasattr(value, "isot"):
            return {"time": value.isot}
        if hasattr(value, "unit"):
            return {"value": float(value.value) if np.isfinite(value.value) else str(value.value),
                    "unit": value.unit.to_string()}
        return value if not isinstance(value, float) or np.isfinite(value) else str(value)
    return (json.dumps({k: cell(v) for k, v in row.items() if k != "id"}) + "\n").encode()


@pytest.fixture
def write_fits(tmp_path):
    """write_fits(name, data, header=None, primary=None, ext=True) -> path of a file with a SCI extension."""

    def write(name, data, header=None, primary=None, ext=True):
        path = tmp_path / name
        hdr = fits.Header(header or {})
        if ext:
            hdul = fits.HDUList([fits.PrimaryHDU(header=fits.Header(primary or {})),
                                 fits.ImageHDU(data, hdr, name="SCI")])
        else:
            hdr.update(primary or {})
            hdul = fits.HDUList([fits.PrimaryHDU(data, hdr)])
        hdul.writeto(path)
        return path

    return write
