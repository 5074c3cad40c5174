"""The reference server's database: SQLAlchemy Core tables, engine set-up and the
writing transaction that drives the change log.

Portable SQL only (SQLite and PostgreSQL). Every entity table keeps the full
record as JSON text (``doc``, the ``records`` shape, ``version`` included) plus
the typed columns the server itself queries. Each entity's latest change is one
row of ``change_log`` ``(kind, entity_id) -> seq``; pull pages through it in
``(seq, kind, entity_id)`` order.

Ordering guarantee: every writing transaction starts with
``UPDATE seq_counter SET seq = seq + 1 ... RETURNING seq``. That row lock (or
SQLite's single writer lock, taken up front with BEGIN IMMEDIATE) is held until
commit, so writers are serialised and commit order equals seq order: a reader
can never see seq N+1 committed before N.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    create_engine,
    event,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Kind(IntEnum):
    """Entity kinds, in the order a pull page lists entities of the same seq."""

    ASSOCIATE = 1
    MACRO = 2
    PARTY = 3
    ORDER = 4
    CASE = 5
    CASE_PARTY = 6
    ENFORCEMENT = 7
    EVENT = 8


# Dataset field name of each kind
DATASET_FIELD: dict[Kind, str] = {
    Kind.ASSOCIATE: "associates",
    Kind.MACRO: "macros",
    Kind.PARTY: "parties",
    Kind.ORDER: "orders",
    Kind.CASE: "cases",
    Kind.CASE_PARTY: "case_parties",
    Kind.ENFORCEMENT: "enforcements",
    Kind.EVENT: "events",
}

metadata = MetaData()

ID = 64  # longest entity id

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

seq_counter = Table(
    "seq_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
)

change_log = Table(
    "change_log",
    metadata,
    Column("kind", SmallInteger, nullable=False),
    Column("entity_id", String(2 * ID + 1), nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("kind", "entity_id"),
    Index("ix_change_log_order", "seq", "kind", "entity_id"),
)


def _entity(name: str, *cols: Column, id_len: int = ID) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(id_len), primary_key=True),
        *cols,
        Column("version", BigInteger, nullable=False),
        Column("doc", Text, nullable=False),
    )


associates = _entity(
    "associates",
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
)
parties = _entity(
    "parties",
    Column("role", String(16), nullable=False),
    Column("account_status", String(32), nullable=False),
)
orders = _entity("orders")
cases = _entity(
    "cases",
    Column("status", String(32), nullable=False),
    Column("tier", SmallInteger, nullable=False),
    Column("assignee_id", String(ID), nullable=True),
    Column("claim_expires_at", UTCDateTime, nullable=True),
)
case_parties = _entity(
    "case_parties",
    Column("case_id", String(ID), nullable=False, index=True),
    Column("party_id", String(ID), nullable=False, index=True),
    Column("involvement", String(16), nullable=False),
    id_len=2 * ID + 1,
)
events = _entity("events", Column("case_id", String(ID), nullable=False, index=True), id_len=ID + 16)
enforcements = _entity(
    "enforcements",
    Column("case_id", String(ID), nullable=False, index=True),
    Column("party_id", String(ID), nullable=False, index=True),
    Column("status", String(32), nullable=False),
)
macros = _entity("macros")

ENTITY_TABLE: dict[Kind, Table] = {
    Kind.ASSOCIATE: associates,
    Kind.MACRO: macros,
    Kind.PARTY: parties,
    Kind.ORDER: orders,
    Kind.CASE: cases,
    Kind.CASE_PARTY: case_parties,
    Kind.ENFORCEMENT: enforcements,
    Kind.EVENT: events,
}

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # sha256 hex of the token; the token itself is never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("associate_id", String(ID), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

mutations_log = Table(
    "mutations",
    metadata,
    Column("mutation_id", String(36), primary_key=True),
    Column("client_id", String(128), nullable=False),
    Column("client_seq", BigInteger, nullable=False),
    Column("actor_id", String(ID), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("case_id", String(ID), nullable=False),
    Column("status", String(16), nullable=False),  # applied / rejected
    Column("code", String(64), nullable=True),
    Column("message", Text, nullable=True),
    Column("version", BigInteger, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_mutations_client", "client_id", "client_seq"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", String(ID), nullable=False),
    Column("case_id", String(ID), nullable=True),
    Column("mutation_id", String(36), nullable=True),
    Column("line", Text, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("reply_id", String(36), primary_key=True),
    Column("mutation_id", String(36), nullable=False),
    Column("case_id", String(ID), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("recipient_party_id", String(ID), nullable=False),
    Column("recipient_address", String(500), nullable=False),
    Column("subject", Text, nullable=True),
    Column("body", Text, nullable=False),
    Column("sender_id", String(ID), nullable=False),
    # pending -> sending (claimed by a worker, lease until claimed_until) -> sent
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("provider_ref", String(200), nullable=True),
    Column("last_error", Text, nullable=True),
)

# the reference RecordingProvider's own record of what it delivered
delivery_log = Table(
    "delivery_log",
    metadata,
    Column("reply_id", String(36), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("recipient_address", String(500), nullable=False),
    Column("subject", Text, nullable=True),
    Column("body", Text, nullable=False),
    Column("provider_ref", String(200), nullable=False),
)


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _sqlite_in_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


# With a background checkpointer (see WalCheckpointer) SQLite's own checkpoint, run
# inside whichever commit crosses the limit, is only a safety net: 16,000 pages
# (about 64 MB of WAL at 4 KiB pages) instead of the default 1,000.
SAFETY_AUTOCHECKPOINT_PAGES = 16000


def make_engine(url: str, *, background_checkpoint: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writers.

    ``background_checkpoint``: a :class:`WalCheckpointer` runs the WAL checkpoints,
    so commits only trigger one when the WAL has grown far past that (a checkpoint
    in a commit copies and syncs every page the WAL holds: at 100k cases it doubled
    the time to apply a pushed batch)."""
    if url.startswith("sqlite"):
        memory = _sqlite_in_memory(url)
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if memory:
            kwargs["poolclass"] = StaticPool
        else:
            kwargs.update(pool_size=10, max_overflow=30)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
            # we issue BEGIN ourselves (see _on_begin)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            if background_checkpoint and not memory:
                cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_AUTOCHECKPOINT_PAGES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            if conn.get_execution_options().get("writer"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)


