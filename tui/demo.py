"""The bundled demo data: one field seen by a JWST-like and an HST-like camera, plus a plain image.

Deterministic (fixed seed), so `demo_data/make_demo.py` always writes the same files. An installed copy that has
no `demo_data/` beside it generates them into a cache folder on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

CENTER = (150.1000, 2.2000)  # RA, Dec of the field centre (deg)
# (dRA*cos(dec), dDec) offsets in arcsec from the centre, and peak brightness relative to the brightest star
STARS = [(-2.1, 1.4, 1.0), (1.8, 2.3, 0.45), (2.6, -1.9, 0.7), (-1.2, -2.6, 0.3), (0.4, 0.9, 0.15),
         (-3.0, -0.5, 0.25), (3.1, 0.6, 0.2)]
GALAXY = (0.2, -0.6, 0.08, 0.9, 0.45, 35.0)  # dx, dy (arcsec), peak, scale length (arcsec), axis ratio, PA (deg)
FILES = ("jwst_nircam_demo.fits", "hst_acs_demo.fits", "plain_demo.fits", "demo.reg", "plain.reg",
         "jwst_nircam_demo_cal.fits", "hst_acs_demo_flt.fits")
IMAGES = (FILES[0], FILES[1], FILES[2], FILES[5], f"{FILES[6]}[SCI,1]", f"{FILES[6]}[SCI,2]")
REGIONS = (FILES[3], FILES[4])
JWST_SATURATED = 1 | 2  # DO_NOT_USE | SATURATED


def _wcs(shape, scale_arcsec: float, rotation_deg: float) -> WCS:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = list(CENTER)
    wcs.wcs.crpix = [(shape[1] + 1) / 2, (shape[0] + 1) / 2]
    s = scale_arcsec / 3600.0
    th = np.deg2rad(rotation_deg)
    wcs.wcs.cd = [[-s * np.cos(th), s * np.sin(th)], [s * np.sin(th), s * np.cos(th)]]
    wcs.wcs.radesys = "ICRS"
    return wcs


def _scene(wcs: WCS, shape, fwhm_arcsec: float) -> np.ndarray:
    """Stars (Moffat PSF) and an exponential galaxy, sampled at each pixel's sky position."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    sky = wcs.pixel_to_world(xx, yy)
    dx = (sky.ra.deg - CENTER[0]) * np.cos(np.deg2rad(CENTER[1])) * 3600.0
    dy = (sky.dec.deg - CENTER[1]) * 3600.0
    image = np.zeros(shape)
    beta = 2.5
    alpha = fwhm_arcsec / (2 * np.sqrt(2 ** (1 / beta) - 1))
    for sx, sy, peak in STARS:
        r2 = (dx - sx) ** 2 + (dy - sy) ** 2
        image += peak * (1 + r2 / alpha**2) ** -beta
    gx, gy, gpeak, h, q, pa = GALAXY
    t = np.deg2rad(pa)
    u = (dx - gx) * np.cos(t) + (dy - gy) * np.sin(t)
    v = -(dx - gx) * np.sin(t) + (dy - gy) * np.cos(t)
    image += gpeak * np.exp(-np.hypot(u, v / q) / h * 1.0)
    return image


def _with_noise(image, sky, noise, rng, nan_count: int) -> np.ndarray:
    data = image + sky + rng.normal(0.0, noise, image.shape)
    ys = rng.integers(0, image.shape[0], nan_count)
    xs = rng.integers(0, image.shape[1], nan_count)
    data[ys, xs] = np.nan  # a few bad pixels, as in real calibrated data
    return data.astype(np.float32)


def _write(path: Path, primary: dict, sci_header: dict, data, wcs: WCS | None) -> None:
    phdr = fits.Header(primary)
    shdr = wcs.to_header() if wcs is not None else fits.Header()
    shdr.update(sci_header)
    fits.HDUList([fits.PrimaryHDU(header=phdr), fits.ImageHDU(data, shdr, name="SCI")]).writeto(path, overwrite=True)


def _star_region(i: int) -> tuple[float, float]:
    sx, sy, _ = STARS[i]
    ra = CENTER[0] + sx / 3600.0 / np.cos(np.deg2rad(CENTER[1]))
    return ra, CENTER[1] + sy / 3600.0


