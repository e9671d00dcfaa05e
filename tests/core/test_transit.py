"""The transit fit (tui.core.transit) on light curves made here from its own model: what it must recover."""

import numpy as np
import pytest

from tui.core import transit

CADENCE = 45 / 86400  # days


def night(seed=7, trend=0.0):
    """240 points, 1 ppt noise, a transit of Rp/R* 0.1 at point 130; flux times (1 - trend x (airmass - mean))."""
    rng = np.random.default_rng(seed)
    t = 2460999.60 + np.arange(240) * CADENCE
    airmass = 1.1 + 0.8 * ((t - t[0]) / (t[-1] - t[0]) - 0.3) ** 2
    model = transit.light_curve(t, t[130], 0.1, 20.0, 0.3, 3.0)
    flux = model * (1 - trend * (airmass - airmass.mean())) + rng.normal(0, 0.001, t.size)
    return t, flux, np.full(t.size, 0.001), airmass, model


def test_the_fit_does_not_depend_on_where_time_starts():
    """BJD, MJD or days from the first point: the same transit. The search once ran on t0 in BJD itself, where
    least_squares' slope step (1.5e-8 of 2.46e6 days, 53 minutes) is longer than a transit: its t0 error came out
    ten times too large, and on real nights it stopped in wrong minima."""
    t, flux, error, _, _ = night()
    fits = [(transit.fit(t - offset, flux, error, {}, ()), offset) for offset in (0.0, 2400000.5, t[0])]
    reference, _ = fits[0]
    for found, offset in fits[1:]:
        assert found.t0 + offset == pytest.approx(reference.t0, abs=1e-8)
        assert found.t0_err == pytest.approx(reference.t0_err, rel=1e-3)
        assert found.depth == pytest.approx(reference.depth, rel=1e-5)
    assert abs(reference.t0 - t[130]) < 3 * reference.t0_err and reference.t0_err * 86400 < 30


def test_an_airmass_trend_is_taken_out_and_the_transit_recovered():
    t, flux, error, airmass, model = night(trend=0.02)
    found = transit.fit(t, flux, error, {"AIRMASS": airmass}, "auto")
    assert found.detrend == ("AIRMASS",) and found.bic < found.bic_none - 10
    assert abs(found.t0 - t[130]) < 3 * found.t0_err
    assert abs(found.depth - (1 - model.min())) < 3 * found.depth_err
    assert 0.8 < found.rms / found.expected_rms < 1.25
