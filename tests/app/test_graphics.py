"""Real pixels (issue 19): what the app writes for kitty and sixel terminals, decoded back to pixels and compared
with what the half-block renderer samples; detection answered and timed out on a pty."""

import base64
import os
import re
import struct
import threading
import zlib

import numpy as np
import pytest

from tests.app.conftest import screen_text
from tui.app.graphics import encode, view as pixels
from tui.app.graphics.detect import Answer, Graphics, ask, choose, parse
from tui.app.widgets.render import Preview, View, geometry, normalise


# -- decoders (independent of the encoders: the PNG and sixel specifications) ---------------------------------
def decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size, transparent = 8, b"", None, None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 0)
            size = (h, w)
        elif kind == b"tRNS":
            transparent = struct.unpack(">H", body)[0]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(size[0], size[1] + 1)
    assert (rows[:, 0] == 0).all()  # filter type none
    assert transparent == 0
    return rows[:, 1:].copy()


def kitty_commands(text: str) -> list[tuple[dict, str]]:
    return [(dict(kv.split("=") for kv in keys.split(",")), payload)
            for keys, payload in re.findall(r"\x1b_G([^;\x1b]*);?([^\x1b]*)\x1b\\", text)]


def kitty_images(text: str) -> dict[int, np.ndarray]:
    """Every image uploaded in `text`, by id, decoded from its base64 chunks."""
    images, current, chunks = {}, None, []
    for keys, payload in kitty_commands(text):
        if keys.get("a") == "t":
            current, chunks = int(keys["i"]), []
        if current is not None and ("a" not in keys or keys.get("a") == "t"):
            chunks.append(payload)
            if keys.get("m") == "0":
                images[current] = decode_png(base64.standard_b64decode("".join(chunks)))
                current = None
    return images


def decode_sixel(text: str) -> np.ndarray:
    """A sixel image to grey levels 0..100 (the palette's percent), -1 where no pixel was drawn."""
    body = re.search(r"\x1bP[\d;]*q(.*)\x1b\\", text, re.S).group(1)
    raster = re.match(r'"1;1;(\d+);(\d+)', body)
    w, h = int(raster.group(1)), int(raster.group(2))
    body = body[raster.end():]
    palette = {int(i): int(p) for i, p, _, _ in re.findall(r"#(\d+);2;(\d+);(\d+);(\d+)", body)}
    body = re.sub(r"#\d+;2;\d+;\d+;\d+", "", body)
    out = np.full((h + 6, w), -1, int)
    band, x, colour = 0, 0, 0
    for token in re.findall(r"#\d+|!\d+[?-~]|[?-~]|\$|-", body):
        if token.startswith("#"):
            colour = palette[int(token[1:])]
        elif token == "$":
            x = 0
        elif token == "-":
            band, x = band + 1, 0
        else:
            count, ch = (int(token[1:-1]), token[-1]) if token.startswith("!") else (1, token)
            bits = ord(ch) - 63
            for row in range(6):
                if bits >> row & 1:
                    out[band * 6 + row, x:x + count] = colour
            x += count
    return out[:h]


# -- encoders ------------------------------------------------------------------------------------------------
def test_png_and_kitty_chunks_give_back_the_pixels():
    grey = np.random.default_rng(0).integers(0, 256, (97, 113), dtype=np.uint8)
    chunks = encode.kitty_upload(7, encode.png(grey))
    assert len(chunks) > 1 and all(len(kitty_commands(c)[0][1]) <= encode.CHUNK for c in chunks)
    assert kitty_commands(chunks[0])[0][0] == {"a": "t", "f": "100", "t": "d", "i": "7", "q": "2", "m": "1"}
    assert [kitty_commands(c)[0][0] for c in chunks[1:]] == [{"m": "1"}] * (len(chunks) - 2) + [{"m": "0"}]
    np.testing.assert_array_equal(kitty_images("".join(chunks))[7], grey)


def test_grey8_flips_rows_and_keeps_nan_transparent():
    norm = np.array([[0.0, 1.0], [np.nan, 0.5]])
    grey = encode.grey8(norm)
    assert grey.tolist() == [[0, 1 + round(32 * 254 / 63)], [1, 255]]  # row 0 of the image is the bottom row


def test_placeholders_carry_row_and_column():
    assert len(encode.DIACRITICS) == 297 and encode.DIACRITICS[:3] == ("\u0305", "\u030d", "\u030e")
    cells = encode.placeholders(2, 5, 3)
    assert cells == "".join(encode.PLACEHOLDER + encode.DIACRITICS[2] + encode.DIACRITICS[c] for c in (5, 6, 7))


