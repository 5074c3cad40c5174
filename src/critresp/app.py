"""The critresp Textual application.

Services (store, clock, actor, sync runner) are injected by the CLI; the app
never creates or looks them up. Every store / sync call runs in a thread
worker that posts a typed message (``critresp.messages``) back.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.worker import get_current_worker

from .messages import SyncFinished, SyncStatusLoaded, WorkFailed
from .store.views import QueueQuery, SyncStatus
from .widgets.safe import clean

if TYPE_CHECKING:
    from .screens.case import CaseScreen
    from .domain.clock import Clock
    from .domain.state import Actor
    from .store.api import StoreAPI
    from .sync.api import SyncRunner


# Garbage collection once the heap is frozen (CritrespApp._freeze_heap): full
# collections only when the associate has not typed for IDLE_GC_QUIET_S (checked
# every IDLE_GC_CHECK_S), and at the latest every IDLE_GC_MAX_WAIT_S.
FULL_GC_NEVER = 1_000_000  # gc threshold 2: no automatic full collection
IDLE_GC_CHECK_S = 5.0
IDLE_GC_QUIET_S = 1.0
IDLE_GC_MAX_WAIT_S = 30.0


class CritrespApp(App[None]):
    """Keyboard-first console for Trust & Safety Critical Response."""

    CSS_PATH = "app.tcss"
    TITLE = "critresp"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("q", "quit_app", "Quit", id="app.quit"),
        Binding("ctrl+r", "sync_now", "Sync now", id="app.sync"),
    ]

    def __init__(
        self,
        *,
        store: "StoreAPI",
        clock: "Clock",
        actor: "Actor",
        sync: "SyncRunner | None" = None,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        title_suffix: str = "",
        t0_bell: bool = True,
        views_path: Path | None = None,
        startup_notice: str | None = None,
        page_size: int = 200,
        sync_interval: float = 15.0,
        long_poll_seconds: float = 20.0,
        freeze_heap: bool = False,
    ) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.actor = actor
        self.sync = sync
        self.t0_bell = t0_bell
        self.views_path = views_path
        self.page_size = page_size
        self.sync_interval = sync_interval
        self.long_poll_seconds = long_poll_seconds
        self.startup_notice = startup_notice
        self.freeze_heap = freeze_heap  # see _freeze_heap (the CLI turns it on)
        self.heap_frozen = False
        self._last_input = time.monotonic()
        self._last_full_gc = time.monotonic()
        self.sync_status: SyncStatus | None = None
        self.saved_views: dict[str, QueueQuery] = {}
        self.bells = 0  # how many times the T0 bell rang (visible to tests)
        self._keymap_arg = dict(keymap or {})
        self._case_screen: "CaseScreen | None" = None
        self.fatal_error: str | None = None  # set when the app had to stop (printed by the CLI)
        self._theme_arg = theme
        self._stop = threading.Event()
        self._wake = threading.Event()
        if title_suffix:
            self.title = f"critresp {title_suffix}"
        self.sub_title = actor.name

    # ------------------------------------------------------------------ lifecycle
    def on_mount(self) -> None:
        listen = getattr(self.store, "on_open_failed", None)
        if listen is not None:  # a DeferredStore (store.quick): its full open may still fail
            listen(lambda exc: self.call_from_thread(self._store_failed, exc))
        if self._keymap_arg:
            self.set_keymap(self._keymap_arg)
            from .screens.help import binding_sections

            known = {b.id for _section, bindings in binding_sections() for b in bindings if b.id}
            unknown = sorted(k for k in self._keymap_arg if k not in known)
            if unknown:
                self.notify(
                    Text(
                        f"Unknown key binding id(s) in [keymap]: {', '.join(unknown)[:200]}. "
                        "The help screen (?) lists every id, e.g. queue.claim."
                    ),
                    title="Keymap",
                    severity="warning",
                    timeout=15,
                )
        if self._theme_arg:
            try:
                self.theme = self._theme_arg
            except Exception:  # unknown theme name: keep the default, say so
                self.notify(f"Unknown theme {self._theme_arg!r}", severity="warning")
        from .screens.queue import QueueScreen

        self.push_screen(QueueScreen())
        self.refresh_sync_status()
        self.load_saved_views()
        self.set_interval(10.0, self.refresh_sync_status)
        if self.startup_notice:
            if self.sync is None:
                self.notify(Text(self.startup_notice), title="Offline", severity="warning", timeout=10)
            else:
                self.notify(Text(self.startup_notice), title="critresp", timeout=8)
        if self.sync is not None:
            self.sync_loop()

    def on_unmount(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.sync is not None:
            try:
                self.sync.close()
            except Exception:
                pass

    # ------------------------------------------------------------------ workers
    @work(thread=True, group="sync-status", exclusive=True, exit_on_error=False)
    def refresh_sync_status(self) -> None:
        try:
            status = self.store.sync_status()
        except Exception as exc:  # noqa: BLE001 - shown, never crashes the UI
            self.post_message(WorkFailed("sync status", str(exc)))
            return
        self.post_message(SyncStatusLoaded(status))

    @work(thread=True, group="sync-loop", exclusive=True, exit_on_error=False)
    def sync_loop(self) -> None:
        """Push + pull, then long-poll; back off while offline. Runs until the app exits."""
        assert self.sync is not None
        worker = get_current_worker()
        failures = 0
        while not self._stop.is_set() and not worker.is_cancelled:
            report = _sync_call(self.sync.run_once)
            if self._stop.is_set():
                return
            self.post_message(SyncFinished(report))
            if not report.ok:
                failures += 1
                self._wake.wait(min(2.0**failures, 60.0))
                self._wake.clear()
                continue
            failures = 0
            deadline = time.monotonic() + self.sync_interval
            while not self._stop.is_set() and not worker.is_cancelled:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if self.long_poll_seconds > 0:
                    timeout = min(self.long_poll_seconds, remaining)
                    polled = _sync_call(lambda: self.sync.wait_for_changes(timeout=timeout))
                    if self._stop.is_set():
                        return
                    if polled.pulled or polled.changed_case_ids or polled.new_t0_case_ids or not polled.ok:
                        self.post_message(SyncFinished(polled))
                    if not polled.ok:
                        break
                elif self._wake.wait(remaining):
                    self._wake.clear()
                    break
                if self._wake.is_set():
                    self._wake.clear()
                    break

    @work(thread=True, group="sync-push", exclusive=True, exit_on_error=False)
    def push_now(self) -> None:
        """One push + pull right now, beside the sync loop (which may be blocked in a
        long-poll for up to ``long_poll_seconds``). The engine serialises pushes."""
        if self.sync is None:
            return
        report = _sync_call(self.sync.run_once)
        if self._stop.is_set():
            return
        self.post_message(SyncFinished(report))

    @work(thread=True, group="saved-views", exit_on_error=False)
    def load_saved_views(self) -> None:
        if self.views_path is None or not self.views_path.exists():
            return
        try:
            raw = json.loads(self.views_path.read_text(encoding="utf-8"))
            views = {str(k): query_from_json(v) for k, v in raw.items()}
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("saved views", str(exc)))
            return
        self.call_from_thread(self._set_saved_views, views)

    def _set_saved_views(self, views: dict[str, QueueQuery]) -> None:
        self.saved_views = {**views, **self.saved_views}

    @work(thread=True, group="saved-views-write", exit_on_error=False)
    def _write_saved_views(self, views: dict[str, QueueQuery]) -> None:
        if self.views_path is None:
            return
        try:
            from .paths import ensure_private_dir, open_private

            ensure_private_dir(self.views_path.parent)
            tmp = self.views_path.with_suffix(".tmp")
            with open_private(tmp, "w") as fh:
                fh.write(json.dumps({k: query_to_json(q) for k, q in views.items()}, indent=2))
            tmp.replace(self.views_path)
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("saved views", str(exc)))

    def save_view(self, name: str, query: QueueQuery) -> None:
        self.saved_views[name] = query
        self._write_saved_views(dict(self.saved_views))

    # ------------------------------------------------------------------ messages
    def on_sync_status_loaded(self, message: SyncStatusLoaded) -> None:
        self.sync_status = message.status
        self._refresh_status_bars()

    def on_sync_finished(self, message: SyncFinished) -> None:
        report = message.report
        if report.new_t0_case_ids:
            ids = ", ".join(report.new_t0_case_ids[:5])
            more = f" (+{len(report.new_t0_case_ids) - 5})" if len(report.new_t0_case_ids) > 5 else ""
            if self.t0_bell:
                self.bells += 1
                self.bell()
            self.notify(Text(f"New T0: {ids}{more}"), title="Critical case", severity="error", timeout=15)
        for note in report.notices:
            self.notify(Text(note), title="Sync notice", severity="warning", timeout=10)
        for screen in self.screen_stack:
            handler = getattr(screen, "on_sync_changes", None)
            if handler is not None:
                handler(report)
        self.refresh_sync_status()

    def on_work_failed(self, message: WorkFailed) -> None:
        self.notify(Text(f"{message.what}: {message.error}"), title="Error", severity="error", timeout=10)

    def _refresh_status_bars(self) -> None:
        from .widgets.status import StatusBar

        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.refresh_status()

    def notify(  # type: ignore[override]
        self,
        message: "str | Text",
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Toasts carry untrusted text (names, server messages): always plain, cleaned, never markup."""
        text = message.plain if isinstance(message, Text) else str(message)
        super().notify(clean(text), title=clean(title), severity=severity, timeout=timeout, markup=False)

    def first_page_painted(self) -> None:
        """The queue's first page is on screen: now open the full store, if it is deferred."""
        start = getattr(self.store, "start", None)
        if start is not None:
            start()
        if self.freeze_heap:
            self._freeze_heap_when_open()

    @work(thread=True, group="freeze-heap", exit_on_error=False)
    def _freeze_heap_when_open(self) -> None:
        wait = getattr(self.store, "wait", None)
        if wait is not None:
            try:
                wait()  # the full store (SQLAlchemy, pydantic) is part of the long-lived heap
            except BaseException:  # noqa: BLE001 - reported by the store's own listener
                return
        self.call_from_thread(self._freeze_heap)

    def _freeze_heap(self) -> None:
        """Move everything alive after start-up (modules, Textual, SQLAlchemy, pydantic
        schemas: a few hundred thousand objects) out of the garbage collector's reach
        (``gc.freeze``). Python's full collections walked all of it every few seconds
        of typing; with it frozen they only walk what the session itself allocated.
        Measured at 100k cases: most of the keystroke and open-a-case p95 tail was
        those collections (docs/performance.md). Process-wide, so only the real
        console does it (``freeze_heap=True`` from the CLI), never an app in tests."""
        if self.heap_frozen:
            return
        gc.collect()  # once, right after the first paint: start-up garbage is not kept forever
        gc.freeze()
        self.heap_frozen = True
        # Full collections still walked everything the session keeps (rows, cached
        # cells and strips): 50-120 ms each, a few per minute of typing, each one a
        # frozen screen in the middle of a keystroke. Young generations stay
        # automatic (cheap); the full one runs when the associate pauses.
        g0, g1, _g2 = gc.get_threshold()
        gc.set_threshold(g0, g1, FULL_GC_NEVER)
        self._last_full_gc = time.monotonic()
        self.set_interval(IDLE_GC_CHECK_S, self._idle_collect)

    def _idle_collect(self) -> None:
        now = time.monotonic()
        quiet = now - self._last_input >= IDLE_GC_QUIET_S
        if quiet or now - self._last_full_gc >= IDLE_GC_MAX_WAIT_S:
            gc.collect()
            self._last_full_gc = time.monotonic()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _store_failed(self, exc: BaseException) -> None:
        # the console started on the quick reader and the full store could not be opened
        # (locked by another critresp, damaged): leave with that one line, as the CLI would
        self.fatal_error = " ".join(str(exc).split()) or type(exc).__name__
        self.exit(return_code=1)

    def case_screen(self) -> "CaseScreen":
        """The one case screen, kept installed so opening a case does not re-compose it."""
        from .screens.case import CaseScreen

        if self._case_screen is None:
            self._case_screen = CaseScreen("")
            self.install_screen(self._case_screen, name="case")
        return self._case_screen

    # ------------------------------------------------------------------ actions
    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen())

    def nudge_sync(self) -> None:
        """A local action is waiting in the outbox: push it now (UI thread only)."""
        if self.sync is None or self._stop.is_set():
            return
        self.push_now()

    def nudge_sync_from_thread(self) -> None:
        """``nudge_sync`` for worker threads; a no-op once the app is gone."""
        try:
            self.call_from_thread(self.nudge_sync)
        except Exception:  # noqa: BLE001 - app exiting: the loop pushes next session
            pass

    def action_sync_now(self) -> None:
        if self.sync is None:
            self.notify("No server configured: working on the local store only.")
            return
        self._wake.set()  # a loop in offline back-off retries now
        self.push_now()
        self.notify("Syncing…")

    def action_quit_app(self) -> None:
        pending = self.sync_status.pending if self.sync_status is not None else 0
        if not pending:
            self.exit()
            return
        from .screens.modals import ConfirmModal

        body = Text(
            f"{pending} action(s) are still waiting in the outbox. They are kept on disk "
            "and will be sent the next time critresp syncs.",
        )

        def done(ok: bool | None) -> None:
            if ok:
                self.exit()

        self.push_screen(ConfirmModal("Quit critresp?", body, "Quit"), done)