def init_db(engine: Engine) -> str:
    """Create the tables (idempotent) and return the database epoch (random, fixed at creation)."""
    metadata.create_all(engine)
    with engine.connect().execution_options(writer=True) as conn, conn.begin():
        if conn.execute(select(seq_counter.c.seq).where(seq_counter.c.id == 1)).first() is None:
            conn.execute(insert(seq_counter).values(id=1, seq=0))
        row = conn.execute(select(meta.c.value).where(meta.c.key == "epoch")).first()
        if row is None:
            epoch = secrets.token_hex(6)
            conn.execute(insert(meta).values(key="epoch", value=epoch))
            return epoch
        return row[0]


@dataclass
class WriteTx:
    """One writing transaction: holds the writer lock and its change seq."""

    conn: Connection
    seq: int
    changed: int = 0
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    batch: "WriteBatch | None" = None

    def append(self, stmt: Any, row: dict[str, Any]) -> None:
        """Insert a row that nothing in this transaction reads back (logs: audit,
        mutations). Inside a batch the rows are inserted together, one statement per
        table, just before the batch commits (all or nothing with it)."""
        if self.batch is None:
            self.conn.execute(stmt, row)
        else:
            self.batch.appends.setdefault(stmt, []).append(row)

    def put(self, kind: Kind, entity_id: str, doc: dict[str, Any], *, exists: bool | None = None, **cols: Any) -> None:
        """Upsert one entity at this seq (doc['version'] is set to seq)."""
        self.put_many(kind, [(entity_id, doc, cols)], exists=exists)

    def put_many(
        self,
        kind: Kind,
        items: Iterable[tuple[str, dict[str, Any], dict[str, Any]]],
        *,
        exists: bool | None = None,
    ) -> None:
        """Upsert entities at this seq and log the change.

        ``exists``: True = all are known to exist, False = all are known to be new,
        None = look them up. Writers are serialised (see module doc), so the
        look-up-then-insert/update is safe on every backend.
        """
        table = ENTITY_TABLE[kind]
        rows = []
        for entity_id, doc, cols in items:
            doc["version"] = self.seq
            rows.append({"id": entity_id, "version": self.seq, "doc": dumps(doc), **cols})
        if not rows:
            return
        ids = [r["id"] for r in rows]
        if exists is None:
            existing: set[str] = set()
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                existing.update(r[0] for r in self.conn.execute(select(table.c.id).where(table.c.id.in_(chunk))))
        elif exists:
            existing = set(ids)
        else:
            existing = set()
        new = [r for r in rows if r["id"] not in existing]
        old = [{**{k: v for k, v in r.items() if k != "id"}, "b_id": r["id"]} for r in rows if r["id"] in existing]
        if new:
            self.conn.execute(_INSERT[kind], new)
            # every stored entity has exactly one change_log row, so new entity = new log row
            self.conn.execute(_INSERT_LOG, [{"kind": int(kind), "entity_id": r["id"], "seq": self.seq} for r in new])
        if old:
            self.conn.execute(_UPDATE[kind], old)
            self.conn.execute(
                _UPDATE_LOG, [{"b_kind": int(kind), "b_eid": r["b_id"], "b_seq": self.seq} for r in old]
            )
        self.changed += len(rows)


