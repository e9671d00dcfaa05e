"""The whole workflow driven by keys, as a user would, at 80x24 and larger."""

import math
from pathlib import Path

import numpy as np
import pytest
import astropy.units as u

from tests.app.conftest import ready, screen_text, type_text
from tui.app.widgets.results_table import ResultsTable
from tui.core import Session, read_results
from tui.core.regionfiles import read_region_file

JW, HST, PLAIN = "jwst_nircam_demo[SCI,1]", "hst_acs_demo[SCI,1]", "plain_demo[PRIMARY,1]"


def field(app, name):
    return app.screen.query_one(f"#{name}").value


def hint(app, name):
    return str(app.screen.query_one(f"#{name}-hint").render())


async def fill_form(pilot, values: dict):
    """Type into the fields of the open dialog (each one's text is selected on focus, so typing replaces it)."""
    for name, value in values.items():
        pilot.app.screen.query_one(f"#{name}").focus()
        await type_text(pilot, value)
    await pilot.press("enter")


async def choose(pilot, select_id, label, value=None):
    """Pick an option of a Select with the keyboard: focus it, open it (space: in a form, Enter submits the form),
    walk to the label, Enter."""
    app = pilot.app
    select = app.screen.query_one(f"#{select_id}")
    select.focus()
    await pilot.press("space")
    await pilot.pause()
    for _ in range(20):
        overlay = select.query_one("SelectOverlay")
        option = overlay.get_option_at_index(overlay.highlighted)
        if option.id == label or str(option.prompt) == label:
            break
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()
    assert select.value == (label if value is None else value)


async def test_autofill_calculate_by_f5_and_ctrl_j(make_app, demo):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert app.screen.query_one("#data").value == JW
        assert field(app, "pixel_area") == "0.000961" and hint(app, "pixel_area") == "PIXAR_A2"
        assert app.screen.query_one("#pixel_area-hint").tooltip == "Pixel area: from PIXAR_A2"
        assert "PHOTMJSR/EFFEXPTM" in hint(app, "counts_factor")
        await pilot.press("f5")
        await pilot.pause()
        app.screen.query_one("#background").focus()
        await pilot.press("ctrl+j")  # calculates even while typing in a field
        await pilot.pause()
        rows = app.session.result_rows
        assert [r["id"] for r in rows] == [1, 2]
        table = app.screen.query_one(ResultsTable)
        assert table.row_count == 2 and table.cursor_row == 1  # newest selected
        # The numbers are the core's: the same as a script would get.
        s = Session()
        s.load_data(demo[0][0])
        s.load_regions(demo[1][0])
        expected = s.calculate(subset="Star A")
        assert rows[0]["aperture_sum"] == expected["aperture_sum"]
        text = screen_text(app)
        assert "Star A on jwst_nircam_demo[SCI,1]" in text
        assert f"{expected['aperture_sum'].value:.4e}" in text  # result panel and table


async def test_a_list_with_choices_does_not_offer_its_blank_prompt(make_app):
    """The blank prompt ("(no regions: ctrl+o, ctrl+n)") heads an empty list; beside real choices it read as one,
    and picked it left the selector saying there was nothing while F5 still measured the selection."""
    from textual.widgets._select import SelectOverlay

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        apertures = sum(not sub.is_annulus for sub in app.session.subsets.values())
        for select_id, selected, count in (("data", JW, len(app.session.images)), ("subset", "Star A", apertures)):
            select = app.screen.query_one(f"#{select_id}")
            select.focus()
            await pilot.press("enter")
            await pilot.pause()
            overlay = select.query_one(SelectOverlay)
            prompts = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
            assert len(prompts) == count and not any(p.startswith("(no ") for p in prompts), prompts
            assert "(no data" not in screen_text(app) and "(no regions" not in screen_text(app)
            await pilot.press("home", "enter")
            await pilot.pause()
            assert select.value == prompts[0] and not select.is_blank()
            select.value = selected
        await pilot.press("f5")
        await pilot.pause()
        assert app.session.result_rows[-1]["subset_label"] == "Star A"


