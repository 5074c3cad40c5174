"""End to end: real server over HTTP on 127.0.0.1, real local stores in tmp_path."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter

import pytest

from critresp.domain.mutations import AddNote, Claim, Release, SendReply, SetStatus
from critresp.domain.taxonomy import Channel
from e2e import (
    ANA,
    BEN,
    LEAD,
    delivered_reply_ids,
    delivery_rows,
    lead_client,
    make_node,
    make_tokens,
    now_utc,
    seed_dataset,
    server_cases,
    server_event_ids,
    server_mutations,
    start_server,
)
from syncfixtures import FAULTS, random_plan

import critresp.sync.engine as engine_mod

store_mod = pytest.importorskip("critresp.store")
if not hasattr(store_mod, "Store"):  # pragma: no cover - until the store lands
    pytest.skip("critresp.store.Store not available yet", allow_module_level=True)

N_CASES = 8


@pytest.fixture
def world(tmp_path):
    srv, settings = start_server(tmp_path / "server")
    srv.runtime.core.import_dataset(seed_dataset(N_CASES, now_utc()))
    tokens = make_tokens(settings)
    nodes = []

    def node(name, actor, **kw):
        n = make_node(tmp_path, name, actor, srv.url, tokens[actor.id], **kw)
        nodes.append(n)
        return n

    state = {"srv": srv, "settings": settings, "tokens": tokens, "node": node}
    try:
        yield state
    finally:
        for n in nodes:
            n.close()
        state["srv"].stop()


def case_state(detail):
    return (detail.status, detail.assignee_id, int(detail.tier), detail.category, detail.resolution_code)


def server_state(rec):
    return (rec.status, rec.assignee_id, int(rec.tier), rec.category,
            rec.resolution_code.value if rec.resolution_code else None)


def test_two_clients_claim_one_case_exactly_one_wins(world):
    a = world["node"]("a", ANA)
    b = world["node"]("b", BEN)
    assert a.engine.run_once().ok and b.engine.run_once().ok
    assert a.do(Claim(case_id="CR-0001"))
    assert b.do(Claim(case_id="CR-0001"))  # optimistic: B does not know yet
    ra = a.engine.run_once()
    rb = b.engine.run_once()
    assert (ra.ok, ra.pushed, ra.rejected) == (True, 1, 0)
    assert (rb.ok, rb.pushed, rb.rejected) == (True, 0, 1)
    assert any("Ana Lopez" in n for n in rb.notices)
    srv_case = server_cases(world["srv"].url, world["tokens"]["lea"])["CR-0001"]
    assert srv_case.assignee_id == "ana"
    # B's store shows the winner and a notice naming the holder; nothing is pending
    detail = b.store.case_detail("CR-0001")
    assert detail.assignee_id == "ana" and detail.pending == 0
    assert any("Ana Lopez" in n.message for n in b.store.notices("CR-0001"))
    assert a.store.case_detail("CR-0001").assignee_id == "ana"


def test_reply_whose_push_response_is_lost_three_times_is_delivered_once(world):
    a = world["node"]("a", ANA)
    assert a.engine.run_once().ok
    reply = SendReply(case_id="CR-0002", channel=Channel.EMAIL, recipient_party_id="PC-0002",
                      subject="Your report", body="Thank you, we are looking into it.")
    assert a.do(reply)
    a.transport.only_path = "/api/v1/push"
    a.transport.queue = ["drop_response"] * 3
    report = a.engine.run_once()
    assert report.ok, report.error
    assert report.pushed == 1
    assert [f for (_, p, f) in a.transport.log if p == "/api/v1/push"] == ["drop_response"] * 3 + [None]
    assert server_mutations(world["srv"].runtime)[str(reply.mutation_id)] == ("applied", 1)
    runtime = world["srv"].runtime
    runtime.worker.run_once()
    runtime.worker.run_once()
    assert delivered_reply_ids(runtime) == [str(reply.reply_id)]
    assert delivery_rows(runtime) == [(str(reply.reply_id), "sent")]
    with lead_client(world["srv"].url, world["tokens"]["lea"]) as lead:
        ds = lead.deliveries()
    assert [d["reply_id"] for d in ds] == [str(reply.reply_id)]
    # the store holds exactly the server's reply event, no optimistic duplicate
    detail = a.store.case_detail("CR-0002")
    assert detail.pending == 0
    assert sorted(e.id for e in detail.timeline) == sorted(server_event_ids(runtime, "CR-0002"))
    assert sum(1 for e in detail.timeline if e.kind == "reply") == 1


def test_incident_created_through_intake_reaches_a_long_polling_client(world):
    a = world["node"]("a", ANA)
    assert a.engine.run_once().ok
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", a.engine.wait_for_changes(25.0)))
    t.start()
    with lead_client(world["srv"].url, world["tokens"]["lea"]) as lead:
        case = lead.intake({
            "category": "assault", "title": "Shopper threatened at the door",
            "summary": "Customer reports a threat.",
            "reporter": {"id": "PC-0003"},
            "subject": {"role": "shopper", "first_name": "Zed", "last_name": "Q", "phone": "+15550009999"},
        })
    t.join(40)
    assert not t.is_alive()
    r = out["r"]
    if case.id not in r.changed_case_ids:  # the poll may have returned on an earlier change
        r = a.engine.wait_for_changes(25.0)
    assert r.ok, r.error
    assert case.id in r.changed_case_ids
    assert case.id in r.new_t0_case_ids
    detail = a.store.case_detail(case.id)
    assert detail is not None and int(detail.tier) == 0 and detail.title == "Shopper threatened at the door"


def test_token_absent_from_db_files_and_logs(world, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    a = world["node"]("a", ANA)
    assert a.engine.run_once().ok
    assert a.do(AddNote(case_id="CR-0004", body="note before sync"))
    a.transport.queue = ["500", "drop_response"]
    assert a.engine.run_once().ok
    a.store.close()
    token = world["tokens"]["ana"].encode()
    files = [p for p in (tmp_path / "a").rglob("*") if p.is_file()]
    assert files
    for p in files:
        assert token not in p.read_bytes(), p
    assert world["tokens"]["ana"] not in caplog.text
    # reopen so the fixture can close it
    from e2e import open_store

    a.store = open_store(tmp_path / "a")
    a.engine.store = a.store


def _random_action(rng: random.Random, node, case_ids):
    cid = rng.choice(case_ids)
    roll = rng.random()
    if roll < 0.3:
        m = Claim(case_id=cid)
    elif roll < 0.5:
        m = AddNote(case_id=cid, body=f"{node.actor.id} note {rng.randrange(10**6)}")
    elif roll < 0.7:
        detail = node.store.case_detail(cid)
        party = rng.choice([p.id for p in detail.parties]) if detail and detail.parties else f"PC-{cid[-4:]}"
        m = SendReply(case_id=cid, channel=Channel.SMS, recipient_party_id=party,
                      body=f"Update from {node.actor.name} #{rng.randrange(10**6)}")
    elif roll < 0.85:
        m = Release(case_id=cid)
    else:
        m = SetStatus(case_id=cid, status=rng.choice(["investigating", "awaiting_reply"]))
    node.do(m)


def test_fault_injection_soak_two_clients_converge_exactly_once(world):
    from critresp.server import ServerThread

    rng = random.Random(20240611)
    a = world["node"]("a", ANA, attempts=4, rng=random.Random(1))
    b = world["node"]("b", BEN, attempts=4, rng=random.Random(2))
    for n in (a, b):
        assert n.engine.run_once().ok
        n.transport.plan = random_plan(random.Random(rng.random()), 0.3, FAULTS + ("500", "drop_response"))
    case_ids = [f"CR-{i:04d}" for i in range(1, N_CASES + 1)]
    rounds = 40
    for rnd in range(rounds):
        if rnd == rounds // 2:
            # restart the server on the same port and database mid-run
            srv = world["srv"]
            port = srv.port
            srv.stop()
            for n in (a, b):  # offline while it is down: nothing lost
                before = [(r.seq, r.mutation_id) for r in n.store.outbox_pending()]
                rep = n.engine.run_once()
                assert not rep.ok
                assert [(r.seq, r.mutation_id) for r in n.store.outbox_pending()] == before
            world["srv"] = ServerThread(world["settings"], port=port).start()
        for n in (a, b):
            for _ in range(rng.randrange(1, 4)):
                _random_action(rng, n, case_ids)
            if rng.random() < 0.7:
                n.engine.run_once()  # may fail: faults
        if rng.random() < 0.3:
            world["srv"].runtime.worker.run_once()
    # faults off: drain and converge
    for n in (a, b):
        n.transport.plan = None
    for _ in range(5):
        ra, rb = a.engine.run_once(), b.engine.run_once()
        if ra.ok and rb.ok and a.pending() == 0 and b.pending() == 0:
            break
    assert a.pending() == 0 and b.pending() == 0
    assert a.engine.run_once().ok and b.engine.run_once().ok
    runtime = world["srv"].runtime
    runtime.worker.run_once()

    # the faults really happened
    injected = Counter(f for n in (a, b) for (_, _, f) in n.transport.log if f)
    assert injected["drop_response"] and injected["duplicate"] and injected["500_after"], injected

    # every acknowledged action reached the server exactly once (applied once or rejected)
    muts = server_mutations(runtime)
    acked = [m for n in (a, b) for m in n.acked]
    assert acked
    for m in acked:
        status, audits = muts[str(m.mutation_id)]
        assert (status, audits) in (("applied", 1), ("rejected", 0)), (m, status, audits)
    assert len(muts) == len(acked)

    # no reply delivered twice, and every applied reply delivered
    applied_replies = {str(m.reply_id) for m in acked if m.kind == "send_reply" and muts[str(m.mutation_id)][0] == "applied"}
    delivered = delivered_reply_ids(runtime)
    assert len(delivered) == len(set(delivered))
    assert set(delivered) == applied_replies

    # both clients end equal to the server
    server = server_cases(world["srv"].url, world["tokens"]["lea"])
    for cid in case_ids:
        want = server_state(server[cid])
        for n in (a, b):
            d = n.store.case_detail(cid)
            assert case_state(d) == want, (n.actor.id, cid)
            assert d.pending == 0
            assert sorted(e.id for e in d.timeline) == sorted(server_event_ids(runtime, cid)), (n.actor.id, cid)


def test_cli_flow_login_then_sync_once(world, tmp_path, memory_keyring):
    from critresp.domain.clock import SystemClock
    from critresp.sync import auth
    from critresp.sync.credentials import CredentialStore
    from critresp.sync.errors import AuthError
    from e2e import open_store

    url = world["srv"].url
    creds = CredentialStore(memory_keyring, env={})
    with pytest.raises(AuthError, match="critresp login"):
        auth.login(url, "not-a-real-token", creds)
    assert memory_keyring.data == {}
    ident = auth.login(url, world["tokens"]["ben"], creds)
    assert (ident.id, ident.name) == ("ben", "Ben Okafor")
    assert creds.source(url).startswith("keyring (")
    store = open_store(tmp_path / "cli")
    try:
        code, line = auth.sync_once(url, store, creds, SystemClock())
        assert code == 0, line
        assert "pulled" in line and world["tokens"]["ben"] not in line
        assert store.case_detail("CR-0001") is not None
        status = store.sync_status()
        assert status.online and status.last_sync_at is not None and status.server_url == url
        assert any("Ben Okafor" in ln for ln in auth.auth_status(url, creds, check=True))
        world["srv"].stop()
        from critresp.sync.client import ApiClient
        from syncfixtures import WaitRecorder

        waits = WaitRecorder()
        code, line = auth.sync_once(url, store, creds, SystemClock(),
                                    client_factory=lambda u, p: ApiClient(u, p, sleep=waits))
        assert len(waits.calls) == 5  # retried with backoff before giving up
        assert code == 1 and "offline" in line and "\n" not in line
        assert store.sync_status().online is False
    finally:
        store.close()


def test_run_once_from_one_thread_while_another_long_polls(world):
    a = world["node"]("a", ANA)
    assert a.engine.run_once().ok
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", a.engine.wait_for_changes(25.0)))
    t.start()
    notes = [AddNote(case_id="CR-0006", body=f"while polling {i}") for i in range(3)]
    for m in notes:
        assert a.do(m)
    r = a.engine.run_once()
    t.join(40)
    assert not t.is_alive()
    assert r.ok and r.pushed == 3 and out["r"].ok
    assert a.engine.run_once().ok
    detail = a.store.case_detail("CR-0006")
    assert detail.pending == 0
    assert sorted(e.id for e in detail.timeline) == sorted(server_event_ids(world["srv"].runtime, "CR-0006"))
    assert sum(1 for e in detail.timeline if e.kind == "note") == 3


def test_a_recreated_server_database_replaces_stale_local_state(tmp_path):
    """After a cursor reset the new server's state wins even though its versions are lower."""
    from critresp.domain.mutations import Resolve
    from critresp.domain.taxonomy import ResolutionCode
    from critresp.sync.client import ApiClient
    from critresp.sync.engine import SyncEngine
    from critresp.domain.clock import SystemClock
    from e2e import open_store

    srv1, settings1 = start_server(tmp_path / "s1")
    store = open_store(tmp_path / "client")
    store.set_identity(ANA)
    try:
        srv1.runtime.core.import_dataset(seed_dataset(3, now_utc()))
        tokens1 = make_tokens(settings1)
        e1 = SyncEngine(store, ApiClient(srv1.url, lambda: tokens1[ANA.id]), SystemClock())
        assert e1.run_once().ok
        case_id = sorted(server_cases(srv1.url, tokens1[ANA.id]))[0]
        # many changes on the old server push the case's version well above the new server's
        for i in range(15):
            assert store.apply(ANA, AddNote(case_id=case_id, body=f"note {i}")).ok
        assert store.apply(ANA, Resolve(case_id=case_id, code=ResolutionCode.NO_VIOLATION)).ok
        assert e1.run_once().ok
        assert store.case_detail(case_id).status.value == "resolved"
        e1.close()
    finally:
        srv1.stop()

    srv2, settings2 = start_server(tmp_path / "s2")
    try:
        srv2.runtime.core.import_dataset(seed_dataset(3, now_utc()))  # same ids, fresh (open) state
        tokens2 = make_tokens(settings2)
        e2 = SyncEngine(store, ApiClient(srv2.url, lambda: tokens2[ANA.id]), SystemClock())
        report = e2.run_once()
        assert report.ok, report.error
        assert report.new_t0_case_ids == ()  # the reset backlog rings no bell
        fresh = server_cases(srv2.url, tokens2[ANA.id])[case_id]
        assert store.case_detail(case_id).status.value == fresh.status.value != "resolved"
        assert store.sync_status().pending == 0
        e2.close()
    finally:
        srv2.stop()
        store.close()


