"""The light curve behind F9 (tui.core.lightcurve): ensembles chosen after measuring, exclusions, the fit's use of
them, what the plots are given, and the state folder that keeps measured frames (issue 18)."""

import os

import numpy as np
import pytest

from tui.core import Session
from tui.core.frames import list_frames
from tui.core.lightcurve import CurveStore, LightCurve, binned, fit_table, with_fit
from tui.core.series import relative_fluxes
from tui.demo_series import make_sequence


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    folder = tmp_path_factory.mktemp("night")
    paths, regions, truth = make_sequence(folder, n_frames=60, shape=(128, 128), cadence_s=120.0)
    session = Session(warn=False)
    session.load_regions(str(regions))
    return list_frames(paths), session.subsets, truth


@pytest.fixture(scope="module")
def measured(night):
    frames, subsets, _ = night
    curve = LightCurve.from_subsets(frames, subsets, "Target")
    curve.series.run_all()
    return curve


def test_every_other_aperture_is_a_comparison(night):
    frames, subsets, _ = night
    curve = LightCurve.from_subsets(frames, subsets, "Comp2")
    assert [(s.role, s.label) for s in curve.series.stars] == [("T1", "Comp2"), ("C2", "Target"), ("C3", "Comp1"),
                                                               ("C4", "Comp3")]
    assert [curve.role(j) for j in range(4)] == ["target", "comparison", "comparison", "comparison"]
    skipped = LightCurve.from_subsets(frames, subsets, "Target", skip=("Comp3",))
    assert [s.label for s in skipped.series.stars] == ["Target", "Comp1", "Comp2"]


def test_regions_not_on_the_first_frame_start_out_of_the_ensemble(night, tmp_path):
    """F9 takes every aperture region as a comparison. A catalogue of another field (sky regions on the far side
    of the frames' projection, or pixel regions beyond their edge) was missing on every frame, and with it every
    relative flux."""
    import astropy.units as u
    import regions as rg
    from astropy.coordinates import SkyCoord

    from tui.core.subsets import Subset

    frames, subsets, _ = night
    others = dict(subsets)
    far = SkyCoord(210.0, -45.0, unit="deg")  # the antipode of the frames' centre (30, 45)
    others["Far"] = Subset("Far", rg.CircleSkyRegion(far, 3 * u.arcsec))
    others["Beyond"] = Subset("Beyond", rg.CirclePixelRegion(rg.PixCoord(500.0, 60.0), 4))
    curve = LightCurve.from_subsets(frames[:5], others, "Target")
    labels = [s.label for s in curve.series.stars]
    assert [curve.role(j) for j in range(len(labels))] == \
        ["target", "comparison", "comparison", "comparison", "off", "off"] and labels[-2:] == ["Far", "Beyond"]
    assert "Far, Beyond not on the first frame: left out of the ensemble" in " ".join(curve.series.notes)
    curve.series.run_all()
    assert np.isfinite(curve.curve().flux).all()
    curve.apply({"off": []})  # choices kept from before cannot put them back in
    assert curve.comparisons == [1, 2, 3]


def test_no_comparison_is_said():
    from tui.core import PhotometryError
    from tui.core.subsets import Subset

    import regions as rg
    subsets = {"T": Subset("T", rg.CirclePixelRegion(rg.PixCoord(5, 5), 3))}
    with pytest.raises(PhotometryError, match=r"no comparison stars: every aperture region other than the target"):
        LightCurve.from_subsets([], subsets, "T")


def test_an_off_star_is_over_the_whole_ensemble():
    flux = np.array([[10.0, 4.0, 6.0, 5.0], [9.0, 4.0, 5.0, 4.0]])
    error = np.full_like(flux, 0.5)
    rel = relative_fluxes(flux, error, 0, [1, 2], [3])
    np.testing.assert_allclose(rel[0][0], [10 / 10, 9 / 9])
    np.testing.assert_allclose(rel[1][0], [4 / 6, 4 / 5])  # a comparison: over the others
    np.testing.assert_allclose(rel[3][0], [5 / 10, 4 / 9])  # off: over the ensemble, as the target
    np.testing.assert_allclose(rel[3][1],
                               rel[3][0] * np.sqrt((0.5 / flux[:, 3]) ** 2 + 0.5 / (flux[:, 1] + flux[:, 2]) ** 2))


def test_toggling_recomputes_from_the_fluxes_kept(measured):
    curve = measured
    flux = curve.series.data["source_sky"]
    try:
        curve.toggle(2)
        assert curve.comparisons == [1, 3]
        rel = flux[:, 0] / (flux[:, 1] + flux[:, 3])
        np.testing.assert_allclose(curve.curve().flux, rel / np.median(rel), rtol=1e-13)
        scatter = curve.scatter()
        c3 = flux[:, 2] / (flux[:, 1] + flux[:, 3])  # off: against the ensemble
        c2 = flux[:, 1] / flux[:, 3]  # in: against the other comparison
        assert scatter[2] == pytest.approx(np.std(c3 / np.median(c3)), rel=1e-12)
        assert scatter[1] == pytest.approx(np.std(c2 / np.median(c2)), rel=1e-12)
        curve.toggle(0)  # the target stays the target
        assert curve.role(0) == "target"
    finally:
        curve.toggle(2)


