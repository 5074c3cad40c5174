"""WAL checkpoints run in the server's own thread, not inside a request's commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from srvfixtures import PG_URL, Env

from critresp.server.db import SAFETY_AUTOCHECKPOINT_PAGES, Database, WalCheckpointer, meta

sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="SQLite WAL behaviour")


def _autocheckpoint(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _wal_frames(db: Database) -> int:
    # PRAGMA wal_checkpoint(PASSIVE) would checkpoint; read the WAL's size instead
    path = Path(db.url.removeprefix("sqlite:///") + "-wal")
    return path.stat().st_size if path.exists() else 0


@sqlite_only
def test_the_running_server_checkpoints_after_commits(env: Env) -> None:
    cp = env.rt.checkpointer
    assert cp is not None and cp.enabled and cp.running
    # commits only trigger SQLite's own checkpoint far past the default 1,000 pages
    assert _autocheckpoint(env.rt.db) == SAFETY_AUTOCHECKPOINT_PAGES
    cp.ran.clear()
    env.intake()  # a commit that changes something
    assert cp.ran.wait(10), "the background checkpoint did not run after a commit"
    busy, log_frames, done = cp.last
    assert busy == 0 and log_frames >= 1 and done >= 1


@sqlite_only
def test_checkpoint_copies_the_wal_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'srv.db'}", background_checkpoint=True)
    try:
        cp = WalCheckpointer(db)
        for i in range(50):
            with db.engine.connect().execution_options(writer=True) as conn, conn.begin():
                conn.execute(meta.insert().values(key=f"k{i}", value="x" * 2000))
        assert _wal_frames(db) > 0
        busy, log_frames, done = cp.checkpoint_now()
        assert busy == 0 and log_frames > 0 and done == log_frames
        assert cp.runs == 1
    finally:
        db.dispose()


def test_plain_engines_and_memory_databases_keep_sqlite_defaults(tmp_path: Path) -> None:
    plain = Database(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        assert _autocheckpoint(plain) == 1000  # tools (admin, imports) checkpoint as usual
    finally:
        plain.dispose()
    mem = Database("sqlite://", background_checkpoint=True)
    try:
        cp = WalCheckpointer(mem).start()
        assert not cp.enabled and not cp.running and cp.checkpoint_now() is None
        cp.stop()
    finally:
        mem.dispose()


@sqlite_only
def test_stopping_ends_the_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'srv.db'}", background_checkpoint=True)
    try:
        cp = WalCheckpointer(db, interval=0.05).start()
        assert cp.running
        cp.ran.clear()
        cp.committed()
        assert cp.ran.wait(10)
        cp.stop()
        assert not cp.running
    finally:
        db.dispose()
