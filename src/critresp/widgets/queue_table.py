"""The queue table: a DataTable that asks for the next / previous page at its edges."""

from __future__ import annotations

from typing import Any, Iterable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable


class QueueTable(DataTable):
    """DataTable with keyset paging at the edges, and a cheaper render path.

    Performance (docs/performance.md): every queue row is one line of rich
    ``Text`` cells. For such cells ``_render_cell`` styles the segments directly
    instead of going through rich's ``Styled(Padding(...))`` layout, and
    ``_update_dimensions`` measures only the auto-width columns by the cell
    length of their text. Anything else (labels, multi-line or non-Text cells,
    header) falls back to DataTable's own code, and the output is the same.
    """

    BINDINGS = [
        Binding("j,down", "cursor_down", "Next row", show=False, id="queue.down"),
        Binding("k,up", "cursor_up", "Previous row", show=False, id="queue.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="queue.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="queue.page_up"),
        Binding("g,home", "first_row", "First row of page", show=False, id="queue.top"),
        Binding("G,end", "last_row", "Last row of page", show=False, id="queue.bottom"),
    ]

    class EdgeReached(Message):
        """The cursor tried to move past the loaded page."""

        def __init__(self, direction: str) -> None:
            super().__init__()
            self.direction = direction  # "next" | "prev"

    def _at_last(self) -> bool:
        return self.row_count == 0 or self.cursor_row >= self.row_count - 1

    def action_cursor_down(self) -> None:
        if self._at_last():
            self.post_message(self.EdgeReached("next"))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.EdgeReached("prev"))
            return
        super().action_cursor_up()

    def action_page_down(self) -> None:
        if self._at_last():
            self.post_message(self.EdgeReached("next"))
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.EdgeReached("prev"))
            return
        super().action_page_up()

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1))

    # ------------------------------------------------------------------ fast paths
    def flush_dimensions(self) -> None:
        """Size newly added rows now instead of on the next idle (what DataTable's
        ``_on_idle`` would do), so a page swap costs one layout and one paint."""
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        new_rows = list(new_rows)
        rows = self.rows
        data = self._data
        auto = [c for c in self.ordered_columns if c.auto_width]
        widths: dict[Any, int] = {}
        for row_key in new_rows:
            if self._row_locations.get(row_key) is None:
                continue
            row = rows.get(row_key)
            if row is None:
                continue
            if row.label is not None or row.auto_height or row.height != 1:
                return super()._update_dimensions(new_rows)
            cells = data.get(row_key, {})
            for col in auto:
                v = cells.get(col.key)
                if not isinstance(v, Text) or "\n" in v.plain:
                    return super()._update_dimensions(new_rows)
                w = cell_len(v.plain)
                if w > widths.get(col.key, 0):
                    widths[col.key] = w
        for col in auto:
            col.content_width = max(col.content_width, widths.get(col.key, 0))
        data_cells_width = sum(column.get_render_width(self) for column in self.columns.values())
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(
            data_cells_width + self._row_label_column_width, self._total_row_height + header_height
        )

    def _render_cell(
        self, row_index: int, column_index: int, base_style: Style, width: int,
        cursor: bool = False, hover: bool = False,
    ) -> list[list[Segment]]:
        pad = self.cell_padding
        if (
            row_index < self.fixed_rows or column_index < self.fixed_columns  # header (-1), labels, fixed cells
            or width <= 2 * pad
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key) if row_key is not None else None
        if row is None or row.height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (
            row_key, column_key, base_style, cursor, hover, self._show_hover_cursor, self._update_count,
            self._pseudo_class_state,
        )
        cache = self._cell_render_cache
        if cache_key in cache:
            return cache[cache_key]
        cell = self._get_row_renderables(row_index).cells[column_index]
        if not isinstance(cell, Text) or "\n" in cell.plain or cell.justify not in (None, "default"):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        text = cell.copy()
        text.end = ""
        inner = width - 2 * pad
        text.truncate(inner, overflow=cell.overflow or "fold")
        console = self.app.console
        segments = [Segment(" " * pad)] if pad else []
        segments.extend(Text("\n").join([text]).render(console, end=""))  # as Text.__rich_console__ does
        fill = inner - text.cell_len + pad
        if fill > 0:
            segments.append(Segment(" " * fill))
        lines = [list(Segment.apply_style(segments, pre_style, post_style))]
        cache[cache_key] = lines
        return lines
