"""The sync engine: drains the outbox and pulls changes into the local store.

``SyncEngine(store, client, clock)`` implements ``sync.api.SyncRunner``.

- ``run_once()`` pushes the whole outbox in seq order (batches of up to 500),
  records each batch's per-mutation results with ``store.record_push_results``,
  then pulls pages until ``has_more`` is false, each page applied with
  ``store.apply_pull(changes, cursor)`` (page + cursor in one transaction; during
  a catch-up, the pages already fetched share one: ``store.pull_batch``).
- ``wait_for_changes(timeout)`` long-polls ``/pull``.
- A lock serialises pushes (the UI may call ``run_once`` from a worker while a
  long-poll runs in another thread); applying pulled pages is serialised too,
  and a page is applied only if the store's cursor is still the one it was
  fetched from (otherwise it is dropped and re-pulled), so two pullers can
  never move the cursor backwards.
- Outbox rows are only ever changed through ``record_push_results`` with the
  server's answers: a failure (offline, timeout, bad payload) leaves them
  untouched and in order for the next run.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..domain.clock import Clock
from ..store.api import CursorMoved, PushResult
from .api import SyncReport
from .client import MAX_PULL_WAIT, MAX_PUSH_BATCH, ApiClient
from .errors import AuthError, ForbiddenError, OfflineError, RequestError, SyncError

log = logging.getLogger("critresp.sync.engine")

# A long-poll is made of requests of at most this many seconds, so closing the engine
# (quitting the console) never waits for a 20-30 s poll to come back.
LONG_POLL_SLICE = 3.0
MAX_PUSH_ROUNDS = 10_000  # safety net against a server that never acknowledges
# Python's young-generation threshold while a catch-up writes page after page (the
# default is 700 allocations)
CATCH_UP_GC_GEN0 = 20_000
# pages fetched ahead of the one being written during a catch-up
PREFETCH_PAGES = 3
# at most this many pages (the one pulled, and the next ones if already fetched)
# are applied in one write transaction during a catch-up (``SyncEngine._batch``)
PULL_BATCH_PAGES = 3


def _drop(ahead: deque[Future[Any]]) -> None:
    """Give up prefetches: queued ones are cancelled, a running one finishes and its
    result or error is dropped (never raised, never logged as unretrieved)."""
    while ahead:
        f = ahead.popleft()
        f.cancel()
        f.add_done_callback(lambda f: f.cancelled() or f.exception())


class _CatchUpGc:
    """While pages keep coming (``has_more``), the young-generation collection
    threshold is raised to ``CATCH_UP_GC_GEN0``. A page is a few thousand records
    (dicts, models, row tuples) alive from its parse to its commit; with the default
    threshold every page was collected young a dozen times and pushed into the
    older generations, whose collections walk the whole heap: 5-6 s of a 70 s
    first sync at 100,000 cases (docs/performance.md). Refcounting still frees
    them as soon as the page is written. Only the young threshold is touched and
    restored (the console sets the oldest one itself), once the last catch-up
    running in this process ends."""

    _lock = threading.Lock()
    _depth = 0
    _saved_gen0 = 0

    @classmethod
    @contextlib.contextmanager
    def active(cls) -> Any:
        with cls._lock:
            if cls._depth == 0:
                g0, g1, g2 = gc.get_threshold()
                cls._saved_gen0 = g0
                if g0 and g0 < CATCH_UP_GC_GEN0:  # 0: collection disabled, leave it
                    gc.set_threshold(CATCH_UP_GC_GEN0, g1, g2)
            cls._depth += 1
        try:
            yield
        finally:
            with cls._lock:
                cls._depth -= 1
                if cls._depth == 0:
                    g0, g1, g2 = gc.get_threshold()
                    if g0 == CATCH_UP_GC_GEN0:
                        gc.set_threshold(cls._saved_gen0, g1, g2)


class _Acc:
    """Counters for one SyncReport."""

    def __init__(self) -> None:
        self.pushed = 0
        self.rejected = 0
        self.pulled = 0
        # insertion-ordered sets (dict keys): an initial sync changes every case, and
        # a list membership test per id made that quadratic
        self.new_t0: dict[str, None] = {}
        self.changed: dict[str, None] = {}
        self.notices: list[str] = []

    def add_pull(self, applied: Any, *, initial: bool = False) -> None:
        self.pulled += int(getattr(applied, "records", 0) or 0)
        # the very first pull brings the whole backlog: those T0s are not "new arrivals"
        # (no bell for every open T0 at start-up); live ones after that are
        if not initial:
            self.new_t0.update(dict.fromkeys(getattr(applied, "new_t0_case_ids", ()) or ()))
        self.changed.update(dict.fromkeys(getattr(applied, "changed_case_ids", ()) or ()))

    def report(self, ok: bool, error: str | None = None) -> SyncReport:
        return SyncReport(
            ok=ok,
            pushed=self.pushed,
            rejected=self.rejected,
            pulled=self.pulled,
            new_t0_case_ids=tuple(self.new_t0),
            changed_case_ids=tuple(self.changed),
            error=error,
            notices=tuple(self.notices),
        )


class SyncEngine:
    def __init__(
        self,
        store: Any,
        client: ApiClient,
        clock: Clock,
        *,
        batch_size: int = MAX_PUSH_BATCH,
        page_limit: int = 2000,
        server_url: str | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.batch_size = max(1, min(MAX_PUSH_BATCH, int(batch_size)))
        self.page_limit = max(1, min(2000, int(page_limit)))
        self.server_url = server_url or getattr(client, "base_url", None)
        self._push_lock = threading.Lock()
        self._apply_lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"<SyncEngine {self.server_url}>"

    # --- SyncRunner ------------------------------------------------------------------
    def run_once(self) -> SyncReport:
        acc = _Acc()
        if self._closed:
            return acc.report(False, "sync engine is closed")
        try:
            self._push_all(acc)
            self._pull_until_caught_up(acc, wait=0.0)
        except SyncError as exc:
            return self._failed(acc, exc)
        except Exception as exc:  # a store / programming error must not kill the UI worker
            return self._crashed(acc, exc)
        self._succeeded()
        return acc.report(True)

    def wait_for_changes(self, timeout: float) -> SyncReport:
        acc = _Acc()
        if self._closed:
            return acc.report(False, "sync engine is closed")
        deadline = time.monotonic() + max(0.0, float(timeout))
        try:
            while True:
                remaining = deadline - time.monotonic()
                wait = min(MAX_PULL_WAIT, LONG_POLL_SLICE, max(0.0, remaining))
                started = time.monotonic()
                got = self._pull_until_caught_up(acc, wait=wait)
                if got or self._closed or deadline - time.monotonic() <= 0.05:
                    break
                if time.monotonic() - started < wait / 2:
                    # the server answered "nothing new" early: don't hammer it
                    break
        except SyncError as exc:
            return self._failed(acc, exc)
        except Exception as exc:
            if self._closed:
                return acc.report(False, "sync engine is closed")
            return self._crashed(acc, exc)
        self._succeeded()
        return acc.report(True)

    def close(self) -> None:
        self._closed = True
        try:
            self.client.close()
        except Exception:  # pragma: no cover - best effort
            log.debug("closing the API client failed", exc_info=True)

    # --- push ------------------------------------------------------------------------
    def push_outbox(self) -> SyncReport:
        """Push only (no pull)."""
        acc = _Acc()
        try:
            self._push_all(acc)
        except SyncError as exc:
            return self._failed(acc, exc)
        except Exception as exc:
            return self._crashed(acc, exc)
        return acc.report(True)

    def _push_all(self, acc: _Acc) -> None:
        with self._push_lock:
            client_id = self.store.client_id()
            for _ in range(MAX_PUSH_ROUNDS):
                items = self.store.outbox_pending(self.batch_size)
                if not items:
                    return
                items = sorted(items, key=lambda it: it.seq)
                results = self._push_batch(client_id, items)
                by_seq = {it.seq: it for it in items}
                # keep only results for what we sent, in outbox order
                results = sorted((r for r in results if r.seq in by_seq), key=lambda r: r.seq)
                if results:
                    self.store.record_push_results(results)
                for r in results:
                    if r.status == "rejected":
                        acc.rejected += 1
                        acc.notices.append(self._notice_line(r, by_seq[r.seq]))
                    else:
                        acc.pushed += 1
                answered = {r.seq for r in results}
                if not answered or items[0].seq not in answered:
                    # The server skipped the head of the outbox: stop rather than spin or
                    # reorder. The rows stay pending and are pushed again next run.
                    raise SyncError(
                        "Server did not acknowledge the oldest pending action; will retry next sync"
                    )
            raise SyncError("Outbox did not drain; will retry next sync")  # pragma: no cover

    def _push_batch(self, client_id: str, items: list[Any]) -> list[PushResult]:
        """Push one batch. If the server refuses the whole batch as invalid (4xx,
        e.g. a client/server schema mismatch), push the items one at a time so
        only the offending mutation is turned into a local rejection: one bad
        row never blocks the queue."""
        try:
            return self.client.push(client_id, items)
        except RequestError as exc:
            if exc.is_cursor_reset:
                raise
            refused = exc
        log.warning("server refused a push batch (%s); pushing one at a time", refused.status)
        out: list[PushResult] = []
        for it in items:
            try:
                out.extend(self.client.push(client_id, [it]))
            except RequestError as exc:
                if exc.status in (400, 413, 422):
                    out.append(PushResult(
                        seq=it.seq, mutation_id=it.mutation_id, status="rejected", code="invalid",
                        message=f"The server refused this action as invalid: {exc.detail or exc.title or exc.status}",
                    ))
                else:
                    raise
        return out

    @staticmethod
    def _notice_line(r: PushResult, item: Any) -> str:
        kind = getattr(getattr(item, "mutation", None), "kind", "action")
        case_id = getattr(getattr(item, "mutation", None), "case_id", "?")
        why = r.message or r.code or "rejected by the server"
        return " ".join(f"{case_id}: {kind.replace('_', ' ')} refused: {why}".split())

    # --- pull ------------------------------------------------------------------------
    def _pull_until_caught_up(self, acc: _Acc, *, wait: float) -> bool:
        """Pull pages until has_more is false. ``wait`` applies to the first request.

        While a page is being written to the store, the next ``PREFETCH_PAGES``
        are already being fetched, each from the cursor the one before it ends at,
        in a helper thread: the server's work, the transfer and the parse overlap
        with the local write (with one page ahead the writer still waited ~6 s of
        a 100k first sync for pages the server was slow to build; with two, ~2 s).
        A prefetched page is used only if the store's cursor is then exactly the
        one it was asked with; otherwise it and those after it are dropped and
        pulled again. The pages already fetched when one is written go into its
        write transaction (``_batch``): one commit for up to ``PULL_BATCH_PAGES``.

        Returns True if any records were applied.
        """
        got_any = False
        first = True
        reset = False
        resetting = False
        # every page of the very first sync is backlog (no T0 bell), not only the first page
        cursor = self.store.get_cursor()  # then kept in step with what this loop applies
        initial = cursor is None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="critresp-prefetch")
        # pages being fetched ahead, in order; each answers (cursor asked, page) or None
        ahead: deque[Future[tuple[str, Any] | None]] = deque()
        catching_up = False
        catch_up = contextlib.ExitStack()  # holds _CatchUpGc from the first page with more after it
        try:
            while not self._closed:
                asked = None if reset else cursor
                page = None
                try:
                    if ahead and not first:
                        got = ahead.popleft().result()
                        if got is not None and got[0] == asked:
                            page = got[1]
                        else:
                            _drop(ahead)
                    if page is None:
                        page = self.client.pull(asked, limit=self.page_limit, wait=wait if first else 0.0)
                except RequestError as exc:
                    _drop(ahead)
                    if exc.is_cursor_reset and not reset and cursor is not None:
                        # the server's database was recreated: pull everything again
                        log.warning("server reset the change log; pulling from the start")
                        reset = True
                        resetting = True
                        continue
                    raise
                first = False
                reset = False
                # with it, the pages after it already fetched (one commit: ``_batch``)
                group = self._batch(page, ahead)
                last = group[-1]
                if last.has_more and not self._closed:
                    if not catching_up:
                        catch_up.enter_context(_CatchUpGc.active())
                        catching_up = True
                    if not ahead:
                        ahead.append(pool.submit(self._fetch_after, None, last.cursor))
                    while len(ahead) < PREFETCH_PAGES:
                        ahead.append(pool.submit(self._fetch_after, ahead[-1], None))
                with self._apply_lock:
                    applied_pages = []
                    try:
                        with self.store.pull_batch() if len(group) > 1 else contextlib.nullcontext():
                            follows = cursor
                            for i, pg in enumerate(group):
                                applied_pages.append(self.store.apply_pull(
                                    pg.changes, pg.cursor, reset=resetting and i == 0,
                                    more=bool(pg.has_more),  # search documents are rebuilt after the last page
                                    expected_cursor=follows,
                                ))
                                follows = pg.cursor
                    except CursorMoved:
                        # another puller (thread or process) applied newer pages meanwhile:
                        # nothing was written; drop ours and pull from the cursor it left
                        _drop(ahead)
                        cursor = self.store.get_cursor()
                        resetting = False  # redone if that cursor is from before a reset too
                        continue
                    cursor = last.cursor
                for i, applied in enumerate(applied_pages):
                    acc.add_pull(applied, initial=initial or (resetting and i == 0))
                    if getattr(applied, "records", 0):
                        got_any = True
                resetting = False
                if not last.has_more:
                    break
        finally:
            catch_up.close()
            _drop(ahead)
            pool.shutdown(wait=False, cancel_futures=True)
        return got_any

    def _batch(self, page: Any, ahead: deque[Future[tuple[str, Any] | None]]) -> list[Any]:
        """``page``, and the pages after it that are already fetched (taken from
        ``ahead``), up to ``PULL_BATCH_PAGES`` in all: applied in one write transaction
        (``Store.pull_batch``), one commit instead of one per page. Only pages with
        more after them: the last page of a catch-up rebuilds the search documents
        and is applied on its own. A prefetch that failed or does not follow on is
        left for the loop (which raises its error, or drops it)."""
        group = [page]
        while (len(group) < PULL_BATCH_PAGES and group[-1].has_more and ahead and ahead[0].done()
               and not self._closed):
            head = ahead[0]
            if head.cancelled() or head.exception() is not None:
                break
            got = head.result()
            if got is None or got[0] != group[-1].cursor or not got[1].has_more:
                break
            ahead.popleft()
            group.append(got[1])
        return group

    def _fetch_after(self, before: Future[tuple[str, Any] | None] | None, cursor: str | None) -> tuple[str, Any] | None:
        """Prefetch (in the helper thread): the page at ``cursor``, or, given the
        fetch of the page ``before`` it, the page after that one (None when that
        was the last; its error, if it failed)."""
        if before is not None:
            got = before.result()
            if got is None or not got[1].has_more or self._closed:
                return None
            cursor = got[1].cursor
        assert cursor is not None
        return cursor, self.client.pull(cursor, limit=self.page_limit, wait=0.0)

    # --- status ------------------------------------------------------------------------
    def _succeeded(self) -> None:
        try:
            self.store.set_sync_state(
                online=True, error=None, server_url=self.server_url, synced_at=self.clock.now()
            )
        except Exception as exc2:
            log.error("could not record the sync state: %s", type(exc2).__name__)

    def _failed(self, acc: _Acc, exc: SyncError) -> SyncReport:
        msg = str(exc)
        online = not isinstance(exc, (OfflineError,))
        if isinstance(exc, (AuthError, ForbiddenError)):
            online = False
        log.warning("sync failed: %s", msg)
        try:
            self.store.set_sync_state(online=online, error=msg, server_url=self.server_url)
        except Exception as exc2:
            log.error("could not record the sync state: %s", type(exc2).__name__)
        return acc.report(False, msg)

    def _crashed(self, acc: _Acc, exc: Exception) -> SyncReport:
        # No traceback at ERROR level: chained database errors can carry row data (PII).
        log.error("sync failed: %s: %s", type(exc).__name__, " ".join(str(exc).split())[:300])
        log.debug("sync failure detail", exc_info=True)
        if _is_store_error(exc):
            msg = " ".join(str(exc).split())[:300]
        else:
            msg = f"Sync failed with an internal error ({type(exc).__name__}); your actions are kept"
        try:
            self.store.set_sync_state(online=False, error=msg, server_url=self.server_url)
        except Exception:
            log.error("could not record the sync state")
        return acc.report(False, msg)


def _is_store_error(exc: BaseException) -> bool:
    try:
        from ..store import StoreError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, StoreError)
