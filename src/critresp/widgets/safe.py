"""Untrusted text -> rich Text, never markup.

Every title, statement, name and macro output shown in the UI goes through
``safe``: ``domain.text.clean`` removes control sequences (ANSI escapes, C0/C1
controls, bidi overrides) and the result is wrapped in ``rich.text.Text``, so
``[bold red]x[/]`` is displayed as those characters, not as markup.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from ..domain import sla
from ..domain.text import clean as _clean
from ..domain.text import one_line as _one_line


def clean(value: object) -> str:
    if value is None:
        return ""
    return _clean(str(value))


def one_line(value: object, limit: int | None = None) -> str:
    return _one_line(None if value is None else str(value), limit)


def safe(value: object, style: str = "", *, single_line: bool = False, limit: int | None = None) -> Text:
    """Cleaned, literal rich Text for untrusted input."""
    s = one_line(value, limit) if single_line else clean(value)
    return Text(s, style=style, no_wrap=single_line, end="")


def markup_escape(value: object, *, single_line: bool = True, limit: int | None = None) -> str:
    """Cleaned untrusted text for the few Textual APIs that only take a markup *string*
    (e.g. command-palette help). Escaping every ``[`` makes Textual's markup parser show
    the text literally (``textual.markup.escape`` misses ``[$var]`` and ``[ x]``)."""
    s = one_line(value, limit) if single_line else clean(value)
    return s.replace("[", "\\[")


BREACH_STYLES = {"breached": "bold reverse red", "near": "bold yellow", "ok": ""}


def breach_style(due_at: datetime | None, now: datetime, tier: int = 0, kind: str | None = None) -> str:
    """'' when fine, yellow when near, red/reverse when breached (``domain.sla.breach_state``)."""
    if due_at is None:
        return "dim"
    return BREACH_STYLES[sla.breach_state(due_at, now, tier, kind or "resolve")]  # type: ignore[arg-type]


def countdown_text(due_at: datetime | None, now: datetime, tier: int = 0, kind: str | None = None) -> Text:
    if due_at is None:
        return Text("—", style="dim")
    state = sla.breach_state(due_at, now, tier, kind or "resolve")  # type: ignore[arg-type]
    label = sla.format_remaining(due_at, now)
    if state == "breached":
        label = "BREACH " + label.lstrip("-")
    return Text(label, style=BREACH_STYLES[state], no_wrap=True)


TIER_STYLES = {0: "bold white on red", 1: "bold black on dark_orange", 2: "black on yellow", 3: "black on grey62"}


def tier_text(tier: int) -> Text:
    return Text(f" T{int(tier)} ", style=TIER_STYLES.get(int(tier), ""), no_wrap=True)


def relative(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    secs = int((now - when).total_seconds())
    if secs < 5:
        return "just now"
    if secs < 60:
        return f"{secs}s ago"
    if secs < 3600:
        return f"{secs // 60}m ago"
    if secs < 86400:
        return f"{secs // 3600}h ago"
    return f"{secs // 86400}d ago"
