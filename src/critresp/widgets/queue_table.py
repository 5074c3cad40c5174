"""The queue table: one keyset page of rows, rendered line by line.

Performance (docs/performance.md): Textual's ``DataTable`` keeps a row object,
per-cell render caches and location maps for every row, and one cell update
invalidates every cached cell (its cache key holds an update counter), so a page
swap or a one-second countdown tick re-rendered the whole visible table through
rich's layout code. This widget is a ``ScrollView`` on the Line API instead:

- ``set_rows`` stores the page's keys and a cell builder and refreshes; a row's
  cells are built when it is first shown;
- ``render_line`` turns one visible row into a ``Strip``, cached per row by its
  content version, width, cursor and stripe (and the cursor style, for the cursor row), so moving the cursor or
  updating one countdown re-renders one or two rows, not the table;
- the header line stays on top while rows scroll under it.

The cells are ``rich.text.Text`` built by the screen from untrusted data (see
``widgets.safe``): they are rendered as text, never parsed as markup.
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .lines import DirectLines

Column = tuple[str, str, "int | None"]  # key, label, width (None: takes the remaining width)


class RowSpec(NamedTuple):
    """How the table draws its rows now (``QueueTable.row_spec``): rows rendered off
    the UI thread with it (``render_rows``) are used while it still holds."""

    width: int
    widths: tuple[int, ...]
    base: Style
    even: Style
    zebra: bool
    rows: int  # rows in view


_MISSING = object()
MIN_FLEX_WIDTH = 20
PAD = 1  # blank cells either side of every column


class QueueTable(DirectLines, ScrollView, can_focus=True):
    """A row-cursor table over one page, asking for the next / previous page at its edges."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Next row", show=False, id="queue.down"),
        Binding("k,up", "cursor_up", "Previous row", show=False, id="queue.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="queue.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="queue.page_up"),
        Binding("g,home", "first_row", "First row of page", show=False, id="queue.top"),
        Binding("G,end", "last_row", "Last row of page", show=False, id="queue.bottom"),
    ]

    COMPONENT_CLASSES = {"queue-table--header", "queue-table--cursor", "queue-table--even-row"}

    DEFAULT_CSS = """
    QueueTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        /* the scrollbar always shows: a page that fits the screen (a narrow search)
           and one that does not keep the same columns, and switching between them
           needs no second layout pass for the scrollbar to appear or go */
        overflow-y: scroll;
        /* focus shows on the cursor row only (a focus tint would repaint every row) */
        &:focus > .queue-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        &:dark > .queue-table--even-row { background: $surface-darken-1 40%; }
        & > .queue-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .queue-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .queue-table--even-row { background: $surface-lighten-1 50%; }
        & > .queue-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class EdgeReached(Message):
        """The cursor tried to move past the loaded page."""

        def __init__(self, direction: str) -> None:
            super().__init__()
            self.direction = direction  # "next" | "prev"

    class CursorMoved(Message):
        """The associate moved the cursor to another row (not posted for a new page)."""

        def __init__(self, row_key: str) -> None:
            super().__init__()
            self.row_key = row_key

    class RowSelected(Message):
        """A click on the cursor row (or a double click). Enter is the screen's ``queue.open``."""

        def __init__(self, table: "QueueTable", row_key: str, cursor_row: int) -> None:
            super().__init__()
            self.table = table
            self.row_key = row_key
            self.cursor_row = cursor_row

        @property
        def control(self) -> "QueueTable":
            return self.table

    def __init__(
        self, columns: Sequence[Column], *, zebra_stripes: bool = True,
        name: str | None = None, id: str | None = None, classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: tuple[Column, ...] = tuple(columns)
        self._col_index = {key: i for i, (key, _label, _w) in enumerate(self.columns)}
        self.zebra_stripes = zebra_stripes
        self._keys: list[str] = []
        self._cells: list[list[Text] | None] = []  # None: not built yet (built when first shown)
        self._make_cells: Callable[[int], Sequence[Text]] = lambda i: ()
        self._version: list[int] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._styles: dict[str, Style] | None = None
        self._previous_styles: dict[str, Style] | None = None  # until the next look-up
        self._text_styles: dict[str, Style] = {}  # cell style strings, parsed once
        # (base, post) -> {cell style: base + cell style + post}, as rich's apply_style combines them
        self._finals: dict[tuple[Style, Style | None], dict[Style | None, Style | None]] = {}
        self._generation = 0  # bumped when styles change: old strips are never reused
        self._widths_for: tuple[int, tuple[int, ...]] = (-1, ())  # (table width, column widths)

    # ------------------------------------------------------------------ data
    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_row(self) -> int:
        return self._cursor if self._keys else 0

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self._cursor] if self._keys and 0 <= self._cursor < len(self._keys) else None

    def has_row(self, key: str) -> bool:
        return key in self._index

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def _row(self, index: int) -> list[Text]:
        cells = self._cells[index]
        if cells is None:
            cells = self._cells[index] = list(self._make_cells(index))
        return cells

    def get_cell(self, key: str, column: str) -> Text:
        return self._row(self._index[key])[self._col_index[column]]

    def built_cell(self, key: str, column: str) -> Text | None:
        """The cell if its row was built (shown) already, else None (it will be built fresh)."""
        i = self._index.get(key)
        if i is None or self._cells[i] is None:
            return None
        return self._cells[i][self._col_index[column]]  # type: ignore[index]

    def set_rows(self, keys: Sequence[str], make_cells: Callable[[int], Sequence[Text]], cursor_row: int = 0,
                 ready: Mapping[int, tuple[list[Text], Strip | None]] | None = None,
                 ready_spec: RowSpec | None = None) -> None:
        """Replace the page: ``keys`` in order, ``make_cells(i)`` builds row i's cells.

        Rows are built when first rendered (or asked for), so a page swap costs
        the rows on screen, not the whole page. ``ready``: rows built (and rendered,
        with ``ready_spec``) ahead, on a worker's thread: row index -> (cells, strip
        or None); the strips are used if the table still draws as ``ready_spec``
        says (never for the cursor's row)."""
        keys = list(keys)
        self._keys = keys
        self._cells = [None] * len(keys)
        self._make_cells = make_cells
        self._index = {k: i for i, k in enumerate(keys)}
        # a new page may reuse a key with other cells: versions restart above any cached one
        self._generation += 1
        self._version = [0] * len(keys)
        self._cursor = max(0, min(cursor_row, len(keys) - 1)) if keys else 0
        if ready:
            spec = self.row_spec()
            use_strips = ready_spec is not None and spec is not None and spec[:5] == ready_spec[:5]
            widths = spec.widths if spec is not None else ()
            for index, (cells, strip) in ready.items():
                if not 0 <= index < len(keys):
                    continue
                self._cells[index] = cells
                if use_strips and strip is not None and index != self._cursor:
                    self._strips[self._row_key(index, widths, False, None)] = strip
        self._update_virtual_size()
        self.refresh()
        self._scroll_cursor_visible(center=False)

    def update_cell(self, key: str, column: str, cell: Text) -> None:
        i = self._index[key]
        self._row(i)[self._col_index[column]] = cell
        self._version[i] += 1
        self.refresh_line(i + 1)

    def move_cursor(self, *, row: int, animate: bool = False) -> None:  # noqa: ARG002 - DataTable's signature
        if not self._keys:
            return
        row = max(0, min(row, len(self._keys) - 1))
        if row == self._cursor:
            self._scroll_cursor_visible()
            return
        old = self._cursor
        self._cursor = row
        self.refresh_line(old + 1)
        self.refresh_line(row + 1)
        self.post_message(self.CursorMoved(self._keys[row]))
        self._scroll_cursor_visible()

    # ------------------------------------------------------------------ geometry
    def _widths(self, total: int) -> tuple[int, ...]:
        if self._widths_for[0] != total:
            self._widths_for = (total, self._compute_widths(total))
        return self._widths_for[1]

    def _compute_widths(self, total: int) -> tuple[int, ...]:
        # the vertical scrollbar always shows (overflow-y: scroll): the rows fit beside
        # it, so no horizontal scrollbar while the terminal is wide enough for them
        total -= self.styles.scrollbar_size_vertical
        fixed = sum(w + 2 * PAD for _k, _l, w in self.columns if w is not None)
        flex = [i for i, (_k, _l, w) in enumerate(self.columns) if w is None]
        out = [w or 0 for _k, _l, w in self.columns]
        if flex:
            share = max(MIN_FLEX_WIDTH, total - fixed - 2 * PAD * len(flex)) // len(flex)
            for i in flex:
                out[i] = max(MIN_FLEX_WIDTH, share)
        return tuple(out)

    def _update_virtual_size(self) -> None:
        # a row count that changes (a search or filter with fewer rows than a page, or
        # back) needs no re-layout: the scrollbar always shows (``DirectLines._set_virtual_size``)
        width = sum(w + 2 * PAD for w in self._widths(self.size.width))
        self._set_virtual_size(Size(width, len(self._keys) + 1))

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_visible(center=False)

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_visible(self, center: bool = False) -> None:  # noqa: ARG002
        if not self._keys:
            self.scroll_to(y=0, animate=False, immediate=True)
            return
        height = self._visible_rows()
        y = self.scroll_offset.y
        if self._cursor < y:
            y = self._cursor
        elif self._cursor >= y + height:
            y = self._cursor - height + 1
        if y != self.scroll_offset.y:
            self.scroll_to(y=y, animate=False, immediate=True)

    # ------------------------------------------------------------------ rendering ahead
    def row_spec(self) -> RowSpec | None:
        """How rows are drawn now (None before the table was sized)."""
        width = self.size.width
        if not self.is_mounted or width <= 0:
            return None
        styles = self._style_set()
        return RowSpec(width, self._widths(width), styles["base"], styles["even"], self.zebra_stripes,
                       self._visible_rows())

    def render_rows(self, spec: RowSpec, rows: Mapping[int, Sequence[Text]]) -> dict[int, Strip]:
        """Rows (index -> cells) rendered as ``render_line`` renders them off the
        cursor. Touches no widget state but the style caches: runs on a worker's
        thread (the queue's read ahead of a page)."""
        console = self.app.console
        return {
            index: self._line(cells, spec.widths, spec.even if spec.zebra and index % 2 == 1 else spec.base,
                              None, console)
            for index, cells in rows.items()
        }

    # ------------------------------------------------------------------ rendering
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._restyle()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self._restyle()
        self._refresh_cursor_line()

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self._restyle()
        self._refresh_cursor_line()

    def _restyle(self) -> None:
        """The styles are looked up again at the next render. Rows already rendered
        are kept unless the rows' own styles changed: focus changes the cursor row's
        style only (which is in that row's cache key), and re-rendering every row on a
        focus change was most of a ~20 ms frame."""
        if self._styles is not None:
            self._previous_styles = self._styles
        self._styles = None

    def _refresh_cursor_line(self) -> None:
        if self._keys:
            self.refresh_line(self._cursor + 1)

    def _style_set(self) -> dict[str, Style]:
        if self._styles is None:
            base = self.rich_style
            self._styles = styles = {
                "base": base,
                "header": base + self.get_component_rich_style("queue-table--header"),
                "even": base + self.get_component_rich_style("queue-table--even-row"),
                "cursor": self.get_component_rich_style("queue-table--cursor"),
            }
            previous = self._previous_styles
            if previous is None or any(previous[k] != styles[k] for k in ("base", "header", "even")):
                self._generation += 1  # (a theme change) no strip made before is used again
            self._previous_styles = None
        return self._styles

    def _line(
        self, cells: Sequence[Text], widths: Sequence[int], base: Style, post: Style | None,
        console: Console | None = None,
    ) -> Strip:
        """One row as one ``Strip``: each cell padded or cut to its width, with ``PAD``
        blank cells either side, ``base`` under every style and ``post`` over it.

        The result equals rich's ``Segment.apply_style(segments, base, post)`` followed
        by ``Strip.simplify()`` (tested against them); it is built directly, with the
        combined styles kept per (base, post), because a filter or page keystroke
        renders ~45 new rows and those two passes were most of the row's cost."""
        console = console or self.app.console
        finals = self._finals.get((base, post))
        if finals is None:
            if len(self._finals) >= 64:  # old themes / focus states
                self._finals.clear()
            finals = self._finals[(base, post)] = {}
        styles = self._text_styles
        segments: list[Segment] = []
        run: list[str] = []
        run_style: Style | None = None

        def put(text: str, style: Style | None) -> None:
            nonlocal run_style
            final = finals.get(style, _MISSING)
            if final is _MISSING:
                final = style
                if base:
                    final = base + final
                if post:
                    final = final + post if final else post
                finals[style] = final
            if run and (final is run_style or final == run_style):
                run.append(text)
                return
            if run:
                segments.append(Segment("".join(run), run_style))
            run[:] = [text]
            run_style = final  # type: ignore[assignment]

        pad = " " * PAD
        for cell, width in zip(cells, widths):
            put(pad, None)
            plain = cell.plain
            if not cell.spans and "\n" not in plain and (length := cell_len(plain)) <= width:
                # one style, fits: one piece (what the general path below produces, faster)
                style = cell.style
                if isinstance(style, str):
                    resolved = styles.get(style)
                    if resolved is None:
                        resolved = styles[style] = console.get_style(style, default=Style.null())
                    style = resolved
                put(plain + " " * (width - length), style or None)
            else:
                text = cell.copy()
                if "\n" in plain:
                    text = Text(" ").join(text.split("\n"))
                text.end = ""
                text.no_wrap = True
                text.truncate(width, overflow="ellipsis", pad=True)
                # join() turns the Text's own style into a span, as Text.__rich_console__ does
                for segment in Text("\n").join([text]).render(console, end=""):
                    put(segment.text, segment.style)
            put(pad, None)
        if run:
            segments.append(Segment("".join(run), run_style))
        return Strip(segments)

    def _row_key(self, index: int, widths: tuple[int, ...], cursor: bool, cursor_style: Style | None) -> tuple:
        """A row's strip in the cache: its key and content version, the styles'
        generation, the columns' widths, cursor (with the cursor style) and stripe."""
        even = self.zebra_stripes and index % 2 == 1
        return (self._keys[index], self._version[index], self._generation, widths, cursor, even, cursor_style)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        styles = self._style_set()
        widths = self._widths(width)
        if y == 0:
            key: tuple[object, ...] = ("header", widths, self._generation)
            strip = self._strips.get(key)
            if strip is None:
                labels = [Text(label, no_wrap=True) for _k, label, _w in self.columns]
                strip = self._line(labels, widths, styles["header"], None)
                self._strips[key] = strip
            return strip.crop_extend(scroll_x, scroll_x + width, styles["header"])
        index = scroll_y + y - 1
        if not 0 <= index < len(self._keys):
            return Strip.blank(width, styles["base"])
        cursor = index == self._cursor
        even = self.zebra_stripes and index % 2 == 1
        row_base = styles["even"] if even else styles["base"]
        key = self._row_key(index, widths, cursor, styles["cursor"] if cursor else None)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._line(self._row(index), widths, row_base, styles["cursor"] if cursor else None)
            self._strips[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, row_base)

    # ------------------------------------------------------------------ keys and mouse
    def _at_last(self) -> bool:
        return not self._keys or self._cursor >= len(self._keys) - 1

    def action_cursor_down(self) -> None:
        if self._at_last():
            self.post_message(self.EdgeReached("next"))
            return
        self.move_cursor(row=self._cursor + 1)

    def action_cursor_up(self) -> None:
        if self._cursor <= 0:
            self.post_message(self.EdgeReached("prev"))
            return
        self.move_cursor(row=self._cursor - 1)

    def action_page_down(self) -> None:
        if self._at_last():
            self.post_message(self.EdgeReached("next"))
            return
        self.move_cursor(row=self._cursor + self._visible_rows())

    def action_page_up(self) -> None:
        if self._cursor <= 0:
            self.post_message(self.EdgeReached("prev"))
            return
        self.move_cursor(row=self._cursor - self._visible_rows())

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=max(0, len(self._keys) - 1))

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key, self._cursor))

    def _row_at(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return None
        index = self.scroll_offset.y + offset.y - 1
        return index if 0 <= index < len(self._keys) else None

    def on_click(self, event: events.Click) -> None:
        index = self._row_at(event)
        if index is None:
            return
        event.stop()
        if index == self._cursor or event.chain >= 2:
            self.move_cursor(row=index)
            self.action_select_cursor()
        else:
            self.move_cursor(row=index)
