"""SQLite engine for the local store: private files, WAL, durable commits,
write transactions that take the write lock up front.

- The data directory is created 0700 and the database file 0600 *before* SQLite
  opens it (SQLite gives its -wal / -shm files the mode of the database file); the
  process umask is also narrowed to 077 around the connect, as a second fence.
- Every connection runs ``journal_mode=WAL``, ``synchronous=FULL``,
  ``busy_timeout`` and ``foreign_keys=ON``.
- pysqlite's own transaction handling is switched off and SQLAlchemy emits the
  BEGIN (the recipe from the SQLAlchemy SQLite dialect docs). Reads get a plain
  (deferred) BEGIN, writes ``BEGIN IMMEDIATE`` via :func:`write_tx`, so a writer
  never discovers a conflicting writer halfway through its transaction.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import QueuePool

BUSY_TIMEOUT_MS = 15_000
# Each pooled connection's page cache, in KiB (SQLite's default size). The console
# reads on several threads at once (page, count, reads ahead: one pooled connection
# each), and every cache fills up at 100k: at 8 MB each they held ~25 MB of the
# console's peak RSS (143 vs 119 MB over an interaction session) with no keystroke,
# sync or drain figure changed by the larger cache (docs/performance.md, session 11).
PAGE_CACHE_KIB = 2000
_BEGIN_OPTION = "critresp_begin"
_umask_lock = threading.Lock()


class StoreError(Exception):
    """A store failure with a one-line message fit to show the associate."""


def ensure_private_dir(path: Path) -> None:
    path = Path(path)
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)


def create_private_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _fail_open(path: Path, what: str) -> StoreError:
    return StoreError(
        f"Cannot open the local store {path}: {what}. "
        "Move the file aside (or delete it) and start critresp again to resync from the server."
    )


def open_engine(path: Path) -> Engine:
    """Create (if needed) and open the store database. Raises StoreError."""
    path = Path(path).expanduser().absolute()
    try:
        ensure_private_dir(path.parent)
        create_private_file(path)
    except PermissionError as e:
        raise StoreError(
            f"Cannot open the local store {path}: permission denied ({e.strerror}). "
            "Check the owner and mode of the file and its directory."
        ) from None
    except OSError as e:
        raise StoreError(f"Cannot open the local store {path}: {e.strerror or e}.") from None
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(
            f"Cannot open the local store {path}: it is not readable and writable by you. "
            "Check the owner and mode of the file."
        )

    engine = create_engine(
        f"sqlite:///{path}",
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=8,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "do_connect")
    def _do_connect(dialect, conn_rec, cargs, cparams):  # type: ignore[no-untyped-def]
        with _umask_lock:
            old = os.umask(0o077)
            try:
                conn = sqlite3.connect(*cargs, **cparams)
                conn.isolation_level = None  # SQLAlchemy emits BEGIN (see _begin)
                cur = conn.cursor()
                cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA temp_store=MEMORY")
                cur.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
                cur.execute("PRAGMA wal_autocheckpoint=8000")
                cur.close()
                return conn
            finally:
                os.umask(old)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    return engine


@contextmanager
def write_tx(engine: Engine, *, durable: bool = True) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE): commits on success, rolls back on error.

    ``durable=False`` (only for what can be fetched again, i.e. a pulled page with
    its cursor): the commit is not synced to disk (``synchronous=NORMAL``: in WAL
    mode a power cut may drop the last such commits, never corrupt the file). The
    store's own writes (the outbox) always sync."""
    with engine.connect() as conn:
        conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        raw = None
        if not durable:
            raw = conn.connection.driver_connection
            raw.execute("PRAGMA synchronous=NORMAL")
        try:
            with conn.begin():
                yield conn
        finally:
            if raw is not None:
                raw.execute("PRAGMA synchronous=FULL")


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A read snapshot (deferred BEGIN); always rolled back."""
    with engine.connect() as conn:
        with conn.begin() as tx:
            yield conn
            tx.rollback()
