"""Engine setup: private files, pragmas, BEGIN IMMEDIATE, damaged files, migrations."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from critresp.domain.clock import FixedClock
from critresp.store import Store, StoreError
from critresp.store.db import open_engine, write_tx
from critresp.store.migrations import CASE_DOC_DDL, LATEST, MIGRATIONS, migrate

from store_data import DANA, T0, assert_documents_current, simple_dataset
from critresp.domain import mutations as mu


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_files_are_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        path = tmp_path / "deep" / "data" / "store.db"
        s = Store.open(path, FixedClock(T0))
        s.import_dataset(simple_dataset(2))
        assert s.apply(DANA, mu.AddNote(case_id="CR-0000", body="hello")).ok
        # keep a connection open so -wal / -shm exist
        with s.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM cases")).scalar()
            assert _mode(path.parent) == 0o700
            assert _mode(path) == 0o600
            for suffix in ("-wal", "-shm"):
                side = path.with_name(path.name + suffix)
                assert side.exists(), side
                assert _mode(side) == 0o600, (side, oct(_mode(side)))
        s.close()
    finally:
        os.umask(old)


def test_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    Store.open(path, FixedClock(T0)).close()
    assert _mode(path) == 0o600


def test_pragmas(store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        # each pooled connection's page cache is SQLite's default 2 MB, not more: the
        # console reads on several connections at once (docs/performance.md, session 11)
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000


def test_write_transaction_takes_the_write_lock_up_front(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    s = Store.open(path, FixedClock(T0))
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with write_tx(s.engine) as conn:
            # nothing written yet, but the lock is already held
            conn.exec_driver_sql("SELECT 1")
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after commit
        other.execute("ROLLBACK")
    finally:
        other.close()
        s.close()


def test_garbage_file_raises_one_line_store_error(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StoreError) as ei:
        Store.open(path, FixedClock(T0))
    msg = str(ei.value)
    assert "\n" not in msg
    assert str(path) in msg and "Move" in msg


def test_unreadable_file_raises_store_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read anything")
    path = tmp_path / "store.db"
    Store.open(path, FixedClock(T0)).close()
    os.chmod(path, 0o000)
    with pytest.raises(StoreError, match="permission|readable"):
        Store.open(path, FixedClock(T0))


def test_truncated_store_is_reported_not_traced(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    s = Store.open(path, FixedClock(T0))
    s.import_dataset(simple_dataset(50))
    s.close()
    for side in (path.with_name("store.db-wal"), path.with_name("store.db-shm")):
        side.unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))  # keep the header magic, smash the rest
    with pytest.raises(StoreError) as ei:
        s2 = Store.open(path, FixedClock(T0))
        s2.queue_count(__import__("critresp.store.views", fromlist=["QueueQuery"]).QueueQuery())
    assert "\n" not in str(ei.value)


def test_migrations_are_ordered_and_recorded(tmp_path: Path) -> None:
    assert [m[0] for m in MIGRATIONS] == list(range(1, LATEST + 1))
    path = tmp_path / "s.db"
    engine = open_engine(path)
    assert migrate(engine, target=1) == 1
    with engine.connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "cases" in names and "outbox" in names and "draft" not in names
        assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == 1
    engine.dispose()
    # opening the store runs migration 2 (drafts) on the v1 database
    s = Store.open(path, FixedClock(T0))
    s.import_dataset(simple_dataset(1))
    s.save_draft("CR-0000", "note", "typed text")
    assert s.load_draft("CR-0000", "note") == "typed text"
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == LATEST
        assert conn.exec_driver_sql("SELECT count(*) FROM schema_version").scalar() == 1
    s.close()
    # reopening is a no-op
    Store.open(path, FixedClock(T0)).close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store.open(path, FixedClock(T0)).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE schema_version SET version = ?", (LATEST + 1,))
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer critresp"):
        Store.open(path, FixedClock(T0))


def test_client_id_is_stable(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    s = Store.open(path, FixedClock(T0))
    cid = s.client_id()
    s.close()
    s = Store.open(path, FixedClock(T0))
    assert s.client_id() == cid and len(cid) >= 16
    s.close()


# schema 4's search documents: the table as migration 5 found it, without the trigger
# and without the open cases' own index (migration 6)
_DOCUMENTS_AS_SCHEMA_4 = (
    "DROP TRIGGER case_doc_open_state_v6", "DROP TABLE open_doc", "DROP TABLE case_doc", CASE_DOC_DDL)


def _reopen_as_schema(path: Path, version: int, *statements: str) -> tuple[Store, list[int]]:
    """The closed store at ``path`` turned back into a schema-``version`` store (the
    ``statements``, then the version), opened again: (the store, the migrations run)."""
    con = sqlite3.connect(path)
    for statement in statements:
        con.execute(statement)
    con.execute("UPDATE schema_version SET version = ?", (version,))
    con.commit()
    con.close()
    steps: list[int] = []
    return Store.open(path, FixedClock(T0), on_migrate=lambda n, what: steps.append(n)), steps


def test_migration_4_builds_the_case_documents_of_an_existing_store(tmp_path: Path) -> None:
    from critresp.domain import records as R
    from critresp.store.migrations import FTS_DDL
    from critresp.store.views import QueueQuery

    from store_data import event

    path = tmp_path / "s.db"
    s = Store.open(path, FixedClock(T0))
    s.import_dataset(simple_dataset(3))
    s.import_dataset(R.Dataset(events=(event("E-9", "CR-0001", body="broken eggs in the bag"),)))
    s.close()
    # the same data as a schema-3 store: event-level index, no case documents
    s, steps = _reopen_as_schema(
        path, 3, "DROP TRIGGER case_doc_open_state_v6", "DROP TABLE open_doc", "DROP TABLE case_doc", FTS_DDL)
    try:
        assert steps == [4, 5, 6]
        assert [r.id for r in s.queue_page(QueueQuery(search="eggs bag ")).rows] == ["CR-0001"]
        with s.engine.connect() as conn:
            names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
            assert "case_fts" not in names
            assert conn.exec_driver_sql("SELECT count(*) FROM case_doc").scalar() == 3
    finally:
        s.close()
    # a new store is not "upgraded": no step reported
    fresh: list[int] = []
    Store.open(tmp_path / "new.db", FixedClock(T0), on_migrate=lambda n, what: fresh.append(n)).close()
    assert fresh == []


def _torn_bag_store(tmp_path: Path, n: int) -> Path:
    """A closed store of ``n`` cases, each with a "torn bag" event, CR-0002 resolved."""
    from critresp.domain import mutations as mu
    from critresp.domain import records as R

    from store_data import DANA, event

    path = tmp_path / "s.db"
    s = Store.open(path, FixedClock(T0))
    s.import_dataset(simple_dataset(n))
    s.import_dataset(R.Dataset(events=tuple(event(f"E-{i}", f"CR-000{i}", body="torn bag") for i in range(n))))
    assert s.apply(DANA, mu.Resolve(case_id="CR-0002", code="no_violation")).ok
    s.close()
    return path


def test_migration_5_marks_the_open_cases_of_an_existing_store(tmp_path: Path) -> None:
    from critresp.store.migrations import CASE_DOC_TEXT, CASE_DOC_TEXT_V4, CASE_DOC_TEXT_V5
    from critresp.store.views import QueueQuery

    path = _torn_bag_store(tmp_path, 3)
    # the same data as a schema-4 store: documents without the open mark, no trigger
    s, steps = _reopen_as_schema(
        path, 4, *_DOCUMENTS_AS_SCHEMA_4,
        f"INSERT INTO case_doc (rowid, text) SELECT c.rowid, {CASE_DOC_TEXT_V4} FROM cases c")
    try:
        assert steps == [5, 6]
        assert {r.id for r in s.queue_page(QueueQuery(search="torn bag")).rows} == {"CR-0000", "CR-0001"}
        assert {r.id for r in s.queue_page(QueueQuery(search="torn", include_resolved=True)).rows} == {
            "CR-0000", "CR-0001", "CR-0002"}
        assert_documents_current(s)
        from critresp.store.migrations import OPEN_DOC_TOKEN_V5
        from critresp.store.queue import OPEN_DOC_TOKEN

        assert OPEN_DOC_TOKEN == OPEN_DOC_TOKEN_V5  # the marker the documents hold
        assert CASE_DOC_TEXT_V5 == CASE_DOC_TEXT  # the text migration 5 built is the one built now
    finally:
        s.close()


def _open_documents(s: Store) -> tuple[set[str], set[str]]:
    """(cases whose document holds the open marker, cases in ``open_doc``)."""
    from critresp.store.queue import OPEN_DOC_TOKEN

    with s.engine.connect() as conn:
        marked = {r[0] for r in conn.exec_driver_sql(
            "SELECT c.id FROM cases c WHERE c.rowid IN (SELECT rowid FROM case_doc WHERE case_doc MATCH ?)",
            (f'"{OPEN_DOC_TOKEN}"',)).fetchall()}
        indexed = {r[0] for r in conn.exec_driver_sql(
            "SELECT c.id FROM cases c WHERE c.rowid IN (SELECT rowid FROM open_doc)").fetchall()}
    return marked, indexed


def test_migration_6_indexes_the_open_cases_of_an_existing_store(tmp_path: Path) -> None:
    from critresp.store.migrations import CASE_DOC_OPEN_TRIGGER_V5, CASE_DOC_OPEN_TRIGGER_V6, CASE_DOC_TEXT
    from critresp.store.views import QueueQuery

    path = _torn_bag_store(tmp_path, 4)
    # the same data as a schema-5 store: marked documents, migration 5's trigger, no open_doc
    s, steps = _reopen_as_schema(
        path, 5, "DROP TRIGGER case_doc_open_state_v6", "DROP TABLE open_doc", CASE_DOC_OPEN_TRIGGER_V5)
    try:
        assert steps == [6]
        assert_documents_current(s)
        assert {r.id for r in s.queue_page(QueueQuery(search="torn ba")).rows} == {"CR-0000", "CR-0001", "CR-0003"}
        assert {r.id for r in s.queue_page(QueueQuery(search="torn", include_resolved=True)).rows} == {
            "CR-0000", "CR-0001", "CR-0002", "CR-0003"}
        with s.engine.connect() as conn:
            triggers = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all())
        # migration 5's trigger is replaced by one trigger, as the code has it, with the text now
        assert triggers == {"case_doc_open_state_v6": CASE_DOC_OPEN_TRIGGER_V6.replace(" IF NOT EXISTS", "")}
        assert CASE_DOC_TEXT in triggers["case_doc_open_state_v6"]
        # the trigger alone (a bare update of the column: nothing else rebuilds the documents)
        assert _open_documents(s) == ({"CR-0000", "CR-0001", "CR-0003"},) * 2
        with s.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE cases SET is_open = 0 WHERE id = 'CR-0000'")
            conn.exec_driver_sql("UPDATE cases SET is_open = 1 WHERE id = 'CR-0002'")
            conn.exec_driver_sql("UPDATE cases SET is_open = 1 WHERE id = 'CR-0001'")  # unchanged: not rebuilt
        assert _open_documents(s) == ({"CR-0001", "CR-0002", "CR-0003"},) * 2
        with s.engine.connect() as conn:  # each copy is its case's document now
            assert conn.exec_driver_sql(
                "SELECT count(*) FROM open_doc o JOIN case_doc d ON d.rowid = o.rowid WHERE o.text IS NOT d.text"
            ).scalar() == 0
    finally:
        s.close()


def test_migration_5_after_a_first_sync_that_was_cut_short(tmp_path: Path) -> None:
    """A first sync stopped between pages leaves the bulk indexes dropped and the
    documents to be built; migration 5 re-creates the timeline index it reads through,
    and the open finishes the documents, marked."""
    from critresp.domain import records as R
    from critresp.store.views import QueueQuery

    from store_data import event

    path = tmp_path / "s.db"
    s = Store.open(path, FixedClock(T0))
    data = simple_dataset(3)
    s.apply_pull(R.Dataset(cases=data.cases, parties=data.parties, case_parties=data.case_parties,
                           events=(event("E-1", "CR-0001", body="spilled soup"),)), "p1", more=True)
    s.close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM search_stale").fetchone()[0] > 0
    assert con.execute("SELECT 1 FROM sqlite_master WHERE name = 'ix_timeline_case_at'").fetchone() is None
    con.close()
    s, steps = _reopen_as_schema(path, 4, *_DOCUMENTS_AS_SCHEMA_4)
    try:
        assert steps == [5, 6]
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'ix_timeline_case_at'").first()
            assert conn.exec_driver_sql("SELECT count(*) FROM search_stale").scalar() == 0
        assert [r.id for r in s.queue_page(QueueQuery(search="soup")).rows] == ["CR-0001"]
    finally:
        s.close()


def test_a_non_durable_write_syncs_nothing_and_hands_the_connection_back_durable(tmp_path: Path) -> None:
    """Pulled pages commit with synchronous=NORMAL (re-fetchable); everything else
    keeps FULL, including the next user of the same pooled connection."""
    engine = open_engine(tmp_path / "s.db")
    try:
        with write_tx(engine, durable=False) as conn:
            raw = conn.connection.driver_connection
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            conn.exec_driver_sql("CREATE TABLE t (x)")
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again
        with pytest.raises(RuntimeError):
            with write_tx(engine, durable=False) as conn:
                raw = conn.connection.driver_connection
                raise RuntimeError("rolled back")
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2
        with write_tx(engine) as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        engine.dispose()
