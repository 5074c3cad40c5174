"""The framework's floor for keystroke-to-screen on this machine.

    python -m bench.floor [--reps 60]

A minimal Textual app (no critresp code) whose key handler replaces the text of
one full-size ``Static`` (45 lines of 100+ characters, i.e. a whole table's worth
of cells) -- measured like ``bench.interact``: from handing the key event to the
app, as the terminal driver does, until the screen's update timer has run the
compositor refresh that shows it (headless, 160x50). No sleeps.

No console code is involved, so this is the least a full repaint of the queue
can cost here: it puts the console's keystroke figures (and the 30 ms target)
in proportion. Printed as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

SIZE = (160, 50)


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    k = (len(v) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


async def measure(reps: int) -> dict[str, Any]:
    from rich.text import Text
    from textual import events
    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.widgets import Static

    painted = asyncio.Event()
    state = {"n": 0, "changed": False}

    class Floor(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(id="s")

        def on_key(self, event: events.Key) -> None:
            if event.key == "x":
                state["n"] += 1
                n = state["n"]
                text = Text("\n".join(f"row {i:>3} value {n:>6} " + "x" * 100 for i in range(45)))
                self.query_one("#s", Static).update(text)
                state["changed"] = True

    original = Screen._on_timer_update

    def on_timer_update(self: Screen) -> None:  # type: ignore[type-arg]
        original(self)
        if state["changed"]:
            state["changed"] = False
            painted.set()

    Screen._on_timer_update = on_timer_update  # type: ignore[method-assign]
    app = Floor()
    out: list[float] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            for _ in range(reps):
                painted.clear()
                t0 = time.perf_counter()
                ev = events.Key("x", "x")
                ev.set_sender(app)
                app._driver.send_message(ev)  # type: ignore[union-attr]
                await asyncio.wait_for(painted.wait(), 30)
                out.append((time.perf_counter() - t0) * 1000)
                await pilot.pause()
    finally:
        Screen._on_timer_update = original  # type: ignore[method-assign]
    return {"n": len(out), "p50_ms": round(pct(out, 0.5), 2), "p95_ms": round(pct(out, 0.95), 2),
            "max_ms": round(max(out), 2)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.floor")
    ap.add_argument("--reps", type=int, default=60)
    a = ap.parse_args(argv)
    print(json.dumps(asyncio.run(measure(a.reps))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
