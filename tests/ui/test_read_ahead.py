"""The queue reads the case under its cursor ahead of an Enter (screens.queue.open_case):
Enter shows that read without waiting for one, the case is read again once shown,
and a read ahead never outlives a change the console knows of."""

from __future__ import annotations

from dataclasses import replace

from critresp.domain.state import Actor
from critresp.domain.mutations import AddNote, Claim
from critresp.screens.case import CaseScreen
from critresp.screens.queue import QueueScreen
from critresp.widgets.queue_table import QueueTable
from critresp.widgets.textview import TextView

from .helpers import rest_cursor, screen_text, settle, spy, toggle_theme

SIZE = (140, 45)


def _spy_reads(queue: QueueScreen) -> list[str]:
    """The cases Enter reads (not the reads ahead)."""
    reads: list[str] = []
    spy(queue, "_read_case", reads, record=lambda case_id, token: case_id)
    return reads


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
        queue, cid = await rest_cursor(pilot, "down", "down")
        case = app.case_screen()
        rereads: list[str] = []
        renders: list[str] = []
        spy(case, "_load_case", rereads, record=lambda *a: "_load_case")
        spy(case, "_render_all", renders, record=lambda *a: "_render_all")
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
        queue, cid = await rest_cursor(pilot, "down")
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
        queue, cid = await rest_cursor(pilot, "down")
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


# ---------------------------------------------------------------------- the next / previous page


def _spy_loads(queue: QueueScreen) -> list[str]:
    """The directions of the page reads the queue starts (not its reads ahead)."""
    loads: list[str] = []
    spy(queue, "_load", loads, record=lambda query, direction, *a: direction)
    return loads


async def _at_last_row(pilot):  # type: ignore[no-untyped-def]
    """The queue's cursor on its page's last row: (queue, its table, the next page read ahead)."""
    await settle(pilot)
    queue = pilot.app.screen
    table = queue.query_one(QueueTable)
    await pilot.press("G")
    await settle(pilot)
    return queue, table, queue._page_ahead


def _record_ready_rows(queue: QueueScreen) -> list:
    """Record the rows built on a worker that each ``_set_rows`` is given (``ready``)."""
    given: list = []
    set_rows = queue._set_rows

    def recording(*a, **k):  # type: ignore[no-untyped-def]
        given.append(k.get("ready"))
        return set_rows(*a, **k)

    queue._set_rows = recording  # type: ignore[method-assign]
    return given


def _assert_drawn_as_from_scratch(table: QueueTable) -> None:
    """The table's lines equal those it renders with nothing kept."""
    region = table.size.region
    drawn = table.render_lines(region)
    table._strips.clear()
    assert drawn == table.render_lines(region)


async def test_the_page_past_the_cursor_s_edge_is_read_ahead_and_shown_at_once(make_app, store) -> None:
    app = make_app(page_size=7)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        first = [r.id for r in queue.rows]
        assert queue.page.next_cursor is not None
        assert queue._page_ahead is None  # the cursor at the top of the first page: nothing to read
        await pilot.press("G")  # to the last row: the next page is read ahead
        await settle(pilot)
        ahead = queue._page_ahead
        assert ahead is not None and ahead.direction == "next" and ahead.from_cursor == queue.page.next_cursor
        expected = store.queue_page(queue.query_state, after=queue.page.next_cursor, limit=7)
        assert ahead.page == expected
        loads = _spy_loads(queue)
        await pilot.press("j")  # past the end
        # shown in the key's own handler: no read for it
        assert [r.id for r in queue.rows] == [r.id for r in expected.rows] and queue.page_index == 1
        assert "next" not in loads and queue._page_ahead is None
        await settle(pilot)
        assert loads == ["refresh"]  # only read again, after its first frame
        assert not set(first) & {r.id for r in queue.rows}
        assert "rows 8–14 of" in screen_text(app)
        # and back: the cursor at the top of page 2 reads page 1 ahead
        await pilot.press("down", "up")
        await settle(pilot)
        assert queue._page_ahead is not None and queue._page_ahead.direction == "prev"
        loads.clear()
        await pilot.press("k")  # before the start
        assert [r.id for r in queue.rows] == first and queue.table.cursor_row == len(first) - 1
        assert "prev" not in loads


async def test_a_page_read_ahead_is_dropped_on_a_change_and_when_old(make_app, store, actor) -> None:
    app = make_app(page_size=7)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        await pilot.press("G")
        await settle(pilot)
        assert queue._page_ahead is not None
        # a change the console hears of (a sync, an action): dropped at once
        queue.refresh_rows()
        assert queue._page_ahead is None
        await settle(pilot)
        await pilot.press("k", "j")  # the cursor moves again: read again
        await settle(pilot)
        assert queue._page_ahead is not None
        # older than READ_AHEAD_MAX_AGE_S: the page is read when the key asks
        from critresp.screens import queue as queue_module

        queue._page_ahead.read_at -= queue_module.READ_AHEAD_MAX_AGE_S + 1
        loads = _spy_loads(queue)
        await pilot.press("j")
        assert loads == ["next"]
        await settle(pilot)
        assert queue.page_index == 1
        # read for another filter (as if it arrived late): never shown
        await pilot.press("G")
        await settle(pilot)
        old = queue._page_ahead
        assert old is not None and queue.page.next_cursor is not None
        old.query = replace(old.query, search="other words")
        loads.clear()
        await pilot.press("j")
        assert loads == ["next"]


async def test_a_page_read_ahead_brings_its_rows_rendered_and_countdowns_as_of_the_key(make_app, clock) -> None:
    from datetime import timedelta

    app = make_app(page_size=7)
    async with app.run_test(size=SIZE) as pilot:
        queue, table, ahead = await _at_last_row(pilot)
        assert ahead is not None and ahead.spec is not None
        assert sorted(ahead.ready) == list(range(len(ahead.page.rows)))  # a short page: every row is in view
        assert all(strip is not None for _cells, strip in ahead.ready.values())
        # time passes before the key: countdowns move on (a row rendered ahead with an
        # old countdown is rendered again; one with the same reading is used as it is)
        clock.advance(timedelta(minutes=7))
        await pilot.press("j")
        now_cells = [queue._row_cells(row, clock.now()) for row in ahead.page.rows]
        for index, row in enumerate(ahead.page.rows):
            shown = table.get_cell(row.id, "due")
            assert shown.plain == now_cells[index][1].plain, (row.id, shown.plain)
        kept = [i for i, (cells, strip) in ahead.ready.items()
                if cells[1].plain == now_cells[i][1].plain and i != table.cursor_row]
        changed = [i for i in ahead.ready if i not in kept and i != table.cursor_row]
        assert kept and changed, "the clock moved 7 minutes: some countdowns read otherwise, some not"
        widths = table.row_spec().widths
        for i in kept:  # rendered ahead and used as rendered
            assert table._strips.get(table._row_key(i, widths, False, None)) is ahead.ready[i][1]
        # what the table draws equals rows rendered from scratch
        _assert_drawn_as_from_scratch(table)


async def test_a_page_read_ahead_for_another_query_or_theme_is_not_used(make_app) -> None:
    from critresp.messages import PageReadAhead
    app = make_app(page_size=7)
    async with app.run_test(size=SIZE) as pilot:
        queue, table, ahead = await _at_last_row(pilot)
        assert ahead is not None and ahead.ready
        # an answer for another query, arriving late: not kept
        queue._page_ahead = None
        queue.on_page_read_ahead(PageReadAhead(ahead.direction, replace(ahead.query, search="else"),
                                               ahead.from_cursor, ahead.page, ahead.epoch, ahead.ready, ahead.spec))
        assert queue._page_ahead is None
        queue.on_page_read_ahead(ahead)
        assert queue._page_ahead is ahead
        # the theme changes before the page key: the rows rendered ahead have the old
        # colours and are not used (the page itself is)
        toggle_theme(app)
        await settle(pilot)
        assert queue._page_ahead is ahead
        await pilot.press("j")
        assert [r.id for r in queue.rows] == [r.id for r in ahead.page.rows]
        widths = table.row_spec().widths
        for i, (_cells, strip) in ahead.ready.items():
            assert table._strips.get(table._row_key(i, widths, False, None)) is not strip
        _assert_drawn_as_from_scratch(table)