def make_demo(outdir: str | os.PathLike) -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261124)

    # JWST NIRCam-like: 0.031"/pix, MJy/sr, north up.
    shape = (256, 256)
    wcs = _wcs(shape, 0.031, 0.0)
    data = _with_noise(_scene(wcs, shape, 0.07) * 60.0, 0.25, 0.02, rng, 6)
    pixar_sr = (0.031 / 206264.806) ** 2
    _write(outdir / FILES[0],
           {"TELESCOP": "JWST", "INSTRUME": "NIRCAM", "DETECTOR": "NRCB1", "FILTER": "F200W",
            "EFFEXPTM": 1288.3, "EXPTIME": 1288.3},
           {"BUNIT": "MJy/sr", "PIXAR_A2": 0.031**2, "PIXAR_SR": pixar_sr, "PHOTMJSR": 0.3412},
           data, wcs)

    # HST ACS/WFC-like: 0.05"/pix, rotated 30 deg, electron/s; no PIXAR keywords (pixel area from the WCS).
    shape = (170, 170)
    wcs = _wcs(shape, 0.05, 30.0)
    data = _with_noise(_scene(wcs, shape, 0.11) * 90.0, 0.08, 0.03, rng, 4)
    _write(outdir / FILES[1],
           {"TELESCOP": "HST", "INSTRUME": "ACS", "DETECTOR": "WFC", "FILTER1": "F606W", "EXPTIME": 2400.0},
           {"BUNIT": "ELECTRONS/S", "PHOTFLAM": 7.86e-20, "PHOTPLAM": 5921.1},
           data, wcs)

    # A plain image: no unit, no WCS, a few stars on a flat background.
    shape = (120, 160)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    plain = np.full(shape, 10.0)
    for x, y, peak in [(40, 30, 500.0), (110, 80, 300.0), (75, 60, 150.0)]:
        plain += peak * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 2.0**2))
    plain = _with_noise(plain, 0.0, 1.0, rng, 3)
    fits.PrimaryHDU(plain).writeto(outdir / FILES[2], overwrite=True)

    (ra1, dec1), (ra2, dec2), (ra3, dec3) = _star_region(0), _star_region(2), _star_region(1)
    gx, gy = GALAXY[:2]
    gra = CENTER[0] + gx / 3600.0 / np.cos(np.deg2rad(CENTER[1]))
    gdec = CENTER[1] + gy / 3600.0
    (outdir / FILES[3]).write_text(
        "# Region file format: DS9 version 4.1\n"
        "# aperphot-tui demo: sky regions around sources of the demo field\n"
        "icrs\n"
        f'circle({ra1:.7f},{dec1:.7f},0.35") # text={{Star A}}\n'
        f'annulus({ra1:.7f},{dec1:.7f},0.5",0.8") # text={{Sky A}}\n'
        f'ellipse({gra:.7f},{gdec:.7f},1.6",0.8",{GALAXY[5] + 90:.1f}) # text={{Galaxy}}\n'
        f'box({ra2:.7f},{dec2:.7f},0.6",0.5",20) # text={{Star B box}}\n'
        f'circle({ra3:.7f},{dec3:.7f},0.3") # text={{Star C}}\n'
    )
    (outdir / FILES[4]).write_text(
        "# Region file format: DS9 version 4.1\n"
        "image\n"
        "circle(41,31,5) # text={Bright}\n"
        "circle(111,81,5) # text={Medium}\n"
        "annulus(41,31,8,12) # text={Sky}\n"
    )
    _jwst_cal(outdir / FILES[5], rng)
    _hst_flt(outdir / FILES[6], rng)
    return [outdir / name for name in FILES]


