"""The console ends when its terminal goes away, also when no hangup signal says so.

A terminal that closes normally sends the console SIGHUP, which ends it. But when
the terminal goes away without one reaching the console -- it was started under
``make`` (seen: ``make demo`` in a tmux pane that was killed), under ``nohup``, or by
something else that does not pass the hangup on -- the console kept running with a dead terminal: Textual's input
thread then reads end-of-file in a loop at 100 % of a CPU and the screen's writer
blocks for good (Textual PR #6690, open). This watch notices the dead terminal
(its descriptor stops being a terminal) and ends the console as SIGHUP would, also
when the hangup is ignored (``nohup``).
Everything the associate did is already in the store's committed transactions
(and actions in its outbox), so nothing is lost that a normal hangup would keep.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Callable

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 1.0


def _hang_up() -> None:
    """End the process as the default action of SIGHUP does (at once, status 129),
    also when SIGHUP is ignored (as under ``nohup``): by then the screen's writer may
    be blocked on the dead terminal, so no orderly exit can run."""
    logging.shutdown()  # the log line above is written
    os._exit(128 + int(getattr(signal, "SIGHUP", 1)))


def watch_terminal(fd: int, interval: float = WATCH_INTERVAL_S,
                   on_gone: Callable[[], None] | None = None) -> threading.Event | None:
    """Start watching ``fd`` (the console's terminal): when it stops being a terminal,
    log it and call ``on_gone`` (default: end the process as a hangup would). Returns
    an event that stops the watch, or None when ``fd`` is not a terminal to begin
    with (nothing to watch)."""
    if on_gone is None:
        on_gone = _hang_up
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
            if not alive:
                log.warning("the terminal went away without a hangup signal: the console ends")
                on_gone()
                return

    threading.Thread(target=run, name="terminal-watch", daemon=True).start()
    return stop
