"""Enter in the search box: the focus moves to the table at once, and the screen is
drawn once, when the results come (``BaseScreen.hold_frames``); a table whose row
count changes keeps its layout (the scrollbar always shows)."""

from __future__ import annotations

from critresp.screens import queue as queue_module
from critresp.screens.queue import QueueScreen
from critresp.widgets.queue_table import QueueTable

from .helpers import gate_queue_pages, screen_text, settle, spy, toasts, until
from .test_direct_lines import _bar_lines_both_ways

SIZE = (120, 16)  # fewer lines than rows: the scrollbar has a thumb to move


def _held(app) -> bool:  # type: ignore[no-untyped-def]
    return app._batch_count > 0


async def _type_search(pilot, text: str) -> QueueScreen:  # type: ignore[no-untyped-def]
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    await pilot.press("slash")
    await pilot.press(*text)
    await settle(pilot)
    return queue


def _search_timing(monkeypatch, *, debounce: float = 60.0, holds: float = 60.0,  # type: ignore[no-untyped-def]
                   ahead: float = 60.0) -> None:
    """The search box's debounce (60 s: only Enter applies), frame hold limit and
    typing pause before its read ahead (60 s: none)."""
    monkeypatch.setattr(queue_module, "SEARCH_DEBOUNCE", debounce)
    monkeypatch.setattr(queue_module, "SEARCH_HOLDS_S", holds)
    monkeypatch.setattr(queue_module, "SEARCH_AHEAD_PAUSE_S", ahead)


async def test_enter_moves_focus_at_once_and_draws_once_with_the_results(make_app, store, monkeypatch) -> None:
    _search_timing(monkeypatch)  # only Enter applies; the results always come first here
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        target = app.screen.rows[3]
        queue = await _type_search(pilot, target.id)
        displayed: list[object] = []
        spy(app, "_display", displayed)
        gate = gate_queue_pages(store, monkeypatch)
        try:
            await pilot.press("enter")
            for _ in range(5):
                await pilot.pause()
            # the focus moved while the query runs, and nothing was drawn meanwhile
            assert app.focused is queue.table
            assert _held(app) and displayed == []
        finally:
            gate.set()
        await settle(pilot)
        assert not _held(app) and "_frame_hold" not in queue.__dict__
        assert displayed, "the results were drawn"
        assert [r.id for r in queue.rows] == [target.id]


async def test_slow_results_do_not_hold_the_screen_longer_than_the_limit(make_app, store, monkeypatch) -> None:
    _search_timing(monkeypatch, holds=0.001)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = [r.id for r in app.screen.rows]
        target = app.screen.rows[2]
        queue = await _type_search(pilot, target.id)
        gate = gate_queue_pages(store, monkeypatch)
        try:
            await pilot.press("enter")
            # the hold's timer ends it while the rows are still being read
            await until(pilot, lambda: not _held(app) and app.focused is queue.table)
            assert not _held(app) and app.focused is queue.table
            assert [r.id for r in queue.rows] == before  # the old rows are still there
        finally:
            gate.set()
        await settle(pilot)
        assert [r.id for r in queue.rows] == [target.id]


async def test_a_failed_search_or_a_covered_screen_ends_the_hold(make_app, store, monkeypatch) -> None:
    _search_timing(monkeypatch)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = await _type_search(pilot, "zebra")

        def broken(*a, **k):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk I/O error")

        monkeypatch.setattr(store, "queue_page", broken)
        await pilot.press("enter")
        await settle(pilot)
        assert not _held(app)
        assert any("disk I/O error" in t for t in toasts(app))
        # a hold is also ended when another screen covers this one
        queue.hold_frames(60.0)
        assert _held(app)
        await pilot.press("question_mark")
        await settle(pilot)
        assert app.screen is not queue and not _held(app)


async def test_a_page_of_another_row_count_needs_no_layout_pass(make_app, monkeypatch) -> None:
    monkeypatch.setattr(queue_module, "SEARCH_HOLDS_S", 60.0)  # the results end the hold, not its timer
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")  # all cases: more rows than fit
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        table = queue.query_one(QueueTable)
        bar = table.vertical_scrollbar
        await pilot.press("end")
        await settle(pilot)
        assert table.scroll_offset.y > 0 and bar.display
        target = queue.rows[-1]
        queue = await _type_search(pilot, target.id)
        layouts: list[object] = []
        spy(queue, "_refresh_layout", layouts)
        await pilot.press("enter")
        await settle(pilot)
        assert [r.id for r in queue.rows] == [target.id]
        assert layouts == []  # the table's size and place did not change
        # what the layout pass did for a new virtual size is done all the same
        assert table.virtual_size.height == 2  # the header and one row
        assert bar.window_virtual_size == 2 and table.scroll_offset.y == 0
        assert bar.display  # always shown: no column moves
        mine, textual = _bar_lines_both_ways(bar)
        assert mine == textual
        # and back to a full page: the range grows again
        await pilot.press("escape")
        await settle(pilot)
        assert table.virtual_size.height == len(queue.rows) + 1 > 2
        assert bar.window_virtual_size == table.virtual_size.height


