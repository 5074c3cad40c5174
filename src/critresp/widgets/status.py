"""Status bar: identity, online/offline, last sync, pending outbox, clock.

It renders state the app already holds (``app.actor``, ``app.sync_status``,
``app.clock``); it never queries the store.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

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
        # one line, width from the screen: new text never changes the layout, so no
        # re-layout of the whole screen every second (it landed inside keystrokes)
        self.update(t, layout=False)


class KeyBar(Static):
    """The keys of the current screen, on one line.

    Does what Textual's ``Footer`` shows, as one rendered ``Text`` instead of one
    widget per key: ``Footer`` re-mounts a widget per binding (each one restyled
    by the stylesheet) whenever the bindings change, i.e. on every screen switch
    and focus change, which cost ~150 ms per case opened (docs/performance.md).
    """

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._last_plain: tuple[str, tuple[bool, ...]] | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)
        self.watch(self.app, "theme", self._restyle, init=False)

    def _restyle(self, _theme: object = None) -> None:
        self._last_plain = None  # the key style comes from the theme
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: object) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        seen: set[str] = set()
        keys: list[tuple[str, str, str, bool]] = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((binding.key, self.app.get_key_display(binding), binding.description, enabled))
        signature = ("\x00".join(f"{k}\x01{d}\x01{t}" for k, d, t, _ in keys), tuple(e for *_, e in keys))
        if signature == self._last_plain:
            return  # same keys: no re-render, no re-layout
        self._last_plain = signature
        self.update(self.key_text(keys), layout=False)  # one line: never a re-layout

    def key_text(self, keys: list[tuple[str, str, str, bool]]) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        for key, display, description, enabled in keys:
            # binding keys and descriptions are our own (not user text), still literal Text
            style = Style() if enabled else Style(dim=True)
            t.append(f" {display} ", style=(key_style + style) if enabled else style)
            t.append(f"{description} ", style=style)
        return t

    COMPONENT_CLASSES = {"keybar--key"}
    DEFAULT_CSS += """
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    """


class BottomBar(Vertical):
    """Keys of the current screen above the status bar, docked at the bottom."""

    DEFAULT_CSS = """
    BottomBar { dock: bottom; height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield KeyBar()
        yield StatusBar()
