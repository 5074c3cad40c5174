"""A tiny in-memory store implementing the StoreAPI methods the UI calls.

Used for quick UI unit tests while (and besides) the real ``Store``; decisions go
through ``domain.rules.decide`` so refusals read like the real thing.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from uuid import uuid4

from critresp.domain import rules, sla
from critresp.domain.state import Actor, CaseState
from critresp.domain.taxonomy import CaseStatus, Channel, Involvement, PartyRole, Tier
from critresp.store.views import (
    ApplyResult,
    CaseDetail,
    MacroView,
    PartyHistory,
    PartyView,
    QueueCursor,
    QueuePage,
    QueueQuery,
    QueueRow,
    Scope,
    SyncStatus,
    TimelineView,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


class FakeStore:
    def __init__(self, n: int = 30, now: datetime = T0) -> None:
        self.lock = threading.Lock()
        self.cases: dict[str, CaseState] = {}
        self.titles: dict[str, str] = {}
        self.timeline: dict[str, list[TimelineView]] = {}
        self.parties: dict[str, tuple[PartyView, ...]] = {}
        self.drafts: dict[tuple[str, str], str] = {}
        self.reveals: list[tuple[str, str, str, str]] = []
        self.applied: list = []
        self.pending = 0
        self.now = now
        for i in range(n):
            cid = f"CR-{i:06d}"
            tier = Tier(i % 4)
            self.cases[cid] = CaseState(
                id=cid, tier=tier, category="assault" if tier == 0 else "rude_tone",
                status=CaseStatus.NEW, created_at=now - timedelta(minutes=i),
                party_ids=(f"P{i}a", f"P{i}b"),
            )
            self.titles[cid] = f"Case number {i}"
            self.timeline[cid] = []
            self.parties[cid] = (
                PartyView(f"P{i}a", PartyRole.CUSTOMER, Involvement.REPORTER, "Dana R.", "d***@example.com",
                          "***-***-1234", "*** Elm St", "active", now),
                PartyView(f"P{i}b", PartyRole.SHOPPER, Involvement.SUBJECT, "Sam K.", "s***@example.com",
                          "***-***-9876", "*** Oak Ave", "active", now),
            )

    # queue -------------------------------------------------------------
    def _rows(self, q: QueueQuery) -> list[QueueRow]:
        out = []
        for c in self.cases.values():
            if not q.include_resolved and c.status is CaseStatus.RESOLVED:
                continue
            if q.tiers and c.tier not in q.tiers:
                continue
            if q.scope is Scope.MINE and c.assignee_id != q.me:
                continue
            if q.scope is Scope.UNASSIGNED and c.assignee_id is not None:
                continue
            if q.search and q.search.lower() not in self.titles[c.id].lower():
                continue
            due, kind = sla.next_due(c.tier, c.created_at, c.acknowledged_at, c.first_outreach_at, c.resolved_at)
            out.append(QueueRow(c.id, c.tier, c.category, c.status, self.titles[c.id], c.created_at, c.created_at,
                                due, kind, c.assignee_id, c.assignee_name, PartyRole.SHOPPER, 0))
        out.sort(key=lambda r: (int(r.tier), r.due_at or T0, r.id))
        return out

    def queue_page(self, query, after=None, limit=100, before=None) -> QueuePage:
        rows = self._rows(query)
        start = 0
        if after is not None:
            start = after.key[0] + 1
        elif before is not None:
            start = max(0, before.key[0] - limit)
        end = min(len(rows), start + limit) if before is None else before.key[0]
        page = rows[start:end]
        nxt = QueueCursor(query.sort, (end - 1,)) if end < len(rows) and page else None
        prev = QueueCursor(query.sort, (start,)) if start > 0 else None
        return QueuePage(tuple(page), nxt, prev)

    def queue_count(self, query) -> int:
        return len(self._rows(query))

    # case ---------------------------------------------------------------
    def case_detail(self, case_id):
        c = self.cases.get(case_id)
        if c is None:
            return None
        return CaseDetail(
            id=c.id, tier=c.tier, category=c.category, status=c.status, title=self.titles[c.id], summary="",
            created_at=c.created_at, updated_at=c.created_at, acknowledged_at=c.acknowledged_at,
            first_outreach_at=c.first_outreach_at, resolved_at=c.resolved_at,
            resolution_code=c.resolution_code.value if c.resolution_code else None,
            assignee_id=c.assignee_id, assignee_name=c.assignee_name, merged_into=c.merged_into,
            escalated_to=c.escalated_to, parties=self.parties[c.id], timeline=tuple(self.timeline[c.id]),
            order=None, enforcements=(), notices=(), pending=0, version=c.version,
        )

    def party_history(self, case_id):
        return PartyHistory((), (), ())

    def reveal_pii(self, actor, case_id, party_id, field):
        self.reveals.append((actor.id, case_id, party_id, field))
        return {"phone": "+1 555 201 1234", "email": "dana@example.com", "address": "12 Elm St"}[field]

    def macros(self):
        return [
            MacroView("ack", "Acknowledge report", (), (), (Channel.EMAIL, Channel.SMS), "empathetic",
                      "About case {{ case.id }}", "Hi {{ recipient.first_name }}, thanks. {{ associate.first_name }}",
                      "Hi {{ recipient.first_name }}, we are on it ({{ case.id }}).", None, None, False),
            MacroView("broken", "Broken macro", (), (), (Channel.EMAIL, Channel.SMS), "neutral",
                      "x", "Hi {{ recipient.nickname }}", "Hi {{ recipient.nickname }}", None, None, False),
        ]

    def apply(self, actor: Actor, mutation) -> ApplyResult:
        with self.lock:
            c = self.cases[mutation.case_id]
            d = rules.decide(c, mutation, actor, self.now)
            self.applied.append(mutation)
            if not d.ok:
                return ApplyResult(False, mutation.mutation_id, d.message, d.code)
            self.cases[c.id] = d.case
            for ev in d.events:
                self.timeline[c.id].append(TimelineView(str(uuid4()), self.now, ev.kind, actor.name, ev.summary,
                                                        ev.body, ev.internal, True))
            self.pending += 1
            return ApplyResult(True, mutation.mutation_id, d.notice or f"{mutation.kind} {c.id}")

    def notices(self, case_id=None, unread_only=False):
        return []

    def save_draft(self, case_id, key, text):
        self.drafts[(case_id, key)] = text

    def load_draft(self, case_id, key):
        return self.drafts.get((case_id, key))

    def reporter_terms(self, case_id):
        from critresp.domain.pii import identity_terms

        return identity_terms("Dana", "Rivers", "+1 555 201 1234", "dana@example.com")

    def mark_notice_read(self, notice_id):
        pass

    def sync_status(self):
        return SyncStatus(False, None, self.pending, None, None)

    def claim_by(self, case_id: str, other: Actor) -> None:
        c = self.cases[case_id]
        self.cases[case_id] = replace(c, assignee_id=other.id, assignee_name=other.name,
                                      claim_expires_at=self.now + timedelta(hours=2), status=CaseStatus.CLAIMED)


def _fake_import_dataset(self: FakeStore, data) -> None:
    """Just enough of import_dataset for the UI tests: case titles and macros."""
    from critresp.store.views import MacroView as MV

    for c in data.cases:
        if c.id in self.titles:
            self.titles[c.id] = c.title
    extra = [MV(m.id, m.title, m.categories, m.recipient_roles, m.channels, m.tone, m.email_subject, m.email_body,
                m.sms_body, m.phone_script, m.internal_body, m.is_enforcement_notice, dict(m.actions))
             for m in data.macros]
    if extra:
        base = FakeStore.macros(self)
        self.macros = lambda: base + extra  # type: ignore[method-assign]


FakeStore.import_dataset = _fake_import_dataset  # type: ignore[attr-defined]
