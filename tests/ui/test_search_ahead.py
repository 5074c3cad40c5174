"""A pause in typing into the search box reads that query's first page ahead: Enter
shows it in its own handler, or waits for the read still running instead of
starting another; the count follows after the frame; a change heard of since the
read, or a failed read, makes Enter read (and report) again."""

from __future__ import annotations

import pytest

from critresp.screens.queue import QueueScreen

from .helpers import gate_queue_pages, settle, spy, toasts, until
from .test_search_frame import SIZE, _held, _search_timing


@pytest.fixture(autouse=True)
def _read_ahead_at_once(monkeypatch):  # type: ignore[no-untyped-def]
    """Every test here: the typing pause before a read ahead is 1 ms, only Enter applies."""
    _search_timing(monkeypatch, ahead=0.001)


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Open the search box and type ``text`` in one go (one pause in typing after it:
    the keys one by one would each pause longer than the tests' 1 ms)."""
    await pilot.press("slash")
    pilot.app.screen.query_one("#search").insert_text_at_cursor(text)


async def test_enter_after_a_typing_pause_shows_the_page_read_ahead_then_counts(make_app, store, monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        target = queue.rows[3]
        calls: list[str] = []
        gate_queue_pages(store, monkeypatch, calls).set()  # recorded, not held
        await _type(pilot, target.id)
        await settle(pilot)
        assert calls == [target.id]  # read once, after the pause
        assert queue._search_ahead is not None and queue.query_state.search == ""
        calls[:] = []
        gate = gate_queue_pages(store, monkeypatch)  # any read from now on waits
        try:
            await pilot.press("enter")
            # shown by Enter's own handler: no read waited for
            assert [r.id for r in queue.rows] == [target.id] and queue.query_state.search == target.id
            assert app.focused is queue.table and queue.total is None
        finally:
            gate.set()
        await settle(pilot)
        # after its frame: read again (nothing changed) and counted
        assert [r.id for r in queue.rows] == [target.id] and queue.total == 1
        assert not _held(app)


async def test_enter_during_the_read_ahead_waits_for_it_instead_of_reading_again(make_app, store, monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        target = queue.rows[2]
        calls: list[str] = []
        gate = gate_queue_pages(store, monkeypatch, calls)
        try:
            await _type(pilot, target.id)
            await until(pilot, lambda: calls)  # the pause's read starts (and waits at the gate)
            assert calls == [target.id]
            await pilot.press("enter")
            await until(pilot, lambda: False, rounds=5)
            # the frames wait for that read; no second read of the same page
            assert _held(app) and app.focused is queue.table and queue._reading()
            assert calls == [target.id]
        finally:
            gate.set()
        await settle(pilot)
        assert [r.id for r in queue.rows] == [target.id] and queue.total == 1
        assert calls == [target.id, target.id]  # the read ahead, then the counted read after its frame
        assert not _held(app)


async def test_a_change_heard_of_since_the_read_ahead_makes_enter_read_again(make_app, store, monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        target = queue.rows[1]
        await _type(pilot, target.id)
        await settle(pilot)
        assert queue._search_ahead is not None
        queue._forget_prefetch()  # what a sync's changes or an action do
        calls: list[str] = []
        gate = gate_queue_pages(store, monkeypatch, calls)
        before = [r.id for r in queue.rows]
        try:
            await pilot.press("enter")
            await until(pilot, lambda: False, rounds=5)
            assert calls == [target.id] and [r.id for r in queue.rows] == before  # read again, not shown yet
        finally:
            gate.set()
        await settle(pilot)
        assert [r.id for r in queue.rows] == [target.id] and queue.total == 1


async def test_a_read_ahead_that_fails_is_read_again_by_enter_which_reports(make_app, store, monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        calls: list[str] = []
        gate = gate_queue_pages(store, monkeypatch, calls, RuntimeError("disk I/O error"))
        try:
            await _type(pilot, "zebra")
            await until(pilot, lambda: calls)
            await pilot.press("enter")  # waits for the read ahead, which then fails
            await until(pilot, lambda: False, rounds=5)
            assert calls == ["zebra"]
        finally:
            gate.set()
        await settle(pilot)
        assert calls == ["zebra", "zebra"]  # Enter's own read, after the read ahead failed
        assert any("disk I/O error" in t for t in toasts(app))
        assert not _held(app)


async def test_the_first_frame_after_enter_has_the_rows_read_ahead_and_the_focus_moved(make_app, store) -> None:
    """Rows shown by Enter's own handler still wait for the focus change (the search
    box's blur, the table's focus): one frame with both, not the rows first and the
    restyle in a second frame."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        target = queue.rows[3]
        await _type(pilot, target.id)
        await settle(pilot)
        assert queue._search_ahead is not None
        box = queue.query_one("#search")
        frames: list[tuple[bool, bool, list[str]]] = []
        spy(app, "_display", frames, record=lambda *a: (queue.table.has_focus, box.has_focus,
                                                          [r.id for r in queue.rows]))
        await pilot.press("enter")
        await settle(pilot)
        assert frames, "drawn"
        assert frames[0] == (True, False, [target.id])
        assert not _held(app) and queue._held_for == set()


async def test_a_failed_read_ahead_is_not_retried_for_the_same_query(make_app, store, monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        calls: list[str] = []
        gate_queue_pages(store, monkeypatch, calls, RuntimeError("disk I/O error")).set()
        await _type(pilot, "zebra")
        await settle(pilot)
        await settle(pilot)
        assert calls == ["zebra"] and queue._search_ahead_failed is not None
        queue.query_one("#search").insert_text_at_cursor("s")  # another query: read ahead
        await settle(pilot)
        assert calls == ["zebra", "zebras"]


async def test_an_adopted_read_from_before_a_change_is_read_again(make_app, store, monkeypatch) -> None:
    """Enter waits for the read ahead still running; a change heard of meanwhile (a
    sync, an action) makes it read again rather than show the older page."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        target = queue.rows[2]
        calls: list[str] = []
        gate = gate_queue_pages(store, monkeypatch, calls)
        try:
            await _type(pilot, target.id)
            await until(pilot, lambda: calls)
            await pilot.press("enter")
            queue._forget_prefetch()  # heard of a change while it reads
        finally:
            gate.set()
        await settle(pilot)
        assert calls[:2] == [target.id, target.id]  # the read ahead, then read again for Enter
        assert [r.id for r in queue.rows] == [target.id] and queue.total == 1
