import pytest
from astropy.io import fits
from astropy.wcs import WCS


def tan_wcs(shape, scale_arcsec=0.1, crval=(150.0, 2.0)):
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = list(crval)
    w.wcs.crpix = [shape[1] / 2 + 0.5, shape[0] / 2 + 0.5]
    w.wcs.cdelt = [-scale_arcsec / 3600, scale_arcsec / 3600]
    return w


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
