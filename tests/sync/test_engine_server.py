"""SyncEngine against the real server over 127.0.0.1, with a minimal in-memory store.

These isolate the engine's push/pull/locking logic from the local store; the
same scenarios with the real ``critresp.store.Store`` are in test_sync_e2e.py.
"""

from __future__ import annotations

import random
import threading

import httpx
import pytest

from critresp.domain.clock import SystemClock
from critresp.domain.mutations import AddNote, Claim, SendReply
from critresp.domain.taxonomy import Channel
from critresp.sync.client import ApiClient, RetryPolicy
from critresp.sync.engine import SyncEngine
from e2e import ANA, BEN, LEAD, delivered_reply_ids, delivery_rows, make_tokens, now_utc, seed_dataset, server_mutations, start_server
from syncfixtures import FaultTransport, MiniStore, WaitRecorder


@pytest.fixture
def server(tmp_path):
    srv, settings = start_server(tmp_path / "server")
    srv.runtime.core.import_dataset(seed_dataset(6, now_utc()))
    tokens = make_tokens(settings)
    try:
        yield srv, settings, tokens
    finally:
        srv.stop()


def mini_node(url, token, *, attempts=8, queue=None, only_path=None):
    store = MiniStore()
    waits = WaitRecorder()
    transport = FaultTransport(queue=list(queue or []), only_path=only_path)
    client = ApiClient(url, lambda: token, transport=transport, sleep=waits, retry=RetryPolicy(attempts=attempts),
                       rng=random.Random(3), timeout=httpx.Timeout(10.0, connect=2.0))
    return store, SyncEngine(store, client, SystemClock()), transport, waits


def test_initial_sync_pulls_everything_in_pages(server):
    srv, _, tokens = server
    store, engine, transport, _ = mini_node(srv.url, tokens["ana"])
    engine.page_limit = 5
    report = engine.run_once()
    assert report.ok, report.error
    assert len(store.cases()) == 6
    assert report.pulled == len(store.records)
    pulls = [p for (_, p, _) in transport.log if p == "/api/v1/pull"]
    assert len(pulls) > 2  # several pages
    assert store.state["online"] is True and store.state["synced_at"] is not None
    again = engine.run_once()
    assert again.ok and again.pulled == 0


