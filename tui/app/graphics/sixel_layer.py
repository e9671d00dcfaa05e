"""Sixel images over the half-block thumbnail: Textual draws its cells as always, and after each frame the rows of
the image whose pixels changed are drawn over them, one sixel per cell row (so a cursor step redraws two rows).

Cells drawn over the image (outlines, labels, the cursor) are transparent in the sixel (P2=1 leaves them as they
are), so they stay readable. A row covered by anything else (a toast, a dialog's screen, the palette, a Select's
list) is not drawn: Textual's half-blocks show there, and the row is drawn again once it is uncovered. A sixel
terminal thus never shows stale pixels: at worst the half-blocks Textual keeps under them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tui.app.graphics.encode import sixel
from tui.app.graphics.view import panel_pixels


@dataclass
class _Rows:
    blocks: list = field(default_factory=list)  # per cell row: its pixels, with covered cells transparent
    pending: set = field(default_factory=set)  # rows not on screen as they are now
    region: object = None  # where they were drawn last (screen cells)


class SixelLayer:
    kind = "sixel"

    def __init__(self, write: Callable[[str], None], aspect: float, cell: tuple[int, int]) -> None:
        self._write, self.aspect, self.cell = write, aspect, cell
        self.sent = 0
        self._rows: dict[int, _Rows] = {}  # by id(thumbnail)

    def picture(self, thumb, picture, preview, view) -> None:
        """A thumbnail drew `picture`: its rows whose pixels differ from those on screen become pending."""
        cw, ch = self.cell
        grey = panel_pixels(preview, view, picture.geo, self.cell)
        covered = np.repeat(np.repeat(picture.covered, ch, axis=0), cw, axis=1)
        grey[covered] = 0
        state = self._rows.setdefault(id(thumb), _Rows())
        if len(state.blocks) != picture.geo.height:
            state.blocks, state.pending = [None] * picture.geo.height, set()
        for r in range(picture.geo.height):
            block = grey[r * ch:(r + 1) * ch]
            if state.blocks[r] is None or not np.array_equal(block, state.blocks[r]):
                state.blocks[r] = block
                state.pending.add(r)

    def after_frame(self, app) -> None:
        """Draw the pending rows of the thumbnails on the screen shown, where nothing covers them."""
        from tui.app.widgets.thumbnail import Thumbnail

        for thumb in app.screen.query(Thumbnail):
            state = self._rows.get(id(thumb))
            if state is None or not state.blocks:
                continue
            region = thumb.content_region
            if region != state.region:
                state.pending, state.region = set(range(len(state.blocks))), region
            hidden = _covered_rows(app, thumb, region)
            out = []
            for r in sorted(state.pending - hidden):
                block = state.blocks[r] if r < len(state.blocks) else None
                if block is None or r >= region.height:
                    state.pending.discard(r)
                    continue
                pad = (-block.shape[0]) % 6  # whole bands; the padding is transparent, so the row below stays
                band = np.vstack([block, np.zeros((pad, block.shape[1]), np.uint8)]) if pad else block
                out.append(f"\x1b[{region.y + r + 1};{region.x + 1}H" + sixel(band))
                state.pending.discard(r)
            state.pending |= hidden  # drawn again once uncovered
            if out:
                text = "\x1b7" + "".join(out) + "\x1b8"
                self.sent += len(text)
                self._write(text)


def _covered_rows(app, thumb, region) -> set[int]:
    """Rows of the thumbnail something else is drawn over, however narrow: get_widget_at's own rule (the first
    visible widget of a screen line, top layer first, that contains a cell) applied to the thumbnail's whole
    width at once. The per-line lists are the compositor's (Textual 8 keeps them private; textual is pinned
    below 9)."""
    if thumb.screen is not app.screen:
        return set(range(region.height))
    lines = app.screen._compositor.layers_visible
    hidden = set()
    for r in range(region.height):
        y = region.y + r
        for widget, cropped, _ in lines[y] if 0 <= y < len(lines) else ():
            if widget is thumb:
                break
            # a widget of no width (a toast as it is laid out) covers nothing, as get_widget_at finds
            if widget.visible and cropped.width and cropped.x < region.right and region.x < cropped.right:
                hidden.add(r)
                break
    return hidden
