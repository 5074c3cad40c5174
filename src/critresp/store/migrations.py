"""Ordered forward migrations of the local store schema.

``schema_version`` holds one row: the number of the last migration applied.
Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the
version bump, so a crash leaves the database at the previous version, never in
between. A database from a *newer* critresp is refused (we cannot know what its
schema means).

Adding a migration: append ``(N, "what it does", fn)`` to ``MIGRATIONS`` where
``fn(conn)`` runs the DDL/DML that turns version N-1 into N (``ALTER TABLE ...
ADD COLUMN``, ``CREATE INDEX``, a table rebuild, a data backfill), and change the
models to match. Never edit a released migration. Migration 2 below (the drafts
table) is the worked example.
"""

from __future__ import annotations

import uuid
from typing import Callable

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from .db import StoreError, write_tx
from .models import TABLES, TABLES_V2

FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS case_fts USING fts5("
    "text, case_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')"
)


def _m1_initial(conn: Connection) -> None:
    for table in TABLES:
        table.create(conn)
    # Full-text index over case title + summary (rowid = -cases.rowid) and timeline
    # event texts (rowid = timeline.rowid); replaced by ``case_doc`` in migration 4.
    conn.exec_driver_sql(FTS_DDL)
    conn.execute(
        text("INSERT INTO sync_state (id, client_id, online) VALUES (1, :cid, 0)"),
        {"cid": uuid.uuid4().hex},
    )


def _m2_drafts(conn: Connection) -> None:
    for table in TABLES_V2:
        table.create(conn)


def _m3_macro_audience(conn: Connection) -> None:
    # migration 1 creates tables from the current models, so a fresh store has the column already
    cols = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(macro)")}
    if "audience" not in cols:
        conn.exec_driver_sql("ALTER TABLE macro ADD COLUMN audience VARCHAR NOT NULL DEFAULT 'any'")


Migration = tuple[int, str, Callable[[Connection], None]]

# One full-text document per case (rowid = cases.rowid): title, summary and the text
# of every timeline event with a body. ``detail=none`` (no positions: the queue search
# ANDs single words and never asks for phrases) and prefix indexes for 2-4 letters
# keep a common word or a short prefix at tens of ms on 100k cases, where an index of
# events had to collect every matching event (docs/performance.md).
CASE_DOC_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS case_doc USING fts5("
    "text, tokenize = 'unicode61 remove_diacritics 2', detail = none, prefix = '2 3 4')"
)
CASE_DOC_TEXT_V4 = (  # events in timeline order, so a rebuilt document is the same text
    "c.title || ' ' || c.summary || ' ' || coalesce((SELECT group_concat(x, ' ') FROM ("
    "SELECT t.summary || ' ' || t.body AS x FROM timeline t WHERE t.case_id = c.id AND t.body IS NOT NULL "
    "ORDER BY t.rowid)), '')"
)

# Migration 5: an open case's document also holds a marker word (``OPEN_DOC_TOKEN_V5``).
# A search of open cases (the queue's default) matches it too, so the full-text index
# hands SQLite the ~12k open cases' rowids instead of every matching case's (a common
# word at 100k cases: ~100k rowids, 20-37 ms to collect; 5-7 ms now;
# docs/performance.md, session 7). The queue still filters on ``cases.is_open``: the
# marker only narrows. The trigger rebuilds a case's document when it opens or
# closes (if it has one yet: during a first sync the documents are built after the
# last page). Both are frozen here as migration 5 made them; the trigger holds this
# text: a new document text needs a migration that rebuilds the documents and
# re-creates the trigger (tests/store/test_store_db.py checks they agree).
OPEN_DOC_TOKEN_V5 = "\ue000open"  # == store.queue.OPEN_DOC_TOKEN (tests/store/test_store_db.py)
CASE_DOC_TEXT_V5 = f"({CASE_DOC_TEXT_V4}) || CASE WHEN c.is_open THEN ' {OPEN_DOC_TOKEN_V5}' ELSE '' END"
CASE_DOC_OPEN_TRIGGER_V5 = (
    "CREATE TRIGGER IF NOT EXISTS case_doc_open_state AFTER UPDATE OF is_open ON cases "
    "WHEN OLD.is_open IS NOT NEW.is_open AND EXISTS (SELECT 1 FROM case_doc WHERE rowid = NEW.rowid) "
    "BEGIN "
    "DELETE FROM case_doc WHERE rowid = NEW.rowid; "
    f"INSERT INTO case_doc (rowid, text) SELECT c.rowid, {CASE_DOC_TEXT_V5} FROM cases c WHERE c.rowid = NEW.rowid; "
    "END"
)
CASE_DOC_TEXT = CASE_DOC_TEXT_V5  # the documents' text now (store.py builds them with it)

