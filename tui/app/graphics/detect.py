"""Which pixels this terminal can show: asked of the terminal itself, before the app starts, with a short timeout.

The questions travel over SSH like any text: the kitty graphics query (a 1x1 image the terminal answers OK or an
error for, never shows; asked with Unicode placeholders, which the app needs), CSI 16 t (a cell's size in pixels),
CSI 14 t (the text area's), and last DA1, which every terminal answers (its attribute 4 is sixel): once DA1's reply
is in, every earlier reply that will come has come.
Inside tmux the kitty query goes through tmux's passthrough, which tmux drops unless allow-passthrough is on; tmux
answers DA1 and the sizes itself. Environment variables are hints only: they name the terminal in the status.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from dataclasses import dataclass

from tui.app.graphics.encode import tmux_wrap

MODES = ("auto", "kitty", "sixel", "none")
ENV = "APERPHOT_GRAPHICS"
# U=1 (Unicode placeholders, kitty 0.28+): a kitty too old for them fails to parse it and does not say OK
KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24,U=1;AAAA\x1b\\"
SIZES = "\x1b[16t\x1b[14t"
DA1 = "\x1b[c"
TIMEOUT = 0.25  # seconds: a terminal across an ocean answers in about one round trip
DEFAULT_CELL = (10, 20)  # pixels, when the terminal will not say


@dataclass(frozen=True)
class Answer:
    kitty: bool = False
    sixel: bool = False
    cell: tuple[int, int] | None = None  # (width, height) in pixels
    window: tuple[int, int] | None = None  # the text area, (width, height) in pixels
    complete: bool = False  # DA1's reply came: nothing more is on its way


@dataclass(frozen=True)
class Graphics:
    kind: str  # "kitty", "sixel" or "none"
    cell: tuple[int, int] = DEFAULT_CELL
    tmux: bool = False  # kitty sequences go through tmux's passthrough
    note: str = ""  # why images are not drawn, and how to have them (a toast at start)
    status: str = ""  # the same in one short line, kept under the image

    @property
    def aspect(self) -> float:
        """A cell's height over its width."""
        return self.cell[1] / self.cell[0]


def parse(reply: bytes, cols: int = 0, rows: int = 0) -> Answer:
    """What a terminal's replies say. `cols`, `rows`: the terminal's size in cells, to get a cell's size from the
    text area's when the terminal does not give it."""
    text = reply.decode("latin-1")
    kitty = re.search(r"\x1b_Gi=31;OK\x1b\\", text) is not None
    da1 = re.search(r"\x1b\[\?([\d;]*)c", text)
    sixel = da1 is not None and "4" in da1.group(1).split(";")
    cell = window = None
    if m := re.search(r"\x1b\[6;(\d+);(\d+)t", text):
        h, w = int(m.group(1)), int(m.group(2))
        cell = (w, h) if w > 0 and h > 0 else None
    if m := re.search(r"\x1b\[4;(\d+);(\d+)t", text):
        h, w = int(m.group(1)), int(m.group(2))
        window = (w, h) if w > 0 and h > 0 else None
    if cell is None and window is not None and cols > 0 and rows > 0:
        cell = (window[0] // cols, window[1] // rows) if window[0] >= cols and window[1] >= rows else None
    return Answer(kitty, sixel, cell, window, da1 is not None)


def ask(fd: int, questions: str, timeout: float = TIMEOUT) -> bytes:
    """Write `questions` to the terminal on `fd` (raw mode, no echo) and read its replies until DA1's or the
    timeout. Keys typed meanwhile are read too, and dropped: it lasts a fraction of a second, once."""
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)
        os.write(fd, questions.encode("ascii"))
        out, deadline = b"", time.monotonic() + timeout
        while not re.search(rb"\x1b\[\?[\d;]*c", out):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            out += os.read(fd, 4096)
        return out
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def tmux_passthrough() -> bool:
    """Whether the tmux this runs in passes escape sequences through to the terminal outside it."""
    try:
        found = subprocess.run(["tmux", "show-options", "-Apv", "allow-passthrough"], capture_output=True,
                               text=True, timeout=1).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found) and found[-1] in ("on", "all")


