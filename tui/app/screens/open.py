"""Open images or region files: a path field with completion, and a file tree."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import DirectoryTree, Input, Label, Static

from tui.app.safe import safe
from tui.filekinds import FITS_SUFFIXES, REGION_SUFFIXES

SHOWN = FITS_SUFFIXES + REGION_SUFFIXES
HINT = "Enter opens · Tab to the tree below · Esc cancels"


def candidates(value: str) -> tuple[str, list[str]]:
    """(the last path component typed, the names in its folder that it begins: folders with a trailing /, and
    the files the tree shows), sorted. Hidden names only once a dot is typed; names holding control characters
    never (they are never put into the field raw; the tree shows them escaped)."""
    if not value:
        return "", []
    path = Path(os.path.expanduser(value))
    folder, stem = (path, "") if value.endswith("/") else (path.parent, path.name)
    try:
        found = [p.name + "/" if p.is_dir() else p.name for p in folder.iterdir()
                 if p.name.startswith(stem) and (stem.startswith(".") or not p.name.startswith("."))
                 and (p.is_dir() or p.suffix.lower() in SHOWN)]
    except OSError:
        return stem, []
    return stem, sorted(n for n in found if safe(n) == n)


def completion(value: str) -> str | None:
    """What → completes `value` to: the one name it begins, or the part all its names share (as a shell does)."""
    stem, names = candidates(value)
    shared = os.path.commonprefix(names)
    return value + shared[len(stem):] if len(shared) > len(stem) else None


LONG_START = 12  # a start the names share longer than this is shortened in their list ...
SHARED_SHOWN = 6  # ... to its last characters, before where they part


def listed(names: list[str]) -> list[str]:
    """The names as the line under the field lists them: a long start they all share (a JWST exposure's
    "jw01234001001_01101_00001-seg00") is in the field already, and one 80-column line held a single such name,
    cut before its segment; from "…" the names show where they part."""
    shared = len(os.path.commonprefix(names))
    return [f"…{name[shared - SHARED_SHOWN:]}" for name in names] if shared > LONG_START else names


class PathSuggester(Suggester):
    """Completes the last path component from the file system (accept with → or End)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return completion(value)


class FitsTree(DirectoryTree):
    def process_label(self, label):
        return super().process_label(safe(label) if isinstance(label, str) else label)

    def filter_paths(self, paths):
        return [p for p in paths if p.is_dir() and not p.name.startswith(".")
                or p.suffix.lower() in SHOWN]


class OpenScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    HELP_TOPIC = "Files"  # F1 here: how to name an extension, a cube's plane, every SCI extension

    def __init__(self, start: str | None = None) -> None:
        super().__init__()
        self.start = start or os.getcwd()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog tall"):
            yield Label("Open a FITS image, a cube, a folder of frames, or a region file")
            field = Input(placeholder="path… (→ completes)", id="open-path", suggester=PathSuggester())
            field.cursor_blink = False
            yield field
            yield Static(Text(HINT), classes="hint", id="open-hint")
            yield FitsTree(self.start, id="tree")

    def on_mount(self) -> None:
        self.query_one("#open-path", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Several names to choose from: they are listed under the field (the completion stops where they part)."""
        _, names = candidates(event.value)
        text = HINT
        if len(names) > 1:
            text = f"{len(names)} match: " + "  ".join(listed(names[:8])) + ("  …" if len(names) > 8 else "")
        self.query_one("#open-hint", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(os.path.expanduser(event.value.strip()))

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(str(event.path))

    def action_cancel(self) -> None:
        self.dismiss(None)