def _sync_call(call):
    """Run one blocking sync call; any unexpected error becomes a failed report (the
    worker keeps running and the status bar shows the one-line error)."""
    from .sync.api import SyncReport

    try:
        return call()
    except Exception as exc:  # noqa: BLE001
        return SyncReport(ok=False, error=str(exc))


# ---------------------------------------------------------------------- views JSON
def query_to_json(q: QueueQuery) -> dict[str, Any]:
    return {
        "scope": q.scope.value,
        "tiers": sorted(int(t) for t in q.tiers),
        "categories": sorted(q.categories),
        "statuses": sorted(s.value for s in q.statuses),
        "include_resolved": q.include_resolved,
        "party_role": q.party_role.value if q.party_role else None,
        "search": q.search,
        "sort": q.sort.value,
    }


def query_from_json(d: dict[str, Any]) -> QueueQuery:
    from .domain.taxonomy import CaseStatus, PartyRole, Tier
    from .store.views import QueueSort, Scope

    return QueueQuery(
        scope=Scope(d.get("scope", "all")),
        tiers=frozenset(Tier(int(t)) for t in d.get("tiers", [])),
        categories=frozenset(str(c) for c in d.get("categories", [])),
        statuses=frozenset(CaseStatus(s) for s in d.get("statuses", [])),
        include_resolved=bool(d.get("include_resolved", False)),
        party_role=PartyRole(d["party_role"]) if d.get("party_role") else None,
        search=str(d.get("search", "")),
        sort=QueueSort(d.get("sort", "priority")),
    )
