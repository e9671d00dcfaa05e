"""The demo data is deterministic, and the committed files are what make_demo.py writes."""

from pathlib import Path

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
    import numpy as np
    assert all(np.isnan(im.data).any() for im in (j, h, p))  # a few bad pixels in each
    assert FILES == tuple(path.name for path in paths)
