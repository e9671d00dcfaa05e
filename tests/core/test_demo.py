"""The demo data is deterministic, and the committed files are what make_demo.py writes."""

from pathlib import Path

import numpy as np

from tui.core import Session
from tui.demo import FILES, make_demo

COMMITTED = Path(__file__).resolve().parents[2] / "demo_data"


def test_make_demo_is_deterministic_and_matches_the_committed_files(tmp_path):
    first = make_demo(tmp_path / "a")
    second = make_demo(tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
        assert (COMMITTED / a.name).read_bytes() == a.read_bytes(), f"demo_data/{a.name} is stale"


def test_demo_has_what_the_issue_lists(tmp_path):
    paths = make_demo(tmp_path)
    s = Session()
    jw, hst, plain = (s.load_data(p) for p in paths[:3])
    labels = s.load_regions(paths[3])
    assert {s.subsets[l].shape_name for l in labels} == {"circle", "circleannulus", "ellipse", "rectangle"}
    assert all(s.subsets[l].is_sky for l in labels)
    j, h, p = s.images[jw], s.images[hst], s.images[plain]
    assert str(j.unit) == "MJy / sr" and j.wcs is not None
    assert all(j.keyword(k) is not None for k in ("PIXAR_A2", "PIXAR_SR", "PHOTMJSR", "EFFEXPTM", "TELESCOP"))
    assert str(h.unit) == "electron / s" and h.wcs is not None
    assert all(h.keyword(k) is not None for k in ("PHOTFLAM", "PHOTPLAM", "EXPTIME", "INSTRUME", "DETECTOR"))
    assert p.unit is None and p.wcs is None
    assert all(np.isnan(im.data).any() for im in (j, h, p))  # a few bad pixels in each
    assert FILES == tuple(path.name for path in paths)


def test_demo_cal_and_flt_carry_errors_flags_and_a_saturated_star(tmp_path):
    from astropy.io import fits

    paths = {p.name: p for p in make_demo(tmp_path)}
    with fits.open(paths["jwst_nircam_demo_cal.fits"]) as cal:
        assert {"SCI", "ERR", "DQ", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"} <= {h.name for h in cal}
        assert cal["DQ"].data.dtype.kind == "u" and cal[0].header["TELESCOP"] == "JWST"
        saturated = (cal["DQ"].data & 1) != 0
        assert saturated.any() and np.isnan(cal["SCI"].data[saturated]).all()
    with fits.open(paths["hst_acs_demo_flt.fits"]) as flt:
        assert [(h.name, h.ver) for h in flt[1:]] == [(n, v) for v in (1, 2) for n in ("SCI", "ERR", "DQ")]
        assert all((flt["DQ", v].data & 256).any() for v in (1, 2))  # the saturated pixel of the bright star
