"""Line-API widgets whose lines go to the compositor as they render them.

Performance (docs/performance.md, session 6): Textual passes every line a widget
renders through its styles cache (``_styles_cache.StylesCache.render_line``), which
draws borders, padding, outlines, tint, opacity and hatching around it. For a widget
with none of those the line comes out as it went in, copied into a new ``Strip``;
the pass still reads a dozen style properties per line. The queue table and the text
views have no box styles, render ~40-90 lines a frame, and keep their own rendered
lines (keyed by what they show), so for them that pass was a third of a case-open
frame. ``DirectLines.render_lines`` hands their lines over as rendered (with the left /
right padding and borders the text views have, drawn as Textual draws them) and the
app's line filters applied as Textual applies them; with any other box style set it
is Textual's own path. ``tests/ui/test_direct_lines.py`` checks both give the same
lines (Textual is pinned exactly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from textual._border import get_box
from textual._segment_tools import make_blank
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.style import Style

from .scrollbar import direct_vertical_scrollbar

if TYPE_CHECKING:
    from textual.scrollbar import ScrollBar
    from textual.widget import Widget

    _Base = Widget
else:
    _Base = object


class DirectLines(_Base):
    """Mixin, first in the bases of a Line-API widget (``render_line``) that keeps its
    own line cache. Left / right padding and borders are drawn here as the styles
    cache draws them; anything else takes Textual's own path. Its vertical scrollbar
    draws its lines directly too (``widgets.scrollbar``)."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        return direct_vertical_scrollbar(self)  # type: ignore[arg-type]

    def _set_virtual_size(self, size: Size) -> None:
        """Set the widget's virtual size; if only its height changes and nothing around
        the widget can move for it, without a layout pass of the whole screen.

        Nothing moves when the widget's own height does not come from its content (not
        ``height: auto``), the width is the same and the vertical scrollbar neither
        appears nor goes. Then what Textual's layout pass would do for the new virtual
        size is done here -- the scrollbar's range and the scroll offset's bounds
        (``Widget._scroll_update``) -- and the change is drawn in the next frame: no
        layout pass (~2-4 ms of a case opened or a search with fewer rows than a page)
        and no follow-up frame for the scrollbar, which the layout pass updates after
        drawing it (docs/performance.md, sessions 8 and 10; tests/ui/test_queue_table.py,
        tests/ui/test_textview.py). Otherwise Textual's own path (a layout pass)."""
        current = self.virtual_size
        if size == current:
            return
        styles = self.styles
        height = styles.height
        container = self.container_size
        overflow = styles.overflow_y
        if (size.width == current.width and container and height is not None and not height.is_auto
                and (overflow == "scroll" or (
                    overflow == "auto" and (size.height > container.height) == self.show_vertical_scrollbar))):
            self.set_reactive(type(self).virtual_size, size)  # type: ignore[arg-type]
            self._scroll_update(size)
            self.refresh()
            return
        self.virtual_size = size

    def _has_box_styles(self) -> bool:
        """A style this path does not draw (then Textual's styles cache draws the lines)."""
        styles = self.styles
        if self.BLANK or self.opacity != 1.0 or styles.text_opacity != 1.0 or styles.tint.a:
            return True
        padding = styles.padding
        if padding.top or padding.bottom:
            return True
        (top, _c1), _right, (bottom, _c2), _left = styles.border
        if top or bottom or any(edge for edge, _color in styles.outline):
            return True
        if styles.has_rule("hatch") and styles.hatch != "none":
            return True
        hover = self.hover_style
        return bool(self.auto_links and hover._link_id and hover._meta and "@click" in hover.meta)

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._has_box_styles():
            return super().render_lines(crop)  # type: ignore[misc]
        styles = self.styles
        width = self.region.width
        base, background = self.background_colors
        inner, outer = Style(background=base + background), Style(background=base)
        fill = inner.rich_style
        _top, pad_right, _bottom, pad_left = styles.padding
        _t, (border_right, right_color), _b, (border_left, left_color) = styles.border
        before: list[Segment] = []
        after: list[Segment] = []
        if border_left:
            before.append(get_box(border_left, inner, outer, Style(foreground=base + left_color))[1][0])
        if pad_left:
            before.append(make_blank(pad_left, fill))
        if pad_right:
            after.append(make_blank(pad_right, fill))
        if border_right:
            after.append(get_box(border_right, inner, outer, Style(foreground=base + right_color))[1][2])
        content_width = self.content_region.width
        filters = self.get_line_filters()
        render_line = self.render_line
        strips: list[Strip] = []
        for y in crop.line_range:
            strip = render_line(y).adjust_cell_length(content_width, fill)
            if before or after:
                strip = Strip([*before, *strip, *after], width)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips
