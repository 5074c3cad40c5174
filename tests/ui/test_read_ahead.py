"""The queue reads the case under its cursor ahead of an Enter (screens.queue.open_case):
Enter shows that read without waiting for one, the case is read again once shown,
and a read ahead never outlives a change the console knows of."""

from __future__ import annotations

from critresp.domain.state import Actor
from critresp.domain.mutations import AddNote, Claim
from critresp.screens.case import CaseScreen
from critresp.screens.queue import QueueScreen
from critresp.widgets.textview import TextView

from .helpers import settle

SIZE = (140, 45)


def _spy_reads(queue: QueueScreen) -> list[str]:
    reads: list[str] = []
    orig = queue._read_case

    def read_case(case_id, token):  # type: ignore[no-untyped-def]
        reads.append(case_id)
        return orig(case_id, token)

    queue._read_case = read_case  # type: ignore[method-assign]
    return reads


def _timeline(case: CaseScreen) -> str:
    return case.query_one("#case-timeline", TextView).content.plain


async def test_enter_on_a_rested_cursor_shows_the_case_read_ahead(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        reads = _spy_reads(queue)
        await pilot.press("down", "down")
        await settle(pilot)
        cid = queue.current_case_id()
        assert queue._prefetched is not None and queue._prefetched.case_id == cid
        await pilot.press("enter")
        case = app.screen
        # shown in the key's own handler: no read at Enter
        assert isinstance(case, CaseScreen) and case.case_id == cid and case.detail is not None
        await settle(pilot)
        assert reads == []
        assert cid in _timeline(case) or case.detail.id == cid


async def test_a_case_changed_behind_the_console_s_back_is_shown_as_it_is_now(make_app, store, actor) -> None:
    # a read ahead, then a change the console hears nothing of (another process on the
    # same store): the case screen's read after the open shows it
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        await pilot.press("down")
        await settle(pilot)
        cid = queue.current_case_id()
        assert queue._prefetched is not None and queue._prefetched.case_id == cid
        note = "Spoke to the store manager [bold]twice[/]"
        assert store.apply(actor, AddNote(case_id=cid, body=note, created_at=app.clock.now())).ok
        assert note not in str(queue._prefetched.detail)
        await pilot.press("enter")
        await settle(pilot)
        case = app.screen
        assert isinstance(case, CaseScreen)
        assert note in _timeline(case)


async def test_a_change_the_console_knows_of_drops_the_read_ahead(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        await pilot.press("a")  # all cases
        await settle(pilot)
        row = next(r for r in queue.rows if r.assignee_id is None)
        queue.table.move_cursor(row=queue.table.get_row_index(row.id))
        await settle(pilot)
        stale = queue._prefetched
        assert stale is not None and stale.case_id == row.id and stale.detail.assignee_id is None
        # someone else claims it; the console hears of it (as from a sync) and re-reads its rows
        assert store.apply(Actor("other-1", "Dana Reyes"), Claim(case_id=row.id, created_at=app.clock.now())).ok
        queue.refresh_rows()
        assert queue._prefetched is None  # dropped at once, before the rows come back
        await settle(pilot)
        again = queue._prefetched
        assert again is not None and again is not stale and again.detail.assignee_id == "other-1"


async def test_no_read_ahead_while_the_store_is_opening(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen

        class Opening:
            is_open = False

        real = app.store
        app.store = Opening()  # type: ignore[assignment]
        try:
            queue._prefetched = None
            queue._want_prefetch("CR-anything")
            assert not queue._prefetch_busy  # nothing started: it would open the store now
        finally:
            app.store = real


async def test_after_a_read_ahead_open_the_case_is_read_again_on_each_return(make_app, store, actor) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        case = app.screen
        assert isinstance(case, CaseScreen)
        note = "Reporter called back at 02:10"
        assert store.apply(actor, AddNote(case_id=case.case_id, body=note, created_at=app.clock.now())).ok
        await pilot.press("n")  # the note form, over the case
        await settle(pilot)
        assert app.screen is not case
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is case
        assert note in _timeline(case)
