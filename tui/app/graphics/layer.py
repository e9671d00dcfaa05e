"""The images the app keeps in a kitty-protocol terminal: each upload kept by what it shows, placements sent only when
they change, everything deleted on the way out (and, after a dropped connection, at the next start).

Image ids are 256-colour palette indices the colour downgrade keeps (a placeholder cell's foreground colour names its
image): written as 38;5;N when Textual draws in 256 colours and as 38;2;0;0;N in truecolor, both id N.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich._palettes import EIGHT_BIT_PALETTE
from rich.color import Color
from rich.style import Style

from tui.app.graphics.encode import kitty_delete, kitty_place, kitty_upload, tmux_wrap

IDS = tuple(range(17, 23))  # a handful: the whole image, a crop or two, the full-screen view's


class KittyLayer:
    kind = "kitty"

    def __init__(self, write: Callable[[str], None], truecolor: bool, aspect: float = 2.0, tmux: bool = False) -> None:
        self._write, self._truecolor, self._tmux = write, truecolor, tmux
        self.aspect = aspect  # a cell's height over its width, in pixels
        self._uploads: dict[tuple, int] = {}  # what an upload shows -> its id, oldest first
        self._placed: dict[int, tuple] = {}
        self.sent = 0  # characters written: the benchmark's and tests' measure of bandwidth
        self.pixels_sent = 0  # of which uploads

    def send(self, sequences: Iterable[str]) -> int:
        """Write kitty sequences (each wrapped on its own for tmux's passthrough); the number of characters."""
        text = "".join(tmux_wrap(s) if self._tmux else s for s in sequences)
        if text:
            self.sent += len(text)
            self._write(text)
        return len(text)

    def image(self, key: tuple, make: Callable[[], bytes]) -> int:
        """The id of an upload showing `key`, uploading it (a PNG from `make`) only if it is not there yet."""
        if key in self._uploads:
            self._uploads[key] = self._uploads.pop(key)  # most recently used last
            return self._uploads[key]
        free = [i for i in IDS if i not in self._uploads.values()]
        if not free:
            _, oldest = next(iter(self._uploads.items()))
            self.forget(oldest)
            free = [oldest]
        image_id = free[0]
        self.pixels_sent += self.send(kitty_upload(image_id, make()))
        self._uploads[key] = image_id
        self._placed.pop(image_id, None)
        return image_id

    def forget(self, image_id: int) -> None:
        self.send([kitty_delete(image_id)])
        self._uploads = {k: v for k, v in self._uploads.items() if v != image_id}
        self._placed.pop(image_id, None)

    def place(self, image_id: int, cols: int, rows: int, x: int, y: int, w: int, h: int) -> None:
        """Show the source rectangle (x, y, w, h) of an upload over cols x rows placeholder cells."""
        args = (cols, rows, x, y, w, h)
        if self._placed.get(image_id) != args:
            self.send([kitty_place(image_id, *args)])
            self._placed[image_id] = args

    def style(self, image_id: int) -> Style:
        colour = Color.from_rgb(0, 0, image_id) if self._truecolor else Color.from_triplet(EIGHT_BIT_PALETTE[image_id])
        return Style(color=colour)


def cleanup(tmux: bool = False) -> str:
    """Deletes every image this app may have left in the terminal (a crash, a dropped connection)."""
    return "".join(tmux_wrap(kitty_delete(i)) if tmux else kitty_delete(i) for i in IDS)
