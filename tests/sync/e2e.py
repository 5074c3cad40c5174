"""Shared setup for the end-to-end sync tests: the real server over 127.0.0.1,
real local stores in tmp_path, tokens from ``critresp.server.admin.create_token``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from critresp.domain.clock import SystemClock
from critresp.domain.records import (
    CasePartyRecord,
    CaseRecord,
    Dataset,
    EventRecord,
    PartyRecord,
)
from critresp.domain.state import Actor
from critresp.domain.taxonomy import AssociateRole, CaseStatus, Involvement, PartyRole, Tier
from critresp.sync.client import ApiClient, RetryPolicy
from critresp.sync.engine import SyncEngine
from syncfixtures import FaultTransport, WaitRecorder

ANA = Actor("ana", "Ana Lopez", AssociateRole.ASSOCIATE)
BEN = Actor("ben", "Ben Okafor", AssociateRole.ASSOCIATE)
LEAD = Actor("lea", "Lea Lead", AssociateRole.LEAD)


def seed_dataset(n: int, now: datetime) -> Dataset:
    parties, cases, cps, events = [], [], [], []
    for i in range(1, n + 1):
        cid = f"CR-{i:04d}"
        cust, shop = f"PC-{i:04d}", f"PS-{i:04d}"
        for pid, role, first in ((cust, PartyRole.CUSTOMER, "Cara"), (shop, PartyRole.SHOPPER, "Sam")):
            parties.append(PartyRecord(
                id=pid, role=role, first_name=first, last_name=f"N{i}", email=f"{pid.lower()}@example.test",
                phone=f"+1555{i:07d}", address=f"{i} Test St", created_at=now - timedelta(days=30),
            ))
        created = now - timedelta(minutes=10 * i)
        cases.append(CaseRecord(
            id=cid, tier=Tier.T1 if i % 3 else Tier.T2, category="discrimination" if i % 3 else "tip_pressure",
            status=CaseStatus.NEW, title=f"Incident {i}", summary="seeded for the sync tests",
            created_at=created, updated_at=created,
        ))
        cps.append(CasePartyRecord(case_id=cid, party_id=cust, involvement=Involvement.REPORTER))
        cps.append(CasePartyRecord(case_id=cid, party_id=shop, involvement=Involvement.SUBJECT))
        events.append(EventRecord(id=f"{cid}-report", case_id=cid, at=created, kind="report",
                                  summary=f"Report {i}", body="what happened", internal=True))
    return Dataset(parties=tuple(parties), cases=tuple(cases), case_parties=tuple(cps), events=tuple(events))


def start_server(data_dir: Path, port: int = 0):
    from critresp.server import ServerSettings, ServerThread

    settings = ServerSettings(data_dir=data_dir, delivery_worker=False, demo=False)
    return ServerThread(settings, port=port).start(), settings


def make_tokens(settings) -> dict[str, str]:
    from critresp.server.admin import create_token

    return {
        a.id: create_token(settings.db_url, a.id, a.name, a.role, out=None)
        for a in (ANA, BEN, LEAD)
    }


def open_store(path: Path, clock=None):
    from critresp.store import Store

    path.mkdir(parents=True, exist_ok=True)
    return Store.open(path / "local.db", clock=clock or SystemClock())


@dataclass
class Node:
    """One associate's app: a store, a (faulty) transport, a client and an engine."""

    actor: Actor
    store: Any
    client: ApiClient
    engine: SyncEngine
    transport: FaultTransport
    waits: WaitRecorder
    acked: list[Any] = field(default_factory=list)  # mutations the store accepted locally

    def do(self, mutation) -> bool:
        res = self.store.apply(self.actor, mutation)
        if res.ok:
            self.acked.append(mutation)
        return res.ok

    def pending(self) -> int:
        return self.store.sync_status().pending

    def close(self) -> None:
        self.engine.close()
        self.store.close()


def make_node(tmp: Path, name: str, actor: Actor, url: str, token: str, *, attempts: int = 8,
              rng: random.Random | None = None) -> Node:
    store = open_store(tmp / name)
    store.set_identity(actor)
    waits = WaitRecorder()
    transport = FaultTransport()
    client = ApiClient(url, lambda: token, transport=transport, sleep=waits,
                       retry=RetryPolicy(attempts=attempts), rng=rng or random.Random(0),
                       timeout=httpx.Timeout(10.0, connect=2.0))
    engine = SyncEngine(store, client, SystemClock())
    return Node(actor, store, client, engine, transport, waits)


def lead_client(url: str, token: str) -> ApiClient:
    return ApiClient(url, lambda: token, sleep=WaitRecorder())


def server_cases(url: str, token: str) -> dict[str, CaseRecord]:
    """Every case as the server has it now, read through the protocol."""
    with lead_client(url, token) as c:
        out: dict[str, CaseRecord] = {}
        cursor = None
        while True:
            page = c.pull(cursor, limit=2000)
            for rec in page.changes.cases:
                out[rec.id] = rec
            cursor = page.cursor
            if not page.has_more:
                return out


def server_event_ids(runtime, case_id: str) -> set[str]:
    from critresp.server import db as D

    with runtime.db.read() as conn:
        return {r[0] for r in conn.execute(select(D.events.c.id).where(D.events.c.case_id == case_id))}


def server_mutations(runtime) -> dict[str, tuple[str, int]]:
    """mutation_id -> (status, how many audit lines it produced)."""
    from critresp.server import db as D

    with runtime.db.read() as conn:
        audits = dict(conn.execute(
            select(D.audit_log.c.mutation_id, func.count()).where(D.audit_log.c.mutation_id.is_not(None))
            .group_by(D.audit_log.c.mutation_id)
        ).all())
        return {
            r.mutation_id: (r.status, int(audits.get(r.mutation_id, 0)))
            for r in conn.execute(select(D.mutations_log.c.mutation_id, D.mutations_log.c.status))
        }


def delivered_reply_ids(runtime) -> list[str]:
    """Every reply the provider handed out (its JSON-lines log file), duplicates kept."""
    return runtime.provider.logged_reply_ids()


def delivery_rows(runtime) -> list[tuple[str, str]]:
    """(reply_id, status) of every row in the server's deliveries table."""
    from critresp.server import db as D

    with runtime.db.read() as conn:
        return [(r[0], r[1]) for r in conn.execute(select(D.deliveries.c.reply_id, D.deliveries.c.status))]


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