def test_a_pull_follows_the_cursor_another_process_moved(world, monkeypatch):
    """Two processes on one store (the console and ``critresp sync``): when the other
    one applies pages while this one pulls, this one's next page is refused unwritten
    (CursorMoved) and it carries on from the cursor the other left, instead of
    writing its older cursor over it. (One page per transaction here: the other
    process runs inside this one's apply, which within a batch of pages would hold
    the write lock it waits for. Between batches it is the same check:
    ``test_batched_pages_are_one_transaction`` covers the batches.)"""
    monkeypatch.setattr(engine_mod, "PULL_BATCH_PAGES", 1)
    a = world["node"]("same", ANA)
    b = world["node"]("same", ANA)  # a second Store on the same file
    a.engine.page_limit = 4
    asked = []
    real = a.store.apply_pull

    def racing(changes, cursor, **kw):
        asked.append(cursor)
        if len(asked) == 2:
            assert b.engine.run_once().ok  # the other process catches the store up meanwhile
        return real(changes, cursor, **kw)

    a.store.apply_pull = racing
    assert a.engine.run_once().ok
    final = b.store.get_cursor()
    # its first page, the refused one, then one (empty) page from where the other
    # left it: no page pulled or written twice, no older cursor written
    assert len(asked) == 3 and asked[2] == final, asked
    assert a.store.get_cursor() == final
    from critresp.domain.clock import SystemClock
    from critresp.store.views import QueueQuery

    reopened = store_mod.Store.open(a.store.path, SystemClock())
    try:
        assert reopened.get_cursor() == final
        assert len(reopened.queue_page(QueueQuery(include_resolved=True), limit=100).rows) == N_CASES
    finally:
        reopened.close()