async def test_a_new_query_s_rows_come_rendered_from_its_read(make_app) -> None:
    """A filter key's read builds and renders the rows that show first on its worker
    (as a page read ahead does): the frame uses them, and draws what the table would."""
    import threading

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        table = queue.query_one(QueueTable)
        threads: list[bool] = []
        spy(table, "render_rows", threads, record=lambda *a: threading.current_thread() is threading.main_thread())
        given = _record_ready_rows(queue)
        await pilot.press("a")  # a new query (all cases)
        await settle(pilot)
        assert threads and not any(threads)  # rendered on the worker's thread
        assert len(given) == 1 and given[0] is not None
        built, spec = given[0]
        assert spec == table.row_spec() and sorted(built) == list(range(min(len(queue.rows), spec.rows)))
        widths = spec.widths
        used = [i for i, (_cells, strip) in built.items()
                if i != table.cursor_row and table._strips.get(table._row_key(i, widths, False, None)) is strip]
        assert used, "the rows rendered on the worker are the ones drawn"
        _assert_drawn_as_from_scratch(table)


SHORT = (140, 14)  # a short screen: a page is several screenfuls


async def _all_cases_at_last_row(pilot):  # type: ignore[no-untyped-def]
    """All cases, the cursor on the page's last row (below the first screenful):
    (the queue screen, its table, the case under the cursor)."""
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    table = queue.query_one(QueueTable)
    assert len(queue.rows) > table.row_spec().rows + 2
    await pilot.press("G")
    await settle(pilot)
    return queue, table, queue.current_case_id()


async def test_no_rows_are_built_ahead_for_a_cursor_kept_below_the_first_screen(make_app) -> None:
    """A new query that keeps the cursor on its case far down the page: which rows
    show depends on the scroll, so the read builds none (no wasted work)."""
    app = make_app()
    async with app.run_test(size=SHORT) as pilot:
        queue, table, kept = await _all_cases_at_last_row(pilot)
        spec = table.row_spec()
        built = queue._rows_ready(queue.page, "replace", table, spec, kept)
        assert built == {}
        assert queue._rows_ready(queue.page, "replace", table, spec, queue.rows[1].id)  # near the top: built
        assert queue._rows_ready(queue.page, "replace", table, spec, None)


async def test_a_new_query_keeping_the_cursor_far_down_builds_no_rows_on_its_read(make_app) -> None:
    """The real path of the guard above: the cursor on the page's last row, the same
    scope asked for again (the case is kept): the read builds and renders nothing."""
    import threading

    app = make_app()
    async with app.run_test(size=SHORT) as pilot:
        queue, table, kept = await _all_cases_at_last_row(pilot)
        off_main: list[bool] = []
        spy(table, "render_rows", off_main, when=lambda: threading.current_thread() is not threading.main_thread())
        given = _record_ready_rows(queue)
        await pilot.press("a")  # the same query again: the cursor stays on its case
        await settle(pilot)
        assert queue.current_case_id() == kept
        assert given == [None] and off_main == []
        _assert_drawn_as_from_scratch(table)


async def test_a_page_key_before_a_search_s_count_came_counts_with_its_page(make_app, store) -> None:
    """A search's page shown from its read ahead has its count read after the frame;
    a page key before that count came (the count's read then superseded) reads the
    count with the next page, whether that page was read ahead or is read now."""
    from critresp.screens import queue as queue_module

    app = make_app(page_size=7)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        expected = store.queue_count(queue.query_state)
        assert expected > 14
        queue.total = None  # the count not come yet
        await pilot.press("G")
        await settle(pilot)
        assert queue._page_ahead is not None
        await pilot.press("j")  # the page read ahead, shown at once; read again after its frame
        await settle(pilot)
        assert queue.page_index == 1 and queue.total == expected
        queue.total = None
        await pilot.press("G")
        await settle(pilot)
        queue._page_ahead.read_at -= queue_module.READ_AHEAD_MAX_AGE_S + 1  # too old: read now
        await pilot.press("j")
        await settle(pilot)
        assert queue.page_index == 2 and queue.total == expected
