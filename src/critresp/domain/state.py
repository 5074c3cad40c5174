"""Plain state snapshots the rules decide on, and the outcome of a decision.

``rules.decide(case, mutation, actor, now)`` is pure: it reads a ``CaseState``
and returns either ``Applied`` (the new case state plus what to record) or
``Rejected`` (a machine code plus a sentence for the associate). The local
store and the reference server both apply mutations through it, so the client's
optimistic view and the server's verdict follow the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from .taxonomy import (
    AssociateRole,
    CaseStatus,
    EnforcementLevel,
    EnforcementStatus,
    ResolutionCode,
    Tier,
)


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    role: AssociateRole = AssociateRole.ASSOCIATE

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name

    @property
    def is_lead(self) -> bool:
        return self.role is AssociateRole.LEAD


@dataclass(frozen=True)
class EnforcementState:
    id: UUID
    case_id: str
    party_id: str
    level: EnforcementLevel
    status: EnforcementStatus
    rule: str
    reason: str
    requested_by: str  # actor id
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    restriction: str | None = None
    duration_days: int | None = None
    include_linked: bool = False
    # who asked to reverse an L4/L5 (four-eyes applies to the reversal too)
    reversal_requested_by: str | None = None


@dataclass(frozen=True)
class CaseState:
    id: str
    tier: Tier
    category: str
    status: CaseStatus
    created_at: datetime
    assignee_id: str | None = None
    assignee_name: str | None = None
    claim_expires_at: datetime | None = None
    acknowledged_at: datetime | None = None
    first_outreach_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution_code: ResolutionCode | None = None
    merged_into: str | None = None
    escalated_to: str | None = None
    # party ids on the case (for validating recipient / enforcement targets)
    party_ids: tuple[str, ...] = ()
    # enforcement actions recorded on this case
    enforcements: tuple[EnforcementState, ...] = ()
    version: int = 0

    def with_(self, **changes: Any) -> "CaseState":
        return replace(self, **changes)

    def enforcement(self, enforcement_id: UUID) -> EnforcementState | None:
        for e in self.enforcements:
            if e.id == enforcement_id:
                return e
        return None


@dataclass(frozen=True)
class TimelineEntry:
    """An append-only timeline event produced by a decision."""

    kind: str  # e.g. "claimed", "note", "reply", "enforcement_proposed", "status"
    summary: str  # one line for the timeline (plain text, untrusted parts included)
    body: str | None = None  # full text for notes / replies
    internal: bool = True  # internal events never go to customers
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Applied:
    case: CaseState  # the case after the mutation
    events: tuple[TimelineEntry, ...]
    audit: str  # one line for the audit log
    # enforcement rows that were created or changed (full new state)
    enforcements: tuple[EnforcementState, ...] = ()
    notice: str | None = None  # something to tell the actor (e.g. "sent for approval")
    # party account status changes the server applies: (party_id, new_status)
    party_updates: tuple[tuple[str, str], ...] = ()

    ok = True


@dataclass(frozen=True)
class Rejected:
    code: str  # machine code: already_claimed, case_closed, approval_required, ...
    message: str  # one sentence for the associate, e.g. "Claimed by Dana R."
    data: dict[str, Any] = field(default_factory=dict)

    ok = False


Decision = Applied | Rejected

# Rejection codes shared by client and server.
ALREADY_CLAIMED = "already_claimed"
NOT_ASSIGNEE = "not_assignee"
CASE_CLOSED = "case_closed"
CASE_OPEN = "case_open"
APPROVAL_REQUIRED = "approval_required"
FORBIDDEN_ROLE = "forbidden_role"
SAME_APPROVER = "same_approver"
NOT_FOUND = "not_found"
INVALID = "invalid"
NOT_PENDING = "not_pending"
