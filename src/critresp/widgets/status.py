"""Status bar: identity, online/offline, last sync, pending outbox, clock.

It renders state the app already holds (``app.actor``, ``app.sync_status``,
``app.clock``); it never queries the store.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static

from .safe import relative, safe


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(1.0, self.refresh_status)

    def refresh_status(self) -> None:
        app = self.app
        actor = getattr(app, "actor", None)
        status = getattr(app, "sync_status", None)
        clock = getattr(app, "clock", None)
        now = clock.now() if clock is not None else None
        t = Text(no_wrap=True, overflow="ellipsis")
        if actor is not None:
            t.append_text(safe(actor.name, "bold", single_line=True, limit=40))
            t.append(f" ({actor.role.value})")
        t.append("  │  ")
        if getattr(app, "sync", None) is None:
            t.append("● local only", style="dim")
        elif status is not None and status.online:
            t.append("● online", style="bold green")
        else:
            t.append("● offline", style="bold red")
        t.append("  │  ")
        last = status.last_sync_at if status is not None else None
        t.append(f"synced {relative(last, now) if now else '?'}")
        t.append("  │  ")
        pending = status.pending if status is not None else 0
        t.append(f"{pending} pending", style="bold yellow" if pending else "")
        if status is not None and status.last_error:
            t.append("  │  ")
            t.append_text(safe(status.last_error, "red", single_line=True, limit=50))
        if now is not None:
            t.append("  │  ")
            t.append(now.strftime("%H:%M:%S UTC"))
        t.append("  │  ? help  ctrl+p commands", style="dim")
        self.update(t)


class BottomBar(Vertical):
    """Footer (keys of the current screen) above the status bar, docked at the bottom."""

    DEFAULT_CSS = """
    BottomBar { dock: bottom; height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Footer()
        yield StatusBar()