def tmux_client_term() -> str:
    """The terminal tmux's client runs in (its TERM), which tmux knows and the pane does not."""
    try:
        return subprocess.run(["tmux", "display-message", "-p", "#{client_termname}"], capture_output=True,
                              text=True, timeout=1).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def hinted(env) -> str:
    """The pixel protocol the environment suggests (a hint for messages only), or ''."""
    term, program = env.get("TERM", ""), env.get("TERM_PROGRAM", "")
    if "kitty" in term or env.get("KITTY_WINDOW_ID") or program in ("WezTerm", "ghostty") or "ghostty" in term:
        return "kitty"
    if term in ("foot", "mlterm") or program in ("iTerm.app", "vscode") or env.get("WT_SESSION"):
        return "sixel"
    return ""


def choose(requested: str, answer: Answer, *, tmux: bool = False, passthrough: bool = False,
           client_term: str = "", env=None) -> Graphics:
    """The protocol to draw with: `requested` unless it is 'auto'; otherwise what the terminal said it does
    (kitty first: its images move without sending pixels again)."""
    env = os.environ if env is None else env
    cell = answer.cell or DEFAULT_CELL
    if requested == "none":
        return Graphics("none")
    if requested in ("kitty", "sixel"):
        return Graphics(requested, cell, tmux=tmux and requested == "kitty")
    if tmux:
        outside = "kitty" if (answer.kitty or "kitty" in client_term or "ghostty" in client_term) else ""
        if outside and passthrough:
            return Graphics("kitty", cell, tmux=True)
        if answer.sixel:  # tmux 3.4 built with sixel draws them itself
            return Graphics("sixel", cell)
        if outside or hinted(env):
            return Graphics("none", note="tmux keeps images from the terminal: tmux set -g allow-passthrough on, "
                                         "then start again (half-blocks meanwhile)",
                            status="no images in tmux: set -g allow-passthrough on")
        return Graphics("none")
    if answer.kitty:
        return Graphics("kitty", cell)
    if answer.sixel:
        return Graphics("sixel", cell)
    hint = hinted(env)
    if hint and answer.complete:
        why = "answer for Unicode placeholders (kitty 0.28 or newer)" if hint == "kitty" else "say so"
        return Graphics("none", note=f"the terminal looks like one that shows {hint} images but did not {why}: "
                                     f"half-blocks (--graphics {hint} to try anyway)",
                        status=f"no {hint} answer: --graphics {hint} to try")
    return Graphics("none")


def detect(requested: str = "auto", fd: int | None = None, timeout: float = TIMEOUT) -> Graphics:
    """Ask the terminal on `fd` (the controlling terminal by default) and choose. Never raises: a terminal that
    cannot be asked gets half-blocks."""
    env = os.environ
    requested = requested if requested != "auto" else (env.get(ENV, "auto").strip().lower() or "auto")
    if requested not in MODES:
        requested = "auto"
    if requested == "none":
        return Graphics("none")
    tmux = bool(env.get("TMUX"))
    passthrough = tmux and tmux_passthrough()
    kitty_query = tmux_wrap(KITTY_QUERY) if passthrough else ("" if tmux else KITTY_QUERY)
    try:
        own = fd is None
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY) if own else fd
        try:
            size = os.get_terminal_size(fd)
            reply = ask(fd, kitty_query + SIZES + DA1, timeout)
        finally:
            if own:
                os.close(fd)
    except (OSError, ImportError):
        return choose(requested, Answer(), tmux=tmux, passthrough=passthrough, env=env)
    answer = parse(reply, size.columns, size.lines)
    return choose(requested, answer, tmux=tmux, passthrough=passthrough,
                  client_term=tmux_client_term() if tmux else "", env=env)
