"""A new query's header is drawn with its rows when they come quickly (one frame for
the key), and on its own while slow rows are read."""

from __future__ import annotations

from critresp.screens import queue as queue_module
from critresp.screens.queue import QueueScreen

from .helpers import gate_queue_pages, settle

SIZE = (120, 30)


def _header(queue: QueueScreen) -> str:
    return str(queue.query_one("#queue-header").content)


async def test_quick_rows_come_with_the_header_in_one_frame(make_app, monkeypatch) -> None:
    monkeypatch.setattr(queue_module, "HEADER_WAITS_S", 5.0)  # the rows always come first here
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        drawn: list[str] = []
        orig = queue._render_header

        def render_header() -> None:
            orig()
            drawn.append(_header(queue))

        queue._render_header = render_header  # type: ignore[method-assign]
        await pilot.press("1")  # tier 1 only
        await settle(pilot)
        # drawn once, with the rows (and their count): never the filter without them
        assert len(drawn) == 1 and "tiers: T1" in drawn[0] and " of " in drawn[0]
        assert queue._header_timer is None  # the rows stopped the wait
        assert all(r.tier == 1 for r in queue.rows)


async def test_slow_rows_do_not_hold_back_the_new_header(make_app, store, monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        gate = gate_queue_pages(store, monkeypatch)
        monkeypatch.setattr(queue_module, "HEADER_WAITS_S", 0.001)
        try:
            await pilot.press("2")
            for _ in range(200):  # the header's timer fires while the rows are still being read
                if "tiers: T2" in _header(queue):
                    break
                await pilot.pause()
            assert "tiers: T2" in _header(queue) and " of " not in _header(queue)
            assert not all(r.tier == 2 for r in queue.rows)  # the old rows are still there
        finally:
            gate.set()
        await settle(pilot)
        assert "tiers: T2" in _header(queue) and " of " in _header(queue)
        assert queue.rows and all(r.tier == 2 for r in queue.rows)