def test_prefetched_pages_survive_faults_and_a_moved_cursor(server, monkeypatch):
    """The next page is fetched while one is written: faults on those requests and a
    cursor moved by someone else in between never lose or double a record."""
    srv, _, tokens = server
    store, engine, transport, _ = mini_node(
        srv.url, tokens["ana"], queue=[None, "drop_response", None, "500", None, "drop_request"],
        only_path="/api/v1/pull")
    engine.page_limit = 2
    report = engine.run_once()
    assert report.ok, report.error
    assert len(store.cases()) == 6 and report.pulled == len(store.records)
    assert transport.counts["drop_response"] == 1 and transport.counts["500"] == 1

    # the store's cursor moved (here: rewound to the start) between the prefetch and its
    # use: the prefetched page does not fit and is dropped; pulling resumes from the store's cursor
    store2, engine2, transport2, _ = mini_node(srv.url, tokens["ana"])
    engine2.page_limit = 2
    real_apply = store2.apply_pull
    applied_cursors: list[str | None] = []

    def apply_then_rewind(changes, cursor, **kw):
        out = real_apply(changes, cursor, **kw)
        applied_cursors.append(cursor)
        if len(applied_cursors) == 2:
            store2.cursor = None  # someone else rewound it
        return out

    monkeypatch.setattr(store2, "apply_pull", apply_then_rewind)
    report2 = engine2.run_once()
    assert report2.ok, report2.error
    assert store2.cases().keys() == store.cases().keys()
    assert store2.records.keys() == store.records.keys()
    asked = [p for (_, p, _) in transport2.log if p == "/api/v1/pull"]
    pages = -(-len(store.records) // 2)
    assert len(asked) > pages  # the dropped prefetch and the re-pull from the start happened
    assert applied_cursors[2] == applied_cursors[0]  # after the rewind: the first page again, not the prefetched one


def test_lost_push_response_three_times_applies_and_delivers_once(server):
    srv, _, tokens = server
    store, engine, transport, waits = mini_node(
        srv.url, tokens["ana"], queue=["drop_response"] * 3, only_path="/api/v1/push")
    reply = SendReply(case_id="CR-0001", channel=Channel.SMS, recipient_party_id="PC-0001", body="We are on it.")
    store.apply(ANA, reply)
    report = engine.run_once()
    assert report.ok, report.error
    assert report.pushed == 1 and report.rejected == 0
    pushes = [f for (_, p, f) in transport.log if p == "/api/v1/push"]
    assert pushes == ["drop_response"] * 3 + [None]
    assert len(waits.calls) == 3
    assert store.outbox[0]["status"] == "duplicate"  # the 4th push saw the first one's result
    muts = server_mutations(srv.runtime)
    assert muts[str(reply.mutation_id)] == ("applied", 1)
    assert srv.runtime.worker.run_once() == 1
    assert srv.runtime.worker.run_once() == 0
    assert delivered_reply_ids(srv.runtime) == [str(reply.reply_id)]
    assert delivery_rows(srv.runtime) == [(str(reply.reply_id), "sent")]


def test_offline_keeps_outbox_rows_in_order_then_drains(server):
    srv, _, tokens = server
    store, engine, transport, _ = mini_node(srv.url, tokens["ana"], attempts=3, queue=["drop_request"] * 3)
    for i in range(5):
        store.apply(ANA, AddNote(case_id="CR-0002", body=f"note {i}"))
    before = [(r.seq, r.mutation_id) for r in store.outbox_pending()]
    report = engine.run_once()
    assert not report.ok and "offline" in report.error
    assert store.state["online"] is False
    assert [(r.seq, r.mutation_id) for r in store.outbox_pending()] == before
    report = engine.run_once()
    assert report.ok and report.pushed == 5
    assert store.outbox_pending() == []
    muts = server_mutations(srv.runtime)
    assert all(muts[str(mid)] == ("applied", 1) for _, mid in before)


def test_rejection_is_per_mutation_and_does_not_block_the_batch(server):
    srv, _, tokens = server
    a_store, a_engine, _, _ = mini_node(srv.url, tokens["ana"])
    b_store, b_engine, _, _ = mini_node(srv.url, tokens["ben"])
    a_store.apply(ANA, Claim(case_id="CR-0003"))
    assert a_engine.run_once().ok
    b_store.apply(BEN, Claim(case_id="CR-0003"))
    b_store.apply(BEN, AddNote(case_id="CR-0004", body="unrelated"))
    report = b_engine.run_once()
    assert report.ok
    assert (report.pushed, report.rejected) == (1, 1)
    assert len(report.notices) == 1 and "Ana Lopez" in report.notices[0] and "CR-0003" in report.notices[0]
    assert b_store.cases()["CR-0003"].assignee_id == "ana"


def test_4xx_from_server_is_not_retried_and_outbox_kept(server):
    srv, _, tokens = server
    store, engine, transport, waits = mini_node(srv.url, tokens["ana"])
    store.cursor = "definitely-not-a-cursor"
    report = engine.run_once()
    assert not report.ok and "HTTP 400" in report.error
    assert [p for (_, p, _) in transport.log] == ["/api/v1/pull"]
    assert waits.calls == []


def test_cursor_from_a_recreated_server_database_restarts_the_pull(tmp_path):
    srv1, settings1 = start_server(tmp_path / "s1")
    try:
        srv1.runtime.core.import_dataset(seed_dataset(2, now_utc()))
        store, engine, _, _ = mini_node(srv1.url, make_tokens(settings1)["ana"])
        assert engine.run_once().ok
        old_cursor = store.cursor
    finally:
        srv1.stop()
    srv2, settings2 = start_server(tmp_path / "s2")
    try:
        srv2.runtime.core.import_dataset(seed_dataset(3, now_utc()))
        store2, engine2, _, _ = mini_node(srv2.url, make_tokens(settings2)["ana"])
        store2.cursor = old_cursor
        report = engine2.run_once()
        assert report.ok, report.error
        assert len(store2.cases()) == 3 and store2.cursor != old_cursor
    finally:
        srv2.stop()


def test_run_once_while_a_long_poll_waits(server):
    srv, _, tokens = server
    store, engine, _, _ = mini_node(srv.url, tokens["ana"])
    assert engine.run_once().ok
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", engine.wait_for_changes(20.0)))
    t.start()
    # meanwhile the UI pushes an action from another worker thread
    store.apply(ANA, AddNote(case_id="CR-0005", body="during a long-poll"))
    r1 = engine.run_once()
    t.join(30)
    assert not t.is_alive()
    assert r1.ok and r1.pushed == 1
    assert result["r"].ok
    # the note's event arrived exactly once whichever thread pulled it
    notes = [k for k, v in store.records.items() if k.startswith("events:") and v["kind"] == "note"]
    assert len(notes) == 1
    assert store.outbox_pending() == []
    with ApiClient(srv.url, lambda: tokens["lea"], sleep=WaitRecorder()) as lead:
        lead.intake({"category": "assault", "title": "late", "reporter": {"id": "PC-0001"},
                     "subject": {"id": "PS-0001"}})
    assert engine.run_once().pulled >= 1
    assert engine.close() is None
    assert not engine.run_once().ok


def test_a_batch_refused_as_invalid_isolates_the_bad_mutation():
    """A 422 for a whole batch (schema skew) must not block the queue forever."""
    import json

    bad_ids = set()
    pushes = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/pull":
            return httpx.Response(200, json={"changes": {}, "cursor": "c", "has_more": False})
        body = json.loads(request.content)
        muts = body["mutations"]
        pushes.append(len(muts))
        if any(m["mutation"]["mutation_id"] in bad_ids for m in muts):
            return httpx.Response(422, json={"title": "Invalid mutation", "detail": "body: unsupported"})
        return httpx.Response(200, json={"results": [
            {"seq": m["seq"], "mutation_id": m["mutation"]["mutation_id"], "status": "applied"} for m in muts]})

    store = MiniStore()
    waits = WaitRecorder()
    client = ApiClient("http://127.0.0.1:9", lambda: "tok", transport=httpx.MockTransport(handler), sleep=waits)
    engine = SyncEngine(store, client, SystemClock())
    good1, bad, good2 = (AddNote(case_id="CR-1", body=t) for t in ("a", "b", "c"))
    bad_ids.add(str(bad.mutation_id))
    for m in (good1, bad, good2):
        store.apply(ANA, m)
    report = engine.run_once()
    assert report.ok, report.error
    assert (report.pushed, report.rejected) == (2, 1)
    assert "refused this action as invalid" in report.notices[0] and "unsupported" in report.notices[0]
    assert pushes == [3, 1, 1, 1]
    assert [r["status"] for r in store.outbox] == ["applied", "rejected", "applied"]
    assert waits.calls == []  # 4xx never retried


def test_a_catch_up_relaxes_young_collections_and_restores_them(server):
    """While more pages follow, Python's young-generation threshold is raised (a
    page's records outlive many default collections); it is restored after the
    last page, or after a failure, without undoing a change the console made to
    the oldest generation's threshold meanwhile. A single-page pull leaves it."""
    import gc

    from critresp.sync import engine as eng

    srv, _, tokens = server
    store, engine, transport, _ = mini_node(srv.url, tokens["ana"], attempts=1)
    seen = []
    apply_pull = store.apply_pull

    def recording(changes, cursor, **kw):
        seen.append((kw.get("more"), gc.get_threshold()[0]))
        if len(seen) == 2:  # the console changes the full-collection threshold mid-sync
            g0, g1, _ = gc.get_threshold()
            gc.set_threshold(g0, g1, 123_456)
        return apply_pull(changes, cursor, **kw)

    store.apply_pull = recording
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, before[1], before[2])
        engine.page_limit = 5
        assert engine.run_once().ok
        assert len(seen) > 3
        assert all(g0 == eng.CATCH_UP_GC_GEN0 for more, g0 in seen[:-1])  # every page with more after it
        assert gc.get_threshold() == (700, before[1], 123_456)
        # one page, nothing after it: untouched
        seen.clear()
        store.apply(ANA, AddNote(case_id="CR-0002", body="one more"))
        engine.page_limit = 1000
        assert engine.run_once().ok
        assert [g0 for _, g0 in seen] == [700] and gc.get_threshold()[0] == 700
        # a failure in the middle of a catch-up restores it too
        store.cursor = None
        seen.clear()

        def failing(changes, cursor, **kw):
            seen.append(gc.get_threshold()[0])
            if len(seen) == 2:
                raise RuntimeError("disk full")
            return apply_pull(changes, cursor, **kw)

        store.apply_pull = failing
        engine.page_limit = 5
        assert not engine.run_once().ok
        assert seen == [eng.CATCH_UP_GC_GEN0] * 2 and gc.get_threshold()[0] == 700
    finally:
        gc.set_threshold(*before)


