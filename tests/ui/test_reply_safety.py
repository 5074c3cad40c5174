"""Reply screen safety: audience-specific macros, enforcement notices only once in force,
drafts that come back addressed to the same person."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

from critresp.domain.taxonomy import Channel, EnforcementLevel, EnforcementStatus, Involvement, PartyRole
from critresp.screens.reply import ReplyScreen
from critresp.store.views import EnforcementView, MacroView

from .helpers import settle
from .test_flows import SIZE, _open_reply


def _macro(mid: str, *, audience: str = "any", notice: bool = False, level: int | None = None) -> MacroView:
    return MacroView(
        id=mid, title=mid, categories=(), recipient_roles=(), channels=(Channel.EMAIL,), tone="neutral",
        email_subject="Case {{ case.id }}", email_body="Hi {{ recipient.first_name }}, you may appeal.",
        sms_body=None, phone_script=None, internal_body=None, is_enforcement_notice=notice,
        actions={"enforcement": {"level": level}} if level else {}, audience=audience,
    )


def _party(reply: ReplyScreen, involvement: Involvement):
    return next(p for p in reply.detail.parties if p.involvement is involvement)


async def test_reporter_and_subject_macros_are_offered_only_to_that_person(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot)
        to_reporter, to_subject, anyone = _macro("r", audience="reporter"), _macro("s", audience="subject"), _macro("a")
        reply.set_target(recipient_id=_party(reply, Involvement.REPORTER).id, channel=Channel.EMAIL)
        await settle(pilot)
        assert [reply._eligible(m) for m in (to_reporter, to_subject, anyone)] == [True, False, True]
        reply.set_target(recipient_id=_party(reply, Involvement.SUBJECT).id)
        await settle(pilot)
        assert [reply._eligible(m) for m in (to_reporter, to_subject, anyone)] == [False, True, True]


async def test_deactivation_notice_is_blocked_until_the_l4_is_approved(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot)
        subject = _party(reply, Involvement.SUBJECT)
        reply.set_target(recipient_id=subject.id, channel=Channel.EMAIL)
        await settle(pilot)
        notice = _macro("l4", audience="subject", notice=True, level=4)
        enf = EnforcementView(
            id=uuid4(), case_id=reply.detail.id, party_id=subject.id, party_name=subject.display_name,
            level=EnforcementLevel.L4, status=EnforcementStatus.PROPOSED, rule="CG-1.2", reason="threats",
            requested_by_name="Sam", requested_at=reply.detail.created_at, decided_by_name=None, pending=False,
        )
        reply.detail = replace(reply.detail, enforcements=(enf,))
        reply.use_macro(notice)
        await settle(pilot)
        assert any(c.code == "enforcement_not_in_force" for c in reply.checks)
        assert reply.blocked and reply.query_one("#send").disabled
        # once a lead approved it (and the server confirmed), the notice may go out
        reply.detail = replace(reply.detail, enforcements=(replace(enf, status=EnforcementStatus.ACTIVE),))
        reply.use_macro(notice)
        await settle(pilot)
        assert not any(c.code == "enforcement_not_in_force" for c in reply.checks)


async def test_a_kept_draft_comes_back_to_the_same_recipient_and_channel(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot)
        subject = _party(reply, Involvement.SUBJECT)
        reply.set_target(recipient_id=subject.id, channel=Channel.SMS)
        await settle(pilot)
        reply.query_one("#draft").text = "Your deliveries are paused while we review case details."
        await settle(pilot)
        await pilot.press("escape")  # back: the draft is kept
        await settle(pilot)
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, ReplyScreen)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert again.recipient_id == subject.id and again.channel is Channel.SMS
        assert "deliveries are paused" in again.draft_text
