"""The queue table: a DataTable that asks for the next / previous page at its edges."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable


class QueueTable(DataTable):
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