def test_prefetch_chains_pages_in_order_and_resumes_after_a_failed_one(server):
    """Pages are fetched ahead of the one being written (three deep): every cursor is
    asked for exactly once, in order, nothing past the last page; a prefetch that
    fails ends the run after the pages before it were applied, and the next run
    continues from the last applied cursor."""
    srv, _, tokens = server
    asked = []
    pulls = 0

    def plan(request):
        nonlocal pulls
        if request.url.path.endswith("/pull"):
            pulls += 1
            asked.append(request.url.params.get("cursor"))
            if pulls == 4 and fail_fourth:
                return "500"
        return None

    fail_fourth = True
    store, engine, transport, _ = mini_node(srv.url, tokens["ana"], attempts=1)
    transport.plan = plan
    applied = []
    apply_pull = store.apply_pull

    def recording(changes, cursor, **kw):
        applied.append(cursor)
        return apply_pull(changes, cursor, **kw)

    store.apply_pull = recording
    engine.page_limit = 3
    report = engine.run_once()
    assert not report.ok
    assert applied and applied == asked[1:len(applied) + 1]  # each page asked from the one before
    assert store.get_cursor() == applied[-1] and len(applied) <= 3
    stop_at = store.get_cursor()
    asked.clear()
    applied.clear()
    fail_fourth = False
    assert engine.run_once().ok
    assert asked[0] == stop_at and asked[1:] == applied[:-1]
    assert len(asked) == len(applied) > 3 and len(set(asked)) == len(asked)
    assert len(store.cases()) == 6


