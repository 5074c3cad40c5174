"""The quick reader (stdlib sqlite3) answers exactly like the store; the deferred store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from critresp.domain.clock import FixedClock
from critresp.domain.state import Actor
from critresp.domain.taxonomy import AssociateRole, Tier
from critresp.store import Store, StoreError
from critresp.store.quick import DeferredStore, QuickReader, open_for_console
from critresp.store.views import QueueQuery, QueueSort, Scope

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from critresp.demo.generator import generate

    path = tmp_path_factory.mktemp("quick") / "data" / "store.db"
    s = Store.open(path, FixedClock(NOW))
    for chunk in generate(300, seed=5, now=NOW):
        s.import_dataset(chunk)
    s.set_identity(Actor("A-7", "Rae Q", AssociateRole.LEAD))
    s.set_sync_state(online=True, error="last try failed", server_url="https://x.example", synced_at=NOW)
    s.close()
    return path


def _walk(reader, q: QueueQuery, limit: int = 17) -> list:
    pages, after = [], None
    while True:
        page = reader.queue_page(q, after=after, limit=limit)
        pages.append(page)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    # and back again from the last page
    before = pages[-1].prev_cursor
    while before is not None:
        page = reader.queue_page(q, before=before, limit=limit)
        pages.append(page)
        before = page.prev_cursor
    return pages


QUERIES = [
    QueueQuery(),
    QueueQuery(scope=Scope.UNASSIGNED),
    QueueQuery(scope=Scope.MINE, me="A-001"),
    QueueQuery(tiers=frozenset({Tier.T0, Tier.T2})),
    QueueQuery(include_resolved=True, sort=QueueSort.NEWEST),
    QueueQuery(sort=QueueSort.DUE),
    QueueQuery(sort=QueueSort.UPDATED, categories=frozenset({"rude_tone", "missing_item"})),
    QueueQuery(search="order "),
    QueueQuery(search="sho", include_resolved=True),
    QueueQuery(search="CR-0000007"),
    QueueQuery(search='"NEAR( -x'),
]


def test_quick_reader_answers_exactly_like_the_store(demo_store: Path) -> None:
    store = Store.open(demo_store, FixedClock(NOW))
    quick = QuickReader.open(demo_store)
    assert quick is not None
    try:
        for q in QUERIES:
            assert _walk(quick, q) == _walk(store, q), q
            assert quick.queue_count(q) == store.queue_count(q), q
        assert quick.sync_status() == store.sync_status()
        assert quick.identity() == store.identity()
    finally:
        quick.close()
        store.close()


def test_constants_match_the_store() -> None:
    from critresp.store import migrations, models, quick

    assert quick.LATEST_SCHEMA == migrations.LATEST
    assert quick.FAR_FUTURE_MS == models.FAR_FUTURE_MS


def test_quick_path_only_for_a_private_store_at_the_latest_schema(tmp_path: Path, demo_store: Path) -> None:
    assert QuickReader.open(tmp_path / "missing.db") is None
    not_db = tmp_path / "p" / "x.db"
    not_db.parent.mkdir(mode=0o700)
    not_db.write_bytes(b"not a database at all" * 100)
    not_db.chmod(0o600)
    assert QuickReader.open(not_db) is None
    # an older schema: the full open (with its upgrade) is needed
    old = tmp_path / "o" / "s.db"
    s = Store.open(old, FixedClock(NOW))
    s.close()
    con = sqlite3.connect(old)
    con.execute("UPDATE schema_version SET version = 3")
    con.commit()
    con.close()
    assert QuickReader.open(old) is None
    opened: list[str] = []
    out = open_for_console(old, lambda: opened.append("full") or "FULL")  # type: ignore[func-returns-value]
    assert out == "FULL" and opened == ["full"]
    # readable by others: the full open (which reports and fixes modes) handles it
    loose = tmp_path / "l" / "s.db"
    Store.open(loose, FixedClock(NOW)).close()
    os.chmod(loose, 0o644)
    assert QuickReader.open(loose) is None


def test_deferred_store_reads_the_queue_first_and_opens_the_store_once(demo_store: Path) -> None:
    calls: list[int] = []

    def opener() -> Store:
        calls.append(1)
        return Store.open(demo_store, FixedClock(NOW))

    d = open_for_console(demo_store, opener)
    assert isinstance(d, DeferredStore)
    try:
        page = d.queue_page(QueueQuery(), limit=5)
        assert len(page.rows) == 5 and d.queue_count(QueueQuery()) > 5
        assert d.identity() == Actor("A-7", "Rae Q", AssociateRole.LEAD)
        assert calls == [] and not d.is_open  # nothing but the quick reader so far
        detail = d.case_detail(page.rows[0].id)  # anything else waits for the full store
        assert detail is not None and detail.id == page.rows[0].id
        assert calls == [1] and d.is_open
        d.start()
        assert d.queue_page(QueueQuery(), limit=5) == page  # now from the full store, same answer
        assert calls == [1]
    finally:
        d.close()


def test_deferred_store_failure_reaches_waiters_and_listeners(demo_store: Path) -> None:
    heard: list[BaseException] = []
    done = threading.Event()

    def opener() -> Store:
        raise StoreError("The local store is locked by another process (is critresp already running?).")

    d = open_for_console(demo_store, opener)
    assert isinstance(d, DeferredStore)
    d.on_open_failed(lambda exc: (heard.append(exc), done.set()))
    d.start()
    assert done.wait(30)
    assert "locked" in str(heard[0])
    with pytest.raises(StoreError, match="locked"):
        d.case_detail("CR-0000001")
    assert d.queue_page(QueueQuery(), limit=3).rows  # the queue still reads
    d.close()


def test_first_paint_imports_neither_the_orm_nor_pydantic() -> None:
    """What the console needs for its first page stays free of the heavy imports."""
    code = (
        "import sys; import critresp.app, critresp.screens.queue, critresp.store.quick; "
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'httpx', 'jinja2') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_queue_row_s_kinds_are_the_enums_members_and_an_unknown_one_is_refused() -> None:
    from critresp.domain.taxonomy import CaseStatus, PartyRole
    from critresp.store.quick import queue_row

    row = {"id": "CR-1", "tier": 0, "category": "x", "status": "new", "title": "t", "created_at": 0,
           "updated_at": 1000, "due_at": None, "due_kind": None, "assignee_id": None, "assignee_name": None,
           "subject_role": "shopper", "pending": None, "notice": None}
    r = queue_row(row)
    assert r.tier is Tier.T0 and r.status is CaseStatus.NEW and r.subject_role is PartyRole.SHOPPER
    assert r.updated_at == datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    for field, bad in (("tier", 9), ("status", "lost"), ("subject_role", "alien"), ("tier", "0")):
        with pytest.raises(ValueError):
            queue_row({**row, field: bad})
