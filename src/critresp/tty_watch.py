"""The console ends when its terminal goes away, also when no hangup signal says so.

A terminal that closes normally sends the console SIGHUP, which ends it. But when
the terminal goes away without one reaching the console -- it was started under
``make`` (seen: ``make demo`` in a tmux pane that was killed), or by something else
that ignores or does not pass the hangup on -- the console kept running with a
dead terminal: Textual's input thread then reads end-of-file in a loop at 100 % of
a CPU and the screen's writer may block for good (Textual PR #6690, open). This
watch notices the dead terminal (its descriptor stops being a terminal, which is
how Linux reports a hung-up terminal) and asks the app to exit, so the console
closes its store and sync as on a normal quit; if the app cannot (its main thread
is blocked on the dead terminal), the process ends as a hangup would (status 129).
What the associate did is in the store's committed transactions and outbox either
way. (Under ``nohup`` stdin is not a terminal at all: nothing is watched.)
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 1.0
# how long the app has to exit on its own before the process is ended
EXIT_GRACE_S = 3.0
HANGUP_STATUS = 129  # 128 + SIGHUP, as a process ended by a hangup reports


def _hang_up() -> None:
    os._exit(HANGUP_STATUS)


def watch_terminal(fd: int, interval: float = WATCH_INTERVAL_S, request_exit: Callable[[], None] | None = None,
                   on_gone: Callable[[], None] | None = None, grace: float = EXIT_GRACE_S,
                   ) -> threading.Event | None:
    """Start watching ``fd`` (the console's terminal). When it stops being a
    terminal: log it, call ``request_exit`` (must not block), and if the watch is not
    stopped within ``grace`` seconds (the app's exit stops it), call ``on_gone``
    (default: end the process with status 129). Returns the event that stops the
    watch, or None when ``fd`` is not a terminal to begin with (nothing to watch)."""
    gone_action = on_gone or _hang_up
    try:
        if not os.isatty(fd):
            return None
    except OSError:
        return None
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            try:
                alive = os.isatty(fd)
            except OSError:
                alive = False
            if alive:
                continue
            if stop.is_set():
                return  # stopped meanwhile: the app is exiting anyway
            log.warning("the terminal went away without a hangup signal: the console ends")
            if request_exit is not None:
                try:
                    request_exit()
                except Exception:  # noqa: BLE001 - the loop may be gone already: end the process
                    log.exception("asking the console to exit failed")
                if stop.wait(grace):
                    return  # the app exited and stopped the watch
            gone_action()
            return

    threading.Thread(target=run, name="terminal-watch", daemon=True).start()
    return stop
