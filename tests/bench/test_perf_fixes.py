"""The guarantees the performance fixes must keep (see docs/performance.md):

- the server applies a push in groups sharing one writer transaction, yet every
  mutation stays all-or-nothing and a failure or rejection of one never undoes
  another;
- the store records a whole batch of push results at once with the same outcome
  as one by one (acks, rejections with notice and draft, repeated results);
- a pulled page that only carries timeline events does not rebase the case (the
  decided state does not depend on events), and keeps local pending work.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from uuid import uuid4

import pytest

from critresp.demo.generator import generate
from critresp.domain.clock import FixedClock
from critresp.domain.mutations import AddNote, Claim
from critresp.domain.records import Dataset, EventRecord
from critresp.domain.state import Actor
from critresp.domain.taxonomy import AssociateRole

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
ACTOR = Actor("A-001", "Sam Okafor", AssociateRole.ASSOCIATE)


# ------------------------------------------------------------------ server push groups


@pytest.fixture
def core(tmp_path: Path):
    from critresp.server.db import Database
    from critresp.server.service import ServerCore

    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    core = ServerCore(db, FixedClock(NOW))
    for chunk in generate(120, seed=3, now=NOW):
        core.import_dataset(chunk)
    yield core
    db.dispose()


def _open_case(core) -> str:
    from sqlalchemy import text

    with core.db.read() as conn:
        return conn.execute(text("SELECT id FROM cases WHERE status != 'resolved' ORDER BY id LIMIT 1")).scalar_one()


def _logged(core) -> dict[str, str]:
    from sqlalchemy import select

    from critresp.server import db as D

    t = D.mutations_log
    with core.db.read() as conn:
        return {r[0]: r[1] for r in conn.execute(select(t.c.mutation_id, t.c.status))}


def test_push_failure_keeps_the_mutations_before_it_and_nothing_after(core, monkeypatch) -> None:
    from critresp.server.service import ServerCore

    cid = _open_case(core)
    notes = [AddNote(case_id=cid, body=f"note {i}", created_at=NOW) for i in range(3)]
    bad = notes[1].mutation_id
    real = ServerCore._write_applied

    def failing(self, tx, rec, actor, m, d, now):  # type: ignore[no-untyped-def]
        real(self, tx, rec, actor, m, d, now)
        if m.mutation_id == bad:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(ServerCore, "_write_applied", failing)
    with pytest.raises(RuntimeError):
        core.push(ACTOR, "c1", [(i + 1, m) for i, m in enumerate(notes)])
    logged = _logged(core)
    assert logged == {str(notes[0].mutation_id): "applied"}  # the first is committed, the others are not

    monkeypatch.setattr(ServerCore, "_write_applied", real)
    res = core.push(ACTOR, "c1", [(i + 1, m) for i, m in enumerate(notes)])
    assert [r["status"] for r in res] == ["duplicate", "applied", "applied"]
    assert len({r["version"] for r in res}) == 3


def test_push_rejection_in_a_group_does_not_touch_its_neighbours(core) -> None:
    from critresp.server.service import PUSH_GROUP

    cid = _open_case(core)
    items = []
    for i in range(PUSH_GROUP + 7):  # crosses a group boundary
        m = (Claim(case_id="CR-9999999", created_at=NOW) if i % 10 == 5
             else AddNote(case_id=cid, body=f"note {i}", created_at=NOW))
        items.append((i + 1, m))
    res = core.push(ACTOR, "c1", items)
    assert [r["seq"] for r in res] == [s for s, _ in items]
    for (seq, m), r in zip(items, res):
        assert r["status"] == ("rejected" if m.case_id == "CR-9999999" else "applied"), (seq, r)
    versions = [r["version"] for r in res if r["status"] == "applied"]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    logged = _logged(core)
    assert len(logged) == len(items)


# ------------------------------------------------------------------ store: push results, event-only pulls


@pytest.fixture
def store(tmp_path: Path):
    from critresp.store import Store

    s = Store.open(tmp_path / "local" / "critresp.db", FixedClock(NOW))
    for chunk in generate(120, seed=3, now=NOW):
        s.import_dataset(chunk)
    yield s
    s.close()


def _unassigned_open(store, n: int) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT id FROM cases WHERE is_open = 1 AND assignee_id IS NULL ORDER BY id DESC LIMIT ?", (n,))]


def test_record_push_results_batch(store) -> None:
    from critresp.store.api import PushResult

    a, b = _unassigned_open(store, 2)
    m1 = Claim(case_id=a, created_at=NOW)
    m2 = AddNote(case_id=a, body="called the reporter", created_at=NOW)
    m3 = AddNote(case_id=b, body="typed text to keep", created_at=NOW)
    for m in (m1, m2, m3):
        assert store.apply(ACTOR, m).ok
    items = {it.mutation_id: it for it in store.outbox_pending()}
    assert store.sync_status().pending == 3
    results = [
        PushResult(items[m1.mutation_id].seq, m1.mutation_id, "applied", version=10**9),
        PushResult(items[m2.mutation_id].seq, m2.mutation_id, "duplicate", version=10**9 + 1),
        PushResult(items[m3.mutation_id].seq, m3.mutation_id, "rejected", code="case_closed", message="Closed remotely"),
        PushResult(items[m1.mutation_id].seq, m1.mutation_id, "applied", version=10**9),  # repeated: ignored
        PushResult(10**6, uuid4(), "applied", version=1),  # unknown: ignored
    ]
    store.record_push_results(results)
    assert store.sync_status().pending == 0
    da, db_ = store.case_detail(a), store.case_detail(b)
    assert da.pending == 0 and db_.pending == 0
    assert da.assignee_id == ACTOR.id  # acked, not yet settled: still visible
    assert not any(ev.pending for ev in da.timeline)
    assert not any(ev.body == "typed text to keep" for ev in db_.timeline)  # rejected: effect removed
    notices = store.notices(b)
    assert len(notices) == 1 and notices[0].kind == "case_closed" and notices[0].draft == "typed text to keep"
    store.record_push_results(results)  # idempotent
    assert len(store.notices(b)) == 1


def test_event_only_pull_does_not_rebase_and_keeps_pending_work(store, monkeypatch) -> None:
    from critresp.store import Store

    (a,) = _unassigned_open(store, 1)
    m = AddNote(case_id=a, body="still pending here", created_at=NOW)
    assert store.apply(ACTOR, m).ok
    calls: list[str] = []
    real = Store._rebase

    def spy(self, conn, case_id):  # type: ignore[no-untyped-def]
        calls.append(case_id)
        return real(self, conn, case_id)

    monkeypatch.setattr(Store, "_rebase", spy)
    ev = EventRecord(id=f"{a}-zz-remote", case_id=a, at=NOW, kind="message_in", summary="Reporter wrote again",
                     body="Any news?", version=10**9)
    applied = store.apply_pull(Dataset(events=(ev,)), "cursor-1")
    assert calls == []
    assert a in applied.changed_case_ids
    d = store.case_detail(a)
    bodies = {e.body: e.pending for e in d.timeline}
    assert bodies.get("Any news?") is False
    assert bodies.get("still pending here") is True
    assert d.pending == 1


# ------------------------------------------------------------------ full-text search


def _ids(store, query) -> list[str]:
    from sqlalchemy import text

    from critresp.store import queue as qsql

    sql, params = qsql.page_sql(query, None, False, 10_000)
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text(sql), params)]


def test_search_pages_walk_the_same_cases_as_one_query(store) -> None:
    """Keyset pages of a search, for every sort, common and rare words and prefixes."""
    from critresp.store.views import QueueQuery, QueueSort

    with store.engine.connect() as conn:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.v USING fts5vocab(main, case_doc, row)")
        vocab = conn.exec_driver_sql(
            "SELECT term FROM temp.v WHERE length(term) > 3 AND term GLOB '[a-z]*' ORDER BY doc DESC").fetchall()
    common, rare = vocab[0][0], vocab[-1][0]
    matched = 0
    for term in (common + " ", rare + " ", f"{common} {vocab[len(vocab) // 3][0]} ", common[:3]):
        for sort in QueueSort:
            q = QueueQuery(search=term, sort=sort, include_resolved=True)
            want = _ids(store, q)
            got, after = [], None
            while True:
                page = store.queue_page(q, after=after, limit=7)
                got.extend(r.id for r in page.rows)
                if page.next_cursor is None:
                    break
                after = page.next_cursor
            assert got == want, (term, sort)
            assert store.queue_count(q) == len(want)
            matched += len(want)
    assert matched  # the data set does have matches
