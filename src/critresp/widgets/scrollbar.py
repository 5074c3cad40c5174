"""A vertical scrollbar whose lines go to the compositor as rendered.

Performance (docs/performance.md, session 7): Textual renders a scrollbar as a rich
renderable, turned into a visual and then into lines through its styles cache: ~1.7 ms
for the queue's 40-row bar, drawn again on most filter and page keystrokes (the
page's position changes). ``DirectScrollBar`` draws the same segments
(``ScrollBarRender.render_bar``, with its click targets) one per line, the app's line
filters applied as Textual applies them, and keeps the lines for the same bar. With
any style it does not draw (tint, opacity, padding, a border...) it is Textual's own
path. ``tests/ui/test_direct_lines.py`` checks both give the same lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.color import Color
from rich.style import Style
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widget import Widget

_BACK, _BAR = Color.parse("#555555"), Color.parse("bright_magenta")  # ScrollBarRender's defaults


class DirectScrollBar(ScrollBar):
    def __init__(self, vertical: bool = True, name: str | None = None, *, thickness: int = 1) -> None:
        super().__init__(vertical, name, thickness=thickness)
        self._lines_for: tuple[object, ...] | None = None
        self._lines: list[Strip] = []

    def _plain(self) -> bool:
        """Nothing drawn around or over the bar (else Textual's styles cache draws it)."""
        styles = self.styles
        if not self.vertical or self.opacity != 1.0 or styles.text_opacity != 1.0 or styles.tint.a:
            return False
        if any(styles.padding) or any(edge for edge, _c in styles.border) or any(edge for edge, _c in styles.outline):
            return False
        return not (styles.has_rule("hatch") and styles.hatch != "none")

    def render_lines(self, crop: Region) -> list[Strip]:
        renderable = self.render() if self._plain() else None
        if type(renderable) is not ScrollBarRender or not isinstance(renderable.style, Style):
            return super().render_lines(crop)
        width, height = self.size
        style = renderable.style
        _base, background = self.background_colors
        filters = tuple(self.get_line_filters())
        key = (width, height, renderable.virtual_size, renderable.window_size, renderable.position,
               renderable.thickness, style, filters, background, self.rich_style)
        if key != self._lines_for:
            bar = renderable.render_bar(
                size=height, virtual_size=renderable.virtual_size, window_size=renderable.window_size,
                position=renderable.position, thickness=width, vertical=True,
                back_color=style.bgcolor or _BACK, bar_color=style.color or _BAR,  # (as ScrollBarRender)
            )
            lines: list[Strip] = []
            under = self.rich_style
            for segment in bar.segments[:height]:
                strip = Strip([segment], segment.cell_length).apply_style(under).adjust_cell_length(width, under)
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, background)
                lines.append(strip)
            self._lines, self._lines_for = lines, key
        lines = self._lines[crop.y: crop.bottom]
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            lines = [strip.crop(x1, x2) for strip in lines]
        return lines


def direct_vertical_scrollbar(widget: Widget) -> ScrollBar:
    """``Widget.vertical_scrollbar`` made with ``DirectScrollBar`` (as Textual makes its own)."""
    if widget._vertical_scrollbar is None:
        scroll_bar = DirectScrollBar(vertical=True, name="vertical", thickness=widget.scrollbar_size_vertical)
        widget._vertical_scrollbar = scroll_bar
        scroll_bar.display = False
        widget.app._start_widget(widget, scroll_bar)
    return widget._vertical_scrollbar
