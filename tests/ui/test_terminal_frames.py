"""What the terminal shows equals a full render of the screen after every step.

The screens skip some of Textual's repaints (docs/performance.md): the whole-screen
repaint when focus moves, the queue table's rows when only its cursor row's style
changed, the screen under an opaque one. Each update the app sends to the terminal
is applied here to a grid of cells -- as a terminal would apply it -- and after each
key the grid is compared with the screen rendered whole, cell by cell (character and
style): a region left unpainted would still show what was there before.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import Strip
from textual.widgets import Input

from critresp.screens.case import CaseScreen
from critresp.screens.queue import QueueScreen
from critresp.screens.reply import ReplyScreen
from critresp.widgets.queue_table import QueueTable
from critresp.widgets.textview import TextView

from .helpers import settle

SIZE = (120, 40)

Cell = tuple[str, "Style | None"]


class Terminal:
    """A grid of cells that Textual's compositor updates are written to."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]

    def write(self, x: int, y: int, strip: Strip) -> None:
        if not 0 <= y < self.height:
            return
        row = self.cells[y]
        for segment in strip:
            if segment.control:
                continue
            for ch in segment.text:
                width = cell_len(ch)
                if 0 <= x < self.width:
                    row[x] = (ch, segment.style)
                if width == 2 and 0 <= x + 1 < self.width:
                    row[x + 1] = ("", segment.style)
                x += width

    def apply(self, update: object) -> None:
        """As ``LayoutUpdate.render_segments`` / ``ChopsUpdate.render_segments`` would."""
        if isinstance(update, LayoutUpdate):
            for y, line in enumerate(update.strips, update.region.y):
                x = update.region.x
                for strip in line:
                    self.write(x, y, strip)
                    x += strip.cell_length
        elif isinstance(update, ChopsUpdate):
            for y, x1, x2 in update.spans:
                for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items()):
                    if strip is None or x > x2 or end <= x1:
                        continue
                    if not (x2 > x >= x1 and end <= x2):
                        strip = strip.crop(0, min(end, x2) - x)
                    self.write(x, y, strip)
        elif update is not None:
            raise AssertionError(f"unexpected update {update!r}")

    def text(self, y: int) -> str:
        return "".join(ch for ch, _style in self.cells[y])


def _whole(app) -> Terminal:  # type: ignore[no-untyped-def]
    """The screen rendered whole, every line rendered afresh: Textual keeps each
    widget's rendered content and lines until a refresh marks them, and the queue
    table, the text views and the screen keep their own (keyed by what they show)."""
    screen = app.screen
    screen.__dict__.pop("_blank_line", None)
    for widget in screen.walk_children(with_self=True):
        widget._styles_cache.clear()
        widget._dirty_regions.add(widget.size.region)  # its content rendered again
        widget._rich_style_cache.clear()
        if isinstance(widget, (QueueTable, TextView)):
            widget._strips.clear()
        if isinstance(widget, QueueTable):
            widget._styles = widget._previous_styles = None
            widget._finals.clear()
    grid = Terminal(*SIZE)
    for y, strip in enumerate(screen._compositor.render_strips()):
        grid.write(0, y, strip)
    return grid


def _stale_lines(shown: Terminal, whole: Terminal) -> list[str]:
    out = []
    for y in range(shown.height):
        if shown.cells[y] != whole.cells[y]:
            diff = next(x for x in range(shown.width) if shown.cells[y][x] != whole.cells[y][x])
            out.append(f"line {y} col {diff}: shown {shown.cells[y][diff]!r} / whole {whole.cells[y][diff]!r}\n"
                       f"  shown: {shown.text(y)!r}\n  whole: {whole.text(y)!r}")
    return out


async def test_the_terminal_shows_the_whole_screen_after_every_key(make_app) -> None:
    app = make_app()
    terminal = Terminal(*SIZE)
    display = app._display

    def spy(screen, update):  # type: ignore[no-untyped-def]
        terminal.apply(update)
        return display(screen, update)

    app._display = spy
    steps = [
        ("queue", []),
        ("search box", ["slash"]),
        ("search typed", ["s", "h", "o"]),
        ("search entered: results focused", ["enter"]),
        ("search box focused again", ["slash"]),  # focus moves, nothing is laid out
        ("same search entered: results focused", ["enter"]),
        ("cursor moved", ["down", "down"]),
        ("filter toggled", ["1"]),
        ("filter toggled back", ["1"]),
        ("case opened", ["enter"]),
        ("focus moved", ["tab"]),
        ("focus moved again", ["tab"]),
        ("focus moved back", ["shift+tab"]),
        ("note form", ["n"]),
        ("note form closed", ["escape"]),
        ("reply composer", ["r"]),
        ("reply: focus moved", ["tab"]),
        ("reply: focus moved again", ["tab"]),
        ("reply: focus moved back", ["shift+tab"]),
        ("reply closed", ["escape"]),
        ("back to the queue", ["escape"]),
        ("another case", ["down", "enter"]),
        ("back again", ["escape"]),
    ]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen_screens = set()
        for name, keys in steps:
            for key in keys:
                await pilot.press(key)
            for box in app.screen.query(Input):
                box.cursor_blink = False  # a blinking cursor changes between frames by design
            await settle(pilot)
            await pilot.pause()
            if app.screen is not app.screen_stack[0] and not isinstance(app.screen, (QueueScreen, CaseScreen,
                                                                                      ReplyScreen)):
                continue  # a modal over a screen: compared once it is closed
            seen_screens.add(type(app.screen).__name__)
            stale = _stale_lines(terminal, _whole(app))
            assert not stale, f"after {name!r} ({type(app.screen).__name__}, focus {app.focused!r}):\n" + "\n".join(stale[:5])
        assert seen_screens == {"QueueScreen", "CaseScreen", "ReplyScreen"}
