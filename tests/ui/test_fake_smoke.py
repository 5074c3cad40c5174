"""Fast UI checks on the in-memory fake store (the full flows run on the real Store)."""

from __future__ import annotations

from critresp.app import CritrespApp
from critresp.domain.clock import FixedClock
from critresp.domain.state import Actor
from critresp.screens.case import CaseScreen
from critresp.screens.queue import QueueScreen

from .fakes import T0, FakeStore
from .helpers import screen_text, settle, toasts


def make_app(store, **kw) -> CritrespApp:
    return CritrespApp(store=store, clock=FixedClock(T0), actor=Actor("a1", "Alex Moss"), **kw)


async def test_queue_pages_by_keyset_across_the_boundary() -> None:
    store = FakeStore(25)
    app = make_app(store, page_size=10)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert len(screen.rows) == 10 and screen.table.row_count == 10
        first_page = [r.id for r in screen.rows]
        await pilot.press("G", "j")
        await settle(pilot)
        assert screen.page_index == 1
        assert screen.table.row_count == 10
        assert screen.table.cursor_row == 0
        assert not set(first_page) & {r.id for r in screen.rows}
        assert "rows 11–20 of 25" in screen_text(app)
        await pilot.press("k")
        await settle(pilot)
        assert [r.id for r in screen.rows] == first_page
        assert screen.table.cursor_row == 9


async def test_claim_refused_names_the_holder() -> None:
    store = FakeStore(5)
    app = make_app(store)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        cid = app.screen.current_case_id()
        store.claim_by(cid, Actor("b2", "Dana Reyes"))
        await pilot.press("c")
        await settle(pilot)
        assert any("Claimed by Dana Reyes" in t for t in toasts(app)), toasts(app)


async def test_case_opens_and_note_is_added() -> None:
    store = FakeStore(5)
    app = make_app(store)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        await pilot.press("n")
        await settle(pilot)
        app.screen.set_value("body", "Called the customer back")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert "Called the customer back" in screen_text(app)
        assert store.applied[-1].kind == "add_note"
