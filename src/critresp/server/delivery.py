"""Reply delivery: hand each pending delivery to a ``Provider`` exactly once.

Protocol (works across retries, crashes and several workers):

1. *Claim*: ``UPDATE deliveries SET status='sending', claimed_by=<worker>,
   claimed_until=now+lease WHERE reply_id=? AND (status='pending' OR the
   previous claim expired)``, committed on its own. Exactly one worker wins.
2. *Deliver*: in ONE transaction, call ``provider.deliver(delivery, conn)``
   (which records its own idempotent receipt keyed by ``reply_id``) and mark the
   row ``sent`` only if this worker still owns the claim; commit.

A crash between 1 and 2 leaves the claim to expire; the next worker retries.
A crash inside 2 rolls back the ``sent`` mark; the retry calls the provider
again with the same ``reply_id``, and the provider's idempotency (its receipt
keyed by ``reply_id``) makes sure the recipient still gets it only once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Connection

from ..domain.clock import Clock
from . import db as D
from .db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    reply_id: str
    case_id: str
    channel: str
    recipient_party_id: str
    recipient_address: str
    subject: str | None
    body: str
    created_at: datetime
    attempts: int


class Provider(Protocol):
    def deliver(self, delivery: Delivery, conn: Connection) -> str:
        """Hand one reply to the outside world and return a provider reference.

        Must be idempotent by ``delivery.reply_id``: a second call with the same
        reply_id must not send again (return the original reference). Runs inside
        the transaction that marks the delivery sent; it may write to ``conn``.
        Raise to have the delivery retried later.
        """
        ...


class RecordingProvider:
    """Reference provider: 'sends' by recording to the ``delivery_log`` table and a
    JSON-lines log file. Idempotent by reply_id in both (the file's reply ids are
    loaded at start, so a retry after a crash never appends a second line)."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = Path(log_path)
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        if self.log_path.exists():
            with self.log_path.open("r", encoding="utf-8") as fh:
                for line in fh:
                    try:
                        self._seen.add(json.loads(line)["reply_id"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a torn last line from a crash: ignore

    def deliver(self, delivery: Delivery, conn: Connection) -> str:
        ref = f"rec-{delivery.reply_id}"
        row = conn.execute(
            select(D.delivery_log.c.provider_ref).where(D.delivery_log.c.reply_id == delivery.reply_id)
        ).first()
        if row is not None:
            return row[0]
        with self._lock:
            if delivery.reply_id not in self._seen:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                line = json.dumps(
                    {
                        "reply_id": delivery.reply_id,
                        "case_id": delivery.case_id,
                        "channel": delivery.channel,
                        "to": delivery.recipient_address,
                        "subject": delivery.subject,
                        "body": delivery.body,
                    },
                    ensure_ascii=False,
                )
                fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, (line + "\n").encode("utf-8"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                self._seen.add(delivery.reply_id)
        conn.execute(
            insert(D.delivery_log).values(
                reply_id=delivery.reply_id,
                at=delivery.created_at,
                channel=delivery.channel,
                recipient_address=delivery.recipient_address,
                subject=delivery.subject,
                body=delivery.body,
                provider_ref=ref,
            )
        )
        return ref

    def logged_reply_ids(self) -> list[str]:
        """Reply ids in the log file, one per line, in order (for tests and audits)."""
        if not self.log_path.exists():
            return []
        out = []
        with self.log_path.open("r", encoding="utf-8") as fh:
            for line in fh:
                try:
                    out.append(json.loads(line)["reply_id"])
                except (ValueError, KeyError, TypeError):
                    continue
        return out


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        provider: Provider,
        clock: Clock,
        *,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float = 2.0,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.provider = provider
        self.clock = clock
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.worker_id = worker_id or f"w-{uuid.uuid4().hex[:12]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- one pass
    def run_once(self, limit: int = 100) -> int:
        """Deliver what is due now; returns how many deliveries this pass completed."""
        now = self.clock.now()
        t = D.deliveries
        with self.db.read() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    select(t.c.reply_id)
                    .where(or_(t.c.status == "pending", and_(t.c.status == "sending", t.c.claimed_until < now)))
                    .order_by(t.c.created_at, t.c.reply_id)
                    .limit(limit)
                )
            ]
        done = 0
        for rid in ids:
            if self._stop.is_set() and self._thread is not None:
                break
            if self.claim(rid) and self.deliver_claimed(rid):
                done += 1
        return done

    def claim(self, reply_id: str) -> bool:
        now = self.clock.now()
        t = D.deliveries
        with self.db.plain_write() as conn:
            res = conn.execute(
                update(t)
                .where(
                    and_(
                        t.c.reply_id == reply_id,
                        or_(t.c.status == "pending", and_(t.c.status == "sending", t.c.claimed_until < now)),
                    )
                )
                .values(
                    status="sending",
                    claimed_by=self.worker_id,
                    claimed_until=now + self.lease,
                    attempts=t.c.attempts + 1,
                )
            )
            return res.rowcount == 1

    def deliver_claimed(self, reply_id: str) -> bool:
        t = D.deliveries
        try:
            with self.db.plain_write() as conn:
                row = conn.execute(
                    select(t).where(
                        and_(t.c.reply_id == reply_id, t.c.status == "sending", t.c.claimed_by == self.worker_id)
                    )
                ).first()
                if row is None:
                    return False
                d = Delivery(
                    reply_id=row.reply_id,
                    case_id=row.case_id,
                    channel=row.channel,
                    recipient_party_id=row.recipient_party_id,
                    recipient_address=row.recipient_address,
                    subject=row.subject,
                    body=row.body,
                    created_at=row.created_at,
                    attempts=row.attempts,
                )
                ref = self.provider.deliver(d, conn)
                res = conn.execute(
                    update(t)
                    .where(
                        and_(t.c.reply_id == reply_id, t.c.status == "sending", t.c.claimed_by == self.worker_id)
                    )
                    .values(status="sent", sent_at=self.clock.now(), provider_ref=str(ref)[:200], last_error=None)
                )
                if res.rowcount != 1:
                    raise _LostClaim(reply_id)
            return True
        except Exception as exc:  # provider failure: keep the claim; retried when it expires
            log.warning("delivery %s failed: %s", reply_id, type(exc).__name__)
            try:
                with self.db.plain_write() as conn:
                    conn.execute(
                        update(t)
                        .where(and_(t.c.reply_id == reply_id, t.c.claimed_by == self.worker_id, t.c.status == "sending"))
                        .values(last_error=type(exc).__name__)
                    )
            except Exception:  # pragma: no cover - database gone
                log.exception("could not record delivery failure")
            return False

    # ---------------------------------------------------------------- thread
    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"critresp-delivery-{self.worker_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception:
                log.exception("delivery pass failed")
            self._wake.wait(self.poll_seconds)


class _LostClaim(Exception):
    pass
