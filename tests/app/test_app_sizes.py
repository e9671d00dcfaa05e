"""The app at every size (issue 9): a windowed table over every row, numbers that cannot be misread, the full-screen
image, copying, readable fields, a tiny terminal."""

import numpy as np
from astropy.table import Table
from regions import CirclePixelRegion, PixCoord

from tests.app.conftest import ready, screen_text
from tui.app.widgets.render import Overlay, Preview, View, render, sample, geometry
from tui.app.widgets.results_table import ResultsTable
from tui.core import Session


def many_rows_journal(path, n, seed=1):
    """A journal of n distinct results (n circles measured together), written as the app writes it."""
    rng = np.random.default_rng(seed)
    s = Session(journal=path)
    s.load_data(rng.normal(10, 1, (400, 400)), label="img")
    for i in range(n):
        s.add_subset(CirclePixelRegion(PixCoord(*rng.uniform(20, 380, 2)), rng.uniform(2, 9)), label=f"s{i}")
    s.calculate_many()
    s.close()
    return path


def resumed(make_app, tmp_path, n):
    """An app that restores a journal of n results with --resume."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    many_rows_journal(state / "done-20260101-000000-1.jsonl", n)
    return make_app(state_dir=str(state), resume=True)


async def test_copy_row_and_table_reach_the_clipboard(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5", "f5")
        await pilot.pause()
        await pilot.press("ctrl+y")
        await pilot.pause()
        lines = app.clipboard.splitlines()
        assert len(lines) == 2
        header, values = lines[0].split("\t"), lines[1].split("\t")
        assert header[:3] == ["id", "xcenter [pix]", "ycenter [pix]"] and "aperture_sum [MJy]" in header
        row = app.session.result_rows[-1]
        assert float(values[header.index("aperture_sum [MJy]")]) == row["aperture_sum"].value  # full precision
        assert values[header.index("subset_label")] == "Star A"
        assert any(n.title == "Copied to the clipboard" for n in app._notifications)
        app.screen.query_one(ResultsTable).focus()
        await pilot.press("C")
        await pilot.pause()
        assert app.clipboard.startswith("# %ECSV 1.0")
        copied = Table.read(app.clipboard, format="ascii.ecsv")
        assert len(copied) == 2 and copied["aperture_sum"][1] == row["aperture_sum"].value


async def test_restore_of_a_large_journal_fills_only_the_window(make_app, tmp_path):
    app = resumed(make_app, tmp_path, 10_000)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        table = app.screen.query_one(ResultsTable)
        assert table.total_rows == 10_000 and table.row_count < 20  # only what fits is in the DataTable
        text = screen_text(app)
        assert "row 10,000 of 10,000" in table.border_title and "s9999" in text, text
        assert [app.session.result_rows[k]["subset_label"] for k in (0, 4_321, -1)] == ["s0", "s4321", "s9999"]
        table.focus()
        await pilot.press("home")
        assert table.cursor_position == 0 and str(table.get_row_at(0)[0]) == "1"
        await pilot.press("pagedown", "pagedown", "down")
        assert table.cursor_position == 2 * table.row_count + 1
        assert str(table.get_row_at(table.cursor_row)[0]) == str(table.cursor_position + 1)
        await pilot.press("end")
        assert table.cursor_position == 9_999 and str(table.get_row_at(table.cursor_row)[0]) == "10000"
        await pilot.press("f5")  # the demo's MJy row cannot join the unitless table: a new one starts, as in Imviz
        await pilot.pause()
        assert table.total_rows == 1 and len(app.session.archived_results[-1]) == 10_000
        assert "row 1 of 1" in table.border_title


async def test_sort_orders_every_row_not_only_the_window(make_app, tmp_path):
    app = resumed(make_app, tmp_path, 400)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        table = app.screen.query_one(ResultsTable)
        table.focus()
        await pilot.press("s")  # by aperture_sum, ascending
        await pilot.pause()
        sums = sorted(r["aperture_sum"] for r in app.session.result_rows)
        await pilot.press("home")
        first = table._cells(table.selected_row())[table._columns.index("aperture_sum")]
        assert table.selected_row()["aperture_sum"] == sums[0] and str(first) == f"{sums[0]:.4e}"
        await pilot.press("end")
        assert table.selected_row()["aperture_sum"] == sums[-1]
        assert [r["aperture_sum"] for r in table.ordered_results()] == sums
        await pilot.press("s")  # descending
        await pilot.press("home")
        assert table.selected_row()["aperture_sum"] == sums[-1]
        assert "sorted by aperture_sum (descending)" in table.border_title


async def test_magnitudes_read_in_fixed_point(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        await pilot.pause()
        mag = app.session.result_rows[-1]["aperture_sum_mag"].value
        text = screen_text(app)
        assert f"aperture_sum_mag    {mag:.3f} mag" in text
        assert f"{mag:.4e}" not in text


async def test_fields_read_in_full_at_80_columns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        text = screen_text(app)
        for expected in ("Counts factor 0.000264845 PHOTMJSR/EFFEXPTM", "Flux scaling  1.60751e+11 pixel area (AB)",
                         "Pixel area    0.000961    PIXAR_A2"):
            assert expected in text
        assert "…" not in text.split("▏")[0]  # nothing cut in the fields column


async def test_tiny_terminal_asks_for_a_larger_window_and_recovers(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.resize_terminal(50, 15)
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        assert "Window 50x15: enlarge it to 60x18 (ctrl+q quits)" in text and "CALCULATE" not in text
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        assert "CALCULATE" in text and "please enlarge" not in text


async def test_keys_in_a_tiny_window_reach_nothing_hidden_and_focus_comes_back(make_app):
    # Below 60x18 the layout is hidden, but the Data select kept the focus: enter opened its list with no room,
    # and page down then ended the app with a KeyError inside Textual. A list open when the window shrank did too.
    from textual.widgets import Select

    for start in ((50, 15), (80, 24)):
        app = make_app()
        async with app.run_test(size=start) as pilot:
            await ready(app, pilot)
            if start == (80, 24):
                await pilot.press("enter")  # the Data select's list, open when the window shrinks
                await pilot.pause()
                assert app.query_one("#data", Select).expanded
                await pilot.resize_terminal(40, 12)
                await pilot.pause()
            for key in ("enter", "pagedown", "pageup", "down", "tab", "enter", "pagedown", "end", "home"):
                await pilot.press(key)
                await pilot.pause()
            assert app.is_running and "enlarge it to 60x18" in screen_text(app)
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            await pilot.pause()
            assert app.focused is app.query_one("#data", Select) and not app.focused.expanded
            await pilot.press("f5")
            await pilot.pause()
            assert "#1  Star A" in screen_text(app) and app.session.result_count == 1


async def test_the_smallest_window_shows_everything_without_scrolling(make_app, tmp_path):
    """At 60x18 and 80x19 the panes' minimum heights once added up to more than the window: the screen scrolled, with
    the image pane and the results table below its bottom edge."""
    state = tmp_path / "not-a-folder"
    state.write_text("a file where the journal's folder should be")  # the journal warning takes its lines too
    for size, journal in (((60, 18), None), ((80, 19), None), ((60, 18), str(state))):
        app = make_app(**({"state_dir": journal} if journal else {}))
        async with app.run_test(size=size) as pilot:
            await ready(app, pilot)
            await pilot.press("f5")
            await pilot.pause()
            assert app.screen.virtual_size.height == size[1]  # nothing scrolled out of sight
            text = screen_text(app)
            assert "CALCULATE" in text and "#1  Star A" in text and "row 1 of 1" in text
            assert ("not being journaled" in text) == bool(journal)
            table = app.screen.query_one(ResultsTable)
            assert table.region.bottom <= size[1] - 1 and table.region.height >= 3  # above the footer
            assert app.screen.query_one("#thumbnail").region.height >= 3


async def test_full_screen_image_draws_regions_and_keeps_the_view(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert type(app.screen).__name__ == "ImageScreen"
        thumb = app.screen.query_one("#thumbnail")
        assert thumb.size.width == 80 and thumb.size.height >= 20  # the image has the whole screen
        await pilot.press("plus", "left")
        await pilot.pause()
        assert "x " in str(app.screen.query_one("#readout").render())  # the readout follows the cursor here
        before = set(app.session.subsets)
        await pilot.press("c", "enter")  # draw a circle at the cursor
        await pilot.pause()
        [drawn] = set(app.session.subsets) - before
        assert app.session.selected_subset == drawn
        await pilot.press("escape")  # back, with the zoom kept
        await pilot.pause()
        assert type(app.screen).__name__ == "Screen"
        assert app.main("#thumbnail")._view.zoom == 2.0
        assert app.screen.query_one("#subset").value == drawn


def test_labels_never_cover_each_other_or_the_selected_region():
    preview = Preview(np.zeros((100, 100)))
    a = CirclePixelRegion(PixCoord(50, 50), 10)
    b = CirclePixelRegion(PixCoord(51, 51), 10)  # same corner: the two labels collide
    overlays = (Overlay(b, "other", "Other star"), Overlay(a, "selected", "Chosen"))
    picture = render(preview, View(ascii=True), 60, 20, overlays)
    text = "\n".join(picture.texts)
    assert "Chosen" in text  # the selected label first, whole
    assert len([line for line in picture.texts if "Chosen" in line]) == 1
    chosen, other = sorted(picture.labels, key=lambda label: label.kind != "selected")
    assert other.text == "Other star" and other.col + len(other.text) < chosen.col  # moved left of its region
    row = picture.texts[other.row]
    assert row[other.col - 1] == " " and row[other.col + len(other.text)] == " "  # reads alone


def test_preview_keeps_a_point_source_that_sampling_would_miss():
    data = np.zeros((4096, 4096), np.float32)
    data[2001, 1234] = 100.0
    preview = Preview(data)
    geo = geometry(data.shape, View(), 80, 24)
    assert np.nanmax(sample(preview, geo)) == 0.0  # the strided preview (shown at once) misses it
    preview.build_blocks()  # in a worker in the app
    assert preview.blocked and preview.preview.max() == 100.0
    assert np.nanmax(sample(preview, geo)) == 100.0


async def test_measure_all_regions_with_one_key(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        s = app.session
        apertures = [label for label, sub in s.subsets.items() if not sub.is_annulus]
        await pilot.press("shift+f5")
        await pilot.pause()
        assert [r["subset_label"] for r in s.result_rows] == apertures
        assert s.selected_subset == "Star A"  # the user's choice stays
        assert app.screen.query_one(ResultsTable).total_rows == len(apertures)
        assert any(f"Measured {len(apertures)} of {len(apertures)} regions" in n.message for n in app._notifications)
        await pilot.press("shift+f5")  # on an image where sky regions cannot apply, they are skipped and said
        await pilot.pause()
        app.select_data("plain_demo[PRIMARY,1]")
        await pilot.press("shift+f5")
        await pilot.pause()
        assert any("Skipped 4: Star A is in sky coordinates" in n.message for n in app._notifications)


async def test_keys_that_need_a_region_say_how_to_get_one(make_app, tmp_path):
    """With images but no region, F5, F6, F7 and shift+F5 each say how to load, type or draw one, and measure
    nothing; with only an annulus, shift+F5 says why it was left out."""
    app = make_app(regions=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        for key in ("f5", "f6", "f7"):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert [n.message for n in app._notifications] == [
                "Load an image and a region first (ctrl+o opens files, ctrl+n types a region, c on the image "
                "draws one)."], key
        await pilot.press("shift+f5")
        await pilot.pause()
        assert list(app._notifications)[-1].message.startswith("No aperture region to measure: ctrl+o opens")
        assert len(app.session.result_rows) == 0
    annulus = tmp_path / "annulus.reg"
    annulus.write_text("image\nannulus(100,100,5,9) # text={Sky}\n")
    app = make_app(regions=[str(annulus)])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("shift+f5")
        await pilot.pause()
        assert list(app._notifications)[-1].message.startswith(
            "No aperture region to measure (annuli and the background region are left out): ctrl+o")
        assert len(app.session.result_rows) == 0
