"""The queue table's row rendering: the one-segment fast path equals rich's general path."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.strip import Strip

from critresp.widgets.queue_table import QueueTable
from critresp.widgets.safe import countdown_text, safe, tier_text

WIDTHS = [4, 13, 10, 8]


def _general(cells: list[Text]) -> list[Text]:
    """The same cells, each with an empty span: forces the general (rich) path."""
    out = []
    for c in cells:
        c2 = c.copy()
        c2.spans.append(Span(0, 0, ""))
        out.append(c2)
    return out


def _reference_line(cells: list[Text], widths: list[int], base: Style, post: Style | None, console: Console) -> Strip:
    """What the row was before it was built directly: every cell through rich, padded,
    then ``Segment.apply_style`` and ``Strip.simplify``."""
    segments: list[Segment] = []
    for cell, width in zip(cells, widths):
        segments.append(Segment(" "))
        text = cell.copy()
        if "\n" in text.plain:
            text = Text(" ").join(text.split("\n"))
        text.end = ""
        text.no_wrap = True
        text.truncate(width, overflow="ellipsis", pad=True)
        segments.extend(Text("\n").join([text]).render(console, end=""))
        segments.append(Segment(" "))
    return Strip(list(Segment.apply_style(segments, base, post))).simplify()


def test_fast_path_renders_exactly_like_the_general_path() -> None:
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    table = QueueTable([("a", "A", 4), ("b", "B", 13), ("c", "C", 10), ("d", "D", 8)])
    console = Console(width=80, color_system="truecolor")
    rows = [
        [tier_text(0), countdown_text(now - timedelta(hours=7), now, 0, "resolve"), Text("—", style="dim"),
         Text("shopper")],
        [tier_text(3), Text("x" * 30, style="bold"), safe("[bold red]hi\x1b[2J", single_line=True),
         Text("ü字宽字宽字宽", style="cyan")],
        [tier_text(2), Text(""), Text("exactly10!"), Text("a\nb")],
    ]
    rows.append([Text("same", style="bold"), Text("same", style="bold"), Text(""), Text("", style="on black")])
    # (the table's base style is never null: it is the widget's own colours)
    for base, post in ((Style(bgcolor="black"), None), (Style(), Style(bgcolor="blue", color="white")),
                       (Style(bgcolor="black"), Style(bold=True))):
        for cells in rows:
            fast = table._line(cells, WIDTHS, base, post, console=console)
            slow = table._line(_general(cells), WIDTHS, base, post, console=console)
            reference = _reference_line(cells, WIDTHS, base, post, console)
            assert list(fast) == list(slow) == list(reference)
            assert fast.cell_length == sum(w + 2 for w in WIDTHS)


def test_markup_and_escapes_in_cells_are_literal() -> None:
    table = QueueTable([("t", "Title", 30)])
    strip = table._line([safe("[bold red]x[/] \x1b[2J", single_line=True)], [30], Style(), None, console=Console())
    text = "".join(seg.text for seg in strip)
    assert "[bold red]x[/]" in text and "\x1b" not in text
