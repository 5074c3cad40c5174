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
    # event texts (rowid = timeline.rowid). Maintained by the store.
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

MIGRATIONS: tuple[Migration, ...] = (
    (1, "initial schema", _m1_initial),
    (2, "drafts table", _m2_drafts),
    (3, "macro audience (reporter / subject / any)", _m3_macro_audience),
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


def migrate(engine: Engine, target: int | None = None) -> int:
    """Bring the database to ``target`` (default: latest). Returns the version."""
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
    for number, _what, fn in MIGRATIONS:
        if number <= version or number > target:
            continue
        with write_tx(engine) as conn:
            # re-check under the write lock: another process may have migrated meanwhile
            if current_version(conn) >= number:
                continue
            fn(conn)
            conn.execute(text("UPDATE schema_version SET version = :v"), {"v": number})
        version = number
    return version
