"""Shared screen plumbing: status bar, a palette provider listing the screen's actions."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Iterable

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

if TYPE_CHECKING:
    from ..app import CritrespApp


class ScreenActionsProvider(Provider):
    """Offers every action of the active screen (and its extra commands) in the palette."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        getter = getattr(screen, "palette_commands", None)
        return list(getter()) if getter is not None else []

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)


class BaseScreen(Screen):
    COMMANDS = {ScreenActionsProvider}

    @property
    def capp(self) -> "CritrespApp":
        return self.app  # type: ignore[return-value]

    def binding_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        """One palette command per described binding of this screen."""
        for b in self.BINDINGS:
            if not isinstance(b, Binding) or not b.description:
                continue
            yield (b.description, f"key {b.key}  (id {b.id})", partial(self.run_action, b.action))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return list(self.binding_commands()) + list(self.extra_commands())

    def extra_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        return ()


def apply_worker_body(screen: "BaseScreen", mutation: object) -> None:
    """Runs in a thread: store.apply, then post ActionApplied (or WorkFailed)."""
    from ..messages import ActionApplied, WorkFailed

    app = screen.capp
    try:
        result = app.store.apply(app.actor, mutation)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - shown as a toast
        screen.post_message(WorkFailed(getattr(mutation, "kind", "action"), str(exc)))
        return
    screen.post_message(ActionApplied(mutation.case_id, mutation.kind, result))  # type: ignore[attr-defined]
