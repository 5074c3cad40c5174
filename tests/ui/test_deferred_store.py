"""The console on a DeferredStore (store.quick): first page from the quick reader,
the full store opened after it, and a failed full open ends the app with one line."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from critresp.store import Store, StoreError
from critresp.store.quick import DeferredStore, open_for_console
from critresp.screens.case import CaseScreen
from critresp.screens.queue import QueueScreen

from .helpers import screen_text, settle

SIZE = (140, 45)


def _path(store) -> Path:
    return Path(store.path)


async def test_console_paints_from_the_quick_reader_then_opens_the_store(store, clock, actor, tmp_path) -> None:
    from critresp.app import CritrespApp

    path = _path(store)
    opened: list[Store] = []

    def opener() -> Store:
        s = Store.open(path, clock)
        opened.append(s)
        return s

    deferred = open_for_console(path, opener)
    assert isinstance(deferred, DeferredStore)
    app = CritrespApp(store=deferred, clock=clock, actor=actor, views_path=tmp_path / "views.json")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            q = app.screen
            assert isinstance(q, QueueScreen) and q.rows
            first = q.rows[0].id
            assert first in screen_text(app)
            deferred.wait()  # started by the first paint
            assert len(opened) == 1
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen) and app.screen.detail.id == first
    finally:
        deferred.close()


async def test_failed_full_open_ends_the_console_with_one_line(store, clock, actor, tmp_path) -> None:
    from critresp.app import CritrespApp

    def opener() -> Store:
        raise StoreError("The local store /x/critresp.db is locked by another process (is critresp already running?).")

    deferred = open_for_console(_path(store), opener)
    app = CritrespApp(store=deferred, clock=clock, actor=actor, views_path=tmp_path / "views.json")
    heard = threading.Event()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the first page is painted: the full open starts, and fails
        # listeners run in order: the app's own (registered at mount) has been handled
        # on the UI thread by the time this one is called
        deferred.on_open_failed(lambda exc: heard.set())
        assert await asyncio.to_thread(heard.wait, 30)
        await pilot.pause()
    assert app.fatal_error and "locked by another process" in app.fatal_error
    assert app.return_code == 1
    deferred.close()
