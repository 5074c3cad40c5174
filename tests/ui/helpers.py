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


async def open_case_and_go_back(pilot: Pilot):  # type: ignore[no-untyped-def]
    """Open a case and go back: the kept case screen, off the stack."""
    case = await open_case(pilot)
    await pilot.press("escape")
    await settle(pilot)
    assert not case.is_current
    return case


async def rest_cursor(pilot: Pilot, *keys: str):  # type: ignore[no-untyped-def]
    """Move the queue's cursor (``keys``) and let it rest: the case under it is read
    ahead. Returns (the queue screen, that case's id)."""
    from critresp.screens.queue import QueueScreen

    await settle(pilot)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    await pilot.press(*keys)
    await settle(pilot)
    cid = queue.current_case_id()
    assert queue._prefetched is not None and queue._prefetched.case_id == cid
    return queue, cid


def spy(obj, name: str, seen: list, when=lambda: True, record=lambda *a: a) -> None:  # type: ignore[no-untyped-def]
    """Replace ``obj.name`` with a wrapper that appends ``record(*args)`` to ``seen``
    for each call made while ``when()``, then calls the original."""
    orig = getattr(obj, name)

    def spied(*a, **k):  # type: ignore[no-untyped-def]
        if when():
            seen.append(record(*a))
        return orig(*a, **k)

    setattr(obj, name, spied)


def toggle_theme(app) -> None:  # type: ignore[no-untyped-def]
    """Switch between the dark and the light theme (every colour changes)."""
    app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"


def gate_queue_pages(store, monkeypatch, calls: list | None = None,  # type: ignore[no-untyped-def]
                     error: Exception | None = None):
    """Make ``store.queue_page`` wait until the returned ``threading.Event`` is set
    (a slow read, held as long as a test needs; set it at once for none). Each read's
    search text is appended to ``calls`` if given; after the wait it raises ``error``
    if given."""
    import threading

    gate = threading.Event()
    orig_page = store.queue_page

    def slow_page(query, *a, **k):  # type: ignore[no-untyped-def]
        if calls is not None:
            calls.append(query.search)
        gate.wait(10)
        if error is not None:
            raise error
        return orig_page(query, *a, **k)

    monkeypatch.setattr(store, "queue_page", slow_page)
    return gate


async def until(pilot: Pilot, ready, rounds: int = 200) -> None:  # type: ignore[no-untyped-def]
    """Let messages flow until ``ready()``, at most ``rounds`` turns (with a ``ready``
    that is never true: exactly ``rounds`` turns). Callers assert what they waited for."""
    for _ in range(rounds):
        if ready():
            return
        await pilot.pause()
