"""Pure conversions between records, rule states, table values and views."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Mapping
from uuid import UUID

from ..domain import pii as _pii
from ..domain import sla
from ..domain.records import CaseRecord, EnforcementRecord, PartyRecord
from ..domain.state import Actor, CaseState, EnforcementState
from ..domain.taxonomy import (
    CaseStatus,
    EnforcementLevel,
    EnforcementStatus,
    LinkKind,
    ResolutionCode,
    Tier,
)
from .models import FAR_FUTURE, from_ms, to_ms
from .quick import actor_from_json, due_or_none  # noqa: F401 - one definition, used as cv.*


def due_of(
    tier: int, created_at: datetime, acknowledged_at: datetime | None, first_outreach_at: datetime | None,
    resolved_at: datetime | None, status: str,
) -> tuple[datetime, str | None]:
    """Next SLA deadline (sort key) and its kind; closed cases get FAR_FUTURE."""
    if status == CaseStatus.RESOLVED.value:
        return FAR_FUTURE, None
    due, kind = sla.next_due(Tier(tier), created_at, acknowledged_at, first_outreach_at, resolved_at)
    if due is None:
        return FAR_FUTURE, None
    return due, kind


CASE_ROW_COLS = (
    "id", "tier", "category", "status", "is_open", "title", "summary", "created_at", "updated_at",
    "acknowledged_at", "first_outreach_at", "resolved_at", "resolution_code", "assignee_id", "assignee_name",
    "claim_expires_at", "merged_into", "escalated_to", "order_id", "version", "due_at", "due_kind", "base",
)


def case_record_row(rec: CaseRecord) -> tuple[Any, ...]:
    """The ``cases`` columns of a record in storage form (times as epoch ms, flags
    as 0/1, ``base`` the record's JSON), in ``CASE_ROW_COLS`` order."""
    status = rec.status.value
    due, kind = due_of(
        int(rec.tier), rec.created_at, rec.acknowledged_at, rec.first_outreach_at, rec.resolved_at, status
    )
    ms = to_ms

    def opt(v: datetime | None) -> int | None:
        return None if v is None else ms(v)

    return (
        rec.id, int(rec.tier), rec.category, status, 0 if rec.status is CaseStatus.RESOLVED else 1, rec.title,
        rec.summary, ms(rec.created_at), ms(rec.updated_at), opt(rec.acknowledged_at), opt(rec.first_outreach_at),
        opt(rec.resolved_at), rec.resolution_code.value if rec.resolution_code else None, rec.assignee_id,
        rec.assignee_name, opt(rec.claim_expires_at), rec.merged_into, rec.escalated_to, rec.order_id, rec.version,
        ms(due), kind, rec.model_dump_json(),
    )


def case_record_values(rec: CaseRecord) -> dict[str, Any]:
    """Column -> value of a case record (storage form), for a single-row update."""
    return dict(zip(CASE_ROW_COLS, case_record_row(rec)))


def state_values(s: CaseState) -> dict[str, Any]:
    """Case columns that a rule decision can change."""
    due, kind = due_of(int(s.tier), s.created_at, s.acknowledged_at, s.first_outreach_at, s.resolved_at, s.status.value)
    return {
        "tier": int(s.tier),
        "category": s.category,
        "status": s.status.value,
        "is_open": s.status is not CaseStatus.RESOLVED,
        "assignee_id": s.assignee_id,
        "assignee_name": s.assignee_name,
        "claim_expires_at": s.claim_expires_at,
        "acknowledged_at": s.acknowledged_at,
        "first_outreach_at": s.first_outreach_at,
        "resolved_at": s.resolved_at,
        "resolution_code": s.resolution_code.value if s.resolution_code else None,
        "merged_into": s.merged_into,
        "escalated_to": s.escalated_to,
        "due_at": due,
        "due_kind": kind,
    }


def case_state(row: Mapping[str, Any], party_ids: tuple[str, ...], enfs: tuple[EnforcementState, ...]) -> CaseState:
    return CaseState(
        id=row["id"],
        tier=Tier(row["tier"]),
        category=row["category"],
        status=CaseStatus(row["status"]),
        created_at=row["created_at"],
        assignee_id=row["assignee_id"],
        assignee_name=row["assignee_name"],
        claim_expires_at=row["claim_expires_at"],
        acknowledged_at=row["acknowledged_at"],
        first_outreach_at=row["first_outreach_at"],
        resolved_at=row["resolved_at"],
        resolution_code=ResolutionCode(row["resolution_code"]) if row["resolution_code"] else None,
        merged_into=row["merged_into"],
        escalated_to=row["escalated_to"],
        party_ids=party_ids,
        enforcements=enfs,
        version=row["version"],
    )


def enforcement_state(row: Mapping[str, Any]) -> EnforcementState:
    return EnforcementState(
        id=UUID(row["id"]),
        case_id=row["case_id"],
        party_id=row["party_id"],
        level=EnforcementLevel(row["level"]),
        status=EnforcementStatus(row["status"]),
        rule=row["rule"],
        reason=row["reason"],
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        restriction=row["restriction"],
        duration_days=row["duration_days"],
        include_linked=bool(row["include_linked"]),
        reversal_requested_by=row["reversal_requested_by"],
    )


def enforcement_state_values(e: EnforcementState) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "case_id": e.case_id,
        "party_id": e.party_id,
        "level": int(e.level),
        "status": e.status.value,
        "rule": e.rule,
        "reason": e.reason,
        "requested_by": e.requested_by,
        "requested_at": e.requested_at,
        "decided_by": e.decided_by,
        "decided_at": e.decided_at,
        "restriction": e.restriction,
        "duration_days": e.duration_days,
        "include_linked": e.include_linked,
        "reversal_requested_by": getattr(e, "reversal_requested_by", None),
    }


