"""Read models the store returns to the UI and the sync layer.

These are frozen dataclasses detached from the ORM session, safe to pass
between worker threads and the UI thread. Widgets render them; they never
query. Text fields hold raw (untrusted) text: the UI sanitizes and escapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from ..domain.taxonomy import (
    CaseStatus,
    Channel,
    EnforcementLevel,
    EnforcementStatus,
    Involvement,
    LinkKind,
    PartyRole,
    Tier,
)


class QueueSort(StrEnum):
    PRIORITY = "priority"  # tier asc, then SLA due asc, then id
    DUE = "due"  # SLA due asc, then id
    NEWEST = "newest"  # created desc, then id desc
    UPDATED = "updated"  # updated desc, then id desc


class Scope(StrEnum):
    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class QueueQuery:
    scope: Scope = Scope.ALL
    tiers: frozenset[Tier] = frozenset()  # empty = any
    categories: frozenset[str] = frozenset()
    statuses: frozenset[CaseStatus] = frozenset()  # empty = open statuses only
    include_resolved: bool = False
    party_role: PartyRole | None = None  # cases involving a party of this role as subject
    search: str = ""  # full-text (FTS5) over case title, summary, statements, notes
    sort: QueueSort = QueueSort.PRIORITY
    me: str | None = None  # actor id, for Scope.MINE


@dataclass(frozen=True)
class QueueCursor:
    """Opaque keyset position: the sort key of the last row of a page."""

    sort: QueueSort
    key: tuple[Any, ...]


@dataclass(frozen=True)
class QueueRow:
    id: str
    tier: Tier
    category: str
    status: CaseStatus
    title: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None  # next unmet SLA deadline (None when resolved)
    due_kind: Literal["acknowledge", "first_outreach", "resolve"] | None
    assignee_id: str | None
    assignee_name: str | None
    subject_role: PartyRole | None  # role of the main subject party
    pending: int  # number of local mutations on this case not yet acknowledged by the server
    notice: str | None = None  # latest unread sync notice (e.g. rejection)


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    next_cursor: QueueCursor | None  # None = no more rows after this page
    prev_cursor: QueueCursor | None  # None = this is the first page


@dataclass(frozen=True)
class PartyView:
    id: str
    role: PartyRole
    involvement: Involvement
    display_name: str  # first name + last initial: not treated as PII
    # masked forms, always safe to show
    email_masked: str
    phone_masked: str
    address_masked: str
    account_status: str  # active / restricted / suspended / deactivated
    created_at: datetime


@dataclass(frozen=True)
class TimelineView:
    id: str
    at: datetime
    kind: str
    actor_name: str | None
    summary: str
    body: str | None
    internal: bool
    pending: bool  # local, not yet acknowledged by the server


@dataclass(frozen=True)
class EnforcementView:
    id: UUID
    case_id: str
    party_id: str
    party_name: str
    level: EnforcementLevel
    status: EnforcementStatus
    rule: str
    reason: str
    requested_by_name: str
    requested_at: datetime
    decided_by_name: str | None
    pending: bool


@dataclass(frozen=True)
class OrderView:
    id: str
    retailer_name: str
    placed_at: datetime
    delivered_at: datetime | None
    total_cents: int
    items: tuple[str, ...]
    contains_alcohol: bool


@dataclass(frozen=True)
class NoticeView:
    id: int
    case_id: str
    at: datetime
    kind: str  # rejection code or "conflict" / "info"
    message: str
    mutation_kind: str | None
    draft: str | None  # text the associate had typed, kept when a mutation was rejected
    read: bool


@dataclass(frozen=True)
class CaseDetail:
    id: str
    tier: Tier
    category: str
    status: CaseStatus
    title: str
    summary: str
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    first_outreach_at: datetime | None
    resolved_at: datetime | None
    resolution_code: str | None
    assignee_id: str | None
    assignee_name: str | None
    merged_into: str | None
    escalated_to: str | None
    parties: tuple[PartyView, ...]
    timeline: tuple[TimelineView, ...]  # oldest first
    order: OrderView | None
    enforcements: tuple[EnforcementView, ...]
    notices: tuple[NoticeView, ...]
    pending: int
    version: int


@dataclass(frozen=True)
class HistoryCase:
    id: str
    tier: Tier
    category: str
    status: CaseStatus
    title: str
    created_at: datetime
    party_id: str  # which of this case's parties links it
    party_name: str
    involvement: Involvement


@dataclass(frozen=True)
class LinkedAccount:
    party_id: str  # the linked (other) account
    display_name: str
    role: PartyRole
    account_status: str
    via: LinkKind  # what they share
    linked_to_party_id: str  # which party on this case it links to
    open_cases: int
    enforcement_count: int


@dataclass(frozen=True)
class PartyHistory:
    cases: tuple[HistoryCase, ...]  # every other case of the same parties, newest first
    enforcements: tuple[EnforcementView, ...]  # prior enforcements on the same parties
    linked: tuple[LinkedAccount, ...]


@dataclass(frozen=True)
class MacroView:
    id: str
    title: str
    categories: tuple[str, ...]  # empty = any category
    recipient_roles: tuple[PartyRole, ...]  # empty = any
    channels: tuple[Channel, ...]
    tone: str  # empathetic / neutral / firm
    email_subject: str | None
    email_body: str | None
    sms_body: str | None
    phone_script: str | None
    internal_body: str | None
    is_enforcement_notice: bool
    actions: dict[str, Any] = field(default_factory=dict)  # e.g. {"status": "awaiting_reply", "tags": [...]}
    audience: str = "any"  # "reporter" / "subject" / "any": who on the case it speaks to


@dataclass(frozen=True)
class SyncStatus:
    online: bool
    last_sync_at: datetime | None
    pending: int  # outbox rows not yet acknowledged
    last_error: str | None
    server_url: str | None


@dataclass(frozen=True)
class ApplyResult:
    """Outcome of applying an associate action locally."""

    ok: bool
    mutation_id: UUID
    message: str  # what to show: "Claimed CR-000123" or the rejection sentence
    code: str | None = None  # rejection code when not ok
