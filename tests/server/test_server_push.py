"""Push: idempotency, claims as leases, four-eyes, actor from the token."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

import pytest
from srvfixtures import Env, mutation  # type: ignore[import-not-found]

from critresp.domain import mutations as mu
from critresp.domain.state import Actor
from critresp.domain.taxonomy import AssociateRole


def test_push_applies_once_and_a_retry_answers_duplicate_with_the_original_version(env: Env) -> None:
    case = env.intake()
    m = mutation("add_note", case["id"], body="Called the customer back")
    first = env.push("A1", m)
    assert first[0]["status"] == "applied"
    assert first[0]["seq"] == 1 and first[0]["mutation_id"] == m["mutation_id"]
    version = first[0]["version"]
    assert isinstance(version, int) and version > case["version"]

    again = env.push("A1", m)  # a retried push (e.g. the answer was lost)
    assert again[0]["status"] == "duplicate"
    assert again[0]["version"] == version

    recs, _ = env.pull_all()
    notes = [e for e in recs["events"] if e["kind"] == "note"]
    assert [e["id"] for e in notes] == [f"{m['mutation_id']}-0"]
    assert notes[0]["body"] == "Called the customer back"
    assert notes[0]["version"] == version


def test_duplicate_of_a_rejected_mutation_repeats_the_rejection(env: Env) -> None:
    case = env.intake()
    m = mutation("reopen", case["id"], reason="not closed yet")
    r1 = env.push("A1", m)
    assert r1[0]["status"] == "rejected" and r1[0]["code"] == "case_open"
    r2 = env.push("A1", m)
    assert r2[0] == r1[0]


def test_mutation_id_reused_by_someone_else_is_refused(env: Env) -> None:
    case = env.intake()
    m = mutation("add_note", case["id"], body="mine")
    assert env.push("A1", m)[0]["status"] == "applied"
    r = env.push("A2", m)
    assert r[0]["status"] == "rejected" and r[0]["code"] == "invalid"


def test_two_clients_claim_one_wins_and_the_other_learns_who(env: Env) -> None:
    case = env.intake()
    a = env.push("A1", mutation("claim", case["id"]), client_id="laptop-a")
    b = env.push("A2", mutation("claim", case["id"]), client_id="laptop-b")
    assert a[0]["status"] == "applied"
    assert b[0]["status"] == "rejected"
    assert b[0]["code"] == "already_claimed"
    assert "Dana Rivera" in b[0]["message"]
    c = env.case(case["id"])
    assert c["assignee_id"] == "A1" and c["status"] == "claimed"


def test_concurrent_claims_are_compare_and_set(env: Env) -> None:
    case = env.intake()
    core = env.rt.core
    actors = [Actor(id=i, name=i) for i in ("A1", "A2", "L1", "L2")]
    results: list[dict] = []
    barrier = threading.Barrier(len(actors))

    def go(actor: Actor) -> None:
        barrier.wait()
        results.append(core.apply_one(actor, actor.id, 1, mu.Claim(case_id=case["id"])))

    threads = [threading.Thread(target=go, args=(a,)) for a in actors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["status"] for r in results) == ["applied", "rejected", "rejected", "rejected"]
    winner = next(r for r in results if r["status"] == "applied")
    assert all(r["code"] == "already_claimed" for r in results if r is not winner)


def test_claim_lease_expires(env: Env) -> None:
    case = env.intake()
    assert env.push("A1", mutation("claim", case["id"]))[0]["status"] == "applied"
    c = env.case(case["id"])
    assert c["claim_expires_at"] is not None

    env.clock.advance(timedelta(seconds=env.settings.lease_seconds - 1))
    assert env.push("A2", mutation("claim", case["id"]))[0]["code"] == "already_claimed"

    env.clock.advance(timedelta(seconds=2))  # lease over: the case is free again
    r = env.push("A2", mutation("claim", case["id"]))
    assert r[0]["status"] == "applied"
    assert env.case(case["id"])["assignee_id"] == "A2"


def test_actor_is_the_tokens_associate_never_the_body(env: Env) -> None:
    case = env.intake()
    m = mutation("claim", case["id"])
    m["actor_id"] = "L1"  # not part of the mutation: refused as a whole
    r = env.client.post(
        "/api/v1/push", headers=env.h("A2"), json={"client_id": "x", "mutations": [{"seq": 1, "mutation": m}]}
    )
    assert r.status_code == 422
    del m["actor_id"]
    assert env.push("A2", m)[0]["status"] == "applied"
    assert env.case(case["id"])["assignee_id"] == "A2"


def test_one_rejection_does_not_block_the_rest_of_the_batch(env: Env) -> None:
    case = env.intake()
    env.push("A1", mutation("claim", case["id"]))
    results = env.push(
        "A2",
        mutation("categorize", case["id"], category="weapon"),  # A1 holds it
        mutation("add_note", case["id"], body="notes are open to anyone"),
        mutation("claim", "NO-SUCH-CASE"),
    )
    assert [r["status"] for r in results] == ["rejected", "applied", "rejected"]
    assert [r["seq"] for r in results] == [1, 2, 3]
    assert results[2]["code"] == "not_found"


def test_four_eyes_deactivation_needs_a_different_lead(env: Env) -> None:
    case = env.intake()
    recs, cursor = env.pull_all("A1")
    subject = next(cp["party_id"] for cp in recs["case_parties"] if cp["involvement"] == "subject")
    propose = mutation(
        "propose_enforcement",
        case["id"],
        party_id=subject,
        level=4,
        rule="CG-1.2 threats",
        reason="Threatened the customer at the door",
    )
    eid = propose["enforcement_id"] = "9b0c7a3e-4a43-4f6e-9d55-0c0a3f9d7e11"
    r = env.push("A1", propose)
    assert r[0]["status"] == "applied"
    assert r[0]["message"]  # "sent for approval" notice
    assert env.case(case["id"])["status"] == "pending_approval"

    # the requester cannot get around it: an associate may not decide, nor the lead who asked
    assert env.push("A2", mutation("decide_enforcement", case["id"], enforcement_id=eid, approve=True))[0]["code"] == "forbidden_role"
    resolve = env.push("A1", mutation("resolve", case["id"], code="actioned"))
    assert resolve[0]["code"] == "approval_required"

    approve = env.push("L1", mutation("decide_enforcement", case["id"], enforcement_id=eid, approve=True, comment="ok"))
    assert approve[0]["status"] == "applied"

    # the requester learns it by pull: enforcement record, timeline event, party status
    changes, _ = env.pull_all("A1", cursor=cursor)
    enf = [e for e in changes["enforcements"] if e["id"] == eid][-1]
    assert enf["status"] == "active"
    assert enf["decided_by"] == "L1" and enf["decided_by_name"] == "Lee Park"
    assert enf["requested_by_name"] == "Dana Rivera"
    assert any(e["kind"] == "enforcement_approved" for e in changes["events"])
    party = [p for p in changes["parties"] if p["id"] == subject][-1]
    assert party["account_status"] == "deactivated"
    assert [c for c in changes["cases"] if c["id"] == case["id"]][-1]["status"] != "pending_approval"


def test_a_lead_cannot_approve_their_own_proposal(env: Env) -> None:
    case = env.intake()
    recs, _ = env.pull_all("L1")
    subject = next(cp["party_id"] for cp in recs["case_parties"] if cp["involvement"] == "subject")
    p = mutation("propose_enforcement", case["id"], party_id=subject, level=5, rule="R", reason="referral")
    p["enforcement_id"] = str(uuid.uuid4())
    assert env.push("L1", p)[0]["status"] == "applied"
    own = env.push("L1", mutation("decide_enforcement", case["id"], enforcement_id=p["enforcement_id"], approve=True))
    assert own[0]["code"] == "same_approver"
    other = env.push("L2", mutation("decide_enforcement", case["id"], enforcement_id=p["enforcement_id"], approve=False))
    assert other[0]["status"] == "applied"
    changes, _ = env.pull_all("L1")
    assert [e for e in changes["enforcements"] if e["id"] == p["enforcement_id"]][-1]["status"] == "rejected"


def test_merge_needs_an_existing_target_and_marks_both_cases(env: Env) -> None:
    a = env.intake()
    b = env.intake()
    assert env.push("A1", mutation("merge", a["id"], into_case_id="CR-9999999"))[0]["code"] == "not_found"
    m = mutation("merge", a["id"], into_case_id=b["id"])
    assert env.push("A1", m)[0]["status"] == "applied"
    recs, _ = env.pull_all()
    merged_in = [e for e in recs["events"] if e["kind"] == "merged_in"]
    assert len(merged_in) == 1 and merged_in[0]["case_id"] == b["id"]
    mine = sorted(e["id"] for e in recs["events"] if e["id"].startswith(m["mutation_id"]))
    assert mine == [f"{m['mutation_id']}-{n}" for n in range(len(mine))]  # auto-claim, merged, merged_in
    assert merged_in[0]["id"] == mine[-1]
    assert env.case(a["id"])["merged_into"] == b["id"]


def test_me_reports_the_tokens_associate(env: Env) -> None:
    r = env.client.get("/api/v1/me", headers=env.h("L2"))
    assert r.json() == {"id": "L2", "name": "Kim Novak", "role": AssociateRole.LEAD.value}


def _subject(env: Env, case_id: str) -> str:
    recs, _ = env.pull_all("A1")
    return next(
        cp["party_id"] for cp in recs["case_parties"] if cp["case_id"] == case_id and cp["involvement"] == "subject"
    )


def _party_status(env: Env, party_id: str) -> str:
    recs, _ = env.pull_all("A1")
    return [p for p in recs["parties"] if p["id"] == party_id][-1]["account_status"]


def test_a_lower_action_on_another_case_never_lifts_an_approved_deactivation(env: Env) -> None:
    a = env.intake()
    p1 = _subject(env, a["id"])
    l4 = mutation("propose_enforcement", a["id"], party_id=p1, level=4, rule="CG-1.2", reason="threats")
    l4["enforcement_id"] = str(uuid.uuid4())
    assert env.push("A1", l4)[0]["status"] == "applied"
    assert env.push("L1", mutation("decide_enforcement", a["id"], enforcement_id=l4["enforcement_id"], approve=True))[0][
        "status"
    ] == "applied"
    assert _party_status(env, p1) == "deactivated"

    # the same person on a second case: an associate applies an L2 and then reverses it
    b = env.intake(subject={"id": p1})
    assert _subject(env, b["id"]) == p1
    l2 = mutation("propose_enforcement", b["id"], party_id=p1, level=2, rule="CG-3", reason="chat", restriction="chat off")
    l2["enforcement_id"] = str(uuid.uuid4())
    assert env.push("A2", l2, client_id="c2")[0]["status"] == "applied"
    assert _party_status(env, p1) == "deactivated"  # not downgraded to restricted
    rev = mutation("reverse_enforcement", b["id"], enforcement_id=l2["enforcement_id"], reason="mistake")
    assert env.push("A2", rev, client_id="c2", start=2)[0]["status"] == "applied"
    assert _party_status(env, p1) == "deactivated"  # still: the L4 on case A is in force


def test_a_proposal_cannot_reuse_another_cases_enforcement_id(env: Env) -> None:
    a = env.intake()
    p1 = _subject(env, a["id"])
    l3 = mutation("propose_enforcement", a["id"], party_id=p1, level=3, rule="R", reason="suspend")
    eid = l3["enforcement_id"] = str(uuid.uuid4())
    assert env.push("A1", l3)[0]["status"] == "applied"
    b = env.intake()
    p2 = _subject(env, b["id"])
    hijack = mutation("propose_enforcement", b["id"], party_id=p2, level=0, rule="R", reason="monitor")
    hijack["enforcement_id"] = eid
    res = env.push("A2", hijack, client_id="c2")[0]
    assert res["status"] == "rejected" and res["code"] == "invalid"
    recs, _ = env.pull_all("A1")
    enf = [e for e in recs["enforcements"] if e["id"] == eid][-1]
    assert (enf["case_id"], enf["party_id"], enf["level"], enf["status"]) == (a["id"], p1, 3, "active")


def test_a_mutation_sent_twice_in_one_push_is_applied_once(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    # one push = one writer batch whose logged outcomes are read before its first unit:
    # the second copy must still see the first one's outcome, in the batch (not by
    # failing it and falling back to one transaction per mutation)
    case = env.intake()
    note = mutation("add_note", case["id"], body="only once")
    with caplog.at_level(logging.WARNING, logger="critresp.server.service"):
        results = env.push("A1", note, mutation("add_note", case["id"], body="another"), note)
    assert not [r for r in caplog.records if "one at a time" in r.getMessage()]
    assert [r["status"] for r in results] == ["applied", "applied", "duplicate"]
    assert results[2]["version"] == results[0]["version"]
    recs, _ = env.pull_all()
    assert [e["body"] for e in recs["events"] if e["kind"] == "note"] == ["only once", "another"]


def test_a_batch_gives_each_mutation_its_own_seq_and_logs_each_outcome(env: Env) -> None:
    from sqlalchemy import func, select

    from critresp.server import db as D

    case = env.intake()
    before = env.rt.db.current_seq()
    ms = [mutation("add_note", case["id"], body=f"n{i}") for i in range(5)] + [mutation("claim", "NO-SUCH-CASE")]
    results = env.push("A1", *ms)
    versions = [r["version"] for r in results[:5]]
    assert versions == list(range(before + 1, before + 6))  # consecutive, in push order
    assert results[5]["status"] == "rejected"
    # the counter ends at the batch's last seq: the next write continues after it
    assert env.rt.db.current_seq() == before + 6
    assert env.push("A1", mutation("add_note", case["id"], body="later"))[0]["version"] == before + 7
    with env.rt.db.read() as conn:
        logged = dict(conn.execute(select(D.mutations_log.c.mutation_id, D.mutations_log.c.status)).all())
        audited = conn.execute(
            select(D.audit_log.c.mutation_id, func.count())
            .where(D.audit_log.c.mutation_id.in_([m["mutation_id"] for m in ms]))
            .group_by(D.audit_log.c.mutation_id)
        ).all()
    assert all(logged[m["mutation_id"]] == "applied" for m in ms[:5])
    assert logged[ms[5]["mutation_id"]] == "rejected"
    # one audit line per applied mutation, none for the rejection
    assert sorted(audited) == sorted((m["mutation_id"], 1) for m in ms[:5])