def test_the_panels_give_the_diagnostics(measured):
    curve = measured
    view = curve.curve()
    a = curve.series.arrays()
    assert curve.panel("airmass", view)[1][0][1].tolist() == curve.series.airmass.tolist()
    np.testing.assert_array_equal(curve.panel("width", view)[1][0][1], a["width"][:, 0])
    np.testing.assert_array_equal(curve.panel("sky", view)[1][0][1], a["sky"][:, 0])
    (_, dx), (_, dy) = curve.panel("drift", view)[1]
    np.testing.assert_allclose(dx, a["x"][:, 0] - np.median(a["x"][:, 0]))
    assert [label for label, _ in curve.panel("comparisons", view)[1]] == ["C2", "C3", "C4"]
    assert view.time_name == "BJD_TDB" and view.offset == np.floor(curve.series.bjd_tdb.min())


def test_binned_points_are_means_of_consecutive_usable_points():
    t = np.arange(7.0)
    y = np.array([1.0, 2.0, 3.0, 100.0, 5.0, 6.0, 7.0])
    use = np.array([True, True, True, False, True, True, True])
    bt, by = binned(t, y, use, 2)
    np.testing.assert_allclose(bt, [0.5, 3.0, 5.5])  # (0, 1), (2, 4), (5, 6): frame 3 is not used
    np.testing.assert_allclose(by, [1.5, 4.0, 6.5])
    assert binned(t, y, use, 1)[0].size == 0


def test_an_excluded_frame_plays_no_part_in_the_fit(measured):
    pytest.importorskip("exoplanet_core")
    curve = measured
    table = curve.series.table()
    use = np.ones(len(table), bool)
    use[7] = False
    wild = table.copy()
    wild["rel_flux_T1"][7] *= 3.0  # a satellite
    clean, spoiled = fit_table(table, (), use=use), fit_table(wild, (), use=use)
    assert (clean.t0, clean.rp_rs, clean.bic) == (spoiled.t0, spoiled.rp_rs, spoiled.bic)
    assert fit_table(wild, ()).bic != clean.bic
    written = with_fit(table, clean)
    np.testing.assert_array_equal(written["transit_model"], clean.model)
    assert written.meta["fit"]["t0"] == clean.t0 and written.meta["fit_summary"] == clean.summary()


def test_auto_detrending_skips_columns_never_measured(measured):
    pytest.importorskip("exoplanet_core")
    table = measured.series.table()
    table["AIRMASS"] = np.nan  # a space telescope's cube
    fitted = fit_table(table, "auto")
    assert "AIRMASS" not in fitted.detrend and all("AIRMASS" not in s for s in fitted.tried)


def test_the_state_folder_keeps_measured_frames_and_choices(night, tmp_path):
    frames, subsets, _ = night
    whole = LightCurve.from_subsets(frames, subsets, "Target")
    whole.series.run_all()

    first = LightCurve.from_subsets(frames, subsets, "Target")
    store = CurveStore(tmp_path, first.series)
    assert store.restore(first) == 0
    done = []
    for result in first.series.run(cancelled=lambda: len(done) >= 25):  # a dropped connection after 25 frames
        done.append(first.series.frames.index(result.frame))
    store.append(first.series, done)
    first.toggle(3)
    first.exclude(4)
    store.save_choices(first)
    assert oct(os.stat(tmp_path).st_mode & 0o777) in ("0o700", "0o755", "0o775")

    second = LightCurve.from_subsets(frames, subsets, "Target")
    again = CurveStore(tmp_path, second.series)
    assert again.path == store.path
    assert again.restore(second) == 25 and second.series.done.sum() == 25
    assert second.comparisons == [1, 2] and np.flatnonzero(second.excluded).tolist() == [4]
    measured_now = [second.series.frames.index(r.frame) for r in second.series.run()]
    assert measured_now == list(range(25, 60))  # the rest, starting where the target was last seen
    for name in ("source_sky", "source_error", "sky", "peak", "width"):
        np.testing.assert_array_equal(second.series.data[name], whole.series.data[name])
    np.testing.assert_allclose(second.series.data["x"], whole.series.data["x"], rtol=1e-15)


def test_a_write_cut_short_keeps_the_frames_before_it(night, tmp_path):
    frames, subsets, _ = night
    curve = LightCurve.from_subsets(frames[:6], subsets, "Target")
    curve.series.run_all()
    store = CurveStore(tmp_path, curve.series)
    store.append(curve.series, list(range(5)))
    with open(store.path, "a") as f:
        f.write("frame_0005.fits,2460999.6")  # the crash came mid-line
    fresh = LightCurve.from_subsets(frames[:6], subsets, "Target")
    assert CurveStore(tmp_path, fresh.series).restore(fresh) == 5
    np.testing.assert_array_equal(fresh.series.data["source_sky"][:5], curve.series.data["source_sky"][:5])
    assert store.path.read_text().endswith("\n")


def test_a_damaged_state_file_is_kept_aside_and_the_frames_measured_again(night, tmp_path):
    frames, subsets, _ = night
    curve = LightCurve.from_subsets(frames[:5], subsets, "Target")
    store = CurveStore(tmp_path, curve.series)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text("Label,X\nframe_0000.fits,1\n")  # not what a light curve holds
    assert store.restore(curve) == 0 and "could not be read" in store.note
    assert store.path.with_suffix(".damaged.csv").exists()
    for _ in curve.series.run():
        pass
    store.append(curve.series, list(range(5)))
    fresh = LightCurve.from_subsets(frames[:5], subsets, "Target")
    assert CurveStore(tmp_path, fresh.series).restore(fresh) == 5


def test_a_changed_frame_is_a_different_light_curve(night, tmp_path):
    frames, subsets, _ = night
    curve = LightCurve.from_subsets(frames[:5], subsets, "Target")
    before = CurveStore(tmp_path, curve.series).path
    stat = os.stat(frames[2].path)
    try:
        os.utime(frames[2].path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert CurveStore(tmp_path, curve.series).path != before
    finally:
        os.utime(frames[2].path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