def enforcement_record_values(r: EnforcementRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "case_id": r.case_id,
        "party_id": r.party_id,
        "level": int(r.level),
        "status": r.status.value,
        "rule": r.rule,
        "reason": r.reason,
        "requested_by": r.requested_by,
        "requested_by_name": r.requested_by_name,
        "requested_at": r.requested_at,
        "decided_by": r.decided_by,
        "decided_by_name": r.decided_by_name,
        "decided_at": r.decided_at,
        "restriction": r.restriction,
        "duration_days": r.duration_days,
        "include_linked": r.include_linked,
        "reversal_requested_by": getattr(r, "reversal_requested_by", None),
        "version": r.version,
        "base": r.model_dump_json(),
        "pending": False,
        "local": False,
        "mutation_id": None,
    }


def actor_json(a: Actor) -> str:
    return json.dumps({"id": a.id, "name": a.name, "role": a.role.value})



# ----------------------------------------------------------------------- identifiers


_DIGITS = re.compile(r"\D+")
_WORD = re.compile(r"\w+", re.UNICODE)
# the kinds as plain strings (an enum member's ``.value`` is a descriptor call; a
# first sync normalises the identifiers of ~180,000 parties at 100k cases)
_PHONE, _ADDRESS, _DEVICE, _PAYMENT = (k.value for k in (LinkKind.PHONE, LinkKind.ADDRESS, LinkKind.DEVICE, LinkKind.PAYMENT))


def norm_phone(v: str) -> str:
    d = _DIGITS.sub("", v or "")
    if len(d) == 11 and d[0] == "1":
        d = d[1:]
    return d


def norm_address(v: str) -> str:
    """Casefolded words separated by single spaces (punctuation and runs of spaces
    do not make two addresses differ)."""
    return " ".join(_WORD.findall((v or "").casefold()))


def norm_token(v: str) -> str:
    return (v or "").strip().casefold()


def party_identifier_pairs(p: PartyRecord) -> list[tuple[str, str]]:
    """The party's normalised (kind, value) identifiers, sorted, without repeats."""
    out: set[tuple[str, str]] = set()
    if len(ph := norm_phone(p.phone)) >= 7:
        out.add((_PHONE, ph))
    if ad := norm_address(p.address):
        out.add((_ADDRESS, ad))
    for d in p.devices:
        if t := norm_token(d):
            out.add((_DEVICE, t))
    for f in p.payment_fingerprints:
        if t := norm_token(f):
            out.add((_PAYMENT, t))
    return sorted(out)


# ----------------------------------------------------------------------- masking


# One masking policy, defined in the domain (critresp.domain.pii).
display_name = _pii.display_name
mask_email = _pii.mask_email
mask_phone = _pii.mask_phone
mask_address = _pii.mask_address


def ms_or_none(v: int | None) -> datetime | None:
    return None if v is None else from_ms(v)
