"""critresp.tty_watch: the console's terminal watched for going away."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from critresp.tty_watch import watch_terminal

pty = pytest.importorskip("pty")
# a hung-up terminal stops being a terminal (isatty False) on Linux; other systems
# may report it otherwise, and the watch then never fires there
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux reports a hung-up tty")


def test_a_descriptor_that_is_no_terminal_is_not_watched() -> None:
    r, w = os.pipe()
    try:
        assert watch_terminal(r, on_gone=lambda: None) is None
    finally:
        os.close(r)
        os.close(w)


@linux_only
def test_a_terminal_that_goes_away_asks_the_app_to_exit_and_ends_it_if_it_does_not() -> None:
    master, slave = pty.openpty()
    asked = threading.Event()
    gone = threading.Event()
    stop = watch_terminal(slave, interval=0.01, request_exit=asked.set, on_gone=gone.set, grace=0.01)
    try:
        assert stop is not None
        os.close(master)  # the terminal goes away
        assert asked.wait(10), "the app was not asked to exit"
        assert gone.wait(10), "the process was not ended when the app did not exit"
    finally:
        if stop is not None:
            stop.set()
        os.close(slave)


@linux_only
def test_an_app_that_exits_in_time_is_not_ended() -> None:
    master, slave = pty.openpty()
    ended: list[int] = []
    holder: dict[str, threading.Event] = {}

    def request_exit() -> None:
        holder["stop"].set()  # the app exits: its run ends and stops the watch

    stop = watch_terminal(slave, interval=0.01, request_exit=request_exit, on_gone=lambda: ended.append(1),
                          grace=10)
    assert stop is not None
    holder["stop"] = stop
    os.close(master)
    for t in threading.enumerate():
        if t.name == "terminal-watch":
            t.join(20)
    assert stop.is_set() and ended == []
    os.close(slave)


def test_a_stopped_watch_does_nothing_when_the_terminal_goes_later() -> None:
    master, slave = pty.openpty()
    calls: list[int] = []
    stop = watch_terminal(slave, interval=0.01, request_exit=lambda: calls.append(1), on_gone=lambda: calls.append(2))
    assert stop is not None
    stop.set()
    for t in threading.enumerate():
        if t.name == "terminal-watch":
            t.join(10)
    os.close(master)
    assert calls == []
    os.close(slave)
