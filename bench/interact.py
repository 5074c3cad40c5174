"""Keystroke-to-screen latency and peak memory of the console, in one fresh process.

    python -m bench.interact STORE_PATH OUT_JSON [--reps N]

Runs the real ``CritrespApp`` on the real ``Store`` headless (``App.run_test``)
and measures, for each keystroke, the time from handing the key event to the
app (exactly what the terminal driver does) until the screen that shows its
result has been refreshed:

- ``filter``: scope / tier / sort keys (``u a m 0 1 2 3 o x``) -> the new first page;
- ``search``: Enter in the search box -> the matching page (terms picked from the
  store's own FTS vocabulary: very common, middling and rare words, prefixes and
  two-word queries), Enter pressed right after the typed keys were handled (the
  harness's settle, Textual's ``pilot.pause()``: ~40 ms after the keys were sent
  on the benchmark's VM);
- ``search_paused``: the same, Enter pressed ``TYPING_GAP_S`` after the last typed
  key (a person's gap between the last letter and Enter: the typing pause's read
  ahead has run by then, as it would for a person);
- ``search_burst``: the same keys and Enter sent together (scripted keystrokes, or
  keys typed ahead while the console was busy): no pause in typing, so nothing is
  read ahead (``burst_searches_read_ahead`` counts the searches where something
  was) and Enter reads the page; timed from the Enter sent, the typed keys'
  handling ahead of it included;
- ``page``: PageDown on the last row / PageUp on the first -> the next / previous page;
- ``open``: Enter on a queue row -> the case detail rendered (``open_history``:
  until the party-history tab is rendered too).

"Refreshed" = the handler of the worker's result message (``QueueLoaded`` /
the case screen's ``_render_all`` / ``_render_history``) ran, after it the screen's
update timer ran a compositor refresh, and then nothing is pending (no queued
messages, no widget waiting to repaint or re-layout), checked after that refresh
and whenever a widget's message queue runs empty: the new content is on screen.
No sleeps.
The process's peak RSS (VmHWM, see ``bench.probe.peak_rss_kb``) at the end is the console's peak memory
for this session.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZE = (160, 50)
WAIT_S = 60.0
# ``search_paused``: Enter this long after the last typed key. A fast typist's
# keys come ~100-200 ms apart; the gap before Enter is at least one of those.
TYPING_GAP_S = 0.15


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(values_s: list[float]) -> dict[str, Any]:
    ms = [v * 1000 for v in values_s]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 0.5), 2) if ms else None,
        "p95_ms": round(pct(ms, 0.95), 2) if ms else None,
        "max_ms": round(max(ms), 2) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
    }


def search_terms(store_path: str, rng: random.Random, n: int) -> list[str]:
    """Queries drawn from the store's FTS vocabulary at several document frequencies."""
    con = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        con.execute("CREATE VIRTUAL TABLE temp.bench_vocab USING fts5vocab(main, case_doc, row)")
        rows = con.execute(
            "SELECT term, doc FROM temp.bench_vocab WHERE length(term) >= 4 AND term GLOB '[a-z]*' ORDER BY doc DESC"
        ).fetchall()
    finally:
        con.close()
    if not rows:
        return ["report"] * n
    top = [t for t, _ in rows[:15]]
    mid = [t for t, _ in rows[len(rows) // 10 : len(rows) // 10 + 40]] or top
    rare = [t for t, _ in rows[-200:]] or top
    out: list[str] = []
    kinds = ("common", "mid", "rare", "prefix", "two")
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if kind == "common":
            out.append(top[i // len(kinds) % len(top)] + " ")
        elif kind == "mid":
            out.append(rng.choice(mid) + " ")
        elif kind == "rare":
            out.append(rng.choice(rare) + " ")
        elif kind == "prefix":
            out.append(rng.choice(top + mid)[:3])
        else:
            out.append(f"{rng.choice(top)} {rng.choice(mid)} ")
    return out


_CHARS = {"slash": "/", "enter": "\r", "escape": "\x1b", "space": " "}


class Harness:
    def __init__(self, app: Any) -> None:
        self.app = app
        # "<kind>": result message handled; "<kind>_painted": then settled on screen
        self.events: dict[str, asyncio.Event] = {
            k: asyncio.Event() for k in ("queue", "case", "history", "queue_painted", "case_painted", "history_painted")
        }
        self.armed: set[str] = set()
        self.painted: set[str] = set()  # armed kinds a compositor refresh has run after
        self.failures = 0
        self.failed: list[str] = []
        self.cases_shown: set[str] = set()  # the cases the case screen was given
        self.reads_ahead = 0  # the typed search's reads ahead started (QueueScreen._read_search_ahead)

    def handled(self, kind: str) -> None:
        self.events[kind].set()
        self.armed.add(kind)

    def after_update(self, screen: Any) -> None:
        """Called after every screen update-timer run (a compositor refresh)."""
        if not self.armed or screen is not self.app.screen:
            return
        self.painted |= self.armed
        self.check_settled(screen)

    def after_idle(self, widget: Any) -> None:
        """Called when any widget's message queue ran empty.

        A refresh has already run after the result was handled, but something was
        still queued then; if processing it left nothing to repaint, that refresh is
        what is on screen and no further refresh will come (until some unrelated
        timer), so settle here rather than at the next, unrelated, refresh.
        """
        if not self.painted:
            return
        screen = self.app.screen
        try:
            if widget is not screen and widget.screen is not screen:
                return
        except Exception:  # noqa: BLE001 - widget being removed
            return
        self.check_settled(screen)

    def check_settled(self, screen: Any) -> None:
        if not settled(screen):
            return
        for kind in self.painted & self.armed:
            self.events[kind + "_painted"].set()
        self.armed -= self.painted
        self.painted.clear()

    def press(self, key: str) -> None:
        from textual import events

        char = _CHARS.get(key, key if len(key) == 1 else None)
        ev = events.Key(key, char)
        ev.set_sender(self.app)
        self.app._driver.send_message(ev)

    def clear(self) -> None:
        self.armed.clear()
        self.painted.clear()
        for e in self.events.values():
            e.clear()

    async def wait(self, kind: str) -> bool:
        try:
            await asyncio.wait_for(self.events[kind].wait(), WAIT_S)
            return True
        except TimeoutError:
            self.failures += 1
            self.failed.append(kind)
            return False

    async def timed(self, key: str, kind: str, also: str | None = None) -> tuple[float | None, float | None]:
        self.clear()
        t0 = time.perf_counter()
        self.press(key)
        ok = await self.wait(kind + "_painted")
        t1 = time.perf_counter()
        t2 = None
        if also is not None and await self.wait(also + "_painted"):
            t2 = time.perf_counter()
        return (t1 - t0 if ok else None), (t2 - t0 if t2 is not None else None)

    async def settle(self, pilot: Any) -> None:
        await pilot.pause()


def settled(screen: Any) -> bool:
    """Nothing left to paint on ``screen`` right after a compositor refresh."""
    if screen._message_queue.qsize() or screen._layout_required or screen._repaint_required:
        return False
    if screen._dirty_widgets or screen._scroll_required:
        return False
    for w in screen.walk_children(with_self=False):
        if w._repaint_required or w._layout_required or w._message_queue.qsize():
            return False
    return True


def install_hooks(h_ref: list[Harness]) -> None:
    from textual.screen import Screen
    from textual.widget import Widget

    from critresp.screens.case import CaseScreen
    from critresp.screens.queue import QueueScreen

    q_orig = QueueScreen.on_queue_loaded
    c_orig = CaseScreen._render_all
    h_orig = CaseScreen._render_history
    u_orig = Screen._on_timer_update
    wi_orig = Widget._on_idle
    si_orig = Screen._on_idle

    async def widget_idle(self, event):  # type: ignore[no-untyped-def]
        await wi_orig(self, event)
        if h_ref:
            h_ref[0].after_idle(self)

    async def screen_idle(self, event):  # type: ignore[no-untyped-def]
        await si_orig(self, event)
        if h_ref:
            h_ref[0].after_idle(self)

    def on_queue_loaded(self, message):  # type: ignore[no-untyped-def]
        q_orig(self, message)
        if message.token == self._token and h_ref:
            h_ref[0].handled("queue")

    def render_all(self):  # type: ignore[no-untyped-def]
        # the case detail was put into the screen's widgets (opened with it, or re-read)
        c_orig(self)
        if h_ref:
            h_ref[0].cases_shown.add(self.case_id)
            h_ref[0].handled("case")

    def render_history(self):  # type: ignore[no-untyped-def]
        h_orig(self)
        if h_ref:
            h_ref[0].handled("history")

    ra_orig = QueueScreen._read_search_ahead

    def read_search_ahead(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if h_ref:
            h_ref[0].reads_ahead += 1
        return ra_orig(self, *args, **kwargs)

    def on_timer_update(self):  # type: ignore[no-untyped-def]
        u_orig(self)
        if h_ref:
            h_ref[0].after_update(self)

    QueueScreen.on_queue_loaded = on_queue_loaded  # type: ignore[method-assign]
    QueueScreen._read_search_ahead = read_search_ahead  # type: ignore[method-assign]
    CaseScreen._render_all = render_all  # type: ignore[method-assign]
    CaseScreen._render_history = render_history  # type: ignore[method-assign]
    Screen._on_timer_update = on_timer_update  # type: ignore[method-assign]
    Widget._on_idle = widget_idle  # type: ignore[method-assign]
    Screen._on_idle = screen_idle  # type: ignore[method-assign]


async def session(store_path: str, reps: int, seed: int, page_size: int = 200) -> dict[str, Any]:
    from critresp.app import CritrespApp
    from critresp.domain.clock import SystemClock
    from critresp.domain.state import Actor
    from critresp.domain.taxonomy import AssociateRole
    from critresp.screens.queue import QueueScreen
    from critresp.store import Store

    rng = random.Random(seed)
    terms = search_terms(store_path, rng, reps)
    h_ref: list[Harness] = []
    install_hooks(h_ref)
    clock = SystemClock()
    store = Store.open(store_path, clock)
    results: dict[str, list[float]] = {"filter": [], "search": [], "search_paused": [], "search_burst": [],
                                       "page": [], "open": [],
                                       "open_history": []}
    per_term: list[dict[str, Any]] = []
    debounced = {"search": 0, "search_paused": 0}  # applied by the box's debounce before Enter
    burst_reads_ahead = 0  # search_burst keys after which a typed query was read ahead anyway
    tmp = tempfile.mkdtemp(prefix="critresp-bench-ui-")
    try:
        app = CritrespApp(
            store=store, clock=clock, actor=Actor("A-001", "Sam Okafor", AssociateRole.ASSOCIATE), sync=None,
            views_path=Path(tmp) / "views.json", page_size=page_size,
            freeze_heap=True,  # as the CLI starts it
        )
        h = Harness(app)
        h_ref.append(h)
        t_start = time.perf_counter()
        async with app.run_test(size=SIZE) as pilot:
            if not app.screen_stack or not isinstance(app.screen, QueueScreen) or not app.screen.rows:
                await h.wait("queue")
            first_paint = time.perf_counter() - t_start
            screen = app.screen
            assert isinstance(screen, QueueScreen), type(screen)

            # --- filter keys
            keys = ["u", "a", "1", "1", "0", "0", "m", "a", "2", "2", "3", "3", "o", "o", "o", "o"]
            i = 0
            while len(results["filter"]) < reps and i < reps * 3:
                key = keys[i % len(keys)]
                i += 1
                dt, _ = await h.timed(key, "queue")
                if dt is not None:
                    results["filter"].append(dt)
            h.clear()
            h.press("x")  # back to the default query
            await h.wait("queue")
            await h.settle(pilot)

            # --- search (Enter applies at once; typing is debounced by the screen),
            # Enter right after the keys, then (search_paused) TYPING_GAP_S after them
            for kind, gap in (("search", 0.0), ("search_paused", TYPING_GAP_S), ("search_burst", None)):
                for term in terms:
                    h.press("slash")
                    await h.settle(pilot)
                    box = screen.query_one("#search")
                    box.value = ""
                    for ch in term:
                        h.press("space" if ch == " " else ch)
                    typed = time.perf_counter()
                    if gap is None:
                        # the keys and Enter sent together (scripted keystrokes, or keys
                        # typed ahead while the console was busy): no pause in typing, so
                        # nothing should be read ahead (counted if something was);
                        # timed from the Enter sent, the keys' handling ahead of it included
                        reads_ahead = h.reads_ahead
                        dt, _ = await h.timed("enter", "queue")
                        if h.reads_ahead != reads_ahead:
                            burst_reads_ahead += 1
                    else:
                        await h.settle(pilot)
                        if gap:  # the person's gap before Enter, from the last key (not a sync point)
                            await asyncio.sleep(max(0.0, gap - (time.perf_counter() - typed)))
                        if screen._box_query() == screen.query_state:
                            # the box's debounce (SEARCH_DEBOUNCE after the last key) applied
                            # the query before Enter (the settle above ran that long): the
                            # results are on screen and Enter has nothing left to show. Not
                            # a keystroke to time (it waited for a result that never comes).
                            debounced[kind] += 1
                            h.clear()
                            h.press("enter")
                            await h.settle(pilot)
                            dt = None
                        else:
                            dt, _ = await h.timed("enter", "queue")
                    if dt is not None:
                        results[kind].append(dt)
                        if kind in ("search", "search_burst"):
                            per_term.append({"kind": kind, "q": term, "ms": round(dt * 1000, 2), "total": screen.total})
                    h.clear()
                    h.press("escape")  # clear the search: back to the whole queue
                    await h.wait("queue")
                    # a search's late message (its total, or the re-read after a page
                    # read ahead) can be what ended that wait: wait until the whole
                    # queue is the one shown and nothing is read any more
                    for _ in range(int(WAIT_S / 0.04)):
                        await h.settle(pilot)
                        if (screen.query_state.search == "" and screen._shown_query == screen.query_state
                                and not screen._reading()):
                            break

            # --- paging: forward 8 pages, back 8, repeat
            while len(results["page"]) < reps:
                # to the page's edge row, then the key that crosses it
                for cursor_attr, edge, key in (("next_cursor", "end", "pagedown"), ("prev_cursor", "home", "pageup")):
                    for _ in range(8):
                        if screen.page is None or getattr(screen.page, cursor_attr) is None:
                            break
                        h.press(edge)
                        await h.settle(pilot)
                        dt, _ = await h.timed(key, "queue")
                        if dt is not None:
                            results["page"].append(dt)
                if screen.page is None or (screen.page.next_cursor is None and screen.page.prev_cursor is None):
                    break

            # --- open a case: Enter on a row -> detail painted; Esc back (queue refresh awaited)
            n = 0
            while len(results["open"]) < reps and n < reps * 2:
                n += 1
                dt, dt_hist = await h.timed("enter", "case", also="history")
                if dt is not None:
                    results["open"].append(dt)
                if dt_hist is not None:
                    results["open_history"].append(dt_hist)
                h.clear()
                h.press("escape")
                await h.wait("queue")
                await h.settle(pilot)
                # the next open is of another case: 1-9 rows down, from the page's
                # first row when the page has no more rows below
                table = screen.table
                steps = rng.randint(1, 9)
                if table.cursor_row + steps >= table.row_count:
                    h.press("home")
                for _ in range(steps):
                    h.press("j")
                await h.settle(pilot)
                if n % 20 == 0 and screen.page is not None and screen.page.next_cursor is not None:
                    h.press("end")
                    await h.settle(pilot)
                    h.clear()
                    h.press("pagedown")
                    await h.wait("queue")
                    await h.settle(pilot)
            total_rows = screen.total
    finally:
        store.close()
    from bench.probe import peak_rss_kb

    peak_kb = peak_rss_kb()
    out: dict[str, Any] = {k: summary(v) for k, v in results.items()}
    out["first_paint_in_process_ms"] = round(first_paint * 1000, 1)
    out["queue_total"] = total_rows
    out["open_distinct_cases"] = len(h.cases_shown)
    out["searches_applied_before_enter"] = debounced
    out["burst_searches_read_ahead"] = burst_reads_ahead
    out["failures"] = h.failures
    out["failed_waits"] = h.failed
    out["peak_rss_mb"] = round(peak_kb / 1024, 1)
    out["search_terms"] = per_term
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.interact")
    ap.add_argument("store")
    ap.add_argument("out")
    ap.add_argument("--reps", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--page-size", type=int, default=200)
    a = ap.parse_args(argv)
    res = asyncio.run(session(a.store, a.reps, a.seed, a.page_size))
    Path(a.out).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