def test_sixel_decodes_to_the_grey_levels_with_transparency():
    rng = np.random.default_rng(2)
    grey = rng.integers(0, 256, (20, 31), dtype=np.uint8)
    grey[3:5, 4:9] = 0
    got = decode_sixel(encode.sixel(grey))
    index = ((grey.astype(int) - 1) * 63 + 127) // 254
    expected = np.where(grey == 0, -1, np.round(index * 100 / 63))
    np.testing.assert_array_equal(got, expected)


def test_tmux_wrap_doubles_escapes():
    assert encode.tmux_wrap("\x1b_Ga=d\x1b\\") == "\x1bPtmux;\x1b\x1b_Ga=d\x1b\x1b\\\x1b\\"


# -- where the pixels land -----------------------------------------------------------------------------------
def upload_pixel_at(upload, rect, place, col, row, cell=(10, 21)):
    """The image coordinates the terminal shows at the centre of panel cell (col, row): kitty scales the source
    rectangle to the placement's cells."""
    x, y, w, h = rect
    u = x + (col - place.col + 0.5) / place.cols * w
    v = y + (row - place.row + 0.5) / place.rows * h
    return upload.x_left + u * upload.per_px, upload.y_top - v * upload.per_px


@pytest.mark.parametrize("zoom, cx, cy", [(1, None, None), (2, 100.0, 80.0), (0.5, None, None), (8, 30.3, 200.7),
                                           (64, 128.2, 127.9)])
def test_placement_puts_each_cell_over_its_own_pixels(zoom, cx, cy):
    data = np.random.default_rng(1).normal(size=(256, 300)).astype(np.float32)
    preview = Preview(data)
    v = View(zoom=zoom, cx=cx, cy=cy, aspect=2.1)
    geo = geometry(data.shape, v, 45, 20)
    upload, place = pixels.choose(preview, v, geo, None)
    for col in range(place.col, place.col + place.cols, 7):
        for row in range(place.row, place.row + place.rows, 3):
            x, y = upload_pixel_at(upload, place.rect, place, col, row)
            gx, gy = geo.pixel_of(col, row)
            assert abs(x - gx) <= 0.1 * geo.scale and abs(y - gy) <= 0.1 * geo.scale * geo.aspect
    grey = decode_png(upload.make())
    assert grey.shape == (upload.height, upload.width)


def test_pan_and_zoom_reuse_the_upload_until_it_no_longer_serves():
    data = np.random.default_rng(1).normal(size=(512, 512)).astype(np.float32)
    preview = Preview(data)
    first = pixels.choose(preview, View(aspect=2.0), geometry(data.shape, View(aspect=2.0), 45, 22), None)[0]
    for v in (View(zoom=2, cx=100, cy=300), View(zoom=0.5), View(zoom=1, cx=20, cy=20)):
        assert pixels.choose(preview, v, geometry(data.shape, v, 45, 22), first)[0] is first
    deep = View(zoom=32, cx=256, cy=256)
    crop = pixels.choose(preview, deep, geometry(data.shape, deep, 45, 22), first)[0]
    assert crop is not first and crop.per_px < 1  # pixels repeated: the rectangle stays exact
    assert pixels.choose(preview, View(stretch="log"), geometry(data.shape, View(), 45, 22), first)[0] is not first


# -- the app --------------------------------------------------------------------------------------------------
async def test_kitty_upload_is_the_stretched_preview_and_a_pan_sends_no_pixels(make_app):
    out = []
    app = make_app(graphics=Graphics("kitty", (10, 21)), graphics_write=out.append)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        thumb = app.query_one("#thumbnail")
        images = kitty_images("".join(out))
        assert len(images) == 1
        (image_id, grey), = images.items()
        upload, preview, v = thumb._upload, thumb._preview, thumb._view
        pad, m = upload.key[-1] * upload.key[1], upload.key[1]
        expected = encode.grey8(normalise(preview.preview, preview.limits(v.interval), v.stretch))
        expected = np.repeat(np.repeat(expected, m, axis=0), m, axis=1)  # small images go magnified
        np.testing.assert_array_equal(grey[pad:-pad, pad:-pad], expected)
        assert (grey[:pad] == 0).all() and (grey[:, :pad] == 0).all()  # the margin is transparent
        # the placeholders on screen name that image and the placement's cells
        text = "".join(s.text for s in thumb._strips)
        assert text.count(encode.PLACEHOLDER) > 0.5 * thumb.size.width * thumb.size.height
        assert {seg.style.color.triplet.blue for strip in thumb._strips for seg in strip
                if seg.text.startswith(encode.PLACEHOLDER)} == {image_id}
        thumb.focus()
        await pilot.pause()
        for key in ("shift+right", "plus", "shift+up", "minus", "t"):
            before = len(out)
            await pilot.press(key)
            await pilot.pause()
            sent = "".join(out[before:])
            commands = [keys["a"] for keys, _ in kitty_commands(sent) if "a" in keys]
            if key == "t":  # a new stretch is new pixels
                assert "t" in commands
            else:
                assert commands == ["p"] and len(sent) < 1000, key
        before = len(out)
        await pilot.press("f5")
        await pilot.pause()
        assert out[before:] == []  # a calculate sends no image bytes