@dataclass
class WriteBatch:
    """A writer transaction shared by several units of work (``Database.batch``)."""

    conn: Connection
    first_seq: int  # the counter's value after the bump that opened the batch
    done: list[WriteTx] = field(default_factory=list)
    seq: int = 0  # the last seq handed out (first_seq - 1: none yet)
    appends: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)  # see WriteTx.append

    def __post_init__(self) -> None:
        self.seq = self.first_seq - 1

    def next_seq(self) -> int:
        """Units count on in memory from the batch's bump; ``flush`` stores the last."""
        self.seq += 1
        return self.seq

    def flush(self) -> None:
        """Before commit: the counter's final value and the appended rows."""
        if self.seq > self.first_seq:
            self.conn.execute(SET_SEQ, {"s": self.seq})
        for stmt, rows in self.appends.items():
            self.conn.execute(stmt, rows)
        self.appends.clear()


# prebuilt statements for the hot path (building a statement costs more than running it)
_INSERT = {k: insert(t) for k, t in ENTITY_TABLE.items()}
_UPDATE = {k: update(t).where(t.c.id == bindparam("b_id")) for k, t in ENTITY_TABLE.items()}
_INSERT_LOG = insert(change_log)
_UPDATE_LOG = (
    update(change_log)
    .where(and_(change_log.c.kind == bindparam("b_kind"), change_log.c.entity_id == bindparam("b_eid")))
    .values(seq=bindparam("b_seq"))
)
BUMP_SEQ = (
    update(seq_counter).where(seq_counter.c.id == 1).values(seq=seq_counter.c.seq + 1).returning(seq_counter.c.seq)
)
SET_SEQ = update(seq_counter).where(seq_counter.c.id == 1).values(seq=bindparam("s"))