class _Page:
    def __init__(self, cursor, has_more=True):
        self.cursor, self.has_more, self.changes = cursor, has_more, None


def _done(value=None, error=None):
    from concurrent.futures import Future

    f = Future()
    if error is not None:
        f.set_exception(error)
    else:
        f.set_result(value)
    return f


def test_a_batch_takes_the_fetched_pages_that_follow_on_and_have_more_after_them():
    """``SyncEngine._batch``: the page pulled, then the pages already fetched after it,
    up to ``PULL_BATCH_PAGES``; it stops at a fetch still running, a failed one (left
    for the loop to raise), one that does not follow on, and the catch-up's last page
    (applied on its own: it rebuilds the search documents)."""
    from collections import deque
    from concurrent.futures import Future

    from critresp.sync import engine as eng

    e = SyncEngine(MiniStore(), ApiClient("http://127.0.0.1:9", lambda: "t"), SystemClock())
    try:
        p1 = _Page("c1")
        ahead = deque([_done(("c1", _Page("c2"))), _done(("c2", _Page("c3"))), _done(("c3", _Page("c4")))])
        group = e._batch(p1, ahead)
        assert [p.cursor for p in group] == ["c1", "c2", "c3"][: eng.PULL_BATCH_PAGES]
        assert len(ahead) == 3 - (len(group) - 1)  # taken from the front only
        running = Future()
        assert [p.cursor for p in e._batch(p1, deque([running]))] == ["c1"]
        failed = deque([_done(error=RuntimeError("500"))])
        assert [p.cursor for p in e._batch(p1, failed)] == ["c1"] and len(failed) == 1
        assert [p.cursor for p in e._batch(p1, deque([_done(("other", _Page("x")))]))] == ["c1"]
        last = deque([_done(("c1", _Page("c2", has_more=False)))])
        assert [p.cursor for p in e._batch(p1, last)] == ["c1"] and len(last) == 1
        assert [p.cursor for p in e._batch(_Page("c9", has_more=False), deque())] == ["c9"]
    finally:
        e.close()


def test_a_failure_inside_a_batch_of_pages_rolls_the_batch_back_and_the_next_run_redoes_it(server, monkeypatch):
    """Pages already fetched are applied together (``Store.pull_batch``): a failure on
    the second page of a batch leaves the store at the cursor before the batch (its
    first page is rolled back too), and the next run pulls from there and ends with
    every case. (The real store's transaction: tests/store/test_store_sync.py.)"""
    from concurrent.futures import wait

    srv, _, tokens = server
    store, engine, transport, _ = mini_node(srv.url, tokens["ana"], attempts=1)
    real_batch = SyncEngine._batch

    def batch_when_fetched(self, page, ahead):
        wait(list(ahead))  # (the prefetches done: the batch is taken whole)
        return real_batch(self, page, ahead)

    monkeypatch.setattr(SyncEngine, "_batch", batch_when_fetched)
    calls = []
    seen = {}
    apply_pull = store.apply_pull

    def failing(changes, cursor, **kw):
        calls.append((cursor, store.batches))
        if len(calls) == 2:  # the first batch starts: what the store holds before it
            seen.update(store.records)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return apply_pull(changes, cursor, **kw)

    store.apply_pull = failing
    engine.page_limit = 3
    report = engine.run_once()
    assert not report.ok
    # the first page alone (nothing was fetched ahead yet), then a batch of the next two
    assert [b for _, b in calls] == [0, 1, 1] and store.batches == 1
    assert store.get_cursor() == calls[0][0]  # the batch's first page is rolled back too
    assert store.records == seen
    store.apply_pull = apply_pull
    assert engine.run_once().ok
    assert store.batches > 1 and len(store.cases()) == 6
