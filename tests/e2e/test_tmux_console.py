"""Drive the installed `critresp` command in a real pseudo-terminal (tmux):
queue -> case -> macro reply -> confirm -> the reply is queued in the outbox."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest

from critresp.demo.generator import generate
from critresp.domain.clock import SystemClock
from critresp.store import Store

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        # a private server socket: no user config, no interference with other tmux servers
        return subprocess.run(
            ["tmux", "-L", self.name, "-f", "/dev/null", *args], check=True, capture_output=True, text=True
        ).stdout

    def start(self, command: str, env: dict[str, str], width: int = 160, height: int = 48) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.run("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                 f"env -i {exports} {command}; echo CRITRESP-EXITED-$?; sleep 600")
        self.run("resize-window", "-t", self.name, "-x", str(width), "-y", str(height))

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.name, "-l", text)

    def wait_for(self, needle: str, timeout: float = 60.0) -> str:
        """Poll the screen until ``needle`` shows (a condition, not a fixed sleep)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if needle in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} never appeared on screen; last screen:\n{screen}")

    def wait_until(self, ok: Callable[[str], bool], timeout: float = 30.0) -> str:
        """Poll the screen until ``ok(screen)`` (a condition, not a fixed sleep)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if ok(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"the screen never got there; last screen:\n{screen}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.name, "kill-server"], capture_output=True)


def _console_data(tmp_path: Path, cases: int, seed: int) -> tuple[Path, dict[str, str], str]:
    """A store of ``cases`` generated cases in a private data dir, the environment
    the console runs in, and the id of the queue's first case."""
    from critresp.store.views import QueueQuery

    data = tmp_path / "data"
    clock = SystemClock()
    store = Store.open(data / "critresp.db", clock=clock)
    for chunk in generate(cases, seed=seed, now=clock.now()):
        store.import_dataset(chunk)
    first = store.queue_page(QueueQuery(), limit=1).rows[0].id
    store.close()
    env = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "CRITRESP_DATA_DIR": str(data),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    return data, env, first


def test_queue_to_case_to_queued_reply(tmp_path: Path, critresp_bin: Path) -> None:
    data, env, first_id = _console_data(tmp_path, 120, seed=11)
    tm = Tmux(f"critresp-{uuid.uuid4().hex[:8]}")
    tm.start(str(critresp_bin), env)
    try:
        # the queue paints from the local store, highest priority first
        tm.wait_for(first_id)
        tm.wait_for("0 pending")
        tm.keys("Enter")  # open the highlighted case
        tm.wait_for(f"{first_id}  ")
        tm.wait_for("PARTIES")
        tm.keys("r")  # reply
        screen = tm.wait_for("PUBLIC REPLY to")
        assert "Find a macro" in screen
        tm.type("still reviewing")
        tm.keys("Enter")  # pick the best match
        tm.wait_for("Send reply")
        tm.wait_for("Hi ")  # the rendered, editable draft
        tm.keys("C-s")
        confirm = tm.wait_for("Send this PUBLIC reply?")
        assert "still reviewing" in confirm  # the confirm step shows what will be sent
        tm.keys("y")
        screen = tm.wait_for("1 pending")
        assert "↑pending" in screen or "pending" in screen
        tm.keys("Escape")
        tm.wait_for("rows 1–")  # back on the queue
        # the case screen is kept and pushed again for the next case: the terminal must
        # show it whole, nothing of the queue left where the new case did not draw
        tm.keys("Down", "Enter")
        tm.wait_for("PARTIES")
        # polled: a capture may catch the terminal mid-write; a leftover never goes away
        tm.wait_until(lambda screen: "PARTIES" in screen and "rows 1–" not in screen and "sort:" not in screen)
        tm.keys("Escape")
        tm.wait_for("rows 1–")
        tm.keys("q")
        tm.wait_for("Quit critresp?")
        tm.keys("y")
        tm.wait_for("CRITRESP-EXITED-0")
    finally:
        tm.kill()

    # the reply is in the outbox, queued for delivery, in the real store
    con = sqlite3.connect(data / "critresp.db")
    try:
        rows = con.execute("SELECT kind, case_id, state FROM outbox ORDER BY seq").fetchall()
        assert ("send_reply", first_id) in [(k, c) for k, c, _ in rows]
        assert all(state == "pending" for *_, state in rows)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _running(pid: int) -> bool:
    """The process exists and has not exited (a zombie waiting to be reaped has)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status and "\nState:\tX" not in status


@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                    reason="needs Linux /proc with task children")
def test_the_console_ends_when_its_terminal_goes_away_without_a_hangup(tmp_path: Path, critresp_bin: Path) -> None:
    """The console started with hangups ignored (``trap "" HUP``; under ``make`` no
    hangup reached it either): when its terminal goes away it notices the dead
    terminal itself (critresp.tty_watch) and ends, instead of spinning on it."""
    _data, env, _first = _console_data(tmp_path, 30, seed=5)
    tm = Tmux(f"critresp-{uuid.uuid4().hex[:8]}")
    tm.start(f"sh -c 'trap \"\" HUP; exec {critresp_bin}'", env)
    try:
        tm.wait_for("rows 1–")
        shell = int(tm.run("list-panes", "-t", tm.name, "-F", "#{pane_pid}").split()[0])
        env_proc = _children(shell)  # `env -i ... sh -c '...; exec critresp'` execs the console
        assert len(env_proc) == 1, env_proc
        console = env_proc[0]
        assert _running(console)
        status = Path(f"/proc/{console}/status").read_text()
        ignored = int(next(line for line in status.splitlines() if line.startswith("SigIgn:")).split()[1], 16)
        assert ignored & (1 << (1 - 1)), "SIGHUP (1) is ignored: no hangup can end the console"
    finally:
        tm.kill()  # the terminal goes away
    deadline = time.monotonic() + 30
    while _running(console) and time.monotonic() < deadline:
        time.sleep(0.1)  # polled: the condition is the process gone, bounded
    still_running = _running(console)
    if still_running:
        os.kill(console, 9)  # do not leave it spinning
    assert not still_running, "the console kept running after its terminal went away"