class Database:
    def __init__(
        self, url: str, on_commit: Callable[[int], None] | None = None, *, background_checkpoint: bool = False
    ) -> None:
        self.url = url
        self.engine = make_engine(url, background_checkpoint=background_checkpoint)
        self.epoch = init_db(self.engine)
        self._on_commit = on_commit

    def set_on_commit(self, fn: Callable[[int], None] | None) -> None:
        self._on_commit = fn

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self, batch: "WriteBatch | None" = None) -> Iterator[WriteTx]:
        """A writing transaction: takes the writer lock by bumping the seq counter first.

        Raise to roll back. After commit, ``on_commit(seq)`` is called when something changed.

        Inside ``batch`` (see :meth:`batch`) the unit shares the batch's transaction
        (with its own seq); ``on_commit`` / ``after_commit`` run when the batch commits.
        """
        if batch is not None:
            tx = WriteTx(batch.conn, batch.next_seq(), batch=batch)
            yield tx
            batch.done.append(tx)
            return
        with self.engine.connect().execution_options(writer=True) as conn:
            with conn.begin():
                seq = conn.execute(BUMP_SEQ).scalar_one()
                tx = WriteTx(conn, seq)
                yield tx
            # committed
        if tx.changed and self._on_commit is not None:
            self._on_commit(tx.seq)
        for fn in tx.after_commit:
            fn()

    @contextmanager
    def batch(self) -> Iterator["WriteBatch"]:
        """One writer transaction shared by several ``write(batch)`` units, each with its
        own seq, committed together when the block exits normally; an exception rolls
        all of them back (the caller decides what to redo: ``ServerCore.push`` redoes
        the group one transaction per mutation). Saves, per unit on the push hot path,
        a connection checkout, BEGIN and COMMIT, the counter bump and one insert per
        appended log row (``WriteTx.append``)."""
        with self.engine.connect().execution_options(writer=True) as conn:
            with conn.begin():
                # the bump first: it takes the writer lock (see module doc) before the
                # caller reads anything, on every backend
                batch = WriteBatch(conn, conn.execute(BUMP_SEQ).scalar_one())
                yield batch
                batch.flush()
            # committed
        changed = [tx.seq for tx in batch.done if tx.changed]
        if changed and self._on_commit is not None:
            self._on_commit(max(changed))
        for tx in batch.done:
            for fn in tx.after_commit:
                fn()

    @contextmanager
    def plain_write(self) -> Iterator[Connection]:
        """A writing transaction that does not touch the change log (tokens, deliveries)."""
        with self.engine.connect().execution_options(writer=True) as conn, conn.begin():
            yield conn

    def current_seq(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(seq_counter.c.seq).where(seq_counter.c.id == 1)).scalar_one())


def after_key(seq: int, kind: int, entity_id: str):
    """WHERE clause: change_log rows strictly after the keyset position (seq, kind, entity_id)."""
    c = change_log.c
    # the leading ``seq >= :seq`` lets every backend use the (seq, kind, entity_id) index as a range
    return and_(
        c.seq >= seq,
        or_(
            c.seq > seq,
            and_(c.seq == seq, c.kind > kind),
            and_(c.seq == seq, c.kind == kind, c.entity_id > entity_id),
        ),
    )


class WalCheckpointer:
    """Runs SQLite's WAL checkpoints in a thread of their own, off the request path.

    A checkpoint copies the WAL's pages back into the database file and syncs it.
    Left to SQLite, it runs inside the commit that crosses ``wal_autocheckpoint``,
    so one associate's push pays for everyone's writes. Here a daemon thread runs a
    PASSIVE checkpoint (it never blocks readers or writers) at most every
    ``interval`` seconds, and only after something was committed; the engine's
    own autocheckpoint stays as a safety net (``SAFETY_AUTOCHECKPOINT_PAGES``).
    Does nothing for non-SQLite or in-memory databases."""

    def __init__(self, db: Database, interval: float = 1.0) -> None:
        self.db = db
        self.interval = max(0.05, float(interval))
        self.enabled = db.url.startswith("sqlite") and not _sqlite_in_memory(db.url)
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        self.last: tuple[int, int, int] | None = None  # (busy, wal frames, checkpointed frames)
        self.ran = threading.Event()  # set after each checkpoint (tests wait on it)

    def committed(self, _seq: int = 0) -> None:
        """Something was committed: checkpoint within ``interval``."""
        self._dirty.set()

    def checkpoint_now(self) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint; returns SQLite's (busy, log, checkpointed) or None."""
        if not self.enabled:
            return None
        try:
            with self.db.engine.connect() as conn:
                row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").first()
        except Exception:  # best effort: the engine's autocheckpoint still bounds the WAL
            log.warning("background WAL checkpoint failed", exc_info=True)
            return None
        self.runs += 1
        self.last = (int(row[0]), int(row[1]), int(row[2])) if row is not None else None
        self.ran.set()
        return self.last

    def start(self) -> "WalCheckpointer":
        if self.enabled and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="critresp-wal-checkpoint", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        t, self._thread = self._thread, None
        if t is not None:
            t.join(timeout=10)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            self._dirty.clear()
            self.checkpoint_now()
            self._stop.wait(self.interval)  # at most one checkpoint per interval
