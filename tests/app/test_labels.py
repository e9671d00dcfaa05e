"""Labels that serve the image (issue 16): a crowded catalogue leaves the image readable, each label reads alone."""

import re

import numpy as np
import pytest
from regions import CirclePixelRegion, PixCoord

from tests.app.conftest import CROWDED, catalogue, ready, screen_text
from tui.app.widgets.overlays import LABEL_SHARE, Overlay
from tui.app.widgets.render import Preview, View, render

N = CROWDED


def overlays(selected=0, long_labels=False):
    xs, ys = catalogue()
    name = (lambda k: f"star number {k}") if long_labels else (lambda k: f"S{k}")
    found = [Overlay(CirclePixelRegion(PixCoord(x, y), 3), "selected" if k == selected else "other", name(k))
             for k, (x, y) in enumerate(zip(xs, ys))]
    found.sort(key=lambda o: o.kind == "selected")
    return tuple(found)


def check_labels(picture, width, height, names):
    """Each label whole or shortened with "…", one blank cell from every other, a fifth of the cells at most."""
    labels = picture.labels
    assert labels
    for label in labels:
        assert label.text in names or (label.text.endswith("…") and any(
            n.startswith(label.text[:-1]) for n in names)), label.text
        assert picture.texts[label.row][label.col:label.col + len(label.text)] == label.text
    for a in labels:
        for b in labels:
            if a is b:
                continue
            rows_apart = abs(a.row - b.row)
            gap = max(b.col - (a.col + len(a.text)), a.col - (b.col + len(b.text)))
            assert rows_apart > 1 or gap >= 1, (a, b)
    assert sum(len(label.text) for label in labels) <= LABEL_SHARE * width * height + len(labels[0].text)


@pytest.mark.parametrize("size", [(58, 22), (33, 12), (100, 30)])
def test_a_crowded_catalogue_keeps_labels_apart_and_the_image_visible(size):
    width, height = size
    preview = Preview(np.zeros((1024, 1024), np.float32))
    sets = overlays()
    names = {o.label for o in sets}
    picture = render(preview, View(), width, height, sets, cursor=(512.0, 512.0))
    check_labels(picture, width, height, names)
    assert picture.labels[0].kind == "selected" and picture.labels[0].text == "S0"  # always, and first


def test_the_nearest_labels_to_the_cursor_come_first_and_zooming_in_shows_more():
    preview = Preview(np.zeros((1024, 1024), np.float32))
    sets = overlays()
    xs, ys = catalogue()
    def mean_distance(cursor, to):
        picture = render(preview, View(), 58, 22, sets, cursor=cursor)
        shown = [int(label.text[1:]) for label in picture.labels if label.kind != "selected"]
        return np.hypot(xs[shown] - to[0], ys[shown] - to[1]).mean()

    a, b = (250.0, 250.0), (780.0, 700.0)
    assert mean_distance(a, a) < 0.7 * mean_distance(b, a)  # the labels gather around the cursor
    assert mean_distance(b, b) < 0.7 * mean_distance(a, b)
    fraction = []
    for zoom in (1, 4, 16):
        picture = render(preview, View(zoom=zoom, cx=100.0, cy=100.0), 58, 22, sets, cursor=(100.0, 100.0))
        geo = picture.geo
        cols, rows = zip(*(geo.cell_of(x, y) for x, y in zip(xs, ys)))
        visible = sum(1 for c, r in zip(cols, rows) if 0 <= c < 58 and 0 <= r < 22)
        fraction.append(len(picture.labels) / visible)
    assert fraction[0] < fraction[1] < fraction[2]  # room appears as the stars spread out
    assert fraction[2] > 0.5


def test_long_labels_are_shortened_with_an_ellipsis_and_keep_five_characters():
    preview = Preview(np.zeros((1024, 1024), np.float32))
    sets = overlays(long_labels=True)
    picture = render(preview, View(), 58, 22, sets, cursor=(512.0, 512.0))
    check_labels(picture, 58, 22, {o.label for o in sets})
    short = [label.text for label in picture.labels if label.text.endswith("…")]
    assert short and all(len(text) >= 6 for text in short)


def test_label_modes_all_selected_none():
    preview = Preview(np.zeros((1024, 1024), np.float32))
    sets = overlays()
    assert len(render(preview, View(labels="all"), 58, 22, sets).labels) > 10
    assert [label.text for label in render(preview, View(labels="selected"), 58, 22, sets).labels] == ["S0"]
    assert render(preview, View(labels="none"), 58, 22, sets).labels == []


def label_runs(app) -> list[str]:
    """The runs of text in the thumbnail area of the screen: what a user reads as labels."""
    thumb = app.screen.query_one("#thumbnail")
    region = thumb.region
    lines = screen_text(app).splitlines()[region.y: region.y + region.height]
    runs = []
    for line in lines:
        runs += [run for run in re.split(r"[▀ +]+", line[region.x: region.x + region.width]) if run]
    return runs


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_on_screen_every_label_run_is_one_label(make_app, crowded, size):
    image, regions = crowded
    app = make_app(images=[str(image)], regions=[str(regions)])
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        runs = label_runs(app)
        names = {f"S{k}" for k in range(N)}
        assert len(runs) > 10
        assert all(run in names or (run.endswith("…") and len(run) >= 6) for run in runs), runs
        assert "S0" in runs  # the selected subset
        info = str(app.screen.query_one("#viewinfo").render())
        assert f"labels all {len(runs)}/{N}" in info
        app.screen.query_one("#thumbnail").focus()
        await pilot.press("l")
        await pilot.pause()
        assert label_runs(app) == ["S0"] and "labels selected" in str(app.screen.query_one("#viewinfo").render())
        await pilot.press("l")
        await pilot.pause()
        assert label_runs(app) == [] and "labels none" in str(app.screen.query_one("#viewinfo").render())
        await pilot.press("f8")  # the full-screen image keeps the choice, and draws by the same rules
        await pilot.pause()
        await pilot.pause()
        assert label_runs(app) == []
        await pilot.press("l")
        await pilot.pause()
        full = label_runs(app)
        assert len(full) > len(runs) and all(run in names for run in full)


