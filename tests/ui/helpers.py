"""Pilot helpers: settle workers without sleeping, read what is on screen."""

from __future__ import annotations

from textual.pilot import Pilot


async def settle(pilot: Pilot, rounds: int = 2) -> None:
    """Let messages flow and every finite worker finish (the sync loop is excluded)."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        pending = [w for w in app.workers if w.group != "sync-loop" and not w.is_finished]
        for w in pending:
            await w.wait()
    await pilot.pause()


def screen_text(app) -> str:
    """The plain text the active screen currently renders."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def toasts(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def open_case(pilot: Pilot):  # type: ignore[no-untyped-def]
    """Enter on the queue's cursor row: the case screen, shown with its case."""
    from critresp.screens.case import CaseScreen

    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CaseScreen) and screen.detail is not None
    return screen
