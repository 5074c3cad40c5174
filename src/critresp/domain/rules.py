"""The business rules: ``decide(case, mutation, actor, now) -> Applied | Rejected``.

Pure and deterministic given its inputs (no clock, no randomness, no I/O). The
local store applies it optimistically and the reference server authoritatively,
so both follow the same rules. ``case.version`` is never touched here.

Claims: a case is *held* by ``assignee_id`` while ``claim_expires_at`` is in the
future (or unset); an expired lease is free. Actions that change the case
auto-claim a free case for the actor (and renew the actor's own lease) and are
refused with ``already_claimed`` while someone else holds it. Notes and PII
reveals are open to anyone; enforcement decisions are for leads.

Status flow: NEW -> CLAIMED on claim; working on a case (categorize, tier,
enforcement) moves NEW/CLAIMED to INVESTIGATING; a public reply moves it to
AWAITING_REPLY; L4/L5 proposals and reversals hold it in PENDING_APPROVAL until
a lead decides; RESOLVED only via resolve / merge, left only via reopen.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from . import mutations as mu
from .state import (
    ALREADY_CLAIMED,
    APPROVAL_REQUIRED,
    CASE_CLOSED,
    CASE_OPEN,
    FORBIDDEN_ROLE,
    INVALID,
    NOT_ASSIGNEE,
    NOT_FOUND,
    NOT_PENDING,
    SAME_APPROVER,
    Actor,
    Applied,
    CaseState,
    EnforcementState,
    Rejected,
    TimelineEntry,
)
from .taxonomy import (
    CATEGORY_BY_CODE,
    CaseStatus,
    Channel,
    EnforcementLevel,
    EnforcementStatus,
    ResolutionCode,
)
from .text import one_line

DEFAULT_LEASE = timedelta(hours=4)
SUMMARY_WIDTH = 160

# Account status a party gets from an ACTIVE enforcement of a level (most severe wins).
ACCOUNT_STATUS_BY_LEVEL: dict[EnforcementLevel, str] = {
    EnforcementLevel.L2: "restricted",
    EnforcementLevel.L3: "suspended",
    EnforcementLevel.L4: "deactivated",
}
_ACCOUNT_SEVERITY = {"active": 0, "restricted": 1, "suspended": 2, "deactivated": 3}

_PENDING = (EnforcementStatus.PROPOSED, EnforcementStatus.REVERSAL_PENDING)
_IN_EFFECT = (EnforcementStatus.ACTIVE, EnforcementStatus.REVERSAL_PENDING)
# Kinds that change the case: they auto-claim and respect someone else's claim.
_CLAIMING_KINDS = frozenset(
    {
        "categorize",
        "set_tier",
        "set_status",
        "send_reply",
        "propose_enforcement",
        "reverse_enforcement",
        "escalate",
        "merge",
        "resolve",
    }
)
_ALLOWED_WHEN_RESOLVED = frozenset({"reopen", "add_note", "reveal_pii"})


# --------------------------------------------------------------------------- helpers


def holder(case: CaseState, now: datetime) -> str | None:
    """Actor id currently holding the case, or None when unassigned or the lease expired."""
    if case.assignee_id is None:
        return None
    if case.claim_expires_at is not None and case.claim_expires_at <= now:
        return None
    return case.assignee_id


def holder_name(case: CaseState) -> str:
    return case.assignee_name or case.assignee_id or "someone else"


def pending_enforcements(case: CaseState) -> tuple[EnforcementState, ...]:
    return tuple(e for e in case.enforcements if e.status in _PENDING)


def party_account_status(enforcements: tuple[EnforcementState, ...], party_id: str) -> str:
    """Account status implied by the enforcements in effect on one party (ACTIVE, or
    REVERSAL_PENDING: still in force until a lead approves); most severe wins."""
    status = "active"
    for e in enforcements:
        if e.party_id != party_id or e.status not in _IN_EFFECT:
            continue
        s = ACCOUNT_STATUS_BY_LEVEL.get(e.level)
        if s and _ACCOUNT_SEVERITY[s] > _ACCOUNT_SEVERITY[status]:
            status = s
    return status


def _already_claimed(case: CaseState) -> Rejected:
    name = holder_name(case)
    return Rejected(
        ALREADY_CLAIMED,
        f"Claimed by {name}",
        data={"holder_id": case.assignee_id, "holder_name": name},
    )


def _ev(kind: str, summary: str, *, body: str | None = None, internal: bool = True, **data: Any) -> TimelineEntry:
    return TimelineEntry(kind=kind, summary=one_line(summary, SUMMARY_WIDTH), body=body, internal=internal, data=data)


def _audit(actor: Actor, case: CaseState, what: str) -> str:
    return one_line(f"{actor.name} ({actor.id}) {what} on {case.id}", 400)


def _replace_enf(case: CaseState, new: EnforcementState) -> tuple[EnforcementState, ...]:
    out = tuple(new if e.id == new.id else e for e in case.enforcements)
    if all(e.id != new.id for e in case.enforcements):
        out = out + (new,)
    return out


class _Ctx:
    """Per-decision scratch: the case as it evolves plus the events so far."""

    def __init__(self, case: CaseState, actor: Actor, now: datetime, lease: timedelta) -> None:
        self.case = case
        self.actor = actor
        self.now = now
        self.lease = lease
        self.events: list[TimelineEntry] = []

    def claim_for_actor(self, *, auto: bool) -> None:
        c = self.case
        renewing = holder(c, self.now) == self.actor.id
        changes: dict[str, Any] = {
            "assignee_id": self.actor.id,
            "assignee_name": self.actor.name,
            "claim_expires_at": self.now + self.lease,
        }
        if c.acknowledged_at is None:
            changes["acknowledged_at"] = self.now
        if c.status is CaseStatus.NEW:
            changes["status"] = CaseStatus.CLAIMED
        self.case = c.with_(**changes)
        if renewing:
            if not auto:
                self.events.append(_ev("claimed", f"Claim renewed by {self.actor.name}", renewed=True))
        else:
            how = " (auto)" if auto else ""
            self.events.append(_ev("claimed", f"Claimed by {self.actor.name}{how}", auto=auto))

    def working(self) -> None:
        """Someone worked on the case: NEW/CLAIMED -> INVESTIGATING."""
        if self.case.status in (CaseStatus.NEW, CaseStatus.CLAIMED):
            self.case = self.case.with_(status=CaseStatus.INVESTIGATING)

    def applied(self, audit: str, **kw: Any) -> Applied:
        return Applied(case=self.case, events=tuple(self.events), audit=_audit(self.actor, self.case, audit), **kw)


# --------------------------------------------------------------------------- decide


def decide(
    case: CaseState,
    m: mu.Mutation,
    actor: Actor,
    now: datetime,
    *,
    lease: timedelta = DEFAULT_LEASE,
) -> Applied | Rejected:
    """Decide one mutation on one case. Never raises for business reasons."""
    if m.case_id != case.id:
        return Rejected(INVALID, f"Action is for case {m.case_id}, not {case.id}")
    if case.status is CaseStatus.RESOLVED and m.kind not in _ALLOWED_WHEN_RESOLVED:
        return Rejected(CASE_CLOSED, "Case is resolved; reopen it first")

    ctx = _Ctx(case, actor, now, lease)
    if m.kind in _CLAIMING_KINDS:
        h = holder(case, now)
        if h is not None and h != actor.id:
            return _already_claimed(case)
        # validate before claiming so a refused action claims nothing
        err = _VALIDATORS.get(m.kind, _no_check)(case, m, actor)
        if err is not None:
            return err
        ctx.claim_for_actor(auto=True)
    handler = _HANDLERS[m.kind]
    return handler(ctx, m)


def _no_check(case: CaseState, m: Any, actor: Actor) -> Rejected | None:
    return None


# --- validators (run before the auto-claim) -------------------------------------


def _v_categorize(case: CaseState, m: mu.Categorize, actor: Actor) -> Rejected | None:
    if m.category not in CATEGORY_BY_CODE:
        return Rejected(INVALID, f"Unknown category {one_line(m.category, 64)!r}")
    return None


def _v_set_status(case: CaseState, m: mu.SetStatus, actor: Actor) -> Rejected | None:
    if case.status is CaseStatus.PENDING_APPROVAL or pending_enforcements(case):
        return Rejected(APPROVAL_REQUIRED, "An enforcement is waiting for a lead's approval")
    return None


def _v_send_reply(case: CaseState, m: mu.SendReply, actor: Actor) -> Rejected | None:
    if m.channel is Channel.INTERNAL:
        return Rejected(INVALID, "Internal notes are added with Add note, not sent as a reply")
    if m.recipient_party_id not in case.party_ids:
        return Rejected(INVALID, f"Recipient {one_line(m.recipient_party_id, 64)} is not a party of this case")
    if m.channel is Channel.EMAIL and not (m.subject or "").strip():
        return Rejected(INVALID, "An email needs a subject")
    if not m.body.strip():
        return Rejected(INVALID, "The reply is empty")
    return None


def _v_propose(case: CaseState, m: mu.ProposeEnforcement, actor: Actor) -> Rejected | None:
    if m.party_id not in case.party_ids:
        return Rejected(INVALID, f"Party {one_line(m.party_id, 64)} is not on this case")
    if case.enforcement(m.enforcement_id) is not None:
        return Rejected(INVALID, "This enforcement was already recorded")
    return None


def _v_reverse(case: CaseState, m: mu.ReverseEnforcement, actor: Actor) -> Rejected | None:
    e = case.enforcement(m.enforcement_id)
    if e is None:
        return Rejected(NOT_FOUND, "No such enforcement on this case")
    if e.status in _PENDING:
        return Rejected(APPROVAL_REQUIRED, "This enforcement is waiting for a lead's decision")
    if e.status is not EnforcementStatus.ACTIVE:
        return Rejected(INVALID, f"Only an active enforcement can be reversed (this one is {e.status.value})")
    return None


def _v_merge(case: CaseState, m: mu.Merge, actor: Actor) -> Rejected | None:
    if m.into_case_id == case.id:
        return Rejected(INVALID, "A case cannot be merged into itself")
    if pending_enforcements(case):
        return Rejected(APPROVAL_REQUIRED, "An enforcement is waiting for a lead's approval; merge after it is decided")
    return None


def _v_resolve(case: CaseState, m: mu.Resolve, actor: Actor) -> Rejected | None:
    if m.code is ResolutionCode.DUPLICATE:
        return Rejected(INVALID, "Use Merge to resolve a duplicate")
    if pending_enforcements(case):
        return Rejected(APPROVAL_REQUIRED, "An enforcement is waiting for a lead's approval; resolve after it is decided")
    return None


_VALIDATORS: dict[str, Callable[[CaseState, Any, Actor], Rejected | None]] = {
    "categorize": _v_categorize,
    "set_status": _v_set_status,
    "send_reply": _v_send_reply,
    "propose_enforcement": _v_propose,
    "reverse_enforcement": _v_reverse,
    "merge": _v_merge,
    "resolve": _v_resolve,
}


# --- handlers -------------------------------------------------------------------


def _claim(ctx: _Ctx, m: mu.Claim) -> Applied | Rejected:
    h = holder(ctx.case, ctx.now)
    if h is not None and h != ctx.actor.id:
        return _already_claimed(ctx.case)
    renew = h == ctx.actor.id
    ctx.claim_for_actor(auto=False)
    return ctx.applied("renewed claim" if renew else "claimed")


def _release(ctx: _Ctx, m: mu.Release) -> Applied | Rejected:
    c = ctx.case
    if c.assignee_id is None:
        return Rejected(NOT_ASSIGNEE, "Case is not claimed")
    if c.assignee_id != ctx.actor.id and not ctx.actor.is_lead:
        return Rejected(
            NOT_ASSIGNEE,
            f"Claimed by {holder_name(c)}; only they or a lead can release it",
            data={"holder_id": c.assignee_id, "holder_name": holder_name(c)},
        )
    previous = holder_name(c)
    status = CaseStatus.NEW if c.status is CaseStatus.CLAIMED else c.status
    ctx.case = c.with_(assignee_id=None, assignee_name=None, claim_expires_at=None, status=status)
    if c.assignee_id == ctx.actor.id:
        ctx.events.append(_ev("released", f"Released by {ctx.actor.name}"))
    else:
        ctx.events.append(
            _ev("released", f"{ctx.actor.name} released the claim of {previous}", previous_holder=c.assignee_id)
        )
    return ctx.applied("released claim")


def _categorize(ctx: _Ctx, m: mu.Categorize) -> Applied:
    old = ctx.case.category
    cat = CATEGORY_BY_CODE[m.category]
    ctx.case = ctx.case.with_(category=m.category)
    ctx.working()
    ctx.events.append(
        _ev(
            "category",
            f"Category: {cat.title}",
            **{"from": old, "to": m.category, "default_tier": int(cat.default_tier)},
        )
    )
    return ctx.applied(f"categorized {old} -> {m.category}")


def _set_tier(ctx: _Ctx, m: mu.SetTier) -> Applied:
    old = ctx.case.tier
    ctx.case = ctx.case.with_(tier=m.tier)
    ctx.working()
    why = f": {m.reason}" if m.reason.strip() else ""
    ctx.events.append(
        _ev(
            "tier",
            f"Tier {old.label} -> {m.tier.label}{why}",
            body=m.reason or None,
            **{"from": int(old), "to": int(m.tier), "reason": m.reason},
        )
    )
    return ctx.applied(f"set tier {old.label} -> {m.tier.label}")


def _set_status(ctx: _Ctx, m: mu.SetStatus) -> Applied:
    old = ctx.case.status
    new = CaseStatus(m.status)
    ctx.case = ctx.case.with_(status=new)
    ctx.events.append(_ev("status", f"Status: {new.value.replace('_', ' ')}", **{"from": old.value, "to": new.value}))
    return ctx.applied(f"set status {old.value} -> {new.value}")


def _add_note(ctx: _Ctx, m: mu.AddNote) -> Applied:
    ctx.events.append(_ev("note", f"Note: {m.body}", body=m.body, internal=True, note_id=str(m.note_id)))
    return ctx.applied("added a note")


def _send_reply(ctx: _Ctx, m: mu.SendReply) -> Applied:
    c = ctx.case
    changes: dict[str, Any] = {}
    if c.first_outreach_at is None:
        changes["first_outreach_at"] = ctx.now
    if c.status is not CaseStatus.PENDING_APPROVAL:
        changes["status"] = CaseStatus.AWAITING_REPLY
    ctx.case = c.with_(**changes)
    label = {Channel.EMAIL: "Email", Channel.SMS: "SMS", Channel.PHONE: "Phone call"}[m.channel]
    about = f": {m.subject}" if m.subject else ""
    ctx.events.append(
        _ev(
            "reply",
            f"{label} to {m.recipient_party_id}{about}",
            body=m.body,
            internal=False,
            reply_id=str(m.reply_id),
            channel=m.channel.value,
            recipient_party_id=m.recipient_party_id,
            macro_id=m.macro_id,
            subject=m.subject,
        )
    )
    return ctx.applied(f"sent {m.channel.value} reply {m.reply_id} to {m.recipient_party_id}")


def _propose(ctx: _Ctx, m: mu.ProposeEnforcement) -> Applied:
    needs_lead = m.level.needs_second_approver
    e = EnforcementState(
        id=m.enforcement_id,
        case_id=ctx.case.id,
        party_id=m.party_id,
        level=m.level,
        status=EnforcementStatus.PROPOSED if needs_lead else EnforcementStatus.ACTIVE,
        rule=m.rule,
        reason=m.reason,
        requested_by=ctx.actor.id,
        requested_at=ctx.now,
        restriction=m.restriction,
        duration_days=m.duration_days,
        include_linked=m.include_linked,
    )
    enforcements = _replace_enf(ctx.case, e)
    ctx.case = ctx.case.with_(enforcements=enforcements)
    what = f"{m.level.label} {m.level.title} of {m.party_id} ({m.rule})"
    data = {"enforcement_id": str(e.id), "party_id": m.party_id, "level": int(m.level), "rule": m.rule}
    if needs_lead:
        ctx.case = ctx.case.with_(status=CaseStatus.PENDING_APPROVAL)
        ctx.events.append(_ev("enforcement_proposed", f"Proposed {what}; awaiting a lead", body=m.reason, **data))
        return ctx.applied(f"proposed {what}", enforcements=(e,), notice="Sent to a lead for approval")
    ctx.working()
    updates: tuple[tuple[str, str], ...] = ()
    if m.level in ACCOUNT_STATUS_BY_LEVEL:
        updates = ((m.party_id, party_account_status(enforcements, m.party_id)),)
    ctx.events.append(_ev("enforcement_applied", f"Applied {what}", body=m.reason, **data))
    return ctx.applied(f"applied {what}", enforcements=(e,), party_updates=updates)


def _after_decision_status(ctx: _Ctx) -> None:
    if ctx.case.status is CaseStatus.PENDING_APPROVAL and not pending_enforcements(ctx.case):
        ctx.case = ctx.case.with_(status=CaseStatus.INVESTIGATING)


def _decide_enf(ctx: _Ctx, m: mu.DecideEnforcement) -> Applied | Rejected:
    actor = ctx.actor
    if not actor.is_lead:
        return Rejected(FORBIDDEN_ROLE, "Only a lead can approve or decline an enforcement")
    case_before = ctx.case
    e = case_before.enforcement(m.enforcement_id)
    if e is None:
        return Rejected(NOT_FOUND, "No such enforcement on this case")
    if e.status not in _PENDING:
        return Rejected(NOT_PENDING, f"This enforcement is not waiting for a decision (it is {e.status.value})")
    requester = e.reversal_requested_by if e.status is EnforcementStatus.REVERSAL_PENDING else e.requested_by
    if requester == actor.id:
        return Rejected(SAME_APPROVER, "A second lead must decide: you cannot approve your own request")

    reversal = e.status is EnforcementStatus.REVERSAL_PENDING
    if reversal:
        new_status = EnforcementStatus.REVERSED if m.approve else EnforcementStatus.ACTIVE
    else:
        new_status = EnforcementStatus.ACTIVE if m.approve else EnforcementStatus.REJECTED
    ne = EnforcementState(
        **{
            **e.__dict__,
            "status": new_status,
            "decided_by": actor.id,
            "decided_at": ctx.now,
            "reversal_requested_by": e.reversal_requested_by if reversal else None,
        }
    )
    enforcements = _replace_enf(ctx.case, ne)
    ctx.case = ctx.case.with_(enforcements=enforcements)
    _after_decision_status(ctx)

    updates: tuple[tuple[str, str], ...] = ()
    before = party_account_status(case_before.enforcements, e.party_id)
    after = party_account_status(enforcements, e.party_id)
    if after != before:
        updates = ((e.party_id, after),)

    what = f"{e.level.label} {e.level.title} of {e.party_id}"
    verb = ("approved" if m.approve else "declined") + (" reversal of" if reversal else "")
    kind = "enforcement_" + ("reversal_" if reversal else "") + ("approved" if m.approve else "declined")
    comment = f": {m.comment}" if m.comment.strip() else ""
    ctx.events.append(
        _ev(
            kind,
            f"{actor.name} {verb} {what}{comment}",
            body=m.comment or None,
            enforcement_id=str(e.id),
            party_id=e.party_id,
            level=int(e.level),
            approve=m.approve,
            status=new_status.value,
        )
    )
    return ctx.applied(f"{verb} {what} ({e.id})", enforcements=(ne,), party_updates=updates)


def _reverse(ctx: _Ctx, m: mu.ReverseEnforcement) -> Applied:
    e = ctx.case.enforcement(m.enforcement_id)
    assert e is not None  # validated
    what = f"{e.level.label} {e.level.title} of {e.party_id}"
    data = {"enforcement_id": str(e.id), "party_id": e.party_id, "level": int(e.level)}
    if e.level.needs_second_approver:
        ne = EnforcementState(
            **{**e.__dict__, "status": EnforcementStatus.REVERSAL_PENDING, "reversal_requested_by": ctx.actor.id}
        )
        ctx.case = ctx.case.with_(enforcements=_replace_enf(ctx.case, ne), status=CaseStatus.PENDING_APPROVAL)
        ctx.events.append(_ev("enforcement_reversal_proposed", f"Asked to reverse {what}: {m.reason}", body=m.reason, **data))
        return ctx.applied(f"requested reversal of {what}", enforcements=(ne,), notice="Sent to a lead for approval")
    ne = EnforcementState(
        **{**e.__dict__, "status": EnforcementStatus.REVERSED, "decided_by": ctx.actor.id, "decided_at": ctx.now}
    )
    enforcements = _replace_enf(ctx.case, ne)
    ctx.case = ctx.case.with_(enforcements=enforcements)
    ctx.working()
    updates: tuple[tuple[str, str], ...] = ()
    if e.level in ACCOUNT_STATUS_BY_LEVEL:
        updates = ((e.party_id, party_account_status(enforcements, e.party_id)),)
    ctx.events.append(_ev("enforcement_reversed", f"Reversed {what}: {m.reason}", body=m.reason, **data))
    return ctx.applied(f"reversed {what}", enforcements=(ne,), party_updates=updates)


def _escalate(ctx: _Ctx, m: mu.Escalate) -> Applied:
    # a case waiting for a lead's four-eyes decision stays in PENDING_APPROVAL (the
    # leads' view); the escalation is recorded in escalated_to and the timeline
    status = CaseStatus.PENDING_APPROVAL if pending_enforcements(ctx.case) else CaseStatus.ESCALATED
    ctx.case = ctx.case.with_(status=status, escalated_to=m.to)
    to = m.to.replace("_", " ")
    ctx.events.append(_ev("escalated", f"Escalated to {to}: {m.reason}", body=m.reason, to=m.to))
    return ctx.applied(f"escalated to {m.to}")


def _closing_changes(ctx: _Ctx) -> dict[str, Any]:
    return {
        "status": CaseStatus.RESOLVED,
        "resolved_at": ctx.now,
        "assignee_id": None,
        "assignee_name": None,
        "claim_expires_at": None,
    }


def _merge(ctx: _Ctx, m: mu.Merge) -> Applied:
    ctx.case = ctx.case.with_(
        **_closing_changes(ctx), resolution_code=ResolutionCode.DUPLICATE, merged_into=m.into_case_id
    )
    ctx.events.append(_ev("merged", f"Merged into {m.into_case_id} as a duplicate", into_case_id=m.into_case_id))
    return ctx.applied(f"merged into {m.into_case_id}")


def _resolve(ctx: _Ctx, m: mu.Resolve) -> Applied:
    ctx.case = ctx.case.with_(**_closing_changes(ctx), resolution_code=m.code)
    about = f": {m.summary}" if m.summary.strip() else ""
    ctx.events.append(
        _ev("resolved", f"Resolved ({m.code.value.replace('_', ' ')}){about}", body=m.summary or None, code=m.code.value)
    )
    return ctx.applied(f"resolved as {m.code.value}")


def _reopen(ctx: _Ctx, m: mu.Reopen) -> Applied | Rejected:
    if ctx.case.status is not CaseStatus.RESOLVED:
        return Rejected(CASE_OPEN, "Case is already open")
    ctx.case = ctx.case.with_(
        status=CaseStatus.INVESTIGATING, resolved_at=None, resolution_code=None, merged_into=None
    )
    ctx.events.append(_ev("reopened", f"Reopened: {m.reason}", body=m.reason))
    # whoever reopens it works it: claim for them (a resolved case holds no claim)
    ctx.claim_for_actor(auto=True)
    return ctx.applied("reopened")


def _reveal(ctx: _Ctx, m: mu.RevealPii) -> Applied | Rejected:
    if m.party_id not in ctx.case.party_ids:
        return Rejected(INVALID, f"Party {one_line(m.party_id, 64)} is not on this case")
    field = m.field.value.replace("_", " ")
    ctx.events.append(
        _ev("pii_revealed", f"{ctx.actor.name} revealed the {field} of {m.party_id}", party_id=m.party_id, field=m.field.value)
    )
    return ctx.applied(f"revealed {m.field.value} of {m.party_id}")


_HANDLERS: dict[str, Callable[[_Ctx, Any], Applied | Rejected]] = {
    "claim": _claim,
    "release": _release,
    "categorize": _categorize,
    "set_tier": _set_tier,
    "set_status": _set_status,
    "add_note": _add_note,
    "send_reply": _send_reply,
    "propose_enforcement": _propose,
    "decide_enforcement": _decide_enf,
    "reverse_enforcement": _reverse,
    "escalate": _escalate,
    "merge": _merge,
    "resolve": _resolve,
    "reopen": _reopen,
    "reveal_pii": _reveal,
}

assert set(_HANDLERS) == set(mu.MUTATION_KINDS), "every mutation kind needs a handler"
