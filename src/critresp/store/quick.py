"""The console's first paint without the full store.

Performance (docs/performance.md): ``Store`` needs SQLAlchemy, SQLModel and the
pydantic record models -- about 0.6 s of imports on a slow 2-core machine, more
than a minimal Textual app needs to start. The queue's first page needs none of
them: its SQL is plain text (``store.queue``) and SQLite is in the standard
library. So the console starts on a ``DeferredStore``: queue pages, counts, the
sync status and the identity are read by ``QuickReader`` (stdlib ``sqlite3``)
until the real ``Store`` -- opened in a background thread once the first page is
on screen -- is ready; everything else waits for the real store (always in a
worker thread, never on the UI thread).

The quick path is only taken for a store that is already at the latest schema
and private (0600 file in a 0700 directory); anything else (first run, an
upgrade to run, odd permissions, a damaged file) goes through ``Store.open`` as
before, with its one-line errors.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator
from urllib.parse import quote

from ..domain.state import Actor
from ..domain.taxonomy import AssociateRole, CaseStatus, PartyRole, Tier
from . import queue as qsql
from .views import QueueCursor, QueuePage, QueueQuery, QueueRow, SyncStatus

if TYPE_CHECKING:
    from .store import Store

LATEST_SCHEMA = 6  # == migrations.LATEST (tests/store/test_quick.py keeps them equal)
BUSY_TIMEOUT_MS = 5000

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
FAR_FUTURE_MS = (datetime(9999, 1, 1, tzinfo=timezone.utc) - _EPOCH) // timedelta(milliseconds=1)


def from_ms(value: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=value)


def due_or_none(v: int | None) -> datetime | None:
    if v is None or v >= FAR_FUTURE_MS:
        return None
    return from_ms(v)


def actor_from_json(s: str) -> Actor:
    d = json.loads(s)
    return Actor(id=d["id"], name=d["name"], role=AssociateRole(d.get("role", "associate")))


_TIERS = Tier._value2member_map_
_STATUSES = CaseStatus._value2member_map_
_ROLES = PartyRole._value2member_map_


def _member(members: dict[Any, Any], enum: type, value: Any) -> Any:
    """``enum(value)`` looked up directly (~0.1 µs, not ~0.9: three per row of a page
    read, ~0.5 ms of a 200-row page on the worker); anything else as ``enum(value)``
    takes it (a value of another type, or an unknown one, which raises)."""
    member = members.get(value)
    return member if member is not None else enum(value)


def queue_row(m: Any) -> QueueRow:
    """A queue row from a result mapping (the store and the quick reader share it)."""
    return QueueRow(
        id=m["id"], tier=_member(_TIERS, Tier, m["tier"]), category=m["category"],
        status=_member(_STATUSES, CaseStatus, m["status"]),
        title=m["title"], created_at=from_ms(m["created_at"]), updated_at=from_ms(m["updated_at"]),
        due_at=due_or_none(m["due_at"]), due_kind=m["due_kind"], assignee_id=m["assignee_id"],
        assignee_name=m["assignee_name"], subject_role=_member(_ROLES, PartyRole, m["subject_role"]) if m["subject_role"] else None,
        pending=int(m["pending"] or 0), notice=m["notice"],
    )


def sort_key(query: QueueQuery, m: Any) -> tuple[Any, ...]:
    cols, _ = qsql.SORT_KEYS[query.sort]
    return tuple(m[c] for c in cols)


def read_page(
    fetch: Callable[[str, dict[str, Any]], list[Any]], query: QueueQuery, after: QueueCursor | None,
    limit: int, before: QueueCursor | None,
) -> QueuePage:
    """One keyset page (never more than ``limit`` + 1 rows read), given ``fetch(sql,
    params) -> rows`` (each row a mapping by column name) inside one read snapshot.
    The store and the quick reader both page through this."""
    limit = max(1, int(limit))
    if after is not None and before is not None:
        raise ValueError("give after or before, not both")
    backward = before is not None
    cursor = before if backward else after

    def exists(key: QueueCursor, back: bool) -> bool:
        sql, params = qsql.page_sql(query, key, back, 1)
        return bool(fetch(sql, params))

    sql, params = qsql.page_sql(query, cursor, backward, limit + 1)
    raw = fetch(sql, params)
    more = len(raw) > limit
    raw = raw[:limit]
    if backward:
        raw = list(reversed(raw))
    rows = tuple(queue_row(r) for r in raw)
    if not rows:
        return QueuePage(rows=(), next_cursor=None, prev_cursor=None)
    first_key = QueueCursor(query.sort, sort_key(query, raw[0]))
    last_key = QueueCursor(query.sort, sort_key(query, raw[-1]))
    if backward:
        prev_cursor = first_key if more else None
        next_cursor = last_key if exists(last_key, False) else None
    else:
        next_cursor = last_key if more else None
        prev_cursor = first_key if cursor is not None and exists(first_key, True) else None
    return QueuePage(rows=rows, next_cursor=next_cursor, prev_cursor=prev_cursor)


def iter_queue(reader: Any, query: QueueQuery, page: int = 500) -> Iterator[QueueRow]:
    """Every row of a query, walked page by page with ``reader.queue_page`` (any store)."""
    after = None
    while True:
        result = reader.queue_page(query, after=after, limit=page)
        yield from result.rows
        if result.next_cursor is None:
            return
        after = result.next_cursor


def _private(path: Path) -> bool:
    try:
        return (path.stat().st_mode & 0o077) == 0 and (path.parent.stat().st_mode & 0o077) == 0
    except OSError:
        return False


class QuickReader:
    """Queue reads on one stdlib ``sqlite3`` connection (serialised by a lock)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str) -> "QuickReader | None":
        """A reader for an existing, private store at the latest schema; else None."""
        path = Path(path).expanduser().absolute()
        if not path.is_file() or not _private(path):
            return None
        old = os.umask(0o077)  # the -wal / -shm files SQLite may create stay private
        try:
            con = sqlite3.connect(
                f"file:{quote(str(path))}?mode=rw", uri=True, check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
            )
        except sqlite3.Error:
            return None
        finally:
            os.umask(old)
        try:
            con.row_factory = sqlite3.Row
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA query_only=1")
            row = con.execute("SELECT version FROM schema_version").fetchone()
            if row is None or row[0] != LATEST_SCHEMA:
                con.close()
                return None
            if con.execute("SELECT id FROM sync_state WHERE id = 1").fetchone() is None:
                con.close()
                return None
        except sqlite3.Error:
            con.close()
            return None
        return cls(con)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            self._con.execute("BEGIN")  # one snapshot for the statements of one call
            try:
                return fn(self._con)
            finally:
                self._con.execute("ROLLBACK")

    def queue_page(
        self, query: QueueQuery, after: QueueCursor | None = None, limit: int = 100,
        before: QueueCursor | None = None,
    ) -> QueuePage:
        """Exactly what ``Store.queue_page`` returns: the same ``read_page``."""
        return self._read(lambda con: read_page(lambda sql, p: con.execute(sql, p).fetchall(), query, after, limit,
                                                before))

    def queue_count(self, query: QueueQuery) -> int:
        sql, params = qsql.count_sql(query)
        return int(self._read(lambda con: con.execute(sql, params).fetchone()[0]) or 0)

    def sync_status(self) -> SyncStatus:
        def run(con: sqlite3.Connection) -> SyncStatus:
            s = con.execute(
                "SELECT online, last_sync_at, last_error, server_url FROM sync_state WHERE id = 1").fetchone()
            pending = con.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
            return SyncStatus(
                online=bool(s["online"]), last_sync_at=from_ms(s["last_sync_at"]) if s["last_sync_at"] is not None
                else None, pending=int(pending or 0), last_error=s["last_error"], server_url=s["server_url"],
            )

        return self._read(run)

    def identity(self) -> Actor | None:
        s = self._read(lambda con: con.execute("SELECT identity FROM sync_state WHERE id = 1").fetchone()[0])
        return actor_from_json(s) if s else None


