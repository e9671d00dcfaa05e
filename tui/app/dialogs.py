"""The flows behind the dialogs: new region form, export, open, and the quit confirmation.

A mixin of the App: each flow opens a screen, then hands what the user chose to the core Session.
"""

from __future__ import annotations

import os
from pathlib import Path

from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.export import REGIONS, ExportRequest, ExportScreen, file_safe
from tui.app.screens.open import OpenScreen
from tui.app.screens.region_form import RegionForm, RegionFormScreen
from tui.app.widgets.thumbnail import Thumbnail
from tui.filekinds import EVERY, every_image, is_region_file


class DialogFlows:
    """Needs from the App: session, notify, push_screen, exit, main(), _add_region, _refresh_choices,
    _data_selected, _show_notices, frame_image, frames and _sequence (a sequence's frames), _unexported (rows by
    table), and _last_export and _retry_export (paths)."""

    def action_new_region(self) -> None:
        if self.session is None or self.session.selected_data is None:
            self.notify("Load an image first (ctrl+o).", severity="warning")
            return
        x, y = self.main("#thumbnail", Thumbnail).cursor or (0.0, 0.0)
        self.push_screen(RegionFormScreen(x, y, self.session.selected_data), self._region_form_done)

    def _region_form_done(self, form: RegionForm | None) -> None:
        if form is None:
            return
        numbers = {}
        for name in ("x", "y", "size", "size2", "angle"):
            text = getattr(form, name).strip()
            if name == "size2" and (not text or form.shape == "circle"):
                numbers[name] = None
                continue
            from tui.core.inputs import typed_number

            try:
                numbers[name] = typed_number(text or "0")
            except ValueError as exc:
                self.notify(f"{name}: {exc}", title="Region not added", severity="error")
                self._region_form_again(form, name)
                return
        if not self._add_region(form.shape, numbers["x"], numbers["y"], numbers["size"], numbers["size2"],
                                numbers["angle"], form.label.strip()):
            self._region_form_again(form, "size")

    def _region_form_again(self, form: RegionForm, field: str) -> None:
        """The form back as it was typed, on the field to put right: a typo does not cost the other fields."""
        self.push_screen(RegionFormScreen(0.0, 0.0, self.session.selected_data, typed=form, focus=field),
                         self._region_form_done)

    def action_export(self, regions: bool = False) -> None:
        """The results tables and the regions; in the profile view, the profile and the curve of growth come
        first. `regions`: the regions picked (Save regions)."""
        s = self.session
        retry, self._retry_export = self._retry_export, None
        if hasattr(self.screen, "export_table"):  # the light-curve view
            if self.screen.export_table() is None:
                self.notify("No frame measured yet.", severity="warning")
                return
            self.push_screen(ExportScreen([("light curve", "lightcurve")], retry or
                                          f"lightcurve_{file_safe(self.screen.target)}.ecsv",
                                          "Export the light curve to"), self._export)
            return
        in_profile = hasattr(self.screen, "update_view")
        results = bool(s is not None and (s.result_rows or s.archived_results or in_profile))
        if not results and (s is None or not s.subsets):
            self.notify("Nothing to export yet: press F5 to calculate first (or F6, then ctrl+s, for a profile).",
                        severity="warning")
            return
        from tui.core.formatting import counted

        tables = []
        if s.result_rows:
            tables.append((f"current table ({counted(len(s.result_rows), 'row')})", None))
        tables += [(f"archived table {i + 1} ({counted(len(t), 'row')})", i) for i, t in enumerate(s.archived_results)]
        names = {}
        if s.selected_data is not None and s.selected_subset is not None:
            where, safe = f"{s.selected_subset} on {s.selected_data}", file_safe(s.selected_subset)
            profiles = [(f"radial profile of {where}", "profile"),
                        (f"radial profile of {where}, every pixel", "raw_profile"),
                        (f"curve of growth of {where}", "growth")]
            if in_profile and self.screen.raw:  # the profile the view shows first
                profiles.insert(0, profiles.pop(1))
            tables = profiles + tables if in_profile else tables + profiles
            names = {"profile": f"profile_{safe}.ecsv", "raw_profile": f"profile_raw_{safe}.ecsv",
                     "growth": f"growth_{safe}.ecsv"}
        if s.subsets:
            tables.append((f"the {counted(len(s.subsets), 'region')}, as a DS9 region file", REGIONS))
        chosen = len(tables) - 1 if regions or not results else 0  # before any result: the regions to save
        self.push_screen(ExportScreen(tables, retry, chosen=chosen, names=names, results_name=self._last_export),
                         self._export)

    def action_save_regions(self) -> None:
        if self.session is None or not self.session.subsets:
            self.notify("No regions to save yet: ctrl+o opens a region file, ctrl+n types a region, c on the "
                        "image draws one.", severity="warning")
            return
        self.action_export(regions=True)

    def _export(self, request: ExportRequest | None, overwrite: bool = False) -> None:
        if request is None:
            return
        from tui.core import PhotometryError

        target = Path(request.path).expanduser()
        if os.path.exists(target) and not os.path.isdir(target) and not overwrite:
            self.push_screen(ConfirmScreen(f"{target} exists. Replace it?", yes="Replace", no="Keep"),
                             lambda yes: self._export(request, True) if yes else None)
            return
        s = self.session
        try:
            if request.archived == REGIONS:
                written, rows = s.save_regions(target, overwrite=overwrite), len(s.subsets)
            elif request.archived in ("profile", "raw_profile", "growth", "lightcurve"):
                from tui.core.export import write_table

                table = {"profile": s.radial_profile, "raw_profile": lambda: s.radial_profile(raw=True),
                         "growth": s.curve_of_growth,
                         "lightcurve": lambda: self.screen.export_table()}[request.archived]()
                written, rows = write_table(table, target, overwrite=overwrite), len(table)
            else:
                written = s.export_results(target, overwrite=overwrite, archived=request.archived)
                rows = len(s.result_rows if request.archived is None else s.archived_results[request.archived])
        except PhotometryError as exc:
            self.notify(f"{exc}. Your results are kept.", title="Not exported", severity="error", timeout=10)
            # the dialog again, holding the path as typed: a mistyped folder is put right, not typed anew
            self._retry_export = request.path
            self.call_later(self.action_export, request.archived == REGIONS)
            return
        from tui.core.formatting import counted

        if request.archived == REGIONS:
            self._show_notices()  # a label DS9 could not hold as it is
            self.notify(f"Saved {counted(rows, 'region')} to {written.resolve()}", title="Saved regions", timeout=8)
            return
        if request.archived is None:
            self._unexported.pop(len(s.archived_results), None)
            self._journal_warning(None)  # the results are safe in the export: the user has acted
        elif isinstance(request.archived, int):
            self._unexported.pop(request.archived, None)
        if request.archived is None or isinstance(request.archived, int):  # a profile's name is not the results'
            self._last_export = request.path
        self.notify(f"Saved {counted(rows, 'row')} to {written.resolve()}", title="Exported", timeout=8)

    def action_open(self) -> None:
        if self.session is None:
            self.notify("Still loading…", severity="warning")
            return
        self.push_screen(OpenScreen(), self._open)

    def _open(self, path: str | None) -> None:
        if not path:
            return
        from tui.core import PhotometryError

        s = self.session
        try:
            if is_region_file(path):
                labels = s.load_regions(path)
                from tui.core.formatting import counted

                # none added: the notice says they are loaded already
                message = f"Added {counted(len(labels), 'region')}: {', '.join(labels)}" if labels else None
            else:
                try:
                    names = every_image([path])
                    opened = [self._open_image(name) for name in names]
                    label, message = opened[0]
                    if len(opened) > 1:
                        message = f"Opened the {len(opened)} images of {Path(path[:-len(EVERY)]).name}: " + \
                                  ", ".join(label for label, _ in opened)
                except PhotometryError as exc:
                    frames, skipped = self._open_as_frames(path)
                    if not frames:
                        raise PhotometryError(skipped[0]) if skipped else exc
                    label = self.frame_image(frames[0])
                    from tui.core.formatting import counted

                    what = (f"the {counted(len(frames), 'FITS file')} in {Path(path).name}" if os.path.isdir(path)
                            else f"the {counted(len(frames), 'plane')} of {Path(path).name}")
                    message = f"Opened {what} as frames (F9: a light curve)"
                    if skipped:
                        message += f"; {counted(len(skipped), 'file')} could not be read: {skipped[0]}" + \
                                   (" ..." if len(skipped) > 1 else "")
                s.select_data(label)
        except PhotometryError as exc:
            self.notify(str(exc), title="Not loaded", severity="error", timeout=10)
            return
        self._show_notices()
        self._refresh_choices()
        self._data_selected(s.selected_data)
        if message:
            self.notify(message, timeout=4)

    def _open_image(self, path: str) -> tuple[str, str]:
        """An image opened with ctrl+o: its label, and what to tell the user."""
        from tui.core.images import file_part, folders_apart, load_fits

        s = self.session
        image = load_fits(path)
        label = next((name for name, open_ in s.images.items() if open_.source == image.source), None)
        if label is not None:  # the same image again: a second copy would only confuse the lists
            return label, f"{label} is open already: selected"
        namesake = s.images.get(image.label)
        if namesake is not None and namesake.source:  # another night's frame_0001.fits: its folder tells it apart
            mine, theirs = file_part(image.source), file_part(namesake.source)
            image.label = folders_apart({mine: "", theirs: ""}).get(mine, "") + image.label
        label = s.load_data(image)
        return label, f"Loaded {label}"

    def _open_as_frames(self, path: str) -> tuple[list[str], list[str]]:
        """A cube or a folder opened with ctrl+o: its planes, or the FITS files in it, become the sequence's
        frames, as when named at start (listed from their headers, each read when shown; the images opened
        before stay in the Data list). Their labels, or none when `path` is neither (the image reader then says
        why), and the files that could not be read."""
        from tui.core import PhotometryError
        from tui.core.frames import list_frames
        from tui.filekinds import expand_folders

        folder = os.path.isdir(path)
        paths = expand_folders([path]) if folder else [path] if os.path.isfile(path) else []
        if folder and paths == [path]:  # no FITS file in it
            return [], []
        skipped: list[str] = []
        try:
            frames = list_frames(paths, skipped, require_time=False)
        except PhotometryError:
            return [], []
        if not folder and not any(frame.plane is not None for frame in frames):
            return [], []
        if not self._sequence:  # frames listed at start stood for images already loaded under their own labels
            self.frames = {}
        self.frames.update((frame.label, frame) for frame in frames)
        self._sequence = True
        return [frame.label for frame in frames], skipped

    async def action_quit(self) -> None:
        if self.screen.id == "quit-confirm":  # ctrl+q again, on the question ctrl+q asked: quit
            self.exit()
            return
        unexported = sum(self._unexported.values())  # in every results table, the archived ones too
        if unexported and self.session is not None:
            def answer(yes: bool | None) -> None:
                if yes:
                    self.exit()

            from tui.core.formatting import counted

            one = unexported == 1
            self.push_screen(ConfirmScreen(
                f"{counted(unexported, 'result')} {'was' if one else 'were'} not exported. "
                f"{'It stays' if one else 'They stay'} in the journal (aperphot-tui --resume brings "
                f"{'it' if one else 'them'} back). Quit?", yes="Quit", no="Stay", id="quit-confirm"), answer)
            return
        self.exit()