async def test_kitty_image_is_hidden_under_a_dialog_and_back_after(make_app):
    out = []
    app = make_app(graphics=Graphics("kitty", (10, 21)), graphics_write=out.append)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        image_id = next(iter(kitty_images("".join(out))))
        colour = f"#0000{image_id:02x}"
        assert colour in app.export_screenshot()  # placeholders in the image's colour: the terminal shows pixels
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert colour not in app.export_screenshot()  # dimmed under the dialog: no cell names the image
        await pilot.press("escape")
        await pilot.pause()
        assert colour in app.export_screenshot()


async def test_sixel_rows_follow_changes_and_wait_while_covered(make_app):
    out = []
    app = make_app(graphics=Graphics("sixel", (10, 21)), graphics_write=out.append)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        thumb = app.query_one("#thumbnail")
        region = thumb.content_region
        drawn = re.findall(r"\x1b\[(\d+);(\d+)H(\x1bP.*?\x1b\\)", "".join(out), re.S)
        # every row drawn at its place; a row drawn elsewhere (a frame before the layout settled, on a busy
        # machine) is followed by all of them at the thumbnail's final place
        rows, inside = [int(r) - 1 for r, _, _ in drawn], set(range(region.y, region.y + region.height))
        last_elsewhere = max((i for i, r in enumerate(rows) if r not in inside), default=-1)
        assert set(rows[last_elsewhere + 1:]) == inside
        # each row is the view at pixel resolution, with the cells drawn over the image left transparent
        state = app.graphics._rows[id(thumb)]
        for r, c, body in drawn[-region.height:]:
            row = int(r) - 1 - region.y
            got = decode_sixel(body)[:21]
            block = state.blocks[row]
            np.testing.assert_array_equal(got == -1, block == 0)
        covered = np.repeat(np.repeat(thumb._picture.covered, 21, axis=0), 10, axis=1)
        assert covered.any() and (np.vstack(state.blocks)[covered] == 0).all()
        # a cursor step redraws the two rows it left and entered
        thumb.focus()
        await pilot.pause()
        before = len(out)
        await pilot.press("down")
        await pilot.pause()
        rows = {int(r) for r, _, _ in re.findall(r"\x1b\[(\d+);(\d+)H(\x1bP.*?\x1b\\)", "".join(out[before:]), re.S)}
        assert 1 <= len(rows) <= 2
        # under a toast, rows wait; when it goes, they are drawn
        for n in range(8):  # toasts stack up from the bottom right, into the image
            app.notify(f"message {n} over the image", timeout=30)
        await pilot.pause(0.2)
        from tui.app.graphics.sixel_layer import _covered_rows

        hidden = _covered_rows(app, thumb, region)
        assert hidden
        # the same rows as asking Textual for the widget at every cell, however narrow the cover
        truth = {r for r in range(region.height) for x in range(region.x, region.right)
                 if app.screen.get_widget_at(x, region.y + r)[0] is not thumb}
        assert hidden == truth
        before = len(out)
        await pilot.press("shift+right")  # every row changes
        await pilot.pause()
        rows = {int(r) - 1 - region.y for r, _, _ in
                re.findall(r"\x1b\[(\d+);(\d+)H(\x1bP.*?\x1b\\)", "".join(out[before:]), re.S)}
        assert rows and not rows & hidden
        before = len(out)
        app.clear_notifications()
        await pilot.pause(0.2)
        rows = {int(r) - 1 - region.y for r, _, _ in
                re.findall(r"\x1b\[(\d+);(\d+)H(\x1bP.*?\x1b\\)", "".join(out[before:]), re.S)}
        assert hidden <= rows


