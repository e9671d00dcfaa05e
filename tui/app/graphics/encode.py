"""Pixels for terminals that can show them: pure functions from arrays to the bytes a terminal reads.

- PNG: 8-bit grey with one transparent level (0: off the image, NaN), made with zlib; what kitty uploads.
- kitty graphics protocol: an upload in base64 chunks, a virtual placement (a source rectangle of the upload shown
  over c x r cells) and the Unicode placeholders that put it on screen. Placeholders are ordinary text cells, so
  Textual composes them like any other: a dialog, toast or palette over the image hides it there and nothing else.
  https://sw.kovidgoyal.net/kitty/graphics-protocol/#unicode-placeholders
- sixel: a grey palette and six-pixel bands, run-length encoded, with transparent pixels left as they are.

Nothing here reads text from files: only pixel arrays and numbers we made become escape sequences.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

PLACEHOLDER = "\U0010eeee"
# kitty's row/column diacritics (gen/rowcolumn-diacritics.txt): the n-th encodes row or column n.
_RANGES = ("0305 030D 030E 0310 0312 033D-033F 0346 034A-034C 0350-0352 0357 035B 0363-036F 0483-0487 0592-0595 "
           "0597-0599 059C-05A1 05A8 05A9 05AB 05AC 05AF 05C4 0610-0617 0657-065B 065D 065E 06D6-06DC 06DF-06E2 "
           "06E4 06E7 06E8 06EB 06EC 0730 0732 0733 0735 0736 073A 073D 073F-0741 0743 0745 0747 0749 074A "
           "07EB-07F1 07F3 0816-0819 081B-0823 0825-0827 0829-082D 0951 0953 0954 0F82 0F83 0F86 0F87 135D-135F "
           "17DD 193A 1A17 1A75-1A7C 1B6B 1B6D-1B73 1CD0-1CD2 1CDA 1CDB 1CE0 1DC0 1DC1 1DC3-1DC9 1DCB 1DCC "
           "1DD1-1DE6 1DFE 20D0 20D1 20D4-20D7 20DB 20DC 20E1 20E7 20E9 20F0 2CEF-2CF1 2DE0-2DFF A66F A67C A67D "
           "A6F0 A6F1 A8E0-A8F1 AAB0 AAB2 AAB3 AAB7 AAB8 AABE AABF AAC1 FE20-FE26 10A0F 10A38 1D185-1D189 "
           "1D1AA-1D1AD 1D242-1D244")
DIACRITICS = tuple(chr(c) for part in _RANGES.split()
                   for lo, _, hi in [part.partition("-")] for c in range(int(lo, 16), int(hi or lo, 16) + 1))
MAX_CELLS = len(DIACRITICS)  # rows and columns a placement can span
CHUNK = 4096  # base64 bytes per kitty chunk, the protocol's limit
LEVELS = 64  # grey levels, as render.LEVELS


def grey8(norm: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """Stretched values in [0, 1] (NaN off the image) as `levels` grey levels spread over 1..255, 0 for NaN, top
    row first (the array's row 0 is the image's bottom: y increases upwards, as in DS9). 64 levels, as the
    half-blocks draw: the eye cannot tell more apart, and a noisy sky compresses to three quarters of 256."""
    step = np.round(np.nan_to_num(norm) * (levels - 1))
    grey = np.where(np.isnan(norm), 0, 1 + np.round(step * (254 / (levels - 1)))).astype(np.uint8)
    return grey[::-1]


def png(grey: np.ndarray) -> bytes:
    """An 8-bit greyscale PNG of a uint8 array (top row first), level 0 transparent (tRNS)."""
    h, w = grey.shape
    rows = np.zeros((h, w + 1), np.uint8)  # each row starts with its filter type, 0 (none)
    rows[:, 1:] = grey

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"tRNS", b"\x00\x00") + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def kitty_upload(image_id: int, data: bytes) -> list[str]:
    """Transmit a PNG under `image_id` without showing it (q=2: the terminal sends no reply), as its chunks."""
    text = base64.standard_b64encode(data).decode("ascii")
    parts = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    out = []
    for i, part in enumerate(parts):
        more = int(i < len(parts) - 1)
        keys = f"a=t,f=100,t=d,i={image_id},q=2,m={more}" if i == 0 else f"m={more}"
        out.append(f"\x1b_G{keys};{part}\x1b\\")
    return out


def kitty_place(image_id: int, cols: int, rows: int, x: int, y: int, w: int, h: int, placement: int = 1) -> str:
    """A virtual placement: the source rectangle (x, y, w, h) of the upload over cols x rows placeholder cells.
    Placing again with the same ids replaces it, so a pan or zoom sends this and no pixel."""
    return f"\x1b_Ga=p,U=1,i={image_id},p={placement},c={cols},r={rows},x={x},y={y},w={w},h={h},q=2\x1b\\"


def kitty_delete(image_id: int) -> str:
    """Delete an image, its placements and its data (d=I)."""
    return f"\x1b_Ga=d,d=I,i={image_id},q=2\x1b\\"


def placeholders(row: int, col0: int, count: int) -> str:
    """`count` placeholder cells of placement row `row`, columns col0, col0 + 1, ... (each carries both
    diacritics, so any run of them can be cut anywhere and still place correctly)."""
    r = DIACRITICS[row]
    return "".join(PLACEHOLDER + r + DIACRITICS[c] for c in range(col0, col0 + count))


def tmux_wrap(sequence: str) -> str:
    """A sequence for the terminal outside tmux (needs tmux's allow-passthrough)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def sixel(grey: np.ndarray, levels: int = LEVELS) -> str:
    """A sixel image of a uint8 grey array (top row first; 0 transparent, 1..255 grey): a `levels`-register grey
    palette, one line of six-pixel bands per colour, runs of four or more as '!n'."""
    h, w = grey.shape
    index = ((grey.astype(np.int32) - 1) * (levels - 1) + 127) // 254  # 1..255 -> 0..levels-1
    index[grey == 0] = -1
    pad = (-h) % 6
    if pad:
        index = np.vstack([index, np.full((pad, w), -1, np.int32)])
    palette = "".join(f"#{i};2;{p};{p};{p}" for i in range(levels) for p in [round(i * 100 / (levels - 1))])
    bands = []
    weights = (1 << np.arange(6, dtype=np.int32))[:, None]
    for top in range(0, index.shape[0], 6):
        band = index[top:top + 6]
        lines = []
        for colour in np.unique(band[band >= 0]).tolist():
            bits = ((band == colour) * weights).sum(axis=0)
            lines.append(f"#{colour}" + _runs(bits))
        bands.append("$".join(lines))
    # P2=1: pixels not drawn keep what the cell shows (overlays drawn as text stay visible)
    return f'\x1bP0;1;0q"1;1;{w};{h}' + palette + "-".join(bands) + "\x1b\\"


def _runs(bits: np.ndarray) -> str:
    """Sixel characters for one band and colour, runs of 4 or more as '!n', trailing blanks dropped."""
    last = np.flatnonzero(bits)
    if last.size == 0:
        return ""
    bits = bits[: last[-1] + 1]
    starts = np.flatnonzero(np.r_[True, bits[1:] != bits[:-1]])
    lengths = np.diff(np.r_[starts, bits.size])
    chars = (bits[starts] + 63).tolist()
    return "".join(chr(c) * n if n < 4 else f"!{n}{chr(c)}" for c, n in zip(chars, lengths.tolist()))