# Migration 6: the open cases' documents again, in an index of their own (``open_doc``,
# a copy of each open case's ``case_doc`` text). A search of open cases (the queue's
# default) reads it alone: ~12k documents at 100k cases instead of ~100k ANDed with the
# marker. The marker narrowed the rowids handed to SQLite, but FTS5 still read and
# merged every matching term's whole list: a prefix such as "report*" (the search box
# searches the last word as a prefix) took 24-35 ms, 3 ms in ``open_doc``
# (docs/performance.md, session 8). ``case_doc`` keeps the marker (rebuilding every
# document to drop it is ~10 s at 100k; nothing matches it).
#
# The open/closed trigger of migration 5 is replaced by one that rebuilds the case's
# document and then its copy, in that order (SQLite does not promise an order between
# two triggers). Frozen as migration 6 made it (tests/store/test_store_db.py).
OPEN_DOC_DDL_V6 = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS open_doc USING fts5("
    "text, tokenize = 'unicode61 remove_diacritics 2', detail = none, prefix = '2 3 4')"
)
CASE_DOC_OPEN_TRIGGER_V6 = (
    "CREATE TRIGGER IF NOT EXISTS case_doc_open_state_v6 AFTER UPDATE OF is_open ON cases "
    "WHEN OLD.is_open IS NOT NEW.is_open AND EXISTS (SELECT 1 FROM case_doc WHERE rowid = NEW.rowid) "
    "BEGIN "
    "DELETE FROM case_doc WHERE rowid = NEW.rowid; "
    f"INSERT INTO case_doc (rowid, text) SELECT c.rowid, {CASE_DOC_TEXT_V5} FROM cases c WHERE c.rowid = NEW.rowid; "
    "DELETE FROM open_doc WHERE rowid = NEW.rowid; "
    "INSERT INTO open_doc (rowid, text) SELECT rowid, text FROM case_doc WHERE rowid = NEW.rowid AND NEW.is_open; "
    "END"
)


def _m4_case_doc(conn: Connection) -> None:
    conn.exec_driver_sql(CASE_DOC_DDL)
    # cases whose document is to be rebuilt: filled while a multi-page pull is still
    # running (each case's document is built once, after its last page), emptied after
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS search_stale (id TEXT PRIMARY KEY)")
    conn.exec_driver_sql(f"INSERT INTO case_doc (rowid, text) SELECT c.rowid, {CASE_DOC_TEXT_V4} FROM cases c")
    conn.exec_driver_sql("DROP TABLE IF EXISTS case_fts")


def _m5_open_token(conn: Connection) -> None:
    # A first sync that was cut short left the timeline's per-case index dropped (it is
    # rebuilt after the last page); each document reads its case's events through it.
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_timeline_case_at ON timeline (case_id, at)")
    conn.exec_driver_sql("DROP TABLE IF EXISTS case_doc")  # rebuilt whole: faster than row by row
    conn.exec_driver_sql(CASE_DOC_DDL)
    conn.exec_driver_sql(f"INSERT INTO case_doc (rowid, text) SELECT c.rowid, {CASE_DOC_TEXT_V5} FROM cases c")
    conn.exec_driver_sql(CASE_DOC_OPEN_TRIGGER_V5)


def _m6_open_doc(conn: Connection) -> None:
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS case_doc_open_state")
    conn.exec_driver_sql("DROP TABLE IF EXISTS open_doc")  # built whole below
    conn.exec_driver_sql(OPEN_DOC_DDL_V6)
    conn.exec_driver_sql(
        "INSERT INTO open_doc (rowid, text) SELECT d.rowid, d.text FROM case_doc d "
        "WHERE d.rowid IN (SELECT rowid FROM cases WHERE is_open = 1) ORDER BY d.rowid"
    )
    conn.exec_driver_sql(CASE_DOC_OPEN_TRIGGER_V6)


MIGRATIONS: tuple[Migration, ...] = (
    (1, "initial schema", _m1_initial),
    (2, "drafts table", _m2_drafts),
    (3, "macro audience (reporter / subject / any)", _m3_macro_audience),
    (4, "case-level full-text index (one document per case, prefix indexes)", _m4_case_doc),
    (5, "open cases marked in their search documents", _m5_open_token),
    (6, "open cases' search documents in an index of their own", _m6_open_doc),
)
LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    has = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"
    ).first()
    if not has:
        return 0
    row = conn.exec_driver_sql("SELECT version FROM schema_version").first()
    return int(row[0]) if row else 0


def migrate(
    engine: Engine, target: int | None = None, on_step: Callable[[int, str], None] | None = None,
) -> int:
    """Bring the database to ``target`` (default: latest). Returns the version.

    ``on_step(number, what)`` is called before each migration that will run on an
    existing store (not for a new, empty one), so a caller can say what is happening
    during a long one (migrations 4 and 5 each rebuild the full-text index: ~10-20 s
    at 100k cases; migration 6 copies the open cases' documents: ~1 s). Other critresp processes on the store (an older version still
    running) must be stopped first: they would keep writing documents the old way.
    """
    target = LATEST if target is None else target
    with write_tx(engine) as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        version = current_version(conn)
        if version == 0 and conn.exec_driver_sql("SELECT count(*) FROM schema_version").scalar() == 0:
            conn.exec_driver_sql("INSERT INTO schema_version (version) VALUES (0)")
    if version > LATEST:
        raise StoreError(
            f"The local store was written by a newer critresp (schema {version}, this version knows "
            f"up to {LATEST}). Upgrade critresp, or move the store aside to start fresh."
        )
    existing = version > 0  # a store with data in it, not one being created
    for number, _what, fn in MIGRATIONS:
        if number <= version or number > target:
            continue
        with write_tx(engine) as conn:
            # re-check under the write lock: another process may have migrated meanwhile
            if current_version(conn) >= number:
                continue
            if on_step is not None and existing:
                on_step(number, _what)
            fn(conn)
            conn.execute(text("UPDATE schema_version SET version = :v"), {"v": number})
        version = number
    return version