async def test_a_restyle_during_a_hold_is_drawn_after_it(make_app) -> None:
    """A layout pass while frames are held (here a theme change; a resize is the
    same) is not drawn and dropped: the frame after the hold draws it all."""
    from .helpers import toggle_theme
    from .test_terminal_frames import SIZE as FRAMES_SIZE
    from .test_terminal_frames import Terminal, _stale_lines, _whole

    app = make_app()
    terminal = Terminal(*FRAMES_SIZE)
    display = app._display
    sent: list[object] = []

    def spy(screen, update):  # type: ignore[no-untyped-def]
        if not app._batch_count:  # what reaches the terminal (Textual drops the rest)
            terminal.apply(update)
            sent.append(update)
        return display(screen, update)

    app._display = spy
    async with app.run_test(size=FRAMES_SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        queue.hold_frames(60.0)
        sent.clear()
        toggle_theme(app)
        await settle(pilot)
        assert sent == [] and queue.__dict__.get("_frame_skipped")
        queue.release_frames()
        await settle(pilot)
        assert sent and not _held(app)
        assert _stale_lines(terminal, _whole(app)) == []


async def test_rows_fit_beside_the_scrollbar_whatever_their_count(make_app, monkeypatch) -> None:
    monkeypatch.setattr(queue_module, "SEARCH_DEBOUNCE", 60.0)
    app = make_app()
    async with app.run_test(size=(160, 16)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        for _ in range(2):  # a full page, then one row
            assert table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
            assert table.virtual_size.width == table.scrollable_content_region.width
            queue = await _type_search(pilot, app.screen.rows[0].id)
            await pilot.press("enter")
            await settle(pilot)
        assert len(queue.rows) == 1


async def test_enter_while_typing_s_own_read_runs_holds_too(make_app, store, monkeypatch) -> None:
    """The pause in typing already started this search's read: Enter holds the
    frames for its results all the same."""
    _search_timing(monkeypatch, debounce=0.001)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        target = app.screen.rows[1]
        queue = app.screen
        gate = gate_queue_pages(store, monkeypatch)
        try:
            await pilot.press("slash", *target.id)
            await until(pilot, queue._reading)  # the debounce's read starts (and waits at the gate)
            assert queue._reading() and queue.query_state.search == target.id
            await pilot.press("enter")
            assert _held(app) and app.focused is queue.table
        finally:
            gate.set()
        await settle(pilot)
        assert not _held(app) and [r.id for r in queue.rows] == [target.id]


async def test_a_new_query_is_counted_beside_its_page_read(make_app, store, monkeypatch) -> None:
    """The count of a new query runs on a thread of its own while the page is read,
    not after it (docs/performance.md, session 10); a failing count is reported."""
    import threading

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        counting = threading.Event()
        seen: dict[str, object] = {}
        read_page, count = store.queue_page, store.queue_count

        def page(*a, **k):  # type: ignore[no-untyped-def]
            seen["page"] = threading.get_ident()
            seen["counted while read"] = counting.wait(5.0)  # (after it: 5 s, then False)
            return read_page(*a, **k)

        def counted(query):  # type: ignore[no-untyped-def]
            seen["count"] = threading.get_ident()
            counting.set()
            return count(query)

        monkeypatch.setattr(store, "queue_page", page)
        monkeypatch.setattr(store, "queue_count", counted)
        await pilot.press("a")  # all cases: a new query, read and counted
        await settle(pilot)
        assert seen["counted while read"] is True
        assert queue.total == count(queue.query_state) > 0
        assert f"of {queue.total}" in screen_text(app)

        def broken(query):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk I/O error")

        monkeypatch.setattr(store, "queue_count", broken)
        await pilot.press("u")
        await settle(pilot)
        assert any("disk I/O error" in t for t in toasts(app))


async def test_a_count_still_running_does_not_hold_up_the_next_query_s(make_app, store, monkeypatch) -> None:
    """A query typed over leaves its count running (a thread cannot be stopped): the
    next query's count runs beside it, and its answer shows while the first is stuck."""
    import threading

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        release, started = threading.Event(), threading.Event()
        count = store.queue_count
        first: list[object] = []

        def counted(query):  # type: ignore[no-untyped-def]
            if not first:
                first.append(query)
                started.set()
                release.wait(30.0)
            return count(query)

        monkeypatch.setattr(store, "queue_count", counted)
        try:
            await pilot.press("a")  # all cases: its count is stuck
            await until(pilot, started.is_set, rounds=500)
            assert started.is_set()
            await pilot.press("1")  # and T1 only: counted beside it
            await until(pilot, lambda: queue.total is not None and queue.query_state.tiers and queue.rows, rounds=500)
            assert not release.is_set() and queue.query_state.tiers
            assert queue.total == count(queue.query_state) and f"of {queue.total}" in screen_text(app)
        finally:
            release.set()
        await settle(pilot)


async def test_on_the_quick_reader_of_a_cold_start_the_count_follows_the_page(make_app, store, monkeypatch) -> None:
    """Until the full store is open the console reads through one connection: the
    count is not run beside the page (it would hold the page up)."""
    import threading

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        order: list[tuple[str, int]] = []
        read_page, count = store.queue_page, store.queue_count
        monkeypatch.setattr(store, "is_open", False, raising=False)

        def page(*a, **k):  # type: ignore[no-untyped-def]
            order.append(("page", threading.get_ident()))
            return read_page(*a, **k)

        def counted(query):  # type: ignore[no-untyped-def]
            order.append(("count", threading.get_ident()))
            return count(query)

        monkeypatch.setattr(store, "queue_page", page)
        monkeypatch.setattr(store, "queue_count", counted)
        await pilot.press("a")
        await settle(pilot)
        assert [k for k, _ in order] == ["page", "count"] and order[0][1] == order[1][1]
        assert queue.total == count(queue.query_state)