# -- detection ------------------------------------------------------------------------------------------------
def test_parse_replies():
    reply = b"\x1b_Gi=31;OK\x1b\\\x1b[6;21;10t\x1b[4;504;800t\x1b[?62;4;22c"
    assert parse(reply) == Answer(kitty=True, sixel=True, cell=(10, 21), window=(800, 504), complete=True)
    assert parse(b"\x1b[4;480;800t\x1b[?1;2c", cols=80, rows=24) == Answer(cell=(10, 20), window=(800, 480),
                                                                           complete=True)
    assert parse(b"\x1b_Gi=31;ENOTSUPPORTED:\x1b\\\x1b[?62;22c").kitty is False
    assert parse(b"") == Answer()


def test_choose_over_tmux_and_hints():
    kitty = Answer(kitty=True, cell=(9, 18), complete=True)
    assert choose("auto", kitty) == Graphics("kitty", (9, 18))
    assert choose("auto", Answer(sixel=True, complete=True)).kind == "sixel"
    assert choose("none", kitty).kind == "none"
    assert choose("auto", Answer(complete=True), tmux=True, passthrough=True, client_term="xterm-kitty") == \
        Graphics("kitty", tmux=True)
    blocked = choose("auto", Answer(complete=True), tmux=True, passthrough=False, client_term="xterm-kitty")
    assert blocked.kind == "none" and "allow-passthrough on" in blocked.note
    hinted = choose("auto", Answer(complete=True), env={"TERM": "xterm-kitty"})
    assert hinted.kind == "none" and "--graphics kitty" in hinted.note
    assert choose("auto", Answer(), env={}).kind == "none"


def fake_terminal(replies: bytes | None):
    """A pty whose other end reads the questions and answers (or stays silent)."""
    master, slave = os.openpty()

    def answer():
        got = b""
        while b"\x1b[c" not in got:
            got += os.read(master, 1024)
        if replies is not None:
            os.write(master, replies)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return master, slave, thread


def test_ask_reads_replies_until_da1_on_a_pty():
    reply = b"\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1b[?62;4c"
    master, slave, thread = fake_terminal(reply)
    try:
        got = ask(slave, "\x1b_Gi=31,a=q;AAAA\x1b\\\x1b[16t\x1b[c", timeout=5)
        assert parse(got) == Answer(kitty=True, sixel=True, cell=(10, 20), complete=True)
    finally:
        os.close(master), os.close(slave)


def test_ask_gives_up_at_the_timeout_on_a_silent_terminal():
    import time

    master, slave, thread = fake_terminal(None)
    try:
        start = time.monotonic()
        assert ask(slave, "\x1b[c", timeout=0.2) == b""
        assert time.monotonic() - start < 2
    finally:
        os.close(master), os.close(slave)


async def test_fallback_says_why_under_the_image(make_app):
    blocked = choose("auto", Answer(complete=True), tmux=True, passthrough=False, client_term="xterm-kitty")
    app = make_app(graphics=blocked)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = app.query_one("#images-status")
        assert app.graphics is None and status.display
        text = screen_text(app)
        assert "no images in tmux:" in text and "allow-passthrough on" in text
    app = make_app(graphics=Graphics("none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        assert not app.query_one("#images-status").display


async def test_sixel_draws_in_a_16_colour_terminal_and_ascii_says_how_to_get_greys(make_app, monkeypatch):
    """xterm with sixel says TERM=xterm: 16 colours to Textual. Sixel draws its own greys, so it is used there;
    without it the image is ASCII, and the line under it says that --colors 256 gives greys."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    out = []
    app = make_app(graphics=Graphics("sixel", (10, 21)), graphics_write=out.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.console.color_system == "standard"
        assert app.graphics is not None and "\x1bP" in "".join(out)  # a sixel image was sent
        assert not app.query_one("#images-status").display
    app = make_app(graphics=Graphics("none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.graphics is None and app.query_one("#thumbnail").ascii
        status = app.query_one("#images-status")
        assert status.display and str(status.render()) == \
            "ASCII image: TERM=xterm means 16 colours; --colors 256 for greys"
        assert "--colors 256 for greys" in screen_text(app)  # whole on its two lines under the image
    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", "standard")  # --colors 16: asked for, nothing to say
    app = make_app(graphics=Graphics("none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        assert not app.query_one("#images-status").display
