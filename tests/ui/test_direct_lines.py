"""The queue table and the text views hand their lines to the compositor directly
(``widgets.lines.DirectLines``): the lines equal what Textual's styles-cache pass
makes of them, and with a box style set Textual's own pass is used."""

from __future__ import annotations

from textual.widget import Widget

from critresp.widgets.lines import DirectLines
from critresp.widgets.queue_table import QueueTable
from critresp.widgets.textview import TextView

from .helpers import open_case, settle, toggle_theme

SIZE = (120, 40)


def _textual_lines(widget: Widget, crop) -> list:  # type: ignore[no-untyped-def]
    """The lines Textual's own path renders for ``widget`` (nothing kept)."""
    widget._styles_cache.clear()
    return list(Widget.render_lines(widget, crop))  # type: ignore[arg-type]


def _check(widget: DirectLines) -> int:
    region = widget.size.region
    crops = [region, region.crop_size((region.width, max(1, region.height // 2))),
             region.shrink((0, 3, 0, 5))]  # a column span too
    for crop in crops:
        assert widget.render_lines(crop) == _textual_lines(widget, crop), (type(widget).__name__, crop)
    return region.height


async def test_direct_lines_equal_textual_styled_lines(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        assert not table._has_box_styles()
        assert _check(table) > 10
        await pilot.press("down", "down")  # the cursor row
        await settle(pilot)
        _check(table)
        case = await open_case(pilot)
        views = list(case.query(TextView))
        assert len(views) >= 2
        for view in views:
            if view.size.height:
                assert not view._has_box_styles()
                assert _check(view) > 5


async def test_a_box_style_takes_textual_own_path(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        table.styles.padding = (0, 2)
        table.styles.border = ("round", "red")
        await settle(pilot)
        assert table._has_box_styles()
        region = table.size.region
        lines = table.render_lines(region)
        assert lines == _textual_lines(table, region)
        assert "╭" in lines[0].text  # the border is drawn


async def test_an_opaque_screen_repeats_its_blank_line(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_case(pilot)
        for screen in (app.screen, app.screen_stack[0]):
            region = screen.size.region
            for crop in (region, region.shrink((2, 5, 3, 7))):
                mine = screen.render_lines(crop)
                assert mine == _textual_lines(screen, crop)
                assert len(mine) == crop.height
        # after a theme change the line is rendered again
        line = app.screen.render_lines(app.screen.size.region)[0]
        toggle_theme(app)
        await settle(pilot)
        assert app.screen.render_lines(app.screen.size.region)[0] != line


def _bar_lines_both_ways(bar) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    region = bar.size.region
    return bar.render_lines(region), _textual_lines(bar, region)


async def test_the_direct_scrollbar_draws_textual_lines_and_still_scrolls(make_app) -> None:
    from critresp.widgets.scrollbar import DirectScrollBar

    app = make_app()
    async with app.run_test(size=(120, 16)) as pilot:  # more rows than fit
        await settle(pilot)
        await pilot.press("a")  # all cases: more rows than fit
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        bar = table.vertical_scrollbar
        assert isinstance(bar, DirectScrollBar) and bar.display and bar.size.height > 5
        mine, textual = _bar_lines_both_ways(bar)
        assert bar._lines_for is not None  # drawn by the direct path, not Textual's
        assert mine == textual and len(mine) == bar.size.height
        # the thumb moves with the rows: drawn again, still Textual's lines
        await pilot.press("end")
        await settle(pilot)
        moved, textual = _bar_lines_both_ways(bar)
        assert moved == textual and moved != mine
        # hovered (another colour): still the same lines
        await pilot.hover(bar)
        await settle(pilot)
        hovered, textual = _bar_lines_both_ways(bar)
        assert hovered == textual
        app.theme = "textual-light"  # other colours: drawn again
        await settle(pilot)
        light, textual = _bar_lines_both_ways(bar)
        assert light == textual and light != hovered
        # a click above the thumb still scrolls up (its click targets are drawn)
        y_before = table.scroll_offset.y
        assert y_before > 0
        await pilot.click(bar, offset=(0, 0))
        await settle(pilot)
        assert table.scroll_offset.y < y_before
        # a case's text views use it too
        case = await open_case(pilot)
        assert all(isinstance(view.vertical_scrollbar, DirectScrollBar) for view in case.query(TextView))