@pytest.mark.parametrize("ascii", [False, True])
def test_no_label_goes_under_the_cursor(ascii):
    # A small aperture just left of the centre of a large image, where the cursor starts: its label, right of it,
    # fell on the cursor's cell and lost its one letter to the "+".
    preview = Preview(np.zeros((4096, 4096), np.float32))
    view = View(ascii=ascii)
    blank = render(preview, view, 40, 20, (), cursor=(2048.0, 2048.0))
    col, row = blank.geo.cell_of(2048.0, 2048.0)
    x = blank.geo.pixel_of(col - 1, row)[0]  # the region in the cell left of the cursor's
    sets = (Overlay(CirclePixelRegion(PixCoord(x, 2048.0), 20), "selected", "S"),)
    picture = render(preview, view, 40, 20, sets, cursor=(2048.0, 2048.0))
    [label] = picture.labels
    assert label.text == "S" and (label.row, label.col) != (row, col)
    assert picture.texts[label.row][label.col] == "S" and picture.texts[row][col] == "+"


@pytest.mark.parametrize("ascii", [False, True])
@pytest.mark.parametrize("label, same_width", [("明るい星", "abcdefgh"), ("E\u0301toile", "Etoile")])
def test_wide_and_combining_labels_keep_every_line_the_panel_s_width(ascii, label, same_width):
    # A CJK character takes two cells and a combining accent none: drawn one per cell, they pushed the image right
    # of the label along (and off the panel) or pulled it back, leaving the line a cell short.
    from rich.cells import cell_len
    from rich.segment import Segment

    rng = np.random.default_rng(3)
    preview = Preview(rng.normal(100, 10, (120, 160)).astype(np.float32))
    region = CirclePixelRegion(PixCoord(60, 60), 5)
    pictures = [render(preview, View(ascii=ascii), 50, 16, (Overlay(region, "selected", text),), cursor=(0.0, 0.0))
                for text in (label, same_width)]
    for picture in pictures:
        assert all(Segment.get_line_length(line) == 50 for line in picture.lines)
    shown, plain = pictures
    [drawn] = shown.labels
    assert drawn.text == label and drawn.width == cell_len(label) == cell_len(same_width)
    assert (drawn.row, drawn.col) == (plain.labels[0].row, plain.labels[0].col)
    others = [k for k in range(16) if k != drawn.row]
    assert [shown.cells[k] for k in others] == [plain.cells[k] for k in others]
    after = drawn.col + drawn.width  # the image right of the label is where it is beside a label of plain letters
    assert shown.cells[drawn.row][after:] == plain.cells[drawn.row][after:]


def test_a_shortened_wide_label_never_keeps_half_a_character():
    from tui.app.widgets.overlays import _fit, label_cells

    cells = label_cells("星の名前 long")
    for room in range(2, 8):
        label = _fit([bytearray(b"\x00" * room + b"\x01" * (8 - room))], cells, "selected", 0, 0, -1, 1)
        assert label.cells[-1] == "…" and label.width <= room
        assert "".join(label.cells[:-1]) == "星の名前"[:(room - 1) // 2]  # whole characters only


def test_a_label_cut_in_the_middle_fits_the_cells_it_is_given():
    # Selects and headings cut a long label in the middle: counted in characters, a CJK name overflowed and lost
    # its end (what tells planes apart) to the crop, and an accented one was cut where it fit.
    from rich.cells import cell_len
    from rich.console import Console

    from tui.app.safe import safe_label

    console = Console(width=80)
    name = "観測データの画像_E\u0301toile_0001[SCI,1]"
    for width in range(8, 45):
        [line] = console.render_lines(safe_label(name, before="#1 "), console.options.update_width(width), pad=False)
        shown = "".join(segment.text for segment in line)
        if width >= cell_len("#1 " + name):
            assert shown == "#1 " + name
        else:
            assert width - 2 <= cell_len(shown) <= width and "…" in shown, (width, shown)  # a wide one left out
            assert shown.startswith("#1 観") or width < 11 and shown.startswith("#1 "), shown
            assert width < 14 or shown.endswith("[SCI,1]"), (width, shown)  # its end, once 7 cells are left for it


async def test_the_light_curve_star_list_keeps_its_columns_under_wide_labels():
    # The F9 star list padded and cut labels by characters: a CJK name pushed the role and scatter off the line.
    from rich.cells import cell_len
    from textual.app import App

    from tui.app.screens.lightcurve import StarList

    class Host(App):
        def compose(self):
            yield StarList()

    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        stars = app.query_one(StarList)
        stars.show_rows([("T1", "明るい星", "target", 0.012),
                         ("C2", "とても長い名前の比較星です", "comp", 0.034),
                         ("C3", "E\u0301toile", "comp", 0.02)], 0)
        await pilot.pause()
        lines = stars.render().plain.splitlines()
        assert {cell_len(line) for line in lines[1:4]} == {cell_len(lines[0])} == {stars.size.width}
        assert "明るい星" in lines[1] and "とても長…" in lines[2] and "E\u0301toile" in lines[3]
        assert all(line.endswith(tail) for line, tail in zip(lines[1:4], (" 1.20", " 3.40", " 2.00")))
