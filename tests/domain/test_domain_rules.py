"""rules.decide: claims, closed cases, validation and the four-eyes enforcement paths."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from critresp.domain import mutations as mu
from critresp.domain import rules, state
from critresp.domain.rules import decide
from critresp.domain.state import Actor, Applied, CaseState, EnforcementState, Rejected
from critresp.domain.taxonomy import (
    AssociateRole,
    CaseStatus,
    Channel,
    EnforcementLevel,
    EnforcementStatus,
    PiiField,
    ResolutionCode,
    Tier,
)

T0 = datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(minutes=3)
CASE = "CR-000001"

ANA = Actor("a-ana", "Ana Lopez")
BEN = Actor("a-ben", "Ben Okafor")
LEE = Actor("l-lee", "Lee Park", AssociateRole.LEAD)
KIM = Actor("l-kim", "Kim Sato", AssociateRole.LEAD)


def case(**kw) -> CaseState:
    base = dict(
        id=CASE,
        tier=Tier.T1,
        category="uncategorized",
        status=CaseStatus.NEW,
        created_at=T0,
        party_ids=("P-cust", "P-shop"),
    )
    base.update(kw)
    return CaseState(**base)


def held_by(actor: Actor, **kw) -> CaseState:
    kw.setdefault("status", CaseStatus.INVESTIGATING)
    return case(
        assignee_id=actor.id,
        assignee_name=actor.name,
        claim_expires_at=NOW + timedelta(hours=1),
        acknowledged_at=T0 + timedelta(minutes=1),
        **kw,
    )


def applied(result) -> Applied:
    assert isinstance(result, Applied), result
    assert result.ok is True
    assert result.events, "every Applied carries timeline events"
    assert result.audit and "\n" not in result.audit
    return result


def rejected(result, code: str) -> Rejected:
    assert isinstance(result, Rejected), result
    assert result.ok is False
    assert result.code == code, (result.code, result.message)
    assert result.message
    return result


def enf(level: EnforcementLevel, status: EnforcementStatus, *, by: Actor = ANA, party="P-shop", **kw) -> EnforcementState:
    return EnforcementState(
        id=kw.pop("id", uuid4()),
        case_id=CASE,
        party_id=party,
        level=level,
        status=status,
        rule="R-1",
        reason="because",
        requested_by=by.id,
        requested_at=T0,
        **kw,
    )


def m(cls, **kw):
    return cls(case_id=kw.pop("case_id", CASE), **kw)


# --------------------------------------------------------------------------- claims


def test_claim_new_case_sets_assignee_lease_ack_and_status():
    r = applied(decide(case(), m(mu.Claim), ANA, NOW))
    c = r.case
    assert (c.assignee_id, c.assignee_name) == (ANA.id, ANA.name)
    assert c.claim_expires_at == NOW + timedelta(hours=4)
    assert c.status is CaseStatus.CLAIMED
    assert c.acknowledged_at == NOW
    assert c.version == 0
    assert r.events[0].kind == "claimed" and "Ana Lopez" in r.events[0].summary


def test_claim_lease_is_a_parameter_and_ack_is_not_overwritten():
    first = T0 + timedelta(minutes=1)
    r = applied(decide(case(acknowledged_at=first), m(mu.Claim), ANA, NOW, lease=timedelta(minutes=30)))
    assert r.case.claim_expires_at == NOW + timedelta(minutes=30)
    assert r.case.acknowledged_at == first


def test_claim_held_by_other_is_rejected_with_holder():
    r = rejected(decide(held_by(BEN), m(mu.Claim), ANA, NOW), state.ALREADY_CLAIMED)
    assert r.message == "Claimed by Ben Okafor"
    assert r.data == {"holder_id": BEN.id, "holder_name": BEN.name}


def test_claim_by_holder_renews():
    c = held_by(ANA)
    later = NOW + timedelta(minutes=50)
    r = applied(decide(c, m(mu.Claim), ANA, later))
    assert r.case.claim_expires_at == later + timedelta(hours=4)
    assert r.case.status is CaseStatus.INVESTIGATING  # working status kept


def test_expired_lease_is_free():
    c = held_by(BEN).with_(claim_expires_at=NOW - timedelta(seconds=1))
    r = applied(decide(c, m(mu.Claim), ANA, NOW))
    assert r.case.assignee_id == ANA.id
    # exactly at expiry is expired too
    c2 = held_by(BEN).with_(claim_expires_at=NOW)
    assert applied(decide(c2, m(mu.Claim), ANA, NOW)).case.assignee_id == ANA.id


def test_release_by_holder_unworked_goes_back_to_new():
    c = applied(decide(case(), m(mu.Claim), ANA, NOW)).case
    r = applied(decide(c, m(mu.Release), ANA, NOW))
    assert r.case.assignee_id is None and r.case.claim_expires_at is None
    assert r.case.status is CaseStatus.NEW
    assert r.case.acknowledged_at == NOW  # acknowledgement stays met


def test_release_after_work_keeps_status():
    r = applied(decide(held_by(ANA, status=CaseStatus.AWAITING_REPLY), m(mu.Release), ANA, NOW))
    assert r.case.status is CaseStatus.AWAITING_REPLY
    assert r.case.assignee_id is None


def test_release_by_other_associate_is_refused_but_lead_may():
    c = held_by(BEN)
    r = rejected(decide(c, m(mu.Release), ANA, NOW), state.NOT_ASSIGNEE)
    assert "Ben Okafor" in r.message
    ok = applied(decide(c, m(mu.Release), LEE, NOW))
    assert ok.case.assignee_id is None


def test_release_unclaimed_is_not_assignee():
    rejected(decide(case(), m(mu.Release), ANA, NOW), state.NOT_ASSIGNEE)


@pytest.mark.parametrize(
    "mutation",
    [
        m(mu.Categorize, category="assault"),
        m(mu.SetTier, tier=Tier.T0, reason="weapon"),
        m(mu.SetStatus, status="investigating"),
        m(mu.SendReply, channel=Channel.SMS, recipient_party_id="P-cust", body="Hello"),
        m(mu.ProposeEnforcement, party_id="P-shop", level=EnforcementLevel.L1, rule="R", reason="x"),
        m(mu.Escalate, reason="danger"),
        m(mu.Merge, into_case_id="CR-2"),
        m(mu.Resolve, code=ResolutionCode.NO_VIOLATION),
    ],
    ids=lambda x: x.kind,
)
def test_changing_actions_refused_while_someone_else_holds_and_auto_claim_when_free(mutation):
    r = rejected(decide(held_by(BEN), mutation, ANA, NOW), state.ALREADY_CLAIMED)
    assert r.data["holder_name"] == "Ben Okafor"
    # a lead gets the same answer: claims are respected by everyone
    rejected(decide(held_by(BEN), mutation, LEE, NOW), state.ALREADY_CLAIMED)
    ok = applied(decide(case(), mutation, ANA, NOW))
    assert ok.case.acknowledged_at == NOW
    assert ok.events[0].kind == "claimed"
    if ok.case.status is not CaseStatus.RESOLVED:
        assert ok.case.assignee_id == ANA.id
        assert ok.case.claim_expires_at == NOW + timedelta(hours=4)


def test_reverse_enforcement_also_respects_claim():
    e = enf(EnforcementLevel.L1, EnforcementStatus.ACTIVE)
    rejected(
        decide(held_by(BEN, enforcements=(e,)), m(mu.ReverseEnforcement, enforcement_id=e.id, reason="x"), ANA, NOW),
        state.ALREADY_CLAIMED,
    )


def test_holder_action_renews_lease_without_claim_event():
    r = applied(decide(held_by(ANA), m(mu.Categorize, category="weapon"), ANA, NOW))
    assert [e.kind for e in r.events] == ["category"]
    assert r.case.claim_expires_at == NOW + timedelta(hours=4)


def test_notes_and_reveals_are_open_to_anyone_and_do_not_claim():
    c = held_by(BEN)
    note = applied(decide(c, m(mu.AddNote, body="Called the store.\nNo answer."), ANA, NOW))
    assert note.case == c
    (ev,) = note.events
    assert ev.kind == "note" and ev.internal is True and ev.body == "Called the store.\nNo answer."
    assert "\n" not in ev.summary
    rev = applied(decide(c, m(mu.RevealPii, party_id="P-cust", field=PiiField.PHONE), ANA, NOW))
    assert rev.case == c
    (ev,) = rev.events
    assert ev.kind == "pii_revealed" and ev.internal is True
    assert ev.data == {"party_id": "P-cust", "field": "phone"}
    assert "phone" in rev.audit and "P-cust" in rev.audit


def test_reveal_of_party_not_on_case_is_invalid():
    rejected(decide(case(), m(mu.RevealPii, party_id="P-x", field=PiiField.EMAIL), ANA, NOW), state.INVALID)


def test_mutation_for_other_case_is_invalid():
    rejected(decide(case(), m(mu.Claim, case_id="CR-999"), ANA, NOW), state.INVALID)


def test_rejected_validation_claims_nothing():
    r = decide(case(), m(mu.Categorize, category="nope"), ANA, NOW)
    rejected(r, state.INVALID)
    assert "nope" in r.message


# --------------------------------------------------------------------------- closed cases


def resolved_case() -> CaseState:
    return case(
        status=CaseStatus.RESOLVED,
        resolved_at=NOW,
        resolution_code=ResolutionCode.NO_VIOLATION,
        acknowledged_at=T0,
    )


@pytest.mark.parametrize(
    "mutation",
    [
        m(mu.Claim),
        m(mu.Release),
        m(mu.Categorize, category="assault"),
        m(mu.SetTier, tier=Tier.T0),
        m(mu.SetStatus, status="awaiting_reply"),
        m(mu.SendReply, channel=Channel.EMAIL, recipient_party_id="P-cust", subject="s", body="b"),
        m(mu.ProposeEnforcement, party_id="P-shop", level=EnforcementLevel.L1, rule="R", reason="x"),
        m(mu.DecideEnforcement, enforcement_id=uuid4(), approve=True),
        m(mu.ReverseEnforcement, enforcement_id=uuid4(), reason="x"),
        m(mu.Escalate, reason="x"),
        m(mu.Merge, into_case_id="CR-2"),
        m(mu.Resolve, code=ResolutionCode.ACTIONED),
    ],
    ids=lambda x: x.kind,
)
def test_resolved_case_refuses_everything_but_reopen_note_reveal(mutation):
    r = rejected(decide(resolved_case(), mutation, LEE, NOW), state.CASE_CLOSED)
    assert r.message == "Case is resolved; reopen it first"


def test_resolved_case_allows_note_and_reveal():
    applied(decide(resolved_case(), m(mu.AddNote, body="late info"), ANA, NOW))
    applied(decide(resolved_case(), m(mu.RevealPii, party_id="P-cust", field=PiiField.EMAIL), ANA, NOW))


def test_reopen_clears_resolution_and_claims_for_reopener():
    c = resolved_case().with_(merged_into="CR-2", resolution_code=ResolutionCode.DUPLICATE)
    r = applied(decide(c, m(mu.Reopen, reason="new report"), BEN, NOW))
    assert r.case.status is CaseStatus.INVESTIGATING
    assert r.case.resolved_at is None and r.case.resolution_code is None and r.case.merged_into is None
    assert r.case.assignee_id == BEN.id
    assert r.events[0].kind == "reopened"


def test_reopen_open_case_is_case_open():
    rejected(decide(held_by(ANA), m(mu.Reopen, reason="x"), ANA, NOW), state.CASE_OPEN)


# --------------------------------------------------------------------------- case actions


def test_categorize_validates_and_records():
    rejected(decide(case(), m(mu.Categorize, category="Assault "), ANA, NOW), state.INVALID)
    r = applied(decide(held_by(ANA, status=CaseStatus.CLAIMED), m(mu.Categorize, category="assault"), ANA, NOW))
    assert r.case.category == "assault"
    assert r.case.status is CaseStatus.INVESTIGATING
    assert r.case.tier is Tier.T1  # tier changes only by SetTier
    assert r.events[-1].data["default_tier"] == 0


def test_set_tier_records_reason():
    r = applied(decide(held_by(ANA), m(mu.SetTier, tier=Tier.T0, reason="weapon seen"), ANA, NOW))
    assert r.case.tier is Tier.T0
    ev = r.events[-1]
    assert ev.kind == "tier" and ev.data["reason"] == "weapon seen" and "weapon seen" in ev.summary
    assert ev.data["from"] == 1 and ev.data["to"] == 0


def test_set_status_refused_while_approval_pending():
    e = enf(EnforcementLevel.L4, EnforcementStatus.PROPOSED)
    c = held_by(ANA, status=CaseStatus.PENDING_APPROVAL, enforcements=(e,))
    rejected(decide(c, m(mu.SetStatus, status="investigating"), ANA, NOW), state.APPROVAL_REQUIRED)
    r = applied(decide(held_by(ANA, status=CaseStatus.ESCALATED), m(mu.SetStatus, status="investigating"), ANA, NOW))
    assert r.case.status is CaseStatus.INVESTIGATING


def test_public_reply_sets_first_outreach_and_awaiting_reply():
    mut = m(mu.SendReply, channel=Channel.EMAIL, recipient_party_id="P-cust", subject="Your report", body="Hi Dana")
    r = applied(decide(held_by(ANA), mut, ANA, NOW))
    assert r.case.first_outreach_at == NOW
    assert r.case.status is CaseStatus.AWAITING_REPLY
    ev = r.events[-1]
    assert ev.kind == "reply" and ev.internal is False and ev.body == "Hi Dana"
    assert ev.data["reply_id"] == str(mut.reply_id) and ev.data["channel"] == "email"
    # a second reply does not move first outreach
    later = NOW + timedelta(hours=1)
    r2 = applied(decide(r.case, m(mu.SendReply, channel=Channel.SMS, recipient_party_id="P-shop", body="x"), ANA, later))
    assert r2.case.first_outreach_at == NOW


def test_reply_validation():
    c = held_by(ANA)
    rejected(decide(c, m(mu.SendReply, channel=Channel.INTERNAL, recipient_party_id="P-cust", body="x"), ANA, NOW), state.INVALID)
    r = rejected(decide(c, m(mu.SendReply, channel=Channel.SMS, recipient_party_id="P-zzz", body="x"), ANA, NOW), state.INVALID)
    assert "P-zzz" in r.message
    rejected(decide(c, m(mu.SendReply, channel=Channel.EMAIL, recipient_party_id="P-cust", body="x"), ANA, NOW), state.INVALID)
    rejected(decide(c, m(mu.SendReply, channel=Channel.SMS, recipient_party_id="P-cust", body="  \n"), ANA, NOW), state.INVALID)


def test_escalate():
    r = applied(decide(held_by(ANA), m(mu.Escalate, to="emergency_services", reason="injury"), ANA, NOW))
    assert r.case.status is CaseStatus.ESCALATED and r.case.escalated_to == "emergency_services"


def test_escalate_keeps_a_case_waiting_for_four_eyes_in_pending_approval():
    pending = enf(EnforcementLevel.L4, EnforcementStatus.PROPOSED)
    c = held_by(ANA, status=CaseStatus.PENDING_APPROVAL, enforcements=(pending,))
    r = applied(decide(c, m(mu.Escalate, to="lead", reason="needs a lead now"), ANA, NOW))
    assert r.case.status is CaseStatus.PENDING_APPROVAL and r.case.escalated_to == "lead"
    assert any(e.kind == "escalated" for e in r.events)


def test_merge_resolves_as_duplicate_not_into_itself():
    rejected(decide(held_by(ANA), m(mu.Merge, into_case_id=CASE), ANA, NOW), state.INVALID)
    r = applied(decide(held_by(ANA), m(mu.Merge, into_case_id="CR-000002"), ANA, NOW))
    c = r.case
    assert c.status is CaseStatus.RESOLVED and c.resolution_code is ResolutionCode.DUPLICATE
    assert c.merged_into == "CR-000002" and c.resolved_at == NOW
    assert c.assignee_id is None and c.claim_expires_at is None


def test_resolve_clears_claim_and_refuses_pending_approval():
    r = applied(decide(held_by(ANA), m(mu.Resolve, code=ResolutionCode.ACTIONED, summary="done"), ANA, NOW))
    c = r.case
    assert c.status is CaseStatus.RESOLVED and c.resolved_at == NOW and c.resolution_code is ResolutionCode.ACTIONED
    assert (c.assignee_id, c.assignee_name, c.claim_expires_at) == (None, None, None)
    rejected(decide(held_by(ANA), m(mu.Resolve, code=ResolutionCode.DUPLICATE), ANA, NOW), state.INVALID)
    e = enf(EnforcementLevel.L5, EnforcementStatus.PROPOSED)
    pend = held_by(ANA, status=CaseStatus.PENDING_APPROVAL, enforcements=(e,))
    rejected(decide(pend, m(mu.Resolve, code=ResolutionCode.ACTIONED), ANA, NOW), state.APPROVAL_REQUIRED)
    rejected(decide(pend, m(mu.Merge, into_case_id="CR-2"), ANA, NOW), state.APPROVAL_REQUIRED)


# --------------------------------------------------------------------------- enforcement


@pytest.mark.parametrize(
    "level,account",
    [(EnforcementLevel.L0, None), (EnforcementLevel.L1, None), (EnforcementLevel.L2, "restricted"), (EnforcementLevel.L3, "suspended")],
)
def test_low_levels_are_active_at_once(level, account):
    mut = m(mu.ProposeEnforcement, party_id="P-shop", level=level, rule="R-7", reason="slur in chat")
    r = applied(decide(held_by(ANA, status=CaseStatus.CLAIMED), mut, ANA, NOW))
    (e,) = r.enforcements
    assert e.id == mut.enforcement_id and e.status is EnforcementStatus.ACTIVE and e.requested_by == ANA.id
    assert r.case.enforcements == (e,)
    assert r.case.status is CaseStatus.INVESTIGATING
    assert r.notice is None
    assert r.party_updates == (() if account is None else (("P-shop", account),))


def test_propose_validation():
    mut = m(mu.ProposeEnforcement, party_id="P-other", level=EnforcementLevel.L1, rule="R", reason="x")
    rejected(decide(held_by(ANA), mut, ANA, NOW), state.INVALID)
    e = enf(EnforcementLevel.L1, EnforcementStatus.ACTIVE)
    again = m(mu.ProposeEnforcement, enforcement_id=e.id, party_id="P-shop", level=EnforcementLevel.L1, rule="R", reason="x")
    rejected(decide(held_by(ANA, enforcements=(e,)), again, ANA, NOW), state.INVALID)


def propose_l4(actor: Actor = ANA, level=EnforcementLevel.L4) -> tuple[Applied, UUID]:
    mut = m(mu.ProposeEnforcement, party_id="P-shop", level=level, rule="R-1", reason="assault", include_linked=True)
    r = applied(decide(held_by(actor), mut, actor, NOW))
    return r, mut.enforcement_id


@pytest.mark.parametrize("level", [EnforcementLevel.L4, EnforcementLevel.L5])
def test_high_levels_wait_for_a_lead(level):
    r, eid = propose_l4(level=level)
    (e,) = r.enforcements
    assert e.status is EnforcementStatus.PROPOSED and e.include_linked
    assert r.case.status is CaseStatus.PENDING_APPROVAL
    assert r.notice == "Sent to a lead for approval"
    assert r.party_updates == ()


def test_four_eyes_approve_l4_deactivates():
    r, eid = propose_l4()
    c = r.case.with_(assignee_id=BEN.id, assignee_name=BEN.name)  # holder does not matter to a lead
    ok = applied(decide(c, m(mu.DecideEnforcement, enforcement_id=eid, approve=True, comment="agreed"), LEE, NOW))
    (e,) = ok.enforcements
    assert e.status is EnforcementStatus.ACTIVE and e.decided_by == LEE.id and e.decided_at == NOW
    assert ok.case.status is CaseStatus.INVESTIGATING
    assert ok.party_updates == (("P-shop", "deactivated"),)
    assert ok.case.assignee_id == BEN.id  # a decision does not claim


def test_four_eyes_approve_l5_changes_no_account():
    r, eid = propose_l4(level=EnforcementLevel.L5)
    ok = applied(decide(r.case, m(mu.DecideEnforcement, enforcement_id=eid, approve=True), LEE, NOW))
    assert ok.enforcements[0].status is EnforcementStatus.ACTIVE
    assert ok.party_updates == ()


def test_four_eyes_decline_rejects():
    r, eid = propose_l4()
    ok = applied(decide(r.case, m(mu.DecideEnforcement, enforcement_id=eid, approve=False, comment="not enough"), LEE, NOW))
    assert ok.enforcements[0].status is EnforcementStatus.REJECTED
    assert ok.case.status is CaseStatus.INVESTIGATING
    assert ok.party_updates == ()


def test_decide_requires_lead():
    r, eid = propose_l4()
    rejected(decide(r.case, m(mu.DecideEnforcement, enforcement_id=eid, approve=True), BEN, NOW), state.FORBIDDEN_ROLE)


def test_lead_may_not_approve_own_request():
    r, eid = propose_l4(actor=LEE)
    res = rejected(decide(r.case, m(mu.DecideEnforcement, enforcement_id=eid, approve=True), LEE, NOW), state.SAME_APPROVER)
    assert "own" in res.message
    applied(decide(r.case, m(mu.DecideEnforcement, enforcement_id=eid, approve=True), KIM, NOW))


def test_decide_unknown_and_not_pending():
    r, eid = propose_l4()
    rejected(decide(r.case, m(mu.DecideEnforcement, enforcement_id=uuid4(), approve=True), LEE, NOW), state.NOT_FOUND)
    done = applied(decide(r.case, m(mu.DecideEnforcement, enforcement_id=eid, approve=True), LEE, NOW)).case
    rejected(decide(done, m(mu.DecideEnforcement, enforcement_id=eid, approve=True), KIM, NOW), state.NOT_PENDING)


def test_case_stays_pending_while_another_enforcement_is_pending():
    r, e1 = propose_l4()
    mut = m(mu.ProposeEnforcement, party_id="P-cust", level=EnforcementLevel.L5, rule="R", reason="x")
    c = applied(decide(r.case, mut, ANA, NOW)).case
    one = applied(decide(c, m(mu.DecideEnforcement, enforcement_id=e1, approve=True), LEE, NOW))
    assert one.case.status is CaseStatus.PENDING_APPROVAL
    two = applied(decide(one.case, m(mu.DecideEnforcement, enforcement_id=mut.enforcement_id, approve=False), LEE, NOW))
    assert two.case.status is CaseStatus.INVESTIGATING


def test_reverse_low_level_at_once_restores_account():
    e = enf(EnforcementLevel.L3, EnforcementStatus.ACTIVE)
    r = applied(decide(held_by(ANA, enforcements=(e,)), m(mu.ReverseEnforcement, enforcement_id=e.id, reason="appeal upheld"), ANA, NOW))
    (ne,) = r.enforcements
    assert ne.status is EnforcementStatus.REVERSED
    assert r.party_updates == (("P-shop", "active"),)
    assert r.notice is None


def test_reverse_keeps_the_most_severe_remaining_account_status():
    l2 = enf(EnforcementLevel.L2, EnforcementStatus.ACTIVE)
    l3 = enf(EnforcementLevel.L3, EnforcementStatus.ACTIVE)
    r = applied(decide(held_by(ANA, enforcements=(l2, l3)), m(mu.ReverseEnforcement, enforcement_id=l3.id, reason="x"), ANA, NOW))
    assert r.party_updates == (("P-shop", "restricted"),)


def test_reverse_validation():
    c = held_by(ANA, enforcements=(enf(EnforcementLevel.L1, EnforcementStatus.REJECTED, id=UUID(int=1)),))
    rejected(decide(c, m(mu.ReverseEnforcement, enforcement_id=uuid4(), reason="x"), ANA, NOW), state.NOT_FOUND)
    rejected(decide(c, m(mu.ReverseEnforcement, enforcement_id=UUID(int=1), reason="x"), ANA, NOW), state.INVALID)
    p = held_by(ANA, enforcements=(enf(EnforcementLevel.L4, EnforcementStatus.PROPOSED, id=UUID(int=2)),))
    rejected(decide(p, m(mu.ReverseEnforcement, enforcement_id=UUID(int=2), reason="x"), ANA, NOW), state.APPROVAL_REQUIRED)


def test_reverse_l4_needs_a_second_lead():
    e = enf(EnforcementLevel.L4, EnforcementStatus.ACTIVE, by=ANA, decided_by=LEE.id, decided_at=T0)
    c = held_by(BEN, enforcements=(e,))
    r = applied(decide(c, m(mu.ReverseEnforcement, enforcement_id=e.id, reason="wrong person"), BEN, NOW))
    (pend,) = r.enforcements
    assert pend.status is EnforcementStatus.REVERSAL_PENDING and pend.reversal_requested_by == BEN.id
    assert r.case.status is CaseStatus.PENDING_APPROVAL
    assert r.notice == "Sent to a lead for approval"
    assert r.party_updates == ()
    # the original requester (an associate) cannot decide; any lead other than the reverser can
    rejected(decide(r.case, m(mu.DecideEnforcement, enforcement_id=e.id, approve=True), ANA, NOW), state.FORBIDDEN_ROLE)
    ok = applied(decide(r.case, m(mu.DecideEnforcement, enforcement_id=e.id, approve=True), LEE, NOW))
    assert ok.enforcements[0].status is EnforcementStatus.REVERSED
    assert ok.party_updates == (("P-shop", "active"),)
    assert ok.case.status is CaseStatus.INVESTIGATING
    no = applied(decide(r.case, m(mu.DecideEnforcement, enforcement_id=e.id, approve=False), LEE, NOW))
    assert no.enforcements[0].status is EnforcementStatus.ACTIVE
    assert no.party_updates == ()


def test_lead_may_not_approve_own_reversal():
    e = enf(EnforcementLevel.L5, EnforcementStatus.ACTIVE, by=ANA)
    r = applied(decide(held_by(LEE, enforcements=(e,)), m(mu.ReverseEnforcement, enforcement_id=e.id, reason="x"), LEE, NOW))
    rejected(decide(r.case, m(mu.DecideEnforcement, enforcement_id=e.id, approve=True), LEE, NOW), state.SAME_APPROVER)
    applied(decide(r.case, m(mu.DecideEnforcement, enforcement_id=e.id, approve=True), KIM, NOW))


# --------------------------------------------------------------------------- general properties


ALL_MUTATIONS = [
    m(mu.Claim),
    m(mu.Release),
    m(mu.Categorize, category="assault"),
    m(mu.SetTier, tier=Tier.T0),
    m(mu.SetStatus, status="awaiting_reply"),
    m(mu.AddNote, body="n"),
    m(mu.SendReply, channel=Channel.PHONE, recipient_party_id="P-cust", body="script"),
    m(mu.ProposeEnforcement, party_id="P-shop", level=EnforcementLevel.L2, rule="R", reason="x", restriction="no alcohol"),
    m(mu.Escalate, reason="x"),
    m(mu.Merge, into_case_id="CR-2"),
    m(mu.Resolve, code=ResolutionCode.WITHDRAWN),
    m(mu.RevealPii, party_id="P-cust", field=PiiField.ADDRESS),
]


@pytest.mark.parametrize("mutation", ALL_MUTATIONS, ids=lambda x: x.kind)
def test_deterministic_and_version_untouched(mutation):
    c = held_by(ANA).with_(version=41)
    a = decide(c, mutation, ANA, NOW)
    b = decide(c, mutation, ANA, NOW)
    assert a == b
    r = applied(a)
    assert r.case.version == 41
    for ev in r.events:
        assert "\n" not in ev.summary and len(ev.summary) <= rules.SUMMARY_WIDTH


def test_summaries_are_cleaned_of_terminal_control():
    r = applied(decide(case(), m(mu.AddNote, body="\x1b[2J\x1b]0;pwned\x07hello\u202eevil"), ANA, NOW))
    ev = r.events[0]
    assert "\x1b" not in ev.summary and "\u202e" not in ev.summary
    assert ev.body.startswith("\x1b[2J")  # the body stays the raw data; the UI sanitizes on display
