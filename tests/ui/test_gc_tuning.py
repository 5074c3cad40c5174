"""The console's garbage-collection tuning (CritrespApp._freeze_heap): the heap alive
after start-up is frozen once, full collections wait for a pause in typing, and
only the real console does any of it (never an app inside the test process).

The interpreter's gc is process-wide, so these tests replace the app module's
``gc`` with a recorder instead of touching the real one."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from critresp import app as app_module

from .helpers import settle

SIZE = (140, 45)


class GcRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.threshold = (700, 10, 10)

    def collect(self, *a) -> int:
        self.calls.append(("collect", *a))
        return 0

    def freeze(self) -> None:
        self.calls.append(("freeze",))

    def get_threshold(self) -> tuple[int, int, int]:
        return self.threshold

    def set_threshold(self, *t: int) -> None:
        self.calls.append(("set_threshold", *t))
        self.threshold = t


@pytest.fixture
def fake_gc(monkeypatch: pytest.MonkeyPatch) -> GcRecorder:
    rec = GcRecorder()
    monkeypatch.setattr(app_module, "gc", SimpleNamespace(
        collect=rec.collect, freeze=rec.freeze, get_threshold=rec.get_threshold, set_threshold=rec.set_threshold,
    ))
    return rec


async def test_apps_leave_the_collector_alone_unless_asked(make_app, fake_gc: GcRecorder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.rows
    assert fake_gc.calls == [] and not app.heap_frozen


async def test_the_console_freezes_its_heap_after_the_first_paint(make_app, fake_gc: GcRecorder) -> None:
    app = make_app(freeze_heap=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert app.heap_frozen
        assert fake_gc.calls[:3] == [("collect",), ("freeze",), ("set_threshold", 700, 10, app_module.FULL_GC_NEVER)]
        fake_gc.calls.clear()

        # typing: no full collection while keys keep coming
        await pilot.press("down")
        app._idle_collect()
        assert fake_gc.calls == []
        # a pause in typing: the full collection runs then
        app._last_input = time.monotonic() - app_module.IDLE_GC_QUIET_S - 1
        app._idle_collect()
        assert fake_gc.calls == [("collect",)]
        # and typing without a pause never postpones it past the limit
        fake_gc.calls.clear()
        await pilot.press("down")
        app._last_full_gc = time.monotonic() - app_module.IDLE_GC_MAX_WAIT_S - 1
        app._idle_collect()
        assert fake_gc.calls == [("collect",)]
        # frozen once, however often the first page is painted
        app._freeze_heap()
        assert ("freeze",) not in fake_gc.calls
