"""Cold-start probe: run in a fresh process, exit right after the first paint.

    python -m bench.probe critresp STORE_PATH   # the real console on a real store
    python -m bench.probe minimal               # a minimal Textual app (DataTable, a few rows)

Prints one JSON line: ``{"painted_at": <time.time()>, "maxrss_kb": ..., "rows": ...}``.
The parent notes ``time.time()`` just before starting the process, so the
difference is the whole cold start: interpreter, imports, store open, first
queue page query, layout and the first screen refresh after the rows are set.
Only the standard library is imported before the app's own imports, so both
apps are measured the same way.
"""

from __future__ import annotations

import json
import resource
import sys
import time

SIZE = (160, 50)


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM). Not ``ru_maxrss``: on Linux that
    keeps the high-water mark of the forked parent image across exec, so a child of
    a big benchmark process would report the parent's size."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _report(rows: int) -> None:
    print(json.dumps({"painted_at": time.time(), "maxrss_kb": peak_rss_kb(), "rows": rows}), flush=True)


def run_minimal() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            t = self.query_one(DataTable)
            t.add_columns("id", "tier", "title")
            for i in range(5):
                t.add_row(f"CR-{i:07d}", "T1", f"row {i}")
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            _report(self.query_one(DataTable).row_count)
            self.exit()

    Minimal().run(headless=True, size=SIZE)


def run_critresp(store_path: str) -> None:
    from critresp.app import CritrespApp
    from critresp.domain.clock import SystemClock
    from critresp.domain.state import Actor
    from critresp.domain.taxonomy import AssociateRole
    from critresp.screens.queue import QueueScreen
    from critresp.store.quick import open_for_console

    original = QueueScreen.on_queue_loaded

    def on_queue_loaded(self, message):  # type: ignore[no-untyped-def]
        original(self, message)
        if self.rows and not getattr(self.app, "_bench_painted", False):
            self.app._bench_painted = True
            rows = len(self.rows)

            def painted() -> None:
                _report(rows)
                self.app.exit()

            self.call_after_refresh(painted)

    QueueScreen.on_queue_loaded = on_queue_loaded  # type: ignore[method-assign]

    clock = SystemClock()
    # the same start as `critresp`: the first page from the quick reader, the full
    # store opened in the background after it (critresp.store.quick)
    def full_store():  # type: ignore[no-untyped-def]
        from critresp.store import Store  # imported when the full store is opened, as in the CLI

        return Store.open(store_path, clock)

    store = open_for_console(store_path, full_store)
    try:
        app = CritrespApp(
            store=store, clock=clock, actor=Actor("A-001", "Sam Okafor", AssociateRole.ASSOCIATE), sync=None,
        )
        app.run(headless=True, size=SIZE)
    finally:
        store.close()


def main(argv: list[str]) -> int:
    if argv[:1] == ["minimal"]:
        run_minimal()
    elif argv[:1] == ["critresp"] and len(argv) == 2:
        run_critresp(argv[1])
    else:
        print("usage: python -m bench.probe minimal | critresp STORE_PATH", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
