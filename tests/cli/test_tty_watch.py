"""critresp.tty_watch: the console's terminal watched for going away."""

from __future__ import annotations

import os
import threading

import pytest

from critresp.tty_watch import watch_terminal

pty = pytest.importorskip("pty")


def test_a_descriptor_that_is_no_terminal_is_not_watched() -> None:
    r, w = os.pipe()
    try:
        assert watch_terminal(r, on_gone=lambda: None) is None
    finally:
        os.close(r)
        os.close(w)


def test_a_terminal_that_goes_away_is_noticed() -> None:
    master, slave = pty.openpty()
    gone = threading.Event()
    stop = watch_terminal(slave, interval=0.01, on_gone=gone.set)
    try:
        assert stop is not None
        assert not gone.is_set()  # (the terminal is there)
        os.close(master)  # the terminal goes away
        assert gone.wait(10), "the dead terminal was not noticed"
    finally:
        if stop is not None:
            stop.set()
        os.close(slave)


def test_a_stopped_watch_does_nothing_when_the_terminal_goes_later() -> None:
    master, slave = pty.openpty()
    calls: list[int] = []
    stop = watch_terminal(slave, interval=0.01, on_gone=lambda: calls.append(1))
    assert stop is not None
    stop.set()
    os.close(master)
    # the watch thread has ended: joined by name, then nothing was called
    for t in threading.enumerate():
        if t.name == "terminal-watch":
            t.join(10)
    assert calls == []
    os.close(slave)
