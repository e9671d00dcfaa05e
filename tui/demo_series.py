"""Synthetic time series with a known transit: ground-based frames (one FITS file each) and a JWST-like cube of
integrations with INT_TIMES. Deterministic; used by the tests, the benchmark and
`python -m tui.demo_series FOLDER` (README).

Ground frames have what observatory software writes: DATE-OBS (the start) and EXPTIME, SITELAT/SITELONG/SITEELEV,
RA/DEC, AIRMASS, GAIN, RDNOISE, a TAN WCS. The stars drift, jump once (a guiding glitch), breathe with the seeing,
and dim together with airmass; the target alone has the transit, computed in BJD_TDB.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.time import Time
from astropy.wcs import WCS

SITE = (32.44, -110.79, 2790.0)  # Mt Lemmon: latitude, longitude (east), height m
TARGET = (30.0, 45.0)  # RA, Dec (deg): high for the site in the night below
START = "2025-11-20T04:00:00"


def _wcs(shape, ra, dec, scale_arcsec=0.5, at=None) -> WCS:
    """A TAN WCS with (ra, dec) at pixel `at` (0-based x, y; default the centre)."""
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra, dec]
    x, y = at if at is not None else ((shape[1] - 1) / 2, (shape[0] - 1) / 2)
    w.wcs.crpix = [x + 1, y + 1]
    w.wcs.cdelt = [-scale_arcsec / 3600, scale_arcsec / 3600]
    return w


def star_positions(shape, n_stars: int) -> list[tuple[float, float]]:
    """The target in the middle, comparisons spread around it, clear of the edges."""
    ny, nx = shape
    rng = np.random.default_rng(7)
    out = [(nx / 2 + 0.3, ny / 2 - 0.4)]
    while len(out) < n_stars:
        x, y = rng.uniform(0.15 * nx, 0.85 * nx), rng.uniform(0.15 * ny, 0.85 * ny)
        if all(math.hypot(x - a, y - b) > 0.12 * min(nx, ny) for a, b in out):
            out.append((x, y))
    return out


def transit_truth(n_frames: int = 120, cadence_s: float = 60.0, depth: float = 0.01) -> dict:
    """The injected transit: mid-time (BJD_TDB) at 45% of the night, a/R* and b giving a dip of about `depth`."""
    jd0 = Time(START, scale="utc").jd
    span = n_frames * cadence_s / 86400
    from tui.core import frametimes

    bjd0 = float(frametimes.barycentric(np.array([jd0]), _target(), SITE)[0])
    return {"t0": bjd0 + 0.45 * span, "rp": math.sqrt(depth), "a": 15.0, "b": 0.25, "period": 1.5,
            "limb_darkening": (0.40, 0.26)}


def _target():
    from astropy.coordinates import SkyCoord

    return SkyCoord(*TARGET, unit="deg")


def make_sequence(folder, n_frames: int = 120, shape=(256, 256), n_stars: int = 4, cadence_s: float = 60.0,
                  exptime: float = 30.0, depth: float = 0.01, peak: float = 20000.0, seed: int = 1,
                  sparse: bool = False) -> tuple[list[Path], Path, dict]:
    """Frames with a transit on the target; returns (frame paths, DS9 region file, the truth).

    `sparse`: only boxes around the stars are written (the rest of each file stays a hole on disk): the reading
    benchmark's 2048x2048 frames without gigabytes of noise."""
    from tui.core import frametimes
    from tui.core.transit import light_curve

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    truth = transit_truth(n_frames, cadence_s, depth)
    positions = star_positions(shape, n_stars)
    brightness = [1.0] + [0.6 + 0.5 * k / max(n_stars - 1, 1) for k in range(n_stars - 1)]
    from astropy import units as u

    starts = Time(START, scale="utc") + np.arange(n_frames) * cadence_s * u.s  # exact, two-part
    starts.precision = 6
    jd_mid = (starts + exptime / 2 * u.s).jd
    bjd = frametimes.barycentric(jd_mid, _target(), SITE)
    airmass = frametimes.airmass(jd_mid, _target(), SITE)
    transit = light_curve(bjd, truth["t0"], truth["rp"], truth["a"], truth["b"], truth["period"],
                          truth["limb_darkening"])
    truth.update(bjd=bjd, jd_mid=jd_mid, airmass=airmass, positions=positions, transit=transit)
    wcs = _wcs(shape, *TARGET, at=positions[0])  # the target at its catalogue position on the first frame
    header = wcs.to_header()
    header.update(BUNIT="adu", EXPTIME=(exptime, "[s]"), GAIN=2.0, RDNOISE=8.0, SATURATE=60000.0,
                  SITELAT=SITE[0], SITELONG=SITE[1], SITEELEV=SITE[2], RA=TARGET[0], DEC=TARGET[1],
                  OBJECT="synthetic")
    paths = []
    box = 24
    for k in range(n_frames):
        drift = (0.02 * k, -0.015 * k) if k < n_frames // 2 else (0.02 * k + 4.0, -0.015 * k + 3.0)  # a jump
        sigma = 1.6 + 0.3 * math.sin(k / 9.0)  # the seeing breathes
        extinction = 10 ** (-0.4 * 0.15 * (airmass[k] - 1.0)) if math.isfinite(airmass[k]) else 1.0
        path = folder / f"frame_{k:04d}.fits"
        h = header.copy()
        h["DATE-OBS"] = starts[k].isot
        if math.isfinite(airmass[k]):
            h["AIRMASS"] = float(airmass[k])
        if sparse:
            hdul = _sparse_file(path, h, shape)
            data = hdul[0].data
        else:
            data = np.zeros(shape, np.float32)
        stars = [(x + drift[0], y + drift[1], peak * level * extinction * (transit[k] if s == 0 else 1.0))
                 for s, ((x, y), level) in enumerate(zip(positions, brightness))]
        for cx, cy, _ in stars:
            x0, y0 = max(int(cx) - box, 0), max(int(cy) - box, 0)
            yy, xx = np.mgrid[y0:min(int(cy) + box, shape[0]), x0:min(int(cx) + box, shape[1])]
            # every star's light on this box (boxes of close stars overlap: each holds both)
            stamp = 200.0 + sum(f * np.exp(-((xx - sx) ** 2 + (yy - sy) ** 2) / (2 * sigma**2))
                                for sx, sy, f in stars)
            # gain 2 e-/ADU, read noise 8 e-
            data[yy[0, 0]:yy[-1, 0] + 1, xx[0, 0]:xx[0, -1] + 1] = \
                rng.poisson(stamp * 2.0) / 2.0 + rng.normal(0, 4.0, stamp.shape)
        if sparse:
            hdul.close()
        else:
            background = rng.poisson(np.full(shape, 400.0)) / 2.0 + rng.normal(0, 4.0, shape)
            untouched = data == 0
            data[untouched] = background[untouched]
            fits.PrimaryHDU(data, h).writeto(path, overwrite=True)
        paths.append(path)
    regions = folder / "stars.reg"
    regions.write_text("image\n" + "".join(
        f"circle({x + 1:.2f},{y + 1:.2f},6) # text={{{'Target' if s == 0 else f'Comp{s}'}}}\n"
        for s, (x, y) in enumerate(positions)))
    return paths, regions, truth


