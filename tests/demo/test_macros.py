"""The demo macro library: coverage, rendering in the sandbox, channel rules."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import jinja2.meta
import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from critresp.demo import vocab
from critresp.demo.macros import macro_library
from critresp.domain.macros import blocking, build_context, check_draft, render, sms_segments
from critresp.domain.records import AssociateRecord, CaseRecord, MacroRecord, PartyRecord
from critresp.domain.taxonomy import (
    CATEGORY_BY_CODE,
    CaseStatus,
    Channel,
    EnforcementLevel,
    PartyRole,
    Tier,
)

NOW = datetime(2026, 3, 14, 21, 30, tzinfo=timezone.utc)
LIB = macro_library()
TEMPLATE_FIELDS = ("email_subject", "email_body", "sms_body", "phone_script", "internal_body")
CHANNEL_FIELD = {
    Channel.EMAIL: "email_body",
    Channel.SMS: "sms_body",
    Channel.PHONE: "phone_script",
    Channel.INTERNAL: "internal_body",
}
LONGEST_FIRST = max(vocab.FIRST_NAMES, key=len)


def _case(tier: Tier, order_id: str | None, category: str) -> CaseRecord:
    return CaseRecord(
        id="CR-0012345", tier=tier, category=category, status=CaseStatus.INVESTIGATING,
        title="t", created_at=NOW, updated_at=NOW, order_id=order_id,
    )


def _party(role: PartyRole) -> PartyRecord:
    return PartyRecord(
        id="P-012345", role=role, first_name=LONGEST_FIRST, last_name="Nunez-Ortega",
        email="x@example.com", phone="+1 510 555 0100", address="1 Oak St", created_at=NOW,
    )


ASSOCIATE = AssociateRecord(id="A-001", name="Sam Okafor")
# someone else on the case: no macro may ever print their details
REPORTER_TERMS = ("Quintessa Marlowe-Figg", "quintessa.mf@example.net", "+1 212 555 0199")


def _contexts(m: MacroRecord):
    cats = m.categories or ("assault", "missing_item", "uncategorized")
    roles = m.recipient_roles or tuple(PartyRole)
    for ch in m.channels:
        for role in roles:
            for cat in cats:
                for order in ("O-0012345", None):
                    tier = CATEGORY_BY_CODE[cat].default_tier
                    yield ch, build_context(_case(tier, order, cat), _party(role), ASSOCIATE, ch)


def test_library_size_and_unique_ids() -> None:
    assert len(LIB) >= 30
    ids = [m.id for m in LIB]
    assert len(ids) == len(set(ids))
    assert macro_library() == LIB  # deterministic


def test_library_covers_roles_channels_tones_and_stages() -> None:
    roles = {r for m in LIB for r in m.recipient_roles}
    assert roles == set(PartyRole)
    assert {ch for m in LIB for ch in m.channels} == set(Channel)
    assert {m.tone for m in LIB} == {"empathetic", "neutral", "firm"}
    notice_levels = {m.actions["enforcement"]["level"] for m in LIB if m.is_enforcement_notice}
    assert {1, 2, 3, 4} <= notice_levels
    t0 = {c.code for c in CATEGORY_BY_CODE.values() if c.default_tier is Tier.T0}
    safety = [m for m in LIB if m.categories and set(m.categories) <= t0 | {"doxxing", "off_app_contact"}]
    assert any(m.phone_script and "911" in m.phone_script for m in safety)
    assert any("welfare" in m.title.lower() for m in LIB)
    assert sum(1 for m in LIB if m.channels == (Channel.INTERNAL,)) >= 5
    assert any(m.id.startswith("ack") for m in LIB)
    assert any("info-request" in m.id for m in LIB)
    assert any(m.id.startswith("outcome") for m in LIB)


def test_channels_match_bodies_and_categories_exist() -> None:
    for m in LIB:
        assert m.channels, m.id
        for ch, field in CHANNEL_FIELD.items():
            assert (ch in m.channels) == bool(getattr(m, field)), (m.id, ch)
        assert (Channel.EMAIL in m.channels) == bool(m.email_subject), m.id
        for c in m.categories:
            assert c in CATEGORY_BY_CODE, (m.id, c)


def test_placeholders_are_only_the_known_names() -> None:
    env = SandboxedEnvironment(undefined=StrictUndefined)
    known = {"case", "recipient", "associate", "appeal", "channel"}
    for m in LIB:
        for field in TEMPLATE_FIELDS:
            src = getattr(m, field)
            if src:
                used = jinja2.meta.find_undeclared_variables(env.parse(src))
                assert used <= known, (m.id, field, used - known)


def test_macros_use_conditionals_on_role_tier_and_channel() -> None:
    sources = [getattr(m, f) or "" for m in LIB for f in TEMPLATE_FIELDS]
    conditions = [c for src in sources for c in re.findall(r"\{%-?\s*(?:if|elif)\s+(.*?)%\}", src)]
    for name in ("recipient.role", "case.tier", "channel", "case.order_id"):
        assert any(name in c for c in conditions), name


def test_no_macro_references_the_reporter() -> None:
    for m in LIB:
        for field in TEMPLATE_FIELDS:
            src = getattr(m, field) or ""
            for expr in re.findall(r"\{\{.*?\}\}|\{%.*?%\}", src, re.S):
                assert "reporter" not in expr and "involvement" not in expr, (m.id, expr)


@pytest.mark.parametrize("macro", LIB, ids=[m.id for m in LIB])
def test_every_macro_renders_strictly_in_every_context(macro: MacroRecord) -> None:
    for ch, ctx in _contexts(macro):
        draft = render(macro, ch, ctx)
        assert draft.body.strip()
        assert "None" not in draft.body and "Undefined" not in draft.body
        assert not re.search(r"\bTT\d", draft.body)  # case.tier already prints as "T1"
        checks = check_draft(
            draft.body, ch, subject=draft.subject, is_enforcement_notice=macro.is_enforcement_notice,
            reporter_terms=REPORTER_TERMS,
        )
        assert not blocking(checks), (macro.id, ch, [c.message for c in checks if c.severity == "block"])
        if ch is Channel.EMAIL:
            assert draft.subject and len(draft.subject) <= 80
            assert "CR-0012345" in draft.subject + draft.body
            assert draft.body.startswith(f"Hi {LONGEST_FIRST},")


def test_every_macro_renders_with_plain_strict_jinja() -> None:
    """The library does not depend on the console's renderer: plain sandboxed
    Jinja2 with StrictUndefined and a context of the documented names suffices."""
    env = SandboxedEnvironment(undefined=StrictUndefined)
    for m in LIB:
        for role in ("customer", "shopper", "retailer"):
            for tier in (0, 3):
                ctx = {
                    "case": {"id": "CR-0000042", "category": "assault", "category_title": "Assault",
                             "tier": tier, "order_id": "O-0000042"},
                    "recipient": {"first_name": "Ana", "role": role},
                    "associate": {"first_name": "Sam"},
                    "appeal": {"url": "https://help.example/appeals", "deadline_days": 14},
                    "channel": "email",
                }
                for field in TEMPLATE_FIELDS:
                    if getattr(m, field):
                        assert env.from_string(getattr(m, field)).render(**ctx).strip()


def test_sms_bodies_fit_two_segments() -> None:
    long_appeal = {"appeal": {"url": "https://help.critresp.example/appeals/CR-0012345?lang=en-US",
                              "deadline_days": 14}}
    n = 0
    for m in LIB:
        if Channel.SMS not in m.channels:
            continue
        for role in m.recipient_roles or tuple(PartyRole):
            for cat in m.categories or ("assault", "missing_item"):
                for tier in (CATEGORY_BY_CODE[cat].default_tier,):
                    ctx = build_context(_case(tier, "O-0012345", cat), _party(role), ASSOCIATE, Channel.SMS,
                                        extra=long_appeal)
                    body = render(m, Channel.SMS, ctx).body
                    info = sms_segments(body)
                    assert info.encoding == "GSM-7", (m.id, body)
                    assert info.segments <= 2, (m.id, info, body)
                    n += 1
    assert n >= 20


def test_enforcement_notices_state_action_rule_and_appeal() -> None:
    notices = [m for m in LIB if m.is_enforcement_notice]
    assert len(notices) >= 8
    for m in notices:
        assert m.tone == "firm"
        enf = m.actions["enforcement"]
        assert EnforcementLevel(enf["level"]) in set(EnforcementLevel) and enf["rule"]
        for field in ("email_body", "sms_body", "phone_script"):
            src = getattr(m, field)
            if src:
                assert "appeal" in src.lower(), (m.id, field)
                assert enf["rule"] in src, (m.id, field)
        assert "What we did:" in m.email_body and "Why:" in m.email_body and "Which rule:" in m.email_body


def test_actions_have_a_known_shape() -> None:
    for m in LIB:
        for key, value in m.actions.items():
            assert key in {"status", "tags", "enforcement", "escalate"}, (m.id, key)
            if key == "status":
                assert value in {"investigating", "awaiting_reply"}
            if key == "tags":
                assert value and all(isinstance(t, str) for t in value)
            if key == "escalate":
                assert value in {"lead", "emergency_services", "legal", "law_enforcement"}
            if key == "enforcement":
                assert 0 <= value["level"] <= 5 and value["rule"]
    assert any(m.actions.get("status") == "awaiting_reply" for m in LIB)
    assert any("tags" in m.actions for m in LIB)
