"""Help: every key of every screen, with the binding id users remap in their keymap."""

from __future__ import annotations

from typing import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..widgets.status import BottomBar
from .base import BaseScreen


def binding_sections() -> list[tuple[str, list[Binding]]]:
    from ..app import CritrespApp
    from ..widgets.queue_table import QueueTable
    from .case import CaseScreen
    from .modals import ConfirmModal, FormModal, PickerModal
    from .queue import QueueScreen
    from .reply import ReplyScreen

    def bs(items: Iterable) -> list[Binding]:
        return [b for b in items if isinstance(b, Binding)]

    return [
        ("Everywhere", bs(CritrespApp.BINDINGS) + [Binding("ctrl+p", "command_palette", "Command palette", id="app.palette")]),
        ("Queue", bs(QueueScreen.BINDINGS) + bs(QueueTable.BINDINGS)),
        ("Case detail", bs(CaseScreen.BINDINGS)),
        ("Reply", bs(ReplyScreen.BINDINGS)),
        ("Help", bs(HelpScreen.BINDINGS)),
        ("Dialogs", bs(ConfirmModal.BINDINGS) + bs(PickerModal.BINDINGS) + bs(FormModal.BINDINGS)),
    ]


class HelpScreen(BaseScreen):
    BINDINGS = [Binding("escape,q", "close", "Close help", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll"):
            yield Static(self.render_help(), id="help-body")
        yield BottomBar()

    def effective_key(self, b: Binding) -> str:
        keymap = getattr(self.app, "_keymap", {}) or {}
        key = keymap.get(b.id, b.key) if b.id else b.key
        return ", ".join(k.strip() for k in key.split(","))

    def render_help(self) -> Table:
        table = Table(title="critresp keys  (remap any of them by binding id in the keymap)", expand=True,
                      show_lines=False, title_style="bold")
        table.add_column("Screen", style="bold", no_wrap=True)
        table.add_column("Key", style="bold cyan", no_wrap=True)
        table.add_column("Action")
        table.add_column("Binding id", style="dim", no_wrap=True)
        for section, bindings in binding_sections():
            first = True
            for b in bindings:
                # every cell literal: keys come from the user's keymap file
                table.add_row(Text(section if first else ""), Text(self.effective_key(b)),
                              Text(b.description or b.action), Text(b.id or ""))
                first = False
        return table

    def action_close(self) -> None:
        self.app.pop_screen()