async def test_an_empty_list_shows_how_to_fill_it(make_app, demo):
    app = make_app(images=demo[0][:1], regions=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert "(no regions: ctrl+o, ctrl+n)" in screen_text(app)


async def test_every_key_on_an_app_with_nothing_loaded_says_what_to_load(make_app, tmp_path):
    """Opened on a folder with no FITS file in it, each action key says what it needs, rather than failing or
    doing nothing; the app is still usable after."""
    (tmp_path / "empty").mkdir()
    app = make_app(images=[str(tmp_path / "empty")], regions=[])
    expected = {
        "f5": "Load an image and a region first (ctrl+o opens files",
        "shift+f5": "Load an image first (ctrl+o).",
        "f6": "Load an image and a region first",
        "f7": "Load an image and a region first",
        "f8": "Load an image first (ctrl+o).",
        "f9": "Load frames and regions first (ctrl+o, ctrl+n).",
        "ctrl+s": "Nothing to export yet: press F5",
        "ctrl+y": "No result to copy yet: press F5 first.",
        "ctrl+t": "No results to copy yet: press F5 first.",
    }
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert "No image loaded: ctrl+o opens one." in screen_text(app)
        for key, said in expected.items():
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert any(said in n.message for n in app._notifications), (key, [n.message for n in app._notifications])
            assert app.screen is app.screen_stack[0] and len(app.session.result_rows) == 0
        app.clear_notifications()
        await open_palette_command(pilot, "Save regions")
        assert any("No regions to save yet: ctrl+o opens a region file" in n.message for n in app._notifications)
        await pilot.press("ctrl+o")  # still usable: the open dialog comes up
        await pilot.pause()
        assert app.screen is not app.screen_stack[0]


async def test_data_change_keeps_background_and_resets_or_refills(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        app.screen.query_one("#background").focus()
        await type_text(pilot, "0.1")
        await choose(pilot, "data", HST)
        assert field(app, "background") == "0.1"
        assert hint(app, "pixel_area") == "WCS" and float(field(app, "pixel_area")) == pytest.approx(0.0025)
        assert hint(app, "counts_factor") == "1/EXPTIME"
        await choose(pilot, "data", PLAIN)
        assert [field(app, n) for n in ("pixel_area", "counts_factor", "flux_scaling")] == ["0", "0", "0"]
        assert hint(app, "flux_scaling") == "reset: no metadata"
        await choose(pilot, "subset", "Bright")
        await pilot.press("f5")
        await pilot.pause()
        row = app.session.result_rows[-1]
        assert row["data_label"] == PLAIN and row["background"] == 0.1


async def test_fields_show_their_first_digits_once_left_or_refilled(make_app):
    """An Input keeps its view scrolled to where its cursor was: 1.60751e+11 in an 11-column field read
    ".60751e+11" after Tab passed through it, or after new data refilled it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        shown = [line for line in screen_text(app).splitlines() if line.startswith(("Counts factor", "Flux scal"))]
        assert [line.split()[2] for line in shown] == ["0.000264845", "1.60751e+11"]
        app.screen.query_one("#background").focus()
        for _ in range(5):
            await pilot.press("tab")
        await pilot.pause()
        assert app.focused.id == "calculate"
        assert "Counts factor 0.000264845 " in screen_text(app)
        assert "Flux scaling  1.60751e+11 " in screen_text(app)
        app.screen.query_one("#flux_scaling").focus()
        await type_text(pilot, "160751000000.0")  # the cursor far right: new data's value refills the field
        await choose(pilot, "data", HST)
        await choose(pilot, "data", JW)
        assert "Counts factor 0.000264845 " in screen_text(app)
        assert "Flux scaling  1.60751e+11 " in screen_text(app)


async def test_bad_field_is_marked_and_calculate_refuses(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        app.screen.query_one("#pixel_area").focus()
        await type_text(pilot, "12x")  # select_on_focus: typing replaced the value
        await pilot.pause()
        assert app.screen.query_one("#pixel_area").has_class("-invalid")
        assert "Pixel area: '12x' is not a number" in screen_text(app)
        await pilot.press("f5")
        await pilot.pause()
        assert len(app.session.result_rows) == 1
        assert any("is not a number" in n.message for n in app._notifications)


async def test_region_off_image_and_sky_region_without_wcs(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await choose(pilot, "data", PLAIN)
        await choose(pilot, "subset", "Star A")  # a sky region; the plain image has no WCS
        await pilot.press("f5")
        await pilot.pause()
        assert len(app.session.result_rows) == 0
        assert any("no celestial WCS" in n.message for n in app._notifications)


async def test_incompatible_result_starts_new_table_and_says_how_to_reach_old(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        await pilot.press("f5")
        await choose(pilot, "data", HST)
        await pilot.press("f5")
        await pilot.pause()
        assert len(app.session.archived_results) == 1
        assert app.screen.query_one(ResultsTable).row_count == 1
        assert any("ctrl+s exports the previous one" in n.title and "previous table (2 rows) is kept" in n.message
                   for n in app._notifications)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "current table (1 row)" in screen_text(app)  # one row, not "1 rows"
        await pilot.press("escape")


async def test_export_dialog_default_name_typing_overwrite_and_errors(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+s")  # before any result: the regions are what there is to save
        await pilot.pause()
        assert "Save the regions to" in screen_text(app)
        assert app.screen.tables[app.screen.query_one("#which").value][1] == "regions"
        assert app.screen.query_one("#path").value.startswith("aperphot_regions_")
        await pilot.press("escape")
        await pilot.press("f5", "f5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        path_input = app.screen.query_one("#path")
        assert path_input.has_focus and path_input.value.startswith("aperphot_results_")
        await pilot.press("enter")
        await pilot.pause()
        written = list(tmp_path.glob("aperphot_results_*.ecsv"))
        assert len(written) == 1 and len(read_results(written[0])) == 2
        # Typing replaces the selected default name; an existing file asks first.
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_text(pilot, "out.fits")
        await pilot.press("enter")
        await pilot.pause()
        table = read_results(tmp_path / "out.fits")
        assert len(table) == 2 and table["aperture_sum"].unit == "MJy"
        await pilot.press("f5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_text(pilot, "out.fits")
        await pilot.press("enter")
        await pilot.pause()
        assert "exists" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert len(read_results(tmp_path / "out.fits")) == 3
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_text(pilot, "nodir/x.ecsv")
        await pilot.press("enter")
        await pilot.pause()
        assert any("no such directory" in n.message for n in app._notifications)
        assert len(app.session.result_rows) == 3  # nothing lost
        # the dialog is back with the path as typed, to put right rather than type anew
        path_input = app.screen.query_one("#path")
        assert path_input.has_focus and path_input.value == "nodir/x.ecsv"
        (tmp_path / "nodir").mkdir()
        await pilot.press("enter")
        await pilot.pause()
        assert len(read_results(tmp_path / "nodir" / "x.ecsv")) == 3
        await pilot.press("ctrl+s")  # after a success, the last name again, not the failed one
        await pilot.pause()
        assert app.screen.query_one("#path").value == "nodir/x.ecsv"
        await pilot.press("escape")
        # a folder typed: the file goes in it under the name offered (it was "unknown format (no extension)")
        (tmp_path / "night").mkdir()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_text(pilot, "night")
        await pilot.press("enter")
        await pilot.pause()
        assert len(read_results(tmp_path / "night" / "x.ecsv")) == 3


async def test_regions_are_saved_from_the_export_dialog_and_the_palette(make_app, tmp_path, monkeypatch):
    """The regions, recentred (F7) and drawn (c on the image) as they are now, are saved to a DS9 file that the app
    and measure read back: by choosing them in ctrl+s (the name takes .reg), by typing a .reg name, and from the
    command palette; the results export keeps its own name."""
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f7", "f5")
        await pilot.pause()
        app.screen.query_one("#thumbnail").focus()
        await pilot.press("c", "enter")  # a circle drawn at the cursor
        await pilot.pause()
        regions = dict(app.session.subsets)
        assert len(regions) == 9
        await pilot.press("ctrl+s")
        await pilot.pause()
        await choose(pilot, "which", "the 9 regions, as a DS9 region file", value=4)
        path_input = app.screen.query_one("#path")
        assert path_input.value.startswith("aperphot_regions_") and path_input.value.endswith(".reg")
        await choose(pilot, "which", "current table (1 row)", value=0)  # back to a table: back to its name
        assert path_input.value.startswith("aperphot_results_") and path_input.value.endswith(".ecsv")
        await choose(pilot, "which", "the 9 regions, as a DS9 region file", value=4)
        await pilot.press("enter")  # on the list, as from the name: Enter saves
        await pilot.pause()
        [saved] = tmp_path.glob("aperphot_regions_*.reg")
        assert any(n.title == "Saved regions" and f"Saved 9 regions to {saved}" in n.message
                   for n in app._notifications)
        found, _ = read_region_file(saved)
        assert [label for _, label in found] == list(regions)
        star_a = {label: region for region, label in found}["Star A"]
        assert star_a.center.separation(regions["Star A"].region.center).arcsec < 1e-9  # where F7 moved it
        assert app.session.load_regions(str(saved)) == []  # opened again: nothing new

        await pilot.press("ctrl+s")  # a .reg name typed saves the regions, whatever is chosen
        await pilot.pause()
        await type_text(pilot, "mine.reg")
        await pilot.press("enter")
        await pilot.pause()
        assert [label for _, label in read_region_file(tmp_path / "mine.reg")[0]] == list(regions)
        await pilot.press("ctrl+s")  # the results' default name is not taken over by the regions'
        await pilot.pause()
        assert app.screen.query_one("#path").value.startswith("aperphot_results_")
        await pilot.press("escape")

        await open_palette_command(pilot, "Save regions")
        assert app.screen.query_one("#which").value == 4
        await type_text(pilot, "palette.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert any("palette.txt: regions are saved as DS9 files: name it palette.reg" in n.message
                   for n in app._notifications)
        path_input = app.screen.query_one("#path")  # back with the regions chosen, and the name they take
        assert path_input.value == "palette.reg" and app.screen.query_one("#which").value == 4
        await pilot.press("enter")
        await pilot.pause()
        assert [label for _, label in read_region_file(tmp_path / "palette.reg")[0]] == list(regions)
    assert not (tmp_path / "palette.txt").exists()


async def test_names_too_long_for_the_file_system_are_said_not_raised(make_app, tmp_path, monkeypatch):
    """pathlib's exists() raises for them: the export and open dialogs ended the app with a traceback."""
    monkeypatch.chdir(tmp_path)
    long = "x" * 300
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#path").value = f"{long}.csv"
        await pilot.press("enter")
        await pilot.pause()
        assert any(n.message.endswith(f"{long}.csv: cannot write here (File name too long). Your results are kept.")
                   for n in app._notifications)
        await pilot.press("escape")
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#open-path").value = f"{long}.fits"
        await pilot.press("enter")
        await pilot.pause()
        assert any(n.message.endswith(f"{long}.fits: no such file") for n in app._notifications)
        assert len(app.session.result_rows) == 1 and app.is_running


async def test_open_image_and_region_files_from_the_app(make_app, demo, tmp_path):
    bad = tmp_path / "bad.fits"
    bad.write_text("not fits at all")
    app = make_app(images=[demo[0][2]], regions=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        for path in (demo[0][0], demo[1][0], str(bad)):
            await pilot.press("ctrl+o")
            await pilot.pause()
            await type_text(pilot, path)
            await pilot.press("enter")
            await pilot.pause()
        assert JW in app.session.images and "Star A" in app.session.subsets
        assert app.screen.query_one("#data").value == JW
        assert any("not a readable FITS file" in n.message for n in app._notifications)
        await pilot.press("f5")
        await pilot.pause()
        assert app.session.result_rows[-1]["subset_label"] == "Star A"
        # the same image again, by another path: selected, not loaded a second time as "... (2)"
        images = list(app.session.images)
        await choose(pilot, "data", images[0])
        app.clear_notifications()
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#open-path").value = str(Path(demo[0][0]).parent / ".." / "demo_data" /
                                                      Path(demo[0][0]).name)
        await pilot.press("enter")
        await pilot.pause()
        assert list(app.session.images) == images and app.session.selected_data == JW
        assert [n.message for n in app._notifications] == [f"{JW} is open already: selected"]
        # the region file again, with a star added to it (in DS9, say): only that star joins the list
        subsets = list(app.session.subsets)
        edited = tmp_path / "demo.reg"
        edited.write_text(Path(demo[1][0]).read_text() + 'circle(150.1,2.2,0.3") # text={New star}\n')
        app.clear_notifications()
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#open-path").value = str(edited)
        await pilot.press("enter")
        await pilot.pause()
        assert list(app.session.subsets) == subsets + ["New star"]
        assert [n.message for n in app._notifications] == [
            "demo.reg: 5 regions loaded already, not added again (Star A, Sky A, Galaxy ...)",
            "Added 1 region: New star"]


async def test_every_image_of_a_file_opens_with_star_and_the_first_alone_points_at_them(make_app, demo):
    flt = demo[0][4].removesuffix("[SCI,1]")
    app = make_app(images=[flt, f"{flt}[SCI,1]"], regions=[])  # one image named two ways is listed once
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert list(app.session.images) == ["hst_acs_demo_flt[SCI,1]"]
        assert any(n.message == "hst_acs_demo_flt.fits holds 2 images: hst_acs_demo_flt[SCI,1] is opened; name "
                                "hst_acs_demo_flt.fits[*] for all of them (or [SCI,2])" for n in app._notifications)
        app.clear_notifications()
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#open-path").value = f"{flt}[*]"
        await pilot.press("enter")
        await pilot.pause()
        assert list(app.session.images) == ["hst_acs_demo_flt[SCI,1]", "hst_acs_demo_flt[SCI,2]"]
        assert [n.message for n in app._notifications] == [
            "Opened the 2 images of hst_acs_demo_flt.fits: hst_acs_demo_flt[SCI,1], hst_acs_demo_flt[SCI,2]"]


async def test_images_of_one_name_in_two_folders_are_labelled_apart(make_app, demo, tmp_path):
    # they were "plain_demo[PRIMARY,1]" and "plain_demo[PRIMARY,1] (2)": which night was which?
    import shutil

    for night in ("night1", "night2", "night3"):
        (tmp_path / night).mkdir()
        shutil.copy(demo[0][2], tmp_path / night)
    app = make_app(images=[str(tmp_path / night / Path(demo[0][2]).name) for night in ("night1", "night2")],
                   regions=[demo[1][1]])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert list(app.session.images) == ["night1/plain_demo[PRIMARY,1]", "night2/plain_demo[PRIMARY,1]"]
    app = make_app(images=[demo[0][2]], regions=[demo[1][1]])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+o")  # another folder's file of that name, opened later: its folder joins its label
        await pilot.pause()
        app.screen.query_one("#open-path").value = str(tmp_path / "night3" / Path(demo[0][2]).name)
        await pilot.press("enter")
        await pilot.pause()
        assert list(app.session.images) == ["plain_demo[PRIMARY,1]", "night3/plain_demo[PRIMARY,1]"]


async def test_a_region_file_beside_the_images_of_a_folder_is_pointed_at(make_app, demo, tmp_path):
    import shutil

    from tui.cli import app_parser, parse_files

    night = tmp_path / "night"
    night.mkdir()
    shutil.copy(demo[0][2], night / "plain.fits")
    shutil.copy(demo[1][1], night / "plain.reg")
    args = parse_files(app_parser(), [str(night)])
    app = make_app(images=args.images, regions=args.regions, regions_beside=args.beside)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        hint = f"{night / 'plain.reg'} is beside the images: ctrl+o opens it (or start with -r {night / 'plain.reg'})"
        assert hint in [n.message for n in app._notifications] and not app.session.subsets
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#open-path").value = str(night / "plain.reg")
        await pilot.press("enter")
        await pilot.pause()
        assert list(app.session.subsets) == ["Bright", "Medium", "Sky"]


def test_path_completion_stops_where_the_names_part(tmp_path):
    from tui.app.screens.open import candidates, completion

    for name in ("frame_0000.fits", "frame_0001.fits", "frame_0010.fits", "notes.txt", ".hidden.fits"):
        (tmp_path / name).write_text("")
    (tmp_path / "stars").mkdir()
    here = f"{tmp_path}/"
    assert completion(here + "fr") == here + "frame_00"  # the part all three share, as a shell completes
    assert completion(here + "frame_001") == here + "frame_0010.fits"  # one name left: all of it
    assert completion(here + "st") == here + "stars/"
    assert completion(here + "no") is None  # a file the tree does not show either
    assert candidates(here + "frame_00") == ("frame_00", ["frame_0000.fits", "frame_0001.fits", "frame_0010.fits"])
    assert candidates(here)[1] == ["frame_0000.fits", "frame_0001.fits", "frame_0010.fits", "stars/"]
    assert candidates(here + ".h")[1] == [".hidden.fits"]  # hidden names once a dot is typed


async def test_open_dialog_lists_the_names_a_path_could_complete_to(make_app, sequence):
    paths, _, _ = sequence
    folder = paths[0].rsplit("/", 1)[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await type_text(pilot, f"{folder}/frame_")
        await pilot.pause()
        hint = str(app.screen.query_one("#open-hint").render())
        assert hint.startswith("60 match: frame_0000.fits  frame_0001.fits")
        await pilot.press("right")  # takes the completion: the part all sixty share
        await pilot.pause()
        assert app.screen.query_one("#open-path").value == f"{folder}/frame_00"
        await type_text(pilot, "07")
        await pilot.press("right")
        await pilot.pause()
        assert app.screen.query_one("#open-path").value == f"{folder}/frame_0007.fits"
        assert str(app.screen.query_one("#open-hint").render()).startswith("Enter opens")


def test_names_that_share_a_long_start_are_listed_from_where_they_part():
    """Two segments of one JWST exposure: listed whole, one name filled the line and the other was cut off."""
    from tui.app.screens.open import listed

    names = [f"jw01234001001_01101_00001-seg00{k}_nrcb1_calints.fits" for k in (1, 2)]
    assert listed(names) == ["…-seg001_nrcb1_calints.fits", "…-seg002_nrcb1_calints.fits"]
    assert listed(["frame_0000.fits", "frame_0001.fits"]) == ["frame_0000.fits", "frame_0001.fits"]  # short: whole
    assert listed(["cube.reg", *names]) == ["cube.reg", *names]  # nothing shared


async def test_draw_region_with_keys_and_with_the_form(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        app.screen.query_one("#thumbnail").focus()
        await pilot.press("c", "right_square_bracket", "right", "enter")
        await pilot.pause()
        label = app.session.selected_subset
        assert label.startswith("Subset") and app.session.subsets[label].is_sky  # follows the source
        assert app.screen.query_one("#subset").value == label
        await pilot.press("f5")
        await pilot.pause()
        assert app.session.result_rows[-1]["subset_label"] == label
        await pilot.press("ctrl+n")
        await pilot.pause()
        await fill_form(pilot, {"f-x": "40", "f-y": "50", "f-size": "6", "f-label": "typed"})
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        row = app.session.result_rows[-1]
        assert row["subset_label"] == "typed"
        assert (row["xcenter"].value, row["ycenter"].value) == pytest.approx((40, 50), abs=1e-6)


async def test_enter_on_the_region_forms_shape_adds_and_space_opens_the_shapes(make_app):
    """The form opens on its shape list, and its hint says Enter adds: Enter there added nothing but opened the
    list. Now Enter adds the region (a circle at the cursor), and space opens the list to choose another shape."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        before = len(app.session.subsets)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.focused.id == "shape"
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ != "RegionFormScreen" and len(app.session.subsets) == before + 1
        added = app.session.subsets[app.session.selected_subset].region  # on the sky, as the image has a WCS
        assert type(added).__name__.startswith("Circle")
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("space", "down", "enter")  # the list, its second shape
        await pilot.pause()
        assert type(app.screen).__name__ == "RegionFormScreen" and app.screen.query_one("#shape").value == "ellipse"
        await fill_form(pilot, {"f-size": "8", "f-size2": "4", "f-label": "oval"})
        await pilot.pause()
        assert type(app.session.subsets["oval"].region).__name__.startswith("Ellipse")


async def test_a_region_form_with_a_mistake_comes_back_as_typed(make_app):
    """A size of 0 or a y that is no number: the toast says why, and the form comes back with what was typed, on
    the field to put right (it closed, and every field had to be typed again)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await fill_form(pilot, {"f-x": "40", "f-y": "5o", "f-size": "0", "f-label": "faint one"})
        await pilot.pause()
        assert list(app._notifications)[-1].message == "y: '5o' is not a number"
        form = app.screen
        assert type(form).__name__ == "RegionFormScreen" and app.focused.id == "f-y"
        assert {n: form.query_one(f"#f-{n}").value for n in ("x", "y", "size", "label")} == {
            "x": "40", "y": "5o", "size": "0", "label": "faint one"}
        await type_text(pilot, "50")
        await pilot.press("enter")
        await pilot.pause()
        assert list(app._notifications)[-1].message == "region sizes must be positive"
        assert type(app.screen).__name__ == "RegionFormScreen" and app.focused.id == "f-size"
        await type_text(pilot, "4")
        await pilot.press("enter")
        await pilot.pause()
        assert len(app.screen_stack) == 1 and app.session.selected_subset == "faint one"
        region = app.session.pixel_regions(["faint one"], app.session.selected_data)[0]
        assert (region.center.x, region.center.y, region.radius) == pytest.approx((40, 50, 4), abs=1e-6)


async def test_background_from_an_annulus(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await choose(pilot, "bg-source", "Sky A (median)", ("median", "Sky A"))
        median = app.session.background_median()
        assert float(field(app, "background")) == pytest.approx(median, rel=1e-5)
        assert app.screen.query_one("#background").disabled
        await pilot.press("f5")
        await pilot.pause()
        row = app.session.result_rows[-1]
        assert row["background"].value == median and row["background_stat"] == "median"
        assert f"background_npix     {row['background_npix']} (median)" in screen_text(app)
        await choose(pilot, "bg-source", "Sky A (clipped median)", ("sigma-clip", "Sky A"))
        await pilot.press("f5")
        await pilot.pause()
        row = app.session.result_rows[-1]
        assert row["background_stat"] == "sigma-clipped median"
        assert float(field(app, "background")) == pytest.approx(row["background"].value, rel=1e-5)


async def test_a_background_annulus_around_the_subset_from_the_background_list_and_the_form(make_app):
    """With no annulus in the region file, the Background list still offers one: around the selected subset,
    1.5 to 2.5 times its size, made the background at once. The region form makes annuli too, its size fields
    named for them; an annulus is offered as a background, never selected as the aperture."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await choose(pilot, "subset", "Star C")
        await choose(pilot, "bg-source", "new annulus around the subset", ("median", "Star C sky"))
        s = app.session
        assert "Star C sky" in s.subsets and s.inputs.background_region == "Star C sky"
        assert app.screen.query_one("#background").disabled
        assert float(field(app, "background")) == pytest.approx(s.background_median(), rel=1e-5)
        assert any("Added Star C sky around Star C" in n.message for n in app._notifications)
        await pilot.press("f5")
        await pilot.pause()
        row = s.result_rows[-1]
        assert row["subset_label"] == "Star C" and row["background"].value == s.background_median()

        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        for _ in range(3):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#shape").value == "annulus"
        titles = [str(app.screen.query_one(f"#t-{name}").render()) for name in ("size", "size2")]
        assert titles == ["inner radius", "outer radius"]
        await fill_form(pilot, {"f-x": "40", "f-y": "30", "f-size": "8", "f-size2": "12", "f-label": "ring"})
        await pilot.pause()
        ring = s.subsets["ring"]
        assert ring.is_annulus and s.selected_subset == "Star C"  # offered as a background, not selected
        placed = s.pixel_regions(["ring"], s.selected_data)[0]
        # kept on the sky, placed back by regions itself: within 1e-9 (regions 0.13's Jacobian) to 1e-15 (0.12)
        assert placed.inner_radius == pytest.approx(8, rel=1e-8) and placed.outer_radius == pytest.approx(12, rel=1e-8)
        assert any("choose it in the Background list" in n.message for n in app._notifications)
        await choose(pilot, "bg-source", "ring (median)", ("median", "ring"))
        assert s.inputs.background_region == "ring"


async def test_damaged_aperture_is_warned_next_to_the_result(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await choose(pilot, "data", "jwst_nircam_demo_cal[SCI,1]")
        await pilot.press("f5")
        await pilot.pause()
        row = app.session.result_rows[-1]
        assert row["npix_bad"] == 8
        text = screen_text(app)
        assert "#1  Star A on jwst_nircam_demo_cal[SCI,1]" in text
        assert "! 8 pixels inside the aperture are NaN or" in text
        err = row["aperture_sum_err"].value
        assert f"{row['aperture_sum'].value:.4e} ± {err:.2g} MJy" in text
        assert any(n.title == "Damaged aperture" for n in app._notifications)


async def test_per_steradian_data_without_a_pixel_area_are_said_not_to_give_a_flux(make_app, tmp_path):
    from astropy.io import fits

    image, regions = tmp_path / "mosaic.fits", tmp_path / "one.reg"
    fits.PrimaryHDU(np.ones((40, 40), np.float32), fits.Header({"BUNIT": "MJy/sr"})).writeto(image)
    regions.write_text("image\ncircle(20,20,4) # text={Star}\n")
    app = make_app(images=[str(image)], regions=[str(regions)])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert field(app, "pixel_area") == "0"  # no PIXAR_*, no WCS
        await pilot.press("f5")
        await pilot.pause()
        text = screen_text(app)
        assert "! per-steradian data and no pixel area:" in text and "aperture_sum adds up MJy/sr, not a" in text
        assert any(n.title == "aperture_sum is not a flux" for n in app._notifications)
        app.clear_notifications()
        app.screen.query_one("#pixel_area").focus()
        await type_text(pilot, "0.01")
        await pilot.press("f5")
        await pilot.pause()
        row = app.session.result_rows[-1]
        assert row["id"] == 1 and row["aperture_sum"].unit == u.MJy  # a new table, in MJy
        assert "per-steradian" not in screen_text(app)
        assert not any(n.title == "aperture_sum is not a flux" for n in app._notifications)


async def test_aperture_over_the_edge_is_warned_next_to_the_result_and_counted_by_measure_all(make_app, demo,
                                                                                             tmp_path):
    edge = tmp_path / "edge.reg"
    edge.write_text("image\ncircle(1.5,128,6) # text={Edge}\n")  # 0-based x = 0.5: 39% of it left of the image
    app = make_app(regions=[*demo[1], str(edge)])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await choose(pilot, "data", "jwst_nircam_demo_cal[SCI,1]")
        await choose(pilot, "subset", "Edge")
        await pilot.press("f5")
        await pilot.pause()
        assert "! 39% of the aperture lies off" in screen_text(app)
        assert any(n.title == "Aperture partly off the image" for n in app._notifications)
        app.clear_notifications()
        await pilot.press("shift+f5")
        await pilot.pause()
        told = [n.message for n in app._notifications if n.title == "Measure all regions"]
        assert len(told) == 1 and told[0].startswith("Measured 7 of 7 regions")
        annuli = [label for label, sub in app.session.subsets.items() if sub.is_annulus]
        assert annuli == ["Sky A", "Sky"]  # the demo's annuli: said, rather than left out unseen
        assert " Left out as backgrounds: Sky A, Sky. " in told[0]
        assert "1 has NaN or flagged pixels inside (see npix_bad). 1 lies partly off the image." in told[0]
        assert app.session.result_rows[-1]["subset_label"] == "Edge"
        assert "! 39% of the aperture lies off" in screen_text(app)  # the last row measured is Edge's


async def test_measure_all_says_which_regions_it_leaves_out_as_backgrounds(make_app, demo, tmp_path):
    rings = tmp_path / "rings.reg"
    rings.write_text("image\ncircle(128,128,4) # text={Star}\n" + "".join(
        f"annulus(128,128,{r},{r + 2}) # text={{Ring {r}}}\n" for r in (6, 9, 12, 15, 18)))
    app = make_app(images=[demo[0][0]], regions=[str(rings)])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("shift+f5")
        await pilot.pause()
        told = [n.message for n in app._notifications if n.title == "Measure all regions"]
        assert told == [f"Measured 1 of 1 regions on {app.session.selected_data}. Left out as backgrounds: Ring 6, "
                        f"Ring 9, Ring 12 and 2 more."]
        assert [row["subset_label"] for row in app.session.result_rows] == ["Star"]

async def open_palette_command(pilot, words):
    await pilot.press("ctrl+p")
    await pilot.pause()
    await type_text(pilot, words)
    await pilot.pause(0.3)  # the palette searches in a worker
    await pilot.press("enter")
    await pilot.pause()


async def test_dq_flags_from_the_command_palette(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await choose(pilot, "data", "hst_acs_demo_flt[SCI,1]")
        await pilot.press("f5")
        await pilot.pause()
        assert app.session.result_rows[-1]["npix_bad"] == 1  # the saturated pixel (256): bad for HST by default
        await open_palette_command(pilot, "DQ flags")
        await type_text(pilot, "none")
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.dq_flags == 0
        await pilot.press("f5")
        await pilot.pause()
        assert app.session.result_rows[-1]["npix_bad"] == 0
        await open_palette_command(pilot, "DQ flags")
        await type_text(pilot, "lots")
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.dq_flags == 0  # unchanged, and the user is told why
        assert any("DQ flags: 'lots' is not a number" in n.message for n in app._notifications)
        assert app.screen.query_one("#answer").value == "lots"  # the prompt is back, as typed
        await type_text(pilot, "4")  # the text is selected: typing replaces it
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.dq_flags == 4 and len(app.screen_stack) == 1


async def test_restore_after_crash_and_resume(make_app, tmp_path, demo):
    state = tmp_path / "state"
    state.mkdir()
    crashed = Session(journal=state / "live-999999999.jsonl")  # a pid that does not run
    crashed.load_data(demo[0][0])
    crashed.load_regions(demo[1][0])
    for subset in ("Star A", "Galaxy"):
        crashed.calculate(subset=subset)
    crashed.close()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert "left 2 results in its journal." in screen_text(app) and "Restore them?" in screen_text(app)
        await pilot.press("y")
        await ready(app, pilot)  # the journal is read in a worker
        assert [r["subset_label"] for r in app.session.result_rows] == ["Star A", "Galaxy"]
        assert app.screen.query_one(ResultsTable).row_count == 2
        await pilot.press("f5")
        await pilot.pause()
    # The app quit cleanly: its journal (2 restored + 1 new) is kept and --resume brings it back.
    app = make_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert len(app.session.result_rows) == 3


async def test_help_palette_and_quit_confirmation(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert "Workflow" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "export")
        await pilot.pause()
        await pilot.pause(0.3)
        assert "Export results" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("ctrl+c")  # the reflex from a shell: Textual's hint, in words (was "[b]ctrl+q[/b]")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1] == "Press ctrl+q to quit the app (ctrl+c copies in a field)"
        assert "[b]" not in screen_text(app)
        await pilot.press("f5")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert "1 result was not exported. It stays in the journal" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running
        await pilot.press("ctrl+q", "ctrl+q")  # asked, and asked again: quit (not a second question)
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_p_under_the_help_over_the_palette_does_not_end_the_app(make_app):
    """F1 opens the help over the command palette; ctrl+p there opened a second palette, whose id Textual refused
    by ending the app with a traceback (found by pressing random keys)."""
    from textual.command import CommandPalette

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("f1", "ctrl+p")
        await pilot.pause()
        assert app.is_running and "Workflow" in screen_text(app)
        assert [type(screen).__name__ for screen in app.screen_stack] == ["Screen", "CommandPalette", "HelpScreen"]
        await pilot.press("escape", "escape")
        await pilot.pause()
        await pilot.press("ctrl+p")  # and the palette opens as before
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_quit_asks_while_any_results_table_is_not_exported(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")  # MJy on the JWST image
        await choose(pilot, "data", "hst_acs_demo[SCI,1]")
        await pilot.press("f5")  # electron/s: a new table, the first archived
        await pilot.pause()
        assert len(app.session.archived_results) == 1
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_text(pilot, "current.ecsv")
        await pilot.press("enter")  # the current table only
        await pilot.pause()
        await pilot.press("ctrl+q")  # quit without asking, though the first table was never exported
        await pilot.pause()
        assert app.is_running and "1 result was not exported" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await choose(pilot, "which", "archived table 1 (1 row)", value=1)
        app.screen.query_one("#path").value = "first.ecsv"
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert len(read_results(tmp_path / "first.ecsv")) == 1
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_help_reads_to_its_end_by_keys_and_wraps_under_each_description_at_80x24(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        first = screen_text(app)
        assert "Workflow" in first and "Batch: aperphot-tui measure" not in first
        seen = first
        for _ in range(12):
            await pilot.press("pagedown")
            await pilot.pause()
            seen += screen_text(app)
        assert "Batch: aperphot-tui measure" in screen_text(app)  # the last line, reached by keys alone
        lines = seen.splitlines()
        # a key and the start of what it does share a line; a long description goes on under itself
        assert any("F9" in line and "light curve" in line for line in lines)
        wrapped = next(i for i, line in enumerate(lines) if "ctrl+t" in line and "copy the whole" in line)
        column = lines[wrapped].index("copy the whole")
        assert lines[wrapped + 1][column - 2:column] == "  " and lines[wrapped + 1][column].isalpha()
        await pilot.press("home")
        await pilot.pause()
        assert "Workflow" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused.id == "data"


async def test_help_opens_at_the_section_for_the_view_or_widget_in_use(make_app):
    """F1 from the fields gives the help from its start; from the image, the results table, the full-screen image
    and the profile view, at their own keys (the dialog's title says which), and Home goes to the start."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        shown = {}
        for where, focus in (("fields", "data"), ("image", "thumbnail"), ("table", "results")):
            app.query_one(f"#{focus}").focus()
            await pilot.press("f1")
            await pilot.pause()
            shown[where] = screen_text(app).splitlines()
            await pilot.press("escape")
        await pilot.press("f8")
        await pilot.press("f1")
        await pilot.pause()
        shown["full-screen image"] = screen_text(app).splitlines()
        await pilot.press("escape", "escape", "f6")
        await pilot.press("f1")
        await pilot.pause()
        shown["profile"] = screen_text(app).splitlines()
        await pilot.press("escape", "escape", "ctrl+o", "f1")  # the open dialog: how to name an extension
        await pilot.pause()
        shown["open"] = screen_text(app).splitlines()
        assert "aperphot-tui: simple aperture photometry" in shown["fields"][2] and "Help:" not in shown["fields"][1]
        for where, heading in (("image", "Image (Tab to it; F8"), ("full-screen image", "Image (Tab to it; F8"),
                               ("table", "Results table (the top"), ("profile", "Profile view (F6)"),
                               ("open", "Files")):
            title = heading.split(" (")[0]
            assert f"Help: {title} · Home: from the start" in shown[where][1], where
            assert heading in shown[where][2], where
        assert any("n  p" in line and "previous aperture subset" in line for line in shown["profile"])
        await pilot.press("home")
        await pilot.pause(0.5)
        assert "aperphot-tui: simple aperture photometry" in screen_text(app)


async def test_tab_reaches_every_control_in_order(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        seen = []
        for _ in range(12):
            seen.append(app.focused.id)
            await pilot.press("tab")
        assert seen[:10] == ["data", "subset", "background", "bg-source", "pixel_area", "counts_factor",
                             "flux_scaling", "calculate", "result", "thumbnail"]
        assert "results" in seen


async def test_thumbnail_cursor_readout_and_zoom(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        thumb = app.screen.query_one("#thumbnail")
        thumb.focus()
        x0, y0 = thumb.cursor
        await pilot.press("right", "up")
        await pilot.pause()
        x1, y1 = thumb.cursor
        assert x1 > x0 and y1 > y0
        readout = str(app.screen.query_one("#readout").render())
        from astropy.io import fits
        from astropy.wcs import WCS

        with fits.open(app._images[0]) as hdul:
            sky = WCS(hdul["SCI"].header).pixel_to_world(x1, y1)
            value = hdul["SCI"].data[round(y1), round(x1)]
        assert f"x {x1:.1f} y {y1:.1f}" in readout
        assert f"RA {sky.ra.deg:.6f} Dec {sky.dec.deg:+.6f}" in readout
        assert f"{value:.4g} MJy/sr" in readout
        await pilot.press("plus", "t", "a")
        await pilot.pause()
        info = str(app.screen.query_one("#viewinfo").render())
        assert "zoom 2×" in info and "asinh" in info and "ascii" in info


async def test_cube_and_off_image_region_keep_everything(make_app, tmp_path):
    import numpy as np
    from astropy.io import fits

    cube = tmp_path / "cube.fits"
    fits.PrimaryHDU(np.ones((3, 10, 10), dtype=np.float32)).writeto(cube)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await type_text(pilot, str(cube))
        await pilot.press("enter")
        await pilot.pause()
        # its planes join the Data list as frames, as when the cube is named at start; the first is shown
        assert any("Opened the 3 planes of cube.fits as frames" in n.message for n in app._notifications)
        data = app.screen.query_one("#data")
        labels = [value for _, value in data._options]
        assert labels[:3] == ["cube[0]", "cube[1]", "cube[2]"] and JW in labels and data.value == "cube[0]"
        await pilot.press("ctrl+n")
        await pilot.pause()
        await fill_form(pilot, {"f-x": "5000", "f-y": "5000", "f-label": "far"})
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert any("far on cube[0] is outside the image" in n.message for n in app._notifications)
        assert len(app.session.result_rows) == 1 and app.is_running
        await choose(pilot, "data", JW)
        app.session.select_subset("Star A")
        await pilot.press("f5")
        await pilot.pause()
        assert [r["data_label"] for r in app.session.result_rows] == [JW, JW]


async def test_an_image_of_the_other_side_of_the_sky_opens_and_says_why_regions_are_not_on_it(make_app, tmp_path):
    """The demo's sky regions on an image centred at their antipode: its WCS has no pixel for them. The image panel
    crashed on their NaN coordinates (a ValueError from regions' bounding box)."""
    import numpy as np
    from astropy.io import fits

    from tests.conftest import tan_wcs

    far = tmp_path / "far.fits"
    fits.PrimaryHDU(np.ones((40, 40), dtype=np.float32), tan_wcs((40, 40), crval=(330.0, -2.2)).to_header()) \
        .writeto(far)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await type_text(pilot, str(far))
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and app.session.selected_data == "far[PRIMARY,1]"
        await pilot.press("f5")
        await pilot.pause()
        assert any("Star A: cannot place it on far[PRIMARY,1] (its sky position lies beyond the image's projection)"
                   in n.message for n in app._notifications)
        assert app.is_running and not app.session.result_rows


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "xterm", "COLORTERM": None}])
async def test_no_color_or_16_colours_draw_the_image_in_ascii(make_app, monkeypatch, env):
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        thumb = app.screen.query_one("#thumbnail")
        assert thumb.ascii
        assert "▀" not in "".join(thumb._picture.texts) and ":" in "".join(thumb._picture.texts)


async def test_sorting_the_results_by_keys(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        for subset in ("Star A", "Galaxy", "Star C"):
            app.session.select_subset(subset)
            await pilot.press("f5")
        await pilot.pause()
        table = app.screen.query_one(ResultsTable)
        table.focus()
        sums = {r["subset_label"]: r["aperture_sum"].value for r in app.session.result_rows}
        await pilot.press("s")
        await pilot.pause()
        order = [str(table.get_row(row.key)[2]) for row in table.ordered_rows]
        assert order == sorted(sums, key=sums.get)
        await pilot.press("s")
        await pilot.pause()
        order = [str(table.get_row(row.key)[2]) for row in table.ordered_rows]
        assert order == sorted(sums, key=sums.get, reverse=True)

        # Rows calculated while sorted take their place in the order, the cursor on them
        for subset in ("Bright", "Star B box"):
            app.session.select_subset(subset)
            await pilot.press("f5")
            await pilot.pause()
            sums[subset] = app.session.result_rows[-1]["aperture_sum"].value
            shown = [row["subset_label"] for row in table.ordered_results()]
            assert shown == sorted(sums, key=sums.get, reverse=True)
            assert table.selected_row()["subset_label"] == subset
            assert "sorted by aperture_sum (descending)" in table.border_title


async def test_frame_zooms_onto_the_selected_subset(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        thumb = app.screen.query_one("#thumbnail")
        thumb.focus()
        await pilot.press("f")
        await pilot.pause()
        region = app.session.pixel_region("Star A", app.session.selected_data)
        assert thumb.cursor == pytest.approx((region.center.x, region.center.y))
        assert thumb._view.zoom > 2
        # the whole outline is on screen and fills a good part of it
        rows = [r for r, line in enumerate(thumb._picture.lines) for seg in line if seg.style and
                seg.style.color and seg.style.color.name == "#00ff5f"]
        assert rows and max(rows) - min(rows) >= 3


async def test_a_dialog_keeps_the_app_keys_from_acting_behind_it(make_app):
    """ctrl+s twice opens one export dialog; F5, ctrl+n, F6 do nothing behind it; F1 shows the help over it and F1
    closes the help again; Esc then closes the dialog."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5", "ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+s", "f5", "ctrl+n", "f6", "shift+f5")
        await pilot.pause()
        assert [type(s).__name__ for s in app.screen_stack] == ["Screen", "ExportScreen"]
        assert len(app.session.result_rows) == 1
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExportScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.screen_stack) == 1
        await pilot.press("f5")
        await pilot.pause()
        assert len(app.session.result_rows) == 2


async def test_a_long_image_label_is_cut_in_the_middle_so_its_end_tells_images_apart(make_app, write_fits,
                                                                                       tmp_path):
    """JWST file names share their start across detectors and planes: at 80 columns the Data selector showed only
    that start, the same for every image, and the result's heading lost the end too. Both keep the end, cut in the
    middle; type-to-search reads the label whole."""
    paths = [str(write_fits(f"jw02736001001_02105_00001_nrcb{k}_cal.fits", np.ones((20, 20), np.float32)))
             for k in (1, 2)]
    (tmp_path / "s.reg").write_text("image\ncircle(10,10,3) # text={S}\n")
    app = make_app(images=paths, regions=[str(tmp_path / "s.reg")])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        first = screen_text(app).splitlines()[0]
        assert "jw02736…" in first and "nrcb1_cal[SCI,1] ▼" in first, first
        await choose(pilot, "data", "jw02736001001_02105_00001_nrcb2_cal[SCI,1]")
        assert "…001_nrcb2_cal[SCI,1] ▼" in screen_text(app).splitlines()[0]
        await pilot.press("f5")
        await ready(app, pilot)
        heading = next(line for line in screen_text(app).splitlines() if line.startswith("#1"))
        assert heading.startswith("#1  S on jw0273") and "…" in heading and "nrcb2_cal[SCI,1]" in heading, heading
        # the table's label column stops at 32 cells, so that the sum (pi 3^2 of ones) is on screen at 80 columns
        row = next(line for line in screen_text(app).splitlines() if line.startswith("       1  jw0273"))
        assert "…" in row and "nrcb2_cal[SCI,1]  S " in row and f"{math.pi * 9:.4e}" in row, row
        app.screen.query_one("#data").focus()
        await pilot.press("enter", *"nrcb1", "enter")
        await pilot.pause()
        assert app.screen.query_one("#data").value == "jw02736001001_02105_00001_nrcb1_cal[SCI,1]"
    async with make_app(images=paths, regions=[]).run_test(size=(200, 40)) as pilot:  # room: shown whole
        await ready(pilot.app, pilot)
        assert "jw02736001001_02105_00001_nrcb1_cal[SCI,1]" in screen_text(pilot.app).splitlines()[0]
