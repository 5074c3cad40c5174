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


def _spy_calls(obj, name: str, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    orig = getattr(obj, name)

    def spied(*a, **k):  # type: ignore[no-untyped-def]
        seen.append(name)
        return orig(*a, **k)

    setattr(obj, name, spied)


async def _rest_cursor(pilot, *keys: str) -> tuple[QueueScreen, str]:  # type: ignore[no-untyped-def]
    """Move the queue's cursor (``keys``) and let it rest: the case under it is read ahead."""
    await settle(pilot)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    await pilot.press(*keys)
    await settle(pilot)
    cid = queue.current_case_id()
    assert queue._prefetched is not None and queue._prefetched.case_id == cid
    return queue, cid


async def _rest_on_an_unassigned_case(pilot) -> tuple[QueueScreen, str]:  # type: ignore[no-untyped-def]
    """All cases, the cursor moved to one nobody holds, read ahead."""
    await settle(pilot)
    queue = pilot.app.screen
    await pilot.press("a")  # all cases
    await settle(pilot)
    row = next(r for r in queue.rows if r.assignee_id is None)
    queue.table.move_cursor(row=queue.table.get_row_index(row.id))
    await settle(pilot)
    assert queue._prefetched is not None and queue._prefetched.case_id == row.id
    assert queue._prefetched.detail.assignee_id is None
    return queue, row.id


def _timeline(case: CaseScreen) -> str:
    return case.query_one("#case-timeline", TextView).content.plain


async def test_enter_on_a_rested_cursor_shows_the_case_read_ahead(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        reads = _spy_reads(app.screen)
        queue, cid = await _rest_cursor(pilot, "down", "down")
        case = app.case_screen()
        rereads: list[str] = []
        renders: list[str] = []
        _spy_calls(case, "_load_case", rereads)
        _spy_calls(case, "_render_all", renders)
        await pilot.press("enter")
        # shown in the key's own handler: no read at Enter
        assert app.screen is case and case.case_id == cid and case.detail is not None
        assert renders == ["_render_all"]
        await settle(pilot)
        assert reads == []
        # read again after its first frame; the same answer is not rendered again
        assert rereads == ["_load_case"]
        assert renders == ["_render_all"]
        assert case.detail == store.case_detail(cid)


async def test_a_case_changed_behind_the_console_s_back_is_shown_as_it_is_now(make_app, store, actor) -> None:
    # a read ahead, then a change the console hears nothing of (another process on the
    # same store): the case screen's read after the open shows it
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        queue, cid = await _rest_cursor(pilot, "down")
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
        queue, cid = await _rest_on_an_unassigned_case(pilot)
        stale = queue._prefetched
        # someone else claims it; the console hears of it (as from a sync) and re-reads its rows
        assert store.apply(Actor("other-1", "Dana Reyes"), Claim(case_id=cid, created_at=app.clock.now())).ok
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


async def test_an_action_sent_drops_the_read_ahead(make_app) -> None:
    # claim, then Enter before the claim is written: the case is read at Enter, not
    # shown as it was before the claim
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        queue, cid = await _rest_on_an_unassigned_case(pilot)
        reads = _spy_reads(queue)
        queue._apply_in_worker = lambda mutation: None  # the claim's worker has not run yet
        await pilot.press("c")
        assert queue._prefetched is None
        await pilot.press("enter")
        await settle(pilot)
        assert reads == [cid]


async def test_a_read_ahead_older_than_the_row_or_too_old_is_not_shown(make_app, store, actor) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        queue, cid = await _rest_cursor(pilot, "down")
        ahead = queue._prefetched
        reads = _spy_reads(queue)
        # too old: read again at Enter
        import time as _time

        from critresp.screens import queue as queue_module

        ahead.read_at = _time.monotonic() - queue_module.READ_AHEAD_MAX_AGE_S - 1
        await pilot.press("enter")
        await settle(pilot)
        assert reads == [cid]
        await pilot.press("escape")
        await settle(pilot)
        # older than the row shown: the rows were re-read after a change the read ahead
        # predates (as by paging away and back), so Enter reads again
        ahead = queue._prefetched
        assert ahead is not None and ahead.case_id == cid
        from dataclasses import replace

        ahead.detail = replace(ahead.detail, updated_at=ahead.detail.updated_at.replace(year=2000))
        await pilot.press("enter")
        await settle(pilot)
        assert reads == [cid, cid]


async def test_a_search_total_arriving_late_reads_nothing_ahead(make_app) -> None:
    # a slow search shows its page first and sends the total after it as a "refresh"
    # of the same page: that is not a re-read for a change, so nothing is read ahead
    from critresp.messages import QueueLoaded

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen) and queue.page is not None
        assert queue._prefetched is None  # a new page reads nothing ahead either
        queue.post_message(QueueLoaded(queue.page, queue.query_state, "refresh", queue._token, 999, None))
        await settle(pilot)
        assert queue.total == 999
        assert queue._prefetched is None and not queue._prefetch_busy
        queue.refresh_rows()  # a re-read for a change does
        await settle(pilot)
        assert queue._prefetched is not None and queue._prefetched.case_id == queue.current_case_id()