def _sparse_file(path: Path, header, shape):
    """A float32 image file whose data unit is a hole on disk, open for writing the few boxes that matter."""
    h = fits.PrimaryHDU(np.zeros((1, 1), np.float32), header).header
    h["NAXIS1"], h["NAXIS2"] = shape[1], shape[0]
    with open(path, "wb") as f:
        h.tofile(f)
        f.truncate(f.tell() + (shape[0] * shape[1] * 4 + 2879) // 2880 * 2880)
    return fits.open(path, mode="update", memmap=True)


def make_cube(folder, n_int: int = 60, shape=(64, 64), segment: int | None = None, intstart: int = 1,
              depth: float = 0.008, seed: int = 2) -> tuple[Path, Path, dict]:
    """A JWST NIRCam-like `_calints` cube (MJy/sr) with ERR, DQ and an INT_TIMES table whose BJD columns are
    BJD_TDB - 2400000.5; a segment file's table holds more rows than its planes, as the pipeline writes it."""
    from tui.core import frametimes
    from tui.core.transit import light_curve

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    t_start = Time("2025-06-01T10:00:00", scale="utc").mjd
    integration = 120.0 / 86400
    numbers = np.arange(1, intstart + n_int + 5)  # the whole exposure's integrations
    mjd_mid = t_start + (numbers - 0.5) * integration
    bjd_mid = frametimes.barycentric(mjd_mid + frametimes.MJD_ZERO, _target(), None) - frametimes.MJD_ZERO
    planes = np.arange(intstart, intstart + n_int)
    bjd_planes = bjd_mid[planes - 1] + frametimes.MJD_ZERO
    truth = {"t0": float(bjd_planes[int(0.5 * n_int)]), "rp": math.sqrt(depth), "a": 8.0, "b": 0.1,
             "period": 0.4, "limb_darkening": (0.3, 0.2)}  # a 25-minute transit in 80 minutes of integrations
    transit = light_curve(bjd_planes, truth["t0"], truth["rp"], truth["a"], truth["b"], truth["period"],
                          truth["limb_darkening"])
    positions = star_positions(shape, 3)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    sci = np.empty((n_int, *shape), np.float32)
    for k in range(n_int):
        image = np.full(shape, 0.5)
        for s, (x, y) in enumerate(positions):
            image += 300.0 * (0.8 + 0.2 * s) * (transit[k] if s == 0 else 1.0) * \
                np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.3**2))
        sci[k] = image + rng.normal(0, 0.3, shape)
    err = np.full(sci.shape, 0.3, np.float32)
    dq = np.zeros(sci.shape, np.uint32)
    dq[:, 3, 5] = 1  # a DO_NOT_USE pixel
    primary = fits.Header({"TELESCOP": "JWST", "INSTRUME": "NIRCAM", "EXP_TYPE": "NRC_TSIMAGE", "TSOVISIT": True,
                           "NINTS": int(numbers.size - 5), "INTSTART": intstart, "INTEND": intstart + n_int - 1})
    if segment is not None:
        primary["EXSEGNUM"] = segment
    sci_header = _wcs(shape, *TARGET, scale_arcsec=0.063).to_header()
    sci_header.update(BUNIT="MJy/sr", PIXAR_A2=0.0039, PHOTMJSR=0.5, EFFINTTM=120.0)
    table = fits.BinTableHDU.from_columns([
        fits.Column("integration_number", "J", array=numbers),
        fits.Column("int_start_MJD_UTC", "D", array=mjd_mid - integration / 2),
        fits.Column("int_mid_MJD_UTC", "D", array=mjd_mid),
        fits.Column("int_end_MJD_UTC", "D", array=mjd_mid + integration / 2),
        fits.Column("int_start_BJD_TDB", "D", array=bjd_mid - integration / 2),
        fits.Column("int_mid_BJD_TDB", "D", array=bjd_mid),
        fits.Column("int_end_BJD_TDB", "D", array=bjd_mid + integration / 2)], name="INT_TIMES")
    name = f"jw01234001001_01101_00001{'' if segment is None else f'-seg{segment:03d}'}_nrcb1_calints.fits"
    path = folder / name
    fits.HDUList([fits.PrimaryHDU(header=primary), fits.ImageHDU(sci, sci_header, name="SCI"),
                  fits.ImageHDU(err, name="ERR"), fits.ImageHDU(dq, name="DQ"), table]).writeto(path, overwrite=True)
    regions = folder / "cube.reg"
    names = ["T" if s == 0 else f"C{s}" for s in range(len(positions))]
    regions.write_text("image\n" + "".join(f"circle({x + 1:.2f},{y + 1:.2f},4) # text={{{name}}}\n"
                                           for name, (x, y) in zip(names, positions)))
    truth.update(bjd=bjd_planes, transit=transit, positions=positions)
    return path, regions, truth


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "night1")
    frames, region_file, _ = make_sequence(target)
    print(f"{len(frames)} frames and {region_file} in {target}/ (a transit on 'Target', comparisons Comp1-3)")