class DeferredStore:
    """The store the console starts on: quick reads now, the full ``Store`` soon.

    ``queue_page``, ``queue_count``, ``sync_status`` and ``identity`` are served by
    the ``QuickReader`` until the real store is open, then by the real store. Any
    other attribute waits for the real store (opening it now if nobody has asked
    yet); ``start()`` opens it in a background thread. If opening fails, the
    error is raised to whoever waits, and ``on_open_failed`` listeners hear it.
    """

    def __init__(self, quick: QuickReader, opener: Callable[[], "Store"]) -> None:
        self._quick = quick
        self._opener = opener
        self._real: "Store | None" = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self._listeners: list[Callable[[BaseException], None]] = []

    # -- the full store
    def start(self) -> None:
        """Open the real store in a background thread (once)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._load, name="critresp-store-open", daemon=True).start()

    def _load(self) -> None:
        try:
            self._real = self._opener()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
            self._error = exc
        finally:
            self._ready.set()
        if self._error is not None:
            for fn in list(self._listeners):
                fn(self._error)

    def on_open_failed(self, fn: Callable[[BaseException], None]) -> None:
        self._listeners.append(fn)
        if self._ready.is_set() and self._error is not None:
            fn(self._error)

    @property
    def is_open(self) -> bool:
        return self._real is not None

    def wait(self) -> "Store":
        self.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._real is not None
        return self._real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.wait(), name)

    # -- what the quick reader can answer until then
    def queue_page(self, query: QueueQuery, after: QueueCursor | None = None, limit: int = 100,
                   before: QueueCursor | None = None) -> QueuePage:
        real = self._real
        if real is not None:
            return real.queue_page(query, after=after, limit=limit, before=before)
        return self._quick.queue_page(query, after=after, limit=limit, before=before)

    def queue_count(self, query: QueueQuery) -> int:
        real = self._real
        return real.queue_count(query) if real is not None else self._quick.queue_count(query)

    def sync_status(self) -> SyncStatus:
        real = self._real
        return real.sync_status() if real is not None else self._quick.sync_status()

    def identity(self) -> Actor | None:
        real = self._real
        return real.identity() if real is not None else self._quick.identity()

    def close(self) -> None:
        if self._started:
            self._ready.wait()
        if self._real is not None:
            self._real.close()
        self._quick.close()


def open_for_console(path: Path | str, opener: Callable[[], "Store"]) -> "Store | DeferredStore":
    """The console's store: a ``DeferredStore`` when the quick path applies, else ``opener()``."""
    quick = QuickReader.open(path)
    if quick is None:
        return opener()
    return DeferredStore(quick, opener)
