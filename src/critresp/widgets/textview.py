"""A scrollable, read-only view of one ``rich.text.Text`` (the case timeline and side panel).

Performance (docs/performance.md, "Opening a case"): a ``Static`` inside a scroll
container changes height with every case, and Textual re-lays out a widget whose size
changed during a layout: a second frame for each open. This view keeps its own size
(it fills its place) and only its virtual height changes, set when the content is
given, before the frame. Only the lines in view are turned into strips (the Line API),
so a case with hundreds of events costs no more to show than a short one.

The text is wrapped at the view's width when it is given (hidden on a tab not shown,
at the width it last had) and again when the width changes; or it comes wrapped,
with its first rows rendered, from a worker (``wrap_text`` with the view's
``wrap_spec``: the case read ahead) and is used if the view still wraps and draws
that way. Callers pass already-safe ``Text`` (``widgets.safe``); it is rendered as
given, never parsed as markup. Mouse selection copies the text as given: a wrapped
line is not broken. The offsets a selection needs are drawn only while the mouse
is over the view or text is selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from .lines import DirectLines


class WrapSpec(NamedTuple):
    """How a view shows a text given now (``TextView.wrap_spec``): for ``wrap_text``."""

    width: int  # wrapped at
    continuation: int  # a wrapped line that is not indented continues this far in
    style: Style | None = None  # the view's style: rows rendered ahead with it ...
    rows: int = 0  # ... this many (the rows in view)
    line_width: int = 0  # ... each this wide


@dataclass(frozen=True, eq=False)
class Wrapped:
    """A text wrapped for a view: its rows, and per row the (line of the text, offset
    of its first cell there) -- selection offsets are in the text's own lines. With
    a style in its spec, its first rows are rendered too (``strips``)."""

    text: Text
    spec: WrapSpec
    lines: list[Text]
    origins: list[tuple[int, int]]
    strips: list[Strip]

    def fits(self, text: Text, width: int, continuation: int) -> bool:
        return self.text is text and self.spec.width == width and self.spec.continuation == continuation


def render_row(console: Console, line: Text, style: Style, width: int) -> Strip:
    """One wrapped row as a view draws it (without selection offsets)."""
    return Strip(line.render(console), line.cell_len).apply_style(style).crop_extend(0, width, style)


def wrap_text(console: Console, text: Text, spec: WrapSpec) -> Wrapped:
    """``text`` wrapped into rows of ``spec.width`` cells, as a ``TextView`` shows it,
    and its first ``spec.rows`` rows rendered with ``spec.style``.

    An indented line (an event's body) wraps under its own indent; a line that is
    not indented continues ``spec.continuation`` columns in. Touches no widget: a
    worker wraps a case's texts ahead of an open (the console is only read)."""
    width, continuation = spec.width, spec.continuation
    lines: list[Text] = []
    origins: list[tuple[int, int]] = []
    source = text.split("\n", allow_blank=True)
    if source and not source[-1].plain and text.plain.endswith("\n"):
        source.pop()  # the trailing newline ends the last line; it does not open another
    for y, src in enumerate(source):
        plain = src.plain
        # an indented line (an event's body) wraps under its own indent
        indent = len(plain) - len(plain.lstrip(" "))
        if not 0 < indent <= width // 3 or indent == len(plain):
            indent = 0
        if indent:
            # the indent's columns point at the source columns just before each
            # row (the real indent, for the first row)
            pad = Text(" " * indent, style=src.get_style_at_offset(console, 0))
            _wrap_rows(console, y, src, indent, pad, width, lines, origins)
        elif 0 < continuation <= width // 3 and src.cell_len > width:
            # not indented, wrapped: the first row at the full width, the rest
            # ``continuation`` columns in
            first, *rest = src.wrap(console, width, overflow="fold")
            lines.append(first)
            origins.append((y, 0))
            if rest:
                after = len(first.plain)
                rest_at = plain.find(rest[0].plain, after) if rest[0].plain else after
                _wrap_rows(console, y, src, max(rest_at, after),  # (-1: a tab expanded by the wrap)
                           Text(" " * continuation), width, lines, origins)
        else:
            _wrap_rows(console, y, src, 0, Text(), width, lines, origins)
    strips: list[Strip] = []
    if spec.style is not None:
        strips = [render_row(console, line, spec.style, spec.line_width) for line in lines[: spec.rows]]
    return Wrapped(text, spec, lines, origins, strips)


def _wrap_rows(console: Console, y: int, src: Text, at: int, pad: Text, width: int,
               lines: list[Text], origins: list[tuple[int, int]]) -> None:
    """Source line ``y`` from column ``at`` on, wrapped into rows of ``width``,
    each after ``pad``. Each row's origin is the source column its first cell
    stands for (the pad's cells: the columns just before the row's text), so a
    selection copies the text as given."""
    body = src[at:] if at else src
    text_, pos = body.plain, 0
    for piece in body.wrap(console, width - len(pad), overflow="fold") or [Text()]:
        start = text_.find(piece.plain, pos) if piece.plain else pos
        if start < 0:  # (a tab expanded by the wrap) keep counting from here
            start = pos
        lines.append(pad + piece if pad else piece)
        origins.append((y, at + start - len(pad)))
        pos = start + len(piece.plain)


class TextView(DirectLines, ScrollView, can_focus=True):
    DEFAULT_CSS = """
    TextView {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, content: Text | str = "", *, continuation_indent: int = 0,
                 id: str | None = None, classes: str | None = None) -> None:
        """``continuation_indent``: a line that is not indented and wraps continues this
        many columns in (an event's header line under its time, not at column 0)."""
        super().__init__(id=id, classes=classes)
        self._continuation = max(0, continuation_indent)
        self._text = content if isinstance(content, Text) else Text(content)
        self._lines: list[Text] = []  # the wrapped lines
        # per wrapped line: (line of the text it comes from, offset of its first character
        # there) -- selection offsets are in the text's own lines, not the wrapped ones
        self._origins: list[tuple[int, int]] = []
        self._wrap_width = 0  # the width the lines were wrapped at (0: not yet)
        self._strips: dict[int, Strip] = {}
        self._offsets = False  # the strips kept carry selection offsets
        self._line_style = Style()
        self._selection: Selection | None = None
        self._scroll_y = 0
        self._view_width = 0

    @property
    def content(self) -> Text:
        """The text shown (as given)."""
        return self._text

    @property
    def shown_lines(self) -> list[str]:
        """The wrapped lines, as plain text."""
        return [line.plain for line in self._lines]

    def update(self, content: Text | str, wrapped: Wrapped | None = None) -> None:
        """Show ``content``. ``wrapped``: the same text wrapped ahead (``wrap_text``, on
        a worker's thread), used if it was wrapped at this view's width and indent."""
        self._text = content if isinstance(content, Text) else Text(content)
        # hidden (a tab not shown) the view is 0 wide: wrapped at the width it last had
        self._wrap(self._width() or self._wrap_width, wrapped)
        self.refresh()

    def wrap_spec(self) -> WrapSpec | None:
        """How a text given now would be wrapped and drawn (for ``wrap_text`` on a
        worker's thread); None before the view was first sized."""
        width = self._width() or self._wrap_width
        if width <= 0 or not self.is_mounted:
            return None
        return WrapSpec(width, self._continuation, self.rich_style, self.size.height, self.size.width)

    def _width(self) -> int:
        return self.scrollable_content_region.width

    def _wrap(self, width: int, wrapped: Wrapped | None = None) -> None:
        self._strips.clear()
        if width <= 0 or not self.is_mounted:
            # never sized yet: nothing of any earlier text stays; wrapped at the first resize
            self._lines, self._origins = [], []
            self.virtual_size = Size(0, 0)
            return
        if wrapped is None or not wrapped.fits(self._text, width, self._continuation):
            wrapped = wrap_text(self.app.console, self._text, WrapSpec(width, self._continuation))
        elif (wrapped.strips and wrapped.spec.line_width == self.size.width and self.text_selection is None
              and wrapped.spec.style == self.rich_style):
            # its rows in view rendered ahead, as render_line renders them: kept as
            # its own (dropped with the rest on a style or offsets change)
            for index, strip in enumerate(wrapped.strips):
                if self._offsets:
                    source_y, origin = wrapped.origins[index]
                    strip = strip.apply_offsets(origin, source_y)
                self._strips[index] = strip
        self._lines, self._origins = wrapped.lines, wrapped.origins
        self._wrap_width = width
        # another case's text of another length: no re-layout of the screen unless its
        # scrollbar appears or goes (``DirectLines._set_virtual_size``)
        self._set_virtual_size(Size(width, len(wrapped.lines)))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # the strips carry the old colours

    def on_resize(self) -> None:
        self._strips.clear()  # cut to the view's width
        width = self._width()
        if width > 0 and width != self._wrap_width:
            self._wrap(width)
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        # looked up once per render, not per line (``rich_style`` walks the ancestors)
        self._line_style = self.rich_style
        self._selection = self.text_selection
        self._scroll_y = self.scroll_offset.y
        self._view_width = self.size.width
        # Selection offsets (which source column each cell shows) only while the mouse
        # is over the view or text is selected: a selection starts with the mouse here.
        # Performance (docs/performance.md, session 7): ~2 ms of each case opened.
        offsets = self._selection is not None or self.is_mouse_over
        if offsets != self._offsets:
            self._offsets = offsets
            self._strips.clear()
        return super().render_lines(crop)

    def on_enter(self, event: events.Enter) -> None:
        if not self._offsets:
            self.refresh()  # drawn again with the offsets a selection needs

    def render_line(self, y: int) -> Strip:
        index = self._scroll_y + y
        strip = self._strips.get(index)  # overflow-x is hidden: no horizontal offset
        if strip is not None:
            return strip
        width = self._view_width
        rich_style = self._line_style
        if index >= len(self._lines):
            return Strip.blank(width, rich_style)
        line = self._lines[index]
        source_y, origin = self._origins[index]
        selection = self._selection
        strip = None
        if selection is not None and (span := selection.get_span(source_y)) is not None:
            start = max(0, span[0] - origin)
            end = len(line) if span[1] == -1 else min(len(line), span[1] - origin)
            if end > start:
                line = line.copy()
                line.stylize(self.screen.get_component_rich_style("screen--selection"), start, end)
                strip = render_row(self.app.console, line, rich_style, width)
        if strip is None:
            strip = render_row(self.app.console, line, rich_style, width)
        if self._offsets:
            strip = strip.apply_offsets(origin, source_y)
        if selection is None:
            self._strips[index] = strip
        return strip

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract(self._text.plain), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._strips.clear()
        self.refresh()
