"""In-process change notification: wakes long-polling pulls when a change commits.

Writers run in worker threads; waiters are coroutines on the server's event
loop(s). ``notify`` is thread-safe and wakes every waiter through
``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import threading


class ChangeHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._latest = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def latest(self) -> int:
        return self._latest

    def notify(self, seq: int) -> None:
        with self._lock:
            if seq > self._latest:
                self._latest = seq
            waiters = list(self._waiters)
        for loop, ev in waiters:
            try:
                loop.call_soon_threadsafe(ev.set)
            except RuntimeError:  # loop closed
                pass

    def subscribe(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        """Register a waiter (call before checking the database, to miss nothing)."""
        token = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(token)
            self._changed.notify_all()
        return token

    def unsubscribe(self, token: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            self._waiters.discard(token)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def wait_for_waiters(self, n: int, timeout: float) -> bool:
        """Block until at least ``n`` pulls are waiting (for tests and diagnostics)."""
        with self._lock:
            return self._changed.wait_for(lambda: len(self._waiters) >= n, timeout)

    def wake_all(self) -> None:
        """Wake every waiter (used at shutdown)."""
        self.notify(self._latest)