def _jwst_cal(path: Path, rng) -> None:
    """A NIRCam `_cal`-like file: SCI, ERR, DQ (uint32), VAR_POISSON, VAR_RNOISE, VAR_FLAT, and Star A saturated:
    its core is NaN and flagged DO_NOT_USE | SATURATED, as the JWST pipeline leaves it."""
    shape = (256, 256)
    wcs = _wcs(shape, 0.031, 0.0)
    signal = _scene(wcs, shape, 0.07) * 60.0 + 0.25
    var_poisson = (0.002 * np.clip(signal, 0, None)).astype(np.float32)
    var_rnoise = np.full(shape, 0.015**2, np.float32)
    var_flat = ((0.003 * signal) ** 2).astype(np.float32)
    sigma = np.sqrt(var_poisson + var_rnoise + var_flat)
    data = (signal + rng.normal(0.0, 1.0, shape) * sigma).astype(np.float32)
    dq = np.zeros(shape, np.uint32)
    x, y = (float(v) for v in wcs.world_to_pixel_values(*_star_region(0)))
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    core = (xx - x) ** 2 + (yy - y) ** 2 <= 1.6**2
    data[core] = np.nan
    dq[core] = JWST_SATURATED
    jumps = rng.integers(0, shape[0], (2, 40))
    dq[jumps[0], jumps[1]] |= 4  # JUMP_DET: not DO_NOT_USE, so good by default
    header = wcs.to_header()
    header.update({"BUNIT": "MJy/sr", "PIXAR_A2": 0.031**2, "PIXAR_SR": (0.031 / 206264.806) ** 2,
                   "PHOTMJSR": 0.3412})
    extensions = [fits.ImageHDU(data, header, name="SCI"), fits.ImageHDU(sigma.astype(np.float32), name="ERR"),
                  fits.ImageHDU(dq, name="DQ")]
    extensions += [fits.ImageHDU(v, name=n) for n, v in
                   (("VAR_POISSON", var_poisson), ("VAR_RNOISE", var_rnoise), ("VAR_FLAT", var_flat))]
    primary = fits.PrimaryHDU(header=fits.Header(
        {"TELESCOP": "JWST", "INSTRUME": "NIRCAM", "DETECTOR": "NRCB1", "FILTER": "F200W",
         "EFFEXPTM": 1288.3, "EXPTIME": 1288.3}))
    fits.HDUList([primary, *extensions]).writeto(path, overwrite=True)


def _hst_flt(path: Path, rng) -> None:
    """An ACS/WFC `_flt`-like file: two chips (SCI,1 above SCI,2), each with ERR and DQ (int16), hot pixels
    (16: good by default), cosmic rays (8192) and a saturated pixel (256) on the brightest star."""
    full = (170, 170)
    wcs = _wcs(full, 0.05, 30.0)
    scene = _scene(wcs, full, 0.11) * 90.0 + 0.08
    hdus = [fits.PrimaryHDU(header=fits.Header(
        {"TELESCOP": "HST", "INSTRUME": "ACS", "DETECTOR": "WFC", "FILTER1": "F606W", "EXPTIME": 2400.0}))]
    x, y = (int(round(float(v))) for v in wcs.world_to_pixel_values(*_star_region(0)))
    for ver, rows in ((1, slice(80, 170)), (2, slice(0, 90))):
        signal = scene[rows]
        sigma = np.sqrt(np.clip(signal, 0, None) / 2400.0 + 0.03**2).astype(np.float32)
        data = (signal + rng.normal(0.0, 1.0, signal.shape) * sigma).astype(np.float32)
        dq = np.zeros(signal.shape, np.int16)
        hot = rng.integers(0, signal.shape[0], (2, 30))
        dq[hot[0], hot[1] % signal.shape[1]] |= 16
        crs = rng.integers(0, signal.shape[0], (2, 20))
        data[crs[0], crs[1] % signal.shape[1]] += 5.0
        dq[crs[0], crs[1] % signal.shape[1]] |= 8192
        if rows.start <= y < rows.stop:
            dq[y - rows.start, x] |= 256
        header = wcs.slice((rows, slice(None))).to_header()
        header.update({"BUNIT": "ELECTRONS/S", "PHOTFLAM": 7.86e-20, "PHOTPLAM": 5921.1, "CCDCHIP": 3 - ver})
        hdus += [fits.ImageHDU(data, header, name="SCI", ver=ver), fits.ImageHDU(sigma, name="ERR", ver=ver),
                 fits.ImageHDU(dq, name="DQ", ver=ver)]
    fits.HDUList(hdus).writeto(path, overwrite=True)


def demo_dir() -> Path:
    """The demo folder of a source checkout, else a cache folder (made on first use)."""
    checkout = Path(__file__).resolve().parent.parent / "demo_data"
    if all((checkout / name).exists() for name in FILES):
        return checkout
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aperphot-tui" / "demo"
    if not all((cache / name).exists() for name in FILES):
        make_demo(cache)
    return cache


def demo_files() -> tuple[list[Path], list[Path]]:
    """(images, region files) of the demo; the `_flt` file once per chip."""
    folder = demo_dir()
    return [folder / name for name in IMAGES], [folder / name for name in REGIONS]
