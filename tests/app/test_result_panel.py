"""The result panel under CALCULATE: the Imviz fields, then the current plugin's ten under "robust" and "shape"
(issue 20), whole as the panel holds them (it scrolls at 80x24); and why a refused calculation measured nothing."""

import io

from rich.console import Console

from tests.app.conftest import press_and_settle, ready, type_text
from tests.conftest import over_subtracted_files
from tui.core.formatting import value_text


def panel_text(app) -> str:
    console = Console(width=80, file=io.StringIO(), record=True, color_system=None)
    console.print(app.query_one("#result-body").content)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


async def calculate(app, pilot):
    await ready(app, pilot)
    await press_and_settle(app, pilot, "f5")


async def test_the_ten_sit_under_their_headings_after_the_imviz_fields(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await calculate(app, pilot)
        row = app.session.result_rows[-1]
        lines = panel_text(app).splitlines()
        robust, shape = lines.index("── robust ──"), lines.index("── shape ──")
        assert any(line.startswith("max ") for line in lines[:robust])  # the Imviz statistics come first
        for name in ("mode", "mad_std", "var", "biweight_location", "biweight_midvariance"):
            assert any(line.split() == [name, *value_text(name, row[name]).split()] for line in lines[robust:shape])
        for name in ("fwhm", "semimajor_axis", "semiminor_axis", "orientation", "eccentricity"):
            assert any(line.split() == [name, *value_text(name, row[name]).split()] for line in lines[shape:])


async def test_an_aperture_whose_moments_describe_no_shape_gets_one_line_not_five_nans(make_app, tmp_path):
    """An over-subtracted core in a ring of light: a covariance that is not positive semidefinite (photutils 3.1
    gives NaN for all five), while its robust statistics stand."""
    images, regions = over_subtracted_files(tmp_path)
    app = make_app(images=images, regions=regions)
    async with app.run_test(size=(80, 24)) as pilot:
        await calculate(app, pilot)
        lines = panel_text(app).splitlines()
        shape = lines.index("── shape ──")
        assert lines[shape + 1].split() == ["none", "the", "moments", "describe", "no", "shape"]
        assert not any("nan" in line for line in lines[shape:])
        assert any(line.startswith("mad_std ") and "nan" not in line for line in lines)


async def test_a_refused_calculation_says_why_where_the_result_would_be(make_app):
    """Once the toast has gone, the panel must not show an earlier subset's result as if it were this one's; a
    field's problem stays on the field's own line, not said twice."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await calculate(app, pilot)
        assert panel_text(app).startswith("#1  Star A on ")
        await pilot.press("ctrl+n")
        await pilot.pause()
        for name, value in (("f-x", "5000"), ("f-y", "70"), ("f-label", "far")):
            app.screen.query_one(f"#{name}").focus()
            await type_text(pilot, value)
        await pilot.press("enter")
        await pilot.pause()
        # said when added: the typo is caught before F5
        assert any("far, the selected subset, but it lies wholly outside jwst_nircam_demo[SCI,1] (256x256 pixels"
                   in n.message for n in app._notifications)
        await press_and_settle(app, pilot, "f5")
        lines = panel_text(app).splitlines()
        assert lines[0] == "Not calculated"
        assert "far on jwst_nircam_demo[SCI,1] is outside the image" in " ".join(lines)
        assert len(app.session.result_rows) == 1 and app.query_one("#results").row_count == 1

        app.session.select_subset("Star A")
        await press_and_settle(app, pilot, "f5")
        assert panel_text(app).startswith("#2  Star A on ")
        app.query_one("#background").focus()
        await type_text(pilot, "abc")
        await press_and_settle(app, pilot, "f5")
        assert panel_text(app).startswith("#2  Star A on ")  # the field's line says it
        assert "'abc' is not a number" in str(app.query_one("#field-error").content)
        assert len(app.session.result_rows) == 2
